import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings

from cnnmath import torch_twin, zoo
from cnnmath.conv import conv2d_forward, conv2d_forward_naive
from cnnmath.conv import output_size as conv_output_size
from cnnmath.conv_transpose import (
    conv_transpose2d_backward,
    conv_transpose2d_backward_naive,
    conv_transpose2d_forward,
    conv_transpose2d_forward_naive,
    conv_transpose_geometry,
    output_size,
)
from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance
from cnnmath.layers import ConvTranspose2d, Unflatten
from cnnmath.network import NetworkError, Sequential

from .strategies import conv_transpose_configs
from .twin_check import check_twin

TOL = tolerance(np.float64)
TORCH_RTOL = 1e-10  # float64; sums of up to a few hundred products, accumulated in different orders
HP = ("stride", "padding", "output_padding", "dilation", "groups")


def _hp(cfg):
    return {k: cfg[k] for k in HP}


def _torch(x, w, b, cfg, G):
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    out = torch.nn.functional.conv_transpose2d(tx, tw, tb, **_hp(cfg))
    out.backward(torch.tensor(G))
    return out.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()


@settings(max_examples=60, deadline=None)
@given(conv_transpose_configs())
def test_vectorized_equals_naive_equals_torch(cfg):
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=cfg["x_shape"]), rng.normal(size=cfg["w_shape"])
    b = rng.normal(size=cfg["w_shape"][1] * cfg["groups"])
    out, cache = conv_transpose2d_forward(x, w, b, **_hp(cfg))
    G = rng.normal(size=out.shape)
    dx, dw, db = conv_transpose2d_backward(G, cache)
    out_n, cache_n = conv_transpose2d_forward_naive(x, w, b, **_hp(cfg))
    dx_n, dw_n, db_n = conv_transpose2d_backward_naive(G, cache_n)
    t_out, t_dx, t_dw, t_db = _torch(x, w, b, cfg, G)
    assert out.shape == t_out.shape
    for ours, naive, theirs in (
        (out, out_n, t_out),
        (dx, dx_n, t_dx),
        (dw, dw_n, t_dw),
        (db, db_n, t_db),
    ):
        np.testing.assert_allclose(ours, naive, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ours, theirs, rtol=TORCH_RTOL, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(conv_transpose_configs(max_side=8))
def test_output_size_rule_by_brute_force(cfg):
    """Two brute-force counts agree with (n-1)s - 2p + d(k-1) + a + 1 along each axis.

    1. Scatter every input pixel's kernel onto an unbounded line: the output is the extent of the
       positions reached, plus the output padding, minus the padding on both sides.
    2. The convolution with the same hyperparameters maps exactly the sizes n_a, a = 0..s-1, to n
       positions: the transposed convolution's output sizes are the inputs of that convolution.
    """
    g = conv_transpose_geometry(cfg["x_shape"], cfg["w_shape"], None, *(cfg[k] for k in HP))
    for axis, (n, k, m) in enumerate(((g.H, g.KH, g.OH), (g.W, g.KW, g.OW))):
        s, p, a, d = g.stride[axis], g.padding[axis], g.output_padding[axis], g.dilation[axis]
        reached = {i * s + u * d for i in range(n) for u in range(k)}
        assert max(reached) + 1 + a - 2 * p == m == output_size(n, k, s, p, a, d)
        preimage = []
        for size in range(1, (n + 2) * s + d * k + 1):
            try:
                if conv_output_size(size, k, s, p, d) == n:
                    preimage.append(size)
            except ValueError:  # kernel larger than the padded input: no convolution
                pass
        sizes = [(n - 1) * s - 2 * p + d * (k - 1) + b + 1 for b in range(s)]
        assert preimage == [size for size in sizes if size >= 1]


def _symbols(prefix, shape):
    size = int(np.prod(shape))
    return np.array(sp.symbols(f"{prefix}0:{size}", real=True), dtype=object).reshape(shape)


SYMBOLIC_CONFIGS = [
    dict(stride=1, padding=0, output_padding=0, dilation=1, groups=1),
    dict(stride=2, padding=0, output_padding=1, dilation=1, groups=1),
    dict(stride=2, padding=1, output_padding=1, dilation=1, groups=1),
    dict(stride=(2, 1), padding=(1, 0), output_padding=(0, 0), dilation=(1, 2), groups=2),
    dict(stride=3, padding=(0, 1), output_padding=(2, 1), dilation=1, groups=1),
]


@pytest.mark.parametrize("hp", SYMBOLIC_CONFIGS)
def test_adjoint_of_convolution_in_sympy(hp):
    """<conv(Y), X> = <Y, conv^T(X)> for symbolic Y, X and W, exactly (output padding < stride)."""
    groups = hp["groups"]
    X = _symbols("x", (1, 2, 2, 3))
    Wt = _symbols("w", (2, 4 // groups, 2, 3))
    Z, _ = conv_transpose2d_forward_naive(X, Wt, None, **hp)
    Y = _symbols("y", Z.shape)
    C, _ = conv2d_forward_naive(Y, Wt, None, hp["stride"], hp["padding"], hp["dilation"], groups)
    assert C.shape == X.shape
    lhs = sum(C.ravel() * X.ravel())
    rhs = sum(Y.ravel() * Z.ravel())
    assert sp.expand(lhs - rhs) == 0
    assert lhs != 0


def test_adjoint_with_output_padding_beyond_the_stride():
    """With a >= s (allowed when a < d), conv(Y) has extra positions: pair it with X, extended."""
    X = _symbols("x", (1, 1, 3, 2))
    Wt = _symbols("w", (1, 2, 2, 2))
    hp = dict(stride=1, padding=0, output_padding=1, dilation=2, groups=1)
    Z, _ = conv_transpose2d_forward_naive(X, Wt, None, **hp)
    Y = _symbols("y", Z.shape)
    C, _ = conv2d_forward_naive(Y, Wt, None, 1, 0, 2, 1)
    assert C.shape == (1, 1, 4, 3)
    Xe = np.zeros(C.shape, dtype=object)
    Xe[:, :, :3, :2] = X
    assert sp.expand(sum(C.ravel() * Xe.ravel()) - sum(Y.ravel() * Z.ravel())) == 0


@pytest.mark.parametrize("hp", SYMBOLIC_CONFIGS)
def test_naive_backward_is_sympys_exact_gradient(hp):
    groups = hp["groups"]
    X = _symbols("x", (1, 2, 2, 2))
    Wt = _symbols("w", (2, 4 // groups, 2, 2))
    b = _symbols("b", (4,))
    Z, cache = conv_transpose2d_forward_naive(X, Wt, b, **hp)
    G = _symbols("g", Z.shape)
    E = sum(G.ravel() * Z.ravel())
    dx, dw, db = conv_transpose2d_backward_naive(G, cache)
    for ours, params in ((dx, X), (dw, Wt), (db, b)):
        assert all(sp.expand(o - sp.diff(E, p)) == 0 for o, p in zip(ours.ravel(), params.ravel()))


def test_backward_is_a_convolution():
    """dE/dX = conv(dE/dZ) with the same weights and hyperparameters (output padding < stride)."""
    rng = np.random.default_rng(5)
    x, w = rng.normal(size=(2, 4, 3, 4)), rng.normal(size=(4, 3, 3, 3))
    out, cache = conv_transpose2d_forward(x, w, None, 2, 1, 1, 1, 2)
    G = rng.normal(size=out.shape)
    dx, _, _ = conv_transpose2d_backward(G, cache)
    conv, _ = conv2d_forward(G, w, None, 2, 1, 1, 2)
    np.testing.assert_allclose(dx, conv, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "stride, padding, output_padding, dilation, groups",
    [(1, 0, 0, 1, 1), (2, 1, 1, 1, 1), ((1, 3), (2, 0), (1, 2), (2, 1), 2), (1, 1, 1, 2, 1)],
)
def test_backward_matches_finite_differences(stride, padding, output_padding, dilation, groups):
    rng = np.random.default_rng(3)
    x, w, b = (
        rng.normal(size=(2, 4, 4, 3)),
        rng.normal(size=(4, 6 // groups, 3, 2)),
        rng.normal(size=6),
    )
    hp = (stride, padding, output_padding, dilation, groups)
    out, cache = conv_transpose2d_forward(x, w, b, *hp)
    G = rng.normal(size=out.shape)
    dx, dw, db = conv_transpose2d_backward(G, cache)
    assert (
        relative_error(
            dx, numerical_gradient(lambda t: conv_transpose2d_forward(t, w, b, *hp)[0], x, G)
        )
        < TOL
    )
    assert (
        relative_error(
            dw, numerical_gradient(lambda t: conv_transpose2d_forward(x, t, b, *hp)[0], w, G)
        )
        < TOL
    )
    assert (
        relative_error(
            db, numerical_gradient(lambda t: conv_transpose2d_forward(x, w, t, *hp)[0], b, G)
        )
        < TOL
    )


def test_keeps_float32():
    rng = np.random.default_rng(1)
    x, w = (
        rng.normal(size=(2, 3, 4, 4)).astype(np.float32),
        rng.normal(size=(3, 2, 3, 3)).astype(np.float32),
    )
    b = np.zeros(2, np.float32)
    out, cache = conv_transpose2d_forward(x, w, b, stride=2, padding=1, output_padding=1)
    assert out.dtype == np.float32 and out.shape == (2, 2, 8, 8)
    dx, dw, _ = conv_transpose2d_backward(np.ones_like(out), cache)
    assert dx.dtype == dw.dtype == np.float32
    ref, _ = conv_transpose2d_forward(
        x.astype(np.float64), w.astype(np.float64), b, stride=2, padding=1, output_padding=1
    )
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)


def test_stride_two_doubles_the_size():
    """The decoder's step: k = 3, s = 2, p = 1, a = 1 maps n to 2n (and a = 0 to 2n - 1)."""
    for n in range(1, 20):
        assert output_size(n, 3, 2, 1, 1) == 2 * n
        assert output_size(n, 3, 2, 1, 0) == 2 * n - 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(stride=2, output_padding=2),
            "output_padding must be smaller than the stride or the dilation",
        ),
        (
            dict(stride=1, output_padding=1),
            "output_padding must be smaller than the stride or the dilation",
        ),
        (dict(padding=3), "removes the whole output"),
        (dict(stride=0), "stride must be >= 1"),
        (dict(padding=-1), "padding must be >= 0"),
        (dict(dilation=(1, 0)), "dilation must be >= 1"),
        (dict(stride=1.5), "stride must be an integer"),
        (dict(groups=0), "groups must be an integer >= 1"),
        (dict(groups=2), "not divisible by groups=2"),
    ],
)
def test_bad_hyperparameters_are_named(kwargs, message):
    x, w = np.ones((1, 3, 3, 3)), np.ones((3, 1, 3, 3))
    with pytest.raises((ValueError, TypeError), match=message):
        conv_transpose2d_forward(x, w, None, **kwargs)
    with pytest.raises((ValueError, TypeError), match=message):
        conv_transpose2d_forward_naive(x, w, None, **kwargs)


def test_bad_shapes_are_named():
    x, w = np.ones((1, 3, 3, 3)), np.ones((3, 2, 3, 3))
    with pytest.raises(
        ValueError, match=r"w must have one kernel set per input channel, shape \(3,"
    ):
        conv_transpose2d_forward(x, np.ones((2, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"b must have one bias per output channel, shape \(2,\)"):
        conv_transpose2d_forward(x, w, np.ones(3))
    with pytest.raises(ValueError, match="x .* must have 4 dimension"):
        conv_transpose2d_forward(np.ones((3, 3, 3)), w)
    with pytest.raises(ValueError, match="non-finite"):
        conv_transpose2d_forward(np.full((1, 3, 3, 3), np.nan), w)
    _, cache = conv_transpose2d_forward(x, w)
    with pytest.raises(ValueError, match=r"dout must have the output's shape \(1, 2, 5, 5\)"):
        conv_transpose2d_backward(np.ones((1, 2, 4, 4)), cache)
    with pytest.raises(ValueError, match="output_padding must be an integer >= 0"):
        output_size(3, 3, 2, 0, -1)


# ------------------------------------------------------------------------------------------------
# The layer class and the autoencoder built from it
# ------------------------------------------------------------------------------------------------


def test_autoencoder_gradients_equal_its_torch_twin():
    net = zoo.autoencoder(6, input_shape=(1, 12, 8), channels=(3, 4))
    state = net.init(0, np.float64)
    x = np.random.default_rng(2).uniform(size=(5, 1, 12, 8))
    run = check_twin(net, state, x, x, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(run.out, run.torch_out, rtol=1e-12, atol=1e-14)
    assert abs(run.loss - run.torch_loss) < 1e-14


def test_autoencoder_gradients_match_finite_differences():
    """Every parameter, with unit-scale random weights (the initial biases of 0 would put ReLUs
    of a dead encoder exactly on their kink, and tiny gradients would drown in rounding)."""
    net = zoo.autoencoder(3, input_shape=(2, 4, 4), channels=(2, 3))
    state = net.init(1, np.float64)
    rng = np.random.default_rng(4)
    params = state.flat("params")
    for v in params.values():
        v[...] = rng.normal(size=v.shape)
    x = rng.uniform(size=(3, 2, 4, 4))
    out, caches = net.forward(state, x, training=True)
    G = rng.normal(size=out.shape)
    grads = net.backward(state, G, caches)
    assert {name: set(g) for name, g in grads.items()} == {
        name: set(p) for name, p in state.params.items()
    }
    for key, saved in ((k, v.copy()) for k, v in params.items()):

        def output_at(v, key=key):
            params[key][...] = v
            return net.forward(state, x, training=True)[0]

        numeric = numerical_gradient(output_at, saved.copy(), G)
        params[key][...] = saved
        name, array = key.split(".")
        assert relative_error(grads[name][array], numeric) < TOL, key


def test_encode_is_the_network_up_to_the_code():
    net = zoo.autoencoder(5)
    state = net.init(0, np.float64)
    x = np.random.default_rng(0).uniform(size=(3, 1, 28, 28))
    module = torch_twin.twin(net, state, "cpu")
    upto = [name for name, _ in module.named_children()].index("code") + 1
    expected = module[:upto](torch.tensor(x)).detach().numpy()
    code = net.predict_output(state, x, batch_size=2, stop_at="code")
    np.testing.assert_allclose(code, expected, rtol=1e-12, atol=1e-14)
    assert code.shape == (3, 5) and net.output_shape == (1, 28, 28) and net.loss == "mse"


def test_layer_shapes_and_errors():
    layer = ConvTranspose2d(6, 3, stride=2, padding=1, output_padding=1, groups=2)
    assert layer.build((4, 7, 5)) == (6, 14, 10)
    assert layer.param_shapes() == {"weight": (4, 3, 3, 3), "bias": (6,)}
    assert layer.macs() == 4 * 7 * 5 * 3 * 9
    with pytest.raises(ValueError, match="out_channels=5 is not divisible by groups=2"):
        ConvTranspose2d(5, 3, groups=2)
    with pytest.raises(NetworkError, match="output_padding must be smaller than the stride"):
        Sequential([ConvTranspose2d(2, 3, stride=1, output_padding=1)], (1, 4, 4))
    with pytest.raises(NetworkError, match=r"Unflatten to 4x3x3 needs a flat input of 36 features"):
        Sequential([Unflatten((4, 3, 3))], (35,))
    with pytest.raises(ValueError, match="multiples of 4"):
        zoo.autoencoder(8, input_shape=(1, 10, 12))
    lenet = zoo.lenet5()
    with pytest.raises(KeyError, match="no layer named 'code'"):
        lenet.predict_output(lenet.init(0), np.zeros((1, 1, 28, 28)), stop_at="code")
