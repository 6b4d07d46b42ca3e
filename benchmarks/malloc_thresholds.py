"""What keeping freed memory (cnnmath.allocator.keep_freed_memory) does to a LeNet-5 training step.

One step = forward pass, softmax cross-entropy, backward pass and an Adam update of LeNet-5
(zoo.lenet5) on a batch of 128 random 28x28 images in float32. Each setting runs in a fresh
process (glibc's thresholds cannot be put back), and reports the best of five means of 40 steps
(cnnmath.timing.per_step): wall and CPU milliseconds and minor page faults per step. The settings:

- ``default``: glibc's own (sliding) thresholds, as after ``import cnnmath``;
- ``kept``: inside ``with keep_freed_memory():`` (as in ``fit`` and ``cnnmath.timing``);
- ``after``: after leaving such a block (the thresholds it leaves behind);
- ``restored128k``: after a block that would have restored glibc's 128 KiB starting values.

On a busy machine the CPU time and the page faults are the steady figures; wall time is not.

    .venv/bin/python benchmarks/malloc_thresholds.py [--runs 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from cnnmath import allocator, zoo
from cnnmath.files import write_atomically
from cnnmath.optim import Optimizer
from cnnmath.timing import machine, per_step

SETTINGS = ("default", "kept", "after", "restored128k")


def measure(setting: str, steps: int = 40, rounds: int = 5) -> dict[str, float]:
    """Milliseconds (wall, CPU) and page faults per step under ``setting``, in this process."""
    net = zoo.lenet5()
    state = net.init(0, np.float32)
    opt = Optimizer("adam", lr=1e-3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 128)

    def step() -> None:
        _, grads, _ = net.loss_and_grads(state, x, y)
        opt.step(state.params, grads)

    if setting == "kept" and allocator._glibc() is None:
        raise SystemExit("keep_freed_memory does nothing here (not glibc)")
    if setting in ("after", "restored128k"):
        with allocator.keep_freed_memory():
            step()
    if setting == "restored128k":
        libc = allocator._glibc()
        if libc is None or not allocator._set_thresholds(libc, 128 * 1024, 128 * 1024):
            raise SystemExit("mallopt is not available here")
    found = per_step(step, repeats=steps, warmup=5, rounds=rounds, keep_freed=setting == "kept")
    return {
        "wall_ms": round(found["wall_s"] * 1e3, 2),
        "cpu_ms": round(found["cpu_s"] * 1e3, 2),
        "page_faults": round(found["page_faults"], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=3, help="fresh processes per setting")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--one", choices=SETTINGS, help=argparse.SUPPRESS)  # a child process
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    runs: dict[str, list[dict[str, float]]] = {s: [] for s in SETTINGS}
    for _ in range(args.runs):  # interleaved, so that a change of load touches every setting
        for s in SETTINGS:
            out = subprocess.run(
                [sys.executable, __file__, "--one", s], capture_output=True, text=True, check=True
            )
            runs[s].append(json.loads(out.stdout))
    print(f"{'setting':<14}{'wall ms':>16}{'CPU ms':>16}{'page faults':>20}")
    for s, found in runs.items():

        def span(key: str, found=found) -> str:
            values = [f[key] for f in found]
            return f"{min(values):,.1f}-{max(values):,.1f}"

        print(f"{s:<14}{span('wall_ms'):>16}{span('cpu_ms'):>16}{span('page_faults'):>20}")
    if args.json:
        result = {"benchmark": __doc__.splitlines()[0], "machine": machine(), "runs": runs}
        write_atomically(args.json, json.dumps(result, indent=2) + "\n")
        print(f"written to {args.json}")


if __name__ == "__main__":
    main()
