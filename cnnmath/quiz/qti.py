"""Canvas QTI 1.2 (the zip that Canvas's "Import course content" reads), written directly.

The layout and the elements are those that text2qti 0.8.0 writes (imsmanifest.xml, the assessment
and its assessment_meta.xml; items with Canvas's ``qtimetadata``; question groups as sections
with a ``selection_number``); the tests check ours against text2qti's on the same questions. We
write it ourselves rather than through text2qti because text2qti turns LaTeX into images rendered
by a Canvas institution's server (or needs pandoc), while ours stays ``\\(...\\)`` for Canvas's
MathJax, and its Markdown input would mangle the ``_`` and ``*`` of LaTeX that our HTML keeps.

Canvas's importer (its QTI 1.2 to 2 converter, then ``NumericInteraction.get_canvas_answers``)
turns every condition of a numerical item that holds a range (``vargte`` and ``varlte``, joined
by an ``and``) or an exact value (``varequal`` in an ``or``) into an answer of weight 100,
whatever score the condition sets. So a numerical item here has exactly one such condition, the
right answer with its tolerance; the known mistakes, which Moodle gets as wrong answers with
their own feedback, are listed in the item's incorrect-answer feedback instead
(tests/test_quiz_import.py reads the zip back as Canvas does).

A grid of integers is a fill-in-multiple-blanks question, a blank per entry, each adding its share
of the score (Canvas compares the typed text, so a grid with decimals stays multiple choice).

Identifiers are hashes of the questions' opaque codes (never of their seeds), so the same bank
gives the same files.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from xml.sax.saxutils import escape as xml_escape

import numpy as np

from .lms import (
    as_choice,
    math_html,
    mistakes_feedback,
    mistakes_html,
    name,
    number_text,
    numeric_answers,
    option_html,
    question_html,
    solution_html,
)
from .question import Grid, Question
from .versions import question_code


def ident(*parts: object) -> str:
    return "g" + hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:32]


def _x(text: str) -> str:
    return xml_escape(text, {'"': "&quot;"})


def _metadata(qtype: str, answer_ids: str, ref: str) -> str:
    fields = [
        ("question_type", qtype),
        ("points_possible", "1.0"),
        ("original_answer_ids", answer_ids),
        ("assessment_question_identifierref", ref),
    ]
    inner = "".join(
        f"<qtimetadatafield><fieldlabel>{k}</fieldlabel><fieldentry>{_x(v)}</fieldentry>"
        f"</qtimetadatafield>"
        for k, v in fields
    )
    return f"<itemmetadata><qtimetadata>{inner}</qtimetadata></itemmetadata>"


def _mat(html_text: str) -> str:
    return f'<material><mattext texttype="text/html">{_x(html_text)}</mattext></material>'


def _feedback(fid: str, html_text: str) -> str:
    return f'<itemfeedback ident="{fid}"><flow_mat>{_mat(html_text)}</flow_mat></itemfeedback>'


_GENERAL = (
    '<respcondition continue="Yes"><conditionvar><other/></conditionvar>'
    '<displayfeedback feedbacktype="Response" linkrefid="general_fb"/></respcondition>'
)
_INCORRECT = (
    '<respcondition continue="Yes"><conditionvar><other/></conditionvar>'
    '<displayfeedback feedbacktype="Response" linkrefid="general_incorrect_fb"/></respcondition>'
)
_OUTCOMES = (
    '<outcomes><decvar maxvalue="100" minvalue="0" varname="SCORE" vartype="Decimal"/></outcomes>'
)


def _choice_item(q: Question, qid: str, secret: bytes | None) -> str:
    opts = q.options()
    ids = [ident(qid, "choice", i) for i in range(len(opts))]
    labels = "".join(
        f'<response_label ident="{cid}">{_mat(option_html(q, o))}</response_label>'
        for cid, (o, _, _) in zip(ids, opts)
    )
    pres = (
        f'<presentation>{_mat(question_html(q))}<response_lid ident="response1" '
        f'rcardinality="Single">'
        f"<render_choice>{labels}</render_choice></response_lid></presentation>"
    )
    conds = "".join(
        f'<respcondition continue="Yes"><conditionvar><varequal respident="response1">{cid}'
        f'</varequal></conditionvar><displayfeedback feedbacktype="Response" linkrefid="{cid}_fb"/>'
        f"</respcondition>"
        for cid in ids
    )
    right = ids[[ok for _, ok, _ in opts].index(True)]
    conds += (
        f'<respcondition continue="No"><conditionvar><varequal '
        f'respident="response1">{right}</varequal>'
        f'</conditionvar><setvar action="Set" varname="SCORE">100</setvar>'
        f'<displayfeedback feedbacktype="Response" linkrefid="correct_fb"/></respcondition>'
    )
    proc = f"<resprocessing>{_OUTCOMES}{_GENERAL}{conds}{_INCORRECT}</resprocessing>"
    fbs = (
        _feedback("general_fb", solution_html(q))
        + _feedback("correct_fb", "<p>Correct.</p>")
        + _feedback("general_incorrect_fb", "<p>Not correct: see the worked solution.</p>")
        + "".join(_feedback(f"{cid}_fb", math_html(fb)) for cid, (_, _, fb) in zip(ids, opts))
    )
    return (
        f'<item ident="{qid}" title="{_x(name(q, secret))}">'
        + _metadata("multiple_choice_question", ",".join(ids), ident(qid, "ref"))
        + pres
        + proc
        + fbs
        + "</item>"
    )


def integer_grid(q: Question) -> bool:
    """Whether ``q`` is a grid of integers: Canvas asks it as fill-in-multiple-blanks."""
    a = q.answer
    return isinstance(a, Grid) and bool(np.all(a.array == np.round(a.array)))


def blank_texts(v: float) -> list[str]:
    """What Canvas accepts in a blank for the integer ``v`` (it compares text): ``3``, ``3.0``."""
    n = int(round(v))
    return [str(n), f"{n}.0"]


def _blanks_item(q: Question, qid: str, secret: bytes | None) -> str:
    """A grid of integers as Canvas's fill-in-multiple-blanks: a blank ``[rIcJ]`` per entry,
    each worth the same share; the known mistakes' grids are in the incorrect feedback."""
    a = q.answer
    assert isinstance(a, Grid)
    r, c = a.array.shape
    names = [[f"r{i + 1}c{j + 1}" for j in range(c)] for i in range(r)]
    table = "".join("<tr>" + "".join(f"<td>[{n}]</td>" for n in row) + "</tr>" for row in names)
    text = (
        question_html(q)
        + f"<p>Type the {r} &times; {c} result, one integer per blank (for example -3):</p>"
        + f"<table>{table}</table>"
    )
    lids, conds, ids = [], [], []
    # equal shares of 100 to 4 decimals, the last blank taking the rest: a full grid is 100
    each = round(100 / (r * c), 4)
    shares = [each] * (r * c - 1) + [round(100 - each * (r * c - 1), 4)]
    for i in range(r):
        for j in range(c):
            n = names[i][j]
            share = f"{shares[i * c + j]:.4f}"
            labels = [(ident(qid, n, k), t) for k, t in enumerate(blank_texts(a.array[i, j]))]
            ids += [lid for lid, _ in labels]
            items = "".join(
                f'<response_label ident="{lid}"><material><mattext texttype="text/plain">'
                f"{_x(t)}</mattext></material></response_label>"
                for lid, t in labels
            )
            lids.append(
                f'<response_lid ident="response_{n}"><material><mattext>{n}</mattext>'
                f"</material><render_choice>{items}</render_choice></response_lid>"
            )
            conds += [
                f'<respcondition><conditionvar><varequal respident="response_{n}">{lid}'
                f'</varequal></conditionvar><setvar varname="SCORE" action="Add">{share}'
                f"</setvar></respcondition>"
                for lid, _ in labels
            ]
    pres = f"<presentation>{_mat(text)}{''.join(lids)}</presentation>"
    proc = f"<resprocessing>{_OUTCOMES}{_GENERAL}{''.join(conds)}{_INCORRECT}</resprocessing>"
    fbs = _feedback("general_fb", solution_html(q)) + _feedback(
        "general_incorrect_fb", mistakes_html(q) or "<p>Not correct.</p>"
    )
    return (
        f'<item ident="{qid}" title="{_x(name(q, secret))}">'
        + _metadata("fill_in_multiple_blanks_question", ",".join(ids), ident(qid, "ref"))
        + pres
        + proc
        + fbs
        + "</item>"
    )


def _range(v: float, tol: float) -> str:
    return (
        f'<vargte respident="response1">{number_text(v - tol)}</vargte>'
        f'<varlte respident="response1">{number_text(v + tol)}</varlte>'
    )


def _numeric_item(q: Question, qid: str, secret: bytes | None) -> str:
    _, answers = numeric_answers(q)
    value, tol, _ = answers[0]
    pres = (
        f'<presentation>{_mat(question_html(q))}<response_str ident="response1" '
        f'rcardinality="Single">'
        f'<render_fib fibtype="Decimal"><response_label '
        f'ident="answer1"/></render_fib></response_str>'
        f"</presentation>"
    )
    # the one numeric condition: every other one would become a right answer in Canvas
    conds = (
        f'<respcondition continue="No"><conditionvar><or><varequal respident="response1">'
        f"{number_text(value)}</varequal><and>{_range(value, tol)}</and></or>"
        "</conditionvar>"
        f'<setvar action="Set" varname="SCORE">100</setvar>'
        f'<displayfeedback feedbacktype="Response" linkrefid="correct_fb"/></respcondition>'
    )
    proc = f"<resprocessing>{_OUTCOMES}{_GENERAL}{conds}{_INCORRECT}</resprocessing>"
    fbs = (
        _feedback("general_fb", solution_html(q))
        + _feedback("correct_fb", "<p>Correct.</p>")
        + _feedback("general_incorrect_fb", mistakes_feedback(q))
    )
    return (
        f'<item ident="{qid}" title="{_x(name(q, secret))}">'
        + _metadata("numerical_question", ident(qid, "numerical"), ident(qid, "ref"))
        + pres
        + proc
        + fbs
        + "</item>"
    )


def assessment_xml(
    groups: list[tuple[str, list[Question]]], title: str, aid: str, secret: bytes | None = None
) -> str:
    sections = []
    for category, questions in groups:
        items = "".join(
            (_blanks_item if integer_grid(q) else _choice_item if as_choice(q) else _numeric_item)(
                q, ident(question_code(secret, q.kind, q.seed), "item"), secret
            )
            for q in questions
        )
        sections.append(
            f'<section ident="{ident(category, "group")}" '
            f'title="{_x(category)}"><selection_ordering>'
            f"<selection><selection_number>1</selection_number><selection_extension>"
            f"<points_per_item>1.0</points_per_item></selection_extension></selection>"
            f"</selection_ordering>{items}</section>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<questestinterop xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.imsglobal.org/'
        'xsd/ims_qtiasiv1p2 http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd">'
        f'<assessment ident="{aid}" title="{_x(title)}"><qtimetadata><qtimetadatafield>'
        "<fieldlabel>cc_maxattempts</fieldlabel><fieldentry>1</fieldentry></qtimetadatafield></qtimetadata>"
        f"<section "
        f'ident="root_section">{"".join(sections)}</section></assessment></questestinterop>\n'
    )


def manifest_xml(aid: str, dep: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<manifest identifier="{ident(aid, "manifest")}" '
        'xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1" '
        'xmlns:imsmd="http://www.imsglobal.org/xsd/imsmd_v1p2">'
        "<metadata><schema>IMS Content</schema><schemaversion>1.1.3</schemaversion></metadata>"
        "<organizations/><resources>"
        f'<resource identifier="{aid}" type="imsqti_xmlv1p2"><file href="{aid}/{aid}.xml"/>'
        f'<dependency identifierref="{dep}"/></resource>'
        f'<resource identifier="{dep}" '
        f'type="associatedcontent/imscc_xmlv1p1/learning-application-resource" '
        f'href="{aid}/assessment_meta.xml"><file href="{aid}/assessment_meta.xml"/></resource>'
        "</resources></manifest>\n"
    )


def meta_xml(aid: str, title: str, points: int) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<quiz identifier="{aid}" xmlns="http://canvas.instructure.com/xsd/cccv1p0">'
        f"<title>{_x(title)}</title><description></description><shuffle_answers>true</shuffle_answers>"
        "<scoring_policy>keep_highest</scoring_policy><hide_results></hide_results>"
        f"<quiz_type>assignment</quiz_type><points_possible>{points:.1f}</points_possible>"
        "<show_correct_answers>true</show_correct_answers><allowed_attempts>1</allowed_attempts>"
        "<one_question_at_a_time>false</one_question_at_a_time><cant_go_back>false</cant_go_back>"
        "<available>false</available>"
        f'<assignment identifier="{ident(aid, "assignment")}"><title>{_x(title)}</title>'
        f"<quiz_identifierref>{aid}</quiz_identifierref><points_possible>{points:.1f}</points_possible>"
        "<grading_type>points</grading_type><submission_types>online_quiz</submission_types></assignment>"
        f"<assignment_group_identifierref>{ident(aid, 'assignment_group')}"
        "</assignment_group_identifierref>"
        "</quiz>\n"
    )


def to_qti_zip(
    groups: list[tuple[str, list[Question]]],
    title: str = "cnnmath quiz",
    secret: bytes | None = None,
) -> bytes:
    """The zip for Canvas: one question group per kind, each drawing one of its variants."""
    aid = ident(title, *(question_code(secret, q.kind, q.seed) for _, qs in groups for q in qs))
    dep = ident(aid, "meta")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in (
            ("imsmanifest.xml", manifest_xml(aid, dep)),
            (f"{aid}/assessment_meta.xml", meta_xml(aid, title, len(groups))),
            (f"{aid}/{aid}.xml", assessment_xml(groups, title, aid, secret)),
        ):
            info = zipfile.ZipInfo(
                name, date_time=(2026, 1, 1, 0, 0, 0)
            )  # fixed: the same bank, the same bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()
