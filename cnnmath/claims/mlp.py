"""Ledger: the slides' MLP slides (parameter counts, datasets), the thesis's §5.1-5.2.1 (datasets,
splits, the ANN) and the paper's MNIST; chapter "Training an MLP on real data"."""

from __future__ import annotations

from functools import lru_cache

from ..chain_rule import parameter_count
from .record import Finding, by_reference, claim

CHAPTER = "mlp"


@lru_cache(maxsize=1)
def _fashion():
    """Fashion-MNIST (training and test sets), read once for all the claims that count it."""
    from ..data import load_fashion_mnist

    return load_fashion_mnist()


def _count_claim(
    id_: str, where: str, sizes: tuple[int, ...], printed: int, document: str = "slides"
) -> None:
    arch = "-".join(map(str, sizes))

    def check() -> Finding:
        n = parameter_count(sizes)
        return Finding(n == printed, True, f"{arch}: computed {n:,}")

    check.__name__ = check.__qualname__ = f"check_{id_.replace('-', '_')}"
    claim(
        id_,
        document=document,
        where=where,
        stated=f"{arch} has {printed:,} parameters",
        verdict="holds",
        correct=f"{arch} has {printed:,} parameters",
        chapter=CHAPTER,
    )(check)


_count_claim(
    "slides-boston-mlp-params",
    "'MLPs for Simple Regression and Classification': Boston housing",
    (13, 8, 6, 1),
    173,
)
_count_claim(
    "slides-mnist-mlp-params",
    "'MLPs for Grayscale Image Classifications': MNIST and Fashion-MNIST",
    (784, 128, 64, 10),
    109386,
)
_count_claim(
    "slides-cifar-mlp-params",
    "'MLPs for CIFAR-10 Color Image Classification'",
    (3072, 1536, 768, 384, 128, 10),
    6246410,
)
_count_claim(
    "thesis-fashion-ann-params", "§5.2.1", (784, 128, 64, 32, 10), 111146, document="thesis"
)


@claim(
    "slides-iris-mlp-params",
    document="slides",
    where="'MLPs for Simple Regression and Classification': Iris",
    stated="4-8-6-3 MLP: 187 parameters, = 13*8+8*6+6*3+8+6+3",
    verdict="wrong",
    correct="4-8-6-3 has 4*8+8*6+6*3+8+6+3 = 115 parameters; the slide's formula starts "
    "from the Boston "
    "network's 13 inputs",
    chapter=CHAPTER,
)
def _iris() -> Finding:
    n = parameter_count((4, 8, 6, 3))
    slide_formula = 13 * 8 + 8 * 6 + 6 * 3 + 8 + 6 + 3
    return Finding(
        n == 187,
        n == 4 * 8 + 8 * 6 + 6 * 3 + 8 + 6 + 3 == 115,
        f"computed {n}; the slide's formula evaluates to {slide_formula}, which counts 13 inputs",
    )


@claim(
    "thesis-fashion-split",
    document="thesis",
    where="§5.2.1",
    stated="60,000 test images are divided into 48,000 for training and 12,000 for validation",
    verdict="wrong",
    correct="the 60,000 *training* images are divided 48,000/12,000; the test set has "
    "10,000 images",
    chapter=CHAPTER,
)
def _split() -> Finding:
    train, test = _fashion()
    return Finding(
        len(test) == 60000,
        len(train) == 60000 == 48000 + 12000 and len(test) == 10000,
        f"Fashion-MNIST: {len(train):,} training and {len(test):,} test images",
    )


@claim(
    "thesis-5.1.1-cifar-split",
    document="thesis",
    where="§5.1.1",
    stated="'50,000 test images are divided into 40,000 for training and 10,000 for validation'",
    verdict="wrong",
    correct="the 50,000 *training* images are divided 40,000/10,000; CIFAR-10's test set "
    "has 10,000 images "
    "(§5.1 itself: 5,000 training and 1,000 test images per class)",
    reference="Krizhevsky (2009), 'Learning multiple layers of features from tiny images', "
    "ch. 3 (CIFAR-10: 50,000 "
    "training and 10,000 test images)",
    chapter=CHAPTER,
)
def _cifar_split() -> Finding:
    per_class_train, per_class_test, classes = (
        5_000,
        1_000,
        10,
    )  # the thesis's own §5.1, as the cited report
    train, test = per_class_train * classes, per_class_test * classes
    return Finding(
        test == 50_000,
        train == 40_000 + 10_000 and test == 10_000,
        f"by §5.1's own numbers: {train:,} training and {test:,} test images",
    )


@claim(
    "thesis-5.1-cifar-counts",
    document="thesis",
    where="§5.1",
    stated="CIFAR-10: 60,000 colour images of 32 × 32 × 3, 10 classes of 6,000 images, "
    "5,000 for training and "
    "1,000 for testing per class",
    verdict="holds",
    correct="as stated; the sums agree: 10 · (5,000 + 1,000) = 60,000",
    reference="Krizhevsky (2009), 'Learning multiple layers of features from tiny images', ch. 3",
    chapter=CHAPTER,
)
def _cifar_counts() -> Finding:
    per_class = 5_000 + 1_000  # the thesis's own per-class split
    return by_reference(
        10 * per_class == 60_000,
        f"CIFAR-10 has 50,000 training and 10,000 test images of 32x32x3 in 10 classes; the "
        f"thesis's split adds up: 10 · ({per_class:,}) = {10 * per_class:,}",
    )


@claim(
    "thesis-5.1.1-ann-params",
    document="thesis",
    where="§5.1.1",
    stated="dense layers of 128, 64, 32 and 10 neurons on CIFAR-10 (3072 inputs): 404,010 "
    "trainable parameters",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _cifar_ann() -> Finding:
    n = parameter_count((3072, 128, 64, 32, 10))
    return Finding(n == 404_010, n == 404_010, f"3072-128-64-32-10: computed {n:,}")


@claim(
    "thesis-5.2.1-same-model",
    document="thesis",
    where="§5.2.1",
    stated="the Fashion-MNIST ANN (111,146 parameters) is 'the same model as in Section "
    "5.1.1, with the only "
    "difference being the input layer'",
    verdict="holds",
    correct="as stated: the counts differ by (3072 - 784) · 128 = 292,864, the first "
    "layer's extra weights",
    chapter=CHAPTER,
)
def _same_model() -> Finding:
    diff = parameter_count((3072, 128, 64, 32, 10)) - parameter_count((784, 128, 64, 32, 10))
    ok = diff == (3072 - 784) * 128
    return Finding(ok, ok, f"404,010 - 111,146 = {diff:,} = (3072 - 784) · 128")


@claim(
    "thesis-5.2-fashion-classes",
    document="thesis",
    where="§5.2 and §5.2.1",
    stated="the categories are 'ankle boot, bag, coat, dress, pullover, sandal, shirt, "
    "sneaker, t-shirt/top, and "
    "trouser'; 'category seven, which is the shirt', is most often confused with 'the first "
    "category which "
    "is T-shirt/top'",
    verdict="holds",
    correct="as stated, counting the categories from 1 in the dataset's label order (labels "
    "6 and 0)",
    chapter=CHAPTER,
)
def _fashion_classes() -> Finding:
    from ..data import FASHION_MNIST_CLASSES

    stated = {
        "ankle boot",
        "bag",
        "coat",
        "dress",
        "pullover",
        "sandal",
        "shirt",
        "sneaker",
        "t-shirt/top",
        "trouser",
    }
    names = [c.lower() for c in FASHION_MNIST_CLASSES]
    ok = set(names) == stated and names[7 - 1] == "shirt" and names[1 - 1] == "t-shirt/top"
    return Finding(
        ok, ok, f"the dataset's classes, in label order: {', '.join(FASHION_MNIST_CLASSES)}"
    )


@claim(
    "slides-dataset-sizes",
    document="slides",
    where="'MLPs for Simple Regression and Classification', 'MLPs for Grayscale Image "
    "Classifications' and "
    "'MLPs for CIFAR-10 Color Image Classification'",
    stated="Iris: 4 features and 150 records; Boston housing: 13 features and 506 records; "
    "MNIST and Fashion-MNIST: "
    "70,000 28x28 grayscale images; CIFAR-10: 60,000 32x32x3 images",
    verdict="holds",
    correct="as stated: Iris and Fashion-MNIST counted in the data, the others by reference",
    reference="Harrison & Rubinfeld (1978), J. Environ. Econ. Manag. 5 (Boston: 506 tracts, "
    "13 features and the "
    "target); LeCun et al. (1998), Proc. IEEE (MNIST: 60,000 + 10,000); Krizhevsky (2009) "
    "(CIFAR-10)",
    chapter=CHAPTER,
)
def _dataset_sizes() -> Finding:
    from ..data import load_iris

    iris = load_iris()
    train, test = _fashion()
    counted = {"iris": (len(iris), iris.x.shape[1]), "fashion": len(train) + len(test)}
    ok = counted == {"iris": (150, 4), "fashion": 70_000}
    return Finding(
        ok,
        ok,
        f"counted in the data: Iris {counted['iris'][0]} records x {counted['iris'][1]} "
        f"features, Fashion-MNIST {counted['fashion']:,} images; by reference, not computed: "
        "MNIST 70,000, CIFAR-10 60,000, Boston 506 x 13",
    )


@claim(
    "slides-mlp-count-units",
    document="slides",
    where="'The Shortcomings of MLPs for Image Data'",
    stated="784-128-64-10: 784·128 + 128·64 + 64·10 = 109,184 weights and 128 + 64 + 10 = "
    "202 biases, 109,386 in all "
    "('109.386K')",
    verdict="holds",
    correct="as stated: 109.386 thousand",
    chapter=CHAPTER,
)
def _mlp_units() -> Finding:
    weights, biases = 784 * 128 + 128 * 64 + 64 * 10, 128 + 64 + 10
    ok = (weights, biases) == (109_184, 202) and weights + biases == parameter_count(
        (784, 128, 64, 10)
    ) == 109.386e3
    return Finding(ok, ok, f"{weights:,} + {biases} = {weights + biases:,} = 109.386 x 1000")


@claim(
    "paper-5-mnist-size",
    document="paper",
    where="§5 and §2.3",
    stated="'the entire MNIST data set, which is in fact 10.000 labeled images'; 'a typical "
    "MNIST image with "
    "dimensions 28x28'",
    verdict="wrong",
    correct="MNIST has 70,000 labelled 28x28 images: 60,000 for training and 10,000 for "
    "testing; the paper's own "
    "train() reads m = 50,000 training images",
    reference="LeCun, Bottou, Bengio & Haffner (1998), Proc. IEEE 86(11), §III.A",
    chapter=CHAPTER,
)
def _mnist_size() -> Finding:
    return by_reference(
        False,
        "MNIST has 60,000 training and 10,000 test images of 28x28 (70,000 in all); the paper's "
        "own train() reads m = 50,000 of the training images",
    )


@claim(
    "thesis-5.2.1-figure-18",
    document="thesis",
    where="§5.2.1 (Figure 27)",
    stated="the Fashion-MNIST ANN has '111,146 trainable parameters, as also shown in Figure 18'",
    verdict="editorial",
    correct="'as also shown in Figure 27': Figure 18 is the table of §5.1.1's CIFAR-10 model, "
    "with 404,010 parameters; Figure 27, two lines below, is this model's",
    chapter=CHAPTER,
)
def _figure_18() -> Finding:
    figure_18 = parameter_count((3072, 128, 64, 32, 10))  # §5.1.1's model, its table Figure 18
    figure_27 = parameter_count((784, 128, 64, 32, 10))  # §5.2.1's model, its table Figure 27
    return Finding(
        figure_18 == 111_146,
        figure_27 == 111_146 != figure_18,
        f"Figure 18's model (3072 inputs): {figure_18:,} parameters; Figure 27's (784 inputs): "
        f"{figure_27:,}",
    )
