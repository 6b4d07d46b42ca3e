"""Rounding: how far two correct floating-point computations of the same thing may differ.

Two implementations of one network (NumPy and torch, or one implementation in float32 and in
float64) add their sums in different orders, so their results differ by rounding. This module
measures the difference and derives, from the computation itself, how large it may be:

- :func:`relative_difference` is the one measure used everywhere, the relative difference of
  whole arrays in the maximum norm,

  .. math::
      \\rho(a, b) = \\frac{\\max_i |a_i - b_i|}{\\max_i |b_i|},
      \\qquad \\rho = 0 \\text{ if } a = b = 0,

  with the reference (torch's value, or the float64 value) as ``b``;
- :func:`float32_tolerance` bounds a float32 array by the reference's own float32 error on the
  same step and the typical error of the step's longest sum (:func:`longest_sum`, with
  :func:`before_batch_norm` naming the ill-conditioned gradients);
- :func:`adam_amplification` bounds how far Adam moves weights apart whose gradients differ by
  rounding;
- :func:`tf32_round` emulates TF32, the 10-bit mantissa with which GPUs' tensor cores multiply
  float32 matrices when allowed (cuDNN's convolutions by default).

:mod:`cnnmath.lockstep` holds NumPy and torch to these bounds step for step.
"""

from __future__ import annotations

import numpy as np

from .arguments import as_float_array, in_range, number, positive_int, positive_number
from .layers import BatchNorm
from .network import Sequential, check_network

__all__ = [
    "FLOAT32_MARGIN",
    "relative_difference",
    "longest_sum",
    "before_batch_norm",
    "float32_tolerance",
    "adam_amplification",
    "tf32_round",
]

#: How many times the reference's own float32 error NumPy's float32 result may differ from torch's
#: (see :func:`float32_tolerance`): 2 for the triangle inequality, 2 for rounding that falls
#: differently in two implementations.
FLOAT32_MARGIN = 4.0


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """:math:`\\max_i |a_i - b_i| / \\max_i |b_i|` (0 when both arrays are zero), in float64."""
    a = as_float_array(a, "a", finite=False).astype(np.float64, copy=False)
    b = as_float_array(b, "b", finite=False).astype(np.float64, copy=False)
    if a.shape != b.shape:
        raise ValueError(f"a and b: cannot compare arrays of shapes {a.shape} and {b.shape}")
    diff = float(np.max(np.abs(a - b))) if a.size else 0.0
    if diff == 0.0:
        return 0.0
    scale = float(np.max(np.abs(b)))
    return diff / scale if scale > 0 else float("inf")


def longest_sum(net: Sequential, batch_size: int) -> int:
    """The most terms any one number of a training step adds up: a fan-in, or a weight gradient's
    sum over the batch and the output positions (``batch_size * OH * OW`` for a convolution)."""
    longest = positive_int(batch_size, "batch_size")
    for layer in check_network(net).layers:
        shapes = layer.param_shapes()
        if "weight" in shapes:
            fan_in = int(np.prod(shapes["weight"][1:]))
            positions = int(np.prod(layer.out_shape[1:])) if len(layer.out_shape) > 1 else 1
            longest = max(longest, fan_in, batch_size * positions)
    return longest


def before_batch_norm(net: Sequential) -> list[str]:
    """The parameters whose gradient passes back through a batch normalization (their layer comes
    before the network's last :class:`cnnmath.layers.BatchNorm`)."""
    last = max(
        (i for i, layer in enumerate(check_network(net).layers) if isinstance(layer, BatchNorm)),
        default=0,  # no batch normalization: no such parameter
    )
    return [f"{layer.name}.{k}" for layer in net.layers[:last] for k in layer.param_shapes()]


def float32_tolerance(own: float, terms: int) -> float:
    """:math:`m\\,(\\rho(t_{32}, t_{64}) + \\sqrt{K}\\,u_{32})`: how far NumPy's float32 array may
    be from torch's, given torch's own float32 error on the same step.

    Derived from the computation, not typed in: from a common state, torch's float32 result
    against its own float64 result, :math:`\\rho(t_{32}, t_{64})` (``own``), is what float32
    rounding does to this array in this step, so it carries the unit roundoff
    :math:`u_{32} = 2^{-24}`, the length of the sums and the condition of the step (a gradient
    through batch normalization, a difference of nearly equal terms, keeps few digits; a dense
    layer's keeps nearly all). By the triangle inequality :math:`\\rho(n_{32}, t_{32}) \\lesssim
    \\rho(n_{32}, n_{64}) + \\rho(n_{64}, t_{64}) + \\rho(t_{64}, t_{32})`, and NumPy's own error
    is of the size of torch's: :data:`FLOAT32_MARGIN` :math:`m = 4` allows twice the sum. The
    floor :math:`\\sqrt{K}\\,u_{32}`, with :math:`K` the longest sum of the step
    (:func:`longest_sum`), is the typical rounding error of such a sum, for an array whose
    float32 and float64 results happen to agree. An array that is zero in float64 and not in
    float32 (:math:`\\rho = \\infty`) is compared on the scale of its difference: ``own`` = 1.

    The loss and the gradients are held to torch's own error alone, so a float32-only mistake in
    NumPy's gradients cannot widen its own tolerance: LeNet-5's Dense gradients 1% off fail
    by a factor of about 250. Two kinds of array are held to the larger of the two
    implementations' own errors instead. The gradients that pass back through batch
    normalization (:func:`before_batch_norm`): its backward
    :math:`m\\,\\delta - \\sum\\delta - \\hat x \\sum \\delta \\hat x` is a difference
    of nearly equal terms, and how many digits survive depends on how each implementation adds
    its sums (NumPy's float32 conv4 gradient in the thesis CNN is about 1e-3 off its float64 value,
    torch's 1e-6). And the parameters and buffers after the step: Adam divides by
    :math:`\\sqrt{\\hat v}`, so a weight whose gradient is rounding noise moves by about
    :math:`\\pm` the learning rate at random in either implementation, and which one's noise
    happens to agree with its float64 run is chance. (A gradient scaled by 1.01 leaves Adam's step
    nearly unchanged anyway; the gradients are where it shows.)
    """
    own = number(own, "own") if not (isinstance(own, float) and own == np.inf) else 1.0
    if own < 0:
        raise ValueError(f"own (a relative difference) must be >= 0; got {own}")
    terms = positive_int(terms, "terms")
    return FLOAT32_MARGIN * (own + float(np.sqrt(terms)) * 2.0**-24)


def adam_amplification(
    dgrad: float, lr: float, eps: float = 1e-8, beta1: float = 0.9, beta2: float = 0.999
) -> float:
    """:math:`\\eta\\,(C_{\\beta_1} + \\sqrt{1-\\beta_2})\\,|\\Delta g|/\\epsilon`: the most
    that Adam can move a weight apart, over all later steps, when two implementations' gradients
    of it differ by :math:`|\\Delta g|` (``dgrad``) at one step.

    Adam's step :math:`\\eta\\,\\hat m/(\\sqrt{\\hat v}+\\epsilon)` divides by the gradient's own
    size, so near :math:`|g| \\approx \\epsilon` it is steep: at the first step
    :math:`\\hat m = g`, :math:`\\hat v = g^2`, and :math:`\\eta g/(|g|+\\epsilon)` has slope
    :math:`\\eta\\epsilon/(|g|+\\epsilon)^2 \\le \\eta/\\epsilon`. A gradient of step :math:`s`
    stays in every later :math:`\\hat m_t` with weight
    :math:`\\beta_1^{t-s}(1-\\beta_1)/(1-\\beta_1^t)`, and these weights add up to at most
    :math:`C_{\\beta_1} = \\sum_{t \\ge 1} \\beta_1^{t-1}(1-\\beta_1)/(1-\\beta_1^t)` (3.01 for
    :math:`\\beta_1 = 0.9`); through :math:`\\hat v` the square root moves by at most
    :math:`\\sqrt{1-\\beta_2}\\,|\\Delta g|` with :math:`|\\hat m| \\le \\sqrt{\\hat v}` bounding
    the rest. A weight whose gradient is rounding noise (a ReLU channel dead in the batch: NumPy's
    sum is 0, torch's 3e-16) thus moves about :math:`10^{-7}\\,\\eta` apart, a billion times
    float64's rounding of the weight, while both implementations are right. An error in the
    optimizer (a wrong bias correction moves weights by about :math:`\\eta`) stays far above the
    bound, and an error in the gradients fails the gradients' own tolerance.
    """
    dgrad = number(dgrad, "dgrad")
    if dgrad < 0:
        raise ValueError(f"dgrad (a largest absolute difference) must be >= 0; got {dgrad}")
    lr = positive_number(lr, "lr (the learning rate)")
    eps = positive_number(eps, "eps (Adam's epsilon)")
    beta1 = in_range(beta1, "beta1", 0.0, 1.0, high_open=True)
    beta2 = in_range(beta2, "beta2", 0.0, 1.0, high_open=True)
    t = np.arange(1, 2001)
    c_beta1 = float(np.sum(beta1 ** (t - 1) * (1 - beta1) / (1 - beta1**t)))
    return lr * (c_beta1 + float(np.sqrt(1.0 - beta2))) / eps * dgrad


def tf32_round(a: np.ndarray) -> np.ndarray:
    """Round float32 values to TF32 (8 exponent bits, 10 mantissa bits), as tensor cores do.

    NVIDIA GPUs since Ampere multiply float32 matrices in TF32 when allowed (cuDNN convolutions by
    default): the inputs keep 10 of their 23 mantissa bits (round to nearest), the products are
    accumulated in float32. This emulates the input rounding on the CPU.
    """
    a = as_float_array(a, "a", finite=False)
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)
    rounded = (bits + np.uint32(0x1000)) & np.uint32(0xFFFFE000)  # keep the top 10 mantissa bits
    return rounded.view(np.float32)
