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
    tl = torch.nn.functional.mse_loss(t, torch.tensor(y), reduction=reduction) * (
        0.5 if half else 1.0
    )
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
    np.testing.assert_allclose(
        L.softmax_cross_entropy_backward(1.0, cache), L.softmax(z) - L.one_hot(y, g), atol=1e-15
    )


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
        (
            lambda: L.softmax_cross_entropy_forward(np.ones((2, 3)), np.array([0, 3])),
            ValueError,
            r"0\.\.2",
        ),
        (
            lambda: L.softmax_cross_entropy_forward(np.ones((2, 3)), np.ones((2, 4))),
            ValueError,
            "targets",
        ),
        (
            lambda: L.softmax_cross_entropy_forward(np.ones((2, 3)), np.array([0.5, 1])),
            TypeError,
            "integer",
        ),
        (
            lambda: L.cross_entropy_forward(np.array([[0.0, 1.0]]), np.array([0])),
            ValueError,
            "infinite",
        ),
        (lambda: L.log_softmax(np.array([[np.inf, 0.0]])), ValueError, "non-finite"),
    ],
)
def test_bad_input_is_reported(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


@pytest.mark.parametrize("z_rows, labels", [(1, [0, 1, 2]), (4, [1]), (3, [0, 1])])
def test_labels_of_the_wrong_length_do_not_broadcast(z_rows, labels):
    z = np.zeros((z_rows, 3))
    for fwd in (
        L.softmax_cross_entropy_forward,
        lambda z_, y_: L.cross_entropy_forward(L.softmax(z_), y_),
    ):
        with pytest.raises(
            ValueError, match=rf"must have {z_rows} labels \(one per row\); got {len(labels)}"
        ):
            fwd(z, np.array(labels))


@pytest.mark.parametrize(
    "y",
    [
        np.full((2, 3), 0.5),
        np.array([[1.5, -0.5, 0.0], [0.0, 0.0, 1.0]]),
        np.array([[0.2, 0.2, 0.2], [1.0, 0.0, 0.0]]),
    ],
)
def test_soft_targets_must_be_probability_rows(y):
    # a - y is the gradient only when each row of y sums to 1 (and the loss is a cross-entropy only
    # for y in [0, 1]): other targets are refused, not given a wrong gradient
    with pytest.raises(
        ValueError,
        match=r"y \(the targets\) must (be probabilities whose rows sum to 1|hold "
        r"probabilities in \[0, 1\])",
    ):
        L.softmax_cross_entropy_forward(np.zeros((2, 3)), y)
    with pytest.raises(ValueError, match=r"y \(the targets\)"):
        L.cross_entropy_forward(np.full((2, 3), 1 / 3), y)


def test_soft_targets_get_the_finite_difference_gradient(rng):
    z = rng.normal(size=(4, 5))
    y = L.softmax(rng.normal(size=(4, 5)))  # rows sum to 1 within rounding
    _, cache = L.softmax_cross_entropy_forward(z, y)
    num = numerical_gradient(lambda t: L.softmax_cross_entropy_forward(t, y)[0], z)
    assert relative_error(L.softmax_cross_entropy_backward(1.0, cache), num) < TOL64


def test_binary_cross_entropy_gradient_at_the_end_points_is_the_one_sided_limit():
    # r = 0 with y = 0 and r = 1 with y = 1 are accepted by the forward pass (loss 0); the formula
    # (r - y)/(r(1 - r)) reads 0/0 there and used to give nan. The limit is dE/dr = 1 and -1:
    # E = -log(1 - r) near 0 and -log r near 1, checked by one-sided differences.
    r, y = np.array([0.0, 1.0, 0.3]), np.array([0.0, 1.0, 1.0])
    loss, cache = L.binary_cross_entropy_forward(r, y, "sum")
    grad = L.binary_cross_entropy_backward(1.0, cache)
    h = 1e-7
    one_sided = [
        (L.binary_cross_entropy_forward(np.array([h]), np.array([0.0]), "sum")[0] - 0.0) / h,
        (0.0 - L.binary_cross_entropy_forward(np.array([1 - h]), np.array([1.0]), "sum")[0]) / h,
    ]
    np.testing.assert_allclose(grad[:2], one_sided, rtol=1e-6)
    np.testing.assert_allclose(grad, [1.0, -1.0, -1 / 0.3])
    assert np.isclose(loss, -np.log(0.3))


def test_cross_entropy_of_logits_near_the_float_limits_is_finite():
    z = np.array([[1e308, -1e308, 0.0], [-1e308, 1e308, 5.0], [0.0, 0.0, 0.0]])
    y = np.array([0, 1, 2])
    with np.errstate(invalid="raise", divide="raise"):  # no nan is made on the way
        loss, cache = L.softmax_cross_entropy_forward(z, y, "sum")
        grad = L.softmax_cross_entropy_backward(1.0, cache)
    assert loss == pytest.approx(np.log(3), rel=1e-15)  # rows 0 and 1 are certain and right
    np.testing.assert_allclose(grad, L.softmax(z) - L.one_hot(y, 3), atol=0)
    # when the true class is the one below the float range the loss itself is not representable
    with pytest.raises(ValueError, match=r"the loss overflows .* z \(the logits\)"):
        L.softmax_cross_entropy_forward(z[:1], np.array([1]))


def test_losses_refuse_to_overflow():
    with pytest.raises(ValueError, match="overflows"):
        L.mse_forward(np.array([1e200]), np.array([-1e200]))
    with pytest.raises(ValueError, match="overflows"):
        L.sigmoid_cross_entropy_forward(np.full(4, 1e308), np.zeros(4), "sum")


def test_sigmoid_cross_entropy_targets_lie_in_the_unit_interval():
    with pytest.raises(ValueError, match=r"y \(the target\) must lie in \[0, 1\]"):
        L.sigmoid_cross_entropy_forward(np.zeros(2), np.array([2.0, 0.0]))


def test_a_backward_pass_names_a_wrong_cache():
    _, mse_cache = L.mse_forward(np.ones(2), np.zeros(2))
    with pytest.raises(
        TypeError,
        match=r"cache must be the \(a, y, scale\) tuple returned by "
        r"softmax_cross_entropy_forward; got NoneType",
    ):
        L.softmax_cross_entropy_backward(1.0, None)
    with pytest.raises(
        ValueError, match=r"cache must be the \(z, y, scale\) tuple .* got a tuple of 2"
    ):
        L.sigmoid_cross_entropy_backward(1.0, mse_cache)
    with pytest.raises(
        TypeError, match=r"dloss \(the upstream gradient, a number\) must be a single number"
    ):
        L.mse_backward(np.ones(2), mse_cache)
