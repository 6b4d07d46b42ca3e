"""Architecture summaries: a layer-by-layer table of shapes and parameter counts.

The counts are computed from the architecture, never typed, so a chapter can set them beside the
numbers the sources print.
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from .validate import positive_int


@dataclass(frozen=True)
class LayerRow:
    name: str
    output: str
    weights: int
    biases: int
    formula: str

    @property
    def params(self) -> int:
        return self.weights + self.biases


class Summary:
    """A table of :class:`LayerRow` with the total, shown as HTML in notebooks and as text elsewhere."""

    def __init__(self, title: str, rows: list[LayerRow]):
        self.title, self.rows = title, rows

    @property
    def total(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def weights(self) -> int:
        return sum(r.weights for r in self.rows)

    @property
    def biases(self) -> int:
        return sum(r.biases for r in self.rows)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in ("layer", "output", "weights", "biases", "parameters", "count"))
        body = "".join(
            f"<tr><td>{html.escape(r.name)}</td><td>{html.escape(r.output)}</td><td>{r.weights:,}</td>"
            f"<td>{r.biases:,}</td><td>{r.params:,}</td><td>{html.escape(r.formula)}</td></tr>" for r in self.rows)
        foot = f"<tr><th>total</th><td></td><th>{self.weights:,}</th><th>{self.biases:,}</th><th>{self.total:,}</th><td></td></tr>"
        return f"<p><b>{html.escape(self.title)}</b></p><table><thead><tr>{head}</tr></thead><tbody>{body}{foot}</tbody></table>"

    def __repr__(self) -> str:
        lines = [self.title]
        lines += [f"  {r.name:10s} {r.output:>12s} {r.params:>12,d}   {r.formula}" for r in self.rows]
        lines.append(f"  {'total':10s} {'':>12s} {self.total:>12,d}")
        return "\n".join(lines)


def mlp_summary(sizes: Sequence[int], title: str | None = None) -> Summary:
    """The dense layers of an MLP with layer sizes ``sizes`` (input first)."""
    sizes = [positive_int(s, "layer size") for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"an MLP needs at least an input and an output size; got {sizes}")
    rows = [LayerRow(f"dense {l}", f"{b}", a * b, b, f"{a}*{b} + {b}")
            for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]), start=1)]
    return Summary(title or "MLP " + "-".join(map(str, sizes)), rows)
