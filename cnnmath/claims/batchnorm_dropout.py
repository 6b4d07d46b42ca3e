"""Ledger: thesis §3.2.3-3.2.4 (eq. 57-58) and §5.1.2, slides (batch normalization, dropout);
chapter "Batch normalization and dropout"."""

from __future__ import annotations

import numpy as np

from ..dropout import dropout_forward
from ..norm import batchnorm_forward, parameter_counts
from .record import Finding, by_reference, claim

CHAPTER = "batchnorm_dropout"


@claim(
    "thesis-eq57-58",
    document="thesis",
    where="§3.2.3 eq. 57-58",
    stated="z = (x - µ)/sqrt(σ² + ε) normalizes x; γ z + β rescales and shifts it",
    verdict="holds",
    correct="as stated: per channel, the normalized values have mean 0 and variance σ²/(σ² "
    "+ ε) ≈ 1",
    chapter=CHAPTER,
)
def _eq57() -> Finding:
    x = np.random.default_rng(0).normal(3, 2, (256, 4))
    y, _, _ = batchnorm_forward(x, np.ones(4), np.zeros(4), np.zeros(4), np.ones(4))
    y2, _, _ = batchnorm_forward(x, np.full(4, 2.0), np.full(4, 0.5), np.zeros(4), np.ones(4))
    ok = bool(
        np.allclose(y.mean(0), 0, atol=1e-12)
        and np.allclose(y.var(0), 1, rtol=1e-5)
        and np.allclose(y2.mean(0), 0.5)
        and np.allclose(y2.std(0), 2, rtol=1e-5)
    )
    return Finding(
        ok,
        ok,
        "256 values per channel: mean 0 and variance 1; with γ = 2, β = 0.5: mean 0.5, std 2",
    )


@claim(
    "thesis-3.2.3-hyperparameters",
    document="thesis",
    where="§3.2.3",
    stated="the hyperparameters of batch normalization are the mean µ, the variance σ² and ε",
    verdict="wrong",
    correct="µ and σ² are statistics, computed from each batch in training and tracked as "
    "running averages for "
    "evaluation (non-trainable state); ε and the running-average momentum are the hyperparameters",
    chapter=CHAPTER,
)
def _hyper() -> Finding:
    rng = np.random.default_rng(1)
    stats = [
        batchnorm_forward(
            rng.normal(m, 1, (64, 1)), np.ones(1), np.zeros(1), np.zeros(1), np.ones(1)
        )[2][0][0]
        for m in (0.0, 5.0)
    ]
    # a hyperparameter is chosen before training; a statistic is computed from the data
    return Finding(
        stats[0] == stats[1],
        stats[0] != stats[1],
        f"the running mean after one batch depends on the data: "
        f"{stats[0]:.3f} vs {stats[1]:.3f}; nobody sets it beforehand",
    )


@claim(
    "thesis-5.1.2-non-trainable",
    document="thesis",
    where="§5.1.2",
    stated="four batch-normalization layers (32, 32, 64, 64 channels) have 2·(32·2) + "
    "2·(64·2) = 384 non-trainable "
    "parameters",
    verdict="holds",
    correct="as stated: the running mean and variance of each channel; the same layers have "
    "384 trainable γ and β",
    chapter=CHAPTER,
)
def _384() -> Finding:
    total = sum(parameter_counts(c)["non_trainable"] for c in (32, 32, 64, 64))
    trainable = sum(parameter_counts(c)["trainable"] for c in (32, 32, 64, 64))
    return Finding(total == 384, trainable == 384, f"non-trainable {total}, trainable {trainable}")


@claim(
    "thesis-3.2.4-keep-ratio",
    document="thesis",
    where="§3.2.4",
    stated="dividing by the keeping ratio 1 - p keeps the weighted sums on the scale of the "
    "full network",
    verdict="holds",
    correct="as stated: E[mask / (1 - p)] = 1, so E[y] = x (measured)",
    chapter=CHAPTER,
)
def _keep() -> Finding:
    rng = np.random.default_rng(2)
    x = np.ones(200_000)
    y, _ = dropout_forward(x, 0.25, rng)
    ok = abs(y.mean() - 1) < 0.01
    return Finding(ok, ok, f"p = 0.25, 200,000 units: mean of y = {y.mean():.4f}")


@claim(
    "slides-dropout-half",
    document="slides",
    where="'Batch Normalization & Dropout'",
    stated="dropout randomly 'kills' 50% of neurons during training",
    verdict="holds",
    correct="with p = 0.5, half of the units on average, a new random half at every step",
    chapter=CHAPTER,
)
def _half() -> Finding:
    rng = np.random.default_rng(3)
    _, m1 = dropout_forward(np.ones(100_000), 0.5, rng)
    _, m2 = dropout_forward(np.ones(100_000), 0.5, rng)
    ok = abs((m1 == 0).mean() - 0.5) < 0.01 and not np.array_equal(m1, m2)
    return Finding(
        ok,
        ok,
        f"dropped {100 * (m1 == 0).mean():.1f}% and then {100 * (m2 == 0).mean():.1f}%, "
        "different units",
    )


@claim(
    "thesis-3.2.3-history-and-place",
    document="thesis",
    where="§3.2.3",
    stated="batch normalization was introduced 'in 2015' by 'Ioffe and Szegedy'; "
    "'typically, the batch "
    "normalization layer is set before the activation function'",
    verdict="holds",
    correct="as stated: the paper (ICML 2015) normalizes x = Wu + b, just before the nonlinearity",
    reference="Ioffe & Szegedy (2015), 'Batch normalization: accelerating deep network "
    "training by reducing "
    "internal covariate shift', ICML, §3.2",
    chapter=CHAPTER,
)
def _bn_history() -> Finding:
    return by_reference(
        True,
        "Ioffe & Szegedy, ICML 2015, §3.2: 'we add the BN transform immediately before the "
        "nonlinearity'",
    )


@claim(
    "thesis-3.2.4-drop-rule",
    document="thesis",
    where="§3.2.4",
    stated="each neuron draws a uniform number in [0, 1] and is dropped when it is below "
    "the dropout ratio p "
    "(usually 0.5)",
    verdict="holds",
    correct="as stated: a unit is dropped with probability p",
    chapter=CHAPTER,
)
def _drop_rule() -> Finding:
    rng = np.random.default_rng(4)
    u = rng.uniform(0, 1, 200_000)
    shares = {p: float((u < p).mean()) for p in (0.25, 0.5)}
    ok = all(abs(v - p) < 0.01 for p, v in shares.items())
    return Finding(
        ok, ok, "share dropped: " + ", ".join(f"{v:.3f} for p = {p}" for p, v in shares.items())
    )


@claim(
    "slides-bn-normalize",
    document="slides",
    where="'Batch Normalization & Dropout'",
    stated="batch normalization normalizes the layer inputs 'to Mean=0, Variance=1'",
    verdict="holds",
    correct="as stated before the learned scale γ and shift β are applied (with γ = 1, β = "
    "0; the variance is "
    "σ²/(σ² + ε), just under 1)",
    chapter=CHAPTER,
)
def _bn_normalize() -> Finding:
    x = np.random.default_rng(5).normal(-2, 7, (512, 3))
    y, _, _ = batchnorm_forward(x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))
    ok = bool(np.allclose(y.mean(0), 0, atol=1e-12) and np.allclose(y.var(0), 1, rtol=1e-4))
    return Finding(
        ok,
        ok,
        f"512 values per channel, mean -2, std 7: after the layer mean {abs(y.mean(0)).max():.0e}, "
        f"variance {y.var(0).min():.5f}",
    )
