"""Sphinx extension for the student edition of the book: every exercise's solution removed.

``make student-book`` adds this extension and sets ``cnnmath_hide_solutions: true``
(``_config_student.yml``). sphinx-exercise's own ``hide_solutions`` is not enough for this book:
in sphinx-exercise 1.2.1 it drops the opening marker of a *gated* solution
(``solution-start`` ... ``solution-end``, the form every chapter uses so that a solution can
hold code cells) but leaves the rest, so the build fails on the orphaned ``solution-end`` and
would otherwise show the solution's content. This transform runs right after sphinx-exercise
has merged each gated solution into one node (its transform has priority 10) and removes every
solution node, gated or not, with its content; the exercises and the quizzes stay.

The edition's configuration is ``_config_student.yml`` merged over the book's ``_config.yml``
(:func:`merge_config`), written by the command line that ``make student-book`` runs::

    python -m cnnmath.quiz.student merge-config _config.yml _config_student.yml \
        -o _build/student/_config.yml

Sphinx also copies every page's source into ``_sources`` (the "download .ipynb" button of each
chapter serves it): when the build finishes, the extension rewrites each of those copies with its
solutions removed (:func:`strip_solutions`, :func:`strip_solutions_text`), so the downloaded
notebook holds the exercises, their scaffolds and checkers, and no solution. ``check-build``
reads every file of a built edition for the text of every solution (:func:`find_leaks`); ``make
student-book`` runs it last::

    python -m cnnmath.quiz.student check-build _build/student/_build/html book --public cnnmath
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import html
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

from ..files import write_atomically


class RemoveSolutions(SphinxTransform):
    default_priority = 11

    def apply(self) -> None:
        if not self.config.cnnmath_hide_solutions:
            return
        from sphinx_exercise.nodes import solution_node

        for node in list(self.document.findall(solution_node)):
            node.parent.remove(node)


def _strip_copied_sources(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: the copies under ``_sources`` rewritten without their solutions."""
    if exception is not None or not app.config.cnnmath_hide_solutions:
        return
    sources = Path(app.outdir) / "_sources"
    if sources.is_dir():
        strip_solutions_in_folder(sources)


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx_exercise")
    app.add_config_value("cnnmath_hide_solutions", False, "env")
    app.add_transform(RemoveSolutions)
    app.connect("build-finished", _strip_copied_sources)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --------------------------------------------------------------------------------------------
# solutions in the sources: MyST text and notebooks
# --------------------------------------------------------------------------------------------

# A directive's opening line: ```{solution-start} label, :::{solution} label, ...
_DIRECTIVE = re.compile(
    r"^\s*(?P<fence>`{3,}|:{3,})\{(?P<name>solution(?:-start|-end)?)\}\s*(?P<label>\S*)"
)


def _closes(line: str, fence: str) -> bool:
    """Whether ``line`` closes a directive opened by ``fence`` (same character, as long or longer)."""
    bare = line.strip()
    return len(bare) >= len(fence) and set(bare) == {fence[0]}


@dataclass
class _Split:
    """MyST text cut into what is kept and the solutions' text, block by block."""

    kept: str
    blocks: list[tuple[str, str, bool]]  # (label, text, closed here); label "" continues
    gated: bool  # the text ends inside a solution-start ... solution-end pair


def _split_text(text: str, gated: bool) -> _Split:
    """MyST ``text`` split into what is kept and what belongs to a solution.

    ``gated`` says whether the text starts inside a ``solution-start`` ... ``solution-end`` pair
    (a notebook's pair spans cells). A plain ``solution`` directive goes with its content; a
    gated one from its ``solution-start`` directive to the end of its ``solution-end`` directive.
    """
    kept: list[str] = []
    blocks: list[tuple[str, str, bool]] = []
    label, secret = "", []
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        match = _DIRECTIVE.match(lines[i])
        if match is None:
            (secret if gated else kept).append(lines[i])
            i += 1
            continue
        fence, name = match["fence"], match["name"]
        i += 1
        body: list[str] = []
        while i < len(lines) and not _closes(lines[i], fence):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        if name == "solution":
            blocks.append((match["label"], "".join(body), True))
        elif name == "solution-start":
            gated, label, secret = True, match["label"], []
        elif gated:
            blocks.append((label, "".join(secret), True))
            gated, label, secret = False, "", []
    if gated:
        blocks.append((label, "".join(secret), False))
    return _Split("".join(kept), blocks, gated)


def strip_solutions_text(text: str) -> str:
    """MyST ``text`` (a page, or a text-based notebook) without its exercises' solutions."""
    split = _split_text(text, False)
    if split.gated:
        raise ValueError("a solution-start directive has no solution-end after it")
    return split.kept


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def strip_solutions(notebook: dict) -> dict:
    """A copy of ``notebook`` (nbformat 4 JSON) without its exercises' solutions.

    Code and raw cells inside a gated solution are dropped, markdown cells lose the solution
    text they hold, and a markdown cell left empty is dropped; every other cell (the exercises,
    their scaffolds and checkers, the quiz) is kept as it is, id and outputs included.
    """
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise ValueError("notebook must be a notebook's JSON: a mapping with a list of 'cells'")
    cells = []
    gated = False
    for cell in notebook["cells"]:
        if cell.get("cell_type") == "markdown":
            split = _split_text(_cell_source(cell), gated)
            gated = split.gated
            if split.kept == _cell_source(cell):
                cells.append(cell)
            elif split.kept.strip():
                cells.append({**cell, "source": split.kept.splitlines(keepends=True)})
        elif not gated:
            cells.append(cell)
    if gated:
        raise ValueError("a solution-start directive has no solution-end after it")
    out = copy.deepcopy({k: v for k, v in notebook.items() if k != "cells"})
    out["cells"] = copy.deepcopy(cells)
    return out


def strip_solutions_in_folder(folder: Path) -> list[Path]:
    """Every notebook and MyST page under ``folder`` rewritten without solutions; the changed."""
    changed = []
    for path in sorted(Path(folder).rglob("*")):
        # Sphinx names a copy after its source plus html_sourcelink_suffix (".txt" unless set)
        if path.name.endswith((".ipynb", ".ipynb.txt")):
            text = path.read_text(encoding="utf-8")
            stripped = json.dumps(strip_solutions(json.loads(text)), indent=1, ensure_ascii=False)
            stripped += "\n"
        elif path.suffix in (".md", ".txt", ".rst"):
            text = path.read_text(encoding="utf-8")
            stripped = strip_solutions_text(text)
        else:
            continue
        if stripped != text:
            write_atomically(path, stripped)
            changed.append(path)
    return changed


# --------------------------------------------------------------------------------------------
# the check: no solution's text anywhere in a built edition
# --------------------------------------------------------------------------------------------

# Prose is cut at markup and at the characters Sphinx rewrites (quotes, dashes, ellipses), so each
# piece appears verbatim in the rendered page; code and outputs are compared line by line.
_MARKUP = re.compile(r"[$`*_{}\[\]|<>#\\\"'\u2018\u2019\u201c\u201d\u2026\u2013\u2014]|--|\.\.\.")
_TAG = re.compile(r"<[^>]*>")
_MIN_PROSE, _MIN_LINE = 30, 24


def _normal(text: str) -> str:
    return " ".join(text.split())


def _prose_pieces(text: str) -> Iterable[str]:
    for piece in _MARKUP.split(text):
        piece = _normal(piece)
        if len(piece) >= _MIN_PROSE and len(piece.split()) >= 5:
            yield piece


def _line_pieces(text: str) -> Iterable[str]:
    for line in text.splitlines():
        line = _normal(line)
        if len(line) >= _MIN_LINE and any(c.isalpha() for c in line):
            yield line


def _output_text(output: dict) -> tuple[str, list[bytes]]:
    """An output's text (stream, plain, html without tags, latex) and its images' bytes."""
    if output.get("output_type") == "stream":
        return _cell_source({"source": output.get("text", "")}), []
    data = output.get("data", {})
    texts, images = [], []
    for mime, value in data.items():
        value = value if isinstance(value, str) else "".join(value)
        if mime.startswith("image/") and mime != "image/svg+xml":
            images.append(base64.b64decode(value))
        elif mime == "text/html":
            texts.append(html.unescape(_TAG.sub(" ", value)))
        elif mime.startswith("text/"):
            texts.append(value)
    return "\n".join(texts), images


@dataclass
class Solution:
    """One exercise's solution as its source holds it: the pieces of text a copy would show, and
    the stems of the words no other text of the book uses (what a search index would hold)."""

    where: str
    pieces: list[str]
    images: list[bytes]
    stems: set[str] = field(default_factory=set)


_WORD = re.compile(r"[A-Za-z]{5,}")


def _stems(text: str) -> set[str]:
    """The words of ``text`` (5 letters or more) as Sphinx's English search index stems them."""
    import snowballstemmer

    stemmer = snowballstemmer.stemmer("porter")  # sphinx.search.en's
    return {stemmer.stemWord(w.lower()) for w in _WORD.findall(text)}


def _solutions_of_notebook(name: str, notebook: dict) -> tuple[list[Solution], list[str]]:
    """The solutions of a notebook, and the text of everything else (the public text)."""
    solutions: list[Solution] = []
    public: list[str] = []
    gated = False
    for cell in notebook.get("cells", []):
        source = _cell_source(cell)
        if cell.get("cell_type") == "markdown":
            split = _split_text(source, gated)
            public.append(split.kept)
            for label, text, _closed in split.blocks:
                if label or not (gated and solutions):
                    solutions.append(Solution(f"{name}: solution {label or '?'}", [], []))
                solutions[-1].pieces.extend([*_prose_pieces(text), *_line_pieces(text)])
                gated = False
            gated = split.gated
            continue
        outputs = [_output_text(o) for o in cell.get("outputs", [])]
        if gated:
            solutions[-1].pieces.extend(_line_pieces(source))
            for text, images in outputs:
                solutions[-1].pieces.extend(_line_pieces(text))
                solutions[-1].images.extend(images)
        else:
            public.append(source)
            public.extend(text for text, _ in outputs)
    return solutions, public


def _solutions_of_text(name: str, text: str) -> tuple[list[Solution], list[str]]:
    split = _split_text(text, False)
    solutions = [
        Solution(f"{name}: solution {label or '?'}", [*_prose_pieces(t), *_line_pieces(t)], [])
        for label, t, _closed in split.blocks
    ]
    return solutions, [split.kept]


def solutions_in(paths: Iterable[Path], public_paths: Iterable[Path] = ()) -> list[Solution]:
    """Every solution of the notebooks and MyST pages ``paths``, as pieces no other text holds.

    A piece is a run of prose between markup (at least 5 words, 30 characters), or a line of
    code or output (at least 24 characters): a piece that also occurs outside the solutions, in
    any of the files or in the files ``public_paths`` (the package's source, which a page may
    list), is dropped, since the edition shows it rightly elsewhere.
    """
    solutions: list[Solution] = []
    public: list[str] = [Path(p).read_text(encoding="utf-8") for p in public_paths]
    for path in paths:
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            found, seen = _solutions_of_notebook(path.name, json.loads(text))
        else:
            found, seen = _solutions_of_text(path.name, text)
        solutions += found
        public += seen
    everywhere = _normal(" \n ".join(public))
    public_stems = _stems(everywhere)
    for s in solutions:
        s.stems = _stems(" ".join(s.pieces)) - public_stems
        s.pieces = sorted({p for p in s.pieces if p not in everywhere})
    return solutions


def _readable_text(path: Path) -> str:
    """A built file as a reader sees it: tags dropped and entities decoded (HTML, notebooks'
    JSON strings decoded), whitespace collapsed."""
    raw = path.read_bytes().decode("utf-8", errors="replace")
    texts = [raw]
    if path.suffix == ".ipynb":
        try:
            notebook = json.loads(raw)
        except json.JSONDecodeError:
            notebook = {}
        for cell in notebook.get("cells", []) if isinstance(notebook, dict) else []:
            texts.append(_cell_source(cell))
            texts.extend(_output_text(o)[0] for o in cell.get("outputs", []))
    elif path.suffix in (".html", ".htm", ".xml", ".svg", ".js", ".json", ".txt"):
        texts.append(html.unescape(_TAG.sub("", raw)))
        texts.append(html.unescape(_TAG.sub(" ", raw)))
    return "\n".join(_normal(t) for t in texts)


@dataclass(frozen=True)
class Leak:
    """A solution's text (or image) found in a file of a built edition."""

    path: Path
    where: str  # which solution
    what: str  # the piece of text found, or "an image"

    def __str__(self) -> str:
        return f"{self.path}: {self.where}: {self.what!r}"


def _index_leaks(path: Path, solutions: list[Solution]) -> list[Leak]:
    """A solution whose own words a Sphinx search index holds: at least 2 of its stems that no
    other text of the book has, and at least half of them (a single stem can be another page's
    word that the book's sources do not hold, such as a generated table's)."""
    text = path.read_text(encoding="utf-8")
    try:
        index = json.loads(text[text.index("(") + 1 : text.rindex(")")])
        terms = set(index.get("terms", {})) | set(index.get("titleterms", {}))
    except (ValueError, AttributeError):
        return [Leak(path, "the search index", "cannot be read as Sphinx's searchindex.js")]
    leaks = []
    for s in solutions:
        found = sorted(s.stems & terms)
        if len(found) >= 2 and 2 * len(found) >= len(s.stems):
            leaks.append(Leak(path, s.where, f"its words in the index: {', '.join(found[:6])}"))
    return leaks


def find_leaks(build: Path, solutions: list[Solution]) -> list[Leak]:
    """Every file in the folder ``build`` that holds a solution's text or image (one per pair)."""
    build = Path(build)
    if not build.is_dir():
        raise ValueError(f"build {str(build)!r} is not a folder")
    images = {hashlib.sha256(im).hexdigest(): s.where for s in solutions for im in s.images}
    leaks = []
    for path in sorted(build.rglob("searchindex.js")):
        leaks += _index_leaks(path, solutions)
    for path in sorted(p for p in build.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in images:
            leaks.append(Leak(path, images[digest], "an image"))
        text = _readable_text(path)
        for s in solutions:
            hits = [p for p in s.pieces if p in text]
            if hits:
                leaks.append(Leak(path, s.where, hits[0]))
    return leaks


def merge_config(base: dict, overlay: dict) -> dict:
    """``overlay`` merged over ``base`` (neither is changed): a new dict.

    Where both have a mapping the two are merged key by key, recursively; where both have a list
    the overlay's items that the base's list lacks are appended (``extra_extensions`` adds an
    extension and keeps the book's); any other overlay value replaces the base's.
    """
    merged = dict(base)
    for key, value in overlay.items():
        old = base.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            merged[key] = merge_config(old, value)
        elif isinstance(value, list) and isinstance(old, list):
            merged[key] = old + [item for item in value if item not in old]
        else:
            merged[key] = value
    return merged


def _read_mapping(path: str, what: str) -> dict:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise ValueError(f"{what} {path!r} cannot be read: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise ValueError(f"{what} {path!r} is not valid YAML: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(
            f"{what} {path!r} must hold a mapping at the top; it holds a {type(data).__name__}"
        )
    return data


def merge_config_files(base: str, overlay: str, output: str) -> dict:
    """Write the YAML of :func:`merge_config` of the two files to ``output`` (its folder made)."""
    merged = merge_config(_read_mapping(base, "base config"), _read_mapping(overlay, "overlay"))
    write_atomically(output, yaml.safe_dump(merged, sort_keys=False, allow_unicode=True))
    return merged


def main(argv: list[str] | None = None) -> int:
    """``merge-config BASE OVERLAY -o OUT``; exit status 2 with a message on bad input."""
    parser = argparse.ArgumentParser(
        prog="python -m cnnmath.quiz.student", description="Tools for the book's student edition."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    merge = commands.add_parser(
        "merge-config",
        help="merge a Jupyter Book config over another (mappings merged, lists extended)",
    )
    merge.add_argument("base", help="the book's config, e.g. _config.yml")
    merge.add_argument("overlay", help="the edition's changes, e.g. _config_student.yml")
    merge.add_argument("-o", "--output", required=True, help="where to write the merged config")
    check = commands.add_parser(
        "check-build",
        help="fail if any file of a built edition holds a solution's text or image",
    )
    check.add_argument("build", help="the built edition, e.g. _build/student/_build/html")
    check.add_argument("sources", help="the folder of the chapters, e.g. book")
    check.add_argument(
        "--public",
        action="append",
        default=[],
        help="a folder of .py files a page may list (e.g. cnnmath); may be repeated",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "merge-config":
            merge_config_files(args.base, args.overlay, args.output)
            return 0
        return _check_build(Path(args.build), Path(args.sources), [Path(p) for p in args.public])
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _check_build(build: Path, sources: Path, public: list[Path]) -> int:
    for folder, what in [(sources, "sources"), *((p, "--public") for p in public)]:
        if not folder.is_dir():
            raise ValueError(f"{what} {str(folder)!r} is not a folder")
    solutions = solutions_in(
        sorted([*sources.glob("*.ipynb"), *sources.glob("*.md")]),
        sorted(p for folder in public for p in folder.rglob("*.py")),
    )
    empty = [s.where for s in solutions if not s.pieces and not s.images]
    if empty:  # a solution the check cannot recognize would pass unseen
        raise ValueError(f"no text of its own to look for in: {', '.join(empty)}")
    leaks = find_leaks(build, solutions)
    for leak in leaks:
        print(leak, file=sys.stderr)
    pieces = sum(len(s.pieces) for s in solutions)
    files = sum(1 for p in build.rglob("*") if p.is_file())
    print(
        f"{len(solutions)} solutions ({pieces} pieces of text, "
        f"{sum(len(s.images) for s in solutions)} images) looked for in {files} files: "
        f"{len(leaks)} found"
    )
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
