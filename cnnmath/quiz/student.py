"""Sphinx extension for the student edition of the book: every exercise's solution removed.

``make student-book`` adds this extension and sets ``cnnmath_hide_solutions: true``
(``_config_student.yml``). sphinx-exercise's own ``hide_solutions`` is not enough for this book:
in sphinx-exercise 1.2.1 it drops the opening marker of a *gated* solution
(``solution-start`` ... ``solution-end``, the form every chapter uses so that a solution can
hold code cells) but leaves the rest, so the build fails on the orphaned ``solution-end`` and
would otherwise show the solution's content. This transform runs right after sphinx-exercise
has merged each gated solution into one node (its transform has priority 10) and removes every
solution node, gated or not, with its content; the exercises and the quizzes stay.

The edition's configuration is ``_config_student.yml`` merged over the book's ``_config.yml``
(:func:`merge_config`), written by the command line that ``make student-book`` runs::

    python -m cnnmath.quiz.student merge-config _config.yml _config_student.yml \
        -o _build/student/_config.yml
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform


class RemoveSolutions(SphinxTransform):
    default_priority = 11

    def apply(self) -> None:
        if not self.config.cnnmath_hide_solutions:
            return
        from sphinx_exercise.nodes import solution_node

        for node in list(self.document.findall(solution_node)):
            node.parent.remove(node)


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx_exercise")
    app.add_config_value("cnnmath_hide_solutions", False, "env")
    app.add_transform(RemoveSolutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def merge_config(base: dict, overlay: dict) -> dict:
    """``overlay`` merged over ``base`` (neither is changed): a new dict.

    Where both have a mapping the two are merged key by key, recursively; where both have a list
    the overlay's items that the base's list lacks are appended (``extra_extensions`` adds an
    extension and keeps the book's); any other overlay value replaces the base's.
    """
    merged = dict(base)
    for key, value in overlay.items():
        old = base.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            merged[key] = merge_config(old, value)
        elif isinstance(value, list) and isinstance(old, list):
            merged[key] = old + [item for item in value if item not in old]
        else:
            merged[key] = value
    return merged


def _read_mapping(path: str, what: str) -> dict:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise ValueError(f"{what} {path!r} cannot be read: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise ValueError(f"{what} {path!r} is not valid YAML: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(
            f"{what} {path!r} must hold a mapping at the top; it holds a {type(data).__name__}"
        )
    return data


def merge_config_files(base: str, overlay: str, output: str) -> dict:
    """Write the YAML of :func:`merge_config` of the two files to ``output`` (its folder made)."""
    merged = merge_config(_read_mapping(base, "base config"), _read_mapping(overlay, "overlay"))
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(merged, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return merged


def main(argv: list[str] | None = None) -> int:
    """``merge-config BASE OVERLAY -o OUT``; exit status 2 with a message on bad input."""
    parser = argparse.ArgumentParser(
        prog="python -m cnnmath.quiz.student", description="Tools for the book's student edition."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    merge = commands.add_parser(
        "merge-config",
        help="merge a Jupyter Book config over another (mappings merged, lists extended)",
    )
    merge.add_argument("base", help="the book's config, e.g. _config.yml")
    merge.add_argument("overlay", help="the edition's changes, e.g. _config_student.yml")
    merge.add_argument("-o", "--output", required=True, help="where to write the merged config")
    args = parser.parse_args(argv)
    try:
        merge_config_files(args.base, args.overlay, args.output)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
