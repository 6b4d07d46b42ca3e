import numpy as np
import pytest

from cnnmath import conv, optim, pool
from cnnmath.oracles import FINITE_DIFFERENCES, SAME_SUMS, SUBJECTS, compare, tolerance


@pytest.mark.parametrize("subject", sorted(SUBJECTS))
def test_every_subject_passes_its_oracles_on_the_configurations_the_book_shows(subject):
    table = compare(subject)
    assert not table.failures
    n = sum(len(r.errors) for r in table.rows)
    assert n >= len(SUBJECTS[subject][1])
    assert f"all {n} comparisons within tolerance" in repr(table)
    assert "<table" in table._repr_html_()


def test_conv2d_runs_every_oracle_on_every_gradient():
    table = compare("conv2d", SUBJECTS["conv2d"][1][:1])
    errors = {r.quantity: set(r.errors) for r in table.rows}
    assert errors == {
        "Z": {"loops", "torch"},
        "dX": {"loops", "finite differences", "torch"},
        "dW": {"loops", "finite differences", "torch"},
        "db": {"loops", "finite differences", "torch"},
    }


def _db_forgets_the_batch(dout, cache):
    dx, dw, db = conv.conv2d_backward(dout, cache)
    return dx, dw, dout[0].sum(axis=(1, 2))


def test_a_wrong_gradient_is_caught_and_named():
    with pytest.raises(AssertionError, match=r"db vs finite differences: error .* >= tolerance"):
        compare("conv2d", backward=_db_forgets_the_batch)
    table = compare("conv2d", backward=_db_forgets_the_batch, check=False)
    assert {f.split(",")[-1].split(" vs ")[0].strip() for f in table.failures} == {"db"}
    assert "✗" in repr(table) and "exceed their tolerance" in repr(table)


def test_a_lost_gradient_a_wrong_shape_and_a_wrong_update_rule_are_caught():
    one = SUBJECTS["maxpool"][1][:1]
    with pytest.raises(AssertionError, match="dX vs loops: error 1.00e"):
        compare("maxpool", one, backward=lambda dout, cache: np.zeros((2, 3, 7, 7)))
    table = compare("maxpool", one, backward=lambda dout, cache: dout, check=False)
    assert table.failures == ["x(2, 3, 7, 7) k=2, dX: shape (2, 3, 3, 3), expected (2, 3, 7, 7)"]
    assert not compare("maxpool", one, backward=pool.maxpool_backward).failures

    def sgd_with_half_the_step(w, g, state, lr, **hyper):
        return w - 0.5 * lr * g

    cfg = [c for c in SUBJECTS["optimizers"][1] if c["torch"] == "SGD"][:1]
    with pytest.raises(AssertionError, match="torch"):
        compare("optimizers", cfg, step=sgd_with_half_the_step)
    assert not compare("optimizers", cfg, step=optim.sgd_update).failures


def test_tolerances_and_bad_arguments():
    assert tolerance("torch") == SAME_SUMS < FINITE_DIFFERENCES == tolerance("finite differences")
    with pytest.raises(ValueError, match="oracle must be one of"):
        tolerance("eyeball")
    with pytest.raises(ValueError, match="subject must be one of"):
        compare("conv3d")
    with pytest.raises(ValueError, match="at least one configuration"):
        compare("conv2d", [])
    with pytest.raises(TypeError, match="backward must be a function"):
        compare("conv2d", backward=3)


def test_the_print_form_is_a_marked_longtable():
    from cnnmath.printable import MARKER

    latex = compare("avgpool", SUBJECTS["avgpool"][1][:1])._repr_latex_()
    assert latex.startswith(MARKER) and "\\begin{longtable}" in latex
    assert "all 5 comparisons within tolerance" in latex and "\\textless{} 1e-" in latex
