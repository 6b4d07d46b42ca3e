"""Plot helpers shared by the chapters, so every figure of a kind looks the same.

Each returns the matplotlib ``Figure`` it drew; chapters call ``plt.show()`` or let the notebook
display it. Nothing here computes mathematics: the curves come from the modules that define it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .validate import as_float_array, callable_arg, positive_int
from .validate import labels as check_labels


def _names(names: object, arg: str, n: int | None = None) -> list[str]:
    """A sequence of str labels (``n`` of them if given)."""
    if (
        isinstance(names, (str, bytes))
        or not isinstance(names, Sequence)
        or not all(isinstance(c, str) for c in names)
    ):
        raise TypeError(f"{arg} must be a list or tuple of str; got {names!r}")
    if n is not None and len(names) != n:
        raise ValueError(f"{arg} must have {n} entries; got {len(names)}")
    return list(names)


def _curve(values: object, name: str, n: int | None = None) -> np.ndarray:
    arr = as_float_array(values, name, ndim=1)
    if n is not None and len(arr) != n:
        raise ValueError(f"{name} must have one value per point of z ({n}); got {len(arr)}")
    return arr


def function_and_derivative(
    z: np.ndarray,
    f: np.ndarray,
    df: np.ndarray,
    name: str,
    *,
    figsize: tuple[float, float] = (8, 2.8),
):
    """Two panels side by side: ``f(z)`` and ``f'(z)`` (as the thesis's figures 3-6).

    ``z``, ``f`` and ``df`` are finite vectors of one length; ``name`` titles the panels.
    """
    z = _curve(z, "z")
    f, df = _curve(f, "f", len(z)), _curve(df, "df", len(z))
    if not isinstance(name, str):
        raise TypeError(f"name must be a str; got {name!r}")
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


def curves(
    history: dict[str, Sequence[float]],
    *,
    xlabel: str = "epoch",
    title: str = "",
    logy: bool = False,
    ax=None,
):
    """Line plot of named series (loss and accuracy histories, per-layer statistics ...).

    ``history`` maps each label to a sequence of numbers (nan leaves a gap, e.g. no accuracy).
    """
    if not isinstance(history, Mapping) or not all(isinstance(k, str) for k in history):
        raise TypeError(
            f"history must be a dict of named series {{label: values}}; got "
            f"{type(history).__name__}"
        )
    series = {
        k: as_float_array(v, f"history[{k!r}]", ndim=1, finite=False) for k, v in history.items()
    }
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 3))
    else:
        fig = ax.figure
    for label, values in series.items():
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
    """Scatter of 2-D points coloured by class over the contour ``a = 0.5`` of a classifier.

    ``x`` is ``(N, 2)``, ``y`` one label per row in ``0..len(labels)-1``; ``predict_proba`` maps an
    ``(M, 2)`` array to ``M`` probabilities of class 1.
    """
    callable_arg(predict_proba, "predict_proba")
    x = as_float_array(x, "x (the points)", ndim=2)
    if x.shape[1] != 2:
        raise ValueError(f"x (the points) must have shape (N, 2); got {x.shape}")
    labels = _names(labels, "labels")
    y = check_labels(y, "y (the class labels)", n=len(x), num_classes=len(labels))
    axis_names = _names(axis_names, "axis_names", 2)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 4))
    else:
        fig = ax.figure
    pad = 0.5
    g1, g2 = np.meshgrid(
        np.linspace(x[:, 0].min() - pad, x[:, 0].max() + pad, 200),
        np.linspace(x[:, 1].min() - pad, x[:, 1].max() + pad, 200),
    )
    p = as_float_array(
        predict_proba(np.column_stack([g1.ravel(), g2.ravel()])), "predict_proba(grid)"
    )
    if p.size != g1.size:
        raise ValueError(
            f"predict_proba must return one probability per row of its input ({g1.size}); "
            f"got shape {p.shape}"
        )
    p = p.reshape(g1.shape)
    ax.contourf(g1, g2, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    ax.contour(g1, g2, p, levels=[0.5], colors="k", linewidths=1.5)
    for k, name in enumerate(labels):
        ax.scatter(
            x[y == k, 0],
            x[y == k, 1],
            s=14,
            label=name,
            color=f"C{k}",
            edgecolor="k",
            linewidth=0.3,
        )
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    ax.legend()
    fig.tight_layout()
    return fig


def confusion(
    cm: np.ndarray, class_names: Sequence[str], *, normalize: bool = True, ax=None, title: str = ""
):
    """A confusion matrix as a heat map, in percent of each true class when ``normalize``."""
    cm = as_float_array(cm, "cm (a confusion matrix)", ndim=2)
    if cm.shape[0] != cm.shape[1] or np.any(cm < 0):
        raise ValueError(
            f"cm (a confusion matrix) must be a square matrix of counts >= 0; got shape {cm.shape}"
        )
    class_names = _names(class_names, "class_names", cm.shape[0])
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 6.2))
    else:
        fig = ax.figure
    shown = 100 * cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    im = ax.imshow(shown, cmap="Blues")
    k = len(class_names)
    ax.set_xticks(range(k), class_names, rotation=45, ha="right")
    ax.set_yticks(range(k), class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    for i in range(k):
        for j in range(k):
            v = shown[i, j]
            ax.text(
                j,
                i,
                f"{v:.0f}" if normalize else f"{int(v)}",
                ha="center",
                va="center",
                fontsize=10,
                color="white" if v > shown.max() / 2 else "black",
            )
    fig.colorbar(im, ax=ax, label="% of true class" if normalize else "count")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def predictions(
    images: np.ndarray,
    probs: np.ndarray,
    labels: np.ndarray,
    class_names: Sequence[str],
    *,
    cols: int = 3,
):
    """Images with a bar chart of the predicted probabilities under each (as the thesis's figures
    20 and 30).

    The bar of the predicted class is blue when it is right and red when it is wrong; the true
    class's bar is outlined. ``images`` is ``(N, C, H, W)`` with 1 or 3 channels, ``probs``
    ``(N, len(class_names))``, ``labels`` one true class per image.
    """
    as_float_array(images, "images", ndim=4)  # checked; drawn as given (uint8 RGB must stay 0..255)
    images = np.asarray(images)
    if images.shape[1] not in (1, 3):
        raise ValueError(
            f"images must have 1 or 3 channels, shape (N, C, H, W); got {images.shape}"
        )
    class_names = _names(class_names, "class_names")
    probs = as_float_array(probs, "probs (the predicted probabilities)", ndim=2)
    if probs.shape != (len(images), len(class_names)):
        raise ValueError(
            f"probs must have shape (N, classes) = {(len(images), len(class_names))} for "
            f"{len(images)} "
            f"images and {len(class_names)} class_names; got {probs.shape}"
        )
    labels = check_labels(
        labels, "labels (the true classes)", n=len(images), num_classes=len(class_names)
    )
    cols = positive_int(cols, "cols")
    n = len(images)
    rows = -(-n // cols)
    fig, axes = plt.subplots(
        2 * rows,
        cols,
        figsize=(3.2 * cols, 4.2 * rows),
        gridspec_kw={"height_ratios": [3, 2] * rows},
    )
    axes = np.asarray(axes).reshape(2 * rows, cols)
    for k in range(rows * cols):
        ax_img, ax_bar = axes[2 * (k // cols), k % cols], axes[2 * (k // cols) + 1, k % cols]
        ax_img.axis("off")
        if k >= n:
            ax_bar.axis("off")
            continue
        img = images[k]
        ax_img.imshow(
            img[0] if img.shape[0] == 1 else np.moveaxis(img, 0, -1),
            cmap="gray_r" if img.shape[0] == 1 else None,
        )
        pred = int(np.argmax(probs[k]))
        ok = pred == int(labels[k])
        ax_img.set_title(
            f"{class_names[pred]} {100 * probs[k][pred]:.0f}%\n(true: "
            f"{class_names[int(labels[k])]})",
            color="tab:blue" if ok else "tab:red",
            fontsize=10,
        )
        colors = ["0.75"] * len(class_names)
        colors[pred] = "tab:blue" if ok else "tab:red"
        bars = ax_bar.bar(range(len(class_names)), probs[k], color=colors)
        bars[int(labels[k])].set_edgecolor("black")
        bars[int(labels[k])].set_linewidth(1.2)
        ax_bar.set_ylim(0, 1)
        ax_bar.set_xticks(range(len(class_names)))
        ax_bar.tick_params(labelsize=9)
    fig.tight_layout()
    return fig


def chain_diagram(
    nodes: Sequence[str], forward: Sequence[str], backward: Sequence[str], *, title: str = ""
):
    """A computational graph drawn as a chain: boxes for the values, forward arrows above, backward
    below.

    ``nodes`` are LaTeX labels of the values (``n`` of them); ``forward[i]`` labels the operation
    from
    node ``i`` to node ``i + 1`` and ``backward[i]`` the gradient sent back along it.
    """
    nodes = _names(nodes, "nodes")
    forward, backward = _names(forward, "forward"), _names(backward, "backward")
    n = len(nodes)
    if n < 2 or len(forward) != n - 1 or len(backward) != n - 1:
        raise ValueError(
            f"forward and backward must have one label fewer than nodes: {n} nodes need {n - 1} "
            "forward "
            f"and {n - 1} backward labels; got {len(forward)} and {len(backward)}"
        )
    fig, ax = plt.subplots(figsize=(2.1 * n, 2.8))
    for i, label in enumerate(nodes):
        ax.text(
            2 * i,
            0,
            label,
            ha="center",
            va="center",
            fontsize=13,
            bbox=dict(boxstyle="round,pad=0.4", fc="white", ec="0.3"),
        )
    for i in range(n - 1):
        ax.annotate(
            "",
            xy=(2 * i + 1.45, 0.35),
            xytext=(2 * i + 0.55, 0.35),
            arrowprops=dict(arrowstyle="->", color="k"),
        )
        ax.text(2 * i + 1, 0.62, forward[i], ha="center", fontsize=11)
        ax.annotate(
            "",
            xy=(2 * i + 0.55, -0.35),
            xytext=(2 * i + 1.45, -0.35),
            arrowprops=dict(arrowstyle="->", color="tab:red"),
        )
        ax.text(2 * i + 1, -0.75, backward[i], ha="center", fontsize=11, color="tab:red")
    ax.set_xlim(-0.9, 2 * n - 1.1)
    ax.set_ylim(-1.1, 1.0)
    ax.axis("off")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
