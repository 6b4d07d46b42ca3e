"""Ledger: thesis §3.5 (eq. 60-79), paper eq. 10-19 and 28-30, slides (backprop in CNNs);
chapter "Backpropagation through convolution and pooling"."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..conv import (
    conv2d_backward,
    conv2d_forward,
    conv2d_forward_naive,
    conv2d_input_gradient_by_full_convolution,
    output_size,
)
from ..pool import avgpool_backward, avgpool_forward, maxpool_backward, maxpool_forward
from .record import Finding, claim

CHAPTER = "conv_backprop"


def outgoing_connections(n: int, f: int, stride: int = 1, padding: int = 0) -> np.ndarray:
    """For each pixel of an n x n image: how many outputs of an f x f convolution read it."""
    o = output_size(n, f, stride, padding)
    count = np.zeros((n + 2 * padding,) * 2, dtype=int)
    for i in range(o):
        for j in range(o):
            count[i * stride : i * stride + f, j * stride : j * stride + f] += 1
    return count[padding : padding + n, padding : padding + n]


def _eq61(n: int, f: int) -> np.ndarray:
    dist = np.minimum(
        np.arange(1, n + 1), np.arange(n, 0, -1)
    )  # 1-based distance to the nearest edge
    return np.minimum(dist, f)[:, None] * np.minimum(dist, f)[None, :]


@claim(
    "thesis-eq61-outgoing",
    document="thesis",
    where="§3.5.1 eq. 60-61",
    stated="OC = min(i, f) · min(j, f), so 1 <= OC <= f × f (stride 1)",
    verdict="holds",
    correct="holds for stride 1 and no padding when the image side n >= 2f - 2; in smaller "
    "images the number of "
    "window positions, n - f + 1, limits it further",
    chapter=CHAPTER,
)
def _eq61_claim() -> Finding:
    holds_for = [
        (n, f)
        for f in range(1, 7)
        for n in range(f, 20)
        if np.array_equal(outgoing_connections(n, f), _eq61(n, f))
    ]
    condition = all(
        ((n, f) in holds_for) == (n >= 2 * f - 2) for f in range(1, 7) for n in range(f, 20)
    )
    lenet = np.array_equal(outgoing_connections(32, 5), _eq61(32, 5))
    return Finding(
        lenet,
        condition,
        "counted for every n x n image with n < 20, f <= 6: eq. 61 holds exactly when n >= 2f - 2",
    )


@claim(
    "thesis-eq60-stride",
    document="thesis",
    where="§3.5.1 eq. 60 and the text on strides",
    stated="1 <= OC <= f × f, also with a stride",
    verdict="wrong",
    correct="with a stride larger than the kernel some pixels are read by no window (OC = "
    "0), and near the far edge "
    "pixels the last window does not reach also get 0",
    chapter=CHAPTER,
)
def _eq60() -> Finding:
    c = outgoing_connections(9, 2, stride=3)
    c2 = outgoing_connections(8, 3, stride=2)
    return Finding(
        bool(c.min() >= 1 and c2.min() >= 1),
        bool(c.max() <= 4 and c.min() == 0),
        f"f = 2, stride 3, 9x9: {int((c == 0).sum())} pixels have OC = 0; f = 3, stride 2, 8x8: "
        f"{int((c2 == 0).sum())} pixels have OC = 0",
    )


@claim(
    "thesis-eq62-incoming",
    document="thesis",
    where="§3.5.1 eq. 62",
    stated="IC = f × f × c",
    verdict="holds",
    correct="as stated (plus the bias)",
    chapter=CHAPTER,
)
def _eq62() -> Finding:
    X = np.array(sp.symbols("x0:48"), dtype=object).reshape(1, 3, 4, 4)
    W = np.ones((1, 3, 3, 3), dtype=object)
    Z, _ = conv2d_forward_naive(X, W)
    ok = len(Z[0, 0, 0, 0].free_symbols) == 3 * 3 * 3
    return Finding(
        ok, ok, "SymPy: an output of a 3x3 convolution of 3 channels depends on 27 inputs"
    )


def _symbolic_setup(stride: int = 1, padding: int = 0):
    X = np.array(sp.symbols("x0:50", real=True), dtype=object).reshape(1, 2, 5, 5)
    W = np.array(sp.symbols("w0:36", real=True), dtype=object).reshape(2, 2, 3, 3)
    Z, _ = conv2d_forward_naive(X, W, None, stride, padding)
    G = np.array(sp.symbols(f"g0:{Z.size}", real=True), dtype=object).reshape(Z.shape)
    E = sum(G.ravel() * Z.ravel())
    return X, W, Z, G, E


@claim(
    "thesis-eq67-weight-gradient",
    document="thesis",
    where="§3.5.1 eq. 64-68",
    stated="∂E/∂w_(i,j,c) = Σ_m Σ_n δ_(m,n) X_(i+m-1, j+n-1, c): the input cross-correlated with δ",
    verdict="holds",
    correct="as stated (stride 1, no padding); with stride s the input is read at X_(i + "
    "s(m-1), ...)",
    chapter=CHAPTER,
)
def _eq67() -> Finding:
    X, W, Z, G, E = _symbolic_setup()
    ok = all(
        sp.expand(
            sp.diff(E, W[f, c, i, j])
            - sum(G[0, f, m, n] * X[0, c, i + m, j + n] for m in range(3) for n in range(3))
        )
        == 0
        for f in range(2)
        for c in range(2)
        for i in range(3)
        for j in range(3)
    )
    return Finding(ok, ok, "SymPy, 5x5 input, 2 channels, two 3x3 filters: all 36 weight gradients")


@claim(
    "thesis-eq69-sum-over-filters",
    document="thesis",
    where="§3.5.1 eq. 69-71",
    stated="∂E/∂X_(h,k,c) = Σ_i Σ_j δ^t_(h-f+i, k-f+j) F^t_(1+f-i, 1+f-j, c), i.e. δ^t * flip(F^t)",
    verdict="wrong",
    correct="each filter t contributes, so ∂E/∂X = Σ_t δ^t * flip(F^t) (full convolution): "
    "the sum over filters is "
    "missing; for one filter the indices are right",
    chapter=CHAPTER,
)
def _eq69() -> Finding:
    X, W, Z, G, E = _symbolic_setup()

    def eq69(t: int, h: int, k: int, c: int):
        total = 0
        for i in range(1, 4):
            for j in range(1, 4):
                m, n = h - 3 + i, k - 3 + j  # 1-based, eq. 70: zero outside 1..M
                if 1 <= m <= 3 and 1 <= n <= 3:
                    total += G[0, t, m - 1, n - 1] * W[t, c, 3 - i, 3 - j]
        return total

    exact = {
        (h, k, c): sp.diff(E, X[0, c, h - 1, k - 1])
        for h in range(1, 6)
        for k in range(1, 6)
        for c in range(2)
    }
    one_filter = all(sp.expand(v - eq69(0, h, k, c)) == 0 for (h, k, c), v in exact.items())
    summed = all(
        sp.expand(v - eq69(0, h, k, c) - eq69(1, h, k, c)) == 0 for (h, k, c), v in exact.items()
    )
    formula = conv2d_input_gradient_by_full_convolution(G, W, (5, 5))
    summed = summed and all(
        sp.expand(exact[(h, k, c)] - formula[0, c, h - 1, k - 1]) == 0 for (h, k, c) in exact
    )
    return Finding(
        one_filter,
        summed,
        "SymPy, two filters: eq. 69 for one filter misses the other's terms; the sum "
        "over filters (and cnnmath's full-convolution formula) is exact",
    )


@claim(
    "paper-eq12-bias-gradient",
    document="paper",
    where="§2.2.2 eq. 12",
    stated="∂ℓ/∂b_(c) = ∂ℓ/∂z_(c)(x, y)",
    verdict="wrong",
    correct="the bias is shared by every position, so ∂ℓ/∂b_(c) = Σ_x Σ_y ∂ℓ/∂z_(c)(x, y)",
    chapter=CHAPTER,
)
def _paper12() -> Finding:
    X, W, Z, G, _ = _symbolic_setup()
    b = sp.Symbol("b", real=True)
    E = sum(G[0, 0].ravel() * (Z[0, 0] + b).ravel())
    d = sp.diff(E, b)
    return Finding(
        d == G[0, 0, 0, 0],
        sp.expand(d - sum(G[0, 0].ravel())) == 0,
        f"SymPy: ∂E/∂b = {d}, the sum of all {G[0, 0].size} upstream gradients",
    )


@claim(
    "paper-eq17-18-free-indices",
    document="paper",
    where="§2.4 eq. 17-18",
    stated="∂Z^(l+1)_(x,y,c)/∂Z^(l)_(x*,y*,c*) = W_(x',y',c') and ∂Z/∂W_(x*,y*,c*) = "
    "Z_(x*+x', y*+y', c*)",
    verdict="wrong",
    correct="the summation indices x', y' cannot remain in the result: "
    "∂Z_(x,y)/∂Z^(l)_(x*,y*,c*) = W_(x*-x, y*-y, c*) "
    "and ∂Z_(x,y)/∂W_(x*,y*,c*) = Z^(l)_(x+x*, y+y*, c*)",
    chapter=CHAPTER,
)
def _paper17() -> Finding:
    X = np.array(sp.symbols("z0:25", real=True), dtype=object).reshape(1, 1, 5, 5)
    W = np.array(sp.symbols("w0:9", real=True), dtype=object).reshape(1, 1, 3, 3)
    Z, _ = conv2d_forward_naive(X, W)
    x, y = 1, 0
    d_input = {st: sp.diff(Z[0, 0, x, y], X[0, 0, st[0], st[1]]) for st in ((2, 1), (1, 2))}
    d_weight = {st: sp.diff(Z[0, 0, x, y], W[0, 0, st[0], st[1]]) for st in ((2, 1), (1, 2))}
    # As printed, the results contain only the summation indices x', y', not (x*, y*): they
    # would be the same for every (x*, y*). SymPy's derivatives differ between two positions.
    stated = d_input[(2, 1)] == d_input[(1, 2)] and d_weight[(2, 1)] == d_weight[(1, 2)]
    correct = all(
        d_input[st] == W[0, 0, st[0] - x, st[1] - y]
        and d_weight[st] == X[0, 0, x + st[0], y + st[1]]
        for st in d_input
    )
    return Finding(
        bool(stated),
        bool(correct),
        f"SymPy at (x, y) = (1, 0): ∂Z/∂Z*(2, 1) = {d_input[(2, 1)]}, "
        f"∂Z/∂Z*(1, 2) = {d_input[(1, 2)]}; ∂Z/∂W*(2, 1) = {d_weight[(2, 1)]}",
    )


@claim(
    "thesis-eq75-ties",
    document="thesis",
    where="§3.5.2 eq. 75-76",
    stated="∂z_(m,n)/∂X_(h,k) = 1 if max(...) = X_(h,k), else 0",
    verdict="convention",
    correct="where the window's maximum is unique (almost surely, for real-valued inputs) eq. 75 "
    "is the derivative. Where several inputs tie, the maximum has no derivative (its one-sided "
    "derivatives differ) and any rule is a convention: eq. 75 gives every tied input the whole "
    "gradient (as Theano's max pooling did), so the window sends back its gradient several "
    "times; torch and this book give it to the first, which keeps the total (a subgradient)",
    chapter=CHAPTER,
)
def _ties() -> Finding:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1, 1, 4, 4))
    out, cache = maxpool_forward(x, 2)
    literal = np.zeros_like(x)  # eq. 75 read literally, times δ = 1, window by window
    for m in range(2):
        for n in range(2):
            window = x[0, 0, 2 * m : 2 * m + 2, 2 * n : 2 * n + 2]
            literal[0, 0, 2 * m : 2 * m + 2, 2 * n : 2 * n + 2] = window == window.max()
    unique = bool(np.array_equal(literal, maxpool_backward(np.ones_like(out), cache)))
    tie = np.full((1, 1, 2, 2), 3.0)
    t_out, t_cache = maxpool_forward(tie, 2)
    h = 1e-6  # one-sided difference quotients of the maximum in the first tied input
    right = (max(3.0 + h, 3.0) - 3.0) / h
    left = (3.0 - max(3.0 - h, 3.0)) / h
    eq75 = float((tie == t_out.max()).sum())
    ours = float(maxpool_backward(np.ones_like(t_out), t_cache).sum())
    return Finding(
        unique and right != left,
        ours == 1.0 and eq75 == tie.size,
        f"a random 4x4 input (unique maxima): eq. 75 {'equals' if unique else 'differs from'} "
        f"the gradient; a 2x2 window of equal values: one-sided derivatives {right:g} and "
        f"{left:g}, eq. 75 sends back {eq75:g} gradients, cnnmath (as torch) {ours:g}",
    )


@claim(
    "thesis-eq76-overlap",
    document="thesis",
    where="§3.5.2 eq. 76",
    stated="$\\partial E/\\partial X_{h,k} = \\delta_{m,n}$ for the maximum of window (m, "
    "n), with the section's "
    "'in general, the stride is s = f (= 2)'",
    verdict="holds",
    correct="as stated for non-overlapping windows (s = f, the section's assumption); with "
    "overlapping windows "
    "(s < f) an input can be the maximum of several windows and receives the sum of their "
    "gradients, which "
    "the thesis says for average pooling only",
    chapter=CHAPTER,
)
def _overlap() -> Finding:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 1, 6, 6))
    out, cache = maxpool_forward(x, 2, 2)
    delta = rng.normal(size=out.shape)
    dx = maxpool_backward(delta, cache)
    eq76 = np.zeros_like(x)
    for m in range(3):
        for n in range(3):
            window = x[0, 0, 2 * m : 2 * m + 2, 2 * n : 2 * n + 2]
            h, k = np.unravel_index(window.argmax(), window.shape)
            eq76[0, 0, 2 * m + h, 2 * n + k] = delta[0, 0, m, n]
    y = np.zeros((1, 1, 3, 3))
    y[0, 0, 1, 1] = 1.0
    out1, cache1 = maxpool_forward(y, 2, 1)
    dy = maxpool_backward(np.ones_like(out1), cache1)
    return Finding(
        bool(np.allclose(eq76, dx)),
        dy[0, 0, 1, 1] == 4.0,
        "s = f = 2 on a random 6x6 input: eq. 76 equals the gradient; s = 1 on a 3x3 input "
        "whose centre "
        f"wins all {out1.size} windows: the centre receives {dy[0, 0, 1, 1]:g}",
    )


@claim(
    "thesis-eq79-average",
    document="thesis",
    where="§3.5.2 eq. 77-79",
    stated="∂E/∂X_(h,k) = δ_(m,n) / (f·f), summed over windows when they overlap",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _avg() -> Finding:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 1, 4, 4))
    out, cache = avgpool_forward(x, 2)
    G = rng.normal(size=out.shape)
    dx = avgpool_backward(G, cache)
    ok = bool(np.allclose(dx, np.kron(G[0, 0], np.ones((2, 2))) / 4))
    return Finding(ok, ok, "2x2 windows, stride 2: each input gets its window's δ / 4")


@claim(
    "paper-eq29-window",
    document="paper",
    where="§2.5 eq. 28-29",
    stated="max over r_x ∈ [0..δ_x], r_y ∈ [0..δ_y]",
    verdict="wrong",
    correct="a window of size δ has offsets 0..δ-1; [0..δ] takes δ+1 rows and columns",
    chapter=CHAPTER,
)
def _eq29() -> Finding:
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    out, _ = maxpool_forward(x, 2)
    printed = max(
        x[0, 0, r, c] for r in range(0, 3) for c in range(0, 3)
    )  # window (0, 0) with offsets 0..2
    return Finding(
        printed == out[0, 0, 0, 0],
        out[0, 0, 0, 0] == 5.0,
        f"first 2x2 window of arange(16): max {out[0, 0, 0, 0]:g}; with offsets 0..2 it "
        f"would be {printed:g}",
    )


@claim(
    "paper-eq28-pool-size",
    document="paper",
    where="§2.5 eq. 28",
    stated="η^(l) = floor((η^(l-1) - δ)/s) + 1, with η the size minus one",
    verdict="wrong",
    correct="in sizes: n^(l) = floor((n^(l-1) - δ)/s) + 1; in the paper's minus-one notation "
    "η^(l) = floor((η^(l-1) + 1 - δ)/s)",
    chapter=CHAPTER,
)
def _eq28() -> Finding:
    cases = [(n, d, s) for n in range(2, 12) for d in range(1, n + 1) for s in range(1, 4)]
    printed = all(
        ((n - 1) - d) // s + 1 == output_size(n, d, s) - 1 for n, d, s in cases if (n - 1) >= d
    )
    fixed = all(((n - 1) + 1 - d) // s == output_size(n, d, s) - 1 for n, d, s in cases)
    return Finding(printed, fixed, "e.g. n = 5, δ = 2, s = 2: eq. 28 gives 3 outputs, there are 2")


@claim(
    "slides-shared-weight-sum",
    document="slides",
    where="'Gradients in convolutional layers'",
    stated="we must SUM the gradients from every position where that weight was applied",
    verdict="holds",
    correct="as stated: ∂E/∂w is a sum over all output positions (the cross-correlation of "
    "the input with δ)",
    chapter=CHAPTER,
)
def _slides_sum() -> Finding:
    X, W, Z, G, E = _symbolic_setup()
    terms = sp.Add.make_args(sp.expand(sp.diff(E, W[0, 0, 0, 0])))
    return Finding(
        len(terms) == Z.shape[2] * Z.shape[3],
        len(terms) == Z.shape[2] * Z.shape[3],
        f"SymPy: ∂E/∂w has one term per output position ({len(terms)})",
    )


@claim(
    "slides-avgpool-share",
    document="slides",
    where="'Backpropagation Pooling Layers': average pooling",
    stated="the gradient is divided by the area of the pooling block and equally assigned "
    "to all its pixels",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _slides_avg() -> Finding:
    out, cache = avgpool_forward(np.zeros((1, 1, 6, 6)), 3)
    dx = avgpool_backward(np.ones_like(out), cache)
    ok = bool(np.allclose(dx, 1 / 9))
    return Finding(ok, ok, "3x3 blocks: each pixel receives 1/9")


@claim(
    "thesis-3.5.1-stride-corner",
    document="thesis",
    where="§3.5.1 (outgoing connections with a stride)",
    stated="without a stride only the corner neuron (1, 1) has one connection; with a "
    "stride 'the area with only "
    "one connection increases, (1 × stride, 1 × stride)'",
    verdict="holds",
    correct="as stated for strides 1 <= s < f: the corner block read by one window is s x "
    "s; with s = f every "
    "pixel a window reaches is read once",
    chapter=CHAPTER,
)
def _stride_corner() -> Finding:
    sides = {}
    for f in (3, 5):
        for s in range(1, f):
            c = outgoing_connections(17, f, s)
            side = int(np.argmax(c[:, 0] != 1))
            sides[(f, s)] = side
    ok = all(side == s for (f, s), side in sides.items())
    return Finding(
        ok,
        ok,
        "17x17 image: side of the one-connection corner block for (f, s) = "
        + ", ".join(f"{k}: {v}" for k, v in sides.items()),
    )


@claim(
    "thesis-3.5.2-max-share",
    document="thesis",
    where="§3.5.2 (introduction) and eq. 74",
    stated="$z_{m,n} = \\max_{p,q=1..f} X_{ms-s+p,\\,ns-s+q}$; with s = f only 1/(f·f) of "
    "the input neurons are "
    "connected to the output",
    verdict="holds",
    correct="as stated (1-based indices): each window passes the gradient to one input, so "
    "with s = f (and no ties) "
    "a share 1/f² of the inputs receives a gradient",
    chapter=CHAPTER,
)
def _max_share() -> Finding:
    rng = np.random.default_rng(1)
    ok = True
    for f, s in ((2, 2), (3, 2), (3, 3)):
        X = rng.normal(size=(9, 9))
        M = (9 - f) // s + 1
        eq74 = np.array(
            [
                [
                    max(
                        X[m * s - s + p - 1, n * s - s + q - 1]
                        for p in range(1, f + 1)
                        for q in range(1, f + 1)
                    )
                    for n in range(1, M + 1)
                ]
                for m in range(1, M + 1)
            ]
        )
        ok = ok and bool(np.allclose(eq74, maxpool_forward(X[None, None], f, s)[0][0, 0]))
    x = rng.normal(size=(1, 1, 8, 8))
    out, cache = maxpool_forward(x, 2)
    share = np.count_nonzero(maxpool_backward(np.ones_like(out), cache)) / x.size
    return Finding(
        ok and share == 0.25,
        ok,
        f"eq. 74 equals cnnmath.pool for (f, s) = (2, 2), (3, 2), (3, 3); "
        f"f = s = 2: {share:.0%} of the inputs receive a gradient",
    )


@claim(
    "paper-eq30-positions",
    document="paper",
    where="§2.5 eq. 30",
    stated="$\\partial a^{(l)}_{(c)}(x, y)/\\partial a^{(l-1)}_{(c)}(x, y) = 1$ if "
    "$a^{(l-1)}_{(c)}(x, y)$ is the "
    "maxpool of $a^{(l-1)}_{(c)}(x, y)$, else 0: the same (x, y) for the output and the input",
    verdict="wrong",
    correct="output (x, y) reads the inputs $(x s_x + r_x, y s_y + r_y)$: the gradient of "
    "output (x, y) goes to the "
    "input position of its window's maximum, not to input (x, y)",
    chapter=CHAPTER,
)
def _eq30() -> Finding:
    rng = np.random.default_rng(2)
    a = rng.normal(size=(6, 6))
    out, cache = maxpool_forward(a[None, None], 2)
    g = rng.normal(size=out.shape)
    true = maxpool_backward(g, cache)[0, 0]
    literal = np.zeros_like(a)
    for x in range(3):
        for y in range(3):
            if a[x, y] == out[0, 0, x, y]:  # eq. 30 read as printed
                literal[x, y] = g[0, 0, x, y]
    return Finding(
        bool(np.allclose(literal, true)),
        bool(np.count_nonzero(true) == 9),
        "6x6 input, 2x2 windows: the true gradient reaches 9 inputs spread over the map; "
        "eq. 30 as printed "
        f"compares input (x, y) with output (x, y) and passes {np.count_nonzero(literal)} "
        "gradient(s)",
    )


@claim(
    "paper-eq10-input-gradient",
    document="paper",
    where="§2.2.2 eq. 10",
    stated="$\\partial \\ell/\\partial a^{(l-1)}_{(c'')}(x'', y'') = \\sum_c \\sum_x \\sum_y "
    "\\partial \\ell/\\partial z^{(l)}_{(c)}(x, y)\\; w^{(l)}_{(c,c'')}(x'' - x, y'' - y)$",
    verdict="holds",
    correct="as stated, with w taken as 0 outside the kernel (where $x'' - x$ or $y'' - y$ leaves "
    "$[0..k]$)",
    chapter=CHAPTER,
)
def _eq10() -> Finding:
    rng = np.random.default_rng(3)
    a, w = rng.normal(size=(1, 2, 6, 6)), rng.normal(size=(3, 2, 3, 3))
    from ..conv import conv2d_backward, conv2d_forward

    z, cache = conv2d_forward(a, w)
    g = rng.normal(size=z.shape)
    da = conv2d_backward(g, cache)[0]

    def wt(c, cc, u, v):
        return w[c, cc, u, v] if 0 <= u < 3 and 0 <= v < 3 else 0.0

    eq10 = np.array(
        [
            [
                [
                    sum(
                        g[0, c, x, y] * wt(c, cc, xx - x, yy - y)
                        for c in range(3)
                        for x in range(4)
                        for y in range(4)
                    )
                    for yy in range(6)
                ]
                for xx in range(6)
            ]
            for cc in range(2)
        ]
    )
    ok = bool(np.allclose(eq10, da[0]))
    return Finding(
        ok,
        ok,
        "2 input and 3 output channels, 6x6 input: eq. 10 equals the gradient of cnnmath.conv",
    )


@claim(
    "paper-3.3-backward-listing",
    document="paper",
    where="§3.3, the listing of convolutionBackward()",
    stated="the listing's update rules (its loops aside: paper-3.3-backward-listing-loops): per "
    "window, dfilt[f] += δ·(input window) and dout[:, window] += δ·filt[f]; then dbias[f] = "
    "np.sum(dconv_prev[f])",
    verdict="holds",
    correct="as stated: the three rules are the gradients of the convolution, and the bias "
    "gradient is the sum over "
    "all positions (which eq. 12 omits)",
    doubt="the listing breaks over a page and its line numbers restart (26-42, then 18-30); "
    "the inner lines' "
    "indentation as extracted cannot be run, so the check applies the printed update rules, "
    "not the text",
    chapter=CHAPTER,
)
def _backward_listing() -> Finding:
    rng = np.random.default_rng(4)
    from ..conv import conv2d_backward, conv2d_forward

    conv_in, filt = rng.normal(size=(2, 7, 7)), rng.normal(size=(3, 2, 3, 3))
    z, cache = conv2d_forward(conv_in[None], filt, np.zeros(3))
    dconv_prev = rng.normal(size=z.shape[1:])
    dout, dfilt, dbias = np.zeros(conv_in.shape), np.zeros(filt.shape), np.zeros((3, 1))
    for f in range(3):
        for y in range(5):
            for x in range(5):
                dfilt[f] += dconv_prev[f, y, x] * conv_in[:, y : y + 3, x : x + 3]
                dout[:, y : y + 3, x : x + 3] += dconv_prev[f, y, x] * filt[f]
        dbias[f] = np.sum(dconv_prev[f])
    dx, dw, db = conv2d_backward(dconv_prev[None], cache)
    ok = bool(np.allclose(dout, dx[0]) and np.allclose(dfilt, dw) and np.allclose(dbias[:, 0], db))
    return Finding(
        ok,
        ok,
        "2 channels 7x7, 3 filters 3x3: the listing's rules give cnnmath.conv's dx, dw and db",
    )


@claim(
    "paper-3.3-maxpool-backward",
    document="paper",
    where="§3.3, the listing of maxpoolBackward()",
    stated="the listing's routing rule (its loops aside: paper-3.3-maxpool-backward-loops): "
    "dout[c, curr_y + a, curr_x + b] = dpool[c, out_y, out_x], with (a, b) the position of the "
    "window's maximum: an assignment, not a sum",
    verdict="holds",
    correct="as stated for the network's pooling (pool_f = pool_s = 2: the windows do not "
    "overlap); with "
    "overlapping windows an input that wins several windows must receive the sum (+=)",
    chapter=CHAPTER,
)
def _maxpool_backward_listing() -> Finding:
    rng = np.random.default_rng(5)

    def listing(dpool, orig, f, s):  # the listing's rule, one channel
        dout = np.zeros(orig.shape)
        for oy, cy in enumerate(range(0, orig.shape[0] - f + 1, s)):
            for ox, cx in enumerate(range(0, orig.shape[1] - f + 1, s)):
                a, b = np.unravel_index(np.nanargmax(orig[cy : cy + f, cx : cx + f]), (f, f))
                dout[cy + a, cx + b] = dpool[oy, ox]
        return dout

    x = rng.normal(size=(8, 8))
    results = {}
    for f, s in ((2, 2), (3, 1)):
        out, cache = maxpool_forward(x[None, None], f, s)
        g = rng.normal(size=out.shape)
        results[(f, s)] = bool(
            np.allclose(listing(g[0, 0], x, f, s), maxpool_backward(g, cache)[0, 0])
        )
    return Finding(
        results[(2, 2)],
        not results[(3, 1)],
        f"equal to cnnmath.pool for (f, s) = (2, 2): {results[(2, 2)]}; "
        f"for overlapping (3, 1): {results[(3, 1)]}",
    )


_LOOPS_DOUBT = (
    "as for the paper's convolution() and maxpool() (paper-3.1-convolution-listing): the listing "
    "is known only from extracted text, and a PDF can lose indentation. The check runs the "
    "book's reconstruction of the printed structure, not the listing itself"
)


@claim(
    "paper-3.3-backward-listing-loops",
    document="paper",
    where="§3.3, the listing of convolutionBackward()",
    stated="convolutionBackward(dconv_prev, conv_in, filt, s) is the 'backpropagation through a "
    "convolutional layer' (the listing as printed)",
    verdict="wrong",
    correct="as printed the listing does not compile (a comment wraps onto line 21 without its "
    "'#', and line 22 breaks after '+='); joined, it visits only the diagonal windows, for the "
    "outer loop's `curr_y += s; out_y += 1` (lines 26-27) printed at the inner loop's depth, as "
    "in convolution(). One level out, its rules give the gradients (paper-3.3-backward-listing)",
    doubt=_LOOPS_DOUBT + "; here the page break also flattened the second page's indentation",
    chapter=CHAPTER,
)
def _backward_loops() -> Finding:
    from . import _paper_listings as rebuilt
    from ._paper_listings import compile_listing, syntax_message

    as_printed = compile_listing(rebuilt.convolution_backward(), "convolution_backward")
    joined = compile_listing(rebuilt.convolution_backward(wrapped=False), "convolution_backward")
    fixed = compile_listing(
        rebuilt.convolution_backward(wrapped=False, inner_increments=False), "convolution_backward"
    )
    rng = np.random.default_rng(8)
    conv_in, filt = rng.normal(size=(2, 7, 7)), rng.normal(size=(3, 2, 3, 3))
    z, cache = conv2d_forward(conv_in[None], filt, np.zeros(3))
    dconv_prev = rng.normal(size=z.shape[1:])
    dx, dw, db = conv2d_backward(dconv_prev[None], cache)

    def equal(fn) -> bool:
        dout, dfilt, dbias = fn(dconv_prev, conv_in, filt, 1)
        return bool(
            np.allclose(dout, dx[0]) and np.allclose(dfilt, dw) and np.allclose(dbias[:, 0], db)
        )

    dout, _, _ = joined(dconv_prev, conv_in, filt, 1)
    reached = int(np.count_nonzero(dout[0]))
    return Finding(
        equal(joined),
        isinstance(as_printed, SyntaxError) and equal(fixed),
        "on the book's reconstruction of the printed structure (not the listing itself): as "
        f"printed, SyntaxError ({syntax_message(as_printed)}); joined: {reached} of "
        f"{dout[0].size} input positions of a 7x7 channel receive a gradient; with the increments "
        "one level out: equal to cnnmath.conv's dx, dw and db",
    )


@claim(
    "paper-3.3-maxpool-backward-loops",
    document="paper",
    where="§3.3, the listing of maxpoolBackward()",
    stated="maxpoolBackward(dpool, orig, f, s) is the 'backpropagation through a maxpooling "
    "layer' (the listing as printed)",
    verdict="wrong",
    correct="as printed it routes the gradient of the diagonal windows only, for the outer "
    "loop's `curr_y += s; out_y += 1` (lines 20-21) printed at the inner loop's depth, as in "
    "maxpool(); one level out, its rule is max pooling's gradient for non-overlapping windows "
    "(paper-3.3-maxpool-backward)",
    doubt=_LOOPS_DOUBT,
    chapter=CHAPTER,
)
def _maxpool_backward_loops() -> Finding:
    from . import _paper_listings as rebuilt
    from ._paper_listings import compile_listing

    as_printed = compile_listing(rebuilt.maxpool_backward(), "maxpool_backward")
    fixed = compile_listing(rebuilt.maxpool_backward(inner_increments=False), "maxpool_backward")
    x = np.random.default_rng(9).normal(size=(2, 8, 8))
    out, cache = maxpool_forward(x[None], 2, 2)
    g = np.random.default_rng(10).normal(size=out.shape)
    ref = maxpool_backward(g, cache)[0]
    printed = as_printed(g[0], x, 2, 2)
    return Finding(
        bool(np.allclose(printed, ref)),
        bool(np.allclose(fixed(g[0], x, 2, 2), ref)),
        "on the book's reconstruction of the printed structure (not the listing itself): as "
        f"printed, {np.count_nonzero(printed[0])} of the {out[0, 0].size} windows of an 8x8 "
        "channel send their gradient back; with the increments one level out: equal to "
        "cnnmath.pool",
    )


@claim(
    "slides-weight-gradient-correlation",
    document="slides",
    where="'Backpropagation in CNNs'",
    stated="'Gradients for filter weights are calculated via convolutions of the error "
    "signal with input feature "
    "maps'",
    verdict="holds",
    correct="as stated, with 'convolution' in the deep-learning sense: $\\partial "
    "E/\\partial W$ is the "
    "cross-correlation of the input with δ",
    chapter=CHAPTER,
)
def _weight_gradient() -> Finding:
    rng = np.random.default_rng(6)
    from ..conv import conv2d_backward, conv2d_forward

    x, w = rng.normal(size=(1, 1, 7, 7)), rng.normal(size=(1, 1, 3, 3))
    z, cache = conv2d_forward(x, w)
    delta = rng.normal(size=z.shape)
    dw = conv2d_backward(delta, cache)[1]
    corr = conv2d_forward(x, delta)[0]  # the input cross-correlated with δ
    ok = bool(np.allclose(dw, corr))
    return Finding(
        ok, ok, "7x7 input, 3x3 filter: ∂E/∂W equals the input cross-correlated with the 5x5 δ"
    )


@claim(
    "slides-max-pool-switch",
    document="slides",
    where="'Routing Gradients: Non-Linearities'",
    stated="forward cache [[1, 5], [2, 0]]: the maximum 5 wins; backward gradient [[0, δ], [0, 0]]",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _switch() -> Finding:
    x = np.array([[[[1.0, 5.0], [2.0, 0.0]]]])
    out, cache = maxpool_forward(x, 2)
    d = maxpool_backward(np.full_like(out, 0.7), cache)[0, 0]
    ok = out[0, 0, 0, 0] == 5 and bool(np.array_equal(d, [[0, 0.7], [0, 0]]))
    return Finding(ok, ok, f"max {out[0, 0, 0, 0]:g}; with δ = 0.7 the gradient is {d.tolist()}")
