"""Hypothesis strategies shared by the tests: valid arrays, including extreme values."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

#: Finite float64 values spanning the ranges where naive formulas overflow (|z| up to 1e4).
wide_floats = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False, width=64)
#: Values away from the kinks at 0, for comparing derivatives with finite differences.
moderate_floats = st.floats(min_value=-30, max_value=30, allow_nan=False, allow_infinity=False).filter(
    lambda v: abs(v) > 1e-3
)


def arrays(elements=wide_floats, min_dims: int = 1, max_dims: int = 3, max_side: int = 6):
    return hnp.arrays(
        np.float64, hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side), elements=elements
    )


def logit_matrices(elements=wide_floats, max_rows: int = 6, max_classes: int = 8):
    return hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, max_rows), st.integers(2, max_classes)),
        elements=elements,
    )


@st.composite
def conv_configs(draw, max_side: int = 9):
    """A valid conv2d configuration: shapes, stride, padding, dilation and groups, torch's meanings."""
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
    return dict(x_shape=(N, C, H, W), w_shape=(F, C // groups, KH, KW), stride=stride, padding=(ph, pw),
                dilation=(dh, dw), groups=groups)


@st.composite
def conv_transpose_configs(draw, max_side: int = 5):
    """A valid conv_transpose2d configuration (torch's meanings); output_padding < stride or dilation."""
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
    return dict(x_shape=(N, C, H, W), w_shape=(C, O // groups, KH, KW), stride=(sh, sw), padding=(ph, pw),
                output_padding=(ah, aw), dilation=(dh, dw), groups=groups)
