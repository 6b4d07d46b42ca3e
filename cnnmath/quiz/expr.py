"""Students' formulas read into SymPy by a small parser: the text is never evaluated as Python.

The grammar is school algebra: numbers, the names a question allows (its symbols and a few
functions), ``+ - * /``, powers with ``^`` or ``**``, parentheses, and implicit multiplication
(``2x``, ``2(x+1)``, ``(a-y)x``). Anything else (attribute access, strings, calls of unknown
names, Python syntax) is rejected with a message that says where the text went wrong. Sizes are
bounded (length, nesting, exponents), so no formula can make SymPy work for long.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sympy as sp

MAX_LENGTH = 400
MAX_DEPTH = 40
MAX_EXPONENT = 64

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


def equivalent(
    a: sp.Expr,
    b: sp.Expr,
    symbols: Mapping[str, sp.Symbol],
    domain: tuple[float, float] = (0.1, 0.9),
    points: int = 6,
    rtol: float = 1e-9,
) -> bool:
    """Whether two expressions take the same values at ``points`` fixed points of ``domain``.

    SymPy evaluates both with 20 significant digits at irregularly spread points (a golden-ratio
    sequence, one coordinate per symbol); they are equivalent when every pair agrees to the
    relative tolerance ``rtol``. This is how computer-algebra graders compare answers: it accepts
    every rewriting of the right formula, which ``simplify`` cannot always bring to the same
    form, and two different rational or exponential expressions cannot agree at all six points
    by accident.
    """
    syms = list(symbols.values())
    lo, hi = domain
    for k in range(points):
        subs = {
            s: sp.Float(lo + (hi - lo) * (((k + 1) * 0.6180339887 + 0.3819660113 * j) % 1.0), 30)
            for j, s in enumerate(syms)
        }
        try:
            va, vb = complex(sp.N(a.subs(subs), 20)), complex(sp.N(b.subs(subs), 20))
        except (TypeError, ValueError, ZeroDivisionError):
            return False
        if any(v != v or abs(v) == float("inf") for v in (va, vb)):
            return False
        if abs(va - vb) > rtol * max(1.0, abs(va), abs(vb)):
            return False
    return True
