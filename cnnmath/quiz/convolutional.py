"""Questions on convolutional layers: convolution, its backward pass, pooling, batch norm, dropout.

Answers come from :mod:`cnnmath.conv` (``output_size``, ``conv_geometry``, ``conv2d_forward`` and
``conv2d_backward``), :mod:`cnnmath.pool`, :mod:`cnnmath.norm` and :mod:`cnnmath.dropout`.
"""

from __future__ import annotations

import math

import numpy as np

from .. import conv, norm, pool
from ..dropout import dropout_forward
from . import mistakes as M
from .foundations import vec
from .question import Draft, fmt, grid, grid_text, numeric, par
from .registry import generator


def _size_mistakes(n: int, k: int, s: int, p: int, d: int = 1) -> list[tuple[float, M.Mistake]]:
    """The wrong output sizes that the sources' and students' mistakes give."""
    span = d * (k - 1) + 1
    out = [
        (math.ceil((n + 2 * p - span) / s) + 1, M.CEIL),
        ((n + 2 * p - span) / s, M.NO_FLOOR_NO_PLUS1),
    ]
    if p > 0 and n >= span:
        out.append(((n - span) // s + 1, M.NO_PADDING))
    if p > 0:
        out.append(((n + p - span) // s + 1, M.PAD_ONCE))
    if d > 1:
        out.append(((n + 2 * p - k) // s + 1, M.NO_DILATION))
    if s > 1:
        out.append((n + 2 * p - span + 1, M.NO_STRIDE))
    return out


# --------------------------------------------------------------------------------------------
# Convolution
# --------------------------------------------------------------------------------------------


@generator("convolution", "conv_output_size", "The output size of a convolution", "numeric")
def conv_output_size(rng: np.random.Generator) -> Draft:
    while True:
        n = int(rng.choice([5, 6, 7, 9, 12, 28, 32, 64, 224, 227]))
        k = int(rng.choice([1, 2, 3, 5, 7, 11]))
        s = int(rng.choice([1, 2, 2, 3, 4]))
        p = int(rng.integers(0, k // 2 + 2))
        d = int(rng.choice([1, 1, 1, 2]))
        if d * (k - 1) + 1 <= n + 2 * p:
            break
    size = conv.output_size(n, k, s, p, d)
    dil = f", dilation $d = {d}$" if d > 1 else ""
    text = (
        f"A convolution with a ${k}\\times{k}$ kernel, stride $s = {s}$ and zero padding $p = "
        f"{p}${dil} is "
        f"applied to a ${n}\\times{n}$ input. How many rows does its output have?"
    )
    form = "n + 2p - d(k-1) - 1" if d > 1 else "n + 2p - k"
    sol = (
        f"$\\lfloor ({form})/s\\rfloor + 1 = \\lfloor ({n} + {2 * p} - "
        f"{d * (k - 1) + 1})/{s}\\rfloor + 1 = "
        f"{size}$: the positions where the whole (dilated) kernel fits in the padded input."
    )
    return numeric(
        text, size, sol, _size_mistakes(n, k, s, p, d), data=dict(n=n, k=k, s=s, p=p, d=d)
    )


@generator("convolution", "conv_feature_map", "A feature map, computed by hand", "grid")
def conv_feature_map(rng: np.random.Generator) -> Draft:
    n = int(rng.choice([4, 5]))
    k = int(rng.choice([2, 3]))
    s = 2 if (n - k) % 2 == 0 and rng.integers(0, 3) == 0 else 1
    x = rng.integers(0, 4, (n, n)).astype(float)
    w = rng.integers(-1, 3, (k, k)).astype(float)
    while np.array_equal(w, conv.flip(w)):
        w = rng.integers(-1, 3, (k, k)).astype(float)
    b = float(rng.integers(-1, 3))
    z, _ = conv.conv2d_forward(x[None, None], w[None, None], np.array([b]), stride=s)
    z = z[0, 0]
    flipped, _ = conv.conv2d_forward(
        x[None, None], conv.flip(w)[None, None], np.array([b]), stride=s
    )
    wrong = [(flipped[0, 0], M.FLIPPED), (z + b * (k * k - 1), M.BIAS_INSIDE), (z - b, M.NO_BIAS)]
    text = (
        f"A convolutional layer (cross-correlation, as in deep learning) applies the "
        f"${k}\\times{k}$ kernel "
        f"$K$ with bias $b = {fmt(b)}$ and stride {s}, no padding, to the image $X$ below. What "
        f"is the "
        f"feature map $Z$?"
    )
    code = f"X =\n{grid_text(x)}\n\nK =\n{grid_text(w)}"
    sol = (
        f"$Z_{{ij}} = b + \\sum_{{u,v}} K_{{uv}} X_{{is+u,\\,js+v}}$, the kernel not flipped: "
        f"for example "
        f"$Z_{{11}} = {fmt(b)} + {par(float((w * x[:k, :k]).sum()))} = {fmt(z[0, 0])}$. The "
        f"whole map is\n\n"
        f"{grid_text(z)}"
    )
    return grid(text, z, sol, wrong, code=code, data=dict(x=x.tolist(), w=w.tolist(), b=b, s=s))


@generator("convolution", "conv_parameters", "The parameters of a convolutional layer", "numeric")
def conv_parameters(rng: np.random.Generator) -> Draft:
    c = int(rng.choice([1, 3, 6, 16, 32, 64]))
    f = int(rng.choice([6, 8, 16, 32, 64, 128]))
    k = int(rng.choice([1, 3, 5, 7]))
    groups = int(rng.choice([g for g in (1, 1, 2, 4, c) if c % g == 0 and f % g == 0]))
    g = conv.conv_geometry((1, c, k + 4, k + 4), (f, c // groups, k, k), (f,), 1, 0, 1, groups)
    total = g.F * g.Cg * g.KH * g.KW + g.F
    grp = f" and {groups} groups" if groups > 1 else ""
    text = (
        f"How many trained parameters (weights and biases) does a convolutional layer with {c} "
        f"input "
        f"channels, {f} filters of size ${k}\\times{k}${grp} have?"
    )
    sol = (
        f"Each filter has $(C/G)\\,k^2 = {g.Cg}\\cdot{k * k}$ weights and one bias: "
        f"${f}\\,({g.Cg}\\cdot{k * k} + 1) = {total}$."
        + (" With groups, each filter sees only its group's channels." if groups > 1 else "")
    )
    wrong = [(total - f, M.NO_BIAS_PARAMS), (total - f + c, M.BIAS_PER_CHANNEL)]
    if groups > 1:
        wrong.append((f * c * k * k + f, M.NO_GROUPS))
    return numeric(text, total, sol, wrong, data=dict(c=c, f=f, k=k, groups=groups))


@generator("convolution", "same_padding", "The padding that keeps the size", "numeric")
def same_padding(rng: np.random.Generator) -> Draft:
    k = int(rng.choice([3, 5, 7, 9, 11, 13]))
    d = int(rng.choice([1, 1, 2, 3, 4, 5, 6, 7, 8]))
    n = int(rng.choice([16, 28, 32, 48, 56, 64, 96, 128]))
    p = next(
        p
        for p in range(0, 64)
        if d * (k - 1) + 1 <= n + 2 * p and conv.output_size(n, k, 1, p, d) == n
    )
    dil = f" and dilation $d = {d}$" if d > 1 else ""
    text = (
        f"Which zero padding $p$ (on each side) keeps the size of a ${n}\\times{n}$ input for a "
        f"${k}\\times{k}$ kernel with stride 1{dil}?"
    )
    sol = f"Stride 1 gives $n + 2p - d(k-1)$ positions; this equals $n$ when $p = d(k-1)/2 = {p}$."
    wrong = [((k - 1) // 2, M.NO_DILATION_PAD), (d * (k - 1), M.TOTAL_PADDING)]
    return numeric(text, p, sol, wrong, data=dict(n=n, k=k, d=d))


# --------------------------------------------------------------------------------------------
# Backpropagation through convolution and pooling
# --------------------------------------------------------------------------------------------

_POOLS = [(4, 2, 2), (5, 3, 2), (4, 3, 1), (6, 2, 2), (5, 2, 1)]  # (input side, window, stride)


def _route_ties_to_all(x: np.ndarray, dout: np.ndarray, k: int, s: int) -> np.ndarray:
    dx = np.zeros_like(x)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            win = x[i * s : i * s + k, j * s : j * s + k]
            dx[i * s : i * s + k, j * s : j * s + k] += np.where(win == win.max(), dout[i, j], 0)
    return dx


def _route_overwrite(x: np.ndarray, dout: np.ndarray, k: int, s: int) -> np.ndarray:
    dx = np.zeros_like(x)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            win = x[i * s : i * s + k, j * s : j * s + k]
            u, v = np.unravel_index(int(np.argmax(win)), win.shape)
            dx[i * s + u, j * s + v] = dout[i, j]
    return dx


@generator("conv_backprop", "maxpool_routing", "Where max pooling sends the gradient", "grid")
def maxpool_routing(rng: np.random.Generator) -> Draft:
    n, k, s = _POOLS[int(rng.integers(0, len(_POOLS)))]
    x = rng.integers(0, 6, (n, n)).astype(float)
    out, cache = pool.maxpool_forward(x[None, None], k, s)
    dout = rng.integers(1, 5, out.shape[2:]).astype(float)
    dx = pool.maxpool_backward(dout[None, None], cache)[0, 0]
    avg = pool.avgpool_backward(dout[None, None], pool.avgpool_forward(x[None, None], k, s)[1])[
        0, 0
    ]
    wrong = [
        (_route_ties_to_all(x, dout, k, s), M.POOL_TIES_ALL),
        (_route_overwrite(x, dout, k, s), M.POOL_OVERLAP_OVERWRITE),
        (avg, M.POOL_SHARE_ALL),
    ]
    over = " The windows overlap." if s < k else ""
    text = (
        f"Max pooling with a ${k}\\times{k}$ window and stride {s} is applied to the input $X$ "
        f"below "
        f"(where several inputs tie for a maximum, the first in reading order wins, as in "
        f"torch).{over} "
        f"The gradient of the loss with respect to the pooled output is $G$. What is "
        f"$\\partial E/\\partial X$?"
    )
    code = f"X =\n{grid_text(x)}\n\nG =\n{grid_text(dout)}"
    sol = (
        "Each window's gradient goes to the input that won the window, and nowhere else; an "
        "input that wins "
        "several (overlapping) windows collects all their gradients:\n\n" + grid_text(dx)
    )
    return grid(
        text, dx, sol, wrong, code=code, data=dict(x=x.tolist(), dout=dout.tolist(), k=k, s=s)
    )


@generator("conv_backprop", "avgpool_gradient", "How average pooling shares the gradient", "grid")
def avgpool_gradient(rng: np.random.Generator) -> Draft:
    n, k, s = _POOLS[int(rng.integers(0, len(_POOLS)))]
    x = rng.integers(0, 6, (n, n)).astype(float)
    _, cache = pool.avgpool_forward(x[None, None], k, s)
    oh = conv.output_size(n, k, s)
    dout = (rng.integers(1, 4, (oh, oh)) * k * k).astype(float)
    dx = pool.avgpool_backward(dout[None, None], cache)[0, 0]
    mp_cache = pool.maxpool_forward(x[None, None], k, s)[1]
    wrong = [
        (dx * k * k, M.AVG_NO_DIVIDE),
        (pool.maxpool_backward(dout[None, None], mp_cache)[0, 0], M.AVG_ROUTE_MAX),
    ]
    text = (
        f"Average pooling with a ${k}\\times{k}$ window and stride {s} is applied to the "
        f"${n}\\times{n}$ input "
        f"$X$ below. The gradient of the loss with respect to the pooled output is $G$. What is "
        f"$\\partial E/\\partial X$?"
    )
    code = f"X =\n{grid_text(x)}\n\nG =\n{grid_text(dout)}"
    sol = (
        f"Each window passes $1/{k * k}$ of its gradient to each of its inputs; where windows "
        f"overlap, an input "
        f"adds up its shares:\n\n{grid_text(dx)}"
    )
    return grid(
        text, dx, sol, wrong, code=code, data=dict(x=x.tolist(), dout=dout.tolist(), k=k, s=s)
    )


@generator("conv_backprop", "conv_bias_gradient", "The gradient of a convolution's bias", "numeric")
def conv_bias_gradient(rng: np.random.Generator) -> Draft:
    n_ex = int(rng.integers(1, 3))
    f = int(rng.integers(0, 2))
    x = rng.normal(size=(n_ex, 1, 4, 4))
    w = rng.normal(size=(2, 1, 2, 2))
    _, cache = conv.conv2d_forward(x, w, np.zeros(2))
    dout = rng.integers(-2, 4, (n_ex, 2, 3, 3)).astype(float)
    _, _, db = conv.conv2d_backward(dout, cache)
    maps = "\n\n".join(
        f"example {e + 1}, filter {f + 1}:\n{grid_text(dout[e, f])}" for e in range(n_ex)
    )
    text = (
        f"A convolutional layer with two filters produces ${n_ex}\\times 2$ maps of size "
        f"$3\\times 3$ for a batch "
        f"of {n_ex} example{'s' if n_ex > 1 else ''}. The gradient of the loss with respect to "
        f"filter "
        f"{f + 1}'s output is shown below. What is $\\partial E/\\partial b_{{{f + 1}}}$?"
    )
    sol = (
        f"The bias is added at every position of every example, so its gradient is the sum of "
        f"the upstream "
        f"gradient over examples and positions: ${fmt(db[f])}$."
    )
    wrong = [(dout[0, f, 0, 0], M.BIAS_GRAD_NO_SUM), (float(dout[:, f].mean()), M.MEAN_NOT_SUM)]
    if n_ex > 1:
        wrong.append((float(dout[0, f].sum()), M.NO_BATCH_SUM))
    return numeric(text, float(db[f]), sol, wrong, code=maps, data=dict(dout=dout.tolist(), f=f))


@generator("conv_backprop", "conv_input_gradient", "The input gradient of a convolution", "grid")
def conv_input_gradient(rng: np.random.Generator) -> Draft:
    w = rng.integers(-1, 3, (2, 1, 2, 2)).astype(float)
    while np.array_equal(w[0, 0], conv.flip(w[0, 0])):
        w[0, 0] = rng.integers(-1, 3, (2, 2))
    x = rng.normal(size=(1, 1, 3, 3))
    _, cache = conv.conv2d_forward(x, w)
    dout = rng.integers(-1, 3, (1, 2, 2, 2)).astype(float)
    dx = conv.conv2d_backward(dout, cache)[0][0, 0]
    one = conv.conv2d_input_gradient_by_full_convolution(dout[:, :1], w[:1], (3, 3))[0, 0]
    unflipped = conv.conv2d_input_gradient_by_full_convolution(dout, conv.flip(w), (3, 3))[0, 0]
    text = (
        "A convolutional layer (stride 1, no padding) applies two $2\\times 2$ filters $K_1$, "
        "$K_2$ to a "
        "$3\\times 3$ one-channel input $X$, making two $2\\times 2$ maps. The gradients of the "
        "loss with "
        "respect to the two maps are $G_1$ and $G_2$. What is $\\partial E/\\partial X$?"
    )
    code = (
        f"K1 =\n{grid_text(w[0, 0])}\n\nK2 =\n{grid_text(w[1, 0])}\n\nG1 "
        f"=\n{grid_text(dout[0, 0])}\n\n"
        f"G2 =\n{grid_text(dout[0, 1])}"
    )
    sol = (
        "Each output $Z_{t,ij}$ reads $X_{i+u,j+v}$ with weight $K_{t,uv}$, so "
        "$\\partial E/\\partial X_{ab} = \\sum_t\\sum_{u,v} G_{t,\\,a-u,\\,b-v}K_{t,uv}$: for "
        "each filter the "
        "full convolution of $G_t$ with the rotated kernel, summed over the filters:\n\n"
        + grid_text(dx)
    )
    return grid(
        text,
        dx,
        sol,
        [(one, M.NO_FILTER_SUM), (unflipped, M.NO_FLIP_BACKWARD)],
        code=code,
        data=dict(w=w.tolist(), dout=dout.tolist()),
    )


# --------------------------------------------------------------------------------------------
# Batch normalization and dropout
# --------------------------------------------------------------------------------------------


@generator("batchnorm_dropout", "batchnorm_output", "The output of batch normalization", "numeric")
def batchnorm_output(rng: np.random.Generator) -> Draft:
    m = int(rng.integers(3, 6))
    x = rng.integers(-3, 6, m).astype(float)
    while np.all(x == x[0]):
        x = rng.integers(-3, 6, m).astype(float)
    gamma = float(rng.choice([0.5, 1, 2]))
    beta = float(rng.choice([-1, 0, 1, 0.5]))
    i = int(rng.integers(0, m))
    eps = 1e-5
    args = (np.array([gamma]), np.array([beta]), np.zeros(1), np.ones(1))
    y, _, _ = norm.batchnorm_forward(x[:, None], *args, training=True, eps=eps)
    mu, var = x.mean(), x.var()
    unbiased = gamma * (x[i] - mu) / np.sqrt(x.var(ddof=1) + eps) + beta
    text = (
        f"A batch-normalization layer in training mode (with $\\gamma = {fmt(gamma)}$, $\\beta = "
        f"{fmt(beta)}$, "
        f"$\\epsilon = 10^{{-5}}$) sees one channel's values $\\mathbf x = {vec(x)}$ in a batch. "
        f"What is "
        f"its output for the value $x_{{{i + 1}}} = {fmt(x[i])}$? Give 3 decimal places."
    )
    sol = (
        f"$\\mu = {fmt(mu, 4)}$, $\\sigma^2 = \\frac1m\\sum(x-\\mu)^2 = {fmt(var, 4)}$, "
        f"$\\hat x = (x - \\mu)/\\sqrt{{\\sigma^2 + \\epsilon}} = "
        f"{fmt((x[i] - mu) / np.sqrt(var + eps), 4)}$, "
        f"$y = \\gamma\\hat x + \\beta = {fmt(y[i, 0], 5)}$."
    )
    wrong = [(unbiased, M.UNBIASED_VAR), ((x[i] - mu) / np.sqrt(var + eps), M.NO_AFFINE)]
    return numeric(
        text,
        float(y[i, 0]),
        sol,
        wrong,
        places=3,
        data=dict(x=x.tolist(), gamma=gamma, beta=beta, i=i, eps=eps),
    )


@generator(
    "batchnorm_dropout",
    "batchnorm_counts",
    "Trainable and non-trainable numbers of batch norm",
    "numeric",
)
def batchnorm_counts(rng: np.random.Generator) -> Draft:
    chans = [int(c) for c in rng.choice([16, 32, 64, 128], int(rng.integers(2, 5)))]
    which = str(rng.choice(["trainable", "non_trainable"]))
    total = sum(norm.parameter_counts(c)[which] for c in chans)
    label = "trained" if which == "trainable" else "non-trainable (tracked, not trained)"
    text = (
        f"A network has batch-normalization layers after convolutions with "
        f"{', '.join(map(str, chans))} "
        f"channels. How many {label} numbers do these layers hold in all?"
    )
    sol = (
        "Each channel has a trained $\\gamma$ and $\\beta$, and a tracked running mean and "
        "running variance: "
        f"$2\\cdot({' + '.join(map(str, chans))}) = {total}$ {which.replace('_', '-')} numbers."
    )
    wrong = [(2 * total, M.RUNNING_TRAINABLE if which == "trainable" else M.FOUR_PER_CHANNEL)]
    return numeric(text, total, sol, wrong, data=dict(channels=chans, which=which))


@generator(
    "batchnorm_dropout", "dropout_survivor", "What inverted dropout does to a kept unit", "numeric"
)
def dropout_survivor(rng: np.random.Generator) -> Draft:
    p = float(rng.integers(1, 19)) / 20  # 0.05 to 0.9
    x = float(rng.integers(1, 13))
    y, mask = dropout_forward(np.full(64, x), p, np.random.default_rng(0), training=True)
    kept = float(y[mask > 0][0])
    text = (
        f"Inverted dropout with drop probability $p = {fmt(p)}$ is applied in training to a unit "
        f"whose value "
        f"is ${fmt(x)}$. If the unit is kept, what value does it pass on? Give 3 significant "
        f"digits."
    )
    sol = (
        f"Kept units are divided by the keep ratio $1 - p = {fmt(1 - p)}$, so that the expected "
        f"output equals "
        f"the input: ${fmt(x)}/{fmt(1 - p)} = {fmt(kept, 4)}$."
    )
    wrong = [
        (x * (1 - p), M.DROPOUT_TIMES_KEEP),
        (x, M.DROPOUT_NO_SCALE),
        (x / p, M.DROPOUT_DIVIDE_P),
    ]
    return numeric(text, kept, sol, wrong, data=dict(x=x, p=p))


@generator(
    "batchnorm_dropout",
    "running_statistics",
    "One update of batch norm's running statistics",
    "numeric",
)
def running_statistics(rng: np.random.Generator) -> Draft:
    m = int(rng.integers(3, 6))
    x = rng.integers(-2, 6, m).astype(float)
    while np.all(x == x[0]):
        x = rng.integers(-2, 6, m).astype(float)
    momentum = float(rng.choice([0.1, 0.2, 0.5]))
    r_mean, r_var = float(rng.integers(-1, 3)), float(rng.integers(1, 4))
    which = str(rng.choice(["mean", "variance"]))
    _, _, (new_mean, new_var) = norm.batchnorm_forward(
        x[:, None],
        np.ones(1),
        np.zeros(1),
        np.array([r_mean]),
        np.array([r_var]),
        training=True,
        momentum=momentum,
    )
    if which == "mean":
        ans, old, stat = float(new_mean[0]), r_mean, x.mean()
        wrong = [(momentum * old + (1 - momentum) * stat, M.MOMENTUM_SWAPPED)]
    else:
        ans, old, stat = float(new_var[0]), r_var, x.var(ddof=1)
        wrong = [
            ((1 - momentum) * old + momentum * x.var(), M.BIASED_RUNNING_VAR),
            (momentum * old + (1 - momentum) * stat, M.MOMENTUM_SWAPPED),
        ]
    text = (
        f"A batch-normalization layer (torch's convention, momentum ${fmt(momentum)}$) has the "
        f"running {which} "
        f"${fmt(old)}$ for a channel. In training it sees the batch $\\mathbf x = {vec(x)}$ for "
        f"that channel. "
        f"What is the running {which} afterwards? Give 3 decimal places."
    )
    sol = (
        f"$r \\leftarrow (1 - \\text{{momentum}})\\,r + \\text{{momentum}}\\cdot s$ with the "
        f"batch statistic "
        f"$s = {fmt(stat, 5)}$"
        + (" (the unbiased variance, divided by $m - 1$)" if which == "variance" else "")
        + f": ${fmt(ans, 5)}$."
    )
    return numeric(
        text,
        ans,
        sol,
        wrong,
        places=3,
        data=dict(x=x.tolist(), momentum=momentum, mean=r_mean, var=r_var, which=which),
    )
