r"""Sphinx extension for the print edition: the book as one PDF, typeset by LaTeX, offline.

``make pdf`` (``python -m cnnmath.print_edition build``) builds the book with Sphinx's LaTeX
builder, ``_config_pdf.yml`` merged over ``_config.yml``, from the chapters' stored outputs (the
pages written as MyST notebooks, which store none, are executed), then runs latexmk with
``-halt-on-error`` (:func:`cnnmath.tex.compile`). What this extension does to the book:

- **TeX setup**: pdflatex with Latin Modern, A4, :data:`cnnmath.tex.PREAMBLE` (the preamble the
  paper exams share), code and outputs wrapped at the margin (``verbatimforcewraps``). Sphinx's
  ``jupyterBook.cls`` route is not used: it needs ``bbm.sty``, only in Debian's 1.4 GB
  ``texlive-fonts-extra``.
- **Structure**: the root page's text becomes a chapter "Introduction", each part of
  ``_toc.yml`` a ``\part``, each page a chapter (Sphinx would make the pages sections of a
  chapter named after the root page's last heading).
- **Every output printable**: a ``text/latex`` output marked by :data:`cnnmath.printable.MARKER`
  (a quiz, any display made with :func:`cnnmath.printable.display`) is inserted as LaTeX, not
  read as a formula; an output with only an HTML form (the ledger's and the architecture tables,
  the errata) is printed from its HTML (:func:`cnnmath.printable.html_latex`), and one whose
  HTML paper cannot show (a script, an image) is a warning, so the build, run with
  ``--warningiserror``, fails on it; so is any output left as IPython's placeholder
  (``<IPython.core.display.HTML object>``). A derivation's display has its long definitions
  reflowed into rows and is scaled to the line where it is still wider (:func:`fitted_display`).
- **Quizzes** (a ``show_quiz(...)`` cell, shown in the browser by JavaScript) print as their
  questions, with options and answer boxes (:func:`cnnmath.quiz.printed.quiz_latex`), from the
  cell's own printable ``text/latex`` or else from ``cnnmath.quiz.book.quiz(topic, seed, n)``
  with the arguments of the call.
- **Exercises and solutions**: the exercises stay where they are; the solutions move to a section
  "Solutions" at the end of their chapter (``cnnmath_print_edition: reader``), are removed
  (``student``, with :mod:`cnnmath.quiz.student`), or stay at the chapter's end with, in an
  appendix, every quiz's answers, worked solutions and known mistakes (``instructor``).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

from . import printable, tex
from .files import write_atomically

logger = logging.getLogger(__name__)

EDITIONS = ("reader", "student", "instructor")

#: Outputs that print as nothing useful: IPython's placeholder for a display with no text form.
_PLACEHOLDER = re.compile(
    r"^\s*<(?:IPython\.core\.display\.\w+|[\w.]+ object at 0x[0-9a-f]+)[^>]*>"
)

SOLUTIONS_TITLE = "Solutions"
INTRODUCTION_TITLE = "Introduction"

#: The forms of an output that the LaTeX builder prints (a marked text/latex is raw LaTeX).
_PRINTABLE_MIME = {"text/latex", "image/png", "image/jpeg", "application/pdf", "image/svg+xml"}


# What only the book needs on top of the shared preamble: index entries in the text face (Sphinx
# sets them in typewriter), adjustbox (texlive-latex-extra) for displays wider than the line.
_PRINT_PREAMBLE = r"""\protected\def\sphinxstyleindexentry#1{#1}
\usepackage{adjustbox}
"""


def _configure(app: Sphinx, config) -> None:
    if config.cnnmath_print_edition not in EDITIONS:
        raise ValueError(
            f"cnnmath_print_edition must be one of {EDITIONS}, got {config.cnnmath_print_edition!r}"
        )
    config.latex_engine = "pdflatex"
    elements = dict(config.latex_elements or {})
    elements.update(
        {
            "papersize": "a4paper",
            "pointsize": "10pt",
            "fontpkg": "\\usepackage{lmodern}",
            # Greek in text is declared as math in PREAMBLE (no LGR fonts: texlive-lang-greek)
            "textgreek": "",
            "preamble": tex.PREAMBLE + _PRINT_PREAMBLE + elements.get("preamble", ""),
            "sphinxsetup": ",".join(
                [
                    "verbatimwrapslines=true",
                    "verbatimforcewraps=true",
                    "verbatimmaxoverfull=0",
                    "verbatimmaxunderfull=0",
                    "verbatimhintsturnover=false",
                    "hmargin={2cm,2cm}",
                    "vmargin={2.2cm,2.2cm}",
                ]
            ),
            "printindex": "\\printindex",
        }
    )
    config.latex_elements = elements
    config.latex_show_urls = "no"
    config.latex_show_pagerefs = False


class SolutionsToChapterEnd(SphinxTransform):
    """Move every exercise's solution to a section "Solutions" at the end of its chapter.

    Runs after sphinx-exercise has merged each gated solution into one node (priority 10) and
    after :class:`cnnmath.quiz.student.RemoveSolutions` (11), which the student edition adds."""

    default_priority = 12

    def apply(self) -> None:
        if self.app.builder.name != "latex":
            return
        from sphinx_exercise.nodes import solution_node

        solutions = list(self.document.findall(solution_node))
        if not solutions:
            return
        chapter = next(iter(self.document.findall(nodes.section)), None)
        if chapter is None:
            return
        section = nodes.section(ids=["cnnmath-solutions"], names=["cnnmath-solutions"])
        section += nodes.title(SOLUTIONS_TITLE, SOLUTIONS_TITLE)
        for node in solutions:
            node.parent.remove(node)
            section += node
        chapter += section


def _notebook(env, docname: str) -> dict | None:
    cache = env.temp_data.setdefault("cnnmath_notebooks", {})
    if docname not in cache:
        path = Path(env.doc2path(docname))
        cache[docname] = (
            json.loads(path.read_text(encoding="utf-8")) if path.suffix == ".ipynb" else None
        )
    return cache[docname]


def _quiz_call(source: str) -> tuple[str, int, int | None] | None:
    """The arguments (topic, seed, n) of a ``show_quiz(...)`` call with literal arguments."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name != "show_quiz":
                continue
            try:
                args = [ast.literal_eval(a) for a in node.args]
                kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
            except ValueError:
                return None
            names = ("chapter", "seed", "n")
            call = dict(zip(names, args)) | kwargs
            return call.get("chapter"), call.get("seed", 0), call.get("n")
    return None


#: About how many characters of a derivation's definitions fit in the right-hand column.
NOTE_CHARS = 48

_NOTE_ROW = re.compile(r"^(\s*&\s*&&\s*)(\\text\{(?:where|assuming) \}|\\quad)(.*)$", re.S)


def _top_level_splits(tex: str) -> list[str]:
    """``tex`` cut at each ``,\\ `` outside braces and ``\\left``...``\\right`` pairs."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(tex):
        if tex.startswith("\\left", i) and not tex[i + 5 : i + 6].isalpha():
            depth += 1
        elif tex.startswith("\\right", i) and not tex[i + 6 : i + 7].isalpha():
            depth -= 1
        elif tex[i] == "{" and (i == 0 or tex[i - 1] != "\\"):
            depth += 1
        elif tex[i] == "}" and (i == 0 or tex[i - 1] != "\\"):
            depth -= 1
        elif depth == 0 and tex.startswith(",\\ ", i):
            parts.append(tex[start : i + 1])
            start = i + 3
            i += 3
            continue
        i += 1
    parts.append(tex[start:])
    return [p.strip() for p in parts if p.strip()]


def _width(tex: str) -> int:
    """A rough count of the characters ``tex`` shows (commands and braces not counted)."""
    return len(re.sub(r"\\[a-zA-Z]+|[{}_^&\s]", "", tex))


def reflow_notes(math: str) -> str:
    r"""A derivation's rows of definitions and assumptions (``& && \text{where } a,\ b``)
    cut into rows of about :data:`NOTE_CHARS` characters, at the commas between items: on paper
    a row cannot scroll. Other rows are kept as they are."""
    rows = re.split(r"\\\\\n", math)
    out = []
    for row in rows:
        m = _NOTE_ROW.match(row)
        if not m or _width(row) <= NOTE_CHARS:
            out.append(row)
            continue
        lead, head, rest = m.groups()
        lines, current, fresh = [], head, True
        for item in _top_level_splits(rest):
            joined = f"{current} {item}" if fresh else f"{current}\\ {item}"
            if not fresh and _width(joined) > NOTE_CHARS:
                lines.append(current)
                current = f"\\quad {item}"
            else:
                current = joined
            fresh = False
        lines.append(current)
        out += [f"{lead}{line}" for line in lines]
    return " \\\\\n".join(out)


def fitted_display(math: str) -> str:
    r"""A display output (a derivation: ``aligned`` rows, its reasons and definitions on the
    right) as centred display math, its definitions reflowed (:func:`reflow_notes`) and the whole
    scaled down to the line's width where it is still wider: what runs past the margin on paper
    is lost, while MathJax scrolls it on a screen."""
    return (
        "\\par\\begin{center}\\adjustbox{max width=\\linewidth}{$\\displaystyle\n"
        f"{reflow_notes(math.strip())}\n$}}\\end{{center}}\\par"
    )


def _raw_latex(text: str) -> nodes.raw:
    return nodes.raw("", text, format="latex")


def _stored_printable(output: nodes.Element) -> list[nodes.raw]:
    """The printable text/latex of an output container (its mime bundles' raw LaTeX)."""
    return [r for r in output.findall(nodes.raw) if r.get("format") == "latex"]


def _printable_outputs(app: Sphinx, doctree: nodes.document) -> None:
    """Marked text/latex outputs become raw LaTeX; a quiz cell prints as its questions.

    Runs when a document is read, before myst-nb picks each output's mime type for the builder
    (its post-transform ``SelectMimeType``): a marked ``text/latex`` is still one alternative of
    its mime bundle here, and stays the LaTeX builder's choice as raw LaTeX."""
    if app.builder.name != "latex":
        return
    env = app.env
    docname = env.docname
    for block in list(doctree.findall(nodes.math_block)):
        if "text_latex" not in block["classes"]:
            continue
        if printable.is_printable(block.astext()):
            block.replace_self(_raw_latex(block.astext()))
        elif "\\begin{aligned}" in block.astext():
            block.replace_self(_raw_latex(fitted_display(block.astext())))
    for cell in list(doctree.findall(nodes.container)):
        if cell.get("nb_element") != "cell_code":
            continue
        _quiz_cell(env, docname, cell)
    for bundle in list(doctree.findall(nodes.container)):
        if bundle.get("nb_element") != "mime_bundle":
            continue
        kinds = {child.get("mime_type"): child for child in bundle.children}
        if "text/html" not in kinds or set(kinds) & _PRINTABLE_MIME:
            continue
        # HTML only: print the same HTML as LaTeX (cnnmath.printable.html_latex)
        source = "".join(r.astext() for r in kinds["text/html"].findall(nodes.raw))
        try:
            latex = printable.html_latex(source, docdir=str(Path(docname).parent).strip("."))
        except printable.UnprintableHTML as e:
            logger.warning(
                f"an output has only an HTML form, which cannot be printed ({e}): give its "
                "display a text/latex form (cnnmath.printable.display, or a _repr_latex_ "
                "returning cnnmath.printable.MARKER and LaTeX)",
                location=bundle,
                type="cnnmath",
                subtype="unprintable",
            )
            continue
        alternative = nodes.container(nb_element="mime_type", mime_type="text/latex")
        alternative += _raw_latex(latex)
        bundle += alternative


def _quiz_cell(env, docname: str, cell: nodes.container) -> None:
    """A ``show_quiz(...)`` cell's outputs replaced by the printable quiz."""
    nb = _notebook(env, docname)
    source = "".join(nb["cells"][cell["cell_index"]]["source"]) if nb else ""
    call = _quiz_call(source)
    outputs = [c for c in cell.children if c.get("nb_element") == "cell_code_output"]
    if call is None or not outputs:
        return
    topic, seed, n = call
    if not hasattr(env, "cnnmath_quizzes"):
        env.cnnmath_quizzes = {}
    env.cnnmath_quizzes.setdefault(docname, []).append((topic, seed, n))
    stored = [r for out in outputs for r in _stored_printable(out)]
    if not stored:
        from .quiz.book import quiz
        from .quiz.printed import quiz_latex

        stored = [_raw_latex(quiz_latex(quiz(topic, seed, n)))]
    out = outputs[0]
    out.children = []
    for r in stored:
        r.parent = None
        out += r
    for extra in outputs[1:]:
        cell.remove(extra)


class UnprintableOutputs(SphinxPostTransform):
    """Warn on every output the LaTeX builder was left to print as IPython's placeholder
    (``<IPython.core.display.HTML object>``) or as raw HTML (which it drops): with
    ``--warningiserror`` the print edition then fails instead of printing a hole."""

    default_priority = 5  # after myst-nb's SelectMimeType (4) has chosen each output's form
    builders = ("latex",)

    def run(self, **kwargs) -> None:
        for out in self.document.findall(nodes.container):
            if out.get("nb_element") != "cell_code_output":
                continue
            for node in out.findall(nodes.literal_block):
                if _PLACEHOLDER.match(node.astext()):
                    self._warn(node, f"no printable form ({node.astext().strip()[:60]})")
            for node in out.findall(nodes.raw):
                if node.get("format") != "latex":
                    self._warn(node, f"raw {node.get('format')}, which LaTeX cannot print")

    def _warn(self, node: nodes.Node, what: str) -> None:
        logger.warning(
            f"an output has {what}: give its display a text/latex form "
            "(cnnmath.printable.display or a _repr_latex_ returning printable LaTeX) or an image",
            location=node,
            type="cnnmath",
            subtype="unprintable",
        )


def _book_structure(app: Sphinx, doctree: nodes.document) -> None:
    """The root page as the print edition's front: its text a chapter "Introduction", and each
    part of the table of contents a ``\\part`` whose chapters are the part's pages.

    Sphinx's LaTeX writer takes the root page's title as the book's and its sections as the
    chapters, so the whole book would be sections of a chapter "Contents" (the root section
    that holds the table of contents). Moving the toctrees up to the root's top level makes each
    page a chapter; the caption of each toctree (a part of ``_toc.yml``) becomes a ``\\part``."""
    if app.builder.name != "latex" or app.env.docname != app.config.root_doc:
        return
    top = next(iter(doctree.findall(nodes.section)), None)
    if top is None:
        return
    toctrees = list(top.findall(addnodes.toctree))
    if not toctrees:
        return
    for toctree in toctrees:
        toctree.parent.remove(toctree)
    # the wrappers left empty, then the section that only held the table of contents, go
    for wrapper in list(top.findall(nodes.compound)):
        if not wrapper.children:
            wrapper.parent.remove(wrapper)
    for section in list(top.findall(nodes.section)):
        if section is not top and all(isinstance(c, nodes.title) for c in section.children):
            section.parent.remove(section)
    body = [c for c in top.children if not isinstance(c, nodes.title)]
    intro = nodes.section(ids=["cnnmath-introduction"], names=["cnnmath-introduction"])
    intro += nodes.title(INTRODUCTION_TITLE, INTRODUCTION_TITLE)
    for child in body:
        top.remove(child)
        intro += child
    top += intro
    for toctree in toctrees:
        caption = toctree.get("caption")
        if caption:
            top += _raw_latex(f"\\part{{{printable.escape(caption)}}}")
            # (Sphinx would otherwise name the table of contents after the first part)
            del toctree["caption"]
        top += toctree


def _merge_quizzes(app: Sphinx, env, docnames, other) -> None:
    if hasattr(other, "cnnmath_quizzes"):
        env.cnnmath_quizzes = {**getattr(env, "cnnmath_quizzes", {}), **other.cnnmath_quizzes}


def _purge_quizzes(app: Sphinx, env, docname: str) -> None:
    getattr(env, "cnnmath_quizzes", {}).pop(docname, None)


def quiz_answers_latex(env, order: list[str]) -> str:
    """The instructor's appendix: for each chapter's quiz (in reading order), the key."""
    from .quiz.book import quiz
    from .quiz.printed import quiz_key_latex

    found = getattr(env, "cnnmath_quizzes", {})
    parts = [
        "\\appendix",
        "\\chapter{Answers to the quizzes}\\label{cnnmath-quiz-answers}",
        "Every quiz of the book with its answers, the worked solutions and the known mistakes "
        "(the wrong answers a known misconception gives, with the feedback a student gets for "
        "each). The kind and seed of a question regenerate it: "
        "\\texttt{python -m cnnmath.quiz show KIND -{}-seed SEED}.",
    ]
    for docname in order:
        for topic, seed, n in found.get(docname, []):
            title = env.titles[docname].astext() if docname in env.titles else docname
            parts.append(f"\\section{{{printable.escape(title)}}}")
            parts.append(quiz_key_latex(quiz(topic, seed, n)))
    return "\n".join(parts)


def _appendix(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if (
        app.builder.name != "latex"
        or app.config.cnnmath_print_edition != "instructor"
        or docname != app.config.root_doc
        or doctree.get("docname") != docname
        or not any(True for _ in doctree.findall(nodes.section))
    ):
        return
    # the assembled tree of the whole book: documents in reading order
    order = [app.config.root_doc, *app.env.toctree_includes.get(app.config.root_doc, [])]
    seen, queue = [], list(order)
    while queue:
        d = queue.pop(0)
        if d in seen:
            continue
        seen.append(d)
        queue[0:0] = app.env.toctree_includes.get(d, [])
    doctree += _raw_latex(quiz_answers_latex(app.env, seen))


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx_exercise")
    app.add_config_value("cnnmath_print_edition", "reader", "env")
    app.connect("config-inited", _configure)
    app.add_transform(SolutionsToChapterEnd)
    app.connect("doctree-read", _printable_outputs)
    app.connect("doctree-read", _book_structure)
    app.add_post_transform(UnprintableOutputs)
    app.connect("env-merge-info", _merge_quizzes)
    app.connect("env-purge-doc", _purge_quizzes)
    app.connect("doctree-resolved", _appendix)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --------------------------------------------------------------------------------------------
# The command line that `make pdf`, `make student-pdf` and `make instructor-pdf` run
# --------------------------------------------------------------------------------------------

#: Where each edition's PDF is written (relative to the book's root).
OUTPUTS = {
    "reader": "_build/latex/cnnmath.pdf",
    "student": "_build/latex/cnnmath-student.pdf",
    "instructor": "_build/latex/cnnmath-instructor.pdf",
}


def edition_config(root: Path, edition: str) -> dict:
    """``_config.yml`` with ``_config_pdf.yml`` merged over it (and ``_config_student.yml`` for
    the student edition), the edition set."""
    from .quiz.student import merge_config

    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS}, got {edition!r}")
    config: dict = {}
    names = ["_config.yml", *(["_config_student.yml"] if edition == "student" else [])]
    for name in [*names, "_config_pdf.yml"]:
        path = root / name
        if not path.is_file():
            raise ValueError(f"{path} is missing: run this in the book's root folder")
        config = merge_config(config, yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    config["sphinx"]["config"]["cnnmath_print_edition"] = edition
    if edition == "instructor":
        config["title"] = f"{config['title']} (instructor edition)"
    return config


def build(
    root: str | Path = ".", edition: str = "reader", output: str | Path | None = None
) -> Path:
    """Build the ``edition`` of the book as a PDF (Sphinx's LaTeX builder, then latexmk) and
    return its path: ``OUTPUTS[edition]`` under ``root`` unless ``output`` is given."""

    root = Path(root).resolve()
    config = edition_config(root, edition)
    work = root / "_build" / "print" / edition
    work.mkdir(parents=True, exist_ok=True)
    config_path = write_atomically(work / "_config.yml", yaml.safe_dump(config, sort_keys=False))
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [
        str(jupyter_book if jupyter_book.exists() else "jupyter-book"),
        *("build", ".", "--builder", "latex", "--config", str(config_path)),
        *("--path-output", str(work), "--warningiserror", "--keep-going"),
    ]
    if subprocess.run(command, cwd=root).returncode != 0:
        raise RuntimeError(f"Sphinx's LaTeX build of the {edition} edition failed (see above)")
    latex_dir = work / "_build" / "latex"
    pdf = tex.compile(latex_dir / "cnnmath.tex", latex_dir)
    target = root / OUTPUTS[edition] if output is None else Path(output)

    def copy(f) -> None:
        with pdf.open("rb") as src:
            shutil.copyfileobj(src, f)

    return write_atomically(target, copy)


def main(argv: list[str] | None = None) -> int:

    parser = argparse.ArgumentParser(
        prog="python -m cnnmath.print_edition",
        description="Build the book as a PDF from the chapters' stored outputs (offline).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build one edition's PDF")
    b.add_argument("--edition", choices=EDITIONS, default="reader")
    b.add_argument("-o", "--output", help="where to write the PDF (default: _build/latex/...)")
    b.add_argument("--root", default=".", help="the book's root folder (default: .)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        pdf = build(args.root, args.edition, args.output)
    except (tex.TeXError, RuntimeError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"The {args.edition} edition is in {pdf} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
