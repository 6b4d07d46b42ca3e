"""Ledger: thesis §2.6.1-2.6.3 (eq. 45-56) and the slides' weight update; chapter "Optimizers"."""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..ledger import Finding, claim
from ..optim import Optimizer
from ..symbolic import is_equal

CHAPTER = "optimizers"
beta = sp.Symbol("beta", positive=True)
t, tau = sp.symbols("t tau", integer=True, positive=True)


@claim("thesis-eq54-bias-sum", document="thesis", where="§2.6.3 eq. 54",
       stated="Σ_{τ=1}^{t} (1-β1) β1^(t-τ) = 1 - β1^t", verdict="holds", correct="as stated, for β1 != 1",
       chapter=CHAPTER)
def _eq54() -> Finding:
    s = sp.summation((1 - beta) * beta ** (t - tau), (tau, 1, t))
    ok = is_equal(sp.piecewise_fold(s).subs(beta, sp.Rational(9, 10)), 1 - sp.Rational(9, 10) ** t) and all(
        is_equal(sum((1 - beta) * beta ** (k - j) for j in range(1, k + 1)), 1 - beta**k) for k in range(1, 8))
    return Finding(ok, ok, "SymPy: closed form for symbolic t (β = 9/10) and exact sums for t = 1..7 (symbolic β)")


@claim("thesis-eq53-unrolled", document="thesis", where="§2.6.3 eq. 53",
       stated="m_t = β1 m_(t-1) + (1-β1) g_t = Σ_{τ=1}^{t} (1-β1) β1^(t-τ) g_τ", verdict="holds",
       correct="as stated, with m_0 = 0", chapter=CHAPTER)
def _eq53() -> Finding:
    gs = sp.symbols("g_1:7", real=True)
    m = sp.Integer(0)
    ok = True
    for k in range(1, 7):
        m = beta * m + (1 - beta) * gs[k - 1]
        ok = ok and is_equal(m, sum((1 - beta) * beta ** (k - j) * gs[j - 1] for j in range(1, k + 1)))
    return Finding(ok, ok, "SymPy: the recursion equals the sum for t = 1..6")


@claim("thesis-eq55-index", document="thesis", where="§2.6.3 eq. 55",
       stated="m̂_t = m_(t-1)/(1-β1^t), v̂_t = v_(t-1)/(1-β2^t)", verdict="wrong",
       correct="m̂_t = m_t/(1-β1^t) and v̂_t = v_t/(1-β2^t): for a constant gradient g, m̂_t = g exactly; "
               "with m_(t-1), m̂_1 = 0 and the estimate stays biased low", chapter=CHAPTER)
def _eq55() -> Finding:
    g = sp.Symbol("g", real=True)
    m_t = (1 - beta**t) * g  # eq. 53-54 with a constant gradient
    m_prev = (1 - beta ** (t - 1)) * g
    stated = is_equal(m_prev / (1 - beta**t), g)
    correct = is_equal(m_t / (1 - beta**t), g)
    first = (m_prev / (1 - beta**t)).subs(t, 1)
    return Finding(stated, correct, f"constant gradient g: with m_(t-1), m̂_1 = {first}; with m_t, m̂_t = g for every t")


@claim("thesis-eq48-51-eps-inside-sqrt", document="thesis", where="§2.6.1-2.6.2 eq. 48-51",
       stated="divide by sqrt(G_t + ε) (AdaGrad) and sqrt(A[g^2]_t + ε) (RMSProp)", verdict="convention",
       correct="both placements keep the division finite; torch (and this book) use sqrt(G_t) + ε. They differ "
               "only where G_t is tiny: at G_t = 0 the factors are 1/sqrt(ε) and 1/ε", chapter=CHAPTER)
def _eps() -> Finding:
    eps, G = 1e-8, np.array([0.0, 1e-16, 1e-4, 1.0])
    inside, outside = 1 / np.sqrt(G + eps), 1 / (np.sqrt(G) + eps)
    close_when_large = bool(np.isclose(inside[-1], outside[-1], rtol=1e-7))
    return Finding(bool(np.all(np.isfinite(inside))), bool(np.all(np.isfinite(outside))) and close_when_large,
                   f"ε = 1e-8, G = 0: inside {inside[0]:.0e}, outside {outside[0]:.0e}; G = 1: equal to 1e-7")


@claim("slides-adam-adjusts-step", document="slides", where="'The weight update'",
       stated="Adam and AdamW dynamically adjust the learning rate during training", verdict="holds",
       correct="Adam divides by a running root-mean-square of the gradient: its steps are about η whatever the "
               "gradient's scale, while a gradient-descent step scales with the gradient", chapter=CHAPTER)
def _adam_scale() -> Finding:
    steps = {}
    for scale in (1e-3, 1.0, 1e3):
        p = {"w": np.array([1.0])}
        Optimizer("adam", 0.01).step(p, {"w": np.array([scale])})
        steps[scale] = 1.0 - p["w"][0]
    ok = all(np.isclose(v, 0.01, rtol=1e-4) for v in steps.values())
    return Finding(ok, ok, "first Adam step for gradients 1e-3, 1, 1e3: " + ", ".join(f"{v:.6f}" for v in steps.values()))
