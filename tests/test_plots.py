import matplotlib
import numpy as np
import pytest

from cnnmath import plots

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close():
    yield
    matplotlib.pyplot.close("all")


def test_every_plot_draws_valid_input():
    z = np.linspace(-2, 2, 9)
    assert len(plots.function_and_derivative(z, np.tanh(z), 1 - np.tanh(z) ** 2, "tanh").axes) == 2
    ax = plots.curves({"train": [1.0, 0.5], "val acc": [float("nan"), 0.4]}).axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["train", "val acc"]
    x = np.random.default_rng(0).normal(size=(20, 2))
    y = (x[:, 0] > 0).astype(float)  # integral floats are labels too
    plots.decision_boundary(lambda t: 1 / (1 + np.exp(-t[:, 0])), x, y)
    plots.confusion(np.array([[3, 1], [0, 4]]), ("a", "b"))
    imgs = np.random.default_rng(0).integers(
        0, 256, (4, 3, 5, 5), dtype=np.uint8
    )  # uint8 RGB drawn as given
    fig = plots.predictions(
        imgs, np.full((4, 3), 1 / 3), np.array([0, 1, 2, 0]), ("a", "b", "c"), cols=2
    )
    assert fig.axes[0].images[0].get_array().dtype == np.uint8
    plots.chain_diagram(["x", "z", "E"], ["f", "g"], ["f'", "g'"])


def test_mismatched_lengths_are_named():
    z = np.linspace(-1, 1, 5)
    with pytest.raises(ValueError, match=r"df must have one value per point of z \(5\); got 4"):
        plots.function_and_derivative(z, z, z[:4], "f")
    with pytest.raises(ValueError, match=r"class_names must have 3 entries; got 2"):
        plots.confusion(np.eye(3), ("a", "b"))
    with pytest.raises(ValueError, match="predict_proba must return one probability per row"):
        plots.decision_boundary(lambda t: np.ones(3), np.zeros((4, 2)), np.array([0, 1, 0, 1]))


# --------------------------------------------------------------------------------------------
# alt text
# --------------------------------------------------------------------------------------------


def test_describe_reads_the_curves_from_the_data():
    fig, ax = matplotlib.pyplot.subplots()
    x = np.arange(1, 6)
    ax.plot(x, [0.9, 0.4, 0.2, 0.25, 0.3], label="loss")
    ax.axhline(0, color="0.7")  # a guide: not described
    ax.set(title="training", xlabel="epoch", ylabel="$E$", yscale="log")
    plots.alt(fig, "How the loss falls.")
    assert plots.describe(fig) == (
        "How the loss falls. One panel, 'training' (x axis epoch, y axis E (log scale)): "
        "loss from 0.9 at epoch = 1 to 0.3 at epoch = 5, lowest 0.2 at epoch = 3."
    )


def test_the_helpers_give_their_figures_a_summary_from_their_data():
    z = np.linspace(-2, 2, 9)
    text = plots.describe(plots.function_and_derivative(z, np.tanh(z), 1 - np.tanh(z) ** 2, "tanh"))
    assert text.startswith(
        "The function tanh (left) and its derivative (right) for z from -2 to 2."
    )
    assert "highest 1 at z = 0" in text  # tanh' peaks at 0
    cm = np.array([[8, 2, 0], [1, 5, 4], [0, 0, 10]])
    text = plots.describe(plots.confusion(cm, ("a", "b", "c")))
    assert "highest for c (100%) and lowest for b (50%)" in text
    assert "the largest confusion is b predicted as c (40%)" in text
    imgs = np.zeros((2, 1, 5, 5))
    fig = plots.predictions(imgs, np.array([[0.7, 0.3], [0.4, 0.6]]), np.array([0, 0]), ("a", "b"))
    assert "1 of 2 predicted right" in plots.describe(fig)
    assert "b 60% (wrong: it is a)" in plots.describe(fig)
    x = np.array([[0.0, 1], [1, 0], [2, 2]])
    fig = plots.decision_boundary(lambda t: t[:, 0] / 2, x, np.array([0, 1, 1]), labels=("u", "v"))
    assert plots.describe(fig).startswith("3 points (1 u, 2 v) with the classifier's boundary")


def test_alt_and_describe_refuse_what_is_not_a_figure():
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
        plots.describe("figure")
    fig = matplotlib.pyplot.figure()
    with pytest.raises(ValueError, match="summary must be a non-empty str"):
        plots.alt(fig, "  ")


def test_a_kernel_figure_output_carries_its_alt_text(tmp_path):
    """In a notebook, importing plots puts describe(fig) in the PNG output's metadata."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nfrom cnnmath import plots"),
        nbformat.v4.new_code_cell(
            "fig, ax = plt.subplots()\n_ = ax.plot([1, 2, 3], [3, 1, 2], label='loss')\n"
            "_ = plots.alt(fig, 'A test.')"
        ),
    ]
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    ).execute()
    (image,) = [o for o in nb.cells[1].outputs if "image/png" in o.get("data", {})]
    assert image["metadata"]["image/png"]["alt"] == (
        "A test. One panel, loss from 3 at 1 to 2 at 3, lowest 1 at 2."  # no x label
    )


def _figure_cells():
    import json
    from pathlib import Path

    for path in sorted((Path(__file__).resolve().parents[1] / "book").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            images = [
                o
                for o in cell.get("outputs", [])
                if any(k.startswith("image/") for k in o.get("data", {}))
            ]
            if images:
                yield path.name, cell, images


def test_every_figure_of_the_book_has_a_caption_and_an_alt_text():
    """Stored outputs: each figure cell has a numbered caption (mystnb figure metadata) and each
    image an alt text (its output's metadata, from cnnmath.plots, or the cell's own)."""
    cells = list(_figure_cells())
    assert len(cells) >= 30
    for name, cell, images in cells:
        figure = cell["metadata"].get("mystnb", {}).get("figure", {})
        assert figure.get("caption"), f"{name} {cell['id']}: no caption"
        cell_alt = cell["metadata"].get("mystnb", {}).get("image", {}).get("alt")
        for output in images:
            alts = [output.get("metadata", {}).get(k, {}).get("alt") for k in output["data"]]
            assert cell_alt or any(alts), f"{name} {cell['id']}: a figure without alt text"


def test_architecture_is_drawn_from_the_description():
    from cnnmath import zoo

    fig = plots.architecture(zoo.alexnet())
    text = plots.describe(fig)
    # every convolution and dense layer, with its kernel and output shape, from the layers
    assert "conv1 (conv 11x11, stride 4) to 96@55x55 in two towers of 48" in text
    assert "conv2 (conv 5x5, padding 2, groups 2) to 256@27x27 in two towers of 128" in text
    assert "fc8 (dense) to 1000." in text
    assert "conv1, conv3, fc6, fc7, fc8 read both towers" in text
    # two towers: two boxes per hidden layer, one for the input and one for the output
    boxes = [p for p in fig.axes[0].patches if type(p).__name__ == "Rectangle"]
    assert len(boxes) == 1 + 2 * 7 + 1
    lenet = plots.describe(plots.architecture(zoo.lenet5_1998()))
    assert "towers" not in lenet and "C3 (conv 5x5, partial connection table) to 16@10x10" in lenet
    with pytest.raises(TypeError, match="net must be a network description"):
        plots.architecture("alexnet")


def test_describe_names_bars_by_their_category():
    fig, ax = matplotlib.pyplot.subplots()
    ax.barh(["thesis", "paper"], [3, 5])  # horizontal: the lengths are the widths
    assert plots.describe(fig) == "One panel, 2 horizontal bars from 3 to 5 for thesis, paper."
    fig, ax = matplotlib.pyplot.subplots()
    ax.bar(["a", "b", "c"], [1, 4, 2])
    assert plots.describe(fig) == "One panel, 3 bars from 1 to 4 for a, b, c."
