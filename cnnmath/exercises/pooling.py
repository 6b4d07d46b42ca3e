"""Exercises: max pooling forward (with its switches) and backward (chapter conv_backprop).

The forward pass returns the maxima and the *switches*, where each maximum came from; the
configurations hold ties, all-negative windows next to the padding, overlapping windows and
non-square windows. The backward pass routes each upstream gradient through the switches of
:func:`cnnmath.pool.maxpool_forward`'s cache.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np

from .. import pool
from .core import Config, Exercise, ShapeError, catalogue
from .oracles import finite_differences, have_torch, torch_gradients

_GEOMETRIES = [  # label, shape, kernel, stride, padding, integer values (ties)
    ("1 example, 1 channel, 4x4 input, 2x2 windows, ties", (1, 1, 4, 4), 2, None, 0, True),
    (
        "2 examples, 2 channels, 5x5 input, 3x3 windows, stride 2, padding 1, negative inputs",
        (2, 2, 5, 5),
        3,
        2,
        1,
        False,
    ),
    (
        "1 example, 2 channels, 5x6 input, 2x3 windows, stride (2, 1)",
        (1, 2, 5, 6),
        (2, 3),
        (2, 1),
        0,
        False,
    ),
    (
        "2 examples, 1 channel, 4x5 input, 2x2 windows, stride 1 (overlapping), ties",
        (2, 1, 4, 5),
        2,
        1,
        0,
        True,
    ),
]


def _configs(backward: bool) -> Callable[[], list[Config]]:
    def make() -> list[Config]:
        rng = np.random.default_rng(41)
        out = []
        for label, shape, k, s, p, ties in _GEOMETRIES:
            if ties and not backward:
                x = rng.integers(-2, 3, shape).astype(float)
            else:
                x = np.round(rng.normal(0, 1, shape), 3)
            if "negative" in label:
                x = -np.abs(x) - 0.5
            hyper = {"kernel_size": k, "stride": s, "padding": p}
            if backward:
                z, cache = pool.maxpool_forward(x, **hyper)
                dout = np.round(rng.normal(0, 1, z.shape), 2)
                data = {"x": x, "hyper": hyper, "dout": dout}
                out.append(Config(label.replace(", ties", ""), (dout, cache), data=data))
            else:
                out.append(Config(label, (x,), kwargs=hyper, data={"x": x, "hyper": hyper}))
        return out

    return make


def _forward_call(fn: Callable, cfg: Config) -> dict[str, object]:
    res = fn(*cfg.args, **cfg.kwargs)
    if not isinstance(res, (tuple, list)) or len(res) != 2:
        raise ShapeError(f"returned {type(res).__name__}; expected a tuple (Z, cache)")
    z, cache = res
    if not isinstance(cache, (tuple, list)) or len(cache) < 1:
        raise ShapeError("returned a cache that is not a tuple (switch, x.shape)")
    return {"Z": z, "switch": cache[0]}


def _forward_torch(cfg: Config) -> dict[str, object] | None:
    if not have_torch():
        return None
    torch = importlib.import_module("torch")
    x, h = cfg.data["x"], cfg.data["hyper"]
    z, idx = torch.nn.functional.max_pool2d(
        torch.tensor(x),
        h["kernel_size"],
        h["stride"],
        h["padding"],
        return_indices=True,
    )
    W = x.shape[3]
    idx = idx.numpy()
    return {"Z": z.numpy(), "switch": np.stack([idx // W, idx % W], axis=-1)}


def _forward_bug(mistake: str) -> Callable:
    def forward(x, kernel_size, stride=None, padding=0):
        k = (kernel_size,) * 2 if isinstance(kernel_size, int) else tuple(kernel_size)
        if stride is None:
            s = (1, 1) if mistake == "stride_default_one" else k
        else:
            s = (stride,) * 2 if isinstance(stride, int) else tuple(stride)
        p = (padding,) * 2 if isinstance(padding, int) else tuple(padding)
        N, C, H, W = x.shape
        OH, OW = (H + 2 * p[0] - k[0]) // s[0] + 1, (W + 2 * p[1] - k[1]) // s[1] + 1
        out = np.empty((N, C, OH, OW))
        switch = np.empty((N, C, OH, OW, 2), dtype=np.int64)
        for n in range(N):
            for c in range(C):
                for i in range(OH):
                    for j in range(OW):
                        best, where, total = -np.inf, (-1, -1), 0.0
                        for u in range(k[0]):
                            for v in range(k[1]):
                                r, q = i * s[0] + u - p[0], j * s[1] + v - p[1]
                                inside = 0 <= r < H and 0 <= q < W
                                val = x[n, c, r, q] if inside else None
                                if val is None and mistake == "pad_zero":
                                    val = 0.0
                                if val is None:
                                    continue
                                total += val
                                wins = val >= best if mistake == "ties_last" else val > best
                                if wins:
                                    best, where = val, (r, q)
                                    if mistake == "switch_padded":
                                        where = (r + p[0], q + p[1])
                                    if mistake == "transposed":
                                        where = (q, r)
                        out[n, c, i, j] = total / (k[0] * k[1]) if mistake == "average" else best
                        switch[n, c, i, j] = where
        return out, (switch, x.shape)

    return forward


MAXPOOL_FORWARD = Exercise(
    name="maxpool_forward",
    target=pool.maxpool_forward_naive,
    chapter="conv_backprop",
    task=(
        "kernel_size, stride and padding are ints or (height, width) pairs; stride=None means "
        "the window's size. Return (Z, cache) with cache = (switch, x.shape), where switch has "
        "shape (N, C, OH, OW, 2) and switch[n, c, i, j] = (r, q), the row and column in x of "
        "the window's maximum (the first one in row-major order on ties)."
    ),
    outputs=("Z", "switch"),
    configs=_configs(backward=False),
    call=_forward_call,
    oracles={"torch": _forward_torch},
    bugs=catalogue(
        _forward_bug,
        (
            "ties_last",
            "pad_zero",
            "average",
            "switch_padded",
            "stride_default_one",
            "transposed",
        ),
    ),
)


def _backward_fd(cfg: Config) -> dict[str, object]:
    d = cfg.data
    return finite_differences(
        lambda x: pool.maxpool_forward(x, **d["hyper"])[0], {"x": d["x"]}, d["dout"], {"x": "dx"}
    )


def _backward_torch(cfg: Config) -> dict[str, object] | None:
    d = cfg.data

    def f(x):
        torch = importlib.import_module("torch")
        h = d["hyper"]
        return torch.nn.functional.max_pool2d(x, h["kernel_size"], h["stride"], h["padding"])

    return torch_gradients(f, {"x": d["x"]}, d["dout"], {"x": "dx"})


def _backward_bug(mistake: str) -> Callable:
    def backward(dout, cache):
        _, arg, shape, k, s, p = cache
        N, C, H, W = shape
        dxp = np.zeros((N, C, H + 2 * p[0], W + 2 * p[1]))
        OH, OW = dout.shape[2:]
        for n in range(N):
            for c in range(C):
                for i in range(OH):
                    for j in range(OW):
                        width = k[0] if mistake == "offset_decode" else k[1]
                        u, v = divmod(int(arg[n, c, i, j]), width)
                        step = (1, 1) if mistake == "no_stride" else s
                        r, q = i * step[0] + u, j * step[1] + v
                        g = dout[n, c, i, j]
                        if mistake == "pool_share_all":
                            dxp[n, c, i * s[0] : i * s[0] + k[0], j * s[1] : j * s[1] + k[1]] += (
                                g / (k[0] * k[1])
                            )
                        elif mistake == "pool_overlap_overwrite":
                            dxp[n, c, r, q] = g
                        elif 0 <= r < dxp.shape[2] and 0 <= q < dxp.shape[3]:
                            dxp[n, c, r, q] += g
        if mistake == "dx_padded":
            return dxp
        return dxp[:, :, p[0] : p[0] + H, p[1] : p[1] + W]

    return backward


MAXPOOL_BACKWARD = Exercise(
    name="maxpool_backward",
    target=pool.maxpool_backward,
    chapter="conv_backprop",
    task=(
        "The cache is what maxpool_forward(x, kernel_size, stride, padding) returns: "
        "(path, switches, x.shape, kernel, stride, padding), kernel, stride and padding as "
        "(height, width) pairs, path a name you can ignore; switches[n, c, i, j] = u * KW + v is "
        "the offset (u, v) of the maximum inside window (i, j), which starts at row i * stride "
        "and column j * stride of the padded input. Return dx, of x's shape."
    ),
    outputs=("dx",),
    configs=_configs(backward=True),
    call=lambda fn, cfg: {"dx": fn(*cfg.args)},
    oracles={"finite differences": _backward_fd, "torch": _backward_torch},
    bugs=catalogue(
        _backward_bug,
        (
            "pool_overlap_overwrite",
            "pool_share_all",
            "no_stride",
            "offset_decode",
            "dx_padded",
        ),
    ),
)

EXERCISES = (MAXPOOL_FORWARD, MAXPOOL_BACKWARD)
