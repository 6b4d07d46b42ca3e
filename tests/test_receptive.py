"""Receptive fields: the recurrence against hand counts and back-propagated one-hot gradients."""

import numpy as np
import pytest

from cnnmath import layers as L
from cnnmath import receptive, zoo
from cnnmath.network import NetworkError, Sequential


def _net(layers, shape=(1, 32, 32)):
    return Sequential(layers, shape)


def test_lenet_fields_by_hand():
    # 32x32 LeNet-5 (thesis §3.6.1): C1 sees 5x5; S2 6x6 (two C1 fields one pixel apart); C3 5 S2
    # outputs two pixels apart: 6 + 4*2 = 14; S4: 14 + 1*2 = 16, jump 4; the dense layers see 32x32.
    net = _net(
        [
            L.Conv2d(6, 5, name="C1"),
            L.ReLU(),
            L.MaxPool2d(2, name="S2"),
            L.Conv2d(16, 5, name="C3"),
            L.ReLU(),
            L.MaxPool2d(2, name="S4"),
            L.Flatten(),
            L.Dense(120, name="F5"),
        ]
    )
    f = {x.layer: x for x in receptive.receptive_fields(net)}
    assert [f[n].size[0] for n in ("C1", "S2", "C3", "S4")] == [5, 6, 14, 16]
    assert [f[n].jump[0] for n in ("C1", "S2", "C3", "S4")] == [1, 2, 2, 4]
    assert f["S4"].first == (0, 0) and f["S4"].centre == (7.5, 7.5)
    assert f["S4"].extent == ((0, 31), (0, 31)) and not f["F5"].spatial and f["flatten1"].spatial


def test_padding_moves_the_start_and_clips_the_extent():
    f = receptive.receptive_fields(_net([L.Conv2d(2, 5, padding=2)], (1, 28, 28)))[0]
    assert f.first == (-2, -2) and f.pixels((0, 0), (28, 28)).sum() == 3 * 3
    assert np.argwhere(f.pixels((10, 27), (28, 28)))[[0, -1]].tolist() == [[8, 25], [12, 27]]


def test_dilation_and_stride():
    # dilation 2 spreads a 3-tap kernel over 5 pixels; stride 2 doubles the jump of what follows
    net = _net(
        [
            L.Conv2d(2, 3, dilation=2, name="a"),
            L.Conv2d(2, 3, stride=2, name="b"),
            L.Conv2d(2, 3, name="c"),
        ],
        (1, 40, 40),
    )
    f = {x.layer: x for x in receptive.receptive_fields(net)}
    assert (f["a"].size[0], f["b"].size[0], f["c"].size[0]) == (5, 7, 11)
    assert (f["a"].jump[0], f["b"].jump[0], f["c"].jump[0]) == (1, 2, 2)
    # the dilated field has holes: pixels 0, 2, 4 of its 5; the next layer fills them
    assert f["a"].offsets[0] == (0, 2, 4) and not f["a"].solid and f["b"].solid


@pytest.mark.parametrize(
    "layers,shape",
    [
        (
            [
                L.Conv2d(3, 5, padding=2),
                L.Tanh(),
                L.AvgPool2d(2),
                L.Conv2d(4, 3, stride=2, padding=1),
                L.ReLU(),
                L.MaxPool2d(3, stride=1, padding=1),
                L.Flatten(),
                L.Dense(5),
            ],
            (2, 23, 19),
        ),
        (
            [
                L.Conv2d(4, (3, 5), dilation=(2, 1), padding=(1, 0)),
                L.BatchNorm(),
                L.MaxPool2d((2, 3), stride=(2, 1)),
                L.Dropout(0.5),
                L.Conv2d(2, 3, groups=2),
            ],
            (1, 25, 30),
        ),
    ],
)
def test_recurrence_equals_backpropagated_support(layers, shape):
    rows = receptive.check_receptive_fields(_net(layers, shape))
    assert rows and all(ok for *_, ok in rows), [r for r in rows if not r[2]]


def test_zoo_networks_agree():
    for net in (zoo.lenet5(), zoo.thesis_cnn()):
        assert all(ok for *_, ok in receptive.check_receptive_fields(net))


def test_the_check_can_fail(monkeypatch):
    # a recurrence that forgot the pooling window (field one pixel too small) is caught
    net = _net([L.Conv2d(1, 5), L.MaxPool2d(2)], (1, 20, 20))
    right = receptive.receptive_fields(net)
    assert right[1].size == (6, 6)
    support = receptive.gradient_support(net, right[1].layer, (4, 4))
    assert support.sum() == 36
    wrong = [
        right[0],
        receptive.Field(**{**right[1].__dict__, "size": (5, 5), "offsets": (tuple(range(5)),) * 2}),
    ]
    monkeypatch.setattr(receptive, "receptive_fields", lambda _net: wrong)
    assert [
        ok for layer, _, ok in receptive.check_receptive_fields(net) if layer == right[1].layer
    ] == [False] * 3


def test_real_gradient_lies_inside_the_field():
    # the trained-network gradient (max-pool switches, ReLUs off) is a subset of the field
    net = zoo.lenet5()
    state = net.init(3, np.float64)
    x = np.random.default_rng(0).random((1, 1, 28, 28))
    h, caches = net.forward(state, x, stop_at=net.layers[5].name)
    g = np.zeros_like(h)
    g[0, 3, 2, 2] = 1
    for layer, c in zip(reversed(net.layers[:6]), reversed(caches)):
        g, _ = layer.backward(state.params.get(layer.name, {}), g, c, need_dx=True)
    inside = receptive.receptive_fields(net)[5].pixels((2, 2), (28, 28))
    nz = g[0, 0] != 0
    assert nz.any() and not (nz & ~inside).any()


def test_bad_inputs():
    with pytest.raises(ValueError, match="image input"):
        receptive.receptive_fields(Sequential([L.Dense(3)], (5,)))
    net = _net([L.Conv2d(1, 3)], (1, 8, 8))
    with pytest.raises(KeyError, match="no layer named"):
        receptive.gradient_support(net, "nope")


def test_the_probe_is_a_network_of_its_own():
    # the probe copies the layers (max pooling as average pooling) into a network of its own: the
    # description it reads keeps its layers, their shapes and their owner
    layers = [L.Conv2d(2, 3, name="c"), L.MaxPool2d(2, name="p"), L.Flatten(), L.Dense(3)]
    net = _net(layers, (1, 10, 10))
    probe = receptive._Probe(net, 2)
    assert [type(layer).__name__ for layer in probe.net.layers][:2] == ["Conv2d", "AvgPool2d"]
    assert [layer.name for layer in probe.net.layers] == [layer.name for layer in net.layers]
    assert not any(a is b for a, b in zip(probe.net.layers, net.layers))
    assert probe.state.params["c"]["weight"].tolist() == [[[[1 / 9] * 3] * 3]] * 2
    assert probe.shapes == [(2, 2, 8, 8), (2, 2, 4, 4), (2, 32), (2, 3)]
    assert receptive.gradient_support(net, "p", (1, 1)).sum() == 4 * 4
    assert [layer.out_shape for layer in net.layers] == [(2, 8, 8), (2, 4, 4), (32,), (3,)]
    with pytest.raises(NetworkError, match="already belongs"):
        Sequential([layers[0]], (1, 10, 10))
