"""Ledger: thesis §2.3 (eq. 26-31), paper eq. 35-36, the guide's MSE; chapter "Loss functions"."""

from __future__ import annotations

import sympy as sp

from ..symbolic import is_equal
from .record import Finding, claim

CHAPTER = "losses"
y = sp.Symbol("y", real=True)
r = sp.Symbol("r", positive=True)


@claim(
    "thesis-eq27-mse-gradient",
    document="thesis",
    where="§2.3.1 eq. 26-27",
    stated="E = sum 1/2 (y_i - r_i)^2 has ∂E/∂r_i = r_i - y_i",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _eq27() -> Finding:
    ok = is_equal(sp.diff(sp.Rational(1, 2) * (y - r) ** 2, r), r - y)
    return Finding(ok, ok, "SymPy: d/dr (1/2)(y - r)^2 = r - y")


@claim(
    "guide-mse-vs-thesis",
    document="guide",
    where="§6 (convolutional autoencoder), MSE",
    stated="MSE = (1/N) sum (y_i - ŷ_i)^2",
    verdict="convention",
    correct="the guide averages without the factor 1/2, the thesis (eq. 26) sums with it: "
    "the losses differ "
    "by the factor 2/N and their gradients are (2/N)(ŷ - y) and ŷ - y",
    chapter=CHAPTER,
)
def _mse_conv() -> Finding:
    n = 3
    ys = sp.symbols(f"y_1:{n + 1}", real=True)
    rs = sp.symbols(f"r_1:{n + 1}", real=True)
    guide = sum((yi - ri) ** 2 for yi, ri in zip(ys, rs)) / n
    thesis = sum(sp.Rational(1, 2) * (yi - ri) ** 2 for yi, ri in zip(ys, rs))
    stated = is_equal(sp.diff(guide, rs[0]), sp.Rational(2, n) * (rs[0] - ys[0]))
    correct = is_equal(guide, sp.Rational(2, n) * thesis)
    return Finding(stated, correct, f"SymPy, N = {n}: guide = (2/N) thesis")


@claim(
    "thesis-eq28-brackets",
    document="thesis",
    where="§2.3.2 eq. 28",
    stated="$E = -\\sum_{i=1}^{n} y_i \\log(r_i) + (1 - y_i) \\log(1 - r_i)$, without brackets",
    verdict="holds",
    correct="as the thesis means it: the second term carries the summation index i, so the sum "
    "covers both terms and the minus sign negates it all, "
    "$E = -\\sum_i [y_i \\log r_i + (1 - y_i) \\log(1 - r_i)]$, whose derivative is eq. 29. "
    "Brackets "
    "would make that unmistakable: read with the minus on the first term only, the second term's i "
    "would be unbound and E could be negative",
    chapter=CHAPTER,
)
def _eq28() -> Finding:
    n = 3
    ys, rs = sp.symbols(f"y_1:{n + 1}", real=True), sp.symbols(f"r_1:{n + 1}", positive=True)
    summed = -sum(yi * sp.log(ri) + (1 - yi) * sp.log(1 - ri) for yi, ri in zip(ys, rs))
    eq29 = [(ri - yi) / (ri * (1 - ri)) for yi, ri in zip(ys, rs)]
    stated = all(is_equal(sp.diff(summed, ri), d) for ri, d in zip(rs, eq29))
    minus_on_first = -y * sp.log(r) + (1 - y) * sp.log(1 - r)  # one example, the other reading
    value = minus_on_first.subs({y: 0, r: sp.Rational(1, 2)})
    correct = stated and float(value) < 0
    return Finding(
        stated,
        correct,
        f"SymPy, n = {n}: with the sum over both terms, ∂E/∂r_i is eq. 29 for every i; with the "
        f"minus on the first term only, E(y=0, r=1/2) = {value} = {float(value):.4f} < 0",
    )


@claim(
    "thesis-eq29-bce-gradient",
    document="thesis",
    where="§2.3.2 eq. 29",
    stated="∂E/∂r_i = -y_i/r_i + (1-y_i)/(1-r_i) = (r_i - y_i)/(r_i(1 - r_i))",
    verdict="holds",
    correct="as stated, for the bracketed eq. 28",
    chapter=CHAPTER,
)
def _eq29() -> Finding:
    E = -(y * sp.log(r) + (1 - y) * sp.log(1 - r))
    d = sp.diff(E, r)
    ok = is_equal(d, -y / r + (1 - y) / (1 - r)) and is_equal(d, (r - y) / (r * (1 - r)))
    return Finding(ok, ok, "SymPy: every step of eq. 29 proved")


@claim(
    "thesis-eq30-one-term",
    document="thesis",
    where="§2.3.3 eq. 30-31",
    stated="with one-hot y, all but one term of -sum y_i log r_i vanish",
    verdict="holds",
    correct="E = -log r_k where k is the true class",
    chapter=CHAPTER,
)
def _eq30() -> Finding:
    rs = sp.symbols("r_1:5", positive=True)
    onehot = [0, 0, 1, 0]
    E = -sum(yi * sp.log(ri) for yi, ri in zip(onehot, rs))
    ok = is_equal(E, -sp.log(rs[2]))
    return Finding(ok, ok, "SymPy, 4 classes, true class 3: E = -log r_3")


@claim(
    "paper-eq36-ce-gradient",
    document="paper",
    where="§2.7 eq. 35-36",
    stated="∂ℓ/∂a_c' = -y_c'/a_c'",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _eq36() -> Finding:
    ys = sp.symbols("y_0:3", real=True)
    as_ = sp.symbols("a_0:3", positive=True)
    ell = -sum(yc * sp.log(ac) for yc, ac in zip(ys, as_))
    ok = all(is_equal(sp.diff(ell, as_[c]), -ys[c] / as_[c]) for c in range(3))
    return Finding(ok, ok, "SymPy, 3 classes: proved for each c'")


@claim(
    "slides-softmax-exercise-output",
    document="slides",
    where="CNN exercise (c), softmax of [-3.9, -9.3, 12.6]",
    stated="softmax = [6.8256e-8, 3.0828e-10, 0.9999]",
    verdict="holds",
    correct="softmax ≈ [6.8256e-8, 3.0828e-10, 0.99999993] (0.9999 is a truncation)",
    chapter=CHAPTER,
)
def _slides_softmax() -> Finding:
    import numpy as np

    from ..activations import softmax

    a = softmax(np.array([-3.9, -9.3, 12.6]))
    stated = bool(
        np.allclose(a[:2], [6.8256e-8, 3.0828e-10], rtol=1e-4) and abs(a[2] - 0.9999) < 1e-4
    )
    return Finding(
        stated, bool(np.isclose(a.sum(), 1.0)), f"computed: {a[0]:.4e}, {a[1]:.4e}, {a[2]:.8f}"
    )


@claim(
    "thesis-2.3.2-one-term",
    document="thesis",
    where="§2.3.2",
    stated="in eq. 28 'there are two different log-functions of which only one is valid at a time'",
    verdict="holds",
    correct="as stated: for y = 1 only $-\\log r$ remains, for y = 0 only $-\\log(1 - r)$",
    chapter=CHAPTER,
)
def _one_term() -> Finding:
    E = -(y * sp.log(r) + (1 - y) * sp.log(1 - r))
    ok = is_equal(E.subs(y, 1), -sp.log(r)) and is_equal(E.subs(y, 0), -sp.log(1 - r))
    return Finding(ok, ok, "SymPy: E(y=1) = -log r, E(y=0) = -log(1 - r)")


@claim(
    "paper-1.2-nonnegative-cost",
    document="paper",
    where="§1.2",
    stated="'the cost function is nothing more than a real valued non-negative function'",
    verdict="holds",
    correct="as stated for the paper's cross-entropy (and for squared error): $-\\sum_c y_c "
    "\\log a_c \\ge 0$ when "
    "the $a_c$ are probabilities",
    chapter=CHAPTER,
)
def _nonnegative() -> Finding:
    import numpy as np

    from ..activations import softmax

    rng = np.random.default_rng(0)
    logits = rng.normal(scale=5, size=(1000, 10))
    onehot = np.eye(10)[rng.integers(0, 10, 1000)]
    ce = -(onehot * np.log(softmax(logits))).sum(axis=1)
    ok = bool(ce.min() >= 0)
    return Finding(
        ok, ok, f"1,000 random softmax outputs: the smallest cross-entropy is {ce.min():.2e}"
    )


@claim(
    "slides-loss-choice",
    document="slides",
    where="'Quantifying Error: The Loss Function'",
    stated="binary cross-entropy for 2-class tasks; the softmax (cross-entropy) loss for "
    "multi-class tasks",
    verdict="holds",
    correct="as stated; for two classes they agree: binary cross-entropy on the logit z is "
    "the softmax "
    "cross-entropy on the logits (z, 0)",
    chapter=CHAPTER,
)
def _loss_choice() -> Finding:
    import numpy as np

    from ..losses import sigmoid_cross_entropy_forward, softmax_cross_entropy_forward

    rng = np.random.default_rng(1)
    zz, t = rng.normal(scale=3, size=50), rng.integers(0, 2, 50)
    bce, _ = sigmoid_cross_entropy_forward(zz, t.astype(float))
    ce, _ = softmax_cross_entropy_forward(np.stack([zz, np.zeros(50)], axis=1), 1 - t)
    ok = bool(np.isclose(bce, ce))
    return Finding(
        ok,
        ok,
        f"50 random logits: binary cross-entropy {bce:.6f}, two-class softmax cross-entropy "
        f"{ce:.6f}",
    )


@claim(
    "paper-1.1-cost-average",
    document="paper",
    where="§1.1",
    stated="the loss scores one output; the cost is 'the average of all the loss function "
    "outputs', and a better "
    "network has a lower cost",
    verdict="holds",
    correct="as stated: the mean of the per-example losses, which is what the training "
    "losses of this book "
    "compute (reduction 'mean')",
    chapter=CHAPTER,
)
def _cost_average() -> Finding:
    import numpy as np

    from ..losses import softmax_cross_entropy_forward

    rng = np.random.default_rng(2)
    logits, labels = rng.normal(size=(8, 4)), rng.integers(0, 4, 8)
    per_example = [
        softmax_cross_entropy_forward(logits[i : i + 1], labels[i : i + 1])[0] for i in range(8)
    ]
    cost, _ = softmax_cross_entropy_forward(logits, labels)
    better = logits.copy()
    better[np.arange(8), labels] += 2.0  # more confident in the right class
    ok = (
        bool(np.isclose(cost, np.mean(per_example)))
        and softmax_cross_entropy_forward(better, labels)[0] < cost
    )
    return Finding(
        ok,
        ok,
        f"8 examples: cost {cost:.4f} = mean of the 8 losses; raising the right logits lowers it",
    )
