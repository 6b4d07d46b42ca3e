"""The training loop: mini-batches in a seeded shuffle, progress, a history, checkpoints.

:func:`fit` trains a network description (anything that keeps the contract
:class:`cnnmath.network.Trainable`, such as every network of :mod:`cnnmath.zoo`) from a state made
by its ``init``, with an :class:`cnnmath.optim.Optimizer`, an optional learning-rate schedule and
an optional per-epoch transform of the inputs (augmentation). After every epoch it records the
loss and accuracy on the training data (the running mean over the epoch's batches) and on the
validation data, and can save a checkpoint. Its argument checks stand apart, in
:func:`_check_fit`, so that the loop reads as the algorithm.

Progress has three modes (see :func:`progress_mode`): a moving bar for a live notebook or a
terminal, a compact table of a few epochs for executed pages (the built book, nbval), or nothing.

Checkpoints are ``.npz`` files written atomically (:func:`cnnmath.files.write_atomically`), read
with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .activations import softmax
from .allocator import keep_freed_memory
from .arguments import (
    as_float_array,
    generator,
    positive_int,
)
from .arguments import (
    labels as check_labels,
)
from .arguments import (
    path as check_path,
)
from .arguments import seed as check_seed
from .files import write_atomically
from .losses import mse_forward
from .network import State, Trainable
from .optim import Optimizer

#: The values of ``progress`` (and of the environment variable ``CNNMATH_PROGRESS``).
PROGRESS_MODES = ("bar", "summary", "off")
#: The most epochs the summary table shows (the first, the last, and evenly spaced ones between).
SUMMARY_ROWS = 5


@dataclass
class History:
    """Per-epoch loss and accuracy on the training and the validation data."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.train_loss)


def minibatches(n: int, batch_size: int, rng: np.random.Generator | None) -> Iterator[np.ndarray]:
    """Index arrays covering ``range(n)`` once, in a shuffled order when ``rng`` is given; the last
    may be short."""
    n = positive_int(n, "n")
    batch_size = positive_int(batch_size, "batch_size")
    order = generator(rng).permutation(n) if rng is not None else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


def _is_regression(net: Any) -> bool:
    """A network whose loss is a regression loss (``net.loss == "mse"``, e.g. an autoencoder)."""
    return getattr(net, "loss", "softmax_cross_entropy") == "mse"


def _check_net_and_state(net: Any, state: Any) -> State:
    if not isinstance(net, Trainable):
        raise TypeError(
            "net must be a network description that fit can train (cnnmath.network.Trainable: "
            f"loss, init, loss_and_grads, predict_output), such as a cnnmath.zoo network; got "
            f"{type(net).__name__}"
        )
    check = getattr(net, "check_state", None)
    if callable(check):
        return check(state)
    if not isinstance(state, State):
        raise TypeError(f"state must be a cnnmath.network.State; got {type(state).__name__}")
    return state


def _inputs(x: object, name: str) -> np.ndarray:
    x = as_float_array(x, name)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(
            f"{name} must be a non-empty batch with one example per row; got shape {x.shape}"
        )
    return x


def _targets(
    y: object, name: str, x: np.ndarray, regression: bool, x_name: str = "x"
) -> np.ndarray:
    """Regression targets (finite, one row per input) or class labels (integers >= 0, one per
    input)."""
    if regression:
        y = as_float_array(y, name)
        if y.ndim == 0 or len(y) != len(x):
            raise ValueError(
                f"{name} must have one row per row of {x_name} ({len(x)}); got shape {y.shape}"
            )
        return y
    y = check_labels(y, name)
    if len(y) != len(x):
        raise ValueError(
            f"{name} must have one label per row of {x_name}: {x_name} has {len(x)} rows, "
            f"{name.split()[0]} has {len(y)} labels"
        )
    return y


def _num_classes(net: Any, state: State, x: np.ndarray, name: str) -> int:
    """The number of classes the network predicts, from one example of ``x`` (checks that ``x``
    fits the network)."""
    try:
        out = net.predict_output(state, x[:1])
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name} does not fit the network: {exc}") from None
    return int(np.shape(out)[-1])


def evaluate(
    net: Any, state: State, x: np.ndarray, y: np.ndarray, batch_size: int = 2048
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of the network ``net`` in the state ``state`` on ``(x, y)``.

    For a regression network (``net.loss == "mse"``) the mean squared error and ``nan`` (no
    accuracy). ``y`` holds one class label in ``0..g-1`` per row of ``x`` (``g`` the network's
    number of classes).
    """
    batch_size = positive_int(batch_size, "batch_size")
    state = _check_net_and_state(net, state)
    regression = _is_regression(net)
    x = _inputs(x, "x")
    y = _targets(y, "y", x, regression)
    try:
        out = net.predict_output(state, x, batch_size=batch_size)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"x does not fit the network: {exc}") from None
    if regression:
        if out.shape != y.shape:
            raise ValueError(
                f"y (the targets) must have the output's shape {out.shape}; got {y.shape}"
            )
        return float(mse_forward(out, y)[0]), float("nan")
    probs = softmax(out)
    check_labels(y, "y", num_classes=probs.shape[1])
    logp = np.log(np.clip(probs[np.arange(len(y)), y], np.finfo(probs.dtype).tiny, None))
    return float(-logp.mean()), float(np.mean(probs.argmax(axis=1) == y))


def progress_mode(progress: bool | str = True) -> str:
    """The progress mode of :func:`fit`: ``"bar"``, ``"summary"`` or ``"off"``.

    ``progress=True`` means the default mode: the environment variable ``CNNMATH_PROGRESS`` if set,
    else ``"bar"``. A kernel cannot tell a live notebook from an executed one (nbclient, nbval,
    jupyter-book), so the builds say so: the Makefile sets ``CNNMATH_PROGRESS=summary`` for the
    book and the tests. ``progress=False`` is ``"off"``; a mode's name selects it.
    """
    if isinstance(progress, (bool, np.bool_)):
        if not progress:
            return "off"
        mode = os.environ.get("CNNMATH_PROGRESS", "bar").strip().lower() or "bar"
        if mode not in PROGRESS_MODES:
            raise ValueError(
                f"the environment variable CNNMATH_PROGRESS must be one of {PROGRESS_MODES}; got "
                f"{mode!r}"
            )
        return mode
    if isinstance(progress, str) and progress in PROGRESS_MODES:
        return progress
    raise ValueError(f"progress must be True, False or one of {PROGRESS_MODES}; got {progress!r}")


class _Summary:
    """The compact progress of an executed page: a table of at most SUMMARY_ROWS epochs, printed as
    they end."""

    def __init__(self, epochs: int, regression: bool, validation: bool):
        k = min(epochs, SUMMARY_ROWS)
        self.shown = {int(round(e)) for e in np.linspace(1, epochs, k)}
        self.cols = [("train loss", "train_loss")] + (
            [] if regression else [("train acc", "train_acc")]
        )
        if validation:
            self.cols += [("val loss", "val_loss")] + (
                [] if regression else [("val acc", "val_acc")]
            )
        some = "" if k == epochs else f" ({k} of {epochs} shown)"
        print(f"{'epoch':>5}  " + "  ".join(f"{c:>10}" for c, _ in self.cols) + some)

    def epoch_done(self, epoch: int, hist: History) -> None:
        if epoch in self.shown:
            print(
                f"{epoch:>5}  " + "  ".join(f"{getattr(hist, k)[-1]:>10.4f}" for _, k in self.cols)
            )


@dataclass(frozen=True)
class _Run:
    """fit's arguments once checked: what the training loop reads."""

    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    epochs: int
    batch_size: int
    seed: int
    mode: str
    checkpoint: Path | None
    regression: bool


def _check_fit(net, state, optimizer, x, y, x_val, y_val, **kw) -> _Run:
    """Every argument of :func:`fit` checked before the first step, with a message naming it."""
    epochs = positive_int(kw["epochs"], "epochs")
    batch_size = positive_int(kw["batch_size"], "batch_size")
    seed = check_seed(kw["seed"])
    mode = progress_mode(kw["progress"])
    checkpoint = kw["checkpoint"]
    if checkpoint is not None:
        checkpoint = check_path(checkpoint, "checkpoint", suffix=".npz")
    for name in ("lr_schedule", "transform"):
        if kw[name] is not None and not callable(kw[name]):
            raise TypeError(f"{name} must be a function of the epoch or None; got {kw[name]!r}")
    state = _check_net_and_state(net, state)
    regression = _is_regression(net)
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(
            f"optimizer must be a cnnmath.optim.Optimizer; got {type(optimizer).__name__}"
        )
    x = _inputs(x, "x (the training inputs)")
    y = _targets(
        y, "y (the training targets)" if regression else "y (the training labels)", x, regression
    )
    if (x_val is None) != (y_val is None):
        raise ValueError("give both x_val and y_val, or neither")
    if x_val is not None:
        x_val = _inputs(x_val, "x_val (the validation inputs)")
        if x_val.shape[1:] != x.shape[1:]:
            raise ValueError(
                f"x_val (the validation inputs) must have examples shaped like x's {x.shape[1:]}; "
                f"got shape {x_val.shape}"
            )
        y_val = _targets(
            y_val,
            "y_val (the validation targets)" if regression else "y_val (the validation labels)",
            x_val,
            regression,
            "x_val",
        )
    if not regression:
        g = _num_classes(net, state, x, "x (the training inputs)")
        check_labels(y, "y (the training labels)", num_classes=g)
        if y_val is not None:
            check_labels(y_val, "y_val (the validation labels)", num_classes=g)
    return _Run(x, y, x_val, y_val, epochs, batch_size, seed, mode, checkpoint, regression)


def fit(
    net: Trainable,
    state: State,
    optimizer: Optimizer,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int = 128,
    x_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    seed: int = 0,
    lr_schedule: Callable[[int], float] | None = None,
    transform: Callable[[np.ndarray, int], np.ndarray] | None = None,
    progress: bool | str = True,
    checkpoint: str | Path | None = None,
) -> History:
    """Train the network ``net`` from ``state`` (changed in place) for ``epochs`` epochs and return
    the :class:`History`.

    Every epoch goes once through the training data in mini-batches: forward and backward
    (``net.loss_and_grads``), then one optimizer step; after the epoch, the loss and accuracy on
    the training batches (their running mean) and on the validation data are recorded.

    - ``seed``: the batches of every epoch come from one generator seeded with it, so a run is
      repeatable.
    - ``lr_schedule(e)``: the learning rate of epoch ``e`` (``e = 0, 1, ..., epochs - 1``, the
      epochs done before it), set on the optimizer before the epoch, such as
      ``lambda e: cosine_lr(0.002, e, epochs)``.
    - ``transform(x, e)``: the training inputs of epoch ``e`` (the same ``e``), such as a random
      flip seeded with ``e``, so that each epoch sees its own repeatable augmentation;
      ``y`` is unchanged.
    - ``checkpoint`` (a ``.npz`` path): the state, the optimizer and the history are saved after
      every epoch (:func:`save_checkpoint`).
    - ``progress`` (see :func:`progress_mode`): ``"bar"`` draws a progress bar that moves in a live
      notebook or a terminal; ``"summary"`` prints a table of at most ``SUMMARY_ROWS`` epochs (the
      form for an executed page); ``"off"`` or ``False`` prints nothing; ``True`` (the default)
      takes the mode from the environment variable ``CNNMATH_PROGRESS``.

    ``x`` holds one finite example per row; ``y`` one class label ``0..g-1`` per row (or, for a
    regression network, one target row). Every argument is checked before the first step.
    """
    run = _check_fit(
        net, state, optimizer, x, y, x_val, y_val, epochs=epochs, batch_size=batch_size,
        seed=seed, progress=progress, checkpoint=checkpoint, lr_schedule=lr_schedule,
        transform=transform,
    )  # fmt: skip
    rng = np.random.default_rng(run.seed)
    hist = History()
    bar = summary = None
    if run.mode == "bar":
        from tqdm import tqdm

        bar = tqdm(
            total=run.epochs * -(-len(run.x) // run.batch_size), unit="batch", mininterval=2.0
        )
    elif run.mode == "summary":
        summary = _Summary(run.epochs, run.regression, run.x_val is not None)
    try:
        with keep_freed_memory():  # the same arrays every step: keep their memory
            for e in range(run.epochs):
                if lr_schedule is not None:
                    optimizer.lr = lr_schedule(e)
                x_e = run.x if transform is None else _transformed(transform, run.x, e)
                total_loss, correct = 0.0, 0
                for b, idx in enumerate(minibatches(len(x_e), run.batch_size, rng), start=1):
                    loss, grads, out = _step(net, state, x_e[idx], run.y[idx], e + 1, b, optimizer)
                    optimizer.step(state.params, grads)
                    total_loss += loss * len(idx)
                    if not run.regression:
                        correct += int(np.sum(out.argmax(axis=1) == run.y[idx]))
                    if bar is not None:
                        bar.update(1)
                hist.train_loss.append(total_loss / len(x_e))
                hist.train_acc.append(float("nan") if run.regression else correct / len(x_e))
                if run.x_val is not None:
                    vl, va = evaluate(net, state, run.x_val, run.y_val)
                    hist.val_loss.append(vl)
                    hist.val_acc.append(va)
                    if bar is not None:
                        bar.set_postfix(epoch=e + 1, val_acc=f"{va:.4f}", refresh=False)
                if summary is not None:
                    summary.epoch_done(e + 1, hist)
                if run.checkpoint is not None:
                    save_checkpoint(run.checkpoint, state, optimizer, hist)
    finally:
        if bar is not None:
            bar.close()
    return hist


def _transformed(transform: Callable, x: np.ndarray, e: int) -> np.ndarray:
    out = transform(x, e)
    if not isinstance(out, np.ndarray) or out.shape != x.shape:
        raise ValueError(
            f"transform(x, {e}) must return an array of x's shape {x.shape}; got "
            f"{getattr(out, 'shape', type(out).__name__)}"
        )
    return out


def _step(net, state, xb, yb, epoch, b, optimizer) -> tuple[float, dict, np.ndarray]:
    """One forward and backward pass; a loss that overflows although the data are finite is
    reported as divergence, with the learning rate to lower."""
    try:
        loss, grads, out = net.loss_and_grads(state, xb, yb)
    except ValueError as exc:
        if "non-finite" not in str(exc) and "overflow" not in str(exc):
            raise
        loss = float("nan")  # the inputs were finite: what overflowed is the training itself
    if not np.isfinite(loss):
        raise ValueError(
            f"training diverged at epoch {epoch}, batch {b}: the loss or the network's values "
            "overflowed although x and y are finite; try a smaller learning rate than "
            f"lr={getattr(optimizer, 'lr', '?')}"
        ) from None
    return loss, grads, out


def _numeric_arrays(arrays: object, name: str) -> dict[str, np.ndarray]:
    """``{str: numeric array}``, so that ``np.savez`` never pickles (object arrays would be
    pickled)."""
    if not isinstance(arrays, dict):
        raise TypeError(
            f"{name} must be a dict of arrays keyed by name; got {type(arrays).__name__}"
        )
    out = {}
    for k, v in arrays.items():
        if not isinstance(k, str):
            raise TypeError(f"{name} must be keyed by str names; got key {k!r}")
        a = np.asarray(v) if not isinstance(v, np.ndarray) else v
        if a.dtype.kind not in "biuf":
            raise TypeError(
                f"{name}[{k!r}] must be a numeric array (checkpoints never pickle); got dtype "
                f"{a.dtype}"
            )
        out[k] = a
    return out


def save_checkpoint(
    path: str | Path,
    state: State,
    optimizer: Optimizer | None = None,
    history: History | None = None,
) -> Path:
    """Write a network's state (its parameters and buffers, under ``"<layer>.<array>"``), and the
    optimizer's state and the history if given, to ``path`` (``.npz``) atomically."""
    path = check_path(path, "path", suffix=".npz")
    if not isinstance(state, State):
        raise TypeError(f"state must be a cnnmath.network.State; got {type(state).__name__}")
    arrays: dict[str, np.ndarray] = {
        f"param/{k}": v for k, v in _numeric_arrays(state.flat("params"), "state.params").items()
    }
    arrays.update(
        {
            f"buffer/{k}": v
            for k, v in _numeric_arrays(state.flat("buffers"), "state.buffers").items()
        }
    )
    if optimizer is not None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                "optimizer must be a cnnmath.optim.Optimizer or None; got "
                f"{type(optimizer).__name__}"
            )
        arrays.update({f"optim/{k}": v for k, v in optimizer.state_arrays().items()})
        arrays["meta/optimizer"] = np.array(
            json.dumps({"rule": optimizer.rule, "lr": optimizer.lr, **optimizer.hyper})
        )
    if history is not None:
        if not isinstance(history, History):
            raise TypeError(
                f"history must be a cnnmath.train.History or None; got {type(history).__name__}"
            )
        arrays["meta/history"] = np.array(json.dumps(asdict(history)))

    def write(f) -> None:
        np.savez(f, allow_pickle=False, **arrays)

    return write_atomically(path, write)


def load_checkpoint(path: str | Path, state: State | None = None) -> dict[str, Any]:
    """Read a checkpoint: ``{"params", "buffers", "optimizer_state", "optimizer", "history"}``,
    the arrays keyed ``"<layer>.<array>"``. With ``state``, also copy the parameters and buffers
    into it (every array of the state must be in the file, with its shape)."""
    path = check_path(path, "path")
    if not path.is_file():
        raise FileNotFoundError(f"path: no checkpoint at {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"path: {path} is not a readable .npz checkpoint ({exc})") from None
    out: dict[str, Any] = {
        "params": {},
        "buffers": {},
        "optimizer_state": {},
        "optimizer": None,
        "history": None,
    }
    groups = {"param": "params", "buffer": "buffers", "optim": "optimizer_state"}
    for k, v in arrays.items():
        group, _, name = k.partition("/")
        if group in groups and name:
            out[groups[group]][name] = v
        elif k in ("meta/optimizer", "meta/history"):
            try:
                meta = json.loads(str(v))
                out[name] = History(**meta) if name == "history" else meta
            except (ValueError, TypeError) as exc:
                raise ValueError(
                    f"path {path} is not a cnnmath checkpoint: its {k} is unreadable ({exc})"
                ) from None
        else:
            raise ValueError(
                f"path {path} is not a cnnmath checkpoint: unexpected entry {k!r} "
                "(expected param/..., buffer/..., optim/..., meta/optimizer, meta/history)"
            )
    if state is not None:
        if not isinstance(state, State):
            raise TypeError(
                f"state must be a cnnmath.network.State or None; got {type(state).__name__}"
            )
        saved = {**out["params"], **out["buffers"]}
        for k, v in state.flat().items():
            if k not in saved or saved[k].shape != v.shape:
                raise ValueError(
                    f"path {path} does not hold this state: {k} of shape {v.shape} is "
                    + ("missing" if k not in saved else f"saved with shape {saved[k].shape}")
                )
            v[...] = saved[k]
    return out
