"""Exercises: the backward passes of the sigmoid, tanh and ReLU (chapter "Activation functions").

The student writes ``*_backward(da, cache)``; the cache is what the package's ``*_forward(z)``
returns. Oracles: the package, finite differences of the forward pass, the SymPy derivative of
the activation's definition (:mod:`cnnmath.activations`), and torch autograd.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp

from .. import activations as act
from . import mistakes as mk
from .core import Bug, Config, Exercise
from .oracles import finite_differences, torch_gradients


def _configs(forward: Callable, zero: bool) -> Callable[[], list[Config]]:
    def make() -> list[Config]:
        rng = np.random.default_rng(17)
        zs = [
            ("one example, 5 values", np.array([-1.5, -0.25, 0.0 if zero else 0.3, 0.5, 2.0])),
            ("a batch of 3 x 4", np.round(rng.normal(0, 2, (3, 4)), 2)),
            ("a 2 x 2 x 3 array, some large values", np.round(rng.normal(0, 6, (2, 2, 3)), 1)),
        ]
        if zero:
            zs[1][1][0, 1] = 0.0
        out = []
        for label, z in zs:
            da = np.round(rng.normal(0, 1, z.shape), 2)
            _, cache = forward(z)
            out.append(Config(label, (da, cache), data={"z": z, "da": da}))
        return out

    return make


def _exercise(
    name: str,
    forward: Callable,
    backward: Callable,
    sym: Callable[[sp.Symbol], sp.Expr],
    torch_fn: str,
    bugs: list[tuple],
    zero: bool = False,
) -> Exercise:
    def call(fn: Callable, cfg: Config) -> dict[str, object]:
        return {"dz": fn(*cfg.args, **cfg.kwargs)}

    zsym = sp.Symbol("z", real=True)
    dsym = sp.diff(sym(zsym), zsym)

    def sympy_oracle(cfg: Config) -> dict[str, object]:
        z, da = cfg.data["z"], cfg.data["da"]
        local = np.vectorize(lambda v: float(dsym.subs(zsym, sp.Rational(str(v)))))(z)
        return {"dz": da * local}

    def fd(cfg: Config) -> dict[str, object] | None:
        if np.any(cfg.data["z"] == 0) and zero:  # a central difference straddles the kink
            return None
        return finite_differences(
            lambda z: forward(z)[0], {"z": cfg.data["z"]}, cfg.data["da"], {"z": "dz"}
        )

    def torch_oracle(cfg: Config) -> dict[str, object] | None:
        import importlib

        def f(z):
            torch = importlib.import_module("torch")
            return getattr(torch, torch_fn)(z)

        return torch_gradients(f, {"z": cfg.data["z"]}, cfg.data["da"], {"z": "dz"})

    return Exercise(
        name=name,
        target=backward,
        chapter="activations",
        task=(f"The cache is what {forward.__name__}(z) returns. Return dz, of z's shape."),
        outputs=("dz",),
        configs=_configs(forward, zero),
        call=call,
        oracles={
            "finite differences": fd,
            "SymPy": sympy_oracle,
            "torch": torch_oracle,
        },
        bugs=tuple(Bug(mistake, fn) for mistake, fn in bugs),
    )


# --- the catalogued mistakes, each a real implementation ----------------------------------------


def _sig(v):
    return 1 / (1 + np.exp(-v))


SIGMOID = _exercise(
    "sigmoid_backward",
    act.sigmoid_forward,
    act.sigmoid_backward,
    act.sym_sigmoid,
    "sigmoid",
    [
        (mk.quiz("value_not_derivative"), lambda da, c: da * c[0]),
        (mk.NO_UPSTREAM, lambda da, c: c[0] * (1 - c[0])),
        (mk.CACHE_AS_INPUT, lambda da, c: da * _sig(c[0]) * (1 - _sig(c[0]))),
        (mk.quiz("sign"), lambda da, c: da * c[0] * (c[0] - 1)),
        (mk.ONE_FACTOR, lambda da, c: da * (1 - c[0])),
        (mk.TANH_FOR_SIGMOID, lambda da, c: da * (1 - c[0] ** 2)),
    ],
)

TANH = _exercise(
    "tanh_backward",
    act.tanh_forward,
    act.tanh_backward,
    act.sym_tanh,
    "tanh",
    [
        (mk.quiz("tanh_no_square"), lambda da, c: da * (1 - c[0])),
        (mk.quiz("value_not_derivative"), lambda da, c: da * c[0]),
        (mk.NO_UPSTREAM, lambda da, c: 1 - c[0] ** 2),
        (mk.SIGMOID_FOR_TANH, lambda da, c: da * c[0] * (1 - c[0])),
        (mk.CACHE_AS_INPUT, lambda da, c: da * (1 - np.tanh(c[0]) ** 2)),
        (mk.quiz("sign"), lambda da, c: da * (c[0] ** 2 - 1)),
    ],
)

RELU = _exercise(
    "relu_backward",
    act.relu_forward,
    act.relu_backward,
    act.sym_relu,
    "relu",
    [
        (mk.quiz("relu_prime_0_is_1"), lambda da, z: da * (z >= 0)),
        (mk.quiz("value_not_derivative"), lambda da, z: da * np.maximum(z, 0)),
        (mk.NO_UPSTREAM, lambda da, z: (z > 0).astype(float)),
        (mk.MASK_FROM_UPSTREAM, lambda da, z: da * (da > 0)),
        (mk.MASK_INVERTED, lambda da, z: da * (z <= 0)),
        (mk.LEAKY_SLOPE, lambda da, z: np.where(z > 0, da, 0.01 * da)),
        (mk.NO_MASK, lambda da, z: da),
    ],
    zero=True,
)

EXERCISES = (SIGMOID, TANH, RELU)
