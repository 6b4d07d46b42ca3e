"""Question banks for learning-management systems: Moodle XML, GIFT and Canvas QTI.

Each bank holds *groups*: the variants of one question kind (the same generator with different
seeds), grouped so that every student draws one of them:

- Moodle XML and GIFT put each kind in its own question category
  (``$course$/cnnmath/<topic>/<kind>``); a quiz then adds "a random question" from it;
- Canvas QTI puts each kind in a question group (a ``section`` with ``selection_number`` 1).

Numeric questions become Moodle's and Canvas's numerical type with the tolerance, and every
known mistake becomes a wrong answer with its own feedback; grid, symbolic and choice questions
become multiple choice, their distractors being the mistakes' answers. Math is written
``\\(...\\)``,
which Moodle's MathJax filter and Canvas render; HTML is escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from .question import Numeric, Question
from .registry import QuizError, check_seed, generators, get

FORMATS = ("moodle", "gift", "qti")
MAX_VARIANTS = 200


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


def as_choice(q: Question) -> bool:
    """Whether LMS exports render the question as multiple choice (all but numeric answers)."""
    return not isinstance(q.answer, Numeric)


def number_text(v: float) -> str:
    return f"{float(v):.12g}"


# --------------------------------------------------------------------------------------------
# Selecting the questions
# --------------------------------------------------------------------------------------------


def variants(kind: str, count: int, seed: int = 0) -> list[Question]:
    """``count`` different questions of one kind, from the seeds ``seed, seed + 1, ...``.

    Seeds that repeat an earlier question (same text, data and options) are skipped; a kind with
    fewer
    distinct questions than ``count`` gives as many as it has (after trying ``20 * count`` seeds).
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_VARIANTS:
        raise QuizError(
            f"the number of variants must be a whole number from 1 to {MAX_VARIANTS}; got {count!r}"
        )
    seed = check_seed(seed)
    gen = get(kind)
    seen, out = set(), []
    for s in range(seed, seed + 20 * count):
        q = gen(s % (2**32))
        key = q.fingerprint
        if key not in seen:
            seen.add(key)
            out.append(q)
            if len(out) == count:
                break
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
    seed: int = 0,
) -> list[tuple[str, list[Question]]]:
    """``[(category, variants), ...]``: one group of ``count`` variants per selected kind."""
    out = []
    for kind in select_kinds(topics, kinds):
        qs = variants(kind, count, seed)
        out.append((f"cnnmath/{qs[0].topic}/{kind}", qs))
    return out


def export(
    fmt: str, groups: Iterable[tuple[str, list[Question]]], title: str = "cnnmath quiz"
) -> bytes:
    """The bank in format ``fmt`` (one of :data:`FORMATS`) as bytes: XML, GIFT text or a QTI zip."""
    groups = list(groups)
    if fmt == "moodle":
        from .moodle import to_moodle_xml

        return to_moodle_xml(groups).encode("utf-8")
    if fmt == "gift":
        from .gift import to_gift

        return to_gift(groups).encode("utf-8")
    if fmt == "qti":
        from .qti import to_qti_zip

        return to_qti_zip(groups, title)
    raise QuizError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
