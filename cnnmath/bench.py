"""Throughput measurement for the benchmark scripts (and the chapters that report their figures).

Speed is measured here, never in a unit test: timings depend on the machine and its load.
"""
from __future__ import annotations

import platform
import time
from collections.abc import Callable

import numpy as np


def throughput(step: Callable[[], object], batch_size: int, *, repeats: int = 30, warmup: int = 5,
               rounds: int = 3) -> float:
    """Images per second of ``step`` (one batch of ``batch_size``): the best of ``rounds`` means.

    The best round is the least disturbed by other processes; each round times ``repeats``
    consecutive calls after ``warmup`` untimed ones.
    """
    for _ in range(warmup):
        step()
    best = np.inf
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(repeats):
            step()
        best = min(best, (time.perf_counter() - t0) / repeats)
    return batch_size / best


def machine() -> dict[str, str]:
    """A short description of where a benchmark ran."""
    import os

    import torch

    return {"python": platform.python_version(), "numpy": np.__version__, "torch": torch.__version__,
            "processor": platform.processor() or platform.machine(), "cpus": str(os.cpu_count()),
            "torch_threads": str(torch.get_num_threads())}


def mlp_training_throughput(sizes: tuple[int, ...], batch: int, dtype: type, repeats: int = 30) -> dict[str, float]:
    """Images/s of one training step (forward, softmax cross-entropy, backward to every parameter;
    no optimizer update) of the NumPy MLP and of its torch twin on the CPU, measured in turn on
    the same data; with their ratio."""
    import torch

    from .mlp import MLP
    from .torch_twin import mlp_twin

    rng = np.random.default_rng(0)
    x = rng.random((batch, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], batch)
    model = MLP.create(sizes, dtype=dtype)
    twin = mlp_twin(model, "cpu")
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)

    def numpy_step():
        model.loss_and_grads(x, y)

    def torch_step():
        twin.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(twin(tx), ty).backward()

    np_ips = throughput(numpy_step, batch, repeats=repeats)
    torch_ips = throughput(torch_step, batch, repeats=repeats)
    return {"numpy_images_per_s": round(np_ips), "torch_cpu_images_per_s": round(torch_ips), "ratio": round(np_ips / torch_ips, 3)}
