"""GIFT, Moodle's plain-text question format, escaped as Moodle's own exporter escapes it.

GIFT gives ``~ = # { } :`` a meaning, so every one of them in a text is written with a backslash
(and a backslash itself as two); new lines become ``\\n``. LaTeX survives this: ``\\frac{a}{b}``
is written ``\\\\frac\\{a\\}\\{b\\}`` and Moodle reads it back as it was. Texts are HTML
(``[html]``), with math in ``\\(...\\)``. Each kind's variants follow a ``$CATEGORY:`` line.

Numeric questions are numerical questions with a wrong answer per known mistake (weight 0, its
own tolerance), formulas too, as their value at a point; GIFT has no embedded answers, so grids
are multiple choice with at least four options.
"""

from __future__ import annotations

from .lms import (
    as_choice,
    math_html,
    name,
    number_text,
    numeric_answers,
    option_html,
    question_html,
    solution_html,
)
from .question import Question

_RESERVED = {
    "\\": "\\\\",
    "~": "\\~",
    "=": "\\=",
    "#": "\\#",
    "{": "\\{",
    "}": "\\}",
    ":": "\\:",
    "\n": "\\n",
    "\r": "",
}


def escape(text: str) -> str:
    """Text for GIFT: ``~ = # { } :`` and the backslash escaped, new lines as ``\\n``."""
    return "".join(_RESERVED.get(ch, ch) for ch in text)


def _question(q: Question, secret: bytes | None = None) -> str:
    head = f"::{escape(name(q, secret))}::[html]{escape(question_html(q))}"
    general = f"\t####{escape(solution_html(q))}\n"
    if as_choice(q):
        lines = [
            f"\t{'=' if ok else '~'}{escape(option_html(q, opt))}#{escape(math_html(fb))}"
            for opt, ok, fb in q.options()
        ]
        return head + "{\n" + "\n".join(lines) + "\n" + general + "}\n"
    _, answers = numeric_answers(q)
    lines = [
        f"\t=%{100 if i == 0 else 0}%{number_text(v)}:{number_text(t)}#{escape(math_html(fb))}"
        for i, (v, t, fb) in enumerate(answers)
    ]
    lines.append(
        "\t~#"
        + escape(
            math_html("Not correct, and not one of the known mistakes: see the worked solution.")
        )
    )
    return head + "{#\n" + "\n".join(lines) + "\n" + general + "}\n"


def to_gift(groups: list[tuple[str, list[Question]]], secret: bytes | None = None) -> str:
    out = ["// cnnmath question bank: each category holds seeded variants of one question.\n"]
    for category, questions in groups:
        out.append(f"$CATEGORY: $course$/{category}\n")
        out += [_question(q, secret) for q in questions]
    return "\n".join(out)
