import numpy as np
import pytest
import torch

from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance
from cnnmath.pool import (avgpool_backward, avgpool_backward_naive, avgpool_forward, avgpool_forward_naive,
                          maxpool_backward, maxpool_backward_naive, maxpool_forward, maxpool_forward_naive)

CONFIGS = [((2, 3, 6, 6), 2, None, 0), ((2, 3, 7, 6), 3, 2, 1), ((1, 1, 5, 5), 3, 1, 0), ((2, 2, 9, 8), (3, 2), (2, 1), (1, 1)),
           ((1, 2, 4, 4), 4, None, 0), ((3, 1, 5, 7), (2, 3), 1, (1, 1))]
KINDS = {"max": (maxpool_forward, maxpool_backward, maxpool_forward_naive, maxpool_backward_naive, torch.nn.functional.max_pool2d),
         "avg": (avgpool_forward, avgpool_backward, avgpool_forward_naive, avgpool_backward_naive, torch.nn.functional.avg_pool2d)}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape, k, s, p", CONFIGS)
def test_vectorized_naive_torch_and_finite_differences_agree(kind, shape, k, s, p):
    fwd, bwd, fwd_n, bwd_n, tfn = KINDS[kind]
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)
    out, cache = fwd(x, k, s, p)
    G = rng.normal(size=out.shape)
    dx = bwd(G, cache)
    out_n, cache_n = fwd_n(x, k, s, p)
    np.testing.assert_allclose(out, out_n, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(dx, bwd_n(G, cache_n), rtol=1e-14, atol=1e-15)
    tx = torch.tensor(x, requires_grad=True)
    t_out = tfn(tx, k, s, p)
    t_out.backward(torch.tensor(G))
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-14, atol=1e-15)
    assert relative_error(dx, numerical_gradient(lambda t: fwd(t, k, s, p)[0], x, G)) < tolerance(np.float64)


def test_max_pool_ties_go_to_the_first_maximum_like_torch():
    x = np.array([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 1.0, 3.0], [0.0, 0.0, 5.0, 5.0], [0.0, 0.0, 5.0, 5.0]]]])
    out, cache = maxpool_forward(x, 2)
    dx = maxpool_backward(np.ones_like(out), cache)
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(tx, 2).sum().backward()
    np.testing.assert_array_equal(dx, tx.grad.numpy())
    assert dx.sum() == out.size  # each window's gradient is routed once, not once per tied input


def test_overlapping_windows_accumulate():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0  # the centre wins all four overlapping 2x2 windows
    out, cache = maxpool_forward(x, 2, 1)
    assert maxpool_backward(np.ones_like(out), cache)[0, 0, 1, 1] == 4.0
    out, cache = avgpool_forward(x, 2, 1)
    assert avgpool_backward(np.ones_like(out), cache)[0, 0, 1, 1] == 1.0  # 4 windows x 1/4


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: maxpool_forward(np.ones((1, 1, 4, 4)), 2, padding=2), "at most half the window"),
        (lambda: maxpool_forward(np.ones((1, 1, 3, 3)), 5), "kernel spans 5 pixels"),
        (lambda: avgpool_forward(np.ones((1, 1, 4, 4)), 2, stride=0), "stride must be >= 1"),
        (lambda: avgpool_forward(np.ones((4, 4)), 2), "dimension"),
        (lambda: maxpool_backward(np.ones((1, 1, 3, 3)), maxpool_forward(np.ones((1, 1, 4, 4)), 2)[1]), "output's shape"),
    ],
)
def test_bad_input_is_reported(call, pattern):
    with pytest.raises((ValueError, TypeError), match=pattern):
        call()
