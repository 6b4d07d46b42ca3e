"""Paper quizzes: a numbered quiz for a seed, its answer key, and grading a CSV of answers.

One version for the whole class (for an exam with a version per student, see
:mod:`cnnmath.quiz.paper`). ``exam(topics, seed)`` lists Q1, Q2, ... : for each chapter in
``topics`` one question of each of its generators (the chapter's quiz,
:func:`cnnmath.quiz.book.quiz`); the default seed is the first after the book's own. The
instructor prints the questions (``show --no-solution``, which prints no seed) and keeps the key;
students' answers come back as a CSV with a ``student`` column and one column per question
(``Q1``, ``Q2``, ...). :func:`grade` checks every answer and says, for each wrong one, which known
mistake it matches.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from .book import quiz
from .question import Feedback, Question
from .registry import QuizError, check_seed, check_topic
from .versions import FIRST_PUBLIC_SEED

MAX_ROWS = 10_000


def exam(topics: list[str], seed: int = FIRST_PUBLIC_SEED) -> list[tuple[str, Question]]:
    """``[("Q1", question), ...]`` for the chapters ``topics`` and ``seed``."""
    if not topics:
        raise QuizError("name at least one topic")
    seed = check_seed(seed)
    qs = [q for t in topics for q in quiz(check_topic(t), seed)]
    return [(f"Q{i}", q) for i, q in enumerate(qs, start=1)]


def answer_key(topics: list[str], seed: int = FIRST_PUBLIC_SEED) -> str:
    """The key as CSV: question, id, title, answer (as a student writes it: a number, a letter,
    a grid
    ``1 2; 3 4`` or a formula) and, for multiple choice, the right option's text."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["question", "id", "title", "answer", "option"])
    for label, q in exam(topics, seed):
        option = q.answer.options[q.answer.correct] if q.answer.type == "choice" else ""
        w.writerow([label, q.id, q.title, q.answer.key(), option])  # the instructor's copy
    return buf.getvalue()


@dataclass(frozen=True)
class Mark:
    student: str
    question: str
    answer: str
    feedback: Feedback


def read_answers(text: str, labels: list[str]) -> list[dict[str, str]]:
    """Rows of a CSV with a ``student`` column and question columns.

    Raises :class:`QuizError` if the file is malformed.
    """
    if not text.strip():
        raise QuizError("the answers file is empty")
    try:
        rows = list(csv.reader(io.StringIO(text), strict=True))
    except csv.Error as exc:
        raise QuizError(f"the answers file is not valid CSV: {exc}") from None
    header = [h.strip() for h in rows[0]]
    if "student" not in header:
        raise QuizError(
            f"the answers file needs a 'student' column; its header is {','.join(header)!r}"
        )
    if len(set(header)) != len(header):
        raise QuizError(f"the header names a column twice: {','.join(header)!r}")
    unknown = [h for h in header if h != "student" and h not in labels]
    if unknown:
        raise QuizError(
            (
                f"unknown question column(s) {', '.join(unknown)}; this quiz has {labels[0]} to "
                f"{labels[-1]}"
            )
        )
    if len(rows) - 1 > MAX_ROWS:
        raise QuizError(f"the answers file has more than {MAX_ROWS} rows")
    out, seen = [], set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise QuizError(f"line {line} has {len(row)} fields; the header has {len(header)}")
        rec = dict(zip(header, (c.strip() for c in row)))
        if not rec["student"]:
            raise QuizError(f"line {line} has no student name")
        if rec["student"] in seen:
            raise QuizError(f"student {rec['student']!r} appears twice (line {line})")
        seen.add(rec["student"])
        out.append(rec)
    if not out:
        raise QuizError("the answers file has a header but no answers")
    return out


def grade(topics: list[str], seed: int, answers_csv: str) -> list[Mark]:
    """Every answer of every student checked against the quiz of ``topics`` and ``seed``."""
    questions = exam(topics, seed)
    labels = [label for label, _ in questions]
    marks = []
    for rec in read_answers(answers_csv, labels):
        for label, q in questions:
            given = rec.get(label, "")
            fb = q.check(given) if given else Feedback(False, "No answer.", readable=False)
            marks.append(Mark(rec["student"], label, given, fb))
    return marks


def marks_csv(marks: list[Mark]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "question", "answer", "correct", "mistake", "feedback"])
    for m in marks:
        w.writerow(
            [
                m.student,
                m.question,
                m.answer,
                "yes" if m.feedback.correct else "no",
                m.feedback.mistake.key if m.feedback.mistake else "",
                m.feedback.message,
            ]
        )
    return buf.getvalue()


def scores(marks: list[Mark]) -> dict[str, tuple[int, int]]:
    """``{student: (right, asked)}`` in the order of the file."""
    out: dict[str, tuple[int, int]] = {}
    for m in marks:
        right, asked = out.get(m.student, (0, 0))
        out[m.student] = (right + int(m.feedback.correct), asked + 1)
    return out
