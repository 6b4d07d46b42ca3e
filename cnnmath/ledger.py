"""The source ledger: a register of checkable claims in the book's source documents.

Each :class:`Claim` records where a source says something (document, section or equation), the
short claim as stated, the verdict the book reached, the correct statement, and the code that
checks it. A check returns a :class:`Finding`: whether the claim *as stated* holds, whether the
book's *correct statement* holds, and the computed evidence. :func:`verify` runs the check and
raises :class:`LedgerError` if the finding contradicts the recorded verdict, so a verdict can
never drift away from the mathematics. pytest verifies every claim; each chapter shows its own
with :func:`table`; the errata chapter renders them all.

Verdicts
--------
``holds``         the claim is right as stated.
``wrong``         the claim as stated is false; the correct statement holds.
``inconsistent``  the source contradicts itself (two of its statements cannot both hold).
``convention``    the claim holds under the source's convention, which differs from another
                  source's or from the book's; both are stated.

Claims are defined in :mod:`cnnmath.claims`, one module per chapter, with the :func:`claim`
decorator. ``python -m cnnmath.ledger`` prints the whole ledger as JSON.
"""
from __future__ import annotations

import html
import inspect
import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["holds", "wrong", "inconsistent", "convention"]
VERDICTS: tuple[str, ...] = ("holds", "wrong", "inconsistent", "convention")

#: The source documents, by the short key used in citations.
SOURCES: dict[str, str] = {
    "thesis": "Bachelor's thesis on neural networks and convolutional neural networks for image recognition",
    "paper": "Paper on the mechanics of convolutional neural networks, with a from-scratch NumPy CNN",
    "guide": "A gentle guide to convolutional neural networks",
    "slides": "Lecture slides on convolutional neural networks (EE4016, City University of Hong Kong)",
    "blog": "Blog tutorial on the layers of convolutional neural networks",
}


class LedgerError(AssertionError):
    """A claim's check contradicts its recorded verdict, or the ledger itself is malformed."""


@dataclass(frozen=True)
class Finding:
    """What a check found: does the claim hold as stated, does the correct statement hold."""

    stated_holds: bool
    correct_holds: bool
    evidence: str = ""


@dataclass(frozen=True)
class Claim:
    """One checkable claim of a source document, with the book's verdict and correction."""

    id: str
    document: str
    where: str
    stated: str
    verdict: Verdict
    correct: str
    chapter: str
    check: Callable[[], Finding]

    @property
    def citation(self) -> str:
        return f"{self.document}, {self.where}"

    def code(self) -> str:
        """The source code of the check, as the ledger's machine-readable record carries it."""
        return textwrap.dedent(inspect.getsource(self.check))


@dataclass(frozen=True)
class Result:
    claim: Claim
    finding: Finding


_REGISTRY: dict[str, Claim] = {}


def claim(
    id: str,
    *,
    document: str,
    where: str,
    stated: str,
    verdict: Verdict,
    correct: str,
    chapter: str,
) -> Callable[[Callable[[], Finding]], Callable[[], Finding]]:
    """Decorator registering the decorated function as the check of a new claim."""
    if document not in SOURCES:
        raise LedgerError(f"claim {id!r}: unknown document {document!r}; expected one of {sorted(SOURCES)}")
    if verdict not in VERDICTS:
        raise LedgerError(f"claim {id!r}: unknown verdict {verdict!r}; expected one of {VERDICTS}")

    def register(check: Callable[[], Finding]) -> Callable[[], Finding]:
        if id in _REGISTRY:
            raise LedgerError(f"claim {id!r} is registered twice")
        _REGISTRY[id] = Claim(id, document, where, stated, verdict, correct, chapter, check)
        return check

    return register


def _load() -> None:
    from . import claims  # noqa: F401  (importing registers every chapter's claims)


def claims(chapter: str | None = None) -> list[Claim]:
    """All registered claims, or those of one chapter, in registration order."""
    _load()
    out = [c for c in _REGISTRY.values() if chapter is None or c.chapter == chapter]
    if chapter is not None and not out:
        known = sorted({c.chapter for c in _REGISTRY.values()})
        raise LedgerError(f"no claims registered for chapter {chapter!r}; chapters: {known}")
    return out


def get(id: str) -> Claim:
    _load()
    try:
        return _REGISTRY[id]
    except KeyError:
        raise LedgerError(f"no claim {id!r} in the ledger") from None


def consistent(verdict: str, f: Finding) -> bool:
    """Whether a finding supports a verdict (see the module docstring)."""
    if not f.correct_holds:
        return False
    if verdict in ("holds", "convention"):
        return f.stated_holds
    return not f.stated_holds  # wrong, inconsistent


def verify(c: Claim | str) -> Result:
    """Run a claim's check and raise :class:`LedgerError` unless it supports the verdict."""
    c = get(c) if isinstance(c, str) else c
    f = c.check()
    if not isinstance(f, Finding):
        raise LedgerError(f"check of {c.id!r} returned {type(f).__name__}, not a Finding")
    if not consistent(c.verdict, f):
        raise LedgerError(
            f"claim {c.id!r} ({c.citation}) is recorded as {c.verdict!r}, but its check found "
            f"stated_holds={f.stated_holds}, correct_holds={f.correct_holds}: {f.evidence}"
        )
    return Result(c, f)


def verify_all(chapter: str | None = None) -> list[Result]:
    return [verify(c) for c in claims(chapter)]


class Table:
    """Verified claims, displayed as an HTML table in a notebook and as text elsewhere."""

    def __init__(self, results: list[Result]):
        self.results = results

    def counts(self) -> dict[str, int]:
        out = {v: 0 for v in VERDICTS}
        for r in self.results:
            out[r.claim.verdict] += 1
        return out

    def _repr_html_(self) -> str:
        rows = []
        for r in self.results:
            c = r.claim
            cells = [c.id, c.citation, c.stated, c.verdict, c.correct, r.finding.evidence]
            rows.append("<tr>" + "".join(f"<td>{html.escape(x)}</td>" for x in cells) + "</tr>")
        head = "".join(f"<th>{h}</th>" for h in ("claim", "where", "as stated", "verdict", "correct statement", "evidence (computed)"))
        return f"<table class='ledger'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {v}" for v, n in self.counts().items() if n)
        lines = [f"{len(self.results)} claims checked ({counts}):"]
        lines += [f"  [{r.claim.verdict}] {r.claim.id}: {r.claim.citation}" for r in self.results]
        return "\n".join(lines)


def table(chapter: str | None = None) -> Table:
    """Verify the claims of ``chapter`` (all when None) and return them as a displayable table."""
    return Table(verify_all(chapter))


def records(chapter: str | None = None) -> list[dict[str, str | bool]]:
    """The ledger as plain records (JSON-ready), each with its verdict verified just now."""
    out = []
    for r in verify_all(chapter):
        c = r.claim
        out.append(
            {
                "id": c.id,
                "document": c.document,
                "document_title": SOURCES[c.document],
                "where": c.where,
                "stated": c.stated,
                "verdict": c.verdict,
                "correct": c.correct,
                "chapter": c.chapter,
                "stated_holds": r.finding.stated_holds,
                "correct_holds": r.finding.correct_holds,
                "evidence": r.finding.evidence,
                "check": c.code(),
            }
        )
    return out


if __name__ == "__main__":
    print(json.dumps(records(), indent=2, ensure_ascii=False))
