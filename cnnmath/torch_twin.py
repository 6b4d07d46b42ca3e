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

from .mlp import MLP
from .network import Sequential

_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


def device(prefer_cuda: bool = True) -> torch.device:
    """``cuda`` when a GPU is available (and wanted), else ``cpu``."""
    return torch.device("cuda" if prefer_cuda and torch.cuda.is_available() else "cpu")


def twin(net: Sequential, dev: torch.device | str | None = None) -> torch.nn.Sequential:
    """The ``torch.nn.Sequential`` computing ``net`` with copies of its parameters and buffers, on ``dev``."""
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
    return module.to(device() if dev is None else dev)


def load(net: Sequential, module: torch.nn.Module) -> None:
    """Copy ``module``'s parameters and buffers into ``net`` (in place, by name, in the network's dtype)."""
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
    return twin(model.as_network(), dev)
