"""The source ledger: a register of checkable claims in the book's source documents.

Each :class:`Claim` records where a source says something (document, section or equation), the
short claim as stated, the verdict the book reached, the correct statement, and the code that
checks it. A check returns a :class:`Finding`: whether the claim *as stated* holds, whether the
book's *correct statement* holds, and the computed evidence. :func:`verify` runs the check and
raises :class:`LedgerError` if the finding contradicts the recorded verdict, so a verdict can
never drift away from the mathematics. pytest verifies every claim; each chapter shows its own
with :func:`table`; the errata chapter renders them all (:mod:`cnnmath.ledger.render`).

Verdicts
--------
``holds``         the claim is right as stated (under the assumptions its own section states).
``wrong``         the claim as stated is false; the correct statement holds.
``inconsistent``  the source contradicts itself (two of its statements cannot both hold).
``convention``    the claim holds under the source's convention, which differs from another
                  source's or from the book's; both are stated.
``wording``       the mathematics is right but the words say something else: a slip of the pen
                  ("negative inverse" for "negative"), an overstatement ("nearly halving" for a
                  37% cut), a loose phrase. Read literally the claim is false; what the source
                  means, shown by its own equations or figures, holds. The check shows both.
``editorial``     an editorial error: a figure or equation number that points to the wrong
                  place, a word naming the wrong object, a repeated title. Nothing mathematical
                  is at stake; the check shows where the reference should point.

The verdicts *holds* and *convention* need a finding with ``stated_holds`` and
``correct_holds``; *wrong*, *inconsistent*, *wording* and *editorial* need ``correct_holds``
without ``stated_holds``. *wrong* and *inconsistent* are the sources' errors, *wording* and
*editorial* their errata (:data:`ERRORS`, :data:`ERRATA`).

Two notes qualify a verdict. ``doubt`` says what the check cannot see: the sources are text
extracted from PDFs and web pages, so a formula may have lost its brackets, a listing its
indentation, a slide its figure. ``reference`` names the literature a claim can only be checked
against (dates, names, results of other people's experiments): the check then encodes what the
cited work says, and the verdict is only as good as that citation. Such a verdict is a
*reference verdict*: its check returns :func:`by_reference`, whose evidence says that nothing was
computed, and the tables show it as such. A check that compares values typed from the same
citation cannot fail, so it must not pose as a computation (tests/test_ledger.py finds them).

Claims are defined in :mod:`cnnmath.claims`, one module per chapter, with the :func:`claim`
decorator of :mod:`cnnmath.claims.record` (the record and its register);
:func:`sections_of` (:mod:`cnnmath.claims.sources`) maps each claim's citation to the units of its
source's outline. The ledger reads the register after :func:`cnnmath.claims.load` has filled it:
it imports the claims, and they import nothing of it.
``python -m cnnmath.ledger`` prints the ledger as JSON (``--help`` for filters and a summary).
"""

from __future__ import annotations

import textwrap

from .. import claims as catalogue
from ..claims.record import (
    BY_REFERENCE,
    REGISTRY,
    VERDICTS,
    Claim,
    Finding,
    LedgerError,
    Result,
    basis,
)
from ..claims.sources import OUTLINES, SOURCES

__all__ = [
    "Table",
    "claims",
    "consistent",
    "coverage",
    "get",
    "records",
    "table",
    "verify",
    "verify_all",
]


def _load() -> None:
    """Enter every chapter's claims in the register (:func:`cnnmath.claims.load`; once)."""
    catalogue.load()


def claims(chapter: str | None = None) -> list[Claim]:
    """All registered claims, or those of one chapter, in registration order."""
    _load()
    out = [c for c in REGISTRY.values() if chapter is None or c.chapter == chapter]
    if chapter is not None and not out:
        known = sorted({c.chapter for c in REGISTRY.values()})
        raise LedgerError(f"no claims registered for chapter {chapter!r}; chapters: {known}")
    return out


def get(id: str) -> Claim:
    _load()
    try:
        return REGISTRY[id]
    except KeyError:
        raise LedgerError(f"no claim {id!r} in the ledger") from None


def consistent(verdict: str, f: Finding) -> bool:
    """Whether a finding supports a verdict (see the module docstring)."""
    if not f.correct_holds:
        return False
    if verdict in ("holds", "convention"):
        return f.stated_holds
    return not f.stated_holds  # wrong, inconsistent, wording, editorial


def verify(c: Claim | str) -> Result:
    """Run a claim's check and raise :class:`LedgerError` unless it supports the verdict."""
    c = get(c) if isinstance(c, str) else c
    f = c.check()
    if not isinstance(f, Finding):
        raise LedgerError(f"check of {c.id!r} returned {type(f).__name__}, not a Finding")
    if f.evidence.startswith(BY_REFERENCE) and not c.reference:
        raise LedgerError(f"claim {c.id!r} is checked by reference but cites no reference")
    if not consistent(c.verdict, f):
        raise LedgerError(
            f"claim {c.id!r} ({c.citation}) is recorded as {c.verdict!r}, but its check found "
            f"stated_holds={f.stated_holds}, correct_holds={f.correct_holds}: {f.evidence}"
        )
    return Result(c, f)


def verify_all(chapter: str | None = None) -> list[Result]:
    return [verify(c) for c in claims(chapter)]


def coverage(
    document: str, results: list[Claim] | list[Result] | None = None
) -> dict[str, tuple[str, ...]]:
    """For each unit of ``document``'s outline, the ids of the claims that cite it."""
    cs = [
        r.claim if isinstance(r, Result) else r for r in (claims() if results is None else results)
    ]
    out: dict[str, list[str]] = {k: [] for k in OUTLINES[document]}
    for c in cs:
        if c.document == document:
            for s in c.sections:
                out[s].append(c.id)
    return {k: tuple(v) for k, v in out.items()}


class Table:
    """Verified claims, displayed as a styled HTML table in a notebook and as text elsewhere.

    Each display form is built from :func:`cnnmath.ledger.render.table_rows`, one record per
    claim with every cell as plain text: the HTML here, the short text of ``repr``, and a LaTeX
    form for a printed edition (a ``_repr_latex_`` method, or an entry of the display bundle,
    written from the same rows) show the same cells.
    """

    def __init__(self, results: list[Result]):
        self.results = results

    def counts(self) -> dict[str, int]:
        out = {v: 0 for v in VERDICTS}
        for r in self.results:
            out[r.claim.verdict] += 1
        return out

    def _repr_html_(self) -> str:
        from .render import claims_table

        counts = ", ".join(f"{n} {v}" for v, n in self.counts().items() if n)
        return claims_table(
            self.results, caption=f"{len(self.results)} claims of the sources, checked: {counts}"
        )

    def rows(self) -> list[dict[str, str]]:
        """Every cell of the table as plain text, one record per claim (for other formats)."""
        from .render import table_rows

        return table_rows(self.results)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {v}" for v, n in self.counts().items() if n)
        lines = [f"{len(self.results)} claims checked: {counts}"]
        for v in VERDICTS:
            ids = [r.claim.id for r in self.results if r.claim.verdict == v]
            if ids:
                lines += textwrap.wrap(
                    ", ".join(ids),
                    96,
                    initial_indent=f"  {v}: ",
                    subsequent_indent="    ",
                    break_on_hyphens=False,
                )
        return "\n".join(lines)


def table(chapter: str | None = None) -> Table:
    """Verify the claims of ``chapter`` (all when None) and return them as a displayable table."""
    return Table(verify_all(chapter))


def records(
    chapter: str | None = None, document: str | None = None, verdict: str | None = None
) -> list[dict[str, object]]:
    """The ledger as plain records (JSON-ready), each with its verdict verified just now.

    ``chapter``, ``document`` and ``verdict`` select the claims before any is verified.
    """
    out = []
    selected = [
        c
        for c in claims(chapter)
        if (document is None or c.document == document)
        and (verdict is None or c.verdict == verdict)
    ]
    for c in selected:
        r = verify(c)
        out.append(
            {
                "id": c.id,
                "document": c.document,
                "document_title": SOURCES[c.document],
                "where": c.where,
                "sections": list(c.sections),
                "stated": c.stated,
                "verdict": c.verdict,
                "correct": c.correct,
                "chapter": c.chapter,
                "doubt": c.doubt,
                "reference": c.reference,
                "basis": basis(r),
                "stated_holds": r.finding.stated_holds,
                "correct_holds": r.finding.correct_holds,
                "evidence": r.finding.evidence,
                "check": c.code(),
            }
        )
    return out
