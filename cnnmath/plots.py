"""Plot helpers shared by the chapters, so every figure of a kind looks the same.

Each returns the matplotlib ``Figure`` it drew; chapters call ``plt.show()`` or let the notebook
display it. Nothing here computes mathematics: the curves come from the modules that define it.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np


def function_and_derivative(
    z: np.ndarray, f: np.ndarray, df: np.ndarray, name: str, *, figsize: tuple[float, float] = (8, 2.8)
):
    """Two panels side by side: ``f(z)`` and ``f'(z)`` (as the thesis's figures 3-6)."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=figsize)
    ax1.plot(z, f, color="C0")
    ax1.set_title(f"{name}")
    ax2.plot(z, df, color="C1")
    ax2.set_title(f"derivative of {name}")
    for ax in (ax1, ax2):
        ax.axhline(0, color="0.7", lw=0.8)
        ax.axvline(0, color="0.7", lw=0.8)
        ax.set_xlabel("z")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def curves(history: dict[str, Sequence[float]], *, xlabel: str = "epoch", title: str = "", logy: bool = False, ax=None):
    """Line plot of named series (loss and accuracy histories, per-layer statistics ...)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 3))
    else:
        fig = ax.figure
    for label, values in history.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    ax.set_xlabel(xlabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def decision_boundary(
    predict_proba: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    *,
    labels: Sequence[str] = ("class 0", "class 1"),
    axis_names: Sequence[str] = ("x1", "x2"),
    ax=None,
):
    """Scatter of 2-D points coloured by class over the contour ``a = 0.5`` of a classifier."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 4))
    else:
        fig = ax.figure
    pad = 0.5
    g1, g2 = np.meshgrid(
        np.linspace(x[:, 0].min() - pad, x[:, 0].max() + pad, 200),
        np.linspace(x[:, 1].min() - pad, x[:, 1].max() + pad, 200),
    )
    p = predict_proba(np.column_stack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
    ax.contourf(g1, g2, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    ax.contour(g1, g2, p, levels=[0.5], colors="k", linewidths=1.5)
    for k, name in enumerate(labels):
        ax.scatter(x[y == k, 0], x[y == k, 1], s=14, label=name, color=f"C{k}", edgecolor="k", linewidth=0.3)
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    ax.legend()
    fig.tight_layout()
    return fig
