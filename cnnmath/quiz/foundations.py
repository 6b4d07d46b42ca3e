"""Questions on the foundations: the perceptron, activation functions and loss functions.

Every answer is computed by the package's layers (``perceptron_forward``, the activation and loss
pairs, the SymPy definitions in :mod:`cnnmath.activations`); every distractor by a named mistake.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from .. import activations as act
from .. import losses
from ..perceptron import perceptron_forward, perceptron_gradient
from . import mistakes as M
from .question import Draft, choice, fmt, numeric, symbolic  # noqa: F401
from .registry import generator


def vec(v) -> str:
    """A vector in LaTeX, as a row: ``(1, -2, 0.5)``."""
    return "(" + ", ".join(fmt(x) for x in np.ravel(v)) + ")"


def _dot_text(w, x) -> str:
    return " + ".join(f"({fmt(a)})({fmt(b)})" for a, b in zip(w, x))


# --------------------------------------------------------------------------------------------
# The perceptron
# --------------------------------------------------------------------------------------------


@generator("perceptron", "perceptron_output", "Output of a perceptron", "numeric")
def perceptron_output(rng: np.random.Generator) -> Draft:
    while True:  # an input where the sigmoid is not saturated: |z| <= 3
        d = int(rng.integers(2, 4))
        x = rng.integers(-3, 4, d).astype(float)
        w = rng.integers(-20, 21, d) / 10
        w0 = int(rng.integers(-20, 21)) / 10
        if abs(float(w @ x) + w0) <= 3:
            break
    a, (_, z, _) = perceptron_forward(x[None], w, w0)
    a, z = float(a[0]), float(z[0])
    no_bias = float(act.sigmoid(np.array([z - w0]))[0])
    text = (
        f"A perceptron has the weights $\\mathbf w = {vec(w)}$, the bias weight $w_0 = "
        f"{fmt(w0)}$ and the "
        f"sigmoid activation. What is its output $a$ for the input $\\mathbf x = {vec(x)}$? "
        f"Give 3 significant digits."
    )
    sol = (
        f"$z = \\mathbf w^T\\mathbf x + w_0 = {_dot_text(w, x)} + ({fmt(w0)}) = {fmt(z)}$, so "
        f"$a = \\sigma(z) = 1/(1 + e^{{-z}}) = {fmt(a, 4)}$."
    )
    return numeric(
        text,
        a,
        sol,
        [(no_bias, M.NO_BIAS), (z, M.Z_NOT_A)],
        data=dict(x=x.tolist(), w=w.tolist(), w0=w0),
    )


@generator(
    "perceptron", "perceptron_update", "One gradient-descent step of a perceptron", "numeric"
)
def perceptron_update(rng: np.random.Generator) -> Draft:
    x = rng.integers(-2, 3, 2).astype(float)
    x[0] = x[0] if x[0] != 0 else 1.0
    w = rng.integers(-3, 4, 2) / 2
    w0 = 0.0
    y = float(rng.integers(0, 2))
    eta = float(rng.choice([0.1, 0.5, 1.0]))
    a, cache = perceptron_forward(x[None], w, w0)
    gw, _ = perceptron_gradient(np.array([y]), cache)
    new = float(w[0] - eta * gw[0])
    a = float(a[0])
    text = (
        f"A sigmoid perceptron with the weights $\\mathbf w = {vec(w)}$ and $w_0 = 0$ sees the "
        f"example "
        f"$\\mathbf x = {vec(x)}$ with the label $y = {fmt(y)}$ and takes one step of gradient "
        f"descent "
        f"on the cross-entropy error with the learning rate $\\eta = {fmt(eta)}$. What is the "
        f"new weight "
        f"$w_1$? Give 3 decimal places."
    )
    sol = (
        f"$a = \\sigma({_dot_text(w, x)}) = {fmt(a, 4)}$. The gradient is "
        f"$\\partial E/\\partial w_1 = (a - y)x_1 = {fmt(float(gw[0]), 4)}$, and gradient "
        f"descent moves "
        f"against it: $w_1 \\leftarrow w_1 - \\eta(a - y)x_1 = {fmt(new, 4)}$."
    )
    wrong = [
        (float(w[0] + eta * gw[0]), M.PERCEPTRON_SIGN),
        (float(w[0] - eta * (a - y)), M.DERIVATIVE_MISSING_X),
        (float(w[0] - eta * (a - y) * a * (1 - a) * x[0]), M.MSE_LIKE),
    ]
    return numeric(
        text, new, sol, wrong, places=3, data=dict(x=x.tolist(), w=w.tolist(), y=y, eta=eta)
    )


@functools.lru_cache(maxsize=None)
def _perceptron_derivative(
    target: str, loss: str = "ce", c: int = 1
) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """``(dE/d target, dE/da, dz/d target)`` in a, y (and x) by SymPy's chain rule (cached), for
    ``a = sigmoid(c z)`` and the cross-entropy (``"ce"``) or half the squared error (``"se"``)."""
    a, y, x, z = sp.symbols("a y x z", real=True)
    if loss == "ce":
        e_of_a = -y * sp.log(a) - (1 - y) * sp.log(1 - a)  # thesis eq. 3
    else:
        e_of_a = (a - y) ** 2 / 2
    de_da = sp.diff(e_of_a, a)
    # da/dz from the package's SymPy sigmoid, written in a: e^{-cz} = (1 - a)/a
    da_dz = sp.diff(act.sym_sigmoid(c * z), z).subs(sp.exp(-c * z), (1 - a) / a)
    dz = {"w": x, "w0": sp.Integer(1), "z": sp.Integer(1), "a": sp.Integer(1)}[target]
    expr = sp.factor(sp.simplify(de_da if target == "a" else de_da * da_dz * dz))
    return expr, sp.simplify(de_da), dz


NO_SIGMOID_DERIVATIVE = M.Mistake(
    "no_sigmoid_derivative",
    "the sigmoid's derivative a(1 - a) was left out: with the squared error it does not cancel",
)


@generator(
    "perceptron", "perceptron_gradient", "The perceptron's gradient, symbolically", "symbolic"
)
def perceptron_gradient_symbolic(rng: np.random.Generator) -> Draft:
    a, y, x = sp.symbols("a y x", real=True)
    target = str(rng.choice(["w", "w0", "z", "a"]))
    loss = str(rng.choice(["ce", "se"]))
    c = int(rng.integers(1, 8))
    expr, de_da, dz = _perceptron_derivative(target, loss, c)
    name = {"w": "w_i", "w0": "w_0", "z": "z", "a": "a"}[target]
    act_text = "\\sigma(z)" if c == 1 else f"\\sigma({c}z)"
    err_text = "E = -y\\log a - (1-y)\\log(1-a)" if loss == "ce" else "E = \\tfrac{1}{2}(a - y)^2"
    text = (
        f"For one example, a sigmoid perceptron computes $z = \\sum_i w_i x_i + w_0$, "
        f"$a = {act_text}$ and the error ${err_text}$. Write "
        f"$\\partial E/\\partial {name}$ in terms of $a$, $y$"
        + (" and $x$ (for $x_i$)." if target == "w" else ".")
    )
    syms = {"a": a, "y": y} | ({"x": x} if target == "w" else {})
    gain = "" if c == 1 else f"{c}"
    if target == "a":
        sol = f"$\\partial E/\\partial a = {sp.latex(de_da)} = {sp.latex(expr)}$."
    else:
        sol = (
            f"By the chain rule, $\\partial E/\\partial a = {sp.latex(de_da)}$, "
            f"$\\partial a/\\partial z = {gain}a(1-a)$, "
            f"$\\partial z/\\partial {name} = {sp.latex(dz)}$; the product is "
            f"${sp.latex(expr)}$" + (": the factor $a(1-a)$ cancels." if loss == "ce" else ".")
        )
    wrong = [(-expr, M.SIGN)]
    if target == "w":
        wrong.append((expr / x, M.DERIVATIVE_MISSING_X))
    if target != "a" and c > 1:
        wrong.append((expr / c, M.CHAIN_FACTOR))
    if target == "a" and loss == "ce":
        wrong.append((a - y, M.PROB_NOT_LOGIT))
    elif target != "a" and loss == "ce":
        wrong.append((expr * a * (1 - a), M.MSE_LIKE))
    elif target != "a":
        wrong.append((expr / (a * (1 - a)), NO_SIGMOID_DERIVATIVE))
    return symbolic(text, expr, syms, sol, wrong, data=dict(target=target, loss=loss, c=c))


# --------------------------------------------------------------------------------------------
# Activation functions
# --------------------------------------------------------------------------------------------


def _derivative(name: str, z: float, b: float) -> tuple[float, float]:
    """``(f(z), f'(z))`` by the package's forward/backward pair."""
    zz = np.array([z])
    if name == "leaky_relu":
        a, cache = act.leaky_relu_forward(zz, b)
        return float(a[0]), float(act.leaky_relu_backward(np.ones(1), cache)[0])
    fwd, bwd = act.get(name)
    a, cache = fwd(zz)
    return float(a[0]), float(bwd(np.ones(1), cache)[0])


@generator(
    "activations", "activation_derivative", "The derivative of an activation at a point", "numeric"
)
def activation_derivative(rng: np.random.Generator) -> Draft:
    name = str(rng.choice(["sigmoid", "tanh", "relu", "leaky_relu", "elu"]))
    z = float(rng.integers(-25, 26)) / 10
    b = float(rng.choice([0.01, 0.05, 0.1, 0.2, 0.3]))
    value, slope = _derivative(name, z, b)
    label = {
        "sigmoid": "the sigmoid $\\sigma$",
        "tanh": "$\\tanh$",
        "relu": "ReLU",
        "leaky_relu": f"the leaky ReLU with slope $b = {fmt(b)}$",
        "elu": "ELU with $\\alpha = 1$",
    }[name]
    text = (
        f"What is the derivative of {label} at $z = {fmt(z)}$? Use the left derivative at a "
        f"kink, as "
        f"this book and torch do. Give 3 significant digits."
    )
    rule = {
        "sigmoid": "\\sigma'(z) = \\sigma(z)(1 - \\sigma(z))",
        "tanh": "\\tanh'(z) = 1 - \\tanh^2 z",
        "relu": "\\mathrm{ReLU}'(z) = [z > 0]",
        "leaky_relu": "f'(z) = 1 \\text{ if } z > 0 \\text{ else } b",
        "elu": "f'(z) = 1 \\text{ if } z > 0 \\text{ else } \\alpha e^z",
    }[name]
    sol = (
        f"${rule}$; at $z = {fmt(z)}$ the function is ${fmt(value, 4)}$ and its derivative "
        f"${fmt(slope, 4)}$."
    )
    wrong = [(value, M.VALUE_NOT_DERIVATIVE)]
    if name == "relu" and z == 0:
        wrong.append((1.0, M.RELU_PRIME_ZERO_ONE))
    if name == "tanh":
        wrong.append((1 - value, M.TANH_NO_SQUARE))
    return numeric(text, slope, sol, wrong, digits=3, data=dict(name=name, z=z, b=b))


@generator("activations", "softmax_output", "One output of a softmax", "numeric")
def softmax_output(rng: np.random.Generator) -> Draft:
    g = int(rng.integers(3, 5))
    z = rng.integers(-2, 4, g).astype(float)
    i = int(rng.integers(0, g))
    a = act.softmax(z)
    text = (
        f"The scores of a softmax layer are $\\mathbf z = {vec(z)}$. What is the output "
        f"$a_{{{i + 1}}}$ "
        f"(for the score $z_{{{i + 1}}} = {fmt(z[i])}$)? Give 3 significant digits."
    )
    sol = (
        f"$a_{{{i + 1}}} = e^{{z_{{{i + 1}}}}}/\\sum_j e^{{z_j}} = {fmt(np.exp(z[i]), 4)}/"
        f"{fmt(np.exp(z).sum(), 4)} = {fmt(a[i], 4)}$ (subtracting $\\max_j z_j$ first changes "
        f"nothing)."
    )
    wrong = [(float(np.exp(z[i])), M.NO_NORMALIZE)]
    if z.sum() != 0:
        wrong.append((float(z[i] / z.sum()), M.LINEAR_NORMALIZE))
    return numeric(text, float(a[i]), sol, wrong, data=dict(z=z.tolist(), i=i))


@generator("activations", "softmax_jacobian", "An entry of the softmax Jacobian", "numeric")
def softmax_jacobian(rng: np.random.Generator) -> Draft:
    z = rng.integers(-1, 3, 3).astype(float)
    i, j = (int(v) for v in rng.integers(0, 3, 2))
    J = act.softmax_jacobian(z)
    a = act.softmax(z)
    text = (
        f"For the scores $\\mathbf z = {vec(z)}$, what is the entry $\\partial "
        f"a_{{{i + 1}}}/\\partial "
        f"z_{{{j + 1}}}$ of the softmax's Jacobian? Give 3 significant digits."
    )
    sol = (
        f"$\\mathbf a = \\mathrm{{softmax}}(\\mathbf z) = {vec(np.round(a, 4))}$ and $J_{{ij}} = "
        f"a_i(\\delta_{{ij}} "
        f"- a_j)$, so $J_{{{i + 1}{j + 1}}} = {fmt(J[i, j], 4)}$."
    )
    wrong = [(-float(J[i, j]), M.SIGN)]
    if i != j:
        wrong.append((float(a[i] * (1 - a[j])), M.DIAGONAL_OFFDIAG))
    return numeric(text, float(J[i, j]), sol, wrong, data=dict(z=z.tolist(), i=i, j=j))


@functools.lru_cache(maxsize=None)
def _activation_derivative(name: str, c: int, shift: int = 0) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """``(f, f', simplified f')`` for f(z) = sigmoid(cz + shift) or tanh(cz + shift), from the
    SymPy definitions."""
    z = sp.Symbol("z", real=True)
    f = (act.sym_sigmoid if name == "sigmoid" else act.sym_tanh)(c * z + shift)
    deriv = sp.diff(f, z)
    return f, deriv, sp.simplify(deriv)


@generator(
    "activations",
    "activation_derivative_formula",
    "The derivative of an activation, symbolically",
    "symbolic",
)
def activation_derivative_formula(rng: np.random.Generator) -> Draft:
    z = sp.Symbol("z", real=True)
    name = str(rng.choice(["sigmoid", "tanh"]))
    c = int(rng.integers(1, 7))
    shift = int(rng.integers(-3, 4))
    f, deriv, simple = _activation_derivative(name, c, shift)
    arg = sp.latex(c * sp.Symbol("z") + shift)
    shown = {
        "sigmoid": f"\\sigma({arg}) = 1/(1 + e^{{-({arg})}})",
        "tanh": f"\\tanh({arg})",
    }[name]
    text = (
        f"Write the derivative of $f(z) = {shown}$ as a formula in $z$ (you may use exp, tanh "
        f"and sigma)."
    )
    sol = f"$f'(z) = {sp.latex(simple)}$" + (
        f", the chain rule's factor {c} included." if c > 1 else "."
    )
    wrong = [(f, M.VALUE_NOT_DERIVATIVE)]
    if c > 1:
        wrong.append((deriv / c, M.CHAIN_FACTOR))
    if name == "tanh":
        wrong.append((c * (1 - sp.tanh(c * z + shift)), M.TANH_NO_SQUARE))
    return symbolic(
        text,
        deriv,
        {"z": z},
        sol,
        wrong,
        domain=(-1.5, 1.5),
        data=dict(name=name, c=c, shift=shift),
    )


# --------------------------------------------------------------------------------------------
# Loss functions
# --------------------------------------------------------------------------------------------


@generator("losses", "mse_value", "The squared error of a prediction", "numeric")
def mse_value(rng: np.random.Generator) -> Draft:
    n = int(rng.integers(3, 5))
    y = rng.integers(-2, 4, n).astype(float)
    r = y + rng.integers(-3, 4, n) / 2
    thesis = bool(rng.integers(0, 2))
    if thesis:
        e, _ = losses.mse_forward(r, y, reduction="sum", half=True)
        form = "E = \\sum_i \\tfrac12 (y_i - r_i)^2"
        wrong = [(2 * e, M.NO_HALF), (0.5 * float(np.abs(r - y).sum()), M.ABS_NOT_SQUARE)]
    else:
        e, _ = losses.mse_forward(r, y, reduction="mean")
        form = "E = \\tfrac1n \\sum_i (y_i - r_i)^2"
        wrong = [(n * e, M.SUM_NOT_MEAN), (float(np.abs(r - y).mean()), M.ABS_NOT_SQUARE)]
    text = (
        f"A regression network predicts $\\mathbf r = {vec(r)}$ for the targets $\\mathbf y = "
        f"{vec(y)}$. "
        f"What is the error ${form}$? Give 3 significant digits."
    )
    sol = (
        f"The differences are ${vec(r - y)}$; their squares ${vec((r - y) ** 2)}$; so $E = "
        f"{fmt(e, 5)}$."
    )
    return numeric(text, e, sol, wrong, data=dict(r=r.tolist(), y=y.tolist(), thesis=thesis))


@generator("losses", "cross_entropy_value", "Cross-entropy of a softmax output", "numeric")
def cross_entropy_value(rng: np.random.Generator) -> Draft:
    g = int(rng.integers(3, 5))
    z = rng.integers(-2, 4, g).astype(float)
    k = int(rng.integers(0, g))
    e, _ = losses.softmax_cross_entropy_forward(z[None], np.array([k]))
    a = act.softmax(z)
    text = (
        f"A classifier's scores (logits) are $\\mathbf z = {vec(z)}$ and the true class is class "
        f"{k + 1} "
        f"(score ${fmt(z[k])}$). What is the cross-entropy $E = -\\sum_i y_i\\log a_i$ with "
        f"$\\mathbf a = \\mathrm{{softmax}}(\\mathbf z)$ and one-hot $\\mathbf y$? Give 3 "
        f"significant digits."
    )
    sol = (
        f"Only the true class's term survives: $E = -\\log a_{{{k + 1}}}$ with $a_{{{k + 1}}} = "
        f"{fmt(a[k], 4)}$, "
        f"so $E = {fmt(e, 4)}$ (computed as $-z_k + \\log\\sum_j e^{{z_j}}$, which never "
        f"overflows)."
    )
    wrong = [(e / np.log(10), M.LOG10), (float(-z[k]), M.LOGIT_AS_LOGPROB)]
    return numeric(text, e, sol, wrong, data=dict(z=z.tolist(), k=k))


@generator("losses", "bce_gradient", "The gradient of the binary cross-entropy", "numeric")
def bce_gradient(rng: np.random.Generator) -> Draft:
    r = float(rng.integers(1, 100)) / 100
    y = float(rng.integers(0, 2))
    _, cache = losses.binary_cross_entropy_forward(np.array([r]), np.array([y]), reduction="sum")
    grad = float(losses.binary_cross_entropy_backward(1.0, cache)[0])
    text = (
        f"A network predicts the probability $r = {fmt(r)}$ for an example whose label is $y = "
        f"{fmt(y)}$. "
        f"With $E = -[y\\log r + (1-y)\\log(1-r)]$, what is $\\partial E/\\partial r$? "
        f"Give 3 significant digits."
    )
    sol = f"$\\partial E/\\partial r = -y/r + (1-y)/(1-r) = (r - y)/(r(1-r)) = {fmt(grad, 4)}$."
    wrong = [
        (r - y, M.PROB_NOT_LOGIT),
        (-y / r - (1 - y) / (1 - r), M.BCE_BRACKETS),
        (-grad, M.SIGN),
    ]
    return numeric(text, grad, sol, wrong, data=dict(r=r, y=y))
