"""AlexNet in the zoo: the two-tower network, the single-tower variant of torchvision, and the
AlexNet-style network for Fashion-MNIST."""

import numpy as np
import pytest
import torch

from cnnmath import layers as L
from cnnmath.conv import output_size
from cnnmath.lrn import ALEXNET
from cnnmath.network import NetworkError
from cnnmath.torch_twin import grads as twin_grads
from cnnmath.zoo import (
    TORCHVISION_ALEXNET_NAMES,
    alexnet,
    alexnet_fashion,
    alexnet_one_tower,
    torchvision_alexnet,
)


@pytest.fixture(scope="module")
def net227():
    return alexnet()


def test_alexnet_shapes_and_counts(net227):
    shapes = {layer.name: layer.out_shape for layer in net227.layers}
    assert shapes["conv1"] == (96, 55, 55) and shapes["pool1"] == (96, 27, 27)
    assert shapes["conv2"] == (256, 27, 27) and shapes["pool2"] == (256, 13, 13)
    assert shapes["conv5"] == (256, 13, 13) and shapes["flatten"] == (9216,)
    assert net227.output_shape == (1000,)
    # F (C/g k^2 + 1) per convolution and (in + 1) out per dense layer, from the paper's description
    expected = {
        "conv1": 96 * (3 * 11 * 11 + 1),
        "conv2": 256 * (48 * 5 * 5 + 1),
        "conv3": 384 * (256 * 9 + 1),
        "conv4": 384 * (192 * 9 + 1),
        "conv5": 256 * (192 * 9 + 1),
        "fc6": 4096 * (9216 + 1),
        "fc7": 4096 * (4096 + 1),
        "fc8": 1000 * (4096 + 1),
    }
    for name, n in expected.items():
        assert sum(v.size for k, v in net227.params.items() if k.startswith(name + ".")) == n, name
    assert net227.n_params == sum(expected.values())
    groups = {layer.name: layer.groups for layer in net227.layers if isinstance(layer, L.Conv2d)}
    assert groups == {"conv1": 1, "conv2": 2, "conv3": 1, "conv4": 2, "conv5": 2}
    lrns = [layer for layer in net227.layers if isinstance(layer, L.LRN)]
    assert [x.name for x in lrns] == ["lrn1", "lrn2"]
    assert all((x.size, x.alpha, x.beta, x.k) == tuple(ALEXNET.values()) for x in lrns)
    assert net227.summary().total == net227.n_params


def test_alexnet_at_224():
    assert output_size(224, 11, 4) == 54 and output_size(227, 11, 4) == 55
    n224 = alexnet(224, dtype=np.float32)
    assert n224.layer("conv1").out_shape == (96, 54, 54) and n224.layer("flatten").out_shape == (
        6400,
    )
    del n224
    padded = alexnet(224, conv1_padding=2)
    assert padded.layer("conv1").out_shape == (96, 55, 55) and padded.n_params == 60_965_224


def test_one_tower_is_torchvisions_alexnet():
    net = alexnet_one_tower()
    tv = torchvision_alexnet()
    assert net.n_params == sum(p.numel() for p in tv.parameters()) == 61_100_840
    state = {
        f"{TORCHVISION_ALEXNET_NAMES[k.split('.')[0]]}.{k.split('.')[1]}": torch.from_numpy(v)
        for k, v in net.params.items()
    }
    assert set(state) == set(tv.state_dict())
    tv.load_state_dict(state)
    x = np.random.default_rng(0).normal(size=(1, 3, 224, 224)).astype(np.float32)
    with torch.no_grad():
        ours = net.twin("cpu").eval()(torch.from_numpy(x))
        theirs = tv.eval()(torch.from_numpy(x))
        assert tuple(tv.features(torch.from_numpy(x)).shape) == (1, 256, 6, 6)  # avgpool: identity
    assert torch.equal(ours, theirs)


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
    net = alexnet_fashion(activation, dropout=0.0, overlapping=overlapping, dtype=np.float64)
    assert not any(isinstance(layer, L.Dropout) for layer in net.layers)
    x, y = rng.random((4, 1, 28, 28)), rng.integers(0, 10, 4)
    loss, grads, _ = net.loss_and_grads(x, y)
    twin = net.twin("cpu")
    tl = torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y))
    tl.backward()
    assert np.isclose(loss, tl.item(), rtol=1e-12)
    for k, v in twin_grads(net, twin).items():
        np.testing.assert_allclose(grads[k], v, rtol=1e-9, atol=1e-13, err_msg=k)


def test_fashion_net_bad_settings():
    with pytest.raises(ValueError, match="unknown"):
        alexnet_fashion("softplusish")
    with pytest.raises(NetworkError, match="conv2"):
        alexnet_fashion(widths=(7, 16, 24, 24, 16))  # 7 channels cannot split into 2 groups
