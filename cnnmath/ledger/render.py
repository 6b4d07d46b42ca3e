"""HTML for the ledger: the chapters' claim tables and the errata chapter, with their math.

Claim texts may hold LaTeX between single dollars; :func:`rich_text` escapes the rest and wraps each
formula as ``<span class="math">\\(...\\)</span>``, which MathJax typesets in the built book (myst's
``processHtmlClass`` includes ``math``) and in JupyterLab. Everything here is a pure function of
the verified results, so a notebook that shows it has deterministic outputs.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from . import OUTLINES, SOURCES, VERDICTS, Result

#: Colours of the verdict badges (readable on light and dark themes, white text).
VERDICT_COLOURS: dict[str, str] = {
    "holds": "#1a7f37",
    "wrong": "#cf222e",
    "inconsistent": "#bc4c00",
    "convention": "#0969da",
}

STYLE = """<style>
.cnnmath-ledger {font-size: 0.86em; line-height: 1.4;}
table.cnnmath-ledger {border-collapse: collapse; width: 100%; margin: 0.4em 0 1em 0;}
table.cnnmath-ledger th {text-align: left; font-weight: 600; padding: 0.35em 0.5em;
  border-bottom: 2px solid rgba(128, 128, 128, 0.5);}
table.cnnmath-ledger td {vertical-align: top; padding: 0.4em 0.5em;
  border-bottom: 1px solid rgba(128, 128, 128, 0.25);}
table.cnnmath-ledger tbody tr:nth-child(even) td {background: rgba(128, 128, 128, 0.07);}
table.cnnmath-ledger td.num, table.cnnmath-ledger th.num {text-align: right;}
.cnnmath-verdict {display: inline-block; padding: 0.05em 0.55em; border-radius: 0.8em;
  color: #fff; font-size: 0.85em; font-weight: 600; white-space: nowrap;}
.cnnmath-id {font-family: monospace; font-size: 0.9em; word-break: break-all;}
.cnnmath-where {opacity: 0.8;}
.cnnmath-note {display: block; margin-top: 0.25em; font-size: 0.92em; font-style: italic;
  opacity: 0.85;}
div.cnnmath-erratum {border-left: 4px solid; padding: 0.2em 0 0.2em 0.9em; margin: 0 0 1.2em 0;}
div.cnnmath-erratum dl {margin: 0.3em 0;}
div.cnnmath-erratum dt {font-weight: 600; margin-top: 0.3em;}
div.cnnmath-erratum dd {margin-left: 1.2em;}
.cnnmath-ledger pre {font-size: 0.92em; overflow-x: auto; padding: 0.5em;
  background: rgba(128, 128, 128, 0.08);}
.cnnmath-ledger details > summary {cursor: pointer;}
</style>"""

_MATH = re.compile(r"(?<![\\$])\$(?!\s)([^$]+?)(?<![\s\\])\$(?!\$)")


def rich_text(text: str) -> str:
    """``text`` as HTML: escaped, with each ``$...$`` formula as MathJax inline math."""
    out, last = [], 0
    for m in _MATH.finditer(text):
        out.append(html.escape(text[last : m.start()]))
        out.append(
            f'<span class="math notranslate nohighlight">\\({html.escape(m.group(1))}\\)</span>'
        )
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def badge(verdict: str) -> str:
    colour = VERDICT_COLOURS[verdict]
    return f'<span class="cnnmath-verdict" style="background:{colour}">{verdict}</span>'


def _notes(c) -> str:
    out = ""
    if c.doubt:
        out += f'<span class="cnnmath-note">Doubt: {rich_text(c.doubt)}</span>'
    if c.reference:
        out += (
            f'<span class="cnnmath-note">Checked by reference only: {rich_text(c.reference)}</span>'
        )
    return out


def claims_table(results: Sequence[Result]) -> str:
    """The verified claims as a styled table: place, as stated, verdict, correction, evidence."""
    rows = []
    for r in results:
        c = r.claim
        rows.append(
            "<tr>"
            f'<td><span class="cnnmath-id">{html.escape(c.id)}</span><br>'
            f'<span class="cnnmath-where">{html.escape(c.citation)}</span></td>'
            f"<td>{rich_text(c.stated)}</td>"
            f"<td>{badge(c.verdict)}</td>"
            f"<td>{rich_text(c.correct)}{_notes(c)}</td>"
            f"<td>{rich_text(r.finding.evidence)}</td>"
            "</tr>"
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("claim", "as stated", "verdict", "correct statement", "evidence (computed)")
    )
    return (
        f"{STYLE}<table class='cnnmath-ledger'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def counts(results: Iterable[Result], document: str | None = None) -> dict[str, int]:
    """How many claims (of ``document``, or all) have each verdict."""
    out = {v: 0 for v in VERDICTS}
    for r in results:
        if document is None or r.claim.document == document:
            out[r.claim.verdict] += 1
    return out


def covered_sections(results: Iterable[Result], document: str) -> list[str]:
    """The units of ``document``'s outline cited by at least one claim, in reading order."""
    cited = {s for r in results if r.claim.document == document for s in r.claim.sections}
    return [k for k in OUTLINES[document] if k in cited]


def counts_table(results: Sequence[Result]) -> str:
    """Per source: the number of claims with each verdict, and the share of its sections covered."""
    head = (
        "<th>source</th>"
        + "".join(f'<th class="num">{badge(v)}</th>' for v in VERDICTS)
        + '<th class="num">claims</th><th class="num">sections with a claim</th>'
    )
    rows = []
    for doc in SOURCES:
        n = counts(results, doc)
        cov = covered_sections(results, doc)
        share = len(cov) / len(OUTLINES[doc])
        rows.append(
            f"<tr><td><b>{doc}</b></td>"
            + "".join(f'<td class="num">{n[v]}</td>' for v in VERDICTS)
            + f'<td class="num">{sum(n.values())}</td>'
            f'<td class="num">{len(cov)} of {len(OUTLINES[doc])} ({share:.0%})</td></tr>'
        )
    n = counts(results)
    rows.append(
        "<tr><td><b>all</b></td>"
        + "".join(f'<td class="num"><b>{n[v]}</b></td>' for v in VERDICTS)
        + f'<td class="num"><b>{sum(n.values())}</b></td><td></td></tr>'
    )
    return (
        f"{STYLE}<table class='cnnmath-ledger'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def plot_counts(results: Sequence[Result], ax=None):
    """A horizontal stacked bar per source: its claims by verdict. Returns the axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 2.8))
    docs = list(SOURCES)[::-1]
    left = [0] * len(docs)
    for v in VERDICTS:
        widths = [counts(results, d)[v] for d in docs]
        ax.barh(docs, widths, left=left, color=VERDICT_COLOURS[v], label=v)
        left = [a + b for a, b in zip(left, widths)]
    ax.set_xlabel("claims")
    ax.legend(ncols=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _count_text(n: int) -> str:
    return "<b>no claim</b>" if n == 0 else f"{n} claim" + ("s" if n > 1 else "")


def coverage_list(results: Sequence[Result], document: str) -> str:
    """The sections of ``document`` and how many claims cite each, collapsed."""
    cited: dict[str, int] = {k: 0 for k in OUTLINES[document]}
    for r in results:
        if r.claim.document == document:
            for s in r.claim.sections:
                cited[s] += 1
    items = "".join(
        f"<li>{'§' + html.escape(k) + ' ' if k[0].isdigit() else ''}{html.escape(title)}: "
        f"{_count_text(cited[k])}</li>"
        for k, title in OUTLINES[document].items()
    )
    missing = sum(not n for n in cited.values())
    return (
        f"<div class='cnnmath-ledger'><details><summary>The {len(cited)} sections of the "
        f"{document} "
        f"and their claims ({missing} without one)</summary><ul>{items}</ul></details></div>"
    )


def find_toc(start: Path | None = None) -> Path | None:
    """The book's ``_toc.yml``: in ``start`` (default: the working directory) or a parent of it."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "_toc.yml").is_file():
            return d / "_toc.yml"
    return None


def book_chapters(toc: Path | None = None) -> dict[str, str]:
    """The chapters in the book's table of contents: file stem -> title (its first heading)."""
    import yaml

    toc = toc or find_toc()
    if toc is None:
        return {}
    files: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            files.extend(node[k] for k in ("root", "file") if isinstance(node.get(k), str))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(yaml.safe_load(toc.read_text()))
    out = {}
    for f in files:
        path = next(
            (p for p in (toc.parent / f"{f}.ipynb", toc.parent / f"{f}.md") if p.is_file()), None
        )
        if path is not None:
            out[Path(f).name] = _title(path)
    return out


def _title(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        lines = [
            ln
            for c in cells
            if c["cell_type"] == "markdown"
            for ln in "".join(c["source"]).splitlines()
        ]
    else:
        lines = path.read_text().splitlines()
    return next((ln[2:].strip() for ln in lines if ln.startswith("# ")), path.stem)


def _chapter_link(chapter: str, chapters: dict[str, str], here: str) -> str:
    if chapter == here:
        return "no chapter mirrors this section; this page is where the book discusses it"
    if chapter in chapters:
        return f'<a href="{html.escape(chapter)}.html">{rich_text(chapters[chapter])}</a>'
    return f"the chapter <code>{html.escape(chapter)}</code> (not in this edition of the book)"


def erratum(r: Result, chapters: dict[str, str], here: str = "errata") -> str:
    """One claim in full: the quote, the correction, the evidence, the check's code, the chapter."""
    c = r.claim
    parts = [
        f"<p>{badge(c.verdict)} <span class='cnnmath-id'>{html.escape(c.id)}</span> "
        f"<span class='cnnmath-where'>({html.escape(c.where)})</span></p><dl>",
        f"<dt>As stated</dt><dd>{rich_text(c.stated)}</dd>",
        f"<dt>Correct statement</dt><dd>{rich_text(c.correct)}</dd>",
        f"<dt>Evidence (computed)</dt><dd>{rich_text(r.finding.evidence)}</dd>",
    ]
    if c.doubt:
        parts.append(f"<dt>Doubt</dt><dd>{rich_text(c.doubt)}</dd>")
    if c.reference:
        parts.append(f"<dt>Checked by reference only</dt><dd>{rich_text(c.reference)}</dd>")
    parts.append(f"<dt>Discussed in</dt><dd>{_chapter_link(c.chapter, chapters, here)}</dd></dl>")
    parts.append(
        f"<details><summary>The check</summary><pre>{html.escape(c.code())}</pre></details>"
    )
    colour = VERDICT_COLOURS[c.verdict]
    return f"<div class='cnnmath-erratum' style='border-color:{colour}'>{''.join(parts)}</div>"


def errata(
    results: Sequence[Result], document: str, chapters: dict[str, str], here: str = "errata"
) -> str:
    """Every wrong and inconsistent claim of ``document``, in the order of its sections."""
    order = {k: i for i, k in enumerate(OUTLINES[document])}
    bad = [
        r
        for r in results
        if r.claim.document == document and r.claim.verdict in ("wrong", "inconsistent")
    ]
    bad.sort(key=lambda r: min((order[s] for s in r.claim.sections), default=len(order)))
    if not bad:
        return f"{STYLE}<div class='cnnmath-ledger'><p>No wrong or inconsistent claim.</p></div>"
    entries = "".join(erratum(r, chapters, here) for r in bad)
    return f"{STYLE}<div class='cnnmath-ledger'>{entries}</div>"


def holding(
    results: Sequence[Result], document: str, chapters: dict[str, str], here: str = "errata"
) -> str:
    """The claims of ``document`` that hold (as stated or by convention), collapsed."""
    out = []
    for verdict, label in (
        ("holds", "hold as stated"),
        ("convention", "hold under the source's convention"),
    ):
        rs = [r for r in results if r.claim.document == document and r.claim.verdict == verdict]
        if not rs:
            continue
        items = "".join(
            f"<li><span class='cnnmath-id'>{html.escape(r.claim.id)}</span> "
            f"<span class='cnnmath-where'>({html.escape(r.claim.where)})</span>: "
            f"{rich_text(r.claim.stated)}"
            f" &mdash; <i>{rich_text(r.finding.evidence)}</i>"
            f"{_notes(r.claim)} ({_chapter_link(r.claim.chapter, chapters, here)})</li>"
            for r in rs
        )
        out.append(
            f"<details><summary>The {len(rs)} claims of the {document} that {label}</summary>"
            f"<ul>{items}</ul></details>"
        )
    return f"{STYLE}<div class='cnnmath-ledger'>{''.join(out)}</div>"


def source_report(
    results: Sequence[Result], document: str, chapters: dict[str, str], here: str = "errata"
) -> str:
    """One source's part of the errata: title, coverage, errors in full, the rest collapsed."""
    n = counts(results, document)
    summary = ", ".join(f"{n[v]} {v}" for v in VERDICTS if n[v])
    head = (
        f"<div class='cnnmath-ledger'><p><i>{html.escape(SOURCES[document])}</i>: "
        f"{sum(n.values())} claims ({summary}).</p></div>"
    )
    return (
        head
        + coverage_list(results, document)
        + errata(results, document, chapters, here)
        + holding(results, document, chapters, here)
    )
