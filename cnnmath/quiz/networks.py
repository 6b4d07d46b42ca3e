"""Questions on whole networks: LeNet-5, the thesis's Fashion-MNIST CNN, AlexNet, an autoencoder.

Shapes and counts are run through the layers' own rules: :func:`cnnmath.conv.conv_geometry` and
:func:`cnnmath.conv.output_size` for convolutions and pooling, :func:`cnnmath.norm.parameter_counts`
for batch norm, :mod:`cnnmath.receptive` for receptive fields; :mod:`cnnmath.lrn` and
:mod:`cnnmath.conv_transpose` compute the AlexNet and autoencoder answers. The tests build every
network the questions describe in torch and compare.
"""

from __future__ import annotations

import math

import numpy as np

from .. import conv, norm, pool
from . import mistakes as M
from .convolutional import _size_mistakes
from .foundations import vec
from .question import Draft, choice, fmt, grid, grid_text, num, numeric
from .registry import generator

# A network as a list of layers: ("conv", F, k, stride, padding, groups), ("pool", k, stride),
# ("bn",), ("flatten",), ("dense", n). Activations have no parameters and keep shapes: left out.
Spec = list[tuple]


def run_spec(spec: Spec, in_shape: tuple[int, int, int]) -> list[dict]:
    """Each layer's output shape and trained / non-trained numbers, for one example."""
    shape: tuple[int, ...] = tuple(in_shape)
    rows = []
    for layer in spec:
        kind = layer[0]
        trained = tracked = 0
        if kind == "conv":
            _, f, k, s, p, groups = layer
            c, h, w = shape
            g = conv.conv_geometry((1, c, h, w), (f, c // groups, k, k), (f,), s, p, 1, groups)
            shape, trained = (g.F, g.OH, g.OW), g.F * g.Cg * g.KH * g.KW + g.F
        elif kind == "pool":
            _, k, s = layer
            c, h, w = shape
            shape = (c, conv.output_size(h, k, s), conv.output_size(w, k, s))
        elif kind == "bn":
            counts = norm.parameter_counts(shape[0])
            trained, tracked = counts["trainable"], counts["non_trainable"]
        elif kind == "flatten":
            shape = (int(np.prod(shape)),)
        elif kind == "dense":
            trained, shape = shape[0] * layer[1] + layer[1], (layer[1],)
        else:
            raise ValueError(f"unknown layer {layer!r}")
        rows.append(
            {"layer": layer, "shape": shape, "trainable": trained, "non_trainable": tracked}
        )
    return rows


def _total(rows: list[dict], key: str = "trainable") -> int:
    return sum(r[key] for r in rows)


def _describe(spec: Spec) -> str:
    out = []
    for layer in spec:
        if layer[0] == "conv":
            _, f, k, s, p, g = layer
            extra = "".join(
                [
                    f", stride {s}" if s > 1 else "",
                    f", padding {p}" if p else "",
                    f", {g} groups" if g > 1 else "",
                ]
            )
            out.append(f"conv {f}@{k}x{k}{extra} + ReLU")
        elif layer[0] == "pool":
            out.append(
                f"max-pool {layer[1]}x{layer[1]}"
                + (f" stride {layer[2]}" if layer[2] != layer[1] else "")
            )
        elif layer[0] == "bn":
            out.append("batch norm")
        elif layer[0] == "flatten":
            out.append("flatten")
        else:
            out.append(f"dense {layer[1]}")
    return " → ".join(out)


# --------------------------------------------------------------------------------------------
# LeNet-5
# --------------------------------------------------------------------------------------------


def _lenet(rng: np.random.Generator) -> tuple[int, Spec, Spec]:
    n = int(rng.choice([28, 32, 36, 40]))
    pad = int(rng.integers(1, 3)) if rng.integers(0, 3) else 0
    k = int(rng.choice([5, 5, 3]))
    f1, f2 = int(rng.choice([4, 6, 8, 10])), int(rng.choice([12, 16, 20, 24]))
    d1, d2 = (int(v) for v in (rng.choice([120, 100]), rng.choice([84, 50])))
    body = [("conv", f1, k, 1, pad, 1), ("pool", 2, 2), ("conv", f2, k, 1, 0, 1), ("pool", 2, 2)]
    head = [("flatten",), ("dense", d1), ("dense", d2), ("dense", 10)]
    return n, body, head


@generator("lenet5", "lenet_flatten", "The size LeNet-5 flattens", "numeric")
def lenet_flatten(rng: np.random.Generator) -> Draft:
    n, body, _ = _lenet(rng)
    rows = run_spec(body + [("flatten",)], (1, n, n))
    size = rows[-1]["shape"][0]
    text = (
        f"A LeNet-5 variant takes ${n}\\times{n}$ grey images through {_describe(body)}. How "
        f"many numbers "
        f"does it flatten for the dense layers?"
    )
    sides = " → ".join(f"{r['shape'][1]}x{r['shape'][2]}" for r in rows[:-1])
    sol = (
        f"The maps shrink as {sides}, so the flattened vector has "
        f"${rows[-2]['shape'][0]}\\cdot{rows[-2]['shape'][1]}\\cdot{rows[-2]['shape'][2]} = "
        f"{size}$ numbers."
    )
    wrong = [(run_spec(body[:3] + [("flatten",)], (1, n, n))[-1]["shape"][0], M.WRONG_FLATTEN)]
    if body[0][4]:
        nopad = [("conv", *body[0][1:4], 0, 1)] + body[1:]
        wrong.append((run_spec(nopad + [("flatten",)], (1, n, n))[-1]["shape"][0], M.NO_PADDING))
    return numeric(text, size, sol, wrong, data=dict(n=n, spec=body + [("flatten",)]))


@generator("lenet5", "lenet_parameters", "The parameters of a LeNet-5 variant", "numeric")
def lenet_parameters(rng: np.random.Generator) -> Draft:
    n, body, head = _lenet(rng)
    rows = run_spec(body + head, (1, n, n))
    total = _total(rows)
    text = (
        f"A LeNet-5 variant takes ${n}\\times{n}$ grey images through {_describe(body + head)}. "
        f"How many trained "
        f"parameters does it have?"
    )
    parts = " + ".join(num(r["trainable"]) for r in rows if r["trainable"])
    sol = f"Layer by layer: ${parts} = {num(total)}$."
    biases = sum(r["layer"][1] for r in rows if r["layer"][0] in ("conv", "dense"))
    flat_wrong = run_spec(body[:3] + head, (1, n, n))
    wrong = [(total - biases, M.NO_BIAS_PARAMS), (_total(flat_wrong), M.WRONG_FLATTEN)]
    return numeric(text, total, sol, wrong, data=dict(n=n, spec=body + head))


#: Input side for the receptive-field networks: more than the largest field a question draws, so
#: every layer of its spec has outputs (the field itself does not depend on the input's size).
RF_INPUT = 256


def receptive_field(spec: Spec) -> int:
    """Side of the input region one unit of the last layer sees, :math:`r_L`, from
    :func:`cnnmath.receptive.receptive_fields` (:math:`r_l = r_{l-1} + (k_l - 1)\\,j_{l-1}`,
    :math:`j_l = s_l\\,j_{l-1}`) on the spec built as a network of conv and max-pool layers."""
    from ..layers import Conv2d, MaxPool2d
    from ..network import Sequential
    from ..receptive import receptive_fields

    layers = [
        Conv2d(layer[1], layer[2], stride=layer[3], padding=layer[4], groups=layer[5])
        if layer[0] == "conv"
        else MaxPool2d(layer[1], layer[2])
        for layer in spec
    ]
    net = Sequential(layers, (1, RF_INPUT, RF_INPUT), name="receptive-field question")
    return receptive_fields(net)[-1].size[0]


@generator("lenet5", "receptive_field", "The receptive field of a unit", "numeric")
def receptive_field_question(rng: np.random.Generator) -> Draft:
    spec: Spec = []
    for _ in range(int(rng.integers(2, 4))):
        spec.append(("conv", 6, int(rng.choice([3, 5])), int(rng.choice([1, 1, 2])), 0, 1))
        if rng.integers(0, 3):
            spec.append(("pool", 2, 2))
    r = receptive_field(spec)
    naive = 1 + sum((l[2] if l[0] == "conv" else l[1]) - 1 for l in spec)
    kernels = sum(l[2] if l[0] == "conv" else l[1] for l in spec)
    text = (
        f"A network applies {_describe(spec)}. How many input pixels wide is the region that one "
        f"unit of the "
        f"last layer sees (its receptive field)?"
    )
    sol = (
        f"Start with $r = 1$, $j = 1$; each layer adds $(k-1)\\,j$ to $r$ and multiplies the "
        f"jump $j$ by its "
        f"stride: $r = {r}$ (cnnmath.receptive)."
    )
    return numeric(
        text, r, sol, [(naive, M.RF_NO_JUMP), (kernels, M.RF_SUM_KERNELS)], data=dict(spec=spec)
    )


# --------------------------------------------------------------------------------------------
# The thesis's CNN on Fashion-MNIST
# --------------------------------------------------------------------------------------------


def _thesis_cnn(rng: np.random.Generator, padding: str = "same") -> tuple[int, Spec, str]:
    n = int(rng.choice([28, 32, 48, 64]))
    k = int(rng.choice([3, 3, 5]))
    blocks = int(rng.integers(2, 5))
    first = int(rng.choice([8, 12, 16, 20, 24, 32, 40, 48, 64]))
    chans = [first * 2**b for b in range(blocks)]
    p = (k - 1) // 2 if padding == "same" else 0
    spec: Spec = []
    for c in chans:
        spec += [("conv", c, k, 1, p, 1), ("bn",), ("conv", c, k, 1, p, 1), ("bn",), ("pool", 2, 2)]
    hidden = int(rng.choice([64, 100, 128, 256, 512]))
    spec += [("flatten",), ("dense", hidden), ("dense", 10)]
    desc = (
        f"{blocks} blocks of [conv {k}x{k} ('same' padding) + ReLU + batch norm, twice, then "
        f"max-pool 2x2], "
        f"with {', '.join(map(str, chans))} filters, then flatten, dense {hidden} + ReLU and "
        f"dense 10"
    )
    return n, spec, desc


@generator(
    "cnn_training", "cnn_flatten", "The flattened size of a CNN with 'same' padding", "numeric"
)
def cnn_flatten(rng: np.random.Generator) -> Draft:
    state = rng.bit_generator.state
    n, spec, desc = _thesis_cnn(rng)
    rng.bit_generator.state = state
    _, valid, _ = _thesis_cnn(rng, padding="valid")
    cut = spec.index(("flatten",)) + 1
    size = run_spec(spec[:cut], (1, n, n))[-1]["shape"][0]
    try:
        valid_size = run_spec(valid[:cut], (1, n, n))[-1]["shape"][0]
    except ValueError:
        valid_size = None
    text = f"A CNN for ${n}\\times{n}$ grey images has {desc}. How many numbers does it flatten?"
    sides = [r["shape"] for r in run_spec(spec[: cut - 1], (1, n, n)) if r["layer"][0] == "pool"]
    sol = (
        (
            "'Same' padding keeps the size through each convolution, and each pooling halves it "
            "(rounding down): "
        )
        + " → ".join(f"{s[1]}x{s[2]}" for s in sides)
        + f"; so ${sides[-1][0]}\\cdot{sides[-1][1]}^2 = {size}$."
    )
    wrong = [(valid_size, M.VALID_NOT_SAME)] if valid_size else []
    return numeric(text, size, sol, wrong, data=dict(n=n, spec=spec[:cut]))


@generator(
    "cnn_training", "cnn_trainable", "Trainable parameters of a CNN with batch norm", "numeric"
)
def cnn_trainable(rng: np.random.Generator) -> Draft:
    n, spec, desc = _thesis_cnn(rng)
    rows = run_spec(spec, (1, n, n))
    trained, tracked = _total(rows), _total(rows, "non_trainable")
    text = (
        f"A CNN for ${n}\\times{n}$ grey images has {desc}. How many trainable parameters does "
        f"it have "
        f"(as Keras or torch count them)?"
    )
    sol = (
        f"Convolutions: $F((C)k^2 + 1)$ each; batch norm: $\\gamma$ and $\\beta$ per channel; "
        f"dense layers: "
        f"$n_{{in}}n_{{out}} + n_{{out}}$. In all ${num(trained)}$ trainable, besides "
        f"${num(tracked)}$ "
        f"non-trainable running statistics."
    )
    biases = sum(r["layer"][1] for r in rows if r["layer"][0] in ("conv", "dense"))
    return numeric(
        text,
        trained,
        sol,
        [(trained + tracked, M.RUNNING_TRAINABLE), (trained - biases, M.NO_BIAS_PARAMS)],
        data=dict(n=n, spec=spec),
    )


@generator(
    "cnn_training",
    "cnn_non_trainable",
    "Non-trainable parameters of a CNN with batch norm",
    "numeric",
)
def cnn_non_trainable(rng: np.random.Generator) -> Draft:
    n, spec, desc = _thesis_cnn(rng)
    rows = run_spec(spec, (1, n, n))
    tracked = _total(rows, "non_trainable")
    chans = [r["shape"][0] for r in rows if r["layer"][0] == "bn"]
    text = (
        f"A CNN for ${n}\\times{n}$ grey images has {desc}. How many non-trainable parameters "
        f"does it have "
        f"(as Keras's summary counts them)?"
    )
    sol = (
        f"Only batch norm holds non-trainable numbers: a running mean and a running variance per "
        f"channel, "
        f"$2\\cdot({' + '.join(map(str, chans))}) = {tracked}$ (the thesis's §5.1.2 count of 384 "
        f"is this rule)."
    )
    return numeric(
        text,
        tracked,
        sol,
        [(2 * tracked, M.FOUR_PER_CHANNEL), (0, M.RUNNING_TRAINABLE)],
        data=dict(n=n, spec=spec),
    )


# --------------------------------------------------------------------------------------------
# AlexNet
# --------------------------------------------------------------------------------------------


@generator("alexnet", "alexnet_conv1_size", "AlexNet's first layer: 224 or 227?", "numeric")
def alexnet_conv1_size(rng: np.random.Generator) -> Draft:
    n = int(rng.choice([224, 227]) if rng.random() < 0.3 else rng.integers(180, 300))
    p = int(rng.choice([0, 0, 1, 2, 3]))
    size = conv.output_size(n, 11, 4, p)
    text = (
        f"AlexNet's first layer applies 96 kernels of size $11\\times 11$ with stride 4. What is "
        f"the side of its "
        f"output for a ${n}\\times{n}$ input with zero padding {p}?"
    )
    exact = (n + 2 * p - 11) / 4
    sol = (
        f"$\\lfloor ({n} + {2 * p} - 11)/4\\rfloor + 1 = \\lfloor {fmt(exact)}\\rfloor + 1 = "
        f"{size}$"
    ) + (
        ". Only when $(n + 2p - 11)$ is a multiple of 4 do the windows tile the input "
        "exactly (227 without "
        "padding gives the paper's 55; 224 needs padding 2)."
        if exact != int(exact)
        else ": the windows tile the padded input exactly."
    )
    return numeric(text, size, sol, _size_mistakes(n, 11, 4, p), data=dict(n=n, p=p))


@generator("alexnet", "overlapping_pool_size", "The output of overlapping max pooling", "numeric")
def overlapping_pool_size(rng: np.random.Generator) -> Draft:
    n = int(rng.integers(7, 120))
    out, _ = pool.maxpool_forward(np.zeros((1, 1, n, n)), 3, 2)
    size = out.shape[2]
    text = (
        f"AlexNet pools with overlapping $3\\times 3$ windows and stride 2. What is the side of "
        f"the pooled map "
        f"for a ${n}\\times{n}$ input (no padding)?"
    )
    sol = (
        f"$\\lfloor ({n} - 3)/2\\rfloor + 1 = {size}$: each window shares a row and a column "
        f"with the next."
    )
    wrong = [
        (n // 3, M.NON_OVERLAP),
        (math.ceil((n - 3) / 2) + 1, M.CEIL),
        (n // 2, M.Mistake("half_size", "this is n/2, as if a 2x2 window were used")),
    ]
    return numeric(text, size, sol, wrong, data=dict(n=n))


@generator("alexnet", "grouped_conv_parameters", "Parameters of a grouped convolution", "numeric")
def grouped_conv_parameters(rng: np.random.Generator) -> Draft:
    c = int(rng.choice([32, 48, 64, 96, 128, 192, 256, 384]))
    f = int(rng.choice([64, 96, 128, 192, 256, 384]))
    k = int(rng.choice([1, 3, 5]))
    groups = 2
    g = conv.conv_geometry((1, c, 13, 13), (f, c // groups, k, k), (f,), 1, k // 2, 1, groups)
    total = g.F * g.Cg * k * k + g.F
    text = (
        f"AlexNet split some layers over two GPUs: a convolution from {c} to {f} channels with "
        f"${k}\\times{k}$ "
        f"kernels and groups = 2 (each half of the filters sees one half of the channels). How "
        f"many trained "
        f"parameters does it have?"
    )
    sol = (
        f"Each filter sees $C/G = {g.Cg}$ channels: ${f}\\,({g.Cg}\\cdot{k * k} + 1) = "
        f"{num(total)}$."
    )
    return numeric(
        text,
        total,
        sol,
        [(f * c * k * k + f, M.NO_GROUPS), (total - f, M.NO_BIAS_PARAMS)],
        data=dict(c=c, f=f, k=k, groups=groups),
    )


@generator("alexnet", "lrn_output", "Local response normalization of one activation", "numeric")
def lrn_output(rng: np.random.Generator) -> Draft:
    from ..lrn import lrn_forward

    size = int(rng.choice([3, 5]))
    c = int(rng.integers(0, 5))
    a = rng.integers(0, 6, 5).astype(float)
    a[c] = max(a[c], 1.0)
    alpha = float(rng.choice([0.5, 1.0, 2.0]))
    beta, k = 0.75, 2.0
    b, _ = lrn_forward(a[None, :, None, None], size, alpha=alpha, beta=beta, k=k)
    paper, _ = lrn_forward(a[None, :, None, None], size, alpha=alpha * size, beta=beta, k=k)
    ans = float(b[0, c, 0, 0])
    text = (
        f"Five channels hold the activations $\\mathbf a = {vec(a)}$ at one position. Local "
        f"response "
        f"normalization as torch defines it, $b_c = a_c\\,(k + \\frac{{\\alpha}}{{n}}\\sum_{{j}} "
        f"a_j^2)^{{-\\beta}}$ "
        f"over the window of $n = {size}$ channels around $c$ (missing channels count as 0), "
        f"with $k = 2$, "
        f"$\\alpha = {fmt(alpha)}$, $\\beta = 0.75$: what is $b_{{{c + 1}}}$? Give 3 significant "
        f"digits."
    )
    lo, hi = max(0, c - size // 2), min(4, c + (size - 1) // 2)
    ssum = float((a[lo : hi + 1] ** 2).sum())
    sol = (
        f"The window holds channels {lo + 1} to {hi + 1}: $\\sum a_j^2 = {fmt(ssum)}$, so "
        f"$b_{{{c + 1}}} = {fmt(a[c])}\\,(2 + {fmt(alpha)}\\cdot{fmt(ssum)}/{size})^{{-0.75}} = "
        f"{fmt(ans, 4)}$."
    )
    return numeric(
        text,
        ans,
        sol,
        [(float(paper[0, c, 0, 0]), M.LRN_PAPER_ALPHA)],
        data=dict(a=a.tolist(), size=size, alpha=alpha, beta=beta, k=k, c=c),
    )


# --------------------------------------------------------------------------------------------
# Convolutional autoencoder
# --------------------------------------------------------------------------------------------


@generator(
    "autoencoder", "conv_transpose_size", "The output size of a transposed convolution", "numeric"
)
def conv_transpose_size(rng: np.random.Generator) -> Draft:
    from ..conv_transpose import output_size

    n = int(rng.choice([3, 4, 7, 8, 14]))
    k = int(rng.choice([2, 3, 4, 5]))
    s = int(rng.choice([1, 2, 2, 3]))
    p = int(rng.integers(0, (k + 1) // 2))
    a = int(rng.integers(0, s)) if s > 1 else 0
    size = output_size(n, k, s, p, a)
    op = f", output padding {a}" if a else ""
    text = (
        f"A transposed convolution (torch's ConvTranspose2d) with a ${k}\\times{k}$ kernel, "
        f"stride {s}, padding "
        f"{p}{op} is applied to a ${n}\\times{n}$ input. What is the side of its output?"
    )
    sol = (
        f"$(n-1)s - 2p + (k-1) + a + 1 = {n - 1}\\cdot{s} - {2 * p} + {k - 1} + {a} + 1 = "
        f"{size}$: the inverse "
        f"of the convolution's size rule."
    )
    wrong = [((n - 1) * s + k + a, M.TRANSPOSE_NO_2P)] if p else []
    if a:
        wrong.append((size - a, M.NO_OUTPUT_PADDING))
    if n + 2 * p >= k:
        wrong.append((conv.output_size(n, k, s, p), M.CONV_FORMULA))
    return numeric(text, size, sol, wrong, data=dict(n=n, k=k, s=s, p=p, a=a))


@generator("autoencoder", "conv_transpose_values", "A transposed convolution by hand", "grid")
def conv_transpose_values(rng: np.random.Generator) -> Draft:
    from ..conv_transpose import conv_transpose2d_forward

    s = int(rng.choice([1, 2]))
    x = rng.integers(-1, 3, (2, 2)).astype(float)
    while np.count_nonzero(x) < 3:  # an all-zero input has an all-zero answer and no mistakes
        x = rng.integers(-1, 3, (2, 2)).astype(float)
    w = rng.integers(-1, 3, (2, 2)).astype(float)
    while np.array_equal(w, conv.flip(w)):
        w = rng.integers(-1, 3, (2, 2)).astype(float)
    out, _ = conv_transpose2d_forward(x[None, None], w[None, None], stride=s)
    out = out[0, 0]
    flipped, _ = conv_transpose2d_forward(x[None, None], conv.flip(w)[None, None], stride=s)
    last = np.zeros_like(out)  # each copy overwriting the previous ones
    for i in range(2):
        for j in range(2):
            last[i * s : i * s + 2, j * s : j * s + 2] = x[i, j] * w
    text = (
        f"A transposed convolution with stride {s}, no padding and no bias applies the $2\\times "
        f"2$ kernel $K$ "
        f"to the $2\\times 2$ input $X$ (torch's ConvTranspose2d: each input value scatters a "
        f"copy of the "
        f"kernel, scaled by it, to its position times the stride). What is the output?"
    )
    code = f"X =\n{grid_text(x)}\n\nK =\n{grid_text(w)}"
    sol = (
        "$Y_{is+u,\\,js+v} \\mathrel{+}= X_{ij}K_{uv}$: the copies "
        + ("overlap and add up" if s == 1 else "tile the output without overlapping")
        + ":\n\n"
        + grid_text(out)
    )
    wrong = [(flipped[0, 0], M.FLIPPED), (last, M.CONVT_OVERWRITE)]
    return grid(text, out, sol, wrong, code=code, data=dict(x=x.tolist(), w=w.tolist(), s=s))


@generator("autoencoder", "adjoint", "The adjoint of a convolution", "choice")
def adjoint(rng: np.random.Generator) -> Draft:
    from ..conv_transpose import conv_transpose2d_forward

    s = int(rng.choice([1, 2, 3]))
    p = int(rng.choice([0, 1, 2]))
    k = int(rng.choice([2, 3, 4, 5]))
    n = int(rng.integers(6, 13))
    x = rng.normal(size=(1, 2, n, n))
    w = rng.normal(size=(3, 2, k, k))
    z, cache = conv.conv2d_forward(x, w, stride=s, padding=p)
    g = rng.normal(size=z.shape)
    dx = conv.conv2d_backward(g, cache)[0]
    a = n - conv_transpose_output(z.shape[2], k, s, p)
    y, _ = conv_transpose2d_forward(g, w, stride=s, padding=p, output_padding=a)
    assert np.allclose(dx, y), (
        "the transposed convolution must equal the convolution's input gradient"
    )
    text = (
        f"A convolution with {k}x{k} kernels, stride {s} and padding {p} maps an {n}x{n} input "
        f"$X$ to $Z$. In "
        f"backpropagation, "
        f"which operation turns $\\partial E/\\partial Z$ into $\\partial E/\\partial X$?"
    )
    right = (
        f"A transposed convolution with the same {k}x{k} kernels, stride {s} and padding {p}"
        + (f" (output padding {a})" if a else "")
    )
    wrong = [
        (
            f"A convolution with the same {k}x{k} kernels, stride {s} and padding {p}",
            M.Mistake(
                "forward_again",
                "the backward pass multiplies by the transpose of the forward map, not by the "
                "forward map again",
            ),
        ),
        ("A transposed convolution with the kernels rotated by 180 degrees", M.FLIPPED),
        ("An average over the upstream gradient's positions", None),
    ]
    sol = (
        "The convolution is a linear map $Z = AX$; its backward pass is $\\partial E/\\partial "
        "X = A^T"
        "\\,\\partial E/\\partial Z$, which is what a transposed convolution with the same "
        "kernels, stride and "
        "padding computes (checked when the question is made: both give the same array)."
    )
    return choice(text, right, wrong, sol, rng, data=dict(s=s, p=p, k=k, n=n))


def conv_transpose_output(n: int, k: int, s: int, p: int) -> int:
    from ..conv_transpose import output_size

    return output_size(n, k, s, p)
