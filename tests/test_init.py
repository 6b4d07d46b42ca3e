import numpy as np
import pytest

from cnnmath.init import init_weights, variance


@pytest.mark.parametrize(
    "rule, want",
    [
        ("glorot_normal", 2 / 300),
        ("glorot_uniform", 2 / 300),
        ("he_normal", 2 / 100),
        ("he_uniform", 2 / 100),
        ("lecun_normal", 1 / 100),
    ],
)
def test_variance_rules_and_sampled_variance(rule, want):
    assert variance(rule, 100, 200) == pytest.approx(want)
    w = init_weights(rule, 100, 200, np.random.default_rng(0))
    assert w.shape == (200, 100)
    # 20,000 draws: the sample variance is within 3 standard errors (sqrt(2/n) relative for normal)
    assert abs(w.var() / want - 1) < 3 * np.sqrt(2 / w.size) * (1.0 if "normal" in rule else 0.7)
    assert abs(w.mean()) < 4 * np.sqrt(want / w.size)


def test_dtype_and_errors():
    assert init_weights("he_normal", 3, 2, np.random.default_rng(0), np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="unknown initialization rule"):
        variance("orthogonal", 3, 3)
    with pytest.raises(ValueError, match="fan_in"):
        variance("he_normal", 0, 3)


def test_rule_names_are_exact_and_arguments_checked():
    with pytest.raises(ValueError, match="unknown initialization rule 'he_banana'"):
        variance("he_banana", 3, 4)  # the prefix "he" used to be enough
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        init_weights("he_normal", 3, 4, 0)
    with pytest.raises(TypeError, match="dtype must be np.float32 or np.float64"):
        init_weights("he_normal", 3, 4, np.random.default_rng(0), np.int64)
