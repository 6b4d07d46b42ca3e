"""Evaluation of a classifier: accuracy and the confusion matrix."""

from __future__ import annotations

import numpy as np

from .arguments import as_float_array, positive_int
from .arguments import labels as check_labels


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The fraction of examples whose predicted class is the true one."""
    y_true = check_labels(y_true, "y_true")
    y_pred = check_labels(y_pred, "y_pred", n=y_true.shape[0])
    if y_true.size == 0:
        raise ValueError("accuracy of an empty set is undefined")
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """``C[i, j]`` = number of examples of true class ``i`` predicted as class ``j``."""
    num_classes = positive_int(num_classes, "num_classes")
    y_true = check_labels(y_true, "y_true", num_classes=num_classes)
    y_pred = check_labels(y_pred, "y_pred", n=y_true.shape[0], num_classes=num_classes)
    return np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes
    )


def per_class_recall(cm: np.ndarray) -> np.ndarray:
    """The diagonal of the row-normalized confusion matrix: for each true class, the fraction
    found."""
    cm = as_float_array(cm, "cm (a confusion matrix)", ndim=2)
    if cm.shape[0] != cm.shape[1] or np.any(cm < 0):
        raise ValueError(
            f"cm (a confusion matrix) must be a square matrix of counts >= 0; got shape {cm.shape}"
        )
    rows = cm.sum(axis=1)
    return np.divide(np.diag(cm), rows, out=np.zeros(len(cm)), where=rows > 0)
