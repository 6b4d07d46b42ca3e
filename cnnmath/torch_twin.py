"""PyTorch twins of the package's networks, the torch side in one place.

:func:`module` gives the ``torch.nn`` module of one layer, by dispatch on the layer's type (a
table here, not a method of every layer class); :func:`twin` reads a network's description and
builds the ``torch.nn.Sequential`` of the same layers, under the same names, and copies a state's
arrays into it by name, so that ``twin.state_dict()`` has exactly the keys of
:meth:`cnnmath.network.State.flat` (``"C1.weight"``, ``"bn1.running_var"``). :func:`load` copies
torch's arrays back into a state and :func:`grads` reads the twin's gradients nested like a
state's parameters. :func:`adam` is the optimizer the twins train with. The device is chosen by
:func:`cnnmath.devices.device`: CUDA when available, else the CPU.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import torch

from .arguments import positive_number, torch_device
from .connection_table import connections
from .devices import device
from .layers import (
    LRN,
    Activation,
    AvgPool2d,
    BatchNorm,
    Conv2d,
    ConvTranspose2d,
    Dense,
    Dropout,
    EuclideanRBF,
    Flatten,
    Layer,
    MaxPool2d,
    Subsampling,
    TableConv2d,
    Unflatten,
)
from .network import Arrays, Sequential, State, check_network

_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}

#: torch's class for each of :attr:`cnnmath.layers.Activation.FUNCTIONS` (the package's leaky ReLU
#: has slope 0.01 for z < 0, torch's default too; ELU's alpha 1 likewise)
_ACTIVATIONS = {
    "relu": torch.nn.ReLU,
    "tanh": torch.nn.Tanh,
    "sigmoid": torch.nn.Sigmoid,
    "elu": torch.nn.ELU,
    "leaky_relu": torch.nn.LeakyReLU,
    "identity": torch.nn.Identity,
}


class _Subsampling(torch.nn.Module):
    """LeNet-5 1998's trainable subsampling (:mod:`cnnmath.subsampling`): the sum over each window
    times ``weight[c]``, plus ``bias[c]``."""

    def __init__(self, channels: int, kernel: tuple, stride: tuple, dtype: torch.dtype):
        super().__init__()
        self.kernel, self.stride = kernel, stride
        self.weight = torch.nn.Parameter(torch.ones(channels, dtype=dtype))
        self.bias = torch.nn.Parameter(torch.zeros(channels, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        area = self.kernel[0] * self.kernel[1]
        s = torch.nn.functional.avg_pool2d(x, self.kernel, self.stride) * area
        return s * self.weight[:, None, None] + self.bias[:, None, None]


class _TableConv2d(torch.nn.Module):
    """A convolution on a connection table (:mod:`cnnmath.connection_table`): ``weight`` holds one
    kernel per connection ``(connections, KH, KW)``, scattered into a full kernel that is zero
    where the table has no connection."""

    def __init__(self, table, kernel: tuple, stride, padding, bias: bool, dtype: torch.dtype):
        super().__init__()
        f, c = connections(table)
        self.full_shape = (table.shape[1], table.shape[0], *kernel)
        self.stride, self.padding = stride, padding
        self.weight = torch.nn.Parameter(torch.zeros(len(f), *kernel, dtype=dtype))
        self.bias = torch.nn.Parameter(torch.zeros(table.shape[1], dtype=dtype)) if bias else None
        self.register_buffer("f_index", torch.from_numpy(f), persistent=False)
        self.register_buffer("c_index", torch.from_numpy(c), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        full = self.weight.new_zeros(self.full_shape).index_put(
            (self.f_index, self.c_index), self.weight
        )
        return torch.nn.functional.conv2d(x, full, self.bias, self.stride, self.padding)


class _EuclideanRBF(torch.nn.Module):
    """LeNet-5 1998's output layer (:mod:`cnnmath.rbf`) as the network scores it: minus the squared
    distance to each prototype; the prototypes ``weight`` are a buffer unless ``trainable``."""

    def __init__(self, units: int, features: int, trainable: bool, dtype: torch.dtype):
        super().__init__()
        w = torch.zeros(units, features, dtype=dtype)
        if trainable:
            self.weight = torch.nn.Parameter(w)
        else:
            self.register_buffer("weight", w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return -((x[:, None, :] - self.weight[None]) ** 2).sum(-1)


_MODULES: dict[type, Callable[[Layer, torch.dtype], torch.nn.Module]] = {
    Conv2d: lambda l, dt: torch.nn.Conv2d(
        l.in_shape[0], l.filters, l.kernel, l.stride, l.padding, l.dilation, l.groups,
        bias=l.bias, dtype=dt,
    ),
    ConvTranspose2d: lambda l, dt: torch.nn.ConvTranspose2d(
        l.in_shape[0], l.out_channels, l.kernel, l.stride, l.padding, l.output_padding, l.groups,
        bias=l.bias, dilation=l.dilation, dtype=dt,
    ),
    MaxPool2d: lambda l, dt: torch.nn.MaxPool2d(l.kernel, l.stride, l.padding),
    AvgPool2d: lambda l, dt: torch.nn.AvgPool2d(l.kernel, l.stride, l.padding),
    Activation: lambda l, dt: _ACTIVATIONS[l.function](),
    Flatten: lambda l, dt: torch.nn.Flatten(),
    Unflatten: lambda l, dt: torch.nn.Unflatten(1, l.shape),
    Dense: lambda l, dt: torch.nn.Linear(l.in_shape[0], l.units, bias=l.bias, dtype=dt),
    BatchNorm: lambda l, dt: (torch.nn.BatchNorm1d if len(l.in_shape) == 1 else torch.nn.BatchNorm2d)(
        l.in_shape[0], eps=l.eps, momentum=l.momentum, dtype=dt
    ),
    Dropout: lambda l, dt: torch.nn.Dropout(l.p),
    LRN: lambda l, dt: torch.nn.LocalResponseNorm(l.size, l.alpha, l.beta, l.k),
    Subsampling: lambda l, dt: _Subsampling(l.in_shape[0], l.kernel, l.stride, dt),
    TableConv2d: lambda l, dt: _TableConv2d(l.table, l.kernel, l.stride, l.padding, l.bias, dt),
    EuclideanRBF: lambda l, dt: _EuclideanRBF(l.units, l.in_shape[0], l.trainable, dt),
}  # fmt: skip


def module(layer: Layer, dtype: torch.dtype = torch.float32) -> torch.nn.Module:
    """The ``torch.nn`` module computing the same function as the built ``layer`` (its arrays are
    copied by :func:`twin`)."""
    if not isinstance(layer, Layer):
        raise TypeError(f"layer must be a cnnmath.layers.Layer; got {type(layer).__name__}")
    if layer.in_shape is None:
        raise ValueError(f"layer {layer!r} is not built: put it in a network first")
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(f"dtype must be torch.float32 or torch.float64; got {dtype!r}")
    make = next((f for cls, f in _MODULES.items() if type(layer) is cls), None)
    if make is None:
        raise NotImplementedError(f"{type(layer).__name__} has no torch twin")
    return make(layer, dtype)


def twin(
    net: Sequential, state: State, dev: torch.device | str | None = None
) -> torch.nn.Sequential:
    """The ``torch.nn.Sequential`` computing ``net`` with copies of ``state``'s parameters and
    buffers, on ``dev`` (:func:`cnnmath.devices.device` by default)."""
    net = check_network(net)
    state = net.check_state(state)
    dev = device() if dev is None else torch_device(dev, "dev")
    dtype = _DTYPES[state.dtype]
    mod = torch.nn.Sequential(
        OrderedDict((layer.name, module(layer, dtype)) for layer in net.layers)
    )
    arrays = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.flat().items()}
    missing, unexpected = mod.load_state_dict(arrays, strict=False)
    # torch's batch norm also counts its batches; nothing of the network corresponds to that counter
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise RuntimeError(
            f"the twin of {net.name} does not match it: missing {missing}, unexpected {unexpected}"
        )
    return mod.to(dev)


def load(state: State, mod: torch.nn.Module) -> None:
    """Copy ``mod``'s parameters and buffers into ``state`` (in place, by name, in the state's dtype)."""
    if not isinstance(state, State):
        raise TypeError(f"state must be a cnnmath.network.State; got {type(state).__name__}")
    if not isinstance(mod, torch.nn.Module):
        raise TypeError(f"mod must be a torch.nn.Module; got {type(mod).__name__}")
    arrays = mod.state_dict()
    for k, v in state.flat().items():
        if k not in arrays:
            raise KeyError(f"the torch module has no {k!r}; it has {sorted(arrays)}")
        src = arrays[k].detach().cpu().numpy()
        if src.shape != v.shape:
            raise ValueError(f"{k}: the torch module holds shape {src.shape}, the state {v.shape}")
        v[...] = src


def grads(state: State, mod: torch.nn.Module) -> Arrays:
    """The gradients that autograd left in ``mod``, nested like ``state.params``."""
    if not isinstance(state, State):
        raise TypeError(f"state must be a cnnmath.network.State; got {type(state).__name__}")
    if not isinstance(mod, torch.nn.Module):
        raise TypeError(f"mod must be a torch.nn.Module; got {type(mod).__name__}")
    named = dict(mod.named_parameters())
    out: Arrays = {}
    for layer, arrays in state.params.items():
        out[layer] = {}
        for k in arrays:
            g = named[f"{layer}.{k}"].grad
            if g is None:
                raise ValueError(
                    f"{layer}.{k} has no gradient in the torch module: run backward() first"
                )
            out[layer][k] = g.detach().cpu().numpy()
    return out


def adam(mod: torch.nn.Module, lr: float) -> torch.optim.Adam:
    """``torch.optim.Adam`` as the twins train with it: the fused update, whose square root is exact.

    The unfused update takes ``sqrt`` of the second moment through MKL's vector math, which is
    not correctly rounded and whose result depends on the processor's reciprocal-square-root
    approximation, so Adam's float32 steps would differ in the last bit between CPUs; the fused
    kernel rounds every square root correctly (as NumPy does), on the CPU as on a GPU.
    """
    if not isinstance(mod, torch.nn.Module):
        raise TypeError(f"mod must be a torch.nn.Module; got {type(mod).__name__}")
    lr = positive_number(lr, "lr (the learning rate)")
    return torch.optim.Adam(mod.parameters(), lr=lr, fused=True)
