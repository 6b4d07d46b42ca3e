"""The quiz at the end of a chapter, shown by jupyterquiz in the notebook and in the static HTML.

``show_quiz("convolution")`` displays one question of each of the chapter's generators (or ``n``
of them), made from ``seed``. Everything the quiz needs travels inside the cell's output (the
questions as JSON and jupyterquiz's JavaScript and CSS), so the built page works from a file,
with no server and no network. jupyterquiz names its HTML element with Python's ``random``;
``show_quiz`` seeds that from the chapter and the seed (and restores the random state), so the
cell's output is the same at every run and nbval can compare it.

Numeric answers accept the question's tolerance; each known mistake is a wrong range with its
own feedback. Grid and symbolic answers are shown as multiple choice (grids as preformatted
text, formulas as LaTeX), the distractors being the known mistakes.
"""

from __future__ import annotations

import html
import random

import numpy as np

from .question import Numeric, Question
from .registry import TOPICS, check_seed, check_topic, generators


def quiz(topic: str, seed: int = 0, n: int | None = None) -> list[Question]:
    """One question per generator of chapter ``topic`` made with ``seed``, in the book's order.

    With ``n`` smaller than the number of generators, ``n`` of them are chosen (by the seed).
    """
    check_topic(topic)
    seed = check_seed(seed)
    gens = generators(topic)
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n (the number of questions) must be a whole number >= 1; got {n!r}")
        if n < len(gens):
            keep = sorted(
                np.random.default_rng([seed, len(gens)]).choice(len(gens), n, replace=False)
            )
            gens = [gens[int(i)] for i in keep]
    return [g(seed) for g in gens]


def _round(v: float) -> float:
    """Answers as stored in the page: 12 significant digits, the same on every machine."""
    return float(f"{float(v):.12g}")


def to_jupyterquiz(q: Question) -> dict:
    """The question as a jupyterquiz dict (``numeric`` or ``multiple_choice``)."""
    text = html.escape(q.text, quote=False)
    base = {"question": text + f" <small>[{q.id}]</small>"}
    if q.code:
        base["code"] = html.escape(q.code, quote=False)
    a = q.answer
    if isinstance(a, Numeric):

        def span(v: float) -> list[float]:  # the tolerance, or a hair around an exact answer
            margin = max(a.tol, 1e-9 * max(1.0, abs(v)))
            return [_round(v - margin), _round(v + margin)]

        answers = [
            {"type": "range", "range": span(a.number), "correct": True, "feedback": "Correct."}
        ]
        answers += [
            {
                "type": "range",
                "range": span(v),
                "correct": False,
                "feedback": html.escape(m.feedback(), quote=False),
            }
            for v, m in a.distractors
        ]
        answers.append(
            {
                "type": "default",
                "feedback": "Not correct, and not one of the known mistakes. "
                + html.escape(a.instructions(), quote=False),
            }
        )
        return base | {"type": "numeric", "answers": answers}
    answers = []
    for option, correct, feedback in q.options():
        entry = {"correct": correct, "feedback": html.escape(feedback, quote=False)}
        if a.type == "grid":
            entry |= {"answer": "", "code": html.escape(option, quote=False)}
        else:
            entry["answer"] = html.escape(option, quote=False)
        answers.append(entry)
    return base | {"type": "multiple_choice", "answers": answers}


def show_quiz(chapter: str, seed: int = 0, n: int | None = None) -> None:
    """Display the chapter's quiz with jupyterquiz (deterministic output; no network needed)."""
    from jupyterquiz import display_quiz

    questions = [to_jupyterquiz(q) for q in quiz(chapter, seed, n)]
    state = random.getstate()
    random.seed(f"cnnmath.quiz/{chapter}/{seed}/{n}")  # jupyterquiz's element id
    try:
        display_quiz(questions, shuffle_answers=True, max_width=760, colors="fdsp")
    finally:
        random.setstate(state)


__all__ = ["TOPICS", "quiz", "show_quiz", "to_jupyterquiz"]
