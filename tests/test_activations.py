import mpmath
import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnmath import activations as act
from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance

from .strategies import arrays, logit_matrices, moderate_floats

zs = sp.Symbol("z", real=True)
TOL64 = tolerance(np.float64)
TORCH_ATOL = 8 * np.finfo(np.float64).eps

# name -> (numpy forward with params bound, sympy expression, torch function)
CASES = {
    "sigmoid": (act.sigmoid_forward, act.sigmoid_backward, act.sym_sigmoid(zs), torch.sigmoid),
    "tanh": (act.tanh_forward, act.tanh_backward, act.sym_tanh(zs), torch.tanh),
    "relu": (act.relu_forward, act.relu_backward, act.sym_relu(zs), torch.relu),
    "leaky_relu": (
        lambda z: act.leaky_relu_forward(z, 0.1),
        act.leaky_relu_backward,
        act.sym_leaky_relu(zs, sp.Rational(1, 10)),
        lambda t: torch.nn.functional.leaky_relu(t, 0.1),
    ),
    "elu": (
        lambda z: act.elu_forward(z, 0.7),
        act.elu_backward,
        act.sym_elu(zs, sp.Rational(7, 10)),
        lambda t: torch.nn.functional.elu(t, 0.7),
    ),
}


def _sym_numpy(expr):
    """The SymPy expression evaluated at 50 significant digits, then rounded to float64."""
    f = sp.lambdify(zs, expr, "mpmath")

    def at(v: float) -> float:
        with mpmath.workdps(50):
            return float(f(mpmath.mpf(v)))

    return np.vectorize(at, otypes=[float])


@pytest.mark.parametrize("name", CASES)
def test_forward_and_derivative_match_sympy(name, rng):
    fwd, bwd, expr, _ = CASES[name]
    z = np.concatenate([rng.normal(0, 3, 50), [-40.0, -5.0, 0.0, 5.0, 40.0]])
    a, cache = fwd(z)
    dz = bwd(np.ones_like(z), cache)
    np.testing.assert_allclose(a, _sym_numpy(expr)(z), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(dz, _sym_numpy(sp.diff(expr, zs))(z), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", CASES)
def test_backward_matches_finite_differences(name, rng):
    fwd, bwd, _, _ = CASES[name]
    z = rng.normal(0, 2, (4, 5))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from the kink, where no derivative exists
    g = rng.normal(size=z.shape)
    _, cache = fwd(z)
    num = numerical_gradient(lambda t: fwd(t)[0], z, g)
    assert relative_error(bwd(g, cache), num) < TOL64


@pytest.mark.parametrize("name", CASES)
def test_forward_and_backward_match_torch_including_zero(name, rng):
    fwd, bwd, _, tfn = CASES[name]
    z = np.concatenate([rng.normal(0, 3, 30), [0.0, -0.0]])
    g = rng.normal(size=z.shape)
    t = torch.tensor(z, requires_grad=True)
    tfn(t).backward(torch.tensor(g))
    a, cache = fwd(z)
    # torch differentiates sigmoid and tanh as a(1-a) and 1-a^2, whose absolute error is a few
    # float64 epsilons; ours are accurate in relative terms, so the two agree to TORCH_ATOL.
    np.testing.assert_allclose(a, tfn(torch.tensor(z)).numpy(), rtol=1e-13, atol=TORCH_ATOL)
    np.testing.assert_allclose(bwd(g, cache), t.grad.numpy(), rtol=1e-13, atol=TORCH_ATOL)


def test_convention_at_zero_is_the_left_derivative():
    z = np.zeros(1)
    assert act.relu_backward(np.ones(1), act.relu_forward(z)[1])[0] == 0.0
    assert act.leaky_relu_backward(np.ones(1), act.leaky_relu_forward(z, 0.2)[1])[0] == 0.2
    assert act.elu_backward(np.ones(1), act.elu_forward(z, 0.5)[1])[0] == 0.5
    for expr, want in (
        (act.sym_relu(zs), 0),
        (act.sym_leaky_relu(zs, sp.Rational(1, 5)), sp.Rational(1, 5)),
    ):
        assert sp.diff(expr, zs).subs(zs, 0) == want


@given(arrays())
def test_sigmoid_is_stable_and_in_range(z):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = act.sigmoid(z)
    assert np.all((a >= 0) & (a <= 1))
    np.testing.assert_allclose(a + act.sigmoid(-z), 1.0, atol=1e-15)  # sigma(-z) = 1 - sigma(z)


@given(st.lists(moderate_floats, min_size=1, max_size=8))
def test_sigmoid_derivative_matches_finite_differences(values):
    z = np.array(values)
    _, cache = act.sigmoid_forward(z)
    # sigma' is even, and at -|z| sigma ~ e^z keeps full relative precision, so the central
    # differences there are accurate to ~1e-10 relative; at +|z| sigma ~ 1 would bury a
    # derivative of e.g. 9e-14 (z = 30) under rounding noise of eps/h ~ 2e-10.
    num = numerical_gradient(lambda t: act.sigmoid_forward(t)[0], -np.abs(z))
    assert relative_error(act.sigmoid_backward(np.ones_like(z), cache), num) < TOL64


@given(arrays())
def test_elu_and_tanh_never_overflow(z):
    with np.errstate(over="raise", invalid="raise"):
        a, cache = act.elu_forward(z)
        act.elu_backward(np.ones_like(z), cache)
        np.tanh(z)
    assert np.all(a >= -1)


@given(logit_matrices())
def test_softmax_rows_sum_to_one_for_extreme_logits(z):
    with np.errstate(over="raise", invalid="raise"):
        a = act.softmax(z)
    assert np.all(np.isfinite(a)) and np.all(a >= 0)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-12)


@given(logit_matrices(), st.floats(-1e3, 1e3))
def test_softmax_is_shift_invariant(z, c):
    np.testing.assert_allclose(act.softmax(z + c), act.softmax(z), atol=1e-12)


@pytest.mark.parametrize("g", [2, 3, 5])
def test_softmax_jacobian_matches_sympy(g, rng):
    syms = sp.symbols(f"z0:{g}", real=True)
    J = sp.lambdify(syms, act.sym_softmax(syms).jacobian(syms), "numpy")
    z = rng.normal(size=g)
    np.testing.assert_allclose(
        act.softmax_jacobian(z), np.array(J(*z), dtype=float), rtol=1e-12, atol=1e-15
    )


def test_softmax_backward_is_the_jacobian_applied(rng):
    z = rng.normal(size=(3, 4))
    g = rng.normal(size=(3, 4))
    _, cache = act.softmax_forward(z)
    dz = act.softmax_backward(g, cache)
    for n in range(3):
        np.testing.assert_allclose(dz[n], act.softmax_jacobian(z[n]).T @ g[n], rtol=1e-12)
    num = numerical_gradient(lambda t: act.softmax_forward(t)[0], z, g)
    assert relative_error(dz, num) < TOL64


def test_softmax_matches_torch(rng):
    z = rng.normal(0, 10, (5, 7))
    g = rng.normal(size=z.shape)
    t = torch.tensor(z, requires_grad=True)
    torch.softmax(t, dim=1).backward(torch.tensor(g))
    a, cache = act.softmax_forward(z)
    np.testing.assert_allclose(a, torch.softmax(torch.tensor(z), 1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        act.softmax_backward(g, cache), t.grad.numpy(), rtol=1e-10, atol=1e-15
    )


@pytest.mark.parametrize("per_channel", [False, True])
def test_prelu_matches_torch_and_sympy(per_channel, rng):
    z = rng.normal(size=(4, 3, 2, 2))
    b = rng.uniform(0.05, 0.3, size=3 if per_channel else ())
    g = rng.normal(size=z.shape)
    a, cache = act.prelu_forward(z, b)
    dz, db = act.prelu_backward(g, cache)
    tz = torch.tensor(z, requires_grad=True)
    tb = torch.tensor(np.atleast_1d(b), requires_grad=True)
    torch.nn.functional.prelu(tz, tb).backward(torch.tensor(g))
    np.testing.assert_allclose(
        a, torch.nn.functional.prelu(torch.tensor(z), torch.tensor(np.atleast_1d(b))).numpy()
    )
    np.testing.assert_allclose(dz, tz.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(np.atleast_1d(db), tb.grad.numpy(), rtol=1e-12)
    assert np.shape(db) == np.shape(b)
    num_db = numerical_gradient(lambda bb: act.prelu_forward(z, bb)[0], b, g)
    assert relative_error(db, num_db) < TOL64
    bs = sp.Symbol("b", real=True)
    dfdb = sp.lambdify((zs, bs), sp.diff(act.sym_prelu(zs, bs), bs), "numpy")
    np.testing.assert_allclose(dfdb(-1.5, 0.2), -1.5)
    np.testing.assert_allclose(dfdb(1.5, 0.2), 0.0)


@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (lambda: act.sigmoid(np.array([1.0, np.nan])), ValueError, "non-finite"),
        (lambda: act.sigmoid("abc"), TypeError, "real numbers"),
        (
            lambda: act.relu_backward(np.ones(3), act.relu_forward(np.ones(4))[1]),
            ValueError,
            r"shape \(4,\)",
        ),
        (lambda: act.leaky_relu_forward(np.ones(2), -0.1), ValueError, "negative slope"),
        (lambda: act.prelu_forward(np.ones((2, 4)), np.ones(3)), ValueError, r"\(N, 3, \.\.\.\)"),
        (lambda: act.softmax(np.ones((2, 2, 2))), ValueError, "dimension"),
        (lambda: act.get("swish"), ValueError, "unknown activation"),
    ],
)
def test_bad_input_is_reported(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_dtype_is_preserved():
    z = np.linspace(-3, 3, 7, dtype=np.float32)
    for fwd, bwd in act.ACTIVATIONS.values():
        a, cache = fwd(z)
        assert a.dtype == np.float32 and bwd(np.ones_like(a), cache).dtype == np.float32


@pytest.mark.parametrize("name", sorted(act.ACTIVATIONS))
def test_backward_names_a_wrong_cache(name):
    fwd, bwd = act.get(name)
    for bad in (None, (), "cache", (np.ones(2), None, 3)):
        with pytest.raises(
            (TypeError, ValueError), match=rf"cache must be the .* returned by {name}_forward"
        ):
            bwd(np.ones(2), bad)
