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
