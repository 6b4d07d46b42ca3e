"""Moodle XML (the format of Moodle's question bank import), one category per question kind.

- numeric answers: ``numerical`` questions: the right answer with its tolerance (fraction 100),
  then one answer per known mistake (fraction 0, its own tolerance, the mistake's feedback), then
  ``*`` for any other answer. Moodle takes the first answer an attempt is within the tolerance of,
  and the right one comes first;
- grids: ``cloze`` (embedded answers): a table with one numerical field per entry, each worth the
  same, so a grid earns partial credit entry by entry; the known mistakes' grids and what they
  mean are in the general feedback, shown after the attempt;
- formulas: numerical, as their value at a point (:func:`~cnnmath.quiz.lms.formula_at_a_point`);
- choices: ``multichoice`` with one right answer.

The worked solution is the general feedback. Names carry an opaque code, never the seed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .lms import (
    as_choice,
    math_html,
    mistakes_html,
    name,
    number_text,
    numeric_answers,
    option_html,
    question_html,
    solution_html,
)
from .question import Grid, Question

OTHER = "Not correct, and not one of the known mistakes: see the worked solution."


def _text(
    parent: ET.Element, tag: str, text: str, fmt: str | None = "html", **attrs: str
) -> ET.Element:
    el = ET.SubElement(parent, tag, ({"format": fmt} if fmt else {}) | attrs)
    ET.SubElement(el, "text").text = text
    return el


def _common(
    q: Question, qtype: str, root: ET.Element, secret: bytes | None, text: str, general: str
) -> ET.Element:
    el = ET.SubElement(root, "question", {"type": qtype})
    _text(el, "name", name(q, secret), fmt=None)
    _text(el, "questiontext", text)
    _text(el, "generalfeedback", general)
    ET.SubElement(el, "defaultgrade").text = "1.0000000"
    ET.SubElement(el, "penalty").text = "0.3333333"
    ET.SubElement(el, "hidden").text = "0"
    ET.SubElement(el, "idnumber").text = name(q, secret).rsplit("[", 1)[1].rstrip("]")
    return el


def _numerical(q: Question, root: ET.Element, secret: bytes | None) -> None:
    el = _common(q, "numerical", root, secret, question_html(q), solution_html(q))
    _, answers = numeric_answers(q)
    rows = [
        (number_text(v), "100" if i == 0 else "0", fb, number_text(t))
        for i, (v, t, fb) in enumerate(answers)
    ]
    rows.append(("*", "0", OTHER, "0"))
    for value, fraction, feedback, t in rows:
        ans = ET.SubElement(el, "answer", {"fraction": fraction, "format": "moodle_auto_format"})
        ET.SubElement(ans, "text").text = value
        _text(ans, "feedback", math_html(feedback))
        ET.SubElement(ans, "tolerance").text = t
    ET.SubElement(el, "unitgradingtype").text = "0"
    ET.SubElement(el, "unitpenalty").text = "0.1000000"
    ET.SubElement(el, "showunits").text = "3"
    ET.SubElement(el, "unitsleft").text = "0"


def cloze_field(value: float, tol: float) -> str:
    """One embedded numerical field: ``{1:NUMERICAL:=value:tolerance#Correct.}``."""
    return f"{{1:NUMERICAL:={number_text(value)}:{number_text(tol)}#Correct.}}"


def grid_cloze_html(q: Question) -> str:
    """The grid question's text followed by a table of embedded fields, one per entry."""
    a = q.answer
    assert isinstance(a, Grid)
    rows = "".join(
        "<tr>" + "".join(f"<td>{cloze_field(v, a.tol)}</td>" for v in row) + "</tr>"
        for row in a.array
    )
    r, c = a.array.shape
    return (
        question_html(q)
        + f"<p>Enter the {r} &times; {c} result, one number per box:</p>"
        + f"<table>{rows}</table>"
    )


def _cloze(q: Question, root: ET.Element, secret: bytes | None) -> None:
    el = _common(q, "cloze", root, secret, grid_cloze_html(q), mistakes_html(q) + solution_html(q))
    el.remove(el.find("defaultgrade"))  # a cloze question's grade is its number of fields


def _multichoice(q: Question, root: ET.Element, secret: bytes | None) -> None:
    el = _common(q, "multichoice", root, secret, question_html(q), solution_html(q))
    ET.SubElement(el, "single").text = "true"
    ET.SubElement(el, "shuffleanswers").text = "true"
    ET.SubElement(el, "answernumbering").text = "abc"
    ET.SubElement(el, "showstandardinstruction").text = "0"
    _text(el, "correctfeedback", "<p>Correct.</p>")
    _text(el, "partiallycorrectfeedback", "<p>Partly correct.</p>")
    _text(el, "incorrectfeedback", "<p>Not correct: see the worked solution.</p>")
    for option, correct, feedback in q.options():
        ans = ET.SubElement(el, "answer", {"fraction": "100" if correct else "0", "format": "html"})
        ET.SubElement(ans, "text").text = option_html(q, option)
        _text(ans, "feedback", math_html(feedback))


def to_moodle_xml(groups: list[tuple[str, list[Question]]], secret: bytes | None = None) -> str:
    """A ``<quiz>`` document: for each group a category, then its questions."""
    root = ET.Element("quiz")
    for category, questions in groups:
        cat = ET.SubElement(root, "question", {"type": "category"})
        _text(cat, "category", f"$course$/{category}", fmt=None)
        _text(cat, "info", f"{len(questions)} seeded variants of one question: draw one at random.")
        for q in questions:
            if isinstance(q.answer, Grid):
                _cloze(q, root, secret)
            elif as_choice(q):
                _multichoice(q, root, secret)
            else:
                _numerical(q, root, secret)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
