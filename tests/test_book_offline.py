"""The built book loads nothing from the network: MathJax and every script, style sheet, font and
image come from the book's own files, so formulas render on a machine with no connection.

The test builds a two-page book with the repository's own ``_config.yml`` (one Markdown page with
display math, one notebook whose stored output is a derivation) and inspects every resource the
HTML and CSS would load.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"

# Attributes through which a page loads something (links a reader clicks, <a href>, are fine).
LOADS = re.compile(
    r"<(script|img|iframe|source|audio|video|embed)\b[^>]*\bsrc=\"([^\"]*)\""
    r"|<link\b[^>]*\bhref=\"([^\"]*)\"",
    re.IGNORECASE,
)
CSS_LOADS = re.compile(r"url\(\s*['\"]?([^'\")]+)|@import\s+['\"]([^'\"]+)")


def _remote(url: str) -> bool:
    return bool(re.match(r"^(https?:)?//", url.strip(), re.IGNORECASE))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not JUPYTER_BOOK.exists():
        pytest.fail(f"jupyter-book is not installed next to {sys.executable}; run `make env`")
    src = tmp_path_factory.mktemp("book")
    config = (ROOT / "_config.yml").read_text()
    # The stored output is what is inspected: no kernel is needed.
    config = config.replace("execute_notebooks: force", "execute_notebooks: 'off'")
    assert "execute_notebooks: 'off'" in config
    (src / "_config.yml").write_text(config)
    (src / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n  - file: page\n")
    (src / "index.md").write_text(
        "# Offline\n\nInline $x^2$ and display\n\n$$ \\begin{aligned} a &= b && \\checkmark"
        "\\end{aligned}\\tag*{eq. 1} $$\n"
    )
    cell = nbformat.v4.new_code_cell("d")
    cell.outputs = [
        nbformat.v4.new_output(
            "execute_result",
            data={"text/latex": "$$\\frac{\\partial E}{\\partial a} = 1$$"},
            execution_count=1,
        )
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Page\n\n$y$"), cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, src / "page.ipynb")
    run = subprocess.run(
        [str(JUPYTER_BOOK), "build", str(src), "--warningiserror"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    html = src / "_build" / "html"
    yield html
    shutil.rmtree(src, ignore_errors=True)


def test_mathjax_is_served_by_the_book(built: Path) -> None:
    for page in ("index.html", "page.html"):
        text = (built / page).read_text()
        scripts = [m.group(2) for m in LOADS.finditer(text) if m.group(1)]
        mathjax = [s for s in scripts if "mathjax" in s.lower() or "tex-" in s.lower()]
        assert mathjax == ["_static/mathjax/tex-chtml.js"], mathjax
    assert (built / "_static" / "mathjax" / "tex-chtml.js").is_file()
    fonts = built / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
    assert any(fonts.glob("*.woff")), "MathJax's fonts are not bundled"


def test_no_page_loads_anything_from_the_network(built: Path) -> None:
    remote = []
    for page in built.rglob("*.html"):
        for m in LOADS.finditer(page.read_text(errors="replace")):
            url = m.group(2) or m.group(3)
            if _remote(url):
                remote.append(f"{page.name}: {url}")
    for sheet in built.rglob("*.css"):
        for m in CSS_LOADS.finditer(sheet.read_text(errors="replace")):
            url = m.group(1) or m.group(2)
            if _remote(url):
                remote.append(f"{sheet.relative_to(built)}: {url}")
    assert not remote, "resources loaded from the network:\n" + "\n".join(remote)


def test_no_live_code_button_that_would_fetch_thebe(built: Path) -> None:
    # sphinx-thebe writes the address of its library into every page, but fetches it only when a
    # reader presses a "live code" launch button; the book has none.
    for page in built.rglob("*.html"):
        assert "thebe-launch-button" not in page.read_text(errors="replace"), page.name
