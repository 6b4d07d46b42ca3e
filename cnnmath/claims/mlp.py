"""Ledger: the slides' MLP parameter counts and the thesis §5.2.1; chapter "Training an MLP on real data"."""
from __future__ import annotations

from ..ledger import Finding, claim
from ..mlp import parameter_count

CHAPTER = "mlp"


def _count_claim(id_: str, where: str, sizes: tuple[int, ...], printed: int, document: str = "slides") -> None:
    arch = "-".join(map(str, sizes))

    def check() -> Finding:
        n = parameter_count(sizes)
        return Finding(n == printed, True, f"{arch}: computed {n:,}")

    check.__name__ = check.__qualname__ = f"check_{id_.replace('-', '_')}"
    claim(id_, document=document, where=where, stated=f"{arch} has {printed:,} parameters", verdict="holds",
          correct=f"{arch} has {printed:,} parameters", chapter=CHAPTER)(check)


_count_claim("slides-boston-mlp-params", "MLPs for regression: Boston housing", (13, 8, 6, 1), 173)
_count_claim("slides-mnist-mlp-params", "MLPs for grayscale images: MNIST and Fashion-MNIST", (784, 128, 64, 10), 109386)
_count_claim("slides-cifar-mlp-params", "MLPs for CIFAR-10", (3072, 1536, 768, 384, 128, 10), 6246410)
_count_claim("thesis-fashion-ann-params", "§5.2.1", (784, 128, 64, 32, 10), 111146, document="thesis")


@claim("slides-iris-mlp-params", document="slides", where="MLPs for classification: Iris",
       stated="4-8-6-3 MLP: 187 parameters, = 13*8+8*6+6*3+8+6+3", verdict="wrong",
       correct="4-8-6-3 has 4*8+8*6+6*3+8+6+3 = 115 parameters; the slide's formula starts from the Boston "
               "network's 13 inputs", chapter=CHAPTER)
def _iris() -> Finding:
    n = parameter_count((4, 8, 6, 3))
    slide_formula = 13 * 8 + 8 * 6 + 6 * 3 + 8 + 6 + 3
    return Finding(n == 187, n == 4 * 8 + 8 * 6 + 6 * 3 + 8 + 6 + 3 == 115,
                   f"computed {n}; the slide's formula evaluates to {slide_formula}, which counts 13 inputs")


@claim("thesis-fashion-split", document="thesis", where="§5.2.1",
       stated="60,000 test images are divided into 48,000 for training and 12,000 for validation", verdict="wrong",
       correct="the 60,000 *training* images are divided 48,000/12,000; the test set has 10,000 images", chapter=CHAPTER)
def _split() -> Finding:
    from ..data import load_fashion_mnist

    train, test = load_fashion_mnist()
    return Finding(len(test) == 60000, len(train) == 60000 == 48000 + 12000 and len(test) == 10000,
                   f"Fashion-MNIST: {len(train):,} training and {len(test):,} test images")
