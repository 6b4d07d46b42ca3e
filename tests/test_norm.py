import numpy as np
import pytest
import torch

from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance
from cnnmath.norm import (
    batchnorm_backward,
    batchnorm_backward_naive,
    batchnorm_forward,
    batchnorm_forward_naive,
    parameter_counts,
)


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 5), (2, 1, 3, 4)])
@pytest.mark.parametrize("training", [True, False])
def test_matches_torch_including_running_statistics(shape, training):
    rng = np.random.default_rng(0)
    x = rng.normal(2, 3, size=shape)
    C = shape[1]
    g, b, rm, rv = (
        rng.normal(size=C),
        rng.normal(size=C),
        rng.normal(size=C),
        rng.uniform(0.5, 2, C),
    )
    y, cache, (new_mean, new_var) = batchnorm_forward(
        x, g, b, rm, rv, training=training, momentum=0.2
    )
    G = rng.normal(size=shape)
    dx, dg, db = batchnorm_backward(G, cache)
    tx, tg, tb = (torch.tensor(v, requires_grad=True) for v in (x, g, b))
    trm, trv = torch.tensor(rm.copy()), torch.tensor(rv.copy())
    ty = torch.nn.functional.batch_norm(tx, trm, trv, tg, tb, training, 0.2, 1e-5)
    ty.backward(torch.tensor(G))
    for ours, theirs in (
        (y, ty.detach()),
        (dx, tx.grad),
        (dg, tg.grad),
        (db, tb.grad),
        (new_mean, trm),
        (new_var, trv),
    ):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)
    assert np.array_equal(rm, rm.copy())  # the inputs were not changed in place


def test_backward_matches_finite_differences_and_naive():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 2, 3, 3))
    g, b = rng.normal(size=2), rng.normal(size=2)
    stats = (np.zeros(2), np.ones(2))
    y, cache, _ = batchnorm_forward(x, g, b, *stats)
    G = rng.normal(size=x.shape)
    dx, dg, db = batchnorm_backward(G, cache)
    assert relative_error(
        dx, numerical_gradient(lambda t: batchnorm_forward(t, g, b, *stats)[0], x, G)
    ) < tolerance(np.float64)
    assert relative_error(
        dg, numerical_gradient(lambda t: batchnorm_forward(x, t, b, *stats)[0], g, G)
    ) < tolerance(np.float64)
    y_n, cache_n = batchnorm_forward_naive(x, g, b)
    dx_n, dg_n, db_n = batchnorm_backward_naive(G, cache_n)
    np.testing.assert_allclose(y_n, y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx_n, dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dg_n, dg, rtol=1e-12)


def test_training_output_is_normalized_and_counts():
    rng = np.random.default_rng(2)
    y, _, _ = batchnorm_forward(
        rng.normal(5, 4, (64, 3)), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3)
    )
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=0), 1, rtol=1e-4)
    assert parameter_counts(32) == {"trainable": 64, "non_trainable": 64}


@pytest.mark.parametrize(
    "call, pattern",
    [
        (
            lambda: batchnorm_forward(
                np.ones((4, 3)), np.ones(2), np.ones(3), np.zeros(3), np.ones(3)
            ),
            r"gamma .*\(3,\)",
        ),
        (
            lambda: batchnorm_forward(
                np.ones((1, 3)), np.ones(3), np.ones(3), np.zeros(3), np.ones(3)
            ),
            "more than one value",
        ),
        (
            lambda: batchnorm_forward(
                np.ones((4, 3, 2)), np.ones(3), np.ones(3), np.zeros(3), np.ones(3)
            ),
            "dimension",
        ),
        (
            lambda: batchnorm_forward(
                np.ones((4, 3)), np.ones(3), np.ones(3), np.zeros(3), -np.ones(3)
            ),
            "running_var",
        ),
        (
            lambda: batchnorm_forward(
                np.ones((4, 3)), np.ones(3), np.ones(3), np.zeros(3), np.ones(3), momentum=2
            ),
            "momentum",
        ),
    ],
)
def test_bad_input_is_reported(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_backward_names_a_wrong_cache_and_bad_flags():
    x = np.random.default_rng(0).normal(size=(4, 3))
    stats = (np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))
    _, cache, _ = batchnorm_forward(x, *stats)
    with pytest.raises(
        ValueError, match=r"cache must be the \(xhat, gamma, inv_std, training, m\) tuple"
    ):
        batchnorm_backward(x, cache[:4])
    with pytest.raises(TypeError, match="its item 'training' is str"):
        batchnorm_backward(x, cache[:3] + ("yes", cache[4]))
    with pytest.raises(TypeError, match="training must be True or False"):
        batchnorm_forward(x, *stats, training="no")  # "no" is truthy: it used to mean training mode
    x_inf = x.copy()
    x_inf[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"x \(shape .*\) contains 1 non-finite"):
        batchnorm_forward(x_inf, *stats)
    _, naive_cache = batchnorm_forward_naive(x, np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"dout must have the output's shape \(4, 3\)"):
        batchnorm_backward_naive(np.ones((3, 4)), naive_cache)
