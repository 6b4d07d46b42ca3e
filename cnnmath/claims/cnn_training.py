"""Ledger: the thesis's CNN (§5.1.2) and its use on Fashion-MNIST (§5.2); chapter "Training CNNs".

The network is :func:`cnnmath.zoo.thesis_cnn`; the thesis's results (validation accuracy around
0.9, the confusion matrix of its Figure 33) are reproduced by the chapter's training, not here.
"""

from __future__ import annotations

import numpy as np

from .record import Finding, claim

CHAPTER = "cnn_training"


@claim(
    "thesis-5.1.2-same-padding",
    document="thesis",
    where="§5.1.2",
    stated="32 filters of size 3x3 'with a padding that makes the output size the same size as "
    "the "
    "input size', stride one",
    verdict="holds",
    correct="as stated: padding (3 - 1)/2 = 1 on each side",
    chapter=CHAPTER,
)
def _same() -> Finding:
    from ..zoo import thesis_cnn

    net = thesis_cnn()
    convs = [net.layer(f"conv{k}") for k in (1, 2, 3, 4)]
    ok = all(c.padding == (1, 1) and c.in_shape[1:] == c.out_shape[1:] for c in convs)
    return Finding(ok, ok, "; ".join(f"{c.name}: {c.in_shape} -> {c.out_shape}" for c in convs))


@claim(
    "thesis-5.1.2-bn-per-filter",
    document="thesis",
    where="§5.1.2",
    stated="a batch normalization layer 'contains two trainable parameters for each filter in "
    "the "
    "previous layer and two non-trainable parameters'",
    verdict="holds",
    correct="as stated: γ and β are trained, the running mean and variance are not",
    chapter=CHAPTER,
)
def _bn() -> Finding:
    from ..layers import BatchNorm
    from ..zoo import thesis_cnn

    net = thesis_cnn()
    rows = [
        (
            layer.in_shape[0],
            sum(int(np.prod(s)) for s in layer.param_shapes().values()),
            sum(int(np.prod(s)) for s in layer.buffer_shapes().values()),
        )
        for layer in net.layers
        if isinstance(layer, BatchNorm)
    ]
    ok = all(t == n == 2 * c for c, t, n in rows)
    return Finding(ok, ok, "channels, trainable, non-trainable per layer: " + str(rows))


@claim(
    "thesis-5.1.2-dropout",
    document="thesis",
    where="§5.1.2",
    stated="'a dropout ratio of 0.25, which means that for each round of training, 25 % of the "
    "output "
    "neurons in layer five are excluded from training'",
    verdict="holds",
    correct="as stated, on average: each unit is dropped with probability 0.25, independently "
    "in every "
    "training step (a different 25% each time); the others are scaled by 1/0.75",
    chapter=CHAPTER,
)
def _dropout() -> Finding:
    from ..dropout import dropout_forward

    x = np.ones((64, 32, 14, 14))
    fractions = [
        float(np.mean(dropout_forward(x, 0.25, np.random.default_rng(s), training=True)[0] == 0))
        for s in range(3)
    ]
    kept = dropout_forward(x, 0.25, np.random.default_rng(0), training=True)[0]
    ok = all(abs(f - 0.25) < 0.01 for f in fractions) and np.allclose(kept[kept > 0], 1 / 0.75)
    return Finding(
        ok,
        ok,
        f"fraction dropped in three steps: {np.round(fractions, 4).tolist()}; "
        "kept units "
        f"scaled to {kept.max():.4f}",
    )


@claim(
    "thesis-5.2-classes",
    document="thesis",
    where="§5.2",
    stated="70,000 grayscale images of 28x28x1; 10 categories of 7,000 images, 6,000 for "
    "training and "
    "1,000 for testing in each",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _classes() -> Finding:
    from ..data import load_fashion_mnist

    train, test = load_fashion_mnist()
    per_train, per_test = np.bincount(train.y, minlength=10), np.bincount(test.y, minlength=10)
    ok = (
        train.x.shape[1:] == test.x.shape[1:] == (1, 28, 28)
        and len(train) + len(test) == 70_000
        and set(per_train) == {6000}
        and set(per_test) == {1000}
    )
    return Finding(
        ok,
        ok,
        f"{len(train):,} + {len(test):,} images of {train.x.shape[1:]}; per "
        "class "
        f"{sorted(set(per_train.tolist()))} training, "
        f"{sorted(set(per_test.tolist()))} test",
    )


@claim(
    "thesis-5.2.2-lenet-smaller",
    document="thesis",
    where="§5.2.2",
    stated="'A smaller model could also have been used, such as LeNet-5 with the advantage of "
    "being a "
    "smaller model the speed of training could be faster'",
    verdict="holds",
    correct="as stated: LeNet-5 has about a quarter of the parameters and needs 44 times fewer "
    "multiply-adds per image (the chapter measures the training times)",
    chapter=CHAPTER,
)
def _smaller() -> Finding:
    from ..zoo import lenet5, thesis_cnn

    a, b = lenet5().summary(), thesis_cnn().summary()
    ok = a.total < b.total / 4 and b.macs > 40 * a.macs
    return Finding(
        ok,
        ok,
        f"LeNet-5 {a.total:,} parameters, {a.macs:,} multiply-adds; thesis CNN "
        f"{b.total:,} (+{b.non_trainable} non-trainable), {b.macs:,} "
        f"({b.macs / a.macs:.0f} times)",
    )
