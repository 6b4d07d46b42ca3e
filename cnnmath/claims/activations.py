"""Ledger: thesis §2.2 (eq. 11-25) and paper §2.6 (eq. 31-34), mirrored by "Activation functions"."""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..activations import (sym_elu, sym_leaky_relu, sym_prelu, sym_relu, sym_sigmoid, sym_softmax)
from ..ledger import Finding, claim
from ..symbolic import is_equal

CHAPTER = "activations"
z = sp.Symbol("z", real=True)
b = sp.Symbol("b", nonnegative=True)
alpha = sp.Symbol("alpha", positive=True)


def _left_right_derivative(f: sp.Expr, at: float = 0) -> tuple[sp.Expr, sp.Expr]:
    """One-sided derivatives of ``f`` at ``at`` as limits of difference quotients."""
    h = sp.Symbol("h", positive=True)
    left = sp.limit((f.subs(z, at) - f.subs(z, at - h)) / h, h, 0)
    right = sp.limit((f.subs(z, at + h) - f.subs(z, at)) / h, h, 0)
    return left, right


@claim("thesis-eq12-sigmoid-derivative", document="thesis", where="§2.2.1 eq. 12",
       stated="f'(z) = e^-z/(1+e^-z)^2 = ... = sigmoid(z)(1 - sigmoid(z))", verdict="holds",
       correct="sigmoid'(z) = sigmoid(z)(1 - sigmoid(z))", chapter=CHAPTER)
def _eq12() -> Finding:
    s = sym_sigmoid(z)
    e = sp.exp(-z)
    chain = [sp.diff(s, z), e / (1 + e) ** 2, (1 + e - 1) / (1 + e) ** 2,
             (1 + e) / (1 + e) ** 2 - 1 / (1 + e) ** 2, 1 / (1 + e) - 1 / (1 + e) ** 2,
             1 / (1 + e) * (1 - 1 / (1 + e)), s * (1 - s)]
    ok = all(is_equal(p, q) for p, q in zip(chain, chain[1:]))
    return Finding(ok, ok, f"all {len(chain) - 1} steps of eq. 12 proved equal by SymPy")


@claim("thesis-sigmoid-at-0", document="thesis", where="§2.2.1",
       stated="sigmoid(0) is not close to zero and sigmoid'(0) is not close to 1", verdict="holds",
       correct="sigmoid(0) = 1/2 and sigmoid'(0) = 1/4, so sigmoid is not the identity near 0", chapter=CHAPTER)
def _sig0() -> Finding:
    s = sym_sigmoid(z)
    v, d = s.subs(z, 0), sp.diff(s, z).subs(z, 0)
    ok = v == sp.Rational(1, 2) and sp.simplify(d) == sp.Rational(1, 4)
    return Finding(ok, ok, f"sigmoid(0) = {v}, sigmoid'(0) = {sp.simplify(d)}")


@claim("thesis-eq14-relu-derivative-at-0", document="thesis", where="§2.2.2 eq. 14",
       stated="ReLU'(z) = 1 for z >= 0 (so ReLU'(0) = 1)", verdict="convention",
       correct="ReLU has no derivative at 0 (left 0, right 1); any value in [0, 1] is a valid subgradient. "
               "This book and PyTorch use 0; the thesis uses 1", chapter=CHAPTER)
def _relu0() -> Finding:
    left, right = _left_right_derivative(sym_relu(z))
    stated = bool(left <= 1 <= right)  # 1 is a subgradient (the right derivative)
    ours = sp.diff(sym_relu(z), z).subs(z, 0)
    correct = bool(left <= ours <= right) and ours == left
    return Finding(stated, correct, f"one-sided derivatives at 0: left {left}, right {right}; this book's value {ours}")


@claim("thesis-eq14-eq17-kink", document="thesis", where="§2.2.2 eq. 14 vs §2.2.3 eq. 17",
       stated="ReLU'(z) = 1 if z >= 0, but LReLU'(z) = b if z <= 0", verdict="inconsistent",
       correct="LReLU with b = 0 is ReLU, so one convention must give both the same value at 0; "
               "the left derivative gives ReLU'(0) = 0 and LReLU'(0) = b", chapter=CHAPTER)
def _kink() -> Finding:
    eq14_at_0 = 1  # the z >= 0 branch of eq. 14
    eq17_at_0_b0 = sp.Integer(0)  # the z <= 0 branch of eq. 17 with b = 0
    same_function = is_equal(sym_leaky_relu(z, 0), sym_relu(z))
    stated = same_function and eq14_at_0 == eq17_at_0_b0
    ours_relu = sp.diff(sym_relu(z), z).subs(z, 0)
    ours_lrelu = sp.diff(sym_leaky_relu(z, 0), z).subs(z, 0)
    correct = same_function and ours_relu == ours_lrelu
    return Finding(stated, correct, f"LReLU(b=0) = ReLU; at 0 eq. 14 gives {eq14_at_0}, eq. 17 gives {eq17_at_0_b0}")


@claim("paper-eq32-relu-derivative", document="paper", where="§2.6 eq. 32",
       stated="'we simply set the derivative to be zero at zero', yet eq. 32 gives 1 for z >= 0", verdict="inconsistent",
       correct="pick one value at 0 and use it in the text and the formula; this book uses ReLU'(0) = 0", chapter=CHAPTER)
def _paper32() -> Finding:
    text_value, eq32_value = 0, 1
    return Finding(text_value == eq32_value, sp.diff(sym_relu(z), z).subs(z, 0) == text_value,
                   f"text: ReLU'(0) = {text_value}; eq. 32: ReLU'(0) = {eq32_value}")


@claim("thesis-eq17-lrelu-derivative", document="thesis", where="§2.2.3 eq. 15-17",
       stated="f(z) = max(0,z) + b min(0,z); f'(z) = 1 if z > 0, b if z <= 0", verdict="holds",
       correct="as stated (with b at z = 0 by the left-derivative convention)", chapter=CHAPTER)
def _eq17() -> Finding:
    f = sym_leaky_relu(z, b)
    same = is_equal(f, sp.Max(0, z) + b * sp.Min(0, z))
    d = sp.diff(f, z)
    ok = same and all(is_equal(d.subs(z, v), want) for v, want in ((-2, b), (sp.Rational(1, 3), 1), (0, b)))
    return Finding(ok, ok, "SymPy: eq. 15 = eq. 16, derivative b for z <= 0 and 1 for z > 0")


@claim("thesis-eq18-prelu-db", document="thesis", where="§2.2.4 eq. 18",
       stated="∂f/∂b = 0 if z > 0, z if z <= 0", verdict="holds",
       correct="as stated", chapter=CHAPTER)
def _eq18() -> Finding:
    bb = sp.Symbol("b", real=True)
    d = sp.diff(sym_prelu(z, bb), bb)
    ok = is_equal(d, sp.Piecewise((z, z <= 0), (0, True)))
    return Finding(ok, ok, f"SymPy: ∂f/∂b = {d}")


@claim("thesis-eq20-elu-derivative", document="thesis", where="§2.2.5 eq. 19-20",
       stated="ELU'(z) = 1 if z > 0, alpha e^z if z <= 0", verdict="holds",
       correct="as stated; ELU is differentiable at 0 only when alpha = 1", chapter=CHAPTER)
def _eq20() -> Finding:
    f = sym_elu(z, alpha)
    d = sp.diff(f, z)
    ok = is_equal(d, sp.Piecewise((alpha * sp.exp(z), z <= 0), (1, True)))
    left, right = _left_right_derivative(f)
    return Finding(ok, ok, f"SymPy: derivative {d}; at 0 left {left}, right {right}")


@claim("thesis-eq25-softmax-jacobian", document="thesis", where="§2.2.6 eq. 23-25",
       stated="∂f(z_i)/∂z_j = -f(z_i)f(z_j) if i != j, f(z_i)(1 - f(z_j)) if i = j", verdict="holds",
       correct="J = diag(a) - a a^T", chapter=CHAPTER)
def _eq25() -> Finding:
    ok = True
    for g in (2, 3, 4):
        zs = sp.symbols(f"z_1:{g + 1}", real=True)
        f = sym_softmax(zs)
        J = f.jacobian(zs)
        stated = sp.Matrix(g, g, lambda i, j: f[i] * (1 - f[j]) if i == j else -f[i] * f[j])
        ok = ok and is_equal(J, stated)
    return Finding(ok, ok, "SymPy: the Jacobian equals eq. 25 entry by entry for g = 2, 3, 4")


@claim("paper-eq34-softmax-partials", document="paper", where="§2.6 eq. 33-34",
       stated="∂a_c/∂z_c = a_c(1 - a_c); ∂a_c/∂z_c' = -a_c a_c' for c' != c", verdict="holds",
       correct="as stated (the same Jacobian as thesis eq. 25)", chapter=CHAPTER)
def _paper34() -> Finding:
    zs = sp.symbols("z_0:3", real=True)
    f = sym_softmax(zs)
    ok = is_equal(sp.diff(f[0], zs[0]), f[0] * (1 - f[0])) and is_equal(sp.diff(f[0], zs[2]), -f[0] * f[2])
    return Finding(ok, ok, "SymPy, 3 classes: both partials proved")


@claim("thesis-softmax-range", document="thesis", where="§2.2.6 eq. 21",
       stated="softmax takes values in (0, 1) and its outputs sum to one", verdict="holds",
       correct="as stated in exact arithmetic; in floating point an output can round to exactly 0 or 1",
       chapter=CHAPTER)
def _softmax_range() -> Finding:
    from ..activations import softmax

    a = softmax(np.array([0.0, 800.0]))
    zs = sp.symbols("z_1:4", real=True)
    ok = is_equal(sum(sym_softmax(zs)), 1)
    return Finding(ok, ok, f"SymPy: sum = 1; float64 softmax([0, 800]) = {a.tolist()}")
