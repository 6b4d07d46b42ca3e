"""Each layer class against its torch module: same output, same input gradient, same counts."""

import numpy as np
import pytest
import torch

from cnnmath import layers as L
from cnnmath import torch_twin
from cnnmath.network import Sequential

CASES = [
    (lambda: L.Conv2d(4, 3, stride=2, padding=1, dilation=1), (2, 9, 9)),
    (lambda: L.Conv2d(4, (3, 2), stride=(1, 2), padding=(2, 0), dilation=2, groups=2), (2, 9, 9)),
    (lambda: L.Conv2d(3, 1, bias=False), (2, 4, 4)),
    (lambda: L.MaxPool2d(3, stride=2, padding=1), (2, 7, 7)),
    (lambda: L.AvgPool2d(2), (3, 6, 6)),
    (lambda: L.Activation("elu"), (5,)),
    (lambda: L.Activation("leaky_relu"), (5,)),
    (L.Sigmoid, (5,)),
    (L.Flatten, (2, 3, 4)),
    (lambda: L.Dense(4, bias=False), (6,)),
    (lambda: L.BatchNorm(momentum=0.2, eps=1e-3), (3, 4, 4)),
    (L.BatchNorm, (6,)),
]


@pytest.mark.parametrize("make, shape", CASES)
def test_layer_equals_its_torch_module(make, shape, rng):
    layer = make()
    net = Sequential([layer], shape)
    state = net.init(3)
    module = torch_twin.twin(net, state, "cpu")[0]
    p, b = state.params.get(layer.name, {}), state.buffers.get(layer.name, {})
    x = rng.normal(size=(4, *shape))
    out, cache = layer.forward(p, x, training=True, rng=state.rng, buffers=b)
    tx = torch.tensor(x, requires_grad=True)
    tout = module.train()(tx)
    assert out.shape == tuple(tout.shape) and out.shape[1:] == layer.out_shape
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    dout = rng.normal(size=out.shape)
    dx, grads = layer.backward(p, dout, cache)
    tout.backward(torch.tensor(dout))
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert set(grads) == {name for name, _ in module.named_parameters()}
    for name, q in module.named_parameters():
        np.testing.assert_allclose(grads[name], q.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name, v in b.items():  # batch norm's running statistics moved as torch's did
        np.testing.assert_allclose(v, module.state_dict()[name].numpy(), rtol=1e-12, atol=1e-14)
    assert sum(int(np.prod(s)) for s in layer.param_shapes().values()) == sum(
        p.numel() for p in module.parameters()
    )


def test_multiply_adds_are_counted_per_output():
    conv = L.Conv2d(8, 3, padding=1, groups=2)
    conv.build((4, 5, 5))
    assert conv.macs() == 8 * 5 * 5 * (4 // 2) * 9
    dense = L.Dense(7)
    dense.build((3,))
    assert dense.macs() == 21 and L.ReLU().macs() == 0


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: L.Conv2d(0, 3), "filters"),
        (lambda: L.Conv2d(3, 0), "kernel_size"),
        (lambda: L.Conv2d(3, 3, stride=0), "stride"),
        (lambda: L.Conv2d(3, 3, init="zeros"), "initialization rule"),
        (lambda: L.Dense(-1), "units"),
        (lambda: L.Activation("swish"), "unknown activation"),
        (lambda: L.BatchNorm(momentum=2), "momentum"),
        (lambda: L.MaxPool2d((2, 2, 2)), "kernel_size"),
    ],
)
def test_bad_hyperparameters_fail_when_the_layer_is_made(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()
