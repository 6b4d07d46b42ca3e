"""Ledger: thesis §3-3.2.2 and §3.4 (eq. 59), paper §2.2-2.4.2 (eq. 6-9, 13, 16, 20-27), guide §3, slides, blog;
chapter "Convolution"."""
from __future__ import annotations

import numpy as np

from ..activations import relu_forward, softmax
from ..conv import conv2d_forward, flip, output_size
from ..ledger import Finding, claim
from ..pool import maxpool_forward

CHAPTER = "convolution"


def _conv(image, kernel, bias=0.0, padding=0):
    x = np.asarray(image, dtype=float)[None, None]
    w = np.asarray(kernel, dtype=float)[None, None]
    return conv2d_forward(x, w, np.array([float(bias)]), padding=padding)[0][0, 0]


def _brute_positions(n: int, k: int, s: int, p: int) -> int:
    return sum(1 for start in range(0, n + 2 * p, s) if start + k <= n + 2 * p)


GRID = [(n, k, s, p) for n in range(1, 13) for k in range(1, 6) for s in range(1, 4) for p in range(0, 3) if k <= n + 2 * p]


@claim("thesis-3-connection-counts", document="thesis", where="§3 (introduction)",
       stated="3072 × 4704 = 14,450,688 connections; (5×5×3)×(28×28×6) = 352,800; with shared weights (5×5×3)×6 = 450",
       verdict="holds", correct="as stated (the 450 shared weights exclude the 6 biases)", chapter=CHAPTER)
def _counts() -> Finding:
    fc, local, shared = 32 * 32 * 3 * (6 * 28 * 28), (5 * 5 * 3) * (28 * 28 * 6), (5 * 5 * 3) * 6
    ok = (fc, local, shared) == (14_450_688, 352_800, 450) and output_size(32, 5) == 28
    return Finding(ok, ok, f"computed {fc:,}, {local:,} ({100 * local / fc:.1f}% of it), {shared}")


@claim("thesis-3.2-output-size", document="thesis", where="§3.2.1-3.2.2 (output sizes)",
       stated="h^(l) = (h^(l-1) + 2p - f)/s (pooling: (h - f)/s), with the prose: 'round down ... and then we add one'",
       verdict="inconsistent",
       correct="h^(l) = floor((h^(l-1) + 2p - f)/s) + 1, as the prose says; the displayed formula lacks the floor and the +1",
       chapter=CHAPTER)
def _thesis_size() -> Finding:
    displayed = all((n + 2 * p - k) / s == _brute_positions(n, k, s, p) for n, k, s, p in GRID)
    prose = all((n + 2 * p - k) // s + 1 == _brute_positions(n, k, s, p) == output_size(n, k, s, p) for n, k, s, p in GRID)
    return Finding(displayed, prose, f"brute-force counts over {len(GRID)} (n, f, s, p): the prose's rule matches all")


@claim("thesis-3.2.1-conv-params", document="thesis", where="§3.2.1",
       stated="a convolutional layer has n_t (f·f·c + 1) parameters", verdict="holds", correct="as stated",
       chapter=CHAPTER)
def _conv_params() -> Finding:
    w = np.zeros((6, 3, 5, 5))
    ok = w.size + 6 == 6 * (5 * 5 * 3 + 1)
    return Finding(ok, ok, "6 filters of 5x5x3: 456 = 6 (75 + 1)")


@claim("thesis-eq59-cross-correlation", document="thesis", where="§3.4 eq. 59",
       stated="z_(m,n) = (X * F)_(m,n) = Σ_i Σ_j Σ_c X_(m+i-1, n+j-1, c) F_(i,j,c), called convolution",
       verdict="convention",
       correct="eq. 59 is a cross-correlation (the kernel is not flipped), which deep learning calls convolution; the "
               "mathematical convolution flips the kernel", chapter=CHAPTER)
def _eq59() -> Finding:
    rng = np.random.default_rng(0)
    X, Fk = rng.normal(size=(6, 6)), rng.normal(size=(3, 3))
    eq59 = np.array([[sum(X[m + i, n + j] * Fk[i, j] for i in range(3) for j in range(3)) for n in range(4)] for m in range(4)])
    ours = _conv(X, Fk)
    true_conv = _conv(X, flip(Fk))
    return Finding(bool(np.allclose(eq59, ours)), not np.allclose(eq59, true_conv),
                   "eq. 59 equals cnnmath.conv (and torch); the flipped kernel gives a different map")


@claim("paper-eq7-output-size", document="paper", where="§2.2.2 eq. 7",
       stated="η_x^(l) = η_x^(l-1) - k_x^(l) + 1, with η and k the sizes 'minus one'", verdict="inconsistent",
       correct="with sizes n and kernel size f: n^(l) = n^(l-1) - f + 1; in the paper's 'minus one' notation "
               "η^(l) = η^(l-1) - k^(l); eq. 7 holds only if k is the kernel size itself", chapter=CHAPTER)
def _paper7() -> Finding:
    cases = [(n, f) for n in range(3, 12) for f in range(1, n + 1)]
    minus_one = all((n - 1) - (f - 1) + 1 == output_size(n, f) - 1 for n, f in cases)
    plain_k = all((n - 1) - f + 1 == output_size(n, f) - 1 for n, f in cases)
    return Finding(minus_one, plain_k, "with k = f - 1 eq. 7 gives one more row than exists; with k = f it is right")


@claim("paper-eq8-index", document="paper", where="§2.2.2 eq. 8 (and eq. 10-11)",
       stated="a^(l-1)(x + x', x + y')", verdict="wrong",
       correct="a^(l-1)(x + x', y + y'): the column index must use y", chapter=CHAPTER)
def _paper8() -> Finding:
    rng = np.random.default_rng(1)
    A, K = rng.normal(size=(5, 6)), rng.normal(size=(2, 2))
    rows, cols = 4, 5
    printed = np.array([[sum(K[u, v] * A[x + u, x + v] for u in range(2) for v in range(2)) for y in range(cols)] for x in range(rows)])
    fixed = np.array([[sum(K[u, v] * A[x + u, y + v] for u in range(2) for v in range(2)) for y in range(cols)] for x in range(rows)])
    ref = _conv(A, K)
    return Finding(bool(np.allclose(printed, ref)), bool(np.allclose(fixed, ref)),
                   "as printed, every column of the feature map would be the same; with y + y' it equals the convolution")


@claim("paper-eq13-hadamard", document="paper", where="§2.2 eq. 13",
       stated="the Hadamard product Hp(A, B) = Σ_j Σ_i a_(i,j) b_(i,j)", verdict="wrong",
       correct="the Hadamard product is the matrix (a_(i,j) b_(i,j)); the sum of its entries is the Frobenius inner "
               "product <A, B> = trace(A^T B), which is what a convolution window computes", chapter=CHAPTER)
def _hadamard() -> Finding:
    rng = np.random.default_rng(2)
    A, B = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    hadamard = A * B
    stated = np.ndim(hadamard) == 0
    correct = bool(np.isclose(hadamard.sum(), np.trace(A.T @ B)) and np.isclose(hadamard.sum(), _conv(A, B)[0, 0]))
    return Finding(stated, correct, "A ∘ B is a 3x3 matrix; its sum equals trace(A^T B) and the 3x3 convolution of A with B")


@claim("paper-eq20-bias", document="paper", where="§2.4 eq. 20-22",
       stated="F*(x, y) = Σ_y Σ_x (K(x, y) M(x + x, y + y) + b)", verdict="wrong",
       correct="the bias is added once per output, outside the sums (as eq. 22 has it); inside, it is added "
               "once per kernel entry", chapter=CHAPTER)
def _bias() -> Finding:
    rng = np.random.default_rng(3)
    M, K, b = rng.normal(size=(4, 4)), rng.normal(size=(3, 3)), 0.7
    inside = sum(K[u, v] * M[u, v] + b for u in range(3) for v in range(3))
    outside = sum(K[u, v] * M[u, v] for u in range(3) for v in range(3)) + b
    ref = _conv(M, K, b)[0, 0]
    return Finding(bool(np.isclose(inside, ref)), bool(np.isclose(outside, ref)),
                   f"bias inside the sums adds 9b = {9 * b:.1f} instead of b")


@claim("paper-eq27-commutative", document="paper", where="§2.4.2 eq. 23-27",
       stated="convolution (with the kernel flipped) is commutative; the cross-correlation of eq. 16 is not",
       verdict="holds", correct="as stated, for arrays extended by zeros", chapter=CHAPTER)
def _commutative() -> Finding:
    rng = np.random.default_rng(4)
    k, m = rng.normal(size=(3, 3)), rng.normal(size=(4, 4))

    def full(p, q):  # s(x, y) = Σ p(x', y') q(x - x', y - y'), every x, y where it is non-zero
        out = np.zeros((p.shape[0] + q.shape[0] - 1, p.shape[1] + q.shape[1] - 1))
        for i in range(p.shape[0]):
            for j in range(p.shape[1]):
                out[i:i + q.shape[0], j:j + q.shape[1]] += p[i, j] * q
        return out

    conv_ok = bool(np.allclose(full(k, m), full(m, k)))
    corr_km = _conv(np.pad(m, 2), k)
    corr_mk = _conv(np.pad(k, 3), m)
    return Finding(conv_ok and not np.allclose(corr_km, corr_mk), conv_ok,
                   "full convolution k*m = m*k; the cross-correlations of k with m and m with k differ (by a flip)")


@claim("guide-3x3-2x2-example", document="guide", where="§3.1, Z_1",
       stated="Z_1 = (1×1 + 0×2 + 0×0 + 1×7) + 1 = 9", verdict="holds",
       correct="as stated: kernel [[1, 0], [0, 1]], patch [[1, 2], [0, 7]], bias 1", chapter=CHAPTER)
def _guide() -> Finding:
    z1 = _conv([[1, 2], [0, 7]], [[1, 0], [0, 1]], bias=1)[0, 0]
    return Finding(z1 == 9, z1 == 9, f"cnnmath.conv gives {z1:g}")


@claim("guide-n-pixels", document="guide", where="§3.1, Z_i = Σ_{i=1}^n X_i w_i + b",
       stated="n refers to the number of pixels in the image", verdict="wrong",
       correct="n is the number of kernel weights (pixels of one patch): 4 for a 2x2 kernel, not the image's 9",
       chapter=CHAPTER)
def _guide_n() -> Finding:
    image = np.arange(9.0).reshape(3, 3)
    kernel = np.array([[1.0, 0.0], [0.0, 1.0]])
    per_output_terms = kernel.size
    return Finding(per_output_terms == image.size, per_output_terms == 4,
                   f"each output sums {per_output_terms} products; the image has {image.size} pixels")


SLIDES_IMG1 = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
SLIDES_K1 = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
SLIDES_IMG2 = [[1, 1, 1, 1, 0], [0, 0, 1, 1, 0], [0, 0, 1, 0, 1], [0, 0, 1, 1, 1], [1, 1, 0, 1, 0]]
SLIDES_K2 = [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
EDGE_IMAGE = [[10, 10, 10, 0, 0, 0]] * 6
VERTICAL_EDGE = [[1, 0, -1]] * 3  # the slide's filter is only in its figure; this one reproduces its map
VALID_IMAGE = [[7, 2, 3, 3, 8], [4, 5, 3, 8, 4], [3, 3, 2, 8, 4], [2, 8, 7, 2, 7], [5, 4, 4, 5, 4]]
SAME_IMAGE = [[60, 113, 56, 139, 85], [73, 121, 54, 84, 128], [131, 99, 70, 129, 127], [80, 57, 115, 69, 134],
              [104, 126, 123, 95, 130]]
SHARPEN = [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]
EXERCISE_IMAGE = [[0, 5, 5, 5, 5, 0], [0, 5, 5, 5, 5, 0]] + [[0, 5, 0, 5, 5, 0]] * 4
EXERCISE_W = np.array([[0.8, -0.2, 0.1, -0.2], [0.2, -0.6, 0.5, -0.3], [0.5, 0.3, -0.8, 0.9]])
EXERCISE_B = np.array([0.1, -0.3, 0.6])


@claim("slides-2d-example-1", document="slides", where="'2D filter convolution', first example",
       stated="5x5 image with kernel [[1,0,1],[0,1,0],[1,0,1]]: first convolved value 4", verdict="holds",
       correct="as stated; the whole feature map is [[4, 3, 4], [2, 4, 3], [2, 3, 4]]", chapter=CHAPTER)
def _ex1() -> Finding:
    z = _conv(SLIDES_IMG1, SLIDES_K1)
    return Finding(z[0, 0] == 4, np.array_equal(z, [[4, 3, 4], [2, 4, 3], [2, 3, 4]]), f"computed {z.astype(int).tolist()}")


@claim("slides-2d-example-2", document="slides", where="'2D filter convolution', second example",
       stated="5x5 image with kernel [[0,1,0],[1,0,1],[0,1,0]]: [[2, 3, 2], [1, 2, 3], [3, 2, 4]]", verdict="wrong",
       correct="the image and kernel as given produce [[2, 3, 2], [1, 2, 4], [2, 2, 3]]; no transposition or "
               "reflection of the image produces the printed map", chapter=CHAPTER)
def _ex2() -> Finding:
    printed = np.array([[2, 3, 2], [1, 2, 3], [3, 2, 4]])
    z = _conv(SLIDES_IMG2, SLIDES_K2)
    image = np.array(SLIDES_IMG2)
    readings = (image, image.T, image[::-1], image[:, ::-1], image[::-1, ::-1])
    stated = any(np.array_equal(_conv(r, SLIDES_K2), printed) for r in readings)
    differ = [tuple(int(v) for v in ij) for ij in np.argwhere(z != printed)]
    return Finding(stated, bool(np.array_equal(z, [[2, 3, 2], [1, 2, 4], [2, 2, 3]])),
                   f"computed {z.astype(int).tolist()}; entries {differ} differ from the slide")


@claim("slides-edge-detector", document="slides", where="'The role of filters: feature detection'",
       stated="6x6 image with a vertical boundary gives [[0, 30, 30, 0]] in every row; the filter rotated by 90 degrees "
              "gives all zeros", verdict="holds",
       correct="as stated, for the vertical edge filter [[1, 0, -1]] x 3 (the filter itself is only in the figure)",
       chapter=CHAPTER)
def _edge() -> Finding:
    z = _conv(EDGE_IMAGE, VERTICAL_EDGE)
    z90 = _conv(EDGE_IMAGE, np.rot90(VERTICAL_EDGE))
    ok = bool(np.array_equal(z, [[0, 30, 30, 0]] * 4) and np.all(z90 == 0))
    return Finding(ok, ok, f"first row {z[0].astype(int).tolist()}; rotated filter: max |z| = {np.abs(z90).max():g}")


@claim("slides-valid-padding-example", document="slides", where="'Valid padding example'",
       stated="5x5 image * [[1,0,-1]] x 3 without padding: first value 6, output 3x3", verdict="holds",
       correct="as stated", chapter=CHAPTER)
def _valid() -> Finding:
    z = _conv(VALID_IMAGE, VERTICAL_EDGE)
    ok = z.shape == (3, 3) and z[0, 0] == 6
    return Finding(ok, ok, f"computed map {z.astype(int).tolist()}")


@claim("slides-same-padding-example", document="slides", where="'Same padding example'",
       stated="5x5 image, sharpen kernel, padding 1: first value 114, output 5x5", verdict="holds",
       correct="as stated", chapter=CHAPTER)
def _same() -> Finding:
    z = _conv(SAME_IMAGE, SHARPEN, padding=1)
    ok = z.shape == (5, 5) and z[0, 0] == 114
    return Finding(ok, ok, f"computed first row {z[0].astype(int).tolist()}")


@claim("slides-output-size-floor", document="slides", where="'Convolution: hyperparameters'",
       stated="H_out = floor((H - K + 2P)/S + 1)", verdict="holds", correct="as stated", chapter=CHAPTER)
def _floor() -> Finding:
    ok = all(int(np.floor((n - k + 2 * p) / s + 1)) == _brute_positions(n, k, s, p) for n, k, s, p in GRID)
    return Finding(ok, ok, f"equals the brute-force count for all {len(GRID)} cases")


@claim("slides-output-size-ceil", document="slides", where="'Stride (S): controlling output size'",
       stated="H_out = ceil((H - K + 2P)/S + 1)", verdict="inconsistent",
       correct="floor, as the slides' other two statements of the rule: with ceil a window hanging over the edge is "
               "counted (e.g. H = 6, K = 3, S = 2 gives 3 instead of 2)", chapter=CHAPTER)
def _ceil() -> Finding:
    bad = [(n, k, s, p) for n, k, s, p in GRID if int(np.ceil((n - k + 2 * p) / s + 1)) != _brute_positions(n, k, s, p)]
    return Finding(not bad, _brute_positions(6, 3, 2, 0) == 2, f"ceil is wrong in {len(bad)} of {len(GRID)} cases")


@claim("slides-224-to-222", document="slides", where="'Convolutional layers'",
       stated="a 224x224x3 image and one 3x3x3 filter give a 222x222x1 feature map", verdict="holds", correct="as stated",
       chapter=CHAPTER)
def _222() -> Finding:
    ok = output_size(224, 3) == 222
    return Finding(ok, ok, f"output size {output_size(224, 3)}")


@claim("slides-cnn-exercise", document="slides", where="'CNN exercise' (a)-(c)",
       stated="25 parameters; feature map ReLU([[-15,-5,-10,10],...]) pooled to [[0,10],[0,10]]; logits [-3.9,-9.3,12.6]; "
              "class 3", verdict="holds", correct="as stated", chapter=CHAPTER)
def _exercise() -> Finding:
    z = _conv(EXERCISE_IMAGE, VERTICAL_EDGE, bias=-5)
    printed = [[-15, -5, -10, 10], [-10, -5, -15, 10], [-5, -5, -20, 10], [-5, -5, -20, 10]]
    a, _ = relu_forward(z)
    pooled, _ = maxpool_forward(a[None, None], 2)
    logits = EXERCISE_W @ pooled.ravel() + EXERCISE_B
    probs = softmax(logits)
    n_params = (3 * 3 + 1) + (4 + 1) * 3
    ok = (n_params == 25 and np.array_equal(z, printed) and np.array_equal(pooled[0, 0], [[0, 10], [0, 10]])
          and np.allclose(logits, [-3.9, -9.3, 12.6]) and int(probs.argmax()) + 1 == 3)
    return Finding(ok, ok, f"parameters {n_params}; logits {np.round(logits, 1).tolist()}; predicted class {int(probs.argmax()) + 1}")


@claim("slides-lenet-cifar-params", document="slides", where="simplified LeNet-5 (28x28) and the CIFAR-10 CNN",
       stated="LeNet-5: 2572 + 41,854 = 44,426; CIFAR-10 CNN: 19,392 + 525,706 = 545,098", verdict="holds",
       correct="as stated (the LeNet slide's '44,426K' means 44,426)", chapter=CHAPTER)
def _params() -> Finding:
    def conv_p(c, f, k):
        return (c * k * k + 1) * f

    lenet_conv = conv_p(1, 6, 5) + conv_p(6, 16, 5)
    side = output_size(output_size(output_size(output_size(28, 5), 2, 2), 5), 2, 2)  # 28 -> 24 -> 12 -> 8 -> 4
    lenet_fc = (16 * side * side + 1) * 120 + 121 * 84 + 85 * 10
    cifar_conv = conv_p(3, 32, 3) + conv_p(32, 64, 3)
    cifar_fc = (64 * 8 * 8 + 1) * 128 + 129 * 10
    ok = (lenet_conv, lenet_fc, cifar_conv, cifar_fc) == (2572, 41854, 19392, 525706)
    return Finding(ok, ok, f"LeNet {lenet_conv:,} + {lenet_fc:,} = {lenet_conv + lenet_fc:,}; "
                           f"CIFAR {cifar_conv:,} + {cifar_fc:,} = {cifar_conv + cifar_fc:,}")


@claim("blog-output-size-example", document="blog", where="convolutional layer, output size example",
       stated="padding 1, stride 1, a 28x28x3 image and a 5x5x3 kernel give an output of size 24", verdict="wrong",
       correct="(28 + 2 - 5)/1 + 1 = 26; 24 is the size without padding", chapter=CHAPTER)
def _blog_size() -> Finding:
    return Finding(output_size(28, 5, 1, 1) == 24, output_size(28, 5, 1, 1) == 26 and output_size(28, 5) == 24,
                   f"padding 1: {output_size(28, 5, 1, 1)}; padding 0: {output_size(28, 5)}")


@claim("blog-flip", document="blog", where="convolutional layer, the formula for C(x, y)",
       stated="'convolution is similar to the cross-correlation but the kernel will be flipped', with the formula "
              "Σ K_(m,n,c) I_(i+m, j+n, c) + b", verdict="inconsistent",
       correct="the formula (indices i + m, j + n) is the cross-correlation, with no flip, which is what CNNs compute; "
               "the bias belongs outside the sums", chapter=CHAPTER)
def _blog_flip() -> Finding:
    rng = np.random.default_rng(5)
    I, K = rng.normal(size=(5, 5)), rng.normal(size=(3, 3))
    formula = np.array([[sum(K[m, n] * I[i + m, j + n] for m in range(3) for n in range(3)) for j in range(3)] for i in range(3)])
    flipped = _conv(I, flip(K))
    return Finding(bool(np.allclose(formula, flipped)), bool(np.allclose(formula, _conv(I, K))),
                   "the blog's formula equals the unflipped cross-correlation, not the flipped one")
