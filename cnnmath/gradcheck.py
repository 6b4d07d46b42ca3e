"""Central finite differences: the numerical oracle for every analytic gradient in the book.

For a function :math:`f:\\mathbb{R}^n\\to\\mathbb{R}^m` and an upstream gradient :math:`g` of the
output's shape, :func:`numerical_gradient` returns :math:`\\partial (g\\cdot f)/\\partial x_i
\\approx [g\\cdot f(x + h e_i) - g\\cdot f(x - h e_i)]/(2h)`, whose error is :math:`O(h^2)`.
Contracting with a random ``g`` checks every output's dependence on every input at once.

Checks are made in float64. :data:`TOLERANCE` is the relative error we accept per dtype, written
once here instead of ad hoc decimals in each test: with ``h = 1e-6`` the truncation error is about
``h^2 = 1e-12`` and the rounding error about ``eps/h = 1e-10``, so analytic and numerical gradients
of smooth functions agree to ~1e-8 in relative terms.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .validate import as_float_array

#: Accepted relative error between an analytic gradient and the reference, by dtype.
TOLERANCE: dict[type, float] = {np.float64: 1e-7, np.float32: 1e-3}
#: The finite-difference step used in float64.
STEP: float = 1e-6


def numerical_gradient(
    f: Callable[[np.ndarray], np.ndarray | float], x: np.ndarray, upstream: np.ndarray | None = None, h: float = STEP
) -> np.ndarray:
    """Central differences of ``upstream · f(x)`` with respect to every entry of ``x`` (float64).

    ``f`` must not keep a reference to ``x``: it is perturbed in place and restored.
    """
    x = as_float_array(x, "x").astype(np.float64, copy=True)
    out = np.asarray(f(x), dtype=np.float64)
    g = np.ones_like(out) if upstream is None else as_float_array(upstream, "upstream").astype(np.float64)
    if g.shape != out.shape:
        raise ValueError(f"upstream must have f(x)'s shape {out.shape}; got {g.shape}")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = float(np.sum(g * np.asarray(f(x), dtype=np.float64)))
        flat[i] = old - h
        minus = float(np.sum(g * np.asarray(f(x), dtype=np.float64)))
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """:math:`\\max_i |a_i - b_i| / \\max(1, \\max_i |b_i|)`: relative for large gradients, absolute for small."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare gradients of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


def tolerance(dtype: np.dtype | type) -> float:
    """The accepted relative error for gradients computed in ``dtype``."""
    return TOLERANCE[np.dtype(dtype).type]


def error_bound(err: float, floor: float = 1e-12) -> str:
    """The smallest power of ten above ``err``, e.g. ``"< 1e-10"`` for 5.6e-11; ``"< 1e-12"`` below ``floor``.

    Rounding noise makes the digits of a tiny error differ from one CPU (or BLAS) to another; its
    order of magnitude does not, so chapters print this bound (and assert the exact error). Below
    ``floor`` even the order of magnitude is noise, so all such errors print alike.
    """
    if err < floor:
        return f"< 1e{int(round(np.log10(floor)))}"
    return f"< 1e{int(np.floor(np.log10(err))) + 1}"


def check_gradient(analytic: np.ndarray, reference: np.ndarray, what: str, dtype: np.dtype | type = np.float64) -> float:
    """Assert ``relative_error(analytic, reference) < tolerance(dtype)``, print the outcome, return the error."""
    err = relative_error(analytic, reference)
    tol = tolerance(dtype)
    if not err < tol:
        raise AssertionError(f"{what}: relative error {err:.3e} exceeds the tolerance {tol:.0e} for {np.dtype(dtype).name}")
    print(f"{what}: relative error {error_bound(err)} (tolerance {tol:.0e})")
    return err
