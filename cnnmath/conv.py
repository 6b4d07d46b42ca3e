"""Two-dimensional convolution (in the deep-learning sense: cross-correlation), forward and backward.

With input :math:`X` of shape ``(N, C, H, W)``, weights :math:`W` of shape ``(F, C/G, KH, KW)``
(``G`` = ``groups``), bias :math:`b` of shape ``(F,)``, stride :math:`s`, zero padding :math:`p`
and dilation :math:`d` (all as in ``torch.nn.functional.conv2d``), filter :math:`f` of group
:math:`g = \\lfloor f G / F\\rfloor` computes

.. math::
    Z_{n,f,i,j} = b_f + \\sum_{c=0}^{C/G-1}\\sum_{u=0}^{KH-1}\\sum_{v=0}^{KW-1}
    W_{f,c,u,v}\\, \\tilde X_{n,\\,gC/G + c,\\; i s_h + u d_h,\\; j s_w + v d_w}

where :math:`\\tilde X` is :math:`X` padded with :math:`p` zeros on each side. The output size
along each axis is :math:`\\lfloor (n + 2p - d(k-1) - 1)/s \\rfloor + 1` (:func:`output_size`).

Backward (checked in the tests against SymPy, finite differences and torch):
:math:`\\partial E/\\partial W` is the cross-correlation of the (padded) input with the upstream
gradient, :math:`\\partial E/\\partial X` the full convolution of the upstream gradient (dilated by
the stride) with the flipped kernels, summed over the filters, and :math:`\\partial E/\\partial b_f`
the sum of the upstream gradient over examples and positions.

``conv2d_forward_naive`` / ``conv2d_backward_naive`` are loops that read like the equation above.
They also accept object arrays of SymPy expressions, so that SymPy can differentiate exactly the
code that defines the layer. ``conv2d_forward`` / ``conv2d_backward`` compute the same by unfolding
the input into a matrix (one slab copy per kernel offset) and one matrix product per group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arguments import as_float_array, shape_tuple, unpack_cache

Pair = tuple[int, int]


def _pair(value: int | tuple[int, int], name: str, minimum: int) -> Pair:
    vals = (
        (value, value)
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        else value
    )
    try:
        a, b = vals  # type: ignore[misc]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an integer or a pair of integers; got {value!r}") from None
    for v in (a, b):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name} must be an integer or a pair of integers; got {value!r}")
        if v < minimum:
            raise ValueError(f"{name} must be >= {minimum}; got {value!r}")
    return int(a), int(b)


def output_size(n: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """:math:`\\lfloor (n + 2p - d(k-1) - 1)/s \\rfloor + 1` window positions along one axis.

    Raises ``ValueError`` when the (dilated) kernel does not fit in the padded input.
    """
    for name, v, lo in (
        ("n", n, 1),
        ("kernel", kernel, 1),
        ("stride", stride, 1),
        ("padding", padding, 0),
        ("dilation", dilation, 1),
    ):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}; got {v!r}")
    span = dilation * (kernel - 1) + 1
    if span > n + 2 * padding:
        raise ValueError(
            f"the kernel spans {span} pixels (size {kernel}, dilation {dilation}) but the padded input "
            f"has only {n + 2 * padding} (size {n}, padding {padding} on each side)"
        )
    return (n + 2 * padding - span) // stride + 1


@dataclass(frozen=True)
class ConvGeometry:
    """Validated shapes and hyperparameters of one convolution."""

    N: int
    C: int
    H: int
    W: int
    F: int
    KH: int
    KW: int
    groups: int
    stride: Pair
    padding: Pair
    dilation: Pair
    OH: int
    OW: int

    @property
    def Cg(self) -> int:
        return self.C // self.groups

    @property
    def Fg(self) -> int:
        return self.F // self.groups


def conv_geometry(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    b_shape: tuple[int, ...] | None,
    stride,
    padding,
    dilation,
    groups: int,
) -> ConvGeometry:
    """Check every shape and hyperparameter of a convolution; say what was expected and what was given."""
    x_shape, w_shape = shape_tuple(x_shape, "x_shape"), shape_tuple(w_shape, "w_shape")
    if b_shape is not None:
        b_shape = shape_tuple(b_shape, "b_shape")
    if len(x_shape) != 4:
        raise ValueError(f"x must have shape (N, C, H, W); got shape {tuple(x_shape)}")
    if len(w_shape) != 4:
        raise ValueError(f"w must have shape (F, C/groups, KH, KW); got shape {tuple(w_shape)}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"groups must be an integer >= 1; got {groups!r}")
    N, C, H, W = (int(v) for v in x_shape)
    F, Cg, KH, KW = (int(v) for v in w_shape)
    if min(N, C, H, W) < 1 or min(F, Cg, KH, KW) < 1:
        raise ValueError(f"x {tuple(x_shape)} and w {tuple(w_shape)} must have no empty axis")
    if C % groups:
        raise ValueError(f"the input's {C} channels are not divisible by groups={groups}")
    if F % groups:
        raise ValueError(f"the {F} filters are not divisible by groups={groups}")
    if Cg != C // groups:
        raise ValueError(
            f"w must have C/groups = {C // groups} input channels (x has {C} channels, groups={groups}); "
            f"got w of shape {tuple(w_shape)}"
        )
    if b_shape is not None and tuple(b_shape) != (F,):
        raise ValueError(
            f"b must have one bias per filter, shape ({F},); got shape {tuple(b_shape)}"
        )
    s, p, d = (
        _pair(stride, "stride", 1),
        _pair(padding, "padding", 0),
        _pair(dilation, "dilation", 1),
    )
    OH = output_size(H, KH, s[0], p[0], d[0])
    OW = output_size(W, KW, s[1], p[1], d[1])
    return ConvGeometry(N, C, H, W, F, KH, KW, int(groups), s, p, d, OH, OW)


def _pad(x: np.ndarray, padding: Pair) -> np.ndarray:
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def _exact_or_float(a: object, name: str, ndim: int | None = None) -> np.ndarray:
    """Float arrays are validated as usual; object arrays (SymPy expressions) pass through."""
    arr = a
    if isinstance(arr, np.ndarray) and arr.dtype == object:
        if ndim is not None and arr.ndim != ndim:
            raise ValueError(f"{name} must have {ndim} dimensions; got shape {arr.shape}")
        return arr
    return as_float_array(arr, name, ndim=ndim)


# --------------------------------------------------------------------------------------------
# Naive loops: the equation, index by index
# --------------------------------------------------------------------------------------------


def conv2d_forward_naive(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> tuple[np.ndarray, tuple]:
    """The module's equation as nested loops; returns ``(Z, cache)``. Works on SymPy object arrays too."""
    x = _exact_or_float(x, "x", 4)
    w = _exact_or_float(w, "w", 4)
    b = None if b is None else _exact_or_float(b, "b", 1)
    g = conv_geometry(
        x.shape, w.shape, None if b is None else b.shape, stride, padding, dilation, groups
    )
    xp = _pad(x, g.padding)
    dtype = (
        object
        if object in (x.dtype, w.dtype) or (b is not None and b.dtype == object)
        else np.result_type(x, w)
    )
    out = np.zeros((g.N, g.F, g.OH, g.OW), dtype=dtype)
    (sh, sw), (dh, dw) = g.stride, g.dilation
    for n in range(g.N):
        for f in range(g.F):
            c0 = (f // g.Fg) * g.Cg  # first input channel of this filter's group
            for i in range(g.OH):
                for j in range(g.OW):
                    acc = 0 if b is None else b[f]
                    for c in range(g.Cg):
                        for u in range(g.KH):
                            for v in range(g.KW):
                                acc = (
                                    acc
                                    + w[f, c, u, v]
                                    * xp[n, c0 + c, i * sh + u * dh, j * sw + v * dw]
                                )
                    out[n, f, i, j] = acc
    return out, (x, w, b is not None, g)


def conv2d_backward_naive(
    dout: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Loops that send each upstream gradient back along every term of the forward sum: ``(dx, dw, db)``."""
    x, w, has_bias, g = unpack_cache(
        cache,
        "conv2d_forward_naive",
        {"x": np.ndarray, "w": np.ndarray, "has_bias": bool, "geometry": ConvGeometry},
    )
    dout = _exact_or_float(dout, "dout", 4)
    if dout.shape != (g.N, g.F, g.OH, g.OW):
        raise ValueError(
            f"dout must have the output's shape {(g.N, g.F, g.OH, g.OW)}; got {dout.shape}"
        )
    xp = _pad(x, g.padding)
    dtype = object if object in (x.dtype, w.dtype, dout.dtype) else np.result_type(x, w, dout)
    dxp = np.zeros(xp.shape, dtype=dtype)
    dw = np.zeros(w.shape, dtype=dtype)
    (sh, sw), (dh, dwl) = g.stride, g.dilation
    for n in range(g.N):
        for f in range(g.F):
            c0 = (f // g.Fg) * g.Cg
            for i in range(g.OH):
                for j in range(g.OW):
                    grad = dout[n, f, i, j]
                    for c in range(g.Cg):
                        for u in range(g.KH):
                            for v in range(g.KW):
                                r, q = i * sh + u * dh, j * sw + v * dwl
                                dw[f, c, u, v] = dw[f, c, u, v] + grad * xp[n, c0 + c, r, q]
                                dxp[n, c0 + c, r, q] = dxp[n, c0 + c, r, q] + grad * w[f, c, u, v]
    ph, pw = g.padding
    dx = dxp[:, :, ph : ph + g.H, pw : pw + g.W]
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dw, db


# --------------------------------------------------------------------------------------------
# Vectorized: strided windows and one matrix product per group
# --------------------------------------------------------------------------------------------


def _offset_slices(g: ConvGeometry, u: int, v: int) -> tuple[slice, slice]:
    """Rows and columns of the padded input that kernel entry (u, v) meets, one per output position."""
    (sh, sw), (dh, dw) = g.stride, g.dilation
    return (
        slice(u * dh, u * dh + sh * (g.OH - 1) + 1, sh),
        slice(v * dw, v * dw + sw * (g.OW - 1) + 1, sw),
    )


def conv2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> tuple[np.ndarray, tuple]:
    """:math:`Z = W \\star X + b` (see the module docstring); returns ``(Z, cache)``.

    Shapes: ``x`` ``(N, C, H, W)``, ``w`` ``(F, C/groups, KH, KW)``, ``b`` ``(F,)`` or None; ``Z`` is
    ``(N, F, OH, OW)``. Method: unfold the input into a matrix ``cols`` with one row per kernel
    entry ``(c, u, v)`` and one column per output position ``(n, i, j)``, filled by one slab copy per
    kernel offset ``(u, v)`` (channel-major, so each copy reads whole rows), then multiply:
    ``Z = W cols`` per group. The cache holds ``cols``, the kernels and the geometry.
    """
    x = as_float_array(x, "x (the input, shape (N, C, H, W))", ndim=4)
    w = as_float_array(w, "w (the kernels, shape (F, C/groups, KH, KW))", ndim=4)
    if b is not None:
        b = as_float_array(b, "b (the biases)", ndim=1)
    g = conv_geometry(
        x.shape, w.shape, None if b is None else b.shape, stride, padding, dilation, groups
    )
    dtype = np.result_type(x, w)
    ph, pw = g.padding
    # (C, N, Hp, Wp): padded and transposed
    xt = np.zeros((g.C, g.N, g.H + 2 * ph, g.W + 2 * pw), dtype=dtype)
    xt[:, :, ph : ph + g.H, pw : pw + g.W] = x.transpose(1, 0, 2, 3)
    cols = np.empty((g.C, g.KH, g.KW, g.N, g.OH, g.OW), dtype=dtype)
    for u in range(g.KH):
        for v in range(g.KW):
            rows, columns = _offset_slices(g, u, v)
            cols[:, u, v] = xt[:, :, rows, columns]
    M, K = g.N * g.OH * g.OW, g.Cg * g.KH * g.KW
    cols = cols.reshape(g.groups, K, M)
    wm = w.reshape(g.groups, g.Fg, K).astype(dtype, copy=False)
    out = np.matmul(wm, cols).reshape(g.F, g.N, g.OH, g.OW)  # (F, N, OH, OW)
    if b is not None:
        out += b.astype(dtype, copy=False).reshape(-1, 1, 1, 1)
    return np.ascontiguousarray(out.transpose(1, 0, 2, 3)), (cols, wm, b is not None, g, x.dtype)


def conv2d_backward(
    dout: np.ndarray, cache: tuple, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Return ``(dx, dw, db)`` for ``conv2d_forward`` (``dx`` is None with ``need_dx=False``).

    ``dw = dZ cols^T`` per group; ``dcols = W^T dZ`` is folded back onto the input by one slab
    addition per kernel offset, the transpose of the unfolding.
    """
    cols, wm, has_bias, g, xdtype = unpack_cache(
        cache,
        "conv2d_forward",
        {
            "cols": np.ndarray,
            "w": np.ndarray,
            "has_bias": bool,
            "geometry": ConvGeometry,
            "dtype": np.dtype,
        },
    )
    dout = as_float_array(dout, "dout (the upstream gradient)", finite=False)
    if dout.shape != (g.N, g.F, g.OH, g.OW):
        raise ValueError(
            f"dout must have the output's shape {(g.N, g.F, g.OH, g.OW)}; got {dout.shape}"
        )
    M = g.N * g.OH * g.OW
    dmat = np.ascontiguousarray(dout.transpose(1, 0, 2, 3), dtype=cols.dtype).reshape(
        g.groups, g.Fg, M
    )
    dw = np.matmul(dmat, cols.transpose(0, 2, 1)).reshape(g.F, g.Cg, g.KH, g.KW)
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    if not need_dx:
        return None, dw, db
    dcols = np.matmul(wm.transpose(0, 2, 1), dmat).reshape(g.C, g.KH, g.KW, g.N, g.OH, g.OW)
    ph, pw = g.padding
    dxt = np.zeros((g.C, g.N, g.H + 2 * ph, g.W + 2 * pw), dtype=cols.dtype)
    for u in range(g.KH):
        for v in range(g.KW):
            rows, columns = _offset_slices(g, u, v)
            dxt[:, :, rows, columns] += dcols[:, u, v]
    return dxt[:, :, ph : ph + g.H, pw : pw + g.W].transpose(1, 0, 2, 3).astype(xdtype), dw, db


def flip(w: np.ndarray) -> np.ndarray:
    """The kernels rotated by 180 degrees (both spatial axes reversed): the "flip" of true convolution."""
    w = _exact_or_float(w, "w")
    if w.ndim < 2:
        raise ValueError(f"w must have two spatial axes last; got shape {w.shape}")
    return w[..., ::-1, ::-1]


def conv2d_input_gradient_by_full_convolution(
    dout: np.ndarray, w: np.ndarray, input_hw: tuple[int, int], stride=1, padding=0
) -> np.ndarray:
    """:math:`\\partial E/\\partial X` by the textbook formula, independently of ``conv2d_backward``.

    Dilate the upstream gradient by the stride (insert ``s - 1`` zeros between entries), pad it
    with ``k - 1`` zeros, cross-correlate it with the flipped kernels with their in/out channels
    swapped (so the result sums over the filters), and cut away the forward padding. For
    ``groups = 1`` and ``dilation = 1``; works on SymPy object arrays as well.
    """
    dout = _exact_or_float(dout, "dout", 4)
    w = _exact_or_float(w, "w", 4)
    N, F, OH, OW = dout.shape
    Fw, C, KH, KW = w.shape
    if Fw != F:
        raise ValueError(f"w must have one kernel set per channel of dout ({F}); got {w.shape}")
    (sh, sw), (ph, pw) = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    H, W = _pair(input_hw, "input_hw", 1)
    if (H + 2 * ph - KH) // sh + 1 != OH or (W + 2 * pw - KW) // sw + 1 != OW:
        raise ValueError(
            f"input_hw {(H, W)} with stride {(sh, sw)} and padding {(ph, pw)} gives no "
            f"{OH}x{OW} output for {KH}x{KW} kernels (dout has shape {dout.shape})"
        )
    Hp, Wp = H + 2 * ph, W + 2 * pw
    dil = np.zeros((N, F, sh * (OH - 1) + 1, sw * (OW - 1) + 1), dtype=dout.dtype)
    dil[:, :, ::sh, ::sw] = dout
    # rows/columns of the padded input that no window reached get no gradient: extend to full size
    extra_h, extra_w = Hp - (sh * (OH - 1) + KH), Wp - (sw * (OW - 1) + KW)
    full = np.pad(dil, ((0, 0), (0, 0), (KH - 1, KH - 1 + extra_h), (KW - 1, KW - 1 + extra_w)))
    w_swapped = flip(w).transpose(1, 0, 2, 3)  # (C, F, KH, KW)
    dxp, _ = conv2d_forward_naive(full, w_swapped)
    return dxp[:, :, ph : ph + H, pw : pw + W]
