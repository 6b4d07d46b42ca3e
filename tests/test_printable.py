"""cnnmath.printable: each display's LaTeX form says what its HTML says, and compiles.

The LaTeX is compiled with pdflatex (Debian's minimal TeX set, ``scripts/get-tex.sh minimal``)
and read back with pdftotext, so a form that only looks right as a string fails here.
"""

import re
import shutil
import subprocess

import pytest

from cnnmath import printable, tex
from cnnmath.quiz.book import quiz
from cnnmath.quiz.printed import quiz_key_latex, quiz_latex
from cnnmath.quiz.question import Choice, Grid, Numeric
from cnnmath.quiz.registry import TOPICS


def compiled_text(tmp_path, body: str) -> str:
    pdf = tex.compile(tex.document(body), tmp_path)
    if shutil.which("pdftotext") is None:
        raise tex.TeXMissing("pdftotext", tex.package_for("pdftotext"))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True
    ).stdout
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    return re.sub(r"\s+", " ", text.replace("\u201d", '"'))


def test_escape_writes_every_special_character_as_text(tmp_path):
    raw = r"50% of {x_i} & #3 costs $5 ~ a^b \ c"
    assert printable.escape(raw) == (
        r"50\% of \{x\_i\} \& \#3 costs \$5 \textasciitilde{} a\textasciicircum{}b "
        r"\textbackslash{} c"
    )
    assert "50% of {x_i} & #3 costs $5 ~ a^b \\ c" in compiled_text(tmp_path, printable.escape(raw))
    with pytest.raises(ValueError, match="text must be a string"):
        printable.escape(3)


def test_latex_text_keeps_math_and_marks_code_and_bold():
    out = printable.latex_text("Compute $\\sum_i w_i x_i$ with `np.dot(w, x)` and **no** loop_var.")
    assert out == (
        r"Compute $\sum_i w_i x_i$ with \texttt{np.dot(w, x)} and \textbf{no} loop\_var."
    )
    assert printable.latex_text("a\n\nb") == "a\n\\par\nb"
    # an escaped dollar is a price, not math
    assert (
        printable.latex_text(r"costs \$5 and \$6")
        == r"costs \textbackslash{}\$5 and \textbackslash{}\$6"
    )


def test_latex_table_compiles_and_checks_its_shape(tmp_path):
    table = printable.latex_table(
        ["layer", "output", "weights"],
        [["conv1", "6x28x28", "150"], ["fc", r"$10$", "840"]],
        columns=["l", 0.3, "r"],
        caption="LeNet-5",
        footer=["total", "", "990"],
    )
    assert "\\begin{longtable}" in table and "\\endhead" in table
    text = compiled_text(tmp_path, table)
    assert "LeNet-5" in text and "conv1 6x28x28 150" in text and "total 990" in text
    with pytest.raises(ValueError, match="row 1 has 2 cells; the header has 3"):
        printable.latex_table(["a", "b", "c"], [["1", "2", "3"], ["1", "2"]])
    with pytest.raises(ValueError, match="columns has 1 entries for 2 header cells"):
        printable.latex_table(["a", "b"], [], columns=["l"])
    with pytest.raises(ValueError, match="a column width must be a fraction"):
        printable.latex_table(["a"], [], columns=[1.5])
    with pytest.raises(ValueError, match="a column must be 'l', 'r', 'c'"):
        printable.latex_table(["a"], [], columns=["p"])
    with pytest.raises(ValueError, match="header must name at least one column"):
        printable.latex_table([], [])


def test_bundle_carries_three_forms_and_marks_the_latex():
    b = printable.bundle("<b>x</b>", r"\textbf{x}", "x")
    assert b == {
        "text/html": "<b>x</b>",
        "text/latex": f"{printable.MARKER}\n\\textbf{{x}}",
        "text/plain": "x",
    }
    assert printable.is_printable(b["text/latex"])
    assert not printable.is_printable(r"$$\frac{a}{b}$$")  # a formula stays a formula
    assert printable.bundle("h", b["text/latex"], "p")["text/latex"] == b["text/latex"]
    p = printable.Printable("<i>y</i>", "y", "y plain")
    assert p._repr_html_() == "<i>y</i>"
    assert printable.is_printable(p._repr_latex_())
    assert repr(p) == "y plain"
    with pytest.raises(ValueError, match="latex must not be empty"):
        printable.bundle("<b>x</b>", "  ", "x")
    with pytest.raises(ValueError, match="html must be a string"):
        printable.bundle(None, "x", "x")


def test_html_latex_prints_tables_lists_math_and_links(tmp_path):
    html = (
        "<style>td {color: red}</style><div><p>Two <b>claims</b>, "
        '<span class="math notranslate nohighlight">\\(\\partial E/\\partial w\\)</span>.</p>'
        "<table><caption>The claims</caption><thead><tr><th>claim</th><th>verdict</th></tr>"
        "</thead><tbody><tr><td>eq. 6</td><td>holds</td></tr>"
        "<tr><td>eq. 8 &amp; 9</td><td>wrong</td></tr></tbody></table>"
        "<ul><li>first</li><li><a href='sources.html#source-thesis'>thesis</a></li></ul>"
        "<details><summary>More</summary><pre>a  b\nc  d</pre></details></div>"
    )
    latex = printable.html_latex(html, docdir="book")
    assert printable.is_printable(latex)
    assert "color" not in latex  # styles are dropped
    assert r"$\partial E/\partial w$" in latex
    assert r"\hyperref[\detokenize{book/sources:source-thesis}]{thesis}" in latex
    assert r"\begin{longtable}" in latex and r"\begin{itemize}" in latex
    text = compiled_text(tmp_path, latex)
    for shown in ("Two claims", "The claims", "eq. 6 holds", "eq. 8 & 9 wrong", "first", "thesis"):
        assert shown in text
    assert "a b c d" in text  # the <pre> block, printed verbatim


@pytest.mark.parametrize(
    "html, message",
    [
        ("<script>alert(1)</script>", "<script> cannot be printed"),
        ("<p><img src='x.png'></p>", "<img> cannot be printed"),
        ("<marquee>hi</marquee>", "<marquee> is not printed"),
        ("<td>loose cell</td>", "<td> outside a <table>"),
        ("<a href='javascript:void(0)'>x</a>", "has no place in the printed book"),
    ],
)
def test_html_latex_refuses_what_paper_cannot_show(html, message):
    with pytest.raises(printable.UnprintableHTML, match=re.escape(message)):
        printable.html_latex(html)


def test_the_ledger_and_architecture_tables_print(tmp_path):
    from cnnmath import arch, ledger, zoo

    claims = ledger.table("perceptron")
    summary = arch.summary(zoo.lenet5())
    body = "\n".join(
        printable.html_latex(x._repr_html_(), docdir="book").split("\n", 1)[1]
        for x in (claims, summary)
    )
    text = compiled_text(tmp_path, body)
    for r in claims.results:
        assert r.claim.id.split("-")[0] in text
    assert f"{summary.total:,}" in text
    for row in summary.rows:
        assert row.name.split(":")[0] in text


def test_every_quiz_prints_as_questions_and_its_key_compiles(tmp_path):
    body, questions = [], []
    for topic in TOPICS:
        qs = quiz(topic, 0)
        questions += qs
        printed = quiz_latex(qs, title=printable.escape(TOPICS[topic]))
        for q in qs:  # a student's copy holds neither the kind and seed nor the answer
            assert q.id not in printed
            assert f"\\texttt{{{printable.escape(q.kind)}}}" not in printed
        body += [printed, quiz_key_latex(qs)]
    text = compiled_text(tmp_path, "\n".join(body))
    for q in questions:
        assert q.title in text
        if isinstance(q.answer, Choice):
            for option in q.answer.options:
                words = re.sub(r"\$[^$]*\$", " ", option).split()[:3]
                assert " ".join(words) in text, (q.id, option)
        assert f"({q.kind}, seed 0)" in text
        if isinstance(q.answer, Choice):
            right = q.answer.options[q.answer.correct]
            words = " ".join(re.sub(r"\$[^$]*\$", " ", right).split()[:3])
            assert f"Answer: {chr(65 + q.answer.correct)}. {words}" in text, q.id
        elif isinstance(q.answer, Numeric):
            assert f"Answer: {q.answer.text()}" in text, q.id
    # a box in the quiz (a multiple choice has its options' boxes instead), an answer in the key
    choices = sum(isinstance(q.answer, Choice) for q in questions)
    assert "\n".join(body).count("Answer:") == 2 * len(questions) - choices


def test_quiz_latex_gives_a_grid_of_boxes_for_a_feature_map():
    q = next(q for q in quiz("convolution", 0) if isinstance(q.answer, Grid))
    rows, cols = q.answer.value.shape
    printed = quiz_latex([q])
    grid = re.search(r"\\begin\{tabular\}\[t\]\{\|((?:c\|)+)\}(.*?)\\end\{tabular\}", printed, re.S)
    assert grid and grid.group(1).count("c") == cols
    assert grid.group(2).count("\\hline") == rows + 1
    with pytest.raises(ValueError, match="at least one question"):
        quiz_latex([])


@pytest.mark.parametrize("size", ["footnotesize", "small"])
def test_verbatim_wraps_long_lines_within_the_page(tmp_path, size):
    long_line = "evidence = " + " + ".join(f"term_{i}" for i in range(60))
    block = printable.verbatim(f"short line\n{long_line}", size=size)
    width = printable.VERBATIM_CHARS[size]
    lines = block.split("\\begin{verbatim}\n")[1].split("\n\\end{verbatim}")[0].split("\n")
    assert lines[0] == "short line" and all(len(line) <= width for line in lines)
    assert "".join(ln.removeprefix(printable.CONTINUATION) for ln in lines[1:]) == long_line
    text = compiled_text(tmp_path, block)
    assert "Overfull" not in (tmp_path / "document.log").read_text(errors="replace")
    assert "term_59" in text and "\u2192" in text  # pdftotext reads the hook arrow as ",→"
    with pytest.raises(ValueError, match="size must be a LaTeX font size"):
        printable.verbatim("x", size="huge")
