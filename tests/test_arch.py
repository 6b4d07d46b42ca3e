import math
import tracemalloc

import pytest

from cnnmath import zoo
from cnnmath.arch import summary
from cnnmath.chain_rule import parameter_count


def test_mlp_table_writes_each_count_out():
    s = summary(zoo.mlp((784, 128, 64, 10)))
    assert (s.weights, s.biases, s.total) == (109184, 202, 109386) and s.total == parameter_count(
        (784, 128, 64, 10)
    )
    assert s.title == "MLP 784-128-64-10" and s.row("dense1: dense 128").params == 100_480
    assert [r.formula for r in s.rows] == ["784*128 + 128", "", "128*64 + 64", "", "64*10 + 10"]
    assert "109,386" in s._repr_html_() and "784*128 + 128" in repr(s)
    assert "<td>784*128 + 128</td>" in s._repr_html_()
    assert "count" not in repr(summary(zoo.mlp((784, 128, 64, 10)), counts=False))


def test_mlp_table_rejects_bad_sizes():
    with pytest.raises(ValueError, match="at least"):
        summary(zoo.mlp([3]))
    with pytest.raises(ValueError):
        summary(zoo.mlp([3, 0]))


def test_counts_are_written_for_mlps_or_when_asked():
    from cnnmath import layers as L
    from cnnmath.network import Sequential

    lenet = zoo.lenet5()
    assert "count" not in repr(summary(lenet)) and not any(r.formula for r in lenet.summary().rows)
    rows = {r.name.split(":")[0]: r for r in summary(lenet, "LeNet-5", counts=True).rows}
    assert (rows["C1"].formula, rows["C3"].formula, rows["F5"].formula) == (
        "6*1*5*5 + 6",
        "16*6*5*5 + 16",
        "400*120 + 120",
    )
    for r in rows.values():  # each formula is the row's count
        terms = [math.prod(map(int, t.split("*"))) for t in r.formula.split(" + ") if t]
        assert sum(terms) == r.params, r.name
    plain = Sequential([L.Dense(3, bias=False), L.Dropout(0.5), L.Dense(2)], (4,))
    assert [r.formula for r in summary(plain).rows] == ["4*3", "", "3*2 + 2"]
    assert not any(r.formula for r in summary(Sequential([L.ReLU()], (4,))).rows)
    with pytest.raises(TypeError, match="counts must be True or False"):
        summary(plain, counts="yes")
    with pytest.raises(TypeError, match="title must be a str"):
        summary(plain, 3)
    with pytest.raises(TypeError, match="net must be a network description"):
        summary([L.Dense(3)])


def test_the_table_allocates_no_array():
    # AlexNet's 61 million parameters (244 MB in float32) are counted from the shapes alone
    net = zoo.alexnet()
    tracemalloc.start()
    try:
        table = summary(net)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert table.total == net.n_params > 60_000_000
    assert peak < 2**20, f"the table of {net.name} took {peak:,} bytes"


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
