"""Fully connected networks (multilayer perceptrons) assembled from the dense and activation pairs.

An MLP with sizes :math:`(n_0, n_1, \\dots, n_L)` computes, for :math:`l = 1, \\dots, L`,
:math:`Z^{(l)} = A^{(l-1)} W^{(l)T} + \\mathbf b^{(l)}` and :math:`A^{(l)} = f(Z^{(l)})`, with the
hidden activation ``f`` and no activation on the last layer: its output is the logits ``Z^{(L)}``,
which :func:`cnnmath.losses.softmax_cross_entropy_forward` turns into the loss. Backward runs the
local gradients :math:`\\delta^{(l)} = \\partial E/\\partial Z^{(l)}` from the last layer to the first
(thesis eq. 40-43): :math:`\\delta^{(l)} = (\\delta^{(l+1)} W^{(l+1)}) \\odot f'(Z^{(l)})`.

Parameters live in a dict ``{"W1": ..., "b1": ..., "W2": ...}``; :func:`mlp_forward` and
:func:`mlp_backward` are pure functions of it, and :class:`MLP` is the thin wrapper that holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import activations
from .arguments import as_float_array, layer_sizes
from .arguments import labels as check_labels
from .arguments import seed as validate_seed
from .dense import affine_backward, affine_forward
from .init import init_weights
from .losses import softmax_cross_entropy_backward, softmax_cross_entropy_forward

if TYPE_CHECKING:
    from .network import Sequential

Params = dict[str, np.ndarray]


def parameter_count(sizes: Sequence[int]) -> int:
    """:math:`\\sum_l (n_{l-1} n_l + n_l)`: the weights and biases of an MLP with these layer sizes."""
    sizes = layer_sizes(sizes)
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def init_params(
    sizes: Sequence[int], rule: str = "he_normal", seed: int = 0, dtype: type = np.float64
) -> Params:
    """Weights drawn by ``rule`` (see :mod:`cnnmath.init`), biases zero."""
    sizes = layer_sizes(sizes)
    rng = np.random.default_rng(validate_seed(seed))
    params: Params = {}
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{l}"] = init_weights(rule, n_in, n_out, rng, dtype)
        params[f"b{l}"] = np.zeros(n_out, dtype=dtype)
    return params


def n_layers(params: Params) -> int:
    """The number of dense layers: ``params`` holds ``W1, b1, ..., WL, bL``."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of W1, b1, ... arrays; got {type(params).__name__}")
    L = len(params) // 2
    expected = {f"{k}{l}" for l in range(1, L + 1) for k in ("W", "b")}
    if set(params) != expected:
        raise ValueError(f"params must hold W1, b1, ..., WL, bL; got {sorted(params)}")
    return L


def mlp_forward(params: Params, x: np.ndarray, activation: str = "relu") -> tuple[np.ndarray, list]:
    """The logits of every row of ``x`` (``(N, n_0)`` or images, flattened); the cache holds each layer's caches."""
    fwd, _ = activations.get(activation)
    h = as_float_array(x, "x (the network input)", finite=False)
    if h.ndim < 2 or h.size == 0:
        raise ValueError(f"x must be a non-empty batch (N, n_0) or (N, ...); got shape {h.shape}")
    h = h.reshape(h.shape[0], -1)
    caches = []
    L = n_layers(params)
    for l in range(1, L + 1):
        z, aff = affine_forward(h, params[f"W{l}"], params[f"b{l}"])
        if l < L:
            h, act = fwd(z)
            caches.append((aff, act))
        else:
            caches.append((aff, None))
            h = z
    return h, caches


def mlp_backward(dlogits: np.ndarray, caches: list, activation: str = "relu") -> Params:
    """Gradients of the loss for every parameter, given :math:`\\partial E/\\partial Z^{(L)}`."""
    _, bwd = activations.get(activation)
    if not isinstance(caches, list) or not caches:
        raise TypeError(
            f"caches must be the list of caches returned by mlp_forward; got {type(caches).__name__}"
        )
    for l, c in enumerate(caches, start=1):
        if not (isinstance(c, tuple) and len(c) == 2):
            raise TypeError(
                f"caches must be the list of (affine, activation) cache pairs returned by "
                f"mlp_forward; item {l} is {type(c).__name__}"
            )
    grads: Params = {}
    delta = as_float_array(dlogits, "dlogits (the gradient of the loss for the logits)")
    last = caches[-1][0]
    n_out = last[1].shape[0] if isinstance(last, tuple) and len(last) == 2 else -1
    n = len(last[0]) if isinstance(last, tuple) and len(last) == 2 else -1
    if delta.shape != (n, n_out):
        raise ValueError(f"dlogits must have the logits' shape {(n, n_out)}; got {delta.shape}")
    for l in range(len(caches), 0, -1):
        aff, act = caches[l - 1]
        if act is not None:
            delta = bwd(delta, act)
        delta, grads[f"W{l}"], grads[f"b{l}"] = affine_backward(delta, aff, need_dx=l > 1)
    return grads


@dataclass
class MLP:
    """A classifier: hidden layers with one activation, softmax cross-entropy on the logits."""

    sizes: tuple[int, ...]
    activation: str = "relu"
    params: Params = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sizes = tuple(layer_sizes(self.sizes))
        if not isinstance(self.activation, str) or self.activation not in activations.ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(activations.ACTIVATIONS)}; "
                f"got {self.activation!r}"
            )
        if not isinstance(self.params, dict):
            raise TypeError(f"params must be a dict of arrays; got {type(self.params).__name__}")

    @classmethod
    def create(
        cls,
        sizes: Sequence[int],
        activation: str = "relu",
        init: str | None = None,
        seed: int = 0,
        dtype: type = np.float64,
    ) -> "MLP":
        activations.get(activation)  # unknown names fail here, with the list of known ones
        sizes = layer_sizes(sizes)
        rule = init or (
            "he_normal" if activation in ("relu", "leaky_relu", "elu") else "glorot_normal"
        )
        return cls(tuple(sizes), activation, init_params(sizes, rule, seed, dtype))

    @property
    def n_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list]:
        x = np.asarray(x)
        if x.reshape(x.shape[0], -1).shape[1] != self.sizes[0]:
            raise ValueError(
                f"the network expects {self.sizes[0]} input features per example; got input of shape {x.shape}"
            )
        return mlp_forward(self.params, x, self.activation)

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple[float, Params, np.ndarray]:
        """Mean cross-entropy over the batch, the gradient of every parameter, and the logits."""
        y = check_labels(y, "y (the class labels)", n=np.shape(x)[0], num_classes=self.sizes[-1])
        logits, caches = self.forward(x)
        loss, lcache = softmax_cross_entropy_forward(logits, y)
        grads = mlp_backward(softmax_cross_entropy_backward(1.0, lcache), caches, self.activation)
        return loss, grads, logits

    def as_network(self) -> "Sequential":
        """The same MLP as a list of layers, sharing this model's arrays (``W1`` is ``dense1.weight``)."""
        from .layers import Activation, Dense
        from .network import Sequential

        L = len(self.sizes) - 1
        layers: list = []
        for l in range(1, L + 1):
            layers.append(Dense(self.sizes[l], name=f"dense{l}"))
            if l < L:
                layers.append(Activation(self.activation, name=f"{self.activation}{l}"))
        dtype = self.params["W1"].dtype.type
        net = Sequential(
            layers, (self.sizes[0],), dtype=dtype, name="MLP " + "-".join(map(str, self.sizes))
        )
        net.params.update(
            {
                f"dense{l}.{k}": self.params[f"{p}{l}"]
                for l in range(1, L + 1)
                for k, p in (("weight", "W"), ("bias", "b"))
            }
        )
        return net

    def predict_proba(self, x: np.ndarray, batch_size: int = 2048) -> np.ndarray:
        out = [
            activations.softmax(self.forward(x[i : i + batch_size])[0])
            for i in range(0, len(x), batch_size)
        ]
        return np.concatenate(out)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.predict_proba(x).argmax(axis=1)
