"""Ledger: thesis §2.1.2 (eq. 1-8) and the guide §1, mirrored by the chapter "The perceptron"."""

from __future__ import annotations

import sympy as sp

from ..activations import sym_sigmoid
from ..symbolic import is_equal
from .record import Finding, by_reference, claim

CHAPTER = "perceptron"
y = sp.Symbol("y", real=True)
a = sp.Symbol("a", positive=True)
z, x, eta = sp.symbols("z x_i eta", real=True)
w, w0, x0 = sp.symbols("w_i w_0 x_0", real=True)


def _E(a_: sp.Expr) -> sp.Expr:
    """Thesis eq. 3: the logistic (cross-entropy) error of one example."""
    return -y * sp.log(a_) - (1 - y) * sp.log(1 - a_)


@claim(
    "thesis-eq6-dE-da",
    document="thesis",
    where="§2.1.2 eq. 6 (first line)",
    stated="dE/da = -y/a + (1-y)/(1-a) = (a-y)/(a(1-a))",
    verdict="holds",
    correct="dE/da = (a-y)/(a(1-a)) for 0 < a < 1",
    chapter=CHAPTER,
)
def _dE_da() -> Finding:
    d = sp.diff(_E(a), a)
    ok = is_equal(d, -y / a + (1 - y) / (1 - a)) and is_equal(d, (a - y) / (a * (1 - a)))
    return Finding(
        ok, ok, f"SymPy: dE/da - (a-y)/(a(1-a)) = {sp.simplify(d - (a - y) / (a * (1 - a)))}"
    )


@claim(
    "thesis-eq6-da-dz",
    document="thesis",
    where="§2.1.2 eq. 6 (second line)",
    stated="da/dz = a(1-a) for the logistic a = 1/(1+e^-z)",
    verdict="holds",
    correct="da/dz = a(1-a)",
    chapter=CHAPTER,
)
def _da_dz() -> Finding:
    s = sym_sigmoid(z)
    ok = is_equal(sp.diff(s, z), s * (1 - s))
    return Finding(ok, ok, "SymPy: d/dz sigmoid(z) - sigmoid(z)(1 - sigmoid(z)) = 0")


@claim(
    "thesis-eq7-gradient",
    document="thesis",
    where="§2.1.2 eq. 4-7",
    stated="eta dE/dw_i = eta (a-y)(a(1-a))^-1 a(1-a) x_i = eta (a-y) x_i",
    verdict="holds",
    correct="dE/dw_i = (a - y) x_i with a = sigmoid(w_i x_i + w_0)",
    chapter=CHAPTER,
)
def _eq7() -> Finding:
    a_of_w = sym_sigmoid(w * x + w0)
    grad = sp.diff(_E(a_of_w), w)
    ok = is_equal(grad, (a_of_w - y) * x)
    return Finding(ok, ok, "SymPy: d/dw_i E(sigmoid(w_i x_i + w_0)) - (a - y) x_i = 0")


@claim(
    "thesis-eq2-eq8-sign",
    document="thesis",
    where="§2.1.2 eq. 2 and eq. 8",
    stated="eq. 2 defines Δw_i = η ∂E/∂w_i; eq. 8 gives Δw_i = η(y - a)x_i",
    verdict="inconsistent",
    correct="Δw_i = -η ∂E/∂w_i = η(y - a)x_i, added to w_i (gradient descent)",
    chapter=CHAPTER,
)
def _sign() -> Finding:
    a_of_w = sym_sigmoid(w * x + w0)
    grad = sp.diff(_E(a_of_w), w)
    eq8 = eta * (y - a_of_w) * x
    stated = is_equal(eta * grad, eq8)  # eq. 2 and eq. 8 as two definitions of the same Δw_i
    correct = is_equal(-eta * grad, eq8)
    return Finding(
        stated, correct, "η ∂E/∂w_i = -η(y - a)x_i, the negative of eq. 8; with -η it equals eq. 8"
    )


@claim(
    "thesis-eq1-bias",
    document="thesis",
    where="§2.1.2 eq. 1",
    stated="z = sum_i w_i x_i + w_0 = w^T x with x = [1, x_1, ..., x_d]^T",
    verdict="holds",
    correct="the bias is the weight w_0 of a constant input x_0 = 1",
    chapter=CHAPTER,
)
def _eq1() -> Finding:
    ws = sp.symbols("w_0:4", real=True)
    xs = sp.symbols("x_1:4", real=True)
    lhs = sum(wi * xi for wi, xi in zip(ws[1:], xs)) + ws[0]
    rhs = (sp.Matrix(ws).T * sp.Matrix([1, *xs]))[0]
    ok = is_equal(lhs, rhs)
    return Finding(ok, ok, "SymPy, d = 3: the two sides are the same polynomial")


@claim(
    "thesis-2.1.1-output-neurons",
    document="thesis",
    where="§2.1.1",
    stated="'The output layer contains as many neurons as there are classes to be classified'",
    verdict="convention",
    correct="true for a softmax output layer; two classes need only one sigmoid output, as "
    "the thesis's own "
    "two-class perceptron (§2.1.2, eq. 3-5) has: the softmax of two logits is the sigmoid of their "
    "difference",
    chapter=CHAPTER,
)
def _output_neurons() -> Finding:
    from ..activations import sym_softmax

    z1, z2 = sp.symbols("z_1 z_2", real=True)
    two_outputs = sym_softmax((z1, z2))[0]
    one_output = sym_sigmoid(z1 - z2)
    ok = is_equal(two_outputs, one_output)
    softmax_outputs = sym_softmax((z1, z2)).shape[0]
    return Finding(
        softmax_outputs == 2,
        ok,
        "SymPy: a softmax layer for 2 classes has 2 outputs, and "
        "softmax(z1, z2)_1 = sigmoid(z1 - z2): one sigmoid output suffices",
    )


@claim(
    "guide-1-rosenblatt",
    document="guide",
    where="§1",
    stated="the perceptron was 'invented by Frank Rosenblatt in 1958'",
    verdict="holds",
    correct="as stated",
    reference="Rosenblatt (1958), 'The perceptron: a probabilistic model for information "
    "storage and organization "
    "in the brain', Psychological Review 65(6)",
    chapter=CHAPTER,
)
def _rosenblatt() -> Finding:
    return by_reference(True, "Rosenblatt, Psychological Review 65(6), 1958")


@claim(
    "guide-1-perceptron-backprop",
    document="guide",
    where="§1",
    stated="the perceptron (Rosenblatt's, of 1958) passes its weighted sum through 'a non-linear "
    "activation function, such as the sigmoid', and 'learns to adjust its weights and biases "
    "through a process called backpropagation'",
    verdict="wrong",
    correct="Rosenblatt's perceptron is a threshold unit, trained by the perceptron rule "
    "$w \\leftarrow w + \\eta (y - \\hat y) x$; the threshold's derivative is 0 wherever it "
    "exists, so a gradient through it never moves a weight. A sigmoid unit trained on the "
    "gradient of its loss (the thesis's perceptron, §2.1.2) is logistic regression, one layer with "
    "nothing to propagate back through; backpropagation, published in 1986, trains networks with "
    "hidden layers",
    reference="Rosenblatt (1958), Psychological Review 65(6); Rumelhart, Hinton & Williams "
    "(1986), 'Learning representations by back-propagating errors', Nature 323",
    chapter=CHAPTER,
)
def _perceptron_backprop() -> Finding:
    import numpy as np

    rng = np.random.default_rng(4)
    x = rng.normal(size=(40, 2))
    y = (x @ np.array([1.0, -2.0]) + 0.5 > 0).astype(float)  # linearly separable

    def step_error(w: np.ndarray) -> float:  # squared error of the threshold unit
        return float(np.mean(((x @ w[:2] + w[2] > 0) - y) ** 2))

    w, h = np.array([0.3, 0.2, 0.0]), 1e-6
    grad = [(step_error(w + h * e) - step_error(w - h * e)) / (2 * h) for e in np.eye(3)]
    for _ in range(100):  # the perceptron rule, one example at a time
        for xi, yi in zip(x, y):
            w += 0.1 * (yi - float(xi @ w[:2] + w[2] > 0)) * np.append(xi, 1.0)
    errors = int(np.sum((x @ w[:2] + w[2] > 0) != y))
    return Finding(
        any(g != 0 for g in grad),
        all(g == 0 for g in grad) and errors == 0,
        f"40 separable points: the threshold unit's error gradient (central differences) is "
        f"{[float(g) for g in grad]}; the perceptron rule ends with {errors} errors",
    )
