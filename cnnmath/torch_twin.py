"""PyTorch twins of the package's models, loaded with the same weights, for cross-checks.

Torch code picks ``cuda`` when it is available and falls back to the CPU; :func:`device` says
which it chose.
"""
from __future__ import annotations

import numpy as np
import torch

from .mlp import MLP

_ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid, "elu": torch.nn.ELU,
                "leaky_relu": lambda: torch.nn.LeakyReLU(0.01), "identity": torch.nn.Identity}


def device(prefer_cuda: bool = True) -> torch.device:
    """``cuda`` when a GPU is available (and wanted), else ``cpu``."""
    return torch.device("cuda" if prefer_cuda and torch.cuda.is_available() else "cpu")


def mlp_twin(model: MLP, dev: torch.device | str = "cpu") -> torch.nn.Sequential:
    """A ``torch.nn.Sequential`` of ``Linear`` and activation layers holding copies of ``model``'s weights."""
    layers: list[torch.nn.Module] = []
    L = len(model.sizes) - 1
    dtype = torch.float64 if model.params["W1"].dtype == np.float64 else torch.float32
    for l in range(1, L + 1):
        lin = torch.nn.Linear(model.sizes[l - 1], model.sizes[l], dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(model.params[f"W{l}"]))
            lin.bias.copy_(torch.from_numpy(model.params[f"b{l}"]))
        layers.append(lin)
        if l < L:
            layers.append(_ACTIVATIONS[model.activation]())
    return torch.nn.Sequential(torch.nn.Flatten(), *layers).to(dev)


def twin_grads(twin: torch.nn.Sequential) -> dict[str, np.ndarray]:
    """The twin's parameter gradients under the package's names (``W1``, ``b1``, ...)."""
    out = {}
    linears = [m for m in twin if isinstance(m, torch.nn.Linear)]
    for l, lin in enumerate(linears, start=1):
        out[f"W{l}"] = lin.weight.grad.detach().cpu().numpy()
        out[f"b{l}"] = lin.bias.grad.detach().cpu().numpy()
    return out
