"""Hypothesis strategies shared by the tests: valid arrays, including extreme values."""

from __future__ import annotations

from pathlib import Path, PurePath

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

#: Finite float64 values spanning the ranges where naive formulas overflow (|z| up to 1e4).
wide_floats = st.floats(
    min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False, width=64
)
#: Values away from the kinks at 0, for comparing derivatives with finite differences.
moderate_floats = st.floats(
    min_value=-30, max_value=30, allow_nan=False, allow_infinity=False
).filter(lambda v: abs(v) > 1e-3)


def arrays(elements=wide_floats, min_dims: int = 1, max_dims: int = 3, max_side: int = 6):
    return hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side),
        elements=elements,
    )


def logit_matrices(elements=wide_floats, max_rows: int = 6, max_classes: int = 8):
    return hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, max_rows), st.integers(2, max_classes)),
        elements=elements,
    )


@st.composite
def conv_configs(draw, max_side: int = 9):
    """A valid conv2d configuration: shapes, stride, padding, dilation and groups, torch's
    meanings."""
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    C = groups * draw(st.integers(1, 2))
    F = groups * draw(st.integers(1, 2))
    KH, KW = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    H = draw(st.integers(max(1, dh * (KH - 1) + 1 - 2 * ph), max_side))
    W = draw(st.integers(max(1, dw * (KW - 1) + 1 - 2 * pw), max_side))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    N = draw(st.integers(1, 2))
    return dict(
        x_shape=(N, C, H, W),
        w_shape=(F, C // groups, KH, KW),
        stride=stride,
        padding=(ph, pw),
        dilation=(dh, dw),
        groups=groups,
    )


@st.composite
def conv_transpose_configs(draw, max_side: int = 5):
    """A valid conv_transpose2d configuration (torch's meanings); output_padding < stride or
    dilation."""
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    C = groups * draw(st.integers(1, 2))
    O = groups * draw(st.integers(1, 2))
    KH, KW = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ah, aw = draw(st.integers(0, max(sh, dh) - 1)), draw(st.integers(0, max(sw, dw) - 1))
    H, W = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    # padding may cut at most all but one row of the full output (n-1)s + d(k-1) + a + 1
    ph = draw(st.integers(0, min(2, ((H - 1) * sh + dh * (KH - 1) + ah) // 2)))
    pw = draw(st.integers(0, min(2, ((W - 1) * sw + dw * (KW - 1) + aw) // 2)))
    N = draw(st.integers(1, 2))
    return dict(
        x_shape=(N, C, H, W),
        w_shape=(C, O // groups, KH, KW),
        stride=(sh, sw),
        padding=(ph, pw),
        output_padding=(ah, aw),
        dilation=(dh, dw),
        groups=groups,
    )


# --------------------------------------------------------------------------------------------
# Bad inputs: each strategy draws values that a public function must reject with a clear error
# --------------------------------------------------------------------------------------------

#: Objects that are no array of real numbers at all.
not_numbers = st.sampled_from(
    [
        None,
        "abc",
        {"a": 1},
        [[1.0, 2.0], [3.0]],
        np.array(["a", "b"]),
        np.array([1j, 2.0]),
        np.array([{"a": 1}], dtype=object),
    ]
)


@st.composite
def non_finite(draw, valid: np.ndarray):
    """``valid`` (a float array) with one to three entries replaced by nan, inf or -inf."""
    out = np.array(valid, dtype=np.float64, copy=True)
    flat = out.reshape(-1)
    for i in draw(st.lists(st.integers(0, flat.size - 1), min_size=1, max_size=3)):
        flat[i] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return out


@st.composite
def wrong_shape(draw, shape: tuple[int, ...], min_dims: int = 0, max_dims: int = 4):
    """A finite float array whose shape differs from ``shape``."""
    other = draw(
        hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=5).filter(
            lambda s: s != tuple(shape)
        )
    )
    return draw(hnp.arrays(np.float64, other, elements=st.floats(-3, 3)))


def bad_arrays(valid: np.ndarray, min_dims: int = 0):
    """Anything an array argument shaped like ``valid`` must refuse: non-numbers, nan/inf, other
    shapes."""
    return st.one_of(
        not_numbers, non_finite(valid), wrong_shape(np.shape(valid), min_dims=min_dims)
    )


LABEL_FAULTS = ("negative", "too large", "fractional", "nan", "length", "matrix", "text")


@st.composite
def bad_labels(draw, n: int, num_classes: int, kinds: tuple[str, ...] = LABEL_FAULTS):
    """Class labels that are wrong for ``n`` rows and ``num_classes`` classes: range, type or
    length."""
    kind = draw(st.sampled_from(kinds))
    y = np.arange(n) % num_classes
    if kind == "negative":
        y[draw(st.integers(0, n - 1))] = -draw(st.integers(1, 5))
    elif kind == "too large":
        y[draw(st.integers(0, n - 1))] = num_classes + draw(st.integers(0, 5))
    elif kind == "fractional":
        y = y.astype(float)
        y[draw(st.integers(0, n - 1))] += draw(st.floats(0.05, 0.95))
    elif kind == "nan":
        y = y.astype(float)
        y[draw(st.integers(0, n - 1))] = np.nan
    elif kind == "length":
        y = np.arange(draw(st.integers(0, 2 * n).filter(lambda k: k != n))) % num_classes
    elif kind == "matrix":
        y = y.reshape(n, 1)
    else:
        y = np.array(["cat"] * n)
    return y


#: Not a finite number > 0 (learning rates, steps, epsilons).
bad_positive_numbers = st.one_of(
    st.floats(max_value=0.0), st.sampled_from([np.nan, np.inf, -np.inf, "0.1", None, np.ones(2)])
)
#: Not a probability in [0, 1].
bad_probabilities = st.one_of(
    st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=True),
    st.floats(min_value=1 + 1e-9),
    st.sampled_from([np.nan, "half", None]),
)


def bad_ints(minimum: int = 1):
    """Not an integer >= ``minimum``: too small, fractional, text, bool or None."""
    return st.one_of(
        st.integers(max_value=minimum - 1),
        st.floats(allow_nan=True).filter(lambda v: v != int(v) if np.isfinite(v) else True),
        st.sampled_from(["3", None, True, 2.0]),
    )


#: Not a cache of any forward pass: wrong kind, wrong length, or items of the wrong type.
bad_caches = st.one_of(
    st.sampled_from([None, "cache", {"x": 1}, 3.0, np.ones(3, dtype=int)]),
    st.lists(st.sampled_from([None, "a", 1.5, np.ones(2)]), min_size=0, max_size=8).map(tuple),
)
#: Not True/False: "no" and 2 are truthy, None is falsy, and none of them is a flag.
bad_flags = st.sampled_from(["no", "yes", 0, 1, 2, None, np.array([True, False])])
#: Not a numpy.random.Generator.
bad_generators = st.sampled_from([0, "rng", 1.5, np.random.RandomState(0)])
#: Not a seed (an integer >= 0).
bad_seeds = st.sampled_from([-1, 1.5, "seed", None, [1.2]])


# --------------------------------------------------------------------------------------------
# The systematic fuzz: bad values chosen by the type of a valid one
# --------------------------------------------------------------------------------------------


def _signature(value: object) -> object:
    """What a cache looks like from outside: its type, and for a tuple its items' types."""
    if isinstance(value, tuple):
        return ("tuple", tuple(_signature(v) for v in value))
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.kind, value.ndim)
    if isinstance(value, list):
        return ("list", len(value))
    return type(value).__name__


def bad_values(
    value: object, *, default: object = None, other_caches: dict[str, object] | None = None
) -> list[tuple[str, object, bool]]:
    """``(label, bad value, must_refuse)`` for an argument whose valid value is ``value``.

    ``must_refuse`` marks values no function may accept silently: None where None is not the
    default, text for a number or an array, a number for a flag, nan for a number, an array of
    text or objects, a negative size, another function's cache. The others (nan inside an
    array, zero, empty, other shapes and dtypes) must either work or raise a clear error.
    ``other_caches`` maps each forward function to its cache, for a ``cache`` argument.
    """
    none_ok = default is None
    if value is None:  # an optional argument left out: any other kind of value is wrong
        return [("text", "x", True), ("dict", {"a": 1}, True)]
    out: list[tuple[str, object, bool]] = [("None", None, not none_ok)]
    if other_caches is not None:
        mine = _signature(value)
        for producer, cache in other_caches.items():
            out.append((f"cache of {producer}", cache, _signature(cache) != mine))
        out += [("empty tuple", (), True), ("text", "cache", True), ("dict", {"x": 1}, True)]
        if isinstance(value, tuple) and value:
            out.append(("cache of None items", (None,) * len(value), True))
        return out
    if isinstance(value, (bool, np.bool_)):
        return out + [
            ("'no'", "no", True),
            ("2", 2, True),
            ("array", np.array([True, False]), True),
        ]
    if isinstance(value, (int, np.integer)):
        return out + [
            ("text", "3", True),
            ("bool", True, True),
            ("-1", -1, True),
            ("0", 0, False),
            ("2.5", 2.5, True),
            ("nan", float("nan"), True),
        ]
    if isinstance(value, (float, np.floating)):
        return out + [
            ("text", "0.1", True),
            ("bool", True, True),
            ("nan", float("nan"), True),
            ("inf", float("inf"), False),
            ("-1", -1.0, False),
            ("0", 0.0, False),
            ("complex", 1j, True),
            ("array", np.ones(2), True),
        ]
    if isinstance(value, PurePath):  # a file: a missing one or a directory must be refused
        parent = Path(value).parent
        return out + [
            ("number", 3, True),
            ("list", [str(value)], True),
            ("missing file", parent / "missing" / "x.npz", False),
            ("directory", parent, False),
        ]
    if isinstance(value, bytes):
        return out + [("number", 3, True), ("empty bytes", b"", True), ("list", [0, 0, 8, 1], True)]
    if isinstance(value, str):
        return out + [("number", 3, True), ("other text", "bogus", False), ("empty", "", False)]
    if isinstance(value, np.random.Generator):
        return out + [
            ("int", 0, True),
            ("text", "rng", True),
            ("RandomState", np.random.RandomState(0), True),
        ]
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
        bad = [
            ("text", "abc", True),
            ("dict", {"a": 1}, True),
            ("ragged", [[1.0, 2.0], [3.0]], True),
            ("strings", np.array(["a", "b"]), True),
            ("complex", value.astype(complex) + 1j, True),
            ("objects", np.array([{"a": 1}], dtype=object), True),
            ("0-d", np.float64(1.0), False),
            ("extra axis", value[None], False),
            ("empty", value[:0], False),
            ("float32", value.astype(np.float32), False),
        ]
        if value.ndim:
            bad.append(("one axis fewer", value.reshape(-1)[: max(1, value.size // 2)], False))
            bad.append(("other length", np.concatenate([value, value[:1]]), False))
        if value.dtype.kind == "f" and value.size:
            nan = value.copy()
            nan.reshape(-1)[0] = np.nan
            bad.append(("nan inside", nan, False))
        return out + bad
    if isinstance(value, tuple) and all(isinstance(v, (int, np.integer)) for v in value):
        return out + [
            ("text", "ab", True),
            ("negative", tuple(-1 for _ in value) or (-1,), True),
            ("fractional", tuple(v + 0.5 for v in value) or (0.5,), True),
            ("empty", (), False),
            ("longer", (*value, 1), False),
        ]
    if isinstance(value, (list, tuple)):
        return out + [("text", "ab", True), ("number", 3, True), ("empty", type(value)(), False)]
    if isinstance(value, dict):
        return out + [("list", [1], True), ("text", "d", True), ("empty", {}, False)]
    if callable(value) and not isinstance(value, type):
        return out + [("number", 3, True), ("text", "f", True)]
    return out + [("number", 3, True), ("text", "x", True)]
