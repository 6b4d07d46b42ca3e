"""The book's named networks, each described once, as a list of layers.

Every function returns a :class:`cnnmath.network.Sequential`; its architecture table, its torch
twin and its training all read that one description. :mod:`cnnmath.chain_rule` writes the MLP
and LeNet-5 out by hand, layer by layer, for reading; it is tested equal to :func:`mlp` and
:func:`lenet5`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .arguments import flag, in_range, layer_sizes, positive_int, shape_tuple
from .arguments import seed as check_seed
from .connection_table import LENET5_C3_TABLE
from .layers import (
    LRN,
    Activation,
    AvgPool2d,
    BatchNorm,
    Conv2d,
    ConvTranspose2d,
    Dense,
    Dropout,
    EuclideanRBF,
    Flatten,
    MaxPool2d,
    ReLU,
    Sigmoid,
    Subsampling,
    TableConv2d,
    Tanh,
    Unflatten,
)
from .lrn import ALEXNET as ALEXNET_LRN
from .network import Sequential, check_network


def _lenet5_layers(c1_padding: int) -> list:
    """C1 conv 6@5x5 - ReLU - S2 max-pool 2 - C3 conv 16@5x5 - ReLU - S4 max-pool 2 - flatten -
    F5 dense 120 - ReLU - F6 dense 84 - ReLU - F7 dense 10: the ReLU/max-pool LeNet-5 that the
    book trains, the thesis draws and the slides simplify; they differ only in C1's padding and
    the input size."""
    return [
        Conv2d(6, 5, padding=c1_padding, name="C1"),
        ReLU(),
        MaxPool2d(2, name="S2"),
        Conv2d(16, 5, name="C3"),
        ReLU(),
        MaxPool2d(2, name="S4"),
        Flatten(),
        Dense(120, name="F5"),
        ReLU(),
        Dense(84, name="F6"),
        ReLU(),
        Dense(10, name="F7"),
    ]


def _net(layers: list, input_shape: tuple, name: str, loss: str = "softmax_cross_entropy"):
    """The book's networks compute in float32 unless a state is made in another precision."""
    return Sequential(layers, input_shape, loss=loss, name=name, dtype=np.float32)


def mlp(sizes: Sequence[int], activation: str = "relu", init: str | None = None) -> Sequential:
    """A multilayer perceptron with layer sizes ``(n_0, n_1, ..., n_L)``: ``L`` dense layers
    ``dense1 ... denseL``, the activation ``activation`` after each but the last (whose output is
    the logits), so :math:`Z^{(l)} = A^{(l-1)} W^{(l)T} + \\mathbf b^{(l)}`,
    :math:`A^{(l)} = f(Z^{(l)})`.

    Weights are drawn by ``init`` (He-normal for the ReLU family, Glorot-normal otherwise, as
    :mod:`cnnmath.init` recommends), biases are zero. In float64 by default, as the chapters that
    check it against SymPy and finite differences need. :mod:`cnnmath.chain_rule` writes the same
    network out by hand.
    """
    sizes = layer_sizes(sizes)
    if not isinstance(activation, str) or activation not in Activation.FUNCTIONS:
        raise ValueError(
            f"activation must be one of {sorted(Activation.FUNCTIONS)}; got {activation!r}"
        )
    rule = init or ("he_normal" if activation in ("relu", "leaky_relu", "elu") else "glorot_normal")
    L = len(sizes) - 1
    layers: list = []
    for l in range(1, L + 1):
        layers.append(Dense(sizes[l], init=rule, name=f"dense{l}"))
        if l < L:
            layers.append(Activation(activation, name=f"{activation}{l}"))
    return Sequential(
        layers, (sizes[0],), name="MLP " + "-".join(map(str, sizes)), dtype=np.float64
    )


def lenet5() -> Sequential:
    """LeNet-5 for 28x28 images as the book trains it (thesis §3.6.1 with padding 2 on C1).

    C1 conv 6@5x5 (padding 2) - ReLU - S2 max-pool 2 - C3 conv 16@5x5 - ReLU - S4 max-pool 2 -
    flatten (400) - F5 dense 120 - ReLU - F6 dense 84 - ReLU - output dense 10 (logits);
    He-initialized, the same draws as :func:`cnnmath.chain_rule.lenet5_params`.
    """
    layers = _lenet5_layers(c1_padding=2)
    return _net(layers, (1, 28, 28), name="LeNet-5 (28x28, ReLU, max-pool)")


def thesis_cnn(
    input_shape: tuple[int, int, int] = (1, 28, 28),
    dropout: float = 0.25,
) -> Sequential:
    """The thesis's CNN (§5.1.2, used for Fashion-MNIST in §5.2).

    Two blocks of [conv 3x3 same padding - ReLU - batch norm] x 2 - max-pool 2 - dropout 0.25, with
    32 and then 64 filters; flatten - dense 64 - ReLU - dropout 0.25 - dense 10 (softmax in the loss).
    """

    def block(filters: int, k: int) -> list:
        return [
            Conv2d(filters, 3, padding=1, name=f"conv{k}"),
            ReLU(name=f"relu{k}"),
            BatchNorm(name=f"bn{k}"),
            Conv2d(filters, 3, padding=1, name=f"conv{k + 1}"),
            ReLU(name=f"relu{k + 1}"),
            BatchNorm(name=f"bn{k + 1}"),
            MaxPool2d(2, name=f"pool{k // 2 + 1}"),
            Dropout(dropout, name=f"drop{k // 2 + 1}"),
        ]

    dropout = in_range(dropout, "dropout", 0, 1, high_open=True)
    input_shape = shape_tuple(input_shape, "input_shape", 3)
    layers = [
        *block(32, 1),
        *block(64, 3),
        Flatten(),
        Dense(64, name="dense1"),
        ReLU(name="relu5"),
        Dropout(dropout, name="drop3"),
        Dense(10, name="dense2"),
    ]
    return _net(layers, input_shape, name="thesis CNN (§5.1.2)")


# --------------------------------------------------------------------------------------------
# AlexNet (thesis §3.6.2, guide §5, slides; Krizhevsky, Sutskever and Hinton 2012)
# --------------------------------------------------------------------------------------------


def alexnet(
    input_size: int = 227,
    conv1_padding: int = 0,
    num_classes: int = 1000,
    groups: int = 2,
    lrn: bool = True,
) -> Sequential:
    """AlexNet as the paper and the thesis describe it, its two GPU towers as grouped convolutions.

    conv1 96@11x11 stride 4 - ReLU - LRN - max-pool 3 stride 2 -
    conv2 256@5x5 padding 2, groups 2 - ReLU - LRN - max-pool 3 stride 2 -
    conv3 384@3x3 padding 1 (sees both towers) - ReLU - conv4 384@3x3 padding 1, groups 2 - ReLU -
    conv5 256@3x3 padding 1, groups 2 - ReLU - max-pool 3 stride 2 - flatten -
    fc6 4096 - ReLU - dropout 0.5 - fc7 4096 - ReLU - dropout 0.5 - fc8 ``num_classes`` (logits).

    LRN is the paper's (k = 2, n = 5, alpha = 1e-4, beta = 0.75), :data:`cnnmath.lrn.ALEXNET` in
    torch's convention. The input is ``(3, input_size, input_size)``: 227 gives the 55x55 maps and
    the 9216 features of the paper and the thesis; 224, the size both state, gives 54x54 maps and
    6400 features unless ``conv1_padding=2``. ``groups=1`` joins the towers, ``lrn=False`` drops
    the normalization (both change the network: for comparisons).
    """
    input_size = positive_int(input_size, "input_size")
    conv1_padding = positive_int(conv1_padding, "conv1_padding", minimum=0)
    num_classes, lrn = positive_int(num_classes, "num_classes"), flag(lrn, "lrn")
    g = positive_int(groups, "groups")

    def norm(k: int) -> list:
        return [LRN(**ALEXNET_LRN, name=f"lrn{k}")] if lrn else []

    layers = [
        Conv2d(96, 11, stride=4, padding=conv1_padding, name="conv1"),
        ReLU(name="relu1"),
        *norm(1),
        MaxPool2d(3, 2, name="pool1"),
        Conv2d(256, 5, padding=2, groups=g, name="conv2"),
        ReLU(name="relu2"),
        *norm(2),
        MaxPool2d(3, 2, name="pool2"),
        Conv2d(384, 3, padding=1, name="conv3"),
        ReLU(name="relu3"),
        Conv2d(384, 3, padding=1, groups=g, name="conv4"),
        ReLU(name="relu4"),
        Conv2d(256, 3, padding=1, groups=g, name="conv5"),
        ReLU(name="relu5"),
        MaxPool2d(3, 2, name="pool3"),
        Flatten(name="flatten"),
        Dense(4096, name="fc6"),
        ReLU(name="relu6"),
        Dropout(0.5, name="drop6"),
        Dense(4096, name="fc7"),
        ReLU(name="relu7"),
        Dropout(0.5, name="drop7"),
        Dense(num_classes, name="fc8"),
    ]
    what = f"{input_size}x{input_size}, groups {g}" + (", LRN" if lrn else "")
    return _net(layers, (3, input_size, input_size), name=f"AlexNet ({what})")


#: Where :func:`alexnet_one_tower`'s layers sit in ``torchvision.models.alexnet`` (and in
#: :func:`torchvision_alexnet`): our layer name -> torchvision's module path.
TORCHVISION_ALEXNET_NAMES: dict[str, str] = {
    "conv1": "features.0",
    "conv2": "features.3",
    "conv3": "features.6",
    "conv4": "features.8",
    "conv5": "features.10",
    "fc6": "classifier.1",
    "fc7": "classifier.4",
    "fc8": "classifier.6",
}


def alexnet_one_tower(num_classes: int = 1000) -> Sequential:
    """The single-tower AlexNet of ``torchvision.models.alexnet`` (after Krizhevsky 2014), 224x224.

    conv1 64@11x11 stride 4 padding 2 - ReLU - max-pool 3/2 - conv2 192@5x5 padding 2 - ReLU -
    max-pool 3/2 - conv3 384@3x3 padding 1 - ReLU - conv4 256@3x3 padding 1 - ReLU -
    conv5 256@3x3 padding 1 - ReLU - max-pool 3/2 - flatten (9216) - dropout 0.5 - fc6 4096 -
    ReLU - dropout 0.5 - fc7 4096 - ReLU - fc8 ``num_classes``. No LRN, no groups. torchvision
    puts an adaptive average pool to 6x6 before the flatten: the identity at 224x224 (tested).
    """
    num_classes = positive_int(num_classes, "num_classes")
    layers = [
        Conv2d(64, 11, stride=4, padding=2, name="conv1"),
        ReLU(name="relu1"),
        MaxPool2d(3, 2, name="pool1"),
        Conv2d(192, 5, padding=2, name="conv2"),
        ReLU(name="relu2"),
        MaxPool2d(3, 2, name="pool2"),
        Conv2d(384, 3, padding=1, name="conv3"),
        ReLU(name="relu3"),
        Conv2d(256, 3, padding=1, name="conv4"),
        ReLU(name="relu4"),
        Conv2d(256, 3, padding=1, name="conv5"),
        ReLU(name="relu5"),
        MaxPool2d(3, 2, name="pool3"),
        Flatten(name="flatten"),
        Dropout(0.5, name="drop6"),
        Dense(4096, name="fc6"),
        ReLU(name="relu6"),
        Dropout(0.5, name="drop7"),
        Dense(4096, name="fc7"),
        ReLU(name="relu7"),
        Dense(num_classes, name="fc8"),
    ]
    return _net(layers, (3, 224, 224), name="AlexNet, one tower (torchvision)")


def torchvision_alexnet(num_classes: int = 1000, dropout: float = 0.5):
    """``torchvision.models.alexnet(weights=None)``'s architecture rebuilt from ``torch.nn``
    (modules ``features``, ``avgpool``, ``classifier`` at torchvision's paths, torch's default
    initialization). Nothing is downloaded and torchvision is not needed."""
    import torch
    from torch import nn

    num_classes = positive_int(num_classes, "num_classes")
    dropout = in_range(dropout, "dropout", 0, 1)

    class AlexNet(nn.Module):
        def __init__(self):
            super().__init__()
            relu = [nn.ReLU(inplace=True) for _ in range(7)]
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, 11, stride=4, padding=2),
                relu[0],
                nn.MaxPool2d(3, 2),
                nn.Conv2d(64, 192, 5, padding=2),
                relu[1],
                nn.MaxPool2d(3, 2),
                nn.Conv2d(192, 384, 3, padding=1),
                relu[2],
                nn.Conv2d(384, 256, 3, padding=1),
                relu[3],
                nn.Conv2d(256, 256, 3, padding=1),
                relu[4],
                nn.MaxPool2d(3, 2),
            )
            self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
            self.classifier = nn.Sequential(
                nn.Dropout(dropout),
                nn.Linear(256 * 6 * 6, 4096),
                relu[5],
                nn.Dropout(dropout),
                nn.Linear(4096, 4096),
                relu[6],
                nn.Linear(4096, num_classes),
            )

        def forward(self, x):
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))

    return AlexNet()


def alexnet_fashion(
    activation: str = "relu",
    dropout: float = 0.5,
    overlapping: bool = True,
    lrn: bool = True,
    widths: tuple[int, int, int, int, int] = (8, 16, 24, 24, 16),
    hidden: int = 128,
) -> Sequential:
    """AlexNet's pattern at Fashion-MNIST's scale (1x28x28 input, 10 classes), for experiments.

    conv1 3x3 - act - LRN - pool1 - conv2 3x3, groups 2 - act - LRN - pool2 - conv3 3x3 - act -
    conv4 3x3, groups 2 - act - conv5 3x3, groups 2 - act - pool3 - flatten - fc6 ``hidden`` -
    act - dropout - fc7 ``hidden`` - act - dropout - fc8 10. Every convolution keeps the size
    (padding 1); the filters are ``widths``; the LRN is the paper's. Pooling halves the size,
    28 -> 14 -> 7 -> 3, with AlexNet's overlapping 3x3 windows at stride 2 (padded by 1 where the
    size is even, so that the output sizes match) or with non-overlapping 2x2 windows
    (``overlapping=False``). ``activation`` names a function of :mod:`cnnmath.activations`
    ("relu", "tanh", ...); ``dropout=0`` leaves the dropout layers out.
    """

    if not isinstance(activation, str) or activation not in Activation.FUNCTIONS:
        raise ValueError(
            f"activation: unknown activation {activation!r}; expected one of "
            f"{sorted(Activation.FUNCTIONS)}"
        )
    dropout = in_range(dropout, "dropout", 0, 1, high_open=True)
    overlapping, lrn = flag(overlapping, "overlapping"), flag(lrn, "lrn")
    widths = shape_tuple(widths, "widths", 5)
    if min(widths) < 1:
        raise ValueError(f"widths must be 5 positive filter counts; got {widths}")
    hidden = positive_int(hidden, "hidden")

    def pool(k: int, size: int) -> MaxPool2d:
        if overlapping:
            return MaxPool2d(3, 2, padding=1 - size % 2, name=f"pool{k}")
        return MaxPool2d(2, 2, name=f"pool{k}")

    def act(k: int) -> Activation:
        return Activation(activation, name=f"{activation}{k}")

    def drop(k: int) -> list:
        return [Dropout(dropout, name=f"drop{k}")] if dropout > 0 else []

    def norm(k: int) -> list:
        return [LRN(**ALEXNET_LRN, name=f"lrn{k}")] if lrn else []

    w1, w2, w3, w4, w5 = widths
    layers = [
        Conv2d(w1, 3, padding=1, name="conv1"),
        act(1),
        *norm(1),
        pool(1, 28),
        Conv2d(w2, 3, padding=1, groups=2, name="conv2"),
        act(2),
        *norm(2),
        pool(2, 14),
        Conv2d(w3, 3, padding=1, name="conv3"),
        act(3),
        Conv2d(w4, 3, padding=1, groups=2, name="conv4"),
        act(4),
        Conv2d(w5, 3, padding=1, groups=2, name="conv5"),
        act(5),
        pool(3, 7),
        Flatten(name="flatten"),
        Dense(hidden, name="fc6"),
        act(6),
        *drop(6),
        Dense(hidden, name="fc7"),
        act(7),
        *drop(7),
        Dense(10, name="fc8"),
    ]
    what = f"{activation}, dropout {dropout:g}, " + ("3x3/2" if overlapping else "2x2/2") + " pools"
    return _net(layers, (1, 28, 28), name=f"AlexNet-style, Fashion-MNIST ({what})")


# --------------------------------------------------------------------------------------------
# The convolutional autoencoder (guide §6)
# --------------------------------------------------------------------------------------------


def autoencoder(
    code_size: int = 32,
    input_shape: tuple[int, int, int] = (1, 28, 28),
    channels: tuple[int, int] = (8, 16),
) -> Sequential:
    """A convolutional autoencoder (guide §6): encoder, a code of ``code_size`` numbers, decoder.

    Encoder: conv c1@3x3 (stride 2, padding 1) - ReLU - conv c2@3x3 (stride 2, padding 1) - ReLU -
    flatten - dense ``code_size`` (the code, layer ``"code"``, linear). Decoder: dense
    c2·(H/4)·(W/4) - ReLU - unflatten - conv-transpose c1@3x3 (stride 2, padding 1, output
    padding 1) - ReLU - conv-transpose C@3x3 (the same) - sigmoid. Each strided convolution halves
    the side and each transposed convolution doubles it, so H and W must be multiples of 4.
    The loss is ``"mse"``: trained with the input as its own target, pixels in [0, 1].
    """
    C, H, W = shape_tuple(input_shape, "input_shape", 3)
    code_size = positive_int(code_size, "code_size")
    c1, c2 = shape_tuple(channels, "channels", 2)
    if min(c1, c2) < 1:
        raise ValueError(f"channels must be two positive filter counts; got {channels!r}")
    if min(C, H, W) < 1 or H % 4 or W % 4:
        raise ValueError(
            f"the autoencoder halves the side twice and doubles it twice: H and W "
            f"must be positive multiples of 4; got input_shape {tuple(input_shape)}"
        )
    layers = [
        Conv2d(c1, 3, stride=2, padding=1, name="enc1"),
        ReLU(name="enc1_relu"),
        Conv2d(c2, 3, stride=2, padding=1, name="enc2"),
        ReLU(name="enc2_relu"),
        Flatten(),
        Dense(code_size, name="code"),
        Dense(c2 * (H // 4) * (W // 4), name="dec0"),
        ReLU(name="dec0_relu"),
        Unflatten((c2, H // 4, W // 4)),
        ConvTranspose2d(c1, 3, stride=2, padding=1, output_padding=1, name="dec1"),
        ReLU(name="dec1_relu"),
        ConvTranspose2d(C, 3, stride=2, padding=1, output_padding=1, name="dec2"),
        Sigmoid(name="output"),
    ]
    return _net(
        layers,
        (C, H, W),
        loss="mse",
        name=f"convolutional autoencoder (code {code_size})",
    )


# --------------------------------------------------------------------------------------------
# LeNet-5 as each source describes it (chapter "LeNet-5")
# --------------------------------------------------------------------------------------------


def lenet5_thesis() -> Sequential:
    """LeNet-5 as the thesis §3.6.1 draws it: 32x32x1 input, no padding, max pooling.

    C1 conv 6@5x5 - S2 max-pool 2 - C3 conv 16@5x5 - S4 max-pool 2 - flatten (400) - dense 120 -
    dense 84 - dense 10 (softmax in the loss). The thesis names no activation for LeNet-5; ReLU
    here, as in the book's trained version (:func:`lenet5`).
    """
    layers = _lenet5_layers(c1_padding=0)
    return _net(layers, (1, 32, 32), name="LeNet-5, thesis §3.6.1")


def lenet5_keras() -> Sequential:
    """The guide's "modified LeNet-5" (§7, Keras): tanh, average pooling, C5 as a convolution.

    32x32x1 - C1 conv 6@5x5 tanh - S2 avg-pool 2 - C3 conv 16@5x5 tanh - S4 avg-pool 2 - C5 conv
    120@5x5 tanh (output 1x1) - flatten - F6 dense 84 tanh - output dense 10 (softmax). Keras's
    default Glorot-uniform initialization.
    """
    init = "glorot_uniform"
    layers = [
        Conv2d(6, 5, init=init, name="C1"),
        Tanh(),
        AvgPool2d(2, name="S2"),
        Conv2d(16, 5, init=init, name="C3"),
        Tanh(),
        AvgPool2d(2, name="S4"),
        Conv2d(120, 5, init=init, name="C5"),
        Tanh(),
        Flatten(name="Flatten"),
        Dense(84, init=init, name="F6"),
        Tanh(),
        Dense(10, init=init, name="Output"),
    ]
    return _net(layers, (1, 32, 32), name="modified LeNet-5, guide §7")


def lenet5_slides() -> Sequential:
    """The slides' "simplified LeNet-5 for 28x28": no padding, so 16 maps of 4x4 (256) reach F5.

    C1 conv 6@5x5 (24x24) - S2 pool 2 (12x12) - C3 conv 16@5x5 (8x8) - S4 pool 2 (4x4) - flatten
    (256) - dense 120 - dense 84 - dense 10. The slide shows no activation or pooling type; ReLU and
    max pooling here, as in :func:`lenet5`.
    """
    layers = _lenet5_layers(c1_padding=0)
    return _net(layers, (1, 28, 28), name="simplified LeNet-5 (28x28), slides")


def lenet5_1998(trainable_rbf: bool = False, prototype_seed: int = 0) -> Sequential:
    """LeNet-5 as published (LeCun, Bottou, Bengio & Haffner 1998, §II.B), as far as it is computable.

    32x32x1 - C1 conv 6@5x5 - S2 trainable subsampling - C3 conv 16@5x5 on the partial connection
    table (:data:`cnnmath.connection_table.LENET5_C3_TABLE`) - S4 trainable subsampling - C5 conv
    120@5x5 - F6 dense 84 - output: 10 Euclidean RBF units with fixed prototypes. A squashing
    function follows every layer up to F6: plain tanh here (the paper's is
    :math:`1.7159\\tanh(2a/3)`); the prototypes are random :math:`\\pm 1` codes, not the paper's
    hand-drawn bitmaps. 60,000 trainable parameters and 840 fixed ones.
    """
    trainable_rbf = flag(trainable_rbf, "trainable_rbf")
    layers = [
        Conv2d(6, 5, name="C1"),
        Tanh(),
        Subsampling(2, name="S2"),
        Tanh(),
        TableConv2d(LENET5_C3_TABLE, 5, name="C3"),
        Tanh(),
        Subsampling(2, name="S4"),
        Tanh(),
        Conv2d(120, 5, name="C5"),
        Tanh(),
        Flatten(),
        Dense(84, name="F6"),
        Tanh(),
        EuclideanRBF(
            10,
            seed=check_seed(prototype_seed, "prototype_seed"),
            trainable=trainable_rbf,
            name="RBF",
        ),
    ]
    return _net(layers, (1, 32, 32), name="LeNet-5 as published in 1998")


def connections(net: Sequential) -> dict[str, int]:
    """The paper's "connections" of each layer: for every output unit, its inputs plus its bias.

    A convolution's output unit reads ``C/groups * KH * KW`` inputs (only the table's maps for a
    partially connected one), a subsampling unit its window, a dense unit all its inputs, an RBF
    unit all its inputs (no bias). Weight sharing is why a layer has many more connections than
    parameters. Layers that only squash, pool or reshape are left out.
    """
    check_network(net)
    out = {}
    for layer in net.layers:
        if isinstance(layer, TableConv2d):
            per_map = layer.table.sum(axis=0) * layer.kernel[0] * layer.kernel[1] + int(layer.bias)
            out[layer.name] = int(per_map.sum()) * layer.out_shape[1] * layer.out_shape[2]
        elif isinstance(layer, Conv2d):
            fan_in = layer.in_shape[0] // layer.groups * layer.kernel[0] * layer.kernel[1] + int(
                layer.bias
            )
            out[layer.name] = int(np.prod(layer.out_shape)) * fan_in
        elif isinstance(layer, Subsampling):
            out[layer.name] = int(np.prod(layer.out_shape)) * (
                layer.kernel[0] * layer.kernel[1] + 1
            )
        elif isinstance(layer, Dense):
            out[layer.name] = layer.units * (layer.in_shape[0] + int(layer.bias))
        elif isinstance(layer, EuclideanRBF):
            out[layer.name] = layer.units * layer.in_shape[0]
    return out
