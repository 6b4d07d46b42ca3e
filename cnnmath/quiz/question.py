"""Questions and their answers: numeric (with a tolerance), multiple choice, grid and symbolic.

A :class:`Question` is made by a seeded generator (:mod:`cnnmath.quiz.registry`) and holds its text
(Markdown with ``$...$`` LaTeX), optional data shown in monospace (``code``), the worked
solution and an :class:`Answer`. Each answer knows its correct value, its *distractors* (the
values that known :class:`~cnnmath.quiz.mistakes.Mistake` s produce) and how to read a student's
response. ``question.check(response)`` returns a :class:`Feedback`: right or wrong, and for a
wrong answer the mistake it matches where it matches one.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from .expr import FormulaError, equivalent, parse_formula
from .mistakes import Mistake


class AnswerFormatError(ValueError):
    """A response that cannot be read as an answer of the question's type."""


@dataclass(frozen=True)
class Feedback:
    """The verdict on one response."""

    correct: bool
    message: str
    mistake: Mistake | None = None
    readable: bool = True

    def __str__(self) -> str:
        return self.message


def fmt(x: float, digits: int = 6) -> str:
    """A number as students write it: an integer without a point, else ``digits`` digits."""
    x = float(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{digits}g}"


def num(n: int) -> str:
    """An integer with thousands separators, for LaTeX: ``61{,}706``."""
    return f"{int(n):,}".replace(",", "{,}")


def par(x: float) -> str:
    """A number for a product or sum in LaTeX: negative numbers in parentheses."""
    return f"({fmt(x)})" if float(x) < 0 else fmt(x)


def grid_text(g: np.ndarray, digits: int = 4) -> str:
    """A 2-D array as aligned rows of numbers, one row per line."""
    cells = [[fmt(v, digits) for v in row] for row in np.atleast_2d(g)]
    width = max(len(c) for row in cells for c in row)
    return "\n".join(" ".join(c.rjust(width) for c in row) for row in cells)


# --------------------------------------------------------------------------------------------
# Answer types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """Base class. ``distractors`` pairs a wrong value with the mistake that produces it."""

    distractors: tuple[tuple[object, Mistake], ...] = field(default=(), kw_only=True)
    type = "answer"

    def parse(self, response: object) -> object:
        raise NotImplementedError

    def same(self, a: object, b: object) -> bool:
        raise NotImplementedError

    def matches(self, response: object, wrong: object) -> bool:
        """Whether a (parsed) response is the distractor ``wrong``, at the distractor's precision."""
        return self.same(response, wrong)

    def text(self, value: object | None = None) -> str:
        """A value (by default the correct one) written as a student would give it."""
        raise NotImplementedError

    @property
    def value(self) -> object:
        raise NotImplementedError

    def instructions(self) -> str:
        raise NotImplementedError

    def key(self) -> str:
        """The correct answer on one line, as a student would write it in a CSV."""
        return self.text()

    def check(self, response: object) -> Feedback:
        try:
            got = self.parse(response)
        except AnswerFormatError as exc:
            return Feedback(
                False, f"Could not read the answer: {exc}. {self.instructions()}", readable=False
            )
        if self.same(got, self.value):
            return Feedback(True, "Correct.")
        for wrong, mistake in self.distractors:
            if self.matches(got, wrong):
                return Feedback(False, f"Not quite. {mistake.feedback()}", mistake)
        return Feedback(
            False, "Not correct, and not one of the known mistakes: see the worked solution."
        )


@dataclass(frozen=True)
class Numeric(Answer):
    """A number, right within ``tol`` (absolute); a distractor within its own precision.

    ``digits`` (significant digits) or ``places`` (decimal places) is what the student is told to
    give; a known mistake's value is matched with the precision that instruction gives *that*
    value (:meth:`tol_of`), so a student who makes the mistake and rounds as told is told which
    mistake it was. There is no absolute slack: a tiny answer is never matched by 0.
    """

    number: float
    tol: float = 0.0
    digits: int | None = None
    places: int | None = None
    type = "numeric"

    @property
    def value(self) -> float:
        return self.number

    def parse(self, response: object) -> float:
        if isinstance(response, (int, float, np.integer, np.floating)) and not isinstance(
            response, bool
        ):
            v = float(response)
        else:
            s = str(response).strip().replace("\u2212", "-").replace(" ", "").replace("_", "")
            if len(s) > 60:
                raise AnswerFormatError("the number is too long")
            m = re.fullmatch(
                r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?:/([-+]?(?:\d+\.?\d*|\.\d+)))?", s
            )
            if not m:
                raise AnswerFormatError(f"{str(response)[:40]!r} is not a number")
            v = float(m.group(1))
            if m.group(2) is not None:
                den = float(m.group(2))
                if den == 0:
                    raise AnswerFormatError("division by zero")
                v /= den
        if not math.isfinite(v):
            raise AnswerFormatError("the number must be finite")
        return v

    def tol_of(self, v: float) -> float:
        """The tolerance for the value ``v``: one unit in the last digit the student is told to
        give (``places`` or ``digits``), 0 for an integer of an exact question, else ``tol``."""
        v = float(v)
        if self.places is not None:
            return 10.0**-self.places
        if self.tol == 0 and v == round(v):
            return 0.0
        if self.digits is not None and v != 0:
            return 10.0 ** (math.floor(math.log10(abs(v))) - self.digits + 1)
        return self.tol

    @staticmethod
    def _within(a: float, b: float, tol: float) -> bool:
        # relative round-off only (4 units of float64): no absolute slack that would accept 0
        return abs(float(a) - float(b)) <= tol * (1 + 1e-9) + 4 * 2.0**-52 * abs(float(b))

    def same(self, a: object, b: object) -> bool:
        return self._within(a, b, self.tol)

    def matches(self, response: object, wrong: object) -> bool:
        return self._within(response, wrong, self.tol_of(wrong))

    def text(self, value: object | None = None) -> str:
        return fmt(self.number if value is None else float(value))

    def instructions(self) -> str:
        if self.tol == 0:
            return "Give a number (an integer or a fraction such as 3/4)."
        return f"Give a number; answers within {fmt(self.tol, 2)} of the exact value are accepted."


@dataclass(frozen=True)
class Choice(Answer):
    """One right option among ``options`` (Markdown with ``$...$``); answered with a letter."""

    options: tuple[str, ...]
    correct: int
    type = "choice"

    @property
    def value(self) -> int:
        return self.correct

    def parse(self, response: object) -> int:
        s = str(response).strip()
        m = re.fullmatch(r"\(?([A-Za-z])[).]?", s)
        if m and ord(m.group(1).upper()) - 65 < len(self.options):
            return ord(m.group(1).upper()) - 65
        for i, opt in enumerate(self.options):
            if s == opt.strip():
                return i
        raise AnswerFormatError(
            f"{s[:40]!r} is not one of the letters A-{chr(64 + len(self.options))}"
        )

    def same(self, a: object, b: object) -> bool:
        return int(a) == int(b)

    def text(self, value: object | None = None) -> str:
        i = self.correct if value is None else int(value)
        return f"{chr(65 + i)}: {self.options[i]}"

    def instructions(self) -> str:
        return f"Answer with one letter, A to {chr(64 + len(self.options))}."

    def key(self) -> str:
        return chr(65 + self.correct)

    def mistake_of(self, i: int) -> Mistake | None:
        for wrong, mistake in self.distractors:
            if wrong == i:
                return mistake
        return None


@dataclass(frozen=True)
class Grid(Answer):
    """A 2-D array of numbers (a feature map, a gradient), right entry by entry within ``tol``."""

    array: np.ndarray
    tol: float = 1e-6
    type = "grid"

    @property
    def value(self) -> np.ndarray:
        return self.array

    def parse(self, response: object) -> np.ndarray:
        if isinstance(response, np.ndarray):
            try:
                arr = response.astype(float)
            except (TypeError, ValueError):
                raise AnswerFormatError("every entry must be a number") from None
        else:
            s = str(response).strip()
            if len(s) > 4000:
                raise AnswerFormatError("the answer is too long")
            s = s.replace("],", ";").replace("[", " ").replace("]", " ").replace("\u2212", "-")
            rows = [r for r in re.split(r"[;\n]", s) if r.strip()]
            try:
                cells = [[float(v) for v in re.split(r"[\s,]+", r.strip()) if v] for r in rows]
            except ValueError:
                raise AnswerFormatError(
                    "write the rows as numbers separated by spaces or commas, the rows "
                    "separated by ';' or new lines"
                ) from None
            if not cells or len({len(r) for r in cells}) != 1:
                raise AnswerFormatError("every row must have the same number of entries")
            arr = np.array(cells, dtype=float)
        if arr.shape != self.array.shape:
            r, c = self.array.shape
            got = (
                f"{arr.shape[0]} rows of {arr.shape[1]}"
                if arr.ndim == 2
                else f"an array of shape {arr.shape}"
            )
            raise AnswerFormatError(f"expected {r} rows of {c} numbers; got {got}")
        if not np.all(np.isfinite(arr)):
            raise AnswerFormatError("every entry must be a finite number")
        return arr

    def same(self, a: object, b: object) -> bool:
        a, b = np.asarray(a, float), np.asarray(b, float)
        return a.shape == b.shape and bool(np.all(np.abs(a - b) <= self.tol + 1e-12 * np.abs(b)))

    def text(self, value: object | None = None) -> str:
        return grid_text(self.array if value is None else np.asarray(value))

    def key(self) -> str:
        return "; ".join(" ".join(fmt(v, 4) for v in row) for row in self.array)

    def instructions(self) -> str:
        r, c = self.array.shape
        return (
            f"Give {r} rows of {c} numbers, entries separated by spaces, rows by ';' "
            f"(for example '1 2; 3 4')."
        )


@dataclass(frozen=True)
class Symbolic(Answer):
    """A formula in the question's symbols, compared by SymPy (never evaluated as Python)."""

    expr: sp.Expr
    symbols: tuple[tuple[str, sp.Symbol], ...]
    domain: tuple[float, float] = (0.1, 0.9)
    type = "symbolic"

    @property
    def value(self) -> sp.Expr:
        return self.expr

    def parse(self, response: object) -> sp.Expr:
        if isinstance(response, sp.Expr):
            return response
        try:
            return parse_formula(str(response), dict(self.symbols))
        except FormulaError as exc:
            raise AnswerFormatError(str(exc)) from None

    def same(self, a: object, b: object) -> bool:
        return equivalent(a, b, dict(self.symbols), self.domain)  # type: ignore[arg-type]

    def text(self, value: object | None = None) -> str:
        e = self.expr if value is None else value
        return str(e).replace("**", "^")

    def latex(self, value: object | None = None) -> str:
        return sp.latex(self.expr if value is None else value)

    def instructions(self) -> str:
        names = ", ".join(n for n, _ in self.symbols)
        return (
            f"Write a formula in {names} with + - * / ^ and parentheses; exp, log, sqrt, tanh "
            f"and sigma "
            f"may be used."
        )


# --------------------------------------------------------------------------------------------
# Questions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """One seeded question: ``generate(kind, seed)`` makes the same one every time."""

    kind: str
    topic: str
    seed: int
    title: str
    text: str
    answer: Answer
    solution: str
    code: str | None = None
    #: The question's inputs (plain numbers and lists; for a question on a whole network, the
    #: :class:`cnnmath.network.Sequential` it describes), for checking it by another route.
    data: dict = field(default_factory=dict, compare=False)

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.seed}"

    @property
    def fingerprint(self) -> tuple:
        """What a student sees: two seeds that give the same fingerprint give the same question."""
        opts = self.answer.options if isinstance(self.answer, Choice) else ()
        return (self.text, self.code, tuple(sorted(opts)))

    def check(self, response: object) -> Feedback:
        """Whether ``response`` is right; if wrong, the known mistake it matches (if any)."""
        return self.answer.check(response)

    def answer_text(self) -> str:
        return self.answer.text()

    def options(self, least: int = 4) -> list[tuple[str, bool, str]]:
        """The question as multiple choice: ``(option, correct, feedback)``, in a seeded order.

        Choice questions give their options in their own (seeded) order. Grid, symbolic and numeric
        answers give their correct value and each distractor (a grid as rows, a formula as LaTeX),
        topped up to ``least`` options with other wrong values (:func:`fillers`: the answer with
        one entry or one sign changed, so that computing one entry does not find it), in an order
        drawn from the question's kind and seed: the right option is not always first.
        """
        a = self.answer
        if isinstance(a, Choice):
            out = []
            for i, opt in enumerate(a.options):
                if i == a.correct:
                    out.append((opt, True, "Correct."))
                else:
                    m = a.mistake_of(i)
                    fb = m.feedback() if m else "Not correct: see the worked solution."
                    out.append((opt, False, fb))
            return out
        rng = np.random.default_rng([self.seed, zlib.crc32(self.kind.encode()), 7])
        show = (lambda v: f"${a.latex(v)}$") if isinstance(a, Symbolic) else a.text
        values = [(a.value, True, "Correct.")] + [
            (v, False, m.feedback()) for v, m in a.distractors
        ]
        for v in fillers(a, least - len(values), rng):
            values.append((v, False, "Not correct, and not one of the known mistakes."))
        order = rng.permutation(len(values))
        return [(show(values[i][0]), values[i][1], values[i][2]) for i in order]

    def render(self, solution: bool = True) -> str:
        """The question as plain text (for a terminal), with the answer and worked solution."""
        # the id (kind and seed) gives the answer away: printed only with the solution
        head = f"[{self.id}] {self.title}" if solution else self.title
        lines = [f"{head} ({self.topic})", "", self.text]
        if self.code:
            lines += ["", *("    " + ln for ln in self.code.splitlines())]
        if isinstance(self.answer, Choice):
            lines += [""] + [f"  {chr(65 + i)}. {o}" for i, o in enumerate(self.answer.options)]
        lines += ["", self.answer.instructions()]
        if solution:
            ans = self.answer.text()
            lines += [
                "",
                "Answer:" + ("\n" + _indent(ans) if "\n" in ans else " " + ans),
                "",
                "Worked solution:",
                _indent(self.solution),
            ]
            if self.answer.distractors and not isinstance(self.answer, Choice):
                lines += ["", "Known mistakes and the answers they give:"]
                for v, m in self.answer.distractors:
                    t = self.answer.text(v)
                    lines.append(f"  - {m.key}: " + (t if "\n" not in t else "\n" + _indent(t, 6)))
                    lines.append(_indent(m.feedback(), 6))
        return "\n".join(lines)


def _indent(text: str, n: int = 2) -> str:
    return "\n".join(" " * n + ln for ln in text.splitlines())


# --------------------------------------------------------------------------------------------
# Builders used by the generators: they drop distractors that coincide with the answer
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """What a generator returns; the registry adds kind, topic, seed and title."""

    text: str
    answer: Answer
    solution: str
    code: str | None = None
    data: dict = field(default_factory=dict)


def _distinct(answer_cls, kwargs: dict, wrongs: Sequence[tuple[object, Mistake]]) -> tuple:
    probe = answer_cls(**kwargs)
    kept: list[tuple[object, Mistake]] = []
    for v, m in wrongs:
        if probe.same(v, probe.value) or any(probe.matches(v, k) for k, _ in kept):
            continue
        if isinstance(v, np.ndarray) and v.shape != probe.value.shape:
            continue
        kept.append((v, m))
    return tuple(kept)


def numeric(
    text: str,
    value: float,
    solution: str,
    mistakes: Sequence[tuple[float, Mistake]] = (),
    tol: float | None = None,
    digits: int = 3,
    places: int | None = None,
    code: str | None = None,
    data: dict | None = None,
) -> Draft:
    """A numeric draft. Integers are exact (``tol = 0``) unless ``tol`` or ``places`` is given;
    other values accept ``digits`` significant digits (``tol`` is one unit in the last of them),
    or ``places`` decimal places (``tol = 10^-places``)."""
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"a numeric answer must be finite; got {value}")
    if places is not None:
        tol = 10.0**-places
    elif tol is None:
        tol = (
            0.0
            if value == round(value)
            else 10.0 ** (math.floor(math.log10(abs(value))) - digits + 1)
        )
    wrongs = [(float(v), m) for v, m in mistakes if v is not None and math.isfinite(float(v))]
    kw = {"number": value, "tol": float(tol), "digits": digits, "places": places}
    probe = Numeric(**kw)
    # a distractor and the answer must lie apart by a clear margin at both their precisions
    wrongs = [(v, m) for v, m in wrongs if abs(v - value) > 2 * max(tol, probe.tol_of(v))]
    return Draft(
        text, Numeric(**kw, distractors=_distinct(Numeric, kw, wrongs)), solution, code, data or {}
    )


def grid(
    text: str,
    value: np.ndarray,
    solution: str,
    mistakes: Sequence[tuple[np.ndarray, Mistake]] = (),
    tol: float | None = None,
    code: str | None = None,
    data: dict | None = None,
) -> Draft:
    value = np.asarray(value, dtype=float)
    if value.ndim != 2:
        raise ValueError(f"a grid answer must be 2-D; got shape {value.shape}")
    if tol is None:
        tol = 1e-6 if np.all(value == np.round(value)) else 0.01
    kw = {"array": value, "tol": float(tol)}
    wrongs = [(np.asarray(v, dtype=float), m) for v, m in mistakes]
    return Draft(
        text, Grid(**kw, distractors=_distinct(Grid, kw, wrongs)), solution, code, data or {}
    )


def symbolic(
    text: str,
    expr: sp.Expr,
    symbols: dict[str, sp.Symbol],
    solution: str,
    mistakes: Sequence[tuple[sp.Expr, Mistake]] = (),
    domain: tuple[float, float] = (0.1, 0.9),
    code: str | None = None,
    data: dict | None = None,
) -> Draft:
    kw = {"expr": expr, "symbols": tuple(symbols.items()), "domain": domain}
    return Draft(
        text,
        Symbolic(**kw, distractors=_distinct(Symbolic, kw, list(mistakes))),
        solution,
        code,
        data or {},
    )


def choice(
    text: str,
    correct: str,
    wrong: Sequence[tuple[str, Mistake | None]],
    solution: str,
    rng: np.random.Generator,
    code: str | None = None,
    data: dict | None = None,
) -> Draft:
    """A multiple-choice draft; the options are shuffled by ``rng`` (so by the seed)."""
    opts = [correct] + [w for w, _ in wrong]
    if len(set(opts)) != len(opts):
        raise ValueError(f"the options of a multiple-choice question must differ: {opts}")
    order = [int(i) for i in rng.permutation(len(opts))]
    options = tuple(opts[i] for i in order)
    dist = tuple((order.index(j + 1), m) for j, (_, m) in enumerate(wrong) if m is not None)
    return Draft(
        text,
        Choice(options=options, correct=order.index(0), distractors=dist),
        solution,
        code,
        data or {},
    )


def fillers(a: Answer, n: int, rng: np.random.Generator) -> list[object]:
    """Up to ``n`` wrong values for a multiple-choice rendering of ``a``, none equal to the answer,
    to a distractor or to each other: a grid with one entry changed or negated, a formula scaled
    or with a term changed, a number scaled."""
    taken = [a.value] + [v for v, _ in a.distractors]
    out: list[object] = []
    for _ in range(50 * max(n, 0)):
        if len(out) >= n:
            break
        if isinstance(a, Grid):
            g = np.array(a.array, dtype=float)
            r, c = int(rng.integers(g.shape[0])), int(rng.integers(g.shape[1]))
            step = 1.0 if np.all(g == np.round(g)) else max(a.tol * 10, 0.1)
            how = int(rng.integers(3))
            if how == 0:
                g[r, c] += step * (1 if rng.random() < 0.5 else -1)
            elif how == 1:
                g[r, c] = -g[r, c] if g[r, c] != 0 else step
            else:
                r2, c2 = int(rng.integers(g.shape[0])), int(rng.integers(g.shape[1]))
                g[r, c], g[r2, c2] = g[r2, c2], g[r, c]
            v: object = g
        elif isinstance(a, Symbolic):
            syms = [s for _, s in a.symbols]
            k = int(rng.integers(4))
            s0 = syms[int(rng.integers(len(syms)))]
            v = [2 * a.expr, -a.expr, a.expr + s0, a.expr * s0][k]
        elif isinstance(a, Numeric):
            k = float(rng.choice([2.0, 0.5, 10.0, 0.1, -1.0]))
            v = a.number * k if a.number != 0 else k
        else:
            return out
        if not any(a.same(v, t) or a.same(t, v) for t in taken + out):
            out.append(v)
    return out
