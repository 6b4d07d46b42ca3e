r"""The quiz on paper: the questions as a reader prints them, and the key an instructor keeps.

:func:`quiz_latex` writes questions as a numbered list to answer on paper (options with a box to
tick, a grid of empty boxes for a feature map, a box for a number, a line for a formula);
:func:`quiz_key_latex` writes their key (answers, worked solutions, the known mistakes). Both are
raw LaTeX that starts with :data:`cnnmath.printable.MARKER`, so the print edition inserts them as
they are; the macros they use (``\answerbox``, ``\optionbox``) are in
:data:`cnnmath.tex.PREAMBLE`, shared with the paper exams of :mod:`cnnmath.quiz.paper`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..printable import MARKER, escape, latex_text, verbatim
from .question import Choice, Grid, Numeric, Symbolic

__all__ = ["quiz_key_latex", "quiz_latex"]


def _answer_space(q) -> str:
    a = q.answer
    if isinstance(a, Choice):
        return "\n".join(
            f"\\item[\\optionbox\\ {chr(65 + i)}.] {latex_text(o)}" for i, o in enumerate(a.options)
        ).join(["\\begin{itemize}\n", "\n\\end{itemize}"])
    if isinstance(a, Grid):
        rows, cols = a.value.shape if a.value.ndim == 2 else (1, a.value.size)
        cell = r"\rule{0pt}{1.5em}\rule{2.4em}{0pt}"
        grid = "\\\\ \\hline\n".join(" & ".join([cell] * cols) for _ in range(rows))
        return (
            f"\\par\\medskip\\noindent Answer:\\quad"
            f"\\begin{{tabular}}[t]{{|{'c|' * cols}}}\\hline\n{grid}\\\\ \\hline\n\\end{{tabular}}"
        )
    if isinstance(a, (Numeric, Symbolic)):
        width = "0.6\\linewidth" if isinstance(a, Symbolic) else "4cm"
        return f"\\par\\medskip\\noindent Answer:\\quad\\answerbox{{{width}}}"
    raise ValueError(f"question {q.id} has an answer of unknown type {type(a).__name__}")


def quiz_latex(questions: Sequence, *, title: str = "") -> str:
    r"""The questions as a numbered list to answer on paper: the text (its math typeset), the
    data in monospace, the options of a multiple choice with a box to tick, a grid of empty boxes
    for a feature map, a box for a number and a line for a formula, and how to write the answer.
    No answer, seed or kind is printed."""
    if not questions:
        raise ValueError("questions must hold at least one question")
    items = []
    for q in questions:
        parts = [f"\\item \\textbf{{{escape(q.title)}.}} {latex_text(q.text)}"]
        if q.code:
            parts.append(verbatim(q.code))
        parts.append(_answer_space(q))
        parts.append(
            f"\\par\\smallskip{{\\footnotesize\\itshape {latex_text(q.answer.instructions())}}}"
        )
        items.append("\n".join(parts))
    return _numbered(items, title)


def _numbered(items: list[str], title: str) -> str:
    """The items as a numbered list under an optional title, marked raw LaTeX."""
    head = f"\\paragraph{{{title}}}\n" if title else ""
    return (
        f"{MARKER}\n{head}\\begin{{enumerate}}\n"
        + "\n\\medskip\n".join(items)
        + "\n\\end{enumerate}"
    )


def _value_latex(q, value=None) -> str:
    a = q.answer
    if isinstance(a, Symbolic):
        return f"${a.latex(value)}$"
    text = a.text(value)
    if "\n" in text:
        return "\n" + verbatim(text, size="footnotesize")
    return latex_text(text) if "$" in text else escape(text)


def quiz_key_latex(questions: Sequence, *, title: str = "") -> str:
    r"""The key of :func:`quiz_latex`'s questions, for an instructor: each question's kind and
    seed (which regenerate it: ``python -m cnnmath.quiz show KIND --seed SEED``), its answer,
    the worked solution, and every known mistake with the answer it gives and its feedback."""
    if not questions:
        raise ValueError("questions must hold at least one question")
    items = []
    for q in questions:
        a = q.answer
        parts = [
            f"\\item \\textbf{{{escape(q.title)}}} (\\texttt{{{escape(q.kind)}}}, seed {q.seed})."
        ]
        if isinstance(a, Choice):
            parts.append(f"Answer: {chr(65 + a.correct)}. {latex_text(a.options[a.correct])}\\par")
        else:
            parts.append(f"Answer: {_value_latex(q)}\\par")
        parts.append(f"\\textit{{Worked solution.}} {_solution_latex(q.solution)}\\par")
        mistakes = []
        if isinstance(a, Choice):
            for i, opt in enumerate(a.options):
                m = a.mistake_of(i)
                if m is not None:
                    mistakes.append(
                        f"\\item[{chr(65 + i)}.] \\texttt{{{escape(m.key)}}}: {latex_text(m.feedback())}"
                    )
        else:
            for value, m in a.distractors:
                mistakes.append(
                    f"\\item \\texttt{{{escape(m.key)}}} gives {_value_latex(q, value)}: "
                    f"{latex_text(m.feedback())}"
                )
        if mistakes:
            parts.append(
                "\\textit{Known mistakes.}\n\\begin{itemize}\n"
                + "\n".join(mistakes)
                + "\n\\end{itemize}"
            )
        items.append("\n".join(parts))
    return _numbered(items, title)


def _solution_latex(text: str) -> str:
    """A worked solution: prose with math, and any block of aligned numbers kept as it is."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        lines = block.splitlines()
        if lines and all(re.fullmatch(r"[\s\d.eE+\-;]+", ln) for ln in lines):
            out.append(verbatim(block, size="footnotesize"))
        else:
            out.append(latex_text(block))
    return "\n\\par\n".join(out)
