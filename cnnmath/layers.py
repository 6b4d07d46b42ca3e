"""Layers as thin objects over the pure function pairs, so that a network is a list of them.

A layer knows three things about itself and nothing more:

- its **shapes**: :meth:`Layer.build` takes the shape of one example entering it (``(C, H, W)`` or
  ``(D,)``, without the batch axis), checks it and returns the shape leaving it, and
  :meth:`Layer.param_shapes` and :meth:`Layer.buffer_shapes` give its trained and non-trained arrays;
- its **computation**: :meth:`Layer.forward` and :meth:`Layer.backward` call the module named after
  its mathematics (``conv2d_forward``, ``maxpool_backward``, ...), never a second copy of it;
- nothing of torch: :func:`cnnmath.torch_twin.module` builds each layer's ``torch.nn`` twin,
  dispatching on the layer's type, in the one module that imports torch for the networks.

A layer holds no arrays: they live in a network's state (:class:`cnnmath.network.State`), per
layer, under torch's array names (``weight``, ``bias``, ``running_mean``, ``running_var``), and
are passed to :meth:`Layer.forward` and :meth:`Layer.backward`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import activations as act
from .arguments import as_float_array, flag, in_range, positive_int, positive_number
from .arguments import seed as validate_seed
from .connection_table import (
    check_table,
    connections,
    table_conv_backward,
    table_conv_forward,
)
from .conv import _pair, conv2d_backward, conv2d_forward, conv_geometry
from .conv_transpose import (
    conv_transpose2d_backward,
    conv_transpose2d_forward,
    conv_transpose_geometry,
)
from .dense import affine_backward, affine_forward
from .dropout import dropout_backward, dropout_forward
from .init import RULES as INIT_RULES
from .init import init_weights
from .init import variance as init_variance
from .lrn import hyperparameters as lrn_hyperparameters
from .lrn import lrn_backward, lrn_forward
from .lrn import window as lrn_window
from .norm import batchnorm_backward, batchnorm_forward
from .pool import _geometry as pool_geometry
from .pool import avgpool_backward, avgpool_forward, maxpool_backward, maxpool_forward
from .rbf import rbf_backward, rbf_forward
from .subsampling import subsample_backward, subsample_forward

Shape = tuple[int, ...]
Arrays = dict[str, np.ndarray]


def _shape_text(shape: Shape) -> str:
    return "x".join(str(s) for s in shape)


class Layer:
    """Base class: a layer with no parameters that passes its input through unchanged."""

    #: Prefix of the default name (``conv`` gives ``conv1``, ``conv2``, ...).
    kind = "layer"

    def __init__(self, name: str | None = None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str (a Python identifier) or None; got {name!r}")
        if name is not None and not name.isidentifier():
            raise ValueError(
                f"a layer name must be a Python identifier (it becomes a torch module name); got {name!r}"
            )
        self.name = name
        self.in_shape: Shape | None = None
        self.out_shape: Shape | None = None

    # -- shapes ---------------------------------------------------------------------------------
    def build(self, in_shape: Shape) -> Shape:
        """Check the shape of one example entering the layer and return the shape leaving it."""
        self.in_shape = self.out_shape = tuple(in_shape)
        return self.out_shape

    def param_shapes(self) -> dict[str, Shape]:
        """Trained arrays, by torch's name (``weight``, ``bias``)."""
        return {}

    def buffer_shapes(self) -> dict[str, Shape]:
        """Arrays that are kept but not trained (batch norm's running statistics)."""
        return {}

    def init_params(self, rng: np.random.Generator, dtype: type) -> Arrays:
        """Initial values of :meth:`param_shapes`, drawn from ``rng``."""
        return {}

    def init_buffers(self, dtype: type) -> Arrays:
        return {}

    def macs(self) -> int:
        """Multiply-accumulate operations for one example (0 for layers that only compare or copy)."""
        return 0

    def describe(self) -> str:
        """A short description for the architecture table."""
        return self.kind

    # -- computation ----------------------------------------------------------------------------
    def forward(
        self, p: Arrays, x: np.ndarray, *, training: bool, rng: np.random.Generator, buffers: Arrays
    ) -> tuple[np.ndarray, Any]:
        """``(out, cache)``; ``p`` and ``buffers`` hold this layer's arrays under their short names."""
        return x, None

    def backward(
        self, p: Arrays, dout: np.ndarray, cache: Any, *, need_dx: bool = True
    ) -> tuple[np.ndarray | None, Arrays]:
        """``(dx, grads)`` with ``grads`` keyed like :meth:`param_shapes`."""
        return dout, {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()!r}, name={self.name!r})"


def _need_shape(layer: Layer, in_shape: Shape, ndim: int, what: str) -> Shape:
    in_shape = tuple(int(s) for s in in_shape)
    if len(in_shape) != ndim:
        raise ValueError(
            f"{type(layer).__name__} needs {what} per example; got an input of shape {in_shape}"
        )
    return in_shape


def _check_init(rule: str) -> str:
    if not isinstance(rule, str) or rule not in INIT_RULES:
        raise ValueError(
            f"init: unknown initialization rule {rule!r}; expected one of {INIT_RULES}"
        )
    return rule


class Conv2d(Layer):
    """:math:`Z = W \\star X + b` (:func:`cnnmath.conv.conv2d_forward`), torch's ``Conv2d``.

    ``Conv2d(filters, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True)``; the
    number of input channels is read from the input. Weights ``(F, C/groups, KH, KW)`` are drawn by
    ``init`` with fan-in :math:`(C/\\text{groups})\\,K_H K_W`; biases start at zero.
    """

    kind = "conv"

    def __init__(
        self,
        filters: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        init: str = "he_normal",
        name: str | None = None,
    ):
        super().__init__(name)
        self.filters = positive_int(filters, "filters")
        self.kernel = _pair(kernel_size, "kernel_size", 1)
        self.stride, self.padding = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
        self.dilation = _pair(dilation, "dilation", 1)
        self.groups = positive_int(groups, "groups")
        self.bias, self.init = flag(bias, "bias"), _check_init(init)

    def build(self, in_shape: Shape) -> Shape:
        C, H, W = _need_shape(self, in_shape, 3, "(C, H, W)")
        g = conv_geometry(
            (1, C, H, W),
            (self.filters, max(C // self.groups, 1), *self.kernel),
            (self.filters,) if self.bias else None,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )
        self.in_shape, self.out_shape = (C, H, W), (self.filters, g.OH, g.OW)
        return self.out_shape

    def param_shapes(self) -> dict[str, Shape]:
        shapes = {"weight": (self.filters, self.in_shape[0] // self.groups, *self.kernel)}
        if self.bias:
            shapes["bias"] = (self.filters,)
        return shapes

    def init_params(self, rng, dtype) -> Arrays:
        F, Cg, KH, KW = self.param_shapes()["weight"]
        p = {"weight": init_weights(self.init, Cg * KH * KW, F, rng, dtype).reshape(F, Cg, KH, KW)}
        if self.bias:
            p["bias"] = np.zeros(F, dtype)
        return p

    def macs(self) -> int:
        F, OH, OW = self.out_shape
        return F * OH * OW * (self.in_shape[0] // self.groups) * self.kernel[0] * self.kernel[1]

    def describe(self) -> str:
        s = f"conv {self.filters}@{self.kernel[0]}x{self.kernel[1]}"
        for label, v, default in (
            ("stride", self.stride, (1, 1)),
            ("padding", self.padding, (0, 0)),
            ("dilation", self.dilation, (1, 1)),
        ):
            if v != default:
                s += f", {label} {v[0] if v[0] == v[1] else v}"
        return (
            s
            + (f", groups {self.groups}" if self.groups > 1 else "")
            + ("" if self.bias else ", no bias")
        )

    def forward(self, p, x, *, training, rng, buffers):
        return conv2d_forward(
            x, p["weight"], p.get("bias"), self.stride, self.padding, self.dilation, self.groups
        )

    def backward(self, p, dout, cache, *, need_dx=True):
        dx, dw, db = conv2d_backward(dout, cache, need_dx=need_dx)
        return dx, ({"weight": dw, "bias": db} if self.bias else {"weight": dw})


class _Pool(Layer):
    def __init__(self, kernel_size, stride=None, padding=0, name: str | None = None):
        super().__init__(name)
        self.kernel = _pair(kernel_size, "kernel_size", 1)
        self.stride = self.kernel if stride is None else _pair(stride, "stride", 1)
        self.padding = _pair(padding, "padding", 0)

    def build(self, in_shape: Shape) -> Shape:
        C, H, W = _need_shape(self, in_shape, 3, "(C, H, W)")
        *_, OH, OW = pool_geometry((1, C, H, W), self.kernel, self.stride, self.padding)
        self.in_shape, self.out_shape = (C, H, W), (C, OH, OW)
        return self.out_shape

    def describe(self) -> str:
        s = f"{self.kind} {self.kernel[0]}x{self.kernel[1]}"
        if self.stride != self.kernel:
            s += f", stride {self.stride[0] if self.stride[0] == self.stride[1] else self.stride}"
        return s + (f", padding {self.padding}" if self.padding != (0, 0) else "")


class MaxPool2d(_Pool):
    """Maximum over each window (:func:`cnnmath.pool.maxpool_forward`), torch's ``MaxPool2d``."""

    kind = "maxpool"

    def forward(self, p, x, *, training, rng, buffers):
        return maxpool_forward(x, self.kernel, self.stride, self.padding)

    def backward(self, p, dout, cache, *, need_dx=True):
        return maxpool_backward(dout, cache), {}


class AvgPool2d(_Pool):
    """Mean over each window, padding counted (:func:`cnnmath.pool.avgpool_forward`), torch's ``AvgPool2d``."""

    kind = "avgpool"

    def forward(self, p, x, *, training, rng, buffers):
        return avgpool_forward(x, self.kernel, self.stride, self.padding)

    def backward(self, p, dout, cache, *, need_dx=True):
        return avgpool_backward(dout, cache), {}


class Activation(Layer):
    """An elementwise activation :math:`a = f(z)` from :mod:`cnnmath.activations`, by name."""

    kind = "act"
    #: the activations a layer may apply (each has a torch twin, :mod:`cnnmath.torch_twin`)
    FUNCTIONS = ("relu", "tanh", "sigmoid", "elu", "leaky_relu", "identity")

    def __init__(self, function: str, name: str | None = None):
        super().__init__(name)
        if not isinstance(function, str) or function not in self.FUNCTIONS:
            raise ValueError(
                f"function: unknown activation {function!r}; expected one of {sorted(self.FUNCTIONS)}"
            )
        self._fwd, self._bwd = act.get(function)
        self.function = function
        self.kind = function.replace("_", "")

    def describe(self) -> str:
        return self.function

    def forward(self, p, x, *, training, rng, buffers):
        return self._fwd(x)

    def backward(self, p, dout, cache, *, need_dx=True):
        return self._bwd(dout, cache), {}


def ReLU(name: str | None = None) -> Activation:
    """:math:`\\max(0, z)`."""
    return Activation("relu", name)


def Tanh(name: str | None = None) -> Activation:
    """:math:`\\tanh z`."""
    return Activation("tanh", name)


def Sigmoid(name: str | None = None) -> Activation:
    """:math:`1/(1+e^{-z})`."""
    return Activation("sigmoid", name)


class Flatten(Layer):
    """``(C, H, W) -> (C·H·W,)`` in C order, as torch's ``Flatten``."""

    kind = "flatten"

    def build(self, in_shape: Shape) -> Shape:
        self.in_shape = tuple(int(s) for s in in_shape)
        self.out_shape = (int(np.prod(self.in_shape)),)
        return self.out_shape

    def forward(self, p, x, *, training, rng, buffers):
        return x.reshape(len(x), -1), x.shape

    def backward(self, p, dout, cache, *, need_dx=True):
        return dout.reshape(cache), {}


class Dense(Layer):
    """:math:`Z = X W^T + \\mathbf b` (:func:`cnnmath.dense.affine_forward`), torch's ``Linear``.

    ``Dense(units, in_features=None)``: the input size is read from the (flat) input; when
    ``in_features`` is given, a different input size is an error when the network is built.
    """

    kind = "dense"

    def __init__(
        self,
        units: int,
        in_features: int | None = None,
        bias: bool = True,
        init: str = "he_normal",
        name: str | None = None,
    ):
        super().__init__(name)
        self.units = positive_int(units, "units")
        self.in_features = None if in_features is None else positive_int(in_features, "in_features")
        self.bias, self.init = flag(bias, "bias"), _check_init(init)

    def build(self, in_shape: Shape) -> Shape:
        in_shape = tuple(int(s) for s in in_shape)
        if len(in_shape) != 1:
            raise ValueError(
                f"Dense needs a flat input (D,) per example; got shape {in_shape}: put a Flatten before it"
            )
        if self.in_features is not None and in_shape[0] != self.in_features:
            raise ValueError(
                f"Dense was declared with in_features={self.in_features} but its input has "
                f"{in_shape[0]} features"
            )
        self.in_shape, self.out_shape = in_shape, (self.units,)
        return self.out_shape

    def param_shapes(self) -> dict[str, Shape]:
        shapes = {"weight": (self.units, self.in_shape[0])}
        if self.bias:
            shapes["bias"] = (self.units,)
        return shapes

    def init_params(self, rng, dtype) -> Arrays:
        p = {"weight": init_weights(self.init, self.in_shape[0], self.units, rng, dtype)}
        if self.bias:
            p["bias"] = np.zeros(self.units, dtype)
        return p

    def macs(self) -> int:
        return self.in_shape[0] * self.units

    def describe(self) -> str:
        return f"dense {self.units}" + ("" if self.bias else ", no bias")

    def forward(self, p, x, *, training, rng, buffers):
        b = p["bias"] if self.bias else np.zeros(self.units, p["weight"].dtype)
        return affine_forward(x, p["weight"], b)

    def backward(self, p, dout, cache, *, need_dx=True):
        dx, dw, db = affine_backward(dout, cache, need_dx=need_dx)
        return dx, ({"weight": dw, "bias": db} if self.bias else {"weight": dw})


class BatchNorm(Layer):
    """:math:`y = \\gamma \\hat x + \\beta` per channel (:func:`cnnmath.norm.batchnorm_forward`).

    Over the channels of ``(C,)`` or ``(C, H, W)`` inputs: torch's ``BatchNorm1d`` or ``BatchNorm2d``.
    :math:`\\gamma` (``weight``) and :math:`\\beta` (``bias``) are trained; the running mean and
    variance are buffers, updated in training mode and used in evaluation mode.
    """

    kind = "bn"

    def __init__(self, momentum: float = 0.1, eps: float = 1e-5, name: str | None = None):
        super().__init__(name)
        self.momentum = in_range(momentum, "momentum", 0, 1)
        self.eps = positive_number(eps, "eps")

    def build(self, in_shape: Shape) -> Shape:
        in_shape = tuple(int(s) for s in in_shape)
        if len(in_shape) not in (1, 3):
            raise ValueError(f"BatchNorm needs (C,) or (C, H, W) per example; got shape {in_shape}")
        self.in_shape = self.out_shape = in_shape
        return self.out_shape

    def param_shapes(self) -> dict[str, Shape]:
        return {"weight": (self.in_shape[0],), "bias": (self.in_shape[0],)}

    def buffer_shapes(self) -> dict[str, Shape]:
        return {"running_mean": (self.in_shape[0],), "running_var": (self.in_shape[0],)}

    def init_params(self, rng, dtype) -> Arrays:
        return {
            "weight": np.ones(self.in_shape[0], dtype),
            "bias": np.zeros(self.in_shape[0], dtype),
        }

    def init_buffers(self, dtype) -> Arrays:
        return {
            "running_mean": np.zeros(self.in_shape[0], dtype),
            "running_var": np.ones(self.in_shape[0], dtype),
        }

    def describe(self) -> str:
        return "batch norm"

    def forward(self, p, x, *, training, rng, buffers):
        y, cache, (mean, var) = batchnorm_forward(
            x,
            p["weight"],
            p["bias"],
            buffers["running_mean"],
            buffers["running_var"],
            training=training,
            momentum=self.momentum,
            eps=self.eps,
        )
        if training:  # in place, so the network's dict keeps the same arrays
            buffers["running_mean"][...] = mean
            buffers["running_var"][...] = var
        return y, cache

    def backward(self, p, dout, cache, *, need_dx=True):
        dx, dgamma, dbeta = batchnorm_backward(dout, cache)
        return dx, {"weight": dgamma, "bias": dbeta}


class Dropout(Layer):
    """Inverted dropout with drop probability ``p`` (:func:`cnnmath.dropout.dropout_forward`).

    Its masks come from the network's seeded generator, so NumPy training is repeatable; torch
    draws its own masks, so a twin agrees with it only in evaluation mode (or with ``p = 0``).
    """

    kind = "dropout"

    def __init__(self, p: float, name: str | None = None):
        super().__init__(name)
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
            raise ValueError(f"p (the dropout probability) must be a number in [0, 1); got {p!r}")
        self.p = float(p)

    def describe(self) -> str:
        return f"dropout {self.p:g}"

    def forward(self, p, x, *, training, rng, buffers):
        return dropout_forward(x, self.p, rng, training=training)

    def backward(self, p, dout, cache, *, need_dx=True):
        return dropout_backward(dout, cache), {}


class LRN(Layer):
    """:math:`b = a\\,(k + \\frac{\\alpha}{n}\\sum_{\\text{window}} a^2)^{-\\beta}` across channels
    (:func:`cnnmath.lrn.lrn_forward`), torch's ``LocalResponseNorm(size, alpha, beta, k)``.

    ``alpha`` is torch's (divided by ``size`` in the formula): the AlexNet paper's layer is
    ``LRN(**cnnmath.lrn.ALEXNET)``. No trained arrays. Multiply-adds: one per square in each
    channel's (clipped) window, plus the final product :math:`a\\cdot s^{-\\beta}`; the power is
    not counted.
    """

    kind = "lrn"

    def __init__(
        self,
        size: int,
        alpha: float = 1e-4,
        beta: float = 0.75,
        k: float = 1.0,
        name: str | None = None,
    ):
        super().__init__(name)
        self.size, self.alpha, self.beta, self.k = lrn_hyperparameters(size, alpha, beta, k)

    def build(self, in_shape: Shape) -> Shape:
        in_shape = tuple(int(s) for s in in_shape)
        if len(in_shape) < 2:
            raise ValueError(f"LRN needs (C, H, W) or (C, L) per example; got shape {in_shape}")
        self.in_shape = self.out_shape = in_shape
        return self.out_shape

    def macs(self) -> int:
        C, rest = self.in_shape[0], int(np.prod(self.in_shape[1:]))
        below, above = lrn_window(self.size)
        terms = sum(min(C - 1, c + above) - max(0, c - below) + 1 for c in range(C))
        return (terms + C) * rest

    def describe(self) -> str:
        return f"LRN size {self.size}, alpha {self.alpha:g}, beta {self.beta:g}, k {self.k:g}"

    def forward(self, p, x, *, training, rng, buffers):
        return lrn_forward(x, self.size, self.alpha, self.beta, self.k)

    def backward(self, p, dout, cache, *, need_dx=True):
        return lrn_backward(dout, cache), {}


# --------------------------------------------------------------------------------------------
# The autoencoder's layers: transposed convolution, and a flat vector back to feature maps
# --------------------------------------------------------------------------------------------


class ConvTranspose2d(Layer):
    """:math:`Z = \\mathrm{conv}^T(X) + b`, torch's ``ConvTranspose2d``.

    Computed by :func:`cnnmath.conv_transpose.conv_transpose2d_forward` and its backward.

    ``ConvTranspose2d(out_channels, kernel_size, stride=1, padding=0, output_padding=0,
    dilation=1, groups=1, bias=True)``; the number of input channels is read from the input.
    Weights ``(C, O/groups, KH, KW)`` are drawn by ``init`` with the fan-in of an output pixel, the
    number of products it sums on average: :math:`(C/\\text{groups})\\,K_H K_W/(s_h s_w)`
    (rounded, at least 1); biases start at zero.
    """

    kind = "convT"

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        init: str = "he_normal",
        name: str | None = None,
    ):
        super().__init__(name)
        self.out_channels = positive_int(out_channels, "out_channels")
        self.kernel = _pair(kernel_size, "kernel_size", 1)
        self.stride, self.padding = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
        self.output_padding = _pair(output_padding, "output_padding", 0)
        self.dilation = _pair(dilation, "dilation", 1)
        self.groups = positive_int(groups, "groups")
        if self.out_channels % self.groups:
            raise ValueError(f"out_channels={out_channels} is not divisible by groups={groups}")
        self.bias, self.init = flag(bias, "bias"), _check_init(init)

    def build(self, in_shape: Shape) -> Shape:
        C, H, W = _need_shape(self, in_shape, 3, "(C, H, W)")
        w_shape = (C, self.out_channels // self.groups, *self.kernel)
        b_shape = (self.out_channels,) if self.bias else None
        g = conv_transpose_geometry(
            (1, C, H, W),
            w_shape,
            b_shape,
            self.stride,
            self.padding,
            self.output_padding,
            self.dilation,
            self.groups,
        )
        self.in_shape, self.out_shape = (C, H, W), (self.out_channels, g.OH, g.OW)
        return self.out_shape

    def param_shapes(self) -> dict[str, Shape]:
        shapes = {"weight": (self.in_shape[0], self.out_channels // self.groups, *self.kernel)}
        if self.bias:
            shapes["bias"] = (self.out_channels,)
        return shapes

    def init_params(self, rng, dtype) -> Arrays:
        C, Og, KH, KW = self.param_shapes()["weight"]
        fan_in = max(1, round(C // self.groups * KH * KW / (self.stride[0] * self.stride[1])))
        var = init_variance(self.init, fan_in, Og * KH * KW)
        if self.init.endswith("uniform"):
            limit = np.sqrt(3.0 * var)
            w = rng.uniform(-limit, limit, (C, Og, KH, KW))
        else:
            w = rng.normal(0.0, np.sqrt(var), (C, Og, KH, KW))
        p = {"weight": w.astype(dtype)}
        if self.bias:
            p["bias"] = np.zeros(self.out_channels, dtype)
        return p

    def macs(self) -> int:
        C, H, W = self.in_shape
        return C * H * W * (self.out_channels // self.groups) * self.kernel[0] * self.kernel[1]

    def describe(self) -> str:
        s = f"conv-transpose {self.out_channels}@{self.kernel[0]}x{self.kernel[1]}"
        for label, v, default in (
            ("stride", self.stride, (1, 1)),
            ("padding", self.padding, (0, 0)),
            ("output padding", self.output_padding, (0, 0)),
            ("dilation", self.dilation, (1, 1)),
        ):
            if v != default:
                s += f", {label} {v[0] if v[0] == v[1] else v}"
        return (
            s
            + (f", groups {self.groups}" if self.groups > 1 else "")
            + ("" if self.bias else ", no bias")
        )

    def forward(self, p, x, *, training, rng, buffers):
        return conv_transpose2d_forward(
            x,
            p["weight"],
            p.get("bias"),
            self.stride,
            self.padding,
            self.output_padding,
            self.dilation,
            self.groups,
        )

    def backward(self, p, dout, cache, *, need_dx=True):
        dx, dw, db = conv_transpose2d_backward(dout, cache)
        return dx, ({"weight": dw, "bias": db} if self.bias else {"weight": dw})


class Unflatten(Layer):
    """``(C·H·W,) -> (C, H, W)`` in C order, the inverse of :class:`Flatten`.

    Torch's ``Unflatten(1, shape)``.
    """

    kind = "unflatten"

    def __init__(self, shape, name: str | None = None):
        super().__init__(name)
        try:
            self.shape = tuple(positive_int(s, "shape entry") for s in shape)
        except TypeError:
            raise TypeError(
                f"shape must be a tuple of positive integers such as (16, 7, 7); got {shape!r}"
            ) from None
        if not self.shape:
            raise ValueError("shape must have at least one axis")

    def build(self, in_shape: Shape) -> Shape:
        in_shape = tuple(int(s) for s in in_shape)
        size = int(np.prod(self.shape))
        if len(in_shape) != 1 or in_shape[0] != size:
            raise ValueError(
                f"Unflatten to {_shape_text(self.shape)} needs a flat input of {size} "
                f"features per example; got shape {in_shape}"
            )
        self.in_shape, self.out_shape = in_shape, self.shape
        return self.out_shape

    def describe(self) -> str:
        return f"unflatten to {_shape_text(self.shape)}"

    def forward(self, p, x, *, training, rng, buffers):
        return x.reshape(len(x), *self.shape), x.shape

    def backward(self, p, dout, cache, *, need_dx=True):
        return dout.reshape(cache), {}


# -- LeNet-5 as published in 1998 (LeCun et al., §II.B) ------------------------------------------


class Subsampling(Layer):
    """LeNet-5's trainable subsampling :math:`Y = w_c \\sum_{\\text{window}} X + b_c`.

    The pure pair is :mod:`cnnmath.subsampling`.
    One coefficient (``weight``) and one bias per channel; the coefficient starts at
    :math:`1/(k_h k_w)`, so the layer starts as average pooling.
    """

    kind = "subsample"

    def __init__(self, kernel_size=2, stride=None, name: str | None = None):
        super().__init__(name)
        self.kernel = _pair(kernel_size, "kernel_size", 1)
        self.stride = self.kernel if stride is None else _pair(stride, "stride", 1)

    def build(self, in_shape: Shape) -> Shape:
        C, H, W = _need_shape(self, in_shape, 3, "(C, H, W)")
        *_, OH, OW = pool_geometry((1, C, H, W), self.kernel, self.stride, 0)
        self.in_shape, self.out_shape = (C, H, W), (C, OH, OW)
        return self.out_shape

    def window_geometry(self):
        """``(kernel, stride, padding, dilation)`` for :mod:`cnnmath.receptive`."""
        return self.kernel, self.stride, (0, 0), (1, 1)

    def param_shapes(self) -> dict[str, Shape]:
        return {"weight": (self.in_shape[0],), "bias": (self.in_shape[0],)}

    def init_params(self, rng, dtype) -> Arrays:
        C = self.in_shape[0]
        area = self.kernel[0] * self.kernel[1]
        return {"weight": np.full(C, 1 / area, dtype), "bias": np.zeros(C, dtype)}

    def macs(self) -> int:
        return int(np.prod(self.out_shape))  # one multiplication per output (the sum only adds)

    def describe(self) -> str:
        s = f"subsample {self.kernel[0]}x{self.kernel[1]}"
        return s + (f", stride {self.stride}" if self.stride != self.kernel else "")

    def forward(self, p, x, *, training, rng, buffers):
        return subsample_forward(x, p["weight"], p["bias"], self.kernel, self.stride)

    def backward(self, p, dout, cache, *, need_dx=True):
        dx, dw, db = subsample_backward(dout, cache)
        return dx, {"weight": dw, "bias": db}


class TableConv2d(Layer):
    """A convolution whose output maps read only the input maps its table names.

    :math:`Z_f = b_f + \\sum_{c: T_{c,f}} W_{f,c} \\star X_c` (:mod:`cnnmath.connection_table`).

    ``TableConv2d(table, kernel_size)`` with a bool ``(C, F)`` table (LeNet-5's C3:
    :data:`cnnmath.connection_table.LENET5_C3_TABLE`); ``weight`` holds one kernel per connection,
    ``(connections, KH, KW)``, drawn by ``init`` with the fan-in of its output map.
    """

    kind = "conv"

    def __init__(
        self,
        table,
        kernel_size,
        stride=1,
        padding=0,
        bias: bool = True,
        init: str = "he_normal",
        name: str | None = None,
    ):
        super().__init__(name)
        self.table = check_table(table)
        self.filters = self.table.shape[1]
        self.kernel = _pair(kernel_size, "kernel_size", 1)
        self.stride, self.padding = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
        self.bias, self.init = flag(bias, "bias"), _check_init(init)

    @property
    def connections(self) -> int:
        return int(self.table.sum())

    def build(self, in_shape: Shape) -> Shape:
        C, H, W = _need_shape(self, in_shape, 3, "(C, H, W)")
        check_table(self.table, channels=C)
        g = conv_geometry(
            (1, C, H, W), (self.filters, C, *self.kernel), None, self.stride, self.padding, 1, 1
        )
        self.in_shape, self.out_shape = (C, H, W), (self.filters, g.OH, g.OW)
        return self.out_shape

    def window_geometry(self):
        """``(kernel, stride, padding, dilation)`` for :mod:`cnnmath.receptive`."""
        return self.kernel, self.stride, self.padding, (1, 1)

    def param_shapes(self) -> dict[str, Shape]:
        shapes = {"weight": (self.connections, *self.kernel)}
        if self.bias:
            shapes["bias"] = (self.filters,)
        return shapes

    def init_params(self, rng, dtype) -> Arrays:
        f, _ = connections(self.table)
        area = self.kernel[0] * self.kernel[1]
        w = np.empty((self.connections, *self.kernel), dtype)
        for k in range(self.filters):
            rows = np.flatnonzero(f == k)
            fan_in = len(rows) * area
            draw = init_weights(self.init, fan_in, self.filters, rng, dtype)[0]
            w[rows] = draw.reshape(len(rows), *self.kernel)
        p = {"weight": w}
        if self.bias:
            p["bias"] = np.zeros(self.filters, dtype)
        return p

    def macs(self) -> int:
        F, OH, OW = self.out_shape
        return OH * OW * self.connections * self.kernel[0] * self.kernel[1]

    def describe(self) -> str:
        return (
            f"conv {self.filters}@{self.kernel[0]}x{self.kernel[1]}, "
            f"table {self.connections} of "
            f"{self.table.size} maps"
        )

    def forward(self, p, x, *, training, rng, buffers):
        return table_conv_forward(
            x, p["weight"], p.get("bias"), self.table, self.stride, self.padding
        )

    def backward(self, p, dout, cache, *, need_dx=True):
        dx, dw, db = table_conv_backward(dout, cache, need_dx=need_dx)
        return dx, ({"weight": dw, "bias": db} if self.bias else {"weight": dw})


class EuclideanRBF(Layer):
    """LeNet-5's output units, scored :math:`-\\|\\mathbf x - \\mathbf w_i\\|^2` (:mod:`.rbf`).

    The unit nearest the input wins, and softmax cross-entropy on these scores is the paper's
    maximum a posteriori criterion (its eq. 9) without the constant :math:`j`. The prototypes
    ``weight`` ``(units, D)`` are fixed (a buffer) unless ``trainable``; by default they are random
    :math:`\\pm 1` codes drawn with ``seed`` (the paper's hand-drawn 7x12 bitmaps are not
    available).
    """

    kind = "rbf"
    #: every unit sees its whole input (for :mod:`cnnmath.receptive`)
    sees_whole_input = True

    def __init__(
        self,
        units: int,
        prototypes: np.ndarray | None = None,
        seed: int = 0,
        trainable: bool = False,
        name: str | None = None,
    ):
        super().__init__(name)
        self.units = positive_int(units, "units")
        self.prototypes = (
            None
            if prototypes is None
            else as_float_array(prototypes, "prototypes", ndim=2).astype(np.float64)
        )
        if self.prototypes is not None and (
            self.prototypes.ndim != 2 or len(self.prototypes) != self.units
        ):
            raise ValueError(
                f"prototypes must have shape ({self.units}, D); got {self.prototypes.shape}"
            )
        self.seed, self.trainable = validate_seed(seed), flag(trainable, "trainable")

    def build(self, in_shape: Shape) -> Shape:
        in_shape = tuple(int(s) for s in in_shape)
        if len(in_shape) != 1:
            raise ValueError(
                f"EuclideanRBF needs a flat input (D,) per example; got shape {in_shape}"
            )
        if self.prototypes is not None and self.prototypes.shape[1] != in_shape[0]:
            raise ValueError(
                f"the prototypes have length {self.prototypes.shape[1]} but the input "
                f"has "
                f"{in_shape[0]} features"
            )
        self.in_shape, self.out_shape = in_shape, (self.units,)
        return self.out_shape

    def _shape(self) -> Shape:
        return (self.units, self.in_shape[0])

    def param_shapes(self) -> dict[str, Shape]:
        return {"weight": self._shape()} if self.trainable else {}

    def buffer_shapes(self) -> dict[str, Shape]:
        return {} if self.trainable else {"weight": self._shape()}

    def _codes(self, dtype) -> np.ndarray:
        if self.prototypes is not None:
            return self.prototypes.astype(dtype)
        rng = np.random.default_rng(self.seed)
        return rng.choice([-1.0, 1.0], size=self._shape()).astype(dtype)

    def init_params(self, rng, dtype) -> Arrays:
        return {"weight": self._codes(dtype)} if self.trainable else {}

    def init_buffers(self, dtype) -> Arrays:
        return {} if self.trainable else {"weight": self._codes(dtype)}

    def macs(self) -> int:
        return self.units * self.in_shape[0]

    def describe(self) -> str:
        return f"Euclidean RBF {self.units}" + ("" if self.trainable else ", fixed prototypes")

    def forward(self, p, x, *, training, rng, buffers):
        y, cache = rbf_forward(x, (p if self.trainable else buffers)["weight"])
        return -y, cache

    def backward(self, p, dout, cache, *, need_dx=True):
        dx, dw = rbf_backward(-dout, cache, need_dx=need_dx)
        return dx, ({"weight": dw} if self.trainable else {})
