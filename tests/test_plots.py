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
