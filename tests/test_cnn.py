import numpy as np
import pytest
import torch

from cnnmath.cnn import lenet5_forward, lenet5_loss_and_grads, lenet5_params, lenet5_twin


def test_lenet5_has_61706_parameters():
    assert sum(v.size for v in lenet5_params().values()) == 61_706


def test_lenet5_gradients_equal_torch():
    rng = np.random.default_rng(0)
    p = lenet5_params(seed=1, dtype=np.float64)
    x, y = rng.normal(size=(3, 1, 28, 28)), rng.integers(0, 10, 3)
    loss, grads = lenet5_loss_and_grads(p, x, y)
    net, pairs = lenet5_twin(p)
    tl = torch.nn.functional.cross_entropy(net(torch.tensor(x)), torch.tensor(y))
    tl.backward()
    assert np.isclose(loss, tl.item(), rtol=1e-12)
    for idx, w, b in pairs:
        np.testing.assert_allclose(grads[w], net[idx].weight.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(grads[b], net[idx].bias.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_lenet5_rejects_other_image_sizes():
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        lenet5_forward(lenet5_params(), np.zeros((2, 1, 32, 32), np.float32))
