"""Architecture tables, computed by running shapes through a network's layers.

For every layer of a :class:`cnnmath.network.Sequential`: the output shape, the weights and biases,
the trained and non-trained numbers, the multiply-accumulate operations and the memory of the
activations it produces, for one example; and the totals; for a multilayer perceptron (or when
asked) each count written out as a product of sizes, ``784*128 + 128``. Nothing is typed: a
chapter sets the table beside the numbers a source prints, and the tests check it against the
torch twin. The table reads the description alone: it allocates no array.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from .arguments import flag
from .layers import Activation, Dense, Dropout, Layer


@dataclass(frozen=True)
class LayerRow:
    """One layer of the table; counts are for one example."""

    name: str
    output: str
    weights: int
    biases: int
    formula: str = ""
    non_trainable: int = 0
    macs: int = 0
    memory: int = 0  # bytes of the layer's output

    @property
    def params(self) -> int:
        """Trained numbers: weights and biases."""
        return self.weights + self.biases

    trainable = params


def _bytes(n: int) -> str:
    for unit, size in (("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n:,} B"


class Summary:
    """A table of :class:`LayerRow` with totals, shown as HTML in notebooks and as text elsewhere."""

    def __init__(self, title: str, rows: list[LayerRow], dtype_name: str = ""):
        self.title, self.rows, self.dtype_name = title, rows, dtype_name

    def _sum(self, attr: str) -> int:
        return sum(getattr(r, attr) for r in self.rows)

    @property
    def total(self) -> int:
        """Trained numbers of the whole network."""
        return self._sum("params")

    trainable = total

    @property
    def weights(self) -> int:
        return self._sum("weights")

    @property
    def biases(self) -> int:
        return self._sum("biases")

    @property
    def non_trainable(self) -> int:
        return self._sum("non_trainable")

    @property
    def macs(self) -> int:
        return self._sum("macs")

    @property
    def memory(self) -> int:
        return self._sum("memory")

    def row(self, name: str) -> LayerRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(
            f"no layer {name!r} in {self.title!r}; the layers are {[r.name for r in self.rows]}"
        )

    def _columns(self) -> list[tuple[str, callable]]:
        cols = [
            ("layer", lambda r: r.name),
            ("output", lambda r: r.output),
            ("weights", lambda r: f"{r.weights:,}"),
            ("biases", lambda r: f"{r.biases:,}"),
            ("trainable", lambda r: f"{r.params:,}"),
        ]
        if any(r.non_trainable for r in self.rows):
            cols.append(("non-trainable", lambda r: f"{r.non_trainable:,}"))
        if any(r.macs for r in self.rows):
            cols.append(("multiply-adds", lambda r: f"{r.macs:,}"))
        if any(r.memory for r in self.rows):
            cols.append(
                (
                    f"activations ({self.dtype_name})" if self.dtype_name else "activations",
                    lambda r: _bytes(r.memory),
                )
            )
        if any(r.formula for r in self.rows):
            cols.append(("count", lambda r: r.formula))
        return cols

    def _totals(self) -> dict[str, str]:
        return {
            "layer": "total",
            "weights": f"{self.weights:,}",
            "biases": f"{self.biases:,}",
            "trainable": f"{self.total:,}",
            "non-trainable": f"{self.non_trainable:,}",
            "multiply-adds": f"{self.macs:,}",
            "activations": _bytes(self.memory),
        }

    def _repr_html_(self) -> str:
        cols = self._columns()
        tot = self._totals()
        head = "".join(f"<th>{html.escape(h)}</th>" for h, _ in cols)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(f(r)))}</td>" for _, f in cols) + "</tr>"
            for r in self.rows
        )
        foot = (
            "<tr>"
            + "".join(f"<th>{html.escape(tot.get(h.split(' (')[0], ''))}</th>" for h, _ in cols)
            + "</tr>"
        )
        return (
            f"<p><b>{html.escape(self.title)}</b></p><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}{foot}</tbody></table>"
        )

    def __repr__(self) -> str:
        cols = self._columns()
        tot = self._totals()
        cells = [[h for h, _ in cols]] + [[str(f(r)) for _, f in cols] for r in self.rows]
        cells.append([tot.get(h.split(" (")[0], "") for h, _ in cols])
        widths = [max(len(row[j]) for row in cells) for j in range(len(cols))]
        lines = [self.title]
        for row in cells:
            lines.append(
                "  "
                + "  ".join(
                    c.ljust(w)
                    if j < 2 or j == len(cols) - 1 and cols[j][0] == "count"
                    else c.rjust(w)
                    for j, (c, w) in enumerate(zip(row, widths))
                ).rstrip()
            )
        return "\n".join(lines)


def summary(net, title: str | None = None, *, counts: bool | None = None) -> Summary:
    """The table of a :class:`cnnmath.network.Sequential`, read from its layers' shapes (it
    allocates no array, so a network of any size is tabulated at once).

    ``counts`` adds a column writing each layer's count of trained numbers out as a product of its
    sizes (a dense layer from ``n_in`` to ``n_out`` units: ``n_in*n_out + n_out``); by default
    (``None``) it is written for a multilayer perceptron, a network of dense layers and
    activations only, where the counts are the lesson.
    """
    if not isinstance(getattr(net, "layers", None), list) or not hasattr(net, "dtype"):
        raise TypeError(
            f"net must be a network description (cnnmath.network.Sequential); got {type(net).__name__}"
        )
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str or None; got {title!r}")
    if counts is None:
        counts = any(isinstance(layer, Dense) for layer in net.layers) and all(
            isinstance(layer, (Dense, Activation, Dropout)) for layer in net.layers
        )
    counts = flag(counts, "counts")
    rows = []
    itemsize = net.dtype.itemsize
    for layer in net.layers:
        shapes = layer.param_shapes()
        n = {k: _prod(s) for k, s in shapes.items()}
        out = layer.out_shape
        rows.append(
            LayerRow(
                f"{layer.name}: {layer.describe()}",
                "x".join(map(str, out)),
                weights=sum(v for k, v in n.items() if k != "bias"),
                biases=n.get("bias", 0),
                formula=_count(layer, shapes) if counts else "",
                non_trainable=sum(_prod(s) for s in layer.buffer_shapes().values()),
                macs=layer.macs(),
                memory=_prod(out) * itemsize,
            )
        )
    return Summary(title or net.name, rows, net.dtype.name)


def _count(layer: Layer, shapes: dict[str, tuple[int, ...]]) -> str:
    """The layer's trained numbers written out, ``784*128 + 128``: each array's sizes multiplied
    (a dense layer's weights in reading order, inputs times units), the arrays added."""
    terms = []
    for k, shape in shapes.items():
        if isinstance(layer, Dense) and k == "weight":
            shape = shape[::-1]
        terms.append("*".join(str(int(s)) for s in shape))
    return " + ".join(terms)


def _prod(shape: Sequence[int]) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n
