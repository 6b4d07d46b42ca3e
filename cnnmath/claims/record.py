"""What a claim of the source documents is: the record the ledger keeps, and the register of them.

A :class:`Claim` records where a source says something (document, section or equation), the
short claim as stated, the verdict the book reached, the correct statement, and the function that
checks it, which returns a :class:`Finding`. The :func:`claim` decorator enters a check in the
register :data:`REGISTRY`; the chapters' modules of :mod:`cnnmath.claims` use it, and
:mod:`cnnmath.ledger` verifies and shows what the register holds (the verdicts are explained
there).
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .sources import OUTLINES, SOURCES, sections_of

Verdict = Literal["holds", "wrong", "inconsistent", "convention", "wording", "editorial"]
VERDICTS: tuple[str, ...] = (
    "holds",
    "wrong",
    "inconsistent",
    "convention",
    "wording",
    "editorial",
)
#: What each verdict means, in one line (the tables' legends and the quizzes use it).
VERDICT_MEANINGS: dict[str, str] = {
    "holds": "the claim is right as stated",
    "wrong": "the claim as stated is false",
    "inconsistent": "the source contradicts itself",
    "convention": "right under the source's convention, which differs from another's",
    "wording": "the mathematics is right but the words say something else",
    "editorial": "an editorial error: a reference or a word that points to the wrong thing",
}
#: The verdicts that find the source at fault in its mathematics, and those that find a slip.
ERRORS: tuple[str, ...] = ("wrong", "inconsistent")
ERRATA: tuple[str, ...] = ("wording", "editorial")
#: How the evidence of a reference verdict begins.
BY_REFERENCE = "by reference, not computed: "


class LedgerError(AssertionError):
    """A claim's check contradicts its recorded verdict, or the ledger itself is malformed."""


def _as_bool(value: object, name: str) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise LedgerError(
        f"Finding.{name} must be a bool (or a NumPy bool), got {type(value).__name__} {value!r}"
    )


@dataclass(frozen=True)
class Finding:
    """What a check found: does the claim hold as stated, does the correct statement hold.

    NumPy booleans are accepted and stored as Python booleans, so that a finding is JSON-ready.
    """

    stated_holds: bool
    correct_holds: bool
    evidence: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "stated_holds", _as_bool(self.stated_holds, "stated_holds"))
        object.__setattr__(self, "correct_holds", _as_bool(self.correct_holds, "correct_holds"))
        if not isinstance(self.evidence, str):
            raise LedgerError(f"Finding.evidence must be a str, got {type(self.evidence).__name__}")


def by_reference(stated_holds: bool, note: str, correct_holds: bool = True) -> Finding:
    """The finding of a reference verdict: what the cited literature says, with nothing computed.

    ``note`` says what the citation gives (a year, a count, a result); the evidence begins with
    :data:`BY_REFERENCE`, so no table can show it as a computation.
    """
    if not note:
        raise LedgerError("by_reference needs a note saying what the citation gives")
    return Finding(stated_holds, correct_holds, BY_REFERENCE + note)


@dataclass(frozen=True)
class Claim:
    """One checkable claim of a source document, with the book's verdict and correction.

    ``stated`` and ``correct`` may hold LaTeX between single dollars (``$\\sigma(0) = 1/2$``);
    the tables render it as math.
    """

    id: str
    document: str
    where: str
    stated: str
    verdict: Verdict
    correct: str
    chapter: str
    check: Callable[[], Finding]
    doubt: str = ""
    reference: str = ""
    sections: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.sections and self.document in OUTLINES:
            object.__setattr__(self, "sections", sections_of(self.document, self.where))

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


def basis(r: Result) -> str:
    """What a verdict rests on: ``"reference"`` (the literature only, nothing computed),
    ``"computation and reference"`` (a computation beside a citation), or ``"computation"``."""
    if r.finding.evidence.startswith(BY_REFERENCE):
        return "reference"
    return "computation and reference" if r.claim.reference else "computation"


#: Every registered claim, by id, in registration order.
REGISTRY: dict[str, Claim] = {}


def claim(
    id: str,
    *,
    document: str,
    where: str,
    stated: str,
    verdict: Verdict,
    correct: str,
    chapter: str,
    doubt: str = "",
    reference: str = "",
) -> Callable[[Callable[[], Finding]], Callable[[], Finding]]:
    """Decorator registering the decorated function as the check of a new claim.

    ``doubt``: what the check cannot see (garbled extraction, a missing figure). ``reference``: the
    literature that a claim can only be checked against, cited.
    """
    if document not in SOURCES:
        raise LedgerError(
            f"claim {id!r}: unknown document {document!r}; expected one of {sorted(SOURCES)}"
        )
    if verdict not in VERDICTS:
        raise LedgerError(f"claim {id!r}: unknown verdict {verdict!r}; expected one of {VERDICTS}")

    def register(check: Callable[[], Finding]) -> Callable[[], Finding]:
        if id in REGISTRY:
            raise LedgerError(f"claim {id!r} is registered twice")
        REGISTRY[id] = Claim(
            id, document, where, stated, verdict, correct, chapter, check, doubt, reference
        )
        return check

    return register
