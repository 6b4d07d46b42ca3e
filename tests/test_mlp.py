import numpy as np
import pytest
import sympy as sp
import torch

from cnnmath import activations as act
from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance
from cnnmath.losses import softmax_cross_entropy_forward
from cnnmath.mlp import MLP, mlp_forward, parameter_count
from cnnmath.torch_twin import grads as twin_grads
from cnnmath.torch_twin import mlp_twin


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
    assert parameter_count(sizes) == want == MLP.create(sizes).n_params


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "elu"])
def test_gradients_match_torch_and_finite_differences(activation, rng):
    model = MLP.create((5, 7, 6, 4), activation, seed=1)
    x, y = rng.normal(size=(9, 5)), rng.integers(0, 4, 9)
    loss, grads, _ = model.loss_and_grads(x, y)
    twin = mlp_twin(model)
    tl = torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y))
    tl.backward()
    assert np.isclose(loss, tl.item(), rtol=1e-12)
    net = model.as_network()
    tg = {
        f"{'W' if k.endswith('weight') else 'b'}{k[5]}": v for k, v in twin_grads(net, twin).items()
    }
    assert set(tg) == set(grads)
    for k in grads:
        assert relative_error(grads[k], tg[k]) < 1e-12, k
    for k in ("W1", "b2", "W3"):

        def f(t, k=k):
            p = dict(model.params, **{k: t})
            return softmax_cross_entropy_forward(mlp_forward(p, x, activation)[0], y)[0]

        assert relative_error(grads[k], numerical_gradient(f, model.params[k])) < tolerance(
            np.float64
        ), k


def test_backward_matches_sympy_exact_gradient():
    sizes = (2, 3, 2)
    W1 = sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"w1_{i}{j}", real=True))
    W2 = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"w2_{i}{j}", real=True))
    x = sp.Matrix([sp.Rational(1, 2), -1])
    h = (W1 * x).applyfunc(sp.tanh)
    z = W2 * h
    E = -sp.log(act.sym_softmax(z)[1])
    model = MLP.create(sizes, "tanh", seed=0)
    values = {
        **{W1[i]: v for i, v in enumerate(model.params["W1"].ravel())},
        **{W2[i]: v for i, v in enumerate(model.params["W2"].ravel())},
    }
    _, grads, _ = model.loss_and_grads(np.array([[0.5, -1.0]]), np.array([1]))
    exact1 = np.array([float(sp.diff(E, W1[i]).subs(values)) for i in range(6)]).reshape(3, 2)
    exact2 = np.array([float(sp.diff(E, W2[i]).subs(values)) for i in range(6)]).reshape(2, 3)
    np.testing.assert_allclose(grads["W1"], exact1, rtol=1e-10)
    np.testing.assert_allclose(grads["W2"], exact2, rtol=1e-10)


def test_float32_stays_float32(rng):
    model = MLP.create((6, 5, 3), dtype=np.float32)
    _, grads, logits = model.loss_and_grads(
        rng.normal(size=(4, 6)).astype(np.float32), np.array([0, 1, 2, 0])
    )
    assert logits.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())


def test_images_are_flattened_and_bad_input_reported(rng):
    model = MLP.create((16, 4, 3))
    assert model.predict(rng.normal(size=(5, 1, 4, 4))).shape == (5,)
    with pytest.raises(ValueError, match="expects 16 input features"):
        model.forward(rng.normal(size=(5, 15)))
    with pytest.raises(ValueError, match=r"0\.\.2"):
        model.loss_and_grads(rng.normal(size=(2, 16)), np.array([0, 3]))
    with pytest.raises(ValueError, match="unknown activation"):
        MLP.create((3, 2), "swish")
    with pytest.raises(ValueError, match="at least an input and an output"):
        parameter_count([5])


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_mlp_equals_the_same_network_as_a_list_of_layers(activation, rng):
    model = MLP.create((6, 5, 4, 3), activation, seed=2)
    net = model.as_network()
    assert [layer.name for layer in net.layers] == [
        "dense1",
        f"{activation}1",
        "dense2",
        f"{activation}2",
        "dense3",
    ]
    assert net.n_params == model.n_params and net.params["dense2.weight"] is model.params["W2"]
    x, y = rng.normal(size=(7, 6)), rng.integers(0, 3, 7)
    loss, grads, logits = model.loss_and_grads(x, y)
    loss_n, grads_n, logits_n = net.loss_and_grads(x, y)
    assert loss == loss_n
    np.testing.assert_array_equal(logits, logits_n)
    for l in (1, 2, 3):
        np.testing.assert_array_equal(grads[f"W{l}"], grads_n[f"dense{l}.weight"])
        np.testing.assert_array_equal(grads[f"b{l}"], grads_n[f"dense{l}.bias"])
