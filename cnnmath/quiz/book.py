"""The quiz at the end of a chapter: a small self-contained widget in the notebook and the book.

``show_quiz("convolution")`` displays one question of each of the chapter's generators (or ``n``
of them) in ``versions`` versions, made from the seeds ``seed``, ``seed + 1``, ...; the page shows
one version at a time, a different one at each load (the next in turn, remembered in the
browser's local storage where it may be, else drawn at random), and a button gives the next.
Everything travels inside the cell's output (the questions as HTML, the answers' ranges as JSON,
the widget's own JavaScript and CSS, :mod:`cnnmath.quiz` files ``widget.js`` and ``widget.css``),
so the built page works from a file with no server and no network. The output is the same at
every run (nbval compares it).

What a reader may expect of it:

- every question is a ``fieldset`` whose ``legend`` is the question; options are native radio
  buttons (arrow keys move the choice and never submit), a numeric answer is a labelled text
  field; "Check" submits (Enter in the field too), and the verdict is announced (``role=status``)
  in words, not by colour alone; the answer can be changed and checked again;
- colours meet WCAG AA (4.5:1 for text) in light and dark mode (the book's theme and JupyterLab's);
  every focusable element shows a focus ring;
- formulas are typeset by the page's own MathJax (the book's offline copy) when it is ready,
  however late: the widget waits for it and never loads one itself; rendered formulas are taken
  out of the Tab order, so Tab goes from one question's answer to its "Check" button;
- a printable ``text/latex`` form (the first version: questions, options, a box for each answer,
  by :mod:`cnnmath.printable`) for the book's PDF edition, and a ``text/plain`` one.

Numeric answers accept the question's tolerance; each known mistake is a wrong range with its
own feedback. Grid and symbolic answers are shown as multiple choice (grids as preformatted
text, formulas as LaTeX), the distractors being the known mistakes.
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources

import numpy as np

from . import printed
from .catalogue import generators
from .question import Numeric, Question
from .registry import TOPICS, check_seed, check_topic

DEFAULT_VERSIONS = 5


def quiz(topic: str, seed: int = 0, n: int | None = None) -> list[Question]:
    """One question per generator of chapter ``topic`` made with ``seed``, in the book's order.

    With ``n`` smaller than the number of generators, ``n`` of them are chosen (by the seed).
    """
    check_topic(topic)
    seed = check_seed(seed)
    gens = generators(topic)
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n (the number of questions) must be a whole number >= 1; got {n!r}")
        if n < len(gens):
            keep = sorted(
                np.random.default_rng([seed, len(gens)]).choice(len(gens), n, replace=False)
            )
            gens = [gens[int(i)] for i in keep]
    return [g(seed) for g in gens]


def _round(v: float) -> float:
    """Answers as stored in the page: 12 significant digits, the same on every machine."""
    return float(f"{float(v):.12g}")


# --------------------------------------------------------------------------------------------
# the question's text: Markdown with $...$ as HTML with MathJax's delimiters
# --------------------------------------------------------------------------------------------

_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|`([^`]+)`", re.S)


def text_html(text: str) -> str:
    """Question text (Markdown with ``$...$`` math and ``code``) as HTML: ``\\(...\\)`` math
    for MathJax, ``<code>`` for code, everything else escaped."""
    out, last = [], 0
    for m in _MATH.finditer(text):
        out.append(html.escape(text[last : m.start()], quote=False))
        display, inline, code = m.groups()
        if code is not None:
            out.append(f"<code>{html.escape(code, quote=False)}</code>")
        elif display is not None:
            out.append(f"\\[{html.escape(display, quote=False)}\\]")
        else:
            out.append(f"\\({html.escape(inline, quote=False)}\\)")
        last = m.end()
    out.append(html.escape(text[last:], quote=False))
    return "".join(out)


# --------------------------------------------------------------------------------------------
# one question as data (what the script checks) and as HTML (what the reader sees)
# --------------------------------------------------------------------------------------------


def answer_data(q: Question) -> dict:
    """What the widget needs to check an answer to ``q``, without the question's text.

    Numeric: ``{"kind": "numeric", "ranges": [[lo, hi, correct, feedback], ...], "other":
    feedback}``, the right range first, then one per known mistake (feedback as HTML).
    Otherwise: ``{"kind": "choice", "options": [[correct, feedback], ...]}`` in the order shown.
    """
    a = q.answer
    if isinstance(a, Numeric):

        def span(v: float) -> list[float]:
            # each value at the precision the student is told to give (Numeric.tol_of), widened
            # only relatively, past the 12-digit rounding: no absolute slack that accepts 0
            margin = max(a.tol_of(v), 1e-11 * abs(v))
            return [_round(v - margin), _round(v + margin)]

        ranges = [[*span(a.number), True, "Correct."]]
        ranges += [[*span(v), False, text_html(m.feedback())] for v, m in a.distractors]
        other = "Not correct, and not one of the known mistakes. " + text_html(a.instructions())
        return {"kind": "numeric", "ranges": ranges, "other": other}
    options = [[bool(correct), text_html(feedback)] for _, correct, feedback in q.options()]
    return {"kind": "choice", "options": options}


def _question_html(q: Question, qid: str) -> str:
    a = q.answer
    parts = [
        f'<li class="cq-question" id="{qid}">',
        f'<fieldset><legend><span class="cq-text">{text_html(q.text)}</span>'
        f' <span class="cq-id">[{html.escape(q.id)}]</span></legend>',
    ]
    if q.code:
        parts.append(f'<pre class="cq-code">{html.escape(q.code, quote=False)}</pre>')
    if isinstance(a, Numeric):
        parts.append(
            f'<p class="cq-field"><label for="{qid}-answer">Your answer</label> '
            f'<input type="text" id="{qid}-answer" class="cq-input" inputmode="decimal"'
            f' autocomplete="off" spellcheck="false" aria-describedby="{qid}-hint">'
            f' <span class="cq-hint" id="{qid}-hint">{text_html(a.instructions())}</span></p>'
        )
    else:
        parts.append('<div class="cq-options">')
        for k, (option, _, _) in enumerate(q.options()):
            shown = (
                f'<pre class="cq-grid">{html.escape(option, quote=False)}</pre>'
                if a.type == "grid"
                else f'<span class="cq-option-text">{text_html(option)}</span>'
            )
            parts.append(
                f'<label class="cq-option" for="{qid}-o{k}">'
                f'<input type="radio" name="{qid}" id="{qid}-o{k}" value="{k}">'
                f'<span class="cq-letter">{"abcdefghij"[k]})</span> {shown}</label>'
            )
        parts.append("</div>")
    parts.append(
        f'<p class="cq-actions"><button type="button" class="cq-check">Check</button></p>'
        f'<p class="cq-feedback" role="status" aria-live="polite" id="{qid}-feedback"></p>'
        "</fieldset></li>"
    )
    return "".join(parts)


def _asset(name: str) -> str:
    return resources.files("cnnmath.quiz").joinpath(name).read_text(encoding="utf-8")


def _check_versions(versions: object) -> int:
    if isinstance(versions, bool) or not isinstance(versions, int) or not 1 <= versions <= 20:
        raise ValueError(f"versions must be a whole number from 1 to 20; got {versions!r}")
    return versions


def quiz_html(chapter: str, seed: int = 0, n: int | None = None, versions: int = 5) -> str:
    """The quiz widget as one self-contained HTML fragment (deterministic)."""
    versions = _check_versions(versions)
    seed = check_seed(seed)
    check_topic(chapter)
    name = f"cq-{chapter}-{seed}" + ("" if n is None else f"-{n}")
    blocks, data = [], []
    for v in range(versions):
        questions = quiz(chapter, seed + v, n)
        items = "".join(
            _question_html(q, f"{name}-v{v}-q{k}") for k, q in enumerate(questions, start=1)
        )
        hidden = "" if v == 0 else " hidden"
        blocks.append(
            f'<div class="cq-version" data-version="{v}"{hidden}>'
            f'<ol class="cq-list">{items}</ol></div>'
        )
        data.append([answer_data(q) for q in questions])
    payload = json.dumps({"versions": data}, sort_keys=True, separators=(",", ":"))
    payload = payload.replace("</", "<\\/")  # nothing in the JSON can close the script element
    label = f"Quiz: {chapter.replace('_', ' ')}"
    status = (
        f'<p class="cq-status"><span class="cq-which" aria-live="polite">Version 1 of '
        f"{versions}</span>"
        + (
            ' <button type="button" class="cq-another">Another version</button>'
            if versions > 1
            else ""
        )
        + "</p>"
    )
    return (
        f"<style>{_asset('widget.css')}</style>"
        f'<section class="cnnmath-quiz mathjax_process" id="{name}" aria-label="{label}"'
        f' data-name="{name}">{status}{"".join(blocks)}'
        f'<script type="application/json" class="cq-data">{payload}</script></section>'
        f"<script>{_asset('widget.js')}</script>"
    )


def quiz_latex(chapter: str, seed: int = 0, n: int | None = None) -> str:
    """The quiz for print (the version of ``seed``): :func:`cnnmath.quiz.printed.quiz_latex` of
    its questions (marked raw LaTeX: the text, the options with boxes to tick, a box per number)."""
    return printed.quiz_latex(quiz(chapter, seed, n))


def quiz_text(chapter: str, seed: int = 0, n: int | None = None) -> str:
    """The quiz as plain text (the version of ``seed``), for a terminal."""
    lines = []
    for k, q in enumerate(quiz(chapter, seed, n), start=1):
        lines.append(f"{k}. {q.text} [{q.id}]")
        if q.code:
            lines.append(q.code)
        if not isinstance(q.answer, Numeric):
            for letter, (option, _, _) in zip("abcdefghij", q.options()):
                lines.append(f"   {letter}) " + option.replace("\n", "\n      "))
    return "\n".join(lines)


def show_quiz(
    chapter: str, seed: int = 0, n: int | None = None, versions: int = DEFAULT_VERSIONS
) -> None:
    """Display the chapter's quiz: the widget (HTML), its printable form (LaTeX) and text."""
    from IPython.display import display

    bundle = {
        "text/html": quiz_html(chapter, seed, n, versions),
        "text/latex": quiz_latex(chapter, seed, n),
        "text/plain": quiz_text(chapter, seed, n),
    }
    display(bundle, raw=True)


__all__ = [
    "DEFAULT_VERSIONS",
    "TOPICS",
    "answer_data",
    "quiz",
    "quiz_html",
    "quiz_latex",
    "quiz_text",
    "show_quiz",
    "text_html",
]
