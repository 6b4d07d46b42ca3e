"""NumPy against PyTorch step for step (cnnmath.crosscheck): agreement, and that a bug is caught."""

import json

import numpy as np
import pytest
import torch

from cnnmath import crosscheck as cc
from cnnmath import layers as L
from cnnmath import zoo
from cnnmath.network import Sequential


def test_relative_difference():
    b = np.array([1.0, -4.0, 2.0])
    assert cc.relative_difference(b, b) == 0.0
    assert cc.relative_difference(b + np.array([0, 0, 1e-3]), b) == pytest.approx(1e-3 / 4)
    assert cc.relative_difference(np.zeros(3), np.zeros(3)) == 0.0
    assert cc.relative_difference(np.array([1e-30]), np.zeros(1)) == float("inf")
    with pytest.raises(ValueError, match="shapes"):
        cc.relative_difference(np.zeros(2), np.zeros(3))


def _data(n, shape=(1, 28, 28), seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, *shape)), rng.integers(0, 10, n)


def test_lenet5_numpy_and_torch_agree_step_for_step():
    x, y = _data(12)
    tr = cc.lockstep("lenet5", x, y, steps=3, batch_size=4)
    assert set(tr.diffs) == {
        "numpy-torch float64",
        "numpy-torch float32",
        "numpy float32-float64",
        "torch float32-float64",
    }
    assert all(len(v) == 3 for d in tr.diffs.values() for v in d.values())
    assert tr.required == ("float64",)  # free-running float32 trajectories may drift apart
    tr.check()
    assert tr.largest("numpy-torch float64")["params"] <= 1e-12
    # the float32 runs differ from the float64 runs (a comparison blind to float32 would pass all)
    assert tr.largest("numpy float32-float64")["grads"] > 1e-9
    # the losses are the losses of real training steps: both implementations give the same ones
    np.testing.assert_allclose(tr.losses["numpy float64"], tr.losses["torch float64"], rtol=1e-12)


def test_thesis_cnn_agrees_with_batch_norm_buffers():
    def small(seed, dtype):  # the thesis CNN on 12x12 inputs, to keep the test fast
        return zoo.thesis_cnn(seed=seed, dtype=dtype, input_shape=(1, 12, 12), dropout=0.0)

    x, y = _data(8, (1, 12, 12))
    tr = cc.lockstep(small, x, y, steps=2, batch_size=4, dtypes=("float64",))
    tr.check()
    assert tr.worst["numpy-torch float64"]["buffers"].startswith("bn")
    assert 0 < tr.largest("numpy-torch float64")["buffers"] <= 1e-10


def test_common_state_compares_single_steps_in_both_dtypes():
    def small(seed, dtype):
        return zoo.thesis_cnn(seed=seed, dtype=dtype, input_shape=(1, 8, 8), dropout=0.0)

    x, y = _data(12, (1, 8, 8))
    free = cc.lockstep(small, x, y, steps=3, batch_size=4)
    common = cc.lockstep(small, x, y, steps=3, batch_size=4, common_state=True)
    assert common.required == ("float64", "float32")
    common.check()
    # from one state, float32 and float64 differ by one step's rounding: less than after free runs
    assert (
        common.largest("numpy float32-float64")["params"]
        < free.largest("numpy float32-float64")["params"]
    )
    # alone, a float64 run from a common state starts like the free run (the same initial weights)
    common64 = cc.lockstep(
        small, x, y, steps=1, batch_size=4, dtypes=("float64",), common_state=True
    )
    for q in cc.QUANTITIES:
        assert (
            common64.diffs["numpy-torch float64"][q][0] == free.diffs["numpy-torch float64"][q][0]
        )


def _dense_gradients_scaled(monkeypatch, factor):
    """Scale every Dense gradient by ``factor`` in float32 only: a bug float32 must not hide."""
    honest = L.Dense.backward

    def backward(self, p, dout, cache, *, need_dx=True):
        dx, grads = honest(self, p, dout, cache, need_dx=need_dx)
        if dout.dtype == np.float32:
            grads = {k: v * np.float32(factor) for k, v in grads.items()}
        return dx, grads

    monkeypatch.setattr(L.Dense, "backward", backward)


def test_float32_tolerances_are_derived_and_catch_a_one_percent_error(monkeypatch):
    # issue 18: with a flat float32 tolerance of 1e-1, Dense gradients 8% off passed
    x, y = _data(96)
    honest = cc.lockstep("lenet5", x, y, steps=3, batch_size=32, common_state=True)
    honest.check()
    assert 0 < max(float(r.max()) for r in honest.float32_ratio.values()) < 0.5
    # each array's tolerance comes from torch's own float32 error, floored by sqrt(K) u32
    assert cc.longest_sum(zoo.lenet5(0, np.float64), 32) == 32 * 28 * 28
    assert cc.float32_tolerance(0.0, 32 * 28 * 28) == 4 * np.sqrt(25088) * 2.0**-24
    assert cc.float32_tolerance(float("inf"), 1) == 4 * (1 + 2.0**-24)
    for factor in (1.01, 0.99, 1.08):
        _dense_gradients_scaled(monkeypatch, factor)
        bad = cc.lockstep("lenet5", x, y, steps=3, batch_size=32, common_state=True)
        with pytest.raises(AssertionError, match=r"the grads differ by .* times the tolerance"):
            bad.check()
        assert bad.float32_worst["grads"].startswith(("F5", "F6", "F7"))
    # float64 is untouched by the float32 bug, and a free-running trace checks float64 only
    assert bad.largest("numpy-torch float64")["grads"] < 1e-12
    with pytest.raises(ValueError, match="float64"):
        cc.lockstep("lenet5", x, y, steps=1, batch_size=32, dtypes=("float32",), common_state=True)


class _LeakyTwin(L.Activation):
    """ReLU in NumPy whose torch twin is (wrongly) a leaky ReLU: a bug the comparison must catch."""

    def torch_module(self, dtype):
        return torch.nn.LeakyReLU(0.1)


def test_lockstep_catches_a_twin_that_computes_something_else():
    def buggy(seed, dtype):
        return Sequential(
            [L.Conv2d(4, 3, name="c"), _LeakyTwin("relu"), L.Flatten(), L.Dense(10, name="d")],
            (1, 6, 6),
            seed=seed,
            dtype=dtype,
        )

    x, y = _data(8, (1, 6, 6))
    tr = cc.lockstep(buggy, x, y, steps=2, batch_size=4, dtypes=("float64",))
    assert tr.largest("numpy-torch float64")["grads"] > 1e-3
    with pytest.raises(AssertionError, match="differ by up to"):
        tr.check()


def test_lockstep_rejects_bad_arguments():
    x, y = _data(8)
    with pytest.raises(ValueError, match="need 12"):
        cc.lockstep("lenet5", x, y, steps=3, batch_size=4)
    with pytest.raises(ValueError, match="network must be one of"):
        cc.lockstep("alexnet-9000", x, y, steps=1, batch_size=4)
    with pytest.raises(ValueError, match="dtypes"):
        cc.lockstep("lenet5", x, y, steps=1, batch_size=4, dtypes=("float16",))


def test_predictions_agree_in_float64():
    x, y = _data(300)
    module = zoo.lenet5(seed=3, dtype=np.float32).twin("cpu")
    a64 = cc.compare_predictions(zoo.lenet5(seed=0, dtype=np.float64), module, x, y)
    assert a64.n == 300 and a64.differences == 0 and a64.numpy_accuracy == a64.torch_accuracy
    assert a64.largest_logit_difference < 1e-12
    a32 = cc.compare_predictions(zoo.lenet5(seed=0, dtype=np.float32), module, x, y)
    assert a32.largest_logit_difference < 1e-4 and len(a32.margins) == a32.differences


def test_train_twin_is_repeatable_and_learns():
    x, y = _data(256)
    y = (x.reshape(256, -1).mean(axis=1) > 0.5).astype(np.int64)  # a learnable rule
    runs = [
        cc.train_twin(
            zoo.lenet5(0, np.float32),
            x[:192],
            y[:192],
            x[192:],
            y[192:],
            epochs=2,
            batch_size=32,
            progress=False,
        )[1]
        for _ in range(2)
    ]
    assert (
        runs[0].train_loss == runs[1].train_loss and runs[0].test_accuracy == runs[1].test_accuracy
    )
    assert (
        runs[0].epochs == 2
        and runs[0].device == "cpu"
        and runs[0].train_loss[1] < runs[0].train_loss[0]
    )


def test_devices_are_named_and_cuda_is_never_pretended():
    assert cc.pick_device("cpu").type == "cpu"
    assert cc.pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if torch.cuda.is_available():
        assert cc.pick_device("cuda").type == "cuda"
    else:
        with pytest.raises(RuntimeError, match="finds no CUDA GPU"):
            cc.pick_device("cuda")
    with pytest.raises(ValueError, match="device must be"):
        cc.pick_device("tpu")
    info = cc.describe_device("cpu")
    assert info["device_name"].startswith("CPU") and info["torch"] == torch.__version__
    assert "cuda" not in info


def test_command_line_writes_the_record(tmp_path):
    out = tmp_path / "record.json"
    before = torch.are_deterministic_algorithms_enabled()
    try:
        rc = cc.main(
            [
                "--device",
                "cpu",
                "--networks",
                "lenet5",
                "--steps",
                "2",
                "--batch-size",
                "4",
                "--epochs",
                "1",
                "--data",
                "random",
                "--timing-repeats",
                "1",
                "--json",
                str(out),
            ]
        )
    finally:
        torch.use_deterministic_algorithms(before)
    rec = json.loads(out.read_text())
    assert rc == 0
    assert rec["machine"]["device"] == "cpu" and rec["machine"]["device_name"].startswith("CPU")
    assert rec["tolerances"]["float64"] == cc.TOLERANCES["float64"]
    assert rec["float32_margin"] == cc.FLOAT32_MARGIN and rec["within_tolerances"] == {
        "lenet5, free-running": True,
        "lenet5, from a common state": True,
    }
    steps = rec["lockstep"][0]["largest_difference_per_step"]["numpy-torch float64"]["params"]
    assert len(steps) == 2 and max(steps) <= 1e-8
    assert [p["dtype"] for p in rec["predictions"]] == ["float64", "float32"]
    assert rec["predictions"][0]["differences"] == 0
    assert set(rec["step_milliseconds"]["lenet5"]) == {"numpy (CPU)", "torch (CPU)"}
    assert len(rec["training"]["test_accuracy"]) == 1


def test_train_twin_progress_summary_prints_one_line_per_epoch(capsys):
    x, y = _data(64)
    y = (x.reshape(64, -1).mean(axis=1) > 0.5).astype(np.int64)
    _, run = cc.train_twin(
        zoo.lenet5(0, np.float32), x[:48], y[:48], x[48:], y[48:], epochs=2, progress="summary"
    )
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("epoch 2/2 on cpu: training loss")
    assert f"test accuracy {run.test_accuracy[1]:.4f}" in lines[1] and "%|" not in err
    with pytest.raises(ValueError, match="progress"):
        cc.train_twin(zoo.lenet5(0, np.float32), x, y, x, y, epochs=1, progress="loud")


def test_adam_amplification_bounds_the_float64_weights_and_catches_a_wrong_optimizer(monkeypatch):
    # the slope of Adam's first step eta*g/(|g| + eps) is at most eta/eps, reached at g = 0
    eps, lr, dg = 1e-8, 1e-3, 1e-16
    first = lr * dg / (dg + eps)
    assert first <= cc.adam_amplification(dg, lr, eps)
    assert cc.adam_amplification(dg, lr, eps) == pytest.approx(
        lr * (3.0096 + np.sqrt(1e-3)) / eps * dg, rel=1e-4
    )
    with pytest.raises(ValueError, match="dgrad"):
        cc.adam_amplification(-1.0, lr)

    def small(seed, dtype):
        return zoo.thesis_cnn(seed=seed, dtype=dtype, input_shape=(1, 12, 12), dropout=0.0)

    x, y = _data(8, (1, 12, 12))
    honest = cc.lockstep(small, x, y, steps=2, batch_size=4, dtypes=("float64",))
    honest.check()
    assert (honest.float64_params_allowed > 0).all()

    class OffByOnePercent(cc.Optimizer):  # an optimizer whose learning rate is 1% too large
        def step(self, params, grads):
            lr, self.lr = self.lr, self.lr * 1.01
            try:
                super().step(params, grads)
            finally:
                self.lr = lr

    monkeypatch.setattr(cc, "Optimizer", OffByOnePercent)
    wrong = cc.lockstep(small, x, y, steps=2, batch_size=4, dtypes=("float64",))
    with pytest.raises(AssertionError, match="params differ"):
        wrong.check()
