"""How far two correct floating-point computations may differ (cnnmath.rounding)."""

import numpy as np
import pytest

from cnnmath import layers as L
from cnnmath import rounding, zoo
from cnnmath.network import Sequential


def test_relative_difference():
    b = np.array([1.0, -4.0, 2.0])
    assert rounding.relative_difference(b, b) == 0.0
    assert rounding.relative_difference(b + np.array([0, 0, 1e-3]), b) == pytest.approx(1e-3 / 4)
    assert rounding.relative_difference(np.zeros(3), np.zeros(3)) == 0.0
    assert rounding.relative_difference(np.array([1e-30]), np.zeros(1)) == float("inf")
    with pytest.raises(ValueError, match="shapes"):
        rounding.relative_difference(np.zeros(2), np.zeros(3))


def test_float32_tolerance_is_torchs_own_error_and_the_longest_sum():
    # each array's tolerance comes from torch's own float32 error, floored by sqrt(K) u32
    assert rounding.longest_sum(zoo.lenet5(), 32) == 32 * 28 * 28  # C1's weight gradient
    assert rounding.longest_sum(zoo.lenet5(), 1) == 28 * 28  # C1's positions, one image
    dense = Sequential([L.Flatten(), L.Dense(3, name="d")], (1, 20, 20))
    assert rounding.longest_sum(dense, 2) == 400  # the fan-in
    assert rounding.float32_tolerance(0.0, 32 * 28 * 28) == 4 * np.sqrt(25088) * 2.0**-24
    assert rounding.float32_tolerance(1e-5, 1) == rounding.FLOAT32_MARGIN * (1e-5 + 2.0**-24)
    assert rounding.float32_tolerance(float("inf"), 1) == 4 * (1 + 2.0**-24)
    with pytest.raises(ValueError, match="own"):
        rounding.float32_tolerance(-1e-3, 1)


def test_before_batch_norm_names_the_parameters_whose_gradient_passes_through_it():
    names = rounding.before_batch_norm(zoo.thesis_cnn())
    # conv1 to conv4 and the batch norms before bn4; not dense1 and dense2 after the last one
    assert names[0] == "conv1.weight" and "bn3.weight" in names and "conv4.bias" in names
    assert not any(n.startswith(("bn4", "dense")) for n in names)
    assert rounding.before_batch_norm(zoo.lenet5()) == []  # no batch normalization at all
    plain = Sequential([L.Flatten(), L.Dense(3, name="d")], (1, 2, 2))
    assert rounding.before_batch_norm(plain) == []


def test_adam_amplification_bounds_the_slope_of_adams_steps():
    # the slope of Adam's first step eta*g/(|g| + eps) is at most eta/eps, reached at g = 0
    eps, lr, dg = 1e-8, 1e-3, 1e-16
    first = lr * dg / (dg + eps)
    assert first <= rounding.adam_amplification(dg, lr, eps)
    assert rounding.adam_amplification(dg, lr, eps) == pytest.approx(
        lr * (3.0096 + np.sqrt(1e-3)) / eps * dg, rel=1e-4
    )
    with pytest.raises(ValueError, match="dgrad"):
        rounding.adam_amplification(-1.0, lr)


def test_tf32_round_keeps_ten_mantissa_bits():
    assert rounding.tf32_round(np.float32([1 + 2**-10]))[0] == 1 + 2**-10  # representable
    assert rounding.tf32_round(np.float32([1 + 2**-12]))[0] == 1.0  # below half a spacing
    assert rounding.tf32_round(np.float32([1 + 3 * 2**-12]))[0] == 1 + 2**-10  # above it
    v = np.random.default_rng(1).uniform(-100, 100, 10_000).astype(np.float32)
    rounded = rounding.tf32_round(v)
    assert rounded.dtype == np.float32
    assert np.max(np.abs(rounded - v) / np.abs(v)) <= 2.0**-11
    assert np.all(rounding.tf32_round(rounded) == rounded)  # rounding twice changes nothing
    grid = np.unique(rounding.tf32_round(np.linspace(1, 2, 100_001, dtype=np.float32)))
    assert np.sum(grid < 2) == 1024
