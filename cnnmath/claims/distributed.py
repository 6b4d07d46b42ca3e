"""Ledger: paper §4 (gradients example by example, then the batch).

Chapter "Training past one machine".
"""

from __future__ import annotations

import numpy as np

from .record import Finding, claim

CHAPTER = "distributed"


@claim(
    "paper-4-example-by-example",
    document="paper",
    where="§4",
    stated="'For each training data in the batch, we evaluate the output of the loss by the "
    "forward operation and retrieve the gradients using the backward operation ... Afterwards, "
    "we evaluate the cost function of the batch and adjust the parameters'",
    verdict="holds",
    correct="as stated for networks whose examples do not interact, such as the paper's and "
    "LeNet-5: the mean of the per-example gradients is the gradient of the batch's mean cost "
    "(shards of one example, the extreme of data parallelism). With batch normalization the "
    "examples interact through the batch statistics, and one example at a time computes a "
    "different function with a different gradient",
    chapter=CHAPTER,
)
def _example_by_example() -> Finding:
    from .. import zoo
    from ..gradcheck import error_bound
    from ..rounding import relative_difference

    rng = np.random.default_rng(4)
    x, y = rng.random((6, 1, 12, 12)), rng.integers(0, 10, 6)

    def gap(net, state):
        _, whole, _ = net.loss_and_grads(state, x, y)
        per = [net.loss_and_grads(state, x[i : i + 1], y[i : i + 1])[1] for i in range(len(x))]
        return max(
            relative_difference(sum(g[name][k] for g in per) / len(x), whole[name][k])
            for name in whole
            for k in whole[name]
        )

    from ..layers import Conv2d, Dense, Flatten, MaxPool2d, ReLU
    from ..network import Sequential

    plain = Sequential(
        [Conv2d(4, 3, name="c"), ReLU(), MaxPool2d(2), Flatten(), Dense(10, name="d")],
        (1, 12, 12),
    )
    with_bn = zoo.thesis_cnn(input_shape=(1, 12, 12), dropout=0.0)
    g_plain = gap(plain, plain.init(seed=0))
    g_bn = gap(with_bn, with_bn.init(seed=0, dtype=np.float64))
    return Finding(
        g_plain < 1e-12,
        g_plain < 1e-12 and g_bn > 1e-3,
        f"mean of 6 per-example gradients against the batch gradient: conv-ReLU-pool-dense "
        f"{error_bound(g_plain)}, the thesis CNN (batch norm) {g_bn:.1f}",
    )
