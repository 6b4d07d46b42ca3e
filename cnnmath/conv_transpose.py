"""Transposed convolution: the adjoint of convolution, forward and backward.

With input :math:`X` of shape ``(N, C, H, W)``, weights :math:`W` of shape ``(C, O/G, KH, KW)``
(``G`` = ``groups``, ``O`` output channels), bias :math:`b` of shape ``(O,)``, stride :math:`s`,
padding :math:`p`, output padding :math:`a` and dilation :math:`d` (all as in
``torch.nn.functional.conv_transpose2d``), every input pixel scatters a weighted copy of its kernel:
input channel :math:`c` of group :math:`g = \\lfloor cG/C\\rfloor` adds

.. math::
    Z_{n,\\,gO/G + o,\\; i s_h - p_h + u d_h,\\; j s_w - p_w + v d_w}
    \\mathrel{+}= W_{c,o,u,v}\\, X_{n,c,i,j}

to every output position that lies inside the output (:math:`Z` starts at :math:`b_o`). The output
size along each axis is :math:`(n-1)s - 2p + d(k-1) + a + 1` (:func:`output_size`): the input sizes
whose convolution has :math:`n` positions are exactly these sizes for :math:`a = 0, \\dots, s-1`.

The same weights define a convolution :math:`\\mathrm{conv}` from ``O`` to ``C`` channels (its
weights ``(F, C/G, KH, KW)`` read with ``F = C``), and the transposed convolution is its adjoint:
:math:`\\langle \\mathrm{conv}(Y), X\\rangle = \\langle Y, \\mathrm{conv}^T(X)\\rangle`. Hence the
forward pass is the convolution's input gradient, and the backward pass is a convolution:
:math:`\\partial E/\\partial X = \\mathrm{conv}(\\partial E/\\partial Z)`,
:math:`\\partial E/\\partial W` is the convolution's weight gradient with :math:`X` as the
upstream gradient, and :math:`\\partial E/\\partial b_o` the sum of
:math:`\\partial E/\\partial Z` over examples and positions.

``conv_transpose2d_forward_naive`` / ``conv_transpose2d_backward_naive`` are loops that read
like the equation above and accept object arrays of SymPy expressions.
``conv_transpose2d_forward`` folds ``W^T X`` (one matrix product per group) onto the output with
one slab addition per kernel offset; ``conv_transpose2d_backward`` calls
:func:`cnnmath.conv.conv2d_forward` and :func:`cnnmath.conv.conv2d_backward`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arguments import as_float_array, shape_tuple, unpack_cache
from .conv import conv2d_backward, conv2d_forward

Pair = tuple[int, int]


def _pair(value: object, name: str, minimum: int) -> Pair:
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    vals = (value, value) if is_int else value
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


def _check_output_padding(a: int, s: int, d: int, axis: str = "") -> None:
    if not (a < s or a < d):
        where = f" along {axis}" if axis else ""
        raise ValueError(
            f"output_padding must be smaller than the stride or the dilation{where}; got "
            f"output_padding={a}, stride={s}, dilation={d} (rows beyond that would stay "
            f"empty: use a larger padding or crop instead)"
        )


def output_size(
    n: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """:math:`(n-1)s - 2p + d(k-1) + a + 1` output positions along one axis.

    Raises ``ValueError`` for ``output_padding`` not below the stride or the dilation, and when
    the padding removes the whole output.
    """
    for name, v, lo in (
        ("n", n, 1),
        ("kernel", kernel, 1),
        ("stride", stride, 1),
        ("padding", padding, 0),
        ("output_padding", output_padding, 0),
        ("dilation", dilation, 1),
    ):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}; got {v!r}")
    _check_output_padding(output_padding, stride, dilation)
    size = (n - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    if size < 1:
        raise ValueError(
            f"padding {padding} on each side removes the whole output: (n-1)s + d(k-1) + "
            f"output_padding + 1 = {size + 2 * padding} positions, of which 2p = {2 * padding} "
            f"are cut (n={n}, kernel={kernel}, stride={stride}, dilation={dilation})"
        )
    return size


@dataclass(frozen=True)
class ConvTransposeGeometry:
    """Validated shapes and hyperparameters of one transposed convolution."""

    N: int
    C: int
    H: int
    W: int
    O: int  # output channels, as in the equations
    KH: int
    KW: int
    groups: int
    stride: Pair
    padding: Pair
    output_padding: Pair
    dilation: Pair
    OH: int
    OW: int

    @property
    def Cg(self) -> int:
        return self.C // self.groups

    @property
    def Og(self) -> int:
        return self.O // self.groups


def conv_transpose_geometry(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    b_shape: tuple[int, ...] | None,
    stride,
    padding,
    output_padding,
    dilation,
    groups: int,
) -> ConvTransposeGeometry:
    """Check every shape and hyperparameter; say what was expected and what was given."""
    x_shape, w_shape = shape_tuple(x_shape, "x_shape"), shape_tuple(w_shape, "w_shape")
    if b_shape is not None:
        b_shape = shape_tuple(b_shape, "b_shape")
    if len(x_shape) != 4:
        raise ValueError(f"x must have shape (N, C, H, W); got shape {tuple(x_shape)}")
    if len(w_shape) != 4:
        raise ValueError(f"w must have shape (C, O/groups, KH, KW); got shape {tuple(w_shape)}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"groups must be an integer >= 1; got {groups!r}")
    N, C, H, W = (int(v) for v in x_shape)
    Cw, Og, KH, KW = (int(v) for v in w_shape)
    if min(N, C, H, W) < 1 or min(Cw, Og, KH, KW) < 1:
        raise ValueError(f"x {tuple(x_shape)} and w {tuple(w_shape)} must have no empty axis")
    if C % groups:
        raise ValueError(f"the input's {C} channels are not divisible by groups={groups}")
    if Cw != C:
        raise ValueError(
            f"w must have one kernel set per input channel, shape ({C}, O/groups, KH, KW) "
            f"for x with {C} channels; got w of shape {tuple(w_shape)}"
        )
    O = Og * int(groups)
    if b_shape is not None and tuple(b_shape) != (O,):
        raise ValueError(
            f"b must have one bias per output channel, shape ({O},) (w has {Og} per group, "
            f"groups={groups}); got shape {tuple(b_shape)}"
        )
    s, p = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    a, d = _pair(output_padding, "output_padding", 0), _pair(dilation, "dilation", 1)
    for axis in range(2):
        _check_output_padding(a[axis], s[axis], d[axis], ("height", "width")[axis])
    OH = output_size(H, KH, s[0], p[0], a[0], d[0])
    OW = output_size(W, KW, s[1], p[1], a[1], d[1])
    return ConvTransposeGeometry(N, C, H, W, O, KH, KW, int(groups), s, p, a, d, OH, OW)


def _exact_or_float(a: object, name: str, ndim: int) -> np.ndarray:
    """Float arrays are validated as usual; object arrays (SymPy expressions) pass through."""
    arr = a
    if isinstance(arr, np.ndarray) and arr.dtype == object:
        if arr.ndim != ndim:
            raise ValueError(f"{name} must have {ndim} dimensions; got shape {arr.shape}")
        return arr
    return as_float_array(arr, name, ndim=ndim)


# --------------------------------------------------------------------------------------------
# Naive loops: every input pixel scatters its kernel
# --------------------------------------------------------------------------------------------


def conv_transpose2d_forward_naive(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    groups: int = 1,
) -> tuple[np.ndarray, tuple]:
    """The module's equation as nested loops; returns ``(Z, cache)``.

    Works on object arrays of SymPy expressions too.
    """
    x = _exact_or_float(x, "x", 4)
    w = _exact_or_float(w, "w", 4)
    b = None if b is None else _exact_or_float(b, "b", 1)
    g = conv_transpose_geometry(
        x.shape,
        w.shape,
        None if b is None else b.shape,
        stride,
        padding,
        output_padding,
        dilation,
        groups,
    )
    exact = object in (x.dtype, w.dtype) or (b is not None and b.dtype == object)
    out = np.zeros((g.N, g.O, g.OH, g.OW), dtype=object if exact else np.result_type(x, w))
    if b is not None:
        out[...] = b.reshape(1, -1, 1, 1)
    (sh, sw), (ph, pw), (dh, dw) = g.stride, g.padding, g.dilation
    for n in range(g.N):
        for c in range(g.C):
            o0 = (c // g.Cg) * g.Og  # first output channel of this input channel's group
            for i in range(g.H):
                for j in range(g.W):
                    for o in range(g.Og):
                        for u in range(g.KH):
                            for v in range(g.KW):
                                r, q = i * sh - ph + u * dh, j * sw - pw + v * dw
                                if 0 <= r < g.OH and 0 <= q < g.OW:
                                    out[n, o0 + o, r, q] = (
                                        out[n, o0 + o, r, q] + w[c, o, u, v] * x[n, c, i, j]
                                    )
    return out, (x, w, b is not None, g)


def conv_transpose2d_backward_naive(
    dout: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Loops that send each upstream gradient back along every term of the forward sum.

    Returns ``(dx, dw, db)`` (``db`` is None without a bias); works on SymPy object arrays.
    """
    x, w, has_bias, g = unpack_cache(
        cache,
        "conv_transpose2d_forward_naive",
        {"x": np.ndarray, "w": np.ndarray, "has_bias": bool, "geometry": ConvTransposeGeometry},
    )
    dout = _exact_or_float(dout, "dout", 4)
    if dout.shape != (g.N, g.O, g.OH, g.OW):
        raise ValueError(
            f"dout must have the output's shape {(g.N, g.O, g.OH, g.OW)}; got {dout.shape}"
        )
    dtype = object if object in (x.dtype, w.dtype, dout.dtype) else np.result_type(x, w, dout)
    dx = np.zeros(x.shape, dtype=dtype)
    dw = np.zeros(w.shape, dtype=dtype)
    (sh, sw), (ph, pw), (dh, dwl) = g.stride, g.padding, g.dilation
    for n in range(g.N):
        for c in range(g.C):
            o0 = (c // g.Cg) * g.Og
            for i in range(g.H):
                for j in range(g.W):
                    for o in range(g.Og):
                        for u in range(g.KH):
                            for v in range(g.KW):
                                r, q = i * sh - ph + u * dh, j * sw - pw + v * dwl
                                if 0 <= r < g.OH and 0 <= q < g.OW:
                                    grad = dout[n, o0 + o, r, q]
                                    dx[n, c, i, j] = dx[n, c, i, j] + grad * w[c, o, u, v]
                                    dw[c, o, u, v] = dw[c, o, u, v] + grad * x[n, c, i, j]
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dw, db


# --------------------------------------------------------------------------------------------
# Vectorized: one matrix product per group, folded onto the output slab by slab
# --------------------------------------------------------------------------------------------


def conv_transpose2d_forward(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    groups: int = 1,
) -> tuple[np.ndarray, tuple]:
    """:math:`Z = \\mathrm{conv}^T(X) + b` (see the module docstring); returns ``(Z, cache)``.

    Shapes: ``x`` ``(N, C, H, W)``, ``w`` ``(C, O/groups, KH, KW)``, ``b`` ``(O,)`` or None;
    ``Z`` is ``(N, O, OH, OW)`` with ``OH = (H-1)s - 2p + d(KH-1) + a + 1`` (same for ``OW``).
    Method: ``cols = W^T X`` per group gives, for each output channel and kernel offset
    ``(u, v)``, the scattered copies of the whole input; each is added onto a canvas that extends
    the output by the padding (one strided slab per offset), and the padding is cut away. The
    cache holds the input, the kernels and the geometry.
    """
    x = as_float_array(x, "x (the input, shape (N, C, H, W))", ndim=4)
    w = as_float_array(w, "w (the kernels, shape (C, O/groups, KH, KW))", ndim=4)
    if b is not None:
        b = as_float_array(b, "b (the biases)", ndim=1)
    g = conv_transpose_geometry(
        x.shape,
        w.shape,
        None if b is None else b.shape,
        stride,
        padding,
        output_padding,
        dilation,
        groups,
    )
    dtype = np.result_type(x, w)
    M = g.N * g.H * g.W
    xm = np.ascontiguousarray(x.transpose(1, 0, 2, 3), dtype=dtype).reshape(g.groups, g.Cg, M)
    wm = w.reshape(g.groups, g.Cg, g.Og * g.KH * g.KW).astype(dtype, copy=False)
    cols = np.matmul(wm.transpose(0, 2, 1), xm).reshape(g.O, g.KH, g.KW, g.N, g.H, g.W)
    (sh, sw), (ph, pw), (dh, dw) = g.stride, g.padding, g.dilation
    # the canvas holds every scattered position i s + u d (before the padding is cut) and the output
    ch = max((g.H - 1) * sh + dh * (g.KH - 1) + 1, ph + g.OH)
    cw = max((g.W - 1) * sw + dw * (g.KW - 1) + 1, pw + g.OW)
    canvas = np.zeros((g.O, g.N, ch, cw), dtype=dtype)
    for u in range(g.KH):
        for v in range(g.KW):
            rows = slice(u * dh, u * dh + sh * (g.H - 1) + 1, sh)
            columns = slice(v * dw, v * dw + sw * (g.W - 1) + 1, sw)
            canvas[:, :, rows, columns] += cols[:, u, v]
    out = canvas[:, :, ph : ph + g.OH, pw : pw + g.OW]
    if b is not None:
        out = out + b.astype(dtype, copy=False).reshape(-1, 1, 1, 1)
    return np.ascontiguousarray(out.transpose(1, 0, 2, 3)), (x, w, b is not None, g)


def conv_transpose2d_backward(
    dout: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Return ``(dx, dw, db)`` for ``conv_transpose2d_forward``.

    ``dx = conv(dZ)``: the convolution with the same weights, stride, padding, dilation and groups
    (:func:`cnnmath.conv.conv2d_forward`); its first ``H x W`` positions (it has more when the
    output padding is at least the stride). ``dw`` is that convolution's weight gradient with the
    input ``X`` (zero-extended to its output size) as upstream gradient
    (:func:`cnnmath.conv.conv2d_backward`); ``db`` sums ``dZ`` over examples and positions.
    """
    x, w, has_bias, g = unpack_cache(
        cache,
        "conv_transpose2d_forward",
        {"x": np.ndarray, "w": np.ndarray, "has_bias": bool, "geometry": ConvTransposeGeometry},
    )
    dout = as_float_array(dout, "dout (the upstream gradient)")
    if dout.shape != (g.N, g.O, g.OH, g.OW):
        raise ValueError(
            f"dout must have the output's shape {(g.N, g.O, g.OH, g.OW)}; got {dout.shape}"
        )
    dx_full, conv_cache = conv2d_forward(dout, w, None, g.stride, g.padding, g.dilation, g.groups)
    dx = dx_full[:, :, : g.H, : g.W]
    if dx_full.shape != x.shape:  # output padding >= stride: the convolution has extra positions
        xe = np.zeros(dx_full.shape, dtype=x.dtype)
        xe[:, :, : g.H, : g.W] = x
    else:
        xe = x
    _, dw, _ = conv2d_backward(xe, conv_cache, need_dx=False)
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return np.ascontiguousarray(dx).astype(x.dtype, copy=False), dw.astype(w.dtype, copy=False), db
