"""Weight initialization: the variance rules of Glorot and He.

For a layer :math:`z_j = \\sum_{i=1}^{n} w_{ji} a_i` with independent, zero-mean weights and inputs,
:math:`\\mathrm{Var}(z_j) = n\\,\\mathrm{Var}(w)\\,E[a^2]`. Keeping the signal's size from layer to
layer gives the rules (derived and asserted in the chapter "Weight initialization"):

- Glorot (Xavier): :math:`\\mathrm{Var}(w) = 2/(n_{in} + n_{out})`, the compromise between the
  forward condition :math:`1/n_{in}` and the backward one :math:`1/n_{out}` for tanh-like units;
- He (Kaiming): :math:`\\mathrm{Var}(w) = 2/n_{in}` for ReLU, which zeroes half of its inputs.

Weights have torch's shape ``(fan_out, fan_in)``; biases start at zero (thesis §2.5.1).
"""

from __future__ import annotations

import numpy as np

from .arguments import generator, positive_int

RULES = ("glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "lecun_normal")


def variance(rule: str, fan_in: int, fan_out: int) -> float:
    """The weight variance prescribed by ``rule`` for a layer with ``fan_in`` inputs and
    ``fan_out`` outputs."""
    if rule not in RULES:
        raise ValueError(f"unknown initialization rule {rule!r}: rule must be one of {RULES}")
    fan_in = positive_int(fan_in, "fan_in")
    fan_out = positive_int(fan_out, "fan_out")
    if rule.startswith("glorot"):
        return 2.0 / (fan_in + fan_out)
    if rule.startswith("he"):
        return 2.0 / fan_in
    if rule == "lecun_normal":
        return 1.0 / fan_in
    raise AssertionError(
        f"rule {rule!r} is listed in RULES but has no variance"
    )  # pragma: no cover


def init_weights(
    rule: str, fan_in: int, fan_out: int, rng: np.random.Generator, dtype: type = np.float64
) -> np.ndarray:
    """A ``(fan_out, fan_in)`` weight matrix with the variance of ``rule``.

    ``*_normal`` draws :math:`N(0, \\sigma^2)`; ``*_uniform`` draws :math:`U(-a, a)` with
    :math:`a = \\sqrt{3\\sigma^2}`, which has the same variance.
    """
    var = variance(rule, fan_in, fan_out)
    rng = generator(rng)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be np.float32 or np.float64; got {dtype!r}")
    if rule.endswith("uniform"):
        limit = np.sqrt(3.0 * var)
        w = rng.uniform(-limit, limit, (fan_out, fan_in))
    else:
        w = rng.normal(0.0, np.sqrt(var), (fan_out, fan_in))
    return w.astype(dtype)
