import json

import pytest

from cnnmath import ledger
from cnnmath.ledger import Finding, LedgerError

ALL = ledger.claims()


@pytest.mark.parametrize("claim", ALL, ids=[c.id for c in ALL])
def test_every_claim_supports_its_verdict(claim):
    result = ledger.verify(claim)
    assert ledger.consistent(claim.verdict, result.finding)


def test_ledger_covers_every_verdict_and_document_keys_are_known():
    verdicts = {c.verdict for c in ALL}
    assert {"holds", "wrong", "inconsistent", "convention"} <= verdicts
    assert all(c.document in ledger.SOURCES for c in ALL)
    assert len({c.id for c in ALL}) == len(ALL)


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


def test_a_wrong_verdict_is_caught():
    claim = ledger.Claim("x", "thesis", "nowhere", "1 = 2", "holds", "1 != 2", "none", lambda: Finding(False, True, "1 != 2"))
    with pytest.raises(LedgerError, match="recorded as 'holds'"):
        ledger.verify(claim)


def test_register_rejects_unknown_document_and_verdict_and_duplicates():
    with pytest.raises(LedgerError, match="unknown document"):
        ledger.claim("y", document="book", where="", stated="", verdict="holds", correct="", chapter="c")
    with pytest.raises(LedgerError, match="unknown verdict"):
        ledger.claim("y", document="thesis", where="", stated="", verdict="maybe", correct="", chapter="c")
    with pytest.raises(LedgerError, match="registered twice"):
        ledger.claim(ALL[0].id, document="thesis", where="", stated="", verdict="holds", correct="", chapter="c")(
            lambda: Finding(True, True)
        )


def test_unknown_chapter_and_claim():
    with pytest.raises(LedgerError, match="no claims registered"):
        ledger.claims("no-such-chapter")
    with pytest.raises(LedgerError, match="no claim"):
        ledger.get("no-such-claim")


def test_records_are_json_and_carry_the_check_code():
    recs = ledger.records("losses")
    text = json.dumps(recs)
    assert json.loads(text)[0]["chapter"] == "losses"
    assert all("def " in r["check"] and r["correct_holds"] for r in recs)


def test_table_renders_html_and_text():
    t = ledger.table("activations")
    assert "<table" in t._repr_html_() and "claims checked" in repr(t)
    assert sum(t.counts().values()) == len(ledger.claims("activations"))
