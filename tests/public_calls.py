"""One valid call of every public function of the package, for the systematic fuzz.

:data:`CALLS` maps ``"module.function"`` (or ``"module.Class.method"``) to a function returning
fresh ``(args, kwargs)`` of a call that works; ``tests/test_bad_inputs.py`` replaces one argument
at a time by bad values (:func:`tests.strategies.bad_values`) and asserts that each call either
works or raises a clear error naming the argument, within a time limit.

:data:`EXEMPT` names what is not fuzzed here, with the reason; a public function in neither
fails ``test_every_public_function_is_fuzzed``, so a new function cannot go unfuzzed. The calls
are small (a few examples, a few channels) so that the whole fuzz runs in about a minute.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cnnmath import activations as A
from cnnmath import (
    arguments,
    chain_rule,
    connection_table,
    conv,
    conv_transpose,
    dense,
    dropout,
    landscapes,
    lockstep,
    losses,
    lrn,
    network,
    norm,
    optim,
    perceptron,
    plots,
    pool,
    rbf,
    subsampling,
    torch_twin,
    train,
    zoo,
)
from cnnmath import data as D
from cnnmath import layers as L

Call = Callable[[], tuple[tuple, dict[str, Any]]]
CALLS: dict[str, Call] = {}
TMP = Path(tempfile.mkdtemp(prefix="cnnmath-fuzz-"))


def call(*args: Any, **kwargs: Any) -> tuple[tuple, dict[str, Any]]:
    return args, kwargs


def add(name: str, make: Call) -> None:
    assert name not in CALLS, name
    CALLS[name] = make


def arr(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


X23, W43, B4 = arr(2, 3), arr(4, 3), arr(4)
IMG = arr(2, 2, 6, 6)  # N, C, H, W
W_CONV = arr(3, 2, 3, 3)
LABELS = np.array([0, 2])


def small_net() -> network.Sequential:
    """conv - ReLU - max-pool - flatten - dense: every kind of array, in a few hundred numbers."""
    return network.Sequential(
        [L.Conv2d(2, 3, name="c"), L.ReLU(), L.MaxPool2d(2), L.Flatten(), L.Dense(3, name="d")],
        (1, 6, 6),
    )


def small_state(seed: int = 0, dtype: type = np.float64) -> network.State:
    """A fresh state of :func:`small_net` (any instance of it: they have the same shapes)."""
    return small_net().init(seed, dtype)


def small_twin(seed: int = 1) -> torch.nn.Module:
    return torch_twin.twin(small_net(), small_state(seed), "cpu")


NET = small_net()
XN, YN = arr(4, 1, 6, 6), np.array([0, 1, 2, 0])

# -- the forward passes whose caches the backward passes take (and refuse from each other) --------
FORWARDS: dict[str, Callable[[], tuple[Any, Any]]] = {
    "affine_forward": lambda: dense.affine_forward(X23, W43, B4),
    "conv2d_forward": lambda: conv.conv2d_forward(IMG, W_CONV, arr(3), 1, 1),
    "conv2d_forward_naive": lambda: conv.conv2d_forward_naive(IMG, W_CONV, arr(3), 1, 1),
    "conv_transpose2d_forward": lambda: conv_transpose.conv_transpose2d_forward(
        IMG, arr(2, 3, 3, 3), arr(3), 2
    ),
    "conv_transpose2d_forward_naive": lambda: conv_transpose.conv_transpose2d_forward_naive(
        IMG, arr(2, 3, 3, 3), arr(3), 2
    ),
    "maxpool_forward": lambda: pool.maxpool_forward(IMG, 2),
    "maxpool_forward_naive": lambda: pool.maxpool_forward_naive(IMG, 2),
    "avgpool_forward": lambda: pool.avgpool_forward(IMG, 2),
    "avgpool_forward_naive": lambda: pool.avgpool_forward_naive(IMG, 2),
    "lrn_forward": lambda: lrn.lrn_forward(IMG, 3),
    "lrn_forward_naive": lambda: lrn.lrn_forward_naive(IMG, 3),
    "batchnorm_forward": lambda: norm.batchnorm_forward(
        IMG, np.ones(2), np.zeros(2), np.zeros(2), np.ones(2)
    )[:2],
    "batchnorm_forward_naive": lambda: norm.batchnorm_forward_naive(IMG, np.ones(2), np.zeros(2)),
    "dropout_forward": lambda: dropout.dropout_forward(IMG, 0.5, rng()),
    "rbf_forward": lambda: rbf.rbf_forward(X23, W43),
    "subsample_forward": lambda: subsampling.subsample_forward(IMG, np.ones(2), np.zeros(2)),
    "table_conv_forward": lambda: connection_table.table_conv_forward(
        IMG, arr(3, 3, 3), arr(2), np.array([[True, False], [True, True]])
    ),
    "sigmoid_forward": lambda: A.sigmoid_forward(X23),
    "tanh_forward": lambda: A.tanh_forward(X23),
    "relu_forward": lambda: A.relu_forward(X23),
    "leaky_relu_forward": lambda: A.leaky_relu_forward(X23),
    "elu_forward": lambda: A.elu_forward(X23),
    "identity_forward": lambda: A.identity_forward(X23),
    "softmax_forward": lambda: A.softmax_forward(X23),
    "prelu_forward": lambda: A.prelu_forward(X23, np.full(3, 0.1)),
    "mse_forward": lambda: losses.mse_forward(X23, X23 * 0.5),
    "softmax_cross_entropy_forward": lambda: losses.softmax_cross_entropy_forward(X23, LABELS),
    "perceptron_forward": lambda: perceptron.perceptron_forward(X23, arr(3), 0.1),
    "mlp_forward": lambda: chain_rule.mlp_forward(chain_rule.init_params((3, 4, 2)), X23),
    "lenet5_forward": lambda: chain_rule.lenet5_forward(
        chain_rule.lenet5_params(0, np.float64), arr(2, 1, 28, 28)
    ),
}
_CACHES: dict[str, Any] = {}


def cache_of(producer: str) -> Any:
    """The cache ``producer`` returned (computed once; backward passes must not change it)."""
    if producer not in _CACHES:
        _CACHES[producer] = FORWARDS[producer]()[1]
    return _CACHES[producer]


def output_of(producer: str) -> Any:
    return FORWARDS[producer]()[0]


#: backward -> the forward that makes its cache (the fuzz gives it every other one's cache too)
BACKWARDS = {
    "dense.affine_backward": "affine_forward",
    "conv.conv2d_backward": "conv2d_forward",
    "conv.conv2d_backward_naive": "conv2d_forward_naive",
    "conv_transpose.conv_transpose2d_backward": "conv_transpose2d_forward",
    "conv_transpose.conv_transpose2d_backward_naive": "conv_transpose2d_forward_naive",
    "pool.maxpool_backward": "maxpool_forward",
    "pool.maxpool_backward_naive": "maxpool_forward_naive",
    "pool.avgpool_backward": "avgpool_forward",
    "pool.avgpool_backward_naive": "avgpool_forward_naive",
    "lrn.lrn_backward": "lrn_forward",
    "lrn.lrn_backward_naive": "lrn_forward_naive",
    "norm.batchnorm_backward": "batchnorm_forward",
    "norm.batchnorm_backward_naive": "batchnorm_forward_naive",
    "dropout.dropout_backward": "dropout_forward",
    "rbf.rbf_backward": "rbf_forward",
    "subsampling.subsample_backward": "subsample_forward",
    "connection_table.table_conv_backward": "table_conv_forward",
    "activations.sigmoid_backward": "sigmoid_forward",
    "activations.tanh_backward": "tanh_forward",
    "activations.relu_backward": "relu_forward",
    "activations.leaky_relu_backward": "leaky_relu_forward",
    "activations.elu_backward": "elu_forward",
    "activations.identity_backward": "identity_forward",
    "activations.softmax_backward": "softmax_forward",
    "activations.prelu_backward": "prelu_forward",
    "losses.mse_backward": "mse_forward",
    "losses.softmax_cross_entropy_backward": "softmax_cross_entropy_forward",
    "perceptron.perceptron_gradient": "perceptron_forward",
    "chain_rule.mlp_backward": "mlp_forward",
    "chain_rule.lenet5_backward": "lenet5_forward",
}
for _name, _producer in BACKWARDS.items():
    _mod, _fn = _name.split(".")
    if _fn in ("perceptron_gradient",):
        add(_name, lambda p=_producer: call(np.array([0.0, 1.0]), cache_of(p)))
    elif _mod == "losses":
        add(_name, lambda p=_producer: call(1.0, cache_of(p)))
    else:
        add(_name, lambda p=_producer: call(np.ones_like(output_of(p)), cache_of(p)))

CALLS.update(
    {
        "rounding.adam_amplification": lambda: call(1e-13, 1e-3),
        "results_cache.key": lambda: call("m.f", {"x": 1}, data=("fashion-mnist",)),
        "results_cache.cached": lambda: call(data=("fashion-mnist",)),
        "results_cache.source_digest": lambda: call(str(TMP)),
    }
)

# -- layers as functions --------------------------------------------------------------------------
CALLS.update(
    {
        "dense.affine_forward": lambda: call(X23, W43, B4),
        "conv.conv2d_forward": lambda: call(IMG, W_CONV, arr(3), 1, 1, 1, 1),
        "conv.conv2d_forward_naive": lambda: call(IMG, W_CONV, arr(3), 1, 1, 1, 1),
        "conv_transpose.conv_transpose2d_forward": lambda: call(
            IMG, arr(2, 3, 3, 3), arr(3), 2, 0, 1, 1, 1
        ),
        "conv_transpose.conv_transpose2d_forward_naive": lambda: call(
            IMG, arr(2, 3, 3, 3), arr(3), 2, 0, 1, 1, 1
        ),
        "pool.maxpool_forward": lambda: call(IMG, 2, 2, 0),
        "pool.maxpool_forward_naive": lambda: call(IMG, 2, 2, 0),
        "pool.avgpool_forward": lambda: call(IMG, 2, 2, 0),
        "pool.avgpool_forward_naive": lambda: call(IMG, 2, 2, 0),
        "lrn.lrn_forward": lambda: call(IMG, 3, 1e-4, 0.75, 1.0),
        "lrn.lrn_forward_naive": lambda: call(IMG, 3, 1e-4, 0.75, 1.0),
        "norm.batchnorm_forward": lambda: call(
            IMG, np.ones(2), np.zeros(2), np.zeros(2), np.ones(2), training=True, momentum=0.1
        ),
        "norm.batchnorm_forward_naive": lambda: call(IMG, np.ones(2), np.zeros(2), 1e-5),
        "dropout.dropout_forward": lambda: call(IMG, 0.5, rng(), training=True),
        "rbf.rbf_forward": lambda: call(X23, W43),
        "subsampling.subsample_forward": lambda: call(IMG, np.ones(2), np.zeros(2), 2, 2),
        "connection_table.table_conv_forward": lambda: call(
            IMG, arr(3, 3, 3), arr(2), np.array([[True, False], [True, True]]), 1, 0
        ),
        "activations.sigmoid_forward": lambda: call(X23),
        "activations.tanh_forward": lambda: call(X23),
        "activations.relu_forward": lambda: call(X23),
        "activations.leaky_relu_forward": lambda: call(X23, 0.01),
        "activations.elu_forward": lambda: call(X23, 1.0),
        "activations.identity_forward": lambda: call(X23),
        "activations.softmax_forward": lambda: call(X23),
        "activations.prelu_forward": lambda: call(X23, np.full(3, 0.1)),
    }
)

# -- the rest of each module ----------------------------------------------------------------------
TABLE = np.array([[True, False], [True, True]])
add("activations.sigmoid", lambda: call(X23))
add("activations.softmax", lambda: call(X23))
add("activations.softmax_jacobian", lambda: call(arr(3)))
add("activations.get", lambda: call("relu"))
add("dropout.dropout_forward_naive", lambda: call(X23, 0.5, rng()))
add("conv.conv2d_input_gradient_by_full_convolution", lambda: call(arr(2, 3, 4, 4), W_CONV, (6, 6)))
add("conv.conv_geometry", lambda: call((2, 2, 6, 6), (3, 2, 3, 3), (3,), 1, 1, 1, 1))
add("conv.flip", lambda: call(W_CONV))
add("conv.output_size", lambda: call(6, 3, 1, 1, 1))
add(
    "conv_transpose.conv_transpose_geometry",
    lambda: call((2, 2, 6, 6), (2, 3, 3, 3), (3,), 2, 0, 1, 1, 1),
)
add("conv_transpose.output_size", lambda: call(6, 3, 2, 0, 1, 1))
add("connection_table.check_table", lambda: call(TABLE, 2, 2))
add("connection_table.connections", lambda: call(TABLE))
add("lrn.channel_window_sum", lambda: call(IMG, 1, 1))
add("lrn.hyperparameters", lambda: call(3, 1e-4, 0.75, 1.0))
add("lrn.window", lambda: call(3))
add("norm.parameter_counts", lambda: call(3))
add("losses.mse_forward", lambda: call(X23, X23 * 0.5, "mean", half=False))
add("losses.binary_cross_entropy_forward", lambda: call(np.full(3, 0.5), np.array([0.0, 1, 1])))
add(
    "losses.binary_cross_entropy_backward",
    lambda: call(
        1.0, losses.binary_cross_entropy_forward(np.full(3, 0.5), np.array([0, 1.0, 1]))[1]
    ),
)
add("losses.sigmoid_cross_entropy_forward", lambda: call(arr(3), np.array([0.0, 1, 1])))
add(
    "losses.sigmoid_cross_entropy_backward",
    lambda: call(1.0, losses.sigmoid_cross_entropy_forward(arr(3), np.array([0, 1.0, 1]))[1]),
)
add("losses.log_softmax", lambda: call(X23))
add("losses.one_hot", lambda: call(LABELS, 3))
add("losses.cross_entropy_forward", lambda: call(A.softmax(X23), LABELS))
add(
    "losses.cross_entropy_backward",
    lambda: call(1.0, losses.cross_entropy_forward(A.softmax(X23), LABELS)[1]),
)
add("losses.softmax_cross_entropy_forward", lambda: call(X23, LABELS, "mean"))
add("metrics.accuracy", lambda: call(LABELS, LABELS))
add("metrics.confusion_matrix", lambda: call(LABELS, LABELS, 3))
add("metrics.per_class_recall", lambda: call(np.eye(3)))
add("init.variance", lambda: call("he_normal", 3, 4))
add("init.init_weights", lambda: call("he_normal", 3, 4, rng(), np.float64))
add("gradcheck.numerical_gradient", lambda: call(np.sin, arr(3), arr(3), 1e-6, with_error=False))
add("gradcheck.relative_error", lambda: call(arr(3), arr(3) + 1e-9, floor=None))
add("gradcheck.tolerance", lambda: call(np.float64))
add("gradcheck.error_bound", lambda: call(1e-9, 1e-12))
add("gradcheck.difference_error", lambda: call(1.0, 1.0, 2.0, 0.5, 1e-6, 1))
add("gradcheck.check_gradient", lambda: call(arr(3), arr(3), "fuzz", np.float64))
add("landscapes.quadratic", lambda: call(10.0, 1.0))
add("landscapes.rosenbrock", lambda: call())
add(
    "landscapes.trajectory",
    lambda: call(optim.Optimizer("sgd", 0.01), landscapes.quadratic()[1], (1.0, 1.0), 3),
)
for _rule in ("sgd", "adagrad", "rmsprop", "adam"):
    add(f"optim.{_rule}_update", lambda: call(np.ones(3), np.ones(3), {}, 0.1))
add("optim.cosine_lr", lambda: call(0.1, 1, 10, 0.0))
add("optim.Optimizer", lambda: call("adam", 0.01, beta1=0.9))
add(
    "optim.Optimizer.step",
    lambda: call(optim.Optimizer("sgd", 0.1), {"W": np.ones(3)}, {"W": np.ones(3)}),
)
add("perceptron.perceptron_forward", lambda: call(X23, arr(3), 0.1))
add(
    "perceptron.train_perceptron",
    lambda: call(arr(4, 2), np.array([0.0, 1, 1, 0]), eta=0.1, epochs=2, batch_size=2, seed=0),
)
add("chain_rule.init_params", lambda: call((3, 4, 2), "he_normal", 0, np.float64))
add("chain_rule.mlp_forward", lambda: call(chain_rule.init_params((3, 4, 2)), X23, "relu"))
add(
    "chain_rule.mlp_loss_and_grads",
    lambda: call(chain_rule.init_params((3, 4, 3)), X23, LABELS, "relu"),
)
add("chain_rule.n_layers", lambda: call(chain_rule.init_params((3, 4, 2))))
add("chain_rule.parameter_count", lambda: call((3, 4, 2)))
add("chain_rule.lenet5_params", lambda: call(0, np.float64))
add(
    "chain_rule.lenet5_forward",
    lambda: call(chain_rule.lenet5_params(0, np.float64), arr(2, 1, 28, 28)),
)
add(
    "chain_rule.lenet5_loss_and_grads",
    lambda: call(chain_rule.lenet5_params(0, np.float64), arr(2, 1, 28, 28), LABELS),
)

# -- layers, networks, the zoo --------------------------------------------------------------------
add("layers.Layer", lambda: call("x"))
add("layers.Activation", lambda: call("tanh", "t"))
add("layers.ReLU", lambda: call("r"))
add("layers.Tanh", lambda: call("t"))
add("layers.Sigmoid", lambda: call("s"))
add("layers.Flatten", lambda: call("f"))
add("layers.Conv2d", lambda: call(4, 3, 1, 0, 1, 1, bias=True, init="he_normal", name="c"))
add(
    "layers.ConvTranspose2d",
    lambda: call(4, 3, 2, 0, 1, 1, 1, bias=True, init="he_normal", name="c"),
)
add("layers.MaxPool2d", lambda: call(2, 2, 0, "p"))
add("layers.AvgPool2d", lambda: call(2, 2, 0, "p"))
add("layers.Dense", lambda: call(4, 3, True, "he_normal", "d"))
add("layers.BatchNorm", lambda: call(0.1, 1e-5, "b"))
add("layers.Dropout", lambda: call(0.5, "d"))
add("layers.LRN", lambda: call(3, 1e-4, 0.75, 1.0, "n"))
add("layers.Unflatten", lambda: call((2, 3, 3), "u"))
add("layers.Subsampling", lambda: call(2, 2, "s"))
add("layers.TableConv2d", lambda: call(TABLE, 3, 1, 0, True, "he_normal", "t"))
add("layers.EuclideanRBF", lambda: call(3, np.ones((3, 4)), 0, False, "r"))
add(
    "network.Sequential",
    lambda: call(
        [L.Flatten(), L.Dense(3)],
        (1, 2, 2),
        loss="softmax_cross_entropy",
        name="n",
        dtype=np.float64,
    ),
)
add("network.Sequential.init", lambda: call(small_net(), 0, np.float32))
add("network.Sequential.check_state", lambda: call(small_net(), small_state(), "state"))
add(
    "network.Sequential.forward",
    lambda: call(small_net(), small_state(), XN, training=False, stop_at="d"),
)
add("network.Sequential.backward", lambda: _backward_call())
add("network.Sequential.loss_and_grads", lambda: call(small_net(), small_state(), XN, YN))
add(
    "network.Sequential.predict_output",
    lambda: call(small_net(), small_state(), XN, 2, stop_at="d"),
)
add("network.Sequential.predict_proba", lambda: call(small_net(), small_state(), XN, 2))
add("network.Sequential.predict", lambda: call(small_net(), small_state(), XN, 2))
add("network.Sequential.evaluate_loss", lambda: call(small_net(), small_state(), XN, YN, 2))
add(
    "network.Sequential.outputs",
    lambda: call(small_net(), small_state(), XN, ["c", "d"], stop_at="d"),
)
add("network.Sequential.layer", lambda: call(small_net(), "c"))
add("network.Sequential.summary", lambda: call(small_net(), "t"))
add("network.State.flat", lambda: call(small_state(), "params"))
add("network.State.copy", lambda: call(small_state()))
add("network.check_network", lambda: call(small_net(), "net"))


def _backward_call():
    net, state = small_net(), small_state()
    out, caches = net.forward(state, XN, training=True)
    return call(net, state, np.ones_like(out), caches)


for _name in ("lenet5", "lenet5_thesis", "lenet5_keras", "lenet5_slides"):
    add(f"zoo.{_name}", lambda: call())
add("zoo.mlp", lambda: call((3, 4, 2), "tanh", "glorot_normal"))
add("zoo.lenet5_1998", lambda: call(True, 0))
add("zoo.thesis_cnn", lambda: call((1, 8, 8), 0.25))
add("zoo.alexnet", lambda: call(67, 0, 3, 2, True))
add("zoo.alexnet_one_tower", lambda: call(3))
add("zoo.torchvision_alexnet", lambda: call(3, 0.5))
add("zoo.alexnet_fashion", lambda: call("relu", 0.5, True, True, (2, 2, 2, 2, 2), 4))
add("zoo.autoencoder", lambda: call(4, (1, 8, 8), (2, 2)))
add("zoo.connections", lambda: call(NET))
add("arch.summary", lambda: call(NET, "t", counts=True))
add("receptive.receptive_fields", lambda: call(NET))
add("receptive.check_receptive_fields", lambda: call(NET))
add("receptive.gradient_support", lambda: call(NET, "c", (1, 1), 0))
add("torch_twin.module", lambda: call(small_net().layer("c"), torch.float64))
add("torch_twin.twin", lambda: call(NET, small_state(), "cpu"))
add("torch_twin.load", lambda: call(small_state(), small_twin()))
add("torch_twin.grads", lambda: _twin_grads_call())
add("devices.device", lambda: call("cpu"))
add("devices.describe", lambda: call("cpu"))
add("files.write_atomically", lambda: call(TMP / "w.txt", "text", mode=0o644))


def _twin_grads_call():
    module = small_twin()
    torch.nn.functional.cross_entropy(module(torch.from_numpy(XN)), torch.from_numpy(YN)).backward()
    return call(small_state(), module)


# -- training, data, checking ---------------------------------------------------------------------
XS, YS = arr(6, 3), np.array([0, 1, 2, 0, 1, 2])
add("train.minibatches", lambda: call(10, 3, rng()))
MLP343 = zoo.mlp((3, 4, 3))
add("train.evaluate", lambda: call(MLP343, MLP343.init(0), XS, YS, 4))
add(
    "train.fit",
    lambda: call(
        MLP343,
        MLP343.init(0),
        optim.Optimizer("sgd", 0.1),
        XS,
        YS,
        epochs=1,
        batch_size=3,
        x_val=XS,
        y_val=YS,
        seed=0,
        lr_schedule=lambda e: 0.1,
        transform=lambda x, e: x,
        progress=False,
        checkpoint=TMP / "fit.npz",
    ),
)
add("train.progress_mode", lambda: call("summary"))
add(
    "train.save_checkpoint",
    lambda: call(TMP / "ck.npz", small_state(), optim.Optimizer("sgd", 0.1), train.History()),
)
add(
    "train.load_checkpoint",
    lambda: call(train.save_checkpoint(TMP / "ld.npz", small_state()), small_state()),
)
add("data.read_idx", lambda: call(b"\0\0\x08\x01\0\0\0\x01\x05", "fuzz"))
add("data.train_test_split", lambda: call(10, 0.3, 0))
add(
    "data.split_validation",
    lambda: call(D.Dataset(arr(10, 2), np.arange(10) % 2, ("a", "b")), 3, 0),
)
add("data.standardize", lambda: call(arr(5, 3), arr(2, 3)))
add("data.to_float", lambda: call(np.arange(6, dtype=np.uint8), np.float32))
add("data.random_flip", lambda: call(arr(2, 1, 3, 4), 0, 0.5))
add("data.Dataset", lambda: call(arr(4, 2), np.arange(4) % 2, ("a", "b"), ("u", "v")))
add("data.cache_dir", lambda: call("mnist"))
add("distributed.equal_shards", lambda: call(16, 2))
add("distributed.check_shards", lambda: call([5, 11], 2))
add("distributed.shard_slices", lambda: call([5, 11]))
add("distributed.loss_weights", lambda: call([5, 11], True))
add("distributed.combine_moments", lambda: call(np.array([2, 3]), arr(2, 4), np.ones((2, 4))))
add("distributed.batches", lambda: call(2, 4, "random", 0))
add("distributed.choose_backend", lambda: call(1))
add("distributed.reference", lambda: call(arr(2, 1, 28, 28), LABELS, steps=1, global_batch=2))
add("distributed.check", lambda: call(_distributed_result(), 1e-12))


def _distributed_result() -> dict[str, Any]:
    return {
        "max_abs_difference": 0.0,
        "max_abs_difference_per_parameter": {"C1.weight": 0.0},
        "max_abs_difference_between_processes": 0.0,
    }


XC, YC = np.random.default_rng(0).random((8, 1, 6, 6)), np.array([0, 1, 2, 0, 1, 2, 0, 1])
add("rounding.relative_difference", lambda: call(arr(3), arr(3) + 1e-9))
add("rounding.tf32_round", lambda: call(arr(3).astype(np.float32)))
add("rounding.longest_sum", lambda: call(NET, 4))
add("rounding.before_batch_norm", lambda: call(NET))
add("rounding.float32_tolerance", lambda: call(1e-6, 100))
add("lockstep.described", lambda: call(small_net()))
add("lockstep.gradient_difference", lambda: call(small_net(), small_state(), XC, YC))
add(
    "lockstep.lockstep",
    lambda: call(small_net(), XC, YC, steps=2, batch_size=4, lr=1e-3, seed=0, common_state=True),
)
add(
    "twin_training.train_twin",
    lambda: call(
        small_net(),
        small_state(0, np.float32),
        XC,
        YC,
        XC,
        YC,
        epochs=1,
        batch_size=4,
        lr=1e-3,
        seed=0,
        device="cpu",
        progress=False,
    ),
)
add(
    "twin_training.compare_predictions",
    lambda: call(small_net(), small_twin(), XC, YC, device="cpu", batch_size=4),
)
add(
    "twin_training.step_times",
    lambda: call(small_net(), 2, "float32", devices=("cpu",), repeats=1),
)
add("crosscheck.write_json", lambda: call({"a": 1}, TMP / "r.json"))
add(
    "crosscheck.record",
    lambda: call(
        "cpu", {}, [lockstep.lockstep(small_net(), XC, YC, steps=1, batch_size=4)], (), None, None
    ),
)
add("timing.throughput", lambda: call(lambda: None, 4, repeats=1, warmup=0, rounds=1))
add(
    "timing.per_step",
    lambda: call(lambda: None, repeats=1, warmup=0, rounds=1, keep_freed=False),
)
add("timing.mlp_training_throughput", lambda: call((3, 4, 2), 4, np.float32, 1))
add("timing.layer_throughput", lambda: call("dropout", np.float32, 4, 1, False))
add("timing.lenet5_list_vs_hand", lambda: call(np.float32, 2, 1, 1))
add("plots.function_and_derivative", lambda: call(np.linspace(-1, 1, 5), arr(5), arr(5), "f"))
add("plots.curves", lambda: call({"loss": [1.0, 0.5]}, xlabel="epoch", title="t", logy=False))
add(
    "plots.decision_boundary",
    lambda: call(lambda t: np.full(len(t), 0.5), arr(6, 2), np.arange(6) % 2),
)
add("plots.confusion", lambda: call(np.eye(3), ("a", "b", "c"), normalize=True, title="t"))
add(
    "plots.predictions",
    lambda: call(np.zeros((2, 1, 4, 4)), np.full((2, 3), 1 / 3), LABELS, ("a", "b", "c"), cols=2),
)
add("plots.chain_diagram", lambda: call(["a", "b"], ["f"], ["g"], title="t"))
add(
    "plots.alt", lambda: call(plots.curves({"loss": [1.0, 0.5]}), "A falling loss.", complete=False)
)
add("plots.describe", lambda: call(plots.curves({"loss": [1.0, 0.5]})))
add("plots.architecture", lambda: call(NET, title="t"))
add("torch_twin.adam", lambda: call(small_twin(), 1e-3))
#: Public callables not fuzzed here, and why.
EXEMPT: dict[str, str] = {
    **{
        f"arguments.{n}": "a check itself: each raises for bad values by design (tests/test_arguments.py)"
        for n in arguments.__all__
        if n != "NUMBER"
    },
    "crosscheck.main": "a command line: fuzzed through its arguments (test_command_lines_refuse_bad_arguments)",
    "distributed.main": "a command line: fuzzed through its arguments (test_command_lines_refuse_bad_arguments)",
    "distributed.train": "one process of a process group (torchrun): tests/test_distributed.py runs it",
    "distributed.run_spawned": "spawns processes (minutes): tests/test_distributed.py runs it",
    "results_cache.folder": "takes no argument",
    "determinism.deterministic": "switches torch's global determinism: tests/test_determinism.py",
    "determinism.install": "writes into site-packages: tests/test_determinism.py",
    "determinism.main": "a command line: tests/test_determinism.py",
    "determinism.fingerprint": "runs a LeNet-5 step (seconds): tests/test_determinism.py",
    "timing.machine": "takes no argument",
    "allocator.keep_freed_memory": (
        "a with-block that changes the process's malloc settings: tests/test_allocator.py "
        "refuses its bad limits"
    ),
    "allocator.thresholds": "takes no argument",
    "devices.cpu_model": "takes no argument",
    "network.State": "a record made by Sequential.init (its methods are fuzzed above)",
    "network.Trainable": "a typing.Protocol: the contract fit trains, not a function",
    "data.load_iris": "takes no argument",
    "data.load_digits": "takes no argument",
    "data.load_fashion_mnist": "reads a dataset (seconds): bad roots in CASES",
    "data.load_mnist": "reads a dataset: bad roots in CASES",
    "data.load_cifar10": "reads a dataset: bad roots in CASES",
    "data.download": "reaches the network: bad names in CASES",
    "data.verify_file": "hashes a dataset file: bad paths and specs in CASES",
    "data.DatasetNotFoundError": "an exception class",
    "data.DatasetCorruptError": "an exception class",
    "network.NetworkError": "an exception class",
    **{
        f"{m}.{n}": "a record (dataclass) the package fills in"
        for m, n in (
            ("arch", "LayerRow"),
            ("arch", "Summary"),
            ("conv", "ConvGeometry"),
            ("conv_transpose", "ConvTransposeGeometry"),
            ("twin_training", "Agreement"),
            ("lockstep", "Trace"),
            ("twin_training", "Training"),
            ("data", "FileSpec"),
            ("data", "DatasetSpec"),
            ("perceptron", "PerceptronFit"),
            ("receptive", "Field"),
            ("train", "History"),
        )
    },
    **{
        f"activations.sym_{n}": "a SymPy definition: SymPy checks its own arguments"
        for n in ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "softmax")
    },
}
