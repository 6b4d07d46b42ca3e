"""Speed measurement for the benchmark scripts (and the chapters that report their figures).

:func:`per_step` is the one timer (the best of several rounds of consecutive calls: wall time,
CPU time and page faults); :func:`throughput` turns it into images per second.

Speed is measured here, never in a unit test: timings depend on the machine and its load.
"""

from __future__ import annotations

import contextlib
import platform
import time
from collections.abc import Callable

import numpy as np

from .allocator import keep_freed_memory
from .arguments import callable_arg, flag, layer_sizes, positive_int


def _dtype(dtype: object) -> type:
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be np.float32 or np.float64; got {dtype!r}")
    return dtype  # type: ignore[return-value]


def per_step(
    step: Callable[[], object],
    *,
    repeats: int = 30,
    warmup: int = 5,
    rounds: int = 3,
    keep_freed: bool = True,
) -> dict[str, float]:
    """Wall seconds, CPU seconds and minor page faults per call of ``step``: each the best of
    ``rounds`` means.

    The best round is the least disturbed by other processes; each round times ``repeats``
    consecutive calls after ``warmup`` untimed ones. The calls run inside
    :func:`cnnmath.allocator.keep_freed_memory`, as training does, unless ``keep_freed=False``.
    On a busy machine the CPU time and the page faults are steadier than the wall time. The page
    faults are ``nan`` where the system does not count them (no :mod:`resource` module).
    """
    callable_arg(step, "step")
    repeats, rounds = positive_int(repeats, "repeats"), positive_int(rounds, "rounds")
    warmup = positive_int(warmup, "warmup", minimum=0)
    keep_freed = flag(keep_freed, "keep_freed")
    best = {"wall_s": np.inf, "cpu_s": np.inf, "page_faults": np.inf}
    with keep_freed_memory() if keep_freed else contextlib.nullcontext():
        for _ in range(warmup):
            step()
        for _ in range(rounds):
            faults, wall, cpu = _page_faults(), time.perf_counter(), time.process_time()
            for _ in range(repeats):
                step()
            this = {
                "wall_s": time.perf_counter() - wall,
                "cpu_s": time.process_time() - cpu,
                "page_faults": _page_faults() - faults,
            }
            best = {k: min(best[k], this[k] / repeats) for k in best}
    return {k: float(v) for k, v in best.items()}


def _page_faults() -> float:
    try:
        import resource
    except ImportError:  # not on Windows
        return float("nan")
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)


def throughput(
    step: Callable[[], object],
    batch_size: int,
    *,
    repeats: int = 30,
    warmup: int = 5,
    rounds: int = 3,
) -> float:
    """Images per second of ``step`` (one batch of ``batch_size``): from the best of ``rounds``
    means of its wall time (:func:`per_step`, with freed memory kept as in training)."""
    callable_arg(step, "step")
    batch_size = positive_int(batch_size, "batch_size")
    return batch_size / per_step(step, repeats=repeats, warmup=warmup, rounds=rounds)["wall_s"]


def machine() -> dict[str, str]:
    """A short description of where a benchmark ran."""
    import os

    import torch

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "processor": platform.processor() or platform.machine(),
        "cpus": str(os.cpu_count()),
        "torch_threads": str(torch.get_num_threads()),
    }


def mlp_training_throughput(
    sizes: tuple[int, ...], batch: int, dtype: type, repeats: int = 30
) -> dict[str, float]:
    """Images/s of one training step (forward, softmax cross-entropy, backward to every parameter;
    no optimizer update) of the NumPy MLP (:func:`cnnmath.zoo.mlp`) and of its torch twin on the
    CPU, measured in turn on the same data; with their ratio."""
    import torch

    from .torch_twin import twin
    from .zoo import mlp

    sizes, batch = layer_sizes(sizes), positive_int(batch, "batch")
    dtype, repeats = _dtype(dtype), positive_int(repeats, "repeats")
    rng = np.random.default_rng(0)
    x = rng.random((batch, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], batch)
    net = mlp(sizes)
    state = net.init(seed=0, dtype=dtype)
    module = twin(net, state, "cpu")
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def numpy_step():
        net.loss_and_grads(state, x, y)

    def torch_step():
        module.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(module(tx), ty).backward()

    np_ips = throughput(numpy_step, batch, repeats=repeats)
    torch_ips = throughput(torch_step, batch, repeats=repeats)
    return {
        "numpy_images_per_s": round(np_ips),
        "torch_cpu_images_per_s": round(torch_ips),
        "ratio": round(np_ips / torch_ips, 3),
    }


def _layer_steps(kind: str, dtype: type, batch: int, rng: np.random.Generator):
    """(numpy step, naive step, torch step) for one training step of a layer type at LeNet's sizes."""
    import torch

    from . import chain_rule, conv, dropout, norm, pool

    if kind == "conv":  # LeNet's C3: 6 -> 16 channels, 5x5, on 14x14
        x, w, b = (
            rng.normal(size=(batch, 6, 14, 14)).astype(dtype),
            rng.normal(size=(16, 6, 5, 5)).astype(dtype),
            np.zeros(16, dtype),
        )
        g = np.ones((batch, 16, 10, 10), dtype)

        def np_step(xb=x, gb=g):
            conv.conv2d_backward(gb, conv.conv2d_forward(xb, w, b)[1])

        def naive_step(xb=x[:1], gb=g[:1]):
            conv.conv2d_backward_naive(gb, conv.conv2d_forward_naive(xb, w, b)[1])

        tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (x, w, b))

        def torch_step():
            torch.nn.functional.conv2d(tx, tw, tb).backward(torch.from_numpy(g))
    elif kind in ("maxpool", "avgpool"):  # LeNet's S2: 2x2 on 6 x 28 x 28
        fwd, bwd = (
            (pool.maxpool_forward, pool.maxpool_backward)
            if kind == "maxpool"
            else (pool.avgpool_forward, pool.avgpool_backward)
        )
        fwd_n, bwd_n = (
            (pool.maxpool_forward_naive, pool.maxpool_backward_naive)
            if kind == "maxpool"
            else (pool.avgpool_forward_naive, pool.avgpool_backward_naive)
        )
        x = rng.normal(size=(batch, 6, 28, 28)).astype(dtype)
        g = np.ones((batch, 6, 14, 14), dtype)

        def np_step(xb=x, gb=g):
            bwd(gb, fwd(xb, 2)[1])

        def naive_step(xb=x[:1], gb=g[:1]):
            bwd_n(gb, fwd_n(xb, 2)[1])

        tx = torch.tensor(x, requires_grad=True)
        tf = torch.nn.functional.max_pool2d if kind == "maxpool" else torch.nn.functional.avg_pool2d

        def torch_step():
            tf(tx, 2).backward(torch.from_numpy(g))
    elif kind == "batchnorm":  # after LeNet's C1: 6 channels of 28 x 28
        x = rng.normal(size=(batch, 6, 28, 28)).astype(dtype)
        gam, bet, rm, rv = (
            np.ones(6, dtype),
            np.zeros(6, dtype),
            np.zeros(6, dtype),
            np.ones(6, dtype),
        )
        g = np.ones_like(x)

        def np_step(xb=x, gb=g):
            norm.batchnorm_backward(gb, norm.batchnorm_forward(xb, gam, bet, rm, rv)[1])

        def naive_step(xb=x[:2], gb=g[:2]):
            norm.batchnorm_backward_naive(gb, norm.batchnorm_forward_naive(xb, gam, bet)[1])

        tx, tg, tb = (torch.tensor(v, requires_grad=True) for v in (x, gam, bet))
        trm, trv = torch.tensor(rm), torch.tensor(rv)

        def torch_step():
            torch.nn.functional.batch_norm(tx, trm, trv, tg, tb, True).backward(torch.from_numpy(g))
    elif kind == "dropout":  # after LeNet's F5: 120 units
        x = rng.normal(size=(batch, 120)).astype(dtype)
        g = np.ones_like(x)
        drng = np.random.default_rng(0)

        def np_step(xb=x, gb=g):
            dropout.dropout_backward(gb, dropout.dropout_forward(xb, 0.5, drng)[1])

        def naive_step(xb=x[:2], gb=g[:2]):
            dropout.dropout_backward(gb, dropout.dropout_forward_naive(xb, 0.5, drng)[1])

        tx = torch.tensor(x, requires_grad=True)

        def torch_step():
            torch.nn.functional.dropout(tx, 0.5, True).backward(torch.from_numpy(g))
    elif kind == "lenet5":
        p = chain_rule.lenet5_params(dtype=dtype)
        x = rng.normal(size=(batch, 1, 28, 28)).astype(dtype)
        y = rng.integers(0, 10, batch)

        def np_step(xb=x, yb=y):
            chain_rule.lenet5_loss_and_grads(p, xb, yb)

        def naive_step(xb=x[:1], yb=y[:1]):
            # the same network with the naive convolution and pooling loops
            z1, c1 = conv.conv2d_forward_naive(xb, p["C1"], p["c1"], padding=2)
            a1 = np.maximum(z1, 0)
            s2, m2 = pool.maxpool_forward_naive(a1, 2)
            z3, c3 = conv.conv2d_forward_naive(s2, p["C3"], p["c3"])
            a3 = np.maximum(z3, 0)
            s4, m4 = pool.maxpool_forward_naive(a3, 2)
            flat = s4.reshape(len(xb), -1)
            h5 = np.maximum(flat @ p["F5"].T + p["f5"], 0)
            h6 = np.maximum(h5 @ p["F6"].T + p["f6"], 0)
            logits = h6 @ p["F7"].T + p["f7"]
            d = (np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()) - np.eye(10)[
                yb
            ]
            d6 = (d @ p["F7"]) * (h6 > 0)
            d5 = (d6 @ p["F6"]) * (h5 > 0)
            ds4 = (d5 @ p["F5"]).reshape(s4.shape)
            da3 = pool.maxpool_backward_naive(ds4, m4) * (z3 > 0)
            ds2, _, _ = conv.conv2d_backward_naive(da3, c3)
            da1 = pool.maxpool_backward_naive(ds2, m2) * (z1 > 0)
            conv.conv2d_backward_naive(da1, c1)

        from .torch_twin import twin
        from .zoo import lenet5

        desc = lenet5()
        net = twin(desc, desc.init(seed=0, dtype=dtype), "cpu")  # the same weights as p
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def torch_step():
            net.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(net(tx), ty).backward()
    else:
        raise ValueError(f"unknown layer kind {kind!r}")
    naive_batch = {
        "conv": 1,
        "maxpool": 1,
        "avgpool": 1,
        "batchnorm": 2,
        "dropout": 2,
        "lenet5": 1,
    }[kind]
    return np_step, naive_step, torch_step, naive_batch


LAYER_KINDS = ("conv", "maxpool", "avgpool", "batchnorm", "dropout", "lenet5")


def layer_throughput(
    kind: str, dtype: type, batch: int = 128, repeats: int = 10, naive: bool = True
) -> dict[str, float]:
    """Training-step images/s (forward + backward) of the vectorized NumPy layer, its naive loops and torch CPU.

    The naive loops run on one or two images (they are thousands of times slower) and are
    reported per image like the others.
    """
    if kind not in LAYER_KINDS:
        raise ValueError(f"kind must be one of {LAYER_KINDS}; got {kind!r}")
    dtype, batch = _dtype(dtype), positive_int(batch, "batch")
    repeats, naive = positive_int(repeats, "repeats"), flag(naive, "naive")
    rng = np.random.default_rng(0)
    np_step, naive_step, torch_step, naive_batch = _layer_steps(kind, dtype, batch, rng)
    out = {
        "numpy_images_per_s": throughput(np_step, batch, repeats=repeats, warmup=2),
        "torch_cpu_images_per_s": throughput(torch_step, batch, repeats=repeats, warmup=2),
    }
    if naive:
        out["naive_images_per_s"] = throughput(
            naive_step, naive_batch, repeats=1, warmup=0, rounds=2
        )
        out["numpy_over_naive"] = out["numpy_images_per_s"] / out["naive_images_per_s"]
    out["numpy_over_torch"] = out["numpy_images_per_s"] / out["torch_cpu_images_per_s"]
    return {k: round(v, 3) if "over" in k else round(v, 1) for k, v in out.items()}


def lenet5_list_vs_hand(
    dtype: type, batch: int = 128, repeats: int = 10, rounds: int = 5
) -> dict[str, float]:
    """Training-step images/s of LeNet-5 three ways, measured in the same run: the hand-unrolled
    functions of :mod:`cnnmath.chain_rule`, the same network as a list of layers
    (:func:`cnnmath.zoo.lenet5`) and its torch twin on the CPU. The three are timed in
    alternation, round after round, and each keeps its best round, so a disturbance on a busy
    machine hits them alike."""
    import torch

    from . import chain_rule
    from .torch_twin import twin
    from .zoo import lenet5

    dtype, batch = _dtype(dtype), positive_int(batch, "batch")
    repeats, rounds = positive_int(repeats, "repeats"), positive_int(rounds, "rounds")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, 1, 28, 28)).astype(dtype)
    y = rng.integers(0, 10, batch)
    net, p = lenet5(), chain_rule.lenet5_params(dtype=dtype)
    state = net.init(seed=0, dtype=dtype)  # the same draws as p
    module = twin(net, state, "cpu")
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def torch_step():
        module.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(module(tx), ty).backward()

    steps = {
        "hand": lambda: chain_rule.lenet5_loss_and_grads(p, x, y),
        "list": lambda: net.loss_and_grads(state, x, y),
        "torch_cpu": torch_step,
    }
    best = {k: 0.0 for k in steps}
    for _ in range(rounds):
        for k, step in steps.items():
            best[k] = max(best[k], throughput(step, batch, repeats=repeats, warmup=2, rounds=1))
    return {
        "hand_images_per_s": round(best["hand"], 1),
        "list_images_per_s": round(best["list"], 1),
        "torch_cpu_images_per_s": round(best["torch_cpu"], 1),
        "list_over_hand": round(best["list"] / best["hand"], 3),
        "list_over_torch": round(best["list"] / best["torch_cpu"], 3),
    }
