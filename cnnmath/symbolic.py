"""Derivations as data: chains of SymPy expressions in which every step is proved equal.

A chapter never writes "which simplifies to" without a check. It builds a :class:`Derivation`,
adds one expression per line of the derivation, and each new line is asserted equal to the line
before it (and, with :meth:`Derivation.target`, to a stated result). A step that is not equal
raises :class:`DerivationError`, which names the step and shows the residual. In a notebook the
derivation renders as aligned LaTeX, each line marked with a check and the reason given for it.

Equalities that hold only under assumptions (``sqrt(x**2) = x`` needs ``x >= 0``) must declare
them: either on the symbols (``sympy.Symbol("x", positive=True)``) or with ``assuming=`` as SymPy
``Q`` predicates or relations. Both are listed under the rendered derivation.

Example::

    z = sp.Symbol("z", real=True)
    s = 1 / (1 + sp.exp(-z))
    d = Derivation(sp.Derivative(s, z), name=r"\\sigma'(z)")
    d.step(sp.exp(-z) / (1 + sp.exp(-z))**2, "quotient rule")
    d.target(s * (1 - s))
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sympy as sp

__all__ = ["Derivation", "DerivationError", "Step", "assert_equal", "is_equal", "residual"]


class DerivationError(AssertionError):
    """A step of a derivation is not equal to the step before it (or to the stated target)."""


# Rewrites tried in turn until the difference of two expressions becomes 0. Cheap ones first:
# most steps are proved by expansion or cancellation, and simplify() is slow on large sums.
_REWRITES: tuple[Callable[[sp.Expr], sp.Expr], ...] = (
    lambda e: e,
    sp.expand,
    sp.cancel,
    lambda e: sp.together(sp.expand(e)),
    sp.simplify,
    lambda e: sp.simplify(sp.expand_log(sp.expand(e))),
    lambda e: sp.simplify(sp.piecewise_fold(e.rewrite(sp.Piecewise))),
    lambda e: sp.simplify(sp.piecewise_fold(e).rewrite(sp.exp)),
)


def _as_assumption(assuming: object) -> sp.Basic:
    if assuming is None:
        return sp.true
    if isinstance(assuming, sp.Basic):
        return assuming
    items = list(assuming)  # type: ignore[call-overload]
    return sp.And(*items) if items else sp.true


def _entries(expr: object) -> list[sp.Expr]:
    if isinstance(expr, sp.MatrixBase):
        return list(expr)
    return [sp.sympify(expr)]


def residual(a: object, b: object, assuming: object = None) -> sp.Expr | sp.Matrix:
    """Return the simplest form found of ``a - b`` (entrywise for matrices) under ``assuming``."""
    assumption = _as_assumption(assuming)
    a_s, b_s = sp.sympify(a), sp.sympify(b)
    if isinstance(a_s, sp.MatrixBase) != isinstance(b_s, sp.MatrixBase) or (
        isinstance(a_s, sp.MatrixBase) and a_s.shape != b_s.shape
    ):
        raise DerivationError(
            f"cannot compare a {getattr(a_s, 'shape', 'scalar')} with a {getattr(b_s, 'shape', 'scalar')}"
        )
    diffs = [(x - y).doit() for x, y in zip(_entries(a_s), _entries(b_s))]
    out = []
    for d in diffs:
        best = d
        for rewrite in _REWRITES:
            r = rewrite(d)
            if assumption is not sp.true:
                r = sp.simplify(sp.refine(r, assumption))
            if r == 0:
                best = sp.Integer(0)
                break
            if sp.count_ops(r) < sp.count_ops(best):
                best = r
        out.append(best)
    if isinstance(a_s, sp.MatrixBase):
        return sp.Matrix(a_s.shape[0], a_s.shape[1], out)
    return out[0]


def is_equal(a: object, b: object, assuming: object = None) -> bool:
    """True when ``a - b`` is proved to be zero (every entry, for matrices) under ``assuming``."""
    r = residual(a, b, assuming)
    return all(e == 0 for e in _entries(r))


def assert_equal(a: object, b: object, what: str = "equality", assuming: object = None) -> None:
    """Raise :class:`DerivationError` naming ``what`` unless ``a == b`` is proved."""
    r = residual(a, b, assuming)
    if not all(e == 0 for e in _entries(r)):
        raise DerivationError(f"{what} does not hold: left - right = {r}")


@dataclass(frozen=True)
class Step:
    """One line of a derivation: the expression, why it follows, and optional display LaTeX."""

    expr: sp.Basic
    why: str = ""
    latex: str | None = None

    def tex(self) -> str:
        return self.latex if self.latex is not None else sp.latex(self.expr)


@dataclass
class Derivation:
    """A chain ``lhs = e_1 = e_2 = ... = e_n`` in which every ``=`` is proved by SymPy.

    Parameters
    ----------
    lhs:
        The starting expression (often an unevaluated ``sympy.Derivative``); step 1 is checked
        against it.
    name:
        LaTeX shown on the left instead of ``lhs`` (e.g. ``\\frac{\\partial E}{\\partial w_i}``).
    assuming:
        SymPy predicates or relations the steps may use, e.g. ``[sp.Q.positive(x)]``.
    title:
        A short caption for the rendered derivation and for error messages.
    """

    lhs: sp.Basic
    name: str | None = None
    assuming: Iterable[sp.Basic] = ()
    title: str = ""
    steps: list[Step] = field(default_factory=list)
    target_expr: sp.Basic | None = None

    def __post_init__(self) -> None:
        self.lhs = sp.sympify(self.lhs)
        self.assuming = tuple(self.assuming)

    @property
    def current(self) -> sp.Basic:
        """The last expression of the chain (``lhs`` before the first step)."""
        return self.steps[-1].expr if self.steps else self.lhs

    def step(self, expr: object, why: str = "", *, latex: str | None = None) -> "Derivation":
        """Append ``expr``, proving it equal to the current last expression; return ``self``.

        ``latex`` replaces the printed form of ``expr`` (for unevaluated intermediate forms that
        SymPy would otherwise tidy away); what is checked is always ``expr``.
        """
        new = sp.sympify(expr)
        r = residual(self.current, new, self.assuming)
        if not all(e == 0 for e in _entries(r)):
            where = f" of {self.title!r}" if self.title else ""
            reason = f" ({why})" if why else ""
            raise DerivationError(
                f"step {len(self.steps) + 1}{reason}{where} is not equal to the step before it:\n"
                f"  previous: {self.current}\n  this:     {new}\n  residual (previous - this): {r}"
                + ("" if not self.assuming else f"\n  assuming: {', '.join(map(str, self.assuming))}")
            )
        self.steps.append(Step(new, why, latex))
        return self

    def target(self, expr: object, why: str = "", *, latex: str | None = None) -> "Derivation":
        """Prove that the chain ends at the stated result ``expr`` and append it as the last line."""
        self.step(expr, why or "stated result", latex=latex)
        self.target_expr = self.steps[-1].expr
        return self

    @property
    def result(self) -> sp.Basic:
        return self.current

    def symbol_assumptions(self) -> list[str]:
        """Sign and integer assumptions declared on the symbols used, as LaTeX (``x > 0``).

        ``real=True`` is not listed: nearly every symbol carries it, and it never decides a step.
        """
        facts = []
        exprs = [self.lhs, *(s.expr for s in self.steps)]
        syms = sorted(set().union(*(e.free_symbols for e in exprs)), key=str)
        for s in syms:
            if s.is_positive:
                facts.append(f"{sp.latex(s)} > 0")
            elif s.is_nonnegative:
                facts.append(f"{sp.latex(s)} \\ge 0")
            elif s.is_negative:
                facts.append(f"{sp.latex(s)} < 0")
            elif s.is_integer:
                facts.append(f"{sp.latex(s)} \\in \\mathbb{{Z}}")
        return facts

    def latex(self) -> str:
        """The derivation as an ``aligned`` block; each line carries a check mark and its reason."""
        left = self.name if self.name is not None else sp.latex(self.lhs)
        lines = []
        for i, s in enumerate(self.steps):
            head = left if i == 0 else ""
            why = f"\\text{{{_tex_text(s.why)}}}" if s.why else ""
            lines.append(f"{head} &= {s.tex()} && \\checkmark\\ {why}")
        body = " \\\\\n".join(lines) if lines else f"{left} &"
        notes = self.symbol_assumptions() + [sp.latex(a) for a in self.assuming]
        tail = ""
        if notes:
            tail = f" \\\\\n& && \\text{{assuming }} {', '.join(notes)}"
        return f"\\begin{{aligned}}\n{body}{tail}\n\\end{{aligned}}"

    def _repr_latex_(self) -> str:
        return f"$$\n{self.latex()}\n$$"

    def __repr__(self) -> str:
        title = self.title or "derivation"
        return f"<Derivation {title!r}: {len(self.steps)} step(s), each proved equal to the one before>"


def _tex_text(s: str) -> str:
    for ch in "\\{}":
        s = s.replace(ch, "")
    # MathJax renders \text{...} literally, so only the characters that end or break it are removed.
    return s.replace("%", "\\%").replace("&", "\\&").replace("#", "\\#")
