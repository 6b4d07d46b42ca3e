"""Partially connected convolution (LeNet-5's C3): table, counts, finite differences, torch."""

import numpy as np
import pytest

from cnnmath import layers as L
from cnnmath.connection_table import (
    LENET5_C3_TABLE,
    check_table,
    connections,
    table_conv_backward,
    table_conv_forward,
)
from cnnmath.conv import conv2d_forward
from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance
from cnnmath.network import Sequential

from .twin_check import check_twin

RNG = np.random.default_rng(1)


def test_lenet5_table():
    t = LENET5_C3_TABLE
    # the paper's Table I, row by row (S2 map 0..5; X marks the C3 maps it feeds)
    rows = [
        "X   XXX  XXXX XX",
        "XX   XXX  XXXX X",
        "XXX   XXX  X XXX",
        " XXX  XXXX  X XX",
        "  XXX  XXXX XX X",
        "   XXX  XXXX XXX",
    ]
    assert t.tolist() == [[ch == "X" for ch in r] for r in rows]
    assert t.sum(axis=0).tolist() == [3] * 6 + [4] * 9 + [6] and t.sum() == 60
    # 60 kernels of 5x5 and 16 biases: the paper's 1,516 trainable parameters of C3
    assert 60 * 25 + 16 == 1516


def test_forward_is_a_masked_convolution():
    x = RNG.normal(size=(2, 6, 9, 9))
    w = RNG.normal(size=(60, 5, 5))
    b = RNG.normal(size=16)
    y, _ = table_conv_forward(x, w, b, LENET5_C3_TABLE)
    f, c = connections(LENET5_C3_TABLE)
    for k in range(16):  # each output map: the sum over its own input maps only
        want = b[k] + sum(
            conv2d_forward(x[:, [ci]], w[None, None, i])[0][:, 0]
            for i, ci in zip(np.flatnonzero(f == k), c[f == k])
        )
        assert np.allclose(y[:, k], want)


def test_backward_matches_finite_differences():
    table = np.array([[1, 0, 1], [1, 1, 0]], bool)
    x, w, b = RNG.normal(size=(2, 2, 6, 5)), RNG.normal(size=(4, 3, 2)), RNG.normal(size=3)
    y, cache = table_conv_forward(x, w, b, table, stride=(1, 2), padding=1)
    g = RNG.normal(size=y.shape)
    dx, dw, db = table_conv_backward(g, cache)
    num = {
        "x": numerical_gradient(lambda v: table_conv_forward(v, w, b, table, (1, 2), 1)[0], x, g),
        "w": numerical_gradient(lambda v: table_conv_forward(x, v, b, table, (1, 2), 1)[0], w, g),
        "b": numerical_gradient(lambda v: table_conv_forward(x, w, v, table, (1, 2), 1)[0], b, g),
    }
    for got, key in ((dx, "x"), (dw, "w"), (db, "b")):
        assert relative_error(got, num[key]) < tolerance(np.float64)


def test_layer_against_torch_and_counts():
    net = Sequential(
        [L.TableConv2d(LENET5_C3_TABLE, 5, name="C3"), L.Tanh(), L.Flatten(), L.Dense(4)],
        (6, 14, 14),
    )
    state = net.init(0)
    row = net.summary().row("C3: conv 16@5x5, table 60 of 96 maps")
    assert row.params == 1516 and row.macs == 10 * 10 * 60 * 25
    x, y = RNG.normal(size=(3, 6, 14, 14)), np.array([0, 3, 1])
    run = check_twin(net, state, x, y)
    assert set(run.twin.state_dict()) == set(state.flat("params"))
    np.testing.assert_allclose(net.predict_output(state, x), run.torch_out, rtol=1e-12)


def test_bad_tables():
    with pytest.raises(ValueError, match="bool"):
        check_table(np.ones((2, 2)))
    with pytest.raises(ValueError, match="read no input map"):
        check_table(np.array([[True, False], [True, False]]))
    with pytest.raises(ValueError, match="channels"):
        table_conv_forward(np.zeros((1, 3, 5, 5)), np.zeros((60, 5, 5)), None, LENET5_C3_TABLE)
    with pytest.raises(ValueError, match="60 connections"):
        table_conv_forward(np.zeros((1, 6, 5, 5)), np.zeros((59, 5, 5)), None, LENET5_C3_TABLE)


def test_lenet5_1998_against_its_twin():
    from cnnmath import zoo

    net = zoo.lenet5_1998()
    state = net.init(0, np.float64)
    x, y = RNG.normal(size=(2, 1, 32, 32)), np.array([4, 7])
    run = check_twin(net, state, x, y)
    np.testing.assert_allclose(net.predict_output(state, x), run.torch_out, rtol=1e-12)
    assert (net.n_params, net.n_buffers, sum(zoo.connections(net).values())) == (
        60_000,
        840,
        340_908,
    )
