"""Central finite differences: the numerical oracle for every analytic gradient in the book.

For a function :math:`f:\\mathbb{R}^n\\to\\mathbb{R}^m` and an upstream gradient :math:`g` of the
output's shape, :func:`numerical_gradient` returns :math:`\\partial (g\\cdot f)/\\partial x_i
\\approx [g\\cdot f(x + h e_i) - g\\cdot f(x - h e_i)]/(2h)`, whose error is :math:`O(h^2)`.
Contracting with a random ``g`` checks every output's dependence on every input at once.

Checks are made in float64. :data:`TOLERANCE` is the relative error we accept per dtype, written
once here instead of ad hoc decimals in each test: with ``h = 1e-6`` the truncation error is about
``h^2 = 1e-12`` and the rounding error about ``eps |f| / h = 1e-10 |f|``, so analytic and numerical
gradients of smooth functions agree to ~1e-8 in relative terms when the gradient is not far
smaller than the function's values. :func:`relative_error` is relative to the gradients' own
scale, however small, so that a zero or sign-flipped gradient never passes for being tiny.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .arguments import as_float_array, callable_arg, flag, number, positive_int, positive_number

#: Accepted relative error between an analytic gradient and the reference, by dtype.
TOLERANCE: dict[type, float] = {np.float64: 1e-7, np.float32: 1e-3}
#: The finite-difference step used in float64.
STEP: float = 1e-6


def numerical_gradient(
    f: Callable[[np.ndarray], np.ndarray | float],
    x: np.ndarray,
    upstream: np.ndarray | None = None,
    h: float = STEP,
    *,
    with_error: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Central differences of ``upstream · f(x)`` with respect to every entry of ``x`` (float64).

    ``f`` must not keep a reference to ``x``: it is perturbed in place and restored. With
    ``with_error=True`` it returns ``(gradient, error)``, where ``error`` bounds each entry's own
    error (see :func:`difference_error`; it costs two more calls of ``f`` per entry), to hand to
    :func:`check_gradient` as ``reference_error``.
    """
    callable_arg(f, "f")
    h = positive_number(h, "h (the finite-difference step)")
    with_error = flag(with_error, "with_error")
    x = as_float_array(x, "x").astype(np.float64, copy=True)
    out = as_float_array(f(x), "f(x)", finite=False).astype(np.float64, copy=False)
    g = (
        np.ones_like(out)
        if upstream is None
        else as_float_array(upstream, "upstream").astype(np.float64)
    )
    if g.shape != out.shape:
        raise ValueError(f"upstream must have f(x)'s shape {out.shape}; got {g.shape}")
    grad = np.zeros_like(x)
    error = np.zeros_like(x)
    flat, gflat, eflat = x.reshape(-1), grad.reshape(-1), error.reshape(-1)

    def contracted(i: int, step: float) -> tuple[float, float]:
        """``g · f(x + step e_i)`` and ``|g| · |f(x + step e_i)|`` (the scale of its rounding)."""
        old = flat[i]
        flat[i] = old + step
        fx = np.asarray(f(x), dtype=np.float64)
        value, size = float(np.sum(g * fx)), float(np.sum(np.abs(g * fx)))
        flat[i] = old  # after the sums: f may return x itself (the identity, dropout with p = 0)
        return value, size

    for i in range(flat.size):
        (plus, size_plus), (minus, size_minus) = contracted(i, h), contracted(i, -h)
        gflat[i] = (plus - minus) / (2 * h)
        if with_error:
            wide = (contracted(i, 2 * h)[0] - contracted(i, -2 * h)[0]) / (4 * h)
            eflat[i] = difference_error(
                gflat[i], wide, size_plus + size_minus, float(flat[i]), h, out.size
            )
    return (grad, error) if with_error else grad


def difference_error(
    d: float, d_wide: float, size: float, x: float, h: float, terms: int = 1
) -> float:
    """:math:`|D_{2h} - D_h| + (4 + \\log_2 m)\\,u\\,S/(2h) + u\\,|x|\\,|D_h|/h`: a bound on the
    error of one central difference :math:`D_h`.

    Truncation: :math:`D_h = f' + h^2 f^{(3)}/6 + O(h^4)`, so :math:`D_{2h} - D_h` is about three
    times the truncation error; its full size is taken. Rounding: each of the two contracted
    values (``size`` :math:`S` is the sum of :math:`|g\\,f|` over both, ``terms`` :math:`m`
    outputs summed pairwise) carries a few units of roundoff :math:`u` of its size, divided by
    :math:`2h`; and :math:`x \\pm h` rounds to a step off by up to :math:`u|x|`. Where
    :math:`f'` is small beside :math:`f` (the sigmoid for :math:`z \\ge 8`: :math:`f \\approx 1`,
    :math:`f' = 3.4\\cdot 10^{-4}`) rounding dominates: about :math:`10^{-10}` absolute with
    ``h = 1e-6``, a relative error far above ``1e-7``.
    """
    d, d_wide = number(d, "d"), number(d_wide, "d_wide")
    size = positive_number(size, "size", allow_zero=True)
    x, h = number(x, "x"), positive_number(h, "h")
    terms = positive_int(terms, "terms")
    u = float(np.finfo(np.float64).eps) / 2
    rounding = (4 + np.log2(max(terms, 1))) * u * size / (2 * h)
    return float(abs(d_wide - d) + rounding + u * abs(x) * abs(d) / h)


def _tiny(a: np.ndarray, b: np.ndarray) -> float:
    """The smallest normal number of the less precise floating dtype of ``a`` and ``b``."""
    dtype = a.dtype if a.dtype.itemsize <= b.dtype.itemsize else b.dtype
    return float(np.finfo(dtype).tiny)


def relative_error(a: np.ndarray, b: np.ndarray, *, floor: float | None = None) -> float:
    """:math:`\\max_i |a_i - b_i| / \\max(\\max_i |a_i|, \\max_i |b_i|, \\text{floor})`.

    Relative to the scale of the two gradients, whatever that scale: a zero or sign-flipped
    gradient has error 1 or 2 even when every entry is tiny (an absolute floor of 1 would let
    any gradient below the tolerance pass). ``floor`` defaults to the smallest normal number of
    the less precise dtype (``2.2e-308`` in float64), which only keeps ``0/0`` away: two zero
    gradients agree. Give a larger ``floor`` to compare one block of a gradient on the scale of
    the whole, e.g. a bias gradient that is zero up to rounding (one before batch norm) with
    ``floor=`` the largest gradient entry of the network.
    """
    return _relative_error(a, b, "a (the analytic gradient)", "b (the reference gradient)", floor)


def _relative_error(
    a: object, b: object, name_a: str, name_b: str, floor: float | None = None
) -> float:
    a = as_float_array(a, name_a)
    b = as_float_array(b, name_b)
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape to be compared; got {a.shape} and "
            f"{b.shape}"
        )
    floor = (
        _tiny(a, b)
        if floor is None
        else positive_number(floor, "floor (the scale below which gradients are 0)")
    )
    if a.size == 0:
        return 0.0
    a64, b64 = a.astype(np.float64, copy=False), b.astype(np.float64, copy=False)
    scale = max(float(np.max(np.abs(a64))), float(np.max(np.abs(b64))), floor)
    return float(np.max(np.abs(a64 - b64)) / scale)


def tolerance(dtype: np.dtype | type) -> float:
    """The accepted relative error for gradients computed in ``dtype`` (float32 or float64)."""
    if dtype is None:
        raise TypeError("dtype must be np.float32 or np.float64; got None")
    try:
        key = np.dtype(dtype).type
    except TypeError:
        raise TypeError(
            f"dtype must be a NumPy float dtype (np.float32 or np.float64); got {dtype!r}"
        ) from None
    if key not in TOLERANCE:
        raise ValueError(
            "dtype must be np.float32 or np.float64 (the dtypes with a written tolerance); got "
            f"{dtype!r}"
        )
    return TOLERANCE[key]


def error_bound(err: float, floor: float = 1e-12) -> str:
    """The smallest power of ten above ``err``, e.g. ``"< 1e-10"`` for 5.6e-11; ``"< 1e-12"`` below
    ``floor``.

    Rounding noise makes the digits of a tiny error differ from one CPU (or BLAS) to another; its
    order of magnitude does not, so chapters print this bound (and assert the exact error). Below
    ``floor`` even the order of magnitude is noise, so all such errors print alike.
    """
    err = number(err, "err (a relative error)")
    if err < 0:
        raise ValueError(f"err (a relative error) must be >= 0; got {err}")
    floor = positive_number(floor, "floor")
    if err < floor:
        return f"< 1e{int(round(np.log10(floor)))}"
    return f"< 1e{int(np.floor(np.log10(err))) + 1}"


def check_gradient(
    analytic: np.ndarray,
    reference: np.ndarray,
    what: str,
    dtype: np.dtype | type = np.float64,
    *,
    reference_error: np.ndarray | float | None = None,
) -> float:
    """Assert ``relative_error(analytic, reference) < tolerance(dtype)``, print the outcome, return
    the error.

    ``reference_error`` bounds the reference's own error, entry by entry (or one number), such as
    the bound :func:`numerical_gradient` returns with ``with_error=True``: then each entry passes
    when :math:`|a_i - b_i| \\le \\text{tol}\\cdot\\text{scale} + e_i`. Central differences
    cannot resolve a gradient much smaller than the function's values (the sigmoid's for
    :math:`z \\ge 8`), and a correct analytic gradient must not fail for that; a wrong one still
    fails wherever the differences can see it.
    """
    if not isinstance(what, str):
        raise TypeError(
            f"what (the name of the gradient checked) must be a str; got {type(what).__name__}"
        )
    tol = tolerance(dtype)
    name_a = f"analytic (the gradient checked: {what})"
    name_b = f"reference (the gradient it is checked against: {what})"
    err = _relative_error(analytic, reference, name_a, name_b)
    if reference_error is None:
        if not err < tol:
            raise AssertionError(
                f"{what}: relative error {err:.3e} exceeds the tolerance {tol:.0e} for "
                f"{np.dtype(dtype).name}"
            )
        print(f"{what}: relative error {error_bound(err)} (tolerance {tol:.0e})")
        return err
    a = as_float_array(analytic, name_a).astype(np.float64, copy=False)
    b = as_float_array(reference, name_b).astype(np.float64, copy=False)
    e = as_float_array(reference_error, "reference_error").astype(np.float64, copy=False)
    if e.shape not in ((), b.shape):
        raise ValueError(
            f"reference_error must be one number or have the reference's shape {b.shape}; "
            f"got {e.shape}"
        )
    if np.any(e < 0):
        raise ValueError(f"reference_error must be >= 0; got a smallest of {e.min():g}")
    scale = max(float(np.max(np.abs(a), initial=0)), float(np.max(np.abs(b), initial=0)))
    allowed = tol * scale + np.broadcast_to(e, b.shape)
    excess = np.abs(a - b) - allowed
    if np.any(excess > 0):
        i = np.unravel_index(int(np.argmax(excess)), excess.shape)
        raise AssertionError(
            f"{what}: relative error {err:.3e} exceeds the tolerance {tol:.0e} for "
            f"{np.dtype(dtype).name} plus the reference's own error: at index {i}, "
            f"|a - b| = {abs(a[i] - b[i]):.3e} > {allowed[i]:.3e}"
        )
    print(
        f"{what}: relative error {error_bound(err)} (tolerance {tol:.0e} plus the "
        "reference's own error bound)"
    )
    return err
