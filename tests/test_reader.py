"""The book's reader extension (cnnmath.reader): figures' alt texts from their outputs' metadata,
and its script and style on every page."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys

from cnnmath.reader import alt_texts

# a 1x1 PNG, and another (one byte of colour differs)
PNG_A = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PNG_B = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def _image_output(png: bytes, alt: str | None) -> dict:
    metadata = {"image/png": {"alt": alt}} if alt else {}
    return {
        "output_type": "display_data",
        "data": {"image/png": base64.b64encode(png).decode(), "text/plain": "<Figure>"},
        "metadata": metadata,
    }


NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    },
    "cells": [
        {"cell_type": "markdown", "id": "t", "metadata": {}, "source": "# Figures"},
        {
            "cell_type": "code",
            "id": "a",
            "metadata": {},
            "execution_count": 1,
            "source": "plot()",
            "outputs": [_image_output(PNG_A, "A falling loss curve.")],
        },
        {
            "cell_type": "code",
            "id": "b",
            "metadata": {"mystnb": {"image": {"alt": "Given by the cell."}}},
            "execution_count": 2,
            "source": "plot()",
            "outputs": [_image_output(PNG_B, None)],
        },
    ],
}


def test_alt_texts_by_the_images_digest():
    assert alt_texts(NOTEBOOK) == {hashlib.sha256(PNG_A).hexdigest(): "A falling loss curve."}


def test_a_build_puts_the_alt_texts_on_the_images_and_the_reader_files_on_the_page(tmp_path):
    (tmp_path / "page.ipynb").write_text(json.dumps(NOTEBOOK))
    (tmp_path / "index.md").write_text("# Book\n\n```{toctree}\npage\n```\n")
    (tmp_path / "conf.py").write_text(
        "extensions = ['myst_nb', 'cnnmath.reader']\nnb_execution_mode = 'off'\n"
    )
    out = tmp_path / "html"
    build = [sys.executable, "-m", "sphinx", "-q", "-W", "-b", "html", "-d", str(tmp_path / "d")]
    subprocess.run([*build, str(tmp_path), str(out)], check=True, timeout=300)
    page = (out / "page.html").read_text()
    assert 'alt="A falling loss curve."' in page
    assert 'alt="Given by the cell."' in page
    assert "_static/cnnmath-reader.js" in page and "_static/cnnmath-reader.css" in page
    assert (out / "_static" / "cnnmath-reader.js").is_file()
    assert (out / "_static" / "cnnmath-reader.css").is_file()
