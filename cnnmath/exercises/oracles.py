"""The oracles an exercise is checked against, besides the package's reference implementation.

- :func:`finite_differences`: central differences (:func:`cnnmath.gradcheck.numerical_gradient`)
  of the upstream gradient contracted with the forward pass, for every input of a backward pass;
- :func:`sympy_gradients`: SymPy differentiates the forward pass written on symbols (the package's
  naive loops run on object arrays) and the result is evaluated at the configuration's numbers;
- :func:`torch_gradients`: torch autograd in float64, where torch is installed (else ``None``).

Each returns ``{output name: array}`` for the outputs it can check, so one backward pass is checked
by three routes that share no code with it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping

import numpy as np
import sympy as sp

from ..gradcheck import numerical_gradient


def have_torch() -> bool:
    return importlib.util.find_spec("torch") is not None


def finite_differences(
    forward: Callable[..., np.ndarray],
    inputs: Mapping[str, np.ndarray],
    upstream: np.ndarray,
    names: Mapping[str, str],
) -> dict[str, np.ndarray]:
    """``{out: d(upstream . forward(**inputs))/d inputs[arg]}`` for each ``arg -> out`` of ``names``.

    ``forward`` takes the inputs as keyword arguments and returns the output array.
    """
    found = {}
    for arg, out in names.items():
        if inputs.get(arg) is None:
            found[out] = None
            continue

        def f(v: np.ndarray, arg: str = arg) -> np.ndarray:
            return forward(**{**inputs, arg: v})

        found[out] = numerical_gradient(f, np.asarray(inputs[arg], dtype=np.float64), upstream)
    return found


def symbols_like(a: np.ndarray, prefix: str) -> np.ndarray:
    """An object array of real SymPy symbols of ``a``'s shape, named ``prefix_i_j...``."""
    out = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(a.shape):
        out[idx] = sp.Symbol(prefix + "_" + "_".join(map(str, idx)), real=True)
    return out


def rational(a: np.ndarray) -> np.ndarray:
    """Exact rationals of the float entries of ``a`` (configurations use short decimals)."""
    out = np.empty(np.shape(a), dtype=object)
    for idx in np.ndindex(out.shape):
        out[idx] = sp.Rational(str(float(np.asarray(a)[idx])))
    return out


def sympy_gradients(
    forward: Callable[..., np.ndarray],
    inputs: Mapping[str, np.ndarray],
    upstream: np.ndarray,
    names: Mapping[str, str],
) -> dict[str, np.ndarray]:
    """Exact gradients: ``forward`` runs on symbols, SymPy differentiates, the numbers go in.

    ``forward`` takes object arrays as keyword arguments (the package's naive loops do). The
    scalar differentiated is :math:`\\sum g \\odot f`, ``g`` the upstream gradient as rationals.
    """
    syms = {k: (symbols_like(np.asarray(v), k) if k in names else v) for k, v in inputs.items()}
    total = sp.Add(*(rational(upstream).ravel() * np.asarray(forward(**syms)).ravel()))
    subs = {}
    for k in names:
        for s, v in zip(syms[k].ravel(), rational(np.asarray(inputs[k])).ravel()):
            subs[s] = v
    found = {}
    for k, out in names.items():
        grad = np.empty(syms[k].shape, dtype=np.float64)
        for idx in np.ndindex(grad.shape):
            grad[idx] = float(sp.diff(total, syms[k][idx]).xreplace(subs))
        found[out] = grad
    return found


def torch_gradients(
    forward: Callable[..., object],
    inputs: Mapping[str, np.ndarray | None],
    upstream: np.ndarray,
    names: Mapping[str, str],
) -> dict[str, np.ndarray] | None:
    """Autograd gradients in float64; ``forward`` takes torch tensors. ``None`` without torch."""
    if not have_torch():
        return None
    import torch

    ts = {
        k: (
            None
            if v is None
            else torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=k in names)
        )
        for k, v in inputs.items()
    }
    out = forward(**ts)
    (out * torch.tensor(np.asarray(upstream, dtype=np.float64))).sum().backward()
    return {
        o: (None if ts[k] is None else ts[k].grad.detach().numpy().copy()) for k, o in names.items()
    }
