"""The book's named networks, each described once, as a list of layers.

Every function returns a :class:`cnnmath.network.Sequential`; its architecture table, its torch
twin and its training all read that one description. The hand-unrolled LeNet-5 of
:mod:`cnnmath.cnn` stays beside these as the chain rule written out, tested equal to
:func:`lenet5`.
"""
from __future__ import annotations

import numpy as np

from .layers import BatchNorm, Conv2d, Dense, Dropout, Flatten, MaxPool2d, ReLU
from .network import Sequential


def lenet5(seed: int = 0, dtype: type = np.float32) -> Sequential:
    """LeNet-5 for 28x28 images as the book trains it (thesis §3.6.1 with padding 2 on C1).

    C1 conv 6@5x5 (padding 2) - ReLU - S2 max-pool 2 - C3 conv 16@5x5 - ReLU - S4 max-pool 2 -
    flatten (400) - F5 dense 120 - ReLU - F6 dense 84 - ReLU - output dense 10 (logits);
    He-initialized, the same draws as :func:`cnnmath.cnn.lenet5_params`.
    """
    layers = [Conv2d(6, 5, padding=2, name="C1"), ReLU(), MaxPool2d(2, name="S2"),
              Conv2d(16, 5, name="C3"), ReLU(), MaxPool2d(2, name="S4"), Flatten(),
              Dense(120, name="F5"), ReLU(), Dense(84, name="F6"), ReLU(), Dense(10, name="F7")]
    return Sequential(layers, (1, 28, 28), seed=seed, dtype=dtype, name="LeNet-5 (28x28, ReLU, max-pool)")


def thesis_cnn(seed: int = 0, dtype: type = np.float32, input_shape: tuple[int, int, int] = (1, 28, 28),
               dropout: float = 0.25) -> Sequential:
    """The thesis's CNN (§5.1.2, used for Fashion-MNIST in §5.2).

    Two blocks of [conv 3x3 same padding - ReLU - batch norm] x 2 - max-pool 2 - dropout 0.25, with
    32 and then 64 filters; flatten - dense 64 - ReLU - dropout 0.25 - dense 10 (softmax in the loss).
    """
    def block(filters: int, k: int) -> list:
        return [Conv2d(filters, 3, padding=1, name=f"conv{k}"), ReLU(name=f"relu{k}"), BatchNorm(name=f"bn{k}"),
                Conv2d(filters, 3, padding=1, name=f"conv{k + 1}"), ReLU(name=f"relu{k + 1}"),
                BatchNorm(name=f"bn{k + 1}"), MaxPool2d(2, name=f"pool{k // 2 + 1}"),
                Dropout(dropout, name=f"drop{k // 2 + 1}")]

    layers = [*block(32, 1), *block(64, 3), Flatten(), Dense(64, name="dense1"), ReLU(name="relu5"),
              Dropout(dropout, name="drop3"), Dense(10, name="dense2")]
    return Sequential(layers, input_shape, seed=seed, dtype=dtype, name="thesis CNN (§5.1.2)")
