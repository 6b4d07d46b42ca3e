import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings

from cnnmath.conv import (
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_forward,
    conv2d_forward_naive,
    conv2d_input_gradient_by_full_convolution,
    conv_geometry,
    flip,
    output_size,
)
from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance

from .strategies import conv_configs

TOL = tolerance(np.float64)
TORCH_RTOL = 1e-10  # float64; sums of up to a few hundred products, accumulated in different orders


def _torch(x, w, b, cfg, G):
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    out = torch.nn.functional.conv2d(
        tx, tw, tb, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"]
    )
    out.backward(torch.tensor(G))
    return out.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()


@settings(max_examples=40)
@given(conv_configs())
def test_vectorized_equals_naive_equals_torch(cfg):
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=cfg["x_shape"]), rng.normal(size=cfg["w_shape"])
    b = rng.normal(size=cfg["w_shape"][0])
    hp = {k: cfg[k] for k in ("stride", "padding", "dilation", "groups")}
    out, cache = conv2d_forward(x, w, b, **hp)
    G = rng.normal(size=out.shape)
    dx, dw, db = conv2d_backward(G, cache)
    out_n, cache_n = conv2d_forward_naive(x, w, b, **hp)
    dx_n, dw_n, db_n = conv2d_backward_naive(G, cache_n)
    t_out, t_dx, t_dw, t_db = _torch(x, w, b, cfg, G)
    for ours, naive, theirs in (
        (out, out_n, t_out),
        (dx, dx_n, t_dx),
        (dw, dw_n, t_dw),
        (db, db_n, t_db),
    ):
        np.testing.assert_allclose(ours, naive, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ours, theirs, rtol=TORCH_RTOL, atol=1e-12)


@settings(max_examples=40)
@given(conv_configs(max_side=12))
def test_output_size_rule_counts_the_window_positions(cfg):
    g = conv_geometry(
        cfg["x_shape"],
        cfg["w_shape"],
        None,
        cfg["stride"],
        cfg["padding"],
        cfg["dilation"],
        cfg["groups"],
    )
    for axis, (n, k) in enumerate(((g.H, g.KH), (g.W, g.KW))):
        span, p, s = g.dilation[axis] * (k - 1) + 1, g.padding[axis], g.stride[axis]
        brute = sum(
            1 for start in range(0, n + 2 * p) if start % s == 0 and start + span <= n + 2 * p
        )
        assert brute == (g.OH, g.OW)[axis]


@pytest.mark.parametrize(
    "stride, padding, dilation, groups", [(1, 0, 1, 1), (2, 1, 1, 1), ((1, 2), (2, 0), (2, 1), 2)]
)
def test_backward_matches_finite_differences(stride, padding, dilation, groups):
    rng = np.random.default_rng(3)
    x, w, b = (
        rng.normal(size=(2, 4, 7, 6)),
        rng.normal(size=(4, 4 // groups, 3, 2)),
        rng.normal(size=4),
    )
    out, cache = conv2d_forward(x, w, b, stride, padding, dilation, groups)
    G = rng.normal(size=out.shape)
    dx, dw, db = conv2d_backward(G, cache)
    hp = (stride, padding, dilation, groups)
    assert (
        relative_error(dx, numerical_gradient(lambda t: conv2d_forward(t, w, b, *hp)[0], x, G))
        < TOL
    )
    assert (
        relative_error(dw, numerical_gradient(lambda t: conv2d_forward(x, t, b, *hp)[0], w, G))
        < TOL
    )
    assert (
        relative_error(db, numerical_gradient(lambda t: conv2d_forward(x, w, t, *hp)[0], b, G))
        < TOL
    )


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 0), (1, 1), (2, 1)])
def test_gradient_formulas_are_exact_in_sympy(stride, padding):
    """5x5 input, 2 channels, two 3x3 filters, symbolic everything: SymPy's gradient equals the formulas."""
    X = np.array(sp.symbols("x0:50", real=True), dtype=object).reshape(1, 2, 5, 5)
    Wt = np.array(sp.symbols("w0:36", real=True), dtype=object).reshape(2, 2, 3, 3)
    b = np.array(sp.symbols("b0:2", real=True), dtype=object)
    Z, cache = conv2d_forward_naive(X, Wt, b, stride, padding)
    G = np.array(sp.symbols(f"g0:{Z.size}", real=True), dtype=object).reshape(Z.shape)
    E = sum(G.ravel() * Z.ravel())
    # dE/dW: the cross-correlation of the padded input with the upstream gradient (dilated by the stride)
    Xp = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dW_formula = np.empty(Wt.shape, dtype=object)
    for f in range(2):
        for c in range(2):
            for u in range(3):
                for v in range(3):
                    dW_formula[f, c, u, v] = sum(
                        G[0, f, i, j] * Xp[0, c, i * stride + u, j * stride + v]
                        for i in range(Z.shape[2])
                        for j in range(Z.shape[3])
                    )
    # dE/dX: the full convolution of the upstream gradient with the flipped kernels, summed over filters
    dX_formula = conv2d_input_gradient_by_full_convolution(G, Wt, (5, 5), stride, padding)
    for sym, formula in zip(Wt.ravel(), dW_formula.ravel()):
        assert sp.expand(sp.diff(E, sym) - formula) == 0
    for sym, formula in zip(X.ravel(), dX_formula.ravel()):
        assert sp.expand(sp.diff(E, sym) - formula) == 0
    for f in range(2):  # dE/db_f: the sum over positions
        assert sp.expand(sp.diff(E, b[f]) - sum(G[0, f].ravel())) == 0


def test_full_convolution_formula_equals_backward_numerically():
    rng = np.random.default_rng(5)
    for s, p in ((1, 0), (2, 1), (3, 2), (2, 0)):
        x, w = rng.normal(size=(2, 3, 8, 7)), rng.normal(size=(4, 3, 3, 3))
        out, cache = conv2d_forward(x, w, None, s, p)
        G = rng.normal(size=out.shape)
        np.testing.assert_allclose(
            conv2d_input_gradient_by_full_convolution(G, w, (8, 7), s, p),
            conv2d_backward(G, cache)[0],
            rtol=1e-12,
            atol=1e-12,
        )


def test_edge_configurations_batch_one_one_channel_kernel_as_large_as_input():
    rng = np.random.default_rng(7)
    for x_shape, w_shape in (
        ((1, 1, 5, 5), (1, 1, 5, 5)),
        ((1, 1, 1, 1), (3, 1, 1, 1)),
        ((1, 2, 4, 9), (2, 2, 4, 1)),
    ):
        x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0])
        out, cache = conv2d_forward(x, w, b)
        G = rng.normal(size=out.shape)
        cfg = dict(stride=1, padding=0, dilation=1, groups=1)
        t_out, t_dx, t_dw, _ = _torch(x, w, b, cfg, G)
        dx, dw, _ = conv2d_backward(G, cache)
        np.testing.assert_allclose(out, t_out, rtol=1e-12)
        np.testing.assert_allclose(dx, t_dx, rtol=1e-12)
        np.testing.assert_allclose(dw, t_dw, rtol=1e-12)


def test_float32_matches_torch_and_need_dx():
    rng = np.random.default_rng(8)
    x, w, b = (rng.normal(size=s).astype(np.float32) for s in ((4, 3, 12, 12), (5, 3, 3, 3), (5,)))
    out, cache = conv2d_forward(x, w, b, 1, 1)
    assert out.dtype == np.float32
    ref = torch.nn.functional.conv2d(
        torch.tensor(x), torch.tensor(w), torch.tensor(b), 1, 1
    ).numpy()
    assert relative_error(out, ref) < tolerance(np.float32)
    dx, dw, db = conv2d_backward(np.ones_like(out), cache, need_dx=False)
    assert dx is None and dw.shape == w.shape


def test_flip_and_commutativity_of_true_convolution():
    rng = np.random.default_rng(9)
    a, k = rng.normal(size=(1, 1, 6, 6)), rng.normal(size=(1, 1, 6, 6))

    # true convolution with zero extension ("full" mode) is commutative, cross-correlation is not
    def full_conv(p, q):
        return conv2d_forward(np.pad(p, ((0, 0), (0, 0), (5, 5), (5, 5))), flip(q))[0]

    def full_corr(p, q):
        return conv2d_forward(np.pad(p, ((0, 0), (0, 0), (5, 5), (5, 5))), q)[0]

    np.testing.assert_allclose(full_conv(a, k), full_conv(k, a), atol=1e-12)
    assert not np.allclose(
        full_corr(a, k), full_corr(k, a)
    )  # cross-correlation is not commutative:
    np.testing.assert_allclose(
        full_corr(a, k), flip(full_corr(k, a)), atol=1e-12
    )  # swapping flips the result
    assert np.array_equal(flip(flip(k)), k)


@pytest.mark.parametrize(
    "kwargs, exc, pattern",
    [
        (
            dict(x=np.ones((1, 3, 5, 5)), w=np.ones((2, 2, 3, 3))),
            ValueError,
            r"C/groups = 3 input channels",
        ),
        (
            dict(x=np.ones((1, 3, 5, 5)), w=np.ones((2, 1, 3, 3)), groups=2),
            ValueError,
            "3 channels are not divisible by groups=2",
        ),
        (
            dict(x=np.ones((1, 4, 5, 5)), w=np.ones((3, 2, 3, 3)), groups=2),
            ValueError,
            "3 filters are not divisible",
        ),
        (
            dict(x=np.ones((1, 1, 5, 5)), w=np.ones((1, 1, 7, 3))),
            ValueError,
            "kernel spans 7 pixels .* padded input has only 5",
        ),
        (
            dict(x=np.ones((1, 1, 5, 5)), w=np.ones((1, 1, 3, 3)), dilation=3),
            ValueError,
            "spans 7 pixels",
        ),
        (
            dict(x=np.ones((1, 1, 5, 5)), w=np.ones((1, 1, 3, 3)), stride=0),
            ValueError,
            "stride must be >= 1",
        ),
        (
            dict(x=np.ones((1, 1, 5, 5)), w=np.ones((1, 1, 3, 3)), padding=-1),
            ValueError,
            "padding must be >= 0",
        ),
        (
            dict(x=np.ones((1, 1, 5, 5)), w=np.ones((1, 1, 3, 3)), stride=1.5),
            TypeError,
            "stride must be an integer",
        ),
        (dict(x=np.ones((1, 5, 5)), w=np.ones((1, 1, 3, 3))), ValueError, r"x .*dimension"),
        (
            dict(x=np.ones((1, 1, 5, 5)), w=np.ones((1, 1, 3, 3)), b=np.ones(2)),
            ValueError,
            r"one bias per filter, shape \(1,\)",
        ),
    ],
)
def test_bad_input_is_reported(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        conv2d_forward(**kwargs)


def test_backward_checks_dout_shape():
    _, cache = conv2d_forward(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"dout must have the output's shape \(1, 1, 3, 3\)"):
        conv2d_backward(np.ones((1, 1, 4, 4)), cache)


def test_output_size_examples():
    assert output_size(28, 5, 1, 2) == 28 and output_size(28, 5) == 24 and output_size(7, 3, 2) == 3
    assert output_size(28, 5, 1, 1) == 26  # the blog's example: padding 1, stride 1, 28x28, 5x5


@pytest.mark.parametrize("cache", [None, (), (1, 2, 3, 4, 5), [np.zeros(1)] * 5, "cache"])
def test_backward_rejects_a_wrong_cache(cache):
    from cnnmath.conv import conv2d_backward, conv2d_backward_naive

    for bwd in (conv2d_backward, conv2d_backward_naive):
        with pytest.raises(
            (TypeError, ValueError), match="cache must be the .* returned by conv2d_forward"
        ):
            bwd(np.ones((1, 1, 2, 2)), cache)
