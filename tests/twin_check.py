"""One comparison of a network with its torch twin, for every test that needs one.

tinygrad compares each of its operations with torch through one helper (``helper_test_op``), so
its tests stay one line each and the tolerances live in one place. :func:`check_twin` does the
same for a :class:`cnnmath.network.Sequential`: it builds the twin from the description and a
state (:func:`cnnmath.torch_twin.twin`), runs both on one batch and asserts that they agree in

- the output of the last layer,
- the loss (cross-entropy for a classifier, mean squared error for ``loss="mse"``),
- the gradient of every parameter (NumPy's backward pass against autograd), and
- in training mode, every buffer after the batch (batch normalization's running statistics),

each array within the tolerance of the state's dtype (:data:`TOLERANCES`), elementwise:
``|ours - theirs| <= rtol * |theirs| + atol * max|theirs|``, so that ``atol`` is relative to the
array's size (a gradient that is zero in exact arithmetic is rounding noise in both). The caller's
state is not changed. It returns what both computed, for checks of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from cnnmath import losses, torch_twin
from cnnmath.network import Arrays, Sequential, State

#: Elementwise tolerances per dtype: ``rtol`` of each number, ``atol`` of the array's largest.
TOLERANCES = {
    "float64": {"rtol": 1e-9, "atol": 1e-12},
    "float32": {"rtol": 1e-4, "atol": 1e-5},
}


@dataclass
class TwinRun:
    """What the NumPy network and its twin computed on one batch (gradients under torch's keys)."""

    out: np.ndarray
    torch_out: np.ndarray
    loss: float
    torch_loss: float
    grads: dict[str, np.ndarray]
    torch_grads: dict[str, np.ndarray]
    state: State
    twin: torch.nn.Sequential


def _flat(arrays: Arrays) -> dict[str, np.ndarray]:
    return {f"{layer}.{k}": v for layer, named in arrays.items() for k, v in named.items()}


def assert_close(ours: np.ndarray, theirs: np.ndarray, what: str, rtol: float, atol: float) -> None:
    """``ours`` equals ``theirs`` elementwise within ``rtol`` and ``atol`` times ``max|theirs|``."""
    theirs = np.asarray(theirs, dtype=np.float64)
    scale = float(np.max(np.abs(theirs))) if theirs.size else 0.0
    np.testing.assert_allclose(
        np.asarray(ours, dtype=np.float64), theirs, rtol=rtol, atol=atol * scale, err_msg=what
    )


def check_twin(
    net: Sequential,
    state: State,
    x: np.ndarray,
    y: np.ndarray,
    *,
    training: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
) -> TwinRun:
    """Run ``net`` with a copy of ``state`` and its torch twin on ``(x, y)`` and assert that the
    outputs, losses, gradients and (training) buffers agree; ``rtol``/``atol`` override the dtype's
    :data:`TOLERANCES`."""
    tol = dict(TOLERANCES[state.dtype.name])
    tol.update({k: v for k, v in (("rtol", rtol), ("atol", atol)) if v is not None})
    twin = torch_twin.twin(net, state, "cpu").train(training)
    state = state.copy()
    x = np.ascontiguousarray(x, dtype=state.dtype)
    if training:
        loss, grads, out = net.loss_and_grads(state, x, y)
    else:  # evaluation mode: the same gradients, through the layers' evaluation-mode caches
        out, caches = net.forward(state, x, training=False)
        if net.loss == "mse":
            loss, cache = losses.mse_forward(out, y)
            dout = losses.mse_backward(1.0, cache)
        else:
            loss, cache = losses.softmax_cross_entropy_forward(out, y)
            dout = losses.softmax_cross_entropy_backward(1.0, cache)
        grads = net.backward(state, dout, caches)
    tout = twin(torch.from_numpy(x))
    if net.loss == "mse":
        tloss = torch.nn.functional.mse_loss(tout, torch.from_numpy(np.asarray(y, x.dtype)))
    else:
        tloss = torch.nn.functional.cross_entropy(tout, torch.from_numpy(np.asarray(y, np.int64)))
    tloss.backward()
    run = TwinRun(
        out,
        tout.detach().numpy(),
        float(loss),
        float(tloss.detach()),
        _flat(grads),
        _flat(torch_twin.grads(state, twin)),
        state,
        twin,
    )
    assert_close(run.out, run.torch_out, "the output", **tol)
    assert_close(run.loss, run.torch_loss, "the loss", **tol)
    assert set(run.grads) == set(run.torch_grads) == set(state.flat("params"))
    for k, g in run.grads.items():
        assert_close(g, run.torch_grads[k], f"the gradient of {k}", **tol)
    if training:
        theirs = twin.state_dict()
        for k, v in state.flat("buffers").items():
            assert_close(v, theirs[k].numpy(), f"the buffer {k} after the batch", **tol)
    return run


def random_batch(
    n: int, shape: tuple[int, ...] = (1, 28, 28), seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random images of ``shape`` (uniform in [0, 1), float64) and labels 0..9."""
    rng = np.random.default_rng(seed)
    return rng.random((n, *shape)), rng.integers(0, 10, n)
