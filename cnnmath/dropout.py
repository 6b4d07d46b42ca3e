"""Inverted dropout (thesis §3.2.4): drop each unit with probability p, scale the survivors by
1/(1-p).

Training: :math:`y = x \\odot \\frac{\\mathbf 1[u \\ge p]}{1-p}` with :math:`u \\sim U(0, 1)` drawn
afresh for every unit and every call, so that :math:`E[y] = x`. Evaluation: :math:`y = x`.
Backward: the same mask,
:math:`\\partial E/\\partial x = \\partial E/\\partial y \\odot \\text{mask}`.
The random numbers come from a ``numpy.random.Generator``, so a seeded run is repeatable.
"""

from __future__ import annotations

import numpy as np

from .arguments import as_float_array, flag, generator, in_range


def _check_p(p: float) -> float:
    return in_range(p, "p (the dropout probability)", 0, 1)


def dropout_forward(
    x: np.ndarray, p: float, rng: np.random.Generator | None = None, *, training: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """Returns ``(y, mask)``; the mask (already scaled by 1/(1-p)) is the cache, None in evaluation
    mode.

    ``x`` is an array of any shape, finite; ``p`` lies in [0, 1]; ``rng`` is the
    ``numpy.random.Generator`` that draws the mask (needed in training mode with ``p > 0``).
    """
    x = as_float_array(x, "x")
    p = _check_p(p)
    if not flag(training, "training") or p == 0:
        return x, None
    if rng is None:
        raise ValueError(
            "training-mode dropout needs a numpy.random.Generator (rng) for its random mask"
        )
    keep = generator(rng).random(x.shape) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    mask = (keep * scale).astype(x.dtype)
    return x * mask, mask


def dropout_backward(dout: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """:math:`\\partial E/\\partial x = \\partial E/\\partial y \\odot \\text{mask}` (identity in
    evaluation mode).

    ``mask`` is the cache of :func:`dropout_forward`: the scaled mask, or None in evaluation mode.
    """
    dout = as_float_array(dout, "dout (the upstream gradient)")
    if mask is None:
        return dout
    if not isinstance(mask, np.ndarray) or mask.dtype.kind != "f":
        raise TypeError(
            "mask must be the cache returned by dropout_forward (a float array, or None in "
            "evaluation "
            f"mode); got {type(mask).__name__}"
        )
    if dout.shape != mask.shape:
        raise ValueError(
            f"dout must have the output's shape {mask.shape} (that of mask); got {dout.shape}"
        )
    return dout * mask


def dropout_forward_naive(
    x: np.ndarray, p: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Unit by unit, in the words of the thesis: draw a number; below p the unit drops, else it is
    divided by 1 - p."""
    x = as_float_array(x, "x")
    p = _check_p(p)
    u = generator(rng).random(x.shape)
    y, mask = np.empty_like(x), np.empty_like(x)
    for idx in np.ndindex(x.shape):
        mask[idx] = 0.0 if u[idx] < p else 1.0 / (1.0 - p)
        y[idx] = x[idx] * mask[idx]
    return y, mask
