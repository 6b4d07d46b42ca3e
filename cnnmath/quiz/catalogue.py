"""Every question generator of the book, by chapter: the register filled by the modules that
hold them (:mod:`~cnnmath.quiz.foundations`, :mod:`~cnnmath.quiz.training`,
:mod:`~cnnmath.quiz.convolutional`, :mod:`~cnnmath.quiz.networks`, :mod:`~cnnmath.quiz.scale`).

Importing this module imports them all, so :func:`get`, :func:`generators` and :func:`generate`
see every generator; :mod:`~cnnmath.quiz.registry` itself imports none of them.
"""

from __future__ import annotations

# importing the modules registers their generators (in this order: the order of each chapter's)
from . import convolutional, foundations, networks, scale, training  # noqa: F401
from .question import Question
from .registry import REGISTRY, TOPICS, Generator, QuizError, check_topic


def get(kind: str) -> Generator:
    """The generator ``kind`` (a :class:`QuizError` naming the command that lists them if none)."""
    try:
        return REGISTRY[kind]
    except KeyError:
        raise QuizError(
            f"unknown question kind {kind!r}; 'python -m cnnmath.quiz list' lists them"
        ) from None


def generators(topic: str | None = None) -> list[Generator]:
    """Every generator, or those of one chapter, in the book's order."""
    if topic is not None:
        check_topic(topic)
    order = list(TOPICS)
    gens = [g for g in REGISTRY.values() if topic is None or g.topic == topic]
    return sorted(gens, key=lambda g: order.index(g.topic))


def generate(kind: str, seed: int = 0) -> Question:
    """The question of generator ``kind`` for ``seed`` (the same every time)."""
    return get(kind)(seed)
