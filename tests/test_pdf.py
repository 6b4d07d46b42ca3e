"""The print edition (cnnmath.print_edition, ``make pdf``): what the PDF holds, read back from it.

Two kinds of test. A three-page book made here (a chapter with a glued number, an HTML table, a
printable output, a quiz cell and an exercise with its solution) is built in each edition, which
shows what each edition does in a few seconds. The real book is built once (the reader edition,
from the chapters' stored outputs, as ``make pdf`` does) and its text is read with pdftotext: no
IPython placeholder or raw HTML, every quiz's questions, every glued number of the prose, every
cross-reference resolved. These need Debian's full TeX set (``make tex``).
"""

import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import nbformat
import pytest
import yaml
from myst_nb.core.variables import format_plain_text

from cnnmath import print_edition, printable, tex
from cnnmath.quiz.book import quiz

ROOT = Path(__file__).resolve().parents[1]


def pdf_text(pdf: Path, layout: bool = False) -> str:
    if shutil.which("pdftotext") is None:
        raise tex.TeXMissing("pdftotext", tex.package_for("pdftotext"))
    args = ["pdftotext", *(["-layout"] if layout else []), str(pdf), "-"]
    text = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    for a, b in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(a, b)
    return unicodedata.normalize("NFKC", text)  # math italic letters as letters, ligatures split


_FOOTER = re.compile(r"^(\d+|Chapter \d+\. .+|[A-Z]?(\d+\.)+\d*\.? .+)$")


def body(text: str) -> str:
    """The pages' text without their running heads and feet (the title, the page number and
    the chapter or section name), so that a sentence broken by a page break reads on."""
    pages = []
    for page in text.split("\f"):
        lines = [ln for ln in page.splitlines() if ln.strip()]
        if lines and lines[0].startswith("cnnmath: the mathematics"):
            lines = lines[1:]
        for _ in range(2):  # the page number and the chapter's or section's name
            if lines and _FOOTER.match(lines[-1].strip()):
                lines = lines[:-1]
        pages.append("\n".join(lines))
    return "\n".join(pages)


def words(text: str) -> str:
    """The words of ``text`` (letters and digits), one space between each."""
    return " ".join(re.findall(r"\w+", text))


def flat(text: str) -> str:
    """Text with every run of white space (line and page breaks included) one space."""
    return re.sub(r"\s+", " ", text)


# --------------------------------------------------------------------------------------------
# A three-page book in each edition
# --------------------------------------------------------------------------------------------

GLUE = "0.123456"
HTML_TABLE = (
    "<table><tr><th>layer</th><th>weights</th></tr><tr><td>conv1</td><td>150</td></tr></table>"
)
# a derivation-like display three times wider than the line
WIDE = {
    "text/latex": "$$\n\\begin{aligned}\nS &= "
    + " + ".join(f"w_{{{i}}} x_{{{i}}}" for i in range(60))
    + " && \\checkmark\\ \\text{expanded}\n\\end{aligned}\n$$",
    "text/plain": "<IPython.core.display.Math object>",
}
EXERCISE = """:::{exercise}
:label: tiny-sum

Compute the sum of one and one.
:::

```{solution-start} tiny-sum
:class: dropdown
```

The sum is two, as the cell shows.

```{solution-end}
```
"""


def _output(data: dict, metadata: dict | None = None) -> dict:
    return nbformat.v4.new_output("display_data", data=data, metadata=metadata or {})


def make_book(root: Path, extra_output: dict | None = None) -> Path:
    """A book of one part and one chapter, with the repository's edition settings."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("_config_pdf.yml", "_config_student.yml"):
        shutil.copy(ROOT / name, root / name)
    config = {
        "title": "Tiny book",
        "author": "tests",
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},
        "parse": {"myst_enable_extensions": ["dollarmath", "amsmath", "colon_fence"]},
        "sphinx": {"extra_extensions": ["sphinx_exercise"], "config": {}},
        "latex": {"latex_documents": {"targetname": "cnnmath.tex"}},
    }
    (root / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    toc = {
        "format": "jb-book",
        "root": "intro",
        "parts": [{"caption": "Part one", "chapters": [{"file": "chapter"}]}],
    }
    (root / "_toc.yml").write_text(yaml.safe_dump(toc), encoding="utf-8")
    (root / "intro.md").write_text(
        "# Tiny book\n\nWhat the book is about.\n\n## Contents\n\n```{tableofcontents}\n```\n",
        encoding="utf-8",
    )
    glue = _output(
        {"application/papermill.record/text/plain": GLUE},
        {"scrapbook": {"name": "tiny_value", "mime_prefix": "application/papermill.record/"}},
    )
    table = _output({"text/html": HTML_TABLE, "text/plain": "<IPython.core.display.HTML object>"})
    shown = printable.bundle("<p>shown</p>", r"\textbf{A printable output}", "shown")
    widget = [
        _output({"text/html": "<div id='q'>quiz</div>", "text/plain": "<IPython...HTML object>"}),
        _output({"application/javascript": "var q = 1;", "text/plain": "<IPython...>"}),
    ]
    cells = [
        nbformat.v4.new_markdown_cell("# The chapter\n\n## Numbers"),
        nbformat.v4.new_code_cell(
            'glue("tiny_value", 0.123456, display=False)', outputs=[glue], execution_count=1
        ),
        nbformat.v4.new_markdown_cell("The value is {glue:text}`tiny_value:.3f` exactly."),
        nbformat.v4.new_code_cell("table", outputs=[table], execution_count=2),
        nbformat.v4.new_code_cell("shown", outputs=[_output(shown)], execution_count=3),
        nbformat.v4.new_code_cell("wide", outputs=[_output(WIDE)], execution_count=5),
        nbformat.v4.new_markdown_cell("## Exercises\n\n" + EXERCISE),
        nbformat.v4.new_markdown_cell("## Quiz"),
        nbformat.v4.new_code_cell(
            'from cnnmath.quiz import show_quiz\n\nshow_quiz("perceptron")',
            outputs=widget,
            execution_count=4,
            metadata={"tags": ["remove-input"]},
        ),
    ]
    if extra_output is not None:
        cells.insert(4, nbformat.v4.new_code_cell("extra", outputs=[_output(extra_output)]))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, root / "chapter.ipynb")
    return root


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, str]:
    """The three editions of the tiny book, as text, and the reader edition's LaTeX log."""
    root = make_book(tmp_path_factory.mktemp("tiny"))
    out = {
        edition: flat(pdf_text(print_edition.build(root, edition)))
        for edition in print_edition.EDITIONS
    }
    log = root / "_build" / "print" / "reader" / "_build" / "latex" / "cnnmath.log"
    out["log"] = log.read_text(encoding="utf-8", errors="replace")
    return out


def test_tiny_book_reader_edition(tiny):
    text = tiny["reader"]
    assert text.startswith("Tiny book")
    for shown in ("1 Introduction", "What the book is about", "Part one", "2 The chapter"):
        assert shown in text
    assert "The value is 0.123 exactly." in text  # the glued number, formatted as in the HTML
    assert "layer weights conv1 150" in text  # the HTML-only table, printed as a table
    assert "A printable output" in text
    # the wide display is scaled to the line, not cut at the margin
    assert "S =" in text and "expanded" in text
    assert "Overfull \\hbox" not in tiny["log"]
    assert "IPython" not in text and "<div" not in text and "var q" not in text
    # the quiz prints as its questions, with a box for the answer, and no key
    for q in quiz("perceptron", 0):
        assert q.title in text
    assert "Answer:" in text and "answers to the quizzes" not in text.lower()
    # the exercise where it is set, its solution at the end of the chapter
    exercise = text.index("Compute the sum of one and one.")
    solutions = text.index("Solutions", exercise)
    assert text.index("The sum is two", solutions) > text.index("Quiz", exercise)


def test_tiny_book_student_edition_has_no_solutions(tiny):
    text = tiny["student"]
    assert "Compute the sum of one and one." in text
    assert "The sum is two" not in text and "Solutions" not in text
    assert quiz("perceptron", 0)[0].title in text


def test_tiny_book_instructor_edition_adds_the_quiz_key(tiny):
    text = tiny["instructor"]
    assert "(instructor edition)" in text
    assert "The sum is two" in text
    appendix = text.index("ANSWERS TO THE QUIZZES", text.index("The sum is two"))
    key = text[appendix:]
    for q in quiz("perceptron", 0):
        assert f"{q.title} ({q.kind}, seed 0)" in key
        for _, mistake in q.answer.distractors:
            assert mistake.key in key
    numeric = quiz("perceptron", 0)[0]
    assert f"Answer: {numeric.answer.text()}" in key


def test_an_unprintable_output_fails_the_build(tmp_path, capfd):
    root = make_book(tmp_path / "book", extra_output={"text/html": "<script>alert(1)</script>"})
    with pytest.raises(RuntimeError, match="LaTeX build of the reader edition failed"):
        print_edition.build(root, "reader")
    assert "<script> cannot be printed" in capfd.readouterr().err


def test_a_latex_error_fails_the_build(tmp_path):
    bad = printable.bundle("<b>x</b>", r"\begin{tabular}{l} unclosed", "x")
    root = make_book(tmp_path / "book", extra_output=bad)
    with pytest.raises(tex.TeXError, match=r"cnnmath.tex:\d+:"):
        print_edition.build(root, "reader")


def test_edition_config_and_bad_arguments(tmp_path):
    student = print_edition.edition_config(ROOT, "student")
    assert "cnnmath.quiz.student" in student["sphinx"]["extra_extensions"]
    assert student["sphinx"]["config"]["cnnmath_hide_solutions"] is True
    assert student["sphinx"]["config"]["cnnmath_print_edition"] == "student"
    assert student["latex"]["use_jupyterbook_latex"] is False
    instructor = print_edition.edition_config(ROOT, "instructor")
    assert instructor["title"].endswith("(instructor edition)")
    with pytest.raises(ValueError, match="edition must be one of"):
        print_edition.edition_config(ROOT, "teacher")
    with pytest.raises(ValueError, match="_config.yml is missing"):
        print_edition.edition_config(tmp_path, "reader")


@pytest.mark.parametrize(
    "source, call",
    [
        ('show_quiz("convolution")', ("convolution", 0, None)),
        ('from cnnmath.quiz import show_quiz\nshow_quiz("lenet5", seed=3, n=2)', ("lenet5", 3, 2)),
        ('cnnmath.quiz.book.show_quiz("mlp", 5)', ("mlp", 5, None)),
        ("show_quiz(topic)", None),  # not a literal: not guessed
        ("print(1)", None),
        ("show_quiz(", None),
    ],
)
def test_quiz_call(source, call):
    assert print_edition._quiz_call(source) == call


# --------------------------------------------------------------------------------------------
# The real book
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> dict:
    pdf = print_edition.build(ROOT, "reader", tmp_path_factory.mktemp("pdf") / "cnnmath.pdf")
    latex_dir = ROOT / "_build" / "print" / "reader" / "_build" / "latex"
    return {
        "text": pdf_text(pdf),
        "layout": pdf_text(pdf, layout=True),
        "log": (latex_dir / "cnnmath.log").read_text(encoding="utf-8", errors="replace"),
        "pages": int(
            re.search(r"Output written on \S+ \((\d+) pages", _log_tail(latex_dir)).group(1)
        ),
    }


def _log_tail(latex_dir: Path) -> str:
    return (latex_dir / "cnnmath.log").read_text(encoding="utf-8", errors="replace")[-2000:]


def _chapters() -> list[Path]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def test_the_book_has_no_placeholder_and_no_raw_html(book):
    text = book["text"]
    assert book["pages"] > 100
    assert not re.search(r"<IPython\.core\.display\.\w+ object>|object at 0x[0-9a-f]+>", text)
    tags = re.findall(
        r"</?(?:div|span|table|tr|td|th|p|ul|li|details|summary|style|script)\b", text
    )
    assert not tags, tags[:5]


def test_every_quiz_of_the_book_prints_its_questions(book):
    # pdftotext can put the pieces of a tall formula's brackets inside a line of text: titles
    # are compared word by word
    text = words(book["layout"])
    found = 0
    for path in _chapters():
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            call = print_edition._quiz_call("".join(cell["source"]))
            if cell["cell_type"] != "code" or call is None:
                continue
            for q in quiz(*call):
                assert words(q.title) in text, (path.name, q.title)
                found += 1
    assert found >= 3 * len(_chapters()) - 10  # every chapter has a quiz of three or more


def test_every_glued_number_of_the_prose_is_in_the_pdf(book):
    text = flat(body(book["text"])).replace("\u2212", "-")
    missing, checked = [], 0
    for path in _chapters():
        nb = json.loads(path.read_text(encoding="utf-8"))
        values = {}
        for cell in nb["cells"]:
            for out in cell.get("outputs", []):
                name = out.get("metadata", {}).get("scrapbook", {}).get("name")
                plain = out.get("data", {}).get("application/papermill.record/text/plain")
                if name and plain is not None:
                    values[name] = "".join(plain)
        for cell in nb["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            for ref in re.findall(r"\{glue:text\}`([^`]+)`", "".join(cell["source"])):
                key, _, spec = ref.partition(":")
                if "::" in ref or key not in values:
                    continue  # another page's value, or a key the stored outputs lack (stale)
                shown = format_plain_text(values[key], spec or "s")
                checked += 1
                if flat(unicodedata.normalize("NFKC", shown)).replace("\u2212", "-") not in text:
                    missing.append(f"{path.name}: {key} = {shown!r}")
    assert checked > 50
    assert not missing, missing


def test_cross_references_index_and_glossary_resolve(book):
    log = book["log"]
    assert "There were undefined references" not in log
    assert not re.search(r"reference `[^']+' on page \d+ undefined", log, re.I)
    assert not re.search(r"Citation `[^']+' on page \d+ undefined", log)
    # the ledger's citations link to the sources page, the glossary's terms to their entries
    tex_source = (ROOT / "_build/print/reader/_build/latex/cnnmath.tex").read_text(encoding="utf-8")
    assert tex_source.count("\\hyperref[\\detokenize{book/sources:source-") > 20
    assert "\\label{\\detokenize{book/glossary:term-" in tex_source
    layout = book["layout"]
    assert re.search(r"^\s*INDEX\s*$", layout, re.M)  # the index is printed
    assert re.search(r"^\s*GLOSSARY\s*$", layout, re.M)


def test_code_and_outputs_fit_the_page(book):
    # verbatim lines are wrapped at the margin by Sphinx's forced wrapping (verbatimforcewraps):
    # an overfull line in a listing would be reported at a line of a sphinxVerbatim environment
    tex_lines = (
        (ROOT / "_build/print/reader/_build/latex/cnnmath.tex")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    starts = [i for i, ln in enumerate(tex_lines, 1) if ln.startswith("\\begin{sphinxVerbatim}")]
    ends = [i for i, ln in enumerate(tex_lines, 1) if ln.startswith("\\end{sphinxVerbatim}")]
    spans = list(zip(starts, ends))
    overfull = (
        r"Overfull \\hbox \(([\d.]+)pt too wide\) (?:in paragraph at lines|detected at line) (\d+)"
    )
    for m in re.finditer(overfull, book["log"]):
        width, line = float(m.group(1)), int(m.group(2))
        inside = any(a <= line <= b for a, b in spans)
        assert not (inside and width > 1), (
            f"a listing runs {width} pt into the margin (tex line {line})"
        )


def test_long_definitions_are_reflowed_and_the_display_fits(tmp_path):
    import sympy as sp

    from cnnmath.symbolic import Derivation

    x = sp.symbols("x_1:17", positive=True)
    parts = sp.symbols("a b c d", positive=True)
    where = {p: sum(x[4 * i : 4 * i + 4]) for i, p in enumerate(parts)}
    math = Derivation(sum(parts), where=where).target(sum(x), "the four sums").latex()
    reflowed = print_edition.reflow_notes(math)
    rows, before = reflowed.split("\\\\\n"), math.split("\\\\\n")
    # the displayed steps are untouched; the definitions are spread over more rows
    assert [r.strip() for r in rows if "where" not in r and "\\quad" not in r] == [
        r.strip() for r in before if "where" not in r and "\\quad" not in r
    ]
    assert len(rows) > len(before)
    names = sorted(re.findall(r"x_\{\d+\}", math))
    assert sorted(re.findall(r"x_\{\d+\}", reflowed)) == names  # nothing lost or doubled
    for row in rows:
        if ",\\ " in row:  # a row that still holds two items fits the column
            assert print_edition._width(row) <= print_edition.NOTE_CHARS
    body = print_edition.fitted_display(math)
    pdf = tex.compile(tex.document(body, extra_preamble="\\usepackage{adjustbox}"), tmp_path)
    assert "Overfull" not in (tmp_path / "document.log").read_text(errors="replace")
    assert "the four sums" in flat(pdf_text(pdf))
