"""Properties of the quiz's public functions under any input, each call within a time limit.

``question.check`` and ``grade`` take text that students type: whatever it is, they return a
verdict (never an exception, never a hang) within a deadline; a formula built to agree with the
answer at chosen points is still wrong, because each comparison draws its own points.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnnmath.quiz import QuizError, generate, grade
from cnnmath.quiz.__main__ import main
from cnnmath.quiz.expr import FUNCTIONS, FormulaError, equivalent, parse_formula

#: Seconds one call may take (a hang or a 10^64-digit number fails it at once).
DEADLINE_MS = 3000
FORMULA = generate("perceptron_gradient", 3)
GRID = generate("conv_feature_map", 2)
NUMBER = generate("conv_output_size", 4)

atoms = st.sampled_from(["a", "y", "x", "2", "0", "5", "64", "0.5", "1e30", "e", "pi", "(a-y)"])
ops = st.sampled_from(["+", "-", "*", "/", "^", "**", ""])
funcs = st.sampled_from(sorted(FUNCTIONS))


@st.composite
def formulas(draw, depth: int = 4) -> str:
    """Texts of the grammar's shape, nested, with towers of exponentials and powers."""
    if depth == 0 or draw(st.booleans()):
        return draw(atoms)
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return f"{draw(funcs)}({draw(formulas(depth - 1))})"
    if kind == 1:
        return f"({draw(formulas(depth - 1))}){draw(ops)}({draw(formulas(depth - 1))})"
    return f"{draw(formulas(depth - 1))}^{draw(formulas(depth - 1))}"


def _timed(f, *args):
    start = time.perf_counter()
    out = f(*args)
    assert time.perf_counter() - start < DEADLINE_MS / 1000
    return out


@settings(max_examples=150, deadline=DEADLINE_MS, suppress_health_check=[HealthCheck.too_slow])
@given(formulas())
def test_checking_any_formula_returns_a_verdict_in_time(text):
    fb = _timed(FORMULA.check, text)
    assert isinstance(fb.correct, bool) and fb.message


@settings(max_examples=100, deadline=DEADLINE_MS)
@given(st.text(max_size=80))
def test_any_text_is_a_verdict_for_every_answer_type(text):
    for q in (FORMULA, GRID, NUMBER):
        fb = _timed(q.check, text)
        assert fb.correct is False or fb.readable


@settings(max_examples=60, deadline=DEADLINE_MS)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
        elements=st.floats(allow_nan=True, allow_infinity=True),
    )
)
def test_a_grid_answer_of_any_shape_is_a_verdict(arr):
    fb = GRID.check(arr)
    assert fb.correct == (
        arr.shape == GRID.answer.array.shape and GRID.answer.same(arr, GRID.answer.value)
    )


def test_the_known_hangs_return_at_once():
    for text in ("exp(exp(exp(exp(5))))", "((((2^64)^64)^64)^64)^64", "exp(exp(a))^exp(exp(y))"):
        assert not _timed(FORMULA.check, text).correct
    assert not GRID.check(np.zeros(4)).readable


def test_a_formula_built_to_agree_at_fixed_points_is_wrong():
    """The old check compared at six fixed points: a formula vanishing there fooled it."""
    syms = dict(FORMULA.answer.symbols)
    right = FORMULA.answer.expr
    fixed = [((k + 1) * 0.6180339887) % 1.0 for k in range(6)]
    first = list(syms.values())[0]
    fooling = right + sp.Mul(*[first - sp.Float(0.1 + 0.8 * p, 30) for p in fixed])
    assert not equivalent(fooling, right, syms)
    text = FORMULA.answer.text(fooling)
    assert not FORMULA.check(text).correct
    # rewritings stay right
    assert FORMULA.check(FORMULA.answer.text()).correct


def test_equivalence_points_depend_on_both_formulas_and_are_reproducible():
    syms = {"a": sp.Symbol("a")}
    a = parse_formula("a^2", syms)
    assert equivalent(a, parse_formula("a*a", syms), syms)
    assert equivalent(a, parse_formula("a*a", syms), syms)  # the same verdict every time
    assert not equivalent(a, parse_formula("a^2 + 1e-6", syms), syms)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(formulas(2), st.text(max_size=20)), min_size=1, max_size=3))
def test_grade_of_any_answers_file_returns_marks_or_a_quiz_error(cells):
    rows = "student,Q1\n" + "".join(
        f'"s{i}","{c.replace(chr(34), chr(34) * 2)}"\n' for i, c in enumerate(cells)
    )
    start = time.perf_counter()
    try:
        marks = grade(["perceptron"], 1000, rows)
        assert all(isinstance(m.feedback.correct, bool) for m in marks)
    except QuizError as exc:
        assert str(exc)
    assert time.perf_counter() - start < 10 * DEADLINE_MS / 1000


@pytest.mark.parametrize("cell", ["exp(exp(exp(exp(5))))", "((((2^64)^64)^64)^64)^64"])
def test_the_cli_grades_a_hostile_formula_in_time(tmp_path, capsys, cell):
    f = tmp_path / "answers.csv"
    f.write_text(f"student,Q2\nann,{cell}\n", encoding="utf-8")
    start = time.perf_counter()
    assert main(["grade", str(f), "--topics", "perceptron", "--seed", "1000"]) == 0
    assert time.perf_counter() - start < 10 * DEADLINE_MS / 1000
    assert "ann: " in capsys.readouterr().out


@settings(max_examples=150, deadline=DEADLINE_MS)
@given(st.text(max_size=120))
def test_parse_formula_returns_an_expression_or_a_formula_error(text):
    syms = dict(FORMULA.answer.symbols)
    try:
        e = _timed(parse_formula, text, syms)
    except FormulaError as exc:
        assert str(exc)
    else:
        assert isinstance(e, sp.Expr)


@settings(max_examples=100, deadline=DEADLINE_MS)
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_a_number_typed_or_given_gets_the_same_verdict(x):
    a = NUMBER.answer
    assert NUMBER.check(repr(x)).correct == NUMBER.check(x).correct == a.same(x, a.value)


@settings(max_examples=60, deadline=DEADLINE_MS)
@given(
    hnp.arrays(
        np.float64,
        st.just(GRID.answer.array.shape),
        elements=st.integers(-50, 50).map(float),
    )
)
def test_a_grid_typed_or_given_gets_the_same_verdict(arr):
    typed = "; ".join(" ".join(str(int(v)) for v in row) for row in arr)
    assert GRID.check(typed).correct == GRID.check(arr).correct


@settings(max_examples=80, deadline=DEADLINE_MS)
@given(st.text(max_size=200))
def test_any_roster_or_answers_file_is_read_or_refused_with_a_quiz_error(text):
    from cnnmath.quiz.grade import read_answers
    from cnnmath.quiz.paper import read_roster

    for read in (read_roster, lambda t: read_answers(t, ["Q1", "Q2"])):
        try:
            _timed(read, text)
        except QuizError as exc:
            assert str(exc)
