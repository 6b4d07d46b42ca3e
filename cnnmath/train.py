"""The training loop: mini-batches in a seeded shuffle, progress, a history, checkpoints.

:func:`fit` trains any model that has ``params`` (a dict of arrays), ``loss_and_grads(x, y)`` and
``predict_proba(x)`` (such as :class:`cnnmath.mlp.MLP`) with an :class:`cnnmath.optim.Optimizer`.
After every epoch it records the loss and accuracy on the training data (the running mean over
the epoch's batches) and on the validation data, and can save a checkpoint.

Progress has three modes (see :func:`progress_mode`): a moving bar for a live notebook or a
terminal, a compact table of a few epochs for executed pages (the built book, nbval), or nothing.

Checkpoints are ``.npz`` files written atomically: to a temporary file in the same directory,
flushed to disk, then renamed over the target, so a crash never leaves a half-written checkpoint.
They are read with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

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


def _is_regression(model: Any) -> bool:
    """A model whose loss is a regression loss (``model.loss == "mse"``, e.g. an autoencoder)."""
    return getattr(model, "loss", "softmax_cross_entropy") == "mse"


def _check_model(model: Any, *methods: str) -> None:
    missing = [m for m in methods if not callable(getattr(model, m, None))]
    if missing:
        raise TypeError(
            f"model must have the method(s) {', '.join(missing)} (e.g. a cnnmath.mlp.MLP or "
            f"cnnmath.network.Sequential); got {type(model).__name__}"
        )


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


def _num_classes(model: Any, x: np.ndarray, name: str) -> int:
    """The number of classes the model predicts, from one example of ``x`` (checks that ``x`` fits
    the model)."""
    try:
        probs = model.predict_proba(x[:1])
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name} does not fit the model: {exc}") from None
    return int(np.shape(probs)[-1])


def evaluate(
    model: Any, x: np.ndarray, y: np.ndarray, batch_size: int = 2048
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``(x, y)``.

    For a regression model (``model.loss == "mse"``) the mean squared error and ``nan`` (no
    accuracy).
    ``y`` holds one class label in ``0..g-1`` per row of ``x`` (``g`` the model's number of
    classes).
    """
    batch_size = positive_int(batch_size, "batch_size")
    regression = _is_regression(model)
    _check_model(model, "evaluate_loss" if regression else "predict_proba")
    x = _inputs(x, "x")
    y = _targets(y, "y", x, regression)
    if regression:
        return float(model.evaluate_loss(x, y, batch_size=batch_size)), float("nan")
    try:
        probs = model.predict_proba(x, batch_size=batch_size)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"x does not fit the model: {exc}") from None
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


def fit(
    model: Any,
    optimizer: Optimizer,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int = 128,
    x_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    seed: int = 0,
    progress: bool | str = True,
    checkpoint: str | Path | None = None,
) -> History:
    """Train ``model`` in place for ``epochs`` epochs and return the :class:`History`.

    The batches of every epoch come from one seeded generator, so a run is repeatable. With
    ``checkpoint`` (a ``.npz`` path), the parameters, the optimizer state and the history are
    saved after every epoch (see :func:`save_checkpoint`).

    ``x`` holds one finite example per row; ``y`` one class label ``0..g-1`` per row (or, for a
    regression model, one target row). Every argument is checked before the first step.

    ``progress`` (see :func:`progress_mode`): ``"bar"`` draws a progress bar that moves in a live
    notebook or a terminal; ``"summary"`` prints a table of the loss and accuracy of at most
    ``SUMMARY_ROWS`` epochs (the first, the last, evenly spaced ones between), the form for an
    executed page; ``"off"`` or ``False`` prints nothing. ``True`` (the default) takes the mode from
    the environment variable ``CNNMATH_PROGRESS`` (``bar`` when unset); book builds and tests set
    ``CNNMATH_PROGRESS=summary``.
    """
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    seed = check_seed(seed)
    mode = progress_mode(progress)
    if checkpoint is not None:
        checkpoint = check_path(checkpoint, "checkpoint", suffix=".npz")
    regression = _is_regression(model)
    _check_model(model, "loss_and_grads", *(() if regression else ("predict_proba",)))
    if not isinstance(getattr(model, "params", None), dict):
        raise TypeError(
            f"model must hold its parameters in a dict model.params; got {type(model).__name__}"
        )
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(
            f"optimizer must be a cnnmath.optim.Optimizer; got {type(optimizer).__name__}"
        )
    x = _inputs(x, "x (the training inputs)")
    y = _targets(
        y,
        "y (the training labels)" if not regression else "y (the training targets)",
        x,
        regression,
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
            "y_val (the validation labels)" if not regression else "y_val (the validation targets)",
            x_val,
            regression,
            "x_val",
        )
    if not regression:
        g = _num_classes(model, x, "x (the training inputs)")
        check_labels(y, "y (the training labels)", num_classes=g)
        if y_val is not None:
            check_labels(y_val, "y_val (the validation labels)", num_classes=g)
    rng = np.random.default_rng(seed)
    hist = History()
    n_batches = -(-len(x) // batch_size)
    bar = summary = None
    if mode == "bar":
        from tqdm import tqdm

        bar = tqdm(total=epochs * n_batches, unit="batch", mininterval=2.0)
    elif mode == "summary":
        summary = _Summary(epochs, regression, x_val is not None)
    try:
        for epoch in range(1, epochs + 1):
            total_loss, correct = 0.0, 0
            for b, idx in enumerate(minibatches(len(x), batch_size, rng), start=1):
                try:
                    loss, grads, logits = model.loss_and_grads(x[idx], y[idx])
                except ValueError as exc:
                    if "non-finite" not in str(exc) and "overflow" not in str(exc):
                        raise
                    # the inputs were finite: what overflowed is the training itself
                    loss = float("nan")
                if not np.isfinite(loss):
                    raise ValueError(
                        f"training diverged at epoch {epoch}, batch {b}: the loss or the network's "
                        "values overflowed although x and y are finite; try a smaller learning "
                        "rate "
                        f"than lr={getattr(optimizer, 'lr', '?')}"
                    ) from None
                optimizer.step(model.params, grads)
                total_loss += loss * len(idx)
                if not regression:
                    correct += int(np.sum(logits.argmax(axis=1) == y[idx]))
                if bar is not None:
                    bar.update(1)
            hist.train_loss.append(total_loss / len(x))
            hist.train_acc.append(float("nan") if regression else correct / len(x))
            if x_val is not None:
                vl, va = evaluate(model, x_val, y_val)
                hist.val_loss.append(vl)
                hist.val_acc.append(va)
                if bar is not None:
                    bar.set_postfix(epoch=epoch, val_acc=f"{va:.4f}", refresh=False)
            if summary is not None:
                summary.epoch_done(epoch, hist)
            if checkpoint is not None:
                save_checkpoint(
                    checkpoint,
                    model.params,
                    optimizer,
                    hist,
                    buffers=getattr(model, "buffers", None),
                )
    finally:
        if bar is not None:
            bar.close()
    return hist


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
    params: dict[str, np.ndarray],
    optimizer: Optimizer | None = None,
    history: History | None = None,
    buffers: dict[str, np.ndarray] | None = None,
) -> Path:
    """Write parameters (and optimizer state, history and non-trained buffers such as batch norm's
    running statistics) to ``path`` (``.npz``) atomically."""
    path = check_path(path, "path", suffix=".npz")
    arrays: dict[str, np.ndarray] = {
        f"param/{k}": v for k, v in _numeric_arrays(params, "params").items()
    }
    if buffers is not None:
        arrays.update({f"buffer/{k}": v for k, v in _numeric_arrays(buffers, "buffers").items()})
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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, allow_pickle=False, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint: ``{"params", "buffers", "optimizer_state", "optimizer", "history"}``."""
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
    return out
