"""Derivations as data: chains of SymPy expressions in which every step is proved equal.

A chapter never writes "which simplifies to" without a check. It builds a :class:`Derivation`,
adds one expression per line of the derivation, and each new line is proved equal to the line
before it (and, with :meth:`Derivation.target`, to a stated result). A step that is not equal
raises :class:`DerivationError`, which names the step and shows the residual. In a notebook the
derivation renders as aligned LaTeX, each line marked with a check and the reason given for it.

**What is displayed is what is checked.** A line is a SymPy expression, printed by SymPy. To show
an intermediate form that SymPy would tidy away, build it unevaluated (``sp.evaluate(False)``,
``sp.UnevaluatedExpr``, an unevaluated ``sp.Derivative`` or ``sp.Sum``); the check evaluates it.
To show a short name for a long expression, use a plain symbol and define it with ``where=``
(``{a: sigmoid(z)}``): every line is checked with the definitions substituted, and the
definitions are listed under the derivation. Hand-written LaTeX (``latex=``) is parsed with
:mod:`sympy.parsing.latex` and proved equal to the line; LaTeX that cannot be checked must be
wrapped in :class:`DisplayOnly`, and is then marked as unchecked where it is shown.

**Assumptions.** Equalities that hold only under assumptions (``sqrt(x**2) = x`` needs
``x >= 0``) must declare them: on the symbols (``sympy.Symbol("x", positive=True)``) or with
``assuming=`` as SymPy ``Q`` predicates, relations (``x > 0``) or equations
(``sp.Eq(y1 + y2, 1)``, used by eliminating one of its symbols). Every assumption a step may use,
those of the symbols included, is listed under the rendered derivation; contradictory assumptions
are rejected, and so are floating-point numbers (write ``sp.Rational(1, 10)``, or name the
constant with a symbol).

Example::

    z = sp.Symbol("z", real=True)
    s = 1 / (1 + sp.exp(-z))
    f = sp.Symbol("f")
    d = Derivation(sp.Derivative(f, z), where={f: s}, title="sigmoid")
    d.step(sp.exp(-z) / (1 + sp.exp(-z))**2, "quotient rule")
    d.target(f * (1 - f))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

__all__ = [
    "Derivation",
    "DerivationError",
    "DisplayOnly",
    "Step",
    "assert_equal",
    "is_equal",
    "latex",
    "residual",
]


class DerivationError(AssertionError):
    """A step is not proved equal to the one before it, or a derivation is ill-formed."""


class DisplayOnly(str):
    """LaTeX that is shown as written and NOT checked; rendered with a visible mark."""


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

_UNCHECKED_MARK = r"{}^{\dagger}"


# ---------------------------------------------------------------------------------------------
# Printing


class _Printer(LatexPrinter):
    """SymPy's LaTeX printer, keeping the order of unevaluated terms and writing the derivative
    of a named quantity as a fraction of partials (``\\frac{\\partial E}{\\partial a}``)."""

    def __init__(self) -> None:
        super().__init__({"order": "none"})

    def _print_Mul(self, expr: sp.Mul) -> str:
        # A product built unevaluated shows every factor, joined by dots: (1 + e^{-z}) . 0.
        # Products with a quotient anywhere inside are left to SymPy, which prints fractions.
        divides = any(p.exp.is_negative for p in expr.atoms(sp.Pow))
        if divides or sp.Mul(*expr.args) == expr:
            return super()._print_Mul(expr)
        parts = []
        for f in expr.args:
            text = self._print(f)
            if f.is_Add or (f.is_Number and f.is_negative) or text.startswith("-"):
                text = rf"\left({text}\right)"
            parts.append(text)
        return r" \cdot ".join(parts)

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        inner = expr.expr
        if not (isinstance(inner, (sp.Symbol, AppliedUndef, sp.Indexed))):
            return super()._print_Derivative(expr)
        n = sum(count for _, count in expr.variable_count)
        top = r"\partial" + (f"^{{{n}}}" if n > 1 else "")
        name = self._print(inner.func) if isinstance(inner, AppliedUndef) else self._print(inner)
        bottom = " ".join(
            r"\partial " + self._print(v) + (f"^{{{c}}}" if c > 1 else "")
            for v, c in expr.variable_count
        )
        return rf"\frac{{{top} {name}}}{{{bottom}}}"


def latex(expr: object) -> str:
    """``expr`` as LaTeX, printed the way derivations print their lines."""
    return _Printer().doprint(sp.sympify(expr))


# ---------------------------------------------------------------------------------------------
# Comparing expressions


def _is_array(e: object) -> bool:
    return isinstance(e, (sp.MatrixBase, sp.NDimArray))


def _shape(e: object) -> tuple[int, ...] | str:
    return tuple(e.shape) if _is_array(e) else "scalar"


def _entries(expr: object) -> list[sp.Expr]:
    if isinstance(expr, sp.MatrixBase):
        return list(expr)
    if isinstance(expr, sp.NDimArray):
        return list(sp.flatten(expr.tolist()))
    return [sp.sympify(expr)]


def _check_shapes(a: object, b: object, what: str = "") -> None:
    if _shape(a) != _shape(b):
        where = f"{what}: " if what else ""
        raise DerivationError(
            f"{where}cannot compare a {_shape(a)} with a {_shape(b)} (shape mismatch)"
        )


def _relation_to_predicate(rel: sp.Basic) -> sp.Basic:
    """``x > 0`` becomes ``Q.positive(x)`` (refine understands predicates, not relations)."""
    if isinstance(rel, sp.StrictGreaterThan):
        return sp.Q.positive(rel.lhs - rel.rhs)
    if isinstance(rel, sp.GreaterThan):
        return sp.Q.nonnegative(rel.lhs - rel.rhs)
    if isinstance(rel, sp.StrictLessThan):
        return sp.Q.negative(rel.lhs - rel.rhs)
    if isinstance(rel, sp.LessThan):
        return sp.Q.nonpositive(rel.lhs - rel.rhs)
    if isinstance(rel, sp.Unequality):
        return sp.Q.nonzero(rel.lhs - rel.rhs)
    return rel


def _split(assuming: object) -> tuple[list[sp.Basic], list[sp.Equality]]:
    """The assumptions as (predicates for refine, equations for elimination)."""
    if assuming is None:
        return [], []
    items = [assuming] if isinstance(assuming, sp.Basic) else list(assuming)  # type: ignore
    preds, eqs = [], []
    for item in items:
        item = sp.sympify(item)
        parts = item.args if isinstance(item, sp.And) else (item,)
        for p in parts:
            if isinstance(p, sp.Equality):
                eqs.append(p)
            elif p is sp.true:
                continue
            else:
                preds.append(_relation_to_predicate(p))
    return preds, eqs


def _eliminate(expr: sp.Expr, eqs: list[sp.Equality]) -> sp.Expr:
    """Substitute each equation solved for a symbol that appears in it linearly, with a
    nonzero numeric coefficient (so the substitution is valid wherever the equation holds)."""
    for eq in eqs:
        diff = sp.expand(eq.lhs - eq.rhs)
        for s in sorted(diff.free_symbols, key=str):
            poly = sp.Poly(diff, s) if diff.is_polynomial(s) else None
            if poly is None or poly.degree() != 1:
                continue
            coeff = poly.coeff_monomial(s)
            if coeff.is_number and coeff != 0:
                expr = expr.subs(s, sp.solve(diff, s)[0])
                break
    return expr


def residual(a: object, b: object, assuming: object = None) -> sp.Expr | sp.Matrix:
    """Return the simplest form found of ``a - b`` (entrywise for arrays) under ``assuming``."""
    preds, eqs = _split(assuming)
    assumption = sp.And(*preds) if preds else sp.true
    a_s, b_s = sp.sympify(a), sp.sympify(b)
    _check_shapes(a_s, b_s)
    out = []
    for x, y in zip(_entries(a_s), _entries(b_s)):
        d = (x - y).doit()
        if eqs:
            d = _eliminate(d, eqs)
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
    if isinstance(a_s, sp.NDimArray):
        return sp.Array(out, a_s.shape)
    return out[0]


def is_equal(a: object, b: object, assuming: object = None) -> bool:
    """True when ``a - b`` is proved to be zero (every entry, for arrays) under ``assuming``."""
    r = residual(a, b, assuming)
    return all(e == 0 for e in _entries(r))


def assert_equal(a: object, b: object, what: str = "equality", assuming: object = None) -> None:
    """Raise :class:`DerivationError` naming ``what`` unless ``a == b`` is proved."""
    r = residual(a, b, assuming)
    if not all(e == 0 for e in _entries(r)):
        raise DerivationError(f"{what} does not hold: left - right = {r}")


# ---------------------------------------------------------------------------------------------
# Assumptions


def _given_assumptions(s: sp.Basic) -> dict[str, bool]:
    """The assumptions declared on a symbol (or an undefined function), as given."""
    if isinstance(s, AppliedUndef):
        given = dict(getattr(type(s), "_kwargs", {}) or {})
    else:
        given = dict(getattr(s, "_assumptions_orig", None) or s.assumptions0)
    if given.get("commutative") is not False:
        given.pop("commutative", None)
    return given


def _symbol_facts(s: sp.Basic) -> list[str]:
    """What the assumptions declared on a symbol (or undefined function) say, as LaTeX."""
    given = _given_assumptions(s)
    if not given:
        return []
    known = sp.Dummy(**given).assumptions0
    if known.get("zero"):
        return ["= 0"]
    facts: list[str] = []
    sign = [
        ("positive", "> 0"),
        ("negative", "< 0"),
        ("nonnegative", r"\ge 0"),
        ("nonpositive", r"\le 0"),
        ("nonzero", r"\ne 0"),
    ]
    kinds = [
        ("odd", r"\text{ odd}"),
        ("even", r"\text{ even}"),
        ("integer", r"\in \mathbb{Z}"),
        ("rational", r"\in \mathbb{Q}"),
        ("imaginary", r"\in i\mathbb{R}"),
    ]
    for key, tex in sign:
        if known.get(key) and not (key == "nonzero" and known.get("odd")):
            facts.append(tex)
            break
    for key, tex in kinds:
        if known.get(key):
            facts.append(tex)
            break
    if not facts and known.get("real"):
        facts.append(r"\in \mathbb{R}")
    elif not facts and known.get("complex"):
        facts.append(r"\in \mathbb{C}")
    # Anything else that was declared, and is not implied by what is listed, is named as given.
    listed = {k for k, _ in sign + kinds if known.get(k)} | {"real", "complex"}
    implied = sp.Dummy(**{k: True for k in listed if known.get(k)}).assumptions0
    for key, value in sorted(given.items()):
        if implied.get(key) == value:
            continue
        facts.append(rf"\text{{ {'' if value else 'not '}{key.replace('_', ' ')}}}")
    return facts


def _symbol_predicates(s: sp.Basic) -> list[sp.Basic]:
    """The assumptions given on a symbol as ``Q`` predicates (to detect contradictions)."""
    given = dict(getattr(s, "_assumptions_orig", {}))
    out = []
    for key, value in given.items():
        pred = getattr(sp.Q, key, None)
        if pred is None or key == "commutative":
            continue
        out.append(pred(s) if value else sp.Not(pred(s)))
    return out


def _check_consistent(preds: list[sp.Basic], eqs: list[sp.Equality], title: str) -> None:
    """Raise when the declared assumptions contradict each other or the symbols' own."""
    where = f" of {title!r}" if title else ""
    if any(p is sp.false for p in preds) or any(e is sp.false for e in eqs):
        raise DerivationError(f"the assumptions{where} are contradictory: one of them is False")
    symbols = set().union(*(p.free_symbols for p in [*preds, *eqs])) if preds or eqs else set()
    facts = [f for s in sorted(symbols, key=str) for f in _symbol_predicates(s)]
    conj = sp.And(*preds, *facts)
    # ask() checks its assumptions for consistency when the question is about their symbols.
    x = min(conj.free_symbols, key=str) if conj.free_symbols else sp.Dummy()
    try:
        sp.ask(sp.Q.real(x) | ~sp.Q.real(x), conj)
    except ValueError as err:
        raise DerivationError(
            f"the assumptions{where} are contradictory: {', '.join(map(str, preds))}"
            f" (with the symbols' own assumptions)"
        ) from err
    # One-symbol relations: ask() does not compare bounds (x > 1 and x < 0), reduce them.
    by_symbol: dict[sp.Symbol, list[sp.Basic]] = {}
    for p in [*preds, *eqs]:
        rel = p if isinstance(p, sp.Equality) else _predicate_to_relation(p)
        if rel is not None and len(rel.free_symbols) == 1:
            (s,) = rel.free_symbols
            by_symbol.setdefault(s, []).append(rel)
    for s, group in by_symbol.items():
        real = sp.Symbol(s.name, real=True)
        group = [g.xreplace({s: real}) for g in group]
        try:
            solution = sp.solvers.inequalities.reduce_inequalities(group, real)
        except (NotImplementedError, ValueError, TypeError):
            continue
        if solution is sp.false:
            raise DerivationError(
                f"the assumptions{where} are contradictory: no {s} satisfies "
                + ", ".join(map(str, group))
            )


def _predicate_to_relation(p: sp.Basic) -> sp.Basic | None:
    if not isinstance(p, sp.assumptions.AppliedPredicate) or len(p.arguments) != 1:
        return None
    (e,) = p.arguments
    name = p.function.name if hasattr(p.function, "name") else ""
    table = {
        "positive": e > 0,
        "negative": e < 0,
        "nonnegative": e >= 0,
        "nonpositive": e <= 0,
        "zero": sp.Eq(e, 0),
        "nonzero": sp.Ne(e, 0),
    }
    return table.get(str(name))


# ---------------------------------------------------------------------------------------------
# Derivations


@dataclass(frozen=True)
class Step:
    """One proved line: ``expr`` as displayed, ``value`` as checked, and why it follows.

    ``value`` is ``expr`` with the derivation's ``where`` definitions substituted. ``latex``, when
    given, is hand-written LaTeX shown instead of ``expr``: proved equal to it, or, if it is a
    :class:`DisplayOnly`, shown with a mark that says it was not checked.
    """

    expr: sp.Basic
    value: sp.Basic
    why: str = ""
    latex: str | None = None

    def tex(self) -> str:
        if self.latex is None:
            return latex(self.expr)
        if isinstance(self.latex, DisplayOnly):
            return f"{self.latex}{_UNCHECKED_MARK}"
        return self.latex


class Derivation:
    """A chain ``lhs = e_1 = e_2 = ... = e_n`` in which every ``=`` is proved by SymPy.

    Parameters
    ----------
    lhs:
        The starting expression (often an unevaluated ``sympy.Derivative``); step 1 is checked
        against it.
    name:
        What is shown on the left instead of ``lhs``: a SymPy expression (in the symbols of
        ``where``), proved equal to ``lhs``; LaTeX, parsed and proved equal to ``lhs``; or a
        :class:`DisplayOnly` string, shown with a mark that says it was not checked.
    where:
        Definitions ``{symbol: expression}`` of the short names used in the displayed lines.
        Every line is checked with them substituted; they are listed under the derivation.
    assuming:
        SymPy predicates (``sp.Q.positive(x)``), relations (``x > 0``) or equations
        (``sp.Eq(y1 + y2, 1)``) the steps may use.
    title:
        The equation label (``"thesis eq. 12"``), shown as the tag of the rendered derivation
        and used in error messages.

    The proved steps cannot be changed: :attr:`steps` is a tuple, and the only way to add a
    line is :meth:`step` (or :meth:`target`), which proves it first.
    """

    __slots__ = (
        "_lhs",
        "_lhs_value",
        "_name",
        "_where",
        "_assuming",
        "_preds",
        "_eqs",
        "_title",
        "_steps",
        "_target",
    )

    def __init__(
        self,
        lhs: object,
        *,
        name: object = None,
        where: Mapping[sp.Symbol, object] | None = None,
        assuming: object = (),
        title: str = "",
    ) -> None:
        set_ = object.__setattr__
        set_(self, "_title", str(title))
        defs = {}
        for key, value in dict(where or {}).items():
            if not isinstance(key, (sp.Symbol, AppliedUndef, sp.MatrixSymbol, sp.IndexedBase)):
                raise DerivationError(
                    f"where: {key!r} is not a symbol; define short names as {{symbol: expression}}"
                    " (a Symbol, MatrixSymbol, or IndexedBase with a sequence of entries)"
                )
            if isinstance(key, sp.IndexedBase):
                items = value.items() if isinstance(value, Mapping) else enumerate(value)
                defs[key] = sp.Dict({_index_key(k): sp.sympify(v) for k, v in items})
            elif isinstance(key, sp.MatrixSymbol):
                defs[key] = sp.ImmutableMatrix(value)
                if defs[key].shape != key.shape:
                    raise DerivationError(
                        f"where: {key} is {key.shape} but its definition is {defs[key].shape}"
                    )
            else:
                defs[key] = sp.sympify(value)
        set_(self, "_where", MappingProxyType(defs))
        for key, value in defs.items():
            self._reject_floats(value, f"the definition of {key}")
        preds, eqs = _split(assuming)
        for p in [*preds, *eqs]:
            self._reject_floats(p, "an assumption")
        _check_consistent(preds, eqs, self._title)
        set_(self, "_assuming", tuple(sp.sympify(a) for a in _flatten_assuming(assuming)))
        set_(self, "_preds", tuple(preds))
        set_(self, "_eqs", tuple(eqs))
        lhs_s = sp.sympify(lhs)
        set_(self, "_lhs", lhs_s)
        set_(self, "_lhs_value", self._value(lhs_s, "the left-hand side"))
        set_(self, "_steps", ())
        set_(self, "_target", None)
        set_(self, "_name", None)
        if name is not None:
            set_(self, "_name", self._check_display(name, self._lhs_value, "name"))

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError(
            f"a Derivation cannot be changed after it is built ({key!r}); add proved lines with "
            ".step(...) or .target(...)"
        )

    # -- what was proved ------------------------------------------------------------------------
    @property
    def lhs(self) -> sp.Basic:
        """The starting expression as displayed (before ``where`` is substituted)."""
        return self._lhs

    @property
    def title(self) -> str:
        return self._title

    @property
    def where(self) -> Mapping[sp.Symbol, sp.Basic]:
        return self._where

    @property
    def assuming(self) -> tuple[sp.Basic, ...]:
        return self._assuming

    @property
    def steps(self) -> tuple[Step, ...]:
        """The proved lines, in order (a tuple: proved lines cannot be changed)."""
        return self._steps

    @property
    def target_expr(self) -> sp.Basic | None:
        """The value of the stated result, once :meth:`target` has proved it."""
        return self._target

    @property
    def current(self) -> sp.Basic:
        """The value of the last line of the chain (of ``lhs`` before the first step)."""
        return self._steps[-1].value if self._steps else self._lhs_value

    @property
    def result(self) -> sp.Basic:
        return self.current

    # -- building -------------------------------------------------------------------------------
    def _reject_floats(self, expr: sp.Basic, what: str) -> None:
        floats = sorted(
            {f for e in _entries(expr) for f in sp.sympify(e).atoms(sp.Float)}, key=float
        )
        if floats:
            where = f" of {self._title!r}" if self._title else ""
            raise DerivationError(
                f"{what}{where} contains the floating-point number(s) "
                f"{', '.join(map(str, floats))}: an exact derivation needs exact numbers; write "
                "sp.Rational(p, q) or name the constant with a symbol"
            )

    def _value(self, expr: sp.Basic, what: str) -> sp.Basic:
        """``expr`` with the ``where`` definitions substituted (repeatedly, for nested names)."""
        names = {k: v for k, v in self._where.items() if not isinstance(k, sp.IndexedBase)}
        bases = {k: v for k, v in self._where.items() if isinstance(k, sp.IndexedBase)}
        value = expr
        for _ in range(len(self._where) + 2):
            new = value.xreplace(names) if names else value
            if bases and new.has(*bases):
                # Sums over a concrete range become their terms (the terms themselves stay as
                # they are: a derivative of an entry is taken after the entry is substituted).
                new = new.replace(lambda e: isinstance(e, sp.Sum), lambda e: e.doit(deep=False))
                new = new.replace(
                    lambda e: isinstance(e, sp.Indexed) and e.base in bases,
                    lambda e: self._entry(bases[e.base], e, what),
                )
            if new == value:
                break
            value = new
        else:
            raise DerivationError(f"where: the definitions refer to each other in a cycle ({what})")
        if isinstance(value, sp.Derivative) and any(_is_array(v) for v in value.variables):
            # a derivative by a matrix is the array of its entries' derivatives
            value = value.doit()
            if isinstance(value, sp.NDimArray) and value.rank() == 2:
                value = value.tomatrix()
        if isinstance(value, sp.MatrixExpr) and not isinstance(value, sp.MatrixBase):
            value = value.doit()
            if isinstance(value, sp.MatrixExpr) and not isinstance(value, sp.MatrixBase):
                value = value.as_explicit()
        self._reject_floats(value, what)
        return value

    @staticmethod
    def _entry(entries: sp.Dict, e: sp.Indexed, what: str) -> sp.Basic:
        k = _index_key(e.indices if len(e.indices) > 1 else e.indices[0])
        if k not in entries:
            raise DerivationError(
                f"{what}: {e} is not one of the defined entries of {e.base}"
                f" ({', '.join(map(str, entries.keys()))})"
            )
        return entries[k]

    def _check_display(self, shown: object, value: sp.Basic, what: str) -> object:
        """Prove that a display form (name or latex) equals ``value``; return what to show."""
        if isinstance(shown, DisplayOnly):
            return shown
        if isinstance(shown, str):
            parsed = self._parse(shown, what)
            self._prove(parsed, value, f"{what} {shown!r}", against="its checked expression")
            return shown
        expr = sp.sympify(shown)
        self._prove(self._value(expr, what), value, what, against="the left-hand side")
        return expr

    def _parse(self, tex: str, what: str) -> sp.Basic:
        from sympy.parsing.latex import parse_latex

        help_ = (
            f"{what}: cannot check the LaTeX {tex!r}. Build the form as an unevaluated SymPy "
            "expression (sp.evaluate(False), sp.UnevaluatedExpr, sp.Derivative, sp.Sum) or, if it "
            "must stay hand-written, wrap it in DisplayOnly(...) so it is marked as unchecked"
        )
        try:
            parsed = parse_latex(tex, backend="lark")
        except Exception as err:  # the parser raises many kinds of errors
            raise DerivationError(help_ + f" ({type(err).__name__})") from None
        if not isinstance(parsed, sp.Basic):
            raise DerivationError(help_ + " (ambiguous)")
        known = self._known_symbols()
        mapping = {}
        for s in parsed.free_symbols:
            match = known.get(_norm(str(s)))
            if match is None:
                raise DerivationError(help_ + f" (unknown symbol {s})")
            mapping[s] = match
        return self._value(parsed.xreplace(mapping), what)

    def _known_symbols(self) -> dict[str, sp.Basic]:
        exprs = [self._lhs, *self._where.keys(), *self._where.values()]
        exprs += [s.expr for s in self._steps]
        out: dict[str, sp.Basic] = {}
        for e in exprs:
            for s in sp.sympify(e).free_symbols:
                out.setdefault(_norm(s.name), s)
                out.setdefault(_norm(sp.latex(s)), s)
        return out

    def _prove(self, new: sp.Basic, previous: sp.Basic, what: str, *, against: str) -> None:
        _check_shapes(previous, new, what)
        r = residual(previous, new, [*self._preds, *self._eqs])
        if not all(e == 0 for e in _entries(r)):
            where = f" of {self._title!r}" if self._title else ""
            raise DerivationError(
                f"{what}{where} is not equal to {against}:\n"
                f"  {against}: {previous}\n  this: {new}\n  residual ({against} - this): {r}"
                + (
                    ""
                    if not self._assuming
                    else f"\n  assuming: {', '.join(map(str, self._assuming))}"
                )
            )

    def step(self, expr: object, why: str = "", *, latex: str | None = None) -> "Derivation":
        """Append ``expr``, proving it equal to the current last line; return ``self``.

        ``expr`` is displayed as SymPy prints it (build it unevaluated to show an intermediate
        form) and checked with the ``where`` definitions substituted. ``latex`` replaces the
        printed form: it is parsed and proved equal to ``expr``, unless it is a
        :class:`DisplayOnly`, which is shown marked as unchecked.
        """
        if self._target is not None:
            raise DerivationError(
                f"the derivation{' ' + repr(self._title) if self._title else ''} already ended at "
                "its stated result; start a new Derivation to go on"
            )
        label = f"step {len(self._steps) + 1}" + (f" ({why})" if why else "")
        new = sp.sympify(expr)
        value = self._value(new, label)
        self._prove(value, self.current, label, against="the step before it")
        shown = None
        if latex is not None:
            shown = self._check_display(latex, value, f"{label}, latex=")
        object.__setattr__(self, "_steps", (*self._steps, Step(new, value, why, shown)))
        return self

    def target(self, expr: object, why: str = "", *, latex: str | None = None) -> "Derivation":
        """Prove that the chain ends at the stated result ``expr``; append it as the last line."""
        self.step(expr, why or "stated result", latex=latex)
        object.__setattr__(self, "_target", self._steps[-1].value)
        return self

    # -- rendering ------------------------------------------------------------------------------
    def assumptions(self) -> list[str]:
        """Every assumption a step may use, as LaTeX: those declared on the symbols of the
        checked expressions (grouped: ``w_0, w_1 \\in \\mathbb{R}``) and those of ``assuming``."""
        # The symbols of the displayed lines and of the definitions count too: substituting a
        # definition can use a symbol's assumptions and then drop the symbol (g/sqrt(g^2) = 1).
        exprs = [self._lhs_value, *(s.value for s in self._steps), *self._assuming]
        exprs += [self._lhs, *(s.expr for s in self._steps), *self._where.values()]
        if self._name is not None and not isinstance(self._name, str):
            exprs.append(self._name)
        keys = set(self._where)
        atoms: set[sp.Basic] = set()
        for e in exprs:
            for entry in _entries(e):
                entry = sp.sympify(entry)
                atoms |= entry.free_symbols | entry.atoms(AppliedUndef)
        atoms = {a for a in atoms if a not in keys and not isinstance(a, sp.Indexed)}
        grouped: dict[str, list[str]] = {}
        for s in sorted(atoms, key=str):
            for fact in _symbol_facts(s):
                grouped.setdefault(fact, []).append(latex(s))
        notes = [f"{_names_tex(names)} {fact}" for fact, names in grouped.items()]
        return notes + [_assumption_tex(a) for a in self._assuming]

    def symbol_assumptions(self) -> list[str]:
        """Kept for older callers: the same list as :meth:`assumptions`."""
        return self.assumptions()

    def latex(self) -> str:
        """The derivation as an ``aligned`` block; each line carries a check mark and its reason,
        followed by the definitions used (``where``) and every assumption a step may use."""
        if self._name is None:
            left = latex(self._lhs)
        elif isinstance(self._name, DisplayOnly):
            left = f"{self._name}{_UNCHECKED_MARK}"
        elif isinstance(self._name, str):
            left = self._name
        else:
            left = latex(self._name)
        lines = []
        for i, s in enumerate(self._steps):
            head = left if i == 0 else ""
            why = f"\\text{{{_tex_text(s.why)}}}" if s.why else ""
            lines.append(f"{head} &= {s.tex()} && \\checkmark\\ {why}")
        body = " \\\\\n".join(lines) if lines else f"{left} &"
        tail = []
        if self._where:
            defs = ",\\ ".join(
                filter(None, (_definition_tex(k, v) for k, v in self._where.items()))
            )
            if defs:
                tail.append(f"& && \\text{{where }} {defs}")
        notes = self.assumptions()
        if notes:
            tail.append("& && \\text{assuming } " + ",\\ ".join(notes))
        shown = [s.latex for s in self._steps] + [self._name]
        if any(isinstance(t, DisplayOnly) for t in shown):
            tail.append(f"& && {_UNCHECKED_MARK}\\,\\text{{display only: not checked}}")
        text = body + "".join(" \\\\\n" + t for t in tail)
        # The label heads the column of reasons (a \\tag is not allowed where the page wraps
        # display math in a split environment, as MyST does).
        if self._title:
            text = f"& && \\textbf{{{_tex_text(self._title)}}} \\\\\n" + text
        return f"\\begin{{aligned}}\n{text}\n\\end{{aligned}}"

    def _repr_latex_(self) -> str:
        return f"$$\n{self.latex()}\n$$"

    def __repr__(self) -> str:
        title = self._title or "derivation"
        return (
            f"<Derivation {title!r}: {len(self._steps)} step(s), each proved equal to the one "
            "before>"
        )


def _names_tex(names: list[str], most: int = 12) -> str:
    """A group of symbols; a long one (the entries of a symbolic tensor) is shortened."""
    if len(names) <= most:
        return ", ".join(names)
    return f"{names[0]}, {names[1]}, \\dots, {names[-1]}\\ (\\text{{{len(names)} symbols}})"


def _index_key(k: object) -> sp.Basic:
    return sp.Tuple(*k) if isinstance(k, (tuple, list, sp.Tuple)) else sp.sympify(k)


_LONGEST_DEFINITION = 400  # characters of LaTeX; a longer definition is named, not printed


def _definition_tex(key: sp.Basic, value: sp.Basic) -> str:
    text = _definition_full(key, value)
    if len(text) > _LONGEST_DEFINITION:
        return rf"{latex(key)}\ \text{{as defined in the code}}"
    return text


def _definition_full(key: sp.Basic, value: sp.Basic) -> str:
    if isinstance(key, sp.IndexedBase):
        # entries that print as their own name (w_0 = w_0) say nothing and are left out
        shown = [
            (latex(key[tuple(k) if isinstance(k, sp.Tuple) else k]), latex(v))
            for k, v in value.items()
        ]
        return ",\\ ".join(f"{n} = {v}" for n, v in shown if _norm(n) != _norm(v))
    return f"{latex(key)} = {latex(value)}"


def _flatten_assuming(assuming: object) -> list[sp.Basic]:
    if assuming is None:
        return []
    if isinstance(assuming, sp.Basic):
        return [assuming]
    return list(assuming)  # type: ignore[call-overload]


def _assumption_tex(a: sp.Basic) -> str:
    if isinstance(a, sp.assumptions.AppliedPredicate):
        rel = _predicate_to_relation(a)
        if rel is not None:
            return latex(rel)
        args = ", ".join(latex(x) for x in a.arguments)
        return rf"\text{{{a.function}}}({args})"
    return latex(a)


def _norm(name: str) -> str:
    return re.sub(r"[\s{}\\]|mathrm|mathbf|operatorname", "", name)


def _tex_text(s: str) -> str:
    for ch in "\\{}":
        s = s.replace(ch, "")
    # MathJax renders \text{...} literally, so only the characters that end or break it are removed.
    return s.replace("%", "\\%").replace("&", "\\&").replace("#", "\\#")
