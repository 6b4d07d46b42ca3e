"""Ledger: thesis §2.1.3, §2.4-2.6 (eq. 9-10, 32-44), paper §1.3, §2 and §2.1 (eq. 1-5) and the
softmax gradient of its code, the slides' chain rule; chapter "Forward and backward propagation"."""

from __future__ import annotations

import sympy as sp

from ..activations import sym_softmax
from ..symbolic import is_equal
from .record import Finding, claim

CHAPTER = "backprop"


def _softmax_ce(g: int = 3):
    zs = sp.symbols(f"z_1:{g + 1}", real=True)
    ys = sp.symbols(f"y_1:{g}", real=True)
    ys = (*ys, 1 - sum(ys))  # a target that sums to 1
    r = sym_softmax(zs)
    E = -sum(yi * sp.log(ri) for yi, ri in zip(ys, r))
    return zs, ys, r, E


@claim(
    "thesis-eq40-softmax-single-path",
    document="thesis",
    where="§2.6 eq. 39-40",
    stated="δ_j = ∂E/∂r_j · ∂r_j/∂z_j = ∂E/∂z_j for the softmax output r",
    verdict="wrong",
    correct="every r_i depends on z_j, so ∂E/∂z_j = Σ_i ∂E/∂r_i · ∂r_i/∂z_j = r_j - y_j",
    chapter=CHAPTER,
)
def _single_path() -> Finding:
    zs, ys, r, E = _softmax_ce()
    stated, correct = True, True
    for j in range(3):
        a = sp.Symbol(
            "a", positive=True
        )  # r_j as a free variable, to take ∂E/∂r_j along the single path
        E_rj = -sum(yi * sp.log(a if i == j else ri) for i, (yi, ri) in enumerate(zip(ys, r)))
        single = sp.diff(E_rj, a).subs(a, r[j]) * sp.diff(r[j], zs[j])
        true = sp.diff(E, zs[j])
        stated = stated and is_equal(single, true)
        correct = correct and is_equal(true, r[j] - ys[j])
        if j == 1:
            at = {zs[0]: 2, zs[1]: 1, zs[2]: -1, ys[0]: 1, ys[1]: 0}
            evidence = (
                f"g = 3, z = (2, 1, -1), y = e_1, wrong class j = 2: single path gives "
                f"{float(single.subs(at)):.4f}, the true ∂E/∂z_2 is {float(true.subs(at)):.4f}"
            )
    return Finding(stated, correct, evidence)


@claim(
    "thesis-eq42-43-recursion",
    document="thesis",
    where="§2.6 eq. 42-43",
    stated="δ_i^l = Σ_j δ_j^(l+1) w_(j,i)^(l+1) · ∂a_i^l/∂z_i^l",
    verdict="holds",
    correct="as stated, with δ^(l+1) the true ∂E/∂z^(l+1) (summed over all outputs at a "
    "softmax layer)",
    chapter=CHAPTER,
)
def _recursion() -> Finding:
    # Any activation f and any error E of z^(l+1) (a softmax layer's included): the recursion is
    # the chain rule, proved for every i of a layer of 3 neurons feeding 2.
    W2 = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"w_{i}{j}", real=True))
    z1 = sp.Matrix(sp.symbols("z_1:4", real=True))
    f, E = sp.Function("f"), sp.Function("E")
    z2 = W2 * z1.applyfunc(f)
    s = sp.symbols("s_1:3", real=True)
    delta2 = [sp.diff(E(*s), sj).subs(dict(zip(s, z2))) for sj in s]  # δ^(l+1) = ∂E/∂z^(l+1)
    ok = all(
        is_equal(
            sum(delta2[j] * W2[j, i] for j in range(2)) * sp.diff(f(z1[i]), z1[i]),
            sp.diff(E(*z2), z1[i]),
        )
        for i in range(3)
    )
    return Finding(
        ok,
        ok,
        "SymPy, 3 neurons feeding 2, any activation f and any error E of z^(l+1): eq. 43 equals "
        "the exact ∂E/∂z_i for each i",
    )


@claim(
    "thesis-eq32-no-bias",
    document="thesis",
    where="§2.4 eq. 32-37",
    stated="z^1 = W^1 x, z^l = W^l a^(l-1) (no bias term)",
    verdict="convention",
    correct="holds if x and each a^(l-1) are extended by a constant 1 and W^l by a bias "
    "column (as eq. 1 and 9 "
    "do); with explicit biases z^l = W^l a^(l-1) + b^l (paper eq. 5)",
    chapter=CHAPTER,
)
def _no_bias() -> Finding:
    W = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"w_{i}{j}", real=True))
    b = sp.Matrix(sp.symbols("b_1:3", real=True))
    a = sp.Matrix(sp.symbols("a_1:4", real=True))
    augmented = W.row_join(b) * a.col_join(sp.Matrix([1]))
    ok = is_equal(augmented, W * a + b)
    return Finding(ok, ok, "SymPy: [W | b] [a; 1] = W a + b")


@claim(
    "paper-eq2-4-dense-backward",
    document="paper",
    where="§2.1 eq. 1-4",
    stated="∂ℓ/∂a_c* = Σ_c ∂ℓ/∂z_c w_(c,c*); ∂ℓ/∂w_(c,c*) = a_c* ∂ℓ/∂z_c; ∂ℓ/∂b_c = ∂ℓ/∂z_c",
    verdict="holds",
    correct="as stated; in matrix form dA = dZ W, dW = dZ^T A, db = column sums of dZ",
    chapter=CHAPTER,
)
def _dense() -> Finding:
    W = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"w_{i}{j}", real=True))
    b = sp.Matrix(sp.symbols("b_0:2", real=True))
    a = sp.Matrix(sp.symbols("a_0:3", real=True))
    g = sp.Matrix(sp.symbols("g_0:2", real=True))  # ∂ℓ/∂z, for a loss linear in z
    ell = (g.T * (W * a + b))[0]
    ok = all(is_equal(sp.diff(ell, a[k]), sum(g[c] * W[c, k] for c in range(2))) for k in range(3))
    ok = ok and all(
        is_equal(sp.diff(ell, W[c, k]), a[k] * g[c]) for c in range(2) for k in range(3)
    )
    ok = ok and all(is_equal(sp.diff(ell, b[c]), g[c]) for c in range(2))
    return Finding(ok, ok, "SymPy: eq. 2, 3 and 4 proved for a layer with 3 inputs and 2 outputs")


@claim(
    "thesis-2.1.3-input-layer",
    document="thesis",
    where="§2.1.3 eq. 9-10",
    stated="an m x n data matrix becomes a vector of d = m·n input neurons plus a bias neuron; "
    "$z^{(h1)}_j = \\sum_{i=1}^{d} w^{(h1)}_{i,j} a^{(in)}_i + w^{(h1)}_{0,j}$, $j = 1, "
    "\\ldots, e$",
    verdict="holds",
    correct="as stated: the first hidden layer has e(d + 1) weights",
    chapter=CHAPTER,
)
def _input_layer() -> Finding:
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 7))
    x = X.reshape(-1)
    W, w0 = rng.normal(size=(x.size, 5)), rng.normal(size=5)
    z = np.array([sum(W[i, j] * x[i] for i in range(x.size)) + w0[j] for j in range(5)])
    ok = x.size == 4 * 7 and bool(np.allclose(z, x @ W + w0)) and W.size + w0.size == 5 * (28 + 1)
    return Finding(
        ok,
        ok,
        f"a 4x7 matrix gives d = {x.size} inputs; with e = 5: {W.size + w0.size} weights = "
        "5 (28 + 1)",
    )


@claim(
    "thesis-2.4-weight-shape",
    document="thesis",
    where="§2.4 eq. 32-37",
    stated="$W^l \\in \\mathbb{R}^{m \\times n}$ with m and n the numbers of neurons of "
    "layers l and l - 1; "
    "$x \\in \\mathbb{R}^{d \\times 1}$, $z^1 \\in \\mathbb{R}^{e \\times 1}$",
    verdict="holds",
    correct="as stated: then $W^l a^{l-1}$ has the shape of layer l",
    chapter=CHAPTER,
)
def _weight_shape() -> Finding:
    d, e, g = 6, 4, 3
    W1, W2, x = sp.zeros(e, d), sp.zeros(g, e), sp.zeros(d, 1)
    ok = (W1 * x).shape == (e, 1) and (W2 * (W1 * x)).shape == (g, 1)
    return Finding(
        ok, ok, f"d = {d}, e = {e}, g = {g}: z^1 is {(W1 * x).shape}, z^2 is {(W2 * W1 * x).shape}"
    )


@claim(
    "thesis-eq39-index-range",
    document="thesis",
    where="§2.6 eq. 38-39",
    stated="$w^l_{j,i}$, $0 \\le j \\le g$ and $0 \\le i \\le f$, is the weight to neuron j "
    "of layer l from neuron i "
    "of layer l - 1",
    verdict="inconsistent",
    correct="the output neurons are $j = 1, \\ldots, g$ (eq. 38 sums over them, and Figure "
    "2: the bias neuron has no "
    "incoming connections), so no weight has j = 0; i = 0 is the bias. f, the filter size "
    "elsewhere in the "
    "thesis, here stands for the number of neurons of layer l - 1",
    chapter=CHAPTER,
)
def _eq39_range() -> Finding:
    g, f = 10, 84
    by_the_ranges = (g + 1) * (f + 1)
    real = g * (f + 1)
    return Finding(
        by_the_ranges == real,
        real == 850,
        f"g = {g} outputs from f = {f} neurons: the ranges name "
        f"{by_the_ranges} weights, the layer has {real}",
    )


@claim(
    "paper-eq5-index-base",
    document="paper",
    where="§2.1 eq. 5 (the layer-level scheme)",
    stated="$\\mathbf{z}^{(l)} = (z_{(1)}, \\ldots, z_{(\\eta_c^{(l)})})$, "
    "$\\mathbf{a}^{(l-1)} = (a_{(1)}, \\ldots, "
    "a_{(\\eta_c^{(l-1)})})$, while $W^{(l)}$ and $\\mathbf{b}^{(l)}$ run from index 0",
    verdict="wrong",
    correct="with the paper's rule that indices start at 0, all four run from 0 to η: z and "
    "a have η + 1 entries "
    "(as b has); as printed a has one entry fewer than W has columns, and W a is undefined",
    chapter=CHAPTER,
)
def _eq5() -> Finding:
    eta_prev, eta = 3, 2
    W = sp.zeros(eta + 1, eta_prev + 1)
    a_printed, a_zero_based = sp.zeros(eta_prev, 1), sp.zeros(eta_prev + 1, 1)
    try:
        W * a_printed
        printed_ok = True
    except sp.ShapeError:
        printed_ok = False
    fixed = (W * a_zero_based).shape == (eta + 1, 1)
    return Finding(
        printed_ok,
        fixed,
        f"η^(l-1) = {eta_prev}, η^(l) = {eta}: W is {W.shape}; a as printed has "
        f"{eta_prev} entries (W a undefined), zero-based {eta_prev + 1}",
    )


@claim(
    "paper-2-eta-notation",
    document="paper",
    where="§2 (terminology and notation)",
    stated="all indices start at 0 and η is a dimension minus one: 'if layer 3 has eight "
    "individual channels then "
    "$\\eta_c^{(3)} = 7$'",
    verdict="holds",
    correct="as stated: indices 0..η cover all η + 1 channels",
    chapter=CHAPTER,
)
def _eta() -> Finding:
    channels = 8
    eta = channels - 1
    ok = eta == 7 and len(range(0, eta + 1)) == channels
    return Finding(ok, ok, f"8 channels: η = {eta}, indices 0..{eta}")


@claim(
    "paper-1.3-chain-rule",
    document="paper",
    where="§1.3",
    stated="the derivative of a nested function is, roughly, the product of the derivatives "
    "of the functions in the "
    "nesting",
    verdict="holds",
    correct="as stated for scalar functions: $(f\\circ g\\circ h)' = f'(g(h))\\, g'(h)\\, "
    "h'$; for vector layers the "
    "product is of Jacobians, summed over the paths",
    chapter=CHAPTER,
)
def _chain() -> Finding:
    x = sp.Symbol("x", real=True)
    f, g, h = sp.sin, sp.exp, lambda t: t**2 + 1
    ok = is_equal(sp.diff(f(g(h(x))), x), sp.cos(g(h(x))) * g(h(x)) * sp.diff(h(x), x))
    return Finding(ok, ok, "SymPy: d/dx sin(exp(x^2 + 1)) = cos(exp(x^2 + 1)) · exp(x^2 + 1) · 2x")


@claim(
    "paper-3-softmax-ce-gradient",
    document="paper",
    where="§3.3, conv(): dout = probs - label",
    stated="'dout = probs - label # derivative of loss w.r.t. final dense layer output'",
    verdict="holds",
    correct="as stated for softmax followed by cross-entropy with a one-hot label: "
    "$\\partial \\ell/\\partial z = a - y$; "
    "it sums over all outputs, which the thesis's eq. 40 does not",
    chapter=CHAPTER,
)
def _probs_minus_label() -> Finding:
    zs = sp.symbols("z_0:3", real=True)
    a = sym_softmax(zs)
    label = (0, 1, 0)
    loss = -sum(y * sp.log(ai) for y, ai in zip(label, a))
    ok = all(is_equal(sp.diff(loss, zs[c]), a[c] - label[c]) for c in range(3))
    return Finding(ok, ok, "SymPy, 3 classes, label e_1: ∂ℓ/∂z_c = a_c - y_c for every c")


@claim(
    "slides-chain-rule",
    document="slides",
    where="'Propagating Error: The Chain Rule'",
    stated="$\\partial L/\\partial w = \\partial L/\\partial y \\cdot \\partial y/\\partial "
    "z \\cdot "
    "\\partial z/\\partial w$ (loss change with the output, the activation's derivative, "
    "the input)",
    verdict="holds",
    correct="as stated for one neuron y = f(z), z = w x + b",
    chapter=CHAPTER,
)
def _slides_chain() -> Finding:
    w, x, b, t = sp.symbols("w x b t", real=True)
    zz = w * x + b
    y = sp.tanh(zz)
    L = (y - t) ** 2 / 2
    ok = is_equal(sp.diff(L, w), (y - t) * (1 - sp.tanh(zz) ** 2) * x)
    return Finding(
        ok, ok, "SymPy, y = tanh(w x + b), L = (y - t)²/2: ∂L/∂w = (y - t) · tanh'(z) · x"
    )


@claim(
    "thesis-eq9-eq39-index-order",
    document="thesis",
    where="§2.1.3 eq. 9 and §2.6 eq. 39-44",
    stated="eq. 9: $z_j = \\sum_i w_{i,j} a_i + w_{0,j}$, the weight from neuron i to neuron j; "
    "eq. 39-44: $w^l_{j,i}$, 'the weight value to the j:th neuron in layer l from the i:th "
    "neuron in layer l - 1'",
    verdict="inconsistent",
    correct="one order throughout: the same symbol $w_{1,2}$ is the weight from neuron 1 to "
    "neuron 2 in eq. 9 and from neuron 2 to neuron 1 in eq. 39. Either order describes the layer, "
    "one table being the transpose of the other; this book stores weights as (inputs, outputs), "
    "eq. 9's order, and writes $z = x W + b$",
    chapter=CHAPTER,
)
def _index_order() -> Finding:
    import numpy as np

    rng = np.random.default_rng(9)
    table, a = rng.normal(size=(4, 4)), rng.normal(size=4)  # w[first index, second index]
    eq9 = np.array([sum(table[i, j] * a[i] for i in range(4)) for j in range(4)])
    eq39 = np.array([sum(table[j, i] * a[i] for i in range(4)) for j in range(4)])
    same_layer = bool(
        np.allclose(eq9, [sum(table.T[j, i] * a[i] for i in range(4)) for j in range(4)])
    )
    return Finding(
        bool(np.allclose(eq9, eq39)),
        same_layer,
        f"one 4x4 table of weights read both ways: the weighted sums differ by up to "
        f"{np.abs(eq9 - eq39).max():.2f}; eq. 9 with the table equals eq. 39 with its transpose",
    )
