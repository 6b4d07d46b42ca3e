"""Training throughput of the NumPy MLP 784-128-64-10 against the same network in torch on the CPU.

One training step = forward pass, softmax cross-entropy, backward pass to every parameter
gradient (no optimizer update), on a batch of 128 Fashion-MNIST-sized inputs. Both run in the
same process on the same data, in float32 and float64. Target: NumPy >= 0.7x torch CPU.

    .venv/bin/python benchmarks/mlp_throughput.py [--repeats 50] [--json benchmarks/results/mlp_throughput.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from cnnmath.files import write_atomically
from cnnmath.timing import machine, mlp_training_throughput

SIZES = (784, 128, 64, 10)
BATCH = 128
TARGET = 0.7


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument(
        "--json", type=Path, default=None, help="also write the figures to this JSON file"
    )
    args = ap.parse_args()
    results = {
        "benchmark": "MLP 784-128-64-10 training step (forward + backward)",
        "batch": BATCH,
        "target_ratio": TARGET,
        "machine": machine(),
    }
    for name, dtype in (("float32", np.float32), ("float64", np.float64)):
        results[name] = mlp_training_throughput(SIZES, BATCH, dtype, args.repeats)
        r = results[name]
        print(
            f"{name}: numpy {r['numpy_images_per_s']:>8,} img/s   torch CPU {r['torch_cpu_images_per_s']:>8,} img/s   "
            f"ratio {r['ratio']:.2f} (target >= {TARGET})"
        )
    if args.json:
        write_atomically(args.json, json.dumps(results, indent=2) + "\n")
        print(f"written to {args.json}")


if __name__ == "__main__":
    main()
