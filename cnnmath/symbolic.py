"""Derivations as data: chains of SymPy expressions in which every step is proved equal.

A chapter never writes "which simplifies to" without a check. It builds a :class:`Derivation`,
adds one expression per line of the derivation, and each new line is proved equal to the line
before it (and, with :meth:`Derivation.target`, to a stated result). A step that is not equal
raises :class:`DerivationError`, which names the step and shows the residual (and, when one is
found, a point where the two sides differ). In a notebook the derivation renders as aligned
LaTeX, each line marked with a check and the reason given for it; the same LaTeX is valid for
MathJax, for LaTeX with amsmath, and inside the ``split`` that Sphinx's LaTeX writer wraps around
display math.

**What is displayed is what is checked.** A line is a SymPy expression, printed by SymPy. To show
an intermediate form that SymPy would tidy away, build it unevaluated (``sp.evaluate(False)``,
``sp.UnevaluatedExpr``, an unevaluated ``sp.Derivative`` or ``sp.Sum``); the check evaluates it.
To show a short name for a long expression, use a plain symbol and define it with ``where=``
(``{a: sigmoid(z)}``): every line is checked with the definitions substituted, and the
definitions are listed in full under the derivation (a long one over several lines). Hand-written
LaTeX (``latex=``) is parsed with :mod:`sympy.parsing.latex` and proved equal to the line (every
reading of it, when it can be read in several ways); LaTeX that cannot be checked must be wrapped
in :class:`DisplayOnly`, and is then marked as unchecked where it is shown. Names that would print
as something else are refused: two different quantities that print alike (``x`` and ``x`` with
other assumptions, ``w_1`` and the entry ``w[1]``), a name that reads as an expression of the
others (``x^{2}`` beside ``x``, ``x + 1``), and LaTeX that would change the layout (``&``,
``\\\\``, ``\\tag``, unbalanced braces) or hide what is checked (``\\phantom``).

**Assumptions.** Equalities that hold only under assumptions (``sqrt(x**2) = x`` needs
``x >= 0``) must declare them: on the symbols (``sympy.Symbol("x", positive=True)``) or with
``assuming=`` as SymPy ``Q`` predicates, relations (``x > 0``) or equations
(``sp.Eq(y1 + y2, 1)``, used by eliminating one of its symbols: the one alone on a side, else the
first in name order that appears linearly). An equation may not change what a derivative,
integral, sum or product means: when substituting it before evaluating gives another value than
substituting it after (``d/dx y`` with ``y = x**2``), the step is refused; define such a quantity
with ``where=`` instead. Every assumption a step may use, those of the symbols included, is listed
under the rendered derivation; contradictory assumptions are rejected (bounds on one symbol, linear
relations, and what the equations imply for them), and so are floating-point numbers (write
``sp.Rational(1, 10)``, or name the constant with a symbol) and sums or products whose upper
limit is not provably at least the lower limit minus one (SymPy would read ``Sum(k, (k, 5, 1))``
as -9, a convention no reader expects).

**Time.** A false step is usually refuted at once, at random exact points that satisfy the
assumptions. A step that is neither refuted nor proved within :data:`PROOF_TIME_LIMIT` seconds
(where the operating system allows a timer: the main thread of a Unix process) is refused with
a message that says so: split it into smaller steps.

Example::

    z = sp.Symbol("z", real=True)
    s = 1 / (1 + sp.exp(-z))
    f = sp.Symbol("f")
    d = Derivation(sp.Derivative(f, z), where={f: s}, title="sigmoid")
    d.step(sp.exp(-z) / (1 + sp.exp(-z))**2, "quotient rule")
    d.target(f * (1 - f))
"""

from __future__ import annotations

import random
import re
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

__all__ = [
    "PROOF_TIME_LIMIT",
    "Derivation",
    "DerivationError",
    "DisplayOnly",
    "Step",
    "assert_equal",
    "is_equal",
    "latex",
    "residual",
]

#: Seconds one comparison (a step against the line before it) may take before it is refused;
#: 0 turns the limit off.
PROOF_TIME_LIMIT: float = 60.0


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

# Operators whose value depends on treating some symbols as variables and the others as fixed.
_OPERATORS = (sp.Derivative, sp.Integral, sp.Sum, sp.Product, sp.Limit)


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
        if isinstance(inner, AppliedUndef):
            # f(z) by z prints as df/dz only when z is f's one argument: anything else
            # (f(y) by x, E(z_1, z_2) by z_1) shows the arguments, so the display says what
            # is differentiated.
            if inner.args != tuple(v for v, _ in expr.variable_count) or len(inner.args) != 1:
                return super()._print_Derivative(expr)
        elif not isinstance(inner, (sp.Symbol, sp.Indexed)):
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


# Characters that plain text in a display (reasons, titles) may hold. Each character that LaTeX
# or MathJax would read as markup inside \text{} is written outside it, in math mode, where both
# read the same escape the same way.
_TEXT_ESCAPES = {
    "_": r"\_",
    "^": r"\hat{}",
    "{": r"\{",
    "}": r"\}",
    "\\": r"\backslash{}",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "~": r"\sim{}",
    "<": "<",
    ">": ">",
    "|": r"\vert{}",
}


def _tex_text(s: str, what: str = "text", command: str = "text") -> str:
    """Plain text ``s`` as math-mode LaTeX that shows exactly ``s`` (``\\text{...}`` runs with
    the special characters escaped between them), the same under LaTeX and MathJax."""
    if not isinstance(s, str):
        raise DerivationError(f"{what} must be a string, got {type(s).__name__}")
    bad = sorted({c for c in s if not (c.isascii() and (c.isprintable() or c in "\t\n\r"))})
    if bad:
        shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in bad)
        raise DerivationError(
            f"{what} {s!r} contains {shown}: reasons and titles are plain ASCII text so that "
            "every display compiles under LaTeX; write the word instead (alpha, >=, ...)"
        )
    s = re.sub(r"\s+", " ", s)
    out, run = [], ""
    for ch in s:
        if ch in _TEXT_ESCAPES:
            if run:
                out.append(rf"\{command}{{{run}}}")
                run = ""
            out.append(_TEXT_ESCAPES[ch])
        else:
            run += ch
    if run:
        out.append(rf"\{command}{{{run}}}")
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Checking user LaTeX: names of symbols, latex= forms, DisplayOnly

_GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa lambda"
    " mu nu xi omicron pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega"
    " Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega digamma"
).split()
# Commands a name or a hand-written form may use: letters, accents, fonts, operators, relations,
# delimiters and spacing. Anything else (\tag, \label, \phantom, \def, \require, ...) could
# change the layout, hide a term, or do more than print, and is refused.
_ALLOWED_COMMANDS = frozenset(
    _GREEK
    + (
        "hat bar tilde vec dot ddot dddot widehat widetilde overline underline check breve acute"
        " grave mathring overrightarrow mathbf mathrm mathit mathsf mathtt mathcal mathbb"
        " mathfrak boldsymbol bm operatorname text textrm textit textbf textsf mbox prime ast"
        " star dagger ddagger top intercal circ bullet ell hbar imath jmath partial nabla infty"
        " emptyset langle rangle lvert rvert lVert rVert vert Vert lfloor rfloor lceil rceil"
        " left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr middle frac dfrac tfrac"
        " sqrt cdot times div pm mp sum prod int iint oint log ln exp sin cos tan cot sec csc"
        " sinh cosh tanh coth arcsin arccos arctan max min sup inf lim det dim ker arg sgn le ge"
        " leq geq ne neq approx sim simeq equiv propto in notin ni subset subseteq supset"
        " supseteq cup cap setminus to mapsto rightarrow leftarrow Rightarrow odot otimes oplus"
        " wedge vee neg forall exists ldots cdots dots vdots ddots quad qquad mid binom"
        " lbrace rbrace"
    ).split()
)
_TEXT_COMMANDS = frozenset("text textrm textit textbf textsf mbox".split())
_ENVIRONMENTS = frozenset(
    "matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix smallmatrix cases array subarray".split()
)
_TEX_TOKEN = re.compile(r"\\(?:begin|end)\s*\{[^{}]*\}|\\[A-Za-z]+\*?|\\.|\s+|.", re.DOTALL)


def _check_tex(tex: str, what: str) -> None:
    """Refuse LaTeX that could change the layout of a display or hide what is checked."""

    def fail(problem: str) -> None:
        raise DerivationError(
            f"{what}: the LaTeX {tex!r} {problem}; what is shown must be what is checked"
        )

    if not isinstance(tex, str):
        raise DerivationError(f"{what} must be a string of LaTeX, got {type(tex).__name__}")
    if any(not (c.isprintable() or c == " ") for c in tex):
        fail("holds a line break or another control character")
    envs: list[str] = []
    braces = 0
    tokens = _TEX_TOKEN.findall(tex)
    for i, tok in enumerate(tokens):
        if tok == "{":
            braces += 1
        elif tok == "}":
            braces -= 1
            if braces < 0:
                fail("closes a brace it did not open")
        elif tok in ("%", "$", "#"):
            fail(f"holds {tok!r}, which LaTeX reads as markup (write \\{tok} to show it)")
        elif tok in ("&", "\\\\", "\\cr", "\\newline"):
            if not envs:
                fail(f"holds {tok!r}, which starts a new column or line of the display")
        elif tok.startswith(("\\begin", "\\end")):
            env = tok[tok.index("{") + 1 : -1].strip()
            if env not in _ENVIRONMENTS:
                fail(f"uses the environment {env!r} (allowed: {', '.join(sorted(_ENVIRONMENTS))})")
            if tok.startswith("\\begin"):
                envs.append(env)
            elif not envs or envs.pop() != env:
                fail(f"ends the environment {env!r} it did not begin")
        elif re.fullmatch(r"\\[A-Za-z]+\*?", tok):
            name = tok[1:].rstrip("*")
            if name not in _ALLOWED_COMMANDS:
                fail(
                    f"uses the command \\{name}, which is not among those allowed in names and"
                    " hand-written forms"
                )
            if name in _TEXT_COMMANDS:
                arg = "".join(tokens[i + 1 : i + 1 + _group_length(tokens[i + 1 :])])
                if re.search(r"[_^&%$#~\\]", arg[1:-1]):
                    fail(f"puts one of _ ^ & % $ # ~ \\ inside \\{name}{{}}, which LaTeX refuses")
    if braces:
        fail("leaves a brace open")
    if envs:
        fail(f"leaves the environment {envs[-1]!r} open")


def _group_length(tokens: list[str]) -> int:
    """How many tokens the brace group at the start of ``tokens`` spans (0 if none)."""
    depth = 0
    for i, tok in enumerate(tokens):
        if tok.isspace() and depth == 0:
            continue
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
        elif depth == 0:
            return 0
        if depth == 0:
            return i + 1
    return 0


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


def _flatten_assuming(assuming: object) -> list[sp.Basic]:
    """The items of ``assuming`` (one assumption or an iterable of them), checked for type."""
    if assuming is None:
        return []
    if isinstance(assuming, bool):
        return [sp.true if assuming else sp.false]
    if isinstance(assuming, sp.Basic):
        return [assuming]
    if isinstance(assuming, (str, bytes)) or not hasattr(assuming, "__iter__"):
        raise DerivationError(
            f"assuming must be a SymPy predicate, relation or equation, or a list of them; got "
            f"{type(assuming).__name__} {assuming!r}"
        )
    items = []
    for item in assuming:  # type: ignore[attr-defined]
        if isinstance(item, bool):
            item = sp.true if item else sp.false
        if not isinstance(item, sp.Basic) or not (
            isinstance(item, (sp.logic.boolalg.Boolean, sp.assumptions.AppliedPredicate))
        ):
            raise DerivationError(
                f"assuming: {item!r} ({type(item).__name__}) is not a predicate (sp.Q.positive"
                "(x)), a relation (x > 0) or an equation (sp.Eq(a + b, 1))"
            )
        items.append(item)
    return items


def _split(assuming: object) -> tuple[list[sp.Basic], list[sp.Equality]]:
    """The assumptions as (predicates for refine, equations for elimination)."""
    preds, eqs = [], []
    for item in _flatten_assuming(assuming):
        parts = item.args if isinstance(item, sp.And) else (item,)
        for p in parts:
            if isinstance(p, sp.Equality):
                eqs.append(p)
            elif p is sp.true:
                continue
            else:
                preds.append(_relation_to_predicate(p))
    return preds, eqs


def _solve_for(eq: sp.Equality) -> sp.Symbol | None:
    """The symbol an equation is used to eliminate: the one alone on a side (y in y = x**2),
    else the first in name order that appears linearly with a nonzero numeric coefficient (so
    that the substitution is valid wherever the equation holds)."""
    for side, other in ((eq.lhs, eq.rhs), (eq.rhs, eq.lhs)):
        if isinstance(side, sp.Symbol) and side not in other.free_symbols:
            return side
    diff = sp.expand(eq.lhs - eq.rhs)
    for s in sorted(diff.free_symbols, key=str):
        if not isinstance(s, sp.Symbol) or not diff.is_polynomial(s):
            continue
        poly = sp.Poly(diff, s)
        if poly.degree() == 1 and poly.coeff_monomial(s).is_number:
            if poly.coeff_monomial(s) != 0:
                return s
    return None


def _solutions(eqs: list[sp.Equality] | tuple[sp.Equality, ...]) -> dict[sp.Symbol, sp.Expr]:
    """The equations solved one after the other, each for one symbol, into substitutions whose
    right-hand sides hold none of the eliminated symbols. An equation that the ones before it
    make false raises :class:`DerivationError`; one that they make true is redundant."""
    solved: dict[sp.Symbol, sp.Expr] = {}
    for eq in eqs:
        eq2 = sp.Eq(eq.lhs.xreplace(solved), eq.rhs.xreplace(solved))
        if eq2 is sp.true:
            continue
        if eq2 is sp.false or (
            isinstance(eq2, sp.Equality) and (eq2.lhs - eq2.rhs).is_zero is False
        ):
            raise DerivationError(
                f"the assumptions are contradictory: {eq} cannot hold together with "
                + ", ".join(f"{k} = {v}" for k, v in solved.items())
            )
        s = _solve_for(eq2)
        if s is None:
            continue  # not usable by elimination; still listed as an assumption
        value = sp.solve(eq2.lhs - eq2.rhs, s)[0]
        solved = {k: v.xreplace({s: value}) for k, v in solved.items()}
        solved[s] = value
    return solved


def _eliminate(expr: sp.Basic, solved: Mapping[sp.Symbol, sp.Expr]) -> sp.Basic:
    """``expr`` with the eliminated symbols replaced (a derivative's variable by its value at
    the point: SymPy's subs keeps the derivative as a function of the variable)."""
    return expr.subs(dict(solved), simultaneous=True) if solved else expr


def _check_equations_commute(x: sp.Basic, solved: Mapping[sp.Symbol, sp.Expr]) -> None:
    """Refuse an expression whose derivatives, integrals, sums or products mean something else
    when the assumed equations are substituted before they are evaluated than after."""
    if not solved or not x.has(*_OPERATORS):
        return
    after = _eliminate(x.doit(), solved)
    before = _eliminate(x, solved).doit()
    if _zero(after - before) or sp.simplify(after - before) == 0:
        return
    ops = sorted({type(o).__name__ for o in x.atoms(*_OPERATORS)})
    eqs = ", ".join(f"{k} = {v}" for k, v in solved.items())
    raise DerivationError(
        f"the assumed equation(s) {eqs} change what the {' and '.join(ops)} in {x} means: "
        f"substituted after evaluating it gives {sp.simplify(after)}, substituted before "
        f"gives {sp.simplify(before)}. An equation in assuming= is a fact about the point, not a "
        "definition: define the quantity with where= (where={y: x**2}) instead"
    )


def _zero(e: sp.Expr) -> bool:
    """True when ``e`` is shown to be 0 by the cheap rewrites (no simplify)."""
    for rewrite in _REWRITES[:4]:
        if rewrite(e) == 0:
            return True
    return False


class _OutOfTime(BaseException):
    """Raised by the proof timer; a BaseException, so that no `except Exception` in SymPy
    swallows it."""


class _time_limit:
    """Raise :class:`_OutOfTime` after ``seconds`` (where a timer can be set: the main thread of
    a process with SIGALRM, and no timer already running).

    A signal handler's exception is lost when it interrupts a finalizer (a ``__del__`` or a weak
    reference's callback, which SymPy's caches run): Python prints it and goes on. So the timer
    rings again every :data:`_RING_AGAIN` seconds until the block ends, and a block that ends
    after the timer rang raises :class:`_OutOfTime` on leaving, whichever ring was lost."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed = False
        self.rang = False

    def _ring(self, signum: int, frame: object) -> None:
        self.rang = True
        if not self.armed:
            return
        while frame is not None and frame is not self.owner:
            frame = frame.f_back  # type: ignore[attr-defined]
        if frame is None:  # the block was left without disarming (a ring on the way out)
            self.armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
            return
        raise _OutOfTime

    def __enter__(self) -> None:
        usable = (
            bool(self.seconds)
            and self.seconds > 0
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0
        )
        if usable:
            self.owner = sys._getframe(1)
            self.old = signal.signal(signal.SIGALRM, self._ring)
            self.armed = True
            signal.setitimer(signal.ITIMER_REAL, self.seconds, _RING_AGAIN)

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if not self.armed:
            return
        while self.armed:  # a ring may interrupt the disarming itself: disarm until it holds
            try:
                self.armed = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, self.old)
            except _OutOfTime:
                self.armed = True
        if self.rang and kind is None:
            raise _OutOfTime


_RING_AGAIN = 0.05
"""Seconds between the proof timer's rings once :data:`PROOF_TIME_LIMIT` has passed."""


# -- refutation at random exact points ----------------------------------------------------------

_RANDOM_POINTS = 3


def _draw(s: sp.Symbol, rng: random.Random) -> sp.Rational:
    """A random exact value meant to satisfy the assumptions declared on ``s``."""
    a = s.assumptions0
    if a.get("zero"):
        return sp.Integer(0)
    if a.get("integer"):
        value = sp.Integer(rng.randint(1, 9))
        if a.get("even") and value % 2:
            value += 1
        if a.get("odd") and not value % 2:
            value += 1
        if a.get("prime"):
            value = sp.Integer(rng.choice([2, 3, 5, 7, 11, 13]))
    else:
        value = sp.Rational(rng.randint(1, 97), rng.randint(1, 13))
    if a.get("negative") or a.get("nonpositive"):
        return -value
    if a.get("positive") or a.get("nonnegative"):
        return value
    return value if rng.random() < 0.5 else -value


def _satisfies(s: sp.Symbol, value: sp.Basic) -> bool:
    given = _given_assumptions(s)
    return all(getattr(value, f"is_{k}", None) == v for k, v in given.items())


def _holds(pred: sp.Basic) -> bool:
    rel = _predicate_to_relation(pred)
    if rel is not None:
        return bool(rel == sp.true) if isinstance(rel, sp.Basic) else bool(rel)
    return sp.ask(pred) is True


def _counterexample(
    d: sp.Expr,
    preds: list[sp.Basic] | tuple[sp.Basic, ...] = (),
    solved: Mapping[sp.Symbol, sp.Expr] | None = None,
    tries: int = _RANDOM_POINTS,
) -> tuple[dict[sp.Symbol, sp.Rational], str] | None:
    """A point (satisfying the symbols' assumptions, the predicates and the equations) at which
    ``d`` is not 0, with the value of ``d`` there; ``None`` if none is found or ``d`` cannot be
    evaluated (it holds an unevaluated operator or an undefined function).

    ``d`` is evaluated with mpmath at 50 and at 30 digits: a value is trusted as nonzero when it
    is larger than 1e-12 and the two agree to 9 digits (rounding error is then far below it)."""
    import mpmath

    d = sp.sympify(d)
    if d.has(*_OPERATORS, sp.Subs, AppliedUndef) or d.atoms(sp.Dummy, sp.Indexed):
        return None
    if not d.free_symbols:
        return None  # a constant: the symbolic comparison is cheap and decides it
    solved = dict(solved or {})
    preds = [p.xreplace(solved) for p in preds]
    symbols = sorted(d.free_symbols.union(*(p.free_symbols for p in preds)), key=str)
    if not all(isinstance(s, sp.Symbol) for s in symbols):
        return None
    try:
        f = sp.lambdify(symbols, d, modules="mpmath")
    except Exception:  # noqa: BLE001 - an expression lambdify cannot translate is not refuted
        return None
    rng = random.Random(20240613)
    for _ in range(tries * 4):
        point = {s: _draw(s, rng) for s in symbols}
        if not all(_satisfies(s, v) for s, v in point.items()):
            continue
        try:
            if not all(_holds(p.xreplace(point)) for p in preds):
                continue
            if not all(_satisfies(k, v.xreplace(point)) for k, v in solved.items()):
                continue
            values = []
            for digits in (50, 30):
                with mpmath.workdps(digits):
                    args = [mpmath.mpf(int(v.p)) / int(v.q) for v in point.values()]
                    values.append(mpmath.mpmathify(f(*args)))
        except (ArithmeticError, TypeError, ValueError, AttributeError, NameError):
            continue
        high, low = values
        if not (mpmath.isfinite(high) and mpmath.isfinite(low)):
            continue
        if abs(high) > 1e-12 and abs(high - low) <= 1e-9 * abs(high):
            return point, mpmath.nstr(high, 12)
        tries -= 1
        if tries <= 0:
            return None
    return None


def _residual(
    a: object, b: object, preds: list[sp.Basic], solved: Mapping[sp.Symbol, sp.Expr]
) -> sp.Expr | sp.Matrix:
    """``a - b`` simplified entry by entry; raises :class:`_OutOfTime` after the time limit."""
    with _time_limit(PROOF_TIME_LIMIT):
        return _residual_untimed(a, b, preds, solved)


def _residual_untimed(
    a: object, b: object, preds: list[sp.Basic], solved: Mapping[sp.Symbol, sp.Expr]
) -> sp.Expr | sp.Matrix:
    assumption = sp.And(*preds) if preds else sp.true
    a_s, b_s = sp.sympify(a), sp.sympify(b)
    _check_shapes(a_s, b_s)
    for e in (*_entries(a_s), *_entries(b_s)):
        _check_equations_commute(sp.sympify(e), solved)
    out = []
    for x, y in zip(_entries(a_s), _entries(b_s)):
        d = _eliminate((x - y).doit(), solved)
        if d != 0 and _counterexample(d, preds, solved) is not None:
            out.append(d)  # refuted: no need to simplify
            continue
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


def residual(a: object, b: object, assuming: object = None) -> sp.Expr | sp.Matrix:
    """Return the simplest form found of ``a - b`` (entrywise for arrays) under ``assuming``.

    Raises :class:`DerivationError` when no proof or refutation is found within
    :data:`PROOF_TIME_LIMIT` seconds, or when an assumed equation would change the meaning of a
    derivative, integral, sum or product in ``a`` or ``b``."""
    preds, eqs = _split(assuming)
    if preds or eqs:
        _check_consistent(preds, eqs, "")
    try:
        return _residual(a, b, preds, _solutions(eqs))
    except _OutOfTime:
        raise DerivationError(_out_of_time_message("the comparison")) from None


def _out_of_time_message(what: str) -> str:
    return (
        f"{what} was neither proved nor refuted within PROOF_TIME_LIMIT = {PROOF_TIME_LIMIT:g} s"
        f" (at {_RANDOM_POINTS} random exact points the two sides agree or cannot be evaluated):"
        " split it into smaller steps, or raise cnnmath.symbolic.PROOF_TIME_LIMIT"
    )


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
    """Raise when the declared assumptions contradict each other or the symbols' own: bounds on
    one symbol, linear relations among several, and what the equations (used by elimination)
    imply for both."""
    where = f" of {title!r}" if title else ""
    if any(p is sp.false for p in preds) or any(e is sp.false for e in eqs):
        raise DerivationError(f"the assumptions{where} are contradictory: one of them is False")
    try:
        solved = _solutions(eqs)
    except DerivationError as err:
        raise DerivationError(str(err).replace("the assumptions", f"the assumptions{where}"))
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
    # An eliminated symbol's own assumptions must hold for its value (x positive, x = -1).
    for s, value in solved.items():
        for fact in _symbol_predicates(s):
            if sp.ask(fact.xreplace({s: value}), sp.And(*preds, *facts)) is False:
                raise DerivationError(
                    f"the assumptions{where} are contradictory: {s} = {value} contradicts the "
                    f"assumption {fact} declared on {s}"
                )
    # The relations, with the equations substituted, and the symbols' signs.
    relations = [r for p in preds if (r := _predicate_to_relation(p)) is not None]
    relations = [r.xreplace(solved) for r in relations]
    if any(r is sp.false for r in relations):
        raise DerivationError(
            f"the assumptions{where} are contradictory: with "
            + ", ".join(f"{k} = {v}" for k, v in solved.items())
            + " one of the relations is false"
        )
    relations = [r for r in relations if r is not sp.true]
    # One-symbol relations: ask() does not compare bounds (x > 1 and x < 0), reduce them.
    by_symbol: dict[sp.Symbol, list[sp.Basic]] = {}
    for rel in relations:
        if len(rel.free_symbols) == 1:
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
                + (" (with " + ", ".join(f"{k} = {v}" for k, v in solved.items()) + ")")
                * bool(solved)
            )
    if not _linear_feasible(relations):
        raise DerivationError(
            f"the assumptions{where} are contradictory: no real values satisfy "
            + ", ".join(map(str, relations))
            + (" with " + ", ".join(f"{k} = {v}" for k, v in solved.items()) if solved else "")
        )


def _linear_feasible(relations: list[sp.Basic]) -> bool:
    """False when the relations that are linear in real symbols (with the signs declared on
    those symbols) have no common solution; True when they have one or cannot be decided."""
    from sympy.solvers.simplex import InfeasibleLPError, UnboundedLPError, lpmax

    linear = []
    for rel in relations:
        if not isinstance(rel, (sp.StrictGreaterThan, sp.GreaterThan, sp.StrictLessThan,
                                sp.LessThan)):  # fmt: skip
            continue
        d = sp.expand(rel.lhs - rel.rhs)
        # a relation between symbols says that they are real
        if (
            all(isinstance(s, sp.Symbol) for s in d.free_symbols)
            and d.is_polynomial()
            and (sp.Poly(d, *d.free_symbols).total_degree() <= 1 if d.free_symbols else True)
        ):
            linear.append(rel)
    if len(linear) < 2:
        return True
    symbols = set().union(*(r.free_symbols for r in linear))
    slack = sp.Dummy("t")
    constraints = [slack <= 1]
    for s in symbols:
        if s.is_positive:
            constraints.append(s >= slack)
        elif s.is_nonnegative:
            constraints.append(s >= 0)
        elif s.is_negative:
            constraints.append(-s >= slack)
        elif s.is_nonpositive:
            constraints.append(-s >= 0)
    for rel in linear:
        d = rel.lhs - rel.rhs
        if isinstance(rel, sp.StrictGreaterThan):
            constraints.append(d >= slack)
        elif isinstance(rel, sp.GreaterThan):
            constraints.append(d >= 0)
        elif isinstance(rel, sp.StrictLessThan):
            constraints.append(-d >= slack)
        else:
            constraints.append(-d >= 0)
    try:
        best, _ = lpmax(slack, constraints)
    except InfeasibleLPError:
        return False
    except (UnboundedLPError, NotImplementedError, ValueError, TypeError):
        return True
    return bool(best > 0)


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
        (``sp.Eq(y1 + y2, 1)``) the steps may use; ``False`` is refused as contradictory.
    title:
        The equation label (``"thesis eq. 12"``), shown as the tag of the rendered derivation
        and used in error messages (plain ASCII text).

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
        "_solved",
        "_title",
        "_steps",
        "_target",
        "_shown_names",
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
        if not isinstance(title, str):
            raise DerivationError(f"title must be a string, got {type(title).__name__}")
        _tex_text(title, "title")
        set_(self, "_title", title)
        set_(self, "_shown_names", {})
        if where is not None and not isinstance(where, Mapping):
            raise DerivationError(
                f"where must be a mapping {{symbol: expression}}, got {type(where).__name__}"
            )
        defs = {}
        for key, value in dict(where or {}).items():
            if not isinstance(key, (sp.Symbol, AppliedUndef, sp.MatrixSymbol, sp.IndexedBase)):
                raise DerivationError(
                    f"where: {key!r} is not a symbol; define short names as {{symbol: expression}}"
                    " (a Symbol, MatrixSymbol, or IndexedBase with a sequence of entries)"
                )
            try:
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
                    defs[key] = sp.sympify(value, strict=True)
            except (sp.SympifyError, TypeError, ValueError) as err:
                raise DerivationError(
                    f"where: the definition of {key} ({value!r}) is not a SymPy expression: {err}"
                ) from None
        set_(self, "_where", MappingProxyType(defs))
        for key, value in defs.items():
            self._reject_floats(value, f"the definition of {key}")
        assumptions = _flatten_assuming(assuming)
        preds, eqs = _split(assumptions)
        for p in [*preds, *eqs]:
            self._reject_floats(p, "an assumption")
        _check_consistent(preds, eqs, self._title)
        set_(self, "_assuming", tuple(assumptions))
        set_(self, "_preds", tuple(preds))
        set_(self, "_eqs", tuple(eqs))
        set_(self, "_solved", MappingProxyType(_solutions(eqs)))
        lhs_s = _sympify(lhs, "lhs")
        set_(self, "_lhs", lhs_s)
        for key, value in defs.items():
            self._register_names(key, f"the where= name {key}")
            self._register_names(value, f"the definition of {key}")
        for a in assumptions:
            self._register_names(a, "an assumption")
        self._register_names(lhs_s, "the left-hand side")
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
    def _where_suffix(self) -> str:
        return f" of {self._title!r}" if self._title else ""

    def _reject_floats(self, expr: sp.Basic, what: str) -> None:
        floats = sorted(
            {f for e in _entries(expr) for f in sp.sympify(e).atoms(sp.Float)}, key=float
        )
        if floats:
            raise DerivationError(
                f"{what}{self._where_suffix()} contains the floating-point number(s) "
                f"{', '.join(map(str, floats))}: an exact derivation needs exact numbers; write "
                "sp.Rational(p, q) or name the constant with a symbol"
            )

    def _register_names(self, expr: sp.Basic, what: str) -> None:
        """Check the names that ``expr`` shows: each must be LaTeX that keeps the layout, must
        not read as an expression of the others, and must print unlike every other name."""
        shown: dict[str, tuple[sp.Basic, str]] = self._shown_names
        for atom, printed in _shown_atoms(expr):
            _check_tex(printed, f"{what}: the name of {atom}")
            key = _norm(printed)
            other = shown.get(key, (None, ""))[0]
            if other is not None and other != atom and not self._defined_as(atom, other):
                raise DerivationError(
                    f"{what}{self._where_suffix()}: {atom!r} and {other!r} are different but both"
                    f" print as {printed}; rename one, so that what is shown is what is checked"
                )
            shown.setdefault(key, (atom, printed))
        # every name shown so far, against every other: a later x makes an earlier x^{2} a power
        names = set(shown)
        for key, (atom, printed) in shown.items():
            if atom in self._where or isinstance(atom, (sp.NumberSymbol, sp.Indexed)):
                continue
            if atom is sp.I or atom is sp.E:
                continue
            problem = _reading_problem(printed, names, key)
            if problem:
                raise DerivationError(
                    f"{what}{self._where_suffix()}: the name {printed!r} of {atom!r} {problem}; "
                    "rename it (or define it with where=, so that its definition is shown)"
                )

    def _defined_as(self, a: sp.Basic, b: sp.Basic) -> bool:
        """True when a where= definition makes ``a`` and ``b`` the same quantity."""
        for x, y in ((a, b), (b, a)):
            value = self._where.get(x)
            if value == y or (isinstance(value, AppliedUndef) and type(value) is y):
                return True  # x := y, or E := E(z_1, z_2) for the function E
            if isinstance(x, sp.Indexed) and x.base in self._where:
                key = _index_key(x.indices if len(x.indices) > 1 else x.indices[0])
                if self._where[x.base].get(key) == y:
                    return True
        return False

    def _value(self, expr: sp.Basic, what: str) -> sp.Basic:
        """``expr`` with the ``where`` definitions substituted (repeatedly, for nested names)."""
        names = {k: v for k, v in self._where.items() if not isinstance(k, sp.IndexedBase)}
        bases = {k: v for k, v in self._where.items() if isinstance(k, sp.IndexedBase)}
        _check_limits(expr, what, self._preds)
        value = expr
        for _ in range(len(self._where) + 2):
            new = value.xreplace(names) if names else value
            if bases and new.has(*bases):
                # Sums over a concrete range become their terms, nested ones too, before any
                # entry is substituted (the terms themselves stay as they are: a derivative of
                # an entry is taken after the entry is substituted).
                while True:
                    expanded = new.replace(
                        lambda e: isinstance(e, sp.Sum) and e.has(*bases),
                        lambda e: e.doit(deep=False),
                    )
                    if expanded == new:
                        break
                    new = expanded
                new = new.replace(
                    lambda e: isinstance(e, sp.Indexed) and e.base in bases,
                    lambda e: self._entry(bases[e.base], e, what),
                )
            if new == value:
                break
            value = new
        else:
            raise DerivationError(f"where: the definitions refer to each other in a cycle ({what})")
        try:
            if isinstance(value, sp.Derivative) and any(_is_array(v) for v in value.variables):
                # a derivative by a matrix is the array of its entries' derivatives
                value = value.doit()
                if isinstance(value, sp.NDimArray) and value.rank() == 2:
                    value = value.tomatrix()
            if isinstance(value, sp.MatrixExpr) and not isinstance(value, sp.MatrixBase):
                value = value.replace(
                    lambda e: isinstance(e, sp.Inverse), lambda e: self._inverse(e, what)
                )
                value = value.doit()
                if isinstance(value, sp.MatrixExpr) and not isinstance(value, sp.MatrixBase):
                    value = value.as_explicit()
        except (ValueError, ZeroDivisionError, ArithmeticError) as err:
            singular = [
                str(k)
                for k, v in self._where.items()
                if isinstance(k, sp.MatrixSymbol) and v.is_square and sp.simplify(v.det()) == 0
            ]
            hint = (
                f"; the where= definition of {', '.join(singular)} is a singular matrix, which "
                "has no inverse"
                if singular
                else ""
            )
            raise DerivationError(
                f"{what}{self._where_suffix()} cannot be evaluated: {err}{hint}"
            ) from None
        self._reject_floats(value, what)
        _check_limits(value, what, self._preds)
        return value

    def _inverse(self, e: sp.Inverse, what: str) -> sp.ImmutableMatrix:
        """An explicit inverse, as adjugate / determinant (no simplification: the comparison
        simplifies what it needs); a singular matrix raises naming its definition."""
        m = e.arg.doit()
        if isinstance(m, sp.MatrixExpr) and not isinstance(m, sp.MatrixBase):
            m = m.as_explicit()
        det = m.det(method="berkowitz")
        if sp.expand(det) == 0:
            names = [
                str(k)
                for k, v in self._where.items()
                if isinstance(k, sp.MatrixSymbol) and v.is_square and sp.expand(v.det()) == 0
            ]
            raise DerivationError(
                f"{what}{self._where_suffix()}: {e} is the inverse of a singular matrix "
                f"(determinant 0)"
                + (f"; see the where= definition of {', '.join(sorted(names))}" if names else "")
            )
        return sp.ImmutableMatrix(m.adjugate(method="berkowitz") / det)

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
            _check_tex(str(shown), what)
            return shown
        if isinstance(shown, str):
            _check_tex(shown, what)
            readings = self._parse(shown, what)
            for reading in readings:
                label = f"{what} {shown!r}"
                if len(readings) > 1:  # ambiguous LaTeX: every reading must hold
                    label += f" (one of its {len(readings)} readings; add parentheses)"
                self._prove(reading, value, label, against="its checked expression")
            return shown
        expr = _sympify(shown, what)
        self._register_names(expr, what)
        self._prove(self._value(expr, what), value, what, against="the left-hand side")
        return expr

    def _parse(self, tex: str, what: str) -> list[sp.Basic]:
        """Every reading of ``tex`` in the known symbols (more than one where the LaTeX is
        ambiguous: ``2 \\tanh z + 1``), each with the ``where`` definitions substituted."""
        from sympy.parsing.latex import parse_latex

        help_ = (
            f"{what}: cannot check the LaTeX {tex!r}. Build the form as an unevaluated SymPy "
            "expression (sp.evaluate(False), sp.UnevaluatedExpr, sp.Derivative, sp.Sum) or, if it "
            "must stay hand-written, wrap it in DisplayOnly(...) so it is marked as unchecked"
        )
        # The parser knows only some Greek letters: the others stand in for unused known ones.
        stand_ins = {}
        spare = [g for g in _PARSER_GREEK if not re.search(rf"\\{g}(?![A-Za-z])", tex)]
        for g in sorted(
            set(re.findall(r"\\([A-Za-z]+)", tex)) & (set(_GREEK) - set(_PARSER_GREEK))
        ):
            if not spare:
                raise DerivationError(help_ + " (too many Greek letters)")
            stand_ins[spare.pop()] = g
        parse_input = _bracket_function_calls(tex)
        for sub, g in stand_ins.items():
            parse_input = re.sub(rf"\\{g}(?![A-Za-z])", lambda m, s=sub: "\\" + s, parse_input)
        try:
            parsed = parse_latex(parse_input, backend="lark")
        except Exception as err:  # the parser raises many kinds of errors
            raise DerivationError(help_ + f" ({type(err).__name__})") from None
        if getattr(parsed, "data", None) == "_ambig":
            candidates = list(parsed.children)
        else:
            candidates = [parsed]
        if not all(isinstance(c, sp.Basic) for c in candidates):
            raise DerivationError(help_ + " (ambiguous)")
        known = self._known_symbols()
        functions = self._known_functions()
        readings, unknown = [], []
        for c in candidates:
            mapping = {}
            for s in c.free_symbols:
                name = str(s)
                for sub, g in stand_ins.items():
                    name = re.sub(rf"(?<![A-Za-z]){sub}(?![A-Za-z])", g, name)
                match = known.get(_norm(name))
                if match is None:
                    match = {"e": sp.E, "pi": sp.pi}.get(_norm(name))
                if match is None:
                    unknown.append(name)
                    break
                mapping[s] = match
            else:
                undefined = {type(f).__name__ for f in c.atoms(AppliedUndef)}
                if undefined - functions:
                    unknown.extend(sorted(undefined - functions))
                    continue
                readings.append(self._value(c.xreplace(mapping), what))
        if not readings:
            raise DerivationError(help_ + f" (unknown symbol {', '.join(sorted(set(unknown)))})")
        return readings

    def _known_symbols(self) -> dict[str, sp.Basic]:
        exprs = [self._lhs, *self._where.keys(), *self._where.values()]
        exprs += [s.expr for s in self._steps]
        out: dict[str, sp.Basic] = {}
        for e in exprs:
            for s in sp.sympify(e).free_symbols:
                out.setdefault(_norm(s.name) if isinstance(s, sp.Symbol) else _norm(str(s)), s)
                out.setdefault(_norm(sp.latex(s)), s)
        return out

    def _known_functions(self) -> set[str]:
        exprs = [self._lhs, *self._where.keys(), *self._where.values()]
        exprs += [s.expr for s in self._steps]
        return {type(f).__name__ for e in exprs for f in sp.sympify(e).atoms(AppliedUndef)}

    def _prove(self, new: sp.Basic, previous: sp.Basic, what: str, *, against: str) -> None:
        _check_shapes(previous, new, what)
        try:
            r = _residual(previous, new, list(self._preds), self._solved)
        except _OutOfTime:
            raise DerivationError(_out_of_time_message(f"{what}{self._where_suffix()}")) from None
        except DerivationError as err:
            raise DerivationError(f"{what}{self._where_suffix()}: {err}") from None
        if not all(e == 0 for e in _entries(r)):
            found = next(
                (
                    c
                    for e in _entries(r)
                    if (c := _counterexample(e, self._preds, self._solved)) is not None
                ),
                None,
            )
            at = ""
            if found is not None:
                point, value = found
                at = (
                    "\n  for example at "
                    + ", ".join(f"{k} = {v}" for k, v in sorted(point.items(), key=str))
                    + f" the difference is {value}"
                )
            raise DerivationError(
                f"{what}{self._where_suffix()} is not equal to {against}:\n"
                f"  {against}: {previous}\n  this: {new}\n  residual ({against} - this): {r}"
                + at
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
        :class:`DisplayOnly`, which is shown marked as unchecked. ``why`` is plain ASCII text.
        """
        if self._target is not None:
            raise DerivationError(
                f"the derivation{' ' + repr(self._title) if self._title else ''} already ended at "
                "its stated result; start a new Derivation to go on"
            )
        if not isinstance(why, str):
            raise DerivationError(f"why must be a string, got {type(why).__name__}")
        _tex_text(why, "the reason")
        label = f"step {len(self._steps) + 1}" + (f" ({why})" if why else "")
        new = _sympify(expr, label)
        self._register_names(new, label)
        value = self._value(new, label)
        self._prove(value, self.current, label, against="the step before it")
        shown = None
        if latex is not None:
            if not isinstance(latex, str):
                raise DerivationError(
                    f"{label}: latex= must be a string of LaTeX, got {type(latex).__name__}"
                )
            shown = self._check_display(latex, value, f"{label}, latex=")
        before = self._steps
        object.__setattr__(self, "_steps", (*before, Step(new, value, why, shown)))
        size = len(self.latex()) + len(r"\begin{split}\end{split}")
        if size > _MATHJAX_BUFFER:
            object.__setattr__(self, "_steps", before)
            raise DerivationError(
                f"{label}{self._where_suffix()}: the display would be {size} characters of "
                f"LaTeX, more than MathJax reads in one formula ({_MATHJAX_BUFFER}); shorten "
                "what is shown: define a long expression as a sum over indexed entries "
                "(sp.Sum over an IndexedBase defined with where=) or split the derivation"
            )
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
        return notes + [_assumption_tex(a) for a in self._assuming if a is not sp.true]

    def symbol_assumptions(self) -> list[str]:
        """Kept for older callers: the same list as :meth:`assumptions`."""
        return self.assumptions()

    def latex(self) -> str:
        """The derivation as an ``aligned`` block; each line carries a check mark and its reason,
        followed by the definitions used (``where``, in full, over several lines when long) and
        every assumption a step may use. Valid in MathJax, in LaTeX (amsmath, amssymb) and inside
        the ``equation*``/``split`` that Sphinx's LaTeX writer puts around display math."""
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
            why = _tex_text(s.why) if s.why else ""
            lines.append(f"{head} &= {s.tex()} && \\checkmark\\ {why}")
        body = " \\\\\n".join(lines) if lines else f"{left} &"
        tail = []
        if self._where:
            defs = _where_lines(self._where)
            for i, line in enumerate(defs):
                lead = "\\text{where } " if i == 0 else "\\quad "
                tail.append(f"& && {lead}{line}")
        notes = self.assumptions()
        if notes:
            tail.append("& && \\text{assuming } " + ",\\ ".join(notes))
        shown = [s.latex for s in self._steps] + [self._name]
        if any(isinstance(t, DisplayOnly) for t in shown):
            tail.append(f"& && {_UNCHECKED_MARK}\\,\\text{{display only: not checked}}")
        text = body + "".join(" \\\\\n" + t for t in tail)
        # The label heads the column of reasons (a \\tag is not allowed where the page wraps
        # display math in a split environment, as Sphinx and MyST do).
        if self._title:
            text = f"& && {_tex_text(self._title, command='textbf')} \\\\\n" + text
        return f"\\begin{{aligned}}\n{text}\n\\end{{aligned}}"

    def _repr_latex_(self) -> str:
        return f"$$\n{self.latex()}\n$$"

    def __repr__(self) -> str:
        title = self._title or "derivation"
        return (
            f"<Derivation {title!r}: {len(self._steps)} step(s), each proved equal to the one "
            "before>"
        )


# MathJax 3 refuses a formula whose TeX, as it reads it, exceeds its buffer (maxBuffer = 5 KiB):
# a display longer than that would show an error on the page instead of the derivation.
_MATHJAX_BUFFER = 5 * 1024

# The Greek letters the LaTeX parser reads; the others are parsed in their place.
_PARSER_GREEK = (
    "alpha beta gamma delta epsilon zeta eta theta kappa lambda mu nu xi rho tau upsilon phi"
    " chi psi omega"
).split()


_FUNCTION_COMMANDS = (
    "sin cos tan cot sec csc sinh cosh tanh coth arcsin arccos arctan exp log ln".split()
)


def _bracket_function_calls(tex: str) -> str:
    r"""``\tanh(z) + 1`` as ``(\tanh(z)) + 1``: a function written with parentheses takes just
    what they hold, as a reader takes it (the parser would also read ``tanh(z + 1)``);
    ``\left(``/``\right)`` become plain parentheses, which the parser reads."""
    tex = re.sub(r"\\left\s*([(\[|])", r"\1", tex)
    tex = re.sub(r"\\right\s*([)\]|])", r"\1", tex)
    call = re.compile(r"\\(?:%s)(?![A-Za-z])\s*\{?\s*\(" % "|".join(_FUNCTION_COMMANDS))
    out, pos = "", 0
    while m := call.search(tex, pos):
        depth, i = 0, m.end() - 1
        while i < len(tex):
            depth += {"(": 1, ")": -1}.get(tex[i], 0)
            if depth == 0:
                break
            i += 1
        end = i + 1
        if "{" in m.group(0) and end < len(tex) and tex[end] == "}":
            end += 1
        out += tex[pos : m.start()] + "(" + tex[m.start() : end] + ")"
        pos = end
    return out + tex[pos:]


def _sympify(expr: object, what: str) -> sp.Basic:
    if isinstance(expr, str):
        raise DerivationError(
            f"{what}: got the string {expr!r}; give a SymPy expression (strings are parsed only "
            "as latex= or name= forms)"
        )
    try:
        return sp.sympify(expr, strict=True)
    except (sp.SympifyError, TypeError, ValueError) as err:
        raise DerivationError(
            f"{what}: {expr!r} ({type(expr).__name__}) is not a SymPy expression: {err}"
        ) from None


def _check_limits(expr: sp.Basic, what: str, preds: tuple[sp.Basic, ...] = ()) -> None:
    """Refuse a sum or product whose upper limit is not provably at least the lower limit minus
    one: SymPy's convention for reversed limits (Sum(k, (k, 5, 1)) = -9) is not the reader's."""
    for e in _entries(expr):
        for op in sp.sympify(e).atoms(sp.Sum, sp.Product):
            for var, lower, upper in op.limits:
                count = sp.simplify(upper - lower + 1)
                if count.is_nonnegative:
                    continue
                if preds and sp.ask(sp.Q.nonnegative(count), sp.And(*preds)):
                    continue
                sign = "negative" if count.is_negative else "not known to be >= 0"
                raise DerivationError(
                    f"{what}: the {type(op).__name__.lower()} over {var} from {lower} to {upper} "
                    f"has {count} terms, which is {sign}. SymPy reads reversed limits by Karr's "
                    "convention (Sum(k, (k, 5, 1)) = -9, Product(k, (k, 5, 1)) = 1/24), which no "
                    "reader expects: write the "
                    "limits in order, or declare what makes the count >= 0 (an integer, "
                    "nonnegative symbol or assuming=[...])"
                )


def _shown_atoms(expr: object) -> list[tuple[sp.Basic, str]]:
    """The named things ``expr`` shows, each with its printed LaTeX: symbols (bound ones too),
    indexed entries, matrix symbols, undefined functions and the constants e, pi and i."""
    printer = _Printer()
    out: list[tuple[sp.Basic, str]] = []
    for e in _entries(expr) if _is_array(expr) else [sp.sympify(expr)]:
        e = sp.sympify(e)
        if not isinstance(e, sp.Basic):
            continue
        labels = {b.label for b in e.atoms(sp.IndexedBase)}
        for s in sorted(e.atoms(sp.Symbol), key=str):
            if not isinstance(s, sp.Dummy) and s not in labels:
                out.append((s, printer._print(s)))
        for idx in sorted(e.atoms(sp.Indexed), key=str):
            out.append((idx, printer._print(idx)))
        for m in sorted(e.atoms(sp.MatrixSymbol), key=str):
            out.append((m, printer._print(m)))
        for f in sorted({type(a) for a in e.atoms(AppliedUndef)}, key=str):
            out.append((f, printer._print(f)))  # type: ignore[arg-type]
        if e.has(sp.E) or e.has(sp.exp):
            out.append((sp.E, "e"))
        if e.has(sp.pi):
            out.append((sp.pi, r"\pi"))
        if e.has(sp.I):
            out.append((sp.I, "i"))
    return out


# Superscripts that mark a name rather than raise it to a power: (l), primes, *, T, dagger.
_MARK_SUPERSCRIPT = re.compile(
    r"\^\s*(?:\{\s*\([^{}]*\)\s*\}|\{\s*(?:\\prime|\*|\\ast|\\star|T|\\top|\\intercal|\\dagger"
    r"|\\circ|'+)\s*\}|\\prime|\*|\\ast|\\star|T|\\top|\\dagger)"
)
_SCRIPT = re.compile(r"[_^]\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\[A-Za-z]+|.)")
_OPERATOR_COMMANDS = frozenset(
    "frac dfrac tfrac sqrt cdot times div pm mp sum prod int iint oint partial nabla log ln exp"
    " sin cos tan cot sec csc sinh cosh tanh coth arcsin arccos arctan max min sup inf lim det"
    " le ge leq geq ne neq approx sim simeq equiv propto in notin to mapsto binom left right"
    " big Big bigg Bigg".split()
)


def _reading_problem(printed: str, names: set[str], own: str = "") -> str | None:
    """Why the printed name of an undefined symbol would read as something else (given the
    normalized ``names`` shown beside it, ``own`` its own), or None."""
    name = _MARK_SUPERSCRIPT.sub("", printed)
    base = _SCRIPT.sub("", name)
    if "^" in name and _norm(base) in names and _norm(base) != own:
        return f"reads as a power of {base}, which is also shown"
    tokens = [t for t in _TEX_TOKEN.findall(base)]
    words = [t for t in tokens if not t.isspace()]
    if words and re.fullmatch(r"[0-9.]+", "".join(w for w in words if w not in "{}")):
        return "reads as a number"
    if words and re.fullmatch(r"[0-9]", words[0]):
        return "starts with a digit, so it reads as a product"
    for t in words:
        if t in set("+-=*/<>!|;,") or (t.startswith("\\") and t[1:] in _OPERATOR_COMMANDS):
            return f"holds {t!r}, so it reads as an expression"
    for a, space, b in zip(tokens, tokens[1:], tokens[2:]):
        if (
            space.isspace()
            and re.fullmatch(r"[A-Za-z0-9}]", a)
            and re.fullmatch(r"[A-Za-z0-9\\{]|\\.*", b)
        ):
            return "holds two names side by side, so it reads as a product"
    return None


def _names_tex(names: list[str], most: int = 12) -> str:
    """A group of symbols; a long one (the entries of a symbolic tensor) is shortened."""
    if len(names) <= most:
        return ", ".join(names)
    return f"{names[0]}, {names[1]}, \\dots, {names[-1]}\\ (\\text{{{len(names)} symbols}})"


def _index_key(k: object) -> sp.Basic:
    return sp.Tuple(*k) if isinstance(k, (tuple, list, sp.Tuple)) else sp.sympify(k)


_LINE = 300  # characters of LaTeX in one line of definitions; a longer one is continued


def _where_lines(where: Mapping[sp.Basic, sp.Basic]) -> list[str]:
    """The definitions, in full: several to a line while they fit, a long one over lines."""
    lines: list[str] = []
    current = ""
    for key, value in where.items():
        pieces = _definition_pieces(key, value)
        if not pieces:
            continue
        text = "".join(pieces)
        if current and len(current) + len(text) + 3 <= _LINE:
            current += ",\\ " + text
            continue
        if current:
            lines.append(current + ",")
        current = ""
        for piece in pieces:
            if current and len(current) + len(piece) > _LINE:
                lines.append(current)
                current = ""
            current += piece
    if current:
        lines.append(current)
    return lines


def _definition_pieces(key: sp.Basic, value: sp.Basic) -> list[str]:
    """One definition as LaTeX pieces that may be put on separate lines (the terms of a sum,
    the entries of an indexed name); joined, they are the whole definition."""
    if isinstance(key, sp.IndexedBase):
        # entries that print as their own name (w_0 = w_0) say nothing and are left out
        shown = [
            (latex(key[tuple(k) if isinstance(k, sp.Tuple) else k]), latex(v))
            for k, v in value.items()
        ]
        kept = [f"{n} = {v}" for n, v in shown if _norm(n) != _norm(v)]
        return [p + (",\\ " if i < len(kept) - 1 else "") for i, p in enumerate(kept)]
    head = f"{latex(key)} = "
    if isinstance(value, sp.Add) and len(head) + len(latex(value)) > _LINE:
        pieces = [head]
        for i, term in enumerate(value.args):
            t = latex(term)
            if i == 0:
                pieces[0] += t
            elif t.startswith("-"):
                pieces.append(" - " + t[1:].lstrip())
            else:
                pieces.append(" + " + t)
        return pieces
    return [head + latex(value)]


def _assumption_tex(a: sp.Basic) -> str:
    if isinstance(a, sp.assumptions.AppliedPredicate):
        rel = _predicate_to_relation(a)
        if rel is not None:
            return latex(rel)
        args = ", ".join(latex(x) for x in a.arguments)
        return rf"{_tex_text(str(a.function))}({args})"
    return latex(a)


def _norm(name: str) -> str:
    return re.sub(r"[\s{}\\]|mathrm|mathbf|operatorname", "", name)
