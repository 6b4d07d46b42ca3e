"""The training loop: mini-batches in a seeded shuffle, a progress bar, a history, checkpoints.

:func:`fit` trains any model that has ``params`` (a dict of arrays), ``loss_and_grads(x, y)`` and
``predict_proba(x)`` (such as :class:`cnnmath.mlp.MLP`) with an :class:`cnnmath.optim.Optimizer`.
After every epoch it records the loss and accuracy on the training data (the running mean over
the epoch's batches) and on the validation data, and can save a checkpoint.

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

from .optim import Optimizer
from .validate import as_float_array, labels as check_labels, positive_int


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
    """Index arrays covering ``range(n)`` once, in a shuffled order when ``rng`` is given; the last may be short."""
    n = positive_int(n, "n")
    batch_size = positive_int(batch_size, "batch_size")
    order = rng.permutation(n) if rng is not None else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def _is_regression(model: Any) -> bool:
    """A model whose loss is a regression loss (``model.loss == "mse"``, e.g. an autoencoder)."""
    return getattr(model, "loss", "softmax_cross_entropy") == "mse"


def evaluate(model: Any, x: np.ndarray, y: np.ndarray, batch_size: int = 2048) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``(x, y)``.

    For a regression model (``model.loss == "mse"``) the mean squared error and ``nan`` (no accuracy).
    """
    if _is_regression(model):
        return float(model.evaluate_loss(x, y, batch_size=batch_size)), float("nan")
    y = check_labels(y, "y", n=len(x))
    probs = model.predict_proba(x, batch_size=batch_size)
    logp = np.log(np.clip(probs[np.arange(len(y)), y], np.finfo(probs.dtype).tiny, None))
    return float(-logp.mean()), float(np.mean(probs.argmax(axis=1) == y))


def fit(model: Any, optimizer: Optimizer, x: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int = 128,
        x_val: np.ndarray | None = None, y_val: np.ndarray | None = None, seed: int = 0, progress: bool = True,
        checkpoint: str | Path | None = None) -> History:
    """Train ``model`` in place for ``epochs`` epochs and return the :class:`History`.

    The batches of every epoch come from one seeded generator, so a run is repeatable. With
    ``checkpoint``, the parameters, the optimizer state and the history are saved after every
    epoch (see :func:`save_checkpoint`).
    """
    from tqdm import tqdm

    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    x = as_float_array(x, "x (the training inputs)", finite=False)
    regression = _is_regression(model)
    if regression:
        y = as_float_array(y, "y (the training targets)", finite=False)
        if len(y) != len(x):
            raise ValueError(f"y (the training targets) must have one row per input: {len(y)} != {len(x)}")
    else:
        y = check_labels(y, "y (the training labels)", n=len(x))
    if (x_val is None) != (y_val is None):
        raise ValueError("give both x_val and y_val, or neither")
    rng = np.random.default_rng(seed)
    hist = History()
    n_batches = -(-len(x) // batch_size)
    # At most one redraw every 2 s: a live notebook still moves, and an executed page (the book)
    # keeps a few lines of progress instead of one per batch.
    bar = tqdm(total=epochs * n_batches, disable=not progress, unit="batch", mininterval=2.0)
    for epoch in range(1, epochs + 1):
        total_loss, correct = 0.0, 0
        for idx in minibatches(len(x), batch_size, rng):
            loss, grads, logits = model.loss_and_grads(x[idx], y[idx])
            optimizer.step(model.params, grads)
            total_loss += loss * len(idx)
            if not regression:
                correct += int(np.sum(logits.argmax(axis=1) == y[idx]))
            bar.update(1)
        hist.train_loss.append(total_loss / len(x))
        hist.train_acc.append(float("nan") if regression else correct / len(x))
        if x_val is not None:
            vl, va = evaluate(model, x_val, y_val)
            hist.val_loss.append(vl)
            hist.val_acc.append(va)
            bar.set_postfix(epoch=epoch, val_acc=f"{va:.4f}", refresh=False)
        if checkpoint is not None:
            save_checkpoint(checkpoint, model.params, optimizer, hist, buffers=getattr(model, "buffers", None))
    bar.close()
    return hist


def save_checkpoint(path: str | Path, params: dict[str, np.ndarray], optimizer: Optimizer | None = None,
                    history: History | None = None, buffers: dict[str, np.ndarray] | None = None) -> Path:
    """Write parameters (and optimizer state, history and non-trained buffers such as batch norm's
    running statistics) to ``path`` (``.npz``) atomically."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"checkpoints are .npz files; got {path.name!r}")
    arrays: dict[str, np.ndarray] = {f"param/{k}": v for k, v in params.items()}
    arrays.update({f"buffer/{k}": v for k, v in (buffers or {}).items()})
    if optimizer is not None:
        arrays.update({f"optim/{k}": v for k, v in optimizer.state_arrays().items()})
        arrays["meta/optimizer"] = np.array(json.dumps({"rule": optimizer.rule, "lr": optimizer.lr, **optimizer.hyper}))
    if history is not None:
        arrays["meta/history"] = np.array(json.dumps(asdict(history)))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint: ``{"params", "buffers", "optimizer_state", "optimizer", "history"}``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"{path} is not a readable .npz checkpoint ({exc})") from None
    out: dict[str, Any] = {"params": {}, "buffers": {}, "optimizer_state": {}, "optimizer": None, "history": None}
    for k, v in arrays.items():
        group, name = k.split("/", 1)
        if group == "param":
            out["params"][name] = v
        elif group == "buffer":
            out["buffers"][name] = v
        elif group == "optim":
            out["optimizer_state"][name] = v
        elif name == "optimizer":
            out["optimizer"] = json.loads(str(v))
        elif name == "history":
            out["history"] = History(**json.loads(str(v)))
    return out

