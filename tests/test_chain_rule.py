"""The chain rule written out: the hand-unrolled MLP and LeNet-5 against torch, finite differences
and SymPy, and equal to the zoo's descriptions of the same networks (same seed, same draws, same
outputs and gradients to the last bit)."""

import numpy as np
import pytest
import sympy as sp
import torch

from cnnmath import activations as act
from cnnmath import zoo
from cnnmath.chain_rule import (
    init_params,
    lenet5_forward,
    lenet5_loss_and_grads,
    lenet5_params,
    mlp_backward,
    mlp_forward,
    mlp_loss_and_grads,
    parameter_count,
)
from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance
from cnnmath.losses import softmax_cross_entropy_backward, softmax_cross_entropy_forward
from cnnmath.torch_twin import grads as twin_grads
from cnnmath.torch_twin import twin

#: LeNet-5's hand-written names and the zoo network's (layer, array) for each
LENET5_NAMES = {
    hand: (hand.upper(), "weight" if hand[0].isupper() else "bias")
    for hand in ("C1", "c1", "C3", "c3", "F5", "f5", "F6", "f6", "F7", "f7")
}


def mlp_names(n_layers: int) -> dict[str, tuple[str, str]]:
    """The MLP's hand-written names and the zoo network's: ``W2`` is ``dense2``'s ``weight``."""
    return {
        f"{p}{l}": (f"dense{l}", array)
        for l in range(1, n_layers + 1)
        for p, array in (("W", "weight"), ("b", "bias"))
    }


def rule(activation: str) -> str:
    """zoo.mlp's default initialization for ``activation``."""
    return "he_normal" if activation in ("relu", "leaky_relu", "elu") else "glorot_normal"


def torch_loss_and_grads(net, state, x, y):
    """The loss and the gradients of the network's torch twin, nested like ``state.params``."""
    module = twin(net, state, "cpu")
    loss = torch.nn.functional.cross_entropy(module(torch.tensor(x)), torch.tensor(y))
    loss.backward()
    return loss.item(), twin_grads(state, module)


# -- the MLP ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sizes, want",
    [
        ((784, 128, 64, 10), 109386),
        ((784, 128, 64, 32, 10), 111146),
        ((4, 8, 6, 3), 115),
        ((13, 8, 6, 1), 173),
    ],
)
def test_parameter_count(sizes, want):
    n_params = sum(v.size for v in init_params(sizes).values())
    assert parameter_count(sizes) == want == n_params == zoo.mlp(sizes).n_params


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "elu"])
def test_mlp_gradients_match_torch_and_finite_differences(activation, rng):
    sizes = (5, 7, 6, 4)
    params = init_params(sizes, rule(activation), seed=1)
    x, y = rng.normal(size=(9, 5)), rng.integers(0, 4, 9)
    loss, grads, _ = mlp_loss_and_grads(params, x, y, activation)
    net = zoo.mlp(sizes, activation)
    torch_loss, torch_grads = torch_loss_and_grads(net, net.init(seed=1), x, y)
    assert np.isclose(loss, torch_loss, rtol=1e-12)
    names = mlp_names(3)
    assert set(grads) == set(names)
    for hand, (layer, array) in names.items():
        assert relative_error(grads[hand], torch_grads[layer][array]) < 1e-12, hand
    for k in ("W1", "b2", "W3"):

        def f(t, k=k):
            p = dict(params, **{k: t})
            return softmax_cross_entropy_forward(mlp_forward(p, x, activation)[0], y)[0]

        assert relative_error(grads[k], numerical_gradient(f, params[k])) < tolerance(np.float64), k


def test_mlp_backward_matches_sympy_exact_gradient():
    sizes = (2, 3, 2)
    W1 = sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"w1_{i}{j}", real=True))
    W2 = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"w2_{i}{j}", real=True))
    x = sp.Matrix([sp.Rational(1, 2), -1])
    h = (W1 * x).applyfunc(sp.tanh)
    z = W2 * h
    E = -sp.log(act.sym_softmax(z)[1])
    params = init_params(sizes, "glorot_normal", seed=0)
    values = {
        **{W1[i]: v for i, v in enumerate(params["W1"].ravel())},
        **{W2[i]: v for i, v in enumerate(params["W2"].ravel())},
    }
    exact1 = np.array([float(sp.diff(E, W1[i]).subs(values)) for i in range(6)]).reshape(3, 2)
    exact2 = np.array([float(sp.diff(E, W2[i]).subs(values)) for i in range(6)]).reshape(2, 3)
    xb, yb = np.array([[0.5, -1.0]]), np.array([1])
    _, grads, _ = mlp_loss_and_grads(params, xb, yb, "tanh")
    net = zoo.mlp(sizes, "tanh")
    _, zoo_grads, _ = net.loss_and_grads(net.init(seed=0), xb, yb)
    by_zoo = (zoo_grads["dense1"]["weight"], zoo_grads["dense2"]["weight"])
    for g1, g2 in ((grads["W1"], grads["W2"]), by_zoo):
        np.testing.assert_allclose(g1, exact1, rtol=1e-10)
        np.testing.assert_allclose(g2, exact2, rtol=1e-10)


def test_float32_stays_float32(rng):
    x, y = rng.normal(size=(4, 6)).astype(np.float32), np.array([0, 1, 2, 0])
    _, grads, logits = mlp_loss_and_grads(init_params((6, 5, 3), dtype=np.float32), x, y)
    assert logits.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())
    net = zoo.mlp((6, 5, 3))
    _, grads, logits = net.loss_and_grads(net.init(seed=0, dtype=np.float32), x, y)
    assert logits.dtype == np.float32
    assert all(g.dtype == np.float32 for arrays in grads.values() for g in arrays.values())


def test_images_are_flattened_and_bad_input_reported(rng):
    params = init_params((16, 4, 3))
    images = rng.normal(size=(5, 1, 4, 4))
    logits, _ = mlp_forward(params, images)
    np.testing.assert_array_equal(logits, mlp_forward(params, images.reshape(5, 16))[0])
    with pytest.raises(ValueError, match="15 features per example but w expects 16"):
        mlp_forward(params, rng.normal(size=(5, 15)))
    with pytest.raises(ValueError, match=r"0\.\.2"):
        mlp_loss_and_grads(params, rng.normal(size=(2, 16)), np.array([0, 3]))
    with pytest.raises(ValueError, match="unknown activation"):
        mlp_forward(params, images, "swish")
    with pytest.raises(ValueError, match="at least an input and an output"):
        parameter_count([5])
    net = zoo.mlp((16, 4, 3))  # the zoo's MLP takes flat inputs and says so
    state = net.init(seed=0)
    with pytest.raises(ValueError, match=r"takes a batch of shape \(N, 16\)"):
        net.forward(state, rng.normal(size=(5, 15)))
    with pytest.raises(ValueError, match=r"0\.\.2"):
        net.loss_and_grads(state, rng.normal(size=(2, 16)), np.array([0, 3]))
    with pytest.raises(ValueError, match="activation must be one of"):
        zoo.mlp((3, 2), "swish")


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mlp_equals_the_zoo_mlp(activation, dtype, rng):
    sizes = (6, 5, 4, 3)
    net = zoo.mlp(sizes, activation)
    assert [layer.name for layer in net.layers] == [
        "dense1",
        f"{activation}1",
        "dense2",
        f"{activation}2",
        "dense3",
    ]
    state = net.init(seed=2, dtype=dtype)
    params = init_params(sizes, rule(activation), seed=2, dtype=dtype)
    names = mlp_names(3)
    assert net.n_params == state.n_params == parameter_count(sizes)
    for hand, (layer, array) in names.items():  # the same seed draws the same numbers
        np.testing.assert_array_equal(params[hand], state.params[layer][array])
    x, y = rng.normal(size=(7, 6)).astype(dtype), rng.integers(0, 3, 7)
    loss, grads, logits = mlp_loss_and_grads(params, x, y, activation)
    loss_n, grads_n, logits_n = net.loss_and_grads(state, x, y)
    assert loss == loss_n
    np.testing.assert_array_equal(logits, logits_n)
    for hand, (layer, array) in names.items():  # the same calls in the same order: to the bit
        np.testing.assert_array_equal(grads[hand], grads_n[layer][array])
    # and backward alone, from any upstream gradient
    g = rng.normal(size=(7, 3)).astype(dtype)
    _, caches = net.forward(state, x, training=True)
    by_hand = mlp_backward(g, mlp_forward(params, x, activation)[1], activation)
    by_net = net.backward(state, g, caches)
    for hand, (layer, array) in names.items():
        np.testing.assert_array_equal(by_hand[hand], by_net[layer][array])


def test_mlp_loss_and_grads_is_forward_loss_backward(rng):
    params = init_params((4, 3, 2), seed=0)
    x, y = rng.normal(size=(6, 4)), rng.integers(0, 2, 6)
    logits, caches = mlp_forward(params, x)
    loss, lc = softmax_cross_entropy_forward(logits, y)
    delta = softmax_cross_entropy_backward(1.0, lc)
    grads = mlp_backward(delta, caches)
    np.testing.assert_allclose(delta, (act.softmax(logits) - np.eye(2)[y]) / 6, rtol=1e-12)
    np.testing.assert_allclose(grads["b2"], delta.sum(axis=0), rtol=1e-12)
    loss_all, grads_all, logits_all = mlp_loss_and_grads(params, x, y)
    assert loss == loss_all and set(grads) == set(grads_all) == {"W1", "b1", "W2", "b2"}
    np.testing.assert_array_equal(logits, logits_all)
    for k, v in grads_all.items():
        np.testing.assert_array_equal(grads[k], v)


# -- LeNet-5 ------------------------------------------------------------------------------------
def test_lenet5_has_61706_parameters():
    assert sum(v.size for v in lenet5_params().values()) == 61_706 == zoo.lenet5().n_params


def test_lenet5_gradients_equal_torch():
    rng = np.random.default_rng(0)
    p = lenet5_params(seed=1, dtype=np.float64)
    x, y = rng.normal(size=(3, 1, 28, 28)), rng.integers(0, 10, 3)
    loss, grads = lenet5_loss_and_grads(p, x, y)
    net = zoo.lenet5()  # the same network, described as a list of layers, the same seed
    torch_loss, torch_grads = torch_loss_and_grads(net, net.init(seed=1, dtype=np.float64), x, y)
    assert np.isclose(loss, torch_loss, rtol=1e-12)
    for hand, (layer, array) in LENET5_NAMES.items():
        np.testing.assert_allclose(
            grads[hand], torch_grads[layer][array], rtol=1e-9, atol=1e-12, err_msg=hand
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lenet5_equals_the_zoo_lenet5(dtype, rng):
    net = zoo.lenet5()
    state, p = net.init(seed=4, dtype=dtype), lenet5_params(seed=4, dtype=dtype)
    assert set(state.params) == {layer for layer, _ in LENET5_NAMES.values()}
    for hand, (layer, array) in LENET5_NAMES.items():  # the same seed draws the same numbers
        np.testing.assert_array_equal(p[hand], state.params[layer][array])
    x, y = rng.normal(size=(5, 1, 28, 28)).astype(dtype), rng.integers(0, 10, 5)
    logits, _ = lenet5_forward(p, x)
    np.testing.assert_array_equal(logits, net.forward(state, x)[0])
    loss_hand, g_hand = lenet5_loss_and_grads(p, x, y)
    loss_net, g_net, _ = net.loss_and_grads(state, x, y)
    assert loss_hand == loss_net
    for hand, (layer, array) in LENET5_NAMES.items():  # the same calls in the same order
        np.testing.assert_array_equal(g_hand[hand], g_net[layer][array])


def test_lenet5_rejects_other_image_sizes():
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        lenet5_forward(lenet5_params(), np.zeros((2, 1, 32, 32), np.float32))
