"""Optimizers as pure update rules, each equal step for step to its ``torch.optim`` counterpart.

With the gradient :math:`g_t = \\partial E/\\partial w` at step :math:`t = 1, 2, \\dots` (thesis
eq. 45):

- SGD (eq. 46): :math:`w \\leftarrow w - \\eta g_t`; with momentum :math:`\\mu`:
  :math:`b_t = \\mu b_{t-1} + g_t` (:math:`b_1 = g_1`), :math:`w \\leftarrow w - \\eta b_t`.
- AdaGrad (eq. 47-49): :math:`G_t = G_{t-1} + g_t^2`,
:math:`w \\leftarrow w - \\eta g_t/(\\sqrt{G_t} + \\epsilon)`.
- RMSProp (eq. 50-51): :math:`A_t = \\gamma A_{t-1} + (1-\\gamma) g_t^2`,
:math:`w \\leftarrow w - \\eta g_t/(\\sqrt{A_t} + \\epsilon)`.
- Adam (eq. 52-56): :math:`m_t = \\beta_1 m_{t-1} + (1-\\beta_1) g_t`,
:math:`v_t = \\beta_2 v_{t-1} + (1-\\beta_2) g_t^2`,
  :math:`\\hat m_t = m_t/(1-\\beta_1^t)`, :math:`\\hat v_t = v_t/(1-\\beta_2^t)`,
  :math:`w \\leftarrow w - \\eta \\hat m_t/(\\sqrt{\\hat v_t} + \\epsilon)`; AdamW first decays
  :math:`w \\leftarrow w(1 - \\eta\\lambda)`.

Like torch, :math:`\\epsilon` is added *outside* the square root; the thesis puts it inside
(:math:`\\sqrt{G_t + \\epsilon}`), a difference of convention recorded in the ledger. Each
``*_update(w, g, state, ...)`` changes ``w`` in place and returns it; ``state`` is a dict the
function fills on the first call. :class:`Optimizer` applies one rule to a dict of parameters.
The arithmetic follows torch's order of operations, so that float64 trajectories agree to the
last bit rather than drifting apart by rounding.

Hyperparameters are checked against the ranges torch accepts (``lr > 0``; ``momentum``,
``beta1``, ``beta2`` in [0, 1); ``alpha`` in [0, 1]; ``eps`` and ``weight_decay`` >= 0), by every
``*_update`` call and once by :class:`Optimizer`. Gradients are checked for shape and type but not
for finiteness: a run whose learning rate is too large diverges to inf and then nan, and that
is the honest trajectory of the rule (:func:`cnnmath.train.fit` stops on a non-finite loss).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from .arguments import as_float_array, flag, in_range, positive_int, positive_number

State = dict[str, Any]

#: The range of each hyperparameter: ``(low, high, high_open)`` for numbers, ``bool`` for flags.
HYPERPARAMETERS: dict[str, tuple[float, float, bool] | type] = {
    "momentum": (0.0, 1.0, True),
    "weight_decay": (0.0, np.inf, False),
    "nesterov": bool,
    "eps": (0.0, np.inf, False),
    "alpha": (0.0, 1.0, False),
    "beta1": (0.0, 1.0, True),
    "beta2": (0.0, 1.0, True),
    "decoupled": bool,
    "bias_correction": bool,
}


def _check_hyper(lr: float, hyper: dict[str, Any]) -> None:
    positive_number(lr, "lr (the learning rate)")
    for name, value in hyper.items():
        domain = HYPERPARAMETERS[name]
        if domain is bool:
            flag(value, name)
        else:
            low, high, high_open = domain  # type: ignore[misc]
            if high == np.inf:
                positive_number(value, name, allow_zero=True)
            else:
                in_range(value, name, low, high, high_open=high_open)
    if hyper.get("nesterov") and not hyper.get("momentum"):
        raise ValueError("nesterov=True needs a momentum > 0 (as torch)")


def _check_arrays(
    w: object,
    g: object,
    state: object,
    w_name: str = "w (the parameter)",
    g_name: str = "g (the gradient)",
) -> None:
    if not isinstance(w, np.ndarray) or w.dtype.kind != "f":
        raise TypeError(
            f"{w_name} must be a float ndarray, updated in place; got "
            f"{type(w).__name__}{' of dtype ' + str(w.dtype) if isinstance(w, np.ndarray) else ''}"
        )
    g = as_float_array(g, g_name, finite=False)
    if g.shape != w.shape:
        raise ValueError(f"{g_name} must have the parameter's shape {w.shape}; got {g.shape}")
    if not isinstance(state, dict):
        raise TypeError(
            f"state must be a dict (empty on the first step); got {type(state).__name__}"
        )


def sgd_update(
    w: np.ndarray,
    g: np.ndarray,
    state: State,
    lr: float,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
) -> np.ndarray:
    """Plain or momentum SGD, as ``torch.optim.SGD`` (dampening 0)."""
    _check_arrays(w, g, state)
    _check_hyper(lr, dict(momentum=momentum, weight_decay=weight_decay, nesterov=nesterov))
    return _sgd(w, g, state, lr, momentum, weight_decay, nesterov)


def _sgd(w, g, state, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
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


def adagrad_update(
    w: np.ndarray, g: np.ndarray, state: State, lr: float, eps: float = 1e-10
) -> np.ndarray:
    """AdaGrad, as ``torch.optim.Adagrad`` (no learning-rate decay, accumulator starting at 0)."""
    _check_arrays(w, g, state)
    _check_hyper(lr, dict(eps=eps))
    return _adagrad(w, g, state, lr, eps)


def _adagrad(w, g, state, lr, eps=1e-10):
    acc = state.setdefault("sum", np.zeros_like(w))
    acc += g * g
    w -= lr * (g / (np.sqrt(acc) + eps))
    return w


def rmsprop_update(
    w: np.ndarray, g: np.ndarray, state: State, lr: float, alpha: float = 0.99, eps: float = 1e-8
) -> np.ndarray:
    """RMSProp, as ``torch.optim.RMSprop`` (no momentum, not centered); ``alpha`` is the thesis's
    gamma."""
    _check_arrays(w, g, state)
    _check_hyper(lr, dict(alpha=alpha, eps=eps))
    return _rmsprop(w, g, state, lr, alpha, eps)


def _rmsprop(w, g, state, lr, alpha=0.99, eps=1e-8):
    sq = state.setdefault("square_avg", np.zeros_like(w))
    sq *= alpha
    sq += (1 - alpha) * g * g
    w -= lr * (g / (np.sqrt(sq) + eps))
    return w


def adam_update(
    w: np.ndarray,
    g: np.ndarray,
    state: State,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decoupled: bool = False,
    bias_correction: bool = True,
) -> np.ndarray:
    """Adam (``decoupled=False``, L2 added to the gradient) or AdamW (``decoupled=True``), as torch.

    ``bias_correction=False`` drops the division by :math:`1-\\beta^t`, to show what it is for.
    """
    _check_arrays(w, g, state)
    _check_hyper(
        lr,
        dict(
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            weight_decay=weight_decay,
            decoupled=decoupled,
            bias_correction=bias_correction,
        ),
    )
    return _adam(w, g, state, lr, beta1, beta2, eps, weight_decay, decoupled, bias_correction)


def _adam(
    w,
    g,
    state,
    lr,
    beta1=0.9,
    beta2=0.999,
    eps=1e-8,
    weight_decay=0.0,
    decoupled=False,
    bias_correction=True,
):
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
    "sgd": sgd_update,
    "adagrad": adagrad_update,
    "rmsprop": rmsprop_update,
    "adam": adam_update,
}
#: The same rules without the checks, for :class:`Optimizer`, which checks once.
_UNCHECKED: dict[str, Callable[..., np.ndarray]] = {
    "sgd": _sgd,
    "adagrad": _adagrad,
    "rmsprop": _rmsprop,
    "adam": _adam,
}


def cosine_lr(lr: float, epoch: int, epochs: int, lr_min: float = 0.0) -> float:
    """The learning rate of epoch ``epoch`` (0, 1, ..., ``epochs - 1``) under cosine annealing:

    .. math:: \\eta_e = \\eta_{\\min} + \\tfrac12(\\eta - \\eta_{\\min})\\,(1 + \\cos(\\pi e/E)),

    from :math:`\\eta` at the first epoch down towards :math:`\\eta_{\\min}` at :math:`e = E`,
    slowly at both ends and fastest in the middle. It is the closed form of torch's
    ``CosineAnnealingLR(T_max=epochs, eta_min=lr_min)`` stepped once per epoch.
    """
    lr = positive_number(lr, "lr (the initial learning rate)")
    epochs = positive_int(epochs, "epochs")
    epoch = positive_int(epoch, "epoch", minimum=0)
    if epoch >= epochs:
        raise ValueError(f"epoch must lie in 0..{epochs - 1} for epochs={epochs}; got {epoch}")
    lr_min = in_range(lr_min, "lr_min", 0.0, lr)
    return lr_min + 0.5 * (lr - lr_min) * (1.0 + float(np.cos(np.pi * epoch / epochs)))


class Optimizer:
    """Applies one update rule, with fixed hyperparameters, to every array of a parameter dict.

    ``Optimizer("adam", lr=1e-3)``; ``opt.step(params, grads)`` updates ``params`` in place.
    ``state_arrays()`` and ``load_state_arrays()`` flatten the state for ``.npz`` checkpoints.
    """

    def __init__(self, rule: str, lr: float, **hyper: Any):
        if not isinstance(rule, str) or rule not in RULES:
            raise ValueError(f"unknown optimizer {rule!r}: rule must be one of {sorted(RULES)}")
        known = [
            k
            for k in inspect.signature(RULES[rule]).parameters
            if k not in ("w", "g", "state", "lr")
        ]
        unknown = sorted(set(hyper) - set(known))
        if unknown:
            raise TypeError(f"{rule} has no hyperparameter(s) {unknown}; hyper may hold {known}")
        _check_hyper(lr, hyper)
        self._rule, self._hyper = rule, MappingProxyType(dict(hyper))
        self.lr = lr
        self.state: dict[str, State] = {}

    @property
    def rule(self) -> str:
        """The update rule's name (fixed: a new rule needs a new optimizer and a new state)."""
        return self._rule

    @property
    def hyper(self) -> Mapping[str, Any]:
        """The hyperparameters other than the learning rate (read-only)."""
        return self._hyper

    @property
    def lr(self) -> float:
        """The learning rate; it may be changed between steps (a schedule), to a number > 0 only:
        ``opt.lr = -0.1`` would make every step go uphill."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = positive_number(value, "lr (the learning rate)")

    def step(self, params: dict, grads: dict) -> None:
        """Update every array of ``params`` in place with its gradient in ``grads`` (same keys and
        shapes). Both are flat (``{name: array}``) or nested one level, as a network's state is
        (``{layer: {name: array}}``); the optimizer's state is keyed ``"layer.name"``."""
        rule = _UNCHECKED[self.rule]
        pairs = _pairs(params, grads)
        for name, w, g in pairs:  # every pair checked before any is updated
            if not (
                isinstance(w, np.ndarray)
                and w.dtype.kind == "f"
                and isinstance(g, np.ndarray)
                and g.dtype.kind == "f"
            ):
                _check_arrays(w, g, {}, f"params[{name!r}]", f"grads[{name!r}]")
            if g.shape != w.shape:
                raise ValueError(
                    f"grads[{name!r}]: the gradient of {name} has shape {g.shape}, the parameter "
                    f"{w.shape}"
                )
        for name, w, g in pairs:
            rule(w, g, self.state.setdefault(name, {}), self.lr, **self.hyper)

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


def _pairs(params: object, grads: object) -> list[tuple[str, object, object]]:
    """``(name, parameter, gradient)`` for every array of a flat or one-level nested dict."""
    for arg, d in (("params", params), ("grads", grads)):
        if not isinstance(d, dict):
            raise TypeError(
                f"{arg} must be a dict of arrays keyed by parameter name (or a network state's "
                f"params, keyed by layer); got {type(d).__name__}"
            )
    missing = set(params) ^ set(grads)
    if missing:
        raise ValueError(
            f"params and grads must have the same keys; these are in one only: {sorted(missing)}"
        )
    out = []
    for key, w in params.items():
        g = grads[key]
        if isinstance(w, dict) or isinstance(g, dict):
            if not (isinstance(w, dict) and isinstance(g, dict)):
                raise TypeError(
                    f"params[{key!r}] and grads[{key!r}] must both be arrays or both dicts of arrays"
                )
            inner = set(w) ^ set(g)
            if inner:
                raise ValueError(
                    f"params[{key!r}] and grads[{key!r}] must have the same keys; these are in "
                    f"one only: {sorted(inner)}"
                )
            out += [(f"{key}.{k}", w[k], g[k]) for k in w]
        else:
            out.append((str(key), w, g))
    return out
