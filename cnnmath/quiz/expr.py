"""Students' formulas read into SymPy by a small parser: the text is never evaluated as Python.

The grammar is school algebra: numbers, the names a question allows (its symbols and a few
functions), ``+ - * /``, powers with ``^`` or ``**``, parentheses, and implicit multiplication
(``2x``, ``2(x+1)``, ``(a-y)x``). Anything else (attribute access, strings, calls of unknown
names, Python syntax) is rejected with a message that says where the text went wrong. Sizes are
bounded (length, nesting, exponents), so no formula can make SymPy work for long.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping

import mpmath
import numpy as np
import sympy as sp

MAX_LENGTH = 400
MAX_DEPTH = 40
MAX_EXPONENT = 64
MAX_POWER_BITS = 4096

#: Functions a formula may call, by the names students write.
FUNCTIONS: dict[str, object] = {
    "exp": sp.exp,
    "log": sp.log,
    "ln": sp.log,
    "sqrt": sp.sqrt,
    "tanh": sp.tanh,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "abs": sp.Abs,
    "sigma": lambda z: 1 / (1 + sp.exp(-z)),
    "sigmoid": lambda z: 1 / (1 + sp.exp(-z)),
}
CONSTANTS: dict[str, sp.Expr] = {"e": sp.E, "pi": sp.pi}

_TOKEN = re.compile(
    r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z_0-9]*)|"
    r"(\*\*|[-+*/^(),]))"
)


class FormulaError(ValueError):
    """A formula that cannot be read; the message says why and where."""


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FormulaError(f"unexpected character {text[pos]!r} at position {pos + 1}")
        num, name, op = m.groups()
        start = m.start(m.lastindex)
        if num is not None:
            if len(num) > 30:
                raise FormulaError(f"the number at position {start + 1} is too long")
            out.append(("num", num, start))
        elif name is not None:
            out.append(("name", name, start))
        else:
            out.append(("op", op, start))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str, symbols: Mapping[str, sp.Symbol]):
        self.toks = _tokens(text)
        self.i = 0
        self.symbols = dict(symbols)
        self.depth = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str, int]:
        tok = self.peek()
        if tok is None:
            raise FormulaError(
                "the formula ends too early" + (f" (expected {value!r})" if value else "")
            )
        if value is not None and tok[1] != value:
            raise FormulaError(f"expected {value!r} at position {tok[2] + 1}, found {tok[1]!r}")
        self.i += 1
        return tok

    def parse(self) -> sp.Expr:
        if not self.toks:
            raise FormulaError("the formula is empty")
        e = self.sum()
        tok = self.peek()
        if tok is not None:
            raise FormulaError(f"unexpected {tok[1]!r} at position {tok[2] + 1}")
        return e

    def sum(self) -> sp.Expr:
        e = self.product()
        while (tok := self.peek()) is not None and tok[1] in "+-" and tok[0] == "op":
            self.take()
            rhs = self.product()
            e = e + rhs if tok[1] == "+" else e - rhs
        return e

    def product(self) -> sp.Expr:
        e = self.unary()
        while (tok := self.peek()) is not None:
            if tok[0] == "op" and tok[1] in ("*", "/"):
                self.take()
                rhs = self.unary()
                e = e * rhs if tok[1] == "*" else e / rhs
            elif tok[0] in ("num", "name") or tok[1] == "(":  # implicit multiplication: 2x, (a-y)x
                e = e * self.power()
            else:
                break
        return e

    def unary(self) -> sp.Expr:
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in "+-":
            self.take()
            self._enter()
            e = self.unary()
            self.depth -= 1
            return -e if tok[1] == "-" else e
        return self.power()

    def power(self) -> sp.Expr:
        base = self.atom()
        tok = self.peek()
        if tok is not None and tok[1] in ("^", "**"):
            self.take()
            self._enter()
            exponent = self.unary()
            self.depth -= 1
            if exponent.is_number and abs(complex(exponent)) > MAX_EXPONENT:
                raise FormulaError(
                    f"the exponent at position {tok[2] + 2} is larger than {MAX_EXPONENT}"
                )
            if base.is_Rational and exponent.is_Number and base not in (0, 1, -1):
                # an exact power of a number is computed at once: bound its size first
                r = sp.Rational(base)
                size = abs(math.log2(abs(r.p)) - math.log2(r.q))
                if abs(float(exponent)) * size > MAX_POWER_BITS:
                    raise FormulaError(f"the power at position {tok[2] + 1} is too large")
            return base**exponent
        return base

    def atom(self) -> sp.Expr:
        kind, value, pos = self.take()
        if kind == "num":
            exp = re.search(r"[eE]([+-]?\d+)$", value)
            if exp and abs(int(exp.group(1))) > 30:
                raise FormulaError(f"the number at position {pos + 1} is out of range")
            return sp.Rational(value)  # exact: 0.1 is 1/10
        if kind == "name":
            if self.peek() is not None and self.peek()[1] == "(" and value in FUNCTIONS:
                self.take("(")
                self._enter()
                arg = self.sum()
                self.depth -= 1
                self.take(")")
                return FUNCTIONS[value](arg)  # type: ignore[operator]
            if value in self.symbols:
                return self.symbols[value]
            if value in CONSTANTS:
                return CONSTANTS[value]
            if value in FUNCTIONS:
                raise FormulaError(f"{value} at position {pos + 1} must be followed by '('")
            known = sorted(self.symbols) + sorted(FUNCTIONS) + sorted(CONSTANTS)
            raise FormulaError(
                f"unknown name {value!r} at position {pos + 1}; known: {', '.join(known)}"
            )
        if value == "(":
            self._enter()
            e = self.sum()
            self.depth -= 1
            self.take(")")
            return e
        raise FormulaError(f"unexpected {value!r} at position {pos + 1}")

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(f"the formula nests deeper than {MAX_DEPTH} levels")


def parse_formula(text: str, symbols: Mapping[str, sp.Symbol]) -> sp.Expr:
    """The SymPy expression that ``text`` writes, over the given ``symbols`` (names -> Symbols)."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text; got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters")
    return _Parser(text, symbols).parse()


#: Values beyond this magnitude count as overflow: the formula is not comparable there.
MAX_MAGNITUDE = 1e100
#: How many points :func:`equivalent` draws for each comparison.
POINTS = 24


class _Overflow(ArithmeticError):
    pass


def _value(e: sp.Expr, at: Mapping[sp.Symbol, mpmath.mpf]) -> mpmath.mpc:
    """``e`` at the point ``at`` in 30-digit arithmetic, node by node (bounded work).

    Only the node types the parser builds are known; every intermediate value is checked against
    :data:`MAX_MAGNITUDE`, so ``exp(exp(exp(exp(5))))`` overflows at once instead of asking
    SymPy for a number with 10^64 digits.
    """
    if e.is_Symbol:
        v = at[e]
    elif e.is_Number:
        v = mpmath.mpf(sp.Rational(e).p) / sp.Rational(e).q if e.is_Rational else mpmath.mpf(e)
    elif e is sp.E:
        v = mpmath.e
    elif e is sp.pi:
        v = mpmath.pi
    elif e is sp.I:
        v = mpmath.mpc(0, 1)
    elif e.is_Add:
        v = mpmath.fsum(_value(a, at) for a in e.args)
    elif e.is_Mul:
        v = mpmath.mpf(1)
        for a in e.args:
            v = v * _value(a, at)
            _check(v)
    elif e.is_Pow:
        base, exponent = _value(e.args[0], at), _value(e.args[1], at)
        if base == 0:
            if mpmath.re(exponent) <= 0:
                raise ZeroDivisionError
            v = mpmath.mpf(0)
        else:
            logmag = mpmath.re(exponent * mpmath.log(base))
            if logmag > 231:  # e^231 > 1e100
                raise _Overflow
            v = mpmath.power(base, exponent)
    elif isinstance(e, sp.exp):
        arg = _value(e.args[0], at)
        if mpmath.re(arg) > 231:
            raise _Overflow
        v = mpmath.exp(arg)
    elif isinstance(e, sp.log):
        arg = _value(e.args[0], at)
        if arg == 0:
            raise ZeroDivisionError
        v = mpmath.log(arg)
    elif isinstance(e, (sp.tanh, sp.sinh, sp.cosh)):
        arg = _value(e.args[0], at)
        if abs(mpmath.re(arg)) > 231:
            raise _Overflow
        v = {sp.tanh: mpmath.tanh, sp.sinh: mpmath.sinh, sp.cosh: mpmath.cosh}[e.func](arg)
    elif isinstance(e, sp.Abs):
        v = abs(_value(e.args[0], at))
    else:
        raise TypeError(f"cannot evaluate {e.func.__name__}")
    _check(v)
    return v


def value_at(e: sp.Expr, at: Mapping[sp.Symbol, mpmath.mpf]) -> mpmath.mpc:
    """``e`` at the point ``at`` (symbols to mpmath numbers), with bounded work; raises
    ``ArithmeticError`` where ``e`` is undefined or overflows there."""
    return _value(e, at)


def _check(v: mpmath.mpc) -> None:
    if not mpmath.isfinite(v) or abs(v) > MAX_MAGNITUDE:
        raise _Overflow


def _points(a: sp.Expr, b: sp.Expr, n: int, k: int, domain: tuple[float, float]) -> list:
    """``n`` points of ``domain``^k drawn from a generator seeded by both expressions.

    The points are new for every pair of formulas, so no formula can be built to agree with the
    answer at them (as it could with fixed points), and the same pair gets the same verdict.
    """
    digest = hashlib.sha256(f"{sp.srepr(a)}\n{sp.srepr(b)}".encode()).digest()
    rng = np.random.default_rng(list(digest[:16]))
    lo, hi = domain
    return (lo + (hi - lo) * rng.random((n, k))).tolist()


def equivalent(
    a: sp.Expr,
    b: sp.Expr,
    symbols: Mapping[str, sp.Symbol],
    domain: tuple[float, float] = (0.1, 0.9),
    points: int = POINTS,
    rtol: float = 1e-9,
) -> bool:
    """Whether two expressions take the same values at ``points`` random points of ``domain``.

    Each comparison draws its own points (:func:`_points`, seeded by the two expressions, so the
    verdict is reproducible) and evaluates both formulas there in 30-digit arithmetic with
    bounded magnitudes (:func:`_value`); they are equivalent when every pair agrees to the
    relative tolerance ``rtol``. This is how computer-algebra graders compare answers: it accepts
    every rewriting of the right formula, which ``simplify`` cannot always bring to the same
    form, while two different analytic expressions agree at ``points`` random points only on a
    set of probability zero. A point where either formula is undefined or overflows makes them
    not equivalent.
    """
    syms = list(symbols.values())
    with mpmath.workdps(30):
        for p in _points(a, b, points, len(syms), domain):
            at = {s: mpmath.mpf(x) for s, x in zip(syms, p)}
            try:
                va, vb = complex(_value(a, at)), complex(_value(b, at))
            except (_Overflow, ZeroDivisionError, TypeError, ValueError):
                return False
            if abs(va - vb) > rtol * max(1.0, abs(va), abs(vb)):
                return False
    return True
