import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cnnmath import claims as claims_package
from cnnmath import ledger
from cnnmath.claims import record, sources
from cnnmath.claims.record import Finding, LedgerError
from cnnmath.claims.sources import OUTLINES, sections_of
from cnnmath.ledger import render
from cnnmath.ledger.__main__ import main

ALL = ledger.claims()


def test_the_ledger_loads_every_chapters_claim_module():
    """cnnmath.claims.load names its modules: a new chapter module left out of it would register
    nothing, silently. Every module of the package (but the shared material and the record) must
    be loaded, and each must register at least one claim."""
    folder = Path(claims_package.__file__).parent
    chapters = sorted(
        p.stem
        for p in folder.glob("*.py")
        if not p.stem.startswith("_") and p.stem not in ("record", "sources")
    )
    missing = [m for m in chapters if f"cnnmath.claims.{m}" not in sys.modules]
    assert not missing, f"cnnmath.claims.load() does not import {missing}"
    registering = {c.check.__module__ for c in ALL}
    assert registering == {f"cnnmath.claims.{m}" for m in chapters}


@pytest.mark.parametrize("claim", ALL, ids=[c.id for c in ALL])
def test_every_claim_supports_its_verdict(claim):
    result = ledger.verify(claim)
    assert ledger.consistent(claim.verdict, result.finding)
    assert result.finding.evidence, "a check must show its evidence"


def test_ledger_covers_every_verdict_and_document_keys_are_known():
    verdicts = {c.verdict for c in ALL}
    assert verdicts == set(record.VERDICTS) == set(record.VERDICT_MEANINGS)
    assert set(record.ERRORS) | set(record.ERRATA) | {"holds", "convention"} == verdicts
    assert all(c.document in sources.SOURCES for c in ALL)
    assert len({c.id for c in ALL}) == len(ALL)


def test_every_claim_cites_a_section_of_its_source():
    unplaced = [(c.id, c.where) for c in ALL if not c.sections]
    assert not unplaced, f"citations that name no section of the source's outline: {unplaced}"


@pytest.mark.parametrize(
    "document, where, sections",
    [
        ("thesis", "§3.2.1-3.2.2 (output sizes)", ("3.2.1", "3.2.2")),
        ("thesis", "§3.5.1 eq. 60-61", ("3.5.1",)),
        ("thesis", "eq. 59", ("3.4",)),
        ("thesis", "§2.6.1-2.6.2 eq. 48-51", ("2.6.1", "2.6.2")),
        ("thesis", "§3.6", ("3.6.1", "3.6.2")),  # a parent without text of its own: its subsections
        ("thesis", "abstract", ("abstract",)),
        ("paper", "§2.2.2 eq. 8 (and eq. 10-11)", ("2.2.2",)),
        ("paper", "§2.4 eq. 20-22", ("2.4", "2.4.1")),
        ("guide", "§3.1, Z_1", ("3.1",)),
        ("slides", "'2D filter convolution', second example", ("2D Filter Convolution",)),
        (
            "slides",
            "'Backpropagation Pooling Layers': average pooling",
            ("Backpropagation Pooling Layers",),
        ),
        (
            "slides",
            "'Simplified LeNet-5 for 28×28 MNIST Dataset'",
            ("Simplified LeNet-5 for 28x28 MNIST Dataset",),
        ),
        ("blog", "'Output size', the worked example", ("Output size",)),
        ("blog", "nowhere in particular", ()),
    ],
)
def test_citations_map_to_outline_units(document, where, sections):
    assert sections_of(document, where) == sections


def test_sections_of_rejects_an_unknown_document():
    with pytest.raises(KeyError, match="unknown document 'book'"):
        sections_of("book", "§1")


def test_coverage_lists_every_unit_and_the_claims_citing_it():
    cov = ledger.coverage("thesis")
    assert list(cov) == list(OUTLINES["thesis"])
    assert "thesis-3.2-output-size" in cov["3.2.1"] and "thesis-3.2-output-size" in cov["3.2.2"]


@pytest.mark.parametrize(
    "verdict, finding, ok",
    [
        ("holds", Finding(True, True), True),
        ("holds", Finding(False, True), False),
        ("wrong", Finding(False, True), True),
        ("wrong", Finding(True, True), False),
        ("wrong", Finding(False, False), False),
        ("inconsistent", Finding(False, True), True),
        ("convention", Finding(True, True), True),
        ("convention", Finding(True, False), False),
        ("wording", Finding(False, True), True),
        ("wording", Finding(True, True), False),
        ("editorial", Finding(False, True), True),
        ("editorial", Finding(False, False), False),
    ],
)
def test_consistency_rule(verdict, finding, ok):
    assert ledger.consistent(verdict, finding) is ok


def test_findings_take_numpy_booleans_and_stay_json_ready():
    f = Finding(np.bool_(True), np.array([1, 2]).sum() == 3, "numpy")
    assert type(f.stated_holds) is bool and type(f.correct_holds) is bool
    assert json.loads(json.dumps(f.__dict__)) == {
        "stated_holds": True,
        "correct_holds": True,
        "evidence": "numpy",
    }


def test_findings_reject_what_is_not_a_boolean():
    with pytest.raises(LedgerError, match="stated_holds must be a bool"):
        Finding(1, True)
    with pytest.raises(LedgerError, match="correct_holds must be a bool"):
        Finding(True, np.array([True, False]))
    with pytest.raises(LedgerError, match="evidence must be a str"):
        Finding(True, True, 3.0)


def test_a_wrong_verdict_is_caught():
    claim = record.Claim(
        "x",
        "thesis",
        "nowhere",
        "1 = 2",
        "holds",
        "1 != 2",
        "none",
        lambda: Finding(False, True, "1 != 2"),
    )
    with pytest.raises(LedgerError, match="recorded as 'holds'"):
        ledger.verify(claim)


def test_a_check_that_returns_no_finding_is_caught():
    claim = record.Claim("x", "thesis", "§2.4", "", "holds", "", "none", lambda: (True, True))
    with pytest.raises(LedgerError, match="returned tuple, not a Finding"):
        ledger.verify(claim)


def test_register_rejects_unknown_document_and_verdict_and_duplicates():
    with pytest.raises(LedgerError, match="unknown document"):
        record.claim(
            "y", document="book", where="", stated="", verdict="holds", correct="", chapter="c"
        )
    with pytest.raises(LedgerError, match="unknown verdict"):
        record.claim(
            "y", document="thesis", where="", stated="", verdict="maybe", correct="", chapter="c"
        )
    with pytest.raises(LedgerError, match="registered twice"):
        record.claim(
            ALL[0].id,
            document="thesis",
            where="",
            stated="",
            verdict="holds",
            correct="",
            chapter="c",
        )(lambda: Finding(True, True))


def test_unknown_chapter_and_claim():
    with pytest.raises(LedgerError, match="no claims registered"):
        ledger.claims("no-such-chapter")
    with pytest.raises(LedgerError, match="no claim"):
        ledger.get("no-such-claim")


def test_records_are_json_and_carry_the_check_code_and_notes():
    recs = ledger.records("losses")
    text = json.dumps(recs)
    assert json.loads(text)[0]["chapter"] == "losses"
    assert all("def " in r["check"] and r["correct_holds"] for r in recs)
    assert {"doubt", "reference", "sections"} <= set(recs[0])


def test_python_m_cnnmath_ledger_prints_the_claims_as_json():
    # The command runs ledger/__main__.py; the claims must register where it looks (they once went
    # to a second copy of the module, and it printed []). One chapter keeps the subprocess quick.
    env = {**os.environ, "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "Haswell")}
    run = subprocess.run(
        [sys.executable, "-m", "cnnmath.ledger", "--chapter", "errata"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    recs = json.loads(run.stdout)
    assert [r["id"] for r in recs] == [c.id for c in ledger.claims("errata")]
    assert all(isinstance(r["stated_holds"], bool) and r["correct_holds"] is True for r in recs)


def test_the_command_filters_and_summarizes(capsys):
    assert main(["--document", "blog", "--verdict", "wrong"]) == 0
    recs = json.loads(capsys.readouterr().out)
    assert recs and {(r["document"], r["verdict"]) for r in recs} == {("blog", "wrong")}
    assert main(["--chapter", "losses", "--summary"]) == 0
    out = capsys.readouterr().out
    assert (
        out.startswith(f"{len(ledger.claims('losses'))} claims verified")
        and "sections have a claim" in out
    )


def test_the_command_reports_a_ledger_error_with_exit_status_1(capsys):
    assert main(["--chapter", "no-such-chapter"]) == 1
    assert "no claims registered for chapter 'no-such-chapter'" in capsys.readouterr().err


def test_rich_text_escapes_and_marks_math():
    html = render.rich_text("a < b, and $x_{i} < 2$ costs 5$")
    assert html.startswith("a &lt; b, and ")
    assert '<span class="math notranslate nohighlight">\\(x_{i} &lt; 2\\)</span>' in html
    assert html.endswith(" costs 5$")


def test_table_renders_styled_html_with_math_and_text():
    t = ledger.table("activations")
    page = t._repr_html_()
    assert (
        "<table class='cnnmath-ledger cnnmath-claims' role='table'>" in page and "<style>" in page
    )
    assert page.count("cnnmath-verdict") >= len(t.results)
    assert 'class="math notranslate nohighlight"' in page
    assert "claims checked" in repr(t)
    assert sum(t.counts().values()) == len(ledger.claims("activations"))


def test_erratum_links_only_to_chapters_in_the_book():
    r = ledger.verify("paper-eq8-index")
    linked = render.erratum(r, {"convolution": "Convolution"})
    assert '<a href="convolution.html">Convolution</a>' in linked and "<details>" in linked
    assert '<a href="convolution.html"' not in render.erratum(r, {})
    assert "this page is where the book discusses it" in render.erratum(
        ledger.verify("paper-5-run-times"), {}
    )


def test_errata_pages_count_and_group_the_claims():
    results = ledger.verify_all("convolution")
    table = render.counts_table(results)
    assert (
        table.count("<tr>") == 1 + len(sources.SOURCES) + 1
    )  # header, one row per source, the total
    page = render.errata(results, "paper", {})
    assert (
        page.count("<div class='cnnmath-erratum'")
        == sum(
            r.claim.document == "paper" and r.claim.verdict in ("wrong", "inconsistent")
            for r in results
        )
        > 0
    )
    assert "<details><summary>The" in render.holding(results, "slides", {})
    assert "no claim" in render.coverage_list(results, "guide")


def test_book_chapters_reads_the_table_of_contents(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: A\n    chapters:\n"
        "      - file: book/one\n      - file: book/missing\n"
    )
    (tmp_path / "book" / "intro.md").write_text("# Welcome\n")
    (tmp_path / "book" / "one.ipynb").write_text(
        json.dumps({"cells": [{"cell_type": "markdown", "source": ["# Chapter one\n", "text"]}]})
    )
    assert render.find_toc(tmp_path / "book") == tmp_path / "_toc.yml"
    assert render.book_chapters(tmp_path / "_toc.yml") == {"intro": "Welcome", "one": "Chapter one"}


# --------------------------------------------------------------------------------------------
# reference verdicts: a check that computes nothing must say so
# --------------------------------------------------------------------------------------------

#: Calls that compute nothing about the mathematics: a check made only of these (and of no
#: arithmetic) compares values typed into it, which cannot fail.
_INERT_CALLS = {
    "Finding", "len", "round", "all", "any", "sum", "abs", "range", "int", "float", "str", "bool",
    "max", "min", "sorted", "zip", "enumerate", "dict", "list", "tuple", "set", "isinstance",
    "join", "items", "values", "keys", "format",
}  # fmt: skip


def _computes_nothing(source: str) -> bool:
    """Whether a check's source calls nothing but inert built-ins and does no arithmetic outside
    its f-strings (a comparison of typed literals)."""
    fn = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef))
    calls, arithmetic = set(), False

    def walk(node: ast.AST) -> None:
        nonlocal arithmetic
        if isinstance(node, ast.JoinedStr):
            return  # the evidence text
        if isinstance(node, ast.Call):
            f = node.func
            calls.add(f.id if isinstance(f, ast.Name) else getattr(f, "attr", "?"))
        if isinstance(node, (ast.BinOp, ast.AugAssign)):
            arithmetic = True
        for child in ast.iter_child_nodes(node):
            walk(child)

    for stmt in fn.body:
        walk(stmt)
    return calls <= _INERT_CALLS and not arithmetic


def test_the_detector_of_checks_that_cannot_fail():
    literal = (
        "def c():\n    stated, cited = ('Rosenblatt', 1958), ('Rosenblatt', 1958)\n"
        "    return Finding(stated == cited, True, f'{cited}')\n"
    )
    computed = "def c():\n    n = 6 * (5 * 5 * 3 + 1)\n    return Finding(n == 456, True, '')\n"
    called = "def c():\n    z = output_size(28, 5)\n    return Finding(z == 24, True, '')\n"
    referenced = "def c():\n    return by_reference(True, 'Psychological Review, 1958')\n"
    assert _computes_nothing(literal)
    assert not _computes_nothing(computed) and not _computes_nothing(called)
    assert not _computes_nothing(referenced)


def test_no_check_poses_as_a_computation_when_it_compares_typed_values():
    posing = [c.id for c in ALL if _computes_nothing(c.code())]
    assert not posing, f"checks that compare typed values; return record.by_reference: {posing}"


def test_every_reference_verdict_cites_its_literature():
    for c in ALL:
        if "by_reference(" in c.code():
            assert c.reference, c.id


def test_by_reference_says_nothing_was_computed_and_needs_a_citation():
    f = record.by_reference(False, "HOG: 2005")
    assert f.evidence == record.BY_REFERENCE + "HOG: 2005" and f.correct_holds
    with pytest.raises(LedgerError, match="needs a note"):
        record.by_reference(True, "")
    uncited = record.Claim(
        "x", "thesis", "§1", "", "wrong", "", "none", lambda: record.by_reference(False, "1959")
    )
    with pytest.raises(LedgerError, match="cites no reference"):
        ledger.verify(uncited)
    cited = record.Claim(
        "x",
        "thesis",
        "§1",
        "",
        "wrong",
        "",
        "none",
        lambda: record.by_reference(False, "1959"),
        reference="Hubel & Wiesel (1959)",
    )
    assert record.basis(ledger.verify(cited)) == "reference"
    assert record.basis(ledger.verify("slides-dataset-sizes")) == "computation and reference"
    assert record.basis(ledger.verify("blog-output-size-example")) == "computation"


# --------------------------------------------------------------------------------------------
# judgments: like statements alike, the errata
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ids",
    [
        # the paper's four loop listings print the outer increments at the inner loop's depth
        (
            "paper-3.1-convolution-listing",
            "paper-3.2-maxpool-listing",
            "paper-3.3-backward-listing-loops",
            "paper-3.3-maxpool-backward-loops",
        ),
        # "AlexNet proposed / introduced" ReLU or dropout
        ("thesis-2.2.2-relu-history", "slides-alexnet-relu-dropout", "guide-5-dropout-history"),
        # a kernel must be smaller than its input
        ("blog-kernel-size", "paper-2.3-kernel-smaller"),
    ],
)
def test_like_statements_are_judged_alike(ids):
    assert len({ledger.get(i).verdict for i in ids}) == 1, ids


def test_the_44426K_slip_is_one_wording_erratum_and_the_sums_hold():
    assert ledger.get("slides-lenet5-44426K").verdict == "wording"
    assert "slides-lenet5-44426K" in ledger.get("slides-lenet-cifar-params").correct


def test_every_source_has_errata_and_editorial_errors_are_listed():
    results = ledger.verify_all("errata")
    page = render.errata_list(results, "slides", {})
    assert "editorial" in page and "slides-parameter-sharing-title" in page
    assert "No wording or editorial erratum" in render.errata_list(results, "guide", {})
    editorial = {c.document for c in ALL if c.verdict == "editorial"}
    assert {"thesis", "paper", "guide", "slides"} <= editorial


# --------------------------------------------------------------------------------------------
# the claims table on every screen, and the sources page
# --------------------------------------------------------------------------------------------


def test_claims_table_keeps_every_column_on_a_phone_and_on_paper():
    t = ledger.table("conv_backprop")
    page = t._repr_html_()
    assert "@media (max-width: 40em)" in page and "@media print" in page
    assert "table-layout: fixed" in page
    assert f"<caption>{len(t.results)} claims of the sources, checked: " in page
    headers = re.findall(r'<th scope="col" role="columnheader">([^<]+)</th>', page)
    assert headers == [h for _, h in render.COLUMNS]
    cells = re.findall(r'<td role="cell" data-label="([^"]+)">', page)
    assert len(cells) == len(headers) * len(t.results)
    assert set(cells) == set(headers)


def test_citations_link_to_the_sources_page():
    page = ledger.table("convolution")._repr_html_()
    for doc in {r.claim.document for r in ledger.verify_all("convolution")}:
        assert f'href="sources.html#source-{doc}"' in page
    erratum = render.erratum(ledger.verify("paper-eq8-index"), {})
    assert 'href="sources.html#source-paper"' in erratum


def test_the_sources_page_has_an_entry_for_every_source():
    text = (Path(__file__).parents[1] / "book" / "sources.md").read_text()
    for doc in sources.SOURCES:
        assert f"(source-{doc})=" in text
        assert f"{{ref}}`the {doc} <source-{doc}>`" in text


@pytest.mark.parametrize(
    "text",
    [
        "short",
        "a long evidence text with a formula $\\sum_{i=1}^{n} w_i x_i + b$ that must not be "
        "cut in the middle of its dollars, followed by more words; and then some more words "
        "until it is well past the limit of the fold",
        "word " * 60,
    ],
)
def test_fold_never_cuts_inside_a_formula(text):
    head, rest = render.fold(text)
    assert (head + (" " + rest if rest else "")) == text
    assert head.count("$") % 2 == 0
    assert len(head) <= render.EVIDENCE_FOLD or not rest


def test_long_evidence_is_folded_and_references_are_labelled():
    r = ledger.verify("paper-3.1-convolution-listing")
    cell = render.evidence_html(r.claim, r.finding.evidence)
    assert cell.startswith("<details><summary>") and len(r.finding.evidence) > render.EVIDENCE_FOLD
    ref = ledger.verify("guide-1-rosenblatt")
    assert "By reference, not computed" in render.evidence_html(ref.claim, ref.finding.evidence)


def test_the_text_form_of_a_table_is_short():
    t = ledger.table("convolution")
    text = repr(t)
    assert len(t.results) > 60 and len(text.splitlines()) <= len(t.results) // 2
    assert all(r.claim.id in text for r in t.results)
    assert all(len(line) <= 100 for line in text.splitlines())


def test_table_rows_give_every_cell_as_text():
    results = ledger.verify_all("losses")
    rows = render.table_rows(results)
    assert [r["id"] for r in rows] == [r.claim.id for r in results]
    assert {"citation", "stated", "verdict", "correct", "evidence", "basis"} <= set(rows[0])
