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
- a formula is asked as its value at a point drawn for the question (:func:`~cnnmath.quiz.lms.formula_at_a_point`),
  a numerical question like the others, its known mistakes included;
- grids are Moodle embedded-answer (cloze) questions with one numerical field per entry (XML),
  and, when they hold integers, Canvas fill-in-multiple-blanks questions (a blank per entry:
  Canvas compares text, so only integers); otherwise (GIFT, Canvas with decimals) multiple
  choice with at least four options (the right grid, every known mistake's, then others with
  one entry changed) in a seeded order;
- names and identifiers carry an opaque code, never the seed (which would give the answer away).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from .catalogue import generators, get
from .gift import to_gift
from .lms import for_lms
from .moodle import to_moodle_xml
from .qti import to_qti_zip
from .question import Question
from .registry import QuizError, check_seed
from .versions import FIRST_PUBLIC_SEED, version_seed

FORMATS = ("moodle", "gift", "qti")
MAX_VARIANTS = 200
#: Fewer distinct question texts or answers than this in a group is worth a warning.
MIN_DISTINCT = 20


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

    ``secret`` only keys the questions' opaque names (:func:`~cnnmath.quiz.lms.name`)."""
    groups = for_lms(groups)
    if platform == "moodle":
        return to_moodle_xml(groups, secret).encode("utf-8")
    if platform == "gift":
        return to_gift(groups, secret).encode("utf-8")
    if platform == "qti":
        return to_qti_zip(groups, title, secret)
    raise QuizError(f"unknown format {platform!r}; expected one of {', '.join(FORMATS)}")
