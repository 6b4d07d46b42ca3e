"""Checks at the public boundary, so that bad input fails with a message for the user.

Every public function of the package calls these before it computes anything: a wrong shape, a
wrong dtype, a non-finite value, a label out of range or a cache from the wrong function is
reported as a ``ValueError`` or ``TypeError`` that names the argument, says what was expected and
what was given, instead of surfacing later as a broadcasting error deep inside NumPy or, worse,
as a silent wrong answer.

The checks cost at most one vectorized pass over an array (the finiteness test is a single sum
in the common case), so they sit at the public boundary of hot functions too; the internals they
guard never check again.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "as_float_array",
    "check_finite",
    "check_shape",
    "same_shape",
    "positive_number",
    "number",
    "in_range",
    "positive_int",
    "seed",
    "generator",
    "flag",
    "labels",
    "probability_rows",
    "unpack_cache",
    "array_cache",
    "path",
    "callable_arg",
    "shape_tuple",
    "torch_device",
    "layer_sizes",
    "cli_int",
    "cli_positive_number",
    "cli_int_list",
    "NUMBER",
]


#: The types a cache may hold a plain number as.
NUMBER = (int, float, np.integer, np.floating)


def _describe(x: object) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    text = repr(x)
    return f"{type(x).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def check_finite(arr: np.ndarray, name: str) -> np.ndarray:
    """Raise a ``ValueError`` naming ``name`` if the float array ``arr`` holds nan or inf.

    One reduction decides the common case: the sum of squares (a BLAS dot product, the fastest
    pass over memory) is finite exactly when every entry is, unless finite entries overflow on
    squaring or adding up, in which case the entries themselves are checked.
    """
    if arr.dtype.kind in "fc":
        with np.errstate(over="ignore", invalid="ignore"):
            if arr.flags.c_contiguous and arr.dtype.kind == "f":
                flat = arr.reshape(-1)
                total = np.dot(flat, flat)
            else:
                total = np.sum(arr)
        if not np.isfinite(total):
            ok = np.isfinite(arr)
            bad = int(ok.size - np.count_nonzero(ok))
            if bad:
                raise ValueError(f"{name} contains {bad} non-finite value(s) (nan or inf)")
    return arr


def as_float_array(
    x: object,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    finite: bool = True,
) -> np.ndarray:
    """Return ``x`` as a floating-point ndarray, or raise a ``ValueError``/``TypeError`` naming
    ``name``.

    Integer and boolean input is promoted to float64; float32 and float64 are kept as they are.
    ``ndim`` is the allowed number of dimensions (one int or several), ``finite`` rejects nan/inf.
    """
    if isinstance(x, np.ndarray):
        arr = x
    else:
        if x is None or isinstance(x, (dict, set)):
            raise TypeError(f"{name} must be an array of numbers; got {_describe(x)}")
        try:
            arr = np.asarray(x)
        except (TypeError, ValueError) as exc:  # ragged nested lists
            raise TypeError(
                f"{name} must be an array of numbers; got {type(x).__name__} ({exc})"
            ) from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must hold real numbers; got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real; got complex dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    elif arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(n) for n in allowed)
            raise ValueError(f"{name} must have {want} dimension(s); got shape {arr.shape}")
    if finite:
        check_finite(arr, name)
    return arr


def check_shape(
    arr: np.ndarray, name: str, shape: Sequence[int | None], what: str = ""
) -> np.ndarray:
    """Raise a ``ValueError`` unless ``arr.shape`` matches ``shape`` (``None`` matches any length).

    ``what`` explains the expectation, e.g. ``"one value per channel"``.
    """
    ok = arr.ndim == len(shape) and all(s is None or s == a for s, a in zip(shape, arr.shape))
    if not ok:
        want = (
            "("
            + ", ".join("any" if s is None else str(s) for s in shape)
            + ("," if len(shape) == 1 else "")
            + ")"
        )
        reason = f" ({what})" if what else ""
        raise ValueError(f"{name} must have shape {want}{reason}; got {arr.shape}")
    return arr


def same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise a ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}"
        )


def number(value: object, name: str) -> float:
    """Return ``value`` as a float if it is one finite real number (a 0-d array counts), else
    raise."""
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a number; got {_describe(value)}")
    if isinstance(value, np.ndarray):
        if value.ndim != 0 or value.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be a single number; got {_describe(value)}")
        value = value.item()
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number; got {_describe(value)}") from None
    if isinstance(value, complex) or not np.isfinite(v):
        raise ValueError(f"{name} must be a finite real number; got {value!r}")
    return v


def positive_number(value: float, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float if it is a finite number > 0 (or >= 0), else raise
    ``ValueError``."""
    v = number(value, name)
    if not (v >= 0 if allow_zero else v > 0):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}; got {value!r}")
    return v


def in_range(
    value: float,
    name: str,
    low: float,
    high: float,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as float if it lies in the interval from ``low`` to ``high``, else raise.

    ``low_open``/``high_open`` exclude the end points: ``in_range(p, "p", 0, 1, high_open=True)``
    accepts :math:`[0, 1)`.
    """
    v = number(value, name)
    ok_low = v > low if low_open else v >= low
    ok_high = v < high if high_open else v <= high
    if not (ok_low and ok_high):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name} must lie in {interval}; got {value!r}")
    return v


def positive_int(value: int, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` if it is an integer >= ``minimum``, else raise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {_describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def seed(value: int | None, name: str = "seed", *, allow_none: bool = False) -> int | None:
    """A seed for ``numpy.random.default_rng``: an integer >= 0 (or None when ``allow_none``)."""
    if value is None and allow_none:
        return None
    return positive_int(value, name, minimum=0)  # type: ignore[arg-type]


def generator(rng: object, name: str = "rng") -> np.random.Generator:
    """Return ``rng`` if it is a ``numpy.random.Generator``, else raise a ``TypeError`` saying how
    to make one."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator (e.g. np.random.default_rng(0)); got "
            f"{_describe(rng)}"
        )
    return rng


def flag(value: object, name: str) -> bool:
    """Return ``value`` if it is a bool (Python or NumPy), else raise: ``"no"`` is not False."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {_describe(value)}")
    return bool(value)


def labels(
    y: object, name: str, n: int | None = None, num_classes: int | None = None
) -> np.ndarray:
    """Return integer class labels as an int64 vector, checking type, length and range.

    Labels are whole numbers >= 0 (integral floats such as ``2.0`` are accepted); ``n`` is the
    required length (one label per row), ``num_classes`` bounds them: ``0 <= y < num_classes``.
    """
    if y is None or isinstance(y, (str, bytes, dict, set)):
        raise TypeError(f"{name} must be a vector of integer class labels; got {_describe(y)}")
    try:
        arr = np.asarray(y)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a vector of integer class labels ({exc})") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a vector of class labels; got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if (
            np.issubdtype(arr.dtype, np.floating)
            and np.all(np.isfinite(arr))
            and np.all(np.mod(arr, 1) == 0)
        ):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name} must hold integer class labels; got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have {n} labels (one per row); got {arr.shape[0]}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must hold class labels >= 0; got {arr.min()}")
    if num_classes is not None:
        num_classes = positive_int(num_classes, "num_classes")
        if arr.size and arr.max() >= num_classes:
            raise ValueError(
                f"{name} must lie in 0..{num_classes - 1}; got values from {arr.min()} to "
                f"{arr.max()}"
            )
    return arr


def probability_rows(p: np.ndarray, name: str, *, atol: float | None = None) -> np.ndarray:
    """Check that every entry of ``p`` lies in [0, 1] and every row (last axis) sums to 1.

    ``atol`` defaults to the square root of the dtype's machine epsilon (1.5e-8 in float64, 3.5e-4
    in float32): far above rounding, far below any real mistake.
    """
    if np.any(p < 0) or np.any(p > 1):
        raise ValueError(
            f"{name} must hold probabilities in [0, 1]; got values from {p.min():g} to {p.max():g}"
        )
    tol = float(np.sqrt(np.finfo(p.dtype).eps)) if atol is None else atol
    if p.size:
        dev = np.abs(p.sum(axis=-1) - 1)
        if np.any(dev > tol):
            worst = np.unravel_index(int(np.argmax(dev)), dev.shape)
            where = f"row {worst[0]}" if dev.ndim else "the vector"
            raise ValueError(
                f"{name} must be probabilities whose rows sum to 1 (within {tol:.1e}); "
                f"{where} sums to {float(p.sum(axis=-1)[worst]):.6g}"
            )
    return p


def unpack_cache(cache: object, producer: str, fields: dict[str, type | tuple[type, ...]]) -> tuple:
    """Return ``cache`` as a tuple after checking it is what ``producer`` returned.

    ``fields`` maps each item's name to its expected type(s), in order, e.g.
    ``{"x": np.ndarray, "w": np.ndarray}``. A cache of the wrong kind, length or item type raises a
    ``TypeError``/``ValueError`` that names ``cache``, the function that makes it and its layout.
    """
    layout = "(" + ", ".join(fields) + ")"
    want = f"cache must be the {layout} tuple returned by {producer}"
    if not isinstance(cache, tuple):
        raise TypeError(f"{want}; got {_describe(cache)}")
    if len(cache) != len(fields):
        raise ValueError(f"{want}; got a tuple of {len(cache)} item(s)")
    for (field, kind), item in zip(fields.items(), cache):
        if not isinstance(item, kind):
            raise TypeError(f"{want}; its item {field!r} is {_describe(item)}")
    return cache


def array_cache(cache: object, producer: str, field: str) -> np.ndarray:
    """Check a cache that is a single float array (``field`` names it, e.g. ``"z"``) and return
    it."""
    if not isinstance(cache, np.ndarray) or cache.dtype.kind != "f":
        raise TypeError(
            f"cache must be the float array {field} returned by {producer}; got {_describe(cache)}"
        )
    return cache


def path(value: object, name: str, *, suffix: str | None = None) -> Path:
    """Return ``value`` as a ``Path`` if it is a str or path-like (ending in ``suffix`` if given),
    else raise."""
    if not isinstance(value, (str, Path)) and not hasattr(value, "__fspath__"):
        raise TypeError(f"{name} must be a file path (str or pathlib.Path); got {_describe(value)}")
    p = Path(value)  # type: ignore[arg-type]
    if suffix is not None and p.suffix != suffix:
        raise ValueError(f"{name} must be a {suffix} file; got {p.name!r}")
    return p


def callable_arg(f: object, name: str) -> None:
    """Raise a ``TypeError`` unless ``f`` can be called."""
    if not callable(f):
        raise TypeError(f"{name} must be a function; got {_describe(f)}")


# -- command-line arguments: argparse ``type=`` functions, so that a bad value is a usage error --
def cli_int(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` accepting a whole number >= ``minimum`` (``--steps 0`` exits with 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number; got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}; got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def cli_positive_number(text: str) -> float:
    """An argparse ``type`` accepting a finite number > 0 (``--lr nan`` exits with 2)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not (np.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0; got {text!r}")
    return value


def cli_int_list(text: str) -> list[int]:
    """An argparse ``type`` for comma-separated whole numbers >= 1, such as ``"5,11"``."""
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or not all(p.isdigit() and int(p) >= 1 for p in parts):
        raise argparse.ArgumentTypeError(
            f"expected whole numbers >= 1 separated by commas, such as 5,11; got {text!r}"
        )
    return [int(p) for p in parts]


def shape_tuple(value: object, name: str, ndim: int | None = None) -> tuple[int, ...]:
    """Return ``value`` as a tuple of whole numbers >= 0 (a shape), else raise naming ``name``."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must be a tuple of sizes such as (2, 3); got {_describe(value)}")
    if not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in value
    ):
        raise TypeError(f"{name} must hold whole numbers; got {tuple(value)!r}")
    if any(v < 0 for v in value):
        raise ValueError(f"{name} must hold sizes >= 0; got {tuple(value)!r}")
    if ndim is not None and len(value) != ndim:
        raise ValueError(f"{name} must have {ndim} entries; got {tuple(value)!r}")
    return tuple(int(v) for v in value)


def torch_device(device: object, name: str = "device"):
    """Return ``device`` as a ``torch.device`` (from a device or a str such as ``"cuda:0"``) that
    torch can use here, else raise naming ``name``."""
    import torch

    if isinstance(device, str):
        try:
            device = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"{name} {device!r} is not a torch device: {exc}") from None
    if not isinstance(device, torch.device):
        raise TypeError(f"{name} must be a torch.device or a str such as 'cpu'; got {device!r}")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{name} {str(device)!r}: torch finds no CUDA GPU here")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"{name} must be a CPU or CUDA device; got {str(device)!r}")
    return device


def layer_sizes(sizes: object, name: str = "sizes") -> list[int]:
    """An MLP's layer sizes, input first: at least two whole numbers >= 1."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (list, tuple)):
        raise TypeError(
            f"{name} must be a sequence of layer sizes such as (4, 8, 3); got {sizes!r}"
        )
    out = [positive_int(s, f"{name} (each layer size)") for s in sizes]
    if len(out) < 2:
        raise ValueError(f"{name}: an MLP needs at least an input and an output size; got {out}")
    return out
