import numpy as np
import pytest

from cnnmath.metrics import accuracy, confusion_matrix, per_class_recall


def test_confusion_matrix_and_accuracy():
    y, p = np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2])
    cm = confusion_matrix(y, p, 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert accuracy(y, p) == pytest.approx(4 / 6) == np.trace(cm) / cm.sum()
    np.testing.assert_allclose(per_class_recall(cm), [0.5, 1.0, 2 / 3])


def test_errors():
    with pytest.raises(ValueError, match="3 labels"):
        accuracy(np.array([0, 1, 2]), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"0\.\.1"):
        confusion_matrix(np.array([0, 2]), np.array([0, 1]), 2)
    with pytest.raises(ValueError, match="empty"):
        accuracy(np.array([], dtype=int), np.array([], dtype=int))


def test_labels_and_matrices_are_checked():
    with pytest.raises(ValueError, match="y_true must hold class labels >= 0"):
        accuracy(np.array([-1, 0]), np.array([0, 0]))
    with pytest.raises(TypeError, match="num_classes must be an integer"):
        confusion_matrix(np.array([0]), np.array([0]), 2.5)
    with pytest.raises(ValueError, match=r"cm \(a confusion matrix\) must be a square matrix"):
        per_class_recall(np.ones((2, 3)))
