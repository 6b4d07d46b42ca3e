"""LeNet-5's output layer (LeCun et al. 1998, §II.B): Euclidean radial basis function units.

.. math::
    y_{n,i} = \\sum_j (x_{n,j} - w_{i,j})^2

Each output unit measures the squared distance between its input vector and its parameter vector
:math:`\\mathbf w_i`: the further the input from the class's prototype, the larger the penalty.
The paper chose the prototypes by hand (stylized 7x12 bitmaps of the characters, entries
:math:`\\pm 1`) and kept them fixed. Backward:
:math:`\\partial E/\\partial x_{n,j}
= 2\\sum_i \\partial E/\\partial y_{n,i}\\,(x_{n,j} - w_{i,j})` and
:math:`\\partial E/\\partial w_{i,j}
= -2\\sum_n \\partial E/\\partial y_{n,i}\\,(x_{n,j} - w_{i,j})`.
"""

from __future__ import annotations

import numpy as np

from .arguments import as_float_array, flag, unpack_cache


def rbf_forward(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, tuple]:
    """:math:`y_{n,i} = \\|\\mathbf x_n - \\mathbf w_i\\|^2`; returns ``(y, cache)``.

    ``x`` ``(N, D)``, ``w`` ``(K, D)``; ``y`` ``(N, K)``, every entry >= 0.
    """
    x = as_float_array(x, "x (the input, shape (N, D))", ndim=2)
    w = as_float_array(w, "w (the prototypes, shape (K, D))", ndim=2)
    if w.shape[1] != x.shape[1]:
        raise ValueError(
            f"w needs one prototype of length {x.shape[1]} per unit; got shape {w.shape}"
        )
    # the differences first, then their squares: never negative, and exact 0 at a prototype
    # (the expansion |x|^2 - 2 x.w + |w|^2 cancels to rounding noise there, -2.8e-14 for one)
    d = x[:, None, :] - w[None, :, :]
    y = np.einsum("nkd,nkd->nk", d, d)
    return y, (x, w)


def rbf_backward(dout: np.ndarray, cache: tuple, need_dx: bool = True):
    """``(dx, dw)`` for :func:`rbf_forward` (``dx`` None with ``need_dx=False``)."""
    x, w = unpack_cache(cache, "rbf_forward", {"x": np.ndarray, "w": np.ndarray})
    if x.ndim != 2 or w.ndim != 2 or x.shape[1] != w.shape[1]:
        raise ValueError(
            "cache must be the (x, w) tuple returned by rbf_forward; got arrays of shapes "
            f"{x.shape} and {w.shape}"
        )
    need_dx = flag(need_dx, "need_dx")
    dout = as_float_array(dout, "dout (the upstream gradient)", finite=False)
    if dout.shape != (x.shape[0], w.shape[0]):
        raise ValueError(
            f"dout must have the output's shape {(x.shape[0], w.shape[0])}; got {dout.shape}"
        )
    dw = 2 * (dout.sum(0)[:, None] * w - dout.T @ x)
    dx = 2 * (dout.sum(1)[:, None] * x - dout @ w) if need_dx else None
    return dx, dw
