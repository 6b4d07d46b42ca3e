"""The perceptron of the thesis §2.1.2: a weighted sum with bias, a sigmoid, the logistic error.

Symbols: inputs :math:`x_i`, weights :math:`w_i`, bias weight :math:`w_0` (on the constant input
:math:`x_0 = 1`), weighted sum :math:`z = \\sum_i w_i x_i + w_0` (eq. 1), activation
:math:`a = \\sigma(z)` (eq. 5), error :math:`E = -y\\log a - (1-y)\\log(1-a)` (eq. 3).

Sign convention. The gradient is :math:`\\partial E/\\partial w_i = (a - y)x_i` (eq. 7). Gradient
descent moves against it, so the update *added* to the weights is
:math:`\\Delta w_i = -\\eta\\,\\partial E/\\partial w_i = \\eta(y - a)x_i` (eq. 8); the thesis's
eq. 2
writes :math:`\\Delta w_i = \\eta\\,\\partial E/\\partial w_i` and flips the sign in words
afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .activations import sigmoid
from .arguments import as_float_array, number, positive_int, positive_number, unpack_cache
from .arguments import seed as check_seed
from .losses import sigmoid_cross_entropy_forward


def perceptron_forward(x: np.ndarray, w: np.ndarray, w0: float) -> tuple[np.ndarray, object]:
    """:math:`a = \\sigma(\\mathbf{w}^T\\mathbf{x} + w_0)` for each row of ``x``.

    Shapes: ``x`` ``(N, d)``, ``w`` ``(d,)``; returns ``a`` ``(N,)`` and the cache ``(x, z, a)``.
    """
    x = as_float_array(x, "x (the inputs)", ndim=2)
    w = as_float_array(w, "w (the weights)", ndim=1)
    if x.shape[1] != w.shape[0]:
        raise ValueError(f"x has {x.shape[1]} features per row but w has {w.shape[0]} weights")
    z = x @ w + number(w0, "w0 (the bias weight)")
    a = sigmoid(z)
    return a, (x, z, a)


def perceptron_gradient(y: np.ndarray, cache: object) -> tuple[np.ndarray, float]:
    """Mean over the batch of :math:`\\partial E/\\partial w_i = (a - y)x_i` and
    :math:`\\partial E/\\partial w_0 = a - y`."""
    x, _, a = unpack_cache(
        cache, "perceptron_forward", {"x": np.ndarray, "z": np.ndarray, "a": np.ndarray}
    )
    if x.ndim != 2 or a.shape != (x.shape[0],):
        raise ValueError(
            "cache must be the (x, z, a) tuple returned by perceptron_forward; got arrays of "
            "shapes "
            f"{x.shape} and {a.shape}"
        )
    y = as_float_array(y, "y (the 0/1 targets)", ndim=1)
    if y.shape != a.shape:
        raise ValueError(f"y must have one target per row of x ({a.shape[0]}); got shape {y.shape}")
    if np.any((y < 0) | (y > 1)):
        raise ValueError(
            f"y (the targets) must lie in [0, 1]; got values from {y.min():g} to {y.max():g}"
        )
    err = a - y
    return x.T @ err / x.shape[0], float(err.mean())


@dataclass
class PerceptronFit:
    """Weights after training and the per-epoch history of the mean error and accuracy."""

    w: np.ndarray
    w0: float
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return perceptron_forward(x, self.w, self.w0)[0]

    def predict(self, x: np.ndarray) -> np.ndarray:
        return (self.predict_proba(x) >= 0.5).astype(np.int64)


def train_perceptron(
    x: np.ndarray,
    y: np.ndarray,
    *,
    eta: float = 0.1,
    epochs: int = 100,
    batch_size: int | None = None,
    seed: int = 0,
) -> PerceptronFit:
    """Gradient descent with the update rule :math:`w_i \\leftarrow w_i + \\eta(y - a)x_i` (eq. 8).

    ``batch_size=None`` uses the whole set per step; otherwise mini-batches in a seeded shuffle.
    The weights start at small seeded random values, the bias weight at 0 (thesis §2.5.1).
    """
    x = as_float_array(x, "x (the inputs)", ndim=2)
    y = as_float_array(y, "y (the 0/1 targets)", ndim=1)
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"x has {x.shape[0]} rows but y has {y.shape[0]} targets")
    if x.shape[0] == 0:
        raise ValueError("x (the inputs) must hold at least one row")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y must hold the class labels 0 and 1 only")
    eta = positive_number(eta, "eta (the learning rate)")
    epochs = positive_int(epochs, "epochs")
    n = x.shape[0]
    bs = n if batch_size is None else positive_int(batch_size, "batch_size")
    rng = np.random.default_rng(check_seed(seed))
    fit = PerceptronFit(w=rng.normal(0.0, 0.01, x.shape[1]), w0=0.0)
    for _ in range(epochs):
        order = rng.permutation(n) if bs < n else np.arange(n)
        for start in range(0, n, bs):
            idx = order[start : start + bs]
            _, cache = perceptron_forward(x[idx], fit.w, fit.w0)
            gw, g0 = perceptron_gradient(y[idx], cache)
            fit.w -= eta * gw  # i.e. w += eta * mean((y - a) x)
            fit.w0 -= eta * g0
        z = x @ fit.w + fit.w0
        fit.loss.append(sigmoid_cross_entropy_forward(z, y)[0])
        fit.accuracy.append(float(np.mean((z >= 0) == (y == 1))))
    return fit
