"""Hypothesis strategies shared by the tests: valid arrays, including extreme values."""

from __future__ import annotations

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
