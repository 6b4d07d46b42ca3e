"""cnnmath.tex: the shared preamble compiles under pdflatex; errors and missing pieces are named.

These tests need Debian's minimal TeX set (``scripts/get-tex.sh minimal``); without it they fail
with :class:`cnnmath.tex.TeXMissing`, whose message names the package to install.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cnnmath import tex

ROOT = Path(__file__).resolve().parents[1]


def pdf_text(pdf: Path) -> str:
    if shutil.which("pdftotext") is None:
        raise tex.TeXMissing("pdftotext", tex.package_for("pdftotext"))
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_document_with_the_shared_preamble_compiles(tmp_path):
    body = (
        r"\section*{Quiz 1}"
        "\n"
        r"Compute $\frac{\partial L}{\partial w} = \sum_{i} \delta_i x_i$.\par"
        r"\begin{align*} a &= b \checkmark \end{align*}"
        r"Answer: \answerbox{4cm}\par \optionbox\ option A"
    )
    pdf = tex.compile(tex.document(body), tmp_path, name="quiz")
    assert pdf == tmp_path / "quiz.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Quiz 1" in text
    assert "option A" in text
    assert (tmp_path / "quiz.tex").read_text(encoding="utf-8").count(r"\begin{document}") == 1


def test_compile_a_tex_file_in_place(tmp_path):
    source = tmp_path / "sheet.tex"
    source.write_text(tex.document("Name: \\answerbox{6cm}"), encoding="utf-8")
    assert tex.compile(source, tmp_path) == tmp_path / "sheet.pdf"


def test_a_latex_error_stops_the_run_and_is_quoted(tmp_path):
    # MathJax accepts a subscript inside \text; LaTeX does not: the error must reach the caller.
    bad = tex.document(r"\[ \text{the bias of m_t} \]")
    with pytest.raises(tex.TeXError, match=r"document.tex:\d+: Missing \$ inserted") as info:
        tex.compile(bad, tmp_path)
    assert not isinstance(info.value, tex.TeXMissing)
    assert info.value.log == tmp_path / "document.log"
    assert not (tmp_path / "document.pdf").exists()


def test_a_missing_package_names_the_debian_package(tmp_path):
    doc = tex.document("x", extra_preamble=r"\usepackage{cnnmath-no-such-package}")
    with pytest.raises(tex.TeXMissing, match="cnnmath-no-such-package.sty") as info:
        tex.compile(doc, tmp_path)
    assert info.value.package == "texlive-latex-extra"
    assert "apt-get install texlive-latex-extra" in str(info.value)


def test_package_for_known_files():
    assert tex.package_for("bbm.sty") == "texlive-fonts-extra"
    assert tex.package_for("amsmath.sty") == "texlive-latex-base"
    assert tex.package_for("fncychap.sty") == "texlive-latex-extra"
    assert tex.package_for("xelatex") == "texlive-xetex"
    assert tex.package_for("pdftotext") == "poppler-utils"
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        tex.package_for("")


def test_a_missing_engine_names_the_debian_package(tmp_path, monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(
        tex.shutil, "which", lambda cmd: None if cmd == "xelatex" else real_which(cmd)
    )
    with pytest.raises(tex.TeXMissing, match="apt-get install texlive-xetex") as info:
        tex.compile(tex.document("x"), tmp_path, engine="xelatex")
    assert info.value.package == "texlive-xetex"


def test_without_latexmk_the_engine_runs_itself(tmp_path, monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(
        tex.shutil, "which", lambda cmd: None if cmd == "latexmk" else real_which(cmd)
    )
    body = r"See page~\pageref{end}.\newpage Last page.\label{end}"
    pdf = tex.compile(tex.document(body), tmp_path)
    # two runs settle the reference: the text says page 2, not ??
    assert "See page 2." in pdf_text(pdf)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"engine": "tex"}, "engine must be one of"),
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"name": "../up"}, "name must be a plain file stem"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        tex.compile(tex.document("x"), tmp_path, **kwargs)


def test_bad_sources(tmp_path):
    with pytest.raises(ValueError, match="whole document"):
        tex.compile(r"$x$", tmp_path)
    with pytest.raises(ValueError, match="source must be LaTeX text or a path"):
        tex.compile(b"\\begin{document}", tmp_path)
    elsewhere = tmp_path / "a" / "x.tex"
    elsewhere.parent.mkdir()
    elsewhere.write_text(tex.document("x"), encoding="utf-8")
    with pytest.raises(ValueError, match="must be in directory"):
        tex.compile(elsewhere, tmp_path)
    with pytest.raises(ValueError, match="existing .tex file"):
        tex.compile(tmp_path / "missing.tex", tmp_path)
    with pytest.raises(ValueError, match="documentclass must be a class name"):
        tex.document("x", documentclass="article}\\evil{")


def test_get_tex_script_installs_the_same_two_sets():
    script = (ROOT / "scripts" / "get-tex.sh").read_text(encoding="utf-8")
    minimal = re.search(r"^minimal=\(([^)]*)\)", script, re.M).group(1).split()
    full_extra = re.search(r'^full=\("\$\{minimal\[@\]\}"([^)]*)\)', script, re.M).group(1)
    assert tuple(minimal) == tex.DEBIAN_PACKAGES["minimal"]
    assert set(minimal + full_extra.split()) == set(tex.DEBIAN_PACKAGES["full"])
    assert "texlive-fonts-extra" not in script.split("set -u", 1)[1]


def test_get_tex_script_rejects_an_unknown_set():
    run = subprocess.run(
        ["bash", str(ROOT / "scripts" / "get-tex.sh"), "everything"], capture_output=True, text=True
    )
    assert run.returncode == 2
    assert "usage: scripts/get-tex.sh [minimal|full]" in run.stderr
