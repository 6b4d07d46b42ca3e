"""AlexNet in the zoo: the two-tower network, the single-tower variant of torchvision, and the
AlexNet-style network for Fashion-MNIST."""

import numpy as np
import pytest
import torch

from cnnmath import layers as L
from cnnmath.conv import output_size
from cnnmath.lrn import ALEXNET
from cnnmath.network import NetworkError
from cnnmath.torch_twin import twin
from cnnmath.zoo import (
    TORCHVISION_ALEXNET_NAMES,
    alexnet,
    alexnet_fashion,
    alexnet_one_tower,
    torchvision_alexnet,
)

from .twin_check import check_twin

#: F (C/g k^2 + 1) per convolution and (in + 1) out per dense layer, from the paper's description
PAPER_COUNTS = {
    "conv1": 96 * (3 * 11 * 11 + 1),
    "conv2": 256 * (48 * 5 * 5 + 1),
    "conv3": 384 * (256 * 9 + 1),
    "conv4": 384 * (192 * 9 + 1),
    "conv5": 256 * (192 * 9 + 1),
    "fc6": 4096 * (9216 + 1),
    "fc7": 4096 * (4096 + 1),
    "fc8": 1000 * (4096 + 1),
}


def test_alexnet_shapes_and_counts():
    net = alexnet()
    shapes = {layer.name: layer.out_shape for layer in net.layers}
    assert shapes["conv1"] == (96, 55, 55) and shapes["pool1"] == (96, 27, 27)
    assert shapes["conv2"] == (256, 27, 27) and shapes["pool2"] == (256, 13, 13)
    assert shapes["conv5"] == (256, 13, 13) and shapes["flatten"] == (9216,)
    assert net.output_shape == (1000,)
    counts = {
        layer.name: sum(int(np.prod(s)) for s in layer.param_shapes().values())
        for layer in net.layers
        if layer.param_shapes()
    }
    assert counts == PAPER_COUNTS
    assert net.n_params == sum(PAPER_COUNTS.values()) == 60_965_224
    groups = {layer.name: layer.groups for layer in net.layers if isinstance(layer, L.Conv2d)}
    assert groups == {"conv1": 1, "conv2": 2, "conv3": 1, "conv4": 2, "conv5": 2}
    lrns = [layer for layer in net.layers if isinstance(layer, L.LRN)]
    assert [x.name for x in lrns] == ["lrn1", "lrn2"]
    assert all((x.size, x.alpha, x.beta, x.k) == tuple(ALEXNET.values()) for x in lrns)
    table = net.summary()
    assert table.total == net.n_params and table.rows[0].macs == 96 * 55 * 55 * 3 * 11 * 11


def test_alexnet_state_has_the_described_arrays():
    """The 61 million numbers exist only in a state: one array per described shape."""
    net = alexnet()
    state = net.init(seed=0)
    assert state.dtype == np.float32 and state.n_params == net.n_params
    assert {
        name: sum(v.size for v in arrays.values()) for name, arrays in state.params.items()
    } == (PAPER_COUNTS)
    for name, arrays in state.params.items():
        assert {k: v.shape for k, v in arrays.items()} == net.layer(name).param_shapes()


def test_alexnet_at_224():
    assert output_size(224, 11, 4) == 54 and output_size(227, 11, 4) == 55
    n224 = alexnet(224)
    assert n224.layer("conv1").out_shape == (96, 54, 54)
    assert n224.layer("flatten").out_shape == (6400,)
    padded = alexnet(224, conv1_padding=2)
    assert padded.layer("conv1").out_shape == (96, 55, 55) and padded.n_params == 60_965_224


def test_one_tower_is_torchvisions_alexnet():
    net = alexnet_one_tower()
    state = net.init(seed=0)
    tv = torchvision_alexnet()
    assert net.n_params == sum(p.numel() for p in tv.parameters()) == 61_100_840
    theirs = {
        f"{TORCHVISION_ALEXNET_NAMES[name]}.{k}": torch.from_numpy(v)
        for name, arrays in state.params.items()
        for k, v in arrays.items()
    }
    assert set(theirs) == set(tv.state_dict())
    tv.load_state_dict(theirs)
    x = np.random.default_rng(0).normal(size=(1, 3, 224, 224)).astype(np.float32)
    with torch.no_grad():
        ours = twin(net, state, "cpu").eval()(torch.from_numpy(x))
        tv_out = tv.eval()(torch.from_numpy(x))
        assert tuple(tv.features(torch.from_numpy(x)).shape) == (1, 256, 6, 6)  # avgpool: identity
    assert torch.equal(ours, tv_out)


@pytest.mark.parametrize("overlapping", [True, False])
def test_fashion_net_shapes(overlapping):
    net = alexnet_fashion(overlapping=overlapping)
    pools = [layer for layer in net.layers if isinstance(layer, L.MaxPool2d)]
    assert [p.out_shape[1] for p in pools] == [14, 7, 3]
    assert all(
        p.kernel == ((3, 3) if overlapping else (2, 2)) and p.stride == (2, 2) for p in pools
    )
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds.count("Conv2d") == 5 and kinds.count("LRN") == 2 and kinds.count("Dense") == 3
    assert kinds.count("Dropout") == 2 and net.output_shape == (10,)
    assert [layer.groups for layer in net.layers if isinstance(layer, L.Conv2d)] == [1, 2, 1, 2, 2]


@pytest.mark.parametrize("activation, overlapping", [("relu", True), ("tanh", False)])
def test_fashion_net_equals_its_twin(activation, overlapping):
    rng = np.random.default_rng(3)
    net = alexnet_fashion(activation, dropout=0.0, overlapping=overlapping)
    assert not any(isinstance(layer, L.Dropout) for layer in net.layers)
    x, y = rng.random((4, 1, 28, 28)), rng.integers(0, 10, 4)
    run = check_twin(net, net.init(seed=0, dtype=np.float64), x, y)
    assert len(run.grads) == 16  # 5 convolutions and 3 dense layers, weights and biases


def test_fashion_net_bad_settings():
    with pytest.raises(ValueError, match="unknown"):
        alexnet_fashion("softplusish")
    with pytest.raises(NetworkError, match="conv2"):
        alexnet_fashion(widths=(7, 16, 24, 24, 16))  # 7 channels cannot split into 2 groups
