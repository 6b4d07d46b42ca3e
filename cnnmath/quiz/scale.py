"""Questions on cross-checks (floating point), data-parallel training, and the sources' errata.

Floating-point answers are NumPy's own float32/float64 arithmetic; the distributed answers come
from the dense layer, the squared error and :func:`cnnmath.optim.sgd_update`; the errata questions
are drawn from the ledger (:mod:`cnnmath.ledger`), whose verdicts the ledger's checks compute.
"""

from __future__ import annotations

import math

import numpy as np

from .. import ledger, losses, optim
from ..claims import record
from ..dense import affine_backward, affine_forward
from . import mistakes as M
from .question import Draft, choice, fmt, numeric
from .registry import generator

# --------------------------------------------------------------------------------------------
# Cross-checks: float32, float64 and torch
# --------------------------------------------------------------------------------------------

_DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}


@generator("crosscheck", "float_spacing", "The spacing of float32 numbers", "numeric")
def float_spacing(rng: np.random.Generator) -> Draft:
    x = float(int(rng.integers(1, 100)) * 10.0 ** int(rng.integers(-3, 7)))
    ulp = float(np.spacing(np.float32(x)))
    text = (
        f"What is the gap between ${fmt(x)}$ (as a float32) and the next larger float32 number? "
        f"Give 3 significant digits."
    )
    e = math.floor(math.log2(x))
    sol = (
        f"float32 has 24 significant bits: between $2^{{{e}}}$ and $2^{{{e + 1}}}$ (where "
        f"${fmt(x)}$ lies) the "
        f"numbers are $2^{{{e}-23}} = {fmt(ulp, 4)}$ apart."
    )
    wrong = [
        (float(np.spacing(np.float64(x))), M.EPS64),
        (float(np.finfo(np.float32).eps) * x, M.EPS_NOT_ULP),
    ]
    return numeric(text, ulp, sol, wrong, digits=3, data=dict(x=x))


@generator("crosscheck", "float32_sum", "Adding a small number in float32", "numeric")
def float32_sum(rng: np.random.Generator) -> Draft:
    e = int(rng.integers(24, 40))  # sums of at most 12 digits
    b = int(rng.integers(1, 2 ** (e - 23) * 2))
    total = float(np.float32(2.0**e) + np.float32(b))
    text = (
        f"In float32, what is $2^{{{e}}} + {b}$? (Give the result as an integer; $2^{{{e}}} = "
        f"{2**e}$.)"
    )
    spacing = 2 ** (e - 23)
    sol = (
        f"Above $2^{{{e}}}$ float32 numbers are ${spacing}$ apart, so the exact sum ${2**e + b}$ "
        f"rounds to the "
        f"nearest multiple of {spacing} (ties to the even one): ${int(total)}$."
    )
    return numeric(text, total, sol, [(2**e + b, M.EXACT_ARITHMETIC)], data=dict(e=e, b=b))


@generator("crosscheck", "unit_roundoff", "The largest relative rounding error", "numeric")
def unit_roundoff(rng: np.random.Generator) -> Draft:
    if rng.random() < 0.4:  # a format of numpy's
        name = str(rng.choice(list(_DTYPES)))
        bits = np.finfo(_DTYPES[name]).nmant + 1
        data = dict(dtype=name, bits=bits)
    else:  # a binary format given by its precision (bfloat16 has 8 bits, float8 E4M3 has 4)
        bits = int(rng.integers(3, 114))
        name = f"number of a binary floating-point format with {bits} significant bits"
        data = dict(bits=bits)
    eps = float(np.ldexp(1.0, 1 - bits))  # the machine epsilon: the spacing at 1
    text = (
        f"When a real number (in the normal range) is rounded to the nearest {name}, what is the "
        f"largest "
        f"possible relative error? Give 3 significant digits."
    )
    sol = (
        f"{name} keeps {bits} significant bits; rounding to nearest errs by at most half a unit "
        f"in the last "
        f"place, a relative error of $2^{{-{bits}}} = {fmt(eps / 2, 4)}$ (half of the machine "
        f"epsilon "
        f"${fmt(eps, 4)}$)."
    )
    return numeric(text, eps / 2, sol, [(eps, M.EPS_NOT_UNIT_ROUNDOFF)], data=data)


@generator("crosscheck", "adam_first_step", "The size of Adam's first step", "numeric")
def adam_first_step(rng: np.random.Generator) -> Draft:
    g = float(rng.choice([1e-8, 3e-8, 1e-7, 1e-3, 0.02, 0.5, 3.0, 40.0, 1000.0]))
    g *= float(rng.choice([-1, 1]))
    lr = float(rng.choice([1e-4, 3e-4, 5e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 3e-2, 0.1, 0.3]))
    w = np.array([1.0])
    optim.adam_update(w, np.array([g]), {}, lr=lr)
    step = float(abs(w[0] - 1.0))
    w_nc = np.array([1.0])
    optim.adam_update(w_nc, np.array([g]), {}, lr=lr, bias_correction=False)
    text = (
        f"Adam (torch's defaults $\\beta_1 = 0.9$, $\\beta_2 = 0.999$, $\\epsilon = 10^{{-8}}$, "
        f"bias correction) "
        f"takes its first step with the gradient $g = {fmt(g)}$ and the learning rate "
        f"${fmt(lr)}$. How far does "
        f"the weight move? Give 3 significant digits."
    )
    sol = (
        f"At $t = 1$: $\\hat m_1 = g$ and $\\sqrt{{\\hat v_1}} = |g|$, so the step is "
        f"$\\eta\\,|g|/(|g| + "
        f"\\epsilon) \\approx \\eta = {fmt(step, 4)}$, whatever the gradient's scale. This is "
        f"why the same "
        f"Adam steps in float32 and float64 agree so closely."
    )
    return numeric(
        text,
        step,
        sol,
        [(lr * abs(g), M.ADAM_GRAD_STEP), (float(abs(w_nc[0] - 1.0)), M.ADAM_NO_CORRECTION)],
        data=dict(g=g, lr=lr),
    )


# --------------------------------------------------------------------------------------------
# Data-parallel training
# --------------------------------------------------------------------------------------------


def _mse_weight_gradient(x: np.ndarray, y: np.ndarray, w: float) -> float:
    """Mean-squared-error gradient of the model r = w x, by the dense layer and the loss's pair."""
    r, cache = affine_forward(x[:, None], np.array([[w]]), np.zeros(1))
    _, lc = losses.mse_forward(r[:, 0], y, reduction="mean")
    dr = losses.mse_backward(1.0, lc)
    _, dw, _ = affine_backward(dr[:, None], cache)
    return float(dw[0, 0])


@generator(
    "distributed",
    "shard_gradients",
    "The full-batch gradient from the shards' gradients",
    "numeric",
)
def shard_gradients(rng: np.random.Generator) -> Draft:
    k = int(rng.integers(2, 4))
    sizes = [int(v) for v in rng.choice([2, 3, 4, 6, 8], k)]
    while len(set(sizes)) == 1:
        sizes = [int(v) for v in rng.choice([2, 3, 4, 6, 8], k)]
    x = rng.integers(-3, 4, sum(sizes)).astype(float)
    y = rng.integers(-3, 4, sum(sizes)).astype(float)
    w = float(rng.choice([0.5, 1.0, -1.0, 2.0]))
    bounds = np.cumsum([0] + sizes)
    shard = [_mse_weight_gradient(x[a:b], y[a:b], w) for a, b in zip(bounds[:-1], bounds[1:])]
    full = _mse_weight_gradient(x, y, w)
    listing = ", ".join(
        f"{n} examples with mean gradient ${fmt(g, 6)}$" for n, g in zip(sizes, shard)
    )
    text = (
        f"A batch of {sum(sizes)} examples is split over {k} workers: {listing}. The loss is the "
        f"mean over the "
        f"batch. What is the gradient of the whole batch's loss? Give 2 decimal places."
    )
    sol = (
        f"The batch mean is the size-weighted mean of the shard means: $\\sum_k n_k g_k/\\sum_k "
        f"n_k = "
        f"{fmt(full, 6)}$. An all-reduce that averages shard means is right only when the shards "
        f"are equal."
    )
    wrong = [(float(np.mean(shard)), M.MEAN_OF_MEANS), (float(np.sum(shard)), M.SUM_OF_SHARDS)]
    return numeric(
        text, full, sol, wrong, places=2, data=dict(x=x.tolist(), y=y.tolist(), w=w, sizes=sizes)
    )


@generator(
    "distributed", "learning_rate_scaling", "The learning rate for a larger global batch", "numeric"
)
def learning_rate_scaling(rng: np.random.Generator) -> Draft:
    lr = float(rng.choice([0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2]))
    b = int(rng.choice([32, 64, 128, 256]))
    workers = int(rng.choice([2, 3, 4, 6, 8, 12, 16]))
    reduce = str(rng.choice(["mean", "sum"]))
    # one SGD step on the summed or averaged gradients must equal the single-worker step
    g = rng.normal(size=workers)
    target = optim.sgd_update(np.zeros(1), np.array([g.mean()]), {}, lr=lr * workers)
    ans = lr * workers if reduce == "mean" else lr
    got = optim.sgd_update(
        np.zeros(1), np.array([g.mean() if reduce == "mean" else g.sum()]), {}, lr=ans
    )
    assert np.allclose(got, target)
    text = (
        f"SGD with learning rate ${fmt(lr)}$ works well with batches of {b}. Following the "
        f"linear scaling rule "
        f"(learning rate proportional to the batch size), you train on {workers} workers with "
        f"{b} examples each, "
        f"and the workers' mean gradients are combined by an all-reduce that takes their "
        f"{reduce}. Which "
        f"learning rate should the optimizer use?"
    )
    sol = (
        f"The global batch is ${workers}\\cdot{b}$, so the rule asks for a step of "
        f"${workers}\\cdot{fmt(lr)}$ times "
        f"the mean gradient. "
        + (
            f"The all-reduce averages: use ${fmt(ans)}$."
            if reduce == "mean"
            else f"The all-reduce sums, which already multiplies the mean by {workers}: keep "
            f"${fmt(ans)}$."
        )
    )
    wrong = [
        (
            lr if reduce == "mean" else lr * workers,
            M.LR_NOT_SCALED
            if reduce == "mean"
            else M.Mistake(
                "scaled_twice", "the sum already scales the step by the number of workers"
            ),
        ),
        (lr / workers, M.LR_SCALED_WRONG_WAY),
    ]
    return numeric(
        text, ans, sol, wrong, tol=ans * 1e-6, data=dict(lr=lr, workers=workers, reduce=reduce)
    )


@generator("distributed", "steps_per_epoch", "Optimizer steps per epoch", "numeric")
def steps_per_epoch(rng: np.random.Generator) -> Draft:
    n = int(rng.choice([50_000, 60_000, 48_000, 10_000]))
    workers = int(rng.choice([2, 4, 8]))
    b = int(rng.choice([32, 64, 100, 128]))
    accum = int(rng.choice([1, 2, 4]))
    per_step = workers * b * accum
    steps = -(-n // per_step)
    acc = (
        f", accumulating gradients over {accum} micro-batches before each step" if accum > 1 else ""
    )
    text = (
        f"An epoch of {n:,} examples is trained on {workers} workers with {b} examples per "
        f"worker and "
        f"micro-batch{acc}. How many optimizer steps does one epoch take (the last, smaller "
        f"batch included)?"
    )
    sol = (
        f"Each step consumes ${workers}\\cdot{b}"
        + (f"\\cdot{accum}" if accum > 1 else "")
        + f" = {per_step}$ examples: $\\lceil {n}/{per_step}\\rceil = {steps}$."
    )
    wrong = [(n // per_step, M.STEPS_FLOOR)]
    if accum > 1:
        wrong.append((-(-n // (workers * b)), M.STEPS_NO_ACCUM))
    return numeric(text, steps, sol, wrong, data=dict(n=n, workers=workers, b=b, accum=accum))


# --------------------------------------------------------------------------------------------
# Errata: the ledger's claims
# --------------------------------------------------------------------------------------------


def _claims(verdicts: tuple[str, ...]) -> list[record.Claim]:
    return [c for c in ledger.claims() if c.verdict in verdicts]


def _stated(c: record.Claim) -> str:
    return f"{c.citation}: “{c.stated}”"


@generator("errata", "which_claim_is_wrong", "Which statement of the sources is wrong?", "choice")
def which_claim_is_wrong(rng: np.random.Generator) -> Draft:
    bad = _claims(("wrong",))
    good = _claims(("holds",))
    c = bad[int(rng.integers(0, len(bad)))]
    others = [good[int(i)] for i in rng.choice(len(good), 3, replace=False)]
    text = (
        "Three of these statements from the book's sources are right and one is wrong. Which "
        "is wrong?"
    )
    wrong = [
        (_stated(o), M.Mistake(f"holds:{o.id}", f"this statement holds (ledger claim {o.id})"))
        for o in others
    ]
    sol = f"{_stated(c)} is wrong. Correct: {c.correct} (ledger claim {c.id})."
    return choice(
        text, _stated(c), wrong, sol, rng, data=dict(claim=c.id, others=[o.id for o in others])
    )


@generator("errata", "claim_verdict", "The ledger's verdict on a claim", "choice")
def claim_verdict(rng: np.random.Generator) -> Draft:
    pool = ledger.claims()
    c = pool[int(rng.integers(0, len(pool)))]
    text = (
        f"The ledger checks each claim of the sources by computation. What is its verdict on "
        f"this one? "
        f"{_stated(c)}"
    )
    meaning = record.VERDICT_MEANINGS
    wrong = [(f"{v}: {meaning[v]}", M.WRONG_VERDICT) for v in record.VERDICTS if v != c.verdict]
    sol = f"Verdict: {c.verdict}. The correct statement: {c.correct} (ledger claim {c.id})."
    return choice(
        text, f"{c.verdict}: {meaning[c.verdict]}", wrong, sol, rng, data=dict(claim=c.id)
    )


@generator("errata", "claim_correction", "The correct version of a wrong claim", "choice")
def claim_correction(rng: np.random.Generator) -> Draft:
    bad = _claims(("wrong", "inconsistent"))
    c = bad[int(rng.integers(0, len(bad)))]
    text = f"The ledger found this claim {c.verdict}: {_stated(c)} Which statement is correct?"
    # the other options correct claims of the same chapter (else of the same document): the same
    # subject, so that telling them apart takes knowing it
    pool = [o for o in bad if o.id != c.id and o.correct != c.correct and o.correct != c.stated]
    near = [o for o in pool if o.chapter == c.chapter]
    if len(near) < 2:
        near += [o for o in pool if o.document == c.document and o not in near]
    if len(near) < 2:
        near += [o for o in pool if o not in near]
    others = [near[int(i)] for i in rng.choice(len(near), 2, replace=False)]
    wrong = [
        (
            c.stated,
            M.Mistake(
                f"as_stated:{c.id}",
                "this is the claim as the source states it, which the ledger's check contradicts",
                c.id,
            ),
        )
    ]
    wrong += [
        (o.correct, M.Mistake(f"other:{o.id}", f"this corrects another claim ({o.citation})"))
        for o in others
    ]
    sol = f"{c.correct} (ledger claim {c.id}, checked by code)."
    return choice(text, c.correct, wrong, sol, rng, data=dict(claim=c.id))
