import numpy as np
import pytest

from cnnmath.gradcheck import (
    check_gradient,
    error_bound,
    numerical_gradient,
    relative_error,
    tolerance,
)


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


@pytest.mark.parametrize(
    "err, text",
    [(5.6e-11, "< 1e-10"), (1e-10, "< 1e-9"), (0.5, "< 1e0"), (3e-16, "< 1e-12"), (0.0, "< 1e-12")],
)
def test_error_bound(err, text):
    assert error_bound(err) == text


def test_check_gradient_passes_and_fails(capsys):
    a = np.array([1.0, 2.0])
    assert check_gradient(a, a + 1e-12, "toy") < 1e-11
    assert "toy: relative error < 1e-" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="toy: relative error 5.000e-01 exceeds"):
        check_gradient(a, a * 2, "toy")


@pytest.mark.parametrize("scale", [1e-9, 1e-3, 1.0, 1e6])
def test_a_zero_or_sign_flipped_gradient_fails_at_every_scale(scale, rng):
    # relative error was max|a - b| / max(1, max|b|): any gradient below the tolerance passed
    true = scale * rng.normal(size=5)
    with pytest.raises(AssertionError, match="relative error 1.000e"):
        check_gradient(np.zeros(5), true, "zero")
    with pytest.raises(AssertionError, match="relative error 2.000e"):
        check_gradient(-true, true, "sign flipped")
    with pytest.raises(AssertionError, match="exceeds"):
        check_gradient(true * 1.001, true, "0.1% off")
    assert check_gradient(true * (1 + 1e-12), true, "right") < 1e-11


def test_relative_error_is_scale_free_and_zero_for_two_zero_gradients(rng):
    a = rng.normal(size=4)
    b = a + 1e-9 * rng.normal(size=4)
    assert relative_error(a * 1e-12, b * 1e-12) == pytest.approx(relative_error(a, b), rel=1e-6)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert (
        relative_error(np.zeros(3, np.float32), np.full(3, 1e-39, np.float32)) < 1
    )  # below float32's tiny
    # a block of a larger gradient can be compared on the scale of the whole
    assert relative_error(np.array([1e-17]), np.array([-1e-17]), floor=1.0) == 2e-17


def test_bad_dtypes_and_errors_are_named():
    with pytest.raises(ValueError, match="float32 or np.float64"):
        tolerance(np.float16)
    with pytest.raises(ValueError, match=r"err \(a relative error\) must be >= 0"):
        error_bound(-1.0)
    with pytest.raises(
        ValueError, match=r"analytic \(the gradient checked: toy\) contains 1 non-finite"
    ):
        check_gradient(np.array([np.nan, 1.0]), np.ones(2), "toy")
    with pytest.raises(TypeError, match="f must be a function"):
        numerical_gradient("sin", np.ones(2))


@pytest.mark.parametrize("z0", [8.0, 10.0, 12.0, 16.0, 25.0])
def test_a_correct_sigmoid_gradient_passes_where_the_differences_cannot_resolve_it(z0, capsys):
    # f ~ 1 and f' = 3.4e-4 at z = 8: the differences' rounding, eps |f| / h ~ 1e-10, is a
    # relative error of 5e-7, above the tolerance; the bound they return accounts for it
    z = z0 + np.linspace(0, 1, 5)
    a = 1 / (1 + np.exp(-z))
    exact = a * (1 - a)
    num, bound = numerical_gradient(lambda t: 1 / (1 + np.exp(-t)), z, with_error=True)
    if z0 == 8.0:  # the case of issue 18: the plain tolerance rejects the right answer
        with pytest.raises(AssertionError, match="exceeds"):
            check_gradient(exact, num, "sigmoid")
    assert np.all(np.abs(num - exact) <= bound) and np.all(bound < 1e-8)
    check_gradient(exact, num, "sigmoid", reference_error=bound)
    assert "plus the reference's own error bound" in capsys.readouterr().out


@pytest.mark.parametrize("z0", [8.0, 10.0, 12.0, 16.0])
def test_a_wrong_sigmoid_gradient_still_fails(z0):
    z = z0 + np.linspace(0, 1, 5)
    a = 1 / (1 + np.exp(-z))
    num, bound = numerical_gradient(lambda t: 1 / (1 + np.exp(-t)), z, with_error=True)
    for wrong in (-a * (1 - a), 0 * a, a * (1 - a) ** 2, 2 * a * (1 - a)):
        with pytest.raises(AssertionError, match="plus the reference's own error"):
            check_gradient(wrong, num, "sigmoid", reference_error=bound)
    if z0 <= 12:  # a 1% error (2e-8 or more) is still far above the bound (4e-9)
        with pytest.raises(AssertionError, match="at index"):
            check_gradient(1.01 * a * (1 - a), num, "sigmoid", reference_error=bound)


def test_the_error_bound_covers_truncation(rng):
    # exp(10 x) with h = 1e-3: truncation h^2 f'''/6 dominates and is estimated from D_2h - D_h
    x = rng.uniform(-0.5, 0.5, size=4)
    num, bound = numerical_gradient(lambda t: np.exp(10 * t), x, h=1e-3, with_error=True)
    exact = 10 * np.exp(10 * x)
    assert np.all(np.abs(num - exact) <= bound) and np.all(bound < 1e-2 * exact)
    check_gradient(exact, num, "exp(10x)", reference_error=bound)
    with pytest.raises(AssertionError):
        check_gradient(exact * 1.05, num, "exp(10x)", reference_error=bound)
    with pytest.raises(ValueError, match="reference_error must be one number"):
        check_gradient(exact, num, "exp(10x)", reference_error=np.ones(3))
    with pytest.raises(ValueError, match="reference_error must be >= 0"):
        check_gradient(exact, num, "exp(10x)", reference_error=-1.0)
