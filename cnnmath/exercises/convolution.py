"""Exercises: the output size, the forward and the backward pass of a convolution.

Chapters "Convolution" and "Backpropagation through convolution and pooling". The student writes
the package's naive functions (:func:`cnnmath.conv.conv2d_forward_naive`,
:func:`cnnmath.conv.conv2d_backward_naive`, :func:`cnnmath.conv.output_size`); the configurations
use strides, padding, dilation, groups, non-square kernels and batches of several examples, so
that each catalogued mistake changes the result.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable

import numpy as np

from .. import conv, conv_transpose
from . import mistakes as mk
from .core import Bug, Config, Exercise, ShapeError, as_outputs, catalogue, compare_exact
from .oracles import finite_differences, have_torch, sympy_gradients, torch_gradients

# --------------------------------------------------------------------------------------------
# Output size
# --------------------------------------------------------------------------------------------

_SIZES = [  # (n, kernel, stride, padding, dilation)
    (5, 3, 1, 0, 1),
    (7, 3, 2, 1, 1),
    (8, 3, 2, 0, 1),
    (10, 4, 3, 1, 1),
    (9, 3, 1, 2, 2),
    (11, 2, 2, 1, 3),
    (32, 5, 1, 2, 1),
    (227, 11, 4, 0, 1),
    (13, 3, 3, 1, 2),
    (6, 6, 1, 0, 1),
]


def _size_configs() -> list[Config]:
    return [
        Config(
            f"n={n}, kernel={k}, stride={s}, padding={p}, dilation={d}",
            (n, k, s, p, d),
            data={"n": n, "k": k, "s": s, "p": p, "d": d},
        )
        for n, k, s, p, d in _SIZES
    ]


def _size_call(fn: Callable, cfg: Config) -> dict[str, object]:
    n, k, s, p, d = cfg.args
    return {"size": fn(n, k, stride=s, padding=p, dilation=d)}


def _brute_force_size(cfg: Config) -> dict[str, object]:
    """Count the window positions one by one: the first entry a window reads, then the last."""
    n, k, s, p, d = (cfg.data[key] for key in "nkspd")
    count, start = 0, 0
    while start + d * (k - 1) <= n + 2 * p - 1:
        count, start = count + 1, start + s
    return {"size": count}


def _torch_size(cfg: Config) -> dict[str, object] | None:
    if not have_torch():
        return None
    torch = importlib.import_module("torch")
    n, k, s, p, d = (cfg.data[key] for key in "nkspd")
    out = torch.nn.functional.conv1d(
        torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d
    )
    return {"size": int(out.shape[-1])}


def _size_compare(got: object, expected: object, output: str) -> str | None:
    return compare_exact(got, expected)


OUTPUT_SIZE = Exercise(
    name="conv_output_size",
    target=conv.output_size,
    chapter="convolution",
    task="Return the number of window positions, an int.",
    outputs=("size",),
    configs=_size_configs,
    call=_size_call,
    oracles={"counting the windows one by one": _brute_force_size, "torch": _torch_size},
    compare=_size_compare,
    bugs=(
        Bug(
            mk.quiz("ceil"),
            lambda n, k, stride=1, padding=0, dilation=1: (
                math.ceil((n + 2 * padding - dilation * (k - 1) - 1) / stride) + 1
            ),
        ),
        Bug(
            mk.quiz("no_plus_one"),
            lambda n, k, stride=1, padding=0, dilation=1: (
                (n + 2 * padding - dilation * (k - 1) - 1) // stride
            ),
        ),
        Bug(
            mk.quiz("no_padding"),
            lambda n, k, stride=1, padding=0, dilation=1: (
                (n - dilation * (k - 1) - 1) // stride + 1
            ),
        ),
        Bug(
            mk.quiz("pad_once"),
            lambda n, k, stride=1, padding=0, dilation=1: (
                (n + padding - dilation * (k - 1) - 1) // stride + 1
            ),
        ),
        Bug(
            mk.quiz("no_dilation"),
            lambda n, k, stride=1, padding=0, dilation=1: (n + 2 * padding - k) // stride + 1,
        ),
        Bug(
            mk.quiz("no_stride"),
            lambda n, k, stride=1, padding=0, dilation=1: (
                (n + 2 * padding - dilation * (k - 1) - 1) + 1
            ),
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# Backward
# --------------------------------------------------------------------------------------------

_GEOMETRIES = [  # label, (N, C, H, W), (F, KH, KW), stride, padding, dilation, groups, bias
    ("1 example, 1 channel, 3x3 input, 2x2 kernel", (1, 1, 3, 3), (1, 2, 2), 1, 0, 1, 1, True),
    (
        "2 examples, 2 channels, 5x6 input, 2 filters 3x2, stride 2, padding 1",
        (2, 2, 5, 6),
        (2, 3, 2),
        2,
        1,
        1,
        1,
        True,
    ),
    (
        "3 examples, 3 channels, 6x5 input, 4 filters 2x3, stride (1, 2)",
        (3, 3, 6, 5),
        (4, 2, 3),
        (1, 2),
        0,
        1,
        1,
        True,
    ),
    (
        "2 examples, 2 channels, 7x7 input, 3 filters 3x3, dilation 2, padding 2",
        (2, 2, 7, 7),
        (3, 3, 3),
        1,
        2,
        2,
        1,
        True,
    ),
    (
        "2 examples, 4 channels, 5x5 input, 2 filters 3x3 in 2 groups, stride 2",
        (2, 4, 5, 5),
        (2, 3, 3),
        2,
        0,
        1,
        2,
        True,
    ),
]


def _conv_configs() -> list[Config]:
    rng = np.random.default_rng(59)
    out = []
    for label, (N, C, H, W), (F, KH, KW), s, p, d, groups, bias in _GEOMETRIES:
        x = np.round(rng.normal(0, 1, (N, C, H, W)), 2)
        w = np.round(rng.normal(0, 1, (F, C // groups, KH, KW)), 2)
        b = np.round(rng.normal(0, 1, F), 2) if bias else None
        z, cache = conv.conv2d_forward_naive(x, w, b, s, p, d, groups)
        dout = np.round(rng.normal(0, 1, z.shape), 2)
        hyper = {"stride": s, "padding": p, "dilation": d, "groups": groups}
        data = {"x": x, "w": w, "b": b, "dout": dout, "hyper": hyper}
        out.append(Config(label, (dout, cache), data=data))
    return out


def _backward_call(fn: Callable, cfg: Config) -> dict[str, object]:
    return as_outputs(fn(*cfg.args), ("dx", "dw", "db"))


_NAMES = {"x": "dx", "w": "dw", "b": "db"}


def _conv_fd(cfg: Config) -> dict[str, object]:
    d = cfg.data
    return finite_differences(
        lambda x, w, b: conv.conv2d_forward(x, w, b, **d["hyper"])[0],
        {"x": d["x"], "w": d["w"], "b": d["b"]},
        d["dout"],
        _NAMES,
    )


def _conv_sympy(cfg: Config) -> dict[str, object] | None:
    d = cfg.data
    if d["x"].size > 9:  # exact differentiation of the small configuration only
        return None
    return sympy_gradients(
        lambda x, w, b: conv.conv2d_forward_naive(x, w, b, **d["hyper"])[0],
        {"x": d["x"], "w": d["w"], "b": d["b"]},
        d["dout"],
        _NAMES,
    )


def _conv_torch(cfg: Config) -> dict[str, object] | None:
    d = cfg.data

    def f(x, w, b):
        torch = importlib.import_module("torch")
        return torch.nn.functional.conv2d(x, w, b, **d["hyper"])

    return torch_gradients(f, {"x": d["x"], "w": d["w"], "b": d["b"]}, d["dout"], _NAMES)


def _buggy_conv_backward(mistake: str) -> Callable:
    """The naive backward loop with one mistake in it."""

    def backward(dout, cache):
        x, w, has_bias, g = cache
        xp = np.pad(x, ((0, 0), (0, 0), (g.padding[0],) * 2, (g.padding[1],) * 2))
        dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
        (sh, sw), (dh, dl) = g.stride, g.dilation
        examples = range(1) if mistake == "no_batch_sum" else range(g.N)
        for n in examples:
            for f in range(g.F):
                c0 = (f // g.Fg) * g.Cg
                for i in range(g.OH):
                    for j in range(g.OW):
                        for c in range(g.Cg):
                            for u in range(g.KH):
                                for v in range(g.KW):
                                    r, q = i * sh + u * dh, j * sw + v * dl
                                    if mistake == "dw_no_stride":
                                        dw[f, c, u, v] += (
                                            dout[n, f, i, j] * xp[n, c0 + c, i + u * dh, j + v * dl]
                                        )
                                    else:
                                        dw[f, c, u, v] += dout[n, f, i, j] * xp[n, c0 + c, r, q]
                                    if mistake == "backward_no_flip":
                                        wk = w[f, c, g.KH - 1 - u, g.KW - 1 - v]
                                    else:
                                        wk = w[f, c, u, v]
                                    if mistake != "no_filter_sum" or f % g.Fg == 0:
                                        dxp[n, c0 + c, r, q] += dout[n, f, i, j] * wk
        ph, pw = g.padding
        dx = dxp if mistake == "dx_padded" else dxp[:, :, ph : ph + g.H, pw : pw + g.W]
        db = dout.sum(axis=(0, 2, 3))
        if mistake == "bias_grad_no_sum":
            db = dout[:, :, 0, 0].sum(axis=0)
        if mistake == "no_batch_sum":
            db = dout[0].sum(axis=(1, 2))
        if mistake == "mean_not_sum":
            dw, db = dw / g.N, db / g.N
        return dx, dw, db

    return backward


_CONV_BUGS = (
    mk.quiz("backward_no_flip"),
    mk.DW_NO_STRIDE,
    mk.quiz("bias_grad_no_sum"),
    mk.quiz("no_batch_sum"),
    mk.quiz("no_filter_sum"),
    mk.quiz("mean_not_sum"),
    mk.DX_PADDED,
)

CONV2D_BACKWARD = Exercise(
    name="conv2d_backward",
    target=conv.conv2d_backward_naive,
    chapter="conv_backprop",
    task=(
        "The cache is what conv2d_forward_naive(x, w, b, stride, padding, dilation, groups) "
        "returns: (x, w, has_bias, g), where g is a conv.ConvGeometry with the fields N, C, H, W, "
        "F, KH, KW, groups, stride, padding, dilation (pairs), OH, OW, Cg = C/groups and "
        "Fg = F/groups. Return (dx, dw, db), of the shapes of x, w and b."
    ),
    outputs=("dx", "dw", "db"),
    configs=_conv_configs,
    call=_backward_call,
    oracles={"finite differences": _conv_fd, "SymPy": _conv_sympy, "torch": _conv_torch},
    bugs=tuple(Bug(m, _buggy_conv_backward(m.key)) for m in _CONV_BUGS),
)

# --------------------------------------------------------------------------------------------
# Forward
# --------------------------------------------------------------------------------------------


def _conv_forward_configs() -> list[Config]:
    out = []
    for cfg in _conv_configs():
        d = cfg.data
        args = (d["x"], d["w"], d["b"])
        out.append(Config(cfg.label, args, kwargs=dict(d["hyper"]), data=d))
    return out


def _conv_forward_call(fn: Callable, cfg: Config) -> dict[str, object]:
    res = fn(*cfg.args, **cfg.kwargs)
    if not isinstance(res, (tuple, list)) or len(res) != 2:
        raise ShapeError(f"returned {type(res).__name__}; expected a tuple (Z, cache)")
    return {"Z": res[0]}


def _conv_forward_torch(cfg: Config) -> dict[str, object] | None:
    if not have_torch():
        return None
    torch = importlib.import_module("torch")
    d = cfg.data
    t = {k: torch.tensor(d[k]) for k in ("x", "w", "b")}
    return {"Z": torch.nn.functional.conv2d(t["x"], t["w"], t["b"], **d["hyper"]).numpy()}


def _conv_forward_unfolded(cfg: Config) -> dict[str, object]:
    """The package's vectorized forward pass (the unfolding), another route than the loops."""
    d = cfg.data
    return {"Z": conv.conv2d_forward(d["x"], d["w"], d["b"], **d["hyper"])[0]}


def _buggy_conv_forward(mistake: str) -> Callable:
    def forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
        dh, dl = (dilation, dilation) if isinstance(dilation, int) else dilation
        if mistake == "no_dilation":
            dh = dl = 1
        N, C, H, W = x.shape
        F, Cg, KH, KW = w.shape
        if mistake == "pad_once":
            xp = np.pad(x, ((0, 0), (0, 0), (ph, 0), (pw, 0)))
        else:
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        OH = (xp.shape[2] - dh * (KH - 1) - 1) // sh + 1
        OW = (xp.shape[3] - dl * (KW - 1) - 1) // sw + 1
        Fg = F // groups
        out = np.zeros((N, F, OH, OW))
        for n in range(N):
            for f in range(F):
                c0 = 0 if mistake == "no_groups" else (f // Fg) * Cg
                for i in range(OH):
                    for j in range(OW):
                        acc = 0.0 if (b is None or mistake == "no_bias") else b[f]
                        for c in range(Cg):
                            for u in range(KH):
                                for v in range(KW):
                                    if mistake == "no_stride":
                                        r, q = i + u * dh, j + v * dl
                                    else:
                                        r, q = i * sh + u * dh, j * sw + v * dl
                                    if mistake == "flipped_kernel":
                                        wk = w[f, c, KH - 1 - u, KW - 1 - v]
                                    else:
                                        wk = w[f, c, u, v]
                                    acc += wk * xp[n, c0 + c, r, q]
                                    if mistake == "bias_inside_sum" and b is not None:
                                        acc += b[f]
                        out[n, f, i, j] = acc
        return out, None

    return forward


_CONV_FORWARD_BUGS = (
    "flipped_kernel",
    "bias_inside_sum",
    "no_bias",
    "no_stride",
    "pad_once",
    "no_dilation",
    "no_groups",
)

CONV2D_FORWARD = Exercise(
    name="conv2d_forward",
    target=conv.conv2d_forward_naive,
    chapter="convolution",
    task=(
        "stride, padding and dilation are ints or (height, width) pairs; filter f reads the "
        "C/groups input channels of its group. Return (Z, cache); the cache is whatever your "
        "backward pass needs (Z is checked). Plain float inputs are enough."
    ),
    outputs=("Z",),
    configs=_conv_forward_configs,
    call=_conv_forward_call,
    oracles={
        "the unfolded (vectorized) forward": _conv_forward_unfolded,
        "torch": _conv_forward_torch,
    },
    bugs=catalogue(_buggy_conv_forward, _CONV_FORWARD_BUGS),
)

# --------------------------------------------------------------------------------------------
# Transposed convolution, forward
# --------------------------------------------------------------------------------------------

_TRANSPOSED = [  # label, (N, C, H, W), (O, KH, KW), stride, padding, output_padding, bias
    ("1 example, 1 channel, 2x2 input, 3x3 kernel, stride 2", (1, 1, 2, 2), (1, 3, 3), 2, 0, 0),
    (
        "2 examples, 2 channels, 3x3 input, 3 outputs, 3x3 kernel, stride 2, padding 1, "
        "output_padding 1",
        (2, 2, 3, 3),
        (3, 3, 3),
        2,
        1,
        1,
    ),
    (
        "1 example, 3 channels, 3x4 input, 2 outputs, 2x3 kernel, stride (1, 2), padding (1, 0)",
        (1, 3, 3, 4),
        (2, 2, 3),
        (1, 2),
        (1, 0),
        0,
    ),
    (
        "2 examples, 1 channel, 4x4 input, 2 outputs, 4x4 kernel, stride 2, padding 1",
        (2, 1, 4, 4),
        (2, 4, 4),
        2,
        1,
        0,
    ),
]


def _convt_configs() -> list[Config]:
    rng = np.random.default_rng(71)
    out = []
    for label, (N, C, H, W), (O, KH, KW), s, p, a in _TRANSPOSED:
        x = np.round(rng.normal(0, 1, (N, C, H, W)), 2)
        w = np.round(rng.normal(0, 1, (C, O, KH, KW)), 2)
        b = np.round(rng.normal(0, 1, O), 2)
        hyper = {"stride": s, "padding": p, "output_padding": a}
        data = {"x": x, "w": w, "b": b, "hyper": hyper}
        out.append(Config(label, (x, w, b), kwargs=dict(hyper), data=data))
    return out


def _convt_torch(cfg: Config) -> dict[str, object] | None:
    if not have_torch():
        return None
    torch = importlib.import_module("torch")
    d = cfg.data
    t = {k: torch.tensor(d[k]) for k in ("x", "w", "b")}
    z = torch.nn.functional.conv_transpose2d(t["x"], t["w"], t["b"], **d["hyper"])
    return {"Z": z.numpy()}


def _convt_adjoint(cfg: Config) -> dict[str, object]:
    """The input gradient of the convolution with the same weights, with X as upstream gradient.

    The output size is computed from the transposed convolution's rule; the convolution from O
    to C channels then has exactly H x W positions, or more with output padding >= stride.
    """
    d = cfg.data
    x, w = d["x"], d["w"]
    s, p, a = (conv._pair(d["hyper"][k], k, 0) for k in ("stride", "padding", "output_padding"))
    OH = conv_transpose.output_size(x.shape[2], w.shape[2], s[0], p[0], a[0])
    OW = conv_transpose.output_size(x.shape[3], w.shape[3], s[1], p[1], a[1])
    zeros = np.zeros((x.shape[0], w.shape[1], OH, OW))
    _, cache = conv.conv2d_forward(zeros, w, None, s, p)
    geometry = cache[3]
    upstream = np.zeros((x.shape[0], x.shape[1], geometry.OH, geometry.OW))
    upstream[:, :, : x.shape[2], : x.shape[3]] = x
    dz, _, _ = conv.conv2d_backward(upstream, cache)
    return {"Z": dz + d["b"].reshape(1, -1, 1, 1)}


def _buggy_convt(mistake: str) -> Callable:
    def forward(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
        (sh, sw), (ph, pw), (ah, aw) = (
            conv._pair(v, "", 0) for v in (stride, padding, output_padding)
        )
        if mistake == "transpose_no_2p":
            ph = pw = 0
        if mistake == "no_output_padding":
            ah = aw = 0
        N, C, H, W = x.shape
        _, O, KH, KW = w.shape
        OH, OW = (H - 1) * sh - 2 * ph + KH + ah, (W - 1) * sw - 2 * pw + KW + aw
        out = np.zeros((N, O, OH, OW))
        if b is not None and mistake != "no_bias":
            out += b.reshape(1, -1, 1, 1)
        for n in range(N):
            for c in range(C):
                for i in range(H):
                    for j in range(W):
                        for o in range(O):
                            for u in range(KH):
                                for v in range(KW):
                                    if mistake == "no_stride":
                                        r, q = i - ph + u, j - pw + v
                                    else:
                                        r, q = i * sh - ph + u, j * sw - pw + v
                                    if not (0 <= r < OH and 0 <= q < OW):
                                        continue
                                    if mistake == "flipped_kernel":
                                        wk = w[c, o, KH - 1 - u, KW - 1 - v]
                                    else:
                                        wk = w[c, o, u, v]
                                    if mistake == "convt_overwrite":
                                        out[n, o, r, q] = wk * x[n, c, i, j]
                                    else:
                                        out[n, o, r, q] += wk * x[n, c, i, j]
        return out, None

    return forward


CONV_TRANSPOSE2D_FORWARD = Exercise(
    name="conv_transpose2d_forward",
    target=conv_transpose.conv_transpose2d_forward_naive,
    chapter="autoencoder",
    task=(
        "w has shape (C, O, KH, KW): input channel c scatters w[c, o] into output channel o. "
        "stride, padding and output_padding are ints or (height, width) pairs; the configurations "
        "use dilation 1 and groups 1. Return (Z, cache) (Z is checked)."
    ),
    outputs=("Z",),
    configs=_convt_configs,
    call=_conv_forward_call,
    oracles={
        "the adjoint of the convolution (its input gradient)": _convt_adjoint,
        "torch": _convt_torch,
    },
    bugs=catalogue(
        _buggy_convt,
        (
            "convt_overwrite",
            "transpose_no_2p",
            "no_stride",
            "flipped_kernel",
            "no_output_padding",
            "no_bias",
        ),
    ),
)

EXERCISES = (OUTPUT_SIZE, CONV2D_FORWARD, CONV2D_BACKWARD, CONV_TRANSPOSE2D_FORWARD)
