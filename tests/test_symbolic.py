import pytest
import sympy as sp

from cnnmath.symbolic import Derivation, DerivationError, assert_equal, is_equal, residual

z = sp.Symbol("z", real=True)
x = sp.Symbol("x")


def sigmoid(t):
    return 1 / (1 + sp.exp(-t))


def test_true_derivation_is_accepted_and_rendered():
    d = Derivation(sp.Derivative(sigmoid(z), z), name=r"\sigma'(z)", title="sigmoid")
    d.step(sp.exp(-z) / (1 + sp.exp(-z)) ** 2, "quotient rule")
    d.target(sigmoid(z) * (1 - sigmoid(z)))
    assert len(d.steps) == 2
    tex = d.latex()
    assert tex.count(r"\checkmark") == 2
    assert r"\text{quotient rule}" in tex and r"\sigma'(z)" in tex
    assert d._repr_latex_().startswith("$$")
    assert "2 step(s)" in repr(d)


def test_false_step_raises_naming_step_and_residual():
    d = Derivation(sp.Derivative(sigmoid(z), z), title="sigmoid")
    d.step(sp.exp(-z) / (1 + sp.exp(-z)) ** 2, "quotient rule")
    with pytest.raises(DerivationError) as err:
        d.step(sigmoid(z) * (1 + sigmoid(z)), "wrong sign")
    msg = str(err.value)
    assert "step 2 (wrong sign)" in msg and "'sigmoid'" in msg and "residual" in msg
    assert len(d.steps) == 1  # the false step was not appended


@pytest.mark.parametrize(
    "lhs, rhs",
    [
        ((x + 1) ** 2, x**2 + 1),  # forgot the cross term
        (sp.diff(sp.log(x), x), x),  # wrong derivative
        (sp.exp(x + 1), sp.exp(x) + sp.E),  # exp is not additive
        (sp.Matrix([[x, 1]]), sp.Matrix([[x, 2]])),  # one wrong matrix entry
    ],
)
def test_false_derivations_are_rejected(lhs, rhs):
    with pytest.raises(DerivationError):
        Derivation(lhs).step(rhs)
    assert not is_equal(lhs, rhs)


def test_false_target_is_rejected():
    d = Derivation(sp.Derivative(x**3, x)).step(3 * x**2, "power rule")
    with pytest.raises(DerivationError):
        d.target(2 * x**2)


def test_assumption_needed_must_be_declared():
    with pytest.raises(DerivationError):
        Derivation(sp.sqrt(x**2)).step(x)
    with pytest.raises(DerivationError):
        Derivation(sp.log(x**2)).step(2 * sp.log(x))
    d = Derivation(sp.sqrt(x**2), assuming=[sp.Q.positive(x)])
    d.step(x, "x > 0")
    assert r"Q.positive" in d.latex() or "positive" in d.latex()
    xp = sp.Symbol("x", positive=True)
    d2 = Derivation(sp.log(xp**2)).step(2 * sp.log(xp), "log of a power")
    assert "x > 0" in d2.latex()


def test_residual_is_simplified():
    assert residual((x + 1) ** 2, x**2 + 2 * x + 1) == 0
    assert sp.simplify(residual((x + 1) ** 2, x**2 + 1) - 2 * x) == 0


def test_piecewise_and_max_are_compared():
    assert is_equal(sp.Max(0, z), sp.Piecewise((0, z <= 0), (z, True)))
    assert not is_equal(sp.Max(0, z), sp.Piecewise((0, z < 0), (2 * z, True)))


def test_assert_equal_messages():
    assert_equal(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1, "Pythagoras")
    with pytest.raises(DerivationError, match="Pythagoras does not hold"):
        assert_equal(sp.sin(x) ** 2 - sp.cos(x) ** 2, 1, "Pythagoras")


def test_shape_mismatch_is_reported():
    with pytest.raises(DerivationError, match="cannot compare"):
        is_equal(sp.Matrix([1, 2]), sp.Matrix([1, 2, 3]))


def test_latex_override_is_displayed_but_expression_checked():
    d = Derivation(sp.Derivative(x**2, x))
    d.step(2 * x, "power rule", latex=r"2x^{1}")
    assert "2x^{1}" in d.latex()
    with pytest.raises(DerivationError):
        d.step(3 * x, latex=r"2x")
