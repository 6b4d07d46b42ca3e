"""Max and average pooling over windows of each channel, forward and backward (torch's semantics).

For a window of size :math:`k_h \\times k_w` moved with stride :math:`s` over the input padded by
:math:`p` (thesis eq. 74 and 77, paper eq. 29, with 0-based indices):

.. math::
    Z_{n,c,i,j} = \\max_{u<k_h,\\ v<k_w} \\tilde X_{n,c,\\, i s_h + u,\\, j s_w + v}
    \\qquad\\text{or}\\qquad
    Z_{n,c,i,j} = \\frac{1}{k_h k_w}\\sum_{u<k_h,\\ v<k_w} \\tilde X_{n,c,\\, i s_h + u,\\, j s_w + v}.

Max pooling pads with :math:`-\\infty` (padding never wins); average pooling pads with zeros and,
like torch's default ``count_include_pad=True``, divides by :math:`k_h k_w` everywhere. Padding
may be at most half the window. The output size is that of a convolution:
:math:`\\lfloor (n + 2p - k)/s\\rfloor + 1`.

Backward: max pooling routes each upstream gradient to the input that won its window (the
"switch"); where several inputs tie, to the first in row-major order, as torch does. Average
pooling shares it equally, :math:`1/(k_h k_w)` to each input of the window. With overlapping
windows (stride smaller than the window) an input collects the contributions of every window it
belongs to.
"""

from __future__ import annotations

import numpy as np

from .arguments import as_float_array, unpack_cache
from .conv import _pair, output_size


def _geometry(shape: tuple[int, ...], kernel_size, stride, padding) -> tuple:
    if len(shape) != 4:
        raise ValueError(f"x must have shape (N, C, H, W); got shape {tuple(shape)}")
    N, C, H, W = shape
    if min(shape) < 1:
        raise ValueError(f"x must have no empty axis; got shape {tuple(shape)}")
    k = _pair(kernel_size, "kernel_size", 1)
    s = k if stride is None else _pair(stride, "stride", 1)
    p = _pair(padding, "padding", 0)
    for axis in (0, 1):
        if 2 * p[axis] > k[axis]:
            raise ValueError(
                f"padding {p} must be at most half the window {k} (a window of only padding has no maximum)"
            )
    OH, OW = output_size(H, k[0], s[0], p[0]), output_size(W, k[1], s[1], p[1])
    return N, C, H, W, k, s, p, OH, OW


def _padded(x: np.ndarray, p: tuple[int, int], value: float) -> np.ndarray:
    if p == (0, 0):
        return x
    return np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=value)


def _slices(k_offset: tuple[int, int], s, OH: int, OW: int) -> tuple[slice, slice, slice, slice]:
    """Index of the padded input's slab at window offset (u, v): one entry per output position."""
    u, v = k_offset
    return (
        slice(None),
        slice(None),
        slice(u, u + s[0] * (OH - 1) + 1, s[0]),
        slice(v, v + s[1] * (OW - 1) + 1, s[1]),
    )


def maxpool_forward(x: np.ndarray, kernel_size, stride=None, padding=0) -> tuple[np.ndarray, tuple]:
    """Maximum over each window; ``stride`` defaults to the window size. The cache holds the switches.

    One pass per window offset: compare the slab of inputs at that offset with the best so far and
    remember the offset where the maximum was first found (``>`` keeps the first one on ties).
    """
    x = as_float_array(x, "x (the input, shape (N, C, H, W))", ndim=4)
    N, C, H, W, k, s, p, OH, OW = _geometry(x.shape, kernel_size, stride, padding)
    if s == k and p == (0, 0) and H == OH * k[0] and W == OW * k[1]:
        # Non-overlapping windows that tile the input: reduce over a reshaped view.
        x6 = x.reshape(N, C, OH, k[0], OW, k[1])
        out = x6[:, :, :, 0, :, 0].copy()
        for u in range(k[0]):
            for v in range(k[1]):
                np.maximum(out, x6[:, :, :, u, :, v], out=out)
        # The switches: the first offset (row-major) whose input equals the maximum. Going through the
        # offsets backwards, each match overwrites the later ones; arithmetic on the boolean match is
        # several times faster than masked copies into strided slabs.
        arg = np.full(out.shape, k[0] * k[1] - 1, dtype=_switch_dtype(k))
        for idx in range(k[0] * k[1] - 2, -1, -1):
            u, v = divmod(idx, k[1])
            arg -= (arg - arg.dtype.type(idx)) * (x6[:, :, :, u, :, v] == out)
        return out, ("tiled", arg, x.shape, k, s, p)
    return _maxpool_general(x, k, s, p, OH, OW)


def _switch_dtype(k: tuple[int, int]) -> type:
    return np.int8 if k[0] * k[1] <= 127 else np.int32


def _maxpool_general(x: np.ndarray, k, s, p, OH: int, OW: int) -> tuple[np.ndarray, tuple]:
    xp = _padded(x, p, -np.inf)
    out = xp[_slices((0, 0), s, OH, OW)].copy()
    arg = np.zeros(out.shape, dtype=_switch_dtype(k))
    for u in range(k[0]):
        for v in range(k[1]):
            if u == v == 0:
                continue
            cand = xp[_slices((u, v), s, OH, OW)]
            better = cand > out  # strictly greater: ties stay with the first maximum
            np.maximum(out, cand, out=out)
            arg += (arg.dtype.type(u * k[1] + v) - arg) * better
    return out, ("general", arg, x.shape, k, s, p)


def maxpool_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Route each upstream gradient to the input that won its window; sum where windows overlap.

    The cache holds only the switches (the winning offset of every window), never the input, so
    changing the input after the forward pass cannot change the gradient.
    """
    kind, arg, shape, k, s, p = _maxpool_cache(cache)
    N, C, H, W = shape
    dout = as_float_array(dout, "dout (the upstream gradient)", finite=False)
    if dout.shape != arg.shape:
        raise ValueError(f"dout must have the output's shape {arg.shape}; got {dout.shape}")
    OH, OW = arg.shape[2:]
    if kind == "tiled":
        dx6 = np.empty((N, C, OH, k[0], OW, k[1]), dtype=dout.dtype)
        for u in range(k[0]):
            for v in range(k[1]):
                np.multiply(dout, arg == u * k[1] + v, out=dx6[:, :, :, u, :, v])
        return dx6.reshape(N, C, H, W)
    dxp = np.zeros((N, C, H + 2 * p[0], W + 2 * p[1]), dtype=dout.dtype)
    for u in range(k[0]):
        for v in range(k[1]):
            dxp[_slices((u, v), s, OH, OW)] += dout * (arg == u * k[1] + v)
    return dxp[:, :, p[0] : p[0] + H, p[1] : p[1] + W]


def _maxpool_cache(cache: object) -> tuple:
    """Check that ``cache`` is what :func:`maxpool_forward` returned."""
    cache = unpack_cache(
        cache,
        "maxpool_forward",
        {
            "path": str,
            "switches": np.ndarray,
            "shape": tuple,
            "kernel": tuple,
            "stride": tuple,
            "padding": tuple,
        },
    )
    if cache[0] not in ("tiled", "general"):
        raise ValueError(
            f"cache must be the tuple returned by maxpool_forward; its path is {cache[0]!r}"
        )
    return cache


def avgpool_forward(x: np.ndarray, kernel_size, stride=None, padding=0) -> tuple[np.ndarray, tuple]:
    """Mean over each window (zero padding included in the count, as torch's default)."""
    x = as_float_array(x, "x (the input, shape (N, C, H, W))", ndim=4)
    N, C, H, W, k, s, p, OH, OW = _geometry(x.shape, kernel_size, stride, padding)
    xp = _padded(x, p, 0.0)
    total = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for u in range(k[0]):
        for v in range(k[1]):
            total += xp[_slices((u, v), s, OH, OW)]
    return total / x.dtype.type(k[0] * k[1]), (x.shape, k, s, p, OH, OW)


def avgpool_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """Share each upstream gradient equally, :math:`1/(k_h k_w)`, among the inputs of its window."""
    shape, k, s, p, OH, OW = unpack_cache(
        cache,
        "avgpool_forward",
        {"shape": tuple, "kernel": tuple, "stride": tuple, "padding": tuple, "OH": int, "OW": int},
    )
    N, C, H, W = shape
    dout = as_float_array(dout, "dout (the upstream gradient)", finite=False)
    if dout.shape != (N, C, OH, OW):
        raise ValueError(f"dout must have the output's shape {(N, C, OH, OW)}; got {dout.shape}")
    share = dout / dout.dtype.type(k[0] * k[1])
    dxp = np.zeros((N, C, H + 2 * p[0], W + 2 * p[1]), dtype=dout.dtype)
    for u in range(k[0]):
        for v in range(k[1]):
            dxp[_slices((u, v), s, OH, OW)] += share
    return dxp[:, :, p[0] : p[0] + H, p[1] : p[1] + W]


# --------------------------------------------------------------------------------------------
# Naive loops
# --------------------------------------------------------------------------------------------


def maxpool_forward_naive(
    x: np.ndarray, kernel_size, stride=None, padding=0
) -> tuple[np.ndarray, tuple]:
    """Window by window, remembering where each maximum came from (the first one on ties)."""
    x = as_float_array(x, "x (the input, shape (N, C, H, W))", ndim=4)
    N, C, H, W, k, s, p, OH, OW = _geometry(x.shape, kernel_size, stride, padding)
    out = np.empty((N, C, OH, OW), dtype=x.dtype)
    switch = np.empty((N, C, OH, OW, 2), dtype=np.int64)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    best, where = -np.inf, (-1, -1)
                    for u in range(k[0]):
                        for v in range(k[1]):
                            r, q = i * s[0] + u - p[0], j * s[1] + v - p[1]
                            if 0 <= r < H and 0 <= q < W and x[n, c, r, q] > best:
                                best, where = x[n, c, r, q], (r, q)
                    out[n, c, i, j] = best
                    switch[n, c, i, j] = where
    return out, (switch, x.shape)


def maxpool_backward_naive(dout: np.ndarray, cache: tuple) -> np.ndarray:
    switch, shape = unpack_cache(
        cache, "maxpool_forward_naive", {"switch": np.ndarray, "shape": tuple}
    )
    if switch.ndim != 5 or switch.shape[-1] != 2 or len(shape) != 4:
        raise ValueError(
            "cache must be the (switch, shape) tuple returned by maxpool_forward_naive; got a "
            f"switch of shape {switch.shape} and shape {shape}"
        )
    dout = as_float_array(dout, "dout (the upstream gradient)", finite=False)
    if dout.shape != switch.shape[:4]:
        raise ValueError(f"dout must have the output's shape {switch.shape[:4]}; got {dout.shape}")
    dx = np.zeros(shape, dtype=np.result_type(dout, np.float32))
    N, C, OH, OW = switch.shape[:4]
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    r, q = switch[n, c, i, j]
                    dx[n, c, r, q] += dout[n, c, i, j]
    return dx


def avgpool_forward_naive(
    x: np.ndarray, kernel_size, stride=None, padding=0
) -> tuple[np.ndarray, tuple]:
    x = as_float_array(x, "x (the input, shape (N, C, H, W))", ndim=4)
    N, C, H, W, k, s, p, OH, OW = _geometry(x.shape, kernel_size, stride, padding)
    out = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    total = 0.0
                    for u in range(k[0]):
                        for v in range(k[1]):
                            r, q = i * s[0] + u - p[0], j * s[1] + v - p[1]
                            if 0 <= r < H and 0 <= q < W:
                                total += x[n, c, r, q]
                    out[n, c, i, j] = total / (k[0] * k[1])
    return out, (x.shape, k, s, p)


def avgpool_backward_naive(dout: np.ndarray, cache: tuple) -> np.ndarray:
    shape, k, s, p = unpack_cache(
        cache,
        "avgpool_forward_naive",
        {"shape": tuple, "kernel": tuple, "stride": tuple, "padding": tuple},
    )
    if len(shape) != 4 or len(k) != 2 or len(s) != 2 or len(p) != 2:
        raise ValueError(
            "cache must be the (shape, kernel, stride, padding) tuple returned by "
            f"avgpool_forward_naive; got {cache!r}"
        )
    N, C, H, W = shape
    OH, OW = (H + 2 * p[0] - k[0]) // s[0] + 1, (W + 2 * p[1] - k[1]) // s[1] + 1
    dout = as_float_array(dout, "dout (the upstream gradient)", finite=False)
    if dout.shape != (N, C, OH, OW):
        raise ValueError(f"dout must have the output's shape {(N, C, OH, OW)}; got {dout.shape}")
    dx = np.zeros(shape, dtype=np.result_type(dout, np.float32))
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    for u in range(k[0]):
                        for v in range(k[1]):
                            r, q = i * s[0] + u - p[0], j * s[1] + v - p[1]
                            if 0 <= r < H and 0 <= q < W:
                                dx[n, c, r, q] += dout[n, c, i, j] / (k[0] * k[1])
    return dx
