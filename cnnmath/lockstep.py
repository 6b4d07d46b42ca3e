"""NumPy against PyTorch, step for step: one network, two implementations, the same arithmetic.

:func:`lockstep` trains a network (a :class:`cnnmath.network.Sequential` description, with a
state drawn from a seed) and its torch twin (:func:`cnnmath.torch_twin.twin`) side by side, from
the same initial weights, on the same batches in the same order, with Adam and the same
hyperparameters, and compares after every step the loss, every gradient, every parameter and
every buffer. It does so in float64 and in float32 at once, so that the float32 disagreement
between the two implementations can be set beside the float32 rounding error of each one alone
(its difference from the float64 run of the same implementation). Every comparison is
:func:`cnnmath.rounding.relative_difference` with the torch value as the reference; a step's
figure is the largest over the arrays of that kind, and the tolerances come from
:mod:`cnnmath.rounding`. :func:`gradient_difference` is the same comparison for one batch and no
optimizer: the book's hand-written backward pass against torch's autograd.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from . import torch_twin, zoo
from .arguments import as_float_array, flag, positive_int, positive_number, torch_device
from .arguments import labels as check_labels
from .arguments import seed as validate_seed
from .network import Arrays, Sequential, State, check_network
from .optim import Optimizer
from .rounding import (
    adam_amplification,
    before_batch_norm,
    float32_tolerance,
    longest_sum,
    relative_difference,
)

__all__ = [
    "QUANTITIES",
    "TOLERANCES",
    "DTYPES",
    "NETWORKS",
    "described",
    "gradient_difference",
    "Trace",
    "lockstep",
]

#: What is compared at every step.
QUANTITIES = ("loss", "grads", "params", "buffers")

#: The largest relative difference :math:`\\rho` accepted between NumPy and torch in float64.
#:
#: Rounding differences of ~1e-16 per operation, which 100 Adam steps leave far below 1e-8.
TOLERANCES: dict[str, dict[str, float]] = {
    "float64": {"loss": 1e-8, "grads": 1e-8, "params": 1e-8, "buffers": 1e-8},
}
#: The dtypes :func:`lockstep` runs.
DTYPES = ("float64", "float32")

#: The networks compared by name: functions that give the description (the states are made from
#: it with a seed).
NETWORKS: dict[str, Callable[[], Sequential]] = {
    "lenet5": zoo.lenet5,
    # torch and NumPy draw different dropout masks: compare the thesis CNN without dropout
    "thesis_cnn": lambda: zoo.thesis_cnn(dropout=0.0),
}


def described(network: str | Sequential) -> Sequential:
    """The description ``network`` stands for: a new one for a name of :data:`NETWORKS`, or the
    :class:`cnnmath.network.Sequential` itself."""
    if isinstance(network, str) and network in NETWORKS:
        return NETWORKS[network]()
    if isinstance(network, Sequential):
        return network
    raise ValueError(
        f"network must be one of {sorted(NETWORKS)} or a cnnmath.network.Sequential; "
        f"got {network!r}"
    )


def _flat(arrays: Arrays) -> dict[str, np.ndarray]:
    """Nested ``{layer: {name: array}}`` as ``{"layer.name": array}`` (torch's keys)."""
    return {f"{layer}.{k}": v for layer, named in arrays.items() for k, v in named.items()}


def gradient_difference(
    net: Sequential, state: State, x: np.ndarray, y: np.ndarray
) -> dict[str, float]:
    """:math:`\\rho(g, g_{\\mathrm{autograd}})` for every parameter array: the book's hand-written
    backward pass against torch's autograd, on one batch in training mode.

    The NumPy network and its torch twin (on the CPU, in ``state``'s dtype) each compute the loss
    of ``(x, y)`` (cross-entropy, or the mean squared error for ``loss="mse"``) from a copy of
    ``state``, which is not changed (batch normalization's running statistics move in training
    mode). The result maps each array (``"C1.weight"``) to the relative difference of the two
    gradients (:func:`cnnmath.rounding.relative_difference`), autograd's as the reference.
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
    to :data:`TOLERANCES`, float32 array by array to :func:`cnnmath.rounding.float32_tolerance`.
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
        :func:`cnnmath.rounding.float32_tolerance`, array by array."""
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

    ``network`` is a name of :data:`NETWORKS` or a description
    (:class:`cnnmath.network.Sequential`), whose state is drawn with ``seed``. Step ``t`` uses the
    examples ``x[t*batch_size:(t+1)*batch_size]`` (so ``x`` must hold ``steps * batch_size`` of
    them); both copies use Adam with learning rate ``lr`` and torch's
    default betas and epsilon. Every dtype starts from the float64 initial weights (rounded to
    float32 for a float32 run). The NumPy copies compute on the CPU, the torch copies on ``device``.

    ``common_state=True`` starts every step of every copy from one state: that of the NumPy copy
    in the lowest precision (parameters, buffers and Adam moments, rounded or widened as needed).
    The comparisons then measure one step's disagreement, not the accumulated drift of separate
    trajectories, and the float32-float64 pairs measure one float32 step's own rounding error,
    which gives each float32 array its tolerance (:func:`cnnmath.rounding.float32_tolerance`): a
    float32 check needs the float64 run beside it.
    """
    net = described(network)
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
