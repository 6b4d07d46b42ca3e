"""cnnmath.quiz: registry, seeds, reading and checking answers, mistakes, paper quizzes, CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from cnnmath import ledger
from cnnmath.quiz import (
    CATALOG,
    TOPICS,
    QuizError,
    answer_key,
    exam,
    generate,
    generators,
    grade,
    quiz,
)
from cnnmath.quiz.__main__ import main
from cnnmath.quiz.expr import FormulaError, equivalent, parse_formula
from cnnmath.quiz.grade import scores
from cnnmath.quiz.mistakes import Mistake

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------------
# registry and seeds
# --------------------------------------------------------------------------------------------


def test_every_chapter_has_at_least_three_kinds_and_there_are_45_or_more():
    kinds = [g.kind for g in generators()]
    assert len(kinds) == len(set(kinds)) >= 45
    for topic in TOPICS:
        assert len(generators(topic)) >= 3, topic
    types = {g.answer_type for g in generators()}
    assert types == {"numeric", "choice", "grid", "symbolic"}


def test_every_chapter_notebook_of_the_book_is_a_topic():
    chapters = [p.stem for p in (ROOT / "book").glob("*.ipynb")]
    assert chapters and all(c in TOPICS for c in chapters), sorted(set(chapters) - set(TOPICS))


def test_the_same_seed_gives_the_same_question_and_seeds_vary_it():
    for g in generators():
        a, b = g(3), g(3)
        assert (a.text, a.code, a.solution, a.answer.key()) == (
            b.text,
            b.code,
            b.solution,
            b.answer.key(),
        )
        assert len({g(s).fingerprint for s in range(8)}) >= 2, g.kind


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True, "x", None, "-3"])
def test_bad_seeds_are_refused_with_a_message(seed):
    with pytest.raises(QuizError, match="seed must be a whole number"):
        generate("conv_output_size", seed)


def test_unknown_kind_and_topic():
    with pytest.raises(QuizError, match="unknown question kind"):
        generate("no_such_kind")
    with pytest.raises(QuizError, match="unknown topic"):
        generators("no_such_topic")
    with pytest.raises(QuizError, match="unknown topic"):
        quiz("nope")


def test_a_chapter_quiz_is_deterministic_and_can_be_shortened():
    full = quiz("convolution", seed=4)
    assert [q.kind for q in full] == [g.kind for g in generators("convolution")]
    short = quiz("convolution", seed=4, n=2)
    assert len(short) == 2 and [q.id for q in short] == [
        q.id for q in quiz("convolution", seed=4, n=2)
    ]
    with pytest.raises(ValueError, match="n"):
        quiz("convolution", n=0)


# --------------------------------------------------------------------------------------------
# checking answers
# --------------------------------------------------------------------------------------------


def test_numeric_answers_within_tolerance_fractions_and_mistakes():
    q = next(
        generate("conv_output_size", s)
        for s in range(50)
        if any(m.key == "ceil" for _, m in generate("conv_output_size", s).answer.distractors)
    )
    n = q.answer.number
    assert q.check(str(int(n))).correct and q.check(n).correct and q.check(f" {int(n)} ").correct
    ceil = next(v for v, m in q.answer.distractors if m.key == "ceil")
    fb = q.check(str(int(ceil)))
    assert not fb.correct and fb.mistake.key == "ceil" and "slides-output-size-ceil" in fb.message
    assert q.check(f"{2 * int(n)}/2").correct
    for junk in ("five", "", "1/0", "nan", "inf", "2 +"):
        fb = q.check(junk)
        assert not fb.correct and not fb.readable and "Could not read" in fb.message
    q = generate("softmax_output", 0)
    v, tol = q.answer.number, q.answer.tol
    assert q.check(v + 0.9 * tol).correct and not q.check(v + 3 * tol).correct


def test_choice_answers_by_letter():
    q = generate("symmetry", 1)
    right = chr(65 + q.answer.correct)
    assert (
        q.check(right).correct and q.check(right.lower()).correct and q.check(f"({right})").correct
    )
    wrong = next(chr(65 + i) for i in range(len(q.answer.options)) if i != q.answer.correct)
    assert not q.check(wrong).correct
    assert not q.check("Z").readable and not q.check("AB").readable


def test_grid_answers_in_several_notations_and_their_mistakes():
    q = generate("conv_feature_map", 1)
    g = q.answer.array
    rows = "; ".join(" ".join(str(int(v)) for v in r) for r in g)
    assert q.check(rows).correct
    assert q.check(
        "[" + ", ".join("[" + ", ".join(str(int(v)) for v in r) + "]" for r in g) + "]"
    ).correct
    assert q.check("\n".join(" ".join(str(int(v)) for v in r) for r in g)).correct
    flipped = next(v for v, m in q.answer.distractors if m.key == "flipped_kernel")
    fb = q.check(flipped)
    assert fb.mistake.key == "flipped_kernel" and "thesis-eq59-cross-correlation" in fb.message
    fb = q.check("1 2; 3 4")
    assert not fb.readable and "rows of" in fb.message
    assert not q.check("1 2; 3").readable and not q.check("a b; c d").readable


def test_symbolic_answers_accept_rewritings_and_name_mistakes():
    q = next(
        q
        for q in (generate("perceptron_gradient", s) for s in range(1000))
        if (q.data["target"], q.data["loss"], q.data["c"]) == ("w", "ce", 1)
    )
    for text in ("(a - y)*x", "x(a-y)", "-(y - a) x", "a*x - x*y", "(a-y)*x*a*(1-a)/(a*(1-a))"):
        assert q.check(text).correct, text
    fb = q.check("(y - a)*x")
    assert not fb.correct and fb.mistake.key == "sign"
    fb = q.check("(a-y)*a*(1-a)*x")
    assert fb.mistake.key == "no_cancellation"
    assert not q.check("(a-y)*x + 1e-3").correct


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('echo hacked')",
        "a.__class__",
        "exec(a)",
        "lambda: 1",
        "a; b",
        "[a]",
        "'a'",
        "a if y else x",
        "open(a)",
        "2**999",
        "(" * 60 + "a" + ")" * 60,
        "a" * 500,
        "",
        "exp",
        "1e400x",
    ],
)
def test_formulas_are_parsed_never_evaluated(text):
    with pytest.raises(FormulaError):
        parse_formula(text, {"a": sp.Symbol("a"), "x": sp.Symbol("x"), "y": sp.Symbol("y")})


def test_formula_grammar():
    z, a = sp.symbols("z a")
    syms = {"z": z, "a": a}
    assert parse_formula("-z^2", syms) == -(z**2)
    assert parse_formula("2^-1", syms) == sp.Rational(1, 2)
    assert parse_formula("2z(a+1)", syms) == 2 * z * (a + 1)
    assert parse_formula("sigma(z)", syms) == 1 / (1 + sp.exp(-z))
    assert parse_formula("0.25 + 1e-1", syms) == sp.Rational(7, 20)
    assert equivalent(parse_formula("ln(e^z)", syms), z, syms)
    assert equivalent(
        parse_formula("sigma(z)(1 - sigma(z))", syms), sp.exp(-z) / (1 + sp.exp(-z)) ** 2, syms
    )
    assert not equivalent(z, z + sp.Rational(1, 10**6), syms)


# --------------------------------------------------------------------------------------------
# mistakes and the ledger
# --------------------------------------------------------------------------------------------


def _cited_mistakes() -> dict[str, object]:
    """Every mistake that cites a ledger claim: the catalog's and those the generators make."""
    cited = {m.key: m for m in CATALOG.values() if m.claim}
    for g in generators():
        for s in range(12):
            cited |= {m.key: m for _, m in g(s).answer.distractors if m.claim}
    return cited


def test_every_cited_mistake_is_a_ledger_claim():
    for m in _cited_mistakes().values():
        ledger.get(m.claim)  # raises if the claim does not exist
    for key in (
        "ceil",
        "bias_inside_sum",
        "no_filter_sum",
        "adam_m_prev",
        "bias_grad_no_sum",
        "pool_ties_all",
        "softmax_single_path",
        "perceptron_sign",
    ):
        assert CATALOG[key].claim, key


def _cites_fairly(m) -> bool:
    """A source is named as making mistake ``m`` only where the ledger's verdict says it does:
    ``wrong`` or ``inconsistent``, or ``convention`` with feedback that calls it a convention."""
    verdict = ledger.get(m.claim).verdict
    if verdict == "convention":
        return "convention" in m.what and "records the convention" in m.feedback()
    return verdict in ("wrong", "inconsistent") and f"verdict: {verdict})" in m.feedback()


def test_a_mistake_cites_only_claims_the_ledger_finds_at_fault():
    cited = _cited_mistakes()
    assert len(cited) >= 10
    unfair = {key: m.claim for key, m in cited.items() if not _cites_fairly(m)}
    assert not unfair
    # the rule catches a citation of a claim that holds, and of a convention called a mistake
    holds = next(c.id for c in ledger.claims() if c.verdict == "holds")
    convention = next(c.id for c in ledger.claims() if c.verdict == "convention")
    assert not _cites_fairly(Mistake("x", "the source does this", holds))
    assert not _cites_fairly(Mistake("y", "the source does this", convention))


def test_the_sources_mistakes_appear_as_distractors():
    seen = {m.key for g in generators() for s in range(12) for _, m in g(s).answer.distractors}
    for key in (
        "ceil",
        "no_plus_one",
        "no_padding",
        "bias_inside_sum",
        "no_filter_sum",
        "adam_m_prev",
        "bias_grad_no_sum",
        "pool_ties_all",
        "pool_overlap_overwrite",
        "softmax_single_path",
        "bce_brackets",
        "perceptron_sign",
        "flipped_kernel",
        "running_as_trainable",
    ):
        assert key in seen, key


# --------------------------------------------------------------------------------------------
# paper quizzes: key and grading
# --------------------------------------------------------------------------------------------


def _answers_csv(topics, seed, wrong_for_bob=True):
    qs = exam(topics, seed)
    header = "student," + ",".join(label for label, _ in qs)
    alice = "alice," + ",".join('"' + q.answer.key() + '"' for _, q in qs)
    bob = []
    for _, q in qs:
        if wrong_for_bob and q.answer.distractors and q.answer.type == "numeric":
            bob.append('"' + q.answer.text(q.answer.distractors[0][0]) + '"')
        else:
            bob.append("")
    return "\n".join([header, alice, "bob," + ",".join(bob)]) + "\n", qs


def test_grading_a_csv_against_the_key():
    text, qs = _answers_csv(["convolution", "optimizers"], 5)
    marks = grade(["convolution", "optimizers"], 5, text)
    s = scores(marks)
    assert s["alice"] == (len(qs), len(qs))
    bob = [m for m in marks if m.student == "bob"]
    assert s["bob"][0] == 0
    assert any(m.feedback.mistake is not None for m in bob)
    assert all(m.feedback.message == "No answer." for m in bob if not m.answer)
    key = answer_key(["convolution", "optimizers"], 5)
    assert (
        key.splitlines()[0] == "question,id,title,answer,option"
        and len(key.splitlines()) == len(qs) + 1
    )


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "empty"),
        ("name,Q1\nann,3\n", "'student' column"),
        ("student,Q1,Q99\nann,3,4\n", "unknown question column"),
        ("student,Q1\nann,3\nann,4\n", "appears twice"),
        ("student,Q1\nann,3,4\n", "has 3 fields"),
        ("student,Q1\n", "no answers"),
        ("student,Q1,Q1\nann,1,2\n", "twice"),
        ('student,Q1\n"ann,3\n', "not valid CSV"),
        ("student,Q1\n,3\n", "no student name"),
    ],
)
def test_malformed_answer_files_are_refused(text, message):
    with pytest.raises(QuizError, match=message):
        grade(["convolution"], 0, text)


# --------------------------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------------------------


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_list_show_key(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0 and f"{len(generators())} generators in {len(TOPICS)} topics" in out
    code, out, _ = run(capsys, "list", "--topic", "alexnet")
    assert code == 0 and "lrn_output" in out
    code, out, _ = run(capsys, "show", "conv_output_size", "--seed", "7")
    assert code == 0 and "Worked solution" in out and "Known mistakes" in out
    code, out, _ = run(capsys, "show", "--topics", "init", "--seed", "2", "--no-solution")
    assert code == 0 and out.startswith("Q1. ") and "Worked solution" not in out
    code, out, _ = run(capsys, "key", "--topics", "init", "--seed", "2")
    assert code == 0 and out == answer_key(["init"], 2)


def test_cli_export_and_grade(capsys, tmp_path):
    for fmt, name in (("moodle", "bank.xml"), ("gift", "bank.gift"), ("qti", "bank.zip")):
        code, _, err = run(
            capsys,
            "export",
            "--format",
            fmt,
            "--topics",
            "losses",
            "--variants",
            "3",
            "-o",
            str(tmp_path / name),
        )
        assert (
            code == 0
            and (tmp_path / name).stat().st_size > 0
            and "3 question groups, 9 questions" in err
        )
    text, _ = _answers_csv(["losses"], 9)
    (tmp_path / "answers.csv").write_text(text, encoding="utf-8")
    code, out, _ = run(
        capsys,
        "grade",
        str(tmp_path / "answers.csv"),
        "--topics",
        "losses",
        "--seed",
        "9",
        "-o",
        str(tmp_path / "feedback.csv"),
    )
    assert code == 0 and "alice: 3/3" in out and "bob: 0/3" in out
    assert (
        (tmp_path / "feedback.csv")
        .read_text()
        .startswith("student,question,answer,correct,mistake,feedback")
    )


@pytest.mark.parametrize(
    "argv,message",
    [
        (["show", "nope"], "unknown question kind"),
        (["list", "--topic", "nope"], "unknown topic"),
        (["export", "--format", "qti", "--topics", "losses"], "zip file"),
        (["grade", "/no/such/file.csv", "--topics", "losses"], "no such file"),
        (["show"], "name a question kind"),
    ],
)
def test_cli_bad_input_exits_2_with_a_message(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv,message",
    [
        (["key", "--topics", "nope"], "unknown topic"),
        (["show", "conv_output_size", "--seed", "-1"], "seed must be"),
        (["export", "--format", "pdf"], "invalid choice"),
        (["export", "--format", "gift", "--variants", "0"], "variants"),
        (["export", "--format", "gift", "--kinds", "nope"], "unknown question kind"),
    ],
)
def test_cli_bad_arguments_are_usage_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and message in err and "Traceback" not in err


def test_cli_malformed_csv_and_help(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"student,Q1\n\xff\xfe,3\n")
    r = subprocess.run(
        [sys.executable, "-m", "cnnmath.quiz", "grade", str(bad), "--topics", "losses"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "not UTF-8" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "cnnmath.quiz", "--help"], capture_output=True, text=True
    )
    assert r.returncode == 0
    for word in ("list", "show", "export", "key", "grade", "seed", "student"):
        assert word in r.stdout


def test_answer_types_reject_values_of_the_wrong_shape():
    q = generate("maxpool_routing", 0)
    assert not q.check(np.zeros((2, 2))).readable
