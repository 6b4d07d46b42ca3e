"""Questions on whole networks: LeNet-5, the thesis's Fashion-MNIST CNN, AlexNet, an autoencoder.

Every network a question describes is a real :class:`cnnmath.network.Sequential` of
:mod:`cnnmath.layers`, the description the book's chapters build: its text is written from the
layers (:func:`describe`), its shapes are the layers' own (each layer's ``out_shape``, computed when
the network is built, with no arrays), its parameter counts those of its architecture table
(:meth:`~cnnmath.network.Sequential.summary`), its receptive fields those of
:mod:`cnnmath.receptive`. :mod:`cnnmath.lrn` and :mod:`cnnmath.conv_transpose` compute the AlexNet
and autoencoder answers. The tests build every network the questions describe in torch and compare.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from .. import conv
from ..layers import Activation, BatchNorm, Conv2d, Dense, Flatten, Layer, MaxPool2d, ReLU
from ..network import Sequential
from ..receptive import receptive_fields
from . import mistakes as M
from .convolutional import _size_mistakes
from .foundations import vec
from .question import Draft, choice, fmt, grid, grid_text, num, numeric
from .registry import generator


def _conv_relu(filters: int, k: int, stride: int = 1, padding: int = 0) -> list[Layer]:
    """A convolution and its ReLU: how the questions' networks use convolutions."""
    return [Conv2d(filters, k, stride=stride, padding=padding), ReLU()]


def _network(layers: list[Layer], side: int, name: str) -> Sequential:
    """The layers applied to ``side`` x ``side`` grey images (one channel)."""
    return Sequential(layers, (1, side, side), name=name)


def describe(layers: Sequence[Layer]) -> str:
    """The layers (of a network) as a question states them: ``conv 6@5x5, padding 2 + ReLU →
    max-pool 2x2 → ...`` (a ReLU after a convolution is written with it)."""
    out: list[str] = []
    for i, layer in enumerate(layers):
        if isinstance(layer, Conv2d):
            (k, _), (s, _), (p, _) = layer.kernel, layer.stride, layer.padding
            extra = "".join(
                [
                    f", stride {s}" if s > 1 else "",
                    f", padding {p}" if p else "",
                    f", {layer.groups} groups" if layer.groups > 1 else "",
                ]
            )
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            relu = isinstance(nxt, Activation) and nxt.function == "relu"
            out.append(f"conv {layer.filters}@{k}x{k}{extra}" + (" + ReLU" if relu else ""))
        elif isinstance(layer, Activation):
            prev = layers[i - 1] if i else None
            if not (layer.function == "relu" and isinstance(prev, Conv2d)):
                out.append(layer.function)
        elif isinstance(layer, MaxPool2d):
            (k, _), (s, _) = layer.kernel, layer.stride
            out.append(f"max-pool {k}x{k}" + (f" stride {s}" if s != k else ""))
        elif isinstance(layer, BatchNorm):
            out.append("batch norm")
        elif isinstance(layer, Flatten):
            out.append("flatten")
        elif isinstance(layer, Dense):
            out.append(f"dense {layer.units}")
        else:
            raise TypeError(f"describe: no wording for the layer {layer!r}")
    return " → ".join(out)


def _sides(net: Sequential) -> list[tuple[int, ...]]:
    """The output shapes of the convolutions and poolings, in order (what the maps shrink to)."""
    return [layer.out_shape for layer in net.layers if isinstance(layer, (Conv2d, MaxPool2d))]


def _bias_count(net: Sequential) -> int:
    """The biases of the convolutions and dense layers (batch norm's shift is not counted)."""
    return sum(
        int(np.prod(layer.param_shapes()["bias"]))
        for layer in net.layers
        if isinstance(layer, (Conv2d, Dense)) and layer.bias
    )


# --------------------------------------------------------------------------------------------
# LeNet-5
# --------------------------------------------------------------------------------------------


def _lenet(
    rng: np.random.Generator,
) -> tuple[int, int, Callable[..., list[Layer]], Callable[[], list[Layer]]]:
    """A LeNet-5 variant drawn from ``rng``: the input side, and makers of its convolutional body
    (optionally without C1's padding or without the second pooling: the mistakes) and its head."""
    n = int(rng.choice([28, 32, 36, 40]))
    pad = int(rng.integers(1, 3)) if rng.integers(0, 3) else 0
    k = int(rng.choice([5, 5, 3]))
    f1, f2 = int(rng.choice([4, 6, 8, 10])), int(rng.choice([12, 16, 20, 24]))
    d1, d2 = (int(v) for v in (rng.choice([120, 100]), rng.choice([84, 50])))

    def body(padding: int = pad, second_pool: bool = True) -> list[Layer]:
        layers = [*_conv_relu(f1, k, padding=padding), MaxPool2d(2), *_conv_relu(f2, k)]
        return layers + [MaxPool2d(2)] if second_pool else layers

    def head() -> list[Layer]:
        return [Flatten(), Dense(d1), Dense(d2), Dense(10)]

    return n, pad, body, head


#: The network of the mistake that flattens the wrong map: the one before the second pooling.
_EARLY = "LeNet-5 variant flattened before its second pooling"


@generator("lenet5", "lenet_flatten", "The size LeNet-5 flattens", "numeric")
def lenet_flatten(rng: np.random.Generator) -> Draft:
    n, pad, body, _ = _lenet(rng)
    net = _network([*body(), Flatten()], n, "LeNet-5 variant")
    size = net.output_shape[0]
    text = (
        f"A LeNet-5 variant takes ${n}\\times{n}$ grey images through "
        f"{describe(net.layers[:-1])}. How many numbers does it flatten for "
        f"the dense layers?"
    )
    sides = " → ".join(f"{s[1]}x{s[2]}" for s in _sides(net))
    c, h, w = net.layers[-1].in_shape
    sol = (
        f"The maps shrink as {sides}, so the flattened vector has ${c}\\cdot{h}\\cdot{w} = "
        f"{size}$ numbers."
    )
    wrong = [
        (
            _network([*body(second_pool=False), Flatten()], n, _EARLY).output_shape[0],
            M.WRONG_FLATTEN,
        )
    ]
    if pad:
        unpadded = _network(
            [*body(padding=0), Flatten()], n, "LeNet-5 variant without C1's padding"
        )
        wrong.append((unpadded.output_shape[0], M.NO_PADDING))
    return numeric(text, size, sol, wrong, data=dict(n=n, net=net))


@generator("lenet5", "lenet_parameters", "The parameters of a LeNet-5 variant", "numeric")
def lenet_parameters(rng: np.random.Generator) -> Draft:
    n, _, body, head = _lenet(rng)
    net = _network([*body(), *head()], n, "LeNet-5 variant")
    table = net.summary()
    total = table.trainable
    text = (
        f"A LeNet-5 variant takes ${n}\\times{n}$ grey images through {describe(net.layers)}. "
        f"How many trained parameters does it have?"
    )
    parts = " + ".join(num(r.params) for r in table.rows if r.params)
    sol = f"Layer by layer: ${parts} = {num(total)}$."
    flat_wrong = _network([*body(second_pool=False), *head()], n, _EARLY).n_params
    wrong = [(total - _bias_count(net), M.NO_BIAS_PARAMS), (flat_wrong, M.WRONG_FLATTEN)]
    return numeric(text, total, sol, wrong, data=dict(n=n, net=net))


#: Input side for the receptive-field networks: more than the largest field a question draws, so
#: every layer of its network has outputs (the field itself does not depend on the input's size).
RF_INPUT = 256


@generator("lenet5", "receptive_field", "The receptive field of a unit", "numeric")
def receptive_field_question(rng: np.random.Generator) -> Draft:
    layers: list[Layer] = []
    for _ in range(int(rng.integers(2, 4))):
        layers += _conv_relu(6, int(rng.choice([3, 5])), stride=int(rng.choice([1, 1, 2])))
        if rng.integers(0, 3):
            layers.append(MaxPool2d(2))
    net = _network(layers, RF_INPUT, "receptive-field question")
    # r_L from cnnmath.receptive: r_l = r_{l-1} + (k_l - 1) j_{l-1}, j_l = s_l j_{l-1}
    r = receptive_fields(net)[-1].size[0]
    windows = [layer.kernel[0] for layer in net.layers if isinstance(layer, (Conv2d, MaxPool2d))]
    naive = 1 + sum(k - 1 for k in windows)
    kernels = sum(windows)
    text = (
        f"A network applies {describe(net.layers)}. How many input pixels wide is the region that one "
        f"unit of the last layer sees (its receptive field)?"
    )
    sol = (
        f"Start with $r = 1$, $j = 1$; each layer adds $(k-1)\\,j$ to $r$ and multiplies the "
        f"jump $j$ by its stride: $r = {r}$ (cnnmath.receptive)."
    )
    return numeric(
        text, r, sol, [(naive, M.RF_NO_JUMP), (kernels, M.RF_SUM_KERNELS)], data=dict(net=net)
    )


# --------------------------------------------------------------------------------------------
# The thesis's CNN on Fashion-MNIST
# --------------------------------------------------------------------------------------------


def _thesis_cnn(
    rng: np.random.Generator, padding: str = "same"
) -> tuple[int, list[Layer], list[Layer], str]:
    """A variant of the thesis's CNN (§5.1.2) drawn from ``rng``: the input side, the layers up to
    the flatten, the dense head, and the description the question gives."""
    n = int(rng.choice([28, 32, 48, 64]))
    k = int(rng.choice([3, 3, 5]))
    blocks = int(rng.integers(2, 5))
    first = int(rng.choice([8, 12, 16, 20, 24, 32, 40, 48, 64]))
    chans = [first * 2**b for b in range(blocks)]
    p = (k - 1) // 2 if padding == "same" else 0
    features: list[Layer] = []
    for c in chans:
        features += [*_conv_relu(c, k, padding=p), BatchNorm()]
        features += [*_conv_relu(c, k, padding=p), BatchNorm(), MaxPool2d(2)]
    features.append(Flatten())
    hidden = int(rng.choice([64, 100, 128, 256, 512]))
    head = [Dense(hidden), ReLU(), Dense(10)]
    desc = (
        f"{blocks} blocks of [conv {k}x{k} ('same' padding) + ReLU + batch norm, twice, then "
        f"max-pool 2x2], with {', '.join(map(str, chans))} filters, then flatten, dense {hidden} "
        f"+ ReLU and dense 10"
    )
    return n, features, head, desc


@generator(
    "cnn_training", "cnn_flatten", "The flattened size of a CNN with 'same' padding", "numeric"
)
def cnn_flatten(rng: np.random.Generator) -> Draft:
    state = rng.bit_generator.state
    n, features, _, desc = _thesis_cnn(rng)
    rng.bit_generator.state = state
    _, valid, _, _ = _thesis_cnn(rng, padding="valid")
    net = _network(features, n, "thesis CNN variant")
    size = net.output_shape[0]
    try:
        valid_size = _network(valid, n, "thesis CNN variant without padding").output_shape[0]
    except ValueError:  # the maps shrink to nothing without padding
        valid_size = None
    text = f"A CNN for ${n}\\times{n}$ grey images has {desc}. How many numbers does it flatten?"
    sides = [layer.out_shape for layer in net.layers if isinstance(layer, MaxPool2d)]
    sol = (
        (
            "'Same' padding keeps the size through each convolution, and each pooling halves it "
            "(rounding down): "
        )
        + " → ".join(f"{s[1]}x{s[2]}" for s in sides)
        + f"; so ${sides[-1][0]}\\cdot{sides[-1][1]}^2 = {size}$."
    )
    wrong = [(valid_size, M.VALID_NOT_SAME)] if valid_size else []
    return numeric(text, size, sol, wrong, data=dict(n=n, net=net))


@generator(
    "cnn_training", "cnn_trainable", "Trainable parameters of a CNN with batch norm", "numeric"
)
def cnn_trainable(rng: np.random.Generator) -> Draft:
    n, features, head, desc = _thesis_cnn(rng)
    net = _network(features + head, n, "thesis CNN variant")
    trained, tracked = net.n_params, net.n_buffers
    text = (
        f"A CNN for ${n}\\times{n}$ grey images has {desc}. How many trainable parameters does "
        f"it have (as Keras or torch count them)?"
    )
    sol = (
        f"Convolutions: $F((C)k^2 + 1)$ each; batch norm: $\\gamma$ and $\\beta$ per channel; "
        f"dense layers: $n_{{in}}n_{{out}} + n_{{out}}$. In all ${num(trained)}$ trainable, "
        f"besides ${num(tracked)}$ non-trainable running statistics."
    )
    return numeric(
        text,
        trained,
        sol,
        [(trained + tracked, M.RUNNING_TRAINABLE), (trained - _bias_count(net), M.NO_BIAS_PARAMS)],
        data=dict(n=n, net=net),
    )


@generator(
    "cnn_training",
    "cnn_non_trainable",
    "Non-trainable parameters of a CNN with batch norm",
    "numeric",
)
def cnn_non_trainable(rng: np.random.Generator) -> Draft:
    n, features, head, desc = _thesis_cnn(rng)
    net = _network(features + head, n, "thesis CNN variant")
    tracked = net.n_buffers
    chans = [layer.in_shape[0] for layer in net.layers if isinstance(layer, BatchNorm)]
    text = (
        f"A CNN for ${n}\\times{n}$ grey images has {desc}. How many non-trainable parameters "
        f"does it have (as Keras's summary counts them)?"
    )
    sol = (
        f"Only batch norm holds non-trainable numbers: a running mean and a running variance per "
        f"channel, $2\\cdot({' + '.join(map(str, chans))}) = {tracked}$ (the thesis's §5.1.2 "
        f"count of 384 is this rule)."
    )
    return numeric(
        text,
        tracked,
        sol,
        [(2 * tracked, M.FOUR_PER_CHANNEL), (0, M.RUNNING_TRAINABLE)],
        data=dict(n=n, net=net),
    )


# --------------------------------------------------------------------------------------------
# AlexNet
# --------------------------------------------------------------------------------------------


@generator("alexnet", "alexnet_conv1_size", "AlexNet's first layer: 224 or 227?", "numeric")
def alexnet_conv1_size(rng: np.random.Generator) -> Draft:
    n = int(rng.choice([224, 227]) if rng.random() < 0.3 else rng.integers(180, 300))
    p = int(rng.choice([0, 0, 1, 2, 3]))
    conv1 = Sequential([Conv2d(96, 11, stride=4, padding=p)], (3, n, n), name="AlexNet's conv1")
    size = conv1.output_shape[1]
    text = (
        f"AlexNet's first layer applies 96 kernels of size $11\\times 11$ with stride 4. What is "
        f"the side of its output for a ${n}\\times{n}$ input with zero padding {p}?"
    )
    exact = (n + 2 * p - 11) / 4
    sol = (
        f"$\\lfloor ({n} + {2 * p} - 11)/4\\rfloor + 1 = \\lfloor {fmt(exact)}\\rfloor + 1 = "
        f"{size}$"
    ) + (
        ". Only when $(n + 2p - 11)$ is a multiple of 4 do the windows tile the input "
        "exactly (227 without padding gives the paper's 55; 224 needs padding 2)."
        if exact != int(exact)
        else ": the windows tile the padded input exactly."
    )
    return numeric(text, size, sol, _size_mistakes(n, 11, 4, p), data=dict(n=n, p=p))


@generator("alexnet", "overlapping_pool_size", "The output of overlapping max pooling", "numeric")
def overlapping_pool_size(rng: np.random.Generator) -> Draft:
    n = int(rng.integers(7, 120))
    size = _network([MaxPool2d(3, 2)], n, "overlapping pooling").output_shape[1]
    text = (
        f"AlexNet pools with overlapping $3\\times 3$ windows and stride 2. What is the side of "
        f"the pooled map for a ${n}\\times{n}$ input (no padding)?"
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
    layer = Conv2d(f, k, padding=k // 2, groups=groups)
    total = Sequential([layer], (c, 13, 13), name="grouped convolution").n_params
    cg = layer.param_shapes()["weight"][1]
    text = (
        f"AlexNet split some layers over two GPUs: a convolution from {c} to {f} channels with "
        f"${k}\\times{k}$ kernels and groups = 2 (each half of the filters sees one half of the "
        f"channels). How many trained parameters does it have?"
    )
    sol = f"Each filter sees $C/G = {cg}$ channels: ${f}\\,({cg}\\cdot{k * k} + 1) = {num(total)}$."
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
