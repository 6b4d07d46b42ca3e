import numpy as np
import pytest
import sympy as sp
import torch

from cnnmath.dense import affine_backward, affine_forward
from cnnmath.gradcheck import numerical_gradient, relative_error, tolerance

TOL = tolerance(np.float64)


def test_matches_torch_linear(rng):
    x, w, b = rng.normal(size=(5, 4)), rng.normal(size=(3, 4)), rng.normal(size=3)
    g = rng.normal(size=(5, 3))
    z, cache = affine_forward(x, w, b)
    dx, dw, db = affine_backward(g, cache)
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    torch.nn.functional.linear(tx, tw, tb).backward(torch.tensor(g))
    np.testing.assert_allclose(
        z, torch.nn.functional.linear(*(torch.tensor(v) for v in (x, w, b))).numpy(), rtol=1e-12
    )
    for ours, theirs in ((dx, tx), (dw, tw), (db, tb)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-12)


def test_matches_finite_differences(rng):
    x, w, b = rng.normal(size=(2, 3, 2)), rng.normal(size=(4, 6)), rng.normal(size=4)
    g = rng.normal(size=(2, 4))
    dx, dw, db = affine_backward(g, affine_forward(x, w, b)[1])
    assert dx.shape == x.shape
    assert relative_error(dx, numerical_gradient(lambda t: affine_forward(t, w, b)[0], x, g)) < TOL
    assert relative_error(dw, numerical_gradient(lambda t: affine_forward(x, t, b)[0], w, g)) < TOL
    assert relative_error(db, numerical_gradient(lambda t: affine_forward(x, w, t)[0], b, g)) < TOL


def test_matches_sympy_paper_eq_2_to_4():
    W = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"w_{i}{j}"))
    a = sp.Matrix(3, 1, lambda i, j: sp.Symbol(f"a_{i}"))
    bvec = sp.Matrix(2, 1, lambda i, j: sp.Symbol(f"b_{i}"))
    g = sp.Matrix([[sp.Rational(3, 2), -2]])
    ell = (g * (W * a + bvec))[0]  # a loss linear in z with dl/dz = g
    vals = {s: v for s, v in zip(sorted(ell.free_symbols, key=str), np.linspace(-1, 1, 11))}
    x = np.array([[float(vals[a[i]]) for i in range(3)]])
    w = np.array([[float(vals[W[i, j]]) for j in range(3)] for i in range(2)])
    dx, dw, db = affine_backward(np.array([[1.5, -2.0]]), affine_forward(x, w, np.zeros(2))[1])
    np.testing.assert_allclose(dx[0], [float(sp.diff(ell, a[i]).subs(vals)) for i in range(3)])
    np.testing.assert_allclose(
        dw, [[float(sp.diff(ell, W[i, j]).subs(vals)) for j in range(3)] for i in range(2)]
    )
    np.testing.assert_allclose(db, [float(sp.diff(ell, bvec[i])) for i in range(2)])


@pytest.mark.parametrize(
    "args, pattern",
    [
        ((np.ones((2, 3)), np.ones((4, 5)), np.ones(4)), "3 features per example but w expects 5"),
        ((np.ones((2, 3)), np.ones((4, 3)), np.ones(3)), "one bias per output"),
        ((np.ones(3), np.ones((4, 3)), np.ones(4)), "batch of shape"),
        ((np.ones((2, 3)), np.ones(3), np.ones(4)), "dimension"),
    ],
)
def test_bad_shapes_are_reported(args, pattern):
    with pytest.raises(ValueError, match=pattern):
        affine_forward(*args)


def test_backward_checks_dz_shape():
    _, cache = affine_forward(np.ones((2, 3)), np.ones((4, 3)), np.ones(4))
    with pytest.raises(ValueError, match=r"dz must have shape \(2, 4\)"):
        affine_backward(np.ones((2, 3)), cache)


def test_need_dx_false_skips_only_dx(rng):
    x, w, b, g = (
        rng.normal(size=(3, 4)),
        rng.normal(size=(2, 4)),
        rng.normal(size=2),
        rng.normal(size=(3, 2)),
    )
    _, cache = affine_forward(x, w, b)
    full, skipped = affine_backward(g, cache), affine_backward(g, cache, need_dx=False)
    assert skipped[0] is None
    np.testing.assert_array_equal(full[1], skipped[1])
    np.testing.assert_array_equal(full[2], skipped[2])


@pytest.mark.parametrize("which", ["x", "w", "b"])
def test_non_finite_values_are_refused(which):
    args = {"x": np.ones((2, 3)), "w": np.ones((4, 3)), "b": np.ones(4)}
    args[which] = args[which].copy()
    args[which].flat[1] = np.inf
    with pytest.raises(ValueError, match=rf"^{which} .*contains 1 non-finite"):
        affine_forward(**args)
    _, cache = affine_forward(np.ones((2, 3)), np.ones((4, 3)), np.ones(4))
    with pytest.raises(ValueError, match="dz .*non-finite"):
        affine_backward(np.full((2, 4), np.nan), cache)


@pytest.mark.parametrize(
    "cache, exc",
    [
        (None, TypeError),
        ((np.ones(2),), ValueError),
        ((np.ones(3), None), TypeError),
        ((np.ones(3), np.ones((4, 3))), ValueError),
    ],
)
def test_backward_names_a_wrong_cache(cache, exc):
    with pytest.raises(exc, match=r"cache must be the \(x, w\) tuple returned by affine_forward"):
        affine_backward(np.ones((2, 4)), cache)
