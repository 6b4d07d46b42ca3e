"""Ledger: thesis §2.2 (eq. 11-25), paper §2.6 (eq. 31-34), guide §1 and §3.2, the blog's activation
layer; chapter "Activation functions"."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..activations import sym_elu, sym_leaky_relu, sym_prelu, sym_relu, sym_sigmoid, sym_softmax
from ..symbolic import is_equal
from .record import Finding, by_reference, claim

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


@claim(
    "thesis-eq12-sigmoid-derivative",
    document="thesis",
    where="§2.2.1 eq. 12",
    stated="f'(z) = e^-z/(1+e^-z)^2 = ... = sigmoid(z)(1 - sigmoid(z))",
    verdict="holds",
    correct="sigmoid'(z) = sigmoid(z)(1 - sigmoid(z))",
    chapter=CHAPTER,
)
def _eq12() -> Finding:
    s = sym_sigmoid(z)
    e = sp.exp(-z)
    chain = [
        sp.diff(s, z),
        e / (1 + e) ** 2,
        (1 + e - 1) / (1 + e) ** 2,
        (1 + e) / (1 + e) ** 2 - 1 / (1 + e) ** 2,
        1 / (1 + e) - 1 / (1 + e) ** 2,
        1 / (1 + e) * (1 - 1 / (1 + e)),
        s * (1 - s),
    ]
    ok = all(is_equal(p, q) for p, q in zip(chain, chain[1:]))
    return Finding(ok, ok, f"all {len(chain) - 1} steps of eq. 12 proved equal by SymPy")


@claim(
    "thesis-sigmoid-at-0",
    document="thesis",
    where="§2.2.1",
    stated="sigmoid(0) is not close to zero and sigmoid'(0) is not close to 1",
    verdict="holds",
    correct="sigmoid(0) = 1/2 and sigmoid'(0) = 1/4, so sigmoid is not the identity near 0",
    chapter=CHAPTER,
)
def _sig0() -> Finding:
    s = sym_sigmoid(z)
    v, d = s.subs(z, 0), sp.diff(s, z).subs(z, 0)
    ok = v == sp.Rational(1, 2) and sp.simplify(d) == sp.Rational(1, 4)
    return Finding(ok, ok, f"sigmoid(0) = {v}, sigmoid'(0) = {sp.simplify(d)}")


@claim(
    "thesis-eq14-relu-derivative-at-0",
    document="thesis",
    where="§2.2.2 eq. 14",
    stated="ReLU'(z) = 1 for z >= 0 (so ReLU'(0) = 1)",
    verdict="convention",
    correct="ReLU has no derivative at 0 (left 0, right 1); any value in [0, 1] is a valid "
    "subgradient. "
    "This book and PyTorch use 0; the thesis uses 1",
    chapter=CHAPTER,
)
def _relu0() -> Finding:
    left, right = _left_right_derivative(sym_relu(z))
    stated = bool(left <= 1 <= right)  # 1 is a subgradient (the right derivative)
    ours = sp.diff(sym_relu(z), z).subs(z, 0)
    correct = bool(left <= ours <= right) and ours == left
    return Finding(
        stated,
        correct,
        f"one-sided derivatives at 0: left {left}, right {right}; this book's value {ours}",
    )


@claim(
    "thesis-eq14-eq17-kink",
    document="thesis",
    where="§2.2.2 eq. 14 vs §2.2.3 eq. 17",
    stated="ReLU'(z) = 1 if z >= 0, but LReLU'(z) = b if z <= 0",
    verdict="inconsistent",
    correct="LReLU with b = 0 is ReLU, so one convention must give both the same value at 0; "
    "the left derivative gives ReLU'(0) = 0 and LReLU'(0) = b",
    chapter=CHAPTER,
)
def _kink() -> Finding:
    eq14_at_0 = 1  # the z >= 0 branch of eq. 14
    eq17_at_0_b0 = sp.Integer(0)  # the z <= 0 branch of eq. 17 with b = 0
    same_function = is_equal(sym_leaky_relu(z, 0), sym_relu(z))
    stated = same_function and eq14_at_0 == eq17_at_0_b0
    ours_relu = sp.diff(sym_relu(z), z).subs(z, 0)
    ours_lrelu = sp.diff(sym_leaky_relu(z, 0), z).subs(z, 0)
    correct = same_function and ours_relu == ours_lrelu
    return Finding(
        stated,
        correct,
        f"LReLU(b=0) = ReLU; at 0 eq. 14 gives {eq14_at_0}, eq. 17 gives {eq17_at_0_b0}",
    )


@claim(
    "paper-eq32-relu-derivative",
    document="paper",
    where="§2.6 eq. 32",
    stated="'we simply set the derivative to be zero at zero', yet eq. 32 gives 1 for z >= 0",
    verdict="inconsistent",
    correct="pick one value at 0 and use it in the text and the formula; this book uses "
    "ReLU'(0) = 0",
    chapter=CHAPTER,
)
def _paper32() -> Finding:
    text_value, eq32_value = 0, 1
    return Finding(
        text_value == eq32_value,
        sp.diff(sym_relu(z), z).subs(z, 0) == text_value,
        f"text: ReLU'(0) = {text_value}; eq. 32: ReLU'(0) = {eq32_value}",
    )


@claim(
    "thesis-eq17-lrelu-derivative",
    document="thesis",
    where="§2.2.3 eq. 15-17",
    stated="f(z) = max(0,z) + b min(0,z); f'(z) = 1 if z > 0, b if z <= 0",
    verdict="holds",
    correct="as stated (with b at z = 0 by the left-derivative convention)",
    chapter=CHAPTER,
)
def _eq17() -> Finding:
    f = sym_leaky_relu(z, b)
    same = is_equal(f, sp.Max(0, z) + b * sp.Min(0, z))
    d = sp.diff(f, z)
    ok = same and all(
        is_equal(d.subs(z, v), want) for v, want in ((-2, b), (sp.Rational(1, 3), 1), (0, b))
    )
    return Finding(ok, ok, "SymPy: eq. 15 = eq. 16, derivative b for z <= 0 and 1 for z > 0")


@claim(
    "thesis-eq18-prelu-db",
    document="thesis",
    where="§2.2.4 eq. 18",
    stated="∂f/∂b = 0 if z > 0, z if z <= 0",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _eq18() -> Finding:
    bb = sp.Symbol("b", real=True)
    d = sp.diff(sym_prelu(z, bb), bb)
    ok = is_equal(d, sp.Piecewise((z, z <= 0), (0, True)))
    return Finding(ok, ok, f"SymPy: ∂f/∂b = {d}")


@claim(
    "thesis-eq20-elu-derivative",
    document="thesis",
    where="§2.2.5 eq. 19-20",
    stated="ELU'(z) = 1 if z > 0, alpha e^z if z <= 0",
    verdict="holds",
    correct="as stated; ELU is differentiable at 0 only when alpha = 1",
    chapter=CHAPTER,
)
def _eq20() -> Finding:
    f = sym_elu(z, alpha)
    d = sp.diff(f, z)
    ok = is_equal(d, sp.Piecewise((alpha * sp.exp(z), z <= 0), (1, True)))
    left, right = _left_right_derivative(f)
    return Finding(ok, ok, f"SymPy: derivative {d}; at 0 left {left}, right {right}")


@claim(
    "thesis-eq25-softmax-jacobian",
    document="thesis",
    where="§2.2.6 eq. 23-25",
    stated="∂f(z_i)/∂z_j = -f(z_i)f(z_j) if i != j, f(z_i)(1 - f(z_j)) if i = j",
    verdict="holds",
    correct="J = diag(a) - a a^T",
    chapter=CHAPTER,
)
def _eq25() -> Finding:
    ok = True
    for g in (2, 3, 4):
        zs = sp.symbols(f"z_1:{g + 1}", real=True)
        f = sym_softmax(zs)
        J = f.jacobian(zs)
        stated = sp.Matrix(g, g, lambda i, j: f[i] * (1 - f[j]) if i == j else -f[i] * f[j])
        ok = ok and is_equal(J, stated)
    return Finding(ok, ok, "SymPy: the Jacobian equals eq. 25 entry by entry for g = 2, 3, 4")


@claim(
    "paper-eq34-softmax-partials",
    document="paper",
    where="§2.6 eq. 33-34",
    stated="∂a_c/∂z_c = a_c(1 - a_c); ∂a_c/∂z_c' = -a_c a_c' for c' != c",
    verdict="holds",
    correct="as stated (the same Jacobian as thesis eq. 25)",
    chapter=CHAPTER,
)
def _paper34() -> Finding:
    zs = sp.symbols("z_0:3", real=True)
    f = sym_softmax(zs)
    ok = is_equal(sp.diff(f[0], zs[0]), f[0] * (1 - f[0])) and is_equal(
        sp.diff(f[0], zs[2]), -f[0] * f[2]
    )
    return Finding(ok, ok, "SymPy, 3 classes: both partials proved")


@claim(
    "thesis-softmax-range",
    document="thesis",
    where="§2.2.6 eq. 21",
    stated="softmax takes values in (0, 1) and its outputs sum to one",
    verdict="holds",
    correct="as stated in exact arithmetic; in floating point an output can round to "
    "exactly 0 or 1",
    chapter=CHAPTER,
)
def _softmax_range() -> Finding:
    from ..activations import softmax

    a = softmax(np.array([0.0, 800.0]))
    zs = sp.symbols("z_1:4", real=True)
    ok = is_equal(sum(sym_softmax(zs)), 1)
    return Finding(ok, ok, f"SymPy: sum = 1; float64 softmax([0, 800]) = {a.tolist()}")


@claim(
    "thesis-2.2-linear-collapse",
    document="thesis",
    where="§2.2 (introduction)",
    stated="the activation function should be nonlinear: with only linear activations the "
    "model is just linear",
    verdict="holds",
    correct="as stated: $W_2(W_1 x + b_1) + b_2 = (W_2 W_1) x + (W_2 b_1 + b_2)$, one affine map",
    chapter=CHAPTER,
)
def _thesis_linear() -> Finding:
    from ..symbolic import is_equal as eq

    W1, W2 = sp.Matrix(3, 2, sp.symbols("a0:6")), sp.Matrix(2, 3, sp.symbols("c0:6"))
    b1, b2, x = (
        sp.Matrix(sp.symbols("b0:3")),
        sp.Matrix(sp.symbols("d0:2")),
        sp.Matrix(sp.symbols("x0:2")),
    )
    ok = eq(W2 * (W1 * x + b1) + b2, (W2 * W1) * x + (W2 * b1 + b2))
    return Finding(
        ok, ok, "SymPy: two affine layers without activation are the affine map (W2 W1, W2 b1 + b2)"
    )


@claim(
    "paper-2.6-linear-collapse",
    document="paper",
    where="§2.6",
    stated="'a layer directly followed by another layer without an activation function "
    "would in essence function as "
    "a single layer—a single linear function'",
    verdict="holds",
    correct="as stated (affine, with the biases)",
    chapter=CHAPTER,
)
def _paper_linear() -> Finding:
    rng = np.random.default_rng(0)
    W1, b1, W2, b2 = (
        rng.normal(size=(5, 4)),
        rng.normal(size=5),
        rng.normal(size=(3, 5)),
        rng.normal(size=3),
    )
    x = rng.normal(size=(10, 4))
    two = (x @ W1.T + b1) @ W2.T + b2
    one = x @ (W2 @ W1).T + (W2 @ b1 + b2)
    ok = bool(np.allclose(two, one))
    return Finding(
        ok, ok, "4-5-3 layers without activation on 10 inputs: equal to one 4-3 affine layer"
    )


@claim(
    "thesis-2.2.1-vanishing",
    document="thesis",
    where="§2.2.1",
    stated="the sigmoid's gradient is close to zero away from the origin, and the products "
    "of such local gradients "
    "make the gradients of early layers vanish in deep networks",
    verdict="holds",
    correct="as stated: $\\sigma'(z) \\le 1/4$ everywhere and $\\sigma'(5) \\approx "
    "0.0066$, so a chain of n sigmoid "
    "layers multiplies the gradient by at most $4^{-n}$ (times the weights)",
    chapter=CHAPTER,
)
def _vanishing() -> Finding:
    d = sp.diff(sym_sigmoid(z), z)
    peak = sp.simplify(d.subs(z, 0))
    at5 = float(d.subs(z, 5))
    ok = peak == sp.Rational(1, 4) and at5 < 0.01 and sp.solve(sp.diff(d, z), z) == [0]
    return Finding(
        ok,
        ok,
        f"SymPy: σ' peaks at z = 0 with {peak}; σ'(5) = {at5:.4f}; ten layers: at most 4^-10 = "
        f"{4.0**-10:.1e}",
    )


@claim(
    "thesis-2.2.2-relu-history",
    document="thesis",
    where="§2.2.2",
    stated="'ReLU was proposed as an activation function in the 2012 architecture called AlexNet'",
    verdict="wrong",
    correct="rectifiers were in use before: in Fukushima's cognitron (1975), and as the "
    "activation of deep networks in "
    "Nair & Hinton (2010) and Glorot, Bordes & Bengio (2011); AlexNet (2012) made them the default",
    reference="Fukushima (1975), Biological Cybernetics 20; Nair & Hinton (2010), ICML; "
    "Glorot, Bordes & Bengio "
    "(2011), AISTATS; Krizhevsky, Sutskever & Hinton (2012), NeurIPS",
    chapter=CHAPTER,
)
def _relu_history() -> Finding:
    years = {"cognitron": 1975, "Nair & Hinton": 2010, "Glorot et al.": 2011}
    return by_reference(
        False,
        "rectifiers before AlexNet (2012): "
        + ", ".join(f"{k} ({y})" for k, y in years.items())
        + "; AlexNet's §3.1 itself credits Nair & Hinton for the name ReLU",
    )


@claim(
    "thesis-2.2.2-relu-gradient",
    document="thesis",
    where="§2.2.2",
    stated="ReLU is not saturated in $\\mathbb{R}^+$, so it passes a strong gradient there "
    "and has no vanishing "
    "gradient problem; a unit whose input stays negative is dead",
    verdict="holds",
    correct="as stated: the derivative is 1 for z > 0 (a chain of active units passes the "
    "gradient unchanged) and "
    "0 for z < 0 (a dead unit passes none)",
    chapter=CHAPTER,
)
def _relu_gradient() -> Finding:
    from ..activations import relu_backward, relu_forward

    zs = np.array([-3.0, -0.5, 0.5, 3.0, 40.0])
    _, cache = relu_forward(zs)
    d = relu_backward(np.ones_like(zs), cache)
    ok = d.tolist() == [0, 0, 1, 1, 1]
    return Finding(ok, ok, f"ReLU' at {zs.tolist()}: {d.tolist()}; ten active layers: 1^10 = 1")


@claim(
    "thesis-2.2.1-sigmoid-range",
    document="thesis",
    where="§2.2.1 and §2.2.6",
    stated="sigmoid (and softmax) 'returns a real number from the interval (0, 1)', written "
    "'R → [0, 1]'",
    verdict="holds",
    correct="as stated: the values lie in the open interval (0, 1), inside the codomain [0, "
    "1] of the arrow "
    "notation; in float64 they can round to exactly 0 or 1",
    chapter=CHAPTER,
)
def _sigmoid_range() -> Finding:
    from ..activations import sigmoid

    inside = sp.limit(sym_sigmoid(z), z, sp.oo) == 1 and sp.limit(sym_sigmoid(z), z, -sp.oo) == 0
    ends = sigmoid(np.array([-800.0, 40.0]))
    return Finding(
        inside,
        inside,
        f"SymPy: the limits 0 and 1 are not attained; float64: sigmoid(-800) = {ends[0]:g}, "
        f"sigmoid(40) = {ends[1]:.17g}",
    )


@claim(
    "guide-3.2-sigma-clash",
    document="guide",
    where="§3.2 (output layer)",
    stated="sigmoid: $\\hat y = \\sigma(z) = 1/(1 + e^{-z})$; softmax: $\\hat y = "
    "\\sigma(z_i) = e^{z_i}/\\sum_j e^{z_j}$",
    verdict="inconsistent",
    correct="one symbol cannot name both functions: $\\sigma$ is the sigmoid, softmax needs "
    "its own name; they meet "
    "only as $\\mathrm{softmax}(z_1, z_2)_1 = \\sigma(z_1 - z_2)$",
    chapter=CHAPTER,
)
def _sigma_clash() -> Finding:
    z1, z2 = sp.symbols("z_1 z_2", real=True)
    two_class = is_equal(sym_softmax((z1, z2))[0], sym_sigmoid(z1 - z2))
    one_logit = sp.simplify(sym_softmax((z1,))[0])
    differ = sp.simplify(sym_sigmoid(z1) - one_logit) != 0
    return Finding(
        not differ,
        two_class and differ,
        f"SymPy: softmax of one logit is {one_logit}, the sigmoid of it is not; softmax(z1, "
        "z2)_1 = σ(z1 - z2)",
    )


@claim(
    "guide-1-perceptron",
    document="guide",
    where="§1",
    stated="$z = \\sum_{i=1}^{n} X_i w_i + b$ over the n input features; the sigmoid "
    "'produces a value between 0 and 1'",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _guide_perceptron() -> Finding:
    from ..activations import sigmoid

    rng = np.random.default_rng(1)
    X, w, b = rng.normal(size=(100, 4)), rng.normal(size=4), 0.3
    zz = X @ w + b
    y = sigmoid(zz)
    ok = bool(
        np.allclose(zz, [sum(x[i] * w[i] for i in range(4)) + b for x in X])
        and np.all((y > 0) & (y < 1))
    )
    return Finding(
        ok,
        ok,
        f"100 random inputs with 4 features: z matches the sum; sigmoid in [{y.min():.3f}, "
        f"{y.max():.3f}]",
    )


@claim(
    "blog-activation-size",
    document="blog",
    where="'Activation layer'",
    stated="the activation is applied to each value, giving a feature image of the same "
    "size as its input",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _blog_activation() -> Finding:
    from ..activations import relu_forward

    x = np.random.default_rng(2).normal(size=(2, 6, 5, 5))
    y, _ = relu_forward(x)
    ok = y.shape == x.shape and bool(np.array_equal(y, np.maximum(x, 0)))
    return Finding(ok, ok, f"input {x.shape}, output {y.shape}, element by element")


@claim(
    "thesis-2.2-differentiability-list",
    document="thesis",
    where="§2.2",
    stated="among the situations where 'the differentiability property is not always needed': "
    "'Automatic Differentiation: Modern deep learning frameworks (e.g., TensorFlow, PyTorch) "
    "provide automatic differentiation'",
    verdict="wrong",
    correct="automatic differentiation needs derivatives: it computes exactly those of the "
    "operations it is given, and where one has none it returns a convention (0 for a step), "
    "which gives gradient descent nothing to follow. It saves writing the backward pass, not the "
    "need for differentiability (the item itself is right: thesis-2.2-automatic-differentiation). "
    "The list's other items do name ways around non-differentiable parts (REINFORCE, "
    "straight-through estimators, evolutionary search), though attention as usually built "
    "(softmax attention) is differentiable",
    chapter=CHAPTER,
)
def _differentiability_list() -> Finding:
    import torch

    z64 = torch.linspace(-3, 3, 13, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(z64).sum().backward()
    s = torch.sigmoid(z64.detach())
    exact = bool(torch.allclose(z64.grad, s * (1 - s)))
    step = torch.linspace(-3, 3, 13, dtype=torch.float64, requires_grad=True)
    torch.sign(step).sum().backward()
    no_signal = bool(torch.all(step.grad == 0))
    try:  # the unit step: torch defines no derivative for it at all
        h = torch.linspace(-3, 3, 13, dtype=torch.float64, requires_grad=True)
        torch.heaviside(h, torch.tensor(1.0, dtype=torch.float64)).sum().backward()
        heaviside = "a gradient"
    except RuntimeError as e:
        heaviside = "RuntimeError '" + str(e).split("\n")[0] + "'"
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(3, 4, dtype=torch.float64, generator=g) for _ in range(3))
    q.requires_grad_(True)
    attention_differentiable = torch.autograd.gradcheck(
        lambda q_: torch.softmax(q_ @ k.T, dim=-1) @ v, (q,)
    )
    return Finding(
        not no_signal,
        exact and no_signal and attention_differentiable,
        "torch autograd: sigmoid's gradient equals σ(1 - σ) at 13 points; sign's gradient is "
        f"{float(step.grad.abs().max()):g} everywhere; the unit step gives {heaviside}; softmax "
        f"attention passes torch.autograd.gradcheck: {attention_differentiable}",
    )


@claim(
    "thesis-2.2-continuously-differentiable",
    document="thesis",
    where="§2.2 and §2.2.2",
    stated="'The activation function should be nonlinear and continuously differentiable', and "
    "ReLU 'is always a good choice to deep neural networks' (an activation 'should be chosen "
    "from the family of ReLU')",
    verdict="inconsistent",
    correct="ReLU is not differentiable at 0 (one-sided derivatives 0 and 1), and neither are "
    "LReLU and PReLU; of the section's functions only the sigmoid, softmax and ELU with "
    "$\\alpha = 1$ are continuously differentiable. What gradient descent needs is a derivative "
    "almost everywhere, with a convention where there is none (eq. 14 takes 1 at 0)",
    chapter=CHAPTER,
)
def _continuously_differentiable() -> Finding:
    kinks = {
        "ReLU": _left_right_derivative(sym_relu(z)),
        "LReLU": _left_right_derivative(sym_leaky_relu(z, sp.Rational(1, 100))),
        "ELU (α = 1)": _left_right_derivative(sym_elu(z, 1)),
        "sigmoid": _left_right_derivative(sym_sigmoid(z)),
    }
    smooth = {name: bool(sp.simplify(lr[0] - lr[1]) == 0) for name, lr in kinks.items()}
    return Finding(
        smooth["ReLU"],
        not smooth["ReLU"] and not smooth["LReLU"] and smooth["ELU (α = 1)"] and smooth["sigmoid"],
        "SymPy, one-sided derivatives at 0: "
        + "; ".join(f"{name} {lr[0]} and {lr[1]}" for name, lr in kinks.items()),
    )
