import pytest

from cnnmath.arch import mlp_summary
from cnnmath.mlp import parameter_count


def test_summary_counts_and_rendering():
    s = mlp_summary((784, 128, 64, 10))
    assert (s.weights, s.biases, s.total) == (109184, 202, 109386) and s.total == parameter_count((784, 128, 64, 10))
    assert "109,386" in s._repr_html_() and "784*128 + 128" in repr(s)


def test_summary_rejects_bad_sizes():
    with pytest.raises(ValueError, match="at least"):
        mlp_summary([3])
    with pytest.raises(ValueError):
        mlp_summary([3, 0])
