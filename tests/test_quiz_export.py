"""The exported banks, read back: Moodle XML as Moodle's importer reads it, GIFT by a port of
Moodle's GIFT parser (a round trip), Canvas QTI against text2qti's output. How each platform
grades what it reads: tests/test_quiz_import.py."""

from __future__ import annotations

import html
import io
import re
import xml.etree.ElementTree as ET
import zipfile

import pytest

from cnnmath.quiz import (
    bank,
    export,
    generate,
    generators,
    variants,
)
from cnnmath.quiz.gift import escape
from cnnmath.quiz.lms import (
    for_lms,
    math_html,
    name,
    option_html,
    question_html,
    solution_html,
    unit_exponent,
)
from cnnmath.quiz.qti import integer_grid
from cnnmath.quiz.question import Grid, Numeric


@pytest.fixture(scope="module")
def groups():
    """Two variants of every kind: every answer type, every chapter."""
    return bank(count=2, seed=11)


def all_questions(groups):
    """The questions as the LMS files hold them (a formula asked as its value at a point)."""
    return [q for _, qs in for_lms(groups) for q in qs]


def test_variants_are_distinct_and_seeded():
    qs = variants("conv_output_size", 12, seed=100)
    assert len({q.fingerprint for q in qs}) == 12 and qs[0].seed == 100
    assert [q.id for q in qs] == [q.id for q in variants("conv_output_size", 12, seed=100)]
    for g in generators():
        assert len(variants(g.kind, 3)) == 3, g.kind


def test_html_escapes_text_and_keeps_latex():
    assert (
        math_html("a < b & $x_{1} < \\frac{1}{2}$")
        == "<p>a &lt; b &amp; \\(x_{1} &lt; \\frac{1}{2}\\)</p>"
    )
    q = generate("conv_feature_map", 2)
    body = question_html(q)
    assert "$" not in body and "\\(" in body and "<pre>X =" in body


# --------------------------------------------------------------------------------------------
# Moodle XML
# --------------------------------------------------------------------------------------------


def test_moodle_xml_has_what_moodles_importer_reads(groups):
    root = ET.fromstring(export("moodle", groups))
    assert root.tag == "quiz"
    questions = iter(all_questions(groups))
    n_categories = 0
    for el in root:
        assert el.tag == "question"
        if el.get("type") == "category":
            n_categories += 1
            assert el.findtext("category/text").startswith("$course$/cnnmath/")
            continue
        q = next(questions)
        assert el.findtext("name/text") == name(q)
        assert el.find("questiontext").get("format") == "html"
        answers = el.findall("answer")
        if isinstance(q.answer, Grid):  # cloze: the text holds the fields, no <answer>
            assert el.get("type") == "cloze" and not answers
            assert el.findtext("questiontext/text").startswith(question_html(q))
            continue
        assert html.unescape(el.findtext("questiontext/text")) == html.unescape(question_html(q))
        assert el.findtext("generalfeedback/text") == solution_html(q)
        fractions = [float(a.get("fraction")) for a in answers]
        assert fractions.count(100) == 1 and set(fractions) <= {0.0, 100.0}
        for a in answers:
            assert a.find("feedback/text") is not None
        if isinstance(q.answer, Numeric):
            assert el.get("type") == "numerical"
            texts = [a.findtext("text") for a in answers]
            assert texts[-1] == "*"
            values = [float(t) for t in texts[:-1]]
            scale = 10.0 ** -unit_exponent(q)
            assert values[0] == pytest.approx(q.answer.number * scale, rel=1e-11, abs=1e-300)
            assert [pytest.approx(v * scale, rel=1e-11) for v, _ in q.answer.distractors] == values[
                1:
            ]
            tols = [float(a.findtext("tolerance")) for a in answers[:-1]]
            assert tols[0] == pytest.approx(q.answer.tol * scale)
            assert tols[1:] == [
                pytest.approx(q.answer.tol_of(v) * scale) for v, _ in q.answer.distractors
            ]
        else:
            assert el.get("type") == "multichoice" and el.findtext("single") == "true"
            opts = q.options()
            assert len(answers) == len(opts) >= 2
            assert [a.findtext("text") for a in answers] == [option_html(q, o) for o, _, _ in opts]
    assert n_categories == len(groups) and next(questions, None) is None


# --------------------------------------------------------------------------------------------
# GIFT: a port of Moodle's qformat_gift::readquestion, for the question types we write
# --------------------------------------------------------------------------------------------

_PLACE = {
    "\\:": "&&058;",
    "\\#": "&&035;",
    "\\=": "&&061;",
    "\\{": "&&123;",
    "\\}": "&&125;",
    "\\~": "&&126;",
    "\\n": "&&010",
}
_BACK = {
    "&&058;": ":",
    "&&035;": "#",
    "&&061;": "=",
    "&&123;": "{",
    "&&125;": "}",
    "&&126;": "~",
    "&&010": "\n",
}


def _pre(s):
    s = s.replace("\\\\", "&&092;")
    for k, v in _PLACE.items():
        s = s.replace(k, v)
    return s.replace("&&092;", "\\")


def _post(s):
    for k, v in _BACK.items():
        s = s.replace(k, v)
    return s


def _fmt_text(s):
    s = s.strip()
    if s.startswith("[html]"):
        s = s[len("[html]") :]
    return _post(s).strip()


def _comment(ans):
    bits = ans.split("#", 1)
    return _fmt_text(bits[0]), _fmt_text(bits[1]) if len(bits) > 1 else ""


def parse_gift(text):
    blocks, cur = [], []
    for line in text.split("\n"):
        if line.strip() == "":
            if cur:
                blocks.append(cur)
            cur = []
        else:
            cur.append(" " if line.strip().startswith("//") else line)
    if cur:
        blocks.append(cur)
    out = []
    for lines in blocks:
        t = _pre("\n".join(lines).strip())
        if not t:
            continue
        if t.startswith("$CATEGORY:"):
            out.append({"category": t[10:].strip()})
            continue
        q = {}
        assert t.startswith("::")
        t = t[2:]
        end = t.index("::")
        q["name"], t = _post(t[:end]), t[end + 2 :].strip()
        start, finish = t.index("{"), t.index("}")
        answertext = t[start + 1 : finish].strip()
        q["text"] = _fmt_text(t[:start])
        gf = answertext.rfind("####")
        q["general"] = _fmt_text(answertext[gf + 4 :]) if gf >= 0 else ""
        answertext = answertext[:gf].strip() if gf >= 0 else answertext
        if answertext.startswith("#"):
            q["type"] = "numerical"
            body = answertext[1:]
            pos = body.find("~")
            wrong = body[pos:] if pos >= 0 else ""
            body = body[:pos] if pos >= 0 else body
            q["answers"] = []
            for ans in [a.strip() for a in body.split("=") if a.strip()]:
                m = re.match(r"^%-*([0-9]{1,2})\.?([0-9]*)%", ans)
                weight = float(m.group(0).strip("%")) if m else 100.0
                ans = ans[m.end() :] if m else ans
                value, feedback = _comment(ans)
                v, tol = value.split(":")
                q["answers"].append((float(v), float(tol), weight, feedback))
            q["wrong"] = _comment(wrong[1:])[1] if wrong else ""
        else:
            assert "~" in answertext
            q["type"] = "multichoice"
            parts = answertext.replace("=", "~=").split("~")
            q["answers"] = []
            for ans in [a.strip() for a in parts if a.strip()]:
                right = ans.startswith("=")
                option, feedback = _comment(ans[1:] if right else ans)
                q["answers"].append((option, right, feedback))
        out.append(q)
    return out


def test_gift_escapes_every_reserved_character():
    raw = "a~b=c#d{e}f:g\\h\nnew $\\frac{1}{2}$"
    assert _post(_pre(escape(raw))) == raw
    assert "\\\\frac\\{1\\}\\{2\\}" in escape("\\frac{1}{2}")


def test_gift_round_trip(groups):
    parsed = parse_gift(export("gift", groups).decode("utf-8"))
    questions = iter(all_questions(groups))
    cats = 0
    for item in parsed:
        if "category" in item:
            cats += 1
            assert item["category"].startswith("$course$/cnnmath/")
            continue
        q = next(questions)
        assert item["name"] == name(q)
        assert item["text"] == question_html(q)
        assert item["general"] == solution_html(q)
        if isinstance(q.answer, Numeric):
            assert item["type"] == "numerical"
            (v, tol, weight, fb), *wrong = item["answers"]
            scale = 10.0 ** -unit_exponent(q)
            assert (v, weight) == (
                pytest.approx(q.answer.number * scale, rel=1e-11, abs=1e-300),
                100,
            )
            assert tol == pytest.approx(q.answer.tol * scale)
            assert [
                (pytest.approx(d * scale, rel=1e-11), 0.0, math_html(m.feedback()))
                for d, m in q.answer.distractors
            ] == [(w[0], w[2], w[3]) for w in wrong]
            assert item["wrong"].startswith("<p>Not correct")
        else:
            assert item["type"] == "multichoice"
            assert item["answers"] == [
                (option_html(q, o), ok, math_html(fb)) for o, ok, fb in q.options()
            ]
    assert cats == len(groups) and next(questions, None) is None


# --------------------------------------------------------------------------------------------
# Canvas QTI
# --------------------------------------------------------------------------------------------

NS = {"q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"}


def _tag(el):
    return el.tag.split("}")[-1]


def _paths(el, prefix=""):
    here = f"{prefix}/{_tag(el)}"
    out = {here}
    for child in el:
        out |= _paths(child, here)
    return out


def _read_zip(data):
    zf = zipfile.ZipFile(io.BytesIO(data))
    manifest = ET.fromstring(zf.read("imsmanifest.xml"))
    hrefs = [f.get("href") for f in manifest.iter() if _tag(f) == "file"]
    assert all(h in zf.namelist() for h in hrefs)
    assessment = next(h for h in hrefs if not h.endswith("assessment_meta.xml"))
    return zf, ET.fromstring(zf.read(assessment)), ET.fromstring(zf.read(hrefs[-1]))


def test_qti_groups_items_and_feedback(groups):
    data = export("qti", groups, title="cnnmath test")
    assert data == export("qti", groups, title="cnnmath test")  # reproducible bytes
    _, root, meta = _read_zip(data)
    assert _tag(meta) == "quiz" and meta.findtext("{*}title") == "cnnmath test"
    sections = root.findall("q:assessment/q:section/q:section", NS)
    assert len(sections) == len(groups)
    for (category, qs), sec in zip(for_lms(groups), sections):
        assert sec.get("title") == category
        assert (
            sec.findtext("q:selection_ordering/q:selection/q:selection_number", namespaces=NS)
            == "1"
        )
        items = sec.findall("q:item", NS)
        assert len(items) == len(qs)
        for q, item in zip(qs, items):
            fields = {
                f.findtext("q:fieldlabel", namespaces=NS): f.findtext("q:fieldentry", namespaces=NS)
                for f in item.iter("{%s}qtimetadatafield" % NS["q"])
            }
            feedback_ids = {f.get("ident") for f in item.findall("q:itemfeedback", NS)}
            linked = {d.get("linkrefid") for d in item.iter("{%s}displayfeedback" % NS["q"])}
            assert linked <= feedback_ids
            scored = [
                c
                for c in item.iter("{%s}respcondition" % NS["q"])
                if c.find("q:setvar", NS) is not None
            ]
            text = html.unescape(
                item.findtext("q:presentation/q:material/q:mattext", namespaces=NS)
            )
            if integer_grid(q):  # fill in multiple blanks: a share of the score per entry
                assert fields["question_type"] == "fill_in_multiple_blanks_question"
                assert text.startswith(html.unescape(question_html(q)))
                blanks = item.findall(".//q:response_lid", NS)
                assert len(blanks) == q.answer.array.size
                shares = {
                    c.find(".//q:varequal", NS).get("respident"): float(
                        c.findtext("q:setvar", namespaces=NS)
                    )
                    for c in scored
                }
                assert sum(shares.values()) == pytest.approx(100, abs=1e-9)
                assert all(abs(v - 100 / len(blanks)) < 1e-3 for v in shares.values())
                continue
            assert len(scored) == 1 and scored[0].findtext("q:setvar", namespaces=NS) == "100"
            assert text == html.unescape(question_html(q))
            if isinstance(q.answer, Numeric):
                assert fields["question_type"] == "numerical_question"
                lo = float(scored[0].find(".//q:vargte", NS).text)
                hi = float(scored[0].find(".//q:varlte", NS).text)
                scale = 10.0 ** -unit_exponent(q)
                assert lo <= q.answer.number * scale <= hi and hi - lo == pytest.approx(
                    2 * q.answer.tol * scale, abs=1e-12
                )
                assert feedback_ids == {"general_fb", "correct_fb", "general_incorrect_fb"}
            else:
                assert fields["question_type"] == "multiple_choice_question"
                labels = item.findall(".//q:response_label", NS)
                assert len(labels) == len(q.options())
                right = scored[0].findtext(".//q:varequal", namespaces=NS)
                i = [lab.get("ident") for lab in labels].index(right)
                assert q.options()[i][1] is True


def test_qti_has_the_structure_text2qti_writes():
    """text2qti 0.8.0's output imports into Canvas; every element path of its items is in ours."""
    from text2qti.config import Config
    from text2qti.qti import QTI
    from text2qti.quiz import Quiz

    source = (
        "Quiz title: t\n\nGROUP\npick: 1\npoints per question: 1\n\n"
        "1.  What is 2+3?\n... solution\n+   right\n-   wrong\n=   5 +- 0.5\n\n"
        "2.  Which?\n... solution\n*a) yes\n... why\nb) no\n... why not\n\nEND_GROUP\n"
    )
    theirs = ET.fromstring(QTI(Quiz(source, config=Config(), source_name="t")).assessment)
    their_items = {
        f.findtext(".//q:fieldentry", namespaces=NS): _paths(f)
        for f in theirs.iter("{%s}item" % NS["q"])
    }
    groups = [
        ("cnnmath/x/numeric", [generate("conv_output_size", 1)]),
        ("cnnmath/x/choice", [generate("symmetry", 1)]),
    ]
    _, ours, _ = _read_zip(export("qti", groups))
    our_items = {
        f.findtext(".//q:fieldentry", namespaces=NS): _paths(f)
        for f in ours.iter("{%s}item" % NS["q"])
    }
    assert set(their_items) == set(our_items) == {"numerical_question", "multiple_choice_question"}
    for qtype, paths in their_items.items():
        assert paths <= our_items[qtype], sorted(paths - our_items[qtype])
    their_sections = _paths(theirs.find("q:assessment", NS))
    our_sections = _paths(ours.find("q:assessment", NS))
    assert {p for p in their_sections if "/item" not in p} <= our_sections
