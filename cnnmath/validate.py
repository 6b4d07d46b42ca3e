"""Checks at the public boundary, so that bad input fails with a message for the user.

Every public function of the package calls these before it computes anything: a wrong shape, a
wrong dtype or a non-finite value is reported with what was expected and what was given, instead
of surfacing later as a broadcasting error deep inside NumPy or, worse, as a silent wrong answer.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def as_float_array(
    x: object,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    finite: bool = True,
) -> np.ndarray:
    """Return ``x`` as a floating-point ndarray, or raise a ``ValueError``/``TypeError`` naming ``name``.

    Integer and boolean input is promoted to float64; float32 and float64 are kept as they are.
    ``ndim`` is the allowed number of dimensions (one int or several), ``finite`` rejects nan/inf.
    """
    if isinstance(x, np.ndarray):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except (TypeError, ValueError) as exc:  # ragged nested lists
            raise TypeError(f"{name} must be an array of numbers; got {type(x).__name__} ({exc})") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must hold real numbers; got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real; got complex dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    elif arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(n) for n in allowed)
            raise ValueError(f"{name} must have {want} dimension(s); got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} non-finite value(s) (nan or inf)")
    return arr


def same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise a ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}")


def positive_number(value: float, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float if it is a finite number > 0 (or >= 0), else raise ``ValueError``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number; got {value!r}") from None
    ok = v >= 0 if allow_zero else v > 0
    if not np.isfinite(v) or not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}; got {value!r}")
    return v


def positive_int(value: int, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` if it is an integer >= ``minimum``, else raise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def labels(y: object, name: str, n: int | None = None, num_classes: int | None = None) -> np.ndarray:
    """Return integer class labels as an int64 vector, checking length and range."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a vector of class labels; got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(np.mod(arr, 1) == 0):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name} must hold integer class labels; got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have {n} labels (one per row); got {arr.shape[0]}")
    if num_classes is not None and arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        raise ValueError(
            f"{name} must lie in 0..{num_classes - 1}; got values from {arr.min()} to {arr.max()}"
        )
    return arr
