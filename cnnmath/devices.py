"""Where torch computes: the one device picker, and the description of a device for a report.

:func:`device` chooses CUDA when torch finds a GPU and the CPU otherwise (or the device asked for,
failing clearly when it is not there); :func:`describe` names the device and the versions of
everything that computes on it, so that a page or a report says which machine produced a number
(and never states a GPU figure that no GPU produced).
"""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["device", "describe"]


def device(name: str | torch.device = "auto") -> torch.device:
    """``"auto"``: CUDA when torch finds a GPU, else the CPU; ``"cpu"``, ``"cuda"`` or ``"cuda:N"``
    (or a ``torch.device``): that device, and a clear error when torch finds no GPU for it."""
    if isinstance(name, torch.device):
        name = str(name)
    if not isinstance(name, str):
        raise TypeError(f"name must be a device name such as 'cpu' or 'auto'; got {name!r}")
    if name not in ("auto", "cpu", "cuda") and not (
        name.startswith("cuda:") and name[5:].isdigit()
    ):
        raise ValueError(f"name: device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {name!r}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(
            f"device {name!r} was asked for, but torch {torch.__version__} finds no CUDA GPU "
            "(torch.cuda.is_available() is False); use 'cpu' or 'auto'"
        )
    return torch.device(name)


def cpu_model() -> str:
    """The processor's model name (from ``/proc/cpuinfo`` where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(dev: str | torch.device) -> dict[str, Any]:
    """The device by name, and the versions of everything that computes on it."""
    try:
        dev = device(dev)
    except (TypeError, ValueError) as exc:  # device() names its argument "name"
        raise type(exc)(f"dev: {exc}") from None
    info: dict[str, Any] = {
        "device": str(dev),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }
    if dev.type == "cuda":
        index = dev.index if dev.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        info.update(
            device_name=torch.cuda.get_device_name(index),
            cuda=torch.version.cuda,
            cudnn=torch.backends.cudnn.version(),
            gpu_memory_gib=round(props.total_memory / 2**30, 1),
            compute_capability=f"{props.major}.{props.minor}",
            driver=_nvidia_driver(),
        )
    else:
        info["device_name"] = f"CPU: {info['cpu']}"
    return info


def _nvidia_driver() -> str | None:
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
        return out.stdout.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return None
