"""The network mechanism: one description gives NumPy training, the torch twin and the table."""

import numpy as np
import pytest
import torch

from cnnmath import layers as L
from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance
from cnnmath.network import NetworkError, Sequential
from cnnmath.optim import Optimizer
from cnnmath.train import evaluate, fit, load_checkpoint


def small_cnn(dtype=np.float64, seed=0, dropout=0.0):
    layers = [
        L.Conv2d(3, 3, padding=1),
        L.ReLU(),
        L.BatchNorm(),
        L.MaxPool2d(2),
        L.Conv2d(4, 2, stride=1, groups=1),
        L.Tanh(),
        L.AvgPool2d(2, stride=1),
        L.Flatten(),
        L.Dense(5),
        L.BatchNorm(),
        L.Sigmoid(),
        L.Dropout(dropout),
        L.Dense(3),
    ]
    return Sequential(layers, (2, 8, 8), seed=seed, dtype=dtype)


def test_names_shapes_and_keys_follow_torch():
    net = small_cnn()
    assert [layer.name for layer in net.layers][:5] == [
        "conv1",
        "relu1",
        "bn1",
        "maxpool1",
        "conv2",
    ]
    assert net.output_shape == (3,)
    twin = net.twin("cpu")
    assert set(twin.state_dict()) - {
        k for k in twin.state_dict() if k.endswith("num_batches_tracked")
    } == set(net.params) | set(net.buffers)
    assert net.n_params == sum(p.numel() for p in twin.parameters())
    assert net.n_buffers == sum(
        b.numel() for k, b in twin.named_buffers() if not k.endswith("num_batches_tracked")
    )


def test_table_shapes_equal_torch_shapes():
    net = small_cnn()
    twin = net.twin("cpu")
    h = torch.zeros((2, *net.input_shape), dtype=torch.float64)
    table = net.summary()
    for layer, module, row in zip(net.layers, twin, table.rows):
        h = module.eval()(h)
        assert tuple(h.shape[1:]) == layer.out_shape
        assert row.output == "x".join(map(str, h.shape[1:]))
    assert table.total == net.n_params and table.non_trainable == net.n_buffers == 2 * (3 + 5)


@pytest.mark.parametrize("training", [True, False])
def test_forward_and_backward_equal_torch(training, rng):
    net = small_cnn()
    for layer in net.layers:  # make batch norm's evaluation mode non-trivial
        if isinstance(layer, L.BatchNorm):
            net.buffers[f"{layer.name}.running_mean"][...] = rng.normal(size=layer.in_shape[0])
            net.buffers[f"{layer.name}.running_var"][...] = rng.uniform(
                0.5, 2, size=layer.in_shape[0]
            )
    twin = net.twin("cpu").train(training)
    x, y = rng.normal(size=(6, 2, 8, 8)), rng.integers(0, 3, 6)
    if training:
        loss, grads, out = net.loss_and_grads(x, y)
    else:
        out, caches = net.forward(x, training=False)
        from cnnmath.losses import softmax_cross_entropy_backward, softmax_cross_entropy_forward

        loss, lc = softmax_cross_entropy_forward(out, y)
        grads = net.backward(softmax_cross_entropy_backward(1.0, lc), caches)
    tl = torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y))
    tl.backward()
    assert np.isclose(loss, tl.item(), rtol=1e-12)
    from cnnmath.torch_twin import grads as twin_grads

    tg = twin_grads(net, twin)
    assert set(tg) == set(grads)
    for k in grads:
        # a bias right before batch norm has a zero gradient in training mode (the mean removes it):
        # both sides are rounding noise there, hence the absolute floor
        np.testing.assert_allclose(grads[k], tg[k], rtol=1e-10, atol=1e-15, err_msg=k)
    if training:  # running statistics moved the same way
        for k, v in net.buffers.items():
            np.testing.assert_allclose(v, twin.state_dict()[k].numpy(), rtol=1e-12, atol=1e-14)


def test_gradients_equal_finite_differences(rng):
    net = small_cnn()
    x, y = rng.normal(size=(4, 2, 8, 8)), rng.integers(0, 3, 4)
    _, grads, _ = net.loss_and_grads(x, y)
    # batch norm's running statistics change with every training-mode call; the loss does not depend on them
    for k in (
        "conv1.weight",
        "bn1.bias",
        "conv2.bias",
        "dense1.weight",
        "bn2.weight",
        "dense2.bias",
    ):

        def f(t, k=k):
            old = net.params[k]
            net.params[k] = t
            try:
                return net.loss_and_grads(x, y)[0]
            finally:
                net.params[k] = old

        assert relative_error(grads[k], numerical_gradient(f, net.params[k].copy())) < tolerance(
            np.float64
        ), k


def test_twin_weights_round_trip(rng):
    net = small_cnn(seed=1)
    twin = net.twin("cpu")
    with torch.no_grad():
        for p in twin.parameters():
            p.add_(torch.randn_like(p))
    other = small_cnn(seed=2)
    other.load_twin(twin)
    for k, v in other.params.items():
        np.testing.assert_array_equal(v, twin.state_dict()[k].numpy())
    x = rng.normal(size=(3, 2, 8, 8))
    np.testing.assert_allclose(
        other.forward(x)[0], twin.eval()(torch.tensor(x)).detach().numpy(), rtol=1e-12
    )


def test_dropout_is_seeded_and_off_in_evaluation(rng):
    x = rng.normal(size=(5, 2, 8, 8))
    a, b = small_cnn(dropout=0.5), small_cnn(dropout=0.5)
    np.testing.assert_array_equal(a.forward(x, training=True)[0], b.forward(x, training=True)[0])
    np.testing.assert_array_equal(a.forward(x)[0], a.forward(x)[0])


def test_fit_trains_and_checkpoints_buffers(tmp_path, rng):
    x = rng.normal(size=(64, 2, 8, 8))
    y = (x[:, 0].mean(axis=(1, 2)) > 0).astype(int)
    net = small_cnn()
    hist = fit(
        net,
        Optimizer("adam", 1e-2),
        x,
        y,
        epochs=25,
        batch_size=16,
        x_val=x,
        y_val=y,
        progress=False,
        checkpoint=tmp_path / "ck.npz",
    )
    assert hist.train_loss[-1] < hist.train_loss[0] and hist.val_acc[-1] > 0.8
    ck = load_checkpoint(tmp_path / "ck.npz")
    assert set(ck["buffers"]) == set(net.buffers)
    for k, v in net.buffers.items():
        np.testing.assert_array_equal(ck["buffers"][k], v)
    assert evaluate(net, x, y)[1] == hist.val_acc[-1]


def test_regression_network_with_mse(rng):
    net = Sequential([L.Flatten(), L.Dense(6), L.Tanh(), L.Dense(4)], (2, 2), loss="mse")
    x = rng.normal(size=(32, 2, 2))
    y = x.reshape(32, 4) * 0.5
    hist = fit(
        net,
        Optimizer("adam", 1e-2),
        x,
        y,
        epochs=30,
        batch_size=8,
        x_val=x,
        y_val=y,
        progress=False,
    )
    assert hist.val_loss[-1] < 0.2 * hist.val_loss[0] and np.isnan(hist.train_acc[-1])
    with pytest.raises(ValueError, match="classifier"):
        net.predict_proba(x)


@pytest.mark.parametrize(
    "layers, shape, message",
    [
        ([L.Conv2d(4, 7)], (1, 5, 5), r"layer 0 \(conv1: Conv2d\).*\(1, 5, 5\).*kernel spans 7"),
        (
            [L.Conv2d(4, 3), L.Dense(10)],
            (1, 5, 5),
            r"layer 1 \(dense1: Dense\).*\(4, 3, 3\).*Flatten",
        ),
        ([L.Flatten(), L.Dense(10, in_features=24)], (1, 5, 5), r"in_features=24.*25 features"),
        ([L.Conv2d(4, 3, groups=3)], (2, 5, 5), r"not divisible by groups=3"),
        ([L.MaxPool2d(3)], (1, 2, 2), r"maxpool1.*\(1, 2, 2\)"),
        ([L.Dense(3)], (4, 4), r"flat input"),
        ([L.BatchNorm()], (2, 3), r"\(C,\) or \(C, H, W\)"),
    ],
)
def test_bad_descriptions_fail_when_built(layers, shape, message):
    with pytest.raises(NetworkError, match=message):
        Sequential(layers, shape)


def test_bad_networks_and_inputs_are_reported(rng):
    relu = L.ReLU()
    with pytest.raises(NetworkError, match="appears twice"):
        Sequential([relu, relu], (3,))
    with pytest.raises(NetworkError, match="unique"):
        Sequential([L.ReLU(name="a"), L.Tanh(name="a")], (3,))
    with pytest.raises(NetworkError, match="not a cnnmath.layers.Layer"):
        Sequential([torch.nn.ReLU()], (3,))
    with pytest.raises(NetworkError, match="unknown loss"):
        Sequential([L.ReLU()], (3,), loss="hinge")
    with pytest.raises(NetworkError, match="positive integers"):
        Sequential([L.ReLU()], (3, 0))
    with pytest.raises(ValueError, match="identifier"):
        L.ReLU(name="a.b")
    with pytest.raises(ValueError, match="dropout probability"):
        L.Dropout(1.0)
    net = small_cnn()
    with pytest.raises(ValueError, match=r"batch of shape \(N, 2, 8, 8\)"):
        net.forward(rng.normal(size=(2, 8, 8)))
    with pytest.raises(ValueError, match="one cache per layer"):
        net.backward(np.zeros((2, 3)), [])


def test_a_layer_of_one_network_is_refused_by_another():
    # issue 18: reusing a layer object silently rebuilt it for the second network, so the first
    # one's summary reported the second one's shapes
    import copy

    conv = L.Conv2d(4, 3, name="c")
    first = Sequential([conv, L.Flatten(), L.Dense(3)], (1, 8, 8))
    before = first.summary().rows[0].output
    with pytest.raises(NetworkError, match="already belongs to the network"):
        Sequential([conv, L.Flatten(), L.Dense(3)], (1, 12, 12))
    assert first.summary().rows[0].output == before and conv.out_shape == (4, 6, 6)
    out, _ = first.forward(np.zeros((2, 1, 8, 8)))
    assert out.shape == (2, 3)
    # a copy is a new layer; a network that failed to build does not keep its layers
    second = Sequential([copy.deepcopy(conv), L.Flatten(), L.Dense(3)], (1, 12, 12))
    assert second.layers[0].out_shape == (4, 10, 10) and conv.out_shape == (4, 6, 6)
    dense = L.Dense(3)
    with pytest.raises(NetworkError):
        Sequential([dense], (1, 8, 8))  # Dense needs a flat input
    Sequential([L.Flatten(), dense], (1, 8, 8))
