"""Ledger: thesis §3.5 (eq. 60-79), paper eq. 10-19 and 28-30, slides (backprop in CNNs);
chapter "Backpropagation through convolution and pooling"."""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..conv import conv2d_forward_naive, conv2d_input_gradient_by_full_convolution, output_size
from ..ledger import Finding, claim
from ..pool import avgpool_backward, avgpool_forward, maxpool_backward, maxpool_forward

CHAPTER = "conv_backprop"


def outgoing_connections(n: int, f: int, stride: int = 1, padding: int = 0) -> np.ndarray:
    """For each input pixel of an n x n image: how many output neurons of an f x f convolution read it."""
    o = output_size(n, f, stride, padding)
    count = np.zeros((n + 2 * padding,) * 2, dtype=int)
    for i in range(o):
        for j in range(o):
            count[i * stride:i * stride + f, j * stride:j * stride + f] += 1
    return count[padding:padding + n, padding:padding + n]


def _eq61(n: int, f: int) -> np.ndarray:
    dist = np.minimum(np.arange(1, n + 1), np.arange(n, 0, -1))  # 1-based distance to the nearest edge
    return np.minimum(dist, f)[:, None] * np.minimum(dist, f)[None, :]


@claim("thesis-eq61-outgoing", document="thesis", where="§3.5.1 eq. 60-61",
       stated="OC = min(i, f) · min(j, f), so 1 <= OC <= f × f (stride 1)", verdict="holds",
       correct="holds for stride 1 and no padding when the image side n >= 2f - 2; in smaller images the number of "
               "window positions, n - f + 1, limits it further", chapter=CHAPTER)
def _eq61_claim() -> Finding:
    holds_for = [(n, f) for f in range(1, 7) for n in range(f, 20) if np.array_equal(outgoing_connections(n, f), _eq61(n, f))]
    condition = all(((n, f) in holds_for) == (n >= 2 * f - 2) for f in range(1, 7) for n in range(f, 20))
    lenet = np.array_equal(outgoing_connections(32, 5), _eq61(32, 5))
    return Finding(lenet, condition, "counted for every n x n image with n < 20, f <= 6: eq. 61 holds exactly when n >= 2f - 2")


@claim("thesis-eq60-stride", document="thesis", where="§3.5.1 eq. 60 and the text on strides",
       stated="1 <= OC <= f × f, also with a stride", verdict="wrong",
       correct="with a stride larger than the kernel some pixels are read by no window (OC = 0), and near the far edge "
               "pixels the last window does not reach also get 0", chapter=CHAPTER)
def _eq60() -> Finding:
    c = outgoing_connections(9, 2, stride=3)
    c2 = outgoing_connections(8, 3, stride=2)
    return Finding(bool(c.min() >= 1 and c2.min() >= 1), bool(c.max() <= 4 and c.min() == 0),
                   f"f = 2, stride 3, 9x9: {int((c == 0).sum())} pixels have OC = 0; f = 3, stride 2, 8x8: "
                   f"{int((c2 == 0).sum())} pixels have OC = 0")


@claim("thesis-eq62-incoming", document="thesis", where="§3.5.1 eq. 62",
       stated="IC = f × f × c", verdict="holds", correct="as stated (plus the bias)", chapter=CHAPTER)
def _eq62() -> Finding:
    X = np.array(sp.symbols("x0:48"), dtype=object).reshape(1, 3, 4, 4)
    W = np.ones((1, 3, 3, 3), dtype=object)
    Z, _ = conv2d_forward_naive(X, W)
    ok = len(Z[0, 0, 0, 0].free_symbols) == 3 * 3 * 3
    return Finding(ok, ok, "SymPy: an output of a 3x3 convolution of 3 channels depends on 27 inputs")


def _symbolic_setup(stride: int = 1, padding: int = 0):
    X = np.array(sp.symbols("x0:50", real=True), dtype=object).reshape(1, 2, 5, 5)
    W = np.array(sp.symbols("w0:36", real=True), dtype=object).reshape(2, 2, 3, 3)
    Z, _ = conv2d_forward_naive(X, W, None, stride, padding)
    G = np.array(sp.symbols(f"g0:{Z.size}", real=True), dtype=object).reshape(Z.shape)
    E = sum(G.ravel() * Z.ravel())
    return X, W, Z, G, E


@claim("thesis-eq67-weight-gradient", document="thesis", where="§3.5.1 eq. 64-68",
       stated="∂E/∂w_(i,j,c) = Σ_m Σ_n δ_(m,n) X_(i+m-1, j+n-1, c): the input cross-correlated with δ", verdict="holds",
       correct="as stated (stride 1, no padding); with stride s the input is read at X_(i + s(m-1), ...)", chapter=CHAPTER)
def _eq67() -> Finding:
    X, W, Z, G, E = _symbolic_setup()
    ok = all(sp.expand(sp.diff(E, W[f, c, i, j]) - sum(G[0, f, m, n] * X[0, c, i + m, j + n]
                                                       for m in range(3) for n in range(3))) == 0
             for f in range(2) for c in range(2) for i in range(3) for j in range(3))
    return Finding(ok, ok, "SymPy, 5x5 input, 2 channels, two 3x3 filters: all 36 weight gradients")


@claim("thesis-eq69-sum-over-filters", document="thesis", where="§3.5.1 eq. 69-71",
       stated="∂E/∂X_(h,k,c) = Σ_i Σ_j δ^t_(h-f+i, k-f+j) F^t_(1+f-i, 1+f-j, c), i.e. δ^t * flip(F^t)", verdict="wrong",
       correct="each filter t contributes, so ∂E/∂X = Σ_t δ^t * flip(F^t) (full convolution): the sum over filters is "
               "missing; for one filter the indices are right", chapter=CHAPTER)
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

    exact = {(h, k, c): sp.diff(E, X[0, c, h - 1, k - 1]) for h in range(1, 6) for k in range(1, 6) for c in range(2)}
    one_filter = all(sp.expand(v - eq69(0, h, k, c)) == 0 for (h, k, c), v in exact.items())
    summed = all(sp.expand(v - eq69(0, h, k, c) - eq69(1, h, k, c)) == 0 for (h, k, c), v in exact.items())
    formula = conv2d_input_gradient_by_full_convolution(G, W, (5, 5))
    summed = summed and all(sp.expand(exact[(h, k, c)] - formula[0, c, h - 1, k - 1]) == 0 for (h, k, c) in exact)
    return Finding(one_filter, summed, "SymPy, two filters: eq. 69 for one filter misses the other's terms; the sum "
                                       "over filters (and cnnmath's full-convolution formula) is exact")


@claim("paper-eq12-bias-gradient", document="paper", where="§2.2.2 eq. 12",
       stated="∂ℓ/∂b_(c) = ∂ℓ/∂z_(c)(x, y)", verdict="wrong",
       correct="the bias is shared by every position, so ∂ℓ/∂b_(c) = Σ_x Σ_y ∂ℓ/∂z_(c)(x, y)", chapter=CHAPTER)
def _paper12() -> Finding:
    X, W, Z, G, _ = _symbolic_setup()
    b = sp.Symbol("b", real=True)
    E = sum(G[0, 0].ravel() * (Z[0, 0] + b).ravel())
    d = sp.diff(E, b)
    return Finding(d == G[0, 0, 0, 0], sp.expand(d - sum(G[0, 0].ravel())) == 0,
                   f"SymPy: ∂E/∂b = {d}, the sum of all {G[0, 0].size} upstream gradients")


@claim("paper-eq17-18-free-indices", document="paper", where="§2.4 eq. 17-18",
       stated="∂Z^(l+1)_(x,y,c)/∂Z^(l)_(x*,y*,c*) = W_(x',y',c') and ∂Z/∂W_(x*,y*,c*) = Z_(x*+x', y*+y', c*)",
       verdict="wrong",
       correct="the summation indices x', y' cannot remain in the result: ∂Z_(x,y)/∂Z^(l)_(x*,y*,c*) = W_(x*-x, y*-y, c*) "
               "and ∂Z_(x,y)/∂W_(x*,y*,c*) = Z^(l)_(x+x*, y+y*, c*)", chapter=CHAPTER)
def _paper17() -> Finding:
    X = np.array(sp.symbols("z0:25", real=True), dtype=object).reshape(1, 1, 5, 5)
    W = np.array(sp.symbols("w0:9", real=True), dtype=object).reshape(1, 1, 3, 3)
    Z, _ = conv2d_forward_naive(X, W)
    x, y = 1, 0
    d_input = {st: sp.diff(Z[0, 0, x, y], X[0, 0, st[0], st[1]]) for st in ((2, 1), (1, 2))}
    d_weight = {st: sp.diff(Z[0, 0, x, y], W[0, 0, st[0], st[1]]) for st in ((2, 1), (1, 2))}
    # As printed, the results contain only the summation indices x', y', not (x*, y*): they would be the
    # same for every (x*, y*). SymPy's derivatives differ between two positions.
    stated = d_input[(2, 1)] == d_input[(1, 2)] and d_weight[(2, 1)] == d_weight[(1, 2)]
    correct = all(d_input[st] == W[0, 0, st[0] - x, st[1] - y] and d_weight[st] == X[0, 0, x + st[0], y + st[1]]
                  for st in d_input)
    return Finding(bool(stated), bool(correct), f"SymPy at (x, y) = (1, 0): ∂Z/∂Z*(2, 1) = {d_input[(2, 1)]}, "
                                               f"∂Z/∂Z*(1, 2) = {d_input[(1, 2)]}; ∂Z/∂W*(2, 1) = {d_weight[(2, 1)]}")


@claim("thesis-eq75-ties", document="thesis", where="§3.5.2 eq. 75-76",
       stated="∂z_(m,n)/∂X_(h,k) = 1 if max(...) = X_(h,k), else 0", verdict="wrong",
       correct="where several inputs tie for the maximum the rule gives each of them the whole gradient, sending it back "
               "several times; the maximum is not differentiable there and one input (torch: the first) must be chosen",
       chapter=CHAPTER)
def _ties() -> Finding:
    x = np.full((1, 1, 2, 2), 3.0)
    out, cache = maxpool_forward(x, 2)
    literal = (x == out.max()).astype(float)  # eq. 75 read literally, times δ = 1
    routed = maxpool_backward(np.ones_like(out), cache)
    return Finding(literal.sum() == 1.0, routed.sum() == 1.0,
                   f"a 2x2 window of equal values: eq. 75 sends back {literal.sum():g} gradients, cnnmath {routed.sum():g}")


@claim("thesis-eq76-overlap", document="thesis", where="§3.5.2 eq. 76",
       stated="∂E/∂X_(h,k) = δ_(m,n) for the maximum of window (m, n)", verdict="wrong",
       correct="with overlapping windows (stride < f) an input can be the maximum of several windows and receives the sum "
               "of their gradients (the thesis says so for average pooling only)", chapter=CHAPTER)
def _overlap() -> Finding:
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0
    out, cache = maxpool_forward(x, 2, 1)
    dx = maxpool_backward(np.ones_like(out), cache)
    return Finding(dx[0, 0, 1, 1] == 1.0, dx[0, 0, 1, 1] == 4.0,
                   f"3x3 input, 2x2 windows, stride 1: the centre wins all {out.size} windows and receives {dx[0, 0, 1, 1]:g}")


@claim("thesis-eq79-average", document="thesis", where="§3.5.2 eq. 77-79",
       stated="∂E/∂X_(h,k) = δ_(m,n) / (f·f), summed over windows when they overlap", verdict="holds",
       correct="as stated", chapter=CHAPTER)
def _avg() -> Finding:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 1, 4, 4))
    out, cache = avgpool_forward(x, 2)
    G = rng.normal(size=out.shape)
    dx = avgpool_backward(G, cache)
    ok = bool(np.allclose(dx, np.kron(G[0, 0], np.ones((2, 2))) / 4))
    return Finding(ok, ok, "2x2 windows, stride 2: each input gets its window's δ / 4")


@claim("paper-eq29-window", document="paper", where="§2.5 eq. 28-29",
       stated="max over r_x ∈ [0..δ_x], r_y ∈ [0..δ_y]", verdict="wrong",
       correct="a window of size δ has offsets 0..δ-1; [0..δ] takes δ+1 rows and columns", chapter=CHAPTER)
def _eq29() -> Finding:
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    out, _ = maxpool_forward(x, 2)
    printed = max(x[0, 0, r, c] for r in range(0, 3) for c in range(0, 3))  # window (0, 0) with offsets 0..2
    return Finding(printed == out[0, 0, 0, 0], out[0, 0, 0, 0] == 5.0,
                   f"first 2x2 window of arange(16): max {out[0, 0, 0, 0]:g}; with offsets 0..2 it would be {printed:g}")


@claim("paper-eq28-pool-size", document="paper", where="§2.5 eq. 28",
       stated="η^(l) = floor((η^(l-1) - δ)/s) + 1, with η the size minus one", verdict="wrong",
       correct="in sizes: n^(l) = floor((n^(l-1) - δ)/s) + 1; in the paper's minus-one notation "
               "η^(l) = floor((η^(l-1) + 1 - δ)/s)", chapter=CHAPTER)
def _eq28() -> Finding:
    cases = [(n, d, s) for n in range(2, 12) for d in range(1, n + 1) for s in range(1, 4)]
    printed = all(((n - 1) - d) // s + 1 == output_size(n, d, s) - 1 for n, d, s in cases if (n - 1) >= d)
    fixed = all(((n - 1) + 1 - d) // s == output_size(n, d, s) - 1 for n, d, s in cases)
    return Finding(printed, fixed, "e.g. n = 5, δ = 2, s = 2: eq. 28 gives 3 outputs, there are 2")


@claim("slides-shared-weight-sum", document="slides", where="'Gradients in convolutional layers'",
       stated="we must SUM the gradients from every position where that weight was applied", verdict="holds",
       correct="as stated: ∂E/∂w is a sum over all output positions (the cross-correlation of the input with δ)",
       chapter=CHAPTER)
def _slides_sum() -> Finding:
    X, W, Z, G, E = _symbolic_setup()
    terms = sp.Add.make_args(sp.expand(sp.diff(E, W[0, 0, 0, 0])))
    return Finding(len(terms) == Z.shape[2] * Z.shape[3], True,
                   f"SymPy: ∂E/∂w has one term per output position ({len(terms)})")


@claim("slides-avgpool-share", document="slides", where="'Routing gradients': average pooling",
       stated="the gradient is divided by the area of the pooling block and equally assigned to all its pixels",
       verdict="holds", correct="as stated", chapter=CHAPTER)
def _slides_avg() -> Finding:
    out, cache = avgpool_forward(np.zeros((1, 1, 6, 6)), 3)
    dx = avgpool_backward(np.ones_like(out), cache)
    ok = bool(np.allclose(dx, 1 / 9))
    return Finding(ok, ok, "3x3 blocks: each pixel receives 1/9")
