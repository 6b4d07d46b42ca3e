import numpy as np
import pytest

from cnnmath.gradcheck import check_gradient, error_bound, numerical_gradient, relative_error, tolerance


def test_numerical_gradient_of_known_functions(rng):
    x = rng.normal(size=(3, 2))
    tol = tolerance(np.float64)
    assert relative_error(numerical_gradient(lambda t: np.sum(t**3), x), 3 * x**2) < tol
    g = rng.normal(size=(3, 2))
    assert relative_error(numerical_gradient(np.sin, x, g), g * np.cos(x)) < tol


def test_numerical_gradient_detects_a_wrong_gradient(rng):
    x = rng.normal(size=5)
    num = numerical_gradient(lambda t: np.sum(np.exp(t)), x)
    assert relative_error(np.exp(x), num) < tolerance(np.float64)
    assert relative_error(np.exp(x) * 1.001, num) > tolerance(np.float64)


def test_input_is_restored_and_errors_named(rng):
    x = rng.normal(size=4)
    copy = x.copy()
    numerical_gradient(lambda t: t * 2, x, np.ones(4))
    np.testing.assert_array_equal(x, copy)
    with pytest.raises(ValueError, match="upstream"):
        numerical_gradient(lambda t: t * 2, x, np.ones(3))
    with pytest.raises(ValueError, match=r"a \(the analytic gradient\) and b .* same shape"):
        relative_error(np.ones(2), np.ones(3))


@pytest.mark.parametrize("err, text", [(5.6e-11, "< 1e-10"), (1e-10, "< 1e-9"), (0.5, "< 1e0"), (3e-16, "< 1e-12"), (0.0, "< 1e-12")])
def test_error_bound(err, text):
    assert error_bound(err) == text


def test_check_gradient_passes_and_fails(capsys):
    a = np.array([1.0, 2.0])
    assert check_gradient(a, a + 1e-12, "toy") < 1e-11
    assert "toy: relative error < 1e-" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="toy: relative error 5.000e-01 exceeds"):
        check_gradient(a, a * 2, "toy")
