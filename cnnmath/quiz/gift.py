"""GIFT, Moodle's plain-text question format, escaped as Moodle's own exporter escapes it.

GIFT gives ``~ = # { } :`` a meaning, so every one of them in a text is written with a backslash
(and a backslash itself as two); new lines become ``\\n``. LaTeX survives this: ``\\frac{a}{b}``
is written ``\\\\frac\\{a\\}\\{b\\}`` and Moodle reads it back as it was. Texts are HTML
(``[html]``), with math in ``\\(...\\)``. Each kind's variants follow a ``$CATEGORY:`` line.
"""

from __future__ import annotations

from .export import as_choice, math_html, number_text, option_html, question_html, solution_html
from .question import Numeric, Question

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


def _question(q: Question) -> str:
    head = f"::{escape(f'{q.title} [{q.id}]')}::[html]{escape(question_html(q))}"
    general = f"\t####{escape(solution_html(q))}\n"
    if as_choice(q):
        lines = [
            f"\t{'=' if ok else '~'}{escape(option_html(q, opt))}#{escape(math_html(fb))}"
            for opt, ok, fb in q.options()
        ]
        return head + "{\n" + "\n".join(lines) + "\n" + general + "}\n"
    a = q.answer
    assert isinstance(a, Numeric)
    tol = number_text(a.tol)
    lines = [f"\t=%100%{number_text(a.number)}:{tol}#{escape(math_html('Correct.'))}"]
    lines += [
        f"\t=%0%{number_text(v)}:{tol}#{escape(math_html(m.feedback()))}" for v, m in a.distractors
    ]
    lines.append(
        "\t~#"
        + escape(
            math_html("Not correct, and not one of the known mistakes: see the worked solution.")
        )
    )
    return head + "{#\n" + "\n".join(lines) + "\n" + general + "}\n"


def to_gift(groups: list[tuple[str, list[Question]]]) -> str:
    out = ["// cnnmath question bank: each category holds seeded variants of one question.\n"]
    for category, questions in groups:
        out.append(f"$CATEGORY: $course$/{category}\n")
        out += [_question(q) for q in questions]
    return "\n".join(out)
