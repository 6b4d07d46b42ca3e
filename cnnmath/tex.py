r"""PDF = engine(preamble + body): the one TeX setup of cnnmath, run offline.

The print edition of the book (``make pdf``, :mod:`cnnmath.print_edition`) and the paper exams of
the quiz tools typeset with the same packages and macros, :data:`PREAMBLE`, so that a formula
prints the same in both. Everything comes from Debian's TeX packages (``scripts/get-tex.sh``
installs them where ``apt-get`` can be used, never ``texlive-fonts-extra``); nothing is fetched.

The API is small:

- :data:`PREAMBLE`: the packages and macros every cnnmath document loads (math, tables, graphics,
  colour, links): append it to a document's own preamble;
- :func:`document`: a whole standalone document (``article`` by default) around a body;
- :func:`compile`: runs latexmk (or the engine itself, twice, where latexmk is missing) with
  ``-halt-on-error`` in a directory and returns the PDF's path; a failure raises
  :class:`TeXError` with the log's error, and a missing engine, tool or ``.sty`` raises
  :class:`TeXMissing`, whose message names the Debian package to install.

Example, a one-page exam sheet::

    from cnnmath import tex
    pdf = tex.compile(tex.document(r"\section*{Quiz} $y = \max(0, x)$"), "out", name="quiz")
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

from .files import write_atomically

__all__ = [
    "DEBIAN_PACKAGES",
    "ENGINES",
    "PREAMBLE",
    "TeXError",
    "TeXMissing",
    "compile",
    "document",
    "package_for",
]

#: The engines :func:`compile` can run, with the Debian package each comes from.
ENGINES: dict[str, str] = {
    "pdflatex": "texlive-latex-base",
    "xelatex": "texlive-xetex",
    "lualatex": "texlive-luatex",
}

#: The two sets ``scripts/get-tex.sh`` installs: ``minimal`` for the tests (pdflatex, amsmath,
#: pdftotext), ``full`` for the print edition and the paper exams.
DEBIAN_PACKAGES: dict[str, tuple[str, ...]] = {
    "minimal": ("texlive-latex-base", "texlive-latex-recommended", "lmodern", "poppler-utils"),
    "full": (
        "texlive-latex-base",
        "texlive-latex-recommended",
        "lmodern",
        "poppler-utils",
        "texlive-latex-extra",
        "texlive-fonts-recommended",
        "texlive-xetex",
        "texlive-plain-generic",
        "fonts-lmodern",
        "latexmk",
    ),
}

# The Debian package (bookworm's, read with `dpkg -S`) of each file that a cnnmath document (the
# book through Sphinx's LaTeX writer, an exam through PREAMBLE) may load, so that a missing one is
# named exactly; any other file falls back to texlive-latex-extra, where most of LaTeX's are.
_PACKAGE_FILES: dict[str, str] = {
    "texlive-base": "amsfonts amssymb iftex",
    "texlive-latex-base": "amsmath amsthm array babel bm colortbl fancyhdr fontenc geometry "
    "graphicx hypcap hyperref inputenc kvoptions longtable tabularx textcomp times",
    "texlive-latex-recommended": "booktabs caption cmap etoolbox fancyvrb float fontspec lineno "
    "mathtools microtype parskip polyglossia unicode-math xcolor",
    "texlive-latex-extra": "capt-of enumitem fncychap framed fvextra gensymb lastpage multirow "
    "needspace tabulary tcolorbox titlesec upquote varwidth wrapfig xstring",
    "texlive-fonts-extra": "bbm",
    "lmodern": "lmodern",
    "tex-gyre": "tgtermes tgheros tgcursor",
}
_FILE_PACKAGE: dict[str, str] = {
    **{f"{f}.sty": p for p, files in _PACKAGE_FILES.items() for f in files.split()},
    "latexmk": "latexmk",
    "pdftotext": "poppler-utils",
    **ENGINES,
}


def _scripts() -> dict[str, str]:
    """Unicode's superscript and subscript letters, digits and signs (as the sources write
    zᵗ or wₖ): each as ``\\textsuperscript`` or ``\\textsubscript`` of its letter."""
    signs = {
        "PLUS SIGN": "+",
        "MINUS": "-",
        "EQUALS SIGN": "=",
        "LEFT PARENTHESIS": "(",
        "RIGHT PARENTHESIS": ")",
    }
    digits = "ZERO ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE".split()
    out = {}
    codes = [
        *range(0x2B0, 0x2B9),
        0x2E1,
        0x2E2,
        0x2E3,
        *range(0x1D2C, 0x1D6B),
        *range(0x1D9B, 0x1DC0),
        *range(0x2070, 0x209D),
        0x2C7C,
        0x2C7D,
    ]
    for code in codes:
        ch = chr(code)
        name = unicodedata.name(ch, "")
        m = re.fullmatch(
            r"(?:MODIFIER LETTER|SUPERSCRIPT LATIN|LATIN SUBSCRIPT|SUPERSCRIPT|SUBSCRIPT)"
            r"(?: (SMALL|CAPITAL))?(?: LETTER)? (\w+|[A-Z ]+)",
            name,
        )
        if not m:
            continue
        case, what = m.groups()
        if what in digits:
            text = str(digits.index(what))
        elif what in signs:
            text = signs[what]
        elif len(what) == 1 and case:
            text = what.lower() if case == "SMALL" else what
        else:
            continue
        kind = "sub" if "SUBSCRIPT" in name and "SUPERSCRIPT" not in name else "super"
        out[ch] = f"\\text{kind}script{{{text}}}"
    return out


#: Characters of the book's texts (claims quoted from the sources, quiz questions) that
#: pdflatex's UTF-8 input does not know, each with the LaTeX that prints it; any other unknown
#: character stops pdflatex with an error ("not set up for use with LaTeX") rather than vanish.
UNICODE: dict[str, str] = {
    **{
        chr(0x3B1 + i): f"\\ensuremath{{\\{name}}}"
        for i, name in enumerate(
            "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi "
            "rho varsigma sigma tau upsilon phi chi psi omega".split()
        )
        if name not in ("omicron",)
    },
    **{
        ch: f"\\ensuremath{{\\{name}}}"
        for ch, name in zip(
            "ΓΔΘΛΞΠΣΥΦΨΩ", "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()
        )
    },
    "ο": "o",
    "∂": "\\ensuremath{\\partial}",
    "∇": "\\ensuremath{\\nabla}",
    "∈": "\\ensuremath{\\in}",
    "∉": "\\ensuremath{\\notin}",
    "∑": "\\ensuremath{\\sum}",
    "∏": "\\ensuremath{\\prod}",
    "√": "\\ensuremath{\\surd}",
    "∞": "\\ensuremath{\\infty}",
    "≈": "\\ensuremath{\\approx}",
    "≠": "\\ensuremath{\\neq}",
    "≤": "\\ensuremath{\\leq}",
    "≥": "\\ensuremath{\\geq}",
    "←": "\\ensuremath{\\leftarrow}",
    "→": "\\ensuremath{\\rightarrow}",
    "↔": "\\ensuremath{\\leftrightarrow}",
    "⇒": "\\ensuremath{\\Rightarrow}",
    "∘": "\\ensuremath{\\circ}",
    "−": "\\ensuremath{-}",
    "∓": "\\ensuremath{\\mp}",
    "⊙": "\\ensuremath{\\odot}",
    "⊗": "\\ensuremath{\\otimes}",
    "∗": "\\ensuremath{\\ast}",
    "⌊": "\\ensuremath{\\lfloor}",
    "⌋": "\\ensuremath{\\rfloor}",
    "⌈": "\\ensuremath{\\lceil}",
    "⌉": "\\ensuremath{\\rceil}",
    "ℓ": "\\ensuremath{\\ell}",
    "✓": "\\ensuremath{\\checkmark}",
    # the exercise checker's verdicts (cnnmath.exercises)
    "✅": "\\ensuremath{\\checkmark}",
    "❌": "\\ensuremath{\\times}",
    "↪": "\\ensuremath{\\hookrightarrow}",
    # superscripts and subscripts; inputenc knows the superscripts 1, 2, 3 (Latin-1)
    **{ch: tex for ch, tex in _scripts().items() if ch not in "\u00b9\u00b2\u00b3"},
    "′": "\\ensuremath{^{\\prime}}",
    # a combining accent follows its letter (y + U+0302 is y-hat): printed after it, as ^ or ~
    "\u0300": "\\textasciigrave{}",
    "\u0301": "\\textasciiacute{}",
    "\u0302": "\\textasciicircum{}",
    "\u0303": "\\textasciitilde{}",
    "\u0304": "\\textasciimacron{}",
    "\u0307": "\\textperiodcentered{}",
    "\u0308": "\\textasciidieresis{}",
    # variation selectors only choose a glyph's style: nothing to print
    "\ufe02": "",
    "\ufe0f": "",
}

#: Packages and macros shared by every cnnmath document. It loads nothing that Sphinx's LaTeX
#: writer loads with other options (so it can follow Sphinx's preamble) and only what Debian's
#: texlive-latex-base and texlive-latex-recommended hold (so an exam needs no more than those).
PREAMBLE = r"""% cnnmath.tex.PREAMBLE: shared by the print edition and the paper exams
\usepackage{amsmath,amssymb}
\usepackage{bm}
\usepackage{graphicx}
\usepackage{booktabs}
\usepackage{longtable}
\usepackage{array}
\usepackage{xcolor}
\usepackage{iftex}
% characters pdflatex's UTF-8 input does not know (cnnmath.tex.UNICODE)
\ifPDFTeX
{unicode}\fi
% the mark of a display that is shown but not checked (cnnmath.symbolic.DisplayOnly)
\providecommand{\checkmark}{\ensuremath{\surd}}
% an answer box on paper: \answerbox{width}
\providecommand{\answerbox}[1]{\fbox{\rule{0pt}{1.6em}\rule{#1}{0pt}}}
% one option of a multiple-choice question, with a box to tick
\providecommand{\optionbox}{\fbox{\rule{0pt}{0.7em}\rule{0.7em}{0pt}}}
""".replace(
    "{unicode}",
    "".join(
        f"\\DeclareUnicodeCharacter{{{ord(ch):04X}}}{{{tex}}}\n" for ch, tex in UNICODE.items()
    ),
)

_DOCUMENT_HEAD = r"""\documentclass[{options}]{{{cls}}}
{fonts}\usepackage[margin=2cm]{{geometry}}
{preamble}{extra}\usepackage[hidelinks]{{hyperref}}
"""


class TeXError(RuntimeError):
    """A LaTeX run failed; the message holds the first error of the log and the log's path."""

    def __init__(self, message: str, log: Path | None = None):
        super().__init__(message)
        self.log = log


class TeXMissing(TeXError):
    """An engine, tool or LaTeX file is not installed; ``package`` is the Debian package."""

    def __init__(self, what: str, package: str, log: Path | None = None):
        how = " or `scripts/get-tex.sh full`" if package in DEBIAN_PACKAGES["full"] else ""
        super().__init__(
            f"{what} is not installed: install Debian's {package} (apt-get install {package}{how})",
            log,
        )
        self.what = what
        self.package = package


def package_for(name: str) -> str:
    """The Debian package that holds ``name`` (an engine, a tool, or a file such as ``bbm.sty``).

    Files outside the table of those cnnmath's documents load are said to be in
    texlive-latex-extra, where most of LaTeX's packages are."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    return _FILE_PACKAGE.get(name, "texlive-latex-extra")


def document(
    body: str,
    *,
    documentclass: str = "article",
    options: str = "11pt,a4paper",
    extra_preamble: str = "",
) -> str:
    r"""The standalone LaTeX document: ``\documentclass``, :data:`PREAMBLE`, ``extra_preamble``,
    then ``body`` inside ``document``. Latin Modern fonts in T1 encoding under pdflatex; the
    ``hyperref`` package last, as it must be."""
    for arg, value in (("body", body), ("documentclass", documentclass), ("options", options)):
        if not isinstance(value, str):
            raise ValueError(f"{arg} must be a string, got {type(value).__name__}")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", documentclass):
        raise ValueError(
            f"documentclass must be a class name such as 'article', got {documentclass!r}"
        )
    fonts = (
        "\\usepackage{iftex}\n\\ifPDFTeX\\usepackage[T1]{fontenc}\\usepackage[utf8]{inputenc}"
        "\\usepackage{lmodern}\\else\\usepackage{fontspec}\\fi\n"
    )
    head = _DOCUMENT_HEAD.format(
        options=options,
        cls=documentclass,
        fonts=fonts,
        preamble=PREAMBLE,
        extra=extra_preamble
        + ("\n" if extra_preamble and not extra_preamble.endswith("\n") else ""),
    )
    return f"{head}\\begin{{document}}\n{body}\n\\end{{document}}\n"


_MISSING_FILE = re.compile(r"! LaTeX Error: File `([^']+)' not found")
_MISSING_FONT = re.compile(
    r"(?:Font \S+=(\S+) at .* not loadable|The font \"([^\"]+)\" cannot be found)"
)


def _first_error(log_text: str) -> str:
    lines = log_text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("!") or re.match(r"^\S+:\d+: ", line):
            return "\n".join(lines[i : i + 8])
    return "\n".join(lines[-15:])


def _check_log(log: Path, engine: str) -> None:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    if m := _MISSING_FILE.search(text):
        raise TeXMissing(f"the LaTeX file {m.group(1)}", package_for(m.group(1)), log)
    if m := _MISSING_FONT.search(text):
        font = m.group(1) or m.group(2)
        package = "fonts-lmodern" if "Latin Modern" in font else "texlive-fonts-recommended"
        raise TeXMissing(f"the font {font}", package, log)
    raise TeXError(f"{engine} failed (log: {log}):\n{_first_error(text)}", log)


def compile(  # noqa: A001 - the name says what it does; cnnmath.tex.compile, never bare
    source: str | os.PathLike,
    directory: str | os.PathLike,
    *,
    name: str | None = None,
    engine: str = "pdflatex",
    timeout: float = 600,
) -> Path:
    """PDF = engine(source), run in ``directory``, offline and stopping at the first error.

    ``source`` is either LaTeX text (written atomically to ``directory/name.tex``; ``name``
    defaults to ``"document"``) or the path of a ``.tex`` file already in ``directory``.
    latexmk reruns the engine until cross-references settle; without latexmk the engine runs
    twice. Returns the path of the PDF. Raises :class:`TeXMissing` (naming the Debian package)
    when the engine, latexmk's absence aside, or a file the document loads is not installed,
    :class:`TeXError` on any other LaTeX error, and ``ValueError`` on bad arguments.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {sorted(ENGINES)}, got {engine!r}")
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    directory = Path(directory)
    if isinstance(source, os.PathLike):
        tex = Path(source)
        if tex.suffix != ".tex" or not tex.is_file():
            raise ValueError(f"source must be an existing .tex file or LaTeX text, got {tex}")
        if tex.resolve().parent != directory.resolve():
            raise ValueError(f"source {tex} must be in directory {directory}")
        if name is not None and name != tex.stem:
            raise ValueError(f"name {name!r} differs from the source file's stem {tex.stem!r}")
    elif isinstance(source, str):
        if "\\begin{document}" not in source:
            raise ValueError(
                "source text must be a whole document (\\begin{document} ... ); see document()"
            )
        name = "document" if name is None else name
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
            raise ValueError(
                f"name must be a plain file stem (letters, digits, _ . -), got {name!r}"
            )
        directory.mkdir(parents=True, exist_ok=True)
        tex = directory / f"{name}.tex"
        write_atomically(tex, source)
    else:
        raise ValueError(f"source must be LaTeX text or a path, got {type(source).__name__}")
    if shutil.which(engine) is None:
        raise TeXMissing(f"the TeX engine {engine}", ENGINES[engine])

    flags = ["-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
    if shutil.which("latexmk"):
        mode = {"pdflatex": "-pdf", "xelatex": "-pdfxe", "lualatex": "-pdflua"}[engine]
        commands = [["latexmk", mode, "-silent", *[f"-latexoption={f}" for f in flags], tex.name]]
    else:
        commands = [[engine, *flags, tex.name]] * 2
    env = dict(os.environ, TEXMFOUTPUT=str(directory.resolve()))
    log = directory / f"{tex.stem}.log"
    for command in commands:
        try:
            run = subprocess.run(
                command, cwd=directory, env=env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            raise TeXError(f"{command[0]} ran longer than {timeout} s on {tex}", log) from None
        if run.returncode != 0:
            _check_log(log, engine)
    pdf = directory / f"{tex.stem}.pdf"
    if not pdf.is_file():
        _check_log(log, engine)
    return pdf
