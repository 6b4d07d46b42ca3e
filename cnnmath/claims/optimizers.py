"""Ledger: thesis §2.6.1-2.6.3 (eq. 45-56) and the slides' weight update; chapter "Optimizers"."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..optim import Optimizer
from ..symbolic import is_equal
from .record import Finding, by_reference, claim

CHAPTER = "optimizers"
beta = sp.Symbol("beta", positive=True)
t, tau = sp.symbols("t tau", integer=True, positive=True)


@claim(
    "thesis-eq54-bias-sum",
    document="thesis",
    where="§2.6.3 eq. 54",
    stated="Σ_{τ=1}^{t} (1-β1) β1^(t-τ) = 1 - β1^t",
    verdict="holds",
    correct="as stated, for β1 != 1",
    chapter=CHAPTER,
)
def _eq54() -> Finding:
    s = sp.summation((1 - beta) * beta ** (t - tau), (tau, 1, t))
    ok = is_equal(
        sp.piecewise_fold(s).subs(beta, sp.Rational(9, 10)), 1 - sp.Rational(9, 10) ** t
    ) and all(
        is_equal(sum((1 - beta) * beta ** (k - j) for j in range(1, k + 1)), 1 - beta**k)
        for k in range(1, 8)
    )
    return Finding(
        ok,
        ok,
        "SymPy: closed form for symbolic t (β = 9/10) and exact sums for t = 1..7 (symbolic β)",
    )


@claim(
    "thesis-eq53-unrolled",
    document="thesis",
    where="§2.6.3 eq. 53",
    stated="m_t = β1 m_(t-1) + (1-β1) g_t = Σ_{τ=1}^{t} (1-β1) β1^(t-τ) g_τ",
    verdict="holds",
    correct="as stated, with m_0 = 0",
    chapter=CHAPTER,
)
def _eq53() -> Finding:
    gs = sp.symbols("g_1:7", real=True)
    m = sp.Integer(0)
    ok = True
    for k in range(1, 7):
        m = beta * m + (1 - beta) * gs[k - 1]
        ok = ok and is_equal(
            m, sum((1 - beta) * beta ** (k - j) * gs[j - 1] for j in range(1, k + 1))
        )
    return Finding(ok, ok, "SymPy: the recursion equals the sum for t = 1..6")


@claim(
    "thesis-eq55-index",
    document="thesis",
    where="§2.6.3 eq. 55",
    stated="m̂_t = m_(t-1)/(1-β1^t), v̂_t = v_(t-1)/(1-β2^t)",
    verdict="wrong",
    correct="m̂_t = m_t/(1-β1^t) and v̂_t = v_t/(1-β2^t): for a constant gradient g, m̂_t = "
    "g exactly; "
    "with m_(t-1), m̂_1 = 0 and the estimate stays biased low",
    chapter=CHAPTER,
)
def _eq55() -> Finding:
    g = sp.Symbol("g", real=True)
    m_t = (1 - beta**t) * g  # eq. 53-54 with a constant gradient
    m_prev = (1 - beta ** (t - 1)) * g
    stated = is_equal(m_prev / (1 - beta**t), g)
    correct = is_equal(m_t / (1 - beta**t), g)
    first = (m_prev / (1 - beta**t)).subs(t, 1)
    return Finding(
        stated,
        correct,
        f"constant gradient g: with m_(t-1), m̂_1 = {first}; with m_t, m̂_t = g for every t",
    )


@claim(
    "thesis-eq48-51-eps-inside-sqrt",
    document="thesis",
    where="§2.6.1-2.6.2 eq. 48-51",
    stated="divide by sqrt(G_t + ε) (AdaGrad) and sqrt(A[g^2]_t + ε) (RMSProp)",
    verdict="convention",
    correct="both placements keep the division finite; torch (and this book) use sqrt(G_t) "
    "+ ε. They differ "
    "only where G_t is tiny: at G_t = 0 the factors are 1/sqrt(ε) and 1/ε",
    chapter=CHAPTER,
)
def _eps() -> Finding:
    eps, G = 1e-8, np.array([0.0, 1e-16, 1e-4, 1.0])
    inside, outside = 1 / np.sqrt(G + eps), 1 / (np.sqrt(G) + eps)
    close_when_large = bool(np.isclose(inside[-1], outside[-1], rtol=1e-7))
    return Finding(
        bool(np.all(np.isfinite(inside))),
        bool(np.all(np.isfinite(outside))) and close_when_large,
        f"ε = 1e-8, G = 0: inside {inside[0]:.0e}, outside {outside[0]:.0e}; G = 1: equal to 1e-7",
    )


@claim(
    "slides-adam-adjusts-step",
    document="slides",
    where="'The weight update'",
    stated="Adam and AdamW dynamically adjust the learning rate during training",
    verdict="holds",
    correct="Adam divides by a running root-mean-square of the gradient: its steps are "
    "about η whatever the "
    "gradient's scale, while a gradient-descent step scales with the gradient",
    chapter=CHAPTER,
)
def _adam_scale() -> Finding:
    steps = {}
    for scale in (1e-3, 1.0, 1e3):
        p = {"w": np.array([1.0])}
        Optimizer("adam", 0.01).step(p, {"w": np.array([scale])})
        steps[scale] = 1.0 - p["w"][0]
    ok = all(np.isclose(v, 0.01, rtol=1e-4) for v in steps.values())
    return Finding(
        ok,
        ok,
        "first Adam step for gradients 1e-3, 1, 1e3: "
        + ", ".join(f"{v:.6f}" for v in steps.values()),
    )


@claim(
    "thesis-eq47-adagrad-indices",
    document="thesis",
    where="§2.6.1 eq. 47-49",
    stated="$G^l_{t,i,i} = \\sum_{\\tau=1}^{t} g^l_{\\tau,j,i} (g^l_{\\tau,j,i})^T$, a "
    "diagonal matrix in "
    "$\\mathbb{R}^{f \\times f}$, whose diagonal holds the sums of squared gradients; eq. "
    "49 divides "
    "$g_{t,j,i}$ by $\\sqrt{G_{t,ii} + \\epsilon}$",
    verdict="inconsistent",
    correct="each weight needs its own accumulator $G_{t,j,i} = \\sum_\\tau "
    "(g_{\\tau,j,i})^2$, the diagonal of "
    "$\\sum_\\tau g_\\tau g_\\tau^T$ for the flattened gradient $g_\\tau$; indexed by i "
    "alone, as printed, one "
    "accumulator would serve all the weights $w_{j,i}$ of column i (and f, the filter size "
    "elsewhere, is "
    "undefined here)",
    chapter=CHAPTER,
)
def _eq47() -> Finding:
    rng = np.random.default_rng(0)
    g = rng.normal(size=(5, 3, 4)) * np.array(
        [[0.1], [1.0], [10.0]]
    )  # 5 steps of a 3x4 weight gradient, rows scaled
    per_weight = (g**2).sum(axis=0)
    outer = sum(np.outer(gt.ravel(), gt.ravel()) for gt in g)
    diagonal_ok = bool(np.allclose(np.diag(outer).reshape(3, 4), per_weight))
    per_column = (g**2).sum(axis=(0, 1))  # one accumulator per i, shared by every j
    step_w, step_c = g[-1] / np.sqrt(per_weight + 1e-8), g[-1] / np.sqrt(per_column + 1e-8)
    return Finding(
        bool(np.allclose(step_w, step_c)),
        diagonal_ok,
        "diag(Σ g g^T) = Σ g² per weight; a per-column accumulator changes the steps by up "
        "to a factor "
        f"{np.abs(step_w / step_c).max():.0f} for rows of different scale",
    )


@claim(
    "thesis-2.6.1-adagrad-decay",
    document="thesis",
    where="§2.6.1",
    stated="AdaGrad's accumulated sum $G_t$ keeps growing, so the effective learning rate "
    "keeps falling until it is "
    "too small to learn",
    verdict="holds",
    correct="as stated: $\\eta/\\sqrt{G_t + \\epsilon}$ never increases",
    chapter=CHAPTER,
)
def _adagrad_decay() -> Finding:
    g = np.random.default_rng(1).normal(size=1000)
    rate = 0.1 / np.sqrt(np.cumsum(g**2) + 1e-8)
    ok = bool(np.all(np.diff(rate) <= 0))
    return Finding(
        ok,
        ok,
        f"1,000 random gradients, η = 0.1: the rate falls from {rate[0]:.3f} to {rate[-1]:.4f}, "
        f"never rising",
    )


@claim(
    "thesis-2.6-hyperparameter-defaults",
    document="thesis",
    where="§2.6.2 and §2.6.3",
    stated="RMSProp: γ = 0.9, suggested by Hinton; Adam: β1 = 0.9, β2 = 0.999, ε = 1e-8",
    verdict="holds",
    correct="as stated; this book's Adam (cnnmath.optim, tested equal to torch's) has the "
    "same defaults",
    reference="Hinton, Srivastava & Swersky, Neural Networks for Machine Learning, lecture "
    "6e (2012); Kingma & Ba "
    "(2015), 'Adam', ICLR, Algorithm 1",
    chapter=CHAPTER,
)
def _defaults() -> Finding:
    import inspect

    from ..optim import adam_update

    p = inspect.signature(adam_update).parameters
    ours = {k: p[k].default for k in ("beta1", "beta2", "eps")}
    return by_reference(
        True,
        "lecture 6e gives γ = 0.9, Kingma & Ba's Algorithm 1 β1 = 0.9, β2 = 0.999, ε = 1e-8; "
        f"cnnmath.optim.adam_update's defaults, read from the code: {ours}",
        correct_holds=ours == {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    )


@claim(
    "thesis-2.6.3-zero-start",
    document="thesis",
    where="§2.6.3 (before eq. 53)",
    stated="initialized as zeros, the moment estimates of eq. 52 are biased towards zero, "
    "'especially when β1 and "
    "β2 are close to 1'",
    verdict="holds",
    correct="as stated: after one step with gradient g, $m_1 = (1-\\beta_1) g$ and $v_1 = "
    "(1-\\beta_2) g^2$",
    chapter=CHAPTER,
)
def _zero_start() -> Finding:
    g = 2.0
    m1 = {b: (1 - b) * g for b in (0.5, 0.9, 0.999)}
    ok = m1[0.999] < m1[0.9] < m1[0.5] < g
    return Finding(
        ok, ok, "g = 2: m_1 = " + ", ".join(f"{v:.3f} (β1 = {b})" for b, v in m1.items())
    )


@claim(
    "paper-1.2-negative-inverse",
    document="paper",
    where="§1.2",
    stated="'we calculate the gradient and then use its negative inverse to adjust the "
    "networks parameters', while "
    "step 2 of its list adjusts them 'with the negative gradient'",
    verdict="wording",
    correct="read: 'its negative', as the paragraph's own 'the opposite direction' and step 2 "
    "say: gradient descent steps along the negative gradient, $-\\eta \\nabla C$. Taken "
    "literally, a step of $-\\eta/\\nabla C$ grows as the gradient vanishes and does not "
    "converge",
    chapter=CHAPTER,
)
def _negative_inverse() -> Finding:
    x_grad, x_inv = 3.0, 3.0
    for _ in range(50):  # C(x) = x², C'(x) = 2x
        x_grad -= 0.1 * 2 * x_grad
        x_inv -= 0.1 / (2 * x_inv)
    same_step = np.isclose(-0.1 / (2 * 3.0), -0.1 * 2 * 3.0)
    return Finding(
        bool(same_step) or abs(x_inv) < 1e-4,
        abs(x_grad) < 1e-4,
        f"C = x², x0 = 3, η = 0.1, 50 steps: the negative gradient (what the paper means) reaches "
        f"{x_grad:.1e}; the 'negative inverse', read literally, is still at {x_inv:.2f}, with "
        "steps that grow as x nears 0",
    )


@claim(
    "paper-4-adamgd-listing",
    document="paper",
    where="§4, the listing of adamGD()",
    stated="adamGD 'update[s] the parameters through Adam gradient descent' (the listing as "
    "printed)",
    verdict="wrong",
    correct="as printed the function adds to df1, db1, ... before any line creates them "
    "(NameError), and no line "
    "under '# Parameter Update' changes a parameter: it returns the parameters it was given",
    doubt="the listing breaks over a page and its numbering restarts (1-23, then 19-39): "
    "lines may be lost in the print or in the extraction; the repository the paper cites creates "
    "the accumulators and updates every parameter. The check runs the book's reconstruction of "
    "the printed structure, not the listing itself",
    chapter=CHAPTER,
)
def _adamgd_listing() -> Finding:
    # Our reconstruction of the printed control flow of paper §4, listing lines 1-39: unpack the
    # parameters (line 5), add each example's gradients to accumulators that no printed line
    # creates (lines 16-27, e.g. "df1+=df1_"), then pack the parameters again and return them,
    # nothing under '# Parameter Update' (lines 31-37) changing them.
    body = (
        "def adam_gd(grads_per_example, params):\n"
        "    weights = list(params)\n"
        "    for grads in grads_per_example:\n"
        "        total += grads[0]\n"
        "    return list(weights)\n"
    )
    namespace: dict = {}
    exec(compile(body, "<reconstruction of the paper's adamGD()>", "exec"), namespace)
    params = [np.ones(2) for _ in range(8)]
    try:
        namespace["adam_gd"]([[np.ones(2)] * 8], params)
        error = ""
    except UnboundLocalError as e:
        error = type(e).__name__
    with_accumulators = body.replace("    for grads", "    total = 0\n    for grads")
    exec(compile(with_accumulators, "<adamGD with its accumulator created>", "exec"), namespace)
    out = namespace["adam_gd"]([[np.ones(2)] * 8], params)
    unchanged = all(np.array_equal(a, b) for a, b in zip(out, params))
    return Finding(
        not error and not unchanged,
        bool(error) and unchanged,
        "on the book's reconstruction of the printed structure (not the listing itself): as "
        f"printed, {error} (an accumulator used before any line creates it); with the "
        "accumulators created, the parameters come back unchanged",
    )


@claim(
    "paper-4-adam",
    document="paper",
    where="§4",
    stated="'the author has used ... the Adam Gradient Descent algorithm'",
    verdict="wrong",
    correct="the cited implementation creates its moment estimates anew, at zero, in every "
    "call (once per batch) "
    "and does not correct their bias, so each step is $\\eta (1-\\beta_1) "
    "g/\\sqrt{(1-\\beta_2) g^2 + 10^{-7}}$, "
    "about $0.5\\,\\eta\\,\\mathrm{sign}(g)$ with its β1 = 0.95, β2 = 0.99: a scaled sign "
    "step, not Adam, whose "
    "moments persist across steps",
    reference="the repository the paper cites, github.com/Alescontrela/Numpy-CNN, "
    "CNN/network.py (adamGD); "
    "Kingma & Ba (2015), Algorithm 1",
    chapter=CHAPTER,
)
def _not_adam() -> Finding:
    lr, b1, b2 = 0.01, 0.95, 0.99
    g = np.array([1e-3, 0.5, -20.0])

    def reset_step(grad):  # the moments start at zero in every call, as in the cited adamGD
        v, s = (1 - b1) * grad, (1 - b2) * grad**2
        return lr * v / np.sqrt(s + 1e-7)

    grads = [g, -0.5 * g, g]
    steps = [reset_step(gr) for gr in grads]
    p = {"w": np.zeros(3)}
    opt = Optimizer("adam", lr, beta1=b1, beta2=b2)
    adam_steps = []
    for gr in grads:
        before = p["w"].copy()
        opt.step(p, {"w": gr})
        adam_steps.append(before - p["w"])
    sign_like = bool(np.allclose(steps[0][1:], 0.5 * lr * np.sign(g[1:]), rtol=1e-3))
    same = all(np.allclose(a, b) for a, b in zip(steps, adam_steps))
    return Finding(
        same,
        sign_like and not same,
        f"gradients g, -g/2, g with g = {g.tolist()}: the cited update steps by "
        f"{np.round(steps[2], 4).tolist()} at the third call (≈ 0.5·lr·sign(g) for |g| >> "
        "3e-3); Adam "
        f"steps by {np.round(adam_steps[2], 4).tolist()}",
    )


@claim(
    "slides-gradient-descent",
    document="slides",
    where="'The Weight Update'",
    stated="$\\theta_{new} = \\theta_{old} - \\eta \\nabla \\mathcal{L}(\\theta)$: "
    "subtracting the gradient, the "
    "direction of steepest ascent, moves downhill",
    verdict="holds",
    correct="as stated: among unit directions the gradient's has the largest rate of "
    "increase, and a small step "
    "against it lowers the loss",
    chapter=CHAPTER,
)
def _steepest() -> Finding:
    rng = np.random.default_rng(2)
    A = rng.normal(size=(4, 4))
    A = A @ A.T + np.eye(4)
    theta = rng.normal(size=4)
    grad = A @ theta  # L = θᵀAθ/2
    dirs = rng.normal(size=(2000, 4))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    best = (dirs @ grad).max()
    new = theta - 0.01 * grad
    ok = best <= np.linalg.norm(grad) + 1e-12 and new @ A @ new < theta @ A @ theta
    return Finding(
        ok,
        ok,
        f"a random quadratic: |∇L| = {np.linalg.norm(grad):.3f} >= the best of 2,000 random "
        f"directions ({best:.3f}); one step with η = 0.01 lowers L",
    )
