"""Moodle XML (the format of Moodle's question bank import), one category per question kind.

Numeric questions are ``numerical`` questions: the right answer with its tolerance (fraction 100),
then one answer per known mistake (fraction 0, with the mistake's feedback), then ``*`` for any
other answer. The rest are ``multichoice`` questions with one right answer. The worked solution is
the general feedback, shown after the attempt.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .export import as_choice, math_html, number_text, option_html, question_html, solution_html
from .question import Numeric, Question


def _text(
    parent: ET.Element, tag: str, text: str, fmt: str | None = "html", **attrs: str
) -> ET.Element:
    el = ET.SubElement(parent, tag, ({"format": fmt} if fmt else {}) | attrs)
    ET.SubElement(el, "text").text = text
    return el


def _common(q: Question, qtype: str, root: ET.Element) -> ET.Element:
    el = ET.SubElement(root, "question", {"type": qtype})
    _text(el, "name", f"{q.title} [{q.id}]", fmt=None)
    _text(el, "questiontext", question_html(q))
    _text(el, "generalfeedback", solution_html(q))
    ET.SubElement(el, "defaultgrade").text = "1.0000000"
    ET.SubElement(el, "penalty").text = "0.3333333"
    ET.SubElement(el, "hidden").text = "0"
    ET.SubElement(el, "idnumber").text = q.id
    return el


def _numerical(q: Question, root: ET.Element) -> None:
    a = q.answer
    assert isinstance(a, Numeric)
    el = _common(q, "numerical", root)
    tol = number_text(a.tol)
    answers = [(number_text(a.number), "100", "Correct.", tol)]
    answers += [(number_text(v), "0", m.feedback(), tol) for v, m in a.distractors]
    answers.append(
        ("*", "0", "Not correct, and not one of the known mistakes: see the worked solution.", "0")
    )
    for value, fraction, feedback, t in answers:
        ans = ET.SubElement(el, "answer", {"fraction": fraction, "format": "moodle_auto_format"})
        ET.SubElement(ans, "text").text = value
        _text(ans, "feedback", math_html(feedback))
        ET.SubElement(ans, "tolerance").text = t
    ET.SubElement(el, "unitgradingtype").text = "0"
    ET.SubElement(el, "unitpenalty").text = "0.1000000"
    ET.SubElement(el, "showunits").text = "3"
    ET.SubElement(el, "unitsleft").text = "0"


def _multichoice(q: Question, root: ET.Element) -> None:
    el = _common(q, "multichoice", root)
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


def to_moodle_xml(groups: list[tuple[str, list[Question]]]) -> str:
    """A ``<quiz>`` document: for each group a category, then its questions."""
    root = ET.Element("quiz")
    for category, questions in groups:
        cat = ET.SubElement(root, "question", {"type": "category"})
        _text(cat, "category", f"$course$/{category}", fmt=None)
        _text(cat, "info", f"{len(questions)} seeded variants of one question: draw one at random.")
        for q in questions:
            (_multichoice if as_choice(q) else _numerical)(q, root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
