"""LeNet-5 for 28x28 images, assembled from the layer pairs, as pure forward/backward functions.

This is the readable, unrolled version: every layer's forward and backward call written out, so
the chain rule can be read line by line. The same network described once as a list of layers is
:func:`cnnmath.zoo.lenet5` (which the tests check equal to this one, gradient for gradient); its
torch twin, table and training all come from that description.

Architecture (the thesis's LeNet-5 on 28x28 input with padding 2):
conv 6@5x5 (padding 2) - ReLU - max-pool 2 - conv 16@5x5 - ReLU - max-pool 2 - flatten (400) -
dense 120 - ReLU - dense 84 - ReLU - dense 10 (logits). 61,706 parameters.
"""

from __future__ import annotations

import numpy as np

from .activations import relu_backward, relu_forward
from .arguments import as_float_array
from .arguments import seed as validate_seed
from .conv import conv2d_backward, conv2d_forward
from .dense import affine_backward, affine_forward
from .init import init_weights
from .losses import softmax_cross_entropy_backward, softmax_cross_entropy_forward
from .pool import maxpool_backward, maxpool_forward

Params = dict[str, np.ndarray]


def lenet5_params(seed: int = 0, dtype: type = np.float32) -> Params:
    """He-initialized weights (fan-in = C·KH·KW for convolutions), zero biases."""
    rng = np.random.default_rng(validate_seed(seed))

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


def _check_params(p: object) -> None:
    names = ("C1", "c1", "C3", "c3", "F5", "f5", "F6", "f6", "F7", "f7")
    if not isinstance(p, dict) or set(p) != set(names):
        raise TypeError(f"p must be the dict of lenet5_params, keys {names}; got {p!r:.80}")


def lenet5_forward(p: Params, x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Logits ``(N, 10)`` for images ``x`` of shape ``(N, 1, 28, 28)``."""
    _check_params(p)
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
    """Gradients of every parameter given the gradient of the logits."""
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
