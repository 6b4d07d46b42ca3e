r"""exam(student) = [generate(kind, HMAC(secret, student / kind)) for each kind]: one exam per student.

:func:`exam_for` gives every student of a roster their own version of every question kind of the
chosen chapters, drawn from the instructor's secret (:mod:`cnnmath.quiz.versions`), so that only
the instructor can reproduce, key or grade it. :func:`write_exams` typesets one PDF per student
through :mod:`cnnmath.tex` and :mod:`cnnmath.printable` (the print edition's LaTeX setup and its
text conversion, so a formula prints the same in both): the student's name and version code
on every page, the questions with their data, grids as tables of boxes, an answer sheet; and one
key file (CSV) with every student's answers. Everything is written into a temporary directory
next to the output and renamed into place at the end, so a failure leaves nothing half-written.

:func:`grade_exams` grades a CSV of answers keyed by student id against each student's own
version, with partial credit (a grid earns the share of its entries that are right), and names
the known mistake behind each wrong answer; :func:`summary` is the instructor's view of the class:
per question, the mean credit and the mistakes that were common.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import printable, tex
from ..printable import latex_text
from .catalogue import get
from .export import select_kinds
from .grade import MAX_ROWS
from .question import AnswerFormatError, Choice, Feedback, Grid, Question
from .registry import QuizError
from .versions import version_code, version_seed

MAX_STUDENTS = 2000
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


@dataclass(frozen=True)
class Student:
    id: str
    name: str


def read_roster(text: str) -> list[Student]:
    """The students of a roster CSV with the columns ``id`` and ``name`` (others are ignored).

    Raises :class:`QuizError` on an empty file, a missing column, an empty or odd id, a
    duplicate id or more than :data:`MAX_STUDENTS` rows.
    """
    if not text.strip():
        raise QuizError("the roster is empty")
    try:
        rows = list(csv.reader(io.StringIO(text), strict=True))
    except csv.Error as exc:
        raise QuizError(f"the roster is not valid CSV: {exc}") from None
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("id", "name") if c not in header]
    if missing:
        raise QuizError(
            f"the roster needs the columns id and name; its header is {','.join(rows[0])!r}"
        )
    if len(rows) - 1 > MAX_STUDENTS:
        raise QuizError(f"the roster has more than {MAX_STUDENTS} students")
    out, seen = [], {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise QuizError(
                f"roster line {line} has {len(row)} fields; the header has {len(header)}"
            )
        rec = dict(zip(header, (c.strip() for c in row)))
        sid, name = rec["id"], rec["name"]
        if not _ID.fullmatch(sid):
            raise QuizError(
                f"roster line {line}: the id {sid!r} must be 1 to 64 letters, digits or _ . @ -"
            )
        if sid in seen:
            raise QuizError(f"roster line {line}: the id {sid!r} is also on line {seen[sid]}")
        if not name:
            raise QuizError(f"roster line {line}: student {sid} has no name")
        seen[sid] = line
        out.append(Student(sid, name))
    if not out:
        raise QuizError("the roster has a header but no students")
    return out


def exam_kinds(
    topics: Sequence[str] | None = None, kinds: Sequence[str] | None = None
) -> list[str]:
    if not topics and not kinds:
        raise QuizError("name the topics (or kinds) of the exam")
    return select_kinds(topics, kinds)


def exam_for(secret: bytes, student: str, kinds: Sequence[str]) -> list[tuple[str, Question]]:
    """``[("Q1", question), ...]``: the student's own version of each kind."""
    return [
        (f"Q{i}", get(kind)(version_seed(secret, student, kind)))
        for i, kind in enumerate(kinds, start=1)
    ]


# --------------------------------------------------------------------------------------------
# LaTeX
# --------------------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Text such as a student's name or a title, escaped for LaTeX (the print edition's
    :func:`cnnmath.printable.escape`); a character pdflatex cannot print with the shared preamble
    (:data:`cnnmath.tex.UNICODE`, Latin letters with accents) becomes ``?`` rather than failing
    the whole roster."""
    ok = "".join(
        ch if ord(ch) < 128 or 0xC0 <= ord(ch) <= 0x17F or ch in tex.UNICODE else "?" for ch in text
    )
    return printable.escape(ok)


def _answer_space(q: Question) -> str:
    a = q.answer
    if isinstance(a, Choice):
        items = "".join(
            f"\\item[\\optionbox\\ {chr(65 + i)}.] {latex_text(o)}\n"
            for i, o in enumerate(a.options)
        )
        return f"\\begin{{itemize}}\n{items}\\end{{itemize}}\n"
    if isinstance(a, Grid):
        r, c = a.array.shape
        row = " & ".join([r"\answerbox{1.3cm}"] * c)
        body = " \\\\[2pt]\n".join([row] * r)
        return (
            f"\\par Answer ({r} rows of {c} numbers):\\par\\medskip\n"
            f"\\begin{{tabular}}{{{'c' * c}}}\n{body}\n\\end{{tabular}}\n"
        )
    width = "12cm" if a.type == "symbolic" else "5cm"
    return f"\\par Answer: \\answerbox{{{width}}}\n"


def exam_latex(
    student: Student, code: str, title: str, questions: list[tuple[str, Question]]
) -> str:
    """One student's exam as a LaTeX document: name and version code in every page's header."""
    head = f"{_plain(student.name)} ({_plain(student.id)}) \\hfill version {code} \\quad page~"
    parts = [
        "\\pagestyle{myheadings}\\markright{" + head + "}",
        f"\\section*{{{_plain(title)}}}",
        f"Name: \\textbf{{{_plain(student.name)}}} \\quad Id: {_plain(student.id)} "
        f"\\quad Version: \\texttt{{{code}}}\\par",
        "Answer on this paper or on the answer sheet at the end. Numbers as decimals or "
        "fractions; grids row by row; formulas in plain notation, e.g. $(a-y)x$.\\par\\bigskip",
    ]
    for label, q in questions:
        block = [f"\\subsection*{{{label}. {_plain(q.title)}}}", latex_text(q.text)]
        if q.code:
            block.append(printable.verbatim(q.code))
        block.append(latex_text(q.answer.instructions()))
        block.append(_answer_space(q))
        # a question and its answer boxes on one page
        parts.append(
            "\\noindent\\begin{minipage}{\\linewidth}\n"
            + "\n".join(block)
            + "\\end{minipage}\n\\bigskip"
        )
    rows = "\n".join(
        f"{label} & {_plain(q.title)} & \\rule{{0pt}}{{2.2em}} \\\\ \\hline"
        for label, q in questions
    )
    parts.append(
        "\\clearpage\\section*{Answer sheet}\n"
        f"Name: \\textbf{{{_plain(student.name)}}} \\quad Version: \\texttt{{{code}}}\\par\\medskip\n"
        "\\begin{longtable}{|l|p{5.5cm}|p{8cm}|}\\hline\n"
        "Q & Question & Answer \\\\ \\hline\n" + rows + "\n\\end{longtable}"
    )
    return tex.document("\n\n".join(parts))


# --------------------------------------------------------------------------------------------
# writing the exams
# --------------------------------------------------------------------------------------------

KEY_HEADER = ["student", "name", "version", "question", "title", "answer", "option"]
ENGINE = "pdflatex"


def compile_once(source: str, directory: Path) -> Path:
    """``directory/exam.pdf`` from one run of the engine: an exam has no cross-references, and
    latexmk would run it twice (a new ``.aux``), doubling the time of a roster. On any failure
    :func:`cnnmath.tex.compile` runs it again and raises its diagnosis (:class:`tex.TeXMissing`
    naming the Debian package, or :class:`tex.TeXError` with the log's first error)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "exam.tex"
    path.write_text(source, encoding="utf-8")
    if shutil.which(ENGINE) is not None:
        flags = ["-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
        run = subprocess.run(
            [ENGINE, *flags, path.name], cwd=directory, capture_output=True, timeout=300
        )
        if run.returncode == 0 and (directory / "exam.pdf").is_file():
            return directory / "exam.pdf"
    return tex.compile(path, directory, engine=ENGINE)


def answer_key_rows(student: Student, code: str, questions: list[tuple[str, Question]]) -> list:
    rows = []
    for label, q in questions:
        a = q.answer
        option = a.options[a.correct] if isinstance(a, Choice) else ""
        rows.append([student.id, student.name, code, label, q.title, a.key(), option])
    return rows


def write_exams(
    roster: list[Student],
    kinds: Sequence[str],
    secret: bytes,
    out: str | os.PathLike,
    title: str = "cnnmath exam",
    workers: int | None = None,
) -> list[Path]:
    """One PDF per student (``<id>.pdf``) and ``key.csv`` in the new directory ``out``.

    ``out`` must not exist (or be empty): all is written to a temporary directory beside it and
    renamed at the end. Raises :class:`QuizError` on bad arguments and on TeX failures (naming
    the Debian package that is missing, if one is).
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise QuizError(f"{out} already exists and is not an empty directory")
    parent = out.resolve().parent
    if not parent.is_dir():
        raise QuizError(f"the directory {parent} does not exist")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        key = io.StringIO()
        w = csv.writer(key, lineterminator="\n")
        w.writerow(KEY_HEADER)
        jobs = []
        for st in roster:
            code = version_code(secret, st.id)
            qs = exam_for(secret, st.id, kinds)
            w.writerows(answer_key_rows(st, code, qs))
            jobs.append((st, exam_latex(st, code, title, qs)))
        (tmp / "key.csv").write_text(key.getvalue(), encoding="utf-8")
        build = tmp / ".build"

        def one(job: tuple[Student, str]) -> Path:
            st, source = job
            pdf = compile_once(source, build / st.id)
            return pdf.replace(tmp / f"{st.id}.pdf")

        n = workers or max(1, os.cpu_count() or 1)
        with ThreadPoolExecutor(n) as pool:
            pdfs = list(pool.map(one, jobs))
        shutil.rmtree(build)
        if out.exists():
            out.rmdir()
        tmp.rename(out)
        return [out / p.name for p in pdfs]
    except tex.TeXMissing as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise QuizError(f"{exc} (scripts/get-tex.sh installs the TeX packages)") from None
    except tex.TeXError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise QuizError(f"LaTeX failed: {exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# --------------------------------------------------------------------------------------------
# grading
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExamMark:
    student: str
    question: str
    kind: str
    answer: str
    credit: float
    feedback: Feedback


def credit(q: Question, given: str, fb: Feedback) -> float:
    """1 for a right answer; a grid earns the share of its entries within the tolerance."""
    if fb.correct:
        return 1.0
    a = q.answer
    if isinstance(a, Grid) and fb.readable:
        try:
            g = a.parse(given)
        except AnswerFormatError:
            return 0.0
        ok = np.abs(g - a.array) <= a.tol + 4 * 2.0**-52 * np.abs(a.array)
        return float(np.mean(ok))
    return 0.0


def grade_exams(
    answers_csv: str, secret: bytes, kinds: Sequence[str], roster: list[Student] | None = None
) -> list[ExamMark]:
    """Every answer of a CSV (``student`` = the roster id, then ``Q1``, ``Q2``, ...) graded
    against that student's own version."""
    from .grade import read_answers

    labels = [f"Q{i}" for i in range(1, len(kinds) + 1)]
    rows = read_answers(answers_csv, labels)
    if len(rows) > MAX_ROWS:
        raise QuizError(f"the answers file has more than {MAX_ROWS} rows")
    known = {s.id for s in roster} if roster is not None else None
    marks = []
    for rec in rows:
        sid = rec["student"]
        if known is not None and sid not in known:
            raise QuizError(f"student {sid!r} of the answers file is not on the roster")
        for label, q in exam_for(secret, sid, kinds):
            given = rec.get(label, "")
            fb = q.check(given) if given else Feedback(False, "No answer.", readable=False)
            marks.append(ExamMark(sid, label, q.kind, given, credit(q, given, fb), fb))
    return marks


def report_csv(marks: list[ExamMark]) -> str:
    """A row per answer: student, question, answer, credit, mistake, feedback."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "question", "kind", "answer", "credit", "mistake", "feedback"])
    for m in marks:
        mistake = m.feedback.mistake.key if m.feedback.mistake else ""
        w.writerow(
            [
                m.student,
                m.question,
                m.kind,
                m.answer,
                f"{round(m.credit, 3):g}",
                mistake,
                m.feedback.message,
            ]
        )
    return buf.getvalue()


def student_report(student: str, marks: list[ExamMark], name: str = "") -> str:
    """One student's feedback, to hand back: the score, then every question with the answer
    given, the credit, and for a wrong answer the feedback (which names the known mistake)."""
    mine = [m for m in marks if m.student == student]
    got = sum(m.credit for m in mine)
    lines = [f"{name or student} ({student}): {round(got, 3):g} / {len(mine)}", ""]
    for m in mine:
        verdict = "right" if m.feedback.correct else f"credit {round(m.credit, 3):g}"
        lines.append(f"{m.question}: {m.answer or '(no answer)'}  [{verdict}]")
        if not m.feedback.correct:
            lines.append(
                textwrap.fill(
                    m.feedback.message, 88, initial_indent="    ", subsequent_indent="    "
                )
            )
    return "\n".join(lines) + "\n"


def write_reports(
    marks: list[ExamMark], out: str | os.PathLike, roster: list[Student] | None = None
) -> list[Path]:
    """``out/<id>.txt`` for every student graded (:func:`student_report`), written into a
    temporary directory beside ``out`` and renamed at the end; ``out`` must not exist yet."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise QuizError(f"{out} already exists and is not an empty directory")
    parent = out.resolve().parent
    if not parent.is_dir():
        raise QuizError(f"the directory {parent} does not exist")
    names = {s.id: s.name for s in roster or []}
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        for student in totals(marks):
            text = student_report(student, marks, names.get(student, ""))
            (tmp / f"{student}.txt").write_text(text, encoding="utf-8")
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sorted(out.iterdir())


def totals(marks: list[ExamMark]) -> dict[str, tuple[float, int]]:
    out: dict[str, tuple[float, int]] = {}
    for m in marks:
        got, asked = out.get(m.student, (0.0, 0))
        out[m.student] = (got + m.credit, asked + 1)
    return out


def scores_csv(marks: list[ExamMark]) -> str:
    """A row per student: the score (credits summed), the questions, and how many answers were
    right, partly right, wrong with a known mistake, wrong otherwise, or missing."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "score", "questions", "right", "partial", "mistakes", "other", "blank"])
    for student, (got, asked) in totals(marks).items():
        ms = [m for m in marks if m.student == student]
        right = sum(m.feedback.correct for m in ms)
        partial = sum(0 < m.credit < 1 for m in ms)
        blank = sum(not m.answer for m in ms)
        named = sum(m.feedback.mistake is not None for m in ms)
        other = asked - right - blank - named
        w.writerow([student, f"{round(got, 3):g}", asked, right, partial, named, other, blank])
    return buf.getvalue()


def summary(marks: list[ExamMark]) -> str:
    """Per question: how many answered, the mean credit, how many were right, and the known
    mistakes behind the wrong answers, most common first (CSV)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["question", "kind", "students", "right", "mean_credit", "unanswered", "mistakes"])
    by_q: dict[str, list[ExamMark]] = {}
    for m in marks:
        by_q.setdefault(m.question, []).append(m)
    for label, ms in by_q.items():
        mistakes = Counter(m.feedback.mistake.key for m in ms if m.feedback.mistake)
        w.writerow(
            [
                label,
                ms[0].kind,
                len(ms),
                sum(m.feedback.correct for m in ms),
                f"{np.mean([m.credit for m in ms]):.3f}",
                sum(not m.answer for m in ms),
                "; ".join(f"{k} ({n})" for k, n in mistakes.most_common()),
            ]
        )
    return buf.getvalue()
