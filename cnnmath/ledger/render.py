"""HTML for the ledger: the chapters' claim tables and the errata chapter, with their math.

Claim texts may hold LaTeX between single dollars; :func:`rich_text` escapes the rest and wraps each
formula as ``<span class="math">\\(...\\)</span>``, which MathJax typesets in the built book (myst's
``processHtmlClass`` includes ``math``) and in JupyterLab. Everything here is a pure function of
the verified results, so a notebook that shows it has deterministic outputs.

Every citation links to its source's entry on the sources page (:func:`source_link`). The claims
table keeps every column on a narrow screen and on paper: its columns wrap within a fixed layout,
long evidence folds into a ``<details>``, and under 40em (a phone) each row becomes a card whose
cells are labelled by their column's header; the table keeps its ARIA roles, so a screen reader
still reads a table. :func:`table_rows` gives the same cells as plain text, for any other format
(a LaTeX table for a printed edition).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..claims.record import (
    BY_REFERENCE,
    ERRATA,
    ERRORS,
    VERDICT_MEANINGS,
    VERDICTS,
    Claim,
    Result,
    basis,
)
from ..claims.sources import OUTLINES, SOURCES

#: Colours of the verdict badges (white text on each has a contrast of at least 4.5:1).
VERDICT_COLOURS: dict[str, str] = {
    "holds": "#1a7f37",
    "wrong": "#cf222e",
    "inconsistent": "#bc4c00",
    "convention": "#0969da",
    "wording": "#6e40c9",
    "editorial": "#57606a",
}

#: The page of the book that describes the sources; each has an anchor ``source-<document>``.
SOURCES_PAGE = "sources.html"

#: The claims table's columns: (key of :func:`table_rows`, header).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("claim", "claim and verdict"),
    ("stated", "as stated"),
    ("correct", "correct statement"),
    ("evidence", "evidence"),
)

#: Evidence longer than this many characters is folded: its first part shows, the rest opens.
EVIDENCE_FOLD = 140

STYLE = """<style>
.cnnmath-ledger {font-size: 0.86em; line-height: 1.4;}
table.cnnmath-ledger {border-collapse: collapse; width: 100%; margin: 0.4em 0 1em 0;}
table.cnnmath-ledger th {text-align: left; font-weight: 600; padding: 0.35em 0.5em;
  border-bottom: 2px solid rgba(128, 128, 128, 0.5);}
table.cnnmath-ledger td {vertical-align: top; padding: 0.4em 0.5em;
  border-bottom: 1px solid rgba(128, 128, 128, 0.25);}
table.cnnmath-ledger tbody tr:nth-child(even) td {background: rgba(128, 128, 128, 0.07);}
table.cnnmath-ledger td.num, table.cnnmath-ledger th.num {text-align: right;}
table.cnnmath-claims {table-layout: fixed;}
table.cnnmath-claims th:nth-child(1) {width: 21%;}
table.cnnmath-claims th:nth-child(2) {width: 25%;}
table.cnnmath-claims th:nth-child(3) {width: 29%;}
table.cnnmath-claims th:nth-child(4) {width: 25%;}
table.cnnmath-claims td {overflow-wrap: anywhere; overflow-x: auto;}
table.cnnmath-claims caption {caption-side: top; text-align: left; padding: 0.2em 0;
  font-style: italic;}
.cnnmath-verdict {display: inline-block; padding: 0.05em 0.55em; border-radius: 0.8em;
  color: #fff; font-size: 0.85em; font-weight: 600; white-space: nowrap;}
.cnnmath-id {font-family: monospace; font-size: 0.9em; overflow-wrap: anywhere;}
.cnnmath-where {opacity: 0.85;}
.cnnmath-note {display: block; margin-top: 0.25em; font-size: 0.92em; font-style: italic;
  opacity: 0.9;}
div.cnnmath-erratum {border-left: 4px solid; padding: 0.2em 0 0.2em 0.9em; margin: 0 0 1.2em 0;}
div.cnnmath-erratum dl {margin: 0.3em 0;}
div.cnnmath-erratum dt {font-weight: 600; margin-top: 0.3em;}
div.cnnmath-erratum dd {margin-left: 1.2em;}
.cnnmath-ledger pre {font-size: 0.92em; overflow-x: auto; padding: 0.5em; white-space: pre-wrap;
  background: rgba(128, 128, 128, 0.08);}
.cnnmath-ledger details > summary {cursor: pointer;}
@media (max-width: 40em) {
  table.cnnmath-claims, table.cnnmath-claims caption, table.cnnmath-claims tbody,
  table.cnnmath-claims tr, table.cnnmath-claims td {display: block; width: auto;}
  table.cnnmath-claims thead tr {position: absolute; width: 1px; height: 1px; overflow: hidden;
    clip: rect(0 0 0 0); white-space: nowrap;}
  table.cnnmath-claims tr {border-bottom: 2px solid rgba(128, 128, 128, 0.5);
    padding: 0.3em 0;}
  table.cnnmath-claims td {border-bottom: none; padding: 0.2em 0.3em;}
  table.cnnmath-claims td::before {content: attr(data-label); display: block;
    font-weight: 600; font-size: 0.9em;}
}
@media print {
  table.cnnmath-ledger tr, div.cnnmath-erratum {break-inside: avoid;}
  .cnnmath-ledger details::details-content {content-visibility: visible; display: contents;}
  table.cnnmath-claims td {overflow: visible;}
}
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
    return (
        f'<span class="cnnmath-verdict" style="background:{colour}" '
        f'title="{html.escape(VERDICT_MEANINGS[verdict])}">{verdict}</span>'
    )


def source_link(document: str, page: str = SOURCES_PAGE) -> str:
    """The document's short name, linked to its entry on the sources page."""
    return (
        f'<a href="{html.escape(page)}#source-{html.escape(document)}" '
        f'title="{html.escape(SOURCES[document])}">{html.escape(document)}</a>'
    )


def citation(c: Claim, page: str = SOURCES_PAGE) -> str:
    """``document, where`` as HTML, the document linked to the sources page."""
    return f"{source_link(c.document, page)}, {html.escape(c.where)}"


def _notes(c: Claim) -> str:
    out = ""
    if c.doubt:
        out += f'<span class="cnnmath-note">Doubt: {rich_text(c.doubt)}</span>'
    if c.reference:
        out += f'<span class="cnnmath-note">Literature cited: {rich_text(c.reference)}</span>'
    return out


def _math_safe_cuts(text: str) -> list[int]:
    """Positions of the spaces in ``text`` that lie outside every ``$...$`` formula."""
    inside = [False] * len(text)
    for m in _MATH.finditer(text):
        for i in range(m.start(), m.end()):
            inside[i] = True
    return [i for i, ch in enumerate(text) if ch == " " and not inside[i]]


def fold(text: str, limit: int = EVIDENCE_FOLD) -> tuple[str, str]:
    """``text`` split at a space (outside any formula) before ``limit`` characters: (head, rest).

    A clause boundary ("; ", ": ", ", ") is preferred when there is one in the second half of the
    allowed length; ``rest`` is empty when the text is short enough to show whole.
    """
    if len(text) <= limit:
        return text, ""
    cuts = [i for i in _math_safe_cuts(text) if i <= limit]
    if not cuts:
        return text, ""
    clause = [i for i in cuts if i > limit // 2 and text[i - 1] in ";:,"]
    cut = (clause or cuts)[-1]
    return text[:cut], text[cut + 1 :]


def evidence_html(c: Claim, evidence: str) -> str:
    """The evidence cell: labelled as a reference where it is one, folded where it is long."""
    label = ""
    if evidence.startswith(BY_REFERENCE):
        evidence = evidence[len(BY_REFERENCE) :]
        label = "<i>By reference, not computed:</i> "
    head, rest = fold(evidence)
    if not rest:
        return label + rich_text(evidence)
    return (
        f"<details><summary>{label}{rich_text(head)} &hellip;</summary>{rich_text(rest)}</details>"
    )


def table_rows(results: Sequence[Result]) -> list[dict[str, str]]:
    """The claims table as plain text, one record per claim (for formats other than HTML).

    Keys: ``id``, ``document``, ``where``, ``citation``, ``source_title``, ``stated``,
    ``verdict``, ``correct``, ``evidence``, ``doubt``, ``reference``, ``basis``. Texts keep their
    ``$...$`` math.
    """
    return [
        {
            "id": r.claim.id,
            "document": r.claim.document,
            "where": r.claim.where,
            "citation": r.claim.citation,
            "source_title": SOURCES[r.claim.document],
            "stated": r.claim.stated,
            "verdict": r.claim.verdict,
            "correct": r.claim.correct,
            "evidence": r.finding.evidence,
            "doubt": r.claim.doubt,
            "reference": r.claim.reference,
            "basis": basis(r),
        }
        for r in results
    ]


def claims_table(results: Sequence[Result], caption: str = "") -> str:
    """The verified claims as a styled table: claim and verdict, as stated, correction, evidence.

    The cells carry their column's header as ``data-label`` (shown on a phone, where each row is
    a card), and the table its ARIA roles, so that it stays a table to assistive technology.
    """
    labels = dict(COLUMNS)
    rows = []
    for r in results:
        c = r.claim
        cells = {
            "claim": f'<span class="cnnmath-id">{html.escape(c.id)}</span> {badge(c.verdict)}'
            f'<br><span class="cnnmath-where">{citation(c)}</span>',
            "stated": rich_text(c.stated),
            "correct": f"{rich_text(c.correct)}{_notes(c)}",
            "evidence": evidence_html(c, r.finding.evidence),
        }
        rows.append(
            '<tr role="row">'
            + "".join(
                f'<td role="cell" data-label="{labels[k]}">{cells[k]}</td>' for k, _ in COLUMNS
            )
            + "</tr>"
        )
    head = "".join(f'<th scope="col" role="columnheader">{h}</th>' for _, h in COLUMNS)
    cap = f"<caption>{rich_text(caption)}</caption>" if caption else ""
    return (
        f"{STYLE}<table class='cnnmath-ledger cnnmath-claims' role='table'>{cap}"
        f'<thead role="rowgroup"><tr role="row">{head}</tr></thead>'
        f'<tbody role="rowgroup">{"".join(rows)}</tbody></table>'
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
    ax.legend(ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
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
        f"<span class='cnnmath-where'>({citation(c)})</span></p><dl>",
        f"<dt>As stated</dt><dd>{rich_text(c.stated)}</dd>",
        f"<dt>Correct statement</dt><dd>{rich_text(c.correct)}</dd>",
    ]
    if r.finding.evidence.startswith(BY_REFERENCE):
        evidence = r.finding.evidence[len(BY_REFERENCE) :]
        parts.append(
            f"<dt>Evidence (by reference, not computed)</dt><dd>{rich_text(evidence)}</dd>"
        )
    else:
        parts.append(f"<dt>Evidence (computed)</dt><dd>{rich_text(r.finding.evidence)}</dd>")
    if c.doubt:
        parts.append(f"<dt>Doubt</dt><dd>{rich_text(c.doubt)}</dd>")
    if c.reference:
        parts.append(f"<dt>Literature cited</dt><dd>{rich_text(c.reference)}</dd>")
    parts.append(f"<dt>Discussed in</dt><dd>{_chapter_link(c.chapter, chapters, here)}</dd></dl>")
    parts.append(
        f"<details><summary>The check</summary><pre>{html.escape(c.code())}</pre></details>"
    )
    colour = VERDICT_COLOURS[c.verdict]
    return f"<div class='cnnmath-erratum' style='border-color:{colour}'>{''.join(parts)}</div>"


def _in_reading_order(results: Sequence[Result], document: str, verdicts: Iterable[str]):
    order = {k: i for i, k in enumerate(OUTLINES[document])}
    chosen = [r for r in results if r.claim.document == document and r.claim.verdict in verdicts]
    return sorted(
        chosen, key=lambda r: min((order[s] for s in r.claim.sections), default=len(order))
    )


def errata(
    results: Sequence[Result], document: str, chapters: dict[str, str], here: str = "errata"
) -> str:
    """Every wrong and inconsistent claim of ``document``, in the order of its sections."""
    bad = _in_reading_order(results, document, ERRORS)
    if not bad:
        return f"{STYLE}<div class='cnnmath-ledger'><p>No wrong or inconsistent claim.</p></div>"
    entries = "".join(erratum(r, chapters, here) for r in bad)
    return f"{STYLE}<div class='cnnmath-ledger'>{entries}</div>"


def errata_list(
    results: Sequence[Result], document: str, chapters: dict[str, str], here: str = "errata"
) -> str:
    """The errata of ``document`` (wording slips and editorial errors), as a compact list."""
    slips = _in_reading_order(results, document, ERRATA)
    if not slips:
        return f"{STYLE}<div class='cnnmath-ledger'><p>No wording or editorial erratum.</p></div>"
    items = "".join(
        f"<li>{badge(r.claim.verdict)} <span class='cnnmath-where'>{html.escape(r.claim.where)}"
        f"</span>: for &ldquo;{rich_text(r.claim.stated)}&rdquo; read: {rich_text(r.claim.correct)}"
        f" <i>({rich_text(r.finding.evidence)}; {_chapter_link(r.claim.chapter, chapters, here)}; "
        f"claim <span class='cnnmath-id'>{html.escape(r.claim.id)}</span>)</i></li>"
        for r in slips
    )
    return (
        f"{STYLE}<div class='cnnmath-ledger'><p>Errata of the {document}: {len(slips)} wording "
        f"and editorial slips, where the mathematics is right.</p><ul>{items}</ul></div>"
    )


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
    """One source's part of the errata: title, coverage, errors in full, slips listed, the rest
    collapsed."""
    n = counts(results, document)
    summary = ", ".join(f"{n[v]} {v}" for v in VERDICTS if n[v])
    head = (
        f"<div class='cnnmath-ledger'><p><i>{html.escape(SOURCES[document])}</i> "
        f"({source_link(document)}): {sum(n.values())} claims ({summary}).</p></div>"
    )
    return (
        head
        + coverage_list(results, document)
        + errata(results, document, chapters, here)
        + errata_list(results, document, chapters, here)
        + holding(results, document, chapters, here)
    )
