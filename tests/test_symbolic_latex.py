"""Every derivation display is valid LaTeX, not only valid MathJax (issue 20).

A display of :class:`cnnmath.symbolic.Derivation` reaches the print edition as a notebook's
``text/latex`` output: myst-nb strips its ``$$`` and makes it a math block, and Sphinx's LaTeX
writer wraps that block in ``equation*`` and ``split``. These tests wrap displays exactly so,
with the same two functions, and compile them with pdflatex and ``-halt-on-error``:

- every derivation display stored in the chapters (``book/*.ipynb``; nbval keeps the stored
  outputs equal to a fresh run);
- displays built here from awkward constructs: reasons and titles holding every character
  that LaTeX reads as markup, names with labels, accents and Greek letters, piecewise
  functions, matrices, sums, integrals, derivatives of functions, long definitions spread
  over several lines, hand-written and display-only forms.

They need pdflatex with amsmath, amssymb and Latin Modern: Debian's texlive-latex-base,
texlive-latex-recommended and lmodern (``scripts/get-tex.sh minimal`` installs them).
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sympy as sp
from myst_nb.core.render import strip_latex_delimiters
from sphinx.util.math import wrap_displaymath

from cnnmath.symbolic import Derivation, DisplayOnly

BOOK = Path(__file__).resolve().parent.parent / "book"
PACKAGES = "texlive-latex-base texlive-latex-recommended lmodern"

# The math setup of Sphinx's LaTeX writer under pdflatex (its 'fontenc' and 'amsmath' keys).
HEAD = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{lmodern}
\usepackage{amsmath,amssymb,amstext}
\begin{document}
"""


def as_sphinx_writes_it(output: str) -> str:
    """A text/latex output as the print edition's LaTeX holds it."""
    return wrap_displaymath(strip_latex_delimiters(output), None, False)


def compile_displays(displays: list[tuple[str, str]], tmp_path: Path) -> None:
    """Compile the (label, LaTeX) pairs in one document; on failure, each alone, and fail
    naming every display that does not compile with the first error of its log."""
    if shutil.which("pdflatex") is None:
        pytest.fail(f"pdflatex is not installed: install Debian's {PACKAGES}")

    def run(name: str, bodies: list[str]) -> str | None:
        tex = tmp_path / f"{name}.tex"
        tex.write_text(HEAD + "\n\n".join(bodies) + "\n\\end{document}\n", encoding="utf-8")
        done = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode == 0:
            return None
        log = (tmp_path / f"{name}.log").read_text(encoding="utf-8", errors="replace")
        if m := re.search(r"! LaTeX Error: File `([^']+)' not found", log):
            pytest.fail(f"{m.group(1)} is not installed: install Debian's {PACKAGES}")
        errors = [ln for ln in log.splitlines() if ln.startswith("!")]
        return "; ".join(errors[:3]) or log[-500:]

    if run("all", [body for _, body in displays]) is None:
        return
    failures = []
    for i, (label, body) in enumerate(displays):
        error = run(f"one{i}", [body])
        if error:
            failures.append(f"{label}: {error}\n{body[:400]}")
    assert failures, "the document of all displays failed, but each display compiles alone"
    pytest.fail(f"{len(failures)} display(s) are not valid LaTeX:\n\n" + "\n\n".join(failures))


def stored_derivation_displays() -> list[tuple[str, str]]:
    """Every derivation display stored in the chapters, labelled by notebook and cell."""
    found = []
    for nb in sorted(BOOK.glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            for output in cell.get("outputs", []):
                text = output.get("data", {}).get("text/latex")
                if text is None:
                    continue
                text = "".join(text) if isinstance(text, list) else text
                if r"\checkmark" in text:  # the mark of a proved line: a Derivation
                    found.append((f"{nb.name} cell {i} ({cell.get('id', '')})", text))
    return found


def test_every_stored_derivation_display_compiles_under_latex(tmp_path):
    displays = stored_derivation_displays()
    # every chapter that builds a derivation stores at least one display of it
    chapters = {
        nb.name
        for nb in BOOK.glob("*.ipynb")
        if any(
            "Derivation(" in "".join(c["source"])
            for c in json.loads(nb.read_text(encoding="utf-8"))["cells"]
            if c["cell_type"] == "code"
        )
    }
    assert chapters <= {label.split(" ")[0] for label, _ in displays}
    compile_displays([(label, as_sphinx_writes_it(t)) for label, t in displays], tmp_path)


def awkward_derivations() -> list[Derivation]:
    x, z = sp.symbols("x z", real=True)
    f, E = sp.Function("f"), sp.Function("E")
    zl = sp.symbols("z^{(l)}_1:3", real=True)
    a = sp.Symbol(r"\hat{a}_{1}", positive=True)
    sigma2 = sp.Symbol("sigma^2", positive=True)
    every = "m_t x^2 {a} \\ & % $ # ~ <|> 'q' \"r\" `s` -- 1/(1+e^-z) [i] @!?*"
    out = [
        Derivation(sp.Derivative(sp.tanh(z), z), title=every).target(1 - sp.tanh(z) ** 2, every),
        Derivation(sp.Derivative(E(*zl), zl[0]), title="the bias of m_t").target(
            sp.Derivative(E(*zl), zl[0]), "E(z_1, z_2) by z_1"
        ),
        Derivation(sp.Derivative(f(x), z)).target(0, "f(x) does not depend on z"),
        Derivation(sp.Max(0, z), title="ReLU").target(sp.Piecewise((0, z <= 0), (z, True))),
        Derivation(sp.Matrix([[x, 1], [0, x]]) ** 2).target(
            sp.Matrix([[x**2, 2 * x], [0, x**2]]), "square"
        ),
        Derivation(sp.sqrt(sigma2) * a, title="sigma^2 > 0").target(a * sp.sqrt(sigma2)),
        Derivation(sp.Integral(sp.exp(-x), (x, 0, sp.oo))).target(1, "integral"),
        Derivation(x, name=DisplayOnly(r"\mathbf{x}^{\top}\mathbf{1}")).step(
            x + 0, latex=DisplayOnly(r"\hat x")
        ),
        Derivation(sp.tanh(z) + 1).step(1 + sp.tanh(z), latex=r"\tanh(z) + 1"),
        Derivation(sp.pi * z).step(z * sp.pi, latex=r"\pi z"),
    ]
    k, n = sp.Symbol("k", integer=True), sp.Symbol("n", integer=True, positive=True)
    w = sp.IndexedBase("w")
    out.append(
        Derivation(sp.Sum(w[k] * 2, (k, 1, n)), title="sum").target(
            2 * sp.Sum(w[k], (k, 1, n)), "linearity"
        )
    )
    xs = sp.symbols("x_1:41", real=True)
    T = sp.Symbol("T")
    out.append(
        Derivation(T, where={T: sum(-(xi**3) for xi in xs)}).target(-sum(xi**3 for xi in xs))
    )
    y = sp.Symbol("y")
    out.append(Derivation(y, assuming=[sp.Eq(y, 2 * x), sp.Q.positive(x), x < 3]).target(2 * x))
    i, j = sp.symbols("i j", integer=True)
    X, S = sp.IndexedBase(r"\hat{x}"), sp.Symbol("S")
    entries = {(r, c): sp.Symbol(f"x_{{{r},{c}}}", real=True) for r in (0, 1) for c in (0, 1)}
    out.append(
        Derivation(S, where={S: sp.Sum(X[i, j] ** 2, (i, 0, 1), (j, 0, 1)), X: entries})
        .step(sp.Sum(sp.Sum(X[i, j] ** 2, (j, 0, 1)), (i, 0, 1)), "rows, then columns")
        .target(sum(v**2 for v in entries.values()))
    )
    out.append(Derivation(sp.Product(k, (k, 1, n))).target(sp.factorial(n), "n!"))
    return out


def test_awkward_derivations_compile_under_latex(tmp_path):
    displays = []
    for i, d in enumerate(awkward_derivations()):
        output = d._repr_latex_()
        # as the print edition writes it, and as a plain LaTeX display (Jupyter's $$...$$)
        displays.append((f"awkward {i} (Sphinx)", as_sphinx_writes_it(output)))
        displays.append((f"awkward {i} (display)", f"\\[\n{d.latex()}\n\\]"))
    compile_displays(displays, tmp_path)


def test_random_reasons_compile_under_latex(tmp_path):
    rng = random.Random(7)
    alphabet = [chr(c) for c in range(32, 127)]
    x = sp.Symbol("x")
    d = Derivation(x, title="".join(rng.choice(alphabet) for _ in range(30)))
    for _ in range(40):
        d.step(x, "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))))
    compile_displays([("random reasons", as_sphinx_writes_it(d._repr_latex_()))], tmp_path)
