import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given

from cnnmath import losses as L
from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance

from .strategies import logit_matrices

TOL64 = tolerance(np.float64)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("half", [False, True])
def test_mse_gradient_and_torch(reduction, half, rng):
    r, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    loss, cache = L.mse_forward(r, y, reduction, half)
    grad = L.mse_backward(1.0, cache)
    num = numerical_gradient(lambda t: L.mse_forward(t, y, reduction, half)[0], r)
    assert relative_error(grad, num) < TOL64
    t = torch.tensor(r, requires_grad=True)
    tl = torch.nn.functional.mse_loss(t, torch.tensor(y), reduction=reduction) * (0.5 if half else 1.0)
    tl.backward()
    assert np.isclose(loss, tl.item(), rtol=1e-12)
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-12)


def test_thesis_half_sum_has_gradient_r_minus_y(rng):
    r, y = rng.normal(size=5), rng.normal(size=5)
    _, cache = L.mse_forward(r, y, "sum", half=True)
    np.testing.assert_allclose(L.mse_backward(1.0, cache), r - y)


def test_binary_cross_entropy_matches_torch_and_eq29(rng):
    r = rng.uniform(0.05, 0.95, 6)
    y = rng.integers(0, 2, 6).astype(float)
    loss, cache = L.binary_cross_entropy_forward(r, y, "sum")
    grad = L.binary_cross_entropy_backward(1.0, cache)
    np.testing.assert_allclose(grad, (r - y) / (r * (1 - r)))
    t = torch.tensor(r, requires_grad=True)
    tl = torch.nn.functional.binary_cross_entropy(t, torch.tensor(y), reduction="sum")
    tl.backward()
    assert np.isclose(loss, tl.item(), rtol=1e-12)
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-10)


def test_binary_cross_entropy_edge_probabilities():
    assert L.binary_cross_entropy_forward(np.array([1.0, 0.0]), np.array([1.0, 0.0]))[0] == 0.0
    with pytest.raises(ValueError, match="infinite"):
        L.binary_cross_entropy_forward(np.array([0.0]), np.array([1.0]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        L.binary_cross_entropy_forward(np.array([1.5]), np.array([1.0]))


def test_sigmoid_cross_entropy_is_stable_and_matches_torch(rng):
    z = np.concatenate([rng.normal(0, 5, 8), [-800.0, 800.0]])
    y = np.concatenate([rng.integers(0, 2, 8), [1, 0]]).astype(float)
    loss, cache = L.sigmoid_cross_entropy_forward(z, y)
    grad = L.sigmoid_cross_entropy_backward(1.0, cache)
    t = torch.tensor(z, requires_grad=True)
    tl = torch.nn.functional.binary_cross_entropy_with_logits(t, torch.tensor(y))
    tl.backward()
    assert np.isfinite(loss) and np.isclose(loss, tl.item(), rtol=1e-12)
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-12, atol=1e-300)


@given(logit_matrices())
def test_log_softmax_is_finite_and_normalized(z):
    with np.errstate(over="raise", invalid="raise"):
        lp = L.log_softmax(z)
    assert np.all(np.isfinite(lp)) and np.all(lp <= 1e-12)
    np.testing.assert_allclose(np.exp(lp).sum(axis=1), 1.0, rtol=1e-12)


@given(logit_matrices())
def test_softmax_cross_entropy_gradient_is_a_minus_y(z):
    n, g = z.shape
    y = np.arange(n) % g
    _, cache = L.softmax_cross_entropy_forward(z, y, "sum")
    np.testing.assert_allclose(L.softmax_cross_entropy_backward(1.0, cache), L.softmax(z) - L.one_hot(y, g), atol=1e-15)


def test_softmax_cross_entropy_matches_torch_and_finite_differences(rng):
    z = rng.normal(0, 3, (6, 5))
    y = rng.integers(0, 5, 6)
    loss, cache = L.softmax_cross_entropy_forward(z, y)
    grad = L.softmax_cross_entropy_backward(1.0, cache)
    t = torch.tensor(z, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(t, torch.tensor(y))
    tl.backward()
    assert np.isclose(loss, tl.item(), rtol=1e-12)
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-10, atol=1e-15)
    num = numerical_gradient(lambda t_: L.softmax_cross_entropy_forward(t_, y)[0], z)
    assert relative_error(grad, num) < TOL64


def test_cross_entropy_on_probabilities_and_eq36(rng):
    r = L.softmax(rng.normal(size=(3, 4)))
    y = np.array([0, 3, 1])
    loss, cache = L.cross_entropy_forward(r, y, "sum")
    assert np.isclose(loss, -np.log(r[[0, 1, 2], [0, 3, 1]]).sum())
    grad = L.cross_entropy_backward(1.0, cache)
    np.testing.assert_allclose(grad, -L.one_hot(y, 4) / r)


def test_softmax_cross_entropy_symbolic_gradient():
    zs = sp.symbols("z0:3", real=True)
    a = [sp.exp(zi) / sum(sp.exp(zj) for zj in zs) for zi in zs]
    E = -sp.log(a[1])
    z = np.array([0.3, -1.2, 2.0])
    _, cache = L.softmax_cross_entropy_forward(z, L.one_hot([1], 3)[0])
    grad = L.softmax_cross_entropy_backward(1.0, cache)
    sym = [float(sp.diff(E, zi).subs(dict(zip(zs, z)))) for zi in zs]
    np.testing.assert_allclose(grad, sym, rtol=1e-12)


@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (lambda: L.mse_forward(np.ones(3), np.ones(4)), ValueError, "same shape"),
        (lambda: L.mse_forward(np.ones(3), np.ones(3), reduction="max"), ValueError, "reduction"),
        (lambda: L.softmax_cross_entropy_forward(np.ones((2, 3)), np.array([0, 3])), ValueError, r"0\.\.2"),
        (lambda: L.softmax_cross_entropy_forward(np.ones((2, 3)), np.ones((2, 4))), ValueError, "targets"),
        (lambda: L.softmax_cross_entropy_forward(np.ones((2, 3)), np.array([0.5, 1])), TypeError, "integer"),
        (lambda: L.cross_entropy_forward(np.array([[0.0, 1.0]]), np.array([0])), ValueError, "infinite"),
        (lambda: L.log_softmax(np.array([[np.inf, 0.0]])), ValueError, "non-finite"),
    ],
)
def test_bad_input_is_reported(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()
