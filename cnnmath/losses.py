"""Error (loss) functions and their gradients.

Symbols follow the thesis (§2.3): ``y`` is the true value, ``r`` the predicted value; for
classification from raw scores the logits are ``z``. Every ``*_forward`` returns ``(loss, cache)``
and every ``*_backward(dloss, cache)`` returns the gradient with respect to the prediction (or the
logits), scaled by the scalar upstream gradient ``dloss`` (1 when the loss is the network's output).

``reduction`` says how the per-example losses are combined: ``"mean"`` over the batch (the
convention of torch and of training loops) or ``"sum"`` (the thesis's eq. 26-30 sum over examples).
"""
from __future__ import annotations

from typing import Literal

import numpy as np

from .activations import sigmoid, softmax
from .validate import as_float_array, labels, same_shape

Reduction = Literal["mean", "sum"]


def _reduce_scale(reduction: str, n: int) -> float:
    if reduction == "mean":
        return 1.0 / n
    if reduction == "sum":
        return 1.0
    raise ValueError(f"reduction must be 'mean' or 'sum'; got {reduction!r}")


def _batch_size(y: np.ndarray) -> int:
    return y.shape[0] if y.ndim > 0 else 1


def mse_forward(r: np.ndarray, y: np.ndarray, reduction: Reduction = "mean", half: bool = False) -> tuple[float, object]:
    """:math:`E = c\\sum_i (y_i - r_i)^2` with ``c = 1/n`` (``"mean"``) or 1 (``"sum"``).

    ``half=True`` puts the thesis's factor 1/2 in front (eq. 26: :math:`\\sum \\tfrac12 (y_i-r_i)^2`),
    which makes the gradient exactly :math:`r_i - y_i` (eq. 27); the guide's MSE is
    ``reduction="mean"``, ``half=False``. ``n`` is the number of entries.
    """
    r = as_float_array(r, "r (the prediction)")
    y = as_float_array(y, "y (the target)")
    same_shape(r, y, "r (the prediction)", "y (the target)")
    scale = _reduce_scale(reduction, max(r.size, 1)) * (0.5 if half else 1.0)
    diff = r - y
    return float(scale * np.sum(diff * diff)), (diff, scale)


def mse_backward(dloss: float, cache: object) -> np.ndarray:
    """:math:`\\partial E/\\partial r_i = 2c(r_i - y_i)` (with ``half``: :math:`c(r_i - y_i)`)."""
    diff, scale = cache
    return dloss * 2 * scale * diff


def binary_cross_entropy_forward(r: np.ndarray, y: np.ndarray, reduction: Reduction = "mean") -> tuple[float, object]:
    """:math:`E = -\\sum_i [y_i \\log r_i + (1-y_i)\\log(1-r_i)]` on probabilities ``r`` (thesis eq. 28).

    ``r`` must lie strictly inside (0, 1) where the matching term is used; from raw scores use
    :func:`sigmoid_cross_entropy_forward`, which never takes the log of 0.
    """
    r = as_float_array(r, "r (the predicted probability)")
    y = as_float_array(y, "y (the target, 0 or 1)")
    same_shape(r, y, "r (the predicted probability)", "y (the target, 0 or 1)")
    if np.any((r < 0) | (r > 1)):
        raise ValueError("r (the predicted probability) must lie in [0, 1]")
    if np.any((y < 0) | (y > 1)):
        raise ValueError("y (the target) must lie in [0, 1]")
    if np.any(((r == 0) & (y > 0)) | ((r == 1) & (y < 1))):
        raise ValueError("binary cross-entropy is infinite: some r is exactly 0 or 1 where y says otherwise; "
                         "compute it from logits with sigmoid_cross_entropy_forward")
    scale = _reduce_scale(reduction, _batch_size(r))
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, y * np.log(np.where(r > 0, r, 1)), 0.0) + np.where(
            y < 1, (1 - y) * np.log(np.where(r < 1, 1 - r, 1)), 0.0
        )
    return float(-scale * np.sum(terms)) + 0.0, (r, y, scale)


def binary_cross_entropy_backward(dloss: float, cache: object) -> np.ndarray:
    """:math:`\\partial E/\\partial r_i = (r_i - y_i)/(r_i(1 - r_i))` (thesis eq. 29)."""
    r, y, scale = cache
    return dloss * scale * (r - y) / (r * (1 - r))


def sigmoid_cross_entropy_forward(z: np.ndarray, y: np.ndarray, reduction: Reduction = "mean") -> tuple[float, object]:
    """Binary cross-entropy of :math:`r = \\sigma(z)`, computed from the logits ``z``.

    :math:`-[y\\log\\sigma(z) + (1-y)\\log(1-\\sigma(z))] = \\max(z, 0) - zy + \\log(1 + e^{-|z|})`,
    which is finite for every finite ``z``.
    """
    z = as_float_array(z, "z (the logits)")
    y = as_float_array(y, "y (the target, 0 or 1)")
    same_shape(z, y, "z (the logits)", "y (the target, 0 or 1)")
    scale = _reduce_scale(reduction, _batch_size(z))
    per = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    return float(scale * np.sum(per)), (z, y, scale)


def sigmoid_cross_entropy_backward(dloss: float, cache: object) -> np.ndarray:
    """:math:`\\partial E/\\partial z = \\sigma(z) - y`: the :math:`a(1-a)` factors cancel."""
    z, y, scale = cache
    return dloss * scale * (sigmoid(z) - y)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """:math:`\\log a_i = z_i - m - \\log\\sum_j e^{z_j - m}` along the last axis, ``m = max_j z_j``."""
    z = as_float_array(z, "z (the logits)", ndim=(1, 2))
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def one_hot(y: np.ndarray, num_classes: int) -> np.ndarray:
    """Rows of the identity: ``one_hot(y, g)[n, y[n]] = 1``."""
    y = labels(y, "y (the class labels)", num_classes=num_classes)
    out = np.zeros((y.shape[0], num_classes))
    out[np.arange(y.shape[0]), y] = 1.0
    return out


def _targets(y: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Class labels ``(N,)`` or a one-hot / probability matrix ``(N, g)``, as a matrix like ``shape``."""
    y_arr = np.asarray(y)
    if len(shape) == 2 and y_arr.ndim == 1:
        return one_hot(y_arr, shape[1])
    y_arr = as_float_array(y, "y (the targets)")
    if y_arr.shape != shape:
        raise ValueError(f"y (the targets) must be class labels of shape ({shape[0]},) or a matrix of shape {shape}; got {y_arr.shape}")
    return y_arr


def cross_entropy_forward(r: np.ndarray, y: np.ndarray, reduction: Reduction = "mean") -> tuple[float, object]:
    """:math:`E = -\\sum_i y_i \\log r_i` on probabilities ``r`` (thesis eq. 30, paper eq. 35).

    ``r`` has shape ``(g,)`` or ``(N, g)``; ``y`` is one-hot of the same shape or labels ``(N,)``.
    """
    r = as_float_array(r, "r (the predicted probabilities)", ndim=(1, 2))
    y = _targets(y, r.shape)
    if np.any(r < 0) or np.any(r > 1):
        raise ValueError("r (the predicted probabilities) must lie in [0, 1]")
    if np.any((r == 0) & (y > 0)):
        raise ValueError("cross-entropy is infinite: a true class has probability 0; use softmax_cross_entropy_forward on logits")
    scale = _reduce_scale(reduction, _batch_size(r) if r.ndim == 2 else 1)
    with np.errstate(divide="ignore"):
        terms = np.where(y > 0, y * np.log(np.where(r > 0, r, 1)), 0.0)
    return float(-scale * np.sum(terms)) + 0.0, (r, y, scale)


def cross_entropy_backward(dloss: float, cache: object) -> np.ndarray:
    """:math:`\\partial E/\\partial r_i = -y_i / r_i` (paper eq. 36)."""
    r, y, scale = cache
    with np.errstate(divide="ignore", invalid="ignore"):
        return dloss * scale * np.where(y > 0, -y / np.where(r > 0, r, 1), 0.0)


def softmax_cross_entropy_forward(z: np.ndarray, y: np.ndarray, reduction: Reduction = "mean") -> tuple[float, object]:
    """Cross-entropy of :math:`a = \\mathrm{softmax}(z)`, from the logits ``z`` via :func:`log_softmax`.

    ``z`` has shape ``(N, g)`` (or ``(g,)``); ``y`` holds labels ``(N,)`` or one-hot rows. The cache
    holds ``(a, y, scale)``.
    """
    z = as_float_array(z, "z (the logits)", ndim=(1, 2))
    y = _targets(y, z.shape).astype(z.dtype, copy=False)  # float32 logits keep float32 gradients
    scale = _reduce_scale(reduction, _batch_size(z) if z.ndim == 2 else 1)
    logp = log_softmax(z)
    return float(-scale * np.sum(y * logp)) + 0.0, (np.exp(logp), y, scale)


def softmax_cross_entropy_backward(dloss: float, cache: object) -> np.ndarray:
    """:math:`\\partial E/\\partial z = a - y` for each example (scaled by ``1/N`` for the mean).

    Valid when every row of ``y`` sums to 1 (one-hot or a probability vector).
    """
    a, y, scale = cache
    return dloss * scale * (a - y)


__all__ = [
    "mse_forward", "mse_backward", "binary_cross_entropy_forward", "binary_cross_entropy_backward",
    "sigmoid_cross_entropy_forward", "sigmoid_cross_entropy_backward", "log_softmax", "one_hot",
    "cross_entropy_forward", "cross_entropy_backward", "softmax_cross_entropy_forward",
    "softmax_cross_entropy_backward", "softmax",
]
