import numpy as np
import pytest

from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance
from cnnmath.landscapes import quadratic, rosenbrock, trajectory
from cnnmath.optim import Optimizer


@pytest.mark.parametrize("make", [lambda: quadratic(10, 1), rosenbrock])
def test_gradients_match_finite_differences(make, rng):
    f, g = make()
    p = rng.normal(size=2)
    assert relative_error(g(p), numerical_gradient(f, p)) < tolerance(np.float64)


def test_trajectory_reaches_the_rosenbrock_minimum_with_adam():
    f, g = rosenbrock()
    path = trajectory(Optimizer("adam", 0.02), g, (-1.2, 1.0), 3000)
    assert path.shape == (3001, 2) and f(path[-1]) < 1e-4 < f(path[0])


def test_gradient_descent_diverges_above_two_over_a():
    _, g = quadratic(10, 1)
    assert np.abs(trajectory(Optimizer("sgd", 0.21), g, (1.0, 1.0), 50)[-1, 0]) > 1
    assert np.abs(trajectory(Optimizer("sgd", 0.19), g, (1.0, 1.0), 50)[-1, 0]) < 1e-2
