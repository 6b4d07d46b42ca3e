"""Activation functions: one SymPy definition each, and stable vectorized NumPy pairs.

Symbols follow the thesis (§2.2): the incoming value is ``z``, the activation ``a = f(z)``; in code
``da`` is the upstream gradient :math:`\\partial E/\\partial a` and ``dz`` is
:math:`\\partial E/\\partial z`.

Convention at a kink. ReLU, leaky ReLU, PReLU and ELU are not differentiable at ``z = 0`` (ELU is
when ``alpha = 1``). This package uses the left derivative there, i.e. the ``z <= 0`` branch:
``relu'(0) = 0``, ``leaky_relu'(0) = b``, ``elu'(0) = alpha``. That is what PyTorch's autograd
returns, and it is the ``Piecewise`` order of the SymPy definitions below, so the three oracles
agree at 0 too. The sources disagree with each other here; the ledger records how.

Each ``*_forward(z) -> (a, cache)`` has a ``*_backward(da, cache) -> dz``; PReLU's backward also
returns ``db``. Every function works elementwise on arrays of any shape except softmax, which
normalizes along the last axis.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp

from .arguments import NUMBER, array_cache, as_float_array, positive_number, unpack_cache

Cache = object

# --------------------------------------------------------------------------------------------
# SymPy definitions (one place for each formula; derivatives are derived from these)
# --------------------------------------------------------------------------------------------


def sym_sigmoid(z: sp.Expr) -> sp.Expr:
    """:math:`\\sigma(z) = 1/(1+e^{-z})` (thesis eq. 11)."""
    return 1 / (1 + sp.exp(-z))


def sym_tanh(z: sp.Expr) -> sp.Expr:
    """:math:`\\tanh z = (e^z - e^{-z})/(e^z + e^{-z})`."""
    return sp.tanh(z)


def sym_relu(z: sp.Expr) -> sp.Expr:
    """:math:`\\max(0, z)` (thesis eq. 13), written with the ``z <= 0`` branch first."""
    return sp.Piecewise((0, z <= 0), (z, True))


def sym_leaky_relu(z: sp.Expr, b: sp.Expr = sp.Rational(1, 100)) -> sp.Expr:
    """:math:`\\max(0,z) + b\\min(0,z)` (thesis eq. 15-16)."""
    return sp.Piecewise((b * z, z <= 0), (z, True))


def sym_prelu(z: sp.Expr, b: sp.Expr) -> sp.Expr:
    """Leaky ReLU whose slope ``b`` is a parameter (thesis §2.2.4)."""
    return sym_leaky_relu(z, b)


def sym_elu(z: sp.Expr, alpha: sp.Expr = 1) -> sp.Expr:
    """:math:`z` for ``z > 0``, :math:`\\alpha(e^z - 1)` otherwise (thesis eq. 19)."""
    return sp.Piecewise((alpha * (sp.exp(z) - 1), z <= 0), (z, True))


def sym_softmax(z: list[sp.Expr] | sp.Matrix) -> sp.Matrix:
    """:math:`f(z_i) = e^{z_i} / \\sum_j e^{z_j}` (thesis eq. 21) as a column vector."""
    zs = list(z)
    total = sum(sp.exp(zj) for zj in zs)
    return sp.Matrix([sp.exp(zi) / total for zi in zs])


# --------------------------------------------------------------------------------------------
# NumPy: pure forward/backward pairs
# --------------------------------------------------------------------------------------------


def _sigmoid_pair(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(sigma(z), 1 - sigma(z))``, both accurate in relative terms for any finite ``z``.

    ``exp`` is only ever taken of ``-|z| <= 0``: with ``e = exp(-|z|)``, for ``z >= 0``
    ``sigma = 1/(1+e)`` and ``1 - sigma = e/(1+e)``; for ``z < 0`` the two swap. Computing
    ``1 - sigma`` directly (instead of subtracting from a value that rounded to 1.0) keeps the
    derivative ``sigma(1 - sigma)`` accurate where it is tiny, e.g. ``4.2e-18`` at ``z = 40``.
    """
    e = np.exp(-np.abs(z))
    big, small = 1 / (1 + e), e / (1 + e)
    pos = z >= 0
    return np.where(pos, big, small).astype(z.dtype, copy=False), np.where(pos, small, big).astype(
        z.dtype, copy=False
    )


def sigmoid(z: np.ndarray) -> np.ndarray:
    """:math:`\\sigma(z)=1/(1+e^{-z})`, evaluated without overflow for any finite ``z``."""
    return _sigmoid_pair(as_float_array(z, "z"))[0]


def sigmoid_forward(z: np.ndarray) -> tuple[np.ndarray, Cache]:
    """:math:`a = \\sigma(z)`; the cache holds ``(a, 1 - a)``."""
    a, one_minus_a = _sigmoid_pair(as_float_array(z, "z"))
    return a, (a, one_minus_a)


def _same_shapes(a: np.ndarray, b: np.ndarray, layout: str, producer: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"cache must be the {layout} tuple returned by {producer}; got arrays of shapes "
            f"{a.shape} and {b.shape}"
        )


def sigmoid_backward(da: np.ndarray, cache: Cache) -> np.ndarray:
    """:math:`\\partial E/\\partial z = \\partial E/\\partial a \\cdot a(1-a)` (thesis eq. 12)."""
    a, one_minus_a = unpack_cache(cache, "sigmoid_forward", {"a": np.ndarray, "1 - a": np.ndarray})
    _same_shapes(a, one_minus_a, "(a, 1 - a)", "sigmoid_forward")
    return _upstream(da, a) * a * one_minus_a


def tanh_forward(z: np.ndarray) -> tuple[np.ndarray, Cache]:
    """:math:`a = \\tanh z`; the cache holds ``(a, 1 - a^2)``.

    ``1 - a^2 = sech^2 z = 4e/(1+e)^2`` with ``e = exp(-2|z|)``, computed that way so that it stays
    accurate (not 0) when ``a`` has rounded to +-1.
    """
    z = as_float_array(z, "z")
    e = np.exp(-2 * np.abs(z))
    return np.tanh(z), (np.tanh(z), (4 * e / (1 + e) ** 2).astype(z.dtype, copy=False))


def tanh_backward(da: np.ndarray, cache: Cache) -> np.ndarray:
    """:math:`\\partial E/\\partial z = \\partial E/\\partial a \\cdot (1 - a^2)`."""
    a, sech2 = unpack_cache(cache, "tanh_forward", {"a": np.ndarray, "1 - a^2": np.ndarray})
    _same_shapes(a, sech2, "(a, 1 - a^2)", "tanh_forward")
    return _upstream(da, a) * sech2


def relu_forward(z: np.ndarray) -> tuple[np.ndarray, Cache]:
    """:math:`a = \\max(0, z)`; the cache holds ``z``."""
    z = as_float_array(z, "z")
    return np.maximum(z, 0), z


def relu_backward(da: np.ndarray, cache: Cache) -> np.ndarray:
    """:math:`\\partial E/\\partial z = \\partial E/\\partial a \\cdot [z > 0]` (0 at ``z = 0``)."""
    z = array_cache(cache, "relu_forward", "z")
    return _upstream(da, z) * (z > 0)


def leaky_relu_forward(z: np.ndarray, b: float = 0.01) -> tuple[np.ndarray, Cache]:
    """:math:`a = \\max(0,z) + b\\min(0,z)` with a fixed slope ``b >= 0``; cache ``(z, b)``."""
    z = as_float_array(z, "z")
    b = positive_number(b, "b (the negative slope)", allow_zero=True)
    return np.where(z > 0, z, b * z).astype(z.dtype, copy=False), (z, b)


def leaky_relu_backward(da: np.ndarray, cache: Cache) -> np.ndarray:
    """:math:`\\partial E/\\partial z = \\partial E/\\partial a \\cdot
    (1 \\text{ if } z>0 \\text{ else } b)`."""
    z, b = unpack_cache(cache, "leaky_relu_forward", {"z": np.ndarray, "b": NUMBER})
    return _upstream(da, z) * np.where(z > 0, 1.0, b).astype(z.dtype, copy=False)


def prelu_forward(z: np.ndarray, b: np.ndarray | float) -> tuple[np.ndarray, Cache]:
    """Leaky ReLU with a learned slope ``b``: a scalar, or one per channel (axis 1, as torch's
    PReLU).

    Shapes: ``z`` is ``(N, C, ...)`` or any shape when ``b`` is a scalar; ``b`` is ``()`` or
    ``(C,)``.
    The cache holds ``(z, b)``.
    """
    z = as_float_array(z, "z")
    b = as_float_array(b, "b (the PReLU slope)", ndim=(0, 1))
    bb = _broadcast_slope(b, z)
    return np.where(z > 0, z, bb * z).astype(z.dtype, copy=False), (z, b)


def prelu_backward(da: np.ndarray, cache: Cache) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(dz, db)``: :math:`\\partial f/\\partial b = z` for ``z <= 0``, else 0 (thesis eq.
    18).

    ``db`` sums :math:`\\partial E/\\partial a \\cdot \\partial f/\\partial b` over every position
    that
    shares the slope, so it has the shape of ``b``.
    """
    z, b = unpack_cache(cache, "prelu_forward", {"z": np.ndarray, "b": np.ndarray})
    if b.ndim > 1 or (b.ndim == 1 and (z.ndim < 2 or z.shape[1] != b.shape[0])):
        raise ValueError(
            "cache must be the (z, b) tuple returned by prelu_forward; got arrays of shapes "
            f"{z.shape} and {b.shape}"
        )
    da = _upstream(da, z)
    bb = _broadcast_slope(b, z)
    neg = z <= 0
    dz = da * np.where(neg, bb, 1.0)
    contrib = da * np.where(neg, z, 0.0)
    if b.ndim == 0:
        db = np.asarray(contrib.sum(), dtype=z.dtype)
    else:
        axes = tuple(i for i in range(z.ndim) if i != 1)
        db = contrib.sum(axis=axes).astype(z.dtype, copy=False)
    return dz.astype(z.dtype, copy=False), db


def elu_forward(z: np.ndarray, alpha: float = 1.0) -> tuple[np.ndarray, Cache]:
    """:math:`a = z` for ``z > 0``, :math:`\\alpha(e^z - 1)` otherwise; cache ``(z, alpha)``.

    ``expm1`` of ``min(z, 0)`` avoids both overflow for large ``z`` and cancellation near 0.
    """
    z = as_float_array(z, "z")
    alpha = positive_number(alpha, "alpha", allow_zero=True)
    neg = alpha * np.expm1(np.minimum(z, 0))
    return np.where(z > 0, z, neg).astype(z.dtype, copy=False), (z, alpha)


def elu_backward(da: np.ndarray, cache: Cache) -> np.ndarray:
    """:math:`\\partial E/\\partial z = \\partial E/\\partial a \\cdot
    (1 \\text{ if } z>0 \\text{ else } \\alpha e^z)` (thesis eq. 20)."""
    z, alpha = unpack_cache(cache, "elu_forward", {"z": np.ndarray, "alpha": NUMBER})
    local = np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0)))
    return (_upstream(da, z) * local).astype(z.dtype, copy=False)


def identity_forward(z: np.ndarray) -> tuple[np.ndarray, Cache]:
    """:math:`a = z` (a linear output layer, e.g. for regression)."""
    z = as_float_array(z, "z")
    return z, z


def identity_backward(da: np.ndarray, cache: Cache) -> np.ndarray:
    """:math:`\\partial E/\\partial z = \\partial E/\\partial a`."""
    return _upstream(da, array_cache(cache, "identity_forward", "z"))


def softmax(z: np.ndarray) -> np.ndarray:
    """:math:`a_i = e^{z_i - m} / \\sum_j e^{z_j - m}` along the last axis, ``m = max_j z_j``.

    Subtracting the maximum changes nothing mathematically (it cancels between numerator and
    denominator) but keeps every exponent <= 0, so nothing overflows.
    """
    z = as_float_array(z, "z", ndim=(1, 2))
    if z.shape[-1] == 0:
        raise ValueError(f"z must hold at least one value per row (class); got shape {z.shape}")
    with np.errstate(over="ignore"):  # z - max below -1.8e308 is -inf, and e^-inf = 0 is right
        e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_forward(z: np.ndarray) -> tuple[np.ndarray, Cache]:
    """Softmax over the last axis of ``z`` (shape ``(g,)`` or ``(N, g)``); the cache holds ``a``."""
    a = softmax(z)
    return a, a


def softmax_backward(da: np.ndarray, cache: Cache) -> np.ndarray:
    """:math:`\\partial E/\\partial z_j =
    \\sum_i \\partial E/\\partial a_i \\, a_i(\\delta_{ij} - a_j)`.

    This is the full Jacobian (thesis eq. 25) applied to ``da`` without forming it:
    ``dz = a * (da - sum(da * a))`` row by row.
    """
    a = array_cache(cache, "softmax_forward", "a")
    da = _upstream(da, a)
    return a * (da - np.sum(da * a, axis=-1, keepdims=True))


def softmax_jacobian(z: np.ndarray) -> np.ndarray:
    """:math:`J_{ij} = \\partial a_i/\\partial z_j = a_i(\\delta_{ij} - a_j)`, i.e. ``diag(a) - a
    a^T``.

    ``z`` has shape ``(g,)``; the result has shape ``(g, g)``.
    """
    z = as_float_array(z, "z", ndim=1)
    if not z.size:
        raise ValueError("z must hold at least one value; got an empty vector")
    a = softmax(z)
    return np.diag(a) - np.outer(a, a)


#: Elementwise activations by name, as used by :mod:`cnnmath.dense` networks.
ACTIVATIONS: dict[
    str, tuple[Callable[..., tuple[np.ndarray, Cache]], Callable[..., np.ndarray]]
] = {
    "identity": (identity_forward, identity_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
    "relu": (relu_forward, relu_backward),
    "leaky_relu": (leaky_relu_forward, leaky_relu_backward),
    "elu": (elu_forward, elu_backward),
}


def get(name: str) -> tuple[Callable[..., tuple[np.ndarray, Cache]], Callable[..., np.ndarray]]:
    """The ``(forward, backward)`` pair of an elementwise activation, by name."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}: name must be one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def _upstream(da: np.ndarray, like: np.ndarray) -> np.ndarray:
    da = as_float_array(da, "da (the upstream gradient)")
    if da.shape != like.shape:
        raise ValueError(
            f"da (the upstream gradient) must have the forward output's shape {like.shape} (as in "
            "cache); "
            f"got {da.shape}"
        )
    return da


def _broadcast_slope(b: np.ndarray, z: np.ndarray) -> np.ndarray:
    if b.ndim == 0:
        return b
    if z.ndim < 2 or z.shape[1] != b.shape[0]:
        raise ValueError(
            f"b: a per-channel PReLU slope of shape {b.shape} needs z of shape (N, {b.shape[0]}, "
            f"...); got {z.shape}"
        )
    return b.reshape((1, -1) + (1,) * (z.ndim - 2))
