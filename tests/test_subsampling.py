"""Trainable subsampling: against its definition, finite differences, torch, as a layer."""

import numpy as np
import pytest
import torch

from cnnmath import layers as L
from cnnmath import torch_twin
from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance
from cnnmath.network import Sequential
from cnnmath.subsampling import subsample_backward, subsample_forward

from .twin_check import check_twin

RNG = np.random.default_rng(0)


def test_forward_is_the_definition():
    x = RNG.normal(size=(2, 3, 6, 4))
    w, b = RNG.normal(size=3), RNG.normal(size=3)
    y, _ = subsample_forward(x, w, b, 2)
    for n, c, i, j in np.ndindex(y.shape):
        want = w[c] * x[n, c, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2].sum() + b[c]
        assert np.isclose(y[n, c, i, j], want)
    # with w = 1/4 and b = 0 it is average pooling
    avg, _ = subsample_forward(x, np.full(3, 0.25), np.zeros(3), 2)
    assert np.allclose(avg, x.reshape(2, 3, 3, 2, 2, 2).mean(axis=(3, 5)))


@pytest.mark.parametrize("kernel,stride", [(2, None), (3, 2), ((2, 3), (1, 2))])
def test_backward_matches_finite_differences(kernel, stride):
    x = RNG.normal(size=(2, 2, 7, 8))
    w, b = RNG.normal(size=2), RNG.normal(size=2)
    y, cache = subsample_forward(x, w, b, kernel, stride)
    g = RNG.normal(size=y.shape)
    dx, dw, db = subsample_backward(g, cache)
    for got, arg in ((dx, x), (dw, w), (db, b)):

        def f(v, arg=arg):
            args = {id(x): x, id(w): w, id(b): b}
            args[id(arg)] = v
            return subsample_forward(args[id(x)], args[id(w)], args[id(b)], kernel, stride)[0]

        assert relative_error(got, numerical_gradient(f, arg, g)) < tolerance(np.float64)


def test_equals_torch():
    x = RNG.normal(size=(3, 4, 10, 10))
    w, b = RNG.normal(size=4), RNG.normal(size=4)
    layer = L.Subsampling(2)
    Sequential([layer], (4, 10, 10))  # built: the layer knows its input's shape
    m = torch_twin.module(layer, torch.float64)
    m.weight.data[:], m.bias.data[:] = torch.tensor(w), torch.tensor(b)
    tx = torch.tensor(x, requires_grad=True)
    ty = m(tx)
    g = RNG.normal(size=ty.shape)
    ty.backward(torch.tensor(g))
    y, cache = subsample_forward(x, w, b, 2)
    dx, dw, db = subsample_backward(g, cache)
    assert np.allclose(y, ty.detach().numpy())
    assert np.allclose(dx, tx.grad.numpy()) and np.allclose(dw, m.weight.grad.numpy())
    assert np.allclose(db, m.bias.grad.numpy())


def test_layer_twin_and_table():
    net = Sequential(
        [L.Subsampling(2, name="S2"), L.Tanh(), L.Flatten(), L.Dense(3)],
        (6, 28, 28),
    )
    state = net.init(0)
    assert state.params["S2"]["weight"].tolist() == [0.25] * 6
    s = net.summary()
    assert s.row("S2: subsample 2x2").params == 12 and net.layers[0].out_shape == (6, 14, 14)
    x, y = RNG.normal(size=(4, 6, 28, 28)), np.array([0, 1, 2, 1])
    check_twin(net, state, x, y)


def test_bad_inputs():
    with pytest.raises(ValueError, match="one entry per input channel"):
        subsample_forward(np.zeros((1, 3, 4, 4)), np.ones(2), np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        subsample_backward(
            np.zeros((1, 3, 3, 3)),
            subsample_forward(np.zeros((1, 3, 4, 4)), np.ones(3), np.zeros(3))[1],
        )
