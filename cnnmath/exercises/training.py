"""Exercises: weight initialization and the optimizers' update rules.

Chapters "Weight initialization" and "Optimizers". An initialization is random, so it is checked
by what the rule prescribes, not by the draws: the shape, the sample variance (against the
variance rule, within a few standard errors of the sample), the mean and the kurtosis (3 for a
normal draw, 1.8 for a uniform one). An update rule is checked along a trajectory of several
steps, on the array the caller passed (the rules update in place), against the package and
``torch.optim``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np

from .. import init, optim
from .core import Config, Exercise, catalogue
from .oracles import have_torch

# --------------------------------------------------------------------------------------------
# Initialization
# --------------------------------------------------------------------------------------------

_INIT = [
    ("he_normal", 300, 200),
    ("he_uniform", 100, 400),
    ("glorot_normal", 300, 200),
    ("glorot_uniform", 100, 400),
    ("he_normal", 250, 250),
]


def _init_configs() -> list[Config]:
    return [
        Config(
            f"rule={rule!r}, fan_in={fi}, fan_out={fo}",
            (rule, fi, fo),
            data={"rule": rule, "fan_in": fi, "fan_out": fo},
        )
        for rule, fi, fo in _INIT
    ]


def _init_call(fn: Callable, cfg: Config) -> dict[str, object]:
    rule, fi, fo = cfg.args
    w = np.asarray(fn(rule, fi, fo, np.random.default_rng(2024)), dtype=np.float64)
    centred = w - w.mean()
    var = float(np.mean(centred**2))
    return {
        "shape": w.shape,
        "variance": var,
        "mean": float(w.mean()),
        "kurtosis": float(np.mean(centred**4) / var**2) if var > 0 else 0.0,
    }


def _init_rule(cfg: Config) -> dict[str, object]:
    """The rule itself: Var = 2/(fan_in + fan_out) (Glorot) or 2/fan_in (He)."""
    d = cfg.data
    var = 2 / (d["fan_in"] + d["fan_out"]) if d["rule"].startswith("glorot") else 2 / d["fan_in"]
    return {
        "shape": (d["fan_out"], d["fan_in"]),
        "variance": var,
        "mean": 0.0,
        "kurtosis": 1.8 if d["rule"].endswith("uniform") else 3.0,
    }


def _init_compare(got: object, expected: object, output: str) -> str | None:
    if output == "shape":
        return None if tuple(got) == tuple(expected) else f"is {got}; expected {expected}"
    g, e = float(got), float(expected)  # type: ignore[arg-type]
    if output == "variance":
        # 60,000 draws or more: the sample variance's relative standard error is below 0.6%
        ok = abs(g - e) <= 0.03 * e
        return None if ok else f"is {g:.4g}; the rule gives {e:.4g}"
    if output == "mean":
        return None if abs(g - e) < 0.01 else f"is {g:.3g}; expected about 0"
    ok = abs(g - e) < 0.25
    kind = {True: "normal (kurtosis 3)", False: "uniform (kurtosis 1.8)"}[e > 2.4]
    return None if ok else f"is {g:.3g}; a {kind} draw was expected"


def _init_bug(mistake: str) -> Callable:
    def init_weights(rule, fan_in, fan_out, rng, dtype=np.float64):
        fan = fan_out if mistake == "fan_out" else fan_in
        if rule.startswith("glorot"):
            var = (1.0 if mistake == "glorot_no_two" else 2.0) / (fan_in + fan_out)
        else:
            var = (1.0 if mistake == "he_no_two" else 2.0) / fan
        shape = (fan_in, fan_out) if mistake == "transposed" else (fan_out, fan_in)
        if rule.endswith("uniform"):
            limit = {"std_not_limit": np.sqrt(var), "var_not_limit": 3 * var}.get(
                mistake, np.sqrt(3 * var)
            )
            return rng.uniform(-limit, limit, shape).astype(dtype)
        std = var if mistake == "var_as_std" else np.sqrt(var)
        return rng.normal(0.0, std, shape).astype(dtype)

    return init_weights


INIT_WEIGHTS = Exercise(
    name="init_weights",
    target=init.init_weights,
    chapter="init",
    task=(
        "rule is one of 'glorot_normal', 'glorot_uniform', 'he_normal', 'he_uniform'. Draw the "
        "weights from rng (a numpy.random.Generator). The check looks at the shape and at the "
        "sample's variance, mean and kurtosis."
    ),
    outputs=("shape", "variance", "mean", "kurtosis"),
    configs=_init_configs,
    call=_init_call,
    oracles={"the variance rules": _init_rule},
    compare=_init_compare,
    bugs=catalogue(
        _init_bug,
        (
            "he_no_two",
            "glorot_no_two",
            "fan_out",
            "std_not_limit",
            "var_not_limit",
            "var_as_std",
            "transposed",
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# Update rules along a trajectory
# --------------------------------------------------------------------------------------------


def _trajectory_configs(cases: list[tuple[str, dict]], seed: int) -> Callable[[], list[Config]]:
    def make() -> list[Config]:
        rng = np.random.default_rng(seed)
        out = []
        for label, hyper in cases:
            hyper = dict(hyper)
            w0 = np.round(rng.normal(0, 1, (2, 3)), 2)
            scale = hyper.pop("grad_scale", 1.0)
            grads = [np.round(rng.normal(0, 1, (2, 3)), 2) * scale for _ in range(4)]
            out.append(Config(label, (w0, grads), kwargs=hyper, data={"hyper": dict(hyper)}))
        return out

    return make


def _trajectory_call(fn: Callable, cfg: Config) -> dict[str, object]:
    """Four steps from w0; the caller's array is recorded after each (the rules update in place)."""
    w0, grads = cfg.args
    w, state, path = w0.copy(), {}, []
    for g in grads:
        fn(w, g.copy(), state, **cfg.kwargs)
        path.append(w.copy())
    return {"trajectory": np.array(path)}


def _torch_trajectory(name: str, translate: Callable[[dict], dict]) -> Callable:
    def oracle(cfg: Config) -> dict[str, object] | None:
        if not have_torch():
            return None
        torch = importlib.import_module("torch")
        w0, grads = cfg.args
        p = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float64))
        opt = getattr(torch.optim, name)([p], **translate(dict(cfg.kwargs)))
        path = []
        for g in grads:
            p.grad = torch.tensor(g, dtype=torch.float64)
            opt.step()
            path.append(p.detach().numpy().copy())
        return {"trajectory": np.array(path)}

    return oracle


def _sgd_bug(mistake: str) -> Callable:
    def sgd_update(w, g, state, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
        if weight_decay and mistake not in ("weight_decay_ignored", "weight_decay_after"):
            g = g + weight_decay * w
        if momentum and mistake != "no_momentum":
            buf = state.get("momentum_buffer")
            if buf is None:
                start = (1 - momentum) * g if mistake == "momentum_dampened" else g
                buf = state["momentum_buffer"] = start.copy()
            else:
                buf *= momentum
                buf += (1 - momentum) * g if mistake == "momentum_dampened" else g
            g = g + momentum * buf if nesterov and mistake != "nesterov_ignored" else buf
        if weight_decay and mistake == "weight_decay_after":
            g = g + weight_decay * w
        if mistake == "not_in_place":
            w = w - lr * g
        elif mistake == "sign":
            w += lr * g
        else:
            w -= lr * g
        return w

    return sgd_update


SGD = Exercise(
    name="sgd_update",
    target=optim.sgd_update,
    chapter="optimizers",
    task=(
        "Update w in place and return it; keep the momentum buffer in the dict state (empty on "
        "the first step) under any key. The check runs four steps from the same w and compares "
        "the caller's array after each."
    ),
    outputs=("trajectory",),
    configs=_trajectory_configs(
        [
            ("lr=0.1, momentum=0.9", {"lr": 0.1, "momentum": 0.9}),
            (
                "lr=0.05, momentum=0.5, weight_decay=0.1",
                {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1},
            ),
            ("lr=0.1, momentum=0.9, nesterov=True", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
            ("lr=0.2, no momentum, weight_decay=0.01", {"lr": 0.2, "weight_decay": 0.01}),
        ],
        seed=3,
    ),
    call=_trajectory_call,
    oracles={"torch.optim.SGD": _torch_trajectory("SGD", lambda h: h)},
    bugs=catalogue(
        _sgd_bug,
        (
            "momentum_dampened",
            "no_momentum",
            "weight_decay_ignored",
            "weight_decay_after",
            "nesterov_ignored",
            "not_in_place",
            "sign",
        ),
    ),
)


def _adam_bug(mistake: str) -> Callable:
    def adam_update(
        w,
        g,
        state,
        lr,
        beta1=0.9,
        beta2=0.999,
        eps=1e-8,
        weight_decay=0.0,
        decoupled=False,
        bias_correction=True,
    ):
        if mistake == "betas_swapped":
            beta1, beta2 = beta2, beta1
        t = state["step"] = state.get("step", 0) + (0 if mistake == "step_not_counted" else 1)
        t = max(t, 1)
        m = state.setdefault("m", np.zeros_like(w))
        v = state.setdefault("v", np.zeros_like(w))
        if weight_decay and decoupled and mistake != "weight_decay_coupled":
            w *= 1 - lr * weight_decay
        elif weight_decay:
            g = g + weight_decay * w
        m_old, v_old = m.copy(), v.copy()
        m[...] = beta1 * m + (1 - beta1) * g
        v[...] = beta2 * v + (1 - beta2) * (np.abs(g) if mistake == "v_not_squared" else g * g)
        if mistake == "adam_m_prev":
            m_use, v_use = m_old, v_old
        else:
            m_use, v_use = m, v
        if mistake == "adam_no_correction" or not bias_correction:
            m_hat, v_hat = m_use, v_use
        else:
            m_hat, v_hat = m_use / (1 - beta1**t), v_use / (1 - beta2**t)
        if mistake == "eps_inside_sqrt":
            w -= lr * m_hat / np.sqrt(v_hat + eps)
        else:
            w -= lr * m_hat / (np.sqrt(v_hat) + eps)
        return w

    return adam_update


def _adam_torch_args(h: dict) -> dict:
    out = {k: v for k, v in h.items() if k not in ("beta1", "beta2", "decoupled")}
    out["betas"] = (h.get("beta1", 0.9), h.get("beta2", 0.999))
    return out


def _adam_torch(cfg: Config) -> dict[str, object] | None:
    name = "AdamW" if cfg.kwargs.get("decoupled") else "Adam"
    return _torch_trajectory(name, _adam_torch_args)(cfg)


ADAM = Exercise(
    name="adam_update",
    target=optim.adam_update,
    chapter="optimizers",
    task=(
        "Update w in place and return it; keep the step count and the two moments in the dict "
        "state (empty on the first step) under any keys. The check runs four steps from the same "
        "w and compares the caller's array after each."
    ),
    outputs=("trajectory",),
    configs=_trajectory_configs(
        [
            ("lr=0.01, default betas", {"lr": 0.01}),
            (
                "lr=0.1, beta1=0.8, beta2=0.9, eps=0.01, small gradients",
                {"lr": 0.1, "beta1": 0.8, "beta2": 0.9, "eps": 0.01, "grad_scale": 0.01},
            ),
            ("lr=0.05, weight_decay=0.5 (Adam's L2)", {"lr": 0.05, "weight_decay": 0.5}),
            (
                "lr=0.05, weight_decay=0.5, decoupled=True (AdamW)",
                {"lr": 0.05, "weight_decay": 0.5, "decoupled": True},
            ),
        ],
        seed=4,
    ),
    call=_trajectory_call,
    oracles={"torch.optim.Adam / AdamW": _adam_torch},
    bugs=catalogue(
        _adam_bug,
        (
            "adam_m_prev",
            "adam_no_correction",
            "eps_inside_sqrt",
            "step_not_counted",
            "v_not_squared",
            "betas_swapped",
            "weight_decay_coupled",
        ),
    ),
)

EXERCISES = (INIT_WEIGHTS, SGD, ADAM)
