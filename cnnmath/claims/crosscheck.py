"""Ledger: thesis §2.2 (automatic differentiation); chapter "NumPy and PyTorch, step for step"."""

from __future__ import annotations

import numpy as np

from ..ledger import Finding, claim

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
    import torch

    from .. import zoo
    from ..crosscheck import relative_difference
    from ..gradcheck import error_bound
    from ..torch_twin import grads

    rng = np.random.default_rng(0)
    x, y = rng.random((4, 1, 28, 28)), rng.integers(0, 10, 4)
    worst = {}
    for name, net in (
        ("LeNet-5", zoo.lenet5(seed=0, dtype=np.float64)),
        ("thesis CNN", zoo.thesis_cnn(seed=0, dtype=np.float64, dropout=0.0)),
    ):
        _, ours, _ = net.loss_and_grads(x, y)
        twin = net.twin("cpu").train()
        torch.nn.functional.cross_entropy(twin(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        theirs = grads(net, twin)
        worst[name] = max(relative_difference(ours[k], theirs[k]) for k in ours)
    ok = all(v < 1e-10 for v in worst.values())
    return Finding(
        ok,
        ok,
        "largest relative gradient difference, hand-written against autograd: "
        + ", ".join(f"{k} {error_bound(v)}" for k, v in worst.items()),
    )
