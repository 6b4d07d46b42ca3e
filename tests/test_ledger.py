import json
import os
import subprocess
import sys

import numpy as np
import pytest

from cnnmath import ledger
from cnnmath.ledger import Finding, LedgerError, render
from cnnmath.ledger.__main__ import main
from cnnmath.ledger.sources import OUTLINES, sections_of

ALL = ledger.claims()


@pytest.mark.parametrize("claim", ALL, ids=[c.id for c in ALL])
def test_every_claim_supports_its_verdict(claim):
    result = ledger.verify(claim)
    assert ledger.consistent(claim.verdict, result.finding)
    assert result.finding.evidence, "a check must show its evidence"


def test_ledger_covers_every_verdict_and_document_keys_are_known():
    verdicts = {c.verdict for c in ALL}
    assert {"holds", "wrong", "inconsistent", "convention"} <= verdicts
    assert all(c.document in ledger.SOURCES for c in ALL)
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
    claim = ledger.Claim(
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
    claim = ledger.Claim("x", "thesis", "§2.4", "", "holds", "", "none", lambda: (True, True))
    with pytest.raises(LedgerError, match="returned tuple, not a Finding"):
        ledger.verify(claim)


def test_register_rejects_unknown_document_and_verdict_and_duplicates():
    with pytest.raises(LedgerError, match="unknown document"):
        ledger.claim(
            "y", document="book", where="", stated="", verdict="holds", correct="", chapter="c"
        )
    with pytest.raises(LedgerError, match="unknown verdict"):
        ledger.claim(
            "y", document="thesis", where="", stated="", verdict="maybe", correct="", chapter="c"
        )
    with pytest.raises(LedgerError, match="registered twice"):
        ledger.claim(
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
    assert "<table class='cnnmath-ledger'>" in page and "<style>" in page
    assert page.count("cnnmath-verdict") >= len(t.results)
    assert 'class="math notranslate nohighlight"' in page
    assert "claims checked" in repr(t)
    assert sum(t.counts().values()) == len(ledger.claims("activations"))


def test_erratum_links_only_to_chapters_in_the_book():
    r = ledger.verify("paper-eq8-index")
    linked = render.erratum(r, {"convolution": "Convolution"})
    assert '<a href="convolution.html">Convolution</a>' in linked and "<details>" in linked
    assert "<a " not in render.erratum(r, {})
    assert "this page is where the book discusses it" in render.erratum(
        ledger.verify("paper-5-run-times"), {}
    )


def test_errata_pages_count_and_group_the_claims():
    results = ledger.verify_all("convolution")
    table = render.counts_table(results)
    assert (
        table.count("<tr>") == 1 + len(ledger.SOURCES) + 1
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
