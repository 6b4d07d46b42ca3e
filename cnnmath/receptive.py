"""Receptive fields: which input pixels each layer's outputs see, by a recurrence over the layers.

:math:`r_l = r_{l-1} + d_l(k_l - 1)\\,j_{l-1}`, :math:`j_l = s_l\\,j_{l-1}`,
:math:`a_l = a_{l-1} - p_l\\,j_{l-1}`, starting from :math:`r_0 = j_0 = 1`, :math:`a_0 = 0`.

For a layer with window :math:`k_l` (dilation :math:`d_l`), stride :math:`s_l` and padding
:math:`p_l`, output position :math:`o` reads the layer's inputs :math:`o s_l - p_l + d_l t`
(:math:`t = 0, \\dots, k_l - 1`); each of those sees :math:`r_{l-1}` input pixels, and neighbouring
ones are :math:`j_{l-1}` pixels apart. So output :math:`o` of layer :math:`l` sees the
:math:`r_l` input rows :math:`a_l + o\\,j_l, \\dots, a_l + o\\,j_l + r_l - 1` (0-based; rows
outside the image are padding): :math:`r_l` is the size of the field, :math:`j_l` the *jump*
between neighbouring outputs in input pixels and :math:`a_l` where the first output's field begins
(its centre is :math:`a_l + (r_l - 1)/2`); a dilated window sees only every
:math:`d_l`-th of them, so the field is tracked as a set of offsets per axis. Elementwise
layers (activations, batch normalization,
dropout) change nothing; after a flatten every unit sees the union of the last spatial fields.

:func:`receptive_fields` computes the table for a :class:`cnnmath.network.Sequential`;
:func:`gradient_support` measures it instead, by back-propagating a one-hot gradient from one
output through the layers' own backward functions and reading where the input gradient is not zero,
and :func:`check_receptive_fields` compares the two for every layer.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .arguments import positive_int, shape_tuple
from .layers import AvgPool2d, Conv2d, Dense, Flatten, Layer, MaxPool2d, _Pool
from .network import Sequential, check_network


@dataclass(frozen=True)
class Field:
    """The receptive field of one layer's outputs, per axis ``(rows, columns)``, in input pixels.

    ``size`` (:math:`r`), ``jump`` (:math:`j`) and ``first`` (:math:`a`) as in the module docstring;
    ``offsets`` lists, per axis, which of the :math:`r` pixels from :math:`a` the first output sees
    (all of them unless a dilated window left holes). ``seen`` lists, per axis, the image pixels
    seen by the union of the layer's outputs (clipped to the image), and ``extent`` their first and
    last. A flatten only renumbers (its unit 0 is channel 0 at position (0, 0)); dense layers and
    those after them have ``spatial = False``: each of their units sees all of ``seen``, and the
    other fields are those of the last spatial layer.
    """

    layer: str
    description: str
    output: tuple[int, ...]
    size: tuple[int, int]
    jump: tuple[int, int]
    first: tuple[int, int]
    offsets: tuple[tuple[int, ...], tuple[int, ...]]
    seen: tuple[tuple[int, ...], tuple[int, ...]]
    spatial: bool = True

    @property
    def centre(self) -> tuple[float, float]:
        """Centre of the first output's field, :math:`a + (r - 1)/2` (0-based pixel coordinates)."""
        return tuple(a + (r - 1) / 2 for a, r in zip(self.first, self.size))

    @property
    def solid(self) -> bool:
        """Whether the field is a full rectangle (no holes left by dilation)."""
        return all(len(o) == r for o, r in zip(self.offsets, self.size))

    @property
    def extent(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """First and last image row and column seen by any output of the layer."""
        return tuple((s[0], s[-1]) for s in self.seen)

    def pixels(self, position: tuple[int, int] | None, image: tuple[int, int]) -> np.ndarray:
        """Bool mask ``image`` of the pixels seen by output ``position``.

        For a layer that is not spatial, or ``position=None``: the union over all its outputs.
        """
        mask = np.zeros(image, bool)
        if not self.spatial or position is None:
            rows, cols = self.seen
        else:
            rows, cols = (
                [
                    q
                    for q in (
                        self.first[ax] + position[ax] * self.jump[ax] + o for o in self.offsets[ax]
                    )
                    if 0 <= q < image[ax]
                ]
                for ax in (0, 1)
            )
        mask[np.ix_(list(rows), list(cols))] = True
        return mask


def _window_geometry(
    layer: Layer,
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]] | None:
    """``(kernel, stride, padding, dilation)`` of a layer that slides a window, else ``None``."""
    geometry = getattr(layer, "window_geometry", None)
    if callable(geometry):  # layers outside this module that slide a window say so themselves
        return geometry()
    if isinstance(layer, Conv2d):
        return layer.kernel, layer.stride, layer.padding, layer.dilation
    if isinstance(layer, _Pool):
        return layer.kernel, layer.stride, layer.padding, (1, 1)
    return None


def _is_global(layer: Layer) -> bool:
    return isinstance(layer, Dense) or getattr(layer, "sees_whole_input", False)


def receptive_fields(net) -> list[Field]:
    """The :class:`Field` of every layer of ``net`` (a :class:`~cnnmath.network.Sequential`).

    Raises ``ValueError`` for a network whose input is not an image ``(C, H, W)`` and for a layer
    that changes the spatial size in a way this recurrence does not cover (say, an upsampling one).
    """
    net = check_network(net)
    if len(net.input_shape) != 3:
        raise ValueError(
            f"receptive fields need an image input (C, H, W); {net.name} takes {net.input_shape}"
        )
    H, W = net.input_shape[1:]
    offsets, j, a = [(0,), (0,)], [1, 1], [0, 0]
    seen = (tuple(range(H)), tuple(range(W)))
    spatial = True
    out = []
    for layer in net.layers:
        geom = _window_geometry(layer)
        if geom is not None and spatial:
            k, s, p, d = geom
            for ax in (0, 1):
                a[ax] -= p[ax] * j[ax]
                offsets[ax] = tuple(
                    sorted({o + d[ax] * t * j[ax] for o in offsets[ax] for t in range(k[ax])})
                )
                j[ax] *= s[ax]
            seen = tuple(
                tuple(
                    sorted(
                        {
                            q
                            for i in range(n)
                            for q in (a[ax] + i * j[ax] + o for o in offsets[ax])
                            if 0 <= q < size
                        }
                    )
                )
                for ax, n, size in ((0, layer.out_shape[1], H), (1, layer.out_shape[2], W))
            )
        elif _is_global(layer):
            spatial = False
        elif layer.out_shape != layer.in_shape and not isinstance(layer, Flatten):
            raise ValueError(
                f"layer {layer.name} ({layer.describe()}) changes the shape {layer.in_shape} -> "
                f"{layer.out_shape} without a window this recurrence knows"
            )
        size = tuple(o[-1] + 1 for o in offsets)
        out.append(
            Field(
                layer.name,
                layer.describe(),
                tuple(layer.out_shape),
                size,
                tuple(j),
                tuple(a),
                tuple(offsets),
                seen,
                spatial,
            )
        )
    return out


def _probe_layer(layer: Layer) -> Layer:
    """A new layer object computing ``layer``'s function, max pooling replaced by average pooling
    over the same windows (its gradient reaches every input of a window, not only the largest)."""
    if isinstance(layer, MaxPool2d):
        return AvgPool2d(layer.kernel, layer.stride, layer.padding, name=layer.name)
    return copy.deepcopy(layer)


class _Probe:
    """A copy of the network with probe weights, run forward once on ``batch`` positive images.

    The copy (:func:`_probe_layer` of every layer, under the same names) is a network of its own, so
    its state comes from its ``init``; the probe then overwrites it: positive weights with each
    unit's summing to 1, zero biases, neutral running statistics (mean 0, variance 1).
    """

    def __init__(self, net: Sequential, batch: int):
        self.net = Sequential(
            [_probe_layer(layer) for layer in net.layers],
            net.input_shape,
            name=f"{net.name} (receptive-field probe)",
            dtype=np.float64,
        )
        self.state = self.net.init(0)
        for arrays in self.state.params.values():
            for k, v in arrays.items():
                v[...] = 0.0 if k == "bias" else 1.0 / int(np.prod(v.shape[1:]))
        for arrays in self.state.buffers.values():
            for k, v in arrays.items():
                v[...] = 1.0 if k == "running_var" else 0.0
        x = np.full((batch, *net.input_shape), 0.5)
        _, self.caches = self.net.forward(self.state, x)
        self.shapes = [(batch, *layer.out_shape) for layer in self.net.layers]

    def support(self, index: int, units: list[tuple[int, ...]]) -> np.ndarray:
        """``(len(units), H, W)`` masks: where each one-hot unit's input gradient is not zero."""
        g = np.zeros(self.shapes[index])
        for b, unit in enumerate(units):
            g[(b, *unit)] = 1.0
        for i in range(index, -1, -1):
            layer = self.net.layers[i]
            p = self.state.params.get(layer.name, {})
            g, _ = layer.backward(p, g, self.caches[i], need_dx=True)
        return np.any(g[: len(units)] != 0, axis=1)


def _unit(
    shape: tuple[int, ...], position: tuple[int, int] | None, channel: int
) -> tuple[int, ...]:
    if len(shape) == 4:
        if position is None:
            position = (shape[2] // 2, shape[3] // 2)
        return (channel, *position)
    return (channel,)


def gradient_support(
    net, upto: str, position: tuple[int, int] | None = None, channel: int = 0
) -> np.ndarray:
    """Input pixels where the gradient of one output of layer ``upto`` is not zero: a bool mask.

    Back-propagates a one-hot gradient (1 at ``channel`` and ``position`` of the layer's output, the
    centre by default, or at unit ``channel`` of a flat layer) through the network's own layers, in
    evaluation mode, with probe weights: positive, each unit's summing to 1, zero biases, a
    positive input. Then no gradient cancels and no ReLU is off, so the support is the whole field.
    Max pooling sends its gradient to one input of each window only, so for this probe it is
    replaced by average pooling over the same windows (the field of a window does not depend on
    which of its inputs wins).
    """
    names = [layer.name for layer in check_network(net).layers]
    if not isinstance(upto, str):
        raise TypeError(f"upto must be a layer's name (a str); got {upto!r}")
    if upto not in names:
        raise KeyError(f"upto: no layer named {upto!r}; the layers are {names}")
    channel = positive_int(channel, "channel", minimum=0)
    if position is not None:
        position = shape_tuple(position, "position", 2)
    probe = _Probe(net, 1)
    i = names.index(upto)
    return probe.support(i, [_unit(probe.shapes[i], position, channel)])[0]


def check_receptive_fields(net) -> list[tuple[str, tuple[int, ...], bool]]:
    """Compare :func:`receptive_fields` with the support of back-propagated one-hot gradients.

    Probes the first, middle and last output position (channel 0) of every spatial layer, unit 0
    of a flatten and of every dense layer. Returns ``(layer, position, agrees)`` for every probe;
    ``agrees`` means the gradient's support is exactly the set of pixels the recurrence predicts
    (:meth:`Field.pixels`).
    """
    H, W = check_network(net).input_shape[1:]
    probe = _Probe(net, 3)
    rows = []
    for i, f in enumerate(receptive_fields(net)):
        if f.spatial and len(f.output) == 3:
            oh, ow = f.output[1:]
            picks = [(0, 0), (oh // 2, ow // 2), (oh - 1, ow - 1)]
            units = [(0, *pos) for pos in picks]
        else:  # flat: unit 0 of a flatten is channel 0 at (0, 0); a dense unit sees all of `seen`
            picks, units = [(0, 0)], [(0,)]
        for pos, mask in zip(picks, probe.support(i, units)):
            rows.append(
                (
                    f.layer,
                    pos if len(units[0]) == 3 else (),
                    bool(np.array_equal(mask, f.pixels(pos, (H, W)))),
                )
            )
    return rows
