"""Ledger: LeNet-5 in the thesis §3.6.1, the guide §4 and §7 and the slides' case study.

Chapter "LeNet-5". Every variant is built by :mod:`cnnmath.zoo` and counted by
:mod:`cnnmath.arch`; the published network of 1998 is the reference the sources simplify.
"""

from __future__ import annotations

import numpy as np

from .record import Finding, by_reference, claim

CHAPTER = "lenet5"
LECUN_1998 = (
    "LeCun, Bottou, Bengio & Haffner (1998), 'Gradient-based learning applied to "
    "document "
    "recognition', Proc. IEEE 86(11), §II.B and Table I"
)


def _trainable(summary, prefix: str) -> int:
    return sum(r.params for r in summary.rows if r.name.startswith(prefix + ":"))


@claim(
    "thesis-3.6.1-parameters",
    document="thesis",
    where="§3.6.1 and Figure 13",
    stated="6·(5·5+1) = 156, 16·(5·5·6+1) = 2416, 120·(400+1) = 48,120, 84·(120+1) = 10,164, "
    "10·(84+1) = 850: 61,706 parameters in all",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _thesis_params() -> Finding:
    from ..zoo import lenet5_thesis

    s = lenet5_thesis().summary()
    per_layer = [_trainable(s, n) for n in ("C1", "C3", "F5", "F6", "F7")]
    ok = per_layer == [156, 2416, 48120, 10164, 850] and s.total == 61706
    return Finding(ok, ok, f"computed per layer {per_layer}, total {s.total:,}")


@claim(
    "thesis-3.6.1-shapes",
    document="thesis",
    where="§3.6.1",
    stated="32x32x1 input; 28x28x6 after C1, 14x14x6 after max pooling, 10x10x16 after C3, "
    "5x5x16 after the second pooling, 400 neurons after flattening",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _thesis_shapes() -> Finding:
    from ..zoo import lenet5_thesis

    net = lenet5_thesis()
    shapes = [net.layer(n).out_shape for n in ("C1", "S2", "C3", "S4", "flatten1")]
    ok = shapes == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (400,)]
    return Finding(ok, ok, f"output shapes {shapes}")


@claim(
    "thesis-3.6.1-full-c3",
    document="thesis",
    where="§3.6.1",
    stated="LeNet-5's second convolution has 16 filters, and since its input is six matrices, "
    "'each "
    "filter is also six-dimensional': 16·(5·5·6+1) = 2416 parameters",
    verdict="convention",
    correct="so in the modern version the thesis draws; in LeNet-5 as published each C3 map "
    "reads only 3, "
    "4 or 6 of S2's maps (a fixed table), 60 kernels and 16 biases = 1,516 parameters, "
    "and the "
    "network has 60,000 trainable parameters, not 61,706",
    reference=LECUN_1998,
    chapter=CHAPTER,
)
def _full_c3() -> Finding:
    from ..zoo import lenet5_1998, lenet5_thesis

    full, published = lenet5_thesis().summary(), lenet5_1998().summary()
    c3_full, c3_table = _trainable(full, "C3"), _trainable(published, "C3")
    return Finding(
        c3_full == 2416 and full.total == 61706,
        c3_table == 1516 and published.total == 60000,
        f"C3: full {c3_full:,}, table {c3_table:,}; totals {full.total:,} and "
        f"{published.total:,} (+{published.non_trainable} fixed RBF prototypes)",
    )


@claim(
    "guide-4-hidden-layers",
    document="guide",
    where="§4 LeNet-5",
    stated="LeNet-5 consists of 6 hidden layers: 3 convolutional layers, 2 subsampling "
    "(average-pooling) layers and 1 fully connected layer",
    verdict="holds",
    correct="as stated for the guide's model (C1, S2, C3, S4, C5, F6; the output layer is not "
    "hidden)",
    chapter=CHAPTER,
)
def _hidden_layers() -> Finding:
    from ..layers import AvgPool2d, Conv2d, Dense
    from ..zoo import lenet5_keras

    layers = lenet5_keras().layers
    counts = [sum(isinstance(layer, t) for layer in layers) for t in (Conv2d, AvgPool2d, Dense)]
    ok = counts == [3, 2, 2]  # two dense layers: F6 (hidden) and the output
    return Finding(
        ok, ok, f"conv {counts[0]}, average pooling {counts[1]}, dense {counts[2]} (F6 and output)"
    )


@claim(
    "guide-4-subsampling-is-average-pooling",
    document="guide",
    where="§4 and §7.1",
    stated="LeNet-5's subsampling layers are average-pooling layers ('switching subsampling "
    "layers with "
    "average-pooling' is the modern touch of §7)",
    verdict="convention",
    correct="the published subsampling sums each 2x2 window, multiplies by a trainable "
    "coefficient and adds "
    "a trainable bias per map (12 parameters in S2, 32 in S4); it equals average "
    "pooling only with "
    "coefficient 1/4 and bias 0",
    reference=LECUN_1998,
    chapter=CHAPTER,
)
def _subsampling() -> Finding:
    from ..pool import avgpool_forward
    from ..subsampling import subsample_forward

    x = np.random.default_rng(5).normal(size=(2, 6, 28, 28))
    avg = avgpool_forward(x, 2)[0]
    same = np.allclose(subsample_forward(x, np.full(6, 0.25), np.zeros(6))[0], avg)
    trained = subsample_forward(x, np.linspace(0.1, 1.0, 6), np.linspace(-1, 1, 6))[0]
    return Finding(
        same,
        same and not np.allclose(trained, avg),
        "coefficient 1/4, bias 0: equal to average pooling; other values: a different "
        "map; "
        "parameters 6·2 = 12 (S2) and 16·2 = 32 (S4)",
    )


@claim(
    "guide-7-shapes",
    document="guide",
    where="§7.2 (layer-by-layer breakdown)",
    stated="C1 6@28x28, S2 6@14x14, C3 16@10x10, S4 16@5x5, C5 120 maps of 1x1, F6 84, output 10",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _guide_shapes() -> Finding:
    from ..zoo import lenet5_keras

    net = lenet5_keras()
    shapes = [net.layer(n).out_shape for n in ("C1", "S2", "C3", "S4", "C5", "F6", "Output")]
    ok = shapes == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120, 1, 1), (84,), (10,)]
    return Finding(ok, ok, f"output shapes {shapes}; {net.n_params:,} parameters")


@claim(
    "guide-7-c5-kernel-comment",
    document="guide",
    where="§7.2, the comment on C5 in the Keras code",
    stated="'kernel size is smaller than original LeNet-5 in this layer because our images are "
    "smaller "
    "than what LeNet-5 was trained on'",
    verdict="wrong",
    correct="the guide's model takes 32x32 images, as LeNet-5 did, and its C5 has the "
    "original's 5x5 "
    "kernels over S4's 5x5 maps (output 1x1, 48,120 parameters in both)",
    reference=LECUN_1998,
    chapter=CHAPTER,
)
def _c5_comment() -> Finding:
    from ..zoo import lenet5_1998, lenet5_keras

    guide, published = lenet5_keras(), lenet5_1998()
    same_input = guide.input_shape == published.input_shape == (1, 32, 32)
    k_guide, k_1998 = guide.layer("C5").kernel, published.layer("C5").kernel
    params = [
        n.summary().row(next(r.name for r in n.summary().rows if r.name.startswith("C5"))).params
        for n in (guide, published)
    ]
    correct = (
        same_input
        and k_guide == k_1998 == (5, 5)
        and params == [48120, 48120]
        and guide.layer("C5").out_shape == published.layer("C5").out_shape == (120, 1, 1)
    )
    return Finding(
        k_guide < k_1998 or not same_input,
        correct,
        f"inputs {guide.input_shape} and {published.input_shape}; C5 kernels {k_guide} "
        "and "
        f"{k_1998}; C5 parameters {params}",
    )


@claim(
    "guide-7-c5-convolution",
    document="guide",
    where="§7.2 (C5 as Conv2D)",
    stated="C5 is a convolutional layer of 120 5x5 filters (the thesis counts the same layer as "
    "the first "
    "fully connected layer, 120·(400+1) = 48,120)",
    verdict="convention",
    correct="both hold: on a 5x5 input a 5x5 convolution without padding is a dense layer on "
    "the "
    "flattened 400 values, with the same 48,120 parameters and the same outputs",
    chapter=CHAPTER,
)
def _c5_dense() -> Finding:
    from ..conv import conv2d_forward
    from ..dense import affine_forward

    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(4, 16, 5, 5)), rng.normal(size=(120, 16, 5, 5)), rng.normal(size=120)
    conv = conv2d_forward(x, w, b)[0]
    dense = affine_forward(x.reshape(4, 400), w.reshape(120, 400), b)[0]
    ok = (
        conv.shape == (4, 120, 1, 1)
        and np.allclose(conv[:, :, 0, 0], dense)
        and w.size + b.size == 48120
    )
    return Finding(ok, ok, f"max |conv - dense| = {np.abs(conv[:, :, 0, 0] - dense).max():.1e}")


@claim(
    "slides-lenet5-28x28",
    document="slides",
    where="'Simplified LeNet-5 for 28x28 MNIST Dataset'",
    stated="'Many modern implementations skip padding to 32x32 and apply LeNet-5 directly to "
    "28x28 "
    "inputs': (256 + 1)·120 + ... = 44,426 parameters",
    verdict="convention",
    correct="both are in use: without padding 16·4·4 = 256 values reach F5 (44,426 parameters); "
    "padding "
    "28x28 by 2 (this book's LeNet-5) or using 32x32 inputs gives 400 and 61,706, a "
    "difference of "
    "144·120 = 17,280 weights in F5 alone",
    chapter=CHAPTER,
)
def _slides_28() -> Finding:
    from ..zoo import lenet5, lenet5_slides

    simple, padded = lenet5_slides(), lenet5()
    flat = simple.layer("flatten1").out_shape[0], padded.layer("flatten1").out_shape[0]
    diff = padded.n_params - simple.n_params
    return Finding(
        simple.n_params == 44426 and flat[0] == 256,
        padded.n_params == 61706 and flat[1] == 400 and diff == (400 - 256) * 120,
        f"28x28 unpadded: flatten {flat[0]}, {simple.n_params:,} parameters; padded: "
        "flatten "
        f"{flat[1]}, {padded.n_params:,}; difference {diff:,}",
    )


@claim(
    "slides-lenet5-44426K",
    document="slides",
    where="'Simplified LeNet-5 for 28x28 MNIST Dataset'",
    stated="'This simplified LeNet-5 for MNIST can achieve more 99.36% accuracy with only "
    "44,426K parameters'",
    verdict="wording",
    correct="44,426 parameters (44.4K), as the slide's own sum 2572 + 41,854 = 44,426 says two "
    "lines above: the 'K' is a slip of the unit, and 44,426K read literally would be 44 million",
    chapter=CHAPTER,
)
def _slides_k() -> Finding:
    from ..zoo import lenet5_slides

    n = lenet5_slides().n_params
    return Finding(
        n == 44_426_000, n == 44_426 == 2572 + 41_854, f"computed {n:,} = 2,572 + 41,854"
    )


@claim(
    "slides-lenet5-five-layers",
    document="slides",
    where="'LeNet-5 for Fashion MNIST Dataset'",
    stated="'a 5-layer CNN' (the simplified LeNet-5)",
    verdict="holds",
    correct="as stated, counting the layers with weights: two convolutions and three dense layers",
    chapter=CHAPTER,
)
def _five() -> Finding:
    from ..zoo import lenet5_slides

    weighted = [layer.name for layer in lenet5_slides().layers if layer.param_shapes()]
    return Finding(len(weighted) == 5, len(weighted) == 5, f"layers with weights: {weighted}")


FUKUSHIMA = (
    "Fukushima (1979), 'Neural network model for a mechanism of pattern recognition unaffected "
    "by shift in position: Neocognitron', Trans. IECE Japan J62-A(10) (in Japanese); Fukushima "
    "(1980), Biological Cybernetics 36"
)


@claim(
    "thesis-3.6.1-fukushima-1979",
    document="thesis",
    where="§3.6.1",
    stated="'As early as 1979, Kunihiko Fukushima proposed the ConvNet, an artificial neural "
    "network of complex and simple cells, very similar to the convolution and pooling layers we "
    "have today'",
    verdict="holds",
    correct="as stated: the neocognitron, first published in Japanese in 1979 and in English in "
    "1980; its S-cells are convolution-like and its C-cells pooling-like",
    reference=FUKUSHIMA,
    chapter=CHAPTER,
)
def _fukushima() -> Finding:
    return by_reference(True, "the neocognitron: 1979 (in Japanese), 1980 (in English)")


@claim(
    "thesis-3.6.1-weight-sharing-1989",
    document="thesis",
    where="§3.6.1",
    stated="'In 1989, LeCun and others proposed the weight sharing method and derived the "
    "modern convolution and pooling layers'",
    verdict="wrong",
    correct="weight sharing is older: the neocognitron's cells of one plane share their input "
    "weights (1980), and Rumelhart, Hinton & Williams (1986) trained shared weights by "
    "backpropagation, summing the gradients of the tied copies. LeCun et al. (1989) brought "
    "shared weights trained by backpropagation to handwritten digits, the network that led to "
    "LeNet-5",
    reference=f"{FUKUSHIMA}; Rumelhart, Hinton & Williams (1986), 'Learning internal "
    "representations by error propagation', in Parallel Distributed Processing, vol. 1, ch. 8; "
    "LeCun et al. (1989), 'Backpropagation applied to handwritten zip code recognition', Neural "
    "Computation 1(4)",
    chapter=CHAPTER,
)
def _weight_sharing() -> Finding:
    return by_reference(
        False, "shared weights: Fukushima 1980; trained by backpropagation: Rumelhart et al. 1986"
    )
