"""The chapter quiz widget (cnnmath.quiz.book): deterministic, self-contained, several versions,
answers that the script can check, WCAG AA colours in both modes, and a printable form."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from importlib import resources

import pytest

from cnnmath.quiz import TOPICS, quiz
from cnnmath.quiz.book import (
    DEFAULT_VERSIONS,
    answer_data,
    quiz_html,
    quiz_latex,
    quiz_text,
    show_quiz,
    text_html,
)
from cnnmath.quiz.question import Numeric


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the text of the data script."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self._in_data = False
        self.data = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self._in_data = tag == "script" and attrs.get("class") == "cq-data"

    def handle_endtag(self, tag):
        self._in_data = False

    def handle_data(self, data):
        if self._in_data:
            self.data += data


def _parse(page: str) -> _Elements:
    p = _Elements()
    p.feed(page)
    return p


@pytest.mark.parametrize("chapter", TOPICS)
def test_quiz_html_is_deterministic_with_unique_ids_and_checkable_answers(chapter):
    page = quiz_html(chapter, seed=3, versions=3)
    assert page == quiz_html(chapter, seed=3, versions=3)
    p = _parse(page)
    ids = [a["id"] for _, a in p.tags if "id" in a]
    assert len(ids) == len(set(ids))
    # every input has a label: radios inside theirs, text fields by for=
    labels = {a.get("for") for t, a in p.tags if t == "label"}
    inputs = [a for t, a in p.tags if t == "input"]
    assert inputs and all(a["id"] in labels for a in inputs)
    versions = [a for t, a in p.tags if t == "div" and a.get("class") == "cq-version"]
    assert [v["data-version"] for v in versions] == ["0", "1", "2"]
    assert ["hidden" in v for v in versions] == [False, True, True]
    data = json.loads(p.data)["versions"]
    assert len(data) == 3
    for v, answers in enumerate(data):
        questions = quiz(chapter, 3 + v)
        assert len(answers) == len(questions)
        for q, a in zip(questions, answers):
            assert a == answer_data(q)
            if isinstance(q.answer, Numeric):
                lo, hi, right, _ = a["ranges"][0]
                assert right and lo <= q.answer.number <= hi
                assert not any(r[2] for r in a["ranges"][1:])
            else:
                assert [ok for ok, _ in a["options"]] == [c for _, c, _ in q.options()]
                assert sum(ok for ok, _ in a["options"]) == 1


def test_versions_differ_and_bad_counts_are_refused():
    page = quiz_html("convolution")
    blocks = re.findall(r'<div class="cq-version".*?</ol></div>', page, re.S)
    assert len(blocks) == DEFAULT_VERSIONS
    texts = [re.sub(r'(id|for|name|aria-describedby)="[^"]*"', "", b[40:]) for b in blocks]
    assert len(set(texts)) == DEFAULT_VERSIONS
    for bad in (0, 21, 2.5, True, "3"):
        with pytest.raises(ValueError, match="versions must be a whole number"):
            quiz_html("convolution", versions=bad)
    with pytest.raises(ValueError):
        quiz_html("no_such_chapter")


def test_the_widget_needs_no_network_and_brings_no_mathjax_of_its_own():
    page = quiz_html("perceptron")
    script = resources.files("cnnmath.quiz").joinpath("widget.js").read_text()
    assert script in page
    for forbidden in ("http:", "https:", "//cdn", "createElement", "fetch(", "XMLHttpRequest"):
        assert forbidden not in page
    # the data cannot close its script element early
    assert page.count("</script>") == 2


def test_text_html():
    assert text_html("If $a < b$ and `x<y`, is 2 > 1?") == (
        "If \\(a &lt; b\\) and <code>x&lt;y</code>, is 2 &gt; 1?"
    )
    assert text_html("$$E = mc^2$$") == "\\[E = mc^2\\]"


def test_show_quiz_displays_html_latex_and_text(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw: shown.append((obj, raw)))
    show_quiz("conv_backprop", seed=1, versions=2)
    ((bundle, raw),) = shown
    assert raw is True
    assert bundle["text/html"] == quiz_html("conv_backprop", 1, None, 2)
    assert bundle["text/latex"] == quiz_latex("conv_backprop", 1)
    assert bundle["text/plain"] == quiz_text("conv_backprop", 1)


@pytest.mark.parametrize("chapter", TOPICS)
def test_the_printable_quiz_is_marked_raw_latex_of_the_first_version(chapter):
    from cnnmath import printable
    from cnnmath.quiz import printed

    latex = quiz_latex(chapter, seed=2)
    assert latex.splitlines()[0] == printable.MARKER  # raw LaTeX for the PDF, not a formula
    assert latex == printed.quiz_latex(quiz(chapter, 2))
    assert latex.count("\\item ") == len(quiz(chapter, 2))


# --------------------------------------------------------------------------------------------
# colours: WCAG 2 contrast, light and dark
# --------------------------------------------------------------------------------------------


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_contrast_formula_on_known_pairs():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # just under AA


def _palettes() -> dict[str, dict[str, str]]:
    css = resources.files("cnnmath.quiz").joinpath("widget.css").read_text()
    blocks = re.findall(r"([^{}]+)\{([^{}]*--cq-[^{}]*)\}", css)
    palettes = {}
    for selector, body in blocks:  # the light palette on .cnnmath-quiz, the dark one after it
        defined = dict(re.findall(r"--cq-([a-z-]+):\s*(#[0-9a-fA-F]{6})", body))
        if defined:  # a block that sets colours, not one that uses them
            mode = "dark" if 'data-theme="dark"' in selector else "light"
            assert mode not in palettes
            palettes[mode] = defined
    return palettes


TEXT_PAIRS = [
    ("fg", "bg"),
    ("muted", "bg"),
    ("button-fg", "button-bg"),
    ("right-fg", "right-bg"),
    ("wrong-fg", "wrong-bg"),
    ("input-fg", "input-bg"),
    ("code-fg", "code-bg"),
    ("muted", "code-bg"),
]
NON_TEXT_PAIRS = [("border", "bg"), ("focus", "bg"), ("border", "input-bg"), ("focus", "input-bg")]


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_every_colour_pair_meets_wcag_aa(mode):
    palettes = _palettes()
    palette = palettes[mode]
    assert set(palettes["light"]) == set(palettes["dark"])  # dark mode overrides every colour
    assert {name for pair in TEXT_PAIRS + NON_TEXT_PAIRS for name in pair} == set(palette)
    for fg, bg in TEXT_PAIRS:  # text: 4.5:1
        assert contrast(palette[fg], palette[bg]) >= 4.5, (mode, fg, bg)
    for fg, bg in NON_TEXT_PAIRS:  # borders and the focus ring: 3:1
        assert contrast(palette[fg], palette[bg]) >= 3.0, (mode, fg, bg)
