"""Ledger: thesis §2.5.1 and the slides' training tricks; chapter "Weight initialization"."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..zoo import mlp
from .record import Finding, claim

CHAPTER = "init"


@claim(
    "thesis-2.5.1-equal-weights",
    document="thesis",
    where="§2.5.1",
    stated="weights of a layer must differ, otherwise their updates are the same because "
    "they get the same gradients",
    verdict="holds",
    correct="as stated when every layer starts constant: the hidden units then stay "
    "identical under gradient "
    "descent (random weights in the next layer alone would already tell them apart)",
    chapter=CHAPTER,
)
def _symmetry() -> Finding:
    rng = np.random.default_rng(0)
    net = mlp((4, 5, 3), "tanh")
    state = net.init(seed=0)
    w1, w2 = state.params["dense1"]["weight"], state.params["dense2"]["weight"]
    w1[:] = 0.3  # every weight of every layer equal (random W2 would already break the tie)
    w2[:] = -0.2
    x, y = rng.normal(size=(16, 4)), rng.integers(0, 3, 16)
    for _ in range(50):
        _, grads, _ = net.loss_and_grads(state, x, y)
        for layer, arrays in state.params.items():
            for k in arrays:
                arrays[k] -= 0.1 * grads[layer][k]
    spread = float(np.ptp(w1, axis=0).max())
    ok = spread < 1e-12
    return Finding(
        ok, ok, f"after 50 steps the 5 hidden units' weights differ by at most {spread:.0e}"
    )


@claim(
    "thesis-2.5.1-small-weights",
    document="thesis",
    where="§2.5.1",
    stated="biases are initialized as zero and weights as 'nearly zero', each weight of a "
    "layer different",
    verdict="holds",
    correct="as stated for the thesis's networks: Keras's default (Glorot uniform) draws "
    "each weight of its "
    "784-128-64-32-10 network from a small interval (bounds in the evidence). The scale "
    "must shrink with "
    "the fan-in (Var(w) = 2/n_in for ReLU, He): a fixed tiny scale such as 0.01 makes the "
    "signal vanish "
    "in a deep network",
    chapter=CHAPTER,
)
def _small() -> Finding:
    rng = np.random.default_rng(0)
    sizes = (784, 128, 64, 32, 10)
    limits = [
        np.sqrt(6 / (a + b)) for a, b in zip(sizes, sizes[1:])
    ]  # Glorot uniform bound per layer
    x = rng.normal(size=(256, 256))

    def final_std(scale: float) -> float:
        h = x
        for _ in range(10):
            h = np.maximum(h @ rng.normal(0, scale, (256, 256)), 0)
        return float(h.std())

    small, he = final_std(0.01), final_std(np.sqrt(2 / 256))
    stated = max(limits) < 0.5
    correct = 0.3 < he < 3 and small < 1e-6
    return Finding(
        stated,
        correct,
        "Glorot bounds "
        + ", ".join(f"{v:.2f}" for v in limits)
        + f"; std after 10 ReLU layers of width 256: weights N(0, 0.01²) {small:.1e}, He {he:.2f}",
    )


@claim(
    "he-variance-derivation",
    document="slides",
    where="'Tricks for improving CNN Trainings': Glorot/He initialization",
    stated="Glorot/He initialization gives good results",
    verdict="holds",
    correct="for z = Σ w_i a_i with a = relu(z_prev), z_prev symmetric: Var(z) = n Var(w) "
    "Var(z_prev)/2, "
    "so Var(w) = 2/n keeps Var(z) constant",
    chapter=CHAPTER,
)
def _he() -> Finding:
    s = sp.Symbol("s", positive=True)
    t = sp.Symbol("t", real=True)
    density = sp.exp(-(t**2) / (2 * s**2)) / (s * sp.sqrt(2 * sp.pi))
    second_moment = sp.integrate(t**2 * density, (t, 0, sp.oo))  # E[relu(z)^2] for z ~ N(0, s^2)
    n = sp.Symbol("n", positive=True)
    var_next = n * (2 / n) * second_moment
    ok = sp.simplify(second_moment - s**2 / 2) == 0 and sp.simplify(var_next - s**2) == 0
    return Finding(
        ok,
        ok,
        f"SymPy: E[relu(z)^2] = {second_moment} for z ~ N(0, s^2); with Var(w) = 2/n, "
        "Var(z') = s^2",
    )


@claim(
    "blog-uniform-init",
    document="blog",
    where="'Convolutional layer' (initial filter values)",
    stated="the filter values are 'initialized with a normal distribution or complete "
    "random in the range [-1, 1]'",
    verdict="convention",
    correct="a random start it is: it breaks the symmetry between filters, and through a network "
    "as shallow as the blog's two convolutions the signal stays finite. But its scale ignores "
    "the fan-in, so in a deep network the signal explodes: for a 5x5x3 filter (fan-in 75) "
    "U[-1, 1] has variance 1/3, 12.5 times He's 2/75, which keeps the scale from layer to layer "
    "(the book's convention, cnnmath.init)",
    chapter=CHAPTER,
)
def _uniform() -> Finding:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(512, 75))

    def stds(draw, depth: int) -> list[float]:
        h, out = x, []
        for _ in range(depth):
            h = np.maximum(h @ draw((75, 75)), 0)
            out.append(float(h.std()))
        return out

    uniform = stds(lambda s: rng.uniform(-1, 1, s), 8)
    he = stds(lambda s: rng.normal(0, np.sqrt(2 / 75), s), 8)
    filters = rng.uniform(-1, 1, (6, 75))
    distinct = len({tuple(f) for f in filters}) == len(filters)
    return Finding(
        distinct and 0.1 < uniform[1] < 100,
        uniform[-1] > 1e3 and 0.3 < he[-1] < 3,
        f"fan-in 75, ReLU: std after 2 layers {uniform[1]:.1f} with U[-1, 1]; after 8 layers "
        f"{uniform[-1]:.1e} with U[-1, 1], {he[-1]:.2f} with He",
    )
