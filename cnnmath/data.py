"""Datasets for the book, all available offline.

- :func:`load_iris`, :func:`load_digits`: scikit-learn's bundled copies (no download ever).

Every loader returns NumPy arrays and never unpickles anything.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """Features ``x`` (one example per row, or ``(N, C, H, W)`` images), labels ``y`` and names."""

    x: np.ndarray
    y: np.ndarray
    class_names: tuple[str, ...]
    feature_names: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.y.shape[0])


def load_iris() -> Dataset:
    """Fisher's iris: 150 flowers, 4 measurements in cm, 3 species (scikit-learn's bundled copy)."""
    from sklearn.datasets import load_iris as _load

    d = _load()
    return Dataset(d.data.astype(np.float64), d.target.astype(np.int64), tuple(d.target_names), tuple(d.feature_names))


def load_digits() -> Dataset:
    """1,797 handwritten digits, 8x8 pixels with values 0..16, as images ``(N, 1, 8, 8)``."""
    from sklearn.datasets import load_digits as _load

    d = _load()
    return Dataset(d.images.astype(np.float64)[:, None], d.target.astype(np.int64), tuple(str(c) for c in d.target_names))


def train_test_split(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a seeded random split of ``range(n)`` into a training and a test part."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1; got {test_fraction}")
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    if n_test == 0 or n_test == n:
        raise ValueError(f"a test fraction of {test_fraction} of {n} examples leaves one part empty")
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def standardize(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Scale each feature to mean 0 and standard deviation 1 using the training part's statistics only."""
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return [(a - mean) / std for a in (train, *others)]
