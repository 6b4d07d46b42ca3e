import numpy as np
import pytest

from cnnmath import validate as v


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
        (lambda: v.as_float_array(np.ones((2, 2)), "x", ndim=1), ValueError, r"1 dimension\(s\); got shape \(2, 2\)"),
        (lambda: v.as_float_array([np.inf], "x"), ValueError, "1 non-finite"),
        (lambda: v.positive_number(0, "eta"), ValueError, "eta must be a finite number > 0"),
        (lambda: v.positive_number("a", "eta"), TypeError, "eta must be a number"),
        (lambda: v.positive_int(2.5, "epochs"), TypeError, "integer"),
        (lambda: v.positive_int(True, "epochs"), TypeError, "integer"),
        (lambda: v.labels(np.array([0, 5]), "y", num_classes=3), ValueError, r"0\.\.2"),
        (lambda: v.labels(np.array([0, 1]), "y", n=3), ValueError, "3 labels"),
        (lambda: v.same_shape(np.ones(2), np.ones(3), "a", "b"), ValueError, r"a and b must have the same shape"),
    ],
)
def test_errors_name_the_problem(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_labels_accepts_integral_floats():
    assert v.labels(np.array([0.0, 2.0]), "y").dtype == np.int64
