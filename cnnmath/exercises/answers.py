"""The book's exercises that have one answer, checked with the quiz's answer types.

``check_answer("conv-groups", 9216, part="groups=2")`` reads the response as the quiz does
(:class:`~cnnmath.quiz.question.Numeric`: a number or a fraction, within a tolerance;
:class:`~cnnmath.quiz.question.Symbolic`: a formula in the exercise's symbols, parsed without
``eval`` and compared by SymPy) and returns a :class:`~cnnmath.exercises.core.Report`. Every
answer is computed here by the package or derived by SymPy, never typed; a wrong response that
matches a known mistake (a distractor) is named as that mistake. An exercise is named by its
label in the book (``:label:`` of its ``{exercise}`` block); :data:`ANSWERS` lists them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from ..quiz.question import Answer, Numeric, Symbolic
from . import mistakes as mk
from .core import ExerciseError, Report


@dataclass(frozen=True)
class OneAnswer:
    """One part of a book exercise with a single answer."""

    label: str
    part: str
    prompt: str
    answer: Answer


def _sym(*names: str) -> tuple[tuple[str, sp.Symbol], ...]:
    return tuple((n, sp.Symbol(n, positive=True)) for n in names)


def _symbolic(expr: sp.Expr, syms, wrong=()) -> Symbolic:
    return Symbolic(expr=expr, symbols=syms, distractors=tuple(wrong))


def _numeric(value: float, tol: float = 0.0, wrong=()) -> Numeric:
    return Numeric(number=float(value), tol=tol, distractors=tuple(wrong))


# --------------------------------------------------------------------------------------------
# The answers, chapter by chapter; each function returns its exercise's parts
# --------------------------------------------------------------------------------------------


def _perceptron() -> list[OneAnswer]:
    s = dict(_sym("a", "y", "eta", "z"))
    w0, y, eta = sp.Symbol("w0"), s["y"], s["eta"]
    a_of = 1 / (1 + sp.exp(-(w0 + 0)))
    E = -y * sp.log(a_of) - (1 - y) * sp.log(1 - a_of)
    grad = sp.simplify(sp.diff(E, w0)).subs(a_of, s["a"])
    grad = sp.simplify(grad.subs(sp.exp(-w0), 1 / s["a"] - 1))
    syms = _sym("a", "y", "eta")
    sign = mk.quiz("perceptron_sign")
    # the squared error's gradient over the logistic one at z = -10: a(1 - a)
    z = -10.0
    a_val = 1 / (1 + math.exp(-z))
    ratio = (a_val - 1) * a_val * (1 - a_val) / (a_val - 1)
    # XOR: the best accuracy of any line, over a grid of boundaries
    X = np.array([[0.0, 0], [0, 1], [1, 0], [1, 1]])
    Y = np.array([0, 1, 1, 0])
    grid = np.linspace(-2, 2, 41)
    w = np.stack(np.meshgrid(grid, grid, grid), -1).reshape(-1, 3)
    best = max(np.mean(((X @ v[:2] + v[2]) > 0) == Y) for v in w)
    return [
        OneAnswer(
            "perceptron-bias",
            "gradient",
            "dE/dw0 in a and y",
            _symbolic(grad, syms, [(-grad, sign)]),
        ),
        OneAnswer(
            "perceptron-bias",
            "update",
            "the update Delta w0 in a, y and eta",
            _symbolic(-eta * grad, syms, [(eta * grad, sign)]),
        ),
        OneAnswer(
            "perceptron-mse",
            "ratio",
            "squared-error gradient / logistic gradient at z = -10",
            _numeric(ratio, tol=0.01 * ratio),
        ),
        OneAnswer("perceptron-xor", "accuracy", "the best accuracy, a fraction", _numeric(best)),
    ]


def _activations() -> list[OneAnswer]:
    from .. import activations as act

    syms = _sym("z")
    z = syms[0][1]
    dtanh = sp.diff(2 * act.sym_sigmoid(2 * z) - 1, z)
    assert sp.simplify(dtanh - sp.diff(sp.tanh(z), z).rewrite(sp.exp)) == 0
    softplus = sp.log(1 + sp.exp(z))
    grid = np.linspace(-20, 20, 40001)
    gap = float(np.max(np.logaddexp(0, grid) - np.maximum(grid, 0)))
    u = np.random.default_rng(0).normal(size=5)
    a, c = act.softmax_forward(np.random.default_rng(1).normal(size=5))
    along = float(np.sum(act.softmax_backward(u, c)))
    return [
        OneAnswer(
            "activations-tanh-sigmoid",
            "derivative",
            "tanh'(z), in z",
            _symbolic(dtanh, syms, [(1 - sp.tanh(z), mk.quiz("tanh_no_square"))]),
        ),
        OneAnswer(
            "activations-softplus",
            "derivative",
            "the derivative of softplus, in z",
            _symbolic(sp.diff(softplus, z), syms, [(softplus, mk.quiz("value_not_derivative"))]),
        ),
        OneAnswer(
            "activations-softplus", "gap", "the largest gap softplus - ReLU", _numeric(gap, 1e-4)
        ),
        OneAnswer(
            "activations-softmax-shift",
            "along ones",
            "the component of the gradient J^T u along (1, ..., 1)",
            _numeric(round(along, 9), 1e-9),
        ),
    ]


def _losses() -> list[OneAnswer]:
    from .. import activations as act
    from .. import losses

    syms = _sym("a", "y", "N")
    s = dict(syms)
    eps, g = sp.symbols("eps g", positive=True)
    ysm_k, ysm_o = 1 - eps + eps / g, eps / g
    entropy = -ysm_k * sp.log(ysm_k) - (g - 1) * ysm_o * sp.log(ysm_o)
    # the loss at a = y_smoothed, by the package, equals the entropy at a sample point
    yv = (1 - 0.1) * np.eye(4)[2] + 0.1 / 4
    loss, _ = losses.softmax_cross_entropy_forward(np.log(yv), yv)
    assert abs(loss - float(entropy.subs({eps: sp.Rational(1, 10), g: 4}))) < 1e-12
    zv, yv2 = np.array([0.0, 10.0]), np.array([1.0, 0.0])
    av, c = act.softmax_forward(zv)
    ratio = np.linalg.norm(act.softmax_backward(av - yv2, c)) / np.linalg.norm(av - yv2)
    return [
        OneAnswer(
            "losses-batch",
            "gradient",
            "dE/dz for one example's row, in a, y and the batch size N",
            _symbolic(
                (s["a"] - s["y"]) / s["N"], syms, [(s["a"] - s["y"], mk.quiz("sum_not_mean"))]
            ),
        ),
        OneAnswer(
            "losses-smoothing",
            "smallest loss",
            "the smallest loss, in eps and the number of classes g",
            _symbolic(entropy, (("eps", eps), ("g", g))),
        ),
        OneAnswer(
            "losses-mse-classification",
            "ratio",
            "|squared-error gradient| / |cross-entropy gradient|",
            _numeric(ratio, 0.01 * ratio),
        ),
    ]


def _backprop() -> list[OneAnswer]:
    syms = _sym("a", "y")
    a, y = (v for _, v in syms)
    z = sp.Symbol("z", real=True)
    sig = 1 / (1 + sp.exp(-z))
    delta = sp.diff(-y * sp.log(sig) - (1 - y) * sp.log(1 - sig), z)
    assert sp.simplify(delta - (sig - y)) == 0
    sizes = (784, 128, 64, 10)
    forward = sum(p * q for p, q in zip(sizes[:-1], sizes[1:]))
    return [
        OneAnswer(
            "backprop-multilabel",
            "delta",
            "delta^(L) for one output, in a and y",
            _symbolic(
                delta.subs(sp.exp(-z), 1 / a - 1).simplify(),
                syms,
                [((a - y) * a * (1 - a), mk.quiz("no_cancellation"))],
            ),
        ),
        OneAnswer(
            "backprop-cost",
            "forward",
            "multiplications of one example's forward pass through 784-128-64-10",
            _numeric(forward),
        ),
        OneAnswer(
            "backprop-cost",
            "hidden ratio",
            "training step / inference, a hidden layer",
            _numeric(3),
        ),
        OneAnswer(
            "backprop-cost",
            "first ratio",
            "training step / inference, the first layer",
            _numeric(2),
        ),
    ]


def _init() -> list[OneAnswer]:
    n_in, n_out, b, n = (sp.Symbol(k, positive=True) for k in ("n_in", "n_out", "b", "n"))
    a = sp.Symbol("a", positive=True)
    limit = sp.solve(sp.Eq(a**2 / 3, 2 / (n_in + n_out)), a)[0]
    var = sp.Symbol("v", positive=True)
    leaky = sp.solve(sp.Eq(n * var * (1 + b**2) / 2, 1), var)[0]
    syms = (("n_in", n_in), ("n_out", n_out))
    return [
        OneAnswer(
            "init-uniform",
            "limit",
            "a, in n_in and n_out",
            _symbolic(
                limit,
                syms,
                [
                    (sp.sqrt(2 / (n_in + n_out)), mk.quiz("std_not_limit")),
                    (6 / (n_in + n_out), mk.quiz("var_not_limit")),
                ],
            ),
        ),
        OneAnswer(
            "init-uniform",
            "784-128",
            "a for 784 inputs and 128 outputs",
            _numeric(float(limit.subs({n_in: 784, n_out: 128})), 1e-4),
        ),
        OneAnswer(
            "init-leaky",
            "variance",
            "sigma_w^2, in the slope b and the fan-in n",
            _symbolic(leaky, (("b", b), ("n", n)), [(leaky / 2, mk.quiz("he_no_two"))]),
        ),
    ]


def _optimizers() -> list[OneAnswer]:
    g, mu, eta, t = (sp.Symbol(k, positive=True) for k in ("g", "mu", "eta", "t"))
    buf = sp.Symbol("B")
    limit = sp.solve(sp.Eq(buf, mu * buf + g), buf)[0]
    G = sp.Sum(g**2, (sp.Symbol("tau"), 1, t)).doit()
    step = sp.simplify(eta * g / sp.sqrt(G))
    a, lam, w = sp.symbols("a lambda w", positive=True)
    l2 = sp.solve(sp.diff(a * (w - 1) ** 2 / 2 + lam * w**2 / 2, w), w)[0]
    flat = float(l2.subs({a: sp.Rational(1, 100), lam: sp.Rational(1, 10)}))
    return [
        OneAnswer(
            "optim-momentum",
            "limit",
            "the buffer's limit, in g and mu",
            _symbolic(limit, (("g", g), ("mu", mu)), [(g, mk.quiz("no_momentum"))]),
        ),
        OneAnswer(
            "optim-momentum",
            "factor",
            "the factor on the learning rate for mu = 0.9",
            _numeric(float((limit / g).subs(mu, sp.Rational(9, 10))), 1e-9),
        ),
        OneAnswer(
            "optim-adagrad",
            "step",
            "the step size at step t (eps -> 0), in eta and t",
            _symbolic(step, (("eta", eta), ("t", t))),
        ),
        OneAnswer(
            "optim-adamw",
            "flat coordinate",
            "where Adam with L2 leaves the flat coordinate (a = 0.01)",
            _numeric(flat, 0.005),
        ),
    ]


def _convolution() -> list[OneAnswer]:
    from .. import layers as L
    from ..network import Sequential

    n, k, d, p = (sp.Symbol(v, positive=True) for v in "nkdp")
    same = sp.solve(sp.Eq(n + 2 * p - d * (k - 1) - 1 + 1, n), p)[0]
    out = [
        OneAnswer(
            "conv-same",
            "padding",
            "p, in k and d",
            _symbolic(same, (("k", k), ("d", d)), [(d * (k - 1), mk.quiz("total_padding"))]),
        )
    ]
    for G in (1, 2, 32):
        net = Sequential([L.Conv2d(64, 3, groups=G)], (32, 8, 8))
        weights = net.n_params - 64
        out.append(
            OneAnswer(
                "conv-groups",
                f"groups={G}",
                f"the weights (without biases) with groups = {G}",
                _numeric(weights),
            )
        )
    return out


def _batchnorm_dropout() -> list[OneAnswer]:
    from .. import norm

    rng = np.random.default_rng(3)
    x = rng.normal(size=(8, 3))
    # eps -> 0: with eps > 0 the sum of x_hat^2 is m var/(var + eps), not quite m
    _, c, _ = norm.batchnorm_forward(
        x, rng.normal(size=3), rng.normal(size=3), np.zeros(3), np.ones(3), eps=1e-14
    )
    dx, _, _ = norm.batchnorm_backward(rng.normal(size=(8, 3)), c)
    total, dot = float(np.abs(dx.sum(axis=0)).max()), float(np.abs((dx * c[0]).sum(axis=0)).max())
    gamma, W, b, mu, var, eps, beta = (
        sp.Symbol(s, positive=True) for s in ("gamma", "W", "b", "mu", "var", "eps", "beta")
    )
    x_ = sp.Symbol("x")
    y = gamma * ((W * x_ + b) - mu) / sp.sqrt(var + eps) + beta
    poly = sp.Poly(sp.expand(y), x_)
    syms = tuple((s.name, s) for s in (gamma, W, b, mu, var, eps, beta))
    pp, xx = sp.Symbol("p", positive=True), sp.Symbol("x", positive=True)
    variance = sp.simplify((1 - pp) * (xx / (1 - pp)) ** 2 - xx**2)
    return [
        OneAnswer(
            "bn-sum-zero", "sum", "the sum of dx over a channel", _numeric(round(total, 9), 1e-9)
        ),
        OneAnswer(
            "bn-sum-zero", "dot xhat", "dx . x_hat over a channel", _numeric(round(dot, 9), 1e-9)
        ),
        OneAnswer(
            "bn-fold",
            "weights",
            "the folded weights, in gamma, W, var and eps",
            _symbolic(poly.coeff_monomial(x_), syms),
        ),
        OneAnswer(
            "bn-fold",
            "bias",
            "the folded bias, in gamma, b, mu, var, eps and beta",
            _symbolic(poly.coeff_monomial(1), syms),
        ),
        OneAnswer(
            "dropout-variance",
            "variance",
            "Var(y), in x and p",
            _symbolic(variance, (("x", xx), ("p", pp))),
        ),
    ]


def _networks() -> list[OneAnswer]:
    from .. import arch, conv, conv_transpose, receptive, rounding, zoo
    from .. import layers as L
    from ..network import Sequential

    full = Sequential([L.Conv2d(16, 5, name="C3")], (6, 14, 14))
    table = Sequential([L.TableConv2d(zoo.LENET5_C3_TABLE, 5, name="C3")], (6, 14, 14))
    c_full, c_table = zoo.connections(full)["C3"], zoo.connections(table)["C3"]
    s4 = Sequential([L.Conv2d(6, 5), L.MaxPool2d(2), L.Conv2d(16, 5), L.MaxPool2d(2)], (1, 28, 28))
    field = receptive.receptive_fields(s4)[3].size[0]
    sizes = [n for n in range(200, 260) if conv.output_size(n, 11, 4) == 55]
    exact = [n for n in sizes if (n - 11) % 4 == 0][0]
    z_half = sp.Symbol("u", positive=True)  # a^2 where the LRN derivative with n = 1 vanishes
    k_, al, be = 2, 1, sp.Rational(3, 4)
    a_zero = sp.sqrt(sp.solve(k_ + al * z_half - 2 * al * be * z_half, z_half)[0])
    groups4 = Sequential([L.Conv2d(256, 5, padding=2, groups=4)], (96, 27, 27))
    macs4 = groups4.summary().macs
    output_padding = {m: a for a in (0, 1) for m in [conv_transpose.output_size(4, 3, 2, 1, a)]}
    k, p, n = (sp.Symbol(v, positive=True) for v in "kpn")
    q = sp.Symbol("q")
    stride_one = sp.solve(sp.Eq(n + 2 * q - k + 1, n + k - 1 - 2 * p), q)[0]
    grid = np.unique(rounding.tf32_round(np.linspace(1, 2, 100_001, dtype=np.float32)))
    cifar = arch.summary(zoo.mlp((3072, 1536, 768, 384, 128, 10)))
    cnn_cifar = zoo.thesis_cnn(input_shape=(3, 32, 32)).summary().trainable
    mlp_cifar = zoo.mlp((3072, 128, 64, 32, 10)).n_params
    cnn = zoo.thesis_cnn().summary()
    busiest = max(cnn.rows, key=lambda r: r.macs)
    return [
        OneAnswer("alexnet-input-sizes", "count", "how many sizes n give 55", _numeric(len(sizes))),
        OneAnswer("alexnet-input-sizes", "exact", "the size tiled exactly", _numeric(exact)),
        OneAnswer(
            "alexnet-lrn-size1",
            "zero",
            "the positive a where b'(a) = 0",
            _numeric(float(a_zero), 1e-6),
        ),
        OneAnswer(
            "alexnet-alpha",
            "alpha",
            "torch's alpha",
            _numeric(1e-4, 1e-12, [(5e-4, mk.quiz("lrn_paper_alpha"))]),
        ),
        OneAnswer(
            "alexnet-groups-4",
            "parameters",
            "conv2's parameters with groups = 4",
            _numeric(groups4.n_params),
        ),
        OneAnswer(
            "alexnet-groups-4", "multiply-adds", "conv2's multiply-adds per image", _numeric(macs4)
        ),
        OneAnswer(
            "ae-output-padding",
            "for 7",
            "the output padding that gives 7",
            _numeric(output_padding[7]),
        ),
        OneAnswer(
            "ae-output-padding",
            "for 8",
            "the output padding that gives 8",
            _numeric(output_padding[8]),
        ),
        OneAnswer(
            "ae-stride-one",
            "padding",
            "the equivalent convolution's padding, in k and p",
            _symbolic(stride_one, (("k", k), ("p", p))),
        ),
        OneAnswer("cc-tf32", "count", "TF32 numbers in [1, 2)", _numeric(int(np.sum(grid < 2)))),
        OneAnswer("dist-sampler", "per process", "examples per process", _numeric(-(-10 // 3))),
        OneAnswer("lenet5-c3", "parameters", "parameters of a full C3", _numeric(full.n_params)),
        OneAnswer("lenet5-c3", "connections", "connections of a full C3", _numeric(c_full)),
        OneAnswer(
            "lenet5-c3",
            "share removed",
            "the share of connections the table removes, a fraction",
            _numeric(1 - c_table / c_full, 0.005),
        ),
        OneAnswer("lenet5-field", "S4", "the receptive field of S4, in pixels", _numeric(field)),
        OneAnswer("mlp-cifar", "parameters", "the parameters", _numeric(cifar.total)),
        OneAnswer(
            "mlp-cifar",
            "first share",
            "the share in the first layer, a fraction",
            _numeric(cifar.rows[0].params / cifar.total, 0.005),
        ),
        OneAnswer("cnn-cifar", "CNN", "the CNN's parameters on CIFAR-10", _numeric(cnn_cifar)),
        OneAnswer("cnn-cifar", "MLP", "the MLP's parameters on CIFAR-10", _numeric(mlp_cifar)),
        OneAnswer(
            "cnn-macs",
            "share",
            "the share of the network's multiply-adds in its busiest layer, a fraction",
            _numeric(busiest.macs / cnn.macs, 0.005),
        ),
    ]


_BUILDERS: tuple[Callable[[], list[OneAnswer]], ...] = (
    _perceptron,
    _activations,
    _losses,
    _backprop,
    _init,
    _optimizers,
    _convolution,
    _batchnorm_dropout,
    _networks,
)

#: The book's exercises with a checkable answer, and the builder that computes it.
LABELS: dict[str, Callable[[], list[OneAnswer]]] = {
    **dict.fromkeys(("perceptron-bias", "perceptron-mse", "perceptron-xor"), _perceptron),
    **dict.fromkeys(
        ("activations-tanh-sigmoid", "activations-softplus", "activations-softmax-shift"),
        _activations,
    ),
    **dict.fromkeys(("losses-batch", "losses-smoothing", "losses-mse-classification"), _losses),
    **dict.fromkeys(("backprop-multilabel", "backprop-cost"), _backprop),
    **dict.fromkeys(("init-uniform", "init-leaky"), _init),
    **dict.fromkeys(("optim-momentum", "optim-adagrad", "optim-adamw"), _optimizers),
    **dict.fromkeys(("conv-same", "conv-groups"), _convolution),
    **dict.fromkeys(("bn-sum-zero", "bn-fold", "dropout-variance"), _batchnorm_dropout),
    **dict.fromkeys(
        (
            "alexnet-input-sizes",
            "alexnet-lrn-size1",
            "alexnet-alpha",
            "alexnet-groups-4",
            "ae-output-padding",
            "ae-stride-one",
            "cc-tf32",
            "dist-sampler",
            "lenet5-c3",
            "lenet5-field",
            "mlp-cifar",
            "cnn-cifar",
            "cnn-macs",
        ),
        _networks,
    ),
}


@cache
def _built(build: Callable[[], list[OneAnswer]]) -> dict[str, dict[str, OneAnswer]]:
    out: dict[str, dict[str, OneAnswer]] = {}
    for one in build():
        out.setdefault(one.label, {})[one.part] = one
    return out


def answers() -> dict[str, dict[str, OneAnswer]]:
    """``{exercise label: {part: OneAnswer}}`` for every exercise (all computed)."""
    out: dict[str, dict[str, OneAnswer]] = {}
    for build in _BUILDERS:
        out.update(_built(build))
    return out


def check_answer(label: str, response: object, part: str | None = None) -> Report:
    """Check ``response`` to the book exercise ``label`` (and ``part``, where it has several).

    A number may be given as ``9216``, ``"3/4"`` or ``0.75``; a formula as a string in the
    exercise's symbols (``"sqrt(6/(n_in + n_out))"``), or as a SymPy expression.
    """
    if not isinstance(label, str) or label not in LABELS:
        raise ExerciseError(
            f"no checkable answer for exercise {label!r}; the exercises with one answer are: "
            f"{', '.join(sorted(LABELS))}"
        )
    parts = _built(LABELS[label])[label]
    if part is None:
        if len(parts) > 1:
            raise ExerciseError(
                f"exercise {label!r} has several parts; give part= one of "
                + ", ".join(f"{p!r} ({o.prompt})" for p, o in parts.items())
            )
        part = next(iter(parts))
    if part not in parts:
        raise ExerciseError(
            f"exercise {label!r} has no part {part!r}; its parts are: {', '.join(map(repr, parts))}"
        )
    one = parts[part]
    fb = one.answer.check(response)
    name = f"{label} ({part})" if len(parts) > 1 else label
    kind = "ok" if fb.correct else ("form" if not fb.readable else "wrong")
    return Report(name, fb.correct, f"{name}: {fb.message}", fb.mistake, kind=kind)


__all__ = ["LABELS", "OneAnswer", "answers", "check_answer"]
