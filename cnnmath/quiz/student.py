"""Sphinx extension for the student edition of the book: every exercise's solution removed.

``make student-book`` adds this extension and sets ``cnnmath_hide_solutions: true``
(``_config_student.yml``). sphinx-exercise's own ``hide_solutions`` is not enough for this book:
in sphinx-exercise 1.2.1 it drops the opening marker of a *gated* solution
(``solution-start`` ... ``solution-end``, the form every chapter uses so that a solution can
hold code cells) but leaves the rest, so the build fails on the orphaned ``solution-end`` and
would otherwise show the solution's content. This transform runs right after sphinx-exercise
has merged each gated solution into one node (its transform has priority 10) and removes every
solution node, gated or not, with its content; the exercises and the quizzes stay.
"""

from __future__ import annotations

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
