import numpy as np
import pytest

from cnnmath import arguments as v


def test_as_float_array_promotes_and_keeps_float32():
    assert v.as_float_array([1, 2], "x").dtype == np.float64
    assert v.as_float_array(np.ones(2, np.float32), "x").dtype == np.float32
    assert v.as_float_array(np.ones(2, np.float16), "x").dtype == np.float64


@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (lambda: v.as_float_array([[1, 2], [3]], "x"), TypeError, "x must be an array"),
        (lambda: v.as_float_array(np.array(["a"]), "x"), TypeError, "real numbers"),
        (lambda: v.as_float_array(np.array([1j]), "x"), TypeError, "complex"),
        (
            lambda: v.as_float_array(np.ones((2, 2)), "x", ndim=1),
            ValueError,
            r"1 dimension\(s\); got shape \(2, 2\)",
        ),
        (lambda: v.as_float_array([np.inf], "x"), ValueError, "1 non-finite"),
        (lambda: v.positive_number(0, "eta"), ValueError, "eta must be a finite number > 0"),
        (lambda: v.positive_number("a", "eta"), TypeError, "eta must be a number"),
        (lambda: v.positive_int(2.5, "epochs"), TypeError, "integer"),
        (lambda: v.positive_int(True, "epochs"), TypeError, "integer"),
        (lambda: v.labels(np.array([0, 5]), "y", num_classes=3), ValueError, r"0\.\.2"),
        (lambda: v.labels(np.array([0, 1]), "y", n=3), ValueError, "3 labels"),
        (
            lambda: v.same_shape(np.ones(2), np.ones(3), "a", "b"),
            ValueError,
            r"a and b must have the same shape",
        ),
    ],
)
def test_errors_name_the_problem(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_labels_accepts_integral_floats():
    assert v.labels(np.array([0.0, 2.0]), "y").dtype == np.int64


def test_labels_refuse_negative_values_always():
    with pytest.raises(ValueError, match="y must hold class labels >= 0; got -1"):
        v.labels(np.array([0, -1]), "y")
    for bad in (np.array([0.5]), np.array([np.nan]), np.array([True]), np.array(["a"])):
        with pytest.raises(TypeError, match="integer class labels"):
            v.labels(bad, "y")


def test_probability_rows_with_a_dtype_tolerance():
    p = np.full((2, 3), 1 / 3)
    assert v.probability_rows(p, "p") is p
    v.probability_rows(np.array([0.2, 0.3, 0.5 + 1e-9]), "p")  # rounding passes
    with pytest.raises(
        ValueError, match=r"p must be probabilities whose rows sum to 1 \(within 1.5e-08\); row 1"
    ):
        v.probability_rows(np.array([[1.0, 0.0], [0.5, 0.4]]), "p")
    v.probability_rows(np.array([0.5, 0.5 + 1e-5], np.float32), "p")  # float32 tolerance 3.5e-4
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        v.probability_rows(np.array([1.5, -0.5]), "p")


def test_check_finite_is_exact_when_the_sum_overflows():
    big = np.full(4, 1e308)
    assert v.check_finite(big, "x") is big  # the sum overflows; the entries are finite
    with pytest.raises(ValueError, match="x contains 2 non-finite"):
        v.check_finite(np.array([np.inf, -np.inf, 1.0]), "x")  # inf - inf = nan


@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (lambda: v.number(np.ones(2), "dloss"), TypeError, "dloss must be a single number"),
        (lambda: v.number(True, "dloss"), TypeError, "dloss must be a number"),
        (lambda: v.number(np.nan, "dloss"), ValueError, "dloss must be a finite real number"),
        (lambda: v.in_range(1.0, "p", 0, 1, high_open=True), ValueError, r"p must lie in \[0, 1\)"),
        (lambda: v.seed(-1), ValueError, "seed must be >= 0"),
        (
            lambda: v.generator(np.random.RandomState(0)),
            TypeError,
            "rng must be a numpy.random.Generator",
        ),
        (lambda: v.flag("no", "training"), TypeError, "training must be True or False"),
        (
            lambda: v.check_shape(np.ones((2, 3)), "gamma", (3,), "one per channel"),
            ValueError,
            r"gamma must have shape \(3,\) \(one per channel\); got \(2, 3\)",
        ),
        (
            lambda: v.unpack_cache(None, "f_forward", {"x": np.ndarray}),
            TypeError,
            r"cache must be the \(x\) tuple returned by f_forward; got NoneType",
        ),
        (
            lambda: v.unpack_cache((1, 2), "f_forward", {"x": np.ndarray}),
            ValueError,
            "got a tuple of 2 item",
        ),
        (
            lambda: v.unpack_cache((None,), "f_forward", {"x": np.ndarray}),
            TypeError,
            "its item 'x' is NoneType",
        ),
        (
            lambda: v.array_cache((1,), "relu_forward", "z"),
            TypeError,
            "cache must be the float array z",
        ),
        (lambda: v.path(3, "checkpoint"), TypeError, "checkpoint must be a file path"),
        (
            lambda: v.path("a.pkl", "checkpoint", suffix=".npz"),
            ValueError,
            r"checkpoint must be a \.npz file",
        ),
        (lambda: v.callable_arg(3, "f"), TypeError, "f must be a function"),
    ],
)
def test_helpers_name_the_argument(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()
