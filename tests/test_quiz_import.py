"""The exported banks graded as each platform's importer would grade them.

Each file is read back the way the platform reads it, by readers written here from the importers'
logic, and then *graded*: the right answer (rounded as the student is told), every known mistake
(rounded the same way) and a spread of other wrong answers, for every kind over many variants.
The platform's verdict must be the package's (``question.check``), and a named mistake must come
with its feedback wherever the format carries it.

- Canvas: its QTI 1.2 converter joins the conditions of a ``conditionvar`` with ``and`` and keeps
  ``or``; ``NumericInteraction.get_canvas_answers`` then makes every ``or`` (an exact value with a
  margin) and every ``and`` of ranges an answer of weight 100, *whatever the condition's score*;
  a choice item's right option is the one whose condition sets the score.
- Moodle XML: ``numerical`` takes the first answer within its tolerance (to which Moodle adds
  10^-14), ``*`` matching anything; ``multichoice`` is refused below two answers or without a
  fraction of 100; ``cloze`` fields ``{1:NUMERICAL:=v:tol#...}`` each earn an equal share.
- GIFT: Moodle's ``qformat_gift`` parser (ported in tests/test_quiz_export.py), then the same
  grading as Moodle XML.
"""

from __future__ import annotations

import html
import io
import math
import re
import xml.etree.ElementTree as ET
import zipfile

import numpy as np
import pytest
import sympy as sp

from cnnmath.quiz import bank, export, generate, generators
from cnnmath.quiz.lms import for_lms, math_html, number_text, unit_exponent
from cnnmath.quiz.qti import integer_grid
from cnnmath.quiz.question import Choice, Grid, Numeric, Question, Symbolic
from cnnmath.quiz.versions import BOOK_SEEDS

from .test_quiz_export import parse_gift

VARIANTS = 20
SECRET = b"test-secret-for-the-import-tests"
MOODLE_SLACK = 1e-14  # qtype_numerical_answer::get_tolerance_interval adds 10^-precision


@pytest.fixture(scope="module")
def groups():
    """VARIANTS variants of every kind, their seeds drawn from a secret."""
    return bank(count=VARIANTS, secret=SECRET)


def questions(groups):
    """The questions as the LMS files hold them (a formula asked as its value at a point)."""
    return [q for _, qs in for_lms(groups) for q in qs]


# --------------------------------------------------------------------------------------------
# what a student answers
# --------------------------------------------------------------------------------------------


def rounded(a: Numeric, v: float) -> float:
    """``v`` as a student gives it: to the decimal places or significant digits asked for."""
    if a.places is not None:
        return round(v, a.places)
    if a.tol == 0 and v == round(v):
        return v
    if a.digits is not None and v != 0:
        return float(f"{v:.{a.digits}g}")
    return v


def no_seed(q: Question, name: str) -> bool:
    """Whether a question's name in a bank keeps its seed (which gives the answer) to itself."""
    return re.search(rf"(?<![0-9a-f]){q.seed}(?![0-9a-f])", name) is None


def numeric_responses(q: Question) -> list[tuple[float, str]]:
    """``[(value, what), ...]``: the right answer, each mistake, and other wrong numbers."""
    a = q.answer
    out = [(rounded(a, a.number), "right")]
    out += [(rounded(a, v), f"mistake {m.key}") for v, m in a.distractors]
    step = max(a.tol, abs(a.number) * 1e-3) or 1.0
    for w in (0.0, -a.number, 1.5 * a.number, a.number + 7 * step, a.number - 3 * step, 2.0):
        out.append((w, "other"))
    return out


# --------------------------------------------------------------------------------------------
# Canvas
# --------------------------------------------------------------------------------------------

Q = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"


def _local(el):
    return el.tag.split("}")[-1]


def canvas_answers(item: ET.Element) -> list[dict]:
    """The answers Canvas's importer makes of a numerical item: every ``or`` becomes an exact
    answer (``margin`` = the ``varlte`` bound minus the value), every condition holding ranges
    (joined by ``and``) a range answer; all of weight 100."""
    out = []
    for cond in item.iter(Q + "respcondition"):
        var = cond.find(Q + "conditionvar")
        kids = list(var)
        or_node = var.find(Q + "or")
        if or_node is not None:
            eq = or_node.find(Q + "varequal")
            if eq is None:
                continue
            exact = float(eq.text)
            upper = or_node.find(f"{Q}and/{Q}varlte")
            margin = float(upper.text) - exact if upper is not None else 0.0
            out.append({"type": "exact", "exact": exact, "margin": margin, "weight": 100})
            continue
        lows = [float(k.text) for k in var.iter(Q + "vargte")]
        highs = [float(k.text) for k in var.iter(Q + "varlte")]
        if var.find(Q + "and") is not None or (len(kids) > 1 and (lows or highs)):
            out.append(
                {
                    "type": "range",
                    "start": lows[0] if lows else None,
                    "end": highs[0] if highs else None,
                    "weight": 100,
                }
            )
    return out


def canvas_numeric_grade(answers: list[dict], r: float) -> bool:
    for ans in answers:
        if ans["type"] == "exact" and abs(r - ans["exact"]) <= ans["margin"]:
            return True
        if ans["type"] == "range":
            lo = -math.inf if ans["start"] is None else ans["start"]
            hi = math.inf if ans["end"] is None else ans["end"]
            if lo <= r <= hi:
                return True
    return False


def read_canvas(data: bytes) -> list[dict]:
    zf = zipfile.ZipFile(io.BytesIO(data))
    manifest = ET.fromstring(zf.read("imsmanifest.xml"))
    hrefs = [f.get("href") for f in manifest.iter() if _local(f) == "file"]
    assessment = next(h for h in hrefs if not h.endswith("assessment_meta.xml"))
    root = ET.fromstring(zf.read(assessment))
    out = []
    for item in root.iter(Q + "item"):
        fields = {
            f.findtext(Q + "fieldlabel"): f.findtext(Q + "fieldentry")
            for f in item.iter(Q + "qtimetadatafield")
        }
        feedback = {
            f.get("ident"): html.unescape(f.findtext(f".//{Q}mattext") or "")
            for f in item.iter(Q + "itemfeedback")
        }
        rec = {"title": item.get("title"), "type": fields["question_type"], "feedback": feedback}
        if rec["type"] == "numerical_question":
            rec["answers"] = canvas_answers(item)
        elif rec["type"] == "fill_in_multiple_blanks_question":
            # each blank's answers: the labels a condition adds score for, by their text
            text_of = {
                lab.get("ident"): lab.findtext(f".//{Q}mattext")
                for lab in item.iter(Q + "response_label")
            }
            rec["blanks"] = {}
            for cond in item.iter(Q + "respcondition"):
                setvar = cond.find(Q + "setvar")
                if setvar is None or setvar.get("action") != "Add":
                    continue
                eq = cond.find(f"{Q}conditionvar/{Q}varequal")
                blank = rec["blanks"].setdefault(eq.get("respident"), [float(setvar.text), []])
                blank[1].append(text_of[eq.text].strip().lower())
        else:
            labels = [lab.get("ident") for lab in item.iter(Q + "response_label")]
            right = set()
            for cond in item.iter(Q + "respcondition"):
                setvar = cond.find(Q + "setvar")
                if setvar is not None and float(setvar.text) > 0:
                    right |= {e.text for e in cond.iter(Q + "varequal")}
            rec["options"] = [(lab, lab in right, feedback.get(f"{lab}_fb", "")) for lab in labels]
        out.append(rec)
    return out


def test_canvas_grades_as_the_package_does(groups):
    items = read_canvas(export("qti", groups, secret=SECRET))
    qs = questions(groups)
    assert len(items) == len(qs)
    checked = 0
    for q, item in zip(qs, items):
        assert no_seed(q, item["title"])
        if integer_grid(q):
            assert item["type"] == "fill_in_multiple_blanks_question"
            blanks = list(item["blanks"].values())
            assert len(blanks) == q.answer.array.size
            assert sum(share for share, _ in blanks) == pytest.approx(100)
            for g, what in grid_responses(q):
                typed = [str(int(v)) for v in np.ravel(g)]  # Canvas compares the text
                score = sum(share for (share, ok), t in zip(blanks, typed) if t in ok)
                fb = q.check(g)
                assert (score == pytest.approx(100)) == fb.correct, (q.id, what)
                if fb.mistake is not None:
                    said = item["feedback"]["general_incorrect_fb"]
                    assert html.unescape(math_html(fb.mistake.feedback())) in said
                checked += 1
        elif isinstance(q.answer, Numeric):
            assert item["type"] == "numerical_question"
            assert len(item["answers"]) == 1  # one right answer: no mistake became one
            scale = 10.0 ** -unit_exponent(q)
            for r, what in numeric_responses(q):
                fb = q.check(r)
                assert canvas_numeric_grade(item["answers"], r * scale) == fb.correct, (
                    q.id,
                    r,
                    what,
                )
                if fb.mistake is not None:  # its explanation is in the incorrect feedback
                    said = item["feedback"]["general_incorrect_fb"]
                    assert html.unescape(math_html(fb.mistake.feedback())) in said
                checked += 1
        else:
            check_choice(q, item["type"], item["options"])
            checked += len(item["options"])
    assert checked > 5 * len(qs)


def check_choice(q: Question, qtype: str, options: list[tuple[str, bool, str]]) -> None:
    """A multiple-choice item: at least two options (four where the package gives four), one
    right, and picking each option gives the package's verdict on the value it stands for."""
    assert qtype in ("multiple_choice_question", "multichoice")
    mine = q.options()
    assert len(options) == len(mine) >= (4 if not isinstance(q.answer, Choice) else 2)
    assert [ok for _, ok, _ in options] == [ok for _, ok, _ in mine]
    assert sum(ok for _, ok, _ in options) == 1
    for (_, ok, fb), (_, _, my_fb) in zip(options, mine):
        assert math_html(my_fb) == fb or html.unescape(math_html(my_fb)) == fb


def test_the_right_option_is_not_always_first(groups):
    positions = [
        [ok for _, ok, _ in q.options()].index(True)
        for q in questions(groups)
        if not isinstance(q.answer, Numeric)
    ]
    counts = np.bincount(positions, minlength=4)[:4]
    assert counts.min() > 0.1 * len(positions), counts


# --------------------------------------------------------------------------------------------
# Moodle XML
# --------------------------------------------------------------------------------------------

CLOZE_FIELD = re.compile(r"\{(\d*):(NUMERICAL|NM):((?:\\.|[^}])*)\}")


def moodle_numeric_grade(answers, r):
    """Moodle's numerical grading: the first answer ``r`` is within the tolerance of."""
    for text, fraction, tol, feedback in answers:
        if text == "*" or abs(r - float(text)) <= tol + MOODLE_SLACK:
            return fraction, feedback
    return 0.0, ""


def read_moodle(data: bytes) -> list[dict]:
    root = ET.fromstring(data)
    out = []
    for el in root:
        qtype = el.get("type")
        if qtype == "category":
            continue
        rec = {"type": qtype, "name": el.findtext("name/text")}
        answers = el.findall("answer")
        if qtype == "numerical":
            assert answers, "Moodle refuses a numerical question without answers"
            rec["answers"] = [
                (
                    a.findtext("text"),
                    float(a.get("fraction")) / 100,
                    float(a.findtext("tolerance")),
                    a.findtext("feedback/text"),
                )
                for a in answers
            ]
        elif qtype == "multichoice":
            # Moodle's import stops at a multiple choice with fewer than two answers
            assert len(answers) >= 2 and el.findtext("single") == "true"
            rec["options"] = [
                (a.findtext("text"), float(a.get("fraction")) == 100, a.findtext("feedback/text"))
                for a in answers
            ]
        elif qtype == "cloze":
            fields = []
            for m in CLOZE_FIELD.finditer(el.findtext("questiontext/text")):
                first = m.group(3).split("~")[0]
                assert first.startswith("=")
                value, tol = first[1:].split("#")[0].split(":")
                fields.append((float(value), float(tol)))
            assert fields, "Moodle refuses a cloze question without embedded answers"
            rec["fields"] = fields
            rec["general"] = el.findtext("generalfeedback/text")
        else:
            raise AssertionError(f"unexpected question type {qtype}")
        out.append(rec)
    return out


def grid_responses(q: Question) -> list[tuple[np.ndarray, str]]:
    a = q.answer
    other = np.array(a.array, dtype=float)
    other[0, 0] += 1
    return (
        [(a.array, "right")]
        + [(np.asarray(v), f"mistake {m.key}") for v, m in a.distractors]
        + [(other, "other"), (np.zeros_like(a.array), "other")]
    )


def test_moodle_xml_grades_as_the_package_does(groups):
    recs = read_moodle(export("moodle", groups, secret=SECRET))
    qs = questions(groups)
    assert len(recs) == len(qs)
    for q, rec in zip(qs, recs):
        assert no_seed(q, rec["name"])
        if isinstance(q.answer, Numeric):
            assert rec["type"] == "numerical"
            check_numeric_moodle(q, rec["answers"])
        elif isinstance(q.answer, Grid):
            assert rec["type"] == "cloze"
            assert len(rec["fields"]) == q.answer.array.size
            for g, what in grid_responses(q):
                hits = [
                    abs(r - v) <= t + MOODLE_SLACK for r, (v, t) in zip(np.ravel(g), rec["fields"])
                ]
                fb = q.check(g)
                assert (all(hits)) == fb.correct, (q.id, what)
                if fb.mistake is not None:
                    assert math_html(fb.mistake.feedback()) in rec["general"]
        else:
            check_choice(q, "multichoice", rec["options"])


def check_numeric_moodle(q: Question, answers) -> None:
    assert answers[0][1] == 1.0 and answers[-1][0] == "*"
    assert sum(f for _, f, _, _ in answers) == 1.0
    scale = 10.0 ** -unit_exponent(q)
    for r, what in numeric_responses(q):
        fraction, feedback = moodle_numeric_grade(answers, r * scale)
        fb = q.check(r)
        assert (fraction == 1.0) == fb.correct, (q.id, r, what)
        if fb.mistake is not None:
            assert feedback == math_html(fb.mistake.feedback()), (q.id, r, what)
        elif not fb.correct:
            assert feedback.startswith("<p>Not correct, and not one of the known"), (q.id, r)


# --------------------------------------------------------------------------------------------
# GIFT
# --------------------------------------------------------------------------------------------


def test_gift_grades_as_the_package_does(groups):
    parsed = [p for p in parse_gift(export("gift", groups, secret=SECRET).decode()) if "type" in p]
    qs = questions(groups)
    assert len(parsed) == len(qs)
    for q, item in zip(qs, parsed):
        assert no_seed(q, item["name"])
        if isinstance(q.answer, Numeric):
            assert item["type"] == "numerical"
            answers = [(number_text(v), w / 100, t, fb) for v, t, w, fb in item["answers"]]
            wrong = item["wrong"]
            check_numeric_moodle(q, answers + [("*", 0.0, 0.0, wrong)])
        else:  # GIFT has no embedded answers: grids are multiple choice too
            assert item["type"] == "multichoice"
            check_choice(q, "multichoice", item["answers"])


# --------------------------------------------------------------------------------------------
# what a bank holds
# --------------------------------------------------------------------------------------------


def test_no_book_seed_in_a_bank_by_default():
    for g in generators()[::7]:
        public = bank(kinds=[g.kind], count=5)
        drawn = bank(kinds=[g.kind], count=5, secret=SECRET)
        for _, qs in public + drawn:
            assert all(q.seed not in BOOK_SEEDS for q in qs)


def test_tiny_answers_are_asked_in_units_so_zero_is_wrong():
    (_, qs), *_ = bank(kinds=["unit_roundoff", "float_spacing"], count=10, secret=SECRET)
    tiny = [q for q in qs if abs(q.answer.number) < 1e-4]
    assert tiny
    for q in tiny:
        k = unit_exponent(q)
        assert 10.0**k <= abs(q.answer.number) < 10.0 ** (k + 1) and "units of" in export_text(q)
        assert not q.check(0).correct and q.check(q.answer.number).correct
        answers = read_moodle(export("moodle", [("c", [q])]))[0]["answers"]
        assert moodle_numeric_grade(answers, 0.0)[0] == 0.0


def export_text(q: Question) -> str:
    return html.unescape(read_moodle_text(export("moodle", [("c", [q])])))


def read_moodle_text(data: bytes) -> str:
    return ET.fromstring(data).find("question/questiontext/text").text


def test_formulas_are_values_at_a_point_in_every_lms(groups):
    """Each formula question becomes numeric: the formula's value at a point drawn for it, where
    the answer and the known mistakes differ clearly; the value is the formula's."""
    for _, qs in groups:
        for q in qs:
            if not isinstance(q.answer, Symbolic):
                continue
            lms = for_lms([("c", [q])])[0][1][0]
            assert isinstance(lms.answer, Numeric) and "Evaluate your formula at" in lms.text
            point = dict(re.findall(r"\$\\?(\w+) = (-?[\d.]+)\$", lms.text.split("Evaluate")[-1]))
            subs = {s: float(point[sp.latex(s).lstrip("\\")]) for _, s in q.answer.symbols}
            assert float(q.answer.expr.subs(subs)) == pytest.approx(lms.answer.number, rel=1e-12)
            assert len(lms.answer.distractors) == len(q.answer.distractors)
            opts = [o for o, _, _ in q.options()]  # on paper and in the book: four options
            assert len(opts) == len(set(opts)) >= 4


def test_versions_per_kind_are_measured_and_export_warns_below_the_bar():
    """Over 200 seeds, the distinct texts and answers of every kind; a bank of 200 variants
    warns exactly for the kinds below 200 distinct questions or 20 distinct answers."""
    from cnnmath.quiz.export import answer_id, warnings

    for g in generators():
        qs = [g(s) for s in range(1000, 1200)]
        texts = len({q.fingerprint for q in qs})
        answers = len({answer_id(q) for q in qs})
        group = [(g.kind, list({q.fingerprint: q for q in qs}.values()))]
        said = " ".join(warnings(group, 200))
        assert ("distinct questions" in said) == (texts < 200), g.kind
        assert ("distinct answers" in said) == (answers < 20), (g.kind, answers)
        assert texts >= 3 and answers >= 2, g.kind


def test_a_transposed_convolution_question_always_has_its_mistakes():
    """An all-zero input once made a one-option multiple choice that stopped Moodle's import."""
    for seed in range(1000, 1300):
        q = generate("conv_transpose_values", seed)
        assert len(q.answer.distractors) >= 1 and np.any(q.answer.array), q.id
