"""Seeded quiz questions for every chapter: generated, checked, shown in the book, exported.

A *generator* (``kind``) makes one question from a seed; the same seed gives the same question.
Its answer is computed by the package's own layers and rules, never typed, and its wrong options
(*distractors*) are what known mistakes compute, several of them the mistakes the ledger found in
the sources (the ceiling in the output size, the bias inside the sum, the missing sum over the
filters, Adam's bias correction with m_(t-1), ...). ``question.check(answer)`` says whether an
answer is right and which known mistake a wrong one matches.

- :func:`generate` (one question), :func:`generators` and :data:`TOPICS` (what exists),
  :func:`quiz` (a chapter's quiz);
- :func:`show_quiz`: the quiz at the end of a chapter, interactive in the notebook and in the static
  HTML book (a small self-contained widget, several versions, deterministic output for nbval);
- :func:`bank` and :func:`export`: Moodle XML, GIFT and Canvas QTI banks of seeded variants;
- :func:`answer_key` and :func:`grade`: paper quizzes graded from a CSV;
- :mod:`~cnnmath.quiz.paper`: one printed exam per student of a roster (versions drawn from an
  instructor's secret, :mod:`~cnnmath.quiz.versions`), its key, and grading by student;
- ``python -m cnnmath.quiz --help``: the same from the command line.

Modules: :mod:`~cnnmath.quiz.question` (questions and answer types), :mod:`~cnnmath.quiz.expr`
(students' formulas, parsed without ``eval``), :mod:`~cnnmath.quiz.mistakes`,
:mod:`~cnnmath.quiz.registry` (the register the generators enter), the generators by part of the
book (:mod:`~cnnmath.quiz.foundations`, :mod:`~cnnmath.quiz.training`,
:mod:`~cnnmath.quiz.convolutional`, :mod:`~cnnmath.quiz.networks`, :mod:`~cnnmath.quiz.scale`),
:mod:`~cnnmath.quiz.catalogue` (all of them, read from the register), :mod:`~cnnmath.quiz.book`,
:mod:`~cnnmath.quiz.export` with the formats :mod:`~cnnmath.quiz.moodle`,
:mod:`~cnnmath.quiz.gift` and :mod:`~cnnmath.quiz.qti` (what they share: :mod:`~cnnmath.quiz.lms`),
and :mod:`~cnnmath.quiz.grade`.
"""

from .book import quiz, show_quiz
from .catalogue import generate, generators, get
from .export import FORMATS, bank, export, variants
from .grade import answer_key, exam, grade
from .mistakes import CATALOG, Mistake
from .question import AnswerFormatError, Feedback, Question
from .registry import TOPICS, QuizError

__all__ = [
    "AnswerFormatError",
    "CATALOG",
    "FORMATS",
    "Feedback",
    "Mistake",
    "Question",
    "QuizError",
    "TOPICS",
    "answer_key",
    "bank",
    "exam",
    "export",
    "generate",
    "generators",
    "get",
    "grade",
    "quiz",
    "show_quiz",
    "variants",
]
