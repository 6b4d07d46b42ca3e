"""Ledger: thesis §2.2 (automatic differentiation); chapter "NumPy and PyTorch, step for step"."""

from __future__ import annotations

import numpy as np

from .record import Finding, claim

CHAPTER = "crosscheck"


@claim(
    "thesis-2.2-automatic-differentiation",
    document="thesis",
    where="§2.2",
    stated="'Modern deep learning frameworks (e.g., TensorFlow, PyTorch) provide automatic "
    "differentiation, which simplifies the implementation of backpropagation'",
    verdict="holds",
    correct="as stated: PyTorch's autograd, given only the forward computation, returns the "
    "gradients that the book's hand-written backward passes compute, for every parameter of "
    "LeNet-5 and of the thesis's CNN (float64, to rounding)",
    chapter=CHAPTER,
)
def _autodiff() -> Finding:
    from .. import zoo
    from ..gradcheck import error_bound
    from ..lockstep import gradient_difference

    rng = np.random.default_rng(0)
    x, y = rng.random((4, 1, 28, 28)), rng.integers(0, 10, 4)
    worst = {}
    for name, net in (("LeNet-5", zoo.lenet5()), ("thesis CNN", zoo.thesis_cnn(dropout=0.0))):
        worst[name] = max(gradient_difference(net, net.init(0, np.float64), x, y).values())
    ok = all(v < 1e-10 for v in worst.values())
    return Finding(
        ok,
        ok,
        "largest relative gradient difference, hand-written against autograd: "
        + ", ".join(f"{k} {error_bound(v)}" for k, v in worst.items()),
    )
