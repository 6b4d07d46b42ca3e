"""Evaluation of a classifier: accuracy and the confusion matrix."""
from __future__ import annotations

import numpy as np

from .validate import labels as check_labels


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The fraction of examples whose predicted class is the true one."""
    y_true = check_labels(y_true, "y_true")
    y_pred = check_labels(y_pred, "y_pred", n=y_true.shape[0])
    if y_true.size == 0:
        raise ValueError("accuracy of an empty set is undefined")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """``C[i, j]`` = number of examples of true class ``i`` predicted as class ``j``."""
    y_true = check_labels(y_true, "y_true", num_classes=num_classes)
    y_pred = check_labels(y_pred, "y_pred", n=y_true.shape[0], num_classes=num_classes)
    return np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def per_class_recall(cm: np.ndarray) -> np.ndarray:
    """The diagonal of the row-normalized confusion matrix: for each true class, the fraction found."""
    rows = cm.sum(axis=1)
    return np.divide(np.diag(cm), rows, out=np.zeros(len(cm)), where=rows > 0)
