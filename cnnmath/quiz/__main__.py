"""``python -m cnnmath.quiz``: list, show, export, key and grade the book's seeded questions."""

from __future__ import annotations

import argparse
import signal
import sys
import textwrap
from pathlib import Path

from ..files import write_atomically
from .catalogue import generators, get
from .export import FORMATS, MAX_VARIANTS, bank, export, warnings
from .grade import answer_key, exam, grade, marks_csv, scores
from .registry import MAX_SEED, TOPICS, QuizError, check_seed
from .versions import FIRST_PUBLIC_SEED, read_secret

EPILOG = f"""\
topics (chapters): {", ".join(TOPICS)}; 'all' means every one.

examples:
  python -m cnnmath.quiz list --topic convolution
  python -m cnnmath.quiz show conv_output_size --seed 7
  python -m cnnmath.quiz show --topics convolution,conv_backprop --seed 7 --no-solution
  python -m cnnmath.quiz export --format moodle --topics convolution --variants 20 \\
      --secret-file key.txt -o conv.xml
  python -m cnnmath.quiz export --format gift --kinds adam_steps,init_variance -o bank.gift
  python -m cnnmath.quiz export --format qti --topics all --variants 10 --secret-file key.txt \\
      -o cnnmath-qti.zip
  python -m cnnmath.quiz key --topics convolution --seed 7 -o key.csv
  python -m cnnmath.quiz grade --topics convolution --seed 7 answers.csv -o feedback.csv
  python -m cnnmath.quiz exam --roster roster.csv --topics convolution --secret-file key.txt -o exams
  python -m cnnmath.quiz grade answers.csv --topics convolution --secret-file key.txt \\
      --roster roster.csv -o report.csv --summary summary.csv

A seed is a whole number from 0 to {MAX_SEED}; the same seed gives the same questions (the book's
quizzes use the seeds below {FIRST_PUBLIC_SEED}, whose answers are public). With a secret (a
passphrase, or --secret-file with a key file) 'export' and 'exam' draw the seeds from it and the
student's id: nobody without it can reproduce a version. The answers CSV of 'grade' has a
'student' column and one column per question, named as in the key (Q1, Q2, ...); grid answers
are written '1 2; 3 4', multiple-choice answers as a letter, formulas in plain text
(2*x^2 + exp(-z)). Exit status: 0 on success, 2 on bad input (with a message).
"""


def _argument(convert):
    """An argparse ``type=`` that reports a :class:`QuizError` as argparse's own usage error."""

    def wrapped(text: str):
        try:
            return convert(text)
        except QuizError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    wrapped.__name__ = convert.__name__.strip("_")
    return wrapped


@_argument
def _topics(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    if names == ["all"]:
        return list(TOPICS)
    bad = [t for t in names if t not in TOPICS]
    if bad or not names:
        raise QuizError(
            (
                f"unknown topic(s) {', '.join(bad) or repr(text)}; the topics are: "
                f"{', '.join(TOPICS)}, all"
            )
        )
    return names


@_argument
def _kinds(text: str) -> list[str]:
    kinds = [get(k.strip()).kind for k in text.split(",") if k.strip()]
    if not kinds:
        raise QuizError("name at least one question kind")
    return kinds


@_argument
def _seed(text: str) -> int:
    return check_seed(text)


@_argument
def _variants(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise QuizError(
            f"the number of variants must be a whole number from 1 to {MAX_VARIANTS}; got {text!r}"
        ) from None
    if not 1 <= n <= MAX_VARIANTS:
        raise QuizError(
            f"the number of variants must be a whole number from 1 to {MAX_VARIANTS}; got {n}"
        )
    return n


def _write(path: str | None, data: bytes | str) -> None:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if path in (None, "-"):
        sys.stdout.buffer.write(raw)
        sys.stdout.flush()
        return
    target = Path(path)
    try:
        write_atomically(target, raw)
    except OSError as exc:
        raise QuizError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"wrote {path} ({len(raw):,} bytes)", file=sys.stderr)


def cmd_list(args: argparse.Namespace) -> None:
    topics = [args.topic] if args.topic else list(TOPICS)
    if args.topic and args.topic not in TOPICS:
        raise QuizError(f"unknown topic {args.topic!r}; the topics are: {', '.join(TOPICS)}")
    total = 0
    for t in topics:
        gens = generators(t)
        total += len(gens)
        print(f"{t}: {TOPICS[t]} ({len(gens)} generators)")
        for g in gens:
            print(f"  {g.kind:32s} {g.answer_type:9s} {g.title}")
    if not args.topic:
        print(f"{total} generators in {len(topics)} topics")


def cmd_show(args: argparse.Namespace) -> None:
    if args.kind and args.topics:
        raise QuizError("give either a question kind or --topics, not both")
    if args.kind:
        print(get(args.kind)(args.seed).render(solution=not args.no_solution))
        return
    if not args.topics:
        raise QuizError("name a question kind (see 'list') or --topics")
    for label, q in exam(args.topics, args.seed):
        print(f"{label}. " + q.render(solution=not args.no_solution))
        print("\n" + "-" * 72 + "\n")


def cmd_export(args: argparse.Namespace) -> None:
    if args.format == "qti" and args.output in (None, "-"):
        raise QuizError("a QTI package is a zip file: give --output FILE.zip")
    secret = None
    if args.secret is not None or args.secret_file is not None:
        if args.seed is not None:
            raise QuizError("give either --secret (or --secret-file) or --seed, not both")
        secret = read_secret(args.secret, args.secret_file)
    groups = bank(args.topics, args.kinds, args.variants, args.seed, secret)
    data = export(args.format, groups, title=args.title, secret=secret)
    _write(args.output, data)
    n = sum(len(qs) for _, qs in groups)
    for line in warnings(groups, args.variants):
        print(f"warning: {line}", file=sys.stderr)
    if secret is None:
        print(
            "note: without --secret the variants use public seeds (from "
            f"{FIRST_PUBLIC_SEED if args.seed is None else args.seed}); anyone with the package "
            "can reproduce them",
            file=sys.stderr,
        )
    print(f"{len(groups)} question groups, {n} questions ({args.format})", file=sys.stderr)


def cmd_key(args: argparse.Namespace) -> None:
    _write(args.output, answer_key(args.topics, args.seed))


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise QuizError(f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise QuizError(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise QuizError(f"cannot read {path}: {exc.strerror or exc}") from None


def cmd_exam(args: argparse.Namespace) -> None:
    from . import paper

    secret = read_secret(args.secret, args.secret_file)
    roster = paper.read_roster(_read(args.roster))
    kinds = paper.exam_kinds(args.topics, args.kinds)
    # a termination request unwinds like an error: write_exams removes its temporary directory
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        pdfs = paper.write_exams(roster, kinds, secret, args.output, title=args.title)
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(
        f"wrote {len(pdfs)} exams of {len(kinds)} questions and key.csv to {args.output}",
        file=sys.stderr,
    )


def cmd_grade_exams(args: argparse.Namespace) -> None:
    from . import paper

    secret = read_secret(args.secret, args.secret_file)
    if args.reports and Path(args.reports).exists():
        raise QuizError(f"{args.reports} already exists: name a new directory for the reports")
    roster = paper.read_roster(_read(args.roster)) if args.roster else None
    kinds = paper.exam_kinds(args.topics, args.kinds)
    marks = paper.grade_exams(_read(args.answers), secret, kinds, roster)
    for student, (got, asked) in paper.totals(marks).items():
        print(f"{student}: {got:g}/{asked}")
        for m in marks:
            if m.student == student and not m.feedback.correct:
                name = f" {m.feedback.mistake.key}" if m.feedback.mistake else ""
                print(f"  {m.question} [{m.answer or '-'}] credit {m.credit:.2g}{name}")
    if args.output:
        _write(args.output, paper.report_csv(marks))
    if args.summary:
        _write(args.summary, paper.summary(marks))
    if args.scores:
        _write(args.scores, paper.scores_csv(marks))
    if args.reports:
        files = paper.write_reports(marks, args.reports, roster)
        print(f"wrote {len(files)} student reports to {args.reports}", file=sys.stderr)


def cmd_grade(args: argparse.Namespace) -> None:
    if args.secret is not None or args.secret_file is not None:
        if args.seed is not None:
            raise QuizError("give either --secret (per-student exams) or --seed, not both")
        cmd_grade_exams(args)
        return
    if args.kinds or args.roster or args.summary or args.scores or args.reports:
        raise QuizError(
            "--kinds, --roster, --summary, --scores and --reports grade per-student exams: "
            "give --secret"
        )
    if not args.topics:
        raise QuizError("name the quiz's --topics")
    text = _read(args.answers)
    marks = grade(args.topics, FIRST_PUBLIC_SEED if args.seed is None else args.seed, text)
    for student, (right, asked) in scores(marks).items():
        print(f"{student}: {right}/{asked}")
        for m in marks:
            if m.student == student and not m.feedback.correct:
                wrapped = textwrap.fill(
                    m.feedback.message, 96, initial_indent="      ", subsequent_indent="      "
                )
                print(f"  {m.question} [{m.answer or '-'}]\n{wrapped}")
    if args.output:
        _write(args.output, marks_csv(marks))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m cnnmath.quiz",
        description=(
            "Seeded quiz questions for every chapter of the book: every answer computed by the "
            "package, every "
            "distractor a known mistake (cited from the ledger where a source makes it)."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser(
        "list",
        help="topics and their question generators",
        description="List the topics (chapters) and the question generators of each.",
    )
    s.add_argument("--topic", help="only this topic")
    s.set_defaults(run=cmd_list)

    s = sub.add_parser(
        "show",
        help="a question with its worked solution",
        description="Print one question (a KIND from 'list') with its answer, worked solution and "
        "the known mistakes; or, with --topics, the numbered quiz whose key 'key' prints.",
    )
    s.add_argument("kind", nargs="?", help="a question kind, e.g. conv_output_size")
    s.add_argument(
        "--topics", type=_topics, help="comma-separated topics, or 'all': the numbered quiz"
    )
    s.add_argument(
        "--seed",
        type=_seed,
        default=FIRST_PUBLIC_SEED,
        help=f"the seed (default {FIRST_PUBLIC_SEED}; the book's quizzes use the seeds below it)",
    )
    s.add_argument("--no-solution", action="store_true", help="questions only (for students)")
    s.set_defaults(run=cmd_show)

    s = sub.add_parser(
        "export",
        help="a question bank for Moodle (XML or GIFT) or Canvas (QTI)",
        description="Write a bank with VARIANTS seeded variants of each question kind, grouped so "
        "that every student draws one: Moodle categories, Canvas question groups.",
    )
    s.add_argument(
        "--format", required=True, choices=FORMATS, help="moodle (XML), gift or qti (Canvas zip)"
    )
    s.add_argument("--topics", type=_topics, help="comma-separated topics, or 'all' (the default)")
    s.add_argument(
        "--kinds", type=_kinds, help="comma-separated question kinds (instead of --topics)"
    )
    s.add_argument(
        "--variants",
        type=_variants,
        default=5,
        help=f"variants per kind, 1 to {MAX_VARIANTS} (default 5)",
    )
    s.add_argument(
        "--seed",
        type=_seed,
        help=f"first public seed (default {FIRST_PUBLIC_SEED}); the variants use seed, seed+1, ...",
    )
    s.add_argument(
        "--secret", help="the instructor's passphrase: variants drawn from it, unknown to students"
    )
    s.add_argument("--secret-file", help="a file whose contents are the secret")
    s.add_argument("--title", default="cnnmath quiz", help="the quiz's title (QTI)")
    s.add_argument(
        "-o", "--output", help="output file ('-' or none: standard output; required for qti)"
    )
    s.set_defaults(run=cmd_export)

    s = sub.add_parser(
        "key",
        help="the answer key of a seed's quiz (CSV)",
        description="Print the answer key (CSV: question, id, title, answer) of the quiz that "
        "'show --topics' prints for the same topics and seed.",
    )
    s.add_argument("--topics", type=_topics, required=True, help="comma-separated topics, or 'all'")
    s.add_argument(
        "--seed",
        type=_seed,
        default=FIRST_PUBLIC_SEED,
        help=f"the seed (default {FIRST_PUBLIC_SEED}; the book's quizzes use the seeds below it)",
    )
    s.add_argument("-o", "--output", help="output file (default: standard output)")
    s.set_defaults(run=cmd_key)

    s = sub.add_parser(
        "grade",
        help="grade a CSV of students' answers against a seed's key",
        description="Check every answer of a CSV (columns: student, Q1, Q2, ...) against the quiz "
        "of the topics and seed; print each student's score and the feedback for every "
        "wrong answer (the known mistake it matches, where it matches one).",
    )
    s.add_argument("answers", help="the answers CSV (UTF-8)")
    s.add_argument("--topics", type=_topics, help="comma-separated topics, or 'all'")
    s.add_argument("--kinds", type=_kinds, help="question kinds (per-student exams, as in 'exam')")
    s.add_argument(
        "--seed", type=_seed, help=f"the seed of a one-version quiz (default {FIRST_PUBLIC_SEED})"
    )
    s.add_argument("--secret", help="the exam's secret: grade each student's own version")
    s.add_argument("--secret-file", help="a file whose contents are the secret")
    s.add_argument("--roster", help="the exam's roster: every student graded must be on it")
    s.add_argument("-o", "--output", help="also write every answer's feedback as CSV to this file")
    s.add_argument("--summary", help="per-exam grading: write the per-question summary (CSV) here")
    s.add_argument("--scores", help="per-exam grading: write each student's score (CSV) here")
    s.add_argument(
        "--reports", help="per-exam grading: a new directory with a feedback file per student"
    )
    s.set_defaults(run=cmd_grade)

    s = sub.add_parser(
        "exam",
        help="a printed exam (PDF) for every student of a roster, and its key",
        description="Write OUTPUT/<id>.pdf for every student of the roster (CSV with the columns "
        "id and name): their own version of every question kind of the topics, drawn from the "
        "secret, with their name and version code on every page and an answer sheet; and "
        "OUTPUT/key.csv with every student's answers. Needs Debian's TeX packages "
        "(scripts/get-tex.sh). Grade with 'grade ANSWERS --secret ... --topics ...'.",
    )
    s.add_argument("--roster", required=True, help="CSV with the columns id and name")
    s.add_argument("--topics", type=_topics, help="comma-separated topics, or 'all'")
    s.add_argument("--kinds", type=_kinds, help="comma-separated question kinds (or --topics)")
    s.add_argument(
        "--secret", help="the instructor's passphrase (keep it: it reproduces the exams)"
    )
    s.add_argument("--secret-file", help="a file whose contents are the secret")
    s.add_argument("--title", default="cnnmath exam", help="the exam's title")
    s.add_argument("-o", "--output", required=True, help="a new directory for the PDFs and key")
    s.set_defaults(run=cmd_exam)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except QuizError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
