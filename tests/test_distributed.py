"""Data-parallel training (cnnmath.distributed): the shard arithmetic, and two real processes."""

import numpy as np
import pytest
import torch

from cnnmath import distributed as ddp
from cnnmath import torch_twin, zoo


def test_equal_shards_split_the_batch():
    assert ddp.equal_shards(16, 2) == [8, 8]
    assert ddp.equal_shards(12, 3) == [4, 4, 4]
    with pytest.raises(ValueError, match="does not split into 3 equal shards"):
        ddp.equal_shards(16, 3)


def test_check_shards_needs_one_positive_size_per_process():
    assert ddp.check_shards([5, 11], 2) == [5, 11]
    with pytest.raises(ValueError, match="one shard size per process"):
        ddp.check_shards([5, 11], 3)
    with pytest.raises(ValueError, match="shard size"):
        ddp.check_shards([0, 16], 2)


def test_shard_slices_cover_the_batch_in_order():
    slices = ddp.shard_slices([3, 5, 2])
    assert [(s.start, s.stop) for s in slices] == [(0, 3), (3, 8), (8, 10)]


def test_weighted_shard_means_give_the_batch_mean(rng):
    g = rng.normal(size=(16, 5))  # per-example gradients
    for shards in ([8, 8], [5, 11], [1, 2, 13]):
        k = len(shards)
        means = [g[s].mean(axis=0) for s in ddp.shard_slices(shards)]
        weights = ddp.loss_weights(shards, weighted=True)
        ddp_average = sum(w * m for w, m in zip(weights, means)) / k
        np.testing.assert_allclose(ddp_average, g.mean(axis=0), rtol=1e-13, atol=1e-15)
        plain = sum(means) / k
        assert np.allclose(plain, g.mean(axis=0)) == (len(set(shards)) == 1)
    assert ddp.loss_weights([8, 8], weighted=False) == [1.0, 1.0]


def test_combine_moments_gives_the_whole_batch_statistics(rng):
    x = rng.normal(3.0, 2.0, size=(23, 4))
    shards = [4, 12, 7]
    parts = [x[s] for s in ddp.shard_slices(shards)]
    mean, var = ddp.combine_moments(
        np.array(shards), np.array([p.mean(0) for p in parts]), np.array([p.var(0) for p in parts])
    )
    np.testing.assert_allclose(mean, x.mean(0), rtol=1e-13)
    np.testing.assert_allclose(var, x.var(0), rtol=1e-12)
    # the mean of the shards' variances is not the batch variance
    assert not np.allclose(np.mean([p.var(0) for p in parts], axis=0), x.var(0), rtol=1e-3)


def test_combine_moments_rejects_bad_input():
    with pytest.raises(ValueError, match="must agree"):
        ddp.combine_moments(np.array([2, 2]), np.zeros((3, 4)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="at least one example"):
        ddp.combine_moments(np.array([0, 2]), np.zeros((2, 4)), np.zeros((2, 4)))


def test_batches_are_repeatable_and_checked():
    x1, y1 = ddp.batches(3, 4, "random", seed=1)
    x2, y2 = ddp.batches(3, 4, "random", seed=1)
    assert (
        x1.shape == (12, 1, 28, 28)
        and x1.dtype == np.float64
        and np.array_equal(x1, x2)
        and np.array_equal(y1, y2)
    )
    with pytest.raises(ValueError, match="data must be"):
        ddp.batches(3, 4, "cifar")


def test_reference_is_single_process_adam_on_whole_batches():
    x, y = ddp.batches(2, 4, "random", seed=0)
    params, losses = ddp.reference(x, y, steps=2, global_batch=4)
    net = zoo.lenet5()
    module = torch_twin.twin(net, net.init(seed=0, dtype=np.float64), "cpu")
    opt = torch.optim.Adam(module.parameters(), lr=1e-3)
    for t in range(2):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(
            module(torch.from_numpy(x[4 * t : 4 * t + 4])), torch.from_numpy(y[4 * t : 4 * t + 4])
        ).backward()
        opt.step()
    assert sorted(params) == sorted(k for k, _ in module.named_parameters())
    for k, v in module.named_parameters():
        np.testing.assert_allclose(params[k], v.detach().numpy(), rtol=0, atol=1e-15)
    assert len(losses) == 2


def test_more_processes_than_gpus_train_on_the_cpu_with_gloo():
    assert ddp.choose_backend(torch.cuda.device_count() + 1) == ("gloo", "cpu")
    with pytest.raises(ValueError, match="local_world_size"):
        ddp.choose_backend(0)


def test_check_rejects_a_difference():
    bad = {
        "max_abs_difference": 1e-9,
        "max_abs_difference_per_parameter": {"C1.weight": 1e-9},
        "max_abs_difference_between_processes": 0.0,
    }
    with pytest.raises(AssertionError, match="C1.weight"):
        ddp.check(bad)


def test_two_processes_equal_one_process_on_the_whole_batch():
    """Two gloo processes meeting through a file: DDP equals single-process training to 1e-12."""
    equal, unequal, weighted = ddp.run_spawned(
        [
            dict(steps=6, global_batch=8),
            dict(steps=6, shards=[2, 6]),
            dict(steps=6, shards=[2, 6], weighted=True),
        ],
        world_size=2,
    )
    backend = "nccl" if torch.cuda.device_count() >= 2 else "gloo"
    assert equal["backend"] == backend and equal["world_size"] == 2 and equal["shards"] == [4, 4]
    ddp.check(equal)
    assert equal["max_abs_difference"] <= 1e-12
    assert equal["max_abs_parameter_change"] > 1e-3  # the parameters did move
    np.testing.assert_allclose(equal["losses"], equal["reference_losses"], rtol=1e-12)
    # unequal shards: DDP's plain average is not the batch mean; weighting the losses restores it
    assert unequal["max_abs_difference"] > 1e-6
    with pytest.raises(AssertionError):
        ddp.check(unequal)
    ddp.check(weighted)


def test_combine_moments_is_stable_when_the_means_dwarf_the_spread():
    # the textbook form sum n (var + mean^2) / N - mean^2 gave -2.0 here for the true 0.24
    x = np.array([1e8] * 3 + [1e8 + 1] * 2)[:, None]
    mean, var = ddp.combine_moments(
        np.array([3, 2]), np.array([[1e8], [1e8 + 1]]), np.zeros((2, 1))
    )
    assert mean[0] == x.mean() and var[0] == pytest.approx(0.24, rel=1e-12)
    # many shards of different sizes around a large offset: every level of the pairwise tree
    rng = np.random.default_rng(5)
    x = 1e7 + rng.normal(size=(101, 3))
    shards = [1, 7, 13, 2, 40, 5, 33]
    parts = [x[s] for s in ddp.shard_slices(shards)]
    mean, var = ddp.combine_moments(
        np.array(shards), np.array([p.mean(0) for p in parts]), np.array([p.var(0) for p in parts])
    )
    np.testing.assert_allclose(mean, x.mean(0), rtol=1e-15)
    np.testing.assert_allclose(var, x.var(0), rtol=1e-8)
    with pytest.raises(ValueError, match="variances must be >= 0"):
        ddp.combine_moments(np.array([1, 1]), np.zeros((2, 1)), -np.ones((2, 1)))
