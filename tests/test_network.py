"""The network mechanism: one description gives NumPy training, the torch twin and the table."""

import numpy as np
import pytest
import torch

from cnnmath import layers as L
from cnnmath import torch_twin, zoo
from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance
from cnnmath.losses import softmax_cross_entropy_backward, softmax_cross_entropy_forward
from cnnmath.network import NetworkError, Sequential
from cnnmath.optim import Optimizer
from cnnmath.train import evaluate, fit, load_checkpoint


def small_cnn(dropout=0.0):
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
    return Sequential(layers, (2, 8, 8))


def _twin_keys(twin: torch.nn.Module) -> set[str]:
    return {k for k in twin.state_dict() if not k.endswith("num_batches_tracked")}


def test_names_shapes_and_keys_follow_torch():
    net = small_cnn()
    state = net.init(0)
    assert [layer.name for layer in net.layers][:5] == [
        "conv1",
        "relu1",
        "bn1",
        "maxpool1",
        "conv2",
    ]
    assert net.output_shape == (3,)
    twin = torch_twin.twin(net, state, "cpu")
    assert _twin_keys(twin) == set(state.flat("params")) | set(state.flat("buffers"))
    assert net.n_params == sum(p.numel() for p in twin.parameters())
    assert net.n_buffers == sum(
        b.numel() for k, b in twin.named_buffers() if not k.endswith("num_batches_tracked")
    )


def test_table_shapes_equal_torch_shapes():
    net = small_cnn()
    twin = torch_twin.twin(net, net.init(0), "cpu")
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
    state = net.init(0)
    for name, buffers in state.buffers.items():  # make batch norm's evaluation mode non-trivial
        channels = net.layer(name).in_shape[0]
        buffers["running_mean"][...] = rng.normal(size=channels)
        buffers["running_var"][...] = rng.uniform(0.5, 2, size=channels)
    twin = torch_twin.twin(net, state, "cpu").train(training)
    x, y = rng.normal(size=(6, 2, 8, 8)), rng.integers(0, 3, 6)
    if training:
        loss, grads, out = net.loss_and_grads(state, x, y)
    else:
        out, caches = net.forward(state, x, training=False)
        loss, lc = softmax_cross_entropy_forward(out, y)
        grads = net.backward(state, softmax_cross_entropy_backward(1.0, lc), caches)
    tl = torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y))
    tl.backward()
    assert np.isclose(loss, tl.item(), rtol=1e-12)
    tg = torch_twin.grads(state, twin)
    assert {(n, k) for n in tg for k in tg[n]} == {(n, k) for n in grads for k in grads[n]}
    for name in grads:
        for k in grads[name]:
            # a bias right before batch norm has a zero gradient in training mode (the mean
            # removes it): both sides are rounding noise there, hence the absolute floor
            np.testing.assert_allclose(
                grads[name][k], tg[name][k], rtol=1e-10, atol=1e-15, err_msg=f"{name}.{k}"
            )
    if training:  # running statistics moved the same way
        for k, v in state.flat("buffers").items():
            np.testing.assert_allclose(v, twin.state_dict()[k].numpy(), rtol=1e-12, atol=1e-14)


def test_gradients_equal_finite_differences(rng):
    net = small_cnn()
    state = net.init(0)
    x, y = rng.normal(size=(4, 2, 8, 8)), rng.integers(0, 3, 4)
    _, grads, _ = net.loss_and_grads(state, x, y)
    # batch norm's running statistics change with every training-mode call; the loss does not
    # depend on them
    for name, k in (
        ("conv1", "weight"),
        ("bn1", "bias"),
        ("conv2", "bias"),
        ("dense1", "weight"),
        ("bn2", "weight"),
        ("dense2", "bias"),
    ):

        def f(t, name=name, k=k):
            old = state.params[name][k]
            state.params[name][k] = t
            try:
                return net.loss_and_grads(state, x, y)[0]
            finally:
                state.params[name][k] = old

        numeric = numerical_gradient(f, state.params[name][k].copy())
        assert relative_error(grads[name][k], numeric) < tolerance(np.float64), (name, k)


def test_twin_weights_round_trip(rng):
    net = small_cnn()
    twin = torch_twin.twin(net, net.init(1), "cpu")
    with torch.no_grad():
        for p in twin.parameters():
            p.add_(torch.randn_like(p))
    other = net.init(2)
    torch_twin.load(other, twin)
    for k, v in other.flat("params").items():
        np.testing.assert_array_equal(v, twin.state_dict()[k].numpy())
    x = rng.normal(size=(3, 2, 8, 8))
    np.testing.assert_allclose(
        net.forward(other, x)[0], twin.eval()(torch.tensor(x)).detach().numpy(), rtol=1e-12
    )


def test_dropout_is_seeded_and_off_in_evaluation(rng):
    x = rng.normal(size=(5, 2, 8, 8))
    net = small_cnn(dropout=0.5)
    a, b = net.init(0), net.init(0)
    np.testing.assert_array_equal(
        net.forward(a, x, training=True)[0], net.forward(b, x, training=True)[0]
    )
    np.testing.assert_array_equal(net.forward(a, x)[0], net.forward(a, x)[0])


def test_fit_trains_and_checkpoints_buffers(tmp_path, rng):
    x = rng.normal(size=(64, 2, 8, 8))
    y = (x[:, 0].mean(axis=(1, 2)) > 0).astype(int)
    net = small_cnn()
    state = net.init(0)
    hist = fit(
        net,
        state,
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
    assert set(ck["buffers"]) == set(state.flat("buffers"))
    for k, v in state.flat("buffers").items():
        np.testing.assert_array_equal(ck["buffers"][k], v)
    assert evaluate(net, state, x, y)[1] == hist.val_acc[-1]


def test_regression_network_with_mse(rng):
    net = Sequential([L.Flatten(), L.Dense(6), L.Tanh(), L.Dense(4)], (2, 2), loss="mse")
    state = net.init(0)
    x = rng.normal(size=(32, 2, 2))
    y = x.reshape(32, 4) * 0.5
    hist = fit(
        net,
        state,
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
        net.predict_proba(state, x)


# -- the contract: a description, and states apart --------------------------------------------


def _arrays_in(obj: object, seen: set[int] | None = None) -> list[str]:
    """Paths of every NumPy array or torch tensor reachable from ``obj``'s attributes."""
    seen = set() if seen is None else seen
    if id(obj) in seen or isinstance(obj, (str, bytes, int, float, bool, type(None), type)):
        return []
    seen.add(id(obj))
    if isinstance(obj, (np.ndarray, torch.Tensor)):
        return [f"{type(obj).__name__} of {obj.dtype}"]
    if isinstance(obj, dict):
        items = list(obj.items())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = list(enumerate(obj))
    elif hasattr(obj, "__dict__"):
        items = list(vars(obj).items())
    else:
        return []
    return [f"{k}.{path}" for k, v in items for path in _arrays_in(v, seen)]


def test_the_description_holds_no_arrays():
    net = small_cnn(dropout=0.5)
    assert _arrays_in(net) == []
    state = net.init(0)
    net.loss_and_grads(state, np.ones((2, 2, 8, 8)), np.array([0, 2]))
    net.summary()
    assert _arrays_in(net) == []  # running it and tabulating it leaves nothing behind
    assert _arrays_in(state) != []  # the probe does find arrays where they are
    with pytest.raises(AttributeError):
        net.params  # noqa: B018 (the old network held its parameters; the description does not)


@pytest.mark.parametrize(
    "make",
    [
        zoo.lenet5,
        zoo.lenet5_1998,
        zoo.thesis_cnn,
        zoo.alexnet,
        zoo.autoencoder,
        lambda: zoo.mlp([4, 3]),
    ],
)
def test_zoo_descriptions_hold_no_numbers(make):
    # the one array a zoo description holds is LeNet-5's C3 connection table: which input maps
    # each filter reads, a bool hyperparameter of the layer like its kernel size, not a state
    net = make()
    found = _arrays_in(net)
    assert found == (["layers.4.table.ndarray of bool"] if net.name.endswith("1998") else [])


def test_init_is_repeatable_and_states_are_independent():
    net = small_cnn(dropout=0.5)
    a, b, c = net.init(3), net.init(3), net.init(4)
    assert (a.seed, a.dtype, c.seed) == (3, np.dtype(np.float64), 4)
    for k, v in a.flat().items():
        np.testing.assert_array_equal(v, b.flat()[k])
        assert not np.shares_memory(v, b.flat()[k]), k
    assert not np.array_equal(a.params["conv1"]["weight"], c.params["conv1"]["weight"])
    b.params["conv1"]["weight"] += 1.0  # changing one state leaves the other alone
    b.buffers["bn1"]["running_mean"] += 1.0
    assert not np.array_equal(a.params["conv1"]["weight"], b.params["conv1"]["weight"])
    np.testing.assert_array_equal(a.buffers["bn1"]["running_mean"], 0.0)
    x = np.ones((4, 2, 8, 8))
    first = net.forward(a, x, training=True)[0]  # dropout draws from the state's own generator
    np.testing.assert_array_equal(first, net.forward(net.init(3), x, training=True)[0])
    copy = a.copy()
    np.testing.assert_array_equal(
        net.forward(a, x, training=True)[0], net.forward(copy, x, training=True)[0]
    )
    copy.params["dense2"]["bias"] += 1.0
    assert not np.array_equal(a.params["dense2"]["bias"], copy.params["dense2"]["bias"])
    f32 = net.init(3, np.float32)
    assert f32.dtype == np.float32 and all(v.dtype == np.float32 for v in f32.flat().values())
    np.testing.assert_allclose(
        f32.params["conv1"]["weight"], a.params["conv1"]["weight"], rtol=1e-6
    )
    assert net.forward(f32, x)[0].dtype == np.float32


def test_a_state_of_another_network_is_refused(rng):
    net, other = small_cnn(), small_cnn()
    net.init(0)
    assert net.check_state(other.init(0)) is not None  # the same layers and shapes: accepted
    wider = Sequential([L.Flatten(), L.Dense(4), L.Dense(3)], (2, 8, 8))
    foreign = wider.init(0)
    x = rng.normal(size=(2, 2, 8, 8))
    for call in (
        lambda: net.forward(foreign, x),
        lambda: net.outputs(foreign, x),
        lambda: net.predict_output(foreign, x),
        lambda: net.loss_and_grads(foreign, x, np.array([0, 1])),
        lambda: torch_twin.twin(net, foreign, "cpu"),
        lambda: evaluate(net, foreign, x, np.array([0, 1])),
    ):
        with pytest.raises(ValueError, match="made for another network"):
            call()
    with pytest.raises(TypeError, match=r"state must be a cnnmath.network.State"):
        net.forward(foreign.flat(), x)
    with pytest.raises(TypeError, match=r"state must be a cnnmath.network.State"):
        net.forward(x, x)


def test_stop_at_and_outputs_agree_with_the_full_forward(rng):
    net = small_cnn()
    state = net.init(0)
    x = rng.normal(size=(3, 2, 8, 8))
    full, caches = net.forward(state, x)
    everything = net.outputs(state, x)
    assert list(everything) == [layer.name for layer in net.layers] and len(caches) == 13
    np.testing.assert_array_equal(everything["dense2"], full)
    h = x
    for layer in net.layers:  # each kept output is its layer applied to the one before
        p, b = state.params.get(layer.name, {}), state.buffers.get(layer.name, {})
        h = layer.forward(p, h, training=False, rng=state.rng, buffers=b)[0]
        np.testing.assert_array_equal(everything[layer.name], h, err_msg=layer.name)
    for name in ("conv1", "maxpool1", "flatten1", "dense1"):
        out, caches = net.forward(state, x, stop_at=name)
        np.testing.assert_array_equal(out, everything[name])
        assert len(caches) == net.layers.index(net.layer(name)) + 1
        np.testing.assert_array_equal(net.predict_output(state, x, stop_at=name), everything[name])
        np.testing.assert_allclose(  # in batches of 2: BLAS may round a smaller batch otherwise
            net.predict_output(state, x, batch_size=2, stop_at=name), everything[name], rtol=1e-12
        )
    some = net.outputs(state, x, names=["dense1", "conv1"])
    assert set(some) == {"conv1", "dense1"}
    for k, v in some.items():
        np.testing.assert_array_equal(v, everything[k])
    assert list(net.outputs(state, x, stop_at="bn1")) == ["conv1", "relu1", "bn1"]
    with pytest.raises(ValueError, match="comes after stop_at"):
        net.outputs(state, x, names=["dense1"], stop_at="bn1")
    with pytest.raises(KeyError, match=r"stop_at: no layer named 'conv9'"):
        net.forward(state, x, stop_at="conv9")
    with pytest.raises(KeyError, match=r"names: no layer named 'conv9'"):
        net.outputs(state, x, names=["conv9"])
    with pytest.raises(TypeError, match="names must be a list"):
        net.outputs(state, x, names="conv1")


def test_backward_gradients_are_nested_like_the_parameters(rng):
    net = small_cnn()
    state = net.init(0, np.float32)
    loss, grads, out = net.loss_and_grads(state, rng.normal(size=(4, 2, 8, 8)), [0, 1, 2, 0])
    assert list(grads) == list(state.params) == ["conv1", "bn1", "conv2", "dense1", "bn2", "dense2"]
    for name, arrays in state.params.items():
        assert list(grads[name]) == list(arrays), name
        for k, v in arrays.items():
            assert grads[name][k].shape == v.shape and grads[name][k].dtype == np.float32, (name, k)
    assert out.dtype == np.float32 and np.isfinite(loss)


def test_counts_from_shapes_equal_the_state():
    for net in (small_cnn(), Sequential([L.Dense(7), L.ReLU(), L.Dense(2)], (5,))):
        for dtype in (np.float32, np.float64):
            state = net.init(0, dtype)
            assert net.n_params == state.n_params == net.summary().total
            assert net.n_buffers == state.n_buffers == net.summary().non_trainable
    assert small_cnn().n_params == (3 * 2 * 9 + 3) + 2 * 3 + (4 * 3 * 4 + 4) + (
        5 * 16 + 5
    ) + 2 * 5 + (3 * 5 + 3)


def test_state_flat_keys_are_the_twin_state_dict_keys():
    net = small_cnn()
    state = net.init(0)
    twin = torch_twin.twin(net, state, "cpu")
    assert set(state.flat()) == _twin_keys(twin)
    assert set(state.flat("params")) == {k for k, _ in twin.named_parameters()}
    assert state.flat("params")["conv1.weight"] is state.params["conv1"]["weight"]  # no copies
    with pytest.raises(ValueError, match="which must be"):
        state.flat("grads")


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
    state = net.init(0)
    with pytest.raises(ValueError, match=r"batch of shape \(N, 2, 8, 8\)"):
        net.forward(state, rng.normal(size=(2, 8, 8)))
    with pytest.raises(ValueError, match="one cache per layer"):
        net.backward(state, np.zeros((2, 3)), [])


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
    out, _ = first.forward(first.init(0), np.zeros((2, 1, 8, 8)))
    assert out.shape == (2, 3)
    # a copy is a new layer; a network that failed to build does not keep its layers
    second = Sequential([copy.deepcopy(conv), L.Flatten(), L.Dense(3)], (1, 12, 12))
    assert second.layers[0].out_shape == (4, 10, 10) and conv.out_shape == (4, 6, 6)
    dense = L.Dense(3)
    with pytest.raises(NetworkError):
        Sequential([dense], (1, 8, 8))  # Dense needs a flat input
    Sequential([L.Flatten(), dense], (1, 8, 8))
