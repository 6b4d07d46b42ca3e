"""The student edition (cnnmath.quiz.student): solutions removed by the Sphinx extension, and the
edition's config merged over the book's by its command line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cnnmath.quiz.student import main, merge_config

ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------------------------
# solutions removed
# --------------------------------------------------------------------------------------------

PAGE = """# Exercises

:::{exercise}
:label: ex-one
What is 2 + 2?
:::

```{solution-start} ex-one
:class: dropdown
```
The answer is SECRET-FOUR.
```{solution-end}
```

:::{solution} ex-one
Also SECRET-PLAIN.
:::
"""


@pytest.mark.parametrize("hide", [True, False])
def test_student_edition_removes_gated_and_plain_solutions(tmp_path, hide):
    from sphinx.cmd.build import build_main

    (tmp_path / "index.md").write_text(PAGE)
    (tmp_path / "conf.py").write_text(
        "extensions = ['myst_parser', 'cnnmath.quiz.student']\n"
        "myst_enable_extensions = ['colon_fence']\n"
        f"cnnmath_hide_solutions = {hide}\n"
    )
    out = tmp_path / "html"
    assert build_main(["-q", "-W", "-b", "html", str(tmp_path), str(out)]) == 0
    page = (out / "index.html").read_text()
    assert "What is 2 + 2?" in page
    assert ("SECRET-FOUR" in page, "SECRET-PLAIN" in page) == (not hide, not hide)


# --------------------------------------------------------------------------------------------
# the config merge
# --------------------------------------------------------------------------------------------


def test_merge_config_merges_mappings_extends_lists_and_replaces_the_rest():
    base = {
        "title": "Book",
        "execute": {"execute_notebooks": "force", "timeout": 60},
        "sphinx": {"extra_extensions": ["a", "b"], "config": {"x": 1}},
        "only_in_base": [1, 2],
    }
    overlay = {
        "title": "Book (students)",
        "execute": {"execute_notebooks": "off"},
        "sphinx": {"extra_extensions": ["b", "c"], "config": {"y": 2}},
        "new": {"k": [3]},
    }
    merged = merge_config(base, overlay)
    assert merged == {
        "title": "Book (students)",
        "execute": {"execute_notebooks": "off", "timeout": 60},
        "sphinx": {"extra_extensions": ["a", "b", "c"], "config": {"x": 1, "y": 2}},
        "only_in_base": [1, 2],
        "new": {"k": [3]},
    }
    assert base["sphinx"]["extra_extensions"] == ["a", "b"]  # the inputs are not changed
    assert base["execute"] == {"execute_notebooks": "force", "timeout": 60}
    # a list over a non-list (and a mapping over a scalar) replaces it
    assert merge_config({"a": "x", "b": 1}, {"a": ["y"], "b": {"c": 2}}) == {
        "a": ["y"],
        "b": {"c": 2},
    }


def test_merge_config_cli_on_the_books_configs(tmp_path):
    out = tmp_path / "student" / "_config.yml"
    code = main(
        [
            "merge-config",
            str(ROOT / "_config.yml"),
            str(ROOT / "_config_student.yml"),
            "-o",
            str(out),
        ]
    )
    assert code == 0
    book = yaml.safe_load((ROOT / "_config.yml").read_text())
    merged = yaml.safe_load(out.read_text())
    assert merged["title"].endswith("(student edition)")
    # the chapters render their stored outputs; only the MyST notebooks (.md) are executed
    assert merged["execute"]["execute_notebooks"] == "force"
    assert merged["execute"]["exclude_patterns"] == ["*.ipynb"]
    assert merged["sphinx"]["config"]["cnnmath_hide_solutions"] is True
    extensions = merged["sphinx"]["extra_extensions"]
    assert extensions[-1] == "cnnmath.quiz.student"
    assert extensions[:-1] == [e for e in book["sphinx"]["extra_extensions"] if e != extensions[-1]]
    assert {k: v for k, v in merged.items() if k not in ("title", "execute", "sphinx")} == {
        k: v for k, v in book.items() if k not in ("title", "execute", "sphinx")
    }


@pytest.mark.parametrize(
    "files, message",
    [
        (("missing.yml", "over.yml"), "base config"),
        (("base.yml", "list.yml"), "must hold a mapping"),
        (("base.yml", "bad.yml"), "not valid YAML"),
    ],
)
def test_merge_config_cli_refuses_bad_files_with_a_message(tmp_path, capsys, files, message):
    (tmp_path / "base.yml").write_text("title: t\n")
    (tmp_path / "over.yml").write_text("title: u\n")
    (tmp_path / "list.yml").write_text("- a\n- b\n")
    (tmp_path / "bad.yml").write_text("title: [unclosed\n")
    out = tmp_path / "out.yml"
    assert main(["merge-config", *(str(tmp_path / f) for f in files), "-o", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
