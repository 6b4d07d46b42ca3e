"""What makes a float result repeat on any machine: the same kernels, one thread, no race.

The book stores every chapter's outputs and the tests re-execute the chapters and compare; a
training run amplifies a difference in the last bit of one product into a different accuracy, so
"the same result" must mean the same bits. Three things decide the bits besides the code:

- **which instructions a library picks** for the CPU it finds. NumPy's OpenBLAS picks its matrix
  kernels, NumPy its own loops (float64 ``exp`` has an AVX-512 version), torch's ATen, oneDNN and
  MKL theirs; AVX-512 kernels add in other orders than AVX2 ones, and MKL takes other paths on
  AMD processors than on Intel ones. :data:`ISA_PINS` pins each to the AVX2 code that every
  x86-64 CPU of the last decade runs (MKL to its "compatible" branch, the one it keeps bit-equal
  across Intel and AMD);
- **how many threads** share a product or a sum: OpenBLAS and MKL split a matrix product, torch
  splits a reduction, by the number of threads, and each split rounds differently. One thread
  (:data:`THREAD_PINS`) gives the same bits on a laptop with 16 cores as on a 2-core CI machine,
  and it degrades gracefully on a busy machine: threads of one product that wait for each other
  spin or sleep while another process holds a core, a single thread never waits;
- **non-deterministic algorithms** (on a GPU: atomics, TF32, autotuning): :func:`deterministic`.

The variables must be in the environment before NumPy and torch load their libraries, so a
module imported later cannot set them. ``make env`` therefore writes a one-line ``.pth`` file
into the virtual environment (:func:`install`), which Python runs at every start: the Makefile's
targets, the tests, the kernels that execute the book and a reader's ``.venv/bin/jupyter lab``
all start with :func:`settings` in force, and nothing else sets them. ``CNNMATH_PINS=off`` in the
environment leaves a process unpinned (to measure what AVX-512 or more threads are worth).
:func:`check`, called at the top of the chapters that train, warns when they are not in force.
``python -m cnnmath.determinism fingerprint`` prints hashes of the kernels the book relies on,
to compare two machines bit for bit (``tests/test_determinism.py`` does so under emulated AVX2
Intel and AMD processors).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import warnings
from pathlib import Path
from typing import Any

__all__ = [
    "ISA_PINS",
    "THREAD_PINS",
    "settings",
    "pth_line",
    "install",
    "in_force",
    "check",
    "deterministic",
    "fingerprint",
    "main",
]

#: Instruction-set pins (x86-64 with AVX2 and FMA only).
ISA_PINS: dict[str, str] = {
    "OPENBLAS_CORETYPE": "Haswell",  # NumPy's OpenBLAS: the AVX2 matrix kernels
    "NPY_ENABLE_CPU_FEATURES": "X86_V3",  # NumPy's own loops: AVX2 and FMA3, no AVX-512
    "ATEN_CPU_CAPABILITY": "avx2",  # torch's vectorized kernels
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # torch's float32 convolutions
    "MKL_CBWR": "COMPATIBLE",  # torch's matrix products and vector math, Intel and AMD alike
}

#: One thread for every library (OpenMP covers torch and MKL; OpenBLAS reads its own). A cell
#: that asks torch for more (a long training, ``torch.set_num_threads(2)``) gets a fixed count,
#: which splits the sums the same way on every machine, and threads that sleep while they wait
#: (``OMP_WAIT_POLICY``) instead of spinning on cores that another process needs.
THREAD_PINS: dict[str, str] = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OMP_WAIT_POLICY": "PASSIVE",
}

_OFF = "CNNMATH_PINS"
_PTH_NAME = "cnnmath-determinism.pth"


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def settings(machine: str | None = None, flags: set[str] | None = None) -> dict[str, str]:
    """The environment the book runs in on this machine: one thread, and AVX2 kernels on x86-64.

    ``machine`` and ``flags`` default to this machine's (``platform.machine()``, the CPU flags of
    ``/proc/cpuinfo``). A CPU without AVX2 and FMA cannot run the pinned kernels: it gets the
    thread pins only, and its float results may differ from the stored ones in the last digits.
    """
    machine = platform.machine() if machine is None else machine
    if not isinstance(machine, str):
        raise TypeError(f"machine must be a string such as 'x86_64'; got {machine!r}")
    if flags is not None and not (
        isinstance(flags, (set, frozenset, list, tuple)) and all(isinstance(f, str) for f in flags)
    ):
        raise TypeError(f"flags must be a set of CPU flag names such as {{'avx2'}}; got {flags!r}")
    pins = dict(THREAD_PINS)
    if machine in ("x86_64", "AMD64"):
        flags = _cpu_flags() if flags is None else set(flags)
        # Where /proc/cpuinfo cannot be read, assume a current CPU (AVX2 has shipped since 2013).
        if not flags or {"avx2", "fma"} <= flags:
            pins.update(ISA_PINS)
    return pins


def pth_line(pins: dict[str, str] | None = None) -> str:
    """The ``.pth`` line that puts ``pins`` in the environment when Python starts.

    Self-contained (it imports only :mod:`os`), so that starting Python never imports cnnmath;
    variables already set are replaced, unless ``CNNMATH_PINS=off``.
    """
    pins = settings() if pins is None else pins
    if not isinstance(pins, dict):
        raise TypeError(f"pins must be a dict of environment variables; got {type(pins).__name__}")
    for k, v in pins.items():
        if not (
            isinstance(k, str)
            and k.replace("_", "").isalnum()
            and isinstance(v, str)
            and v.isprintable()
            and "'" not in v
        ):
            raise ValueError(f"pins must map variable names to printable strings; got {k!r}: {v!r}")
    return (
        f"import os; os.environ.get({_OFF!r}) == 'off' or os.environ.update({pins!r})  "
        "# cnnmath.determinism: the same float results on every machine\n"
    )


def install(site_packages: str | os.PathLike[str] | None = None) -> Path:
    """Write the ``.pth`` file into ``site_packages`` (default: this interpreter's), atomically."""
    if site_packages is None:
        import sysconfig

        site_packages = sysconfig.get_paths()["purelib"]
    if not isinstance(site_packages, (str, os.PathLike)):
        raise TypeError(f"site_packages must be a path; got {type(site_packages).__name__}")
    if not str(site_packages).strip():
        raise FileNotFoundError("site_packages is empty: give the folder of the .pth files")
    folder = Path(site_packages)
    if not folder.is_dir():
        raise FileNotFoundError(f"site_packages {str(folder)!r} is not a directory")
    from .files import write_atomically

    return write_atomically(folder / _PTH_NAME, pth_line())


def in_force() -> dict[str, Any]:
    """What the libraries loaded in this process actually use (NumPy, OpenBLAS, torch if loaded)."""
    import numpy as np

    found: dict[str, Any] = {"environment": {k: os.environ.get(k) for k in settings()}}
    from numpy._core import _multiarray_umath as umath  # noqa: PLC0415

    # the dispatch targets NumPy would run: beyond X86_V3 (AVX2, FMA3) they are AVX-512 loops
    found["numpy_avx512"] = any(
        umath.__cpu_features__.get(t)
        for t in umath.__cpu_dispatch__
        if t.startswith(("X86_V4", "AVX512"))
    )
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("internal_api") == "openblas" and "numpy" in pool.get("filepath", ""):
                found["openblas_coretype"] = pool.get("architecture")
                found["openblas_threads"] = pool.get("num_threads")
    except ImportError:  # threadpoolctl is pinned in requirements.txt; elsewhere say nothing
        pass
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        found["torch_capability"] = torch.backends.cpu.get_cpu_capability()
        found["torch_threads"] = torch.get_num_threads()
    del np
    return found


def check(*, strict: bool = False) -> dict[str, str]:
    """Warn (raise with ``strict``) unless :func:`settings` were in force when the libraries loaded.

    Returns the pins, for a chapter to show. The stored outputs of the book were made with them;
    without them a chapter still runs, but its trained numbers may differ in the last digits.
    """
    pins = settings()
    found = in_force()
    wrong = [
        f"{k}={found['environment'][k]!r}" for k, v in pins.items() if found["environment"][k] != v
    ]
    if "OPENBLAS_CORETYPE" in pins and found.get("openblas_coretype") not in (None, "Haswell"):
        wrong.append(f"OpenBLAS runs its {found['openblas_coretype']} kernels")
    if "NPY_ENABLE_CPU_FEATURES" in pins and found["numpy_avx512"]:
        wrong.append("NumPy runs AVX-512 loops")
    if "torch_threads" in found and found["torch_threads"] != 1:
        wrong.append(f"torch uses {found['torch_threads']} threads")
    if "ATEN_CPU_CAPABILITY" in pins and found.get("torch_capability", "AVX2") != "AVX2":
        wrong.append(f"torch runs {found['torch_capability']} kernels")
    if wrong:
        message = (
            "the book's float results are pinned to one thread and AVX2 kernels, and here "
            + "; ".join(wrong)
            + ". Start Python from the project's environment (`make env`, then "
            "`.venv/bin/jupyter lab`), or set before starting it: "
            + " ".join(f"{k}={v}" for k, v in pins.items())
        )
        if strict:
            raise RuntimeError(message)
        warnings.warn(message, stacklevel=2)
    return pins


def deterministic(device: Any) -> dict[str, Any]:
    """Make torch's float arithmetic repeatable and full precision on ``device``; say how.

    On CUDA: TF32 off for matrix products and cuDNN convolutions (it would round float32 inputs
    to 10 mantissa bits), cuDNN's benchmark autotuner off, deterministic algorithms on, and the
    cuBLAS workspace fixed (``CUBLAS_WORKSPACE_CONFIG``, which cuBLAS needs for repeatable
    results; it must be set before cuBLAS starts, so call this before any CUDA work).
    On the CPU: deterministic algorithms on. Call it once, at the start.
    """
    import torch

    device = torch.device(device)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    found: dict[str, Any] = {
        "deterministic_algorithms": torch.are_deterministic_algorithms_enabled()
    }
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
        found.update(
            cuda_matmul_allow_tf32=torch.backends.cuda.matmul.allow_tf32,
            cudnn_allow_tf32=torch.backends.cudnn.allow_tf32,
            cudnn_benchmark=torch.backends.cudnn.benchmark,
            cudnn_deterministic=torch.backends.cudnn.deterministic,
            cublas_workspace_config=os.environ["CUBLAS_WORKSPACE_CONFIG"],
        )
    return found


def _digest(*arrays: Any) -> str:
    import numpy as np

    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def fingerprint(*, torch_too: bool = True, torch_threads: int = 1) -> dict[str, str]:
    """Hashes of the bits of the computations the book's stored results rest on.

    NumPy's matrix products, elementwise functions and sums in both precisions; a NumPy LeNet-5
    training step (float32, the book's layers); and, with ``torch_too``, torch's matrix products,
    vector math, float32 and float64 convolutions with their gradients and one Adam step of
    LeNet-5's twin, on ``torch_threads`` threads (a chapter's long torch run uses two). Two
    machines with equal fingerprints compute the book's trainings alike.
    """
    if isinstance(torch_threads, bool) or not isinstance(torch_threads, int) or torch_threads < 1:
        raise ValueError(f"torch_threads must be a whole number >= 1; got {torch_threads!r}")
    import numpy as np

    rng = np.random.default_rng(2026)
    x64, w64 = rng.standard_normal((257, 129)), rng.standard_normal((129, 65))
    x32, w32 = x64.astype(np.float32), w64.astype(np.float32)
    out = {
        "numpy matmul": _digest(x64 @ w64, x32 @ w32),
        "numpy exp log tanh": _digest(
            np.exp(x64), np.exp(x32), np.log1p(np.abs(x64)), np.tanh(x32), np.tanh(x64)
        ),
        "numpy sums": _digest(x32.sum(axis=0), x32.sum(), x64.sum(axis=1), x64.var()),
    }
    from . import optim, zoo

    net = zoo.lenet5()
    state = net.init(seed=0, dtype=np.float32)
    images = rng.standard_normal((16, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, 16)
    loss, grads, _ = net.loss_and_grads(state, images, labels)
    optim.Optimizer("adam", lr=1e-3).step(state.params, grads)
    out["numpy lenet5 step"] = _digest(np.float32(loss), *state.flat("params").values())
    if torch_too:
        import torch

        from . import torch_twin

        torch.manual_seed(0)
        before = torch.get_num_threads()
        torch.set_num_threads(torch_threads)
        tx, tw = torch.from_numpy(x32), torch.from_numpy(w32)
        out["torch matmul"] = _digest(
            (tx @ tw).numpy(), (torch.from_numpy(x64) @ torch.from_numpy(w64)).numpy()
        )
        out["torch exp tanh sum"] = _digest(
            torch.exp(tx).numpy(), torch.tanh(torch.from_numpy(x64)).numpy(), tx.sum(0).numpy()
        )
        twin = torch_twin.twin(net, net.init(seed=0, dtype=np.float32), "cpu")
        topt = torch_twin.adam(twin, 1e-3)
        tloss = torch.nn.functional.cross_entropy(
            twin(torch.from_numpy(images)), torch.from_numpy(labels)
        )
        tloss.backward()
        topt.step()
        out["torch lenet5 step"] = _digest(
            tloss.detach().numpy(), *(p.detach().numpy() for p in twin.parameters())
        )
        conv = torch.nn.Conv2d(3, 8, 5, dtype=torch.float64)
        y = conv(torch.from_numpy(rng.standard_normal((4, 3, 16, 16))))
        y.square().sum().backward()
        out["torch float64 conv"] = _digest(y.detach().numpy(), conv.weight.grad.numpy())
        torch.set_num_threads(before)
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m cnnmath.determinism {show,make,install,check,fingerprint}``."""
    parser = argparse.ArgumentParser(
        prog="python -m cnnmath.determinism",
        description="The settings that make the book's float results the same on every machine.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("show", help="print the settings for this machine as NAME=VALUE lines")
    sub.add_parser("make", help="print them on one line, for the Makefile")
    p_install = sub.add_parser("install", help="write the .pth file into the environment")
    p_install.add_argument("--site-packages", help="where (default: this Python's)")
    sub.add_parser("check", help="exit 1 unless the settings are in force in this process")
    p_fp = sub.add_parser("fingerprint", help="print hashes of the kernels' results as JSON")
    p_fp.add_argument("--no-torch", action="store_true", help="NumPy only")
    p_fp.add_argument("--torch-threads", type=int, default=1, help="torch's threads (default 1)")
    args = parser.parse_args(argv)
    if args.command == "show":
        print("\n".join(f"{k}={v}" for k, v in settings().items()))
    elif args.command == "make":
        print(" ".join(f"{k}={v}" for k, v in settings().items()))
    elif args.command == "install":
        try:
            print(install(args.site_packages))
        except FileNotFoundError as e:
            parser.exit(2, f"{parser.prog}: error: {e}\n")
    elif args.command == "check":
        try:
            check(strict=True)
        except RuntimeError as e:
            print(f"not pinned: {e}", file=sys.stderr)
            return 1
        print("pinned: " + " ".join(f"{k}={v}" for k, v in settings().items()))
    else:
        if args.torch_threads < 1:
            parser.error(f"--torch-threads must be >= 1; got {args.torch_threads}")
        print(
            json.dumps(
                fingerprint(torch_too=not args.no_torch, torch_threads=args.torch_threads),
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
