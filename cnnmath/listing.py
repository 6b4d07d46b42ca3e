"""Listings of the package's code on the book's pages, read from the source when the page runs.

A chapter shows the code it teaches with ``listing(conv2d_backward, notes={...})``: the source is
read with :func:`inspect.getsourcelines`, so what the page shows is what runs and is tested. The
``notes`` tie lines of code to the symbols of the equations they implement: each key is a piece of
code that must occur on exactly one line of the listing, each value the note shown beside that
line (``{"db = ": "∂E/∂b = Σ δ"}``). A note whose code is no longer there, or is there twice, is an
error, so a listing can never point at a line that changed. Lines are numbered from 1 at the
``def`` line of each function (a change elsewhere in the module leaves the page as it is).

The result displays as highlighted HTML in the notebook and the HTML book, and as plain text with
the notes in a right-hand column wherever HTML is not rendered (a terminal, the PDF, nbval).
"""

from __future__ import annotations

import ast
import html
import inspect
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

_PACKAGE_ROOT = Path(__file__).resolve().parents[1]
#: Background of a line that carries a note, and the colour of the note, in the HTML form.
_MARK, _NOTE = "#fff3bf", "#8a4b00"


@dataclass(frozen=True)
class Block:
    """The shown lines of one function or class: ``(number, code)`` pairs, numbered from 1 at the
    ``def``; ``None`` as a number marks an elision (``⋮``)."""

    title: str
    has_docstring: bool
    lines: tuple[tuple[int | None, str], ...]


def _where(obj: object) -> str:
    path = Path(inspect.getsourcefile(obj)).resolve()  # type: ignore[arg-type]
    try:
        return path.relative_to(_PACKAGE_ROOT).as_posix()
    except ValueError:
        return path.name


def _docstring_lines(source: str) -> range:
    """The 0-based line range of the docstring of the (dedented) definition."""
    node = ast.parse(source).body[0]
    if ast.get_docstring(node) is None:  # type: ignore[arg-type]
        return range(0)
    expr = node.body[0]  # type: ignore[attr-defined]
    return range(expr.lineno - 1, expr.end_lineno)


def _find(lines: list[str], needle: str, after: int, what: str, name: str) -> int:
    for i in range(after, len(lines)):
        if needle in lines[i]:
            return i
    raise ValueError(f"{what} {needle!r} does not occur in the source of {name}")


def _block(obj: object, docstring: bool, between: tuple[str, str] | None) -> Block:
    if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj)):
        raise TypeError(
            f"obj must be a function, method or class of the package; got {type(obj).__name__}"
        )
    name = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
    raw, _ = inspect.getsourcelines(obj)  # type: ignore[arg-type]
    source = textwrap.dedent("".join(raw))
    lines = source.rstrip("\n").split("\n")
    doc_range = _docstring_lines(source)
    keep = [i for i in range(len(lines)) if docstring or i not in doc_range]
    shown: list[tuple[int | None, str]] = []
    if between is not None:
        if not (isinstance(between, tuple) and len(between) == 2):
            raise TypeError(
                "between must be a pair (code on the first line shown, code on the last); "
                f"got {between!r}"
            )
        first = _find(lines, between[0], 0, "between[0]", name)
        last = _find(lines, between[1], first, "between[1]", name)
        shown.append((1, lines[0]))
        if first > 1:
            shown.append((None, ""))
        shown += [(i + 1, lines[i]) for i in keep if first <= i <= last and i > 0]
        if last < len(lines) - 1:
            shown.append((None, ""))
    else:
        shown = [(i + 1, lines[i]) for i in keep]
    return Block(f"{_where(obj)}: {name}", docstring or not doc_range, tuple(shown))


def _printable(text: str) -> str:
    """``text`` with the characters that pdflatex's preamble does not declare replaced."""
    from .tex import UNICODE

    swaps = {"◀": "<-", "⋮": "...", "✗": "x", "↳": "->"}
    text = "".join(swaps.get(ch, ch) for ch in text)
    unknown = sorted({ch for ch in text if ord(ch) > 0xFF and ch not in UNICODE})
    if unknown:
        raise ValueError(
            f"a listing holds characters the print edition cannot set: {''.join(unknown)!r} "
            "(declare them in cnnmath.tex.UNICODE or write them otherwise)"
        )
    return text


def _code_html(code_lines: list[str]) -> list[str]:
    """Highlighted HTML of each line (pygments closes its spans at every line end)."""
    text = "\n".join(code_lines) + "\n"
    out = highlight(text, PythonLexer(), HtmlFormatter(nowrap=True, noclasses=True))
    return out.rstrip("\n").split("\n")


class Listing:
    """Source code of package functions with notes; see the module docstring."""

    def __init__(self, blocks: Sequence[Block], notes: Mapping[str, str]):
        self.blocks = tuple(blocks)
        self.notes: dict[tuple[int, int], str] = {}
        for needle, note in notes.items():
            if not isinstance(needle, str) or not needle.strip():
                raise ValueError(f"a note's key must be a piece of code (a str); got {needle!r}")
            if not isinstance(note, str):
                raise TypeError(f"the note for {needle!r} must be a str; got {type(note).__name__}")
            hits = [
                (b, k)
                for b, block in enumerate(self.blocks)
                for k, (number, code) in enumerate(block.lines)
                if number is not None and needle in code
            ]
            if len(hits) != 1:
                names = ", ".join(block.title for block in self.blocks)
                raise ValueError(
                    f"the note's code {needle!r} must occur on exactly one shown line of {names}; "
                    f"it occurs on {len(hits)}"
                )
            self.notes[hits[0]] = note
        self._repr_latex_()  # a character the print edition cannot set fails here, not there

    def noted_lines(self) -> dict[str, int]:
        """Each note's text and the number of the line it is on."""
        return {
            note: self.blocks[b].lines[k][0]  # type: ignore[misc]
            for (b, k), note in self.notes.items()
        }

    def __repr__(self) -> str:
        parts = []
        for b, block in enumerate(self.blocks):
            noted = [block.lines[k][1] for (bb, k) in self.notes if bb == b]
            width = max((len(code) for code in noted), default=0)
            rows = [self._heading(block)]
            for k, (number, code) in enumerate(block.lines):
                if number is None:
                    rows.append("   ⋮")
                    continue
                row = f"{number:3d}  {code}"
                note = self.notes.get((b, k))
                if note:
                    row = f"{number:3d}  {code.ljust(width)}  ◀ {note}"
                rows.append(row.rstrip())
            parts.append("\n".join(rows))
        return "\n\n".join(parts)

    def _repr_latex_(self) -> str:
        """The print edition's form: each block verbatim, a note on its own line under its code
        (the page is narrower than a screen), in characters that pdflatex can set."""
        from .printable import MARKER, escape, verbatim

        parts = [MARKER]
        for b, block in enumerate(self.blocks):
            rows = []
            for k, (number, code) in enumerate(block.lines):
                line = "   ..." if number is None else f"{number:3d}  {_printable(code)}"
                rows.append(line.rstrip())
                note = self.notes.get((b, k))
                if note:
                    indent = len(code) - len(code.lstrip()) + 5
                    rows.append(" " * indent + "-> " + _printable(note))
            parts.append(f"\\noindent\\texttt{{{escape(self._heading(block))}}}")
            parts.append(verbatim("\n".join(rows), size="footnotesize"))
        return "\n".join(parts)

    @staticmethod
    def _heading(block: Block) -> str:
        return block.title + ("" if block.has_docstring else "  (docstring left out)")

    def _repr_html_(self) -> str:
        out = []
        for b, block in enumerate(self.blocks):
            coded = iter(_code_html([code for n, code in block.lines if n is not None]))
            rows = []
            for k, (number, _) in enumerate(block.lines):
                if number is None:
                    rows.append('<tr><td style="text-align:right;color:#888">⋮</td><td></td></tr>')
                    continue
                note = self.notes.get((b, k))
                style = f' style="background:{_MARK}"' if note else ""
                mark = (
                    f'<span style="color:{_NOTE};font-family:sans-serif">    ◀ '
                    f"{html.escape(note)}</span>"
                    if note
                    else ""
                )
                rows.append(
                    f"<tr{style}>"
                    f'<td style="text-align:right;color:#888;padding:0 0.8em 0 0;'
                    f'user-select:none">{number}</td>'
                    f'<td style="white-space:pre;padding:0">{next(coded)}{mark}</td></tr>'
                )
            out.append(
                '<div class="cnnmath-listing" style="overflow-x:auto;margin:0.5em 0">'
                f'<div style="font-size:0.9em;color:#555">{html.escape(self._heading(block))}'
                "</div>"
                '<table style="border-collapse:collapse;font-family:monospace;'
                'font-size:0.85em;line-height:1.35;border:none;margin:0">'
                + "".join(rows)
                + "</table></div>"
            )
        return "".join(out)


def listing(
    obj: Callable | type | Sequence[Callable | type],
    notes: Mapping[str, str] | None = None,
    *,
    docstring: bool = True,
    between: tuple[str, str] | None = None,
) -> Listing:
    """The source of ``obj`` (a function or class, or a list of them), with ``notes`` beside lines.

    ``notes`` maps a piece of code, which must occur on exactly one shown line, to the note shown
    beside that line (the symbol or equation it implements). ``docstring=False`` leaves the
    docstrings out (the heading says so); ``between=(first,
    last)`` shows only the lines from the first one containing ``first`` to the next containing
    ``last`` (with the ``def`` line), for a loop inside a long function.
    """
    objs = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    if not objs:
        raise ValueError("obj must name at least one function or class; got an empty list")
    if not isinstance(docstring, bool):
        raise TypeError(f"docstring must be True or False; got {docstring!r}")
    if between is not None and len(objs) != 1:
        raise ValueError("between= applies to a single function; got a list of them")
    return Listing([_block(o, docstring, between) for o in objs], dict(notes or {}))
