"""What every question-bank format shares: a question as HTML, its numeric answers with their
tolerances (in a unit of a power of ten when tiny), its opaque name, numbers written so that they
read back exactly, and a formula asked as its value at a point.

:mod:`~cnnmath.quiz.moodle`, :mod:`~cnnmath.quiz.gift` and :mod:`~cnnmath.quiz.qti` write their
files with these; :mod:`~cnnmath.quiz.export` selects the questions and picks the format.
"""

from __future__ import annotations

import dataclasses
import html
import math
import re
import zlib
from collections.abc import Iterable

import mpmath
import numpy as np
import sympy as sp

from .expr import value_at
from .question import Grid, Numeric, Question, Symbolic, fmt, numeric
from .versions import question_code

#: Numeric answers smaller than this are asked in units of a power of ten.
TINY = 1e-4


def math_html(text: str) -> str:
    """Markdown-ish text with ``$...$`` math as HTML: escaped, math as ``\\(...\\)``, paragraphs."""
    parts = re.split(r"(\$[^$]+\$)", text)
    out = []
    for part in parts:
        if len(part) > 1 and part.startswith("$") and part.endswith("$"):
            out.append("\\(" + html.escape(part[1:-1], quote=False) + "\\)")
        else:
            out.append(html.escape(part, quote=False))
    paras = [p.strip() for p in "".join(out).split("\n\n") if p.strip()]
    return "".join(f"<p>{p}</p>" if not p.startswith("<pre>") else p for p in paras)


def pre(text: str) -> str:
    return f"<pre>{html.escape(text, quote=False)}</pre>"


def question_html(q: Question) -> str:
    body = math_html(q.text)
    if q.code:
        body += pre(q.code)
    unit = unit_exponent(q)
    if unit:
        body += math_html(numeric_answers(q)[0])
    return body


def solution_html(q: Question) -> str:
    """The worked solution; the aligned grids in it stay preformatted."""
    out = []
    for chunk in q.solution.split("\n\n"):
        is_grid = chunk.strip() and all(
            re.fullmatch(r"[ \d.eE+-]+", ln) for ln in chunk.strip("\n").splitlines()
        )
        out.append(pre(chunk.strip("\n")) if is_grid else math_html(chunk))
    return "".join(out)


def option_html(q: Question, text: str) -> str:
    """An option of a multiple-choice rendering: grids preformatted, the rest as math text."""
    if q.answer.type == "grid":
        return pre(text)
    return math_html(text)


def as_choice(q: Question, cloze: bool = False) -> bool:
    """Whether an export renders ``q`` as multiple choice: all but numeric answers, and grids
    too unless the format has embedded numerical fields (``cloze``)."""
    if isinstance(q.answer, Grid) and cloze:
        return False
    return not isinstance(q.answer, Numeric)


def formula_at_a_point(q: Question) -> Question:
    """A formula question as a numeric one: the same question, then "evaluate your formula at
    a = 0.3, y = 0.7" (a point drawn from the kind and seed, one decimal per symbol, where the
    answer and every known mistake differ clearly), the value to 4 significant digits. An LMS
    grades that value with a tolerance and names the mistake, as it cannot a formula; guessing
    among options is no longer possible. Other questions are returned as they are."""
    a = q.answer
    if not isinstance(a, Symbolic):
        return q
    rng = np.random.default_rng([q.seed, zlib.crc32(q.kind.encode()), 11])
    lo, hi = a.domain
    for attempt in range(400):
        step = 10 if attempt < 200 else 100  # one decimal, else two
        grid = [k / step for k in range(math.floor(lo * step) + 1, math.ceil(hi * step))]
        point = {name: grid[int(rng.integers(len(grid)))] for name, _ in a.symbols}
        at = {s: mpmath.mpf(str(point[name])) for name, s in a.symbols}
        try:
            with mpmath.workdps(30):
                value = float(mpmath.re(value_at(a.expr, at)))
                wrongs = [(float(mpmath.re(value_at(e, at))), m) for e, m in a.distractors]
        except (ArithmeticError, TypeError, ValueError):
            continue
        values = [value] + [w for w, _ in wrongs]
        if value == 0 or not all(math.isfinite(v) for v in values):
            continue
        gaps = [
            abs(u - v) / max(abs(u), abs(v)) for i, u in enumerate(values) for v in values[i + 1 :]
        ]
        if min(gaps, default=1.0) > 0.003:  # every two values differ clearly at 4 digits
            break
    else:
        return q
    symbol = dict(a.symbols)
    where = ", ".join(f"${sp.latex(symbol[name])} = {fmt(v)}$" for name, v in point.items())
    draft = numeric(
        q.text + f"\n\nEvaluate your formula at {where} and give its value to 4 significant "
        "digits.",
        value,
        q.solution + f"\n\nAt {where} the formula's value is ${fmt(value, 6)}$.",
        wrongs,
        digits=4,
    )
    return dataclasses.replace(q, text=draft.text, answer=draft.answer, solution=draft.solution)


def for_lms(
    groups: Iterable[tuple[str, list[Question]]],
) -> list[tuple[str, list[Question]]]:
    """The groups as the LMS formats write them: formulas as values at a point."""
    return [(c, [formula_at_a_point(q) for q in qs]) for c, qs in groups]


def name(q: Question, secret: bytes | None = None) -> str:
    """The question's name in a bank: its title and an opaque code (never its seed)."""
    return f"{q.title} [{question_code(secret, q.kind, q.seed)}]"


def unit_exponent(q: Question) -> int:
    """``k`` such that the numeric answer is asked in units of ``10^k`` (0: as it is)."""
    a = q.answer
    if not isinstance(a, Numeric) or a.number == 0 or abs(a.number) >= TINY:
        return 0
    return math.floor(math.log10(abs(a.number)))


def numeric_answers(q: Question) -> tuple[str, list[tuple[float, float, str]]]:
    """What a numerical item needs: a sentence to add to the text (the unit, if any) and
    ``[(value, tolerance, feedback), ...]``: the right answer first, then each known mistake
    with its own tolerance (:meth:`Numeric.tol_of`), all in the asked unit."""
    a = q.answer
    assert isinstance(a, Numeric)
    k = unit_exponent(q)
    scale = 10.0**-k
    unit = (
        f"Give the answer in units of $10^{{{k}}}$ (for $3.5 \\times 10^{{{k}}}$ write 3.5)."
        if k
        else ""
    )
    out = [(a.number * scale, a.tol * scale, "Correct.")]
    out += [(v * scale, a.tol_of(v) * scale, m.feedback()) for v, m in a.distractors]
    return unit, out


def mistakes_html(q: Question) -> str:
    """The known mistakes' grids with their explanations: the general feedback of a Moodle
    cloze grid, the incorrect-answer feedback of Canvas's blanks."""
    a = q.answer
    if not a.distractors:
        return ""
    items = "".join(f"<li>{pre(a.text(v))}{math_html(m.feedback())}</li>" for v, m in a.distractors)
    return f"<p>If your grid was one of these, here is the mistake:</p><ul>{items}</ul>"


def mistakes_feedback(q: Question) -> str:
    """The known mistakes of a numeric question as one feedback text (HTML), for formats that
    cannot give a wrong answer its own feedback without making it right (Canvas)."""
    unit, answers = numeric_answers(q)
    if len(answers) == 1:
        return "<p>Not correct: see the worked solution.</p>"
    items = "".join(f"<li>{html.escape(fmt(v))}: {math_html(fb)}</li>" for v, _, fb in answers[1:])
    return (
        f"<p>Not correct. If your answer was one of these, here is the mistake:</p><ul>{items}</ul>"
    )


def number_text(v: float) -> str:
    """A number for an LMS file, read back exactly: an integer as digits, else the shortest text
    that gives the same float (12 digits would turn 1099511627776 into 1099511627780)."""
    v = float(v)
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)
