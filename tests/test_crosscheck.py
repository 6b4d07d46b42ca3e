"""NumPy against PyTorch step for step (cnnmath.crosscheck): agreement, and that a bug is caught."""

import json

import numpy as np
import pytest
import torch

from cnnmath import crosscheck as cc
from cnnmath import devices, torch_twin, zoo
from cnnmath import layers as L
from cnnmath.network import Sequential

from .twin_check import check_twin


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
    small = zoo.thesis_cnn(input_shape=(1, 12, 12), dropout=0.0)  # 12x12 inputs: a fast test
    x, y = _data(8, (1, 12, 12))
    tr = cc.lockstep(small, x, y, steps=2, batch_size=4, dtypes=("float64",))
    tr.check()
    assert tr.worst["numpy-torch float64"]["buffers"].startswith("bn")
    assert 0 < tr.largest("numpy-torch float64")["buffers"] <= 1e-10


def test_common_state_compares_single_steps_in_both_dtypes():
    small = zoo.thesis_cnn(input_shape=(1, 8, 8), dropout=0.0)
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
    assert cc.longest_sum(zoo.lenet5(), 32) == 32 * 28 * 28
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


def test_lockstep_catches_a_twin_that_computes_something_else(monkeypatch):
    # a ReLU whose torch twin is (wrongly) a leaky ReLU: a bug the comparison must catch
    honest = torch_twin.module

    def leaky(layer, dtype=torch.float32):
        if isinstance(layer, L.Activation) and layer.function == "relu":
            return torch.nn.LeakyReLU(0.1)
        return honest(layer, dtype)

    monkeypatch.setattr(torch_twin, "module", leaky)
    buggy = Sequential(
        [L.Conv2d(4, 3, name="c"), L.Activation("relu"), L.Flatten(), L.Dense(10, name="d")],
        (1, 6, 6),
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
    net = zoo.lenet5()
    module = torch_twin.twin(net, net.init(seed=3, dtype=np.float32), "cpu")
    a64 = cc.compare_predictions(net, module, x, y)
    assert a64.dtype == "float64" and a64.n == 300 and a64.differences == 0
    assert a64.numpy_accuracy == a64.torch_accuracy and a64.largest_logit_difference < 1e-12
    a32 = cc.compare_predictions(net, module, x, y, dtype=np.float32)
    assert a32.dtype == "float32" and a32.largest_logit_difference < 1e-4
    assert len(a32.margins) == a32.differences
    # the NumPy side computes with the module's weights, not with a state of its own
    other = torch_twin.twin(net, net.init(seed=4, dtype=np.float32), "cpu")
    assert cc.compare_predictions(net, other, x, y).largest_logit_difference < 1e-12
    with pytest.raises(ValueError, match="dtype must be one of"):
        cc.compare_predictions(net, module, x, y, dtype="float16")


def test_train_twin_is_repeatable_and_learns():
    x, y = _data(256)
    y = (x.reshape(256, -1).mean(axis=1) > 0.5).astype(np.int64)  # a learnable rule
    net = zoo.lenet5()
    state = net.init(0, np.float32)
    before = state.copy()
    runs = [
        cc.train_twin(
            net,
            state,
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
    # the twin trained; the state it started from did not change
    for k, v in state.flat().items():
        np.testing.assert_array_equal(v, before.flat()[k])


def test_devices_are_named_and_cuda_is_never_pretended():
    assert devices.device("cpu").type == "cpu"
    assert devices.device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if torch.cuda.is_available():
        assert devices.device("cuda").type == "cuda"
    else:
        with pytest.raises(RuntimeError, match="finds no CUDA GPU"):
            devices.device("cuda")
    with pytest.raises(ValueError, match="device must be"):
        devices.device("tpu")
    info = devices.describe("cpu")
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
    net = zoo.lenet5()
    state = net.init(0, np.float32)
    _, run = cc.train_twin(net, state, x[:48], y[:48], x[48:], y[48:], epochs=2, progress="summary")
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("epoch 2/2 on cpu: training loss")
    assert f"test accuracy {run.test_accuracy[1]:.4f}" in lines[1] and "%|" not in err
    with pytest.raises(ValueError, match="progress"):
        cc.train_twin(net, state, x, y, x, y, epochs=1, progress="loud")


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

    small = zoo.thesis_cnn(input_shape=(1, 12, 12), dropout=0.0)
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


def test_gradient_difference_measures_the_backward_pass_against_autograd(monkeypatch):
    x, y = _data(4)
    lenet = zoo.lenet5()
    diff = cc.gradient_difference(lenet, lenet.init(0, np.float64), x, y)
    assert set(diff) == set(lenet.init(0).flat("params")) and max(diff.values()) < 1e-12
    # batch normalization in training mode: the state's running statistics are left as they were
    small = zoo.thesis_cnn(input_shape=(1, 8, 8), dropout=0.0)
    state = small.init(0, np.float64)
    before = state.copy()
    x8, y8 = _data(4, (1, 8, 8))
    assert max(cc.gradient_difference(small, state, x8, y8).values()) < 1e-10
    for k, v in state.flat().items():
        np.testing.assert_array_equal(v, before.flat()[k])
    # a regression network is compared through the mean squared error
    ae = Sequential(
        [L.Flatten(), L.Dense(5, name="enc"), L.Dense(64, name="dec"), L.Unflatten((1, 8, 8))],
        (1, 8, 8),
        loss="mse",
    )
    assert max(cc.gradient_difference(ae, ae.init(1), x8, x8).values()) < 1e-12
    # a twin that computes something else shows up
    honest = torch_twin.module
    monkeypatch.setattr(
        torch_twin,
        "module",
        lambda layer, dtype=torch.float32: (
            torch.nn.LeakyReLU(0.1)
            if getattr(layer, "function", None) == "relu"
            else honest(layer, dtype)
        ),
    )
    assert max(cc.gradient_difference(lenet, lenet.init(0, np.float64), x, y).values()) > 1e-3


@pytest.mark.parametrize("name", sorted(cc.NETWORKS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_compared_networks_equal_their_twins(name, dtype):
    net = cc.NETWORKS[name]()
    x, y = _data(4)
    run = check_twin(net, net.init(0, dtype), x, y)
    assert run.out.dtype == dtype and run.torch_out.dtype == dtype
    if name == "thesis_cnn":  # its running statistics moved, the same way in both
        check_twin(net, net.init(0, dtype), x, y, training=False)


def test_lockstep_takes_a_description_and_names_the_trace_after_it():
    net = zoo.thesis_cnn(input_shape=(1, 8, 8), dropout=0.0)
    x, y = _data(4, (1, 8, 8))
    tr = cc.lockstep(net, x, y, steps=1, batch_size=4, dtypes=("float64",))
    assert tr.network == net.name and tr.label.startswith(net.name)
    assert (
        cc.lockstep("thesis_cnn", *_data(4), steps=1, batch_size=4, dtypes=("float64",)).network
        == "thesis_cnn"
    )
    with pytest.raises(ValueError, match="network must be one of"):
        cc.lockstep(zoo.lenet5, x, y, steps=1, batch_size=4)  # the function, not a description


def test_write_json_replaces_the_file_whole_or_not_at_all(tmp_path):
    path = tmp_path / "sub" / "record.json"
    assert cc.write_json({"a": 1.5, "b": [1, 2]}, path) == path
    assert json.loads(path.read_text()) == {"a": 1.5, "b": [1, 2]}
    with pytest.raises(TypeError):  # not JSON: nothing is written, the old record stays
        cc.write_json({"a": object()}, path)
    assert json.loads(path.read_text()) == {"a": 1.5, "b": [1, 2]}
    assert sorted(p.name for p in path.parent.iterdir()) == ["record.json"]
    with pytest.raises(ValueError, match="directory"):
        cc.write_json({}, tmp_path)
