"""Autograded assignments from a chapter's implementation exercises, for Otter-Grader.

``python -m cnnmath.assign conv_backprop -o DIR`` writes, for the chapter's exercises of
:mod:`cnnmath.exercises`:

- ``DIR/master/<chapter>.ipynb``: the assignment in Otter Assign's format (one question per
  exercise: the task, the scaffold with the package's solution between ``# BEGIN SOLUTION`` and
  ``# END SOLUTION``, a public test and a hidden one);
- ``DIR/student/<chapter>.ipynb``: the student's notebook (scaffolds without solutions, the public
  tests: each runs the checker on the first configuration);
- ``DIR/autograder/<chapter>.ipynb``: the instructor's notebook, with the solutions;
- ``DIR/autograder/<chapter>-autograder.zip``: the grader's configuration with the hidden
  tests, each of which runs :func:`cnnmath.exercises.check` on every configuration and fails
  with its message, so the diagnosis (the configuration, the output, the known mistake) is the
  feedback the student reads.

Grade a submission offline, in an environment with cnnmath installed, with
``otter run -a DIR/autograder/<chapter>-autograder.zip submission.ipynb``, or
:func:`grade` here, which returns the score and each test's feedback. Otter Assign itself is run
by :func:`write_assignment` (``otter assign``), and with ``--run-tests`` it checks the solutions
against the tests while it builds.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import exercises
from .exercises.core import Exercise

#: Points of each question: the public test (first configuration) and the hidden one (all).
PUBLIC_POINTS, HIDDEN_POINTS = 1, 4


class AssignError(ValueError):
    """Bad input to the assignment tools (an unknown chapter, a bad directory, ...)."""


def chapters() -> list[str]:
    """The chapters that have implementation exercises, in the book's order."""
    return list(dict.fromkeys(ex.chapter for ex in exercises.EXERCISES.values()))


def _exercises_of(chapter: str) -> list[Exercise]:
    if not isinstance(chapter, str) or chapter not in chapters():
        raise AssignError(
            f"chapter {chapter!r} has no implementation exercises; choose one of: "
            f"{', '.join(chapters())}"
        )
    return [exercises.get(n) for n in exercises.names(chapter)]


# --------------------------------------------------------------------------------------------
# The solution: the package's function, its body between solution markers
# --------------------------------------------------------------------------------------------


def _imports(fn) -> list[str]:
    """Import lines for the module-level names ``fn`` uses (helpers, constants, modules)."""

    def names(code) -> set[str]:
        found = set(code.co_names)
        for const in code.co_consts:
            if inspect.iscode(const):
                found |= names(const)
        return found

    lines = []
    for name in sorted(names(fn.__code__)):
        if name not in fn.__globals__:
            continue
        value = fn.__globals__[name]
        if inspect.ismodule(value):
            mod = value.__name__
            lines.append(f"import {mod}" if mod == name else f"import {mod} as {name}")
        else:
            home = getattr(value, "__module__", None)
            home = home if isinstance(home, str) and home.startswith("cnnmath") else fn.__module__
            lines.append(f"from {home} import {name}")
    return lines


def solution_source(ex: Exercise) -> str:
    """The scaffold with the package's body as the solution, between Otter's markers."""
    fn = ex.target
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    node = tree.body[0]
    body = node.body[1:] if ast.get_docstring(node) is not None else node.body
    source = textwrap.dedent(inspect.getsource(fn)).splitlines()
    first = body[0].lineno - 1
    lines = source[first:]
    imports = _imports(fn)
    head = ex.scaffold().replace("    raise NotImplementedError  # your code here\n", "")
    inner = [f"    {line}" for line in imports] + lines  # the body is indented already
    return head + "    # BEGIN SOLUTION\n" + "\n".join(inner) + "\n    # END SOLUTION\n"


# --------------------------------------------------------------------------------------------
# The master notebook in Otter Assign's format
# --------------------------------------------------------------------------------------------


def _raw(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_raw_cell(text)


def _test_cell(ex: Exercise, public: bool) -> nbformat.NotebookNode:
    fn = ex.solution_name
    if public:
        body = (
            f"def test_{ex.name}_first_configuration({fn}):\n"
            f"    from cnnmath.exercises import check\n\n"
            f'    check("{ex.name}", {fn}, configurations=1).assert_passed()\n'
        )
    else:
        body = (
            "# HIDDEN\n"
            f"def test_{ex.name}({fn}):\n"
            f"    from cnnmath.exercises import check\n\n"
            f'    check("{ex.name}", {fn}).assert_passed()\n'
        )
    return nbformat.v4.new_code_cell(body)


def master_notebook(chapter: str) -> nbformat.NotebookNode:
    """The assignment of ``chapter`` in Otter Assign's master format."""
    exs = _exercises_of(chapter)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    config = {
        "name": f"cnnmath-{chapter}",
        "init_cell": True,
        "check_all_cell": True,
        "export_cell": False,
        "solutions_pdf": False,
        "run_tests": False,
        "generate": {"pdf": False},
        "tests": {"files": False, "ok_format": False},
    }
    cells = [
        _raw("# ASSIGNMENT CONFIG\n" + json.dumps(config, indent=2)),
        nbformat.v4.new_markdown_cell(
            f"# cnnmath: implementation exercises, chapter `{chapter}`\n\n"
            "Write each function below from its docstring. Run the cell after each one "
            "(`grader.check(...)`) to check it on one configuration; check it on all of them, "
            "with a diagnosis of what is wrong, with `cnnmath.exercises.check`. The grader runs "
            "the same checker on every configuration."
        ),
        nbformat.v4.new_code_cell("import numpy as np"),
    ]
    for i, ex in enumerate(exs, start=1):
        cells += [
            _raw(
                f"# BEGIN QUESTION\nname: q{i}\npoints:\n  - {PUBLIC_POINTS}\n  - {HIDDEN_POINTS}"
            ),
            nbformat.v4.new_markdown_cell(
                f"**Question {i}: `{ex.name}`.** Implement `{ex.solution_name}`. "
                + ex.task.replace("\n", " ")
            ),
            _raw("# BEGIN SOLUTION"),
            nbformat.v4.new_code_cell(solution_source(ex)),
            _raw("# END SOLUTION"),
            _raw("# BEGIN TESTS"),
            _test_cell(ex, public=True),
            _test_cell(ex, public=False),
            _raw("# END TESTS"),
            _raw("# END QUESTION"),
        ]
    nb.cells = cells
    return nb


# --------------------------------------------------------------------------------------------
# Running Otter
# --------------------------------------------------------------------------------------------


def _otter(*args: str, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "otter", *args]
    env = dict(os.environ, PYTHONHASHSEED="0")
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    if res.returncode != 0:
        raise AssignError(
            f"otter {' '.join(args)} failed (exit status {res.returncode}):\n"
            f"{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
        )
    return res


def write_assignment(chapter: str, out: str | Path, *, run_tests: bool = False) -> dict[str, Path]:
    """Write the assignment of ``chapter`` into ``out`` (see the module docstring).

    ``out`` must not exist or be empty. The files are written in a temporary directory beside it
    and moved into place at the end, so a failure leaves nothing half-written. Returns the paths of
    the master, student and instructor notebooks and of the autograder zip.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise AssignError(f"-o {str(out)!r} exists and is not an empty directory")
    nb = master_notebook(chapter)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        (tmp / "master").mkdir()
        master = tmp / "master" / f"{chapter}.ipynb"
        nbformat.write(nb, master)
        args = ["assign", f"master/{master.name}", "dist"]
        if not run_tests:
            args.append("--no-run-tests")
        _otter(*args, cwd=tmp)
        dist = tmp / "dist"
        for part in ("student", "autograder"):
            shutil.move(str(dist / part), str(tmp / part))
        shutil.rmtree(dist)
        # one name, not a time stamp: the same chapter gives the same files
        (zipped,) = (tmp / "autograder").glob("*-autograder_*.zip")
        zipped.rename(zipped.with_name(f"{chapter}-autograder.zip"))
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return paths(out, chapter)


def paths(out: Path, chapter: str) -> dict[str, Path]:
    """Where :func:`write_assignment` put the files of ``chapter`` under ``out``."""
    return {
        "master": out / "master" / f"{chapter}.ipynb",
        "student": out / "student" / f"{chapter}.ipynb",
        "instructor": out / "autograder" / f"{chapter}.ipynb",
        "autograder": out / "autograder" / f"{chapter}-autograder.zip",
    }


@dataclass(frozen=True)
class Grade:
    """Otter's verdict on one submission: the score and each test's feedback."""

    score: float
    possible: float
    feedback: dict[str, str]  # test name -> output shown to the student

    @property
    def full(self) -> bool:
        return self.score == self.possible


def grade(autograder: str | Path, submission: str | Path, *, timeout: float = 900) -> Grade:
    """Grade ``submission`` (a notebook) with Otter offline: ``otter run`` in this environment."""
    autograder, submission = Path(autograder).resolve(), Path(submission).resolve()
    for name, p in (("autograder", autograder), ("submission", submission)):
        if not p.is_file():
            raise AssignError(f"{name} {str(p)!r} does not exist")
    with tempfile.TemporaryDirectory() as d:
        _otter(
            "run",
            "-a",
            str(autograder),
            "-o",
            d,
            "--no-logo",
            str(submission),
            cwd=Path(d),
            timeout=timeout,
        )
        results = json.loads((Path(d) / "results.json").read_text())
    tests = results["tests"]
    feedback = {t["name"]: t.get("output", "") for t in tests}
    score = sum(t["score"] for t in tests if "score" in t)
    possible = sum(t["max_score"] for t in tests if "max_score" in t)
    return Grade(float(score), float(possible), feedback)


def submission(student: str | Path, answers: dict[str, str], out: str | Path) -> Path:
    """A filled-in copy of the student notebook: each answer cell of exercise ``name`` replaced by
    ``answers[name]`` (source code), the others left as they are. For testing the grader."""
    nb = nbformat.read(student, as_version=4)
    by_function = {exercises.get(n).solution_name: code for n, code in answers.items()}
    for cell in nb.cells:
        if "otter_answer_cell" not in cell.metadata.get("tags", []):
            continue
        found = re.search(r"^def (\w+)\(", cell.source, flags=re.MULTILINE)
        name = found.group(1) if found else None
        if name in by_function:
            cell.source = by_function[name]
    out = Path(out)
    nbformat.write(nb, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cnnmath.assign",
        description="Write an Otter-Grader assignment from a chapter's implementation exercises.",
    )
    parser.add_argument("chapter", help=f"one of: {', '.join(chapters())}")
    parser.add_argument("-o", "--output", required=True, help="a new (or empty) directory")
    parser.add_argument(
        "--run-tests",
        action="store_true",
        help="let Otter Assign run the tests against the solutions while it builds",
    )
    args = parser.parse_args(argv)
    try:
        found = write_assignment(args.chapter, args.output, run_tests=args.run_tests)
    except AssignError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for what, p in found.items():
        print(f"{what:11} {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
