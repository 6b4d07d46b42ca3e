"""The student edition keeps its secrets: no solution in its pages, in the sources it offers for
download (``_sources``), in its search index, anywhere in the built folder
(cnnmath.quiz.student: strip_solutions, solutions_in, find_leaks, check-build)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cnnmath.quiz.student import (
    Leak,
    find_leaks,
    main,
    solutions_in,
    strip_solutions,
    strip_solutions_in_folder,
    strip_solutions_text,
)

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


def _md(text: str, cell_id: str) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": text}


def _code(text: str, cell_id: str, output: str = "") -> dict:
    outputs = [{"output_type": "stream", "name": "stdout", "text": output}] if output else []
    return {
        "cell_type": "code",
        "id": cell_id,
        "metadata": {},
        "execution_count": None,
        "outputs": outputs,
        "source": text,
    }


# A chapter's end as the book writes it: a gated solution spanning cells, a markdown cell that
# closes one solution and opens the next exercise, a scaffold with its checker (kept), a plain
# solution directive, and the quiz.
NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    },
    "cells": [
        _md(
            "## Exercises\n\n:::{exercise}\n:label: ex-one\nWhat is two plus two, exactly?\n:::\n\n"
            "```{solution-start} ex-one\n:class: dropdown\n```\n\n"
            "The answer is four because counting two more from two lands on four.\n",
            "a",
        ),
        _code(
            "secret_answer = 2 + 2  # the solution's own code line", "b", "the solution prints 4"
        ),
        _md(
            "```{solution-end}\n```\n\n:::{exercise}\n:label: ex-two\n"
            "Implement the function below yourself, then run the checker.\n:::\n",
            "c",
        ),
        _code("def scaffold_to_fill(x):  # the student's part\n    ...", "d"),
        _code("check_scaffold_against_the_package(scaffold_to_fill)", "e", "checked"),
        _md(
            "::::{solution} ex-two\n:class: dropdown\nA plain solution: return x times two.\n"
            ":::{note}\nnested inside the plain solution, also secret.\n:::\n::::\n",
            "f",
        ),
        _md("## Quiz\n\nOne question of each kind this chapter teaches.", "g"),
    ],
}


def test_strip_solutions_drops_gated_and_plain_solutions_and_keeps_the_rest():
    before = json.dumps(NOTEBOOK)
    out = strip_solutions(NOTEBOOK)
    assert json.dumps(NOTEBOOK) == before  # the input is not changed
    text = json.dumps(out)
    for secret in ("four because", "secret_answer", "prints 4", "times two", "also secret"):
        assert secret not in text
    # the exercises, the scaffold and its checker (with its output), the quiz: kept, ids kept
    assert [c["id"] for c in out["cells"]] == ["a", "c", "d", "e", "g"]
    assert out["cells"][2:4] == NOTEBOOK["cells"][3:5]
    assert "What is two plus two" in "".join(out["cells"][0]["source"])
    assert "Implement the function below" in "".join(out["cells"][1]["source"])
    assert out["metadata"] == NOTEBOOK["metadata"]


def test_strip_solutions_text_on_a_myst_page_and_refuses_an_unclosed_solution():
    page = "".join(c["source"] for c in NOTEBOOK["cells"] if c["cell_type"] == "markdown")
    kept = strip_solutions_text(page)
    assert "What is two plus two" in kept and "Quiz" in kept
    assert "four because" not in kept and "times two" not in kept and "solution" not in kept
    with pytest.raises(ValueError, match="solution-start directive has no solution-end"):
        strip_solutions_text("```{solution-start} x\n```\nsecret\n")
    with pytest.raises(ValueError, match="solution-start directive has no solution-end"):
        strip_solutions({"cells": [_md("```{solution-start} x\n```\nsecret\n", "a")]})
    with pytest.raises(ValueError, match="notebook must be"):
        strip_solutions({"no": "cells"})


def test_solutions_in_finds_each_solution_by_text_no_other_cell_holds(tmp_path):
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps(NOTEBOOK))
    found = {s.where: s.pieces for s in solutions_in([path])}
    assert set(found) == {"chapter.ipynb: solution ex-one", "chapter.ipynb: solution ex-two"}
    one = found["chapter.ipynb: solution ex-one"]
    assert "The answer is four because counting two more from two lands on four." in one
    assert "secret_answer = 2 + 2 # the solution's own code line" in one
    assert "the solution prints 4" not in one  # shorter than a line worth looking for
    assert "A plain solution: return x times two." in found["chapter.ipynb: solution ex-two"]


def test_every_chapter_solution_has_text_to_look_for():
    solutions = solutions_in(CHAPTERS, sorted((ROOT / "cnnmath").rglob("*.py")))
    starts = sum(
        "".join(c["source"]).count("{solution-start}")
        for p in CHAPTERS
        for c in json.loads(p.read_text())["cells"]
    )
    assert len(solutions) == starts > 0
    assert all(s.pieces for s in solutions), [s.where for s in solutions if not s.pieces]


def test_find_leaks_sees_the_chapters_as_stored_and_nothing_once_stripped(tmp_path):
    """What ``_sources`` held before the fix leaks every solution; the stripped copies none."""
    solutions = solutions_in(CHAPTERS)
    sources = tmp_path / "_sources" / "book"
    sources.mkdir(parents=True)
    for p in CHAPTERS:
        shutil.copy(p, sources / p.name)
    leaks = find_leaks(tmp_path, solutions)
    assert {leak.where for leak in leaks} == {s.where for s in solutions}
    changed = strip_solutions_in_folder(tmp_path)
    assert sorted(p.name for p in changed) == sorted(p.name for p in CHAPTERS)
    assert find_leaks(tmp_path, solutions) == []
    for p in CHAPTERS:  # each stripped chapter is still a notebook with its exercises
        nb = json.loads((sources / p.name).read_text())
        exercises = sum("".join(c["source"]).count("{exercise}") for c in nb["cells"])
        assert exercises == "".join(p.read_text()).count("{exercise}")


def test_find_leaks_sees_a_solution_in_html_and_refuses_a_missing_folder(tmp_path):
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps(NOTEBOOK))
    solutions = solutions_in([path])
    site = tmp_path / "site"
    site.mkdir()
    (site / "page.html").write_text(
        "<p>The answer is <em>four</em> because counting two more\nfrom two lands on four.</p>"
    )
    (site / "clean.html").write_text("<p>What is two plus two, exactly?</p>")
    # the tags dropped, the page holds the solution's sentence
    assert find_leaks(site, solutions) == [
        Leak(
            site / "page.html",
            "chapter.ipynb: solution ex-one",
            "The answer is four because counting two more from two lands on four.",
        )
    ]
    with pytest.raises(ValueError, match="is not a folder"):
        find_leaks(tmp_path / "missing", solutions)


def test_the_extension_strips_the_downloadable_sources_of_a_real_build(tmp_path):
    """A Sphinx build with myst-nb (as jupyter-book runs it) and the student extension: the page,
    the notebook under _sources, the search index: no solution anywhere."""
    (tmp_path / "chapter.ipynb").write_text(json.dumps(NOTEBOOK))
    (tmp_path / "index.md").write_text("# Book\n\n```{toctree}\nchapter\n```\n")
    (tmp_path / "conf.py").write_text(
        "extensions = ['myst_nb', 'cnnmath.quiz.student']\n"
        "myst_enable_extensions = ['colon_fence']\n"
        "nb_execution_mode = 'off'\n"
        "cnnmath_hide_solutions = True\n"
        "html_sourcelink_suffix = ''\n"  # as jupyter-book sets it
    )
    (tmp_path / "chapter.ipynb").write_text(
        json.dumps({**NOTEBOOK, "cells": [_md("# Chapter", "t"), *NOTEBOOK["cells"]]})
    )
    out = tmp_path / "html"
    doctrees = tmp_path / "doctrees"  # jupyter-book keeps them outside the html folder
    # in a process of its own: myst-nb's registrations would leak into other tests' Sphinx builds
    build = [sys.executable, "-m", "sphinx", "-q", "-W", "-b", "html", "-d", str(doctrees)]
    subprocess.run([*build, str(tmp_path), str(out)], check=True, timeout=300)
    copied = json.loads((out / "_sources" / "chapter.ipynb").read_text())
    assert [c["id"] for c in copied["cells"]] == ["t", "a", "c", "d", "e", "g"]
    assert "Implement the function below" in (out / "chapter.html").read_text()
    assert "scaffold_to_fill" in (out / "chapter.html").read_text()
    assert find_leaks(out, solutions_in([tmp_path / "chapter.ipynb"])) == []


def test_check_build_cli(tmp_path, capsys):
    book = tmp_path / "book"
    book.mkdir()
    (book / "chapter.ipynb").write_text(json.dumps(NOTEBOOK))
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>What is two plus two, exactly?</p>")
    assert main(["check-build", str(site), str(book)]) == 0
    assert "2 solutions" in capsys.readouterr().out
    shutil.copy(book / "chapter.ipynb", site / "chapter.ipynb")
    assert main(["check-build", str(site), str(book)]) == 1
    assert "solution ex-two" in capsys.readouterr().err
    assert main(["check-build", str(site), str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_find_leaks_reads_a_sphinx_search_index_for_a_solutions_own_words(tmp_path):
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps(NOTEBOOK))
    (one, two) = solutions_in([path])
    # words only the first solution uses, stemmed as Sphinx's English index stems them
    assert {"answer", "count", "land"} <= one.stems
    site = tmp_path / "site"
    site.mkdir()
    index = {"terms": {"exercis": 0, "implement": 0}, "titleterms": {}}
    (site / "searchindex.js").write_text(f"Search.setIndex({json.dumps(index)})")
    assert find_leaks(site, [one, two]) == []
    index["terms"] |= {stem: 0 for stem in one.stems}
    (site / "searchindex.js").write_text(f"Search.setIndex({json.dumps(index)})")
    assert [leak.where for leak in find_leaks(site, [one, two])] == [one.where]
