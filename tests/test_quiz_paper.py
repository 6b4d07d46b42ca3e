"""cnnmath.quiz.paper and versions: per-student exams from a secret, their PDFs, key and grading."""

from __future__ import annotations

import csv
import io
import subprocess

import pytest

from cnnmath.quiz import QuizError, exam
from cnnmath.quiz.__main__ import main
from cnnmath.quiz.paper import (
    exam_for,
    exam_kinds,
    grade_exams,
    read_roster,
    scores_csv,
    student_report,
    summary,
    write_exams,
)
from cnnmath.quiz.versions import BOOK_SEEDS, read_secret, version_code, version_seed

SECRET = b"a long enough secret"
ROSTER = "id,name,email\ns001,Ada Lovelace,a@x\ns002,Alan Turing,b@x\ns003,Émilie du Châtelet,c@x\n"


def test_versions_depend_on_the_secret_and_the_student_never_on_book_seeds():
    a = version_seed(SECRET, "s001", "conv_feature_map")
    assert a == version_seed(SECRET, "s001", "conv_feature_map")
    assert a != version_seed(SECRET, "s002", "conv_feature_map")
    assert a != version_seed(b"another secret!!", "s001", "conv_feature_map")
    assert all(version_seed(SECRET, f"s{i}", "k") not in BOOK_SEEDS for i in range(2000))
    assert version_code(SECRET, "s001") != version_code(SECRET, "s002")
    with pytest.raises(QuizError, match="at least"):
        read_secret("short")
    with pytest.raises(QuizError, match="secret is needed"):
        read_secret()


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("name\nAda\n", "columns id and name"),
        ("id,name\ns1,A\ns1,B\n", "also on line 2"),
        ("id,name\n,A\n", "the id"),
        ("id,name\ns1,\n", "no name"),
        ("id,name\n", "no students"),
        ("id,name\ns 1,A\n", "the id"),
    ],
)
def test_bad_rosters_are_refused(text, message):
    with pytest.raises(QuizError, match=message):
        read_roster(text)


def _answers(kinds, students, wrong=()):
    """A CSV with each student's key answers, except the (student, label) pairs in wrong, which
    get the first known mistake's value."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["student"] + [f"Q{i}" for i in range(1, len(kinds) + 1)])
    for sid in students:
        row = [sid]
        for label, q in exam_for(SECRET, sid, kinds):
            a = q.answer
            if (sid, label) in wrong:
                v, _ = a.distractors[0]
                row.append(chr(65 + v) if a.type == "choice" else a.text(v).replace("\n", "; "))
            else:
                row.append(a.key())
        w.writerow(row)
    return buf.getvalue()


def test_grading_each_student_against_their_own_version():
    kinds = exam_kinds(["convolution", "conv_backprop"])
    roster = read_roster(ROSTER)
    ids = [s.id for s in roster]
    grid_label = f"Q{kinds.index('conv_feature_map') + 1}"
    marks = grade_exams(_answers(kinds, ids, {("s002", grid_label)}), SECRET, kinds, roster)
    by = {(m.student, m.question): m for m in marks}
    assert all(m.feedback.correct for m in marks if (m.student, m.question) != ("s002", grid_label))
    bad = by[("s002", grid_label)]
    assert not bad.feedback.correct and bad.feedback.mistake is not None and 0 <= bad.credit < 1
    # s001's answers are not s002's: graded against s002's version they fail
    swapped = _answers(kinds, ["s001"]).replace("s001", "s002", 1)
    assert not all(m.feedback.correct for m in grade_exams(swapped, SECRET, kinds, roster))
    table = list(csv.DictReader(io.StringIO(summary(marks))))
    row = next(r for r in table if r["question"] == grid_label)
    assert row["right"] == "2" and bad.feedback.mistake.key in row["mistakes"]
    per_student = {r["student"]: r for r in csv.DictReader(io.StringIO(scores_csv(marks)))}
    s2 = per_student["s002"]
    assert float(s2["score"]) == pytest.approx(len(kinds) - 1 + bad.credit, abs=1e-3)
    assert (s2["right"], s2["mistakes"], s2["blank"]) == (str(len(kinds) - 1), "1", "0")
    report = student_report("s002", marks, "Alan Turing")
    assert report.startswith("Alan Turing (s002): ") and bad.feedback.message[:40] in " ".join(
        report.split()
    )
    with pytest.raises(QuizError, match="not on the roster"):
        grade_exams(_answers(kinds, ["s999"]), SECRET, kinds, roster)


def test_exams_are_pdfs_with_name_and_code_on_every_page_and_a_key(tmp_path):
    roster = read_roster(ROSTER)
    kinds = exam_kinds(["convolution"])
    out = tmp_path / "exams"
    pdfs = write_exams(roster, kinds, SECRET, out, workers=2)
    assert sorted(p.name for p in out.iterdir()) == ["key.csv", "s001.pdf", "s002.pdf", "s003.pdf"]
    for st, pdf in zip(roster, pdfs):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        pages = [p for p in text.split("\f") if p.strip()]
        assert len(pages) >= 2 and "Answer sheet" in pages[-1]
        code = version_code(SECRET, st.id)
        for page in pages:
            assert st.name in page and code in page
        for _, q in exam_for(SECRET, st.id, kinds):
            assert str(q.seed) not in text
    key = list(csv.DictReader((out / "key.csv").open(encoding="utf-8")))
    assert len(key) == len(roster) * len(kinds)
    q1 = exam_for(SECRET, "s002", kinds)[0][1]
    assert next(r for r in key if r["student"] == "s002")["answer"] == q1.answer.key()
    with pytest.raises(QuizError, match="already exists"):
        write_exams(roster, kinds, SECRET, out)


def test_cli_exam_bad_input_exits_2_and_leaves_nothing(tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\ns1,A\ns1,B\n", encoding="utf-8")
    out = tmp_path / "exams"
    argv = ["exam", "--roster", str(roster), "--topics", "convolution", "-o", str(out)]
    assert main(argv + ["--secret", "long enough secret"]) == 2
    assert "also on line 2" in capsys.readouterr().err
    roster.write_text("id,name\ns1,A\n", encoding="utf-8")
    assert main(argv) == 2 and "secret is needed" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # argparse's usage error
        main(argv + ["--secret", "long enough secret", "--kinds", "nope"])
    assert exc.value.code == 2 and "unknown question kind" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roster.csv"]


def test_a_printed_quiz_carries_no_seed_and_defaults_past_the_books(capsys):
    assert main(["show", "--topics", "convolution", "--no-solution"]) == 0
    out = capsys.readouterr().out
    for label, q in exam(["convolution"]):
        assert q.seed not in BOOK_SEEDS and q.id not in out and f"{label}. {q.title}" in out
    assert main(["show", "--topics", "convolution"]) == 0  # the instructor's copy has the ids
    assert exam(["convolution"])[0][1].id in capsys.readouterr().out


def test_a_missing_tex_engine_is_named_with_its_debian_package(tmp_path, monkeypatch):
    import shutil

    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "pdflatex" else real(name))
    with pytest.raises(QuizError, match="texlive-latex-base"):
        write_exams(read_roster(ROSTER), exam_kinds(["convolution"]), SECRET, tmp_path / "ex")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


@pytest.mark.parametrize(
    "answers, message",
    [
        ("student,Q1\n", "no answers"),
        ("name,Q1\nx,1\n", "'student' column"),
        ("student,Q99\ns001,1\n", "unknown question column"),
        ("student,Q1\ns999,1\n", "not on the roster"),
        ('student,Q1\n"s001,1\n', "not valid CSV"),
    ],
)
def test_cli_grade_by_student_refuses_bad_answer_files(tmp_path, capsys, answers, message):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "answers.csv").write_text(answers, encoding="utf-8")
    argv = ["grade", str(tmp_path / "answers.csv"), "--topics", "convolution"]
    argv += ["--secret", "long enough secret", "--roster", str(tmp_path / "roster.csv")]
    argv += ["-o", str(tmp_path / "report.csv"), "--summary", str(tmp_path / "summary.csv")]
    assert main(argv + ["--reports", str(tmp_path / "reports")]) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.csv", "roster.csv"]


def test_cli_grade_by_student_writes_report_and_summary(tmp_path, capsys):
    kinds = exam_kinds(["convolution"])
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "answers.csv").write_text(_answers(kinds, ["s001", "s003"]), encoding="utf-8")
    argv = ["grade", str(tmp_path / "answers.csv"), "--topics", "convolution"]
    argv += ["--secret", "a long enough secret", "--roster", str(tmp_path / "roster.csv")]
    argv += ["-o", str(tmp_path / "report.csv"), "--summary", str(tmp_path / "summary.csv")]
    extra = ["--scores", str(tmp_path / "scores.csv"), "--reports", str(tmp_path / "reports")]
    assert main(argv + extra) == 0
    out = capsys.readouterr().out
    assert f"s001: {len(kinds)}/{len(kinds)}" in out and f"s003: {len(kinds)}/{len(kinds)}" in out
    rows = list(csv.DictReader((tmp_path / "report.csv").open(encoding="utf-8")))
    assert len(rows) == 2 * len(kinds) and {r["credit"] for r in rows} == {"1"}
    summary_rows = list(csv.DictReader((tmp_path / "summary.csv").open(encoding="utf-8")))
    assert [r["right"] for r in summary_rows] == ["2"] * len(kinds)
    reports = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert reports == ["s001.txt", "s003.txt"]
    first = (tmp_path / "reports" / "s001.txt").read_text(encoding="utf-8")
    assert first.startswith(f"Ada Lovelace (s001): {len(kinds)} / {len(kinds)}")
    scores = list(csv.DictReader((tmp_path / "scores.csv").open(encoding="utf-8")))
    assert [(r["student"], r["score"], r["right"]) for r in scores] == [
        (s, str(len(kinds)), str(len(kinds))) for s in ("s001", "s003")
    ]
