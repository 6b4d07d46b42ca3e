import numpy as np
import pytest

from cnnmath import data


def test_bundled_datasets_have_their_documented_sizes():
    iris = data.load_iris()
    assert iris.x.shape == (150, 4) and len(iris) == 150 and set(iris.y) == {0, 1, 2}
    digits = data.load_digits()
    assert digits.x.shape == (1797, 1, 8, 8) and digits.x.max() == 16


def test_split_is_seeded_disjoint_and_complete():
    tr, te = data.train_test_split(100, 0.3, seed=1)
    tr2, _ = data.train_test_split(100, 0.3, seed=1)
    assert len(te) == 30 and np.array_equal(tr, tr2)
    assert set(tr) | set(te) == set(range(100)) and not set(tr) & set(te)
    with pytest.raises(ValueError, match="strictly between"):
        data.train_test_split(10, 1.0, seed=0)
    with pytest.raises(ValueError, match="empty"):
        data.train_test_split(3, 0.01, seed=0)


def test_standardize_uses_training_statistics_only(rng):
    a, b = rng.normal(5, 2, (50, 3)), rng.normal(0, 1, (10, 3))
    sa, sb = data.standardize(a, b)
    np.testing.assert_allclose(sa.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(sb, (b - a.mean(0)) / a.std(0))
