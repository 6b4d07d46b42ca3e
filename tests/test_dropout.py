import numpy as np
import pytest
import torch

from cnnmath.dropout import dropout_backward, dropout_forward, dropout_forward_naive
from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance


def test_expectation_is_kept_and_mask_is_reused():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 500))
    y, mask = dropout_forward(x, 0.3, rng)
    assert abs((mask == 0).mean() - 0.3) < 0.005
    assert set(np.unique(mask)) == {0.0, 1 / 0.7}
    np.testing.assert_array_equal(dropout_backward(np.ones_like(x), mask), mask)
    means = [dropout_forward(np.ones(10_000), 0.5, rng)[0].mean() for _ in range(20)]
    assert abs(np.mean(means) - 1.0) < 0.01  # E[y] = x


def test_same_rule_as_torch():
    torch.manual_seed(0)
    x = torch.ones(20_000, dtype=torch.float64)
    ty = torch.nn.functional.dropout(x, 0.25, training=True)
    assert set(np.unique(ty.numpy())) == {
        0.0,
        1 / 0.75,
    }  # torch also scales the survivors by 1/(1-p)
    y, _ = dropout_forward(x.numpy(), 0.25, np.random.default_rng(0))
    assert set(np.unique(y)) == set(np.unique(ty.numpy()))
    assert abs((y == 0).mean() - (ty.numpy() == 0).mean()) < 0.02


def test_evaluation_mode_and_naive_version():
    x = np.arange(6.0).reshape(2, 3)
    y, mask = dropout_forward(x, 0.5, training=False)
    assert (
        mask is None
        and np.array_equal(y, x)
        and np.array_equal(dropout_backward(np.ones(3), None), np.ones(3))
    )
    y1, m1 = dropout_forward(x, 0.5, np.random.default_rng(4))
    y2, m2 = dropout_forward_naive(x, 0.5, np.random.default_rng(4))
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(m1, m2)


@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (
            lambda: dropout_forward(np.ones(3), 1.5, np.random.default_rng(0)),
            ValueError,
            r"\[0, 1\]",
        ),
        (lambda: dropout_forward(np.ones(3), 0.5), ValueError, "Generator"),
        (
            lambda: dropout_forward(np.ones(3), "half", np.random.default_rng(0)),
            TypeError,
            "number",
        ),
        (lambda: dropout_backward(np.ones(2), np.ones(3)), ValueError, "output's shape"),
    ],
)
def test_bad_input_is_reported(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


@pytest.mark.parametrize("p", [0.0, 0.3, 0.8])
def test_gradient_matches_finite_differences(p, rng):
    # with the mask fixed (the same seeded generator on every call) dropout is linear in x, and its
    # gradient dE/dx = dE/dy * mask must equal central differences of <G, y(x)>
    x, G = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    _, mask = dropout_forward(x, p, np.random.default_rng(7))
    num = numerical_gradient(lambda t: dropout_forward(t, p, np.random.default_rng(7))[0], x, G)
    assert relative_error(dropout_backward(G, mask), num) < tolerance(np.float64)
    if p:
        assert np.any(mask == 0) and np.any(mask != 0)  # both dropped and kept units were checked


def test_non_finite_input_and_wrong_generator_are_refused():
    with pytest.raises(ValueError, match=r"x contains 1 non-finite"):
        dropout_forward(np.array([1.0, np.nan]), 0.5, np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator"):
        dropout_forward(np.ones(3), 0.5, np.random.RandomState(0))
    with pytest.raises(TypeError, match="training must be True or False"):
        dropout_forward(np.ones(3), 0.5, np.random.default_rng(0), training="no")
