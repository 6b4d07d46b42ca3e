"""Sphinx extension: what the book's HTML does for its readers, in both editions.

Added by ``_config.yml`` (``extra_extensions``), it puts ``book_static/cnnmath-reader.js`` and
``cnnmath-reader.css`` on every page, which

- names the theme's colour-mode button after the mode its icon shows ("Color mode: Dark"), so
  its accessible name contains its visible label (WCAG 2.5.3, which axe checks);
- shows formulas in the search results' snippets as plain text (``∂E/∂z``) instead of their
  TeX source (``\\(\\partial E/\\partial z\\)``): Sphinx's search builds a snippet from the page's
  text, where MathJax has not run;
- darkens links inside HTML outputs in dark mode, where the theme gives those outputs a light
  background;
- puts each figure's alt text on its image: a notebook's figure output carries it in its
  metadata (:mod:`cnnmath.plots` writes it there) or its cell gives one (``mystnb: image: alt``);
  an image with neither is logged (``tests/test_plots.py`` requires one on every stored figure).

Nothing is fetched: the script is copied into the book's ``_static`` folder.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "book_static"
SCRIPT = "cnnmath-reader.js"
STYLE = "cnnmath-reader.css"


_DIGEST = re.compile(r"[0-9a-f]{64}")


def alt_texts(notebook: dict) -> dict[str, str]:
    """The alt text of each image output of ``notebook`` (JSON) that carries one, by the SHA-256
    of the image's bytes (the name myst-nb gives the image's file)."""
    found = {}
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            for mime, value in output.get("data", {}).items():
                text = output.get("metadata", {}).get(mime, {}).get("alt")
                if mime.startswith("image/") and mime != "image/svg+xml" and text:
                    data = base64.b64decode(value if isinstance(value, str) else "".join(value))
                    found[hashlib.sha256(data).hexdigest()] = str(text)
    return found


class FigureAltText(SphinxTransform):
    """A notebook's output images get the alt text their output's metadata carries."""

    default_priority = 500

    def apply(self) -> None:
        path = Path(self.env.doc2path(self.env.docname))
        if path.suffix != ".ipynb":
            return
        alts = alt_texts(json.loads(path.read_text(encoding="utf-8")))
        for image in self.document.findall(nodes.image):
            digest = Path(image["uri"]).stem
            if not _DIGEST.fullmatch(digest) or image.get("alt"):
                continue  # not an output's image, or an alt given by the cell
            if digest in alts:
                image["alt"] = alts[digest]
            else:
                logger.info(f"{self.env.docname}: a figure output has no alt text", location=image)


def _add_static_path(app: Sphinx) -> None:
    if str(STATIC) not in app.config.html_static_path:
        app.config.html_static_path.append(str(STATIC))


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", _add_static_path)
    app.add_js_file(SCRIPT)
    app.add_css_file(STYLE)
    app.add_transform(FigureAltText)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
