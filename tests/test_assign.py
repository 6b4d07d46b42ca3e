"""cnnmath.assign: Otter-Grader assignments that grade the reference fully and every mistake less.

The solutions written into the instructor's notebook pass the checker; the student's notebook
holds no solution and no hidden test; and the real grader (``otter run``, offline, in this
environment) gives the reference full marks and every catalogued mistake less, with the
checker's diagnosis in the feedback.

Grading is slow (``otter run`` starts a kernel and executes the notebook: 10 to 25 seconds a
submission), so by default the grader runs on one chapter, conv_backprop, with the reference and
every one of its mistakes (8 submissions). ``CNNMATH_ASSIGN_CHAPTERS=all`` (or a comma-separated
list) runs it on those chapters instead.
"""

from __future__ import annotations

import ast
import json
import os
import zipfile

import nbformat
import pytest

from cnnmath import assign, exercises

GRADED = (
    assign.chapters()
    if os.environ.get("CNNMATH_ASSIGN_CHAPTERS") == "all"
    else os.environ.get("CNNMATH_ASSIGN_CHAPTERS", "conv_backprop").split(",")
)


@pytest.mark.parametrize("name", exercises.names())
def test_the_instructors_solution_passes_the_checker(name):
    ex = exercises.get(name)
    source = assign.solution_source(ex)
    ast.parse(source)
    namespace: dict = {}
    exec(compile(source, f"<solution {name}>", "exec"), namespace)  # noqa: S102 - our own code
    report = exercises.check(name, namespace[ex.solution_name])
    assert report.passed, report.message


def test_every_chapter_with_exercises_has_an_assignment_of_one_question_each():
    assert set(assign.chapters()) == {e.chapter for e in exercises.EXERCISES.values()}
    for chapter in assign.chapters():
        nb = assign.master_notebook(chapter)
        questions = [c for c in nb.cells if c.source.startswith("# BEGIN QUESTION")]
        assert len(questions) == len(exercises.names(chapter))
        hidden = [c for c in nb.cells if c.source.startswith("# HIDDEN")]
        assert len(hidden) == len(questions)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = {}
    for chapter in sorted(set(GRADED) | {"activations"}):
        out[chapter] = assign.write_assignment(chapter, tmp_path_factory.mktemp(chapter) / "a")
    return out


def test_the_student_notebook_holds_no_solution_and_no_hidden_test(built):
    for chapter, p in built.items():
        student = p["student"].read_text()
        instructor = p["instructor"].read_text()
        assert "otter.Notebook" in student and "grader.check" in student
        for name in exercises.names(chapter):
            ex = exercises.get(name)
            body = assign.solution_source(ex).split("# BEGIN SOLUTION\n")[1]
            body_lines = [ln.strip() for ln in body.splitlines() if len(ln.strip()) > 25]
            assert body_lines
            for line in body_lines:
                assert json.dumps(line)[1:-1] not in student, (chapter, line)
            assert json.dumps(body_lines[-1])[1:-1] in instructor
            assert f"def {ex.solution_name}(" in student  # the scaffold is there
            assert f'check("{name}", {ex.solution_name}).assert_passed()' not in student
            assert f"check('{name}', {ex.solution_name}).assert_passed()" not in student
        with zipfile.ZipFile(p["autograder"]) as z:
            tests = {n: z.read(n).decode() for n in z.namelist() if n.startswith("tests/")}
        assert len(tests) == len(exercises.names(chapter))
        assert all("hidden=True" in t and "configurations=1" in t for t in tests.values())


def test_the_files_are_the_same_for_the_same_chapter(tmp_path, built):
    again = assign.write_assignment("activations", tmp_path / "again")
    first = built["activations"]
    for key in ("master", "student"):
        a = nbformat.read(first[key], as_version=4)
        b = nbformat.read(again[key], as_version=4)
        assert [c.source for c in a.cells] == [c.source for c in b.cells]


def _bug_answers(chapter: str, k: int) -> tuple[dict[str, str], set[str]]:
    """Exercise -> source code: the k-th catalogued mistake where there is one, else the solution.

    Returns the answers and the names of the exercises answered with a mistake.
    """
    out, buggy = {}, set()
    for name in exercises.names(chapter):
        ex = exercises.get(name)
        if k < len(ex.bugs):
            buggy.add(name)
            out[name] = (
                "from cnnmath.exercises import get\n\n"
                f"{ex.solution_name} = get({name!r}).bugs[{k}].fn  # {ex.bugs[k].key}\n"
            )
        else:
            out[name] = assign.solution_source(ex)
    return out, buggy


@pytest.mark.parametrize("chapter", GRADED)
def test_otter_grades_the_reference_fully_and_every_mistake_less(chapter, built, tmp_path):
    p = built[chapter]
    reference = assign.grade(p["autograder"], p["instructor"])
    assert reference.full and reference.possible == 5 * len(exercises.names(chapter)), reference
    rounds = max(len(exercises.get(n).bugs) for n in exercises.names(chapter))
    for k in range(rounds):
        answers, buggy = _bug_answers(chapter, k)
        sub = assign.submission(p["student"], answers, tmp_path / f"bugs{k}.ipynb")
        result = assign.grade(p["autograder"], sub)
        assert result.score < result.possible, (k, result)
        for i, name in enumerate(exercises.names(chapter), start=1):
            feedback = result.feedback[f"q{i}"]
            ex = exercises.get(name)
            if name in buggy:
                assert "Test case failed" in feedback
                assert ex.bugs[k].mistake.feedback() in feedback, (name, k, feedback)
            else:
                assert "All test cases passed" in feedback, (name, feedback)


def test_an_unanswered_question_gets_a_clear_message(built, tmp_path):
    p = built["activations"]
    result = assign.grade(p["autograder"], p["student"])
    assert result.score == 0
    assert "got None" in result.feedback["q1"]


def test_bad_input(tmp_path, capsys):
    with pytest.raises(assign.AssignError, match="no implementation exercises"):
        assign.write_assignment("errata", tmp_path / "x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(assign.AssignError, match="not an empty directory"):
        assign.write_assignment("activations", tmp_path / "full")
    with pytest.raises(assign.AssignError, match="does not exist"):
        assign.grade(tmp_path / "none.zip", tmp_path / "none.ipynb")
    assert assign.main(["nope", "-o", str(tmp_path / "y")]) == 2
    assert "no implementation exercises" in capsys.readouterr().err
    assert not (tmp_path / "y").exists()
