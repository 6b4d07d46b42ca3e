"""Data-parallel training: k processes, one shard of the batch each, gradients averaged.

Each of the ``k`` processes holds a copy of the network and computes the mean gradient of its
shard of ``n_r`` examples; DistributedDataParallel all-reduces the gradients and divides by ``k``:

.. math::
    \\frac1k \\sum_{r=1}^{k} \\frac{1}{n_r} \\sum_{j \\in S_r} g_j
    = \\frac1N \\sum_{j=1}^{N} g_j \\quad\\text{when } n_r = N/k \\text{ for every } r,

the whole batch's mean gradient, so every process makes the step that one process would make on
the whole batch. With unequal shards the plain average over-weights the small shards; weighting
shard ``r``'s loss by :math:`k n_r / N` restores the whole batch's mean (``weighted=True``).

:func:`train` is what each process runs (under ``torchrun``, which sets ``RANK`` and
``WORLD_SIZE``, or started by :func:`run_spawned` with a file rendezvous); :func:`reference` trains
one process on the whole batches; :func:`main` is the command line,
``torchrun --standalone --nproc_per_node=2 -m cnnmath.distributed``. The backend is NCCL when
every process has a GPU of its own, otherwise gloo on the CPU; the network is LeNet-5 in float64.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from . import determinism, devices, torch_twin, zoo
from .arguments import (
    as_float_array,
    cli_int,
    cli_int_list,
    cli_positive_number,
    flag,
    labels,
    positive_int,
    positive_number,
)
from .arguments import seed as validate_seed
from .files import write_atomically

#: the largest |difference| accepted between data-parallel and single-process parameters (float64)
TOLERANCE = 1e-12


# -- the arithmetic of shards ----------------------------------------------------------------------
def equal_shards(batch_size: int, world_size: int) -> list[int]:
    """``world_size`` equal shard sizes for a global batch (which must divide)."""
    batch_size, world_size = (
        positive_int(batch_size, "batch_size"),
        positive_int(world_size, "world_size"),
    )
    if batch_size % world_size:
        raise ValueError(
            f"a global batch of {batch_size} does not split into {world_size} equal shards; "
            f"use a multiple of {world_size} or give the shard sizes"
        )
    return [batch_size // world_size] * world_size


def check_shards(shards: list[int] | tuple[int, ...], world_size: int) -> list[int]:
    """Shard sizes, one positive integer per process."""
    world_size = positive_int(world_size, "world_size")
    shards = _shard_list(shards)
    if len(shards) != world_size:
        raise ValueError(
            f"need one shard size per process ({world_size}); got {len(shards)}: {shards}"
        )
    return shards


def _shard_list(shards: object) -> list[int]:
    if isinstance(shards, (str, bytes)) or not isinstance(shards, (list, tuple)) or not shards:
        raise TypeError(f"shards must be a list of shard sizes such as [5, 11]; got {shards!r}")
    return [positive_int(s, "shards (each shard size)") for s in shards]


def shard_slices(shards: list[int]) -> list[slice]:
    """The consecutive slices of a global batch that the processes take, in rank order."""
    ends = np.cumsum([0, *_shard_list(shards)])
    return [slice(int(a), int(b)) for a, b in zip(ends[:-1], ends[1:])]


def loss_weights(shards: list[int], weighted: bool) -> list[float]:
    """The factor on each process's mean loss: 1 (what DDP assumes), or :math:`k n_r / N`."""
    shards, weighted = _shard_list(shards), flag(weighted, "weighted")
    k, n = len(shards), sum(shards)
    return [k * s / n if weighted else 1.0 for s in shards]


def combine_moments(
    counts: np.ndarray, means: np.ndarray, variances: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:math:`n = n_a + n_b,\\ \\mu = \\mu_a + \\delta n_b/n,\\ n\\sigma^2 = n_a\\sigma_a^2 +
    n_b\\sigma_b^2 + \\delta^2 n_a n_b/n` with :math:`\\delta = \\mu_b - \\mu_a`, pair by pair.

    Whole-batch mean and (biased) variance from per-process counts, means and variances: what a
    synchronized batch norm all-reduces (``counts`` ``(k,)``; ``means``, ``variances`` ``(k, C)``),
    instead of each process normalizing by its own shard's statistics. The shards are combined in
    pairs, as a reduction tree does, by the update of Chan, Golub and LeVeque (1979): it adds
    only non-negative terms and never subtracts two large squares, so the variance cannot come
    out negative. The textbook form :math:`\\sum_r n_r(\\sigma_r^2 + \\mu_r^2)/N - \\mu^2` can: for
    counts ``[3, 2]``, means ``1e8`` and ``1e8 + 1`` and variances 0 it gives -2 for the true
    0.24, because :math:`\\mu^2 = 10^{16}` leaves no digit for the 0.24.
    """
    counts = as_float_array(counts, "counts", ndim=1)
    means = as_float_array(means, "means", ndim=2).astype(np.float64, copy=False)
    variances = as_float_array(variances, "variances", ndim=2).astype(np.float64, copy=False)
    if means.shape != variances.shape or means.shape[0] != counts.size:
        raise ValueError(
            f"counts (k,), means and variances (k, C) must agree; got {counts.shape}, "
            f"{means.shape}, {variances.shape}"
        )
    if np.any(counts <= 0):
        raise ValueError("counts: every process must hold at least one example (counts > 0)")
    if np.any(variances < 0):
        raise ValueError(f"variances must be >= 0; got a smallest of {variances.min():g}")
    parts = [(float(n), mu, n * var) for n, mu, var in zip(counts, means, variances)]
    while len(parts) > 1:  # one level of the tree: (0, 1), (2, 3), ...; an odd last one waits
        paired = []
        for (na, mua, m2a), (nb, mub, m2b) in zip(parts[::2], parts[1::2]):
            n, delta = na + nb, mub - mua
            paired.append((n, mua + delta * (nb / n), m2a + m2b + delta**2 * (na * nb / n)))
        parts = paired + parts[len(paired) * 2 :]
    n, mean, m2 = parts[0]
    return mean, m2 / n


# -- data ------------------------------------------------------------------------------------------
def batches(
    steps: int, global_batch: int, data: str = "random", seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``steps * global_batch`` images ``(·, 1, 28, 28)`` (float64) and labels, in step order.

    ``data="fashion-mnist"``: the first training images of a seeded shuffle of Fashion-MNIST;
    ``"random"``: uniform random images and labels (no dataset needed).
    """
    n = positive_int(steps, "steps") * positive_int(global_batch, "global_batch")
    rng = np.random.default_rng(validate_seed(seed))
    if data == "random":
        return rng.random((n, 1, 28, 28)), rng.integers(0, 10, n)
    if data != "fashion-mnist":
        raise ValueError(f"data must be 'random' or 'fashion-mnist'; got {data!r}")
    from . import data as datasets

    train, _ = datasets.load_fashion_mnist()
    idx = rng.permutation(len(train))[:n]
    return datasets.to_float(train.x[idx], np.float64), train.y[idx]


# -- one process, the whole batch ------------------------------------------------------------------
def _twin(seed: int, dev: torch.device) -> torch.nn.Module:
    # LeNet-5's description, its float64 state drawn from `seed`, as a torch module on `dev`
    net = zoo.lenet5()
    return torch_twin.twin(net, net.init(seed, np.float64), dev)


def reference(
    x: np.ndarray, y: np.ndarray, *, steps: int, global_batch: int, lr: float = 1e-3, seed: int = 0
) -> tuple[dict[str, np.ndarray], list[float]]:
    """LeNet-5 (float64) trained by one process on whole batches: its parameters and losses."""
    steps, global_batch = positive_int(steps, "steps"), positive_int(global_batch, "global_batch")
    lr, seed = positive_number(lr, "lr"), validate_seed(seed)
    x = as_float_array(x, "x (the images, shape (n, 1, 28, 28))", ndim=4).astype(np.float64)
    if x.shape[1:] != (1, 28, 28) or len(x) < steps * global_batch:
        raise ValueError(
            f"x must hold {steps} x {global_batch} images of shape (1, 28, 28); got {x.shape}"
        )
    y = labels(y, "y (the labels)", n=len(x), num_classes=10)
    module = _twin(seed, devices.device("cpu"))
    opt = torch_twin.adam(module, lr)  # the same arithmetic in every process and on every CPU
    losses = []
    for t in range(steps):
        sl = slice(t * global_batch, (t + 1) * global_batch)
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(
            module(torch.from_numpy(x[sl])), torch.from_numpy(y[sl])
        )
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return {k: v.detach().numpy().copy() for k, v in module.named_parameters()}, losses


# -- k processes -----------------------------------------------------------------------------------
def choose_backend(local_world_size: int) -> tuple[str, str]:
    """``("nccl", "cuda")`` when each local process can have a GPU, else ``("gloo", "cpu")``."""
    local_world_size = positive_int(local_world_size, "local_world_size")
    if (
        devices.device().type == "cuda"
        and torch.cuda.device_count() >= local_world_size
        and dist.is_nccl_available()
    ):
        return "nccl", "cuda"
    return "gloo", "cpu"


def train(
    rank: int,
    world_size: int,
    *,
    init_method: str = "env://",
    shards: list[int] | None = None,
    steps: int = 20,
    global_batch: int = 16,
    lr: float = 1e-3,
    seed: int = 0,
    data: str = "random",
    weighted: bool = False,
    backend: str | None = None,
    local_rank: int | None = None,
    local_world_size: int | None = None,
) -> dict[str, Any] | None:
    """One process's part: join the group, train LeNet-5 with DDP on its shards, check, leave.

    Returns, on rank 0, a dict with the largest |difference| of every parameter between this
    data-parallel run and :func:`reference` (and between the processes), the losses and the
    setup; ``None`` on the other ranks.
    """
    local_rank = rank if local_rank is None else local_rank
    local_world_size = world_size if local_world_size is None else local_world_size
    shards = (
        equal_shards(global_batch, world_size)
        if shards is None
        else check_shards(shards, world_size)
    )
    global_batch = sum(shards)
    chosen, kind = choose_backend(local_world_size)
    backend = backend or chosen
    kind = "cuda" if backend == "nccl" else "cpu"
    device = devices.device(f"cuda:{local_rank}" if kind == "cuda" else "cpu")
    if kind == "cuda":
        torch.cuda.set_device(device)
        determinism.deterministic(device)  # no TF32, no autotuning: full float64 arithmetic
    dist.init_process_group(backend, init_method=init_method, rank=rank, world_size=world_size)
    try:
        x, y = batches(steps, global_batch, data, seed)
        mine = shard_slices(shards)[rank]
        weight = loss_weights(shards, weighted)[rank]
        module = _twin(seed, device)
        ddp = torch.nn.parallel.DistributedDataParallel(
            module, device_ids=[local_rank] if kind == "cuda" else None
        )
        opt = torch_twin.adam(ddp, lr)
        losses = []
        t0 = time.perf_counter()
        for t in range(steps):
            base = t * global_batch
            xb = torch.from_numpy(x[base + mine.start : base + mine.stop]).to(device)
            yb = torch.from_numpy(y[base + mine.start : base + mine.stop]).to(device)
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(ddp(xb), yb)
            (weight * loss).backward()  # DDP averages the gradients over the processes here
            opt.step()
            # the whole batch's mean loss, for the record: sum_r n_r loss_r / N
            total = (loss.detach() * len(xb) / global_batch).reshape(1)
            dist.all_reduce(total)
            losses.append(float(total.cpu()))
        seconds = time.perf_counter() - t0
        flat = torch.cat([p.detach().reshape(-1) for p in module.parameters()])
        gathered = [torch.empty_like(flat) for _ in range(world_size)]
        dist.all_gather(gathered, flat)
        if rank != 0:
            return None
        between = max(float((g - gathered[0]).abs().max()) for g in gathered)
        ref, ref_losses = reference(x, y, steps=steps, global_batch=global_batch, lr=lr, seed=seed)
        ours = {k: v.detach().cpu().numpy() for k, v in module.named_parameters()}
        per_param = {k: float(np.max(np.abs(ours[k] - ref[k]))) for k in ref}
        return {
            "backend": backend,
            "device": kind,
            "world_size": world_size,
            "shards": shards,
            "weighted": weighted,
            "steps": steps,
            "global_batch": global_batch,
            "lr": lr,
            "data": data,
            "torch": torch.__version__,
            "max_abs_difference": max(per_param.values()),
            "max_abs_difference_per_parameter": per_param,
            "max_abs_difference_between_processes": between,
            "max_abs_parameter_change": max(
                float(np.max(np.abs(ref[k] - v))) for k, v in _initial(seed).items()
            ),
            "losses": losses,
            "reference_losses": ref_losses,
            "seconds": seconds,
            "tolerance": TOLERANCE,
        }
    finally:
        dist.destroy_process_group()


def _initial(seed: int) -> dict[str, np.ndarray]:
    return zoo.lenet5().init(seed, np.float64).flat("params")


def _write(result: dict[str, Any], path: str | Path) -> None:
    write_atomically(path, json.dumps(result, indent=1))


def _spawned(
    rank: int, world_size: int, rendezvous: str, result: str, kwargs: dict[str, Any]
) -> None:
    torch.set_num_threads(1)
    out = train(rank, world_size, init_method=f"file://{rendezvous}", **kwargs)
    if out is not None:
        _write(out, Path(result))


def run_spawned(
    configs: list[dict[str, Any]], world_size: int = 2, timeout: float = 300.0
) -> list[dict[str, Any]]:
    """Start ``world_size`` local processes that meet through files (no fixed port) and train.

    Each entry of ``configs`` holds keyword arguments of :func:`train` and gets a process group of
    its own, set up through a rendezvous file in a fresh temporary directory; gloo then connects
    the processes over the loopback interface. Returns rank 0's results, one per configuration.
    """
    import torch.multiprocessing as mp

    world_size = positive_int(world_size, "world_size")
    if isinstance(configs, dict) or not configs:
        raise ValueError("configs must be a non-empty list of dicts of train() arguments")
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    results = []
    with tempfile.TemporaryDirectory(prefix="cnnmath-ddp-") as d:
        # fresh processes and a fresh rendezvous file for each configuration: a process group is
        # never set up twice in one process, and a hung run fails after `timeout` seconds
        for i, kwargs in enumerate(configs):
            rendezvous, result = Path(d) / f"rendezvous{i}", Path(d) / f"result{i}.json"
            ctx = mp.start_processes(
                _spawned,
                args=(world_size, str(rendezvous), str(result), dict(kwargs)),
                nprocs=world_size,
                join=False,
                start_method="spawn",
            )
            deadline = time.monotonic() + timeout
            while not ctx.join(timeout=5):
                if time.monotonic() > deadline:
                    for proc in ctx.processes:
                        proc.kill()
                    raise TimeoutError(
                        f"data-parallel run {i} ({kwargs}) did not finish in {timeout:.0f} s"
                    )
            results.append(json.loads(result.read_text()))
    return results


def check(result: dict[str, Any], tolerance: float = TOLERANCE) -> None:
    """Raise AssertionError unless data-parallel training equalled single-process training."""
    keys = (
        "max_abs_difference",
        "max_abs_difference_per_parameter",
        "max_abs_difference_between_processes",
    )
    if not isinstance(result, dict) or not all(k in result for k in keys):
        raise TypeError(f"result must be the dict that train returns (keys {keys}); got {result!r}")
    tolerance = positive_number(tolerance, "tolerance", allow_zero=True)
    if not result["max_abs_difference"] <= tolerance:
        worst = max(result["max_abs_difference_per_parameter"].items(), key=lambda kv: kv[1])
        raise AssertionError(
            "data-parallel and single-process parameters differ by "
            f"{result['max_abs_difference']:.3e} "
            f"(largest at {worst[0]}), above {tolerance:.0e}"
        )
    if not result["max_abs_difference_between_processes"] == 0.0:
        raise AssertionError(
            "the processes hold different parameters: "
            f"{result['max_abs_difference_between_processes']:.3e}"
        )


def main(argv: list[str] | None = None) -> int:
    """Train LeNet-5 data-parallel; compare with one process on the whole batch (under torchrun)."""
    ap = argparse.ArgumentParser(
        prog="torchrun --nproc_per_node=K -m cnnmath.distributed", description=main.__doc__
    )
    ap.add_argument("--steps", type=cli_int(1), default=20)
    ap.add_argument(
        "--batch-size", type=cli_int(1), default=16, help="the global batch, split equally"
    )
    ap.add_argument(
        "--shards",
        type=cli_int_list,
        default=None,
        help="unequal shard sizes, comma-separated (one per process)",
    )
    ap.add_argument(
        "--weighted", action="store_true", help="weight each loss by k n_r / N (for unequal shards)"
    )
    ap.add_argument("--lr", type=cli_positive_number, default=1e-3)
    ap.add_argument("--data", default="random", choices=("random", "fashion-mnist"))
    ap.add_argument("--seed", type=cli_int(0), default=0)
    ap.add_argument("--backend", default=None, choices=(None, "gloo", "nccl"))
    ap.add_argument(
        "--init-method", default="env://", help="env:// under torchrun, or file:///path"
    )
    ap.add_argument(
        "--rank", type=cli_int(0), default=None, help="without torchrun: this process's rank"
    )
    ap.add_argument(
        "--world-size",
        type=cli_int(1),
        default=None,
        help="without torchrun: the number of processes",
    )
    ap.add_argument(
        "--json", default=None, help="rank 0 writes its result here (it also prints it)"
    )
    ap.add_argument("--no-check", action="store_true", help="report without asserting equality")
    args = ap.parse_args(argv)

    rank = int(os.environ.get("RANK", args.rank if args.rank is not None else -1))
    world = int(
        os.environ.get("WORLD_SIZE", args.world_size if args.world_size is not None else -1)
    )
    if rank < 0 or world < 1:
        ap.error(
            "run me under torchrun (which sets RANK and WORLD_SIZE), "
            "or give --rank and --world-size"
        )
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", world))
    shards = args.shards
    if rank >= world:
        ap.error(f"the rank {rank} must be below the world size {world}")
    if shards is not None and len(shards) != world:
        ap.error(f"--shards needs one size per process ({world}); got {len(shards)}")
    if shards is None and args.batch_size % world:
        ap.error(f"--batch-size {args.batch_size} does not split into {world} equal shards")
    result = train(
        rank,
        world,
        init_method=args.init_method,
        shards=shards,
        steps=args.steps,
        global_batch=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        data=args.data,
        weighted=args.weighted,
        backend=args.backend,
        local_rank=local_rank,
        local_world_size=local_world,
    )
    if result is None:
        return 0
    if args.json:
        _write(result, args.json)
    print(
        json.dumps(
            {k: v for k, v in result.items() if k not in ("losses", "reference_losses")}, indent=1
        )
    )
    if not args.no_check:
        check(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
