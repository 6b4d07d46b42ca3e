"""Every public function and command line refuses bad input with a clear error, in four parts.

1. CASES (below): hand-written bad values per argument of the training-side functions, with the
   semantic faults a type cannot show (soft targets, labels out of range).
2. The systematic fuzz: every public function of every module (tests/public_calls.py holds one
   valid call of each; a new function fails test_every_public_function_is_fuzzed), every
   argument replaced in turn by bad values chosen by its type (tests.strategies.bad_values),
   other layers' caches included, each call within a time limit.
3. A Hypothesis property over every array argument: any shape, dtype and empty axis.
4. The command lines: every ``python -m cnnmath...`` answers a bad option with exit 2 and no
   traceback; crosscheck's and distributed's bad values are usage errors naming the option.

In part 1, for each argument of each public function, Hypothesis draws bad values (wrong shapes and lengths,
nan and inf, objects that are no numbers, out-of-range hyperparameters, labels that are negative,
too large, fractional or of the wrong length, caches of the wrong kind) and the test asserts a
``ValueError`` or ``TypeError`` that

- is raised by an explicit ``raise`` in cnnmath (not deep inside NumPy, not an unpacking error), and
- names the argument in its message.

The semantic cases the fuzz of issue 12 found (soft targets that do not sum to 1, labels that
broadcast, tiny gradients that passed the check) have their own tests in the module test files.
conv and pool have their own bad-input tests (tests/test_conv.py, tests/test_pool.py).
"""

from __future__ import annotations

import linecache
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnnmath import activations as A
from cnnmath import data as D
from cnnmath import dense, dropout, zoo
from cnnmath import gradcheck as G
from cnnmath import init as I
from cnnmath import losses as L
from cnnmath import metrics as M
from cnnmath import norm as N
from cnnmath import optim as O
from cnnmath import perceptron as P
from cnnmath import plots as PL
from cnnmath import train as T

from .strategies import (
    bad_arrays,
    bad_caches,
    bad_flags,
    bad_generators,
    bad_ints,
    bad_labels,
    bad_positive_numbers,
    bad_probabilities,
    bad_seeds,
    non_finite,
    not_numbers,
    wrong_shape,
)

matplotlib.use("Agg")


def _arr(*shape: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


X23, W43, B4 = _arr(2, 3), _arr(4, 3), _arr(4)
PROBS = A.softmax(_arr(2, 3))
Y2 = np.array([0, 2])
R3, T3 = np.array([0.2, 0.7, 0.5]), np.array([0.0, 1.0, 1.0])
XS, YS = _arr(6, 3), np.array([0, 1, 2, 0, 1, 2])
TMP = Path(__import__("tempfile").mkdtemp())


@dataclass
class Case:
    """``call(value)`` runs the function with ``value`` in place of argument ``arg``; ``names`` may
    appear."""

    fn: str
    arg: str
    strategy: st.SearchStrategy
    call: Callable[[object], object]
    names: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.fn}-{self.arg}"


CASES: list[Case] = []


def case(
    fn: str, arg: str, strategy: st.SearchStrategy, call: Callable[[object], object], *names: str
) -> None:
    CASES.append(Case(fn, arg, strategy, call, names or (arg,)))


dlosses = st.one_of(not_numbers, st.sampled_from([np.nan, np.inf, np.ones(3), True]))
any_shape = st.one_of(
    not_numbers, non_finite(X23)
)  # for elementwise functions every shape is valid
out_of_unit = st.sampled_from(
    [np.array([1.2, 0.5, 0.5]), np.array([-0.1, 0.5, 0.5]), np.array([0.5, 2.0, 0.0])]
)

# ----------------------------------------------------------------------------------------- losses
case("mse_forward", "r", bad_arrays(X23), lambda v: L.mse_forward(v, X23))
case("mse_forward", "y", bad_arrays(X23), lambda v: L.mse_forward(X23, v))
case(
    "mse_forward",
    "reduction",
    st.sampled_from(["max", "MEAN", None, 1]),
    lambda v: L.mse_forward(X23, X23, v),
)
case("mse_forward", "half", bad_flags, lambda v: L.mse_forward(X23, X23, half=v))
for name, fwd, args in (
    ("mse", L.mse_forward, (X23, X23)),
    ("binary_cross_entropy", L.binary_cross_entropy_forward, (R3, T3)),
    ("sigmoid_cross_entropy", L.sigmoid_cross_entropy_forward, (R3, T3)),
    ("cross_entropy", L.cross_entropy_forward, (PROBS, Y2)),
    ("softmax_cross_entropy", L.softmax_cross_entropy_forward, (X23, Y2)),
):
    bwd = getattr(L, f"{name}_backward")
    _, cache = fwd(*args)
    case(f"{name}_backward", "dloss", dlosses, lambda v, bwd=bwd, cache=cache: bwd(v, cache))
    case(f"{name}_backward", "cache", bad_caches, lambda v, bwd=bwd: bwd(1.0, v))
case(
    "binary_cross_entropy_forward",
    "r",
    st.one_of(bad_arrays(R3), out_of_unit),
    lambda v: L.binary_cross_entropy_forward(v, T3),
)
case(
    "binary_cross_entropy_forward",
    "y",
    st.one_of(bad_arrays(T3), out_of_unit),
    lambda v: L.binary_cross_entropy_forward(R3, v),
)
case(
    "sigmoid_cross_entropy_forward",
    "z",
    bad_arrays(R3),
    lambda v: L.sigmoid_cross_entropy_forward(v, T3),
)
case(
    "sigmoid_cross_entropy_forward",
    "y",
    st.one_of(bad_arrays(T3), out_of_unit),
    lambda v: L.sigmoid_cross_entropy_forward(R3, v),
)
case(
    "log_softmax",
    "z",
    st.one_of(
        not_numbers, non_finite(X23), wrong_shape((2, 3), min_dims=3), st.just(np.float64(1.0))
    ),
    L.log_softmax,
)
case(
    "one_hot",
    "y",
    bad_labels(3, 3, kinds=("negative", "too large", "fractional", "nan", "matrix", "text")),
    lambda v: L.one_hot(v, 3),
)
case("one_hot", "num_classes", bad_ints(1), lambda v: L.one_hot(np.array([0, 0]), v))
soft_targets = st.sampled_from(
    [
        np.full((2, 3), 0.5),
        np.array([[1.5, -0.5, 0.0], [0, 0, 1]]),
        np.array([[0.2, 0.2, 0.2], [1, 0, 0]]),
        np.ones((2, 4)) / 4,
    ]
)
case(
    "cross_entropy_forward",
    "r",
    st.one_of(
        not_numbers,
        non_finite(PROBS),
        st.just(np.full((2, 3), 0.2)),
        st.just(PROBS * 2),
        wrong_shape((2, 3), min_dims=3),
    ),
    lambda v: L.cross_entropy_forward(v, Y2),
)
case(
    "cross_entropy_forward",
    "y",
    st.one_of(bad_labels(2, 3), soft_targets),
    lambda v: L.cross_entropy_forward(PROBS, v),
)
case(
    "softmax_cross_entropy_forward",
    "z",
    st.one_of(not_numbers, non_finite(X23), wrong_shape((2, 3), min_dims=3)),
    lambda v: L.softmax_cross_entropy_forward(v, Y2),
)
case(
    "softmax_cross_entropy_forward",
    "y",
    st.one_of(bad_labels(2, 3), soft_targets),
    lambda v: L.softmax_cross_entropy_forward(X23, v),
)
case(
    "softmax_cross_entropy_forward",
    "reduction",
    st.sampled_from(["avg", None]),
    lambda v: L.softmax_cross_entropy_forward(X23, Y2, v),
)

# ------------------------------------------------------------------------------------------ dense
case(
    "affine_forward",
    "x",
    st.one_of(
        not_numbers,
        non_finite(X23),
        wrong_shape((2, 3)).filter(lambda a: a.ndim < 2 or a[0].size != 3),
    ),
    lambda v: dense.affine_forward(v, W43, B4),
)
case("affine_forward", "w", bad_arrays(W43), lambda v: dense.affine_forward(X23, v, B4))
case("affine_forward", "b", bad_arrays(B4), lambda v: dense.affine_forward(X23, W43, v))
_, AFF = dense.affine_forward(X23, W43, B4)
case("affine_backward", "dz", bad_arrays(_arr(2, 4)), lambda v: dense.affine_backward(v, AFF))
case("affine_backward", "cache", bad_caches, lambda v: dense.affine_backward(_arr(2, 4), v))
case("affine_backward", "need_dx", bad_flags, lambda v: dense.affine_backward(_arr(2, 4), AFF, v))

# ---------------------------------------------------------------------------------------- dropout
case(
    "dropout_forward",
    "x",
    any_shape,
    lambda v: dropout.dropout_forward(v, 0.5, np.random.default_rng(0)),
)
case(
    "dropout_forward",
    "p",
    bad_probabilities,
    lambda v: dropout.dropout_forward(X23, v, np.random.default_rng(0)),
)
case("dropout_forward", "rng", bad_generators, lambda v: dropout.dropout_forward(X23, 0.5, v))
case(
    "dropout_forward",
    "training",
    bad_flags,
    lambda v: dropout.dropout_forward(X23, 0.5, None, training=v),
)
_, MASK = dropout.dropout_forward(X23, 0.5, np.random.default_rng(0))
case(
    "dropout_backward",
    "dout",
    bad_arrays(X23),
    lambda v: dropout.dropout_backward(v, MASK),
    "dout",
    "mask",
)
case(
    "dropout_backward",
    "mask",
    st.one_of(
        st.sampled_from(["mask", (1, 2), [[1.0, 2.0, 3.0]] * 2, np.ones((2, 3), int)]),
        wrong_shape((2, 3)),
    ),
    lambda v: dropout.dropout_backward(X23, v),
    "mask",
    "dout",
)
case(
    "dropout_forward_naive",
    "x",
    any_shape,
    lambda v: dropout.dropout_forward_naive(v, 0.5, np.random.default_rng(0)),
)
case(
    "dropout_forward_naive",
    "p",
    bad_probabilities,
    lambda v: dropout.dropout_forward_naive(X23, v, np.random.default_rng(0)),
)
case(
    "dropout_forward_naive",
    "rng",
    st.one_of(bad_generators, st.none()),
    lambda v: dropout.dropout_forward_naive(X23, 0.5, v),
)

# -------------------------------------------------------------------------------------- gradcheck
case(
    "numerical_gradient",
    "f",
    st.sampled_from([None, "sin", 3]),
    lambda v: G.numerical_gradient(v, R3),
)
case(
    "numerical_gradient",
    "f(x)",
    st.sampled_from(["a", None, {"a": 1}]),
    lambda v: G.numerical_gradient(lambda t: v, R3),
)
case("numerical_gradient", "x", any_shape, lambda v: G.numerical_gradient(np.sin, v))
case(
    "numerical_gradient",
    "upstream",
    bad_arrays(R3).filter(lambda v: v is not None),  # None: all ones
    lambda v: G.numerical_gradient(np.sin, R3, v),
)
case(
    "numerical_gradient", "h", bad_positive_numbers, lambda v: G.numerical_gradient(np.sin, R3, h=v)
)
case("relative_error", "a", bad_arrays(R3), lambda v: G.relative_error(v, R3))
case("relative_error", "b", bad_arrays(R3), lambda v: G.relative_error(R3, v))
case("relative_error", "floor", bad_positive_numbers, lambda v: G.relative_error(R3, R3, floor=v))
case("tolerance", "dtype", st.sampled_from([np.float16, int, "abc", None, np.int32]), G.tolerance)
case("error_bound", "err", st.sampled_from([-1.0, np.nan, np.inf, "x", None]), G.error_bound)
case("error_bound", "floor", bad_positive_numbers, lambda v: G.error_bound(1e-9, v))
case("check_gradient", "analytic", bad_arrays(R3), lambda v: G.check_gradient(v, R3, "toy"))
case("check_gradient", "reference", bad_arrays(R3), lambda v: G.check_gradient(R3, v, "toy"))
case(
    "check_gradient",
    "what",
    st.sampled_from([None, 3, ["toy"]]),
    lambda v: G.check_gradient(R3, R3, v),
)
case(
    "check_gradient",
    "dtype",
    st.sampled_from([np.float16, "abc", None]),
    lambda v: G.check_gradient(R3, R3, "t", v),
)

# ------------------------------------------------------------------------------------------ train


NET3 = zoo.mlp((3, 4, 3))


def fit_args(**over):
    kw = dict(
        net=NET3,
        state=NET3.init(0),
        optimizer=O.Optimizer("sgd", 0.1),
        x=XS,
        y=YS,
        epochs=1,
        progress=False,
    )
    kw.update(over)
    return kw


case("minibatches", "n", bad_ints(1), lambda v: list(T.minibatches(v, 3, None)))
case("minibatches", "batch_size", bad_ints(1), lambda v: list(T.minibatches(10, v, None)))
case("minibatches", "rng", bad_generators, lambda v: list(T.minibatches(10, 3, v)))
STATE3 = NET3.init(0)
# a network description that is no network, or a state where the description belongs
bad_nets = st.sampled_from([None, "net", 3, {"params": {}}, STATE3])
# no state, a description where the state belongs, a flat dict, another network's state
bad_states = st.sampled_from([None, "state", {"params": {}}, NET3, zoo.mlp((3, 5, 3)).init(0)])
case("evaluate", "net", bad_nets, lambda v: T.evaluate(v, STATE3, XS, YS))
case("evaluate", "state", bad_states, lambda v: T.evaluate(NET3, v, XS, YS))
case(
    "evaluate",
    "x",
    st.one_of(
        not_numbers,
        non_finite(XS),
        st.just(_arr(6, 2)),
        st.just(_arr(5, 3)),
        st.just(np.zeros((0, 3))),
    ),
    lambda v: T.evaluate(NET3, STATE3, v, YS),
)
case("evaluate", "y", bad_labels(6, 3), lambda v: T.evaluate(NET3, STATE3, XS, v))
case("evaluate", "batch_size", bad_ints(1), lambda v: T.evaluate(NET3, STATE3, XS, YS, v))
case("fit", "net", bad_nets, lambda v: T.fit(**fit_args(net=v)))
case("fit", "state", bad_states, lambda v: T.fit(**fit_args(state=v)))
case(
    "fit",
    "optimizer",
    st.sampled_from([None, "adam", 0.1]),
    lambda v: T.fit(**fit_args(optimizer=v)),
)
case(
    "fit",
    "x",
    st.one_of(
        not_numbers, non_finite(XS), st.just(_arr(6, 2)), st.just(_arr(5, 3)), st.just(_arr(6))
    ),
    lambda v: T.fit(**fit_args(x=v)),
)
case("fit", "y", bad_labels(6, 3), lambda v: T.fit(**fit_args(y=v)))
case("fit", "epochs", bad_ints(1), lambda v: T.fit(**fit_args(epochs=v)))
case("fit", "batch_size", bad_ints(1), lambda v: T.fit(**fit_args(batch_size=v)))
case(
    "fit",
    "x_val",
    st.one_of(not_numbers, non_finite(XS), st.just(_arr(6, 2))),
    lambda v: T.fit(**fit_args(x_val=v, y_val=YS)),
)
case("fit", "y_val", bad_labels(6, 3), lambda v: T.fit(**fit_args(x_val=XS, y_val=v)))
case("fit", "seed", bad_seeds, lambda v: T.fit(**fit_args(seed=v)))
case(
    "fit",
    "lr_schedule",
    st.sampled_from([0.1, "cosine", [0.1, 0.05]]),
    lambda v: T.fit(**fit_args(lr_schedule=v)),
)
case(
    "fit",
    "transform",
    # not a function; a function that returns another shape, or no array
    st.sampled_from([3, "flip", lambda x, e: x[:1], lambda x, e: None, lambda x, e: x.tolist()]),
    lambda v: T.fit(**fit_args(transform=v)),
)
case(
    "fit",
    "progress",
    st.sampled_from(["nonsense", 5, None, "Bar"]),
    lambda v: T.fit(**fit_args(progress=v)),
)
case(
    "fit",
    "checkpoint",
    st.sampled_from([TMP / "ck.pkl", "ck.npz.tmp", 3]),
    lambda v: T.fit(**fit_args(checkpoint=v)),
)
case("progress_mode", "progress", st.sampled_from(["nonsense", 5, None, 1.0]), T.progress_mode)
case(
    "save_checkpoint",
    "path",
    st.sampled_from([TMP / "a.pkl", 3, None]),
    lambda v: T.save_checkpoint(v, STATE3),
)


def _state_with(array: np.ndarray) -> object:
    state = NET3.init(0)
    state.params["dense1"]["weight"] = array
    return state


case(
    "save_checkpoint",
    "state",
    st.sampled_from(
        [
            None,
            {"W": B4},
            [1, 2],
            NET3,
            _state_with(np.array([{"a": 1}], dtype=object)),
            _state_with(np.array(["abc"])),
        ]
    ),
    lambda v: T.save_checkpoint(TMP / "a.npz", v),
)
case(
    "save_checkpoint",
    "optimizer",
    st.sampled_from(["adam", 3]),
    lambda v: T.save_checkpoint(TMP / "a.npz", STATE3, v),
)
case(
    "save_checkpoint",
    "history",
    st.sampled_from([{"train_loss": [1.0]}, [1.0]]),
    lambda v: T.save_checkpoint(TMP / "a.npz", STATE3, history=v),
)
np.savez(TMP / "foreign.npz", weights=B4)
case("load_checkpoint", "path", st.sampled_from([None, 3, TMP / "foreign.npz"]), T.load_checkpoint)
T.save_checkpoint(TMP / "mlp343.npz", STATE3)
case(
    "load_checkpoint",
    "state",
    # not a state; another network's state, whose arrays the file does not hold
    st.sampled_from(["state", {"W": B4}, NET3, zoo.mlp((3, 5, 3)).init(0)]),
    lambda v: T.load_checkpoint(TMP / "mlp343.npz", v),
)

# ------------------------------------------------------------------------------------------- data
IDX = b"\0\0\x08\x01\0\0\0\x01\x05"
case("read_idx", "source", st.sampled_from([5, None, [0, 0, 8, 1], 2.5]), D.read_idx)
case(
    "read_idx",
    "source",
    st.sampled_from(
        [b"\0\0\x08\x03" + b"\x80\0\0\0" * 3 + b"\0" * 8, IDX[:6], IDX + b"\0", b"\x1f\x8b\x08\x00"]
    ),
    D.read_idx,
    "IDX",
)
case("train_test_split", "n", bad_ints(2), lambda v: D.train_test_split(v, 0.3, 0))
case(
    "train_test_split",
    "test_fraction",
    st.one_of(
        st.floats(max_value=0.0), st.floats(min_value=1.0), st.sampled_from([np.nan, "x", None])
    ),
    lambda v: D.train_test_split(10, v, 0),
)
case("train_test_split", "seed", bad_seeds, lambda v: D.train_test_split(10, 0.3, v))
DS = D.Dataset(_arr(10, 2), np.arange(10) % 2, ("a", "b"))
case(
    "split_validation",
    "ds",
    st.sampled_from([None, _arr(10, 2), (1, 2)]),
    lambda v: D.split_validation(v, 3, 0),
)
case(
    "split_validation",
    "n_validation",
    st.one_of(bad_ints(1), st.integers(10, 20)),
    lambda v: D.split_validation(DS, v, 0),
)
case(
    "standardize",
    "train",
    st.one_of(not_numbers, non_finite(_arr(5, 3)), st.just(_arr(1, 3))),
    D.standardize,
)
case(
    "standardize",
    "others",
    st.one_of(
        not_numbers,
        non_finite(_arr(2, 3)),
        wrong_shape((2, 3), min_dims=1).filter(lambda a: a.shape[1:] != (3,)),
    ),
    lambda v: D.standardize(_arr(5, 3), v),
)
case(
    "to_float",
    "images",
    st.one_of(
        not_numbers,
        st.sampled_from(
            [np.linspace(0, 1, 6), np.array([0, 300]), np.array([-1, 3]), np.array([np.nan])]
        ),
    ),
    D.to_float,
)
case(
    "to_float",
    "dtype",
    st.sampled_from([np.int64, "x", np.float16, None]),
    lambda v: D.to_float(np.arange(3, dtype=np.uint8), v),
)
case(
    "random_flip",
    "images",
    st.one_of(not_numbers, non_finite(_arr(2, 1, 3, 4)), wrong_shape((2, 1, 3, 4))),
    lambda v: D.random_flip(v, 0),
)
case("random_flip", "seed", bad_seeds, lambda v: D.random_flip(_arr(2, 1, 3, 4), v))
case("random_flip", "p", bad_probabilities, lambda v: D.random_flip(_arr(2, 1, 3, 4), 0, v))
case(
    "Dataset",
    "x",
    st.sampled_from([_arr(3, 2), None, 5]),
    lambda v: D.Dataset(v, np.arange(4), ("a",) * 4),
)
case(
    "Dataset",
    "y",
    st.one_of(
        bad_labels(4, 4, kinds=("negative", "fractional", "nan", "matrix", "text")), st.just(None)
    ),
    lambda v: D.Dataset(_arr(4, 2), v, ("a",) * 4),
)
case(
    "Dataset",
    "class_names",
    st.sampled_from(["abcd", (1, 2), None]),
    lambda v: D.Dataset(_arr(4, 2), np.arange(4), v),
)
case(
    "verify_file",
    "path",
    st.sampled_from([TMP / "missing.gz", None, 3]),
    lambda v: D.verify_file(v, D.REGISTRY["mnist"].files[0]),
)
case(
    "verify_file",
    "spec",
    st.sampled_from([None, "train-images", {"name": "x"}]),
    lambda v: D.verify_file(TMP / "foreign.npz", v),
)
case("locate", "name", st.sampled_from(["imagenet", None, 3]), D.locate)
case("locate", "root", st.sampled_from([3, 2.5]), lambda v: D.locate("mnist", v))
case("cache_dir", "name", st.sampled_from([3, ["mnist"]]), D.cache_dir)
case("download", "name", st.sampled_from(["imagenet", None]), lambda v: D.download(v, TMP))
for loader in (D.load_fashion_mnist, D.load_mnist, D.load_cifar10):
    case(loader.__name__, "root", st.sampled_from([3, 2.5, ["dir"]]), loader)

# ------------------------------------------------------------------------------------------- norm
BN = dict(
    x=_arr(4, 3),
    gamma=np.ones(3),
    beta=np.zeros(3),
    running_mean=np.zeros(3),
    running_var=np.ones(3),
)
for arg in ("gamma", "beta", "running_mean", "running_var"):
    bad = (
        bad_arrays(BN[arg])
        if arg != "running_var"
        else st.one_of(bad_arrays(BN[arg]), st.just(-np.ones(3)))
    )
    case("batchnorm_forward", arg, bad, lambda v, arg=arg: N.batchnorm_forward(**{**BN, arg: v}))
case(
    "batchnorm_forward",
    "x",
    st.one_of(
        not_numbers,
        non_finite(BN["x"]),
        st.just(_arr(4, 3, 2)),
        st.just(_arr(1, 3)),
        st.just(np.zeros((0, 3))),
    ),
    lambda v: N.batchnorm_forward(**{**BN, "x": v}),
)
case("batchnorm_forward", "training", bad_flags, lambda v: N.batchnorm_forward(**BN, training=v))
case(
    "batchnorm_forward",
    "momentum",
    bad_probabilities,
    lambda v: N.batchnorm_forward(**BN, momentum=v),
)
case("batchnorm_forward", "eps", bad_positive_numbers, lambda v: N.batchnorm_forward(**BN, eps=v))
_, BN_CACHE, _ = N.batchnorm_forward(**BN)
case("batchnorm_backward", "dout", bad_arrays(BN["x"]), lambda v: N.batchnorm_backward(v, BN_CACHE))
case("batchnorm_backward", "cache", bad_caches, lambda v: N.batchnorm_backward(BN["x"], v))
case(
    "batchnorm_forward_naive",
    "x",
    st.one_of(not_numbers, non_finite(BN["x"]), st.just(_arr(1, 3))),
    lambda v: N.batchnorm_forward_naive(v, np.ones(3), np.zeros(3)),
)
case(
    "batchnorm_forward_naive",
    "gamma",
    bad_arrays(np.ones(3)),
    lambda v: N.batchnorm_forward_naive(BN["x"], v, np.zeros(3)),
)
case(
    "batchnorm_forward_naive",
    "eps",
    bad_positive_numbers,
    lambda v: N.batchnorm_forward_naive(BN["x"], np.ones(3), np.zeros(3), v),
)
_, BNN_CACHE = N.batchnorm_forward_naive(BN["x"], np.ones(3), np.zeros(3))
case(
    "batchnorm_backward_naive",
    "dout",
    bad_arrays(BN["x"]),
    lambda v: N.batchnorm_backward_naive(v, BNN_CACHE),
)
case(
    "batchnorm_backward_naive",
    "cache",
    bad_caches,
    lambda v: N.batchnorm_backward_naive(BN["x"], v),
)
case("parameter_counts", "channels", bad_ints(1), N.parameter_counts)

# ------------------------------------------------------------------------------------ activations
for name in ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "identity", "softmax"):
    fwd, bwd = getattr(A, f"{name}_forward"), getattr(A, f"{name}_backward")
    case(f"{name}_forward", "z", any_shape, fwd)
    _, c = fwd(X23)
    case(f"{name}_backward", "da", bad_arrays(X23), lambda v, bwd=bwd, c=c: bwd(v, c), "da")
    case(f"{name}_backward", "cache", bad_caches, lambda v, bwd=bwd: bwd(X23, v))
case("sigmoid", "z", any_shape, A.sigmoid)
case("softmax", "z", st.one_of(any_shape, wrong_shape((2, 3), min_dims=3)), A.softmax)
case(
    "softmax_jacobian",
    "z",
    st.one_of(not_numbers, non_finite(R3), wrong_shape((3,)).filter(lambda a: a.ndim != 1)),
    A.softmax_jacobian,
)
case(
    "leaky_relu_forward",
    "b",
    st.one_of(st.floats(max_value=-1e-9), st.sampled_from([np.nan, "x", None])),
    lambda v: A.leaky_relu_forward(X23, v),
)
case(
    "elu_forward",
    "alpha",
    st.one_of(st.floats(max_value=-1e-9), st.sampled_from([np.nan, "x", None])),
    lambda v: A.elu_forward(X23, v),
)
case(
    "prelu_forward",
    "b",
    st.one_of(
        not_numbers, non_finite(np.full(3, 0.1)), st.just(np.ones(2)), st.just(np.ones((3, 1)))
    ),
    lambda v: A.prelu_forward(X23, v),
)
case(
    "prelu_forward",
    "z",
    st.one_of(not_numbers, non_finite(X23), st.just(R3)),
    lambda v: A.prelu_forward(v, np.ones(3)),
)
_, PRELU = A.prelu_forward(X23, np.full(3, 0.1))
case("prelu_backward", "da", bad_arrays(X23), lambda v: A.prelu_backward(v, PRELU))
case("prelu_backward", "cache", bad_caches, lambda v: A.prelu_backward(X23, v))
case("get", "name", st.sampled_from(["swish", None, ["relu"], 3]), A.get)

# ---------------------------------------------------------------------------------------- metrics
Y3 = np.array([0, 1, 2])
case(
    "accuracy",
    "y_true",
    bad_labels(3, 3, kinds=("negative", "fractional", "nan", "matrix", "text")),
    lambda v: M.accuracy(v, Y3),
)
case(
    "accuracy",
    "y_pred",
    bad_labels(3, 3, kinds=("negative", "fractional", "nan", "length", "matrix", "text")),
    lambda v: M.accuracy(Y3, v),
)
case(
    "confusion_matrix",
    "y_true",
    bad_labels(3, 3, kinds=("negative", "too large", "fractional", "nan", "matrix")),
    lambda v: M.confusion_matrix(v, Y3, 3),
)
case("confusion_matrix", "y_pred", bad_labels(3, 3), lambda v: M.confusion_matrix(Y3, v, 3))
case(
    "confusion_matrix",
    "num_classes",
    bad_ints(1),
    lambda v: M.confusion_matrix(np.array([0, 0]), np.array([0, 0]), v),
)
case(
    "per_class_recall",
    "cm",
    st.one_of(
        bad_arrays(np.eye(3)).filter(
            lambda a: not (isinstance(a, np.ndarray) and a.ndim == 2 and a.shape[0] == a.shape[1])
        ),
        st.just(-np.eye(3)),
    ),
    M.per_class_recall,
)

# ------------------------------------------------------------------------------------------- init
case(
    "variance",
    "rule",
    st.sampled_from(["foo", "he_banana", "glorot", None, 3]),
    lambda v: I.variance(v, 3, 4),
)
case("variance", "fan_in", bad_ints(1), lambda v: I.variance("he_normal", v, 4))
case("variance", "fan_out", bad_ints(1), lambda v: I.variance("he_normal", 3, v))
case("init_weights", "rng", bad_generators, lambda v: I.init_weights("he_normal", 3, 4, v))
case(
    "init_weights",
    "dtype",
    st.sampled_from([np.int64, "x", None, np.float16]),
    lambda v: I.init_weights("he_normal", 3, 4, np.random.default_rng(0), v),
)

# ------------------------------------------------------------------------------------------ optim
HYPER = {
    "sgd": {
        "momentum": bad_probabilities,
        "weight_decay": st.floats(max_value=-1e-9),
        "nesterov": bad_flags,
    },
    "adagrad": {"eps": st.floats(max_value=-1e-9)},
    "rmsprop": {"alpha": bad_probabilities, "eps": st.sampled_from([-1.0, np.nan, "x"])},
    "adam": {
        "beta1": st.one_of(bad_probabilities, st.just(1.0)),
        "beta2": bad_probabilities,
        "eps": st.sampled_from([-1.0, np.nan]),
        "weight_decay": st.sampled_from([-0.1, np.inf]),
        "decoupled": bad_flags,
        "bias_correction": bad_flags,
    },
}
for rule, hyper in HYPER.items():
    update = O.RULES[rule]
    base = lambda **k: dict(w=np.ones(3), g=np.ones(3), state={}, lr=0.1, **k)  # noqa: E731
    case(
        f"{rule}_update",
        "w",
        st.sampled_from([[1.0, 2.0, 3.0], np.ones(3, int), None]),
        lambda v, u=update: u(**{**base(), "w": v}),
    )
    case(
        f"{rule}_update",
        "g",
        st.one_of(not_numbers, wrong_shape((3,))),
        lambda v, u=update: u(**{**base(), "g": v}),
    )
    case(
        f"{rule}_update",
        "state",
        st.sampled_from([None, [], "state"]),
        lambda v, u=update: u(**{**base(), "state": v}),
    )
    case(f"{rule}_update", "lr", bad_positive_numbers, lambda v, u=update: u(**{**base(), "lr": v}))
    for h, strat in hyper.items():
        case(f"{rule}_update", h, strat, lambda v, u=update, h=h: u(**base(**{h: v})))
        case(f"Optimizer({rule})", h, strat, lambda v, r=rule, h=h: O.Optimizer(r, 0.1, **{h: v}))
case("Optimizer", "rule", st.sampled_from(["lion", None, 3, "SGD"]), lambda v: O.Optimizer(v, 0.1))
case("Optimizer", "lr", bad_positive_numbers, lambda v: O.Optimizer("sgd", v))
case(
    "Optimizer",
    "hyper",
    st.sampled_from(["betas", "beta", "momentum_"]),
    lambda v: O.Optimizer("adam", 0.1, **{v: 0.9}),
    "hyper",
)
case(
    "Optimizer.step",
    "params",
    st.sampled_from([None, [np.ones(3)], "W"]),
    lambda v: O.Optimizer("sgd", 0.1).step(v, {"W": np.ones(3)}),
)
case(
    "Optimizer.step",
    "grads",
    st.sampled_from([{"W": np.ones(4)}, {"W": "x"}, {"V": np.ones(3)}, None]),
    lambda v: O.Optimizer("sgd", 0.1).step({"W": np.ones(3)}, v),
)

case("cosine_lr", "lr", bad_positive_numbers, lambda v: O.cosine_lr(v, 0, 10))
case(
    "cosine_lr",
    "epoch",
    st.one_of(bad_ints(0), st.integers(10, 20)),
    lambda v: O.cosine_lr(0.1, v, 10),
)
case("cosine_lr", "epochs", bad_ints(1), lambda v: O.cosine_lr(0.1, 0, v))
case(
    "cosine_lr",
    "lr_min",
    st.one_of(
        st.floats(max_value=-1e-9), st.floats(min_value=0.2), st.sampled_from([np.nan, None])
    ),
    lambda v: O.cosine_lr(0.1, 0, 10, v),
)

# ------------------------------------------------------------------------------------- perceptron
X42, W2, Y4 = _arr(4, 2), _arr(2), np.array([0.0, 1, 1, 0])
case(
    "perceptron_forward",
    "x",
    st.one_of(not_numbers, non_finite(X42), st.just(_arr(4)), st.just(_arr(4, 3))),
    lambda v: P.perceptron_forward(v, W2, 0.1),
    "x",
    "w",
)
case("perceptron_forward", "w", bad_arrays(W2), lambda v: P.perceptron_forward(X42, v, 0.1))
case(
    "perceptron_forward",
    "w0",
    st.sampled_from([np.nan, np.inf, "x", None, np.ones(2)]),
    lambda v: P.perceptron_forward(X42, W2, v),
)
_, PC = P.perceptron_forward(X42, W2, 0.1)
case(
    "perceptron_gradient",
    "y",
    st.one_of(bad_arrays(Y4), st.just(np.array([0, 2.0, 1, 0]))),
    lambda v: P.perceptron_gradient(v, PC),
)
case("perceptron_gradient", "cache", bad_caches, lambda v: P.perceptron_gradient(Y4, v))
case(
    "train_perceptron",
    "x",
    st.one_of(not_numbers, non_finite(X42), st.just(_arr(3, 2))),
    lambda v: P.train_perceptron(v, Y4, epochs=1),
    "x",
    "y",
)
case(
    "train_perceptron",
    "y",
    st.one_of(bad_arrays(Y4), st.just(np.array([0, 2, 1, 0]))),
    lambda v: P.train_perceptron(X42, v, epochs=1),
)
case(
    "train_perceptron",
    "eta",
    bad_positive_numbers,
    lambda v: P.train_perceptron(X42, Y4, eta=v, epochs=1),
)
case("train_perceptron", "epochs", bad_ints(1), lambda v: P.train_perceptron(X42, Y4, epochs=v))
case(
    "train_perceptron",
    "batch_size",
    bad_ints(1).filter(lambda v: v is not None),  # None is valid: the whole set per step
    lambda v: P.train_perceptron(X42, Y4, epochs=1, batch_size=v),
)
case(
    "train_perceptron",
    "seed",
    bad_seeds.filter(lambda s: s is not None),
    lambda v: P.train_perceptron(X42, Y4, epochs=1, seed=v),
)

# ------------------------------------------------------------------------------------------ plots
ZZ = np.linspace(-1, 1, 5)
case(
    "function_and_derivative",
    "z",
    st.one_of(not_numbers, non_finite(ZZ), st.just(np.ones((5, 2)))),
    lambda v: PL.function_and_derivative(v, ZZ, ZZ, "f"),
)
case(
    "function_and_derivative",
    "f",
    st.one_of(not_numbers, st.just(ZZ[:3])),
    lambda v: PL.function_and_derivative(ZZ, v, ZZ, "f"),
)
case(
    "function_and_derivative",
    "df",
    st.one_of(not_numbers, st.just(ZZ[:4])),
    lambda v: PL.function_and_derivative(ZZ, ZZ, v, "f"),
)
case(
    "function_and_derivative",
    "name",
    st.sampled_from([None, 3]),
    lambda v: PL.function_and_derivative(ZZ, ZZ, ZZ, v),
)
case(
    "curves",
    "history",
    st.sampled_from([[1, 2], None, {"loss": "abc"}, {"loss": [[1, 2]]}, {3: [1.0]}]),
    PL.curves,
)
case(
    "decision_boundary",
    "predict_proba",
    st.sampled_from([None, lambda t: np.ones(3), lambda t: "p"]),
    lambda v: PL.decision_boundary(v, _arr(6, 2), np.arange(6) % 2),
    "predict_proba",
)
case(
    "decision_boundary",
    "x",
    st.one_of(not_numbers, non_finite(_arr(6, 2)), st.just(_arr(6, 3))),
    lambda v: PL.decision_boundary(lambda t: np.full(len(t), 0.5), v, np.arange(6) % 2),
)
case(
    "decision_boundary",
    "y",
    bad_labels(6, 2),
    lambda v: PL.decision_boundary(lambda t: np.full(len(t), 0.5), _arr(6, 2), v),
)
case(
    "confusion",
    "cm",
    st.one_of(not_numbers, non_finite(np.eye(3)), st.just(np.ones((2, 3))), st.just(-np.eye(3))),
    lambda v: PL.confusion(v, ("a", "b", "c")),
)
case(
    "confusion",
    "class_names",
    st.sampled_from([("a", "b"), None, "abc", (1, 2, 3)]),
    lambda v: PL.confusion(np.eye(3), v),
)
IMGS, PROBS3 = np.zeros((2, 1, 4, 4)), np.full((2, 3), 1 / 3)
case(
    "predictions",
    "images",
    st.sampled_from([np.zeros((2, 4, 4)), np.zeros((2, 2, 4, 4)), None]),
    lambda v: PL.predictions(v, PROBS3, np.array([0, 1]), ("a", "b", "c")),
)
case(
    "predictions",
    "probs",
    st.sampled_from([PROBS3[:1], np.full((2, 2), 0.5), None]),
    lambda v: PL.predictions(IMGS, v, np.array([0, 1]), ("a", "b", "c")),
)
case(
    "predictions",
    "labels",
    bad_labels(2, 3),
    lambda v: PL.predictions(IMGS, PROBS3, v, ("a", "b", "c")),
)
case(
    "predictions",
    "cols",
    bad_ints(1),
    lambda v: PL.predictions(IMGS, PROBS3, np.array([0, 1]), ("a", "b", "c"), cols=v),
)
case(
    "chain_diagram",
    "nodes",
    st.sampled_from(["ab", None, ["a"], [1, 2]]),
    lambda v: PL.chain_diagram(v, ["f"], ["g"]),
)
case(
    "chain_diagram",
    "forward",
    st.sampled_from([["f", "g"], 3, "f"]),
    lambda v: PL.chain_diagram(["a", "b"], v, ["g"]),
)
case(
    "chain_diagram",
    "backward",
    st.sampled_from([[], 3, [None]]),
    lambda v: PL.chain_diagram(["a", "b"], ["f"], v),
)


def _names_in(message: str, names: tuple[str, ...]) -> bool:
    """Whether ``message`` names one of ``names`` as a word (so that "x" does not match
    "exceeds")."""
    return any(re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", message) for n in names)


def assert_clear_error(call: Callable[[], object], names: tuple[str, ...]) -> None:
    """A ValueError/TypeError from an explicit ``raise`` in cnnmath whose message names the
    argument."""
    try:
        call()
    except (ValueError, TypeError, FileNotFoundError) as exc:
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(last.filename).name}:{last.lineno}"
        assert "cnnmath" in Path(last.filename).parts, (
            f"raised outside cnnmath, at {where}: {exc!r}"
        )
        line = linecache.getline(last.filename, last.lineno).lstrip()
        assert line.startswith("raise"), f"not an explicit raise at {where}: {exc!r}"
        assert _names_in(str(exc), names), f"message does not name {names}: {exc}"
    else:
        pytest.fail(f"no error: the bad value was accepted (names {names})")


@pytest.mark.parametrize("c", CASES, ids=[f"{c.id}-{i}" for i, c in enumerate(CASES)])
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_bad_input_gets_a_clear_error_naming_the_argument(c, data):
    value = data.draw(c.strategy, label=c.arg)
    try:
        assert_clear_error(lambda: c.call(value), c.names)
    finally:
        matplotlib.pyplot.close("all")


def test_every_public_function_is_covered():
    """Each public function of these modules has at least one bad-input case above."""
    covered = {c.fn.split("(")[0].replace("Optimizer.step", "Optimizer") for c in CASES}
    covered |= {n.split(".")[1] for n in public_calls.CALLS}  # the systematic fuzz below
    modules = (A, D, dense, dropout, G, I, L, M, N, O, P, PL, T)
    public = set()
    for mod in modules:
        for name in getattr(mod, "__all__", dir(mod)):
            obj = getattr(mod, name)
            if (
                callable(obj)
                and getattr(obj, "__module__", "") == mod.__name__
                and not name.startswith("_")
            ):
                public.add(name)
    # these take no argument that can be bad, or are SymPy definitions checked by SymPy itself
    skipped = {
        "History",
        "FileSpec",
        "DatasetSpec",
        "DatasetNotFoundError",
        "DatasetCorruptError",
        "PerceptronFit",
        "load_iris",
        "load_digits",
        "sym_sigmoid",
        "sym_tanh",
        "sym_relu",
        "sym_leaky_relu",
        "sym_prelu",
        "sym_elu",
        "sym_softmax",
    }
    missing = sorted(public - covered - skipped)
    assert not missing, missing


# ================================================================================================
# The systematic fuzz: every public function, every argument, bad values chosen by type
# ================================================================================================
#
# tests/public_calls.py holds one valid call of every public function; each argument in turn is
# replaced by the bad values tests.strategies.bad_values draws for its type (None, text, bool,
# nan, negative and zero sizes, wrong shapes and dtypes, empty arrays, other functions' caches).
# Each call must return, or raise a ValueError/TypeError (or a package error derived from them)
# from an explicit ``raise`` in cnnmath whose message names the argument, within LIMIT seconds;
# values marked must_refuse must be refused. The outcome of every call is one of:
#   works, clear, silent (a must_refuse value accepted), deep (another exception, or one raised
#   outside cnnmath or not by an explicit raise), unnamed (the message does not name the
#   argument), hang (over the time limit).

import importlib  # noqa: E402
import inspect  # noqa: E402
import pkgutil  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402

import cnnmath  # noqa: E402

from . import public_calls  # noqa: E402
from .strategies import bad_values  # noqa: E402

#: Seconds one call may take (the valid calls take milliseconds; a loop that never ends is a bug).
LIMIT = 5.0
#: Functions whose valid call takes seconds (they build AlexNet, or train): only the values that
#: must be refused are tried (a refusal comes before the work), with a longer limit.
SLOW = {
    "zoo.alexnet": 60.0,
    "zoo.alexnet_one_tower": 60.0,
    "zoo.torchvision_alexnet": 60.0,
    "crosscheck.lockstep": 60.0,
    "crosscheck.record": 60.0,
    "timing.lenet5_list_vs_hand": 60.0,
    "torch_twin.adam": 60.0,  # the fused update's first use takes seconds
    "distributed.reference": 60.0,  # trains with the fused update (its first use: seconds)
}
#: Subpackages and modules fuzzed elsewhere, or not yet, and why.
EXEMPT_MODULES = {
    "cnnmath.quiz": "the quiz's own fuzz (tests/test_quiz*.py): answers, formulas and its CLI",
    "cnnmath.ledger": "claims and verdicts: tests/test_ledger.py",
    "cnnmath.claims": "the sources' claims, read by the ledger: tests/test_ledger.py",
    "cnnmath.exercises": "the exercises' checkers: their own tests",
    "cnnmath.assign": "Otter-Grader assignments: tests/test_assign.py",
    "cnnmath.symbolic": "derivations: tests/test_symbolic.py fuzzes Derivation",
    "cnnmath.determinism": "environment pinning: tests/test_determinism.py",
    "cnnmath.listing": "source listings on the page: tests/test_listing.py",
    "cnnmath.oracles": "an implementation against its oracles: tests/test_oracles.py",
    "cnnmath.tex": "TeX typesetting: its own tests",
    "cnnmath.printable": "the print edition: its own tests",
    "cnnmath.print_edition": "the print edition: its own tests",
    "cnnmath.reader": "a Sphinx extension, called by the book's build: tests/test_plots.py",
}
#: Messages that name an argument by another word (its role).
ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("dropout.dropout_backward", "mask"): ("cache", "mask"),
    ("chain_rule.mlp_backward", "caches"): ("cache", "caches"),
    ("connection_table.table_conv_forward", "bias"): ("bias", "b"),
    ("network.Sequential.backward", "dout"): ("dout", "dz"),
    **{
        (f"{m}.{f}", f"{a}_shape"): (a, f"{a}_shape")
        for m, f in (("conv", "conv_geometry"), ("conv_transpose", "conv_transpose_geometry"))
        for a in ("x", "w", "b")
    },
}
#: (function, argument) -> labels of bad_values that are valid there, and why.
VALID_THERE: dict[tuple[str, str], tuple[str, ...]] = {
    # None means "no mask" (evaluation mode), as dropout_forward returns it
    ("dropout.dropout_backward", "mask"): ("None",),
    # None: no bias
    ("conv.conv_geometry", "b_shape"): ("None",),
    ("conv_transpose.conv_transpose_geometry", "b_shape"): ("None",),
    ("connection_table.table_conv_forward", "bias"): ("None",),
    # None: the examples in order (evaluation)
    ("train.minibatches", "rng"): ("None",),
    # free text: a title, a name, a label
    **{
        (fn, arg): ("other text", "empty")
        for fn, arg in (
            ("gradcheck.check_gradient", "what"),
            ("data.read_idx", "what"),
            ("network.Sequential", "name"),
            ("network.Sequential.summary", "title"),
            ("arch.summary", "title"),
            ("plots.function_and_derivative", "name"),
            ("plots.curves", "xlabel"),
            ("plots.curves", "title"),
            ("plots.confusion", "title"),
            ("plots.chain_diagram", "title"),
        )
    },
}
#: Functions whose verdict on a bad value may be AssertionError (they are checks).
CHECKS = {"gradcheck.check_gradient", "distributed.check"}
#: What a clear error may be: KeyError only for a lookup by name (Sequential.layer).
_ERRORS = (ValueError, TypeError, FileNotFoundError, KeyError)


class _Hang(BaseException):
    pass


def _alarm(signum, frame):
    raise _Hang


def _resolve(name: str) -> Callable:
    module, *path = name.split(".")
    obj = importlib.import_module(f"cnnmath.{module}")
    for part in path:
        obj = getattr(obj, part)
    return obj


def _outcome(
    fn: Callable,
    args: tuple,
    kwargs: dict,
    names: tuple[str, ...],
    check: bool,
    limit: float = LIMIT,
):
    """``(kind, detail)`` of one call: works, clear, deep, unnamed or hang."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        result = fn(*args, **kwargs)
        if inspect.isgenerator(result):
            list(result)
        return "works", ""
    except _Hang:
        return "hang", f"over {limit:g} s"
    except AssertionError as exc:
        return ("works", "") if check else ("deep", f"AssertionError: {exc}")
    except _ERRORS as exc:
        last = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{Path(last.filename).name}:{last.lineno}"
        line = linecache.getline(last.filename, last.lineno).lstrip()
        if "cnnmath" not in Path(last.filename).parts or not line.startswith("raise"):
            return "deep", f"{type(exc).__name__} at {where}: {exc}"
        if not _names_in(str(exc), names):
            return "unnamed", f"{type(exc).__name__}: {exc}"
        return "clear", ""
    except Exception as exc:  # noqa: BLE001 - every other exception is a finding
        last = traceback.extract_tb(exc.__traceback__)[-1]
        return "deep", f"{type(exc).__name__} at {Path(last.filename).name}:{last.lineno}: {exc}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        matplotlib.pyplot.close("all")


def fuzz(name: str) -> list[tuple[str, str, str, str, bool]]:
    """``(argument, label, kind, detail, must_refuse)`` for every bad value of every argument."""
    fn = _resolve(name)
    sig = inspect.signature(fn)
    limit = SLOW.get(name, LIMIT)
    args, kwargs = public_calls.CALLS[name]()
    kind, detail = _outcome(fn, args, kwargs, (), name in CHECKS, limit)
    assert kind == "works", f"the valid call of {name} fails: {kind} {detail}"
    producer = public_calls.BACKWARDS.get(name)
    results = []
    for arg in sig.bind(*args, **kwargs).arguments:
        param = sig.parameters[arg]
        if arg == "self" or param.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        a, k = public_calls.CALLS[name]()
        bound = sig.bind(*a, **k)
        value = bound.arguments[arg]
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            value = value[0]
        caches = None
        if producer and arg in ("cache", "mask", "caches"):
            caches = {p: public_calls.cache_of(p) for p in public_calls.FORWARDS if p != producer}
        default = None if param.default is inspect.Parameter.empty else param.default
        if param.default is inspect.Parameter.empty:
            default = inspect.Parameter.empty
        for label, bad, must in bad_values(value, default=default, other_caches=caches):
            if label in VALID_THERE.get((name, arg), ()):
                must = False
            if name in SLOW and not must:
                continue
            a, k = public_calls.CALLS[name]()
            bound = sig.bind(*a, **k)
            if param.kind is inspect.Parameter.VAR_POSITIONAL:
                bound.arguments[arg] = (bad, *bound.arguments[arg][1:])
            else:
                bound.arguments[arg] = bad
            names = ALIASES.get((name, arg), (arg,))
            if not must:  # a value that may be valid may clash with another argument instead
                names = (*names, *(p for p in sig.parameters if p != "self"))
            kind, detail = _outcome(fn, bound.args, bound.kwargs, names, name in CHECKS, limit)
            if kind == "works" and must:
                kind, detail = "silent", f"accepted {label}"
            results.append((arg, label, kind, detail, must))
    return results


def _public_names() -> set[str]:
    found = set()
    for info in pkgutil.walk_packages(cnnmath.__path__, "cnnmath."):
        if any(info.name == m or info.name.startswith(m + ".") for m in EXEMPT_MODULES):
            continue
        module = importlib.import_module(info.name)
        names = getattr(module, "__all__", None)
        names = names if names is not None else [n for n in dir(module) if not n.startswith("_")]
        for n in names:
            obj = getattr(module, n)
            if callable(obj) and getattr(obj, "__module__", None) == module.__name__:
                found.add(f"{info.name.removeprefix('cnnmath.')}.{n}")
    return found


def test_every_public_function_is_fuzzed():
    """A new public function (or module) fails here until it has a valid call or a reason."""
    missing = sorted(_public_names() - set(public_calls.CALLS) - set(public_calls.EXEMPT))
    assert not missing, f"no valid call in tests/public_calls.py and no reason in EXEMPT: {missing}"
    stale = sorted({n.rsplit(".", 1)[0] if n.count(".") > 1 else n for n in public_calls.CALLS})
    assert all(callable(_resolve(n)) for n in stale)


@pytest.mark.parametrize("name", sorted(public_calls.CALLS))
def test_every_argument_of_every_public_function_refuses_bad_values(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a bad value that is a file name lands here
    started = time.perf_counter()
    bad = [r for r in fuzz(name) if r[2] not in ("works", "clear")]
    assert not bad, "\n".join(
        f"{name}({arg}={label}): {kind}: {detail}" for arg, label, kind, detail, _ in bad
    )
    assert time.perf_counter() - started < 20 + 2 * SLOW.get(name, 0), (
        f"fuzzing {name} took too long"
    )


# ================================================================================================
# The command lines: a bad argument is a usage error (exit 2, a message), never a traceback
# ================================================================================================

import contextlib  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

#: Every ``python -m`` entry point of the package (a module with ``if __name__ == "__main__"`` or
#: a package with ``__main__.py``); test_every_entry_point_is_listed finds new ones.
ENTRY_POINTS = (
    "cnnmath.assign",
    "cnnmath.crosscheck",
    "cnnmath.determinism",
    "cnnmath.distributed",
    "cnnmath.exercises",
    "cnnmath.ledger",
    "cnnmath.print_edition",
    "cnnmath.quiz",
    "cnnmath.quiz.student",
)
#: Bad arguments of the command lines this issue is about, tried in the process (fast): each
#: must exit with status 2 and a message naming the option, before any work.
BAD_ARGUMENTS = {
    "cnnmath.crosscheck": [
        ["--batch-size", "0"],
        ["--batch-size", "-3"],
        ["--batch-size", "x"],
        ["--networks", ""],
        ["--networks", ","],
        ["--networks", "lenet5,lenet5"],
        ["--networks", "alexnet"],
        ["--timing-repeats", "-1"],
        ["--steps", "0"],
        ["--steps", "1.5"],
        ["--epochs", "-1"],
        ["--seed", "-1"],
        ["--device", "bogus"],
        ["--device", "cuda:x"],
        ["--device", ""],
        ["--data", "imagenet"],
        ["--json", ""],
        ["--json", "."],
        ["--bogus"],
        ["extra"],
    ],
    "cnnmath.distributed": [
        ["--steps", "0"],
        ["--batch-size", "0"],
        ["--lr", "-0.1"],
        ["--lr", "nan"],
        ["--seed", "x"],
        ["--shards", ""],
        ["--shards", "5,0"],
        ["--shards", "a,b"],
        ["--rank", "-1"],
        ["--world-size", "0"],
        ["--rank", "2", "--world-size", "2"],
        ["--rank", "0", "--world-size", "2", "--shards", "5"],
        ["--rank", "0", "--world-size", "2", "--batch-size", "15"],
        ["--backend", "mpi"],
        ["--data", "cifar"],
        ["--bogus"],
    ],
}
#: The option each bad argument list must be named by (its first token, or the message's word).
_OPTION = re.compile(r"--[\w-]+")


def test_every_entry_point_is_listed():
    root = Path(cnnmath.__file__).parent
    found = set()
    for path in root.rglob("*.py"):
        module = "cnnmath." + ".".join(path.relative_to(root).with_suffix("").parts)
        if path.name == "__main__.py":
            found.add(module.removesuffix(".__main__"))
        elif 'if __name__ == "__main__"' in path.read_text():
            found.add(module)
    assert found == set(ENTRY_POINTS)


@pytest.mark.parametrize(
    "module, argv",
    [(m, a) for m, cases in BAD_ARGUMENTS.items() for a in cases],
    ids=[
        f"{m.split('.')[-1]} {' '.join(a) or '(none)'}" for m, c in BAD_ARGUMENTS.items() for a in c
    ],
)
def test_a_bad_argument_is_a_usage_error(module, argv, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"):
        monkeypatch.delenv(var, raising=False)
    main = importlib.import_module(module).main
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_:
        main(argv)  # any other exception would be a traceback
    message = err.getvalue()
    assert exit_.value.code == 2, message
    assert "error:" in message and "Traceback" not in message
    named = [t for t in argv if t.startswith("--")] or ["unrecognized"]
    assert any(n in message for n in named), message


def test_every_entry_point_answers_a_bad_option_with_a_usage_error(tmp_path):
    """The real ``python -m`` of every entry point, all started at once: exit 2, no traceback."""
    env = {**os.environ, "PYTHONPATH": str(Path(cnnmath.__file__).parents[1])}
    runs = {
        m: subprocess.Popen(
            [sys.executable, "-m", m, "--no-such-option"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for m in ENTRY_POINTS
    }
    for m, run in runs.items():
        out, err = run.communicate(timeout=300)
        assert run.returncode == 2, f"{m}: exit {run.returncode}\n{err[-2000:]}"
        assert "Traceback" not in out + err and "error:" in err, f"{m}: {err[-2000:]}"


def test_the_cases_the_review_of_issue_18_found():
    """The reproductions of issue 18, one line each (the fuzz above tries many more)."""
    from cnnmath import layers as L
    from cnnmath import lrn, zoo
    from cnnmath.network import Sequential

    x = np.random.default_rng(0).normal(size=(2, 3, 4, 4))
    out, cache = lrn.lrn_forward(x, 3)
    for bad in (None, dense.affine_forward(X23, W43, B4)[1], N.batchnorm_forward(**BN)[1]):
        with pytest.raises((TypeError, ValueError), match="cache must be"):
            lrn.lrn_backward(out, bad)
    with pytest.raises(TypeError, match="seed"):
        Sequential([L.Flatten(), L.Dense(2)], (1, 2, 2)).init(seed="0")
    with pytest.raises(TypeError, match="seed"):
        D.random_flip(_arr(2, 1, 3, 4), 1.5)
    net = zoo.autoencoder(4, (1, 8, 8), (2, 2))
    state = net.init(0, np.float64)
    images = np.zeros((3, 1, 8, 8))
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        net.predict_output(state, images, batch_size=0)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):  # what encode was
        net.predict_output(state, images, batch_size=0, stop_at="code")
    for truthy in ("no", 2, None):
        with pytest.raises(TypeError, match="bias must be True or False"):
            L.Conv2d(4, 3, bias=truthy)
    opt = O.Optimizer("sgd", 0.1)
    with pytest.raises(ValueError, match=r"lr \(the learning rate\)"):
        opt.lr = -0.1


# ------------------------------------------------------------------------------------------------
# Property: an array argument given any array (any shape, empty axes, float32, integers, bools)
# either works or is refused clearly
# ------------------------------------------------------------------------------------------------


def _array_arguments() -> list[tuple[str, str]]:
    out = []
    for name in sorted(public_calls.CALLS):
        if name in SLOW:
            continue
        sig = inspect.signature(_resolve(name))
        args, kwargs = public_calls.CALLS[name]()
        out += [
            (name, arg)
            for arg, value in sig.bind(*args, **kwargs).arguments.items()
            if isinstance(value, np.ndarray)
        ]
    return out


_any_array = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4).flatmap(
    lambda shape: st.one_of(
        hnp.arrays(
            st.sampled_from([np.float64, np.float32]), shape, elements=st.floats(-9, 9, width=32)
        ),
        hnp.arrays(np.int64, shape, elements=st.integers(-3, 9)),
        hnp.arrays(np.bool_, shape),
    )
)


@pytest.mark.parametrize("name, arg", _array_arguments())
@settings(max_examples=6, deadline=None, database=None)
@given(value=_any_array)
def test_an_array_argument_takes_any_array_or_refuses_it_clearly(
    name, arg, value, tmp_path_factory
):
    fn = _resolve(name)
    sig = inspect.signature(fn)
    args, kwargs = public_calls.CALLS[name]()
    bound = sig.bind(*args, **kwargs)
    bound.arguments[arg] = value
    names = (*ALIASES.get((name, arg), (arg,)), *sig.parameters)
    kind, detail = _outcome(fn, bound.args, bound.kwargs, names, name in CHECKS)
    assert kind in ("works", "clear"), (
        f"{name}({arg}: {value.dtype} {value.shape}): {kind}: {detail}"
    )
