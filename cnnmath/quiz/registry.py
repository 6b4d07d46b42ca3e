"""The register of generators: ``@generator(topic, kind, title, answer_type)`` enters one.

A generator is a function of a ``numpy.random.Generator`` that returns a
:class:`~cnnmath.quiz.question.Draft`. :class:`Generator` seeds that function from the seed *and*
the kind's name, so the same ``(kind, seed)`` always gives the same question and two kinds with
the same seed draw different numbers.

This module knows none of the generators: the modules that hold them (one per part of the book)
import it to register theirs, and :mod:`~cnnmath.quiz.catalogue` imports both, so that reading the
register through it finds every generator.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .question import Draft, Question

#: The book's chapters that have quizzes, in the book's order, with their titles.
TOPICS: dict[str, str] = {
    "perceptron": "The perceptron",
    "activations": "Activation functions",
    "losses": "Loss functions",
    "backprop": "Forward and backward propagation",
    "init": "Weight initialization",
    "optimizers": "Optimizers",
    "mlp": "Training an MLP on real data",
    "convolution": "Convolution",
    "conv_backprop": "Backpropagation through convolution and pooling",
    "batchnorm_dropout": "Batch normalization and dropout",
    "lenet5": "LeNet-5",
    "cnn_training": "Training a CNN on Fashion-MNIST",
    "alexnet": "AlexNet",
    "autoencoder": "Convolutional autoencoder",
    "crosscheck": "Cross-checks: float32, float64 and torch",
    "distributed": "Data-parallel training",
    "errata": "Errata: the sources' claims",
}

MAX_SEED = 2**32 - 1


class QuizError(ValueError):
    """Bad input to the quiz tools (an unknown topic or kind, a bad seed, ...), with a message."""


@dataclass(frozen=True)
class Generator:
    kind: str
    topic: str
    title: str
    answer_type: str
    make: Callable[[np.random.Generator], Draft]

    def __call__(self, seed: int = 0) -> Question:
        seed = check_seed(seed)
        rng = np.random.default_rng([seed, zlib.crc32(self.kind.encode())])
        d = self.make(rng)
        return Question(
            self.kind, self.topic, seed, self.title, d.text, d.answer, d.solution, d.code, d.data
        )


REGISTRY: dict[str, Generator] = {}


def generator(topic: str, kind: str, title: str, answer_type: str) -> Callable:
    """Register ``make(rng) -> Draft`` as the generator ``kind`` of chapter ``topic``."""
    if topic not in TOPICS:
        raise QuizError(f"unknown topic {topic!r}")
    if answer_type not in ("numeric", "choice", "grid", "symbolic"):
        raise QuizError(f"unknown answer type {answer_type!r}")

    def register(
        make: Callable[[np.random.Generator], Draft],
    ) -> Callable[[np.random.Generator], Draft]:
        if kind in REGISTRY:
            raise QuizError(f"generator {kind!r} is registered twice")
        REGISTRY[kind] = Generator(kind, topic, title, answer_type, make)
        return make

    return register


def check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        try:
            if isinstance(seed, str) and seed.strip().lstrip("+").isdigit():
                seed = int(seed)
            else:
                raise ValueError
        except ValueError:
            raise QuizError(
                f"a seed must be a whole number from 0 to {MAX_SEED}; got {seed!r}"
            ) from None
    if not 0 <= int(seed) <= MAX_SEED:
        raise QuizError(f"a seed must be a whole number from 0 to {MAX_SEED}; got {seed}")
    return int(seed)


def check_topic(topic: str) -> str:
    if topic not in TOPICS:
        raise QuizError(f"unknown topic {topic!r}; the topics are: {', '.join(TOPICS)}")
    return topic
