"""An implementation against its oracles: one call, one compact table of errors and tolerances.

``compare("conv2d")`` runs the package's convolution over a few seeded configurations, compares
its output and gradients with each oracle the tests use (the ``_naive`` loops, central finite
differences, PyTorch's autograd, SymPy's exact derivative), shows one row per configuration and
quantity with the relative error against each oracle (as an order of magnitude,
:func:`cnnmath.gradcheck.error_bound`) and raises ``AssertionError`` with the table if any error is
not below its tolerance. A chapter shows its comparison with this one line; the sweeps over many
more configurations live in the tests (``tests/test_<module>.py``).

Any part of the implementation can be replaced, e.g. ``compare("conv2d", backward=my_backward)``,
to run a function of one's own against the same oracles.

Tolerances: :data:`cnnmath.gradcheck.TOLERANCE` (float64) against finite differences, whose own
error is about 1e-8; :data:`SAME_SUMS` against the loops, torch and SymPy, which compute the same
sums in another order (rounding only).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .gradcheck import TOLERANCE, error_bound, numerical_gradient, relative_error

#: Relative error accepted between two float64 computations of the same sums in another order.
SAME_SUMS = 1e-10
FINITE_DIFFERENCES = TOLERANCE[np.float64]
#: The oracles, in the order of the table's columns.
ORACLES = ("loops", "SymPy", "finite differences", "torch")
_TOL = {"loops": SAME_SUMS, "SymPy": SAME_SUMS, "torch": SAME_SUMS}


@dataclass(frozen=True)
class Row:
    """One quantity of one configuration: its relative error against each oracle run."""

    config: str
    quantity: str
    errors: dict[str, float]
    problem: str = ""

    def failures(self) -> list[str]:
        if self.problem:
            return [f"{self.config}, {self.quantity}: {self.problem}"]
        return [
            f"{self.config}, {self.quantity} vs {o}: error {e:.2e} >= tolerance {tolerance(o):.0e}"
            for o, e in self.errors.items()
            if not e < tolerance(o)
        ]


def tolerance(oracle: str) -> float:
    """The relative error accepted against ``oracle``."""
    if oracle not in ORACLES:
        raise ValueError(f"oracle must be one of {ORACLES}; got {oracle!r}")
    return _TOL.get(oracle, FINITE_DIFFERENCES)


@dataclass(frozen=True)
class Comparison:
    """The table :func:`compare` returns: rows of errors, shown as HTML or text."""

    subject: str
    rows: tuple[Row, ...]

    @property
    def oracles(self) -> list[str]:
        return [o for o in ORACLES if any(o in r.errors for r in self.rows)]

    @property
    def failures(self) -> list[str]:
        return [f for r in self.rows for f in r.failures()]

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        head = ["configuration", "quantity"] + [
            f"{o} (tol {tolerance(o):.0e})" for o in self.oracles
        ]
        body = []
        last = None
        for r in self.rows:
            cells = [r.config if r.config != last else "", r.quantity]
            last = r.config
            for o in self.oracles:
                e = r.errors.get(o)
                cells.append(
                    "" if e is None else error_bound(e) + ("" if e < tolerance(o) else " ✗")
                )
            body.append(cells)
        return head, body

    def _verdict(self) -> str:
        n = sum(len(r.errors) for r in self.rows)
        bad = len(self.failures)
        return (
            f"{self.subject}: all {n} comparisons within tolerance"
            if not bad
            else f"{self.subject}: {bad} of {n} comparisons exceed their tolerance (✗)"
        )

    def __repr__(self) -> str:
        head, body = self._cells()
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in [head, *body]
        ]
        return "\n".join([self._verdict(), *lines])

    def _repr_latex_(self) -> str:
        """The print edition's form: the verdict and the table as LaTeX (a ``longtable``)."""
        from .printable import MARKER, escape, latex_table

        head, body = self._cells()
        cells = [[escape(c.replace("✗", "(exceeds)")) for c in row] for row in body]
        table = latex_table([escape(h) for h in head], cells)
        return f"{MARKER}\n\\noindent {escape(self._verdict())}\n\n{table}"

    def _repr_html_(self) -> str:
        head, body = self._cells()
        cell = 'style="text-align:left;padding:0.1em 0.8em 0.1em 0"'
        th = "".join(f"<th {cell}>{html.escape(c)}</th>" for c in head)
        trs = "".join(
            "<tr>" + "".join(f"<td {cell}>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in body
        )
        return (
            f"<p>{html.escape(self._verdict())}</p>"
            f'<table style="font-size:0.85em;margin:0"><thead><tr>{th}</tr></thead>'
            f"<tbody>{trs}</tbody></table>"
        )


#: quantity, oracle, ours, reference (None when ``ours`` is already the error, as for a trajectory)
Result = tuple[str, str, Any, Any]


def _t(*arrays: np.ndarray) -> list:
    import torch

    return [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]


def _fd(f: Callable, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    return numerical_gradient(f, x, g)


# --- the subjects: each yields (quantity, oracle, ours, reference) for one configuration -------


def _weighted_layer(
    fwd: Callable,
    bwd: Callable,
    naive: tuple[Callable, Callable],
    torch_fn: Callable,
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    hp: dict,
    rng: np.random.Generator,
) -> Iterator[Result]:
    """A layer ``fwd(x, w, b, **hp) -> (Z, cache)``, ``bwd(dZ, cache) -> (dX, dW, db)`` against
    its loops, finite differences and torch."""
    import torch

    out, cache = fwd(x, w, b, **hp)
    g = rng.normal(size=np.shape(out))
    ours = (out, *bwd(g, cache))
    out_n, cache_n = naive[0](x, w, b, **hp)
    loops = (out_n, *naive[1](g, cache_n))
    tx, tw, tb = _t(x, w, b)
    t_out = torch_fn(tx, tw, tb, **hp)
    t_out.backward(torch.tensor(g))
    theirs = (t_out.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy())
    fds = (
        None,
        _fd(lambda t: fwd(t, w, b, **hp)[0], x, g),
        _fd(lambda t: fwd(x, t, b, **hp)[0], w, g),
        _fd(lambda t: fwd(x, w, t, **hp)[0], b, g),
    )
    for q, mine, lo, fd, th in zip(("Z", "dX", "dW", "db"), ours, loops, fds, theirs):
        yield q, "loops", mine, lo
        if fd is not None:
            yield q, "finite differences", mine, fd
        yield q, "torch", mine, th


def _conv2d(cfg: dict, rng: np.random.Generator, impl: dict) -> Iterator[Result]:
    import torch

    from . import conv

    hp = {k: cfg[k] for k in ("stride", "padding", "dilation", "groups")}
    x, w, b = rng.normal(size=cfg["x"]), rng.normal(size=cfg["w"]), rng.normal(size=cfg["w"][0])
    return _weighted_layer(
        impl.get("forward", conv.conv2d_forward),
        impl.get("backward", conv.conv2d_backward),
        (conv.conv2d_forward_naive, conv.conv2d_backward_naive),
        torch.nn.functional.conv2d,
        x,
        w,
        b,
        hp,
        rng,
    )


def _conv_transpose2d(cfg: dict, rng: np.random.Generator, impl: dict) -> Iterator[Result]:
    import torch

    from . import conv_transpose as ct

    hp = {k: cfg[k] for k in ("stride", "padding", "output_padding", "dilation", "groups")}
    x, w = rng.normal(size=cfg["x"]), rng.normal(size=cfg["w"])
    b = rng.normal(size=cfg["w"][1] * cfg["groups"])
    return _weighted_layer(
        impl.get("forward", ct.conv_transpose2d_forward),
        impl.get("backward", ct.conv_transpose2d_backward),
        (ct.conv_transpose2d_forward_naive, ct.conv_transpose2d_backward_naive),
        torch.nn.functional.conv_transpose2d,
        x,
        w,
        b,
        hp,
        rng,
    )


def _pool(kind: str) -> Callable[[dict, np.random.Generator, dict], Iterator[Result]]:
    def run(cfg: dict, rng: np.random.Generator, impl: dict) -> Iterator[Result]:
        import torch

        from . import pool

        fwd = impl.get("forward", getattr(pool, f"{kind}pool_forward"))
        bwd = impl.get("backward", getattr(pool, f"{kind}pool_backward"))
        fwd_n, bwd_n = (
            getattr(pool, f"{kind}pool_forward_naive"),
            getattr(pool, f"{kind}pool_backward_naive"),
        )
        tfn = getattr(torch.nn.functional, f"{kind}_pool2d")
        k, s, p = cfg["kernel_size"], cfg["stride"], cfg["padding"]
        x = rng.normal(size=cfg["x"])
        out, cache = fwd(x, k, s, p)
        g = rng.normal(size=np.shape(out))
        dx = bwd(g, cache)
        out_n, cache_n = fwd_n(x, k, s, p)
        (tx,) = _t(x)
        t_out = tfn(tx, k, s, p)
        t_out.backward(torch.tensor(g))
        yield "Z", "loops", out, out_n
        yield "Z", "torch", out, t_out.detach().numpy()
        yield "dX", "loops", dx, bwd_n(g, cache_n)
        yield "dX", "finite differences", dx, _fd(lambda t: fwd(t, k, s, p)[0], x, g)
        yield "dX", "torch", dx, tx.grad.numpy()

    return run


def _activation(cfg: dict, rng: np.random.Generator, impl: dict) -> Iterator[Result]:
    import sympy as sp
    import torch

    from . import activations as act

    name, slope = cfg["name"], cfg.get("slope")
    pkg_fwd, pkg_bwd = act.get(name)
    fwd = impl.get("forward", (lambda v: pkg_fwd(v, slope)) if slope is not None else pkg_fwd)
    bwd = impl.get("backward", pkg_bwd)
    z = sp.Symbol("z", real=True)
    expr, tfn = {
        "sigmoid": (act.sym_sigmoid(z), torch.sigmoid),
        "tanh": (act.sym_tanh(z), torch.tanh),
        "relu": (act.sym_relu(z), torch.relu),
        "leaky_relu": (
            act.sym_leaky_relu(z, sp.nsimplify(slope or 0.01)),
            lambda t: torch.nn.functional.leaky_relu(t, slope or 0.01),
        ),
        "elu": (act.sym_elu(z, 1), torch.nn.functional.elu),
    }[name]
    zv = rng.normal(0, 3, 200)
    zv = zv[np.abs(zv) > 1e-3]  # away from the kink, where finite differences straddle it
    g = rng.normal(size=zv.shape)
    a, cache = fwd(zv)
    dz = bwd(g, cache)
    f_sym, d_sym = (sp.lambdify(z, e, "mpmath") for e in (expr, sp.diff(expr, z)))
    (tz,) = _t(zv)
    t_a = tfn(tz)
    t_a.backward(torch.tensor(g))
    yield "a", "SymPy", a, np.array([float(f_sym(sp.Float(v, 50))) for v in zv])
    yield "a", "torch", a, t_a.detach().numpy()
    yield "dZ", "SymPy", dz, np.array([float(d_sym(sp.Float(v, 50))) for v in zv]) * g
    yield "dZ", "finite differences", dz, _fd(lambda t: fwd(t)[0], zv, g)
    yield "dZ", "torch", dz, tz.grad.numpy()


def _batchnorm(cfg: dict, rng: np.random.Generator, impl: dict) -> Iterator[Result]:
    import torch

    from . import norm

    fwd = impl.get("forward", norm.batchnorm_forward)
    bwd = impl.get("backward", norm.batchnorm_backward)
    training = cfg["training"]
    x = rng.normal(1.0, 2.0, size=cfg["x"])
    C = x.shape[1]
    gm, bt, rm = rng.normal(size=C), rng.normal(size=C), rng.normal(size=C)
    rv = rng.uniform(0.5, 2.0, C)
    y, cache, (nm, nv) = fwd(x, gm, bt, rm, rv, training=training, momentum=0.1)
    g = rng.normal(size=x.shape)
    dx, dg, db = bwd(g, cache)
    tx, tg, tb = _t(x, gm, bt)
    trm, trv = torch.tensor(rm.copy()), torch.tensor(rv.copy())
    ty = torch.nn.functional.batch_norm(tx, trm, trv, tg, tb, training, 0.1, 1e-5)
    ty.backward(torch.tensor(g))
    if training:
        y_n, cache_n = norm.batchnorm_forward_naive(x, gm, bt)
        loops = (y_n, *norm.batchnorm_backward_naive(g, cache_n))
    yield "Y", "torch", y, ty.detach().numpy()
    yield (
        "running mean, var",
        "torch",
        np.concatenate([nm, nv]),
        np.concatenate([trm.numpy(), trv.numpy()]),
    )
    for q, ours, th, k in (("dX", dx, tx, 1), ("dγ", dg, tg, 2), ("dβ", db, tb, 3)):
        if training:
            yield q, "loops", ours, loops[k]
        yield q, "torch", ours, th.grad.numpy()
    yield (
        "dX",
        "finite differences",
        dx,
        _fd(lambda t: fwd(t, gm, bt, rm, rv, training=training)[0], x, g),
    )


def _lrn(cfg: dict, rng: np.random.Generator, impl: dict) -> Iterator[Result]:
    import torch

    from . import lrn

    fwd, bwd = impl.get("forward", lrn.lrn_forward), impl.get("backward", lrn.lrn_backward)
    size, hp = cfg["size"], {k: cfg[k] for k in ("alpha", "beta", "k")}
    x = rng.normal(0, cfg.get("scale", 3.0), size=cfg["x"])
    g = rng.normal(size=x.shape)
    y, cache = fwd(x, size, **hp)
    dx = bwd(g, cache)
    y_n, cache_n = lrn.lrn_forward_naive(x, size, **hp)
    (tx,) = _t(x)
    ty = torch.nn.functional.local_response_norm(tx, size, **hp)
    ty.backward(torch.tensor(g))
    yield "Y", "loops", y, y_n
    yield "Y", "torch", y, ty.detach().numpy()
    yield "dX", "loops", dx, lrn.lrn_backward_naive(g, cache_n)
    yield "dX", "finite differences", dx, _fd(lambda t: fwd(t, size, **hp)[0], x, g)
    yield "dX", "torch", dx, tx.grad.numpy()


def _optimizer(cfg: dict, rng: np.random.Generator, impl: dict) -> Iterator[Result]:
    """``steps`` steps on Rosenbrock's function from (-1.2, 1), both optimizers run freely."""
    import torch

    from .landscapes import rosenbrock
    from .optim import Optimizer

    _, grad = rosenbrock()
    hyper = dict(cfg["hyper"])
    lr = hyper.pop("lr")
    step = impl.get("step")
    opt, p, state = Optimizer(cfg["rule"], lr, **hyper), {"w": np.array([-1.2, 1.0])}, {}
    tw = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
    topt = getattr(torch.optim, cfg["torch"])([tw], lr=lr, **cfg.get("torch_hyper", {}))
    worst = 0.0
    for _ in range(cfg.get("steps", 100)):
        if step is None:
            opt.step(p, {"w": grad(p["w"])})
        else:
            p["w"] = step(p["w"], grad(p["w"]), state, lr, **hyper)
        tw.grad = torch.tensor(grad(tw.detach().numpy()))
        topt.step()
        if not np.all(np.isfinite(p["w"])):
            worst = float("inf")  # diverged
            break
        worst = max(worst, relative_error(p["w"], tw.detach().numpy()))
    yield f"w over {cfg.get('steps', 100)} steps", "torch", worst, None


def _conv_cfg(x, w, stride=1, padding=0, dilation=1, groups=1) -> dict:
    return dict(x=x, w=w, stride=stride, padding=padding, dilation=dilation, groups=groups)


def _ct_cfg(x, w, stride=1, padding=0, output_padding=0, dilation=1, groups=1) -> dict:
    return dict(
        x=x,
        w=w,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        groups=groups,
    )


def _pool_cfgs() -> list[dict]:
    return [
        dict(x=(2, 3, 7, 7), kernel_size=2, stride=None, padding=0),
        dict(x=(2, 3, 7, 7), kernel_size=3, stride=2, padding=1),
        dict(x=(2, 3, 7, 7), kernel_size=3, stride=1, padding=1),
    ]


def _opt(rule: str, torch_name: str, **hyper: Any) -> dict:
    torch_hyper = {k: v for k, v in hyper.items() if k not in ("lr", "decoupled")}
    return dict(rule=rule, hyper=hyper, torch=torch_name, torch_hyper=torch_hyper)


#: Each subject: the function that runs one configuration, and the default configurations.
SUBJECTS: dict[str, tuple[Callable[..., Iterator[Result]], list[dict]]] = {
    "conv2d": (
        _conv2d,
        [
            _conv_cfg((2, 3, 7, 6), (4, 3, 3, 2)),
            _conv_cfg((1, 4, 8, 8), (6, 2, 3, 3), stride=2, padding=1, groups=2),
            _conv_cfg((2, 2, 9, 7), (2, 2, 2, 3), stride=(1, 2), padding=(2, 0), dilation=(2, 1)),
            _conv_cfg((1, 1, 5, 5), (3, 1, 5, 5)),
            _conv_cfg((3, 1, 6, 6), (1, 1, 3, 3), stride=3, padding=1),
        ],
    ),
    "conv_transpose2d": (
        _conv_transpose2d,
        [
            _ct_cfg((2, 3, 4, 5), (3, 2, 3, 3)),
            _ct_cfg((2, 4, 3, 3), (4, 3, 3, 3), stride=2, padding=1, output_padding=1),
            _ct_cfg(
                (1, 4, 3, 4),
                (4, 1, 2, 3),
                stride=(3, 2),
                padding=(2, 0),
                output_padding=(2, 1),
                dilation=(1, 2),
                groups=2,
            ),
            _ct_cfg((2, 2, 3, 3), (2, 2, 3, 2), padding=1, output_padding=1, dilation=2),
        ],
    ),
    "maxpool": (_pool("max"), _pool_cfgs()),
    "avgpool": (_pool("avg"), _pool_cfgs()),
    "activations": (
        _activation,
        [
            dict(name="sigmoid"),
            dict(name="tanh"),
            dict(name="relu"),
            dict(name="leaky_relu", slope=0.1),
            dict(name="elu"),
        ],
    ),
    "batchnorm": (
        _batchnorm,
        [dict(x=(6, 3, 4, 4), training=True), dict(x=(6, 3, 4, 4), training=False)],
    ),
    "lrn": (
        _lrn,
        [
            dict(x=(2, 7, 3, 3), size=2, alpha=0.5, beta=0.75, k=1.5),
            dict(x=(2, 7, 3, 3), size=5, alpha=0.5, beta=0.75, k=1.5),
            dict(x=(1, 4, 2, 3), size=7, alpha=1e-4 * 5, beta=0.75, k=2.0, scale=30.0),
        ],
    ),
    "optimizers": (
        _optimizer,
        [
            _opt("sgd", "SGD", lr=1e-3),
            _opt("sgd", "SGD", lr=1e-4, momentum=0.9),
            _opt("adagrad", "Adagrad", lr=0.1),
            _opt("rmsprop", "RMSprop", lr=1e-3, alpha=0.9),
            _opt("adam", "Adam", lr=0.01),
            _opt("adam", "AdamW", lr=0.01, weight_decay=0.1, decoupled=True),
        ],
    ),
}


def _describe(cfg: dict) -> str:
    if "rule" in cfg:
        return f"{cfg['torch']} " + ", ".join(f"{k}={v}" for k, v in cfg["hyper"].items())
    if "name" in cfg:
        return cfg["name"] + (f" (slope {cfg['slope']})" if "slope" in cfg else "")
    parts = []
    for key, value in cfg.items():
        if key == "x":
            parts.append(f"x{tuple(value)}")
        elif key == "w":
            parts.append(f"w{tuple(value)}")
        elif key == "training":
            parts.append("training" if value else "evaluation")
        elif key == "scale":
            continue
        elif key in ("groups", "dilation") and value == 1:
            continue
        elif key in ("padding", "output_padding") and value == 0:
            continue
        elif value is not None:
            short = {
                "kernel_size": "k",
                "stride": "s",
                "padding": "p",
                "output_padding": "a",
                "dilation": "d",
            }
            parts.append(f"{short.get(key, key)}={value}")
    return " ".join(parts)


def compare(
    subject: str,
    configs: Sequence[dict] | None = None,
    *,
    seed: int = 0,
    check: bool = True,
    **impl: Callable,
) -> Comparison:
    """Run ``subject`` (a key of :data:`SUBJECTS`) over ``configs`` (its defaults if None) against
    its oracles; raise ``AssertionError`` with the table if an error is not below its tolerance
    (``check=False`` returns the table instead). ``impl`` replaces parts of the package's
    implementation, e.g. ``backward=my_backward`` (``step=`` for an optimizer's update rule)."""
    if subject not in SUBJECTS:
        raise ValueError(f"subject must be one of {sorted(SUBJECTS)}; got {subject!r}")
    run, defaults = SUBJECTS[subject]
    configs = list(defaults if configs is None else configs)
    if not configs:
        raise ValueError("configs must hold at least one configuration; got none")
    for name, fn in impl.items():
        if not callable(fn):
            raise TypeError(f"{name} must be a function; got {type(fn).__name__}")
    rng = np.random.default_rng(seed)
    rows: list[Row] = []
    for cfg in configs:
        errors: dict[str, dict[str, float]] = {}
        problems: dict[str, str] = {}
        for quantity, oracle, ours, reference in run(cfg, rng, impl):
            if reference is None:
                err = float(ours)
            elif not np.all(np.isfinite(np.asarray(ours, dtype=float))):
                err = float("inf")
                problems[quantity] = "holds nan or inf"
            elif np.shape(ours) != np.shape(reference):
                err = float("inf")
                problems[quantity] = f"shape {np.shape(ours)}, expected {np.shape(reference)}"
            else:
                err = relative_error(ours, reference)
            errors.setdefault(quantity, {})[oracle] = err
        rows += [Row(_describe(cfg), q, e, problems.get(q, "")) for q, e in errors.items()]
    table = Comparison(subject, tuple(rows))
    if check and table.failures:
        raise AssertionError(repr(table) + "\n" + "\n".join(table.failures))
    return table
