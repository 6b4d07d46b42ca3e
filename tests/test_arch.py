import pytest

from cnnmath.arch import mlp_summary
from cnnmath.mlp import parameter_count


def test_summary_counts_and_rendering():
    s = mlp_summary((784, 128, 64, 10))
    assert (s.weights, s.biases, s.total) == (109184, 202, 109386) and s.total == parameter_count(
        (784, 128, 64, 10)
    )
    assert "109,386" in s._repr_html_() and "784*128 + 128" in repr(s)


def test_summary_rejects_bad_sizes():
    with pytest.raises(ValueError, match="at least"):
        mlp_summary([3])
    with pytest.raises(ValueError):
        mlp_summary([3, 0])


def test_network_table_columns_and_text():
    from cnnmath import layers as L
    from cnnmath.network import Sequential

    net = Sequential(
        [L.Conv2d(2, 3), L.BatchNorm(), L.Flatten(), L.Dense(4)], (1, 5, 5), dtype="float32"
    )
    s = net.summary("small")
    conv, bn, flat, dense = s.rows
    assert (conv.output, conv.weights, conv.biases, conv.macs, conv.memory) == (
        "2x3x3",
        18,
        2,
        2 * 9 * 9,
        18 * 4,
    )
    assert (bn.params, bn.non_trainable, flat.output, dense.macs) == (4, 4, "18", 18 * 4)
    assert (s.total, s.non_trainable, s.macs) == (20 + 4 + 76, 4, 162 + 72)
    text, page = repr(s), s._repr_html_()
    for word in ("non-trainable", "multiply-adds", "activations (float32)", "conv1: conv 2@3x3"):
        assert word in text and word in page
