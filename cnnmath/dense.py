"""The fully connected (dense) layer in the matrix form of paper eq. 5, batched over rows.

For one example the paper writes
:math:`\\mathbf z^{(l)} = W^{(l)}\\mathbf a^{(l-1)} + \\mathbf b^{(l)}`
with ``W`` of shape ``(out, in)`` (torch's ``nn.Linear.weight``). Stacking ``N`` examples as the
rows of ``A`` gives :math:`Z = A W^T + \\mathbf 1 \\mathbf b^T`, which is what the code computes.
Backward (paper eq. 2-4, summed over the batch):

.. math::
    \\frac{\\partial \\ell}{\\partial A} = \\frac{\\partial \\ell}{\\partial Z} W,\\qquad
    \\frac{\\partial \\ell}{\\partial W} = \\Big(\\frac{\\partial \\ell}{\\partial Z}\\Big)^T
    A,\\qquad
    \\frac{\\partial \\ell}{\\partial \\mathbf b} = \\sum_n
    \\frac{\\partial \\ell}{\\partial Z_{n,:}}.
"""

from __future__ import annotations

import numpy as np

from .arguments import as_float_array, flag, unpack_cache


def affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """:math:`Z = X W^T + \\mathbf b`.

    Shapes: ``x`` ``(N, D_in)`` (or ``(N, ...)``, flattened to ``(N, D_in)``), ``w`` ``(D_out,
    D_in)``,
    ``b`` ``(D_out,)``; returns ``z`` ``(N, D_out)`` and the cache ``(x, w)``. Non-finite values in
    any of them are an error.
    """
    x = as_float_array(x, "x (the layer input)")
    w = as_float_array(w, "w (the weights, shape (out, in))", ndim=2)
    b = as_float_array(b, "b (the biases)", ndim=1)
    if x.ndim < 2 or x.size == 0:
        raise ValueError(
            f"x must be a non-empty batch of shape (N, {w.shape[1]}); got shape {x.shape}"
        )
    x2 = x.reshape(x.shape[0], -1)
    if x2.shape[1] != w.shape[1]:
        raise ValueError(
            f"x has {x2.shape[1]} features per example but w expects {w.shape[1]} (w has shape "
            f"{w.shape})"
        )
    if b.shape[0] != w.shape[0]:
        raise ValueError(f"b must have one bias per output ({w.shape[0]}); got shape {b.shape}")
    return x2 @ w.T + b, (x, w)


def affine_backward(
    dz: np.ndarray, cache: tuple, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Return ``(dx, dw, db)``: :math:`\\partial\\ell/\\partial Z\\, W`,
    :math:`(\\partial\\ell/\\partial Z)^T X`, column sums.

    ``need_dx=False`` skips ``dx`` (returned as None) for a layer that reads the network's input,
    whose gradient nobody uses; it is a third of the layer's backward work.
    """
    x, w = unpack_cache(cache, "affine_forward", {"x": np.ndarray, "w": np.ndarray})
    if w.ndim != 2 or x.ndim < 2:
        raise ValueError(
            f"cache must be the (x, w) tuple returned by affine_forward; got arrays of shapes "
            f"{x.shape} and {w.shape}"
        )
    need_dx = flag(need_dx, "need_dx")
    dz = as_float_array(dz, "dz (the upstream gradient)")
    if dz.shape != (x.shape[0], w.shape[0]):
        raise ValueError(f"dz must have shape {(x.shape[0], w.shape[0])}; got {dz.shape}")
    x2 = x.reshape(x.shape[0], -1)
    dx = (dz @ w).reshape(x.shape) if need_dx else None
    return dx, dz.T @ x2, dz.sum(axis=0)
