import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnmath import layers as L
from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance
from cnnmath.lrn import (
    ALEXNET,
    channel_window_sum,
    lrn_backward,
    lrn_backward_naive,
    lrn_forward,
    lrn_forward_naive,
    window,
)
from cnnmath.network import NetworkError, Sequential

from .twin_check import check_twin

ALPHA, BETA, K = sp.symbols("alpha beta k", positive=True)


def _torch(x, size, alpha, beta, k, g):
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.local_response_norm(tx, size, alpha, beta, k)
    ty.backward(torch.tensor(g))
    return ty.detach().numpy(), tx.grad.numpy()


def test_window_is_torchs():
    assert [window(n) for n in (1, 2, 3, 4, 5)] == [(0, 0), (1, 0), (1, 1), (2, 1), (2, 2)]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6])
def test_forward_is_the_equation_in_sympy(size):
    """The naive code on symbols equals the equation written out with explicit window bounds."""
    a = sp.symbols("a0:4", real=True)
    X = np.array(a, dtype=object).reshape(1, 4, 1)
    B, _ = lrn_forward_naive(X, size, ALPHA, BETA, K)
    for c in range(4):
        lo, hi = max(0, c - size // 2), min(3, c + (size - 1) // 2)
        expected = a[c] / (K + ALPHA / size * sum(a[j] ** 2 for j in range(lo, hi + 1))) ** BETA
        assert sp.simplify(B[0, c, 0] - expected) == 0


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7])
def test_backward_is_exact_in_sympy(size):
    """4 channels x 2 positions, alpha, beta, k symbolic: SymPy's gradient of sum(G * B) is the
    naive backward."""
    X = np.array(sp.symbols("a0:8", real=True), dtype=object).reshape(1, 4, 2)
    G = np.array(sp.symbols("g0:8", real=True), dtype=object).reshape(1, 4, 2)
    B, cache = lrn_forward_naive(X, size, ALPHA, BETA, K)
    E = sum(G.ravel() * B.ravel())
    dX = lrn_backward_naive(G, cache)
    for sym, formula in zip(X.ravel(), dX.ravel()):
        assert sp.expand(sp.diff(E, sym) - formula) == 0


def test_naive_gives_the_same_exact_gradient_for_numbers():
    """At an exact rational point, the naive backward on numbers equals SymPy's derivative there."""
    a = sp.symbols("a0:5", real=True)
    X = np.array(a, dtype=object).reshape(1, 5, 1)
    G = np.array([sp.Rational(v, 3) for v in (1, -2, 4, 1, -1)], dtype=object).reshape(1, 5, 1)
    B, _ = lrn_forward_naive(X, 3, sp.Rational(1, 2), sp.Rational(3, 4), sp.Integer(2))
    E = sum(G.ravel() * B.ravel())
    point = dict(zip(a, (sp.Rational(1, 2), -1, 2, sp.Rational(3, 2), 0)))
    Xn = np.array([point[s] for s in a], dtype=object).reshape(1, 5, 1)
    _, cache_n = lrn_forward_naive(Xn, 3, sp.Rational(1, 2), sp.Rational(3, 4), sp.Integer(2))
    dXn = lrn_backward_naive(G, cache_n)
    for sym, value in zip(a, dXn.ravel()):
        assert sp.simplify(sp.diff(E, sym).subs(point) - value) == 0


@pytest.mark.parametrize(
    "size, shape",
    [
        (1, (2, 3, 2, 2)),
        (2, (2, 4, 3)),
        (3, (1, 5, 2, 3)),
        (5, (2, 6, 2, 2)),
        (4, (2, 3, 2, 1, 2)),
        (9, (1, 4, 3)),
    ],
)
def test_backward_matches_finite_differences(size, shape):
    rng = np.random.default_rng(size)
    x = rng.normal(0, 2, shape)
    alpha, beta, k = 0.7, 0.75, 1.5  # large alpha: the neighbours' term matters
    _, cache = lrn_forward(x, size, alpha, beta, k)
    G = rng.normal(size=shape)
    num = numerical_gradient(lambda t: lrn_forward(t, size, alpha, beta, k)[0], x, G)
    assert relative_error(lrn_backward(G, cache), num) < tolerance(np.float64)


def _random_config(rng):
    ndim = int(rng.integers(3, 6))
    C = int(rng.integers(1, 11))
    shape = (int(rng.integers(1, 4)), C) + tuple(int(v) for v in rng.integers(1, 5, ndim - 2))
    size = int(rng.integers(1, C + 4))
    alpha = float(10 ** rng.uniform(-4, 0.5))
    beta = float(rng.uniform(0.1, 2.0))
    k = float(rng.uniform(0.5, 3.0))
    scale = float(10 ** rng.uniform(-1, 1.5))
    return shape, size, alpha, beta, k, scale


def test_matches_torch_over_random_configurations_float64():
    rng = np.random.default_rng(2012)
    for _ in range(60):
        shape, size, alpha, beta, k, scale = _random_config(rng)
        x = rng.normal(0, scale, shape)
        G = rng.normal(size=shape)
        y, cache = lrn_forward(x, size, alpha, beta, k)
        ty, tdx = _torch(x, size, alpha, beta, k, G)
        what = f"shape {shape}, size {size}, alpha {alpha:.3g}, beta {beta:.3g}, k {k:.3g}"
        np.testing.assert_allclose(y, ty, rtol=1e-12, atol=1e-14, err_msg=what)
        assert relative_error(lrn_backward(G, cache), tdx) < 1e-12, what


def test_matches_torch_in_float32():
    rng = np.random.default_rng(32)
    for _ in range(20):
        shape, size, alpha, beta, k, scale = _random_config(rng)
        x = rng.normal(0, scale, shape).astype(np.float32)
        G = rng.normal(size=shape).astype(np.float32)
        y, cache = lrn_forward(x, size, alpha, beta, k)
        dx = lrn_backward(G, cache)
        assert y.dtype == np.float32 and dx.dtype == np.float32
        ty, tdx = _torch(x, size, alpha, beta, k, G)
        assert relative_error(y, ty) < 1e-5
        assert relative_error(dx, tdx) < tolerance(np.float32)


def test_matches_torch_module_with_alexnets_setting():
    """ALEXNET is torch's LocalResponseNorm(5, 5e-4, 0.75, 2) = the paper's formula, alpha 1e-4."""
    rng = np.random.default_rng(5)
    x = rng.normal(0, 30, (2, 12, 3, 3))
    y, _ = lrn_forward(x, **ALEXNET)
    layer = torch.nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)
    np.testing.assert_allclose(y, layer(torch.tensor(x)).numpy(), rtol=1e-12)
    # the paper: b_i = a_i / (k + alpha * sum_{j=max(0,i-n/2)}^{min(N-1,i+n/2)} a_j^2)^beta,
    # with alpha = 1e-4 (not divided by n = 5)
    paper = np.empty_like(x)
    for i in range(12):
        lo, hi = max(0, i - 2), min(11, i + 2)
        paper[:, i] = x[:, i] / (2 + 1e-4 * (x[:, lo : hi + 1] ** 2).sum(axis=1)) ** 0.75
    np.testing.assert_allclose(y, paper, rtol=1e-12)


@given(
    C=st.integers(1, 9),
    size=st.integers(1, 12),
    N=st.integers(1, 2),
    P=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_naive_equals_vectorized(C, size, N, P, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 3, (N, C, P))
    G = rng.normal(size=x.shape)
    y, cache = lrn_forward(x, size, 0.3, 0.6, 1.2)
    yn, cache_n = lrn_forward_naive(x, size, 0.3, 0.6, 1.2)
    np.testing.assert_allclose(yn, y, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(
        lrn_backward_naive(G, cache_n), lrn_backward(G, cache), rtol=1e-12, atol=1e-14
    )


@given(C=st.integers(1, 8), below=st.integers(0, 10), above=st.integers(0, 10))
def test_channel_window_sum_is_a_clipped_sum(C, below, above):
    v = np.arange(2 * C * 3, dtype=float).reshape(2, C, 3) ** 2
    expected = np.stack(
        [v[:, max(0, c - below) : c + above + 1].sum(axis=1) for c in range(C)], axis=1
    )
    np.testing.assert_array_equal(channel_window_sum(v, below, above), expected)


def test_laws():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 5, (3, 6, 4, 4))
    # alpha = 0: a pure rescaling by k^-beta
    np.testing.assert_allclose(lrn_forward(x, 5, 0.0, 0.75, 2.0)[0], x * 2.0**-0.75, rtol=1e-15)
    # beta > 0: every response shrinks at least as much as by k alone; the sign is kept
    y, _ = lrn_forward(x, 5, 1e-2, 0.75, 2.0)
    assert np.all(np.abs(y) <= np.abs(x) * 2.0**-0.75 + 1e-15)
    assert np.all(np.sign(y) == np.sign(x))
    # odd: b(-a) = -b(a)
    np.testing.assert_allclose(
        lrn_forward(-x, 3, 0.1, 0.5, 1.0)[0], -lrn_forward(x, 3, 0.1, 0.5, 1.0)[0]
    )


@pytest.mark.parametrize(
    "call, error, pattern",
    [
        (lambda: lrn_forward(np.ones(4), 3), ValueError, r"x must have shape \(N, C, \.\.\.\)"),
        (lambda: lrn_forward(np.ones((2, 3, 2)), 0), ValueError, "size .* must be >= 1"),
        (lambda: lrn_forward(np.ones((2, 3, 2)), 2.5), TypeError, "size .* must be an integer"),
        (lambda: lrn_forward(np.ones((2, 3, 2)), 3, alpha=-1.0), ValueError, "alpha must be >= 0"),
        (lambda: lrn_forward(np.ones((2, 3, 2)), 3, k=0.0), ValueError, "k must be > 0"),
        (lambda: lrn_forward(np.ones((2, 3, 2)), 3, beta="0.75"), TypeError, "beta must be a real"),
        (lambda: lrn_forward(np.ones((2, 3, 2)), 3, beta=float("nan")), ValueError, "beta must"),
        (lambda: lrn_forward(np.full((2, 3, 2), np.nan), 3), ValueError, "x .* non-finite"),
        (lambda: lrn_forward(np.array([["a"]]), 3), TypeError, "x .* real numbers"),
        (
            lambda: lrn_backward(np.ones((2, 3)), lrn_forward(np.ones((2, 3, 2)), 3)[1]),
            ValueError,
            r"dout must have the output's shape \(2, 3, 2\)",
        ),
        (lambda: lrn_forward_naive(np.ones((2, 3, 2)), 3, k=-1.0), ValueError, "k must be > 0"),
    ],
)
def test_bad_input_is_reported(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


# --------------------------------------------------------------------------------------------
# The layer class
# --------------------------------------------------------------------------------------------


def test_layer_in_a_network_equals_its_torch_twin():
    rng = np.random.default_rng(7)
    net = Sequential(
        [
            L.Conv2d(6, 3, padding=1),
            L.ReLU(),
            L.LRN(4, alpha=0.8, beta=0.6, k=1.5),
            L.MaxPool2d(2),
            L.Flatten(),
            L.Dense(3),
        ],
        (2, 6, 6),
    )
    state = net.init(0)
    x, y = rng.normal(0, 2, (5, 2, 6, 6)), rng.integers(0, 3, 5)
    run = check_twin(net, state, x, y, rtol=1e-10, atol=1e-14)
    assert isinstance(run.twin.lrn1, torch.nn.LocalResponseNorm)
    assert np.isclose(run.loss, run.torch_loss, rtol=1e-12)
    assert set(run.grads) == {"conv1.weight", "conv1.bias", "dense1.weight", "dense1.bias"}


@pytest.mark.parametrize("size", [1, 2, 5, 9])
def test_layer_counts_one_multiply_add_per_window_term(size):
    net = Sequential([L.LRN(size)], (6, 2, 3))
    layer = net.layers[0]
    terms = sum(1 for c in range(6) for j in range(6) if c - size // 2 <= j <= c + (size - 1) // 2)
    assert layer.macs() == (terms + 6) * 2 * 3
    assert layer.param_shapes() == {} and net.n_params == 0
    assert layer.describe() == f"LRN size {size}, alpha 0.0001, beta 0.75, k 1"


def test_layer_rejects_bad_settings_and_flat_inputs():
    with pytest.raises(ValueError, match="k must be > 0"):
        L.LRN(5, k=0)
    with pytest.raises(TypeError, match="size"):
        L.LRN(2.5)
    with pytest.raises(NetworkError, match="LRN needs"):
        Sequential([L.Flatten(), L.LRN(3)], (2, 3, 3))
