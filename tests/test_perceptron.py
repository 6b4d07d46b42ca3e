import numpy as np
import pytest
import torch

from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance
from cnnmath.losses import sigmoid_cross_entropy_forward
from cnnmath.perceptron import perceptron_forward, perceptron_gradient, train_perceptron


def test_gradient_matches_finite_differences_and_torch(rng):
    x = rng.normal(size=(10, 3))
    y = rng.integers(0, 2, 10).astype(float)
    w, w0 = rng.normal(size=3), 0.3
    _, cache = perceptron_forward(x, w, w0)
    gw, g0 = perceptron_gradient(y, cache)
    num = numerical_gradient(lambda ww: sigmoid_cross_entropy_forward(x @ ww + w0, y)[0], w)
    assert relative_error(gw, num) < tolerance(np.float64)
    tw = torch.tensor(w, requires_grad=True)
    tb = torch.tensor(w0, requires_grad=True, dtype=torch.float64)
    torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(x) @ tw + tb, torch.tensor(y)
    ).backward()
    np.testing.assert_allclose(gw, tw.grad.numpy(), rtol=1e-12)
    assert np.isclose(g0, tb.grad.item(), rtol=1e-12)


def test_training_separates_separable_data_and_lowers_the_loss(rng):
    x = np.vstack([rng.normal(-2, 0.5, (40, 2)), rng.normal(2, 0.5, (40, 2))])
    y = np.repeat([0.0, 1.0], 40)
    fit = train_perceptron(x, y, eta=0.5, epochs=50, seed=0)
    assert fit.accuracy[-1] == 1.0
    assert fit.loss[-1] < fit.loss[0] / 5
    assert np.array_equal(fit.predict(x), y.astype(int))


def test_training_is_deterministic_for_a_seed(rng):
    x = rng.normal(size=(30, 2))
    y = (x[:, 0] > 0).astype(float)
    a = train_perceptron(x, y, epochs=5, batch_size=8, seed=3)
    b = train_perceptron(x, y, epochs=5, batch_size=8, seed=3)
    np.testing.assert_array_equal(a.w, b.w)


@pytest.mark.parametrize(
    "kwargs, exc, pattern",
    [
        (dict(x=np.ones((3, 2)), y=np.array([0, 1])), ValueError, "3 rows but y has 2"),
        (dict(x=np.ones((3, 2)), y=np.array([0, 1, 2])), ValueError, "labels 0 and 1"),
        (dict(x=np.ones(3), y=np.array([0, 1, 1])), ValueError, "dimension"),
        (dict(x=np.ones((3, 2)), y=np.array([0, 1, 1]), eta=0), ValueError, "eta"),
        (dict(x=np.ones((3, 2)), y=np.array([0, 1, 1]), epochs=0), ValueError, "epochs"),
    ],
)
def test_bad_input_is_reported(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        train_perceptron(**kwargs)


def test_forward_rejects_mismatched_weights():
    with pytest.raises(ValueError, match="2 features per row but w has 3"):
        perceptron_forward(np.ones((4, 2)), np.ones(3), 0.0)


def test_gradient_checks_its_cache_and_targets():
    _, cache = perceptron_forward(np.ones((3, 2)), np.ones(2), 0.0)
    with pytest.raises(ValueError, match=r"y \(the targets\) must lie in \[0, 1\]"):
        perceptron_gradient(np.array([0.0, 2.0, 1.0]), cache)
    with pytest.raises(
        ValueError, match=r"cache must be the \(x, z, a\) tuple returned by perceptron_forward"
    ):
        perceptron_gradient(np.ones(3), cache[:2])
    with pytest.raises(ValueError, match=r"w0 \(the bias weight\) must be a finite real number"):
        perceptron_forward(np.ones((3, 2)), np.ones(2), np.nan)
