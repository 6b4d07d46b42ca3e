"""Plot helpers shared by the chapters, so every figure of a kind looks the same.

Each returns the matplotlib ``Figure`` it drew; chapters call ``plt.show()`` or let the notebook
display it. Nothing here computes mathematics: the curves come from the modules that define it.

Every figure carries an alt text for readers who cannot see it: :func:`describe` writes it from
what the figure draws (each panel's title and axes, each curve's name and where it starts, ends
and peaks, the images and bars), after the sentence a helper or a chapter gives with
:func:`alt`. In a notebook, importing this module makes each displayed figure's PNG carry that
text in its output metadata (``{"image/png": {"alt": ...}}``), which the book's extension
(:mod:`cnnmath.reader`) puts on the page's ``<img>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .arguments import as_float_array, callable_arg, flag, positive_int
from .arguments import labels as check_labels


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
    return alt(
        fig,
        f"The function {name} (left) and its derivative (right) for z from {_num(z[0])} to "
        f"{_num(z[-1])}.",
    )


def _texts(**texts: object) -> None:
    for name, value in texts.items():
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str; got {value!r}")


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
    _texts(xlabel=xlabel, title=title)
    logy = flag(logy, "logy")
    if not isinstance(history, Mapping) or not all(isinstance(k, str) for k in history):
        raise TypeError(
            f"history must be a dict of named series {{label: values}}; got "
            f"{type(history).__name__}"
        )
    series = {
        k: as_float_array(v, f"history[{k!r}]", ndim=1, finite=False) for k, v in history.items()
    }
    own = ax is None
    if own:
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
    if own:
        alt(fig, f"Line plot of {', '.join(series)} against the {xlabel}.")
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
    if len(fig.axes) == 1:
        counts = ", ".join(f"{int(np.sum(y == k))} {n}" for k, n in enumerate(labels))
        alt(
            fig,
            f"{len(x)} points ({counts}) with the classifier's boundary, where the predicted "
            "probability is 0.5, drawn as a black line over the probability's shading.",
        )
    return fig


def confusion(
    cm: np.ndarray, class_names: Sequence[str], *, normalize: bool = True, ax=None, title: str = ""
):
    """A confusion matrix as a heat map, in percent of each true class when ``normalize``."""
    _texts(title=title)
    normalize = flag(normalize, "normalize")
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
    return alt(fig, _confusion_words(shown, class_names, normalize))


def _confusion_words(shown: np.ndarray, names: list[str], normalize: bool) -> str:
    unit = "%" if normalize else ""
    diag = np.diag(shown)
    best, worst = int(np.argmax(diag)), int(np.argmin(diag))
    off = shown - np.diag(diag)
    i, j = np.unravel_index(int(np.argmax(off)), off.shape)
    return (
        f"Confusion matrix of {len(names)} classes ({'in % of each true class' if normalize else 'counts'}): "
        f"true classes in rows, predicted in columns. The diagonal is highest for {names[best]} "
        f"({_num(diag[best])}{unit}) and lowest for {names[worst]} ({_num(diag[worst])}{unit}); "
        f"the largest confusion is {names[i]} predicted as {names[j]} ({_num(off[i, j])}{unit})."
    )


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
    if images.shape[1] not in (1, 3) or 0 in images.shape:
        raise ValueError(
            f"images must have 1 or 3 channels and no empty axis, shape (N, C, H, W); got "
            f"{images.shape}"
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
    preds = np.argmax(probs, axis=1)
    each = "; ".join(
        f"{class_names[int(p)]} {100 * probs[k, int(p)]:.0f}% "
        + (
            "(right)"
            if int(p) == int(labels[k])
            else f"(wrong: it is {class_names[int(labels[k])]})"
        )
        for k, p in enumerate(preds)
    )
    right = int(np.sum(preds == labels))
    return alt(
        fig,
        f"{n} images, each with the predicted class and its probability above it and a bar chart "
        f"of the {len(class_names)} class probabilities below; {right} of {n} predicted right. "
        f"Predictions: {each}.",
    )


def chain_diagram(
    nodes: Sequence[str], forward: Sequence[str], backward: Sequence[str], *, title: str = ""
):
    """A computational graph drawn as a chain: boxes for the values, forward arrows above, backward
    below.

    ``nodes`` are LaTeX labels of the values (``n`` of them); ``forward[i]`` labels the operation
    from
    node ``i`` to node ``i + 1`` and ``backward[i]`` the gradient sent back along it.
    """
    _texts(title=title)
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
    steps = ", ".join(
        f"{_clean(forward[i])} from {_clean(nodes[i])} to {_clean(nodes[i + 1])}"
        for i in range(n - 1)
    )
    grads = ", ".join(_clean(b) for b in backward)
    return alt(
        fig,
        f"A computational graph drawn as a chain of {n} values. Forward (black arrows, left to "
        f"right): {steps}. Backward (red arrows, right to left), the gradients: {grads}.",
    )


# --------------------------------------------------------------------------------------------
# alt text: what a figure shows, in words, from what it draws
# --------------------------------------------------------------------------------------------

_SUMMARY = "_cnnmath_alt"
_MAX_PANELS = 12


def alt(fig: Figure, summary: str, *, complete: bool = False) -> Figure:
    """Give ``fig`` the sentence that opens its alt text (what it shows and why); returns it.

    :func:`describe` follows the sentence with what the figure draws, unless ``complete`` says
    that the sentence says it all (a diagram, whose boxes and arrows are not data).
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")
    if not isinstance(summary, str) or not summary.strip():
        raise ValueError(f"summary must be a non-empty str; got {summary!r}")
    setattr(fig, _SUMMARY, " ".join(summary.split()))
    setattr(fig, _SUMMARY + "_complete", flag(complete, "complete"))
    return fig


def _num(v: float) -> str:
    v = float(v)
    if not np.isfinite(v):
        return str(v)
    return f"{v:.3g}".replace("e-0", "e-").replace("e+0", "e")


def _clean(text: str) -> str:
    """A label as words: TeX's dollars and backslashes dropped."""
    return " ".join(text.replace("$", "").replace("\\", "").split())


def _line_words(line, ax, xname: str) -> str | None:
    if line.get_transform() is not ax.transData:  # a guide (axhline, axvline), not data
        return None
    x, y = (np.asarray(v, dtype=float) for v in line.get_data())
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2 or np.ptp(x[ok]) == 0:  # a marker or a vertical line
        return None
    x, y = x[ok], y[ok]
    label = line.get_label()
    name = f"{_clean(label)}" if label and not label.startswith("_") else "a curve"
    if np.ptp(y) == 0:
        return f"{name} constant at {_num(y[0])}"
    at = f" at {xname} = " if xname else " at "
    words = f"{name} from {_num(y[0])}{at}{_num(x[0])} to {_num(y[-1])}{at}{_num(x[-1])}"
    lo, hi = int(np.argmin(y)), int(np.argmax(y))
    if 0 < lo < len(y) - 1:
        words += f", lowest {_num(y[lo])}{at}{_num(x[lo])}"
    if 0 < hi < len(y) - 1:
        words += f", highest {_num(y[hi])}{at}{_num(x[hi])}"
    return words


def _axes_words(ax) -> str:
    """One panel in words: 'title' (axes): what it draws."""
    title = _clean(ax.get_title())
    xlabel, ylabel = _clean(ax.get_xlabel()), _clean(ax.get_ylabel())
    items = [w for w in (_line_words(line, ax, xlabel) for line in ax.get_lines()) if w]
    for c in ax.collections:
        offsets = getattr(c, "get_offsets", lambda: [])()
        if len(offsets) > 0 and type(c).__name__ == "PathCollection":
            label = c.get_label()
            named = f" ({_clean(label)})" if label and not label.startswith("_") else ""
            items.append(f"{len(offsets)} points{named}")
    bars = [b for b in ax.patches if type(b).__name__ == "Rectangle" and b.get_height() != 0]
    if bars:
        heights, widths = [b.get_height() for b in bars], [b.get_width() for b in bars]
        across = len(set(heights)) == 1 and len(set(widths)) > 1  # barh: lengths are widths
        sizes = widths if across else heights
        ticks = ax.get_yticklabels() if across else ax.get_xticklabels()
        names = [_clean(t.get_text()) for t in ticks if _clean(t.get_text())]
        what = f"{len(bars)} {'horizontal ' if across else ''}bars"
        items.append(
            f"{what} from {_num(min(sizes))} to {_num(max(sizes))}"
            + (f" for {', '.join(names[:12])}" if names else "")
        )
    for im in ax.images:
        shape = im.get_array().shape
        items.append(f"an image of {shape[0]} by {shape[1]} pixels")
    texts = [_clean(t.get_text()) for t in ax.texts if _clean(t.get_text())]
    if texts and not ax.images:
        items.append("the labels " + ", ".join(texts[:8]) + (", ..." if len(texts) > 8 else ""))
    axes = []
    if ax.axison and items and not ax.images:
        if xlabel:
            axes.append(f"x axis {xlabel}")
        if ylabel:
            log = " (log scale)" if ax.get_yscale() == "log" else ""
            axes.append(f"y axis {ylabel}{log}")
    head = " ".join(
        w for w in (f"'{title}'" if title else "", f"({', '.join(axes)})" if axes else "") if w
    )
    body = "; ".join(items)
    return f"{head}: {body}" if head and body else head or body


def describe(fig: Figure) -> str:
    """The alt text of ``fig``: its :func:`alt` sentence, then what each panel draws.

    For each panel (colour bars left out): its title, its axes, each curve from its first to its
    last point with its lowest and highest inner points, scattered points by group, bars, images
    and text labels. Numbers have 3 significant digits.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")
    if getattr(fig, _SUMMARY + "_complete", False):
        return getattr(fig, _SUMMARY)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    words = [_axes_words(ax) for ax in panels]
    shown = [w for w in words if w]
    head = getattr(fig, _SUMMARY, "")
    suptitle = _clean(fig._suptitle.get_text()) if fig._suptitle is not None else ""
    parts = [head] if head else []
    if suptitle:
        parts.append(f"Title: {suptitle}.")
    if len(panels) == 1:
        parts.append(f"One panel, {shown[0]}." if shown else "One panel.")
    elif panels:
        listed = "; ".join(f"({k}) {w}" for k, w in enumerate(shown[:_MAX_PANELS], start=1))
        more = f"; and {len(shown) - _MAX_PANELS} more" if len(shown) > _MAX_PANELS else ""
        parts.append(f"{len(panels)} panels: {listed}{more}.")
    return " ".join(parts).replace("..", ".")


#: Pixels per inch of a figure's PNG: three times the screen's 100, so that the print edition's
#: figures are sharp (300 ppi) while the page shows them at their size in inches.
PRINT_SCALE = 3


def _png_for_print(fig: Figure) -> tuple[bytes, dict[str, int]]:
    """The figure as a PNG of ``PRINT_SCALE`` times its dpi, and the width and height (in CSS
    pixels, at its own dpi) at which a page shows it."""
    import struct

    from IPython.core.pylabtools import print_figure

    data = print_figure(fig, "png", bbox_inches="tight", dpi=PRINT_SCALE * fig.dpi)
    width, height = struct.unpack(">II", data[16:24])  # the PNG's IHDR chunk
    return data, {"width": width // PRINT_SCALE, "height": height // PRINT_SCALE}


def _install_alt_formatter(shell) -> None:
    """Wrap the shell's PNG formatter for figures (the inline backend's) to add the alt text."""
    png = shell.display_formatter.formatters["image/png"]
    try:
        if getattr(png.lookup_by_type(Figure), "cnnmath_alt", False):
            return
    except KeyError:
        pass

    def png_with_alt(fig):
        data, size = _png_for_print(fig)
        return data, {**size, "alt": describe(fig)}

    png_with_alt.cnnmath_alt = True
    png.for_type(Figure, png_with_alt)


def _register_alt_formatter() -> bool:
    """In an IPython kernel: a figure's PNG output carries ``describe(fig)`` as its alt text.

    The inline backend sets the shell's figure formats when it is loaded (and again on a
    ``%matplotlib`` magic): it is loaded first, and the wrapper is checked before every cell.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    import matplotlib

    if "inline" in str(matplotlib.rcParams._get("backend")):
        import matplotlib_inline.backend_inline  # noqa: F401  (configures the shell's formats)
    _install_alt_formatter(shell)
    if not getattr(shell, "_cnnmath_alt_hook", False):
        shell.events.register("pre_run_cell", lambda *_: _install_alt_formatter(shell))
        shell._cnnmath_alt_hook = True
    return True


_register_alt_formatter()


# --------------------------------------------------------------------------------------------
# a network's architecture, drawn from its description
# --------------------------------------------------------------------------------------------

_MAIN = ("Conv2d", "TableConv2d", "Dense", "EuclideanRBF")


def _shape_text(shape: tuple) -> str:
    return f"{shape[0]}@{shape[1]}x{shape[2]}" if len(shape) == 3 else f"{shape[0]}"


def _step_text(layer, short: bool = False) -> str:
    """What a layer does, in the diagram's few words (``short``: its kernel as 11x11, s4, p2)."""
    kind = type(layer).__name__
    if kind in ("Conv2d", "TableConv2d"):
        kh, kw = layer.kernel
        words = [f"{kh}x{kw}"]
        if layer.stride != (1, 1):
            words.append(f"s{layer.stride[0]}" if short else f"stride {layer.stride[0]}")
        if layer.padding != (0, 0):
            words.append(f"p{layer.padding[0]}" if short else f"padding {layer.padding[0]}")
        if getattr(layer, "groups", 1) != 1:
            words.append(f"g{layer.groups}" if short else f"groups {layer.groups}")
        if kind == "TableConv2d":
            words.append("table" if short else "partial connection table")
        return ", ".join(words) if short else "conv " + ", ".join(words)
    if kind == "Dense":
        return "dense"
    if kind == "EuclideanRBF":
        return "RBF"
    if kind in ("MaxPool2d", "AvgPool2d", "Subsampling"):
        kh = layer.kernel[0] if hasattr(layer, "kernel") else 2
        stride = layer.stride[0] if hasattr(layer, "stride") else kh
        name = {"MaxPool2d": "max-pool", "AvgPool2d": "avg-pool", "Subsampling": "subsample"}[kind]
        if short:
            name = {"MaxPool2d": "max", "AvgPool2d": "avg", "Subsampling": "subs."}[kind]
        return f"{name} {kh}x{kh}" + (f"/{stride}" if stride != kh else "")
    if kind == "Activation":
        return str(layer.function if isinstance(layer.function, str) else layer.kind)
    if kind == "LRN":
        return "LRN"
    if kind == "Dropout":
        return "dropout"
    return ""


def architecture(net, *, title: str = "", figsize: tuple[float, float] = (11, 5.2)) -> Figure:
    """A network drawn from its description (a :class:`cnnmath.network.Sequential`): one column
    per convolution or dense layer, its output as a box whose height grows with its side, split
    into two towers where the network has grouped convolutions (AlexNet's two GPUs).

    Within a tower, arrows join a tower's maps to the next layer's maps in the same tower; a
    layer that reads both towers (groups 1, or a dense layer) also gets crossing arrows. Under
    each column: the layer's name, its kernel (size, stride, padding), its output shape, and the
    activation, normalization and pooling that follow it.
    """
    layers = getattr(net, "layers", None)
    if not isinstance(layers, (list, tuple)) or not layers:
        raise TypeError(f"net must be a network description with layers; got {type(net).__name__}")
    _texts(title=title)
    towers = 2 if any(getattr(layer, "groups", 1) == 2 for layer in layers) else 1
    blocks: list[dict] = []
    for layer in layers:
        kind = type(layer).__name__
        if kind in _MAIN:
            blocks.append({"layer": layer, "after": [], "out": layer.out_shape})
        elif blocks:
            if _step_text(layer):
                blocks[-1]["after"].append(layer)
            blocks[-1]["final"] = layer.out_shape
    if not blocks:
        raise ValueError("net has no convolution or dense layer to draw")
    columns = [
        {"name": "input", "shape": tuple(net.input_shape), "kernel": "", "short": "", "after": []}
    ]
    for b in blocks:
        layer = b["layer"]
        columns.append(
            {
                "name": layer.name,
                "shape": tuple(b["out"]),
                "kernel": _step_text(layer),
                "short": _step_text(layer, short=True)
                if type(layer).__name__ in ("Conv2d", "TableConv2d")
                else "",
                "after": [_step_text(a) for a in b["after"]],
                "after_short": [_step_text(a, short=True) for a in b["after"]],
                "groups": getattr(layer, "groups", 1),
                "dense": type(layer).__name__ in ("Dense", "EuclideanRBF"),
            }
        )
    fig, ax = plt.subplots(figsize=figsize)
    sides = [c["shape"][1] if len(c["shape"]) == 3 else 1 for c in columns]
    biggest = max(sides)
    gap = 0.14
    last = len(columns) - 1
    for x, (col, side) in enumerate(zip(columns, sides)):
        split = towers == 2 and 0 < x < last  # one input image; one output layer
        band = (1 - gap) / 2 if split else 1.0
        height = band * (0.3 + 0.7 * np.sqrt(side / biggest))
        lows = [gap / 2 + (band - height) / 2, -gap / 2 - band + (band - height) / 2]
        colour = "#d9d9d9" if x == 0 else "#fdd0a2" if col.get("dense") else "#9ecae1"
        boxes = []
        for y0 in lows if split else [-height / 2]:
            ax.add_patch(
                plt.Rectangle((x - 0.2, y0), 0.4, height, facecolor=colour, edgecolor="0.2")
            )
            boxes.append((y0, y0 + height))
            if split:
                ax.text(
                    x,
                    y0 + height / 2,
                    f"{col['shape'][0] // 2}",
                    ha="center",
                    va="center",
                    fontsize=12,
                )
        col["boxes"] = boxes
        lines = [col["name"], col["short"], _shape_text(col["shape"])]
        ax.text(x, -0.62, "\n".join(w for w in lines if w), ha="center", va="top", fontsize=13)
        if col["after"]:
            ax.text(
                x,
                -1.2,
                "\n".join(col["after_short"]),
                ha="center",
                va="top",
                fontsize=12,
                color="0.25",
            )
    for x in range(1, len(columns)):
        src, dst = columns[x - 1]["boxes"], columns[x]["boxes"]
        grouped = columns[x].get("groups", 1) == 2
        for i, (s0, s1) in enumerate(src):
            for j, (d0, d1) in enumerate(dst):
                across = len(src) == len(dst) == 2 and i != j
                if across and grouped:
                    continue
                ax.annotate(
                    "",
                    xy=(x - 0.22, (d0 + d1) / 2),
                    xytext=(x - 0.78, (s0 + s1) / 2),
                    arrowprops=dict(arrowstyle="->", color="tab:red" if across else "k", lw=1),
                )
    ax.set_xlim(-0.55, len(columns) - 0.45)
    ax.set_ylim(-1.85, 0.62)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=14, pad=16)
    if towers == 2:
        ax.text(
            -0.5,
            0.6,
            "two towers, as the paper's two GPUs; red arrows cross between them",
            fontsize=12,
            va="top",
            color="0.25",
        )
    fig.tight_layout()
    steps = "; ".join(
        f"{c['name']}"
        + (f" ({c['kernel']})" if c["kernel"] else "")
        + f" to {_shape_text(c['shape'])}"
        + (
            f" in two towers of {c['shape'][0] // 2}"
            if towers == 2 and 0 < k < len(columns) - 1
            else ""
        )
        + (f", then {', '.join(c['after'])}" if c["after"] else "")
        for k, c in enumerate(columns)
    )
    crossing = [c["name"] for c in columns[1:] if c.get("groups", 1) != 2]
    towers_words = (
        f" Grouped layers read only their own tower; {', '.join(crossing)} read both towers."
        if towers == 2
        else ""
    )
    return alt(
        fig, f"The network's layers from input to output: {steps}.{towers_words}", complete=True
    )
