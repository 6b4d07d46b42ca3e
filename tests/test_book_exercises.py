"""The book's implementation exercises: every exercise of ``cnnmath.exercises`` is in its chapter,
with the scaffold that ``scaffold(name)`` gives (signature and docstring; the notebook may wrap
docstring lines at 88 characters), a cell that checks it, and a solution block whose code passes
the check.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from cnnmath.exercises import EXERCISES, check, scaffold

BOOK = Path(__file__).resolve().parents[1] / "book"


def _cells(chapter: str) -> list[nbformat.NotebookNode]:
    return nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4).cells


def _function(source: str) -> ast.FunctionDef | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    return defs[0] if len(defs) == 1 else None


def _shape(fn: ast.FunctionDef) -> tuple[str, str, str]:
    """The function's name, its arguments (as source) and its docstring with whitespace
    collapsed."""
    doc = " ".join((ast.get_docstring(fn, clean=False) or "").split())
    return fn.name, ast.unparse(fn.args), doc


def _is_stub(fn: ast.FunctionDef) -> bool:
    last = fn.body[-1]
    return (
        isinstance(last, ast.Raise)
        and isinstance(last.exc, ast.Name)
        and last.exc.id == "NotImplementedError"
    )


@pytest.mark.parametrize("name", list(EXERCISES))
def test_every_exercise_is_in_its_chapter_with_its_scaffold_check_and_solution(name):
    ex = EXERCISES[name]
    cells = _cells(ex.chapter)
    want = _shape(_function(scaffold(name)))
    stubs = [
        i
        for i, c in enumerate(cells)
        if c.cell_type == "code"
        and (fn := _function(c.source)) is not None
        and _is_stub(fn)
        and fn.name == ex.solution_name
    ]
    assert len(stubs) == 1, f"{ex.chapter}: {len(stubs)} scaffold cells for {name}"
    i = stubs[0]
    assert _shape(_function(cells[i].source)) == want, (
        f"{ex.chapter}: the scaffold of {name} differs from scaffold({name!r}); regenerate it"
    )
    call = f'check("{name}", {ex.solution_name})'
    assert cells[i + 1].cell_type == "code" and cells[i + 1].source.endswith(call)
    label = "implement-" + name.replace("_", "-")
    before = "".join(c.source for c in cells[:i] if c.cell_type == "markdown")
    assert f":label: {label}" in before and "{exercise-start}" in before
    rest = cells[i + 2 :]
    opening = next(
        k
        for k, c in enumerate(rest)
        if c.cell_type == "markdown" and "{solution-start}" in c.source
    )
    assert "{exercise-end}" in rest[opening].source
    assert re.search(rf"\{{solution-start\}} {label}\b", rest[opening].source)
    solution = rest[opening + 1]
    assert solution.cell_type == "code" and solution.source.endswith(call)
    assert "{solution-end}" in rest[opening + 2].source


@pytest.mark.parametrize("name", list(EXERCISES))
def test_the_books_solution_passes_the_check(name):
    ex = EXERCISES[name]
    cells = _cells(ex.chapter)
    call = f'check("{name}", {ex.solution_name})'
    (solution,) = [
        c
        for c in cells
        if c.cell_type == "code"
        and c.source.endswith(call)
        and "NotImplementedError" not in c.source
        and f"def {ex.solution_name}(" in c.source
    ]
    code = solution.source[: -len(call)]
    namespace: dict = {"np": np}
    exec(compile(code, f"<{ex.chapter}: solution of {name}>", "exec"), namespace)  # noqa: S102
    report = check(name, namespace[ex.solution_name])
    assert report.passed, report.message


@pytest.mark.parametrize("name", list(EXERCISES))
def test_the_scaffold_as_given_is_reported_as_not_written_yet(name):
    ex = EXERCISES[name]
    namespace: dict = {"np": np}
    exec(scaffold(name), namespace)  # noqa: S102
    report = check(name, namespace[ex.solution_name])
    assert not report.passed and report.message == (
        f"{name}: {ex.solution_name} is not written yet (it raises NotImplementedError). Write "
        "its body, then run the check again."
    )
