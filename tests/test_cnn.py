import numpy as np
import pytest
import torch

from cnnmath import zoo
from cnnmath.cnn import lenet5_forward, lenet5_loss_and_grads, lenet5_params
from cnnmath.torch_twin import grads as twin_grads


def test_lenet5_has_61706_parameters():
    assert sum(v.size for v in lenet5_params().values()) == 61_706


def test_lenet5_gradients_equal_torch():
    rng = np.random.default_rng(0)
    p = lenet5_params(seed=1, dtype=np.float64)
    x, y = rng.normal(size=(3, 1, 28, 28)), rng.integers(0, 10, 3)
    loss, grads = lenet5_loss_and_grads(p, x, y)
    net = zoo.lenet5(seed=1, dtype=np.float64)  # the same weights, described as a list of layers
    twin = net.twin("cpu")
    tl = torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y))
    tl.backward()
    assert np.isclose(loss, tl.item(), rtol=1e-12)
    tg = twin_grads(net, twin)
    for name in ("C1", "C3", "F5", "F6", "F7"):
        np.testing.assert_allclose(grads[name], tg[f"{name}.weight"], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(grads[name.lower()], tg[f"{name}.bias"], rtol=1e-9, atol=1e-12)


def test_lenet5_rejects_other_image_sizes():
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        lenet5_forward(lenet5_params(), np.zeros((2, 1, 32, 32), np.float32))
