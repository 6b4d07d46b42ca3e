"""PyTorch twins of the package's networks, holding the same weights, for cross-checks.

:func:`twin` reads a :class:`cnnmath.network.Sequential` and builds the ``torch.nn.Sequential`` of
the same layers, under the same names, so that ``twin.state_dict()`` has exactly the network's
keys (``"conv1.weight"``, ``"bn1.running_var"``, ...) and the weights are copied across by name.
:func:`load` copies torch weights back into the NumPy network, and :func:`grads` reads the twin's
gradients under the network's names. Torch code picks ``cuda`` when it is available and falls back
to the CPU; :func:`device` says which it chose.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch

from .arguments import flag, network, positive_number, torch_device
from .mlp import MLP
from .network import Sequential

_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


def device(prefer_cuda: bool = True) -> torch.device:
    """``cuda`` when a GPU is available (and wanted), else ``cpu``."""
    prefer_cuda = flag(prefer_cuda, "prefer_cuda")
    return torch.device("cuda" if prefer_cuda and torch.cuda.is_available() else "cpu")


def adam(module: torch.nn.Module, lr: float) -> torch.optim.Adam:
    """``torch.optim.Adam`` as the twins train with it: the fused update, whose square root is exact.

    The unfused update takes ``sqrt`` of the second moment through MKL's vector math, which is
    not correctly rounded and whose result depends on the processor's reciprocal-square-root
    approximation, so Adam's float32 steps would differ in the last bit between CPUs; the fused
    kernel rounds every square root correctly (as NumPy does), on the CPU as on a GPU.
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    lr = positive_number(lr, "lr (the learning rate)")
    return torch.optim.Adam(module.parameters(), lr=lr, fused=True)


def twin(net: Sequential, dev: torch.device | str | None = None) -> torch.nn.Sequential:
    """The ``torch.nn.Sequential`` computing ``net`` with copies of its parameters and buffers, on ``dev``."""
    net = network(net)
    dev = device() if dev is None else torch_device(dev, "dev")
    dtype = _DTYPES[net.dtype]
    module = torch.nn.Sequential(
        OrderedDict((layer.name, layer.torch_module(dtype)) for layer in net.layers)
    )
    state = {
        k: torch.from_numpy(np.ascontiguousarray(v))
        for k, v in {**net.params, **net.buffers}.items()
    }
    missing, unexpected = module.load_state_dict(state, strict=False)
    # torch's batch norm also counts its batches; nothing of the network corresponds to that counter
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise RuntimeError(
            f"the twin of {net.name} does not match it: missing {missing}, unexpected {unexpected}"
        )
    return module.to(dev)


def load(net: Sequential, module: torch.nn.Module) -> None:
    """Copy ``module``'s parameters and buffers into ``net`` (in place, by name, in the network's dtype)."""
    net = network(net)
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    state = module.state_dict()
    for store in (net.params, net.buffers):
        for k, v in store.items():
            if k not in state:
                raise KeyError(f"the torch module has no {k!r}; it has {sorted(state)}")
            src = state[k].detach().cpu().numpy()
            if src.shape != v.shape:
                raise ValueError(
                    f"{k}: the torch module holds shape {src.shape}, the network {v.shape}"
                )
            v[...] = src


def grads(net: Sequential, module: torch.nn.Module) -> dict[str, np.ndarray]:
    """The gradients that autograd left in ``module``, under the network's parameter names."""
    net = network(net)
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    named = dict(module.named_parameters())
    out = {}
    for k in net.params:
        g = named[k].grad
        if g is None:
            raise ValueError(f"{k} has no gradient in the torch module: run backward() first")
        out[k] = g.detach().cpu().numpy()
    return out


def mlp_twin(model: MLP, dev: torch.device | str = "cpu") -> torch.nn.Sequential:
    """The twin of an :class:`cnnmath.mlp.MLP`, through its network (:meth:`MLP.as_network`)."""
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a cnnmath.mlp.MLP; got {type(model).__name__}")
    if dev is None:
        raise TypeError("dev must be a torch.device or a str such as 'cpu'; got None")
    return twin(model.as_network(), dev)
