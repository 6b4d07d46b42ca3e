"""Batch normalization (thesis §3.2.3, eq. 57-58), in training and evaluation modes.

For each channel :math:`c` (axis 1 of ``(N, C)`` or ``(N, C, H, W)``), over the :math:`m` values
of the batch (and positions):

.. math::
    \\mu = \\frac1m\\sum x,\\quad \\sigma^2 = \\frac1m\\sum (x-\\mu)^2,\\quad
    \\hat x = \\frac{x-\\mu}{\\sqrt{\\sigma^2+\\epsilon}},\\quad y = \\gamma\\hat x + \\beta .

:math:`\\gamma` and :math:`\\beta` are trained. The running mean and variance are not trained but
tracked,
:math:`r \\leftarrow (1-\\text{momentum})\\,r + \\text{momentum}\\cdot\\text{batch statistic}`
(the variance with the unbiased factor :math:`m/(m-1)`, as torch), and used instead of the batch's
in evaluation mode. So each batch-norm layer has :math:`2C` trainable and :math:`2C` non-trainable
numbers.

Backward in training mode, with :math:`\\hat x` and :math:`\\sigma` of the batch:

.. math::
    \\frac{\\partial E}{\\partial x} =
    \\frac{\\gamma}{m\\sqrt{\\sigma^2+\\epsilon}}\\Big(m\\,\\frac{\\partial E}{\\partial y}
    - \\sum\\frac{\\partial E}{\\partial y} - \\hat x\\sum\\frac{\\partial E}{\\partial y}\\hat
    x\\Big),\\quad
    \\frac{\\partial E}{\\partial \\gamma} = \\sum\\frac{\\partial E}{\\partial y}\\hat x,\\quad
    \\frac{\\partial E}{\\partial \\beta} = \\sum\\frac{\\partial E}{\\partial y}.

``batchnorm_forward`` returns ``(y, cache, (running_mean, running_var))``: the new running
statistics are returned, never changed in place.
"""

from __future__ import annotations

import numpy as np

from .arguments import (
    NUMBER,
    as_float_array,
    flag,
    in_range,
    positive_int,
    positive_number,
    unpack_cache,
)


def _axes(x: np.ndarray) -> tuple[int, ...]:
    return (0,) + tuple(range(2, x.ndim))


def _shape(x: np.ndarray) -> tuple[int, ...]:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _check(x, gamma, beta, running_mean, running_var):
    x = as_float_array(x, "x (shape (N, C) or (N, C, H, W))", ndim=(2, 4))
    if x.size == 0:
        raise ValueError(f"x (shape (N, C) or (N, C, H, W)) must not be empty; got shape {x.shape}")
    C = x.shape[1]
    arrays = []
    for name, a in (
        ("gamma", gamma),
        ("beta", beta),
        ("running_mean", running_mean),
        ("running_var", running_var),
    ):
        a = as_float_array(a, name, ndim=1)
        if a.shape != (C,):
            raise ValueError(f"{name} must have one value per channel, shape ({C},); got {a.shape}")
        arrays.append(a)
    if np.any(arrays[3] < 0):
        raise ValueError("running_var must be >= 0")
    return (x, *arrays)


def batchnorm_forward(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    *,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[np.ndarray, tuple, tuple[np.ndarray, np.ndarray]]:
    """:math:`y = \\gamma\\hat x + \\beta`; returns ``(y, cache, (new_running_mean,
    new_running_var))``."""
    x, gamma, beta, running_mean, running_var = _check(x, gamma, beta, running_mean, running_var)
    eps = positive_number(eps, "eps")
    momentum = in_range(momentum, "momentum", 0, 1)
    training = flag(training, "training")
    ax, sh = _axes(x), _shape(x)
    m = x.size // x.shape[1]
    if training:
        if m < 2:
            raise ValueError(
                "training-mode batch norm needs more than one value per channel of x; got shape "
                f"{x.shape}"
            )
        mu = x.mean(axis=ax)
        var = x.var(axis=ax)
        new_mean = (1 - momentum) * running_mean + momentum * mu
        new_var = (1 - momentum) * running_var + momentum * var * m / (m - 1)
    else:
        mu, var = running_mean, running_var
        new_mean, new_var = running_mean, running_var
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu.reshape(sh)) * inv_std.reshape(sh)
    y = gamma.reshape(sh) * xhat + beta.reshape(sh)
    return y.astype(x.dtype, copy=False), (xhat, gamma, inv_std, training, m), (new_mean, new_var)


def batchnorm_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(dx, dgamma, dbeta)`` (see the module docstring for the formulas)."""
    xhat, gamma, inv_std, training, m = unpack_cache(
        cache,
        "batchnorm_forward",
        {
            "xhat": np.ndarray,
            "gamma": np.ndarray,
            "inv_std": np.ndarray,
            "training": (bool, np.bool_),
            "m": int,
        },
    )
    if xhat.ndim not in (2, 4) or gamma.shape != (xhat.shape[1],) or inv_std.shape != gamma.shape:
        raise ValueError(
            "cache must be the (xhat, gamma, inv_std, training, m) tuple returned by "
            "batchnorm_forward; "
            f"got arrays of shapes {xhat.shape}, {gamma.shape}, {inv_std.shape}"
        )
    dout = as_float_array(dout, "dout (the upstream gradient)")
    if dout.shape != xhat.shape:
        raise ValueError(f"dout must have the output's shape {xhat.shape}; got {dout.shape}")
    ax, sh = _axes(dout), _shape(dout)
    dbeta = dout.sum(axis=ax)
    dgamma = (dout * xhat).sum(axis=ax)
    if training:
        dx = (gamma * inv_std / m).reshape(sh) * (
            m * dout - dbeta.reshape(sh) - xhat * dgamma.reshape(sh)
        )
    else:  # the statistics are constants: an affine map
        dx = dout * (gamma * inv_std).reshape(sh)
    return dx, dgamma, dbeta


def batchnorm_forward_naive(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, tuple]:
    """Training mode, channel by channel, one step of eq. 57-58 per line; the cache keeps every
    step."""
    gamma = as_float_array(gamma, "gamma", ndim=1)
    x, gamma, beta, _, _ = _check(x, gamma, beta, np.zeros(gamma.shape), np.ones(gamma.shape))
    eps = positive_number(eps, "eps")
    xc = np.moveaxis(x, 1, 0).reshape(x.shape[1], -1)  # (C, m)
    C, m = xc.shape
    if m < 2:
        raise ValueError(
            "training-mode batch norm needs more than one value per channel of x; got shape "
            f"{x.shape}"
        )
    out = np.empty_like(xc)
    steps = []
    for c in range(C):
        mu = sum(xc[c]) / m
        diff = xc[c] - mu
        var = sum(diff * diff) / m
        std = np.sqrt(var + eps)
        xhat = diff / std
        out[c] = gamma[c] * xhat + beta[c]
        steps.append((diff, var, std, xhat))
    y = np.moveaxis(out.reshape((C, x.shape[0]) + x.shape[2:]), 0, 1)
    return y, (steps, gamma, x.shape, eps)


def batchnorm_backward_naive(
    dout: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The chain rule back through each step of the naive forward pass, channel by channel."""
    steps, gamma, shape, eps = unpack_cache(
        cache,
        "batchnorm_forward_naive",
        {"steps": list, "gamma": np.ndarray, "shape": tuple, "eps": NUMBER},
    )
    dout = as_float_array(dout, "dout (the upstream gradient)")
    if dout.shape != tuple(shape):
        raise ValueError(f"dout must have the output's shape {tuple(shape)}; got {dout.shape}")
    dc = np.moveaxis(dout, 1, 0).reshape(shape[1], -1)
    C, m = dc.shape
    dx = np.empty_like(dc)
    dgamma, dbeta = np.empty(C), np.empty(C)
    for c in range(C):
        diff, var, std, xhat = steps[c]
        dbeta[c] = dc[c].sum()
        dgamma[c] = (dc[c] * xhat).sum()
        dxhat = dc[c] * gamma[c]
        ddiff = dxhat / std  # through xhat = diff / std
        dstd = -(dxhat * diff).sum() / std**2
        dvar = dstd / (2 * std)  # through std = sqrt(var + eps)
        ddiff = ddiff + dvar * 2 * diff / m  # through var = sum(diff^2) / m
        dmu = -ddiff.sum()  # through diff = x - mu
        dx[c] = ddiff + dmu / m  # through mu = sum(x) / m
    return np.moveaxis(dx.reshape((C, shape[0]) + tuple(shape[2:])), 0, 1), dgamma, dbeta


def parameter_counts(channels: int) -> dict[str, int]:
    """Trainable (gamma, beta) and non-trainable (running mean and variance) numbers of one
    layer."""
    channels = positive_int(channels, "channels")
    return {"trainable": 2 * channels, "non_trainable": 2 * channels}
