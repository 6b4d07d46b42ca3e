"""Implementation exercises a student can check without seeing the solution.

A student re-implements a function of the package from its signature and docstring (the
*scaffold*), then checks it::

    from cnnmath.exercises import check, scaffold
    print(scaffold("conv2d_backward"))       # the function to write
    check("conv2d_backward", conv2d_backward) # correct, or what is wrong and which mistake it is

:func:`check` runs the function on seeded configurations under a time limit, compares every output
with the package's reference, finite differences, SymPy on small exact inputs and torch (where
installed), and names the catalogued mistake whose real implementation computes exactly what the
student's function computed. ``python -m cnnmath.exercises --help`` does the same from a file.
:func:`check_answer` checks the book's exercises that have one numeric or symbolic answer, with
the quiz's answer types.

Modules: :mod:`~cnnmath.exercises.core` (the checker), :mod:`~cnnmath.exercises.oracles`,
:mod:`~cnnmath.exercises.mistakes`, the exercises by chapter (:mod:`~.activations`,
:mod:`~.convolution`, ...) and :mod:`~cnnmath.exercises.answers`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from . import activations, convolution, foundations, normalization, pooling, training
from .answers import check_answer
from .core import TIME_LIMIT, Bug, Config, Exercise, ExerciseError, Report

_MODULES = (foundations, activations, training, convolution, pooling, normalization)


def _book_order() -> dict[str, Exercise]:
    from ..quiz.registry import TOPICS

    chapters = list(TOPICS)
    found = [ex for mod in _MODULES for ex in mod.EXERCISES]
    return {ex.name: ex for ex in sorted(found, key=lambda ex: chapters.index(ex.chapter))}


#: Every implementation exercise, by name, in the book's order of chapters.
EXERCISES: dict[str, Exercise] = _book_order()


def get(name: str) -> Exercise:
    """The exercise ``name`` (an :class:`ExerciseError` lists the names if there is none)."""
    if not isinstance(name, str):
        raise ExerciseError(f"name must be an exercise's name (a str); got {type(name).__name__}")
    if name not in EXERCISES:
        close = difflib.get_close_matches(name, list(EXERCISES), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ExerciseError(
            f"unknown exercise {name!r}.{hint} The exercises are: {', '.join(EXERCISES)}"
        )
    return EXERCISES[name]


def names(chapter: str | None = None) -> list[str]:
    """The exercises' names, or those of one chapter (a notebook's name, e.g. ``"activations"``)."""
    chapters = list(dict.fromkeys(ex.chapter for ex in EXERCISES.values()))
    if chapter is not None and chapter not in chapters:
        raise ExerciseError(
            f"chapter {chapter!r} has no implementation exercises; the chapters that have are: "
            f"{', '.join(chapters)}"
        )
    return [n for n, ex in EXERCISES.items() if chapter is None or ex.chapter == chapter]


def scaffold(name: str) -> str:
    """The function to write for exercise ``name``: signature and docstring, no body."""
    return get(name).scaffold()


def check(
    name: str, fn: Callable, *, time_limit: float = TIME_LIMIT, configurations: int | None = None
) -> Report:
    """Check ``fn``, a student's implementation of exercise ``name``; return a :class:`Report`.

    The report is true when ``fn`` is right on every configuration (by every oracle). Otherwise
    its message says which configuration fails, which output differs from which oracle and by how
    much, and which known mistake the function makes (``report.mistake``), or that it raised an
    exception (and where in the student's code), or that it ran past ``time_limit`` seconds per
    call. ``report.assert_passed()`` raises ``AssertionError`` with the message, for autograders.
    ``configurations=n`` runs only the first ``n`` configurations (a quick check, without a
    diagnosis, which needs them all).
    """
    from .core import check_function

    return check_function(get(name), fn, time_limit=time_limit, configurations=configurations)


__all__ = [
    "Bug",
    "Config",
    "EXERCISES",
    "Exercise",
    "ExerciseError",
    "Report",
    "TIME_LIMIT",
    "check",
    "check_answer",
    "get",
    "names",
    "scaffold",
]
