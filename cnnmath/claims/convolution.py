"""Ledger: thesis §3-3.2.2 and §3.4 (eq. 59), paper §1, §2.2-2.4.2 (eq. 6-9, 13-16, 20-27) and its
listings (§3.1-3.2), guide §2-3, the slides' convolution, padding, pooling and case-study slides,
the blog's layers; chapter "Convolution"."""

from __future__ import annotations

import numpy as np

from ..activations import relu_forward, softmax
from ..conv import conv2d_forward, flip, output_size
from ..pool import maxpool_forward
from .record import Finding, by_reference, claim

CHAPTER = "convolution"


def _conv(image, kernel, bias=0.0, padding=0):
    x = np.asarray(image, dtype=float)[None, None]
    w = np.asarray(kernel, dtype=float)[None, None]
    return conv2d_forward(x, w, np.array([float(bias)]), padding=padding)[0][0, 0]


def _brute_positions(n: int, k: int, s: int, p: int) -> int:
    return sum(1 for start in range(0, n + 2 * p, s) if start + k <= n + 2 * p)


GRID = [
    (n, k, s, p)
    for n in range(1, 13)
    for k in range(1, 6)
    for s in range(1, 4)
    for p in range(0, 3)
    if k <= n + 2 * p
]


@claim(
    "thesis-3-connection-counts",
    document="thesis",
    where="§3 (introduction)",
    stated="3072 × 4704 = 14,450,688 connections; (5×5×3)×(28×28×6) = 352,800, 'less than "
    "3%' of them; "
    "with shared weights (5×5×3)×6 = 450",
    verdict="holds",
    correct="as stated (the 450 shared weights exclude the 6 biases)",
    chapter=CHAPTER,
)
def _counts() -> Finding:
    fc, local, shared = 32 * 32 * 3 * (6 * 28 * 28), (5 * 5 * 3) * (28 * 28 * 6), (5 * 5 * 3) * 6
    ok = (
        (fc, local, shared) == (14_450_688, 352_800, 450)
        and output_size(32, 5) == 28
        and local / fc < 0.03
    )
    return Finding(ok, ok, f"computed {fc:,}, {local:,} ({100 * local / fc:.1f}% of it), {shared}")


@claim(
    "thesis-3.2-output-size",
    document="thesis",
    where="§3.2.1-3.2.2 (output sizes)",
    stated="$h^{(l)} = \\lfloor (h^{(l-1)} + 2p^{(l)} - f^{(l)})/s^{(l)} \\rfloor + 1$ (pooling: "
    "$\\lfloor (h^{(l-1)} - f^{(l)})/s^{(l)} \\rfloor + 1$), and the prose: 'round down ... "
    "and then "
    "we add one'",
    verdict="holds",
    correct="as stated: the formula and the prose agree, and both count the window positions",
    doubt="the extracted text shows the floor brackets as '⌊︂ ... ⌋︂', glyphs that are easy "
    "to miss; an "
    "earlier version of this ledger misread the formula as lacking the floor and the +1",
    chapter=CHAPTER,
)
def _thesis_size() -> Finding:
    formula = all(
        (n + 2 * p - k) // s + 1 == _brute_positions(n, k, s, p) == output_size(n, k, s, p)
        for n, k, s, p in GRID
    )
    without_floor = sum(
        (n + 2 * p - k) / s + 1 != _brute_positions(n, k, s, p) for n, k, s, p in GRID
    )
    return Finding(
        formula,
        formula,
        f"brute-force counts over {len(GRID)} (n, f, s, p): the formula matches "
        f"all; dropping the floor would be wrong in {without_floor}",
    )


@claim(
    "thesis-3.2.1-conv-params",
    document="thesis",
    where="§3.2.1",
    stated="a convolutional layer has n_t (f·f·c + 1) parameters",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _conv_params() -> Finding:
    w = np.zeros((6, 3, 5, 5))
    ok = w.size + 6 == 6 * (5 * 5 * 3 + 1)
    return Finding(ok, ok, "6 filters of 5x5x3: 456 = 6 (75 + 1)")


@claim(
    "thesis-eq59-cross-correlation",
    document="thesis",
    where="§3.4 eq. 59",
    stated="z_(m,n) = (X * F)_(m,n) = Σ_i Σ_j Σ_c X_(m+i-1, n+j-1, c) F_(i,j,c), called "
    "convolution",
    verdict="convention",
    correct="eq. 59 is a cross-correlation (the kernel is not flipped), which deep learning "
    "calls convolution; the "
    "mathematical convolution flips the kernel",
    chapter=CHAPTER,
)
def _eq59() -> Finding:
    rng = np.random.default_rng(0)
    X, Fk = rng.normal(size=(6, 6)), rng.normal(size=(3, 3))
    eq59 = np.array(
        [
            [sum(X[m + i, n + j] * Fk[i, j] for i in range(3) for j in range(3)) for n in range(4)]
            for m in range(4)
        ]
    )
    ours = _conv(X, Fk)
    true_conv = _conv(X, flip(Fk))
    return Finding(
        bool(np.allclose(eq59, ours)),
        not np.allclose(eq59, true_conv),
        "eq. 59 equals cnnmath.conv (and torch); the flipped kernel gives a different map",
    )


@claim(
    "paper-eq7-output-size",
    document="paper",
    where="§2.2.2 eq. 7",
    stated="η_x^(l) = η_x^(l-1) - k_x^(l) + 1, with η and k the sizes 'minus one'",
    verdict="inconsistent",
    correct="with sizes n and kernel size f: n^(l) = n^(l-1) - f + 1; in the paper's 'minus "
    "one' notation "
    "η^(l) = η^(l-1) - k^(l); eq. 7 holds only if k is the kernel size itself",
    chapter=CHAPTER,
)
def _paper7() -> Finding:
    cases = [(n, f) for n in range(3, 12) for f in range(1, n + 1)]
    minus_one = all((n - 1) - (f - 1) + 1 == output_size(n, f) - 1 for n, f in cases)
    plain_k = all((n - 1) - f + 1 == output_size(n, f) - 1 for n, f in cases)
    return Finding(
        minus_one,
        plain_k,
        "with k = f - 1 eq. 7 gives one more row than exists; with k = f it is right",
    )


@claim(
    "paper-eq8-index",
    document="paper",
    where="§2.2.2 eq. 8 (and eq. 10-11)",
    stated="a^(l-1)(x + x', x + y')",
    verdict="wrong",
    correct="a^(l-1)(x + x', y + y'): the column index must use y",
    chapter=CHAPTER,
)
def _paper8() -> Finding:
    rng = np.random.default_rng(1)
    A, K = rng.normal(size=(5, 6)), rng.normal(size=(2, 2))
    rows, cols = 4, 5
    printed = np.array(
        [
            [
                sum(K[u, v] * A[x + u, x + v] for u in range(2) for v in range(2))
                for y in range(cols)
            ]
            for x in range(rows)
        ]
    )
    fixed = np.array(
        [
            [
                sum(K[u, v] * A[x + u, y + v] for u in range(2) for v in range(2))
                for y in range(cols)
            ]
            for x in range(rows)
        ]
    )
    ref = _conv(A, K)
    return Finding(
        bool(np.allclose(printed, ref)),
        bool(np.allclose(fixed, ref)),
        "as printed, every column of the feature map would be the same; with y + y' it "
        "equals the convolution",
    )


@claim(
    "paper-eq13-hadamard",
    document="paper",
    where="§2.2 eq. 13",
    stated="the Hadamard product Hp(A, B) = Σ_j Σ_i a_(i,j) b_(i,j)",
    verdict="wrong",
    correct="the Hadamard product is the matrix (a_(i,j) b_(i,j)); the sum of its entries "
    "is the Frobenius inner "
    "product <A, B> = trace(A^T B), which is what a convolution window computes",
    chapter=CHAPTER,
)
def _hadamard() -> Finding:
    rng = np.random.default_rng(2)
    A, B = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    hadamard = A * B
    stated = np.ndim(hadamard) == 0
    correct = bool(
        np.isclose(hadamard.sum(), np.trace(A.T @ B))
        and np.isclose(hadamard.sum(), _conv(A, B)[0, 0])
    )
    return Finding(
        stated,
        correct,
        "A ∘ B is a 3x3 matrix; its sum equals trace(A^T B) and the 3x3 convolution of A with B",
    )


@claim(
    "paper-eq20-bias",
    document="paper",
    where="§2.4 eq. 20-22",
    stated="F*(x, y) = Σ_y Σ_x (K(x, y) M(x + x, y + y) + b)",
    verdict="wrong",
    correct="the bias is added once per output, outside the sums (as eq. 22 has it); "
    "inside, it is added "
    "once per kernel entry",
    chapter=CHAPTER,
)
def _bias() -> Finding:
    rng = np.random.default_rng(3)
    M, K, b = rng.normal(size=(4, 4)), rng.normal(size=(3, 3)), 0.7
    inside = sum(K[u, v] * M[u, v] + b for u in range(3) for v in range(3))
    outside = sum(K[u, v] * M[u, v] for u in range(3) for v in range(3)) + b
    ref = _conv(M, K, b)[0, 0]
    return Finding(
        bool(np.isclose(inside, ref)),
        bool(np.isclose(outside, ref)),
        f"bias inside the sums adds 9b = {9 * b:.1f} instead of b",
    )


@claim(
    "paper-eq27-commutative",
    document="paper",
    where="§2.4.2 eq. 23-27",
    stated="convolution (with the kernel flipped) is commutative; the cross-correlation of "
    "eq. 16 is not",
    verdict="holds",
    correct="as stated, for arrays extended by zeros",
    chapter=CHAPTER,
)
def _commutative() -> Finding:
    rng = np.random.default_rng(4)
    k, m = rng.normal(size=(3, 3)), rng.normal(size=(4, 4))

    def full(p, q):  # s(x, y) = Σ p(x', y') q(x - x', y - y'), every x, y where it is non-zero
        out = np.zeros((p.shape[0] + q.shape[0] - 1, p.shape[1] + q.shape[1] - 1))
        for i in range(p.shape[0]):
            for j in range(p.shape[1]):
                out[i : i + q.shape[0], j : j + q.shape[1]] += p[i, j] * q
        return out

    conv_ok = bool(np.allclose(full(k, m), full(m, k)))
    corr_km = _conv(np.pad(m, 2), k)
    corr_mk = _conv(np.pad(k, 3), m)
    return Finding(
        conv_ok and not np.allclose(corr_km, corr_mk),
        conv_ok,
        "full convolution k*m = m*k; the cross-correlations of k with m and m with k differ "
        "(by a flip)",
    )


@claim(
    "guide-3x3-2x2-example",
    document="guide",
    where="§3.1, Z_1",
    stated="Z_1 = (1×1 + 0×2 + 0×0 + 1×7) + 1 = 9",
    verdict="holds",
    correct="as stated: kernel [[1, 0], [0, 1]], patch [[1, 2], [0, 7]], bias 1",
    chapter=CHAPTER,
)
def _guide() -> Finding:
    z1 = _conv([[1, 2], [0, 7]], [[1, 0], [0, 1]], bias=1)[0, 0]
    return Finding(z1 == 9, z1 == 9, f"cnnmath.conv gives {z1:g}")


@claim(
    "guide-n-pixels",
    document="guide",
    where="§3.1, Z_i = Σ_{i=1}^n X_i w_i + b",
    stated="n refers to the number of pixels in the image",
    verdict="wrong",
    correct="n is the number of kernel weights (pixels of one patch): 4 for a 2x2 kernel, "
    "not the image's 9",
    chapter=CHAPTER,
)
def _guide_n() -> Finding:
    image = np.arange(9.0).reshape(3, 3)
    kernel = np.array([[1.0, 0.0], [0.0, 1.0]])
    per_output_terms = kernel.size
    return Finding(
        per_output_terms == image.size,
        per_output_terms == 4,
        f"each output sums {per_output_terms} products; the image has {image.size} pixels",
    )


SLIDES_IMG1 = [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]]
SLIDES_K1 = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
SLIDES_IMG2 = [[1, 1, 1, 1, 0], [0, 0, 1, 1, 0], [0, 0, 1, 0, 1], [0, 0, 1, 1, 1], [1, 1, 0, 1, 0]]
SLIDES_K2 = [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
EDGE_IMAGE = [[10, 10, 10, 0, 0, 0]] * 6
VERTICAL_EDGE = [
    [1, 0, -1]
] * 3  # the slide's filter is only in its figure; this one reproduces its map
VALID_IMAGE = [[7, 2, 3, 3, 8], [4, 5, 3, 8, 4], [3, 3, 2, 8, 4], [2, 8, 7, 2, 7], [5, 4, 4, 5, 4]]
SAME_IMAGE = [
    [60, 113, 56, 139, 85],
    [73, 121, 54, 84, 128],
    [131, 99, 70, 129, 127],
    [80, 57, 115, 69, 134],
    [104, 126, 123, 95, 130],
]
SHARPEN = [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]
EXERCISE_IMAGE = [[0, 5, 5, 5, 5, 0], [0, 5, 5, 5, 5, 0]] + [[0, 5, 0, 5, 5, 0]] * 4
EXERCISE_W = np.array([[0.8, -0.2, 0.1, -0.2], [0.2, -0.6, 0.5, -0.3], [0.5, 0.3, -0.8, 0.9]])
EXERCISE_B = np.array([0.1, -0.3, 0.6])


@claim(
    "slides-2d-example-1",
    document="slides",
    where="'2D filter convolution', first example",
    stated="5x5 image with kernel [[1,0,1],[0,1,0],[1,0,1]]: first convolved value 4",
    verdict="holds",
    correct="as stated; the whole feature map is [[4, 3, 4], [2, 4, 3], [2, 3, 4]]",
    chapter=CHAPTER,
)
def _ex1() -> Finding:
    z = _conv(SLIDES_IMG1, SLIDES_K1)
    return Finding(
        z[0, 0] == 4,
        np.array_equal(z, [[4, 3, 4], [2, 4, 3], [2, 3, 4]]),
        f"computed {z.astype(int).tolist()}",
    )


@claim(
    "slides-2d-example-2",
    document="slides",
    where="'2D filter convolution', second example",
    stated="5x5 image with kernel [[0,1,0],[1,0,1],[0,1,0]]: [[2, 3, 2], [1, 2, 3], [3, 2, 4]]",
    verdict="wrong",
    correct="the image and kernel as given produce [[2, 3, 2], [1, 2, 4], [2, 2, 3]]; no "
    "transposition or "
    "reflection of the image produces the printed map",
    chapter=CHAPTER,
    doubt="the image, kernel and map are tables of a slide figure extracted to text; but no "
    "misreading of one or "
    "two image pixels, or of one kernel entry, turns the given image into the printed map",
)
def _ex2() -> Finding:
    printed = np.array([[2, 3, 2], [1, 2, 3], [3, 2, 4]])
    z = _conv(SLIDES_IMG2, SLIDES_K2)
    image = np.array(SLIDES_IMG2)
    readings = [image, image.T, image[::-1], image[:, ::-1], image[::-1, ::-1]]
    pixels = [(i, j) for i in range(5) for j in range(5)]
    for k, a in enumerate(pixels):  # every misreading of one or two pixels of the binary image
        for b in [None, *pixels[k + 1 :]]:
            r = image.copy()
            r[a] = 1 - r[a]
            if b is not None:
                r[b] = 1 - r[b]
            readings.append(r)
    kernels = [np.array(SLIDES_K2) ^ (np.arange(9).reshape(3, 3) == k) for k in range(9)]
    stated = any(np.array_equal(_conv(r, SLIDES_K2), printed) for r in readings) or any(
        np.array_equal(_conv(image, kk), printed) for kk in kernels
    )
    differ = [tuple(int(v) for v in ij) for ij in np.argwhere(z != printed)]
    return Finding(
        stated,
        bool(np.array_equal(z, [[2, 3, 2], [1, 2, 4], [2, 2, 3]])),
        f"computed {z.astype(int).tolist()}; entries {differ} differ from the slide; none of "
        f"{len(readings) + len(kernels)} misreadings reproduces the printed map",
    )


@claim(
    "slides-edge-detector",
    document="slides",
    where="'The role of filters: feature detection'",
    stated="6x6 image with a vertical boundary gives [[0, 30, 30, 0]] in every row; the "
    "filter rotated by 90 degrees "
    "gives all zeros",
    verdict="holds",
    correct="as stated, for the vertical edge filter [[1, 0, -1]] x 3 (the filter itself is "
    "only in the figure)",
    chapter=CHAPTER,
)
def _edge() -> Finding:
    z = _conv(EDGE_IMAGE, VERTICAL_EDGE)
    z90 = _conv(EDGE_IMAGE, np.rot90(VERTICAL_EDGE))
    ok = bool(np.array_equal(z, [[0, 30, 30, 0]] * 4) and np.all(z90 == 0))
    return Finding(
        ok,
        ok,
        f"first row {z[0].astype(int).tolist()}; rotated filter: max |z| = {np.abs(z90).max():g}",
    )


@claim(
    "slides-valid-padding-example",
    document="slides",
    where="'Valid padding example'",
    stated="5x5 image * [[1,0,-1]] x 3 without padding: first value 6, output 3x3",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _valid() -> Finding:
    z = _conv(VALID_IMAGE, VERTICAL_EDGE)
    ok = z.shape == (3, 3) and z[0, 0] == 6
    return Finding(ok, ok, f"computed map {z.astype(int).tolist()}")


@claim(
    "slides-same-padding-example",
    document="slides",
    where="'Same padding example'",
    stated="5x5 image, sharpen kernel, padding 1: first value 114, output 5x5",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _same() -> Finding:
    z = _conv(SAME_IMAGE, SHARPEN, padding=1)
    ok = z.shape == (5, 5) and z[0, 0] == 114
    return Finding(ok, ok, f"computed first row {z[0].astype(int).tolist()}")


@claim(
    "slides-output-size-floor",
    document="slides",
    where="'Convolution: hyperparameters'",
    stated="H_out = floor((H - K + 2P)/S + 1)",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _floor() -> Finding:
    ok = all(
        int(np.floor((n - k + 2 * p) / s + 1)) == _brute_positions(n, k, s, p)
        for n, k, s, p in GRID
    )
    return Finding(ok, ok, f"equals the brute-force count for all {len(GRID)} cases")


@claim(
    "slides-output-size-ceil",
    document="slides",
    where="'Stride (S): controlling output size'",
    stated="H_out = ceil((H - K + 2P)/S + 1)",
    verdict="inconsistent",
    correct="floor, as the slides' other two statements of the rule: with ceil a window "
    "hanging over the edge is "
    "counted (e.g. H = 6, K = 3, S = 2 gives 3 instead of 2)",
    chapter=CHAPTER,
    doubt="the slides reached us as extracted text, in which bracket glyphs can be misread; "
    "the same extraction "
    "gives floor brackets on the two other slides with the rule",
)
def _ceil() -> Finding:
    bad = [
        (n, k, s, p)
        for n, k, s, p in GRID
        if int(np.ceil((n - k + 2 * p) / s + 1)) != _brute_positions(n, k, s, p)
    ]
    return Finding(
        not bad,
        _brute_positions(6, 3, 2, 0) == 2,
        f"ceil is wrong in {len(bad)} of {len(GRID)} cases",
    )


@claim(
    "slides-224-to-222",
    document="slides",
    where="'Convolutional layers'",
    stated="a 224x224x3 image and one 3x3x3 filter give a 222x222x1 feature map",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _222() -> Finding:
    ok = output_size(224, 3) == 222
    return Finding(ok, ok, f"output size {output_size(224, 3)}")


@claim(
    "slides-cnn-exercise",
    document="slides",
    where="'CNN exercise' (a)-(c)",
    stated="25 parameters; without bias [[-10,0,-5,15],[-5,0,-10,15],[0,0,-15,15],[0,0,-15,15]]; "
    "with b = -5 "
    "ReLU([[-15,-5,-10,10],...]) pooled to [[0,10],[0,10]]; Wx = [-4.0,-9.0,12.0]; logits "
    "[-3.9,-9.3,12.6]; class 3",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _exercise() -> Finding:
    z = _conv(EXERCISE_IMAGE, VERTICAL_EDGE, bias=-5)
    no_bias = [[-10, 0, -5, 15], [-5, 0, -10, 15], [0, 0, -15, 15], [0, 0, -15, 15]]
    printed = [[-15, -5, -10, 10], [-10, -5, -15, 10], [-5, -5, -20, 10], [-5, -5, -20, 10]]
    a, _ = relu_forward(z)
    pooled, _ = maxpool_forward(a[None, None], 2)
    logits = EXERCISE_W @ pooled.ravel() + EXERCISE_B
    probs = softmax(logits)
    n_params = (3 * 3 + 1) + (4 + 1) * 3
    ok = (
        n_params == 25
        and np.array_equal(z, printed)
        and np.array_equal(_conv(EXERCISE_IMAGE, VERTICAL_EDGE), no_bias)
        and np.array_equal(pooled[0, 0], [[0, 10], [0, 10]])
        and np.allclose(EXERCISE_W @ pooled.ravel(), [-4, -9, 12])
        and np.allclose(logits, [-3.9, -9.3, 12.6])
        and int(probs.argmax()) + 1 == 3
    )
    return Finding(
        ok,
        ok,
        f"parameters {n_params}; logits {np.round(logits, 1).tolist()}; predicted class "
        f"{int(probs.argmax()) + 1}",
    )


@claim(
    "slides-lenet-cifar-params",
    document="slides",
    where="'Simplified LeNet-5 for 28x28 MNIST Dataset', 'CNN for CIFAR-10 Color Image "
    "Classification' and "
    "'Convolutional Neural Network for CIFAR-10 Image Classification'",
    stated="LeNet-5: 2572 + 41,854 = 44,426; CIFAR-10 CNN: 19,392 + 525,706 = 545,098",
    verdict="holds",
    correct="as stated: each sum is right (the same LeNet slide's '44,426K' is a slip of the unit, "
    "recorded as slides-lenet5-44426K)",
    chapter=CHAPTER,
)
def _params() -> Finding:
    def conv_p(c, f, k):
        return (c * k * k + 1) * f

    lenet_conv = conv_p(1, 6, 5) + conv_p(6, 16, 5)
    side = output_size(
        output_size(output_size(output_size(28, 5), 2, 2), 5), 2, 2
    )  # 28 -> 24 -> 12 -> 8 -> 4
    lenet_fc = (16 * side * side + 1) * 120 + 121 * 84 + 85 * 10
    cifar_conv = conv_p(3, 32, 3) + conv_p(32, 64, 3)
    cifar_fc = (64 * 8 * 8 + 1) * 128 + 129 * 10
    ok = (lenet_conv, lenet_fc, cifar_conv, cifar_fc) == (2572, 41854, 19392, 525706)
    return Finding(
        ok,
        ok,
        f"LeNet {lenet_conv:,} + {lenet_fc:,} = {lenet_conv + lenet_fc:,}; "
        f"CIFAR {cifar_conv:,} + {cifar_fc:,} = {cifar_conv + cifar_fc:,}",
    )


@claim(
    "blog-output-size-example",
    document="blog",
    where="'Output size', the worked example",
    stated="padding 1, stride 1, a 28x28x3 image and a 5x5x3 kernel give an output of size 24",
    verdict="wrong",
    correct="(28 + 2 - 5)/1 + 1 = 26; 24 is the size without padding",
    chapter=CHAPTER,
)
def _blog_size() -> Finding:
    return Finding(
        output_size(28, 5, 1, 1) == 24,
        output_size(28, 5, 1, 1) == 26 and output_size(28, 5) == 24,
        f"padding 1: {output_size(28, 5, 1, 1)}; padding 0: {output_size(28, 5)}",
    )


@claim(
    "blog-flip",
    document="blog",
    where="'Convolutional layer', the formula for C(x, y)",
    stated="'convolution is similar to the cross-correlation but the kernel will be "
    "flipped', with the formula "
    "Σ K_(m,n,c) I_(i+m, j+n, c) + b",
    verdict="inconsistent",
    correct="the formula (indices i + m, j + n) is the cross-correlation, with no flip, "
    "which is what CNNs compute; "
    "the bias belongs outside the sums",
    chapter=CHAPTER,
)
def _blog_flip() -> Finding:
    rng = np.random.default_rng(5)
    I, K = rng.normal(size=(5, 5)), rng.normal(size=(3, 3))
    formula = np.array(
        [
            [sum(K[m, n] * I[i + m, j + n] for m in range(3) for n in range(3)) for j in range(3)]
            for i in range(3)
        ]
    )
    flipped = _conv(I, flip(K))
    return Finding(
        bool(np.allclose(formula, flipped)),
        bool(np.allclose(formula, _conv(I, K))),
        "the blog's formula equals the unflipped cross-correlation, not the flipped one",
    )


# ---------------------------------------------------------------------------------------------
# The paper's index notation (§2.2-2.4), its listings (§3.1-3.2), and what the other sources say
# about convolution, padding, filters and pooling.
# ---------------------------------------------------------------------------------------------


def _listing(source: str, name: str):
    from ._paper_listings import compile_listing

    return compile_listing(source, name)


def _syntax_error(e: SyntaxError) -> str:
    from ._paper_listings import syntax_message

    return syntax_message(e)


@claim(
    "paper-3.1-convolution-listing",
    document="paper",
    where="§3.1, the listing of convolution()",
    stated="convolution(image, filt, bias, s) 'convolves filt over image using stride s' "
    "(the listing as printed)",
    verdict="wrong",
    correct="as printed the listing does not compile (a string literal is broken across "
    "lines 10-11); with that line rejoined it runs but fills only the diagonal of each feature "
    "map, because the outer loop's `curr_y += s; out_y += 1` (lines 26-27) are indented into the "
    "inner loop. With those two lines one level out, as in the repository the paper cites, it "
    "computes the cross-correlation of eq. 16",
    doubt="the listing is known only from extracted text: a PDF can lose indentation. Here "
    "the other indentation levels of the same listing survive, which points to the print itself, "
    "but only the PDF can settle it. The check runs the book's reconstruction of the printed "
    "structure (the wrap, the loops, the increments' depth, the bias entry), not the listing "
    "itself",
    chapter=CHAPTER,
)
def _paper_convolution_listing() -> Finding:
    from . import _paper_listings as rebuilt

    as_printed = _listing(rebuilt.convolution(), "convolution")
    rejoined = _listing(rebuilt.convolution(wrapped=False), "convolution")
    fixed = _listing(rebuilt.convolution(wrapped=False, inner_increments=False), "convolution")
    rng = np.random.default_rng(6)
    image, filt, bias = (
        rng.normal(size=(3, 9, 9)),
        rng.normal(size=(4, 3, 3, 3)),
        rng.normal(size=4),
    )
    try:  # train() (§4) makes the biases columns, shape (n_f, 1)
        rejoined(image, filt, bias[:, None], 1)
        column_bias = "accepts"
    except ValueError:
        column_bias = "rejects (a one-element array assigned to one entry)"
    ref = {s: conv2d_forward(image[None], filt, bias, stride=s)[0][0] for s in (1, 2)}
    out = {s: rejoined(image, filt, bias, s) for s in (1, 2)}
    diagonal_only = all(
        np.allclose(out[s][:, i, j], 0) != (i == j)
        for s in (1, 2)
        for i in range(ref[s].shape[1])
        for j in range(ref[s].shape[2])
    )
    stated = all(np.allclose(out[s], ref[s]) for s in (1, 2))
    correct = isinstance(as_printed, SyntaxError) and all(
        np.allclose(fixed(image, filt, bias, s), ref[s]) for s in (1, 2)
    )
    return Finding(
        stated,
        correct,
        "on the book's reconstruction of the printed structure (not the listing itself): as "
        f"printed, SyntaxError ({_syntax_error(as_printed)}); rejoined, with 1-D biases: "
        f"{'only the diagonal is filled' if diagonal_only else 'a wrong map'} (9x9x3 input, "
        "4 filters, stride 1 and 2); with the increments one level out: equal to cnnmath.conv. "
        f"The installed NumPy {column_bias} train()'s column biases",
    )


@claim(
    "paper-3.2-maxpool-listing",
    document="paper",
    where="§3.2, the listing of maxpool()",
    stated="maxpool(image, f, s) 'downsamples image using kernel size f and stride s' (the "
    "listing as printed)",
    verdict="wrong",
    correct="as printed the listing does not compile (a comment wraps onto line 13 without "
    "its '#'); with that line rejoined it fills only the diagonal of each pooled map, for the "
    "same misplaced `curr_y += s; out_y += 1` as convolution() (lines 22-23); one level out, it "
    "is max pooling",
    doubt="as for convolution(): indentation and line wraps are what a PDF extraction can "
    "garble. The check runs the book's reconstruction of the printed structure, not the listing "
    "itself",
    chapter=CHAPTER,
)
def _paper_maxpool_listing() -> Finding:
    from . import _paper_listings as rebuilt

    as_printed = _listing(rebuilt.maxpool(), "maxpool")
    rejoined = _listing(rebuilt.maxpool(wrapped=False), "maxpool")
    fixed = _listing(rebuilt.maxpool(wrapped=False, inner_increments=False), "maxpool")
    image = np.random.default_rng(7).normal(size=(2, 8, 8))
    ref = maxpool_forward(image[None], 2, 2)[0][0]
    out = rejoined(image, 2, 2)
    stated = bool(np.allclose(out, ref))
    correct = isinstance(as_printed, SyntaxError) and bool(np.allclose(fixed(image, 2, 2), ref))
    filled = int(np.count_nonzero(out[0]))
    return Finding(
        stated,
        correct,
        "on the book's reconstruction of the printed structure (not the listing itself): as "
        f"printed, SyntaxError ({_syntax_error(as_printed)}); rejoined: {filled} of "
        f"{out[0].size} outputs of a 4x4 pooled map filled; fixed: equal to cnnmath.pool",
    )


@claim(
    "paper-3-network-sizes",
    document="paper",
    where="§3 (the network) and §4 (train(): w3 = (128, 800))",
    stated="28x28 MNIST input, no padding; conv 8@5x5, conv 8@5x5, max-pool 2x2 stride 2, "
    "flatten, dense 128, "
    "dense 10; the first dense weights have shape (128, 800)",
    verdict="holds",
    correct="as stated: 28 - 5 + 1 = 24, 24 - 5 + 1 = 20, 20/2 = 10, and 8 · 10 · 10 = 800",
    chapter=CHAPTER,
)
def _paper_sizes() -> Finding:
    side = output_size(output_size(output_size(28, 5), 5), 2, 2)
    ok = side == 10 and 8 * side * side == 800
    return Finding(
        ok,
        ok,
        f"28 -> {output_size(28, 5)} -> {output_size(output_size(28, 5), 5)} -> {side}; "
        f"flattened {8 * side * side}",
    )


@claim(
    "paper-eq6-stride",
    document="paper",
    where="§2.2.1 eq. 6",
    stated="$F(x, y) = \\mathrm{act}\\big(\\sum_{x'} \\sum_{y'} \\sum_c K(x', y', c)\\, M(x "
    "s_x + x', y s_y + y', c) + b\\big)$",
    verdict="holds",
    correct="as stated: the output index times the stride plus the kernel offset",
    doubt="the paper tells the two x's apart by colour (red: output, blue: kernel), which "
    "the extracted text "
    "loses ('M(xs_x + x, ...)'); read with the colours as the text describes them",
    chapter=CHAPTER,
)
def _eq6() -> Finding:
    rng = np.random.default_rng(8)
    M, K, b = rng.normal(size=(2, 9, 11)), rng.normal(size=(2, 3, 3)), 0.3
    sx, sy = 2, 3
    oh, ow = output_size(9, 3, sx), output_size(11, 3, sy)
    eq6 = np.array(
        [
            [
                sum(
                    K[c, u, v] * M[c, x * sx + u, y * sy + v]
                    for c in range(2)
                    for u in range(3)
                    for v in range(3)
                )
                + b
                for y in range(ow)
            ]
            for x in range(oh)
        ]
    )
    ref = conv2d_forward(M[None], K[None], np.array([b]), stride=(sx, sy))[0][0, 0]
    ok = bool(np.allclose(eq6, ref))
    return Finding(
        ok, ok, f"9x11 input, 3x3 kernel, strides (2, 3): eq. 6 equals cnnmath.conv ({oh}x{ow} map)"
    )


@claim(
    "paper-2.2.2-same-padding",
    document="paper",
    where="§2.2.2 (zero padding)",
    stated="zero padding can enlarge the feature map, and is mostly used to give it the "
    "size of the input",
    verdict="holds",
    correct="as stated: with stride 1 and an odd kernel size k, padding (k - 1)/2 keeps the "
    "size; the stride alone "
    "can only shrink it",
    chapter=CHAPTER,
)
def _same() -> Finding:
    same = all(
        output_size(n, k, 1, (k - 1) // 2) == n
        for n in range(1, 40)
        for k in (1, 3, 5, 7, 9)
        if k <= n
    )
    grows = output_size(5, 3, 1, 2) > 5 and all(
        output_size(n, 3, s) <= output_size(n, 3) for n in range(3, 20) for s in (1, 2, 3)
    )
    ok = same and grows
    return Finding(
        ok,
        ok,
        "stride 1, odd k, padding (k-1)/2: size kept for n < 40, k <= 9; padding 2 on a 5x5 input "
        f"with a 3x3 kernel gives {output_size(5, 3, 1, 2)}x{output_size(5, 3, 1, 2)}",
    )


@claim(
    "paper-eq8-channel",
    document="paper",
    where="§2.2.2 eq. 8",
    stated="$z^{(l)}_{(c)}(x, y) = \\sum_{c'} \\sum_{x'} \\sum_{y'} w^{(l)}_{(c,c')}(x', "
    "y')\\, a^{(l-1)}_{(c)}(\\ldots) + b^{(l)}_{(c)}$: "
    "the input activation carries the output channel c",
    verdict="wrong",
    correct="the input activation must carry the summed input channel c': "
    "$a^{(l-1)}_{(c')}$, as the paper's own "
    "h-scheme just below eq. 8 writes it; with c, only input channel c is read (and c can "
    "exceed the "
    "number of input channels)",
    chapter=CHAPTER,
)
def _eq8_channel() -> Finding:
    rng = np.random.default_rng(9)
    a, w = rng.normal(size=(3, 5, 5)), rng.normal(size=(2, 3, 2, 2))
    ref = conv2d_forward(a[None], w)[0][0]
    printed = np.array(
        [
            [
                [
                    sum(
                        w[c, cp, u, v] * a[c, x + u, y + v]
                        for cp in range(3)
                        for u in range(2)
                        for v in range(2)
                    )
                    for y in range(4)
                ]
                for x in range(4)
            ]
            for c in range(2)
        ]
    )
    fixed = np.array(
        [
            [
                [
                    sum(
                        w[c, cp, u, v] * a[cp, x + u, y + v]
                        for cp in range(3)
                        for u in range(2)
                        for v in range(2)
                    )
                    for y in range(4)
                ]
                for x in range(4)
            ]
            for c in range(2)
        ]
    )
    return Finding(
        bool(np.allclose(printed, ref)),
        bool(np.allclose(fixed, ref)),
        "3 input and 2 output channels: with a_(c) the map differs from the convolution; "
        "with a_(c') it is equal",
    )


@claim(
    "paper-eq14-output-size",
    document="paper",
    where="§2.4 eq. 14",
    stated="$\\delta x_Z^{(l+1)} = \\delta x_W^{(l)} - \\delta x_Z^{(l)} + 1$ (and "
    "$y_Z^{(l+1)} = \\delta y_W^{(l)} - \\delta y_Z^{(l)} + 1$)",
    verdict="wrong",
    correct="the kernel's extent is subtracted from the input's, not the other way round: "
    "with δ the size minus "
    "one, $\\delta x_Z^{(l+1)} = \\delta x_Z^{(l)} - \\delta x_W^{(l)}$ (in sizes, $n - k + "
    "1$); the second "
    "line has also lost its δ",
    chapter=CHAPTER,
)
def _eq14() -> Finding:
    cases = [(n, k) for n in range(3, 30) for k in range(1, n + 1)]
    printed = all((k - 1) - (n - 1) + 1 == output_size(n, k) - 1 for n, k in cases)
    fixed = all((n - 1) - (k - 1) == output_size(n, k) - 1 for n, k in cases)
    return Finding(
        printed,
        fixed,
        f"a 28x28 input and a 5x5 kernel: eq. 14 gives δx = {4 - 27 + 1} (a negative size); "
        f"the output is {output_size(28, 5)}x{output_size(28, 5)}, δx = {output_size(28, 5) - 1}",
    )


@claim(
    "paper-eq16-17-ranges",
    document="paper",
    where="§2.4 eq. 16 vs eq. 17-18",
    stated="eq. 16 sums the kernel offsets x', y' up to $\\delta x_Z^{(l)}$, $\\delta "
    "y_Z^{(l)}$ (the input's "
    "extent); eq. 17-18 sum them up to $\\delta x_W^{(l)}$, $\\delta y_W^{(l)}$ (the kernel's)",
    verdict="inconsistent",
    correct="the offsets run over the kernel, $0 \\le x' \\le \\delta x_W^{(l)}$, as eq. "
    "17-18 have it; eq. 16's bounds "
    "read kernel entries that do not exist and inputs past the edge",
    chapter=CHAPTER,
)
def _eq16() -> Finding:
    n, k = 28, 5
    out = output_size(n, k)
    past_edge = sum(
        1 for x in range(out) for xp in range(n) if x + xp >= n
    )  # eq. 16's range, one axis
    missing_kernel = n - k  # offsets x' = k .. n-1 index no kernel entry
    ok = past_edge > 0 and missing_kernel > 0
    kernel_range_fits = all(x + xp < n for x in range(out) for xp in range(k))  # eq. 17's range
    return Finding(
        not ok,
        kernel_range_fits,
        f"28x28 input, 5x5 kernel, one axis: eq. 16's range reads {missing_kernel} kernel "
        f"offsets that do not exist and {past_edge} (output, offset) pairs past the input's edge",
    )


@claim(
    "paper-eq26-support",
    document="paper",
    where="§2.4.2 eq. 26",
    stated="for arrays that vanish outside $[0..n_x(k)-1]$ and $[0..n_x(m)-1]$, the "
    "convolution reduces to eq. 26 "
    "'where x ∈ [0..n_x(m) - 1] and y ∈ [0..n_y(m) - 1]'",
    verdict="convention",
    correct="eq. 26 gives the convolution at every position of that range: the range is the "
    "paper's choice of output positions, the input's own extent. The convolution of such arrays "
    "is non-zero on $[0..n_x(k) + n_x(m) - 2]$ (the 'full' convolution): the range keeps its "
    "first $n_x(m)$ rows and columns and drops the last $n_x(k) - 1$",
    chapter=CHAPTER,
)
def _eq26() -> Finding:
    rng = np.random.default_rng(10)
    k, m = rng.uniform(1, 2, size=(3, 3)), rng.uniform(1, 2, size=(5, 4))
    full = np.zeros((7, 6))
    for i in range(3):
        for j in range(3):
            full[i : i + 5, j : j + 4] += k[i, j] * m

    def eq26(x: int, y: int) -> float:  # the sum of eq. 26, m zero outside its array
        return sum(
            k[u, v] * m[x - u, y - v]
            for u in range(3)
            for v in range(3)
            if 0 <= x - u < 5 and 0 <= y - v < 4
        )

    in_range = all(np.isclose(eq26(x, y), full[x, y]) for x in range(5) for y in range(4))
    outside = np.count_nonzero(full[5:, :]) + np.count_nonzero(full[:5, 4:])
    return Finding(
        in_range,
        outside > 0 and full.shape == (3 + 5 - 1, 3 + 4 - 1),
        f"3x3 k and 5x4 m (positive entries): eq. 26 equals the convolution on all 5x4 positions "
        f"of the range; the convolution is non-zero on 7x6, {outside} positions outside it",
    )


@claim(
    "paper-2.4.2-flip",
    document="paper",
    where="§2.4.2 (after eq. 27)",
    stated="computing F with eq. 26 is the same as eq. 16 with the kernel flipped about "
    "both axes, and eq. 16 (used "
    "in machine learning) is the cross-correlation",
    verdict="holds",
    correct="as stated, for an input extended by zeros",
    chapter=CHAPTER,
)
def _flip26() -> Finding:
    rng = np.random.default_rng(11)
    k, m = rng.normal(size=(3, 3)), rng.normal(size=(6, 5))
    true_conv = np.array(
        [
            [
                sum(
                    k[u, v] * (m[x - u, y - v] if 0 <= x - u < 6 and 0 <= y - v < 5 else 0.0)
                    for u in range(3)
                    for v in range(3)
                )
                for y in range(7)
            ]
            for x in range(8)
        ]
    )
    via_flip = _conv(np.pad(m, 2), flip(k))
    ok = bool(np.allclose(true_conv, via_flip)) and not np.allclose(
        _conv(np.pad(m, 2), k), via_flip
    )
    return Finding(
        ok,
        ok,
        "SymPy-free check on 6x5 and 3x3 arrays: eq. 26 at every position equals eq. 16 with the "
        "flipped kernel on the zero-padded input; the unflipped kernel gives another map",
    )


@claim(
    "paper-2-index-orientation",
    document="paper",
    where="§2 (terminology) vs §2.3",
    stated="§2: 'a(x, y) is the scalar in row x at column y'; §2.3: 'x is the column index "
    "and y the row index' "
    "(M(1, 2) is the entry in the second column, third row)",
    verdict="inconsistent",
    correct="one reading throughout; the paper's code (image[:, curr_y:curr_y+f, "
    "curr_x:curr_x+f]) indexes rows "
    "with y, as §2.3 says",
    chapter=CHAPTER,
)
def _orientation() -> Finding:
    M = np.arange(20).reshape(4, 5)
    row_x = M[1, 2]  # §2: row 1, column 2
    col_x = M[2, 1]  # §2.3: column 1, row 2
    return Finding(
        bool(row_x == col_x),
        True,
        f"in a 4x5 array, M(1, 2) is {row_x} read as §2 and {col_x} read as §2.3",
    )


@claim(
    "paper-2.2-flatten",
    document="paper",
    where="§2.2 (flattening an image)",
    stated="an image flattened to a vector cannot be reconstructed for sure unless its "
    "dimensions are known",
    verdict="holds",
    correct="as stated: a vector of 784 values is a 28x28 image, or 14x56, 16x49, ...: one "
    "shape per divisor",
    chapter=CHAPTER,
)
def _flatten() -> Finding:
    shapes = [(h, 784 // h) for h in range(1, 785) if 784 % h == 0]
    ok = len(shapes) > 1 and (28, 28) in shapes
    return Finding(ok, ok, f"784 values fit {len(shapes)} rectangular shapes, e.g. {shapes[3:7]}")


@claim(
    "thesis-3.1-one-activation",
    document="thesis",
    where="§3.1",
    stated="if there is more than one convolution layer in a row, only one activation "
    "function is used",
    verdict="wrong",
    correct="two convolutions with no activation between them are one convolution (their "
    "kernels convolve into a "
    "kernel of size f1 + f2 - 1), so the second adds no expressive power; networks such as "
    "AlexNet and "
    "VGG put an activation after every convolution. The paper (§2.6) says so for any two layers",
    reference="Krizhevsky, Sutskever & Hinton (2012), §3.1 (ReLU after every convolutional "
    "layer); Simonyan & "
    "Zisserman (2015), §2.1",
    chapter=CHAPTER,
)
def _one_activation() -> Finding:
    rng = np.random.default_rng(12)
    x, k1, k2 = rng.normal(size=(9, 9)), rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    two = _conv(_conv(x, k1), k2)
    k12 = np.zeros((5, 5))
    for u in range(3):
        for v in range(3):
            k12[u : u + 3, v : v + 3] += k1[u, v] * k2
    one = _conv(x, k12)
    with_relu = _conv(np.maximum(_conv(x, k1), 0), k2)
    collapses = bool(np.allclose(two, one)) and not np.allclose(with_relu, one)
    return Finding(
        not collapses,
        collapses,
        "conv 3x3 then conv 3x3 on a 9x9 input equals one conv with a 5x5 kernel "
        "(to 1e-12); with a ReLU between them it does not",
    )


@claim(
    "thesis-3.4-lenet-positions",
    document="thesis",
    where="§3.4 (eq. 59 and LeNet-5's first layers)",
    stated="m, n = 1, ..., 28 for LeNet-5 (32x32 input, 5x5 filters, 1 <= m <= h - f + 1); "
    "2x2 pooling with stride "
    "2 covers each neuron once, giving 6 maps of 14 x 14",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _lenet_positions() -> Finding:
    cover = np.zeros((28, 28), dtype=int)
    for i in range(0, 27, 2):
        for j in range(0, 27, 2):
            cover[i : i + 2, j : j + 2] += 1
    ok = (
        output_size(32, 5) == 32 - 5 + 1 == 28
        and bool(np.all(cover == 1))
        and output_size(28, 2, 2) == 14
    )
    return Finding(
        ok,
        ok,
        f"positions {output_size(32, 5)}; every input of the 28x28 map is covered by exactly "
        f"{int(cover.max())} window; pooled size {output_size(28, 2, 2)}",
    )


@claim(
    "thesis-3.4-lenet-max-pooling",
    document="thesis",
    where="§3.4",
    stated="'In LeNet-5 there is a pooling layer with a pooling filter size of 2 × 2 and "
    "stride 2 ... we select "
    "the maximum value'",
    verdict="convention",
    correct="LeNet-5 as published subsampled by averaging each 2x2 window, times a "
    "trainable coefficient plus a "
    "trainable bias per map (12 parameters in S2); max pooling is the modern variant the "
    "thesis (and "
    "this book's LeNet-5) use. The two poolings give different maps",
    reference="LeCun, Bottou, Bengio & Haffner (1998), 'Gradient-based learning applied to "
    "document recognition', "
    "§II.B (layer S2)",
    chapter=CHAPTER,
)
def _lenet_pool() -> Finding:
    from ..pool import avgpool_forward

    x = np.random.default_rng(13).normal(size=(1, 6, 28, 28))
    mx, av = maxpool_forward(x, 2)[0], avgpool_forward(x, 2)[0]
    s2_parameters_1998 = 6 * (1 + 1)  # one coefficient and one bias per map
    return Finding(
        mx.shape == (1, 6, 14, 14),
        s2_parameters_1998 == 12 and not np.allclose(mx, av),
        f"both give 6 maps of 14x14; they differ (max |max - average| = "
        f"{np.abs(mx - av).max():.2f}); "
        f"the 1998 S2 has {s2_parameters_1998} trainable parameters, max pooling none",
    )


@claim(
    "thesis-3.2.1-padding-corners",
    document="thesis",
    where="§3.2.1 (padding)",
    stated="padding makes the neurons at the edge more valuable, 'especially in corners "
    "where neurons would "
    "otherwise have been detected with filters only once'",
    verdict="holds",
    correct="as stated (stride 1): without padding a corner pixel is read by 1 window; with "
    "padding f - 1 by f·f, "
    "as many as a central pixel",
    chapter=CHAPTER,
)
def _corners() -> Finding:
    from .conv_backprop import outgoing_connections

    plain, padded = outgoing_connections(12, 5), outgoing_connections(12, 5, padding=4)
    ok = plain[0, 0] == 1 and padded[0, 0] == 25 == padded.max()
    return Finding(
        ok,
        ok,
        f"12x12 image, 5x5 filter: corner read {plain[0, 0]} time(s) without padding, "
        f"{padded[0, 0]} with padding 4",
    )


@claim(
    "guide-2-pixel-count",
    document="guide",
    where="§2",
    stated="a 256x256 image has 65,536 pixels; a colour image has 3 channels, each of "
    "65,536 pixels",
    verdict="holds",
    correct="as stated: 196,608 values in all",
    chapter=CHAPTER,
)
def _guide_pixels() -> Finding:
    ok = 256 * 256 == 65_536 and np.zeros((3, 256, 256)).size == 3 * 65_536
    return Finding(ok, ok, f"256 x 256 = {256 * 256:,}; x 3 channels = {3 * 256 * 256:,}")


@claim(
    "guide-3-hand-crafted-features",
    document="guide",
    where="§3 (introduction)",
    stated="'Before the invention of CNNs, traditional neural networks relied on manually "
    "crafted feature "
    "detectors, such as edge detectors or Histogram of Oriented Gradients (HOG)'",
    verdict="wrong",
    correct="HOG (2005) came after the first CNNs (Fukushima's neocognitron, 1980; LeCun et "
    "al., 1989); "
    "hand-crafted features such as HOG and SIFT were what CNNs displaced after 2012, not "
    "what preceded "
    "their invention",
    reference="Dalal & Triggs (2005), CVPR; Fukushima (1980), Biological Cybernetics 36; "
    "LeCun et al. (1989), "
    "Neural Computation 1(4)",
    chapter=CHAPTER,
)
def _hog() -> Finding:
    return by_reference(
        False, "the first CNNs: Fukushima 1980, LeCun et al. 1989; HOG: Dalal & Triggs 2005"
    )


@claim(
    "guide-3.1-output-size",
    document="guide",
    where="§3.1 (Figure 6)",
    stated="convolving a 3x3 image with a 2x2 kernel gives a 2x2 feature map",
    verdict="holds",
    correct="as stated (stride 1, no padding): 3 - 2 + 1 = 2",
    chapter=CHAPTER,
)
def _guide_size() -> Finding:
    z = _conv(np.arange(9.0).reshape(3, 3), np.ones((2, 2)))
    return Finding(
        z.shape == (2, 2), z.shape == (2, 2), f"cnnmath.conv gives a {z.shape[0]}x{z.shape[1]} map"
    )


@claim(
    "guide-3.1-index-clash",
    document="guide",
    where="§3.1, Z_i = Σ_{i=1}^n X_i w_i + b",
    stated="$Z_i = \\sum_{i=1}^{n} X_i w_i + b$, with $X_i$ 'the i-th pixels in an image'",
    verdict="wrong",
    correct="the output index and the summation index must differ, and the pixels must be "
    "those of the output's "
    "patch: $Z_i = \\sum_{j=1}^{k^2} X_{p_i(j)} w_j + b$, with $p_i(j)$ the j-th pixel of "
    "patch i. As "
    "written, the right side is the same for every output",
    chapter=CHAPTER,
)
def _index_clash() -> Finding:
    image, kernel = np.arange(1.0, 10.0).reshape(3, 3), np.array([[1.0, 0.0], [0.0, 1.0]])
    n = kernel.size
    as_written = [
        float(sum(image.ravel()[i] * kernel.ravel()[i] for i in range(n)) + 1) for _ in range(4)
    ]
    true = _conv(image, kernel, bias=1).ravel().tolist()
    return Finding(
        as_written == true,
        len(set(true)) == 4,
        "3x3 image 1..9, kernel [[1, 0], [0, 1]], b = 1: as written every Z_i = "
        f"{as_written[0]:g}; "
        f"the feature map is {true}",
    )


@claim(
    "guide-3.1-filter-count",
    document="guide",
    where="§3.1 (Figure 8 and the multi-map formula)",
    stated="to convolve 2 feature maps into 2 new ones, '4 filters are created instead' of "
    "2, because 'each filter "
    "can convolve over a feature map only once'; the next paragraph: 'a filter with M "
    "corresponding "
    "kernels (one for each input feature map)'",
    verdict="inconsistent",
    correct="the layer has 2 filters, each with one 2-D kernel per input map: 4 kernels, 2 "
    "output maps (torch "
    "weight shape (2, 2, k, k)), as the guide's second description says",
    chapter=CHAPTER,
)
def _filter_count() -> Finding:
    rng = np.random.default_rng(14)
    x, w = rng.normal(size=(1, 2, 6, 6)), rng.normal(size=(2, 2, 3, 3))
    z = conv2d_forward(x, w)[0]
    kernels = w.shape[0] * w.shape[1]
    return Finding(
        w.shape[0] == 4,
        z.shape[1] == 2 and kernels == 4,
        f"weights {w.shape}: {w.shape[0]} filters, {kernels} kernels, {z.shape[1]} output maps",
    )


@claim(
    "guide-3.1-multi-map-sum",
    document="guide",
    where="§3.1, Z_i = Σ_m Σ_j X_mj w_mj + b",
    stated="$Z_i = \\sum_{m=1}^{M} \\sum_{j=1}^{n} X_{mj} w_{mj} + b$ with n 'the number of "
    "pixels' of each input map",
    verdict="wrong",
    correct="the inner sum runs over the k x k kernel entries and the pixels of output i's "
    "patch, not over all n "
    "pixels of the map: each output sums M·k² products",
    chapter=CHAPTER,
)
def _multi_map() -> Finding:
    import sympy as sp

    X = np.array(sp.symbols("x0:50"), dtype=object).reshape(1, 2, 5, 5)
    from ..conv import conv2d_forward_naive

    Z, _ = conv2d_forward_naive(X, np.ones((1, 2, 3, 3), dtype=object))
    terms = len(Z[0, 0, 0, 0].free_symbols)
    return Finding(
        terms == 2 * 25,
        terms == 2 * 9,
        f"SymPy, 2 maps of 5x5, 3x3 kernels: one output depends on {terms} "
        f"pixels (M·k² = 18), not M·n = 50",
    )


@claim(
    "guide-3.1-max-pooling",
    document="guide",
    where="§3.1 (Figure 10)",
    stated="max-pooling a 4x4 feature map with a 2x2 filter gives a 2x2 pooled feature map",
    verdict="holds",
    correct="as stated, with the stride equal to the window (2), as in the figure; with stride 1 "
    "it would be 3x3",
    chapter=CHAPTER,
)
def _guide_pool() -> Finding:
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    two, one = maxpool_forward(x, 2, 2)[0], maxpool_forward(x, 2, 1)[0]
    return Finding(
        two.shape[2:] == (2, 2),
        one.shape[2:] == (3, 3),
        f"stride 2: {two.shape[2:]}; stride 1: {one.shape[2:]}",
    )


@claim(
    "guide-3.1-figure-11-caption",
    document="guide",
    where="§3.1, caption of Figure 11",
    stated="'Average-pooling a 4x4 feature map with a 2x2 max-pool filter to get a 2x2 "
    "pooled-feature map'",
    verdict="editorial",
    correct="'with a 2x2 average-pool filter': the caption names the wrong filter (copied from "
    "Figure 10's caption); the text above it describes average pooling, and a max-pool filter "
    "gives another map",
    chapter=CHAPTER,
)
def _caption11() -> Finding:
    from ..pool import avgpool_forward

    x = np.random.default_rng(15).normal(size=(1, 1, 4, 4))
    mx, av = maxpool_forward(x, 2)[0], avgpool_forward(x, 2)[0]
    return Finding(
        bool(np.allclose(mx, av)),
        av.shape == mx.shape,
        f"a random 4x4 map: max and average pooling differ by up to {np.abs(mx - av).max():.2f}",
    )


SIGNAL = np.array([1.0, -2.0, 3.0, 0.5, 4.0])
IMPULSE_RESPONSE = np.array([0.5, 1.0, -1.0])


@claim(
    "slides-lti-convolution",
    document="slides",
    where="'Foundations in Signal Processing'",
    stated="$y[n] = x[n] * h[n] = \\sum_{k=-\\infty}^{\\infty} x[n-k]\\, h[k]$",
    verdict="holds",
    correct="as stated: the convolution sum, which is commutative",
    chapter=CHAPTER,
)
def _lti() -> Finding:
    x, h = SIGNAL, IMPULSE_RESPONSE
    y = [
        sum(x[n - k] * h[k] for k in range(len(h)) if 0 <= n - k < len(x))
        for n in range(len(x) + len(h) - 1)
    ]
    ok = bool(
        np.allclose(y, np.convolve(x, h)) and np.allclose(np.convolve(x, h), np.convolve(h, x))
    )
    return Finding(
        ok, ok, f"y = {np.round(y, 2).tolist()} = numpy.convolve(x, h) = numpy.convolve(h, x)"
    )


@claim(
    "slides-no-flip",
    document="slides",
    where="'The Crucial Difference: Flipping' and 'The 2D Convolution Operation'",
    stated="in mathematics the kernel is flipped (which makes convolution commutative); in "
    "deep learning it is "
    "not: $O[i, j] = \\sum_m \\sum_n I[i+m, j+n]\\, F[m, n] + b$",
    verdict="holds",
    correct="as stated: the formula is the cross-correlation that CNN layers compute",
    chapter=CHAPTER,
)
def _no_flip() -> Finding:
    rng = np.random.default_rng(16)
    I, F, b = rng.normal(size=(6, 6)), rng.normal(size=(3, 3)), 0.2
    O = np.array(
        [
            [
                sum(I[i + m, j + n] * F[m, n] for m in range(3) for n in range(3)) + b
                for j in range(4)
            ]
            for i in range(4)
        ]
    )
    ok = bool(np.allclose(O, _conv(I, F, b))) and not np.allclose(O, _conv(I, flip(F), b))
    return Finding(
        ok,
        ok,
        "the slide's formula equals cnnmath.conv (torch's convention); the flipped kernel differs",
    )


@claim(
    "slides-relu-conv-formula",
    document="slides",
    where="'Activation Layer: ReLU'",
    stated="$O[i, j] = \\mathrm{ReLU}\\big(\\sum_{m=0}^{K-1} \\sum_{n=0}^{K-1} "
    "\\sum_{c=0}^{C-1} I[i+m, j+n, c]\\, "
    "F[m, n, c] + b\\big)$",
    verdict="holds",
    correct="as stated: every range is right and the bias is added once",
    chapter=CHAPTER,
)
def _relu_formula() -> Finding:
    rng = np.random.default_rng(17)
    K, C = 3, 3
    I, F, b = rng.normal(size=(6, 6, C)), rng.normal(size=(K, K, C)), -0.1
    O = np.array(
        [
            [
                max(
                    0.0,
                    sum(
                        I[i + m, j + n, c] * F[m, n, c]
                        for m in range(K)
                        for n in range(K)
                        for c in range(C)
                    )
                    + b,
                )
                for j in range(4)
            ]
            for i in range(4)
        ]
    )
    ref = np.maximum(
        conv2d_forward(I.transpose(2, 0, 1)[None], F.transpose(2, 0, 1)[None], np.array([b]))[0][
            0, 0
        ],
        0,
    )
    ok = bool(np.allclose(O, ref))
    return Finding(
        ok, ok, "6x6x3 input, 3x3x3 filter: the slide's formula equals ReLU of cnnmath.conv"
    )


@claim(
    "slides-filter-examples",
    document="slides",
    where="'Filters Define the Features'",
    stated="identity [[0,0,0],[0,1,0],[0,0,0]], sharpen [[0,-1,0],[-1,5,-1],[0,-1,0]], edge "
    "detection "
    "[[-1,-1,-1],[-1,8,-1],[-1,-1,-1]]",
    verdict="holds",
    correct="as named: the identity returns the image (padding 1); the sharpen kernel sums "
    "to 1, so flat regions "
    "keep their value while edges are amplified; the edge kernel sums to 0, so flat regions give 0",
    chapter=CHAPTER,
)
def _filters() -> Finding:
    identity = np.zeros((3, 3))
    identity[1, 1] = 1
    edge = -np.ones((3, 3))
    edge[1, 1] = 8
    image = np.random.default_rng(18).normal(size=(6, 6))
    flat = np.full((5, 5), 7.0)
    ok = (
        bool(np.allclose(_conv(image, identity, padding=1), image))
        and np.allclose(_conv(flat, SHARPEN), 7)
        and np.allclose(_conv(flat, edge), 0)
        and not np.allclose(_conv(image, edge), 0)
    )
    return Finding(
        ok, ok, "identity: image unchanged; constant 7: sharpen gives 7, edge detection gives 0"
    )


@claim(
    "slides-3d-kernel-depth",
    document="slides",
    where="'Convolution with 3D Kernel'",
    stated="'The depth of the filter is always the same as the depth of the input image'",
    verdict="convention",
    correct="true of the ordinary convolution (groups = 1); a grouped convolution, such as "
    "AlexNet's second layer "
    "(5x5x48 filters on 96 channels, two groups), has filters of depth C/groups",
    chapter=CHAPTER,
)
def _depth() -> Finding:
    rng = np.random.default_rng(19)
    x = rng.normal(size=(1, 4, 6, 6))
    plain = conv2d_forward(x, rng.normal(size=(3, 4, 3, 3)))[0]
    grouped = conv2d_forward(x, rng.normal(size=(2, 2, 3, 3)), groups=2)[0]
    return Finding(
        plain.shape == (1, 3, 4, 4),
        grouped.shape == (1, 2, 4, 4),
        "4-channel input: filters of depth 4 (groups 1) or of depth 2 (groups 2) both run",
    )


@claim(
    "slides-filters-and-depth",
    document="slides",
    where="'Multiple Filters: Stacking the Feature Maps' and 'Depth of the Output'",
    stated="six 5x5x3 filters give 6 feature maps; F filters give F 2-D outputs: $C_{out} = F$",
    verdict="holds",
    correct="as stated",
    chapter=CHAPTER,
)
def _stack() -> Finding:
    z = conv2d_forward(np.zeros((1, 3, 32, 32)), np.zeros((6, 3, 5, 5)))[0]
    ok = z.shape[1] == 6
    return Finding(ok, ok, f"a 32x32x3 input and six 5x5x3 filters: output {z.shape[1:]}")


@claim(
    "slides-output-volume",
    document="slides",
    where="'Depth of the Output'",
    stated="'We can think of resulting outputs as $K \\times W_{out} \\times H_{out}$ "
    "volume', then '$C_{out} = F$'",
    verdict="inconsistent",
    correct="the depth is the number of filters: an $F \\times H_{out} \\times W_{out}$ "
    "volume; K is the kernel's "
    "spatial size (the slides' 'Convolution: Hyperparameters')",
    chapter=CHAPTER,
)
def _volume() -> Finding:
    F, K = 8, 3
    z = conv2d_forward(np.zeros((1, 2, 10, 10)), np.zeros((F, 2, K, K)))[0]
    return Finding(
        z.shape[1] == K, z.shape[1] == F, f"{F} filters of size {K}x{K}: output depth {z.shape[1]}"
    )


@claim(
    "slides-padding-formula",
    document="slides",
    where="'Padding: Preserving Spatial Information' and 'Preserving Geometry with Padding (P)'",
    stated="with stride 1, $H_{out} = H - K + 2P + 1$; P = 1 with a 3x3 kernel, or 'same' "
    "padding, keeps the size",
    verdict="holds",
    correct="as stated; 'same' needs an odd K and P = (K - 1)/2",
    chapter=CHAPTER,
)
def _padding() -> Finding:
    ok = (
        all(
            output_size(h, k, 1, p) == h - k + 2 * p + 1
            for h in range(1, 30)
            for k in range(1, 8)
            for p in range(4)
            if k <= h + 2 * p
        )
        and output_size(5, 3, 1, 1) == 5 == _conv(SAME_IMAGE, SHARPEN, padding=1).shape[0]
    )
    return Finding(
        ok,
        ok,
        "H - K + 2P + 1 equals the brute-force size for H < 30, K < 8, P < 4; 5x5 with P = "
        "1 stays 5x5",
    )


@claim(
    "slides-translation-invariance",
    document="slides",
    where="'Comparing MLP and CNN for Image Classification', 'Why CNN Architecture Work' "
    "and 'Gradients in "
    "Convolutional Layers' vs 'CNN Pooling => Translation Invariant?'",
    stated="weight sharing 'provides translation invariance' (three slides); another slide: "
    "'CNNs are not inherently "
    "invariant to ... translation ... The activations are still dependent on the location'",
    verdict="inconsistent",
    correct="weight sharing makes a convolution translation-equivariant: shifting the input "
    "shifts the feature map "
    "by the same amount; the map itself changes, so it is not invariant. Invariance comes, "
    "at most, from "
    "pooling over positions",
    chapter=CHAPTER,
)
def _invariance() -> Finding:
    rng = np.random.default_rng(20)
    x, k = np.zeros((12, 12)), rng.normal(size=(3, 3))
    x[3:6, 2:5] = rng.normal(size=(3, 3))
    shifted = np.roll(x, (2, 3), axis=(0, 1))
    z, zs = _conv(x, k), _conv(shifted, k)
    equivariant = bool(np.allclose(np.roll(z, (2, 3), axis=(0, 1)), zs))
    invariant = bool(np.allclose(z, zs))
    return Finding(
        invariant,
        equivariant and not invariant,
        "a pattern shifted by (2, 3): the feature map is the old one shifted by (2, 3) "
        "(equivariance), "
        f"not the same map (max change {np.abs(z - zs).max():.2f})",
    )


@claim(
    "slides-pooling-robustness",
    document="slides",
    where="'Pooling Layer: Downsampling for Efficiency' and "
    "'CNN Pooling => Translation Invariant?'",
    stated="pooling makes the network more robust to small translations ('can only enhance "
    "their resilience'); "
    "pooling is parameter-free",
    verdict="holds",
    correct="as stated: a maximum that moves inside its window leaves the pooled map "
    "unchanged; a move across a "
    "window boundary changes it, so the invariance is local and partial",
    chapter=CHAPTER,
)
def _pool_robust() -> Finding:
    x = np.zeros((1, 1, 8, 8))
    x[0, 0, 2, 2] = 1.0
    inside, across = np.roll(x, 1, axis=3), np.roll(x, 2, axis=3)
    p = [maxpool_forward(v, 2)[0] for v in (x, inside, across)]
    ok = bool(np.array_equal(p[0], p[1])) and not np.array_equal(p[0], p[2])
    return Finding(
        ok,
        ok,
        "a single maximum moved by 1 pixel inside its 2x2 window: same pooled map; moved by 2: "
        "the pooled map moves by 1",
    )


@claim(
    "blog-kernel-size",
    document="blog",
    where="'Convolutional layer'",
    stated="the kernels must have the same depth as the input, and their size k x k 'will "
    "need to be less than the "
    "size of the feature image'",
    verdict="wrong",
    correct="the depth is right; the size only needs k <= n: a kernel as large as the image "
    "gives a 1x1 output, "
    "as in LeNet-5's C5 (5x5 kernels on 5x5 maps)",
    chapter=CHAPTER,
)
def _kernel_size() -> Finding:
    z = conv2d_forward(np.ones((1, 16, 5, 5)), np.ones((120, 16, 5, 5)))[0]
    equal_size_works = z.shape == (1, 120, 1, 1)
    return Finding(
        not equal_size_works,
        equal_size_works,
        f"16 maps of 5x5 and 120 kernels of 5x5x16: output {z.shape[1:]}",
    )


@claim(
    "paper-2.3-kernel-smaller",
    document="paper",
    where="§2.3",
    stated="the convolutional neuron accepts 'any one channel two dimensional array of size "
    "greater than its kernel'",
    verdict="wrong",
    correct="any array at least as large as the kernel: a kernel as large as its input gives a "
    "1x1 output, as in LeNet-5's C5 (5x5 kernels on 5x5 maps). Judged as the blog's 'less than "
    "the size of the feature image' (blog-kernel-size)",
    chapter=CHAPTER,
)
def _paper_kernel_size() -> Finding:
    rng = np.random.default_rng(16)
    m, k = rng.normal(size=(1, 1, 5, 5)), rng.normal(size=(1, 1, 5, 5))
    z = conv2d_forward(m, k)[0]
    equal_size_works = z.shape == (1, 1, 1, 1) and bool(np.isclose(z[0, 0, 0, 0], (m * k).sum()))
    return Finding(
        not equal_size_works,
        equal_size_works,
        f"a 5x5 input and a 5x5 kernel: output {z.shape[2:]}, the sum of all 25 products",
    )


@claim(
    "blog-output-depth",
    document="blog",
    where="'Convolutional layer' (its 3-D picture)",
    stated="'The output image will have the depth of the amount of filters we have, in this "
    "case 6', then 'The "
    "final depth of the output image of the convolution layer will be 1'",
    verdict="inconsistent",
    correct="each filter gives a map of depth 1; the layer stacks them, so its output has "
    "one channel per filter",
    chapter=CHAPTER,
)
def _depth_one() -> Finding:
    z = conv2d_forward(np.zeros((1, 3, 28, 28)), np.zeros((6, 3, 5, 5)))[0]
    one = conv2d_forward(np.zeros((1, 3, 28, 28)), np.zeros((1, 3, 5, 5)))[0]
    return Finding(
        z.shape[1] == 1,
        z.shape[1] == 6 and one.shape[1] == 1,
        f"6 filters: depth {z.shape[1]}; 1 filter: depth {one.shape[1]}",
    )


@claim(
    "blog-formula-indices",
    document="blog",
    where="'Convolutional layer', the formula for C(x, y)",
    stated="$C(x,y) = I * F = \\sum_{m=0}^{k-1} \\sum_{n=0}^{k-1} \\sum_C K_{m,n,c}\\, "
    "I_{i+m,j+n,c} + b$",
    verdict="wrong",
    correct="the left side's indices must be those of the right side ($C(i, j)$), the "
    "filter is F (the text's name) "
    "or K throughout, and the bias is added once, outside the sums: "
    "$C(i,j) = \\sum_{m}\\sum_{n}\\sum_{c} K_{m,n,c} I_{i+m,j+n,c} + b$",
    chapter=CHAPTER,
)
def _blog_indices() -> Finding:
    rng = np.random.default_rng(21)
    I, K, b = rng.normal(size=(5, 5, 2)), rng.normal(size=(3, 3, 2)), 0.5
    inside = np.array(
        [
            [
                sum(
                    K[m, n, c] * I[i + m, j + n, c] + b
                    for m in range(3)
                    for n in range(3)
                    for c in range(2)
                )
                for j in range(3)
            ]
            for i in range(3)
        ]
    )
    ref = conv2d_forward(I.transpose(2, 0, 1)[None], K.transpose(2, 0, 1)[None], np.array([b]))[0][
        0, 0
    ]
    return Finding(
        bool(np.allclose(inside, ref)),
        bool(np.allclose(inside - 17 * b, ref)),
        "2 channels, 3x3 kernel: as printed b is added 3·3·2 = 18 times (the map is 17b = "
        f"{17 * b} too high)",
    )


@claim(
    "blog-padding-one",
    document="blog",
    where="'Padding'",
    stated="padding 1 puts one line of zeros around the image",
    verdict="holds",
    correct="as stated: an n x n image becomes (n + 2) x (n + 2)",
    chapter=CHAPTER,
)
def _blog_pad() -> Finding:
    p = np.pad(np.ones((4, 4)), 1)
    ok = p.shape == (6, 6) and p.sum() == 16 and p[0].sum() == 0
    return Finding(ok, ok, f"4x4 -> {p.shape[0]}x{p.shape[1]}, the border all zeros")


@claim(
    "blog-pooling-half",
    document="blog",
    where="'Pooling layer'",
    stated="pooling reduces the width and height; in the example (2x2, stride 2) to half "
    "the original size",
    verdict="holds",
    correct="as stated for even sizes; an odd size n gives floor(n/2)",
    chapter=CHAPTER,
)
def _half() -> Finding:
    ok = all(output_size(n, 2, 2) == n // 2 for n in range(2, 65))
    return Finding(
        ok, ok, f"2x2, stride 2: 28 -> {output_size(28, 2, 2)}, 27 -> {output_size(27, 2, 2)}"
    )


@claim(
    "slides-weight-sharing-count",
    document="slides",
    where="'Summary: How Convolutional Layers Work'",
    stated="filters reuse the same weights across all spatial locations, reducing the "
    "number of parameters",
    verdict="holds",
    correct="as stated: a 3x3 filter on a 28x28 map has 10 parameters; without sharing, "
    "each of the 26·26 "
    "positions would need its own 10",
    chapter=CHAPTER,
)
def _sharing() -> Finding:
    shared = 3 * 3 + 1
    positions = output_size(28, 3) ** 2
    ok = shared * positions > shared
    return Finding(ok, ok, f"shared: {shared}; one set per position: {shared * positions:,}")


@claim(
    "slides-implementation-shapes",
    document="slides",
    where="'Implementation of CNNs' and 'The MLP Head: From Features to Decisions'",
    stated="each CONV layer gives maps of (roughly) the input's width and height, one per "
    "kernel; pooling reduces "
    "the resolution; the flatten turns the final volume into one vector for the FC layers",
    verdict="holds",
    correct="as stated: with 'same' padding the size is kept exactly; the flattened length "
    "is C·H·W",
    chapter=CHAPTER,
)
def _implementation() -> Finding:
    from ..layers import Flatten
    from ..network import Sequential

    x = np.zeros((1, 3, 32, 32))
    z = conv2d_forward(x, np.zeros((16, 3, 3, 3)), padding=1)[0]
    p = maxpool_forward(z, 2)[0]
    net = Sequential([Flatten()], p.shape[1:])
    flat, _ = net.forward(net.init(0), p)
    ok = (
        z.shape == (1, 16, 32, 32)
        and p.shape == (1, 16, 16, 16)
        and flat.shape == (1, 16 * 16 * 16)
    )
    return Finding(
        ok,
        ok,
        f"32x32x3 -> conv 16@3x3 'same' {z.shape[1:]} -> pool {p.shape[1:]} -> flatten "
        f"{flat.shape[1]:,}",
    )


@claim(
    "blog-stride-order",
    document="blog",
    where="'Stride'",
    stated="the window moves by the stride along a row and, at the row's end, by the stride "
    "down the column",
    verdict="holds",
    correct="as stated: the window positions are the multiples of the stride that fit, row by row",
    chapter=CHAPTER,
)
def _stride() -> Finding:
    n, k, s = 7, 3, 2
    positions = [(i, j) for i in range(0, n - k + 1, s) for j in range(0, n - k + 1, s)]
    z = _conv(np.arange(49.0).reshape(7, 7), np.ones((3, 3)))
    strided = conv2d_forward(np.arange(49.0).reshape(1, 1, 7, 7), np.ones((1, 1, 3, 3)), stride=2)[
        0
    ][0, 0]
    ok = len(positions) == output_size(n, k, s) ** 2 and bool(np.allclose(strided, z[::2, ::2]))
    return Finding(ok, ok, f"7x7, 3x3, stride 2: positions {positions}")


@claim(
    "blog-flatten-softmax",
    document="blog",
    where="'Fully connected layer' and 'Output layer'",
    stated="the final feature images are flattened into one array for the first fully "
    "connected layer; the "
    "softmax output 'will depend on all the output of the final layer'",
    verdict="holds",
    correct="as stated: the flattened length is C·H·W, and every softmax output depends on "
    "every logit (its "
    "Jacobian has no zero entry)",
    chapter=CHAPTER,
)
def _flatten_softmax() -> Finding:
    from ..activations import softmax_jacobian

    volume = np.zeros((16, 5, 5))
    J = softmax_jacobian(np.array([0.3, -1.0, 2.0, 0.1]))
    ok = volume.reshape(-1).size == 400 and bool(np.all(J != 0))
    return Finding(
        ok,
        ok,
        f"16x5x5 -> {volume.reshape(-1).size} inputs; the 4x4 softmax Jacobian has "
        f"{int(np.count_nonzero(J))} non-zero entries",
    )


@claim(
    "paper-1-downsampling-layers",
    document="paper",
    where="§1 and §2.5",
    stated="layers without neurons ('non-thinking' layers, such as downsampling) reduce the "
    "computational "
    "complexity of the network",
    verdict="holds",
    correct="as stated: a 2x2 max pooling has no parameters and passes a quarter of the "
    "values on, so the next "
    "dense layer needs a quarter of the weights",
    chapter=CHAPTER,
)
def _non_thinking() -> Finding:
    x = np.zeros((1, 8, 20, 20))
    p = maxpool_forward(x, 2)[0]
    dense_before, dense_after = x[0].size * 128, p[0].size * 128
    ok = p.size * 4 == x.size and dense_after * 4 == dense_before
    return Finding(
        ok,
        ok,
        f"the paper's 8x20x20 maps: {x[0].size:,} values -> {p[0].size:,}; a 128-unit dense layer "
        f"needs {dense_after:,} weights instead of {dense_before:,}",
    )
