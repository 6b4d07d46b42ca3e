"""Euclidean RBF output units: against the definition, finite differences and torch."""

import numpy as np
import pytest

from cnnmath import layers as L
from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance
from cnnmath.network import Sequential
from cnnmath.rbf import rbf_backward, rbf_forward

from .twin_check import check_twin

RNG = np.random.default_rng(2)


def test_forward_and_backward():
    x, w = RNG.normal(size=(4, 7)), RNG.normal(size=(3, 7))
    y, cache = rbf_forward(x, w)
    assert np.allclose(y, ((x[:, None] - w[None]) ** 2).sum(-1))
    g = RNG.normal(size=y.shape)
    dx, dw = rbf_backward(g, cache)
    assert relative_error(dx, numerical_gradient(lambda v: rbf_forward(v, w)[0], x, g)) < tolerance(
        np.float64
    )
    assert relative_error(dw, numerical_gradient(lambda v: rbf_forward(x, v)[0], w, g)) < tolerance(
        np.float64
    )


@pytest.mark.parametrize("trainable", [False, True])
def test_layer_against_torch(trainable):
    net = Sequential(
        [L.Dense(84, name="F6"), L.Tanh(), L.EuclideanRBF(10, trainable=trainable, name="out")],
        (12,),
    )
    state = net.init(0)
    s = net.summary()
    assert (s.total, s.non_trainable) == (
        (12 * 84 + 84 + 840, 0) if trainable else (12 * 84 + 84, 840)
    )
    w = (state.params if trainable else state.buffers)["out"]["weight"]
    assert set(np.unique(w)) == {-1.0, 1.0}
    x, y = RNG.normal(size=(5, 12)), np.array([0, 9, 3, 3, 1])
    run = check_twin(net, state, x, y)
    np.testing.assert_allclose(net.predict_output(state, x), run.torch_out, rtol=1e-12)


def test_bad_inputs():
    with pytest.raises(ValueError, match="prototype of length 3"):
        rbf_forward(np.zeros((2, 3)), np.zeros((4, 5)))
    with pytest.raises(ValueError, match="prototypes must have shape"):
        L.EuclideanRBF(10, prototypes=np.zeros((9, 4)))


def test_the_squared_distance_is_never_negative_near_a_prototype():
    # |x|^2 - 2 x.w + |w|^2 gave -2.8e-14 here: the expansion cancels to rounding noise
    w = RNG.normal(size=(3, 84)) * 10
    x = np.vstack([w[1], w[1] + 1e-9, w[2] * (1 + 1e-15)])
    y, _ = rbf_forward(x, w)
    assert np.all(y >= 0) and y[0, 1] == 0.0
    exact = ((x[:, None].astype(np.longdouble) - w[None]) ** 2).sum(-1)
    assert np.allclose(y, exact.astype(np.float64), rtol=1e-14, atol=0)
    y32, _ = rbf_forward(x.astype(np.float32), w.astype(np.float32))
    assert y32.dtype == np.float32 and np.all(y32 >= 0)
