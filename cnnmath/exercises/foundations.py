"""Exercises: the perceptron's gradient, softmax cross-entropy, the dense layer, backpropagation.

Chapters "The perceptron", "Loss functions" and "Forward and backward propagation". Oracles: the
package, finite differences of the loss (or of the forward pass contracted with the upstream
gradient), SymPy on the smallest configuration, and torch autograd.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp

from .. import activations as act
from .. import chain_rule, losses, perceptron
from ..dense import affine_backward, affine_forward
from .core import (
    Config,
    Exercise,
    ShapeError,
    as_outputs,
    catalogue,
    compare_arrays,
    torch_module,
)
from .oracles import finite_differences, rational, sympy_gradients, torch_gradients

# --------------------------------------------------------------------------------------------
# The perceptron's gradient (thesis eq. 7)
# --------------------------------------------------------------------------------------------


def _perceptron_configs() -> list[Config]:
    rng = np.random.default_rng(7)
    out = []
    for label, n, d in (
        ("3 examples, 2 features", 3, 2),
        ("8 examples, 4 features", 8, 4),
        ("20 examples, 3 features", 20, 3),
    ):
        x = np.round(rng.normal(0, 1, (n, d)), 2)
        w = np.round(rng.normal(0, 1, d), 2)
        w0 = float(np.round(rng.normal(), 2))
        y = (np.arange(n) % 2).astype(float)
        _, cache = perceptron.perceptron_forward(x, w, w0)
        out.append(Config(label, (y, cache), data={"x": x, "w": w, "w0": w0, "y": y}))
    return out


def _perceptron_loss(x, w, w0, y):
    return losses.sigmoid_cross_entropy_forward(x @ w + float(np.ravel(w0)[0]), y)[0]


def _perceptron_fd(cfg: Config) -> dict[str, object]:
    d = cfg.data
    inputs = {"x": d["x"], "w": d["w"], "w0": np.array([d["w0"]]), "y": d["y"]}
    got = finite_differences(_perceptron_loss, inputs, np.array(1.0), {"w": "gw", "w0": "g0"})
    return {"gw": got["gw"], "g0": float(got["g0"][0])}


def _perceptron_sympy(cfg: Config) -> dict[str, object] | None:
    d = cfg.data
    if d["x"].shape[0] > 3:
        return None
    ws = sp.symbols(f"w1:{d['w'].size + 1}", real=True)
    w0 = sp.Symbol("w0", real=True)
    x, y = rational(d["x"]), rational(d["y"])
    terms = []
    for n in range(x.shape[0]):
        a = act.sym_sigmoid(sum(wi * xi for wi, xi in zip(ws, x[n])) + w0)
        terms.append(-y[n] * sp.log(a) - (1 - y[n]) * sp.log(1 - a))
    E = sp.Add(*terms) / x.shape[0]
    subs = dict(zip(ws, rational(d["w"])))
    subs[w0] = sp.Rational(str(d["w0"]))
    gw = np.array([float(sp.diff(E, wi).subs(subs).evalf(30)) for wi in ws])
    return {"gw": gw, "g0": float(sp.diff(E, w0).subs(subs).evalf(30))}


def _perceptron_torch(cfg: Config) -> dict[str, object] | None:
    d = cfg.data
    torch = torch_module()

    def f(x, w, w0, y):
        return torch.nn.functional.binary_cross_entropy_with_logits(x @ w + w0, y)

    inputs = {"x": d["x"], "w": d["w"], "w0": np.array(d["w0"]), "y": d["y"]}
    got = torch_gradients(f, inputs, np.array(1.0), {"w": "gw", "w0": "g0"})
    return None if got is None else {"gw": got["gw"], "g0": float(got["g0"])}


def _perceptron_bug(mistake: str) -> Callable:
    def gradient(y, cache):
        x, z, a = cache
        err = {"z_not_a": z - y, "no_cancellation": (a - y) * a * (1 - a)}.get(mistake, a - y)
        if mistake == "perceptron_sign":
            err = y - a
        if mistake == "no_batch_sum":
            return x[0] * err[0], float(err[0])
        if mistake == "sum_not_mean":
            return x.T @ err, float(err.sum())
        if mistake == "missing_x":
            return np.full(x.shape[1], err.mean()), float(err.mean())
        return x.T @ err / x.shape[0], float(err.mean())

    return gradient


PERCEPTRON = Exercise(
    name="perceptron_gradient",
    target=perceptron.perceptron_gradient,
    chapter="perceptron",
    task=(
        "The cache is what perceptron_forward(x, w, w0) returns: (x, z, a). Return (gw, g0): "
        "the gradient of the mean error for the weights, shape (d,), and for the bias weight, "
        "a float."
    ),
    outputs=("gw", "g0"),
    configs=_perceptron_configs,
    call=lambda fn, cfg: as_outputs(fn(*cfg.args), ("gw", "g0")),
    oracles={
        "finite differences": _perceptron_fd,
        "SymPy": _perceptron_sympy,
        "torch": _perceptron_torch,
    },
    bugs=catalogue(
        _perceptron_bug,
        (
            "perceptron_sign",
            "sum_not_mean",
            "missing_x",
            "z_not_a",
            "no_cancellation",
            "no_batch_sum",
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# Softmax cross-entropy, forward and backward
# --------------------------------------------------------------------------------------------


def _ce_configs() -> list[Config]:
    rng = np.random.default_rng(31)
    out = []
    for label, n, g, scale, onehot, reduction in (
        ("2 examples, 3 classes, labels", 2, 3, 1.0, False, "mean"),
        ("5 examples, 4 classes, one-hot targets", 5, 4, 2.0, True, "mean"),
        ("4 examples, 6 classes, reduction='sum'", 4, 6, 1.5, False, "sum"),
        ("3 examples, 3 classes, scores near 800", 3, 3, 5.0, False, "mean"),
    ):
        z = np.round(rng.normal(0, scale, (n, g)), 2)
        if "800" in label:
            z = z + 800
        labels = rng.integers(0, g, n)
        y = np.eye(g)[labels] if onehot else labels
        out.append(Config(label, (z, y, reduction), data={"z": z, "y": y, "red": reduction}))
    return out


def _onehot(y, shape):
    y = np.asarray(y)
    return np.eye(shape[-1])[y] if y.ndim == 1 else y.astype(float)


def _ce_forward_call(fn: Callable, cfg: Config) -> dict[str, object]:
    res = fn(*cfg.args)
    if not isinstance(res, (tuple, list)) or len(res) != 2:
        raise ShapeError(f"returned {type(res).__name__}; expected a tuple (loss, cache)")
    return {"loss": res[0]}


def _ce_sympy(cfg: Config) -> dict[str, object] | None:
    z, y = cfg.data["z"], _onehot(cfg.data["y"], cfg.data["z"].shape)
    if z.size > 6:
        return None
    zr, yr = rational(z), rational(y)
    total = 0
    for n in range(z.shape[0]):
        lse = sp.log(sp.Add(*[sp.exp(v) for v in zr[n]]))
        total += -sp.Add(*[yr[n, k] * (zr[n, k] - lse) for k in range(z.shape[1])])
    if cfg.data["red"] == "mean":
        total = total / z.shape[0]
    return {"loss": float(sp.N(total, 30))}


def _ce_torch(cfg: Config) -> dict[str, object] | None:
    try:
        torch = torch_module()
    except ImportError:
        return None
    z = torch.tensor(cfg.data["z"], dtype=torch.float64)
    y = torch.tensor(_onehot(cfg.data["y"], cfg.data["z"].shape), dtype=torch.float64)
    loss = torch.nn.functional.cross_entropy(z, y, reduction=cfg.data["red"])
    return {"loss": float(loss)}


def _ce_forward_bug(mistake: str) -> Callable:
    def forward(z, y, reduction="mean"):
        z = np.asarray(z, dtype=float)
        y = _onehot(y, z.shape)
        if mistake == "no_max_shift":
            with np.errstate(all="ignore"):
                logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        elif mistake == "linear_normalize":
            with np.errstate(all="ignore"):
                logp = np.log(z / z.sum(axis=1, keepdims=True))
        elif mistake == "logit_as_log_probability":
            logp = z
        else:
            m = z.max(axis=1, keepdims=True)
            logp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        if mistake == "log10":
            logp = logp / np.log(10)
        with np.errstate(all="ignore"):
            total = -np.sum(np.where(y != 0, y * logp, 0.0))
        if mistake == "sign":
            total = -total
        if reduction == "mean" and mistake not in ("sum_not_mean",):
            total = total / z.shape[0]
        if mistake == "reduction_ignored" and reduction == "sum":
            total = total / z.shape[0]
        return float(total), None

    return forward


SOFTMAX_CE_FORWARD = Exercise(
    name="softmax_cross_entropy_forward",
    target=losses.softmax_cross_entropy_forward,
    chapter="losses",
    task=(
        "y holds class labels (N,) or one-hot rows (N, g); reduction is 'mean' or 'sum'. Return "
        "(loss, cache): the loss, a float, and whatever your backward pass needs (only the loss "
        "is checked)."
    ),
    outputs=("loss",),
    configs=_ce_configs,
    call=_ce_forward_call,
    oracles={"SymPy": _ce_sympy, "torch": _ce_torch},
    bugs=catalogue(
        _ce_forward_bug,
        (
            "no_max_shift",
            "log10",
            "sum_not_mean",
            "logit_as_log_probability",
            "linear_normalize",
            "sign",
            "reduction_ignored",
        ),
    ),
)


def _ce_backward_configs() -> list[Config]:
    out = []
    for i, cfg in enumerate(_ce_configs()):
        z, y, red = cfg.args
        _, cache = losses.softmax_cross_entropy_forward(z, y, red)
        dloss = (1.0, 0.5, 2.0, 1.0)[i]
        data = dict(cfg.data, dloss=dloss)
        out.append(Config(cfg.label + f", dloss={dloss:g}", (dloss, cache), data=data))
    return out


def _ce_backward_fd(cfg: Config) -> dict[str, object]:
    d = cfg.data
    return finite_differences(
        lambda z: np.array(losses.softmax_cross_entropy_forward(z, d["y"], d["red"])[0]),
        {"z": d["z"]},
        np.array(d["dloss"]),
        {"z": "dz"},
    )


def _ce_backward_torch(cfg: Config) -> dict[str, object] | None:
    d = cfg.data
    y = _onehot(d["y"], d["z"].shape)

    def f(z):
        torch = torch_module()
        return torch.nn.functional.cross_entropy(z, torch.tensor(y), reduction=d["red"])

    return torch_gradients(f, {"z": d["z"]}, np.array(d["dloss"]), {"z": "dz"})


def _ce_backward_sympy(cfg: Config) -> dict[str, object] | None:
    d = cfg.data
    if d["z"].size > 6:
        return None
    y = rational(_onehot(d["y"], d["z"].shape))

    def f(z):
        rows = []
        for n in range(z.shape[0]):
            lse = sp.log(sp.Add(*[sp.exp(v) for v in z[n]]))
            rows.append(-sp.Add(*[y[n, k] * (z[n, k] - lse) for k in range(z.shape[1])]))
        total = sp.Add(*rows)
        return np.array(total / z.shape[0] if d["red"] == "mean" else total)

    return sympy_gradients(f, {"z": d["z"]}, np.array(d["dloss"]), {"z": "dz"})


def _ce_backward_bug(mistake: str) -> Callable:
    def backward(dloss, cache):
        a, y, scale = cache
        grad = {
            "sign": y - a,
            "no_cancellation": (a - y) * a * (1 - a),
            "softmax_single_path": -y * (1 - a),
        }.get(mistake, a - y)
        if mistake != "no_upstream":
            grad = dloss * grad
        if mistake != "sum_not_mean":
            grad = scale * grad
        return grad

    return backward


SOFTMAX_CE_BACKWARD = Exercise(
    name="softmax_cross_entropy_backward",
    target=losses.softmax_cross_entropy_backward,
    chapter="losses",
    task=(
        "The cache is what softmax_cross_entropy_forward(z, y, reduction) returns: (a, y, scale) "
        "with a = softmax(z), y one-hot rows (floats) and scale = 1/N for the mean, 1 for the sum."
        " dloss is the upstream gradient, a number. Return dz, of z's shape."
    ),
    outputs=("dz",),
    configs=_ce_backward_configs,
    call=lambda fn, cfg: {"dz": fn(*cfg.args)},
    oracles={
        "finite differences": _ce_backward_fd,
        "SymPy": _ce_backward_sympy,
        "torch": _ce_backward_torch,
    },
    bugs=catalogue(
        _ce_backward_bug,
        ("sum_not_mean", "sign", "no_upstream", "no_cancellation", "softmax_single_path"),
    ),
)

# --------------------------------------------------------------------------------------------
# The dense layer
# --------------------------------------------------------------------------------------------


def _dense_configs() -> list[Config]:
    rng = np.random.default_rng(5)
    out = []
    for label, xshape, dout in (
        ("2 examples, 3 inputs, 2 outputs", (2, 3), 2),
        ("4 examples, 5 inputs, 3 outputs", (4, 5), 3),
        ("3 examples of 2 x 3 x 2 images (12 inputs), 4 outputs", (3, 2, 3, 2), 4),
    ):
        x = np.round(rng.normal(0, 1, xshape), 2)
        din = int(np.prod(xshape[1:]))
        w = np.round(rng.normal(0, 1, (dout, din)), 2)
        b = np.round(rng.normal(0, 1, dout), 2)
        dz = np.round(rng.normal(0, 1, (xshape[0], dout)), 2)
        out.append(Config(label, (x, w, b), data={"x": x, "w": w, "b": b, "dz": dz}))
    return out


def _dense_forward_call(fn: Callable, cfg: Config) -> dict[str, object]:
    return {"z": as_outputs(fn(*cfg.args), ("z", "cache"))["z"]}


def _dense_forward_sympy(cfg: Config) -> dict[str, object] | None:
    d = cfg.data
    if d["x"].size > 6:
        return None
    x, w, b = (sp.Matrix(rational(d[k]).reshape(-1, d[k].shape[-1])) for k in ("x", "w", "b"))
    z = x * w.T + sp.ones(x.shape[0], 1) * b
    return {"z": np.array(z.evalf(), dtype=float)}


def _dense_forward_torch(cfg: Config) -> dict[str, object] | None:
    try:
        torch = torch_module()
    except ImportError:
        return None
    d = cfg.data
    x = torch.tensor(d["x"]).reshape(d["x"].shape[0], -1)
    return {"z": torch.nn.functional.linear(x, torch.tensor(d["w"]), torch.tensor(d["b"])).numpy()}


def _dense_forward_bug(mistake: str) -> Callable:
    def forward(x, w, b):
        x2 = x.reshape(x.shape[0], -1)
        if mistake == "flatten_order":
            x2 = np.moveaxis(x, 1, -1).reshape(x.shape[0], -1)
        wt = w.reshape(w.shape[1], w.shape[0]) if mistake == "transposed" else w.T
        z = x2 @ wt
        if mistake == "bias_inside_sum":
            z = z + x2.shape[1] * b
        elif mistake != "no_bias":
            z = z + b
        if mistake == "output_activation":
            z = np.maximum(z, 0)
        return z, (x, w)

    return forward


AFFINE_FORWARD = Exercise(
    name="affine_forward",
    target=affine_forward,
    chapter="backprop",
    task="Return (z, cache); the cache is whatever your affine_backward needs (z is checked).",
    outputs=("z",),
    configs=_dense_configs,
    call=_dense_forward_call,
    oracles={"SymPy": _dense_forward_sympy, "torch": _dense_forward_torch},
    bugs=catalogue(
        _dense_forward_bug,
        (
            "no_bias",
            "bias_inside_sum",
            "transposed",
            "flatten_order",
            "output_activation",
        ),
    ),
)


def _dense_backward_configs() -> list[Config]:
    out = []
    for cfg in _dense_configs():
        d = cfg.data
        _, cache = affine_forward(d["x"], d["w"], d["b"])
        out.append(Config(cfg.label, (d["dz"], cache), data=d))
    return out


_DENSE_NAMES = {"x": "dx", "w": "dw", "b": "db"}


def _dense_backward_fd(cfg: Config) -> dict[str, object]:
    d = cfg.data
    inputs = {"x": d["x"], "w": d["w"], "b": d["b"]}
    return finite_differences(
        lambda x, w, b: affine_forward(x, w, b)[0], inputs, d["dz"], _DENSE_NAMES
    )


def _dense_backward_sympy(cfg: Config) -> dict[str, object] | None:
    d = cfg.data
    if d["x"].size > 6:
        return None

    def f(x, w, b):
        return x.reshape(x.shape[0], -1).dot(w.T) + b

    inputs = {"x": d["x"], "w": d["w"], "b": d["b"]}
    return sympy_gradients(f, inputs, d["dz"], _DENSE_NAMES)


def _dense_backward_torch(cfg: Config) -> dict[str, object] | None:
    d = cfg.data

    def f(x, w, b):
        return torch_module().nn.functional.linear(x.reshape(x.shape[0], -1), w, b)

    return torch_gradients(f, {"x": d["x"], "w": d["w"], "b": d["b"]}, d["dz"], _DENSE_NAMES)


def _dense_backward_bug(mistake: str) -> Callable:
    def backward(dz, cache):
        x, w = cache
        x2 = x.reshape(x.shape[0], -1)
        dx = dz @ w if mistake == "dx_not_reshaped" else (dz @ w).reshape(x.shape)
        dw, db = dz.T @ x2, dz.sum(axis=0)
        if mistake == "no_batch_sum":
            dw, db = np.outer(dz[0], x2[0]), dz[0]
        if mistake == "mean_not_sum":
            dw, db = dw / x.shape[0], dz.mean(axis=0)
        if mistake == "transposed":
            dw = x2.T @ dz
        if mistake == "db_wrong_axis":
            db = dz.sum(axis=1)
        return dx, dw, db

    return backward


AFFINE_BACKWARD = Exercise(
    name="affine_backward",
    target=affine_backward,
    chapter="backprop",
    task=(
        "The cache is what affine_forward(x, w, b) returns: (x, w), x unflattened. Return "
        "(dx, dw, db), of the shapes of x, w and b (you may ignore need_dx)."
    ),
    outputs=("dx", "dw", "db"),
    configs=_dense_backward_configs,
    call=lambda fn, cfg: as_outputs(fn(*cfg.args), ("dx", "dw", "db")),
    oracles={
        "finite differences": _dense_backward_fd,
        "SymPy": _dense_backward_sympy,
        "torch": _dense_backward_torch,
    },
    bugs=catalogue(
        _dense_backward_bug,
        (
            "no_batch_sum",
            "mean_not_sum",
            "transposed",
            "dx_not_reshaped",
            "db_wrong_axis",
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# The backpropagation loop of an MLP
# --------------------------------------------------------------------------------------------

_MLP_OUTPUTS = ("W1", "b1", "W2", "b2", "W3", "b3")


def _mlp_configs() -> list[Config]:
    out = []
    for label, sizes, activation, n, seed in (
        ("sizes 3-4-3-2, ReLU, 2 examples", (3, 4, 3, 2), "relu", 2, 1),
        ("sizes 4-5-5-3, tanh, 3 examples", (4, 5, 5, 3), "tanh", 3, 2),
        ("sizes 5-3-4-2, sigmoid, 4 examples", (5, 3, 4, 2), "sigmoid", 4, 3),
    ):
        rng = np.random.default_rng(seed)
        params = {
            k: np.round(v + 0.1 * (k[0] == "b"), 3)
            for k, v in chain_rule.init_params(sizes, "glorot_normal", seed).items()
        }
        x = np.round(rng.normal(0, 1, (n, sizes[0])), 2)
        logits, caches = chain_rule.mlp_forward(params, x, activation)
        dlogits = np.round(rng.normal(0, 1, logits.shape), 2)
        data = {"params": params, "x": x, "activation": activation, "dlogits": dlogits}
        out.append(Config(label, (dlogits, caches, activation), data=data))
    return out


def _mlp_call(fn: Callable, cfg: Config) -> dict[str, object]:
    grads = fn(*cfg.args)
    if not isinstance(grads, dict):
        raise ShapeError(
            f"returned {type(grads).__name__}; expected a dict of gradients {{'W1': ..., 'b1': ...}}"
        )
    missing = [k for k in _MLP_OUTPUTS if k not in grads]
    return {k: grads.get(k) for k in _MLP_OUTPUTS} | {"missing": missing}


def _mlp_fd(cfg: Config) -> dict[str, object]:
    d = cfg.data
    params = d["params"]

    def forward(**p):
        return chain_rule.mlp_forward(p, d["x"], d["activation"])[0]

    return finite_differences(forward, params, d["dlogits"], {k: k for k in _MLP_OUTPUTS})


def _mlp_torch(cfg: Config) -> dict[str, object] | None:
    d = cfg.data

    def forward(**p):
        torch = torch_module()
        f = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[d["activation"]]
        h = torch.tensor(d["x"])
        for layer in (1, 2, 3):
            h = torch.nn.functional.linear(h, p[f"W{layer}"], p[f"b{layer}"])
            if layer < 3:
                h = f(h)
        return h

    return torch_gradients(forward, d["params"], d["dlogits"], {k: k for k in _MLP_OUTPUTS})


def _mlp_bug(mistake: str) -> Callable:
    def backward(dlogits, caches, activation="relu"):
        fwd, bwd = act.get(activation)
        grads = {}
        delta = dlogits
        last = 1 if mistake == "loop_stops_early" else 0
        for layer in range(len(caches), last, -1):
            aff, a_cache = caches[layer - 1]
            if a_cache is not None and mistake != "no_local_derivative":
                if mistake == "value_not_derivative":
                    value = fwd(a_cache)[0] if activation == "relu" else a_cache[0]
                    delta = delta * value
                else:
                    delta = bwd(delta, a_cache)
                    if mistake == "local_derivative_twice":
                        delta = bwd(delta, a_cache)
            delta, grads[f"W{layer}"], grads[f"b{layer}"] = affine_backward(delta, aff)
        if mistake == "mean_twice":
            grads = {k: v / dlogits.shape[0] for k, v in grads.items()}
        if mistake == "gradient_negated":
            grads = {k: -v for k, v in grads.items()}
        return grads

    return backward


def _mlp_compare(got: object, expected: object, output: str) -> str | None:
    if output == "missing":
        if list(got) == list(expected):  # type: ignore[arg-type]
            return None
        return f"the dict lacks the gradients {', '.join(got)}"  # type: ignore[arg-type]
    return compare_arrays(got, expected)


MLP_BACKWARD = Exercise(
    name="mlp_backward",
    target=chain_rule.mlp_backward,
    chapter="backprop",
    task=(
        "caches is what mlp_forward(params, x, activation) returns: one (affine cache, "
        "activation cache) pair per layer, the last layer's activation cache None (its output is "
        "the logits). Use affine_backward and activations.get(activation). Return the dict "
        "{'W1': dW1, 'b1': db1, ...} of every layer."
    ),
    outputs=("missing", *_MLP_OUTPUTS),
    configs=_mlp_configs,
    call=_mlp_call,
    oracles={"finite differences": _mlp_fd, "torch": _mlp_torch},
    compare=_mlp_compare,
    bugs=catalogue(
        _mlp_bug,
        (
            "no_local_derivative",
            "value_not_derivative",
            "local_derivative_twice",
            "loop_stops_early",
            "mean_twice",
            "gradient_negated",
        ),
    ),
)

EXERCISES = (
    PERCEPTRON,
    SOFTMAX_CE_FORWARD,
    SOFTMAX_CE_BACKWARD,
    AFFINE_FORWARD,
    AFFINE_BACKWARD,
    MLP_BACKWARD,
)
