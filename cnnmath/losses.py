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
from .arguments import (
    NUMBER,
    as_float_array,
    flag,
    labels,
    number,
    positive_int,
    probability_rows,
    same_shape,
    unpack_cache,
)

Reduction = Literal["mean", "sum"]


def _reduce_scale(reduction: str, n: int) -> float:
    if reduction == "mean":
        return 1.0 / n
    if reduction == "sum":
        return 1.0
    raise ValueError(f"reduction must be 'mean' or 'sum'; got {reduction!r}")


def _batch_size(y: np.ndarray) -> int:
    return y.shape[0] if y.ndim > 0 else 1


def _finite_loss(value: float, name: str) -> float:
    """The loss as a float; one that overflows to inf (or nan) is an error naming the input, not a
    result."""
    if not np.isfinite(value):
        raise ValueError(
            f"the loss overflows the float range for these values of {name}; rescale them"
        )
    return float(value) + 0.0  # + 0.0 turns -0.0 into 0.0


def _dloss(dloss: object) -> float:
    return number(dloss, "dloss (the upstream gradient, a number)")


def _unpack(cache: object, producer: str, first: str, second: str = "y") -> tuple:
    return unpack_cache(cache, producer, {first: np.ndarray, second: np.ndarray, "scale": NUMBER})


def mse_forward(
    r: np.ndarray, y: np.ndarray, reduction: Reduction = "mean", half: bool = False
) -> tuple[float, object]:
    """:math:`E = c\\sum_i (y_i - r_i)^2` with ``c = 1/n`` (``"mean"``) or 1 (``"sum"``).

    ``half=True`` puts the thesis's factor 1/2 in front (eq. 26:
    :math:`\\sum \\tfrac12 (y_i-r_i)^2`),
    which makes the gradient exactly :math:`r_i - y_i` (eq. 27); the guide's MSE is
    ``reduction="mean"``, ``half=False``. ``n`` is the number of entries.
    """
    r = as_float_array(r, "r (the prediction)")
    y = as_float_array(y, "y (the target)")
    same_shape(r, y, "r (the prediction)", "y (the target)")
    scale = _reduce_scale(reduction, max(r.size, 1)) * (0.5 if flag(half, "half") else 1.0)
    with np.errstate(over="ignore"):
        diff = r - y
        loss = scale * np.sum(diff * diff)
    return _finite_loss(loss, "r and y"), (diff, scale)


def mse_backward(dloss: float, cache: object) -> np.ndarray:
    """:math:`\\partial E/\\partial r_i = 2c(r_i - y_i)` (with ``half``: :math:`c(r_i - y_i)`)."""
    diff, scale = unpack_cache(cache, "mse_forward", {"r - y": np.ndarray, "scale": NUMBER})
    return _dloss(dloss) * 2 * scale * diff


def binary_cross_entropy_forward(
    r: np.ndarray, y: np.ndarray, reduction: Reduction = "mean"
) -> tuple[float, object]:
    """:math:`E = -\\sum_i [y_i \\log r_i + (1-y_i)\\log(1-r_i)]` on probabilities ``r`` (thesis
    eq. 28).

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
        raise ValueError(
            "binary cross-entropy is infinite: some r is exactly 0 or 1 where y says otherwise; "
            "compute it from logits with sigmoid_cross_entropy_forward"
        )
    scale = _reduce_scale(reduction, _batch_size(r))
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, y * np.log(np.where(r > 0, r, 1)), 0.0) + np.where(
            y < 1, (1 - y) * np.log(np.where(r < 1, 1 - r, 1)), 0.0
        )
    return _finite_loss(-scale * np.sum(terms), "r"), (r, y, scale)


def binary_cross_entropy_backward(dloss: float, cache: object) -> np.ndarray:
    """:math:`\\partial E/\\partial r_i = (r_i - y_i)/(r_i(1 - r_i))` (thesis eq. 29).

    At the end points the forward pass accepts (``r = 0`` with ``y = 0``, ``r = 1`` with ``y = 1``)
    the formula reads 0/0; there the gradient is its limit, the one-sided derivative
    :math:`(1-y)/(1-r) = 1` at ``r = 0`` and :math:`-y/r = -1` at ``r = 1``.
    """
    r, y, scale = _unpack(cache, "binary_cross_entropy_forward", "r")
    dloss = _dloss(dloss)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        grad = np.where(r == 0, 1.0, np.where(r == 1, -1.0, (r - y) / (r * (1 - r)))).astype(
            r.dtype, copy=False
        )
    if not np.all(np.isfinite(grad)):
        raise ValueError(
            "the gradient overflows: some r (the predicted probability) is within a subnormal "
            "number of "
            "0 or 1 where y differs; compute the loss from logits with "
            "sigmoid_cross_entropy_forward"
        )
    return dloss * scale * grad


def sigmoid_cross_entropy_forward(
    z: np.ndarray, y: np.ndarray, reduction: Reduction = "mean"
) -> tuple[float, object]:
    """Binary cross-entropy of :math:`r = \\sigma(z)`, computed from the logits ``z``.

    :math:`-[y\\log\\sigma(z) + (1-y)\\log(1-\\sigma(z))] = \\max(z, 0) - zy + \\log(1 + e^{-|z|})`,
    which is finite for every finite ``z``.
    """
    z = as_float_array(z, "z (the logits)")
    y = as_float_array(y, "y (the target, 0 or 1)")
    same_shape(z, y, "z (the logits)", "y (the target, 0 or 1)")
    if np.any((y < 0) | (y > 1)):
        raise ValueError(
            f"y (the target) must lie in [0, 1]; got values from {y.min():g} to {y.max():g}"
        )
    scale = _reduce_scale(reduction, _batch_size(z))
    with np.errstate(over="ignore"):
        per = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        loss = scale * np.sum(per)
    return _finite_loss(loss, "z (the logits)"), (z, y, scale)


def sigmoid_cross_entropy_backward(dloss: float, cache: object) -> np.ndarray:
    """:math:`\\partial E/\\partial z = \\sigma(z) - y`: the :math:`a(1-a)` factors cancel."""
    z, y, scale = _unpack(cache, "sigmoid_cross_entropy_forward", "z")
    return _dloss(dloss) * scale * (sigmoid(z) - y)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """:math:`\\log a_i = z_i - m - \\log\\sum_j e^{z_j - m}` along the last axis, ``m = max_j
    z_j``."""
    z = as_float_array(z, "z (the logits)", ndim=(1, 2))
    if z.shape[-1] == 0:
        raise ValueError(f"z must hold at least one logit per row (class); got shape {z.shape}")
    # With logits near the float limits, z - max can fall below -1.8e308: its true log-probability
    # is not representable, and -inf is its correctly rounded value.
    with np.errstate(over="ignore"):
        shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def one_hot(y: np.ndarray, num_classes: int) -> np.ndarray:
    """Rows of the identity: ``one_hot(y, g)[n, y[n]] = 1``."""
    num_classes = positive_int(num_classes, "num_classes")
    y = labels(y, "y (the class labels)", num_classes=num_classes)
    out = np.zeros((y.shape[0], num_classes))
    out[np.arange(y.shape[0]), y] = 1.0
    return out


def _targets(y: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Class labels ``(N,)`` or a one-hot / probability matrix ``(N, g)``, as a matrix like
    ``shape``.

    Probability targets must have rows in [0, 1] that sum to 1: the gradient ``a - y`` of softmax
    cross-entropy holds only then.
    """
    if isinstance(y, (list, tuple)):  # a ragged list must fail here, not inside np.ndim
        y = as_float_array(y, "y (the targets)")
    if len(shape) == 2 and np.ndim(y) == 1:
        return one_hot(
            labels(y, "y (the class labels)", n=shape[0], num_classes=shape[1]), shape[1]
        )
    y_arr = as_float_array(y, "y (the targets)")
    if y_arr.shape != shape:
        want = (
            f"class labels of shape ({shape[0]},) or a matrix of shape {shape}"
            if len(shape) == 2
            else f"a probability vector of shape {shape}, like the logits"
        )
        raise ValueError(f"y (the targets) must be {want}; got shape {y_arr.shape}")
    return probability_rows(y_arr, "y (the targets)")


def cross_entropy_forward(
    r: np.ndarray, y: np.ndarray, reduction: Reduction = "mean"
) -> tuple[float, object]:
    """:math:`E = -\\sum_i y_i \\log r_i` on probabilities ``r`` (thesis eq. 30, paper eq. 35).

    ``r`` has shape ``(g,)`` or ``(N, g)``; ``y`` is one-hot of the same shape or labels ``(N,)``.
    """
    r = as_float_array(r, "r (the predicted probabilities)", ndim=(1, 2))
    if r.shape[-1] == 0:
        raise ValueError(f"r must hold one probability per class; got shape {r.shape}")
    y = _targets(y, r.shape)
    probability_rows(r, "r (the predicted probabilities)")
    if np.any((r == 0) & (y > 0)):
        raise ValueError(
            "cross-entropy is infinite: a true class has probability 0; use "
            "softmax_cross_entropy_forward on logits"
        )
    scale = _reduce_scale(reduction, _batch_size(r) if r.ndim == 2 else 1)
    with np.errstate(divide="ignore"):
        terms = np.where(y > 0, y * np.log(np.where(r > 0, r, 1)), 0.0)
    return _finite_loss(-scale * np.sum(terms), "r"), (r, y, scale)


def cross_entropy_backward(dloss: float, cache: object) -> np.ndarray:
    """:math:`\\partial E/\\partial r_i = -y_i / r_i` (paper eq. 36)."""
    r, y, scale = _unpack(cache, "cross_entropy_forward", "r")
    dloss = _dloss(dloss)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        grad = np.where(y > 0, -y / np.where(r > 0, r, 1), 0.0)
    if not np.all(np.isfinite(grad)):
        raise ValueError(
            "the gradient -y/r overflows: a true class has a subnormal probability r; "
            "use softmax_cross_entropy_forward on logits"
        )
    return dloss * scale * grad


def softmax_cross_entropy_forward(
    z: np.ndarray, y: np.ndarray, reduction: Reduction = "mean"
) -> tuple[float, object]:
    """Cross-entropy of :math:`a = \\mathrm{softmax}(z)`, from the logits ``z`` via
    :func:`log_softmax`.

    ``z`` has shape ``(N, g)`` (or ``(g,)``); ``y`` holds labels ``(N,)`` or one-hot rows. The cache
    holds ``(a, y, scale)``.
    """
    z = as_float_array(z, "z (the logits)", ndim=(1, 2))
    if z.shape[-1] == 0:
        raise ValueError(f"z must hold at least one logit per row (class); got shape {z.shape}")
    y = _targets(y, z.shape).astype(z.dtype, copy=False)  # float32 logits keep float32 gradients
    scale = _reduce_scale(reduction, _batch_size(z) if z.ndim == 2 else 1)
    logp = log_softmax(z)
    # A class with y = 0 contributes 0 even where its log-probability underflowed to -inf.
    with np.errstate(over="ignore", invalid="ignore"):
        loss = -scale * np.sum(np.where(y != 0, y * logp, 0))
    return _finite_loss(loss, "z (the logits)"), (np.exp(logp), y, scale)


def softmax_cross_entropy_backward(dloss: float, cache: object) -> np.ndarray:
    """:math:`\\partial E/\\partial z = a - y` for each example (scaled by ``1/N`` for the mean).

    Valid when every row of ``y`` sums to 1 (one-hot or a probability vector), which the forward
    pass checks.
    """
    a, y, scale = unpack_cache(
        cache, "softmax_cross_entropy_forward", {"a": np.ndarray, "y": np.ndarray, "scale": NUMBER}
    )
    return _dloss(dloss) * scale * (a - y)


__all__ = [
    "mse_forward",
    "mse_backward",
    "binary_cross_entropy_forward",
    "binary_cross_entropy_backward",
    "sigmoid_cross_entropy_forward",
    "sigmoid_cross_entropy_backward",
    "log_softmax",
    "one_hot",
    "cross_entropy_forward",
    "cross_entropy_backward",
    "softmax_cross_entropy_forward",
    "softmax_cross_entropy_backward",
    "softmax",
]
