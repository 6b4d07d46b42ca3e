"""Ledger: the guide §6 (convolutional autoencoder); chapter "A convolutional autoencoder"."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from ..conv import conv2d_forward_naive
from ..conv_transpose import conv_transpose2d_forward_naive, output_size
from ..losses import mse_forward
from .record import Finding, by_reference, claim

CHAPTER = "autoencoder"


def add_noise(images: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """Images in [0, 1] plus Gaussian noise of standard deviation ``sigma``, clipped to [0, 1]."""
    rng = np.random.default_rng(seed)
    noisy = images + sigma * rng.standard_normal(images.shape)
    return np.clip(noisy, 0.0, 1.0).astype(images.dtype)


@claim(
    "guide-cae-transposed-decoder",
    document="guide",
    where="§6, encoder and decoder",
    stated="the decoder reconstructs the image from the latent representation with transposed "
    "convolutional layers, expanding the features back to their original size",
    verdict="holds",
    correct="as stated: a transposed convolution with kernel 3, stride 2, padding 1 and output "
    "padding 1 doubles each side (7 -> 14 -> 28), and it is the adjoint of a strided "
    "convolution with the same weights: <conv(Y), X> = <Y, conv^T(X)>",
    chapter=CHAPTER,
)
def _transposed_decoder() -> Finding:
    from ..zoo import autoencoder

    doubles = all(output_size(n, 3, 2, 1, 1) == 2 * n for n in range(1, 65))
    X = np.array(sp.symbols("x0:18", real=True), dtype=object).reshape(1, 2, 3, 3)
    W = np.array(sp.symbols("w0:18", real=True), dtype=object).reshape(2, 1, 3, 3)
    Z, _ = conv_transpose2d_forward_naive(X, W, None, 2, 1, 1)
    Y = np.array(sp.symbols(f"y0:{Z.size}", real=True), dtype=object).reshape(Z.shape)
    C, _ = conv2d_forward_naive(Y, W, None, 2, 1)
    adjoint = sp.expand(sum(C.ravel() * X.ravel()) - sum(Y.ravel() * Z.ravel())) == 0
    net = autoencoder(32)
    code = net.layer("code").out_shape[0]
    restores = net.output_shape == net.input_shape and code < int(np.prod(net.input_shape))
    ok = doubles and adjoint and restores
    return Finding(
        ok,
        ok,
        f"sides 1..64 doubled; SymPy: 3x3 -> {Z.shape[2]}x{Z.shape[3]} is the "
        f"adjoint of the stride-2 convolution; the book's autoencoder maps "
        f"{net.input_shape} through a code of {code} numbers back to "
        f"{net.output_shape}",
    )


@claim(
    "guide-cae-mse-pixel-scale",
    document="guide",
    where="§6, MSE",
    stated="MSE = (1/N) Σ (y_i - ŷ_i)^2, N the number of pixels in the image, y_i the true "
    "pixel value (e.g., 0-255)",
    verdict="convention",
    correct="the value depends on the pixel scale: on values 0-255 the MSE is 255^2 = 65,025 "
    "times the MSE of the same images scaled to [0, 1], the scale the book trains on "
    "(its sigmoid output cannot reach 255); the mean over a batch of the images' MSEs "
    "is the mean over all the batch's pixels",
    chapter=CHAPTER,
)
def _mse_scale() -> Finding:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 256, size=(5, 1, 28, 28)).astype(np.float64)
    y_hat = np.clip(y + rng.normal(0, 20, size=y.shape), 0, 255)
    per_image = [np.sum((a - b) ** 2) / a.size for a, b in zip(y, y_hat)]  # the guide's formula
    batch_255 = mse_forward(y_hat, y)[0]
    batch_01 = mse_forward(y_hat / 255, y / 255)[0]
    stated = bool(np.isclose(np.mean(per_image), batch_255, rtol=1e-12))
    ratio = batch_255 / batch_01
    correct = stated and bool(np.isclose(ratio, 255**2, rtol=1e-12))
    return Finding(
        stated,
        correct,
        f"5 images: MSE {batch_255:.1f} on 0-255, {batch_01:.5f} on [0, 1], ratio {ratio:,.1f}",
    )


@lru_cache(maxsize=1)
def digits_denoising(sigma: float = 0.4, epochs: int = 15) -> dict[str, float]:
    """Train the book's autoencoder (8x8 input, code 16) on noisy sklearn digits to reproduce the
    clean digits; the mean squared errors on 297 held-out digits, clean vs noisy and clean vs
    denoised. About a second of CPU time."""
    from ..data import load_digits
    from ..optim import Optimizer
    from ..train import fit
    from ..zoo import autoencoder

    digits = load_digits()
    x = (digits.x.reshape(-1, 1, 8, 8) / 16.0).astype(np.float32)
    order = np.random.default_rng(0).permutation(len(x))
    train, test = x[order[:1500]], x[order[1500:]]
    net = autoencoder(16, input_shape=(1, 8, 8))
    state = net.init(seed=0)
    fit(
        net,
        state,
        Optimizer("adam", 3e-3),
        add_noise(train, sigma, 1),
        train,
        epochs=epochs,
        batch_size=50,
        seed=0,
        progress=False,
    )
    noisy = add_noise(test, sigma, 2)
    denoised = net.predict_output(state, noisy)
    return {
        "noisy": float(np.mean((noisy - test) ** 2)),
        "denoised": float(np.mean((denoised - test) ** 2)),
        "n_test": len(test),
    }


@claim(
    "guide-cae-denoising",
    document="guide",
    where="§6",
    stated="a convolutional autoencoder serves noise reduction (denoising)",
    verdict="holds",
    correct="as stated, when it is trained for it: trained to map noisy images to the clean "
    "ones, its outputs for noisy test images are closer to the clean images than the "
    "noisy images are",
    chapter=CHAPTER,
)
def _denoising() -> Finding:
    r = digits_denoising()
    ok = r["denoised"] < r["noisy"]
    return Finding(
        ok,
        ok,
        f"sklearn digits, Gaussian noise sigma 0.4, {r['n_test']} test digits: "
        f"MSE noisy {r['noisy']:.4f}, denoised {r['denoised']:.4f}",
    )


@claim(
    "guide-6-figure-11",
    document="guide",
    where="§6 (Figure 14)",
    stated="'As shown in Figure 11, the encoder compresses the image into a smaller dimension'",
    verdict="editorial",
    correct="'As shown in Figure 14': the guide's Figure 14 is the architecture of the "
    "convolutional autoencoder, printed just above the sentence; its Figure 11 is the "
    "average-pooling example of §3.1",
    reference="the guide itself: the captions of its Figures 11 and 14",
    chapter=CHAPTER,
)
def _figure_11() -> Finding:
    return by_reference(
        False,
        "Figure 11: 'Average-pooling a 4x4 feature map ...'; Figure 14: 'Architecture of "
        "convolutional autoencoder'",
    )
