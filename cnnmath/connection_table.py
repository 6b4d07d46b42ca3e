"""Partially connected convolution: output map :math:`f` sums over the input maps its table names.

.. math::
    Z_{n,f} = b_f + \\sum_{c:\\, T_{c,f}} W_{f,c} \\star X_{n,c}

LeNet-5's C3 (LeCun et al. 1998, §II.B and Table I) connects each of its 16 maps to only some of
S2's 6 maps: the first six to three neighbouring maps, the next six to four neighbouring maps,
three to four non-neighbouring maps and the last to all six, "to break the symmetry in the
network" and to keep the number of connections "within reasonable bounds". Only the kernels of
the table's connections exist, packed in the table's order (input map by input map within each
output map): ``weight`` has shape ``(connections, KH, KW)``. The computation scatters them into
a full ``(F, C, KH, KW)`` kernel with zeros elsewhere and calls
:func:`cnnmath.conv.conv2d_forward`; backward keeps the full kernel gradient's entries on the
table, so absent connections get no gradient and stay absent.
"""

from __future__ import annotations

import numpy as np

from .arguments import as_float_array, positive_int, unpack_cache
from .conv import conv2d_backward, conv2d_forward


def _lenet5_c3_table() -> np.ndarray:
    t = np.zeros((6, 16), bool)
    for f in range(6):  # three neighbouring maps (cyclically)
        t[[(f + i) % 6 for i in range(3)], f] = True
    for f in range(6):  # four neighbouring maps
        t[[(f + i) % 6 for i in range(4)], 6 + f] = True
    for f, maps in enumerate(
        ((0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5))
    ):  # four, not all neighbours
        t[list(maps), 12 + f] = True
    t[:, 15] = True  # all six
    return t


#: LeNet-5's table (the paper's Table I): ``LENET5_C3_TABLE[c, f]`` says whether C3 map ``f``
#: reads S2 map ``c``.
LENET5_C3_TABLE = _lenet5_c3_table()


def check_table(table, channels: int | None = None, filters: int | None = None) -> np.ndarray:
    """A bool ``(C, F)`` table in which every output map reads at least one input map."""
    t = table
    if isinstance(t, (list, tuple)):
        try:
            t = np.asarray(t)
        except ValueError:
            t = None  # ragged
    if not isinstance(t, np.ndarray):
        raise TypeError(
            f"table must be a 2-D bool array (input maps x output maps); got {type(table).__name__}"
        )
    if t.ndim != 2 or t.dtype != bool:
        raise ValueError(
            f"table must be a 2-D bool array (input maps x output maps); got {t.dtype} of shape "
            f"{t.shape}"
        )
    if channels is not None:
        channels = positive_int(channels, "channels")
    if filters is not None:
        filters = positive_int(filters, "filters")
    if channels is not None and t.shape[0] != channels:
        raise ValueError(f"the table has {t.shape[0]} rows but the input has {channels} channels")
    if filters is not None and t.shape[1] != filters:
        raise ValueError(
            f"the table has {t.shape[1]} columns but the layer has {filters} output maps"
        )
    empty = np.flatnonzero(~t.any(axis=0))
    if empty.size:
        raise ValueError(
            f"output maps {empty.tolist()} read no input map; every column of the table "
            "needs a True"
        )
    return t


def connections(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(f, c)`` index arrays of the table's connections, output map by output map."""
    f, c = np.nonzero(check_table(table).T)
    return f, c


def table_conv_forward(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, table, stride=1, padding=0
) -> tuple[np.ndarray, tuple]:
    """:math:`Z_f = b_f + \\sum_{c: T_{c,f}} W_{f,c} \\star X_c`; returns ``(Z, cache)``.

    ``x`` ``(N, C, H, W)``, ``weight`` ``(connections, KH, KW)`` in the order of
    :func:`connections`,
    ``bias`` ``(F,)`` or None, ``table`` a bool ``(C, F)`` array.
    """
    x = as_float_array(x, "x (the input, shape (N, C, H, W))", ndim=4)
    if 0 in x.shape:
        raise ValueError(f"x must have no empty axis; got shape {x.shape}")
    weight = as_float_array(
        weight, "weight (one kernel per connection, shape (connections, KH, KW))", ndim=3
    )
    t = check_table(table, channels=x.shape[1])
    f, c = connections(t)
    if weight.shape[0] != len(f):
        raise ValueError(
            f"the table has {len(f)} connections, so weight needs {len(f)} kernels; "
            f"got {weight.shape[0]}"
        )
    full = np.zeros((t.shape[1], t.shape[0], *weight.shape[1:]), weight.dtype)
    full[f, c] = weight
    out, cache = conv2d_forward(x, full, bias, stride, padding)
    return out, (cache, f, c)


def table_conv_backward(dout: np.ndarray, cache: tuple, need_dx: bool = True):
    """``(dx, dweight, dbias)`` for :func:`table_conv_forward` (``dx`` None if not ``need_dx``)."""
    conv_cache, f, c = unpack_cache(
        cache,
        "table_conv_forward",
        {"conv cache": tuple, "f": np.ndarray, "c": np.ndarray},
    )
    if f.shape != c.shape or f.ndim != 1 or f.dtype.kind not in "iu":
        raise ValueError(
            "cache must be the (conv cache, f, c) tuple returned by table_conv_forward; got index "
            f"arrays of shapes {f.shape} and {c.shape}"
        )
    dx, dfull, db = conv2d_backward(dout, conv_cache, need_dx=need_dx)
    return dx, dfull[f, c], db
