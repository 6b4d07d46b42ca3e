"""Local response normalization (AlexNet, Krizhevsky et al. 2012, §3.3), forward and backward.

Each activation :math:`a_{n,c,p}` (example :math:`n`, channel :math:`c`, position :math:`p`) is
divided by a power of the sum of squares of its neighbours across channels, at the same position:

.. math::
    s_{n,c,p} = k + \\frac{\\alpha}{n_s}\\sum_{j=\\max(0,\\,c-\\lfloor n_s/2\\rfloor)}^
    {\\min(C-1,\\,c+\\lfloor (n_s-1)/2\\rfloor)} a_{n,j,p}^2, \\qquad
    b_{n,c,p} = a_{n,c,p}\\, s_{n,c,p}^{-\\beta},

with window ``size`` :math:`n_s`. This is ``torch.nn.LocalResponseNorm(size, alpha, beta, k)``
exactly, window included: channels outside ``0..C-1`` count as zeros, and an even window reaches
one channel further down than up.

**Torch's alpha and the paper's.** The AlexNet paper writes :math:`s = k + \\alpha\\sum a_j^2`
with :math:`\\alpha = 10^{-4}` and does not divide by :math:`n_s`; torch (like Caffe) divides by
the window size. So the paper's :math:`\\alpha_{\\text{paper}}` is torch's ``alpha / size``, and
the paper's layer (:math:`k = 2, n_s = 5, \\alpha = 10^{-4}, \\beta = 0.75`) is
``LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2)``: :data:`ALEXNET`. (The paper's bounds
:math:`i \\pm n/2` agree with torch's window for odd :math:`n_s`; for even :math:`n_s` they would
span :math:`n_s + 1` channels.)

Backward, from :math:`\\partial b_c/\\partial a_i = \\delta_{ci}\\, s_c^{-\\beta}
- \\beta\\, a_c s_c^{-\\beta-1}\\, \\partial s_c/\\partial a_i` and
:math:`\\partial s_c/\\partial a_i = \\frac{2\\alpha}{n_s} a_i\\,[\\,i \\in \\text{window}(c)\\,]`
(proved by SymPy in the tests and in the AlexNet chapter):

.. math::
    \\frac{\\partial E}{\\partial a_{i}} = g_{i}\\, s_{i}^{-\\beta}
    - \\frac{2\\alpha\\beta}{n_s}\\, a_{i} \\sum_{c:\\; i \\in \\text{window}(c)}
    g_{c}\\, a_{c}\\, s_{c}^{-\\beta-1},
    \\qquad g = \\partial E/\\partial b,

where :math:`i \\in \\text{window}(c)` iff :math:`c - \\lfloor (n_s-1)/2\\rfloor \\le i \\le
c + \\lfloor n_s/2\\rfloor`: the backward pass sums over the mirrored window.

``lrn_forward_naive`` / ``lrn_backward_naive`` are the two equations as loops (they also run on
object arrays of SymPy expressions, so SymPy can differentiate the code that defines the layer).
``lrn_forward`` / ``lrn_backward`` compute the window sums with ``size`` shifted additions of the
whole array along the channel axis: :math:`O(n_s)` passes, no padding copy, and each sum is
accumulated directly (no difference of cumulative sums, which would lose precision in float32).
"""

from __future__ import annotations

import numbers

import numpy as np

from .arguments import as_float_array, positive_int, unpack_cache

#: The AlexNet paper's layer (k = 2, n = 5, alpha = 1e-4, beta = 0.75) in torch's convention,
#: whose alpha is divided by the window size: alpha = 5 * 1e-4.
ALEXNET: dict[str, float] = {"size": 5, "alpha": 5e-4, "beta": 0.75, "k": 2.0}


def window(size: int) -> tuple[int, int]:
    """``(below, above)``: channel :math:`c`'s window spans channels ``c - below .. c + above``.

    ``below = size // 2``, ``above = (size - 1) // 2``, as torch pads the channel axis.
    """
    size = positive_int(size, "size (the number of channels in the window)")
    return size // 2, (size - 1) // 2


def _is_symbolic(v: object) -> bool:
    return type(v).__module__.startswith("sympy")


def hyperparameters(
    size: int, alpha: float, beta: float, k: float, exact: bool = False
) -> tuple[int, object, object, object]:
    """Validated ``(size, alpha, beta, k)``: an integer ``size >= 1``, finite ``alpha >= 0``,
    ``beta`` and ``k > 0`` (so the divisor is never 0); SymPy objects pass when ``exact``."""
    size = positive_int(size, "size (the number of channels in the window)")
    out: list[object] = []
    for name, v, lo in (("alpha", alpha, 0.0), ("beta", beta, None), ("k", k, 0.0)):
        if exact and _is_symbolic(v):  # SymPy symbols in the naive code: no range to check
            out.append(v)
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"{name} must be a real number; got {v!r}")
        v = float(v)
        if not np.isfinite(v):
            raise ValueError(f"{name} must be finite; got {v!r}")
        out.append(v)
    alpha_v, beta_v, k_v = out
    if not _is_symbolic(alpha_v) and alpha_v < 0:
        raise ValueError(f"alpha must be >= 0 (it scales a sum of squares); got {alpha}")
    if not _is_symbolic(k_v) and k_v <= 0:
        raise ValueError(
            f"k must be > 0, so that the divisor k + alpha/size * sum(a^2) is never 0; got {k}"
        )
    return size, alpha_v, beta_v, k_v


def _symbolic_array(v: object, exact: bool) -> bool:
    """Whether ``v`` is an object array (of SymPy expressions) that the naive loops take as is."""
    return exact and isinstance(v, np.ndarray) and v.dtype == object


def _input(x: object, exact: bool) -> np.ndarray:
    arr = x
    if not _symbolic_array(x, exact):
        arr = as_float_array(arr, "x (shape (N, C, ...))")
    if arr.ndim < 2 or arr.size == 0:
        raise ValueError(
            f"x must have shape (N, C, ...) with at least 2 dimensions and no empty one; got shape "
            f"{arr.shape}"
        )
    return arr


def _upstream(dout: object, shape: tuple[int, ...], exact: bool) -> np.ndarray:
    arr = dout
    if not _symbolic_array(dout, exact):
        arr = as_float_array(arr, "dout (the upstream gradient)", finite=False)
    if arr.shape != shape:
        raise ValueError(f"dout must have the output's shape {shape}; got {arr.shape}")
    return arr


# --------------------------------------------------------------------------------------------
# Naive loops: the equations, index by index
# --------------------------------------------------------------------------------------------


def lrn_forward_naive(
    x: np.ndarray, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> tuple[np.ndarray, tuple]:
    """:math:`b_{n,c,p} = a_{n,c,p}(k + \\frac{\\alpha}{n_s}\\sum_j a_{n,j,p}^2)^{-\\beta}` (loops).

    ``x`` has shape ``(N, C, ...)`` (float, or an object array of SymPy expressions; ``alpha``,
    ``beta``, ``k`` may then be SymPy symbols too). Returns ``(b, cache)``, the cache holding
    ``x``, the divisor bases :math:`s` and the hyperparameters.
    """
    x = _input(x, exact=True)
    size, alpha, beta, k = hyperparameters(size, alpha, beta, k, exact=True)
    below, above = window(size)
    a = x.reshape(x.shape[0], x.shape[1], -1)
    N, C, P = a.shape
    exact = x.dtype == object or any(_is_symbolic(v) for v in (alpha, beta, k))
    dtype = object if exact else x.dtype
    s = np.empty(a.shape, dtype=dtype)
    b = np.empty(a.shape, dtype=dtype)
    for n in range(N):
        for c in range(C):
            for p in range(P):
                acc = 0
                for j in range(max(0, c - below), min(C - 1, c + above) + 1):
                    acc = acc + a[n, j, p] ** 2
                s[n, c, p] = k + alpha / size * acc
                b[n, c, p] = a[n, c, p] * s[n, c, p] ** (-beta)
    return b.reshape(x.shape), (a, s, size, alpha, beta, x.shape)


def lrn_backward_naive(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """:math:`\\partial E/\\partial a_i = \\sum_c g_c\\,\\partial b_c/\\partial a_i` (loops)."""
    a, s, size, alpha, beta, shape = unpack_cache(
        cache,
        "lrn_forward_naive",
        {
            "a": np.ndarray,
            "s": np.ndarray,
            "size": int,
            "alpha": object,
            "beta": object,
            "shape": tuple,
        },
    )
    if a.ndim != 3 or s.shape != a.shape or int(np.prod(shape)) != a.size:
        raise ValueError(
            "cache must be the (a, s, size, alpha, beta, shape) tuple returned by "
            f"lrn_forward_naive; got a {a.shape}, s {s.shape} and shape {shape}"
        )
    g = _upstream(dout, shape, exact=True).reshape(a.shape)
    below, above = window(size)
    N, C, P = a.shape
    exact = object in (a.dtype, s.dtype, g.dtype)
    dx = np.empty(a.shape, dtype=object if exact else np.result_type(a, g))
    for n in range(N):
        for i in range(C):
            for p in range(P):
                acc = g[n, i, p] * s[n, i, p] ** (-beta)  # the direct term, c = i
                for c in range(C):
                    if c - below <= i <= c + above:  # a_i is in channel c's window: s_c uses it
                        ds_da = 2 * alpha / size * a[n, i, p]
                        db_ds = -beta * a[n, c, p] * s[n, c, p] ** (-beta - 1)
                        acc = acc + g[n, c, p] * db_ds * ds_da
                dx[n, i, p] = acc
    return dx.reshape(shape)


# --------------------------------------------------------------------------------------------
# Vectorized
# --------------------------------------------------------------------------------------------


def channel_window_sum(v: np.ndarray, below: int, above: int) -> np.ndarray:
    """:math:`\\sum_{j=c-\\text{below}}^{c+\\text{above}} v_{n,j,\\ldots}` for every channel
    :math:`c` (axis 1), channels outside the array counting as zeros; ``below + above + 1``
    shifted additions.
    """
    v = as_float_array(v, "v (shape (N, C, ...))", finite=False)
    if v.ndim < 2:
        raise ValueError(f"v must have shape (N, C, ...); got shape {v.shape}")
    below = positive_int(below, "below", minimum=0)
    above = positive_int(above, "above", minimum=0)
    out = v.copy()
    C = v.shape[1]
    for d in range(1, min(below, C - 1) + 1):  # neighbours below: channel c - d adds to c
        out[:, d:] += v[:, : C - d]
    for d in range(1, min(above, C - 1) + 1):  # neighbours above: channel c + d adds to c
        out[:, : C - d] += v[:, d:]
    return out


def lrn_forward(
    x: np.ndarray, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> tuple[np.ndarray, tuple]:
    """:math:`b = a\\,s^{-\\beta}`, :math:`s = k + \\frac{\\alpha}{n_s}\\,\\text{window-sum}(a^2)`.

    ``x``: ``(N, C, ...)`` float32 or float64 (kept). ``size``: channels in the window (may exceed
    ``C``); ``alpha >= 0``, ``k > 0``, ``beta`` real (torch's defaults). Returns ``(b, cache)``
    with ``cache = (x, s, s**-beta, size, alpha, beta)``.
    """
    x = _input(x, exact=False)
    size, alpha, beta, k = hyperparameters(size, alpha, beta, k, exact=False)
    below, above = window(size)
    s = channel_window_sum(x * x, below, above)
    s *= alpha / size
    s += k
    s_pow = np.power(s, -beta, dtype=x.dtype)
    return x * s_pow, (x, s, s_pow, size, alpha, beta)


def lrn_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """:math:`\\partial E/\\partial a = g\\,s^{-\\beta} - \\frac{2\\alpha\\beta}{n_s}\\,a\\,
    \\text{mirrored-window-sum}(g\\,a\\,s^{-\\beta-1})`; returns ``dx`` of ``x``'s shape."""
    x, s, s_pow, size, alpha, beta = unpack_cache(
        cache,
        "lrn_forward",
        {
            "x": np.ndarray,
            "s": np.ndarray,
            "s**-beta": np.ndarray,
            "size": int,
            "alpha": float,
            "beta": float,
        },
    )
    if x.ndim < 2 or s.shape != x.shape or s_pow.shape != x.shape:
        raise ValueError(
            "cache must be the (x, s, s**-beta, size, alpha, beta) tuple returned by lrn_forward; "
            f"got arrays of shapes {x.shape}, {s.shape}, {s_pow.shape}"
        )
    g = _upstream(dout, x.shape, exact=False)
    below, above = window(size)
    t = g * x * s_pow
    t /= s  # g_c a_c s_c^(-beta-1)
    spread = channel_window_sum(t, above, below)  # mirrored: every c whose window holds i
    spread *= x
    spread *= 2 * alpha * beta / size
    dx = g * s_pow
    dx -= spread
    return dx
