"""NumPy against PyTorch, step for step: one network, two implementations, the same arithmetic.

:func:`lockstep` trains a :class:`cnnmath.network.Sequential` and its torch twin side by side,
from the same initial weights, on the same batches in the same order, with Adam and the same
hyperparameters, and compares after every step the loss, every gradient, every parameter and
every buffer. It does so in float64 and in float32 at once, so that the float32 disagreement
between the two implementations can be set beside the float32 rounding error of each one alone
(its difference from the float64 run of the same implementation).

Every comparison is the relative difference of whole arrays in the maximum norm,

.. math::
    \\rho(a, b) = \\frac{\\max_i |a_i - b_i|}{\\max_i |b_i|},
    \\qquad \\rho = 0 \\text{ if } a = b = 0,

with the torch value as ``b``; a step's figure is the largest over the arrays of that kind.

:func:`train_twin` trains the twin on the best device present (CUDA when available, otherwise the
CPU), :func:`compare_predictions` loads its weights into the NumPy network and counts the test
images on which the two predict different classes, and :func:`step_times` measures one training
step of each implementation. On CUDA, :func:`deterministic` turns off TF32 (which cuDNN and cuBLAS
use for float32 by default and which keeps only 10 mantissa bits) and asks for deterministic
algorithms. ``python -m cnnmath.crosscheck --device cuda`` runs the comparison on a GPU and writes
a JSON record (:func:`record`) naming the device, the driver and library versions, the
tolerances, the largest difference at every step, the accuracies and the timings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import determinism, torch_twin, zoo
from . import devices as _devices
from .arguments import (
    as_float_array,
    cli_int,
    flag,
    in_range,
    number,
    positive_int,
    positive_number,
    torch_device,
)
from .arguments import labels as check_labels
from .arguments import path as check_path
from .arguments import seed as validate_seed
from .files import write_atomically
from .layers import BatchNorm
from .network import Arrays, Sequential, State, check_network
from .optim import Optimizer
from .train import progress_mode

#: What is compared at every step.
QUANTITIES = ("loss", "grads", "params", "buffers")

#: The largest relative difference :math:`\rho` accepted between NumPy and torch in float64.
#:
#: Rounding differences of ~1e-16 per operation, which 100 Adam steps leave far below 1e-8.
TOLERANCES: dict[str, dict[str, float]] = {
    "float64": {"loss": 1e-8, "grads": 1e-8, "params": 1e-8, "buffers": 1e-8},
}
#: The dtypes :func:`lockstep` runs.
DTYPES = ("float64", "float32")
#: How many times the reference's own float32 error NumPy's float32 result may differ from torch's
#: (see :func:`float32_tolerance`): 2 for the triangle inequality, 2 for rounding that falls
#: differently in two implementations.
FLOAT32_MARGIN = 4.0

_TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}

#: The networks compared by name: functions that give the description (the states are made from
#: it with a seed).
NETWORKS: dict[str, Callable[[], Sequential]] = {
    "lenet5": zoo.lenet5,
    # torch and NumPy draw different dropout masks: compare the thesis CNN without dropout
    "thesis_cnn": lambda: zoo.thesis_cnn(dropout=0.0),
}


# -- step for step ---------------------------------------------------------------------------------
def _described(network: object) -> Sequential:
    """``network`` as a description: a name of :data:`NETWORKS` or a network itself."""
    if isinstance(network, str) and network in NETWORKS:
        return NETWORKS[network]()
    if isinstance(network, Sequential):
        return network
    raise ValueError(
        f"network must be one of {sorted(NETWORKS)} or a cnnmath.network.Sequential; "
        f"got {network!r}"
    )


def _dtype_name(dtype: object, name: str = "dtype") -> str:
    """``dtype`` (``"float32"``, ``np.float32``, ...) by its name in :data:`DTYPES`."""
    try:
        found = np.dtype(dtype).name if dtype is not None else None
    except TypeError:
        found = None
    if found not in DTYPES:
        raise ValueError(f"{name} must be one of {DTYPES}; got {dtype!r}")
    return found


def _flat(arrays: Arrays) -> dict[str, np.ndarray]:
    """Nested ``{layer: {name: array}}`` as ``{"layer.name": array}`` (torch's keys)."""
    return {f"{layer}.{k}": v for layer, named in arrays.items() for k, v in named.items()}


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """:math:`\\max_i |a_i - b_i| / \\max_i |b_i|` (0 when both arrays are zero), in float64."""
    a = as_float_array(a, "a", finite=False).astype(np.float64, copy=False)
    b = as_float_array(b, "b", finite=False).astype(np.float64, copy=False)
    if a.shape != b.shape:
        raise ValueError(f"a and b: cannot compare arrays of shapes {a.shape} and {b.shape}")
    diff = float(np.max(np.abs(a - b))) if a.size else 0.0
    if diff == 0.0:
        return 0.0
    scale = float(np.max(np.abs(b)))
    return diff / scale if scale > 0 else float("inf")


def gradient_difference(
    net: Sequential, state: State, x: np.ndarray, y: np.ndarray
) -> dict[str, float]:
    """:math:`\\rho(g, g_{\\mathrm{autograd}})` for every parameter array: the book's hand-written
    backward pass against torch's autograd, on one batch in training mode.

    The NumPy network and its torch twin (on the CPU, in ``state``'s dtype) each compute the loss
    of ``(x, y)`` (cross-entropy, or the mean squared error for ``loss="mse"``) from a copy of
    ``state``, which is not changed (batch normalization's running statistics move in training
    mode). The result maps each array (``"C1.weight"``) to :func:`relative_difference` of the two
    gradients, autograd's as the reference.
    """
    net = check_network(net)
    state = net.check_state(state)
    twin = torch_twin.twin(net, state, "cpu").train()
    state = state.copy()
    _, ours, _ = net.loss_and_grads(state, x, y)
    tx = torch.from_numpy(np.ascontiguousarray(x, dtype=state.dtype))
    if net.loss == "mse":
        ty = torch.from_numpy(np.ascontiguousarray(y, dtype=state.dtype))
        torch.nn.functional.mse_loss(twin(tx), ty).backward()
    else:
        torch.nn.functional.cross_entropy(
            twin(tx), torch.from_numpy(np.asarray(y, np.int64))
        ).backward()
    theirs = _flat(torch_twin.grads(state, twin))
    return {k: relative_difference(v, theirs[k]) for k, v in _flat(ours).items()}


def longest_sum(net: Sequential, batch_size: int) -> int:
    """The most terms any one number of a training step adds up: a fan-in, or a weight gradient's
    sum over the batch and the output positions (``batch_size * OH * OW`` for a convolution)."""
    longest = positive_int(batch_size, "batch_size")
    for layer in check_network(net).layers:
        shapes = layer.param_shapes()
        if "weight" in shapes:
            fan_in = int(np.prod(shapes["weight"][1:]))
            positions = int(np.prod(layer.out_shape[1:])) if len(layer.out_shape) > 1 else 1
            longest = max(longest, fan_in, batch_size * positions)
    return longest


def before_batch_norm(net: Sequential) -> list[str]:
    """The parameters whose gradient passes back through a batch normalization (their layer comes
    before the network's last :class:`cnnmath.layers.BatchNorm`)."""
    last = max(
        (i for i, layer in enumerate(check_network(net).layers) if isinstance(layer, BatchNorm)),
        default=-1,
    )
    return [f"{layer.name}.{k}" for layer in net.layers[:last] for k in layer.param_shapes()]


def float32_tolerance(own: float, terms: int) -> float:
    """:math:`m\\,(\\rho(t_{32}, t_{64}) + \\sqrt{K}\\,u_{32})`: how far NumPy's float32 array may
    be from torch's, given torch's own float32 error on the same step.

    Derived from the computation, not typed in: from a common state, torch's float32 result
    against its own float64 result, :math:`\\rho(t_{32}, t_{64})` (``own``), is what float32
    rounding does to this array in this step, so it carries the unit roundoff
    :math:`u_{32} = 2^{-24}`, the length of the sums and the condition of the step (a gradient
    through batch normalization, a difference of nearly equal terms, keeps few digits; a dense
    layer's keeps nearly all). By the triangle inequality :math:`\\rho(n_{32}, t_{32}) \\lesssim
    \\rho(n_{32}, n_{64}) + \\rho(n_{64}, t_{64}) + \\rho(t_{64}, t_{32})`, and NumPy's own error
    is of the size of torch's: :data:`FLOAT32_MARGIN` :math:`m = 4` allows twice the sum. The
    floor :math:`\\sqrt{K}\\,u_{32}`, with :math:`K` the longest sum of the step
    (:func:`longest_sum`), is the typical rounding error of such a sum, for an array whose
    float32 and float64 results happen to agree. An array that is zero in float64 and not in
    float32 (:math:`\\rho = \\infty`) is compared on the scale of its difference: ``own`` = 1.

    The loss and the gradients are held to torch's own error alone, so a float32-only mistake in
    NumPy's gradients cannot widen its own tolerance: LeNet-5's Dense gradients 1% off fail
    by a factor of about 250. Two kinds of array are held to the larger of the two
    implementations' own errors instead. The gradients that pass back through batch
    normalization (:func:`before_batch_norm`): its backward
    :math:`m\\,\\delta - \\sum\\delta - \\hat x \\sum \\delta \\hat x` is a difference
    of nearly equal terms, and how many digits survive depends on how each implementation adds
    its sums (NumPy's float32 conv4 gradient in the thesis CNN is about 1e-3 off its float64 value,
    torch's 1e-6). And the parameters and buffers after the step: Adam divides by
    :math:`\\sqrt{\\hat v}`, so a weight whose gradient is rounding noise moves by about
    :math:`\\pm` the learning rate at random in either implementation, and which one's noise
    happens to agree with its float64 run is chance. (A gradient scaled by 1.01 leaves Adam's step
    nearly unchanged anyway; the gradients are where it shows.)
    """
    own = number(own, "own") if not (isinstance(own, float) and own == np.inf) else 1.0
    if own < 0:
        raise ValueError(f"own (a relative difference) must be >= 0; got {own}")
    terms = positive_int(terms, "terms")
    return FLOAT32_MARGIN * (own + float(np.sqrt(terms)) * 2.0**-24)


def adam_amplification(
    dgrad: float, lr: float, eps: float = 1e-8, beta1: float = 0.9, beta2: float = 0.999
) -> float:
    """:math:`\\eta\\,(C_{\\beta_1} + \\sqrt{1-\\beta_2})\\,|\\Delta g|/\\epsilon`: the most that Adam
    can move a weight apart, over all later steps, when two implementations' gradients of it
    differ by :math:`|\\Delta g|` (``dgrad``) at one step.

    Adam's step :math:`\\eta\\,\\hat m/(\\sqrt{\\hat v}+\\epsilon)` divides by the gradient's own
    size, so near :math:`|g| \\approx \\epsilon` it is steep: at the first step
    :math:`\\hat m = g`, :math:`\\hat v = g^2`, and :math:`\\eta g/(|g|+\\epsilon)` has slope
    :math:`\\eta\\epsilon/(|g|+\\epsilon)^2 \\le \\eta/\\epsilon`. A gradient of step :math:`s`
    stays in every later :math:`\\hat m_t` with weight
    :math:`\\beta_1^{t-s}(1-\\beta_1)/(1-\\beta_1^t)`, and these weights add up to at most
    :math:`C_{\\beta_1} = \\sum_{t \\ge 1} \\beta_1^{t-1}(1-\\beta_1)/(1-\\beta_1^t)` (3.01 for
    :math:`\\beta_1 = 0.9`); through :math:`\\hat v` the square root moves by at most
    :math:`\\sqrt{1-\\beta_2}\\,|\\Delta g|` with :math:`|\\hat m| \\le \\sqrt{\\hat v}` bounding
    the rest. A weight whose gradient is rounding noise (a ReLU channel dead in the batch: NumPy's
    sum is 0, torch's 3e-16) thus moves about :math:`10^{-7}\\,\\eta` apart, a billion times
    float64's rounding of the weight, while both implementations are right. An error in the
    optimizer (a wrong bias correction moves weights by about :math:`\\eta`) stays far above the
    bound, and an error in the gradients fails the gradients' own tolerance.
    """
    dgrad = number(dgrad, "dgrad")
    if dgrad < 0:
        raise ValueError(f"dgrad (a largest absolute difference) must be >= 0; got {dgrad}")
    lr = positive_number(lr, "lr (the learning rate)")
    eps = positive_number(eps, "eps (Adam's epsilon)")
    beta1 = in_range(beta1, "beta1", 0.0, 1.0, high_open=True)
    beta2 = in_range(beta2, "beta2", 0.0, 1.0, high_open=True)
    t = np.arange(1, 2001)
    c_beta1 = float(np.sum(beta1 ** (t - 1) * (1 - beta1) / (1 - beta1**t)))
    return lr * (c_beta1 + float(np.sqrt(1.0 - beta2))) / eps * dgrad


def _largest(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray]) -> tuple[float, str]:
    worst, where = 0.0, ""
    for k, v in ours.items():
        d = relative_difference(v, theirs[k])
        if d > worst or not where:
            worst, where = max(worst, d), k
    return worst, where


@dataclass
class Trace:
    """The largest relative difference at every step, for each comparison and each quantity.

    ``diffs[pair][quantity]`` is an array with one entry per step; the pairs are
    ``"numpy-torch float64"``, ``"numpy-torch float32"`` (the implementations against each other)
    and ``"numpy float32-float64"``, ``"torch float32-float64"`` (each implementation's float32
    run against its float64 run: the float32 rounding error alone). ``worst[pair][quantity]``
    names the array where the largest difference over all steps occurred.

    Free-running float32 trajectories drift apart as training amplifies rounding (the chapter
    shows it), so :meth:`check` holds a free-running trace to the float64 tolerances only, and a
    trace whose steps start from a common state (``common_state``) to those of every dtype: float64
    to :data:`TOLERANCES`, float32 array by array to :func:`float32_tolerance`.
    ``float32_ratio[quantity]`` holds, per step, the largest ratio of an array's NumPy-torch
    float32 difference to its tolerance (at most 1 to pass), ``float32_worst[quantity]`` the array
    where it was largest over all steps and ``float32_allowed[quantity]`` that array's tolerance
    then.
    """

    network: str
    steps: int
    batch_size: int
    device: str
    dtypes: tuple[str, ...]
    common_state: bool = False
    diffs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    worst: dict[str, dict[str, str]] = field(default_factory=dict)
    losses: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    float32_ratio: dict[str, np.ndarray] = field(default_factory=dict)
    float32_worst: dict[str, str] = field(default_factory=dict)
    float32_allowed: dict[str, float] = field(default_factory=dict)
    float64_params_allowed: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def largest(self, pair: str) -> dict[str, float]:
        """The largest difference over all steps, per quantity."""
        return {q: float(v.max()) if v.size else 0.0 for q, v in self.diffs[pair].items()}

    @property
    def label(self) -> str:
        return f"{self.network}, {'from a common state' if self.common_state else 'free-running'}"

    @property
    def required(self) -> tuple[str, ...]:
        """The dtypes held to :data:`TOLERANCES`: all from a common state, float64 free-running."""
        return self.dtypes if self.common_state else tuple(d for d in self.dtypes if d == "float64")

    def within(self, pair: str, tolerances: dict[str, float]) -> bool:
        return all(self.largest(pair)[q] <= tolerances[q] for q in QUANTITIES)

    def failures(self, tolerances: dict[str, dict[str, float]] | None = None) -> list[str]:
        """What lies outside the tolerances, one sentence each (none: NumPy and torch agree)."""
        tolerances = TOLERANCES if tolerances is None else tolerances
        found = []
        for dt in self.required:
            pair = f"numpy-torch {dt}"
            if dt == "float32":
                for q, r in self.float32_ratio.items():
                    worst = float(r.max()) if r.size else 0.0
                    if not worst <= 1.0:
                        found.append(
                            f"{self.network}, {pair}: the {q} differ by {worst:.3g} times the "
                            f"tolerance derived from torch's own float32 error (at "
                            f"{self.float32_worst[q] or 'the loss'}, tolerance "
                            f"{self.float32_allowed[q]:.1e})"
                        )
                continue
            for q, v in self.largest(pair).items():
                allowed = tolerances[dt][q]
                if q == "params" and self.float64_params_allowed.size:
                    # per step, the tolerance plus what Adam makes of the gradients' difference
                    ratio = self.diffs[pair][q] / (allowed + self.float64_params_allowed)
                    if not ratio.max() <= 1.0:
                        t = int(ratio.argmax())
                        found.append(
                            f"{self.network}, {pair}: the params differ by {v:.3e} at step "
                            f"{t + 1} (at {self.worst[pair][q]}), above the tolerance "
                            f"{allowed:.0e} + {self.float64_params_allowed[t]:.1e} (Adam's "
                            "amplification of the gradients' difference, adam_amplification)"
                        )
                    continue
                if not v <= allowed:
                    found.append(
                        f"{self.network}, {pair}: the {q} differ by up to {v:.3e} (at "
                        f"{self.worst[pair][q] or 'the loss'}), above the tolerance "
                        f"{tolerances[dt][q]:.0e}"
                    )
        return found

    def check(self, tolerances: dict[str, dict[str, float]] | None = None) -> None:
        """Raise AssertionError unless NumPy and torch agree within the tolerances (required):
        float64 within ``tolerances`` (:data:`TOLERANCES`), float32 within
        :func:`float32_tolerance`, array by array."""
        found = self.failures(tolerances)
        if found:
            raise AssertionError("; ".join(found))

    def report(self) -> str:
        """The largest difference over all steps, per comparison and quantity, in powers of ten.

        Orders of magnitude (:func:`cnnmath.gradcheck.error_bound`) rather than digits, which are
        rounding noise and change from one CPU to another.
        """
        from .gradcheck import error_bound

        head = f"{'':24s}" + "".join(f"{q:>10s}" for q in QUANTITIES)
        lines = [f"{self.label}: {self.steps} steps of {self.batch_size}", head]
        for pair in self.diffs:
            largest = self.largest(pair)
            cells = "".join(
                f"{'0' if largest[q] == 0 else error_bound(largest[q], 1e-16):>10s}"
                for q in QUANTITIES
            )
            lines.append(f"{pair:24s}{cells}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "common_state": self.common_state,
            "steps": self.steps,
            "batch_size": self.batch_size,
            "device": self.device,
            "dtypes": list(self.dtypes),
            "largest_difference_per_step": {
                p: {q: v.tolist() for q, v in d.items()} for p, d in self.diffs.items()
            },
            "largest_difference": {p: self.largest(p) for p in self.diffs},
            "where_largest": self.worst,
            "loss_per_step": {k: v.tolist() for k, v in self.losses.items()},
            "seconds": self.seconds,
            "float32_ratio_to_tolerance_per_step": {
                q: v.tolist() for q, v in self.float32_ratio.items()
            },
            "float32_where_largest_ratio": self.float32_worst,
        }


def _torch_state(module: torch.nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}


def _copy_arrays(src: State, dst: State) -> None:
    """Give ``dst`` the parameters and buffers of ``src``, in ``dst``'s dtype."""
    ref = src.flat()
    for k, v in dst.flat().items():
        v[...] = ref[k]


def _copy_numpy_state(src: State, src_opt: Optimizer, dst: State, dst_opt: Optimizer) -> None:
    """Give one NumPy copy another's parameters, buffers and Adam state, in its own dtype."""
    _copy_arrays(src, dst)
    dst_opt.state = {
        name: {
            k: (np.array(v, dtype=dst.dtype) if isinstance(v, np.ndarray) else v)
            for k, v in st.items()
        }
        for name, st in src_opt.state.items()
    }


def _copy_state(
    state: State, opt: Optimizer, twin: torch.nn.Module, topt: torch.optim.Optimizer
) -> None:
    """Give the torch copy the NumPy copy's parameters, buffers and Adam state."""
    with torch.no_grad():
        arrays = twin.state_dict()
        for k, v in state.flat().items():
            arrays[k].copy_(torch.from_numpy(np.ascontiguousarray(v)))
        for name, p in twin.named_parameters():
            st = opt.state.get(name)
            if st:
                topt.state[p] = {
                    "step": torch.tensor(float(st["step"])),
                    "exp_avg": torch.from_numpy(st["exp_avg"].copy()).to(p.device),
                    "exp_avg_sq": torch.from_numpy(st["exp_avg_sq"].copy()).to(p.device),
                }


def lockstep(
    network: str | Sequential,
    x: np.ndarray,
    y: np.ndarray,
    *,
    steps: int,
    batch_size: int,
    lr: float = 1e-3,
    dtypes: tuple[str, ...] = ("float64", "float32"),
    seed: int = 0,
    device: torch.device | str = "cpu",
    common_state: bool = False,
) -> Trace:
    """Train NumPy and torch copies of one network side by side and compare them after every step.

    ``network`` is a name of :data:`NETWORKS` or a description (:class:`Sequential`), whose state
    is drawn with ``seed``. Step ``t`` uses the examples ``x[t*batch_size:(t+1)*batch_size]`` (so ``x`` must hold
    ``steps * batch_size`` of them); both copies use Adam with learning rate ``lr`` and torch's
    default betas and epsilon. Every dtype starts from the float64 initial weights (rounded to
    float32 for a float32 run). The NumPy copies compute on the CPU, the torch copies on ``device``.

    ``common_state=True`` starts every step of every copy from one state: that of the NumPy copy
    in the lowest precision (parameters, buffers and Adam moments, rounded or widened as needed).
    The comparisons then measure one step's disagreement, not the accumulated drift of separate
    trajectories, and the float32-float64 pairs measure one float32 step's own rounding error,
    which gives each float32 array its tolerance (:func:`float32_tolerance`): a float32 check
    needs the float64 run beside it.
    """
    net = _described(network)
    steps, batch_size = positive_int(steps, "steps"), positive_int(batch_size, "batch_size")
    lr = positive_number(lr, "lr (the learning rate)")
    if isinstance(dtypes, str) or not isinstance(dtypes, (tuple, list)):
        raise TypeError(f"dtypes must be a tuple such as ('float64', 'float32'); got {dtypes!r}")
    bad = [d for d in dtypes if d not in DTYPES]
    if bad or not dtypes or len(set(dtypes)) != len(dtypes):
        raise ValueError(
            f"dtypes must be a non-empty tuple of distinct dtypes from {DTYPES}; got {dtypes!r}"
        )
    common_state = flag(common_state, "common_state")
    if common_state and "float32" in dtypes and "float64" not in dtypes:
        raise ValueError(
            "dtypes: a float32 run from a common state is checked against torch's own float32 "
            "error, measured against its float64 run: use dtypes=('float64', 'float32')"
        )
    x = as_float_array(x, "x (the images)")
    if x.ndim < 2 or len(x) < steps * batch_size:
        raise ValueError(
            f"x holds {len(x) if x.ndim else 0} examples of shape {x.shape[1:]}; {steps} steps of "
            f"{batch_size} need {steps * batch_size}"
        )
    y = check_labels(y, "y (the class labels)", n=len(x))[: steps * batch_size]
    seed, device = validate_seed(seed), torch_device(device)

    reference = net.init(seed, np.float64)
    states: dict[str, State] = {}
    twins: dict[str, torch.nn.Module] = {}
    opts: dict[str, tuple[Optimizer, torch.optim.Optimizer]] = {}
    for dt in dtypes:
        state = reference if dt == "float64" else net.init(seed, dt)
        _copy_arrays(reference, state)
        states[dt], twins[dt] = state, torch_twin.twin(net, state, device).train()
        opts[dt] = (Optimizer("adam", lr), torch_twin.adam(twins[dt], lr))

    name = net.name if not isinstance(network, str) else network
    trace = Trace(name, steps, batch_size, str(device), tuple(dtypes), common_state)
    pairs = [f"numpy-torch {dt}" for dt in dtypes]
    if "float32" in dtypes and "float64" in dtypes:
        pairs += ["numpy float32-float64", "torch float32-float64"]
    diffs = {p: {q: np.zeros(steps) for q in QUANTITIES} for p in pairs}
    judged = common_state and "float32" in dtypes
    terms = longest_sum(net, batch_size)
    either = set(QUANTITIES[2:]) | {("grads", k) for k in before_batch_norm(net)}
    ratio = {q: np.zeros(steps) for q in QUANTITIES} if judged else {}
    ratio_worst = {q: "" for q in QUANTITIES} if judged else {}
    ratio_allowed = {q: 0.0 for q in QUANTITIES} if judged else {}
    best_ratio = {q: -1.0 for q in QUANTITIES}
    worst = {p: {q: "" for q in QUANTITIES} for p in pairs}
    best = {p: {q: -1.0 for q in QUANTITIES} for p in pairs}
    losses = {f"{impl} {dt}": np.zeros(steps) for dt in dtypes for impl in ("numpy", "torch")}
    seconds = {f"{impl} {dt}": 0.0 for dt in dtypes for impl in ("numpy", "torch")}

    spread: dict[str, float] = {}
    params_allowed = np.zeros(steps)
    leader = "float32" if "float32" in dtypes else dtypes[0]
    for t in range(steps):
        sl = slice(t * batch_size, (t + 1) * batch_size)
        got: dict[str, dict[str, Any]] = {}
        for dt in dtypes:
            state, twin = states[dt], twins[dt]
            opt, topt = opts[dt]
            xb = x[sl].astype(dt)
            if common_state:
                if dt != leader:
                    _copy_numpy_state(states[leader], opts[leader][0], state, opt)
                _copy_state(state, opt, twin, topt)
            t0 = time.perf_counter()
            loss, g, _ = net.loss_and_grads(state, xb, y[sl])
            opt.step(state.params, g)
            t1 = time.perf_counter()
            topt.zero_grad(set_to_none=True)
            tloss = torch.nn.functional.cross_entropy(
                twin(torch.from_numpy(xb).to(device)), torch.from_numpy(y[sl]).to(device)
            )
            tloss.backward()
            tg = torch_twin.grads(state, twin)
            topt.step()
            tl = float(tloss.detach().cpu())  # also waits for the GPU to finish the step
            t2 = time.perf_counter()
            seconds[f"numpy {dt}"] += t1 - t0
            seconds[f"torch {dt}"] += t2 - t1
            losses[f"numpy {dt}"][t], losses[f"torch {dt}"][t] = loss, tl
            theirs = _torch_state(twin)
            got[f"numpy {dt}"] = {
                "loss": {"loss": np.array(loss)},
                "grads": _flat(g),
                "params": state.flat("params"),
                "buffers": state.flat("buffers"),
            }
            got[f"torch {dt}"] = {
                "loss": {"loss": np.array(tl)},
                "grads": _flat(tg),
                "params": {k: theirs[k] for k in state.flat("params")},
                "buffers": {k: theirs[k] for k in state.flat("buffers")},
            }
        for p in pairs:
            if p.startswith("numpy-torch"):
                dt = p.split()[1]
                a, b = got[f"numpy {dt}"], got[f"torch {dt}"]
            else:
                impl = p.split()[0]
                a, b = got[f"{impl} float32"], got[f"{impl} float64"]
            for q in QUANTITIES:
                d, where = _largest(a[q], b[q])
                diffs[p][q][t] = d
                if d > best[p][q]:
                    best[p][q], worst[p][q] = d, where
        if "float64" in dtypes:
            # how far Adam may have moved the float64 weights apart so far, relative to each
            # array's size: the previous bound plus this step's (adam_amplification)
            a, b = got["numpy float64"], got["torch float64"]
            moved = 0.0
            for k, gk in a["grads"].items():
                scale = float(np.max(np.abs(b["params"][k]))) or 1.0
                spread[k] = (
                    spread.get(k, 0.0)
                    + adam_amplification(float(np.max(np.abs(gk - b["grads"][k]))), lr) / scale
                )
                moved = max(moved, spread[k])
            params_allowed[t] = moved
        if judged:
            ours, theirs = got["numpy float32"], got["torch float32"]
            ours64, theirs64 = got["numpy float64"], got["torch float64"]
            for q in QUANTITIES:
                for k, v in ours[q].items():
                    own = relative_difference(theirs[q][k], theirs64[q][k])
                    if q in either or (q, k) in either:  # see float32_tolerance
                        own = max(own, relative_difference(v, ours64[q][k]))
                    allowed = float32_tolerance(own, terms)
                    r = relative_difference(v, theirs[q][k]) / allowed
                    ratio[q][t] = max(ratio[q][t], r)
                    if r > best_ratio[q] or not ratio_worst[q]:
                        best_ratio[q], ratio_worst[q], ratio_allowed[q] = r, k, allowed
    trace.diffs, trace.worst, trace.losses, trace.seconds = diffs, worst, losses, seconds
    trace.float64_params_allowed = params_allowed if "float64" in dtypes else np.zeros(0)
    trace.float32_ratio, trace.float32_worst, trace.float32_allowed = (
        ratio,
        ratio_worst,
        ratio_allowed,
    )
    return trace


def tf32_round(a: np.ndarray) -> np.ndarray:
    """Round float32 values to TF32 (8 exponent bits, 10 mantissa bits), as tensor cores do.

    NVIDIA GPUs since Ampere multiply float32 matrices in TF32 when allowed (cuDNN convolutions by
    default): the inputs keep 10 of their 23 mantissa bits (round to nearest), the products are
    accumulated in float32. This emulates the input rounding on the CPU.
    """
    a = as_float_array(a, "a", finite=False)
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)
    rounded = (bits + np.uint32(0x1000)) & np.uint32(0xFFFFE000)  # keep the top 10 mantissa bits
    return rounded.view(np.float32)


# -- trained on the best device, predicted by NumPy ------------------------------------------------
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
    :func:`deterministic` first for a repeatable run; the test accuracy is measured every epoch.
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


# -- where the time goes ---------------------------------------------------------------------------
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

    net = _described(network)
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


# -- the record a reader's run leaves --------------------------------------------------------------
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
    """``--networks``: comma-separated names of :data:`NETWORKS`, at least one, none twice."""
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
