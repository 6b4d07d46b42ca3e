"""Question banks for learning-management systems: Moodle XML, GIFT and Canvas QTI.

Each bank holds *groups*: the variants of one question kind (the same generator with different
seeds), grouped so that every student draws one of them:

- Moodle XML and GIFT put each kind in its own question category
  (``$course$/cnnmath/<topic>/<kind>``); a quiz then adds "a random question" from it;
- Canvas QTI puts each kind in a question group (a ``section`` with ``selection_number`` 1).

Every format grades exactly as the package does, and the tests read each file back as the
platform's importer reads it (tests/test_quiz_import.py):

- numeric questions are numerical questions with the right answer's tolerance. Moodle (XML and
  GIFT) also gets one wrong answer per known mistake (fraction 0, matched at the precision the
  student is told to use, with the mistake's feedback). Canvas's importer turns *every* numeric
  condition of a numerical item into one more correct answer, whatever its score, so a Canvas
  item has one condition, the right one, and the known mistakes go into its incorrect-answer
  feedback ("if your answer was 12: ..."). An answer smaller than 1e-4 in size is asked in units
  of a power of ten (Moodle adds an absolute 1e-14 to every tolerance, which would accept 0);
- a formula is asked as its value at a point drawn for the question (:func:`formula_at_a_point`),
  a numerical question like the others, its known mistakes included;
- grids are Moodle embedded-answer (cloze) questions with one numerical field per entry (XML),
  and, when they hold integers, Canvas fill-in-multiple-blanks questions (a blank per entry:
  Canvas compares text, so only integers); otherwise (GIFT, Canvas with decimals) multiple
  choice with at least four options (the right grid, every known mistake's, then others with
  one entry changed) in a seeded order;
- names and identifiers carry an opaque code, never the seed (which would give the answer away).
"""

from __future__ import annotations

import dataclasses
import html
import math
import re
import zlib
from collections.abc import Iterable, Sequence

import mpmath
import numpy as np
import sympy as sp

from .expr import value_at
from .question import Grid, Numeric, Question, Symbolic, fmt, numeric
from .registry import QuizError, check_seed, generators, get
from .versions import FIRST_PUBLIC_SEED, question_code, version_seed

FORMATS = ("moodle", "gift", "qti")
MAX_VARIANTS = 200
#: Fewer distinct question texts or answers than this in a group is worth a warning.
MIN_DISTINCT = 20
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


# --------------------------------------------------------------------------------------------
# Selecting the questions
# --------------------------------------------------------------------------------------------


def variants(
    kind: str, count: int, seed: int | None = None, secret: bytes | None = None
) -> list[Question]:
    """``count`` different questions of one kind.

    With an instructor's ``secret`` their seeds are drawn from it (:func:`version_seed` of
    ``variant-1``, ``variant-2``, ...: unknown to anyone without the secret); without, they are
    ``seed, seed + 1, ...`` from ``seed`` (default :data:`FIRST_PUBLIC_SEED`, after the book's own
    seeds). Seeds that repeat an earlier question (same text, data and options) are skipped; a
    kind with fewer distinct questions than ``count`` gives as many as it has (after trying
    ``20 * count`` seeds).
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_VARIANTS:
        raise QuizError(
            f"the number of variants must be a whole number from 1 to {MAX_VARIANTS}; got {count!r}"
        )
    if secret is not None and seed is not None:
        raise QuizError("give either a secret or a first seed, not both")
    first = FIRST_PUBLIC_SEED if seed is None else check_seed(seed)
    gen = get(kind)
    seen, out = set(), []
    for i in range(20 * count):
        s = version_seed(secret, f"variant-{i + 1}", kind) if secret else (first + i) % 2**32
        q = gen(s)
        key = q.fingerprint
        if key not in seen:
            seen.add(key)
            out.append(q)
            if len(out) == count:
                break
    return out


def distinct_answers(questions: Sequence[Question]) -> int:
    """How many different right answers the questions have (a choice by its option's text)."""
    return len({answer_id(q) for q in questions})


def answer_id(q: Question) -> str:
    a = q.answer
    return a.options[a.correct] if a.type == "choice" else a.key()  # type: ignore[attr-defined]


def warnings(groups: Sequence[tuple[str, list[Question]]], count: int) -> list[str]:
    """What an instructor should know about a bank: kinds with fewer distinct questions than
    asked, or with few distinct answers (students who share an answer): fewer than three
    quarters of the variants, or than :data:`MIN_DISTINCT`, whichever is smaller."""
    out = []
    bar = min(MIN_DISTINCT, math.ceil(0.75 * count))
    for _, qs in groups:
        kind = qs[0].kind
        if len(qs) < count:
            out.append(f"{kind}: only {len(qs)} distinct questions exist (asked for {count})")
        n = distinct_answers(qs)
        if n < bar:
            out.append(
                f"{kind}: only {n} distinct answers among {len(qs)} variants: students who draw "
                "different variants may share an answer"
            )
    return out


def select_kinds(
    topics: Sequence[str] | None = None, kinds: Sequence[str] | None = None
) -> list[str]:
    """The generators named by ``kinds``, or all of ``topics`` (all chapters when both are None)."""
    if kinds:
        return [get(k).kind for k in kinds]
    if topics:
        return [g.kind for t in topics for g in generators(t)]
    return [g.kind for g in generators()]


def bank(
    topics: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    count: int = 5,
    seed: int | None = None,
    secret: bytes | None = None,
) -> list[tuple[str, list[Question]]]:
    """``[(category, variants), ...]``: one group of ``count`` variants per selected kind
    (seeds drawn from ``secret`` if given, else from ``seed``: see :func:`variants`)."""
    out = []
    for kind in select_kinds(topics, kinds):
        qs = variants(kind, count, seed, secret)
        out.append((f"cnnmath/{qs[0].topic}/{kind}", qs))
    return out


def export(
    platform: str,
    groups: Iterable[tuple[str, list[Question]]],
    title: str = "cnnmath quiz",
    secret: bytes | None = None,
) -> bytes:
    """The bank in ``platform`` (one of :data:`FORMATS`) as bytes: XML, GIFT text or a QTI zip.

    ``secret`` only keys the questions' opaque names (:func:`name`)."""
    groups = for_lms(groups)
    if platform == "moodle":
        from .moodle import to_moodle_xml

        return to_moodle_xml(groups, secret).encode("utf-8")
    if platform == "gift":
        from .gift import to_gift

        return to_gift(groups, secret).encode("utf-8")
    if platform == "qti":
        from .qti import to_qti_zip

        return to_qti_zip(groups, title, secret)
    raise QuizError(f"unknown format {platform!r}; expected one of {', '.join(FORMATS)}")
