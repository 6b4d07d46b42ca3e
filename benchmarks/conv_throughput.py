"""Training-step throughput of the convolutional layers and LeNet-5: naive loops, vectorized NumPy, torch CPU.

For each layer type (convolution, max and average pooling, batch normalization, dropout, at the
sizes they have in LeNet-5) and for LeNet-5 itself (28x28 input, conv 6@5x5 padding 2, max-pool,
conv 16@5x5, max-pool, 400-120-84-10), at batch 128, in float32 and float64: images per second
of one forward and backward pass. The naive loops run on one or two images and are reported per
image. Prints a table and writes the figures as JSON.

Then LeNet-5 three ways in the same run, timed in alternation: the hand-unrolled functions
(``cnnmath.chain_rule``), the same network built as a list of layers (``cnnmath.zoo.lenet5``) and
its torch twin on the CPU.

Targets: the list-built LeNet-5 trains at >= 0.95x the hand-written one and at >= 0.6x torch CPU
in float32 and in float64; the vectorized layers >= 500x the naive loops.

    .venv/bin/python benchmarks/conv_throughput.py [--repeats 10] [--json benchmarks/results/conv_throughput.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from cnnmath.files import write_atomically
from cnnmath.timing import LAYER_KINDS, layer_throughput, lenet5_list_vs_hand, machine

TARGETS = {
    "lenet5_list_vs_hand_float32": 0.95,
    "lenet5_list_vs_hand_float64": 0.95,
    "lenet5_float32_vs_torch": 0.8,  # same run, same threads (one: cnnmath.determinism)
    "lenet5_float64_vs_torch": 1.0,
    "lenet5_vs_naive": 500,
}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--json", type=Path, default=Path("benchmarks/results/conv_throughput.json"))
    args = ap.parse_args()
    results: dict = {
        "benchmark": "training step (forward + backward), images/s",
        "batch": 128,
        "targets": TARGETS,
        "machine": machine(),
        "layers": {},
    }
    print(
        f"{'layer':10s} {'dtype':8s} {'naive':>10s} {'numpy':>10s} {'torch CPU':>10s} "
        f"{'numpy/naive':>12s} {'numpy/torch':>12s}"
    )
    for kind in LAYER_KINDS:
        for name, dtype in (("float32", np.float32), ("float64", np.float64)):
            r = layer_throughput(kind, dtype, repeats=args.repeats)
            results["layers"].setdefault(kind, {})[name] = r
            print(
                f"{kind:10s} {name:8s} {r['naive_images_per_s']:10,.1f} {r['numpy_images_per_s']:10,.0f} "
                f"{r['torch_cpu_images_per_s']:10,.0f} {r['numpy_over_naive']:12,.0f} {r['numpy_over_torch']:12.2f}"
            )
    lenet = results["layers"]["lenet5"]
    print(
        f"\nLeNet-5, same run: {'dtype':8s} {'hand':>10s} {'list':>10s} {'torch CPU':>10s} {'list/hand':>10s} "
        f"{'list/torch':>10s}"
    )
    for name, dtype in (("float32", np.float32), ("float64", np.float64)):
        r = lenet5_list_vs_hand(dtype, repeats=args.repeats)
        results.setdefault("lenet5_same_run", {})[name] = r
        print(
            f"{'':18s} {name:8s} {r['hand_images_per_s']:10,.0f} {r['list_images_per_s']:10,.0f} "
            f"{r['torch_cpu_images_per_s']:10,.0f} {r['list_over_hand']:10.3f} {r['list_over_torch']:10.3f}"
        )
    same = results["lenet5_same_run"]
    reached = {
        "lenet5_list_vs_hand_float32": same["float32"]["list_over_hand"],
        "lenet5_list_vs_hand_float64": same["float64"]["list_over_hand"],
        "lenet5_float32_vs_torch": same["float32"]["list_over_torch"],
        "lenet5_float64_vs_torch": same["float64"]["list_over_torch"],
        "lenet5_vs_naive": min(
            lenet["float32"]["numpy_over_naive"], lenet["float64"]["numpy_over_naive"]
        ),
    }
    results["reached"] = reached
    for key, target in TARGETS.items():
        print(
            f"{key}: {reached[key]:.2f} (target >= {target}) {'met' if reached[key] >= target else 'NOT met'}"
        )
    write_atomically(args.json, json.dumps(results, indent=2) + "\n")
    print(f"written to {args.json}")


if __name__ == "__main__":
    main()
