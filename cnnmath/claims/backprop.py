"""Ledger: thesis §2.1.3, §2.4-2.6 (eq. 9-10, 32-44), paper §2.1 (eq. 1-5); chapter "Forward and backward propagation"."""
from __future__ import annotations

import sympy as sp

from ..activations import sym_softmax
from ..ledger import Finding, claim
from ..symbolic import is_equal

CHAPTER = "backprop"


def _softmax_ce(g: int = 3):
    zs = sp.symbols(f"z_1:{g + 1}", real=True)
    ys = sp.symbols(f"y_1:{g}", real=True)
    ys = (*ys, 1 - sum(ys))  # a target that sums to 1
    r = sym_softmax(zs)
    E = -sum(yi * sp.log(ri) for yi, ri in zip(ys, r))
    return zs, ys, r, E


@claim("thesis-eq40-softmax-single-path", document="thesis", where="§2.6 eq. 39-40",
       stated="δ_j = ∂E/∂r_j · ∂r_j/∂z_j = ∂E/∂z_j for the softmax output r", verdict="wrong",
       correct="every r_i depends on z_j, so ∂E/∂z_j = Σ_i ∂E/∂r_i · ∂r_i/∂z_j = r_j - y_j", chapter=CHAPTER)
def _single_path() -> Finding:
    zs, ys, r, E = _softmax_ce()
    stated, correct = True, True
    for j in range(3):
        a = sp.Symbol("a", positive=True)  # r_j as a free variable, to take ∂E/∂r_j along the single path
        E_rj = -sum(yi * sp.log(a if i == j else ri) for i, (yi, ri) in enumerate(zip(ys, r)))
        single = sp.diff(E_rj, a).subs(a, r[j]) * sp.diff(r[j], zs[j])
        true = sp.diff(E, zs[j])
        stated = stated and is_equal(single, true)
        correct = correct and is_equal(true, r[j] - ys[j])
        if j == 1:
            at = {zs[0]: 2, zs[1]: 1, zs[2]: -1, ys[0]: 1, ys[1]: 0}
            evidence = (f"g = 3, z = (2, 1, -1), y = e_1, wrong class j = 2: single path gives "
                        f"{float(single.subs(at)):.4f}, the true ∂E/∂z_2 is {float(true.subs(at)):.4f}")
    return Finding(stated, correct, evidence)


@claim("thesis-eq42-43-recursion", document="thesis", where="§2.6 eq. 42-43",
       stated="δ_i^l = Σ_j δ_j^(l+1) w_(j,i)^(l+1) · ∂a_i^l/∂z_i^l", verdict="holds",
       correct="as stated, with δ^(l+1) the true ∂E/∂z^(l+1) (summed over all outputs at a softmax layer)",
       chapter=CHAPTER)
def _recursion() -> Finding:
    x = sp.Matrix(sp.symbols("x_1:3", real=True))
    W1 = sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"u_{i}{j}", real=True))
    W2 = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"w_{i}{j}", real=True))
    z1 = W1 * x
    a1 = z1.applyfunc(sp.tanh)
    z2 = W2 * a1
    y = (1, 0)
    E = -sum(yi * sp.log(ri) for yi, ri in zip(y, sym_softmax(z2)))
    zz = sp.symbols("s_1:3", real=True)
    E_of_z2 = -sum(yi * sp.log(ri) for yi, ri in zip(y, sym_softmax(zz)))
    delta2 = [sp.diff(E_of_z2, s).subs(dict(zip(zz, z2))) for s in zz]
    ok = True
    for i in range(3):
        delta1 = sum(delta2[j] * W2[j, i] for j in range(2)) * (1 - sp.tanh(z1[i]) ** 2)
        true = sp.diff(E, W1[i, 0]) / x[0]  # ∂E/∂u_i0 = δ_i x_1
        ok = ok and is_equal(delta1, true)
    return Finding(ok, ok, "SymPy, a 2-3-2 network with tanh and softmax: eq. 43 equals the exact ∂E/∂z_i for each i")


@claim("thesis-eq32-no-bias", document="thesis", where="§2.4 eq. 32-37",
       stated="z^1 = W^1 x, z^l = W^l a^(l-1) (no bias term)", verdict="convention",
       correct="holds if x and each a^(l-1) are extended by a constant 1 and W^l by a bias column (as eq. 1 and 9 "
               "do); with explicit biases z^l = W^l a^(l-1) + b^l (paper eq. 5)", chapter=CHAPTER)
def _no_bias() -> Finding:
    W = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"w_{i}{j}", real=True))
    b = sp.Matrix(sp.symbols("b_1:3", real=True))
    a = sp.Matrix(sp.symbols("a_1:4", real=True))
    augmented = W.row_join(b) * a.col_join(sp.Matrix([1]))
    ok = is_equal(augmented, W * a + b)
    return Finding(ok, ok, "SymPy: [W | b] [a; 1] = W a + b")


@claim("paper-eq2-4-dense-backward", document="paper", where="§2.1 eq. 1-4",
       stated="∂ℓ/∂a_c* = Σ_c ∂ℓ/∂z_c w_(c,c*); ∂ℓ/∂w_(c,c*) = a_c* ∂ℓ/∂z_c; ∂ℓ/∂b_c = ∂ℓ/∂z_c", verdict="holds",
       correct="as stated; in matrix form dA = dZ W, dW = dZ^T A, db = column sums of dZ", chapter=CHAPTER)
def _dense() -> Finding:
    W = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"w_{i}{j}", real=True))
    b = sp.Matrix(sp.symbols("b_0:2", real=True))
    a = sp.Matrix(sp.symbols("a_0:3", real=True))
    g = sp.Matrix(sp.symbols("g_0:2", real=True))  # ∂ℓ/∂z, for a loss linear in z
    ell = (g.T * (W * a + b))[0]
    ok = all(is_equal(sp.diff(ell, a[k]), sum(g[c] * W[c, k] for c in range(2))) for k in range(3))
    ok = ok and all(is_equal(sp.diff(ell, W[c, k]), a[k] * g[c]) for c in range(2) for k in range(3))
    ok = ok and all(is_equal(sp.diff(ell, b[c]), g[c]) for c in range(2))
    return Finding(ok, ok, "SymPy: eq. 2, 3 and 4 proved for a layer with 3 inputs and 2 outputs")
