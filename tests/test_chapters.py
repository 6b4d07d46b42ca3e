"""The chapters' shape, as README's "Writing a chapter" describes it: every notebook of ``book/`` is
in the table of contents, was stored executed (nbval compares what it shows), ends with exercises
and a quiz, and marks the outputs nbval may not compare with a cell tag, never with a comment that
would show in the page's code.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
# Back matter made of generated tables, not a chapter with exercises.
NO_EXERCISES = {"errata"}


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [c["file"] for part in toc["parts"] for c in part["chapters"]]


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def test_there_are_chapters_and_every_notebook_is_in_the_table_of_contents():
    assert len(NOTEBOOKS) >= 15
    listed = set(_toc_files())
    missing = [p.name for p in NOTEBOOKS if f"book/{p.stem}" not in listed]
    assert not missing, f"not in _toc.yml: {missing}"
    absent = [
        f for f in listed if not any((ROOT / f).with_suffix(s).exists() for s in (".md", ".ipynb"))
    ]
    assert not absent, f"_toc.yml lists files that do not exist: {absent}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_executed_in_order(path: Path):
    code = [c for c in _read(path).cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert None not in counts, f"{path.name}: cell {counts.index(None)} was never executed"
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: cells were not executed top to bottom in one run: {counts}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_nbval_comment_markers(path: Path):
    for i, cell in enumerate(c for c in _read(path).cells if c.cell_type == "code"):
        assert not re.search(r"#\s*NBVAL_", cell.source), (
            f"{path.name}, code cell {i}: use the cell tag nbval-ignore-output / nbval-skip, "
            "not a comment the reader sees"
        )


@pytest.mark.parametrize(
    "path", [p for p in NOTEBOOKS if p.stem not in NO_EXERCISES], ids=lambda p: p.stem
)
def test_ends_with_exercises_and_a_quiz(path: Path):
    nb = _read(path)
    headings = [
        line.lstrip("#").strip()
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if re.match(r"^#{1,3} ", line)
    ]
    assert any(h.startswith("Exercises") for h in headings), f"{path.name}: no Exercises section"
    assert headings[-1].startswith("Quiz"), f"{path.name}: the last section is {headings[-1]!r}"
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    assert f'show_quiz("{path.stem}")' in last.source, f"{path.name}: last cell is not its quiz"
    assert "remove-input" in last.metadata.get("tags", []), f"{path.name}: quiz code is shown"
