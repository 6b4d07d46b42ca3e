"""``python -m cnnmath.crosscheck``: NumPy against PyTorch on any device, and the record it leaves.

The command runs the chapter's comparisons where a reader runs it (``--device cuda`` on a GPU):
:func:`cnnmath.lockstep.lockstep` for each network, free-running and from a common state; the
LeNet-5 twin trained on the device and its predictions compared with NumPy's
(:mod:`cnnmath.twin_training`); the time of one training step. :func:`record` gathers what it
measured into plain JSON-ready data naming the device, the driver and library versions
(:func:`cnnmath.devices.describe`), the settings in force, the tolerances, the largest difference
at every step, the accuracies and the timings; :func:`write_json` writes it whole or not at all.
The command exits with status 1 when a comparison lies outside its tolerances or a float64
prediction differs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import determinism, zoo
from . import devices as _devices
from .arguments import cli_int
from .arguments import path as check_path
from .files import write_atomically
from .lockstep import NETWORKS, TOLERANCES, Trace, lockstep
from .rounding import FLOAT32_MARGIN
from .twin_training import Agreement, Training, compare_predictions, step_times, train_twin

__all__ = ["record", "write_json", "main"]


def record(
    device: torch.device | str,
    settings: dict[str, Any],
    traces: list[Trace],
    agreements: list[Agreement] = (),
    training: Training | None = None,
    times: dict[str, dict[str, float]] | None = None,
) -> dict[str, Any]:
    """Everything a run measured, as plain JSON-ready data, with the device that measured it."""
    if not isinstance(settings, dict):
        raise TypeError(f"settings must be a dict; got {type(settings).__name__}")
    for arg, value, kind in (
        ("traces", traces, Trace),
        ("agreements", agreements, Agreement),
    ):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, kind) for v in value):
            raise TypeError(f"{arg} must be a list of {kind.__name__} objects; got {value!r}")
    if training is not None and not isinstance(training, Training):
        raise TypeError(f"training must be a Training or None; got {training!r}")
    if times is not None and not (
        isinstance(times, dict)
        and all(
            isinstance(v, dict) and all(isinstance(t, (int, float)) for t in v.values())
            for v in times.values()
        )
    ):
        raise TypeError(f"times must map each network to its step_times dict; got {times!r}")
    rec: dict[str, Any] = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": _devices.describe(device),
        "settings": settings,
        "tolerances": {
            **TOLERANCES,
            "float32": "array by array, FLOAT32_MARGIN (torch's own float32 error + sqrt(K) u32)",
        },
        "float32_margin": FLOAT32_MARGIN,
        "lockstep": [t.as_dict() for t in traces],
        "within_tolerances": {t.label: not t.failures() for t in traces},
    }
    if training is not None:
        rec["training"] = training.__dict__
    if agreements:
        rec["predictions"] = [a.__dict__ for a in agreements]
    if times is not None:
        rec["step_milliseconds"] = times
    return rec


def write_json(rec: dict[str, Any], path: str | Path) -> Path:
    """Write ``rec`` as JSON, whole or not at all (:func:`cnnmath.files.write_atomically`)."""
    if not isinstance(rec, dict):
        raise TypeError(f"rec must be a dict (a record); got {type(rec).__name__}")
    path = check_path(path, "path")
    if path.is_dir():
        raise ValueError(f"path must name a file to write; {path} is a directory")
    return write_atomically(path, json.dumps(rec, indent=1, default=float))


def _load_data(
    name: str, n_train: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if name == "random":  # for a quick test of the command: no dataset needed
        rng = np.random.default_rng(seed)
        return (
            rng.random((n_train, 1, 28, 28)),
            rng.integers(0, 10, n_train),
            rng.random((200, 1, 28, 28)),
            rng.integers(0, 10, 200),
        )
    from . import data

    train, test = data.load_fashion_mnist()
    return data.to_float(train.x, np.float64), train.y, data.to_float(test.x, np.float64), test.y


def _network_list(text: str) -> list[str]:
    """``--networks``: comma-separated names of :data:`cnnmath.lockstep.NETWORKS`, at least one,
    none twice."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in NETWORKS]
    if not names or unknown or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(
            f"expected one or more distinct names from {sorted(NETWORKS)}, comma-separated; "
            f"got {text!r}"
        )
    return names


def _device_name(text: str) -> str:
    """``--device``: auto, cpu, cuda or cuda:N."""
    index = text[5:] if text.startswith("cuda:") else "0"
    if text not in ("auto", "cpu", "cuda") and not (text.startswith("cuda:") and index.isdigit()):
        raise argparse.ArgumentTypeError(f"expected auto, cpu, cuda or cuda:N; got {text!r}")
    return text


def _json_path(text: str) -> Path:
    """``--json``: a file to write (not a directory)."""
    path = Path(text)
    if not text or path.is_dir():
        raise argparse.ArgumentTypeError(
            f"expected a file path to write the record to; got {text!r}"
        )
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m cnnmath.crosscheck``: the chapter's comparison on any device, as JSON."""
    ap = argparse.ArgumentParser(prog="python -m cnnmath.crosscheck", description=main.__doc__)
    ap.add_argument(
        "--device",
        default="auto",
        type=_device_name,
        help="auto (CUDA if present, else CPU), cpu, cuda or cuda:N",
    )
    ap.add_argument(
        "--networks",
        default=["lenet5", "thesis_cnn"],
        type=_network_list,
        help=f"comma-separated, from {sorted(NETWORKS)}",
    )
    ap.add_argument(
        "--steps", type=cli_int(1), default=100, help="lockstep training steps (default 100)"
    )
    ap.add_argument(
        "--batch-size",
        type=cli_int(1),
        default=None,
        help="lockstep batch (default 32 LeNet-5, 8 thesis CNN)",
    )
    ap.add_argument(
        "--epochs",
        type=cli_int(0),
        default=10,
        help="epochs of LeNet-5 training on the device (0: skip)",
    )
    ap.add_argument("--data", default="fashion-mnist", choices=("fashion-mnist", "random"))
    ap.add_argument(
        "--json", default="crosscheck.json", type=_json_path, help="where to write the record"
    )
    ap.add_argument(
        "--timing-repeats", type=cli_int(0), default=10, help="timed steps per round (0: no timing)"
    )
    ap.add_argument("--seed", type=cli_int(0), default=0)
    args = ap.parse_args(argv)

    try:
        device = _devices.device(args.device)
    except (RuntimeError, ValueError) as exc:
        ap.error(f"argument --device: {exc}")
    names = args.networks
    settings = determinism.deterministic(device)
    torch.manual_seed(args.seed)
    default_batch = {"lenet5": 32, "thesis_cnn": 8}
    need = args.steps * max(args.batch_size or default_batch[n] for n in names)
    from .data import DatasetCorruptError, DatasetNotFoundError

    try:
        x, y, x_test, y_test = _load_data(
            args.data, max(need, 1000 if args.epochs else 0), args.seed
        )
    except (DatasetNotFoundError, DatasetCorruptError) as exc:
        print(f"{ap.prog}: error: {exc}", file=sys.stderr)
        return 2
    if len(x) < need:
        ap.error(
            f"--steps {args.steps} of the largest batch need {need} training images; "
            f"{args.data} has {len(x)}"
        )
    print(f"device: {_devices.describe(device)['device_name']}", file=sys.stderr)

    traces = []
    for n in names:
        for common in (False, True):
            tr = lockstep(
                n,
                x,
                y,
                steps=args.steps,
                batch_size=args.batch_size or default_batch[n],
                device=device,
                seed=args.seed,
                common_state=common,
            )
            traces.append(tr)
            print(tr.report(), file=sys.stderr)
    training, agreements = None, []
    if args.epochs:
        lenet5 = zoo.lenet5()
        module, training = train_twin(
            lenet5,
            lenet5.init(args.seed, np.float32),
            x,
            y,
            x_test,
            y_test,
            epochs=args.epochs,
            device=device,
            seed=args.seed,
        )
        for dt in ("float64", "float32"):
            agreements.append(
                compare_predictions(lenet5, module, x_test, y_test, dtype=dt, device=device)
            )
        print(
            "predictions: "
            + "; ".join(
                f"{a.dtype}: {a.differences} of {a.n} differ, accuracy NumPy "
                f"{a.numpy_accuracy:.4f}, torch {a.torch_accuracy:.4f}"
                for a in agreements
            ),
            file=sys.stderr,
        )
    times = None
    if args.timing_repeats > 0:
        times = {
            n: step_times(
                n,
                64,
                "float32",
                devices=("cpu",) if device.type == "cpu" else ("cpu", str(device)),
                repeats=args.timing_repeats,
            )
            for n in names
        }
    rec = record(device, settings, traces, agreements, training, times)
    print(f"record written to {write_json(rec, args.json)}", file=sys.stderr)
    ok = all(rec["within_tolerances"].values()) and all(
        a.differences == 0 for a in agreements if a.dtype == "float64"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
