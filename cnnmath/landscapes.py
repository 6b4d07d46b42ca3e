"""Two-dimensional test functions for optimizers, with their gradients, and trajectories on them.

- :func:`quadratic`: :math:`f(x, y) = \\tfrac12(a x^2 + b y^2)`, ill-conditioned when
  :math:`a/b` is large: gradient descent must take steps below :math:`2/a` and then crawls along
  :math:`y` at the rate :math:`1 - \\eta b`.
- :func:`rosenbrock`: :math:`f(x, y) = (1-x)^2 + 100(y - x^2)^2`, a curved valley with its minimum
  at :math:`(1, 1)`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .arguments import as_float_array, callable_arg, number, positive_int
from .optim import Optimizer

Function = Callable[[np.ndarray], float]
Gradient = Callable[[np.ndarray], np.ndarray]


def quadratic(a: float = 10.0, b: float = 1.0) -> tuple[Function, Gradient]:
    """:math:`\\tfrac12(a x^2 + b y^2)` and its gradient :math:`(a x, b y)`."""
    a, b = number(a, "a"), number(b, "b")
    return (lambda p: 0.5 * (a * p[0] ** 2 + b * p[1] ** 2)), (
        lambda p: np.array([a * p[0], b * p[1]])
    )


def rosenbrock() -> tuple[Function, Gradient]:
    """:math:`(1-x)^2 + 100(y-x^2)^2` and its gradient."""

    def f(p: np.ndarray) -> float:
        return float((1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2)

    def grad(p: np.ndarray) -> np.ndarray:
        x, y = p
        return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])

    return f, grad


def trajectory(
    optimizer: Optimizer, grad: Gradient, start: tuple[float, float], steps: int
) -> np.ndarray:
    """The points visited by ``optimizer`` from ``start``: an array of shape ``(steps + 1, 2)``."""
    steps = positive_int(steps, "steps")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a cnnmath.optim.Optimizer; got {optimizer!r}")
    callable_arg(grad, "grad")
    start = as_float_array(start, "start", ndim=1)
    if start.shape != (2,):
        raise ValueError(f"start must be a point (x, y); got shape {start.shape}")
    p = {"w": start.astype(np.float64)}
    path = [p["w"].copy()]
    for _ in range(steps):
        optimizer.step(p, {"w": grad(p["w"])})
        path.append(p["w"].copy())
    return np.array(path)
