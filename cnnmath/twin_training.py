"""The torch twin trained on the best device, its weights predicted by NumPy; the time of a step.

:func:`train_twin` trains the torch twin of a network (from a state's weights) with Adam on the
best device present (:func:`cnnmath.devices.device`: CUDA when available, otherwise the CPU);
:func:`compare_predictions` loads the trained weights into a NumPy state of the same description
and counts the test images on which the two implementations predict different classes; and
:func:`step_times` measures one training step of each. For a repeatable run on CUDA, call
:func:`cnnmath.determinism.deterministic` first: it turns off TF32 (which cuDNN uses for float32
by default and which keeps only 10 mantissa bits, :func:`cnnmath.rounding.tf32_round`) and asks
for deterministic algorithms.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from . import devices as _devices
from . import torch_twin
from .arguments import as_float_array, positive_int, positive_number, torch_device
from .arguments import labels as check_labels
from .arguments import seed as validate_seed
from .lockstep import DTYPES, described
from .network import Sequential, State, check_network
from .optim import Optimizer
from .rounding import relative_difference
from .train import progress_mode

__all__ = ["Training", "train_twin", "Agreement", "compare_predictions", "step_times"]

_TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass
class Training:
    """What :func:`train_twin` did: per-epoch mean training loss and test accuracy, and its time."""

    device: str
    epochs: int
    batch_size: int
    lr: float
    train_loss: list[float]
    test_accuracy: list[float]
    seconds: float


def _dtype_name(dtype: object, name: str = "dtype") -> str:
    """``dtype`` (``"float32"``, ``np.float32``, ...) by its name in
    :data:`cnnmath.lockstep.DTYPES`."""
    try:
        found = np.dtype(dtype).name if dtype is not None else None
    except (TypeError, ValueError):
        found = None
    if found not in DTYPES:
        raise ValueError(f"{name} must be one of {DTYPES}; got {dtype!r}")
    return found


def _batched_logits(
    module: torch.nn.Module,
    x: np.ndarray,
    device: torch.device,
    dtype: torch.dtype,
    batch_size: int = 1000,
) -> np.ndarray:
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            xb = torch.from_numpy(np.ascontiguousarray(x[i : i + batch_size])).to(
                device=device, dtype=dtype
            )
            out.append(module(xb).cpu().numpy())
    return np.concatenate(out)


def train_twin(
    net: Sequential,
    state: State,
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    epochs: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    device: torch.device | str = "cpu",
    progress: bool | str = True,
) -> tuple[torch.nn.Module, Training]:
    """Train the torch twin of ``net`` with Adam on ``device``; return it and a :class:`Training`.

    The twin starts from ``state``'s arrays, in its dtype (``state`` itself is not changed). The
    batches come from a seeded NumPy shuffle, the same on every device. Call
    :func:`cnnmath.determinism.deterministic` first for a repeatable run; the test accuracy is
    measured every epoch.
    ``progress`` as in :func:`cnnmath.train.fit`: a progress bar (``"bar"``), one line per epoch
    (``"summary"``, the form for an executed page) or nothing (``"off"``/``False``).
    """
    mode = progress_mode(progress)
    net = check_network(net)
    state = net.check_state(state)
    epochs, batch_size = positive_int(epochs, "epochs"), positive_int(batch_size, "batch_size")
    x = as_float_array(x, "x (the training images)", ndim=(2, 3, 4))
    x_test = as_float_array(x_test, "x_test (the test images)", ndim=(2, 3, 4))
    y = check_labels(y, "y (the class labels)", n=len(x))
    y_test = check_labels(y_test, "y_test (the class labels)", n=len(x_test))
    seed, device = validate_seed(seed), torch_device(device)
    tdtype = _TORCH_DTYPES[state.dtype.name]
    module = torch_twin.twin(net, state, device)
    opt = torch_twin.adam(module, positive_number(lr, "lr (the learning rate)"))
    rng = np.random.default_rng(seed)
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=state.dtype)).to(device)
    yt = torch.from_numpy(y).to(device)
    history: dict[str, list[float]] = {"loss": [], "acc": []}
    n_batches = -(-len(x) // batch_size)
    t0 = time.perf_counter()
    bar = None
    if mode == "bar":
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs * n_batches, desc=f"training on {device}", mininterval=1.0)
    for epoch in range(1, epochs + 1):
        module.train()
        order = torch.from_numpy(rng.permutation(len(x))).to(device)
        total = torch.zeros((), dtype=tdtype, device=device)
        for i in range(0, len(x), batch_size):
            idx = order[i : i + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(module(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
            if bar is not None:
                bar.update()
        module.eval()
        pred = _batched_logits(module, x_test, device, tdtype).argmax(axis=1)
        history["loss"].append(float(total.cpu()) / len(x))
        history["acc"].append(float(np.mean(pred == y_test)))
        if bar is not None:
            bar.set_postfix(test_acc=f"{history['acc'][-1]:.4f}")
        elif mode == "summary":
            print(
                f"epoch {epoch}/{epochs} on {device}: training loss {history['loss'][-1]:.3f}, "
                f"test accuracy {history['acc'][-1]:.4f} ({time.perf_counter() - t0:.0f} s)"
            )
    if bar is not None:
        bar.close()
    seconds = time.perf_counter() - t0
    return module, Training(
        str(device), epochs, batch_size, lr, history["loss"], history["acc"], seconds
    )


@dataclass
class Agreement:
    """The NumPy network's predictions against torch's on the same images, in one dtype."""

    dtype: str
    n: int
    differences: int
    numpy_accuracy: float
    torch_accuracy: float
    largest_logit_difference: float
    #: for each image predicted differently: the gap between torch's two largest logits
    margins: list[float]


def compare_predictions(
    net: Sequential,
    module: torch.nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    *,
    dtype: str | type = "float64",
    device: torch.device | str = "cpu",
    batch_size: int = 1000,
) -> Agreement:
    """Load ``module``'s weights into a state of ``net`` and compare the two networks' predictions.

    ``dtype`` (float64 or float32) is the precision of both: a copy of ``module`` in that dtype
    computes on ``device``, the NumPy network on the CPU. ``module`` itself is not changed.
    """
    import copy

    net = check_network(net)
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module; got {type(module).__name__}")
    x = as_float_array(x, "x (the test images)", ndim=(2, 3, 4))
    y = check_labels(y, "y (the class labels)", n=len(x))
    dtype = _dtype_name(dtype)
    device = torch_device(device)
    tdtype = _TORCH_DTYPES[dtype]
    twin = copy.deepcopy(module).to(device=device, dtype=tdtype).eval()
    state = net.init(0, dtype)  # its draws are replaced by the module's arrays
    torch_twin.load(state, twin)
    ours = net.predict_output(state, x, batch_size=batch_size)
    theirs = _batched_logits(twin, x, device, tdtype, batch_size)
    p_ours, p_theirs = ours.argmax(axis=1), theirs.argmax(axis=1)
    differ = np.flatnonzero(p_ours != p_theirs)
    top2 = np.sort(theirs[differ], axis=1)[:, -2:]
    return Agreement(
        dtype,
        len(x),
        int(differ.size),
        float(np.mean(p_ours == y)),
        float(np.mean(p_theirs == y)),
        relative_difference(ours, theirs),
        [float(v) for v in top2[:, 1] - top2[:, 0]],
    )


def step_times(
    network: str | Sequential,
    batch_size: int,
    dtype: str = "float32",
    *,
    devices: tuple[str, ...] | None = None,
    repeats: int = 10,
    seed: int = 0,
) -> dict[str, float]:
    """Milliseconds per training step (forward, loss, backward, Adam): NumPy, torch per device.

    ``devices`` defaults to the CPU, plus CUDA when torch finds a GPU. The best of three rounds of
    ``repeats`` steps (after warm-up steps), on random images; GPU steps are timed to completion.
    """
    from .timing import throughput

    net = described(network)
    dtype = _dtype_name(dtype)
    repeats, seed = positive_int(repeats, "repeats"), validate_seed(seed)
    if devices is not None and (
        not isinstance(devices, (tuple, list)) or not all(isinstance(d, str) for d in devices)
    ):
        raise TypeError(
            f"devices must be a tuple of device names such as ('cpu',); got {devices!r}"
        )
    if devices is None:
        devices = ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",)
    batch_size = positive_int(batch_size, "batch_size")
    state = net.init(seed, dtype)
    rng = np.random.default_rng(seed)
    x = rng.random((batch_size, *net.input_shape)).astype(dtype)
    y = rng.integers(0, net.output_shape[0], batch_size)
    opt = Optimizer("adam", 1e-3)

    def numpy_step():
        _, g, _ = net.loss_and_grads(state, x, y)
        opt.step(state.params, g)

    times = {
        "numpy (CPU)": 1e3
        * batch_size
        / throughput(numpy_step, batch_size, repeats=repeats, warmup=2)
    }
    for dev in devices:
        device = _devices.device(dev)
        twin = torch_twin.twin(net, state, device).train()
        topt = torch_twin.adam(twin, 1e-3)
        tx, ty = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)

        def torch_step():
            topt.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(twin(tx), ty).backward()
            topt.step()
            if device.type == "cuda":
                torch.cuda.synchronize(device)

        label = f"torch ({'CPU' if device.type == 'cpu' else torch.cuda.get_device_name(device)})"
        times[label] = (
            1e3 * batch_size / throughput(torch_step, batch_size, repeats=repeats, warmup=3)
        )
    return times
