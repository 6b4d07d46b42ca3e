import numpy as np
import pytest
import torch

from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance
from cnnmath.pool import (
    avgpool_backward,
    avgpool_backward_naive,
    avgpool_forward,
    avgpool_forward_naive,
    maxpool_backward,
    maxpool_backward_naive,
    maxpool_forward,
    maxpool_forward_naive,
)

CONFIGS = [
    ((2, 3, 6, 6), 2, None, 0),
    ((2, 3, 7, 6), 3, 2, 1),
    ((1, 1, 5, 5), 3, 1, 0),
    ((2, 2, 9, 8), (3, 2), (2, 1), (1, 1)),
    ((1, 2, 4, 4), 4, None, 0),
    ((3, 1, 5, 7), (2, 3), 1, (1, 1)),
]
KINDS = {
    "max": (
        maxpool_forward,
        maxpool_backward,
        maxpool_forward_naive,
        maxpool_backward_naive,
        torch.nn.functional.max_pool2d,
    ),
    "avg": (
        avgpool_forward,
        avgpool_backward,
        avgpool_forward_naive,
        avgpool_backward_naive,
        torch.nn.functional.avg_pool2d,
    ),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape, k, s, p", CONFIGS)
def test_vectorized_naive_torch_and_finite_differences_agree(kind, shape, k, s, p):
    fwd, bwd, fwd_n, bwd_n, tfn = KINDS[kind]
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)
    out, cache = fwd(x, k, s, p)
    G = rng.normal(size=out.shape)
    dx = bwd(G, cache)
    out_n, cache_n = fwd_n(x, k, s, p)
    np.testing.assert_allclose(out, out_n, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(dx, bwd_n(G, cache_n), rtol=1e-14, atol=1e-15)
    tx = torch.tensor(x, requires_grad=True)
    t_out = tfn(tx, k, s, p)
    t_out.backward(torch.tensor(G))
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-14, atol=1e-15)
    assert relative_error(dx, numerical_gradient(lambda t: fwd(t, k, s, p)[0], x, G)) < tolerance(
        np.float64
    )


def test_max_pool_ties_go_to_the_first_maximum_like_torch():
    x = np.array(
        [[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 1.0, 3.0], [0.0, 0.0, 5.0, 5.0], [0.0, 0.0, 5.0, 5.0]]]]
    )
    out, cache = maxpool_forward(x, 2)
    dx = maxpool_backward(np.ones_like(out), cache)
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(tx, 2).sum().backward()
    np.testing.assert_array_equal(dx, tx.grad.numpy())
    assert dx.sum() == out.size  # each window's gradient is routed once, not once per tied input


def test_overlapping_windows_accumulate():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0  # the centre wins all four overlapping 2x2 windows
    out, cache = maxpool_forward(x, 2, 1)
    assert maxpool_backward(np.ones_like(out), cache)[0, 0, 1, 1] == 4.0
    out, cache = avgpool_forward(x, 2, 1)
    assert avgpool_backward(np.ones_like(out), cache)[0, 0, 1, 1] == 1.0  # 4 windows x 1/4


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: maxpool_forward(np.ones((1, 1, 4, 4)), 2, padding=2), "at most half the window"),
        (lambda: maxpool_forward(np.ones((1, 1, 3, 3)), 5), "kernel spans 5 pixels"),
        (lambda: avgpool_forward(np.ones((1, 1, 4, 4)), 2, stride=0), "stride must be >= 1"),
        (lambda: avgpool_forward(np.ones((4, 4)), 2), "dimension"),
        (
            lambda: maxpool_backward(
                np.ones((1, 1, 3, 3)), maxpool_forward(np.ones((1, 1, 4, 4)), 2)[1]
            ),
            "output's shape",
        ),
    ],
)
def test_bad_input_is_reported(call, pattern):
    with pytest.raises((ValueError, TypeError), match=pattern):
        call()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "shape, k, s, p",
    [((1, 2, 4, 4), 2, None, 0), ((1, 1, 5, 5), 3, 2, 1), ((1, 1, 4, 5), (2, 3), 1, 0)],
)
def test_gradients_equal_sympy_exact_derivative(kind, shape, k, s, p):
    """E = sum(G * pool(X)) written in SymPy window by window; dE/dX by sp.diff, at a point of X."""
    import sympy as sp

    from cnnmath.conv import _pair

    fwd, bwd = KINDS[kind][:2]
    rng = np.random.default_rng(7)
    x = (
        rng.permutation(np.prod(shape)).reshape(shape) / 8.0
    )  # distinct values: every maximum is unique
    X = np.array(sp.symbols(f"x0:{np.prod(shape)}", real=True), dtype=object).reshape(shape)
    k2, p2 = _pair(k, "k", 1), _pair(p, "p", 0)
    s2 = k2 if s is None else _pair(s, "s", 1)
    fill = -sp.oo if kind == "max" else sp.Integer(0)
    Xp = np.full(
        (shape[0], shape[1], shape[2] + 2 * p2[0], shape[3] + 2 * p2[1]), fill, dtype=object
    )
    Xp[:, :, p2[0] : p2[0] + shape[2], p2[1] : p2[1] + shape[3]] = X
    out, cache = fwd(x, k, s, p)
    G = rng.integers(-3, 4, size=out.shape)
    E = sp.Integer(0)
    for n, c, i, j in np.ndindex(*out.shape):
        window = (
            Xp[n, c, i * s2[0] : i * s2[0] + k2[0], j * s2[1] : j * s2[1] + k2[1]].ravel().tolist()
        )
        pooled = sp.Max(*window) if kind == "max" else sp.Add(*window) / (k2[0] * k2[1])
        E += int(G[n, c, i, j]) * pooled
    point = {sym: sp.Rational(int(v * 8), 8) for sym, v in zip(X.ravel(), x.ravel())}
    exact = np.array([float(sp.diff(E, sym).subs(point)) for sym in X.ravel()]).reshape(shape)
    if kind == "max":  # routing only: the gradient is exactly the sum of the routed G
        np.testing.assert_array_equal(bwd(G.astype(float), cache), exact)
    else:  # sums of G / k^2 in floating point: a few units in the last place
        np.testing.assert_allclose(
            bwd(G.astype(float), cache), exact, rtol=4 * np.finfo(float).eps, atol=0
        )


def test_max_pool_gradient_does_not_depend_on_the_input_after_forward():
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 4))
    for k, s in ((2, None), (3, 1)):
        xin = x.copy()
        out, cache = maxpool_forward(xin, k, s)
        before = maxpool_backward(np.ones_like(out), cache)
        xin[...] = 0.0  # changing the input in place must not change the switches
        np.testing.assert_array_equal(maxpool_backward(np.ones_like(out), cache), before)
        assert before.sum() == out.size


@pytest.mark.parametrize(
    "cache", [None, (), ("tiled",), [1, 2, 3, 4, 5, 6], ("other", np.zeros(1), 0, 0, 0, 0)]
)
def test_max_pool_backward_rejects_a_wrong_cache(cache):
    with pytest.raises((TypeError, ValueError), match="cache"):
        maxpool_backward(np.ones((1, 1, 2, 2)), cache)


@pytest.mark.parametrize(
    "bwd, producer",
    [
        (avgpool_backward, "avgpool_forward"),
        (avgpool_backward_naive, "avgpool_forward_naive"),
        (maxpool_backward_naive, "maxpool_forward_naive"),
    ],
)
def test_other_pool_backwards_reject_a_wrong_cache(bwd, producer):
    for cache in (None, (), (np.zeros(2),) * 7):
        with pytest.raises((TypeError, ValueError), match=f"returned by {producer}"):
            bwd(np.ones((1, 1, 2, 2)), cache)
