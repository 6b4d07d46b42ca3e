"""Inverted dropout (thesis §3.2.4): drop each unit with probability p, scale the survivors by 1/(1-p).

Training: :math:`y = x \\odot \\frac{\\mathbf 1[u \\ge p]}{1-p}` with :math:`u \\sim U(0, 1)` drawn
afresh for every unit and every call, so that :math:`E[y] = x`. Evaluation: :math:`y = x`.
Backward: the same mask, :math:`\\partial E/\\partial x = \\partial E/\\partial y \\odot \\text{mask}`.
The random numbers come from a ``numpy.random.Generator``, so a seeded run is repeatable.
"""
from __future__ import annotations

import numpy as np

from .validate import as_float_array


def _check_p(p: float) -> float:
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise TypeError(f"p (the dropout probability) must be a number; got {p!r}") from None
    if not 0 <= p <= 1:
        raise ValueError(f"p (the dropout probability) must lie in [0, 1]; got {p}")
    return p


def dropout_forward(x: np.ndarray, p: float, rng: np.random.Generator | None = None, *,
                    training: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Returns ``(y, mask)``; the mask (already scaled by 1/(1-p)) is the cache, None in evaluation mode."""
    x = as_float_array(x, "x", finite=False)
    p = _check_p(p)
    if not training or p == 0:
        return x, None
    if rng is None:
        raise ValueError("training-mode dropout needs a numpy.random.Generator (rng) for its random mask")
    keep = rng.random(x.shape) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    mask = (keep * scale).astype(x.dtype)
    return x * mask, mask


def dropout_backward(dout: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """:math:`\\partial E/\\partial x = \\partial E/\\partial y \\odot \\text{mask}` (identity in evaluation mode)."""
    dout = as_float_array(dout, "dout (the upstream gradient)", finite=False)
    if mask is None:
        return dout
    if dout.shape != mask.shape:
        raise ValueError(f"dout must have the output's shape {mask.shape}; got {dout.shape}")
    return dout * mask


def dropout_forward_naive(x: np.ndarray, p: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Unit by unit, in the words of the thesis: draw a number; below p the unit drops, else it is divided by 1 - p."""
    x = as_float_array(x, "x", finite=False)
    p = _check_p(p)
    u = rng.random(x.shape)
    y, mask = np.empty_like(x), np.empty_like(x)
    for idx in np.ndindex(x.shape):
        mask[idx] = 0.0 if u[idx] < p else 1.0 / (1.0 - p)
        y[idx] = x[idx] * mask[idx]
    return y, mask
