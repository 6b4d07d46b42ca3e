"""The chain rule written out: an MLP and LeNet-5 as pure functions, layer by layer, for reading.

The networks that the book trains are descriptions in :mod:`cnnmath.zoo`, whose one forward loop
and one backward loop (:class:`cnnmath.network.Sequential`) serve every network. Here the same two
networks are unrolled by hand, each layer's forward and backward call written out beside the
equation it computes, so that the chain rule can be read line by line next to the thesis. The
parameters keep the names of the equations (``W1, b1, ...`` for the MLP, ``C1, c1, ..., F7, f7``
for LeNet-5). ``tests/test_chain_rule.py`` checks that these functions equal :func:`cnnmath.zoo.mlp`
and :func:`cnnmath.zoo.lenet5`: the same seed draws the same weights, and the outputs and every
gradient are the same numbers.

**The MLP.** With sizes :math:`(n_0, n_1, \\dots, n_L)` it computes, for :math:`l = 1, \\dots, L`,
:math:`Z^{(l)} = A^{(l-1)} W^{(l)T} + \\mathbf b^{(l)}` and :math:`A^{(l)} = f(Z^{(l)})`, with the
hidden activation ``f`` and no activation on the last layer: its output is the logits
:math:`Z^{(L)}`, which :func:`cnnmath.losses.softmax_cross_entropy_forward` turns into the loss.
Backward runs the local gradients :math:`\\delta^{(l)} = \\partial E/\\partial Z^{(l)}` from the last
layer to the first (thesis eq. 40-43):
:math:`\\delta^{(l)} = (\\delta^{(l+1)} W^{(l+1)}) \\odot f'(Z^{(l)})`.

**LeNet-5** (the thesis's, on 28x28 input with padding 2): conv 6@5x5 (padding 2) - ReLU - max-pool
2 - conv 16@5x5 - ReLU - max-pool 2 - flatten (400) - dense 120 - ReLU - dense 84 - ReLU - dense 10
(logits); 61,706 parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import activations
from .activations import relu_backward, relu_forward
from .arguments import as_float_array, layer_sizes
from .arguments import labels as check_labels
from .arguments import seed as check_seed
from .conv import conv2d_backward, conv2d_forward
from .dense import affine_backward, affine_forward
from .init import init_weights
from .losses import softmax_cross_entropy_backward, softmax_cross_entropy_forward
from .pool import maxpool_backward, maxpool_forward

Params = dict[str, np.ndarray]


# -- the MLP ------------------------------------------------------------------------------------
def parameter_count(sizes: Sequence[int]) -> int:
    """:math:`\\sum_l (n_{l-1} n_l + n_l)`: the weights and biases of an MLP with these layer sizes."""
    sizes = layer_sizes(sizes)
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def init_params(
    sizes: Sequence[int], rule: str = "he_normal", seed: int = 0, dtype: type = np.float64
) -> Params:
    """``{"W1": ..., "b1": ..., "WL": ..., "bL": ...}``: weights drawn by ``rule`` (see
    :mod:`cnnmath.init`) from one generator seeded with ``seed``, layer after layer, biases zero
    (the draws of ``zoo.mlp(sizes, init=rule).init(seed, dtype)``)."""
    sizes = layer_sizes(sizes)
    rng = np.random.default_rng(check_seed(seed))
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
    if L == 0 or set(params) != expected:
        raise ValueError(f"params must hold W1, b1, ..., WL, bL (L >= 1); got {sorted(params)}")
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


def mlp_loss_and_grads(
    params: Params, x: np.ndarray, y: np.ndarray, activation: str = "relu"
) -> tuple[float, Params, np.ndarray]:
    """Mean softmax cross-entropy over the batch, the gradient of every parameter, and the logits."""
    logits, caches = mlp_forward(params, x, activation)
    y = check_labels(y, "y (the class labels)", n=len(logits), num_classes=logits.shape[1])
    loss, lc = softmax_cross_entropy_forward(logits, y)
    return loss, mlp_backward(softmax_cross_entropy_backward(1.0, lc), caches, activation), logits


# -- LeNet-5 ------------------------------------------------------------------------------------
LENET5_NAMES = ("C1", "c1", "C3", "c3", "F5", "f5", "F6", "f6", "F7", "f7")


def lenet5_params(seed: int = 0, dtype: type = np.float32) -> Params:
    """He-initialized weights (fan-in = C·KH·KW for convolutions), zero biases, drawn in layer order
    from one generator seeded with ``seed`` (the draws of ``zoo.lenet5().init(seed, dtype)``)."""
    rng = np.random.default_rng(check_seed(seed))

    def conv_w(f, c, k):
        return init_weights("he_normal", c * k * k, f, rng, dtype).reshape(f, c, k, k)

    return {
        "C1": conv_w(6, 1, 5),
        "c1": np.zeros(6, dtype),
        "C3": conv_w(16, 6, 5),
        "c3": np.zeros(16, dtype),
        "F5": init_weights("he_normal", 400, 120, rng, dtype),
        "f5": np.zeros(120, dtype),
        "F6": init_weights("he_normal", 120, 84, rng, dtype),
        "f6": np.zeros(84, dtype),
        "F7": init_weights("he_normal", 84, 10, rng, dtype),
        "f7": np.zeros(10, dtype),
    }


def _check_lenet5_params(p: object) -> None:
    if not isinstance(p, dict) or set(p) != set(LENET5_NAMES):
        raise TypeError(f"p must be the dict of lenet5_params, keys {LENET5_NAMES}; got {p!r:.80}")


def lenet5_forward(p: Params, x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Logits ``(N, 10)`` for images ``x`` of shape ``(N, 1, 28, 28)``, and the layers' caches."""
    _check_lenet5_params(p)
    x = as_float_array(x, "x (the images)")
    if np.ndim(x) != 4 or tuple(np.shape(x)[1:]) != (1, 28, 28):
        raise ValueError(f"x: LeNet-5 takes images of shape (N, 1, 28, 28); got {np.shape(x)}")
    z1, c1 = conv2d_forward(x, p["C1"], p["c1"], padding=2)
    a1, r1 = relu_forward(z1)
    s2, m2 = maxpool_forward(a1, 2)
    z3, c3 = conv2d_forward(s2, p["C3"], p["c3"])
    a3, r3 = relu_forward(z3)
    s4, m4 = maxpool_forward(a3, 2)
    z5, d5 = affine_forward(s4.reshape(len(x), -1), p["F5"], p["f5"])
    a5, r5 = relu_forward(z5)
    z6, d6 = affine_forward(a5, p["F6"], p["f6"])
    a6, r6 = relu_forward(z6)
    logits, d7 = affine_forward(a6, p["F7"], p["f7"])
    return logits, (c1, r1, m2, c3, r3, m4, s4.shape, d5, r5, d6, r6, d7)


def lenet5_backward(dlogits: np.ndarray, cache: tuple) -> Params:
    """Gradients of every parameter given the gradient of the logits, the layers in reverse."""
    if not isinstance(cache, tuple) or len(cache) != 12:
        raise TypeError(
            "cache must be the 12-item tuple returned by lenet5_forward; got "
            f"{type(cache).__name__}"
            + (f" of {len(cache)} items" if isinstance(cache, tuple) else "")
        )
    c1, r1, m2, c3, r3, m4, s4_shape, d5, r5, d6, r6, d7 = cache
    dlogits = as_float_array(dlogits, "dlogits (the gradient of the loss for the logits)")
    if not isinstance(r6, np.ndarray) or r6.ndim != 2:
        raise TypeError(
            "cache must be the 12-item tuple returned by lenet5_forward; its item 11 (the last "
            f"ReLU's input) is {type(r6).__name__}"
        )
    n = len(r6)
    if dlogits.shape != (n, 10):
        raise ValueError(f"dlogits must have the logits' shape {(n, 10)}; got {dlogits.shape}")
    g: Params = {}
    da6, g["F7"], g["f7"] = affine_backward(dlogits, d7)
    da5, g["F6"], g["f6"] = affine_backward(relu_backward(da6, r6), d6)
    ds4, g["F5"], g["f5"] = affine_backward(relu_backward(da5, r5), d5)
    da3 = maxpool_backward(ds4.reshape(s4_shape), m4)
    ds2, g["C3"], g["c3"] = conv2d_backward(relu_backward(da3, r3), c3)
    da1 = maxpool_backward(ds2, m2)
    _, g["C1"], g["c1"] = conv2d_backward(relu_backward(da1, r1), c1, need_dx=False)
    return g


def lenet5_loss_and_grads(p: Params, x: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
    """Mean softmax cross-entropy over the batch and the gradient of every parameter."""
    logits, cache = lenet5_forward(p, x)
    loss, lc = softmax_cross_entropy_forward(logits, y)
    return loss, lenet5_backward(softmax_cross_entropy_backward(1.0, lc), cache)
