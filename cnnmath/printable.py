r"""Output = {text/html, text/latex, text/plain}: every rich display of the book, printable too.

A notebook output shows its ``text/html`` in the browser; the print edition (``make pdf``,
:mod:`cnnmath.print_edition`) cannot print HTML, and myst-nb's LaTeX builder takes an output's
``text/latex`` instead (before ``text/plain``, which for an HTML display is only
``<IPython.core.display.HTML object>``). So a display that the book prints carries the same
content three times, built from the same data:

- ``text/html`` for the browser;
- ``text/latex``: raw LaTeX (a table, a list, a quiz) that starts with the line :data:`MARKER`,
  which tells the print edition to insert it as LaTeX rather than as a formula (myst-nb reads
  an unmarked ``text/latex`` as display math, which is what SymPy's and
  :class:`cnnmath.symbolic.Derivation`'s outputs are);
- ``text/plain`` for a terminal.

Use :func:`display` (or :class:`Printable` as a cell's last value) to show the three, and the
small writers here to make the LaTeX: :func:`latex_text` (Markdown with ``$...$`` math),
:func:`latex_table` (a ``longtable`` that breaks across pages), :func:`verbatim` (code). The
quizzes' printed form, written with them, is :mod:`cnnmath.quiz.printed`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "MARKER",
    "Printable",
    "bundle",
    "display",
    "escape",
    "is_printable",
    "latex_table",
    "latex_text",
    "verbatim",
]

#: The first line of a printable ``text/latex`` output: raw LaTeX, not a formula.
MARKER = "% cnnmath.printable"

_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "#": r"\#",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}
_SPECIAL = re.compile("|".join(re.escape(k) for k in _SPECIALS))
# $...$ (not $$), as the quiz and ledger texts write inline math; an escaped \$ is text
_MATH = re.compile(r"(?<![\\$])\$(?!\s)([^$]+?)(?<![\s\\])\$(?!\$)")
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


def escape(text: str) -> str:
    r"""``text`` with LaTeX's special characters written as text (``_`` as ``\_``, ...)."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    return _SPECIAL.sub(lambda m: _SPECIALS[m.group(0)], text)


def _inline(text: str) -> str:
    """Text outside math: `code` in typewriter, **bold** in bold, the rest escaped."""
    out, last = [], 0
    for m in _CODE.finditer(text):
        out.append(_bold(text[last : m.start()]))
        out.append(r"\texttt{" + escape(m.group(1)) + "}")
        last = m.end()
    out.append(_bold(text[last:]))
    return "".join(out)


def _bold(text: str) -> str:
    out, last = [], 0
    for m in _BOLD.finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(r"\textbf{" + escape(m.group(1)) + "}")
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


def latex_text(text: str) -> str:
    r"""Markdown ``text`` as LaTeX: each ``$...$`` formula kept as math, `code` as ``\texttt``,
    ``**bold**`` as ``\textbf``, blank lines as paragraph breaks, everything else escaped."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    out, last = [], 0
    for m in _MATH.finditer(text):
        out.append(_inline(text[last : m.start()]))
        out.append(f"${m.group(1)}$")
        last = m.end()
    out.append(_inline(text[last:]))
    return re.sub(r"\n\s*\n", "\n\\\\par\n", "".join(out))


#: How many characters of each size's typewriter type fit in a ``quote`` on an A4 line with 2 cm
#: margins, in an 11 pt document (the book's 10 pt leaves some room): a longer line of
#: :func:`verbatim` is wrapped, its rest marked with a hook arrow.
VERBATIM_CHARS = {
    "tiny": 135,
    "scriptsize": 101,
    "footnotesize": 90,
    "small": 81,
    "normalsize": 73,
    "large": 67,
}
CONTINUATION = "\u21aa "
# the arrow is set from the math fonts, wider than a typewriter character
_CONTINUATION_WIDTH = 3


def _wrap_line(line: str, width: int) -> list[str]:
    out, rest = [line[:width]], line[width:]
    step = width - _CONTINUATION_WIDTH
    while rest:
        out.append(CONTINUATION + rest[:step])
        rest = rest[step:]
    return out


def verbatim(text: str, *, size: str = "small") -> str:
    r"""``text`` as a ``verbatim`` block in a ``quote`` (``size``: a LaTeX size such as small).

    Lines longer than fit (:data:`VERBATIM_CHARS`) are wrapped, each continuation starting with
    a hook arrow (↪): verbatim text never breaks by itself and would run off the page."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    if size not in VERBATIM_CHARS:
        raise ValueError(f"size must be a LaTeX font size such as 'small', got {size!r}")
    if "\\end{verbatim}" in text:
        raise ValueError("text must not contain \\end{verbatim}")
    width = VERBATIM_CHARS[size]
    lines = [part for line in text.split("\n") for part in _wrap_line(line.expandtabs(), width)]
    body = "\n".join(lines)
    return (
        f"\\begin{{quote}}\\{size}\n\\begin{{verbatim}}\n{body}\n\\end{{verbatim}}\n\\end{{quote}}"
    )


def latex_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    columns: Sequence[str | float] | None = None,
    caption: str = "",
    footer: Sequence[str] | None = None,
    size: str = "small",
) -> str:
    r"""A ``longtable`` (it breaks across pages, its header repeated) with ``booktabs`` rules.

    ``header``, each row and ``footer`` (a last row under a rule, such as totals) hold LaTeX
    cells (escape text with :func:`escape` or :func:`latex_text`). ``columns`` gives each
    column's alignment: ``"l"``, ``"r"`` or ``"c"``, or a float, the column's share of the line
    (the space between columns included: shares that sum to 1 fill the line), for text that
    wraps (ragged right); by default every column is ``"l"``.
    ``caption`` (LaTeX) is set above the table.
    """
    n = len(header)
    if n == 0:
        raise ValueError("header must name at least one column")
    columns = ["l"] * n if columns is None else list(columns)
    if len(columns) != n:
        raise ValueError(f"columns has {len(columns)} entries for {n} header cells")
    for i, row in enumerate([*rows, *([footer] if footer is not None else [])]):
        if len(row) != n:
            raise ValueError(f"row {i} has {len(row)} cells; the header has {n}")
    if not re.fullmatch(r"tiny|scriptsize|footnotesize|small|normalsize", size):
        raise ValueError(f"size must be a LaTeX font size such as 'small', got {size!r}")
    spec = []
    for c in columns:
        if isinstance(c, float):
            if not 0 < c <= 1:
                raise ValueError(
                    f"a column width must be a fraction of the line in (0, 1], got {c}"
                )
            # the column's text width: its share of the line less the space between columns
            spec.append(
                f">{{\\raggedright\\arraybackslash}}"
                f"p{{\\dimexpr {c:.3f}\\linewidth-2\\tabcolsep\\relax}}"
            )
        elif c in ("l", "r", "c"):
            spec.append(c)
        else:
            raise ValueError(f"a column must be 'l', 'r', 'c' or a width fraction, got {c!r}")

    def line(cells: Sequence[str]) -> str:
        return " & ".join(cells) + r" \\"

    head = line([f"\\textbf{{{h}}}" for h in header])
    cap = f"\\caption*{{{caption}}}\\\\\n" if caption else ""
    body = "\n".join(line(r) for r in rows)
    foot = f"\n\\midrule\n{line(footer)}" if footer is not None else ""
    return (
        f"\\begingroup\\{size}\\setlength{{\\tabcolsep}}{{4pt}}\n"
        f"\\begin{{longtable}}{{@{{}}{''.join(spec)}@{{}}}}\n"
        f"{cap}\\toprule\n{head}\n\\midrule\n\\endfirsthead\n"
        f"\\toprule\n{head}\n\\midrule\n\\endhead\n"
        f"{body}{foot}\n\\bottomrule\n\\end{{longtable}}\n\\endgroup"
    )


def is_printable(latex: str) -> bool:
    """Whether a ``text/latex`` output is raw LaTeX for the print edition (starts with MARKER)."""
    return isinstance(latex, str) and latex.lstrip().startswith(MARKER)


def bundle(html: str, latex: str, plain: str) -> dict[str, str]:
    """The display bundle: ``text/html``, ``text/latex`` (marked printable), ``text/plain``."""
    for name, value in (("html", html), ("latex", latex), ("plain", plain)):
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string, got {type(value).__name__}")
    if not latex.strip():
        raise ValueError("latex must not be empty: the print edition would print nothing")
    marked = latex if is_printable(latex) else f"{MARKER}\n{latex}"
    return {"text/html": html, "text/latex": marked, "text/plain": plain}


def display(html: str, latex: str, plain: str) -> None:
    """Show one output with its three forms (in a notebook; :func:`bundle` says which)."""
    from IPython.display import display as ipython_display

    ipython_display(bundle(html, latex, plain), raw=True)


class Printable:
    """A value whose display is the three forms: return it as a cell's last value."""

    def __init__(self, html: str, latex: str, plain: str):
        self._bundle = bundle(html, latex, plain)

    def _repr_html_(self) -> str:
        return self._bundle["text/html"]

    def _repr_latex_(self) -> str:
        return self._bundle["text/latex"]

    def __repr__(self) -> str:
        return self._bundle["text/plain"]


# --------------------------------------------------------------------------------------------
# HTML the package writes (ledger tables, errata, architecture tables) as LaTeX
# --------------------------------------------------------------------------------------------


class UnprintableHTML(ValueError):
    """HTML with a tag or construct :func:`html_latex` does not print (a script, an image)."""


_BLOCK = {"div", "p", "section", "ul", "ol", "li", "dl", "dt", "dd", "table", "pre", "details"}
_VOID = {"br", "hr", "wbr"}
_DROP = {"style"}
_INLINE_WRAP = {
    "b": r"\textbf{%s}",
    "strong": r"\textbf{%s}",
    "i": r"\textit{%s}",
    "em": r"\textit{%s}",
    "code": r"\texttt{%s}",
    "tt": r"\texttt{%s}",
    "small": r"{\small %s}",
    "sub": r"\textsubscript{%s}",
    "sup": r"\textsuperscript{%s}",
    "summary": r"%s",
    "caption": r"%s",
    "label": r"%s",
}


class _Node:
    def __init__(self, tag: str, attrs: dict[str, str]):
        self.tag = tag
        self.attrs = attrs
        self.children: list[_Node | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


def _parse_html(source: str) -> _Node:
    from html.parser import HTMLParser

    root = _Node("root", {})
    stack = [root]

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            node = _Node(tag, {k: v or "" for k, v in attrs})
            stack[-1].children.append(node)
            if tag not in _VOID:
                stack.append(node)

        def handle_endtag(self, tag):
            if tag in _VOID:
                return
            for i in range(len(stack) - 1, 0, -1):
                if stack[i].tag == tag:
                    del stack[i:]
                    return

        def handle_data(self, data):
            stack[-1].children.append(data)

    parser = Parser(convert_charrefs=True)
    parser.feed(source)
    parser.close()
    return root


def _href_latex(href: str, text: str, docdir: str) -> str:
    if re.match(r"https?://", href):
        url = href.replace("%", r"\%").replace("#", r"\#")
        return f"\\href{{{url}}}{{{text}}}"
    m = re.fullmatch(r"([\w./-]*?)(?:\.html|\.ipynb|\.md)?(?:#([\w:.-]+))?", href)
    if not m or not (m.group(1) or m.group(2)):
        raise UnprintableHTML(f"a link to {href!r} has no place in the printed book")
    page, anchor = m.group(1), m.group(2)
    doc = f"{docdir}/{page}" if docdir and page else page
    label = f"{doc}:{anchor}" if anchor else f"{doc}::doc"
    if not page:
        return text
    return f"\\hyperref[\\detokenize{{{label}}}]{{{text}}}"


def _table_latex(node: _Node, docdir: str) -> str:
    rows, header, caption = [], None, ""
    for part in _walk_rows(node):
        if isinstance(part, str):
            caption = part
            continue
        tag, cells = part
        latex_cells = [_render(c, docdir, inline=True).strip() for c in cells]
        if tag == "head" and header is None:
            header = latex_cells
        else:
            rows.append(latex_cells)
    if header is None:
        header, rows = (rows[0], rows[1:]) if rows else ([""], [])
    n = max([len(header), *(len(r) for r in rows)])
    header = header + [""] * (n - len(header))
    rows = [r + [""] * (n - len(r)) for r in rows]
    lengths = [max([len(_plain(header[j])), *(len(_plain(r[j])) for r in rows)]) for j in range(n)]
    if sum(lengths) + 2 * n <= 90:
        columns: list[str | float] = [
            "r"
            if rows and all(re.fullmatch(r"[\d,.\s%+\-×x()]*", _plain(r[j])) for r in rows)
            else "l"
            for j in range(n)
        ]
    else:
        # a column is at least as wide as its longest word (a badge, an id), at most 60 characters
        words = [
            max(
                len(w)
                for cell in [header[j], *(r[j] for r in rows)]
                for w in [*_plain(cell).split(), ""]
            )
            for j in range(n)
        ]
        columns = _column_widths(lengths, words)
    return latex_table(
        [h.replace("\\textbf{", "{") for h in header], rows, columns=columns, caption=caption
    )


#: About how many characters of the tables' small type fit on a line.
_LINE_CHARS = 95


def _column_widths(lengths: list[int], words: list[int], total: float = 0.99) -> list[float]:
    """Column widths (fractions of the line) for cells of at most ``lengths`` characters whose
    longest words have ``words`` characters: no column narrower than its longest word, the rest
    of the line shared in proportion to the (capped) content lengths."""
    need = [(w + 4) / _LINE_CHARS for w in words]
    want = [min(max(length, 6), 60) for length in lengths]
    widths = [0.0] * len(lengths)
    free = list(range(len(lengths)))
    room = total
    while free:
        share = {j: room * want[j] / sum(want[k] for k in free) for j in free}
        short = [j for j in free if share[j] < need[j]]
        if not short:
            for j in free:
                widths[j] = share[j]
            break
        for j in short:
            widths[j] = need[j]
            room -= need[j]
            free.remove(j)
        if room <= 0:  # the words alone are wider than the line: shrink all alike
            scale = total / sum(need)
            return [n * scale for n in need]
    return widths


def _plain(latex: str) -> str:
    return re.sub(r"\\[a-zA-Z]+|[{}$\\]", "", latex)


def _walk_rows(node: _Node):
    for child in node.children:
        if isinstance(child, str):
            continue
        if child.tag == "caption":
            yield _render(child, "", inline=True).strip()
        elif child.tag in ("thead", "tbody", "tfoot"):
            for row in _walk_rows(child):
                yield ("head", row[1]) if child.tag == "thead" and not isinstance(row, str) else row
        elif child.tag == "tr":
            cells = [c for c in child.children if isinstance(c, _Node) and c.tag in ("th", "td")]
            head = all(c.tag == "th" for c in cells)
            yield ("head" if head else "body", cells)


def _render(node: _Node | str, docdir: str, inline: bool = False) -> str:
    if isinstance(node, str):
        return escape(re.sub(r"\s+", " ", node))
    tag, cls = node.tag, node.attrs.get("class", "")
    if tag in _DROP:
        return ""
    if tag in ("script", "img", "iframe", "svg", "canvas", "input", "button", "form"):
        raise UnprintableHTML(f"<{tag}> cannot be printed")
    if tag == "span" and "math" in cls.split():
        tex = node.text().strip()
        for a, b in (("\\(", "\\)"), ("\\[", "\\]"), ("$$", "$$"), ("$", "$")):
            if tex.startswith(a) and tex.endswith(b):
                tex = tex[len(a) : -len(b)]
                break
        return f"${tex}$"
    if tag == "pre":
        return "\n" + verbatim(node.text().strip("\n"), size="footnotesize") + "\n"
    if tag == "table":
        return "\n" + _table_latex(node, docdir) + "\n"
    if tag in ("tr", "th", "td", "tfoot", "caption") and not inline:
        raise UnprintableHTML(f"<{tag}> outside a <table>")
    inner = "".join(
        _render(c, docdir, inline or tag not in _BLOCK | {"root"}) for c in node.children
    )
    if tag in ("th", "td"):
        return inner
    if tag == "span" and "cnnmath-verdict" in cls.split():
        return f"\\fbox{{\\footnotesize\\textsf{{{inner.strip()}}}}}"
    if tag in ("span", "root", "thead", "tbody", "section", "abbr", "mark", "font"):
        return inner
    if tag in _INLINE_WRAP:
        return _INLINE_WRAP[tag] % inner
    if tag == "a":
        href = node.attrs.get("href", "")
        return _href_latex(href, inner, docdir) if href else inner
    if tag == "br":
        return "\\newline " if inline else "\\par\n"
    if tag == "hr":
        return "\n\\par\\noindent\\rule{\\linewidth}{0.4pt}\\par\n"
    if tag in ("p", "div"):
        return inner if inline else f"\n\\par\\noindent {inner.strip()}\\par\n"
    if tag == "details":
        return inner if inline else f"\n\\par {inner.strip()}\\par\n"
    if tag in ("ul", "ol"):
        env = "itemize" if tag == "ul" else "enumerate"
        return f"\n\\begin{{{env}}}\n{inner.strip()}\n\\end{{{env}}}\n"
    if tag == "li":
        return f"\\item {inner.strip()}\n"
    if tag == "dl":
        return f"\n\\begin{{description}}\n{inner.strip()}\n\\end{{description}}\n"
    if tag == "dt":
        return f"\\item[{inner.strip()}] "
    if tag == "dd":
        return f"{inner.strip()}\n"
    if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        return f"\n\\par\\medskip\\noindent\\textbf{{{inner.strip()}}}\\par\n"
    raise UnprintableHTML(f"<{tag}> is not printed by cnnmath.printable.html_latex")


def html_latex(source: str, *, docdir: str = "") -> str:
    r"""The HTML that cnnmath writes, as printable LaTeX (starting with :data:`MARKER`).

    Paragraphs, lists, definition lists, tables (a ``longtable``, its column widths from its
    content), ``<details>`` opened (as the HTML's print style does), MathJax spans
    (``<span class="math">\(...\)</span>``) as math, verdict badges boxed, and links: to
    another page of the book (``sources.html#source-thesis``, relative to the book's folder
    ``docdir``) as a PDF cross-reference, to the web as ``\href``. Styles are dropped. Anything
    that paper cannot show (a script, an image, a form) raises :class:`UnprintableHTML`.
    """
    if not isinstance(source, str):
        raise ValueError(f"source must be a string, got {type(source).__name__}")
    body = _render(_parse_html(source), docdir).strip()
    body = re.sub(r"\n{3,}", "\n\n", body)
    return f"{MARKER}\n{body}"
