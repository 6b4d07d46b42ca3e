"""LeNet-5's trainable subsampling (LeCun et al. 1998, §II.B): window sums, scaled and shifted.

.. math::
    Y_{n,c,i,j} = w_c \\sum_{u<k_h,\\ v<k_w} X_{n,c,\\, i s_h + u,\\, j s_w + v} + b_c

One trained coefficient :math:`w_c` and one trained bias :math:`b_c` per channel (the paper then
applies a squashing function, a separate layer here). With :math:`w_c = 1/(k_h k_w)` and
:math:`b_c = 0` it is average pooling, which is what the modern versions keep. The window sum is
average pooling (:func:`cnnmath.pool.avgpool_forward`) times :math:`k_h k_w`, so backward is

.. math::
    \\frac{\\partial E}{\\partial w_c}
        = \\sum_{n,i,j} \\frac{\\partial E}{\\partial Y_{n,c,i,j}} S_{n,c,i,j},\\quad
    \\frac{\\partial E}{\\partial b_c}
        = \\sum_{n,i,j} \\frac{\\partial E}{\\partial Y_{n,c,i,j}},\\quad
    \\frac{\\partial E}{\\partial X}
        = \\text{avgpool}^T\\Big(k_h k_w\\, w_c \\frac{\\partial E}{\\partial Y}\\Big),

with :math:`S` the window sums.
"""

from __future__ import annotations

import numpy as np

from .arguments import as_float_array, unpack_cache
from .conv import _pair
from .pool import avgpool_backward, avgpool_forward


def subsample_forward(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray, kernel_size=2, stride=None
) -> tuple[np.ndarray, tuple]:
    """:math:`Y = w_c \\sum_{\\text{window}} X + b_c` per channel; returns ``(Y, cache)``.

    ``x`` ``(N, C, H, W)``, ``weight`` and ``bias`` ``(C,)``; ``stride`` defaults to the window.
    """
    x = as_float_array(x, "x (the input, shape (N, C, H, W))", ndim=4)
    C = x.shape[1]
    weight = as_float_array(weight, "weight (one coefficient per channel)", ndim=1)
    bias = as_float_array(bias, "bias (one per channel)", ndim=1)
    if weight.shape != (C,) or bias.shape != (C,):
        raise ValueError(
            f"weight and bias need one entry per input channel, shape ({C},); "
            f"got {weight.shape} and {bias.shape}"
        )
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    avg, pool_cache = avgpool_forward(x, (kh, kw), stride)
    area = kh * kw
    s = avg * area
    y = s * weight[:, None, None] + bias[:, None, None]
    return y, (s, weight, area, pool_cache)


def subsample_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(dx, dweight, dbias)`` for :func:`subsample_forward`."""
    s, weight, area, pool_cache = unpack_cache(
        cache,
        "subsample_forward",
        {"s": np.ndarray, "weight": np.ndarray, "area": int, "pool cache": tuple},
    )
    if s.ndim != 4 or weight.shape != (s.shape[1],):
        raise ValueError(
            "cache must be the (s, weight, area, pool cache) tuple returned by subsample_forward; "
            f"got s of shape {s.shape} and weight of shape {weight.shape}"
        )
    dout = as_float_array(dout, "dout (the upstream gradient)", finite=False)
    if dout.shape != s.shape:
        raise ValueError(f"dout must have the output's shape {s.shape}; got {dout.shape}")
    dweight = np.einsum("nchw,nchw->c", dout, s)
    dbias = dout.sum(axis=(0, 2, 3))
    dx = avgpool_backward(dout * (area * weight)[:, None, None], pool_cache)
    return dx, dweight.astype(weight.dtype, copy=False), dbias.astype(weight.dtype, copy=False)
