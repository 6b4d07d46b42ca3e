"""Optimizers as pure update rules, each equal step for step to its ``torch.optim`` counterpart.

With the gradient :math:`g_t = \\partial E/\\partial w` at step :math:`t = 1, 2, \\dots` (thesis eq. 45):

- SGD (eq. 46): :math:`w \\leftarrow w - \\eta g_t`; with momentum :math:`\\mu`:
  :math:`b_t = \\mu b_{t-1} + g_t` (:math:`b_1 = g_1`), :math:`w \\leftarrow w - \\eta b_t`.
- AdaGrad (eq. 47-49): :math:`G_t = G_{t-1} + g_t^2`, :math:`w \\leftarrow w - \\eta g_t/(\\sqrt{G_t} + \\epsilon)`.
- RMSProp (eq. 50-51): :math:`A_t = \\gamma A_{t-1} + (1-\\gamma) g_t^2`, :math:`w \\leftarrow w - \\eta g_t/(\\sqrt{A_t} + \\epsilon)`.
- Adam (eq. 52-56): :math:`m_t = \\beta_1 m_{t-1} + (1-\\beta_1) g_t`, :math:`v_t = \\beta_2 v_{t-1} + (1-\\beta_2) g_t^2`,
  :math:`\\hat m_t = m_t/(1-\\beta_1^t)`, :math:`\\hat v_t = v_t/(1-\\beta_2^t)`,
  :math:`w \\leftarrow w - \\eta \\hat m_t/(\\sqrt{\\hat v_t} + \\epsilon)`; AdamW first decays
  :math:`w \\leftarrow w(1 - \\eta\\lambda)`.

Like torch, :math:`\\epsilon` is added *outside* the square root; the thesis puts it inside
(:math:`\\sqrt{G_t + \\epsilon}`), a difference of convention recorded in the ledger. Each
``*_update(w, g, state, ...)`` changes ``w`` in place and returns it; ``state`` is a dict the
function fills on the first call. :class:`Optimizer` applies one rule to a dict of parameters.
The arithmetic follows torch's order of operations, so that float64 trajectories agree to the
last bit rather than drifting apart by rounding.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .validate import positive_number

State = dict[str, Any]


def sgd_update(w: np.ndarray, g: np.ndarray, state: State, lr: float, momentum: float = 0.0,
               weight_decay: float = 0.0, nesterov: bool = False) -> np.ndarray:
    """Plain or momentum SGD, as ``torch.optim.SGD`` (dampening 0)."""
    if weight_decay:
        g = g + weight_decay * w
    if momentum:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = g.copy()
        else:
            buf *= momentum
            buf += g
        g = g + momentum * buf if nesterov else buf
    w -= lr * g
    return w


def adagrad_update(w: np.ndarray, g: np.ndarray, state: State, lr: float, eps: float = 1e-10) -> np.ndarray:
    """AdaGrad, as ``torch.optim.Adagrad`` (no learning-rate decay, accumulator starting at 0)."""
    acc = state.setdefault("sum", np.zeros_like(w))
    acc += g * g
    w -= lr * (g / (np.sqrt(acc) + eps))
    return w


def rmsprop_update(w: np.ndarray, g: np.ndarray, state: State, lr: float, alpha: float = 0.99,
                   eps: float = 1e-8) -> np.ndarray:
    """RMSProp, as ``torch.optim.RMSprop`` (no momentum, not centered); ``alpha`` is the thesis's gamma."""
    sq = state.setdefault("square_avg", np.zeros_like(w))
    sq *= alpha
    sq += (1 - alpha) * g * g
    w -= lr * (g / (np.sqrt(sq) + eps))
    return w


def adam_update(w: np.ndarray, g: np.ndarray, state: State, lr: float, beta1: float = 0.9, beta2: float = 0.999,
                eps: float = 1e-8, weight_decay: float = 0.0, decoupled: bool = False,
                bias_correction: bool = True) -> np.ndarray:
    """Adam (``decoupled=False``, L2 added to the gradient) or AdamW (``decoupled=True``), as torch.

    ``bias_correction=False`` drops the division by :math:`1-\\beta^t`, to show what it is for.
    """
    t = state["step"] = state.get("step", 0) + 1
    m = state.setdefault("exp_avg", np.zeros_like(w))
    v = state.setdefault("exp_avg_sq", np.zeros_like(w))
    if weight_decay and decoupled:
        w *= 1 - lr * weight_decay
    elif weight_decay:
        g = g + weight_decay * w
    m += (1 - beta1) * (g - m)  # = beta1 m + (1 - beta1) g, in the order torch's lerp_ rounds it
    v *= beta2
    v += (1 - beta2) * g * g
    if bias_correction:
        c1, c2 = 1 - beta1**t, 1 - beta2**t
        w -= (lr / c1) * (m / (np.sqrt(v) / np.sqrt(c2) + eps))
    else:
        w -= lr * (m / (np.sqrt(v) + eps))
    return w


RULES: dict[str, Callable[..., np.ndarray]] = {
    "sgd": sgd_update, "adagrad": adagrad_update, "rmsprop": rmsprop_update, "adam": adam_update,
}


class Optimizer:
    """Applies one update rule, with fixed hyperparameters, to every array of a parameter dict.

    ``Optimizer("adam", lr=1e-3)``; ``opt.step(params, grads)`` updates ``params`` in place.
    ``state_arrays()`` and ``load_state_arrays()`` flatten the state for ``.npz`` checkpoints.
    """

    def __init__(self, rule: str, lr: float, **hyper: Any):
        if rule not in RULES:
            raise ValueError(f"unknown optimizer {rule!r}; expected one of {sorted(RULES)}")
        self.rule, self.lr, self.hyper = rule, positive_number(lr, "lr (the learning rate)"), hyper
        self.state: dict[str, State] = {}
        RULES[rule](np.zeros(1), np.zeros(1), {}, self.lr, **hyper)  # bad hyperparameter names fail now

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        missing = set(params) ^ set(grads)
        if missing:
            raise ValueError(f"params and grads must have the same keys; these are in one only: {sorted(missing)}")
        for name, w in params.items():
            g = grads[name]
            if g.shape != w.shape:
                raise ValueError(f"gradient of {name} has shape {g.shape}, the parameter {w.shape}")
            RULES[self.rule](w, g, self.state.setdefault(name, {}), self.lr, **self.hyper)

    def state_arrays(self) -> dict[str, np.ndarray]:
        return {f"{p}/{k}": np.asarray(v) for p, st in self.state.items() for k, v in st.items()}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.state = {}
        for key, v in arrays.items():
            p, k = key.split("/", 1)
            self.state.setdefault(p, {})[k] = int(v) if k == "step" else np.array(v)

    def __repr__(self) -> str:
        hp = ", ".join(f"{k}={v}" for k, v in self.hyper.items())
        return f"Optimizer({self.rule!r}, lr={self.lr}{', ' + hp if hp else ''})"
