"""The named networks: the list-built LeNet-5 equals the hand-unrolled one; the thesis CNN's counts."""

import numpy as np
import pytest
import torch

from cnnmath import cnn, zoo
from cnnmath.torch_twin import grads as twin_grads

HAND = {
    "C1": "C1.weight",
    "c1": "C1.bias",
    "C3": "C3.weight",
    "c3": "C3.bias",
    "F5": "F5.weight",
    "f5": "F5.bias",
    "F6": "F6.weight",
    "f6": "F6.bias",
    "F7": "F7.weight",
    "f7": "F7.bias",
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_list_built_lenet5_equals_hand_unrolled(dtype, rng):
    net, p = zoo.lenet5(seed=4, dtype=dtype), cnn.lenet5_params(seed=4, dtype=dtype)
    for a, b in HAND.items():
        np.testing.assert_array_equal(p[a], net.params[b])
    x, y = rng.normal(size=(5, 1, 28, 28)).astype(dtype), rng.integers(0, 10, 5)
    loss_hand, g_hand = cnn.lenet5_loss_and_grads(p, x, y)
    loss_net, g_net, _ = net.loss_and_grads(x, y)
    assert loss_hand == loss_net
    assert set(g_net) == set(HAND.values())
    for a, b in HAND.items():  # the same calls in the same order: equal to the last bit
        np.testing.assert_array_equal(g_hand[a], g_net[b])


def test_lenet5_counts_and_twin(rng):
    net = zoo.lenet5(dtype=np.float64)
    table = net.summary()
    assert (
        table.total == net.n_params == 61_706 == sum(v.size for v in cnn.lenet5_params().values())
    )
    assert table.rows[0].macs == 6 * 28 * 28 * 25 and table.rows[3].macs == 16 * 10 * 10 * 6 * 25
    x, y = rng.normal(size=(3, 1, 28, 28)), rng.integers(0, 10, 3)
    loss, grads, _ = net.loss_and_grads(x, y)
    twin = net.twin("cpu")
    tl = torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y))
    tl.backward()
    assert np.isclose(loss, tl.item(), rtol=1e-12)
    for k, g in twin_grads(net, twin).items():
        np.testing.assert_allclose(grads[k], g, rtol=1e-9, atol=1e-12)


def test_thesis_cnn_counts_equal_its_twin():
    net = zoo.thesis_cnn()
    table = net.summary()
    twin = net.twin("cpu")
    assert table.trainable == net.n_params == sum(p.numel() for p in twin.parameters())
    # the thesis's own count of the non-trainable numbers: 2 * (32 * 2) + 2 * (64 * 2)
    assert table.non_trainable == net.n_buffers == 2 * (32 * 2) + 2 * (64 * 2)
    h = torch.zeros((1, 1, 28, 28))
    for layer, module in zip(net.layers, twin.eval()):
        h = module(h)
        assert tuple(h.shape[1:]) == layer.out_shape, layer.name
