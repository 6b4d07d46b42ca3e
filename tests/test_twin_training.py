"""The torch twin trained on a device and predicted by NumPy (cnnmath.twin_training)."""

import numpy as np
import pytest

from cnnmath import torch_twin, twin_training, zoo

from .twin_check import random_batch


def test_predictions_agree_in_float64():
    x, y = random_batch(300)
    net = zoo.lenet5()
    module = torch_twin.twin(net, net.init(seed=3, dtype=np.float32), "cpu")
    a64 = twin_training.compare_predictions(net, module, x, y)
    assert a64.dtype == "float64" and a64.n == 300 and a64.differences == 0
    assert a64.numpy_accuracy == a64.torch_accuracy and a64.largest_logit_difference < 1e-12
    a32 = twin_training.compare_predictions(net, module, x, y, dtype=np.float32)
    assert a32.dtype == "float32" and a32.largest_logit_difference < 1e-4
    assert len(a32.margins) == a32.differences
    # the NumPy side computes with the module's weights, not with a state of its own
    other = torch_twin.twin(net, net.init(seed=4, dtype=np.float32), "cpu")
    assert twin_training.compare_predictions(net, other, x, y).largest_logit_difference < 1e-12
    with pytest.raises(ValueError, match="dtype must be one of"):
        twin_training.compare_predictions(net, module, x, y, dtype="float16")
    with pytest.raises(ValueError, match="dtype must be one of"):
        twin_training.compare_predictions(net, module, x, y, dtype={})


def test_train_twin_is_repeatable_and_learns():
    x, y = random_batch(256)
    y = (x.reshape(256, -1).mean(axis=1) > 0.5).astype(np.int64)  # a learnable rule
    net = zoo.lenet5()
    state = net.init(0, np.float32)
    before = state.copy()
    runs = [
        twin_training.train_twin(
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


def test_train_twin_progress_summary_prints_one_line_per_epoch(capsys):
    x, y = random_batch(64)
    y = (x.reshape(64, -1).mean(axis=1) > 0.5).astype(np.int64)
    net = zoo.lenet5()
    state = net.init(0, np.float32)
    _, run = twin_training.train_twin(
        net, state, x[:48], y[:48], x[48:], y[48:], epochs=2, progress="summary"
    )
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("epoch 2/2 on cpu: training loss")
    assert f"test accuracy {run.test_accuracy[1]:.4f}" in lines[1] and "%|" not in err
    with pytest.raises(ValueError, match="progress"):
        twin_training.train_twin(net, state, x, y, x, y, epochs=1, progress="loud")


def test_step_times_names_each_implementation_and_device():
    net = zoo.thesis_cnn(input_shape=(1, 8, 8), dropout=0.0)
    times = twin_training.step_times(net, 4, "float64", devices=("cpu",), repeats=1)
    assert set(times) == {"numpy (CPU)", "torch (CPU)"} and all(t > 0 for t in times.values())
    with pytest.raises(ValueError, match="dtype must be one of"):
        twin_training.step_times("lenet5", 4, "float16", devices=("cpu",), repeats=1)
    with pytest.raises(TypeError, match="devices"):
        twin_training.step_times("lenet5", 4, devices="cpu", repeats=1)
