"""Exercises: batch normalization's backward pass, dropout, local response normalization's backward.

Chapters "Batch normalization and dropout" and "AlexNet". Dropout is random, so it is checked by
what inverted dropout promises rather than by the draws: the share of units kept, the scale of the
survivors, the identity in evaluation mode, and a cache with which
:func:`cnnmath.dropout.dropout_backward` gives the gradient of the output.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import dropout, lrn, norm
from .core import (
    Config,
    Exercise,
    ShapeError,
    as_outputs,
    catalogue,
    compare_arrays,
    torch_module,
)
from .oracles import finite_differences, have_torch, sympy_gradients, torch_gradients

# --------------------------------------------------------------------------------------------
# Batch normalization, backward in training mode
# --------------------------------------------------------------------------------------------


def _bn_configs() -> list[Config]:
    rng = np.random.default_rng(13)
    out = []
    for label, shape in (
        ("4 examples, 3 features", (4, 3)),
        ("6 examples, 2 features", (6, 2)),
        ("3 examples, 2 channels, 3x2 images", (3, 2, 3, 2)),
    ):
        C = shape[1]
        x = np.round(rng.normal(1, 2, shape), 2)
        gamma = np.round(rng.normal(1, 0.5, C), 2)
        beta = np.round(rng.normal(0, 1, C), 2)
        y, cache, _ = norm.batchnorm_forward(x, gamma, beta, np.zeros(C), np.ones(C))
        dout = np.round(rng.normal(0, 1, shape), 2)
        data = {"x": x, "gamma": gamma, "beta": beta, "dout": dout}
        out.append(Config(label, (dout, cache), data=data))
    return out


_BN_NAMES = {"x": "dx", "gamma": "dgamma", "beta": "dbeta"}


def _bn_forward(x, gamma, beta):
    C = x.shape[1]
    return norm.batchnorm_forward(x, gamma, beta, np.zeros(C), np.ones(C))[0]


def _bn_fd(cfg: Config) -> dict[str, object]:
    d = cfg.data
    inputs = {k: d[k] for k in ("x", "gamma", "beta")}
    return finite_differences(_bn_forward, inputs, d["dout"], _BN_NAMES)


def _bn_torch(cfg: Config) -> dict[str, object] | None:
    d = cfg.data

    def f(x, gamma, beta):
        return torch_module().nn.functional.batch_norm(x, None, None, gamma, beta, training=True)

    return torch_gradients(f, {k: d[k] for k in ("x", "gamma", "beta")}, d["dout"], _BN_NAMES)


def _bn_bug(mistake: str) -> Callable:
    def backward(dout, cache):
        xhat, gamma, inv_std, training, m = cache
        ax = (0,) + tuple(range(2, dout.ndim))
        sh = (1, -1) + (1,) * (dout.ndim - 2)
        if mistake == "bn_m_examples":
            m = dout.shape[0]
        dbeta = dout.sum(axis=ax)
        dgamma = (dout * xhat).sum(axis=ax)
        g = np.ones_like(gamma) if mistake == "bn_no_gamma" else gamma
        k = (g * inv_std).reshape(sh)
        if mistake == "bn_constant_stats":
            dx = k * dout
        elif mistake == "bn_no_variance_path":
            dx = k / m * (m * dout - dbeta.reshape(sh))
        elif mistake == "bn_no_mean_path":
            dx = k / m * (m * dout - xhat * dgamma.reshape(sh))
        else:
            dx = k / m * (m * dout - dbeta.reshape(sh) - xhat * dgamma.reshape(sh))
        if mistake == "dgamma_no_xhat":
            dgamma = dbeta.copy()
        return dx, dgamma, dbeta

    return backward


BATCHNORM_BACKWARD = Exercise(
    name="batchnorm_backward",
    target=norm.batchnorm_backward,
    chapter="batchnorm_dropout",
    task=(
        "The cache is what batchnorm_forward(x, gamma, beta, running_mean, running_var) returns "
        "in training mode: (xhat, gamma, inv_std, training, m), inv_std = 1/sqrt(var + eps) per "
        "channel and m the number of values per channel. x is (N, C) or (N, C, H, W). Return "
        "(dx, dgamma, dbeta)."
    ),
    outputs=("dx", "dgamma", "dbeta"),
    configs=_bn_configs,
    call=lambda fn, cfg: as_outputs(fn(*cfg.args), ("dx", "dgamma", "dbeta")),
    oracles={"finite differences": _bn_fd, "torch": _bn_torch},
    bugs=catalogue(
        _bn_bug,
        (
            "bn_constant_stats",
            "bn_no_variance_path",
            "bn_no_mean_path",
            "dgamma_no_xhat",
            "bn_no_gamma",
            "bn_m_examples",
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# Dropout: statistics of the mask, evaluation mode, the cache
# --------------------------------------------------------------------------------------------

_DROPOUT_OUTPUTS = ("kept", "scale", "cache", "evaluation")


def _dropout_configs() -> list[Config]:
    out = []
    for i, p in enumerate((0.5, 0.2, 0.75)):
        x = np.random.default_rng(100 + i).uniform(1, 2, (200, 150))
        out.append(Config(f"p={p}, x of shape (200, 150)", (x, p), data={"x": x, "p": p}))
    return out


def _dropout_call(fn: Callable, cfg: Config) -> dict[str, object]:
    x, p = cfg.args
    res = fn(x.copy(), p, np.random.default_rng(7), training=True)
    if not isinstance(res, (tuple, list)) or len(res) != 2:
        raise ShapeError(f"returned {type(res).__name__}; expected a tuple (y, mask)")
    y, mask = (np.asarray(v, dtype=np.float64) for v in res)
    kept = y != 0
    ratio = y[kept] / x[kept]
    dout = np.random.default_rng(8).normal(size=x.shape)
    try:
        dx = dropout.dropout_backward(dout, res[1])
    except (TypeError, ValueError) as exc:
        raise ShapeError(f"returned a mask that dropout_backward cannot use: {exc}") from None
    ev = fn(x.copy(), p, np.random.default_rng(7), training=False)
    ev_y = np.asarray(ev[0] if isinstance(ev, (tuple, list)) else ev, dtype=np.float64)
    return {
        "kept": float(kept.mean()),
        "scale": (float(ratio.min()), float(ratio.max())) if ratio.size else (0.0, 0.0),
        # dE/dx from the cache must be dout * dy/dx = dout * y / x
        "cache": float(np.max(np.abs(dx - dout * y / x))),
        "evaluation": float(np.max(np.abs(ev_y - x))) if ev_y.shape == x.shape else np.inf,
    }


def _dropout_rule(cfg: Config) -> dict[str, object]:
    """Inverted dropout: keep 1 - p of the units, scale them by 1/(1 - p), identity in evaluation."""
    p = cfg.data["p"]
    return {"kept": 1 - p, "scale": (1 / (1 - p), 1 / (1 - p)), "cache": 0.0, "evaluation": 0.0}


def _dropout_compare(got: object, expected: object, output: str) -> str | None:
    if output == "kept":
        ok = abs(float(got) - float(expected)) < 0.02  # 30,000 units: standard error < 0.003
        return (
            None if ok else f"is a share of {float(got):.3f} of the units; expected {expected:.3f}"
        )
    if output == "scale":
        lo, hi = got  # type: ignore[misc]
        e = expected[0]  # type: ignore[index]
        if abs(lo - e) < 1e-9 * e and abs(hi - e) < 1e-9 * e:
            return None
        return f"of the survivors (y/x) runs from {lo:.4g} to {hi:.4g}; expected {e:.4g}"
    if output == "cache":
        if float(got) < 1e-9 or float(got) == float(expected):
            return None
        return (
            "does not give the gradient: dropout_backward(dout, mask) must be dout * y / x, "
            f"off by up to {float(got):.3g}"
        )
    if float(got) < 1e-12 or float(got) == float(expected):
        return None
    return f"mode changes x (by up to {float(got):.3g}); it must return x unchanged"


def _dropout_bug(mistake: str) -> Callable:
    def forward(x, p, rng=None, *, training=True):
        if not training and mistake != "drop_in_evaluation":
            return x, None
        u = rng.random(x.shape)
        keep = u < p if mistake == "keep_with_p" else u >= p
        scale = {
            "dropout_times_keep": 1 - p,
            "dropout_no_scale": 1.0,
            "dropout_divide_p": 1 / p,
        }.get(mistake, 1 / (1 - p))
        mask = keep * scale
        y = x * mask
        if mistake == "mask_unscaled":
            return y, keep.astype(float)
        return y, mask

    return forward


DROPOUT_FORWARD = Exercise(
    name="dropout_forward",
    target=dropout.dropout_forward,
    chapter="batchnorm_dropout",
    task=(
        "Draw the mask from rng. Return (y, mask); mask is the cache that dropout_backward "
        "multiplies the upstream gradient by. The check measures the share of units kept, the "
        "survivors' scale, evaluation mode and whether the cache gives the right gradient."
    ),
    outputs=_DROPOUT_OUTPUTS,
    configs=_dropout_configs,
    call=_dropout_call,
    oracles={"inverted dropout's definition": _dropout_rule},
    compare=_dropout_compare,
    bugs=catalogue(
        _dropout_bug,
        (
            "dropout_times_keep",
            "dropout_no_scale",
            "dropout_divide_p",
            "keep_with_p",
            "drop_in_evaluation",
            "mask_unscaled",
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# Local response normalization, backward
# --------------------------------------------------------------------------------------------


def _lrn_configs() -> list[Config]:
    rng = np.random.default_rng(23)
    out = []
    for label, shape, hyper in (
        ("1 example, 3 channels, 1 position, size 3", (1, 3, 1), (3, 0.5, 0.75, 1.0)),
        ("2 examples, 6 channels, 2x2, size 4 (even)", (2, 6, 2, 2), (4, 0.8, 0.75, 2.0)),
        ("2 examples, 7 channels, 3 positions, size 5", (2, 7, 3), (5, 1.5, 0.6, 1.0)),
    ):
        x = np.round(rng.normal(0, 1.5, shape), 2)
        _, cache = lrn.lrn_forward_naive(x, *hyper)
        dout = np.round(rng.normal(0, 1, shape), 2)
        data = {"x": x, "hyper": hyper, "dout": dout}
        out.append(Config(label, (dout, cache), data=data))
    return out


def _lrn_fd(cfg: Config) -> dict[str, object]:
    d = cfg.data
    return finite_differences(
        lambda x: lrn.lrn_forward(x, *d["hyper"])[0], {"x": d["x"]}, d["dout"], {"x": "dx"}
    )


def _lrn_sympy(cfg: Config) -> dict[str, object] | None:
    d = cfg.data
    if d["x"].size > 3:
        return None
    size, alpha, beta, k = d["hyper"]
    import sympy as sp

    exact = (size, sp.Rational(str(alpha)), sp.Rational(str(beta)), sp.Rational(str(k)))
    return sympy_gradients(
        lambda x: lrn.lrn_forward_naive(x, *exact)[0], {"x": d["x"]}, d["dout"], {"x": "dx"}
    )


def _lrn_torch(cfg: Config) -> dict[str, object] | None:
    if not have_torch():
        return None
    d = cfg.data
    size, alpha, beta, k = d["hyper"]

    def f(x):
        return torch_module().nn.functional.local_response_norm(x, size, alpha, beta, k)

    return torch_gradients(f, {"x": d["x"]}, d["dout"], {"x": "dx"})


def _lrn_bug(mistake: str) -> Callable:
    def backward(dout, cache):
        a, s, size, alpha, beta, shape = cache
        g = dout.reshape(a.shape)
        below, above = size // 2, (size - 1) // 2
        N, C, P = a.shape
        dx = np.empty(a.shape)
        coef = (1 if mistake == "lrn_no_two" else 2) * alpha * beta
        coef = coef if mistake == "lrn_paper_alpha" else coef / size
        power = -beta if mistake == "lrn_exponent" else -beta - 1
        for n in range(N):
            for i in range(C):
                for p in range(P):
                    acc = g[n, i, p] * s[n, i, p] ** (-beta)
                    for c in range(C):
                        if mistake == "lrn_window_not_mirrored":
                            inside = i - below <= c <= i + above
                        else:
                            inside = c - below <= i <= c + above
                        if inside and mistake != "lrn_direct_only":
                            term = coef * a[n, i, p] * g[n, c, p] * a[n, c, p] * s[n, c, p] ** power
                            acc = acc + term if mistake == "sign" else acc - term
                    dx[n, i, p] = acc
        return dx.reshape(shape)

    return backward


LRN_BACKWARD = Exercise(
    name="lrn_backward",
    target=lrn.lrn_backward_naive,
    chapter="alexnet",
    task=(
        "The cache is what lrn_forward_naive(x, size, alpha, beta, k) returns: (a, s, size, "
        "alpha, beta, x.shape), a being x reshaped to (N, C, positions) and s the divisor bases "
        "k + alpha/size * (window sum of a^2), of a's shape. Return dx, of x's shape."
    ),
    outputs=("dx",),
    configs=_lrn_configs,
    call=lambda fn, cfg: {"dx": fn(*cfg.args)},
    oracles={"finite differences": _lrn_fd, "SymPy": _lrn_sympy, "torch": _lrn_torch},
    compare=lambda got, exp, out: compare_arrays(got, exp),
    bugs=catalogue(
        _lrn_bug,
        (
            "lrn_direct_only",
            "lrn_window_not_mirrored",
            "lrn_paper_alpha",
            "lrn_no_two",
            "lrn_exponent",
            "sign",
        ),
    ),
)

EXERCISES = (BATCHNORM_BACKWARD, DROPOUT_FORWARD, LRN_BACKWARD)
