"""Questions on training networks: backpropagation, initialization, optimizers and MLPs.

Answers come from the dense and activation pairs, :mod:`cnnmath.init`, the update rules of
:mod:`cnnmath.optim`, the MLP written out with the chain rule
(:func:`cnnmath.chain_rule.parameter_count`, :func:`cnnmath.chain_rule.mlp_forward`) and the
architecture table of :func:`cnnmath.zoo.mlp`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .. import activations as act
from .. import init, losses, optim, zoo
from ..arch import summary
from ..chain_rule import mlp_backward, mlp_forward, parameter_count
from ..dense import affine_backward, affine_forward
from . import mistakes as M
from .foundations import vec
from .question import Draft, choice, fmt, num, numeric, par, symbolic
from .registry import generator


def _mat(a: np.ndarray) -> str:
    rows = " \\\\ ".join(" & ".join(fmt(v) for v in row) for row in np.atleast_2d(a))
    return f"\\begin{{pmatrix}} {rows} \\end{{pmatrix}}"


# --------------------------------------------------------------------------------------------
# Backpropagation
# --------------------------------------------------------------------------------------------


@generator("backprop", "output_delta", "The local gradient at a softmax output", "numeric")
def output_delta(rng: np.random.Generator) -> Draft:
    g = int(rng.integers(3, 5))
    z = rng.integers(-2, 3, g).astype(float)
    k = int(rng.integers(0, g))
    j = int(rng.choice([i for i in range(g) if i != k]))
    _, cache = losses.softmax_cross_entropy_forward(z, np.eye(g)[k], reduction="sum")
    delta = losses.softmax_cross_entropy_backward(1.0, cache)
    a = act.softmax(z)
    text = (
        f"The output layer of a classifier computes $\\mathbf a = \\mathrm{{softmax}}(\\mathbf "
        f"z)$ and the "
        f"cross-entropy $E = -\\sum_i y_i \\log a_i$. For the scores $\\mathbf z = {vec(z)}$ and "
        f"the true "
        f"class {k + 1}, what is $\\delta_{{{j + 1}}} = \\partial E/\\partial z_{{{j + 1}}}$? "
        f"Give 3 significant digits."
    )
    sol = (
        f"Every $a_i$ depends on $z_{{{j + 1}}}$, so $\\delta_j = \\sum_i \\frac{{\\partial "
        f"E}}{{\\partial a_i}}"
        f"\\frac{{\\partial a_i}}{{\\partial z_j}} = a_j - y_j$. Here $a_{{{j + 1}}} = "
        f"{fmt(a[j], 4)}$ and "
        f"$y_{{{j + 1}}} = 0$, so $\\delta_{{{j + 1}}} = {fmt(delta[j], 4)}$."
    )
    wrong = [(0.0, M.SINGLE_PATH), (-float(delta[j]), M.SIGN)]
    return numeric(text, float(delta[j]), sol, wrong, data=dict(z=z.tolist(), k=k, j=j))


@generator(
    "backprop",
    "dense_weight_gradient",
    "A weight gradient of a dense layer over a batch",
    "numeric",
)
def dense_weight_gradient(rng: np.random.Generator) -> Draft:
    while True:  # both examples contribute, and the answer is not 0
        n_in, n_out = int(rng.integers(2, 4)), 2
        x = rng.integers(-5, 6, (2, n_in)).astype(float)
        dz = rng.integers(-5, 6, (2, n_out)).astype(float)
        _, cache = affine_forward(x, np.zeros((n_out, n_in)), np.zeros(n_out))
        _, dw, _ = affine_backward(dz, cache)
        j, k = int(rng.integers(0, n_out)), int(rng.integers(0, n_in))
        if dw[j, k] != 0 and dz[0, j] * x[0, k] != 0 and dz[1, j] * x[1, k] != 0:
            break
    text = (
        f"A dense layer $Z = XW^T + \\mathbf b$ (W of shape out x in) gets the batch of two "
        f"examples "
        f"$X = {_mat(x)}$ and, from the layer above, $\\partial E/\\partial Z = {_mat(dz)}$. "
        f"What is "
        f"$\\partial E/\\partial W_{{{j + 1}{k + 1}}}$?"
    )
    sol = (
        f"$\\partial E/\\partial W = (\\partial E/\\partial Z)^T X$, summed over the examples: "
        f"$\\partial E/\\partial W_{{{j + 1}{k + 1}}} = \\sum_n \\delta_{{n{j + 1}}} "
        f"x_{{n{k + 1}}} = "
        f"({fmt(dz[0, j])})({fmt(x[0, k])}) + ({fmt(dz[1, j])})({fmt(x[1, k])}) = {fmt(dw[j, k])}$."
    )
    wrong = [(dz[0, j] * x[0, k], M.NO_BATCH_SUM)]
    if k < n_out and j < n_in:
        wrong.append((float(dw[k, j]), M.TRANSPOSED))
    return numeric(
        text, float(dw[j, k]), sol, wrong, data=dict(x=x.tolist(), dz=dz.tolist(), j=j, k=k)
    )


@generator("backprop", "hidden_delta", "The local gradient of a hidden unit", "numeric")
def hidden_delta(rng: np.random.Generator) -> Draft:
    while True:  # a unit whose local gradient is not 0
        name = str(rng.choice(["sigmoid", "tanh", "relu"]))
        z = rng.integers(-2, 3, 2) / 2
        w = rng.integers(-2, 3, (2, 2)).astype(float)
        delta_up = rng.integers(-2, 3, 2).astype(float)
        i = int(rng.integers(0, 2))
        fwd, bwd = act.get(name)
        h, acache = fwd(z[None])
        _, dcache = affine_forward(h, w, np.zeros(2))
        da, _, _ = affine_backward(delta_up[None], dcache)
        delta = bwd(da, acache)[0]
        if delta[i] != 0:
            break
    label = {"sigmoid": "\\sigma", "tanh": "\\tanh", "relu": "\\mathrm{ReLU}"}[name]
    text = (
        f"A hidden layer has the weighted sums $\\mathbf z^{{(l)}} = {vec(z)}$ and the "
        f"activation ${label}$; "
        f"the next layer's weights are $W^{{(l+1)}} = {_mat(w)}$ (row $j$ holds the weights into "
        f"unit $j$) "
        f"and its local gradients $\\delta^{{(l+1)}} = {vec(delta_up)}$. What is "
        f"$\\delta^{{(l)}}_{{{i + 1}}}$? "
        f"Give 3 significant digits."
    )
    fprime = float(bwd(np.ones((1, 2)), acache)[0, i])
    sol = (
        f"$\\delta^{{(l)}}_i = \\big(\\sum_j \\delta^{{(l+1)}}_j W^{{(l+1)}}_{{ji}}\\big) "
        f"f'(z_i)$: the sum is "
        f"${fmt(da[0, i], 4)}$ and $f'(z_{{{i + 1}}}) = {fmt(fprime, 4)}$, so "
        f"$\\delta^{{(l)}}_{{{i + 1}}} = "
        f"{fmt(delta[i], 4)}$."
    )
    wrong = [(float(da[0, i]), M.NO_LOCAL_DERIVATIVE)]
    da_t, _, _ = affine_backward(delta_up[None], affine_forward(h, w.T, np.zeros(2))[1])
    wrong.append((float(bwd(da_t, acache)[0, i]), M.TRANSPOSED))
    return numeric(
        text,
        float(delta[i]),
        sol,
        wrong,
        data=dict(name=name, z=z.tolist(), w=w.tolist(), delta=delta_up.tolist(), i=i),
    )


# --------------------------------------------------------------------------------------------
# Initialization
# --------------------------------------------------------------------------------------------

_FANS = [64, 100, 128, 256, 300, 500, 512, 784, 1024]


@generator("init", "init_variance", "The weight variance of an initialization rule", "numeric")
def init_variance(rng: np.random.Generator) -> Draft:
    rule = str(rng.choice(["glorot_normal", "he_normal", "lecun_normal"]))
    n_in, n_out = (int(v) for v in rng.choice(_FANS, 2, replace=False))
    var = init.variance(rule, n_in, n_out)
    label = {
        "glorot_normal": "Glorot (Xavier) normal",
        "he_normal": "He (Kaiming) normal",
        "lecun_normal": "LeCun normal",
    }[rule]
    text = (
        f"A dense layer has $n_{{in}} = {n_in}$ inputs and $n_{{out}} = {n_out}$ outputs. What "
        f"variance "
        f"$\\mathrm{{Var}}(w)$ does the {label} rule give its weights? Give 3 significant digits."
    )
    formula = {
        "glorot_normal": "2/(n_{in} + n_{out})",
        "he_normal": "2/n_{in}",
        "lecun_normal": "1/n_{in}",
    }[rule]
    sol = f"$\\mathrm{{Var}}(w) = {formula} = {fmt(var, 4)}$."
    wrong = {
        "glorot_normal": [(1 / (n_in + n_out), M.GLOROT_NO_TWO), (2 / n_in, M.FAN_OUT)],
        "he_normal": [(1 / n_in, M.HE_NO_TWO), (2 / n_out, M.FAN_OUT)],
        "lecun_normal": [(1 / n_out, M.FAN_OUT)],
    }[rule]
    return numeric(text, var, sol, wrong, data=dict(rule=rule, n_in=n_in, n_out=n_out))


@generator("init", "uniform_limit", "The limit of a uniform initialization", "numeric")
def uniform_limit(rng: np.random.Generator) -> Draft:
    rule = str(rng.choice(["glorot_uniform", "he_uniform"]))
    n_in, n_out = (int(v) for v in rng.choice(_FANS, 2, replace=False))
    var = init.variance(rule, n_in, n_out)
    limit = float(np.sqrt(3.0 * var))  # the limit init_weights draws U(-limit, limit) with
    label = "Glorot" if rule.startswith("glorot") else "He"
    text = (
        f"Weights drawn from $U(-a, a)$ should have {label}'s variance for a layer with "
        f"$n_{{in}} = {n_in}$ "
        f"inputs and $n_{{out}} = {n_out}$ outputs. What is $a$? Give 3 significant digits."
    )
    sol = (
        f"$U(-a, a)$ has variance $a^2/3$; {label}'s rule asks for $\\mathrm{{Var}}(w) = "
        f"{fmt(var, 4)}$, so "
        f"$a = \\sqrt{{3\\,\\mathrm{{Var}}(w)}} = {fmt(limit, 4)}$."
    )
    return numeric(
        text,
        limit,
        sol,
        [(np.sqrt(var), M.STD_NOT_LIMIT), (3 * var, M.VAR_NOT_LIMIT)],
        data=dict(rule=rule, n_in=n_in, n_out=n_out),
    )


def equal_groups(rows: np.ndarray) -> list[list[int]]:
    """The groups (1-based, of two or more) of rows that are equal, in order of first row."""
    groups: list[list[int]] = []
    for i in range(len(rows)):
        for g in groups:
            if np.allclose(rows[g[0] - 1], rows[i]):
                g.append(i + 1)
                break
        else:
            groups.append([i + 1])
    return [g for g in groups if len(g) > 1]


def groups_text(groups: list[list[int]], units: int) -> str:
    """``[[1, 3], [2, 5]]`` as an option: "Units 1 and 3 are equal, and so are units 2 and 5;
    the others differ." (all equal / none equal in words)."""
    if not groups:
        return "No two of them are equal."
    if len(groups) == 1 and len(groups[0]) == units:
        return "They are all still equal."

    def units_of(g: list[int]) -> str:
        return ", ".join(map(str, g[:-1])) + f" and {g[-1]}"

    text = f"Units {units_of(groups[0])} are equal"
    for g in groups[1:]:
        text += f", and so are units {units_of(g)}"
    covered = sum(len(g) for g in groups)
    return text + ("." if covered == units else "; the others differ from every unit.")


@generator("init", "symmetry", "Equal initial weights and symmetry", "choice")
def symmetry(rng: np.random.Generator) -> Draft:
    hidden = int(rng.integers(3, 7))
    c = float(rng.choice([0.1, 0.2, 0.5]))
    values = [0.0] + [float(v) for v in np.round(rng.normal(size=2), 2)]
    labels = rng.integers(0, 3, hidden)
    if rng.random() < 0.2:  # sometimes every bias is equal
        labels[:] = labels[0]
    biases = [values[int(k)] for k in labels]
    x = rng.normal(size=(8, 4))
    y = rng.integers(0, 3, 8)
    params = {
        "W1": np.full((hidden, 4), c),
        "b1": np.array(biases),
        "W2": np.full((3, hidden), c),
        "b2": np.zeros(3),
    }
    for _ in range(5):  # five steps of gradient descent with the package's MLP
        logits, caches = mlp_forward(params, x, "tanh")
        _, lc = losses.softmax_cross_entropy_forward(logits, y)
        grads = mlp_backward(losses.softmax_cross_entropy_backward(1.0, lc), caches, "tanh")
        for k in params:
            params[k] -= 0.5 * grads[k]
    groups = equal_groups(params["W1"])
    text = (
        f"A 4-{hidden}-3 tanh network starts with every weight equal to ${fmt(c)}$ and the "
        f"hidden units' biases $\\mathbf b^{{(1)}} = {vec(np.array(biases))}$, and is trained by "
        f"gradient descent on a batch of varied examples. After five steps, which hidden units "
        f"still have equal incoming weights (equal rows of $W^{{(1)}}$)?"
    )
    right = groups_text(groups, hidden)
    by_bias = equal_groups(np.array(biases)[:, None])
    wrong: list[tuple[str, M.Mistake | None]] = [
        (
            groups_text([list(range(1, hidden + 1))], hidden),
            M.Mistake(
                "symmetry_forever",
                "equal weights stay equal only while the units also get equal inputs: different "
                "biases make them compute, and so learn, different things",
            ),
        ),
        (
            groups_text([], hidden),
            M.Mistake(
                "symmetry_breaks_itself",
                "gradient descent does not break symmetry by itself: units with equal weights "
                "and equal biases get equal gradients at every step",
            ),
        ),
        (
            groups_text([g for g in by_bias if values[0] != biases[g[0] - 1]] or [[1, 2]], hidden),
            None,
        ),
    ]
    seen = {right}
    kept = []
    for option, mistake in wrong:
        if option not in seen:
            seen.add(option)
            kept.append((option, mistake))
    sol = (
        "Units with equal incoming weights and equal biases compute the same value and get the "
        "same gradient, so they stay copies of each other forever; a different bias makes a unit "
        "compute something else, hence get a different gradient (measured here after five steps "
        f"with the package's MLP: {right[0].lower() + right[1:]})"
    )
    return choice(text, right, kept, sol, rng, data=dict(biases=biases, hidden=hidden, c=c))


# --------------------------------------------------------------------------------------------
# Optimizers
# --------------------------------------------------------------------------------------------


def _steps(rule: str, w0: float, grads: list[float], **hyper) -> float:
    w, state = np.array([w0]), {}
    for g in grads:
        optim.RULES[rule](w, np.array([g]), state, **hyper)
    return float(w[0])


@generator("optimizers", "momentum_steps", "Two steps of SGD with momentum", "numeric")
def momentum_steps(rng: np.random.Generator) -> Draft:
    w0 = float(rng.integers(-2, 3))
    g = [float(v) for v in rng.integers(1, 5, 2) * rng.choice([-1, 1], 2)]
    lr = float(rng.choice([0.1, 0.5]))
    mu = float(rng.choice([0.5, 0.9]))
    w2 = _steps("sgd", w0, g, lr=lr, momentum=mu)
    b1, b2 = g[0], mu * g[0] + g[1]
    text = (
        f"A weight starts at $w = {fmt(w0)}$ and is updated by SGD with momentum $\\mu = "
        f"{fmt(mu)}$ and "
        f"learning rate $\\eta = {fmt(lr)}$ (torch's rule: $b_t = \\mu b_{{t-1}} + g_t$, $b_1 = "
        f"g_1$, "
        f"$w \\leftarrow w - \\eta b_t$). The gradients at the two steps are $g_1 = {fmt(g[0])}$ "
        f"and "
        f"$g_2 = {fmt(g[1])}$. What is $w$ after the second step? Give 3 decimal places."
    )
    sol = (
        f"$b_1 = {fmt(b1)}$, $w = {fmt(w0)} - {fmt(lr)}\\cdot {par(b1)} = {fmt(w0 - lr * b1)}$; "
        f"$b_2 = {fmt(mu)}\\cdot{par(b1)} + {par(g[1])} = {fmt(b2)}$, $w = {fmt(w2)}$."
    )
    damp1 = (1 - mu) * g[0]
    damp = w0 - lr * damp1 - lr * (mu * damp1 + (1 - mu) * g[1])
    wrong = [(damp, M.MOMENTUM_DAMPENED), (_steps("sgd", w0, g, lr=lr), M.NO_MOMENTUM)]
    return numeric(text, w2, sol, wrong, places=3, data=dict(w0=w0, g=g, lr=lr, momentum=mu))


@generator("optimizers", "adam_steps", "Adam's first steps", "numeric")
def adam_steps(rng: np.random.Generator) -> Draft:
    t = int(rng.integers(1, 3))
    w0 = float(rng.integers(-2, 3))
    g = [float(v) for v in rng.integers(1, 5, t) * rng.choice([-1, 1], t)]
    lr = float(rng.choice([0.1, 0.01]))
    wt = _steps("adam", w0, g, lr=lr)
    # the mistakes: no bias correction; the correction applied to m_(t-1), v_(t-1)
    no_corr = _steps("adam", w0, g, lr=lr, bias_correction=False)
    w, m, v = w0, 0.0, 0.0
    for step, gs in enumerate(g, start=1):
        m_new, v_new = 0.9 * m + 0.1 * gs, 0.999 * v + 0.001 * gs * gs
        mh, vh = m / (1 - 0.9**step), v / (1 - 0.999**step)
        w -= lr * mh / (np.sqrt(vh) + 1e-8)
        m, v = m_new, v_new
    gtext = ", ".join(f"$g_{i + 1} = {fmt(x)}$" for i, x in enumerate(g))
    text = (
        f"A weight starts at $w = {fmt(w0)}$ and is updated by Adam with $\\eta = {fmt(lr)}$, "
        f"$\\beta_1 = 0.9$, $\\beta_2 = 0.999$, $\\epsilon = 10^{{-8}}$ and bias correction. The "
        f"gradients "
        f"are {gtext}. What is $w$ after step {t}? Give 4 decimal places."
    )
    sol = (
        "$m_t = \\beta_1 m_{t-1} + (1-\\beta_1)g_t$, $v_t = \\beta_2 v_{t-1} + (1-\\beta_2)g_t^2$, "
        "$\\hat m_t = m_t/(1-\\beta_1^t)$, $\\hat v_t = v_t/(1-\\beta_2^t)$, "
        f"$w \\leftarrow w - \\eta\\hat m_t/(\\sqrt{{\\hat v_t}} + \\epsilon)$. After step {t}: "
        f"$w = {fmt(wt, 6)}$."
        + (
            " At step 1, $\\hat m_1 = g_1$ and $\\sqrt{\\hat v_1} = |g_1|$: the step is $\\eta$ "
            "times the "
            "gradient's sign."
            if t == 1
            else ""
        )
    )
    return numeric(
        text,
        wt,
        sol,
        [(no_corr, M.ADAM_NO_CORRECTION), (float(w), M.ADAM_M_PREV)],
        places=4,
        data=dict(w0=w0, g=g, lr=lr),
    )


@generator("optimizers", "adaptive_steps", "Two steps of AdaGrad or RMSProp", "numeric")
def adaptive_steps(rng: np.random.Generator) -> Draft:
    rule = str(rng.choice(["adagrad", "rmsprop"]))
    w0 = float(rng.integers(-2, 3))
    g = [float(v) for v in rng.integers(1, 5, 2) * rng.choice([-1, 1], 2)]
    lr = float(rng.choice([0.1, 0.5]))
    if rule == "adagrad":
        w2 = _steps("adagrad", w0, g, lr=lr, eps=1e-10)
        acc = "G_t = G_{t-1} + g_t^2"
        upd = "w \\leftarrow w - \\eta g_t/(\\sqrt{G_t} + \\epsilon)"
        hyper = "$\\epsilon = 10^{-10}$"
        s1, s2 = g[0] ** 2, g[0] ** 2 + g[1] ** 2
        wrong_acc = w0 - lr * g[0] / abs(g[0]) - lr * g[1] / abs(g[1])
        nosqrt = w0 - lr * g[0] / s1 - lr * g[1] / s2
        wrong = [(nosqrt, M.NO_SQRT), (wrong_acc, M.NO_ACCUMULATE)]
    else:
        gamma = 0.9
        w2 = _steps("rmsprop", w0, g, lr=lr, alpha=gamma, eps=1e-8)
        acc = "A_t = \\gamma A_{t-1} + (1-\\gamma) g_t^2"
        upd = "w \\leftarrow w - \\eta g_t/(\\sqrt{A_t} + \\epsilon)"
        hyper = "$\\gamma = 0.9$, $\\epsilon = 10^{-8}$"
        s1, s2 = 0.1 * g[0] ** 2, 0.9 * 0.1 * g[0] ** 2 + 0.1 * g[1] ** 2
        nosqrt = w0 - lr * g[0] / s1 - lr * g[1] / s2
        adagrad_like = (
            w0
            - lr * g[0] / np.sqrt(0.1 * g[0] ** 2)
            - lr * g[1] / np.sqrt(0.1 * (g[0] ** 2 + g[1] ** 2))
        )
        wrong = [(nosqrt, M.NO_SQRT), (adagrad_like, M.RMS_NO_DECAY)]
    label = "AdaGrad" if rule == "adagrad" else "RMSProp"
    text = (
        f"A weight starts at $w = {fmt(w0)}$ and is updated by {label} (${acc}$ from 0, ${upd}$) "
        f"with "
        f"$\\eta = {fmt(lr)}$ and {hyper}. The gradients are $g_1 = {fmt(g[0])}$ and $g_2 = "
        f"{fmt(g[1])}$. "
        f"What is $w$ after the second step? Give 3 decimal places."
    )
    sol = (
        f"The accumulator is ${fmt(s1, 4)}$ after step 1 and ${fmt(s2, 4)}$ after step 2; "
        f"$w = {fmt(w0)} - {fmt(lr)}\\,({fmt(g[0])})/\\sqrt{{{fmt(s1, 4)}}} - "
        f"{fmt(lr)}\\,({fmt(g[1])})/"
        f"\\sqrt{{{fmt(s2, 4)}}} = {fmt(w2, 5)}$."
    )
    return numeric(text, w2, sol, wrong, places=3, data=dict(rule=rule, w0=w0, g=g, lr=lr))


@generator(
    "optimizers", "adam_moment_formula", "Adam's moments for a constant gradient", "symbolic"
)
def adam_moment_formula(rng: np.random.Generator) -> Draft:
    beta, g = sp.symbols("beta g", positive=True)
    t = int(rng.integers(2, 31))
    which = str(rng.choice(["m", "v"]))
    x = g if which == "m" else g**2  # m averages the gradient, v its square
    m = sp.Integer(0)
    for _ in range(t):  # the recursion itself, step by step
        m = beta * m + (1 - beta) * x
    m = sp.factor(sp.expand(m))
    name = {"m": "first moment", "v": "second moment"}[which]
    sym = {"m": "m", "v": "v"}[which]
    term = {"m": "g_t", "v": "g_t^2"}[which]
    b_name = {"m": "\\beta_1", "v": "\\beta_2"}[which]
    text = (
        f"Adam's {name} starts at ${sym}_0 = 0$ and follows ${sym}_t = \\beta {sym}_{{t-1}} + "
        f"(1-\\beta) {term}$ (here $\\beta$ is ${b_name}$). If the gradient is the same $g$ at "
        f"every step, what is ${sym}_{{{t}}}$? Write it in $\\beta$ and $g$."
    )
    xs = "g" if which == "m" else "g^2"
    sol = (
        f"Unrolled, ${sym}_{t} = \\sum_{{\\tau=1}}^{{{t}}} (1-\\beta)\\beta^{{{t}-\\tau}} {xs} = "
        f"(1 - \\beta^{{{t}}})\\,{xs}$: biased towards 0, which is why Adam divides by "
        f"$1 - \\beta^t$ (then the corrected estimate is ${xs}$ exactly)."
    )
    wrong = [
        ((1 - beta ** (t - 1)) * x, M.SUM_POWER_OFF),
        (x, M.Mistake("bias_corrected", "this is the bias-corrected estimate, not the moment")),
    ]
    if which == "v":
        wrong.append(
            ((1 - beta**t) * g, M.Mistake("not_squared", "the second moment averages g^2"))
        )
    return symbolic(
        text, m, {"beta": beta, "g": g}, sol, wrong, domain=(0.2, 0.95), data=dict(t=t, which=which)
    )


# --------------------------------------------------------------------------------------------
# MLPs
# --------------------------------------------------------------------------------------------


def _sizes(rng: np.random.Generator) -> list[int]:
    n0 = int(rng.choice([4, 13, 64, 784, 3072]))
    hidden = [int(v) for v in rng.choice([8, 16, 32, 64, 128, 256], int(rng.integers(1, 4)))]
    return [n0, *hidden, int(rng.choice([1, 3, 10]))]


@generator("mlp", "mlp_parameters", "Parameters of an MLP", "numeric")
def mlp_parameters(rng: np.random.Generator) -> Draft:
    sizes = _sizes(rng)
    total = parameter_count(sizes)
    arch = "-".join(map(str, sizes))
    text = (
        f"How many trained parameters (weights and biases) does the fully connected network "
        f"{arch} have?"
    )
    terms = " + ".join(f"{a}\\cdot{b} + {b}" for a, b in zip(sizes[:-1], sizes[1:]))
    sol = f"Each layer has $n_{{l-1}} n_l$ weights and $n_l$ biases: ${terms} = {num(total)}$."
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    wrong = [(weights, M.NO_BIAS_PARAMS), (total + sizes[0], M.INPUT_BIASES)]
    if sizes[0] == 4:
        wrong.append((parameter_count([13, *sizes[1:]]), M.FIRST_SIZE))
    return numeric(text, total, sol, wrong, data=dict(sizes=sizes))


@generator("mlp", "first_layer_share", "The first layer's share of an MLP's parameters", "numeric")
def first_layer_share(rng: np.random.Generator) -> Draft:
    sizes = _sizes(rng)
    s = summary(zoo.mlp(sizes))
    share = 100.0 * s.rows[0].params / s.total
    weights_share = 100.0 * s.rows[0].weights / s.weights
    text = (
        f"What percentage of the parameters of the MLP {'-'.join(map(str, sizes))} (weights and "
        f"biases) "
        f"are in its first layer? Give 1 decimal place."
    )
    sol = (
        f"The first layer has ${sizes[0]}\\cdot{sizes[1]} + {sizes[1]} = {s.rows[0].params}$ of "
        f"the "
        f"${s.total}$ parameters: ${fmt(share, 4)}\\%$."
    )
    return numeric(
        text, share, sol, [(weights_share, M.NO_BIAS_PARAMS)], places=1, data=dict(sizes=sizes)
    )


@generator("mlp", "mlp_output", "The output of a small MLP", "numeric")
def mlp_output(rng: np.random.Generator) -> Draft:
    x = rng.integers(-2, 3, (1, 2)).astype(float)
    p = {
        "W1": rng.integers(-2, 3, (2, 2)).astype(float),
        "b1": rng.integers(-1, 2, 2).astype(float),
        "W2": rng.integers(-2, 3, (1, 2)).astype(float),
        "b2": rng.integers(-1, 2, 1).astype(float),
    }
    out = float(mlp_forward(p, x, "relu")[0][0, 0])
    z1 = x @ p["W1"].T + p["b1"]
    text = (
        f"A 2-2-1 network has a ReLU hidden layer and a linear output: $\\mathbf h = "
        f"\\mathrm{{ReLU}}(W^{{(1)}}"
        f"\\mathbf x + \\mathbf b^{{(1)}})$, $r = W^{{(2)}}\\mathbf h + b^{{(2)}}$, with "
        f"$W^{{(1)}} = "
        f"{_mat(p['W1'])}$, $\\mathbf b^{{(1)}} = {vec(p['b1'])}$, $W^{{(2)}} = {_mat(p['W2'])}$, "
        f"$b^{{(2)}} = {fmt(p['b2'][0])}$. What is $r$ for $\\mathbf x = {vec(x)}$?"
    )
    sol = (
        f"$\\mathbf z^{{(1)}} = {vec(z1)}$, $\\mathbf h = {vec(np.maximum(z1, 0))}$, so $r = "
        f"{fmt(out)}$."
    )
    no_relu = float(mlp_forward(p, x, "identity")[0][0, 0])
    no_bias = float(mlp_forward({**p, "b1": 0 * p["b1"], "b2": 0 * p["b2"]}, x, "relu")[0][0, 0])
    wrong = [
        (max(out, 0.0), M.OUTPUT_ACTIVATION),
        (no_relu, M.NO_HIDDEN_ACTIVATION),
        (no_bias, M.NO_BIAS),
    ]
    return numeric(
        text, out, sol, wrong, data=dict(x=x.tolist(), **{k: v.tolist() for k, v in p.items()})
    )
