"""The mistakes of implementation exercises, in the student's terms.

Where the quiz catalogue (:data:`cnnmath.quiz.mistakes.CATALOG`) already names a mistake, the
exercise uses the same :class:`~cnnmath.quiz.mistakes.Mistake` (with its ledger citation where a
source makes it); the mistakes that only code can make are added here. Every mistake is paired
with a real wrong implementation in the exercise modules, and the tests check that the checker
diagnoses each of them.
"""

from __future__ import annotations

from ..quiz.mistakes import CATALOG as QUIZ_CATALOG
from ..quiz.mistakes import Mistake

#: The mistakes defined here (those of the quiz catalogue are reused by :func:`quiz`).
MISTAKES: dict[str, Mistake] = {}


def quiz(key: str) -> Mistake:
    """The quiz catalogue's mistake ``key``."""
    return QUIZ_CATALOG[key]


def find(key: str) -> Mistake:
    """The mistake ``key``, of this catalogue or of the quiz's."""
    return MISTAKES[key] if key in MISTAKES else QUIZ_CATALOG[key]


def m(key: str, what: str, claim: str | None = None) -> Mistake:
    """A mistake of this catalogue (``what``: lowercase, no final period, as in the quiz's)."""
    if key in MISTAKES or key in QUIZ_CATALOG:
        raise ValueError(f"mistake {key!r} is defined twice")
    MISTAKES[key] = Mistake(key, what, claim)
    return MISTAKES[key]


NO_UPSTREAM = m(
    "no_upstream",
    "the upstream gradient was not multiplied in: the backward pass returns "
    "dE/dz = dE/da * f'(z), not the local derivative f'(z) alone",
)
CACHE_AS_INPUT = m(
    "cache_as_input",
    "the activation was applied again to the cached output a, as if it were z: the "
    "derivative must be evaluated at z, and a = f(z) is already what it needs",
)
ONE_FACTOR = m(
    "one_factor", "only the factor (1 - a) was kept: the derivative of the sigmoid is a(1 - a)"
)
TANH_FOR_SIGMOID = m(
    "tanh_derivative", "this is the derivative of tanh, 1 - a^2; the sigmoid's is a(1 - a)"
)
SIGMOID_FOR_TANH = m(
    "sigmoid_derivative", "this is the derivative of the sigmoid, a(1 - a); tanh's is 1 - a^2"
)
MASK_FROM_UPSTREAM = m(
    "mask_from_upstream",
    "the mask was taken from the sign of the upstream gradient; ReLU passes the gradient where "
    "its input z was positive",
)
MASK_INVERTED = m(
    "mask_inverted",
    "the mask is inverted: ReLU passes the gradient where z > 0 and blocks it elsewhere",
)
NO_MASK = m(
    "no_mask",
    "the upstream gradient was passed through unchanged, as if f'(z) were 1 everywhere: ReLU's "
    "derivative is 0 where z <= 0",
)
LEAKY_SLOPE = m(
    "leaky_slope", "a slope (0.01) was kept for z <= 0: that is leaky ReLU; ReLU's slope there is 0"
)
DW_NO_STRIDE = m(
    "dw_no_stride",
    "the stride was ignored in the weight gradient: output position (i, j) read the input at "
    "(i s + u d, j s + v d), so dW pairs dZ[i, j] with that input, not with (i + u d, j + v d)",
)
DX_PADDED = m(
    "dx_padded",
    "the gradient of the padded input was returned: cut the padding away, the zeros added "
    "around the input are not inputs",
)
NO_MAX_SHIFT = m(
    "no_max_shift",
    "the exponentials were taken of the raw scores: e^z overflows above z = 709, and the loss "
    "became inf or nan; subtract the largest score of each row first (it cancels in the ratio)",
)
REDUCTION_IGNORED = m(
    "reduction_ignored",
    "the reduction was ignored: 'sum' adds the examples' losses, 'mean' averages",
)
FLATTEN_ORDER = m(
    "flatten_order",
    "the input was flattened in another order (channels last): x.reshape(N, -1) keeps NumPy's "
    "order, the one the weights' columns follow",
)
DX_NOT_RESHAPED = m(
    "dx_not_reshaped", "dx was left flat: it must have the shape of the layer's input x"
)
DB_WRONG_AXIS = m(
    "db_wrong_axis",
    "the bias gradient was summed over the outputs; it sums over the examples (axis 0), one "
    "entry per output",
)
LOCAL_TWICE = m(
    "local_derivative_twice", "the activation's derivative was applied twice at each hidden layer"
)
LOOP_EARLY = m(
    "loop_stops_early",
    "the loop stopped before the first layer (range(L, 1, -1)): layer 1's gradients are missing",
)
MEAN_TWICE = m(
    "mean_twice",
    "the gradients were divided by the batch size again: the upstream gradient of a mean loss "
    "already holds the 1/N",
)
NEGATED = m(
    "gradient_negated",
    "the gradients were negated: return the gradient; the optimizer subtracts it",
)
VAR_AS_STD = m(
    "var_as_std",
    "the variance was passed as the standard deviation: rng.normal takes sigma = sqrt(Var)",
)
WD_IGNORED = m(
    "weight_decay_ignored",
    "the weight decay was left out: torch adds weight_decay * w to the gradient first",
)
WD_AFTER = m(
    "weight_decay_after",
    "the weight decay was added after the momentum buffer; torch adds it to the gradient "
    "before, so that the buffer carries it too",
)
NESTEROV_IGNORED = m(
    "nesterov_ignored",
    "nesterov=True was ignored: Nesterov's step uses g + momentum * buffer instead of the buffer",
)
NOT_IN_PLACE = m(
    "not_in_place",
    "w = w - lr * g makes a new array and leaves the caller's parameter unchanged: update it "
    "in place (w -= lr * g)",
)
EPS_INSIDE = m(
    "eps_inside_sqrt",
    "eps was put inside the square root, sqrt(v_hat + eps), as the thesis writes AdaGrad and "
    "RMSProp; torch and this book add it outside, sqrt(v_hat) + eps, a convention",
    "thesis-eq48-51-eps-inside-sqrt",
)
STEP_NOT_COUNTED = m(
    "step_not_counted",
    "the step count t was not kept: every step was corrected as the first, by 1 - beta^1",
)
V_NOT_SQUARED = m(
    "v_not_squared", "the second moment averaged |g|; it averages the squared gradient g^2"
)
BETAS_SWAPPED = m("betas_swapped", "beta1 and beta2 were swapped")
WD_COUPLED = m(
    "weight_decay_coupled",
    "AdamW's decay was added to the gradient (that is Adam's L2 penalty); AdamW shrinks w by "
    "lr * weight_decay * w directly",
)
TIES_LAST = m(
    "ties_last",
    "on ties the last maximum was kept (>=): the first one in row-major order wins (>), as in "
    "torch, so that each window sends its gradient to one input",
)
PAD_ZERO = m(
    "pad_zero",
    "the padding was filled with zeros, so it wins a window whose inputs are all negative: max "
    "pooling pads with -inf (padding never wins)",
)
AVERAGE = m("average", "this is average pooling: max pooling keeps each window's largest input")
SWITCH_PADDED = m(
    "switch_padded",
    "the switch was recorded in the padded input's coordinates: subtract the padding, so that "
    "it names a pixel of x",
)
STRIDE_DEFAULT_ONE = m(
    "stride_default_one",
    "stride=None was read as 1; it means the window's size (windows side by side)",
)
OFFSET_DECODE = m(
    "offset_decode",
    "the offset was decoded with the window's height: offset = u * KW + v, so "
    "(u, v) = divmod(offset, KW)",
)
BN_CONSTANT_STATS = m(
    "bn_constant_stats",
    "the batch mean and variance were treated as constants: each depends on every x of the "
    "channel, which adds the two terms with the sums of dE/dy and of dE/dy x_hat",
)
BN_NO_VARIANCE_PATH = m(
    "bn_no_variance_path",
    "the path through the variance was left out: the term x_hat * sum(dE/dy x_hat) is missing",
)
BN_NO_MEAN_PATH = m(
    "bn_no_mean_path",
    "the path through the mean was left out: the term sum(dE/dy) is missing",
)
DGAMMA_NO_XHAT = m(
    "dgamma_no_xhat", "dgamma was summed without the factor x_hat: y = gamma x_hat + beta"
)
BN_NO_GAMMA = m("bn_no_gamma", "the factor gamma was left out of dx")
BN_M_EXAMPLES = m(
    "bn_m_examples",
    "m counted only the examples: the statistics of an image channel run over N H W values",
)
KEEP_WITH_P = m(
    "keep_with_p",
    "a unit was kept with probability p; p is the probability of dropping it (keep if u >= p)",
)
DROP_IN_EVALUATION = m(
    "drop_in_evaluation",
    "units were dropped in evaluation mode too; there dropout is the identity",
)
MASK_UNSCALED = m(
    "mask_unscaled",
    "the cache holds the 0/1 mask, but the backward pass multiplies by the cache: it must hold "
    "the scaled mask, keep / (1 - p), the derivative dy/dx",
)
LRN_DIRECT_ONLY = m(
    "lrn_direct_only",
    "only the direct term g_i s_i^(-beta) was kept: a_i is also in its neighbours' divisors "
    "s_c, which adds a sum over the channels c whose window holds i",
)
LRN_WINDOW_NOT_MIRRORED = m(
    "lrn_window_not_mirrored",
    "the sum ran over channel i's own window; it runs over the channels c whose window holds "
    "i, the mirrored window (they differ for an even size)",
)
LRN_NO_TWO = m("lrn_no_two", "the factor 2 of d(a^2)/da was left out")
LRN_EXPONENT = m(
    "lrn_exponent",
    "the cross term used s_c^(-beta); the derivative of s^(-beta) is -beta s^(-beta-1)",
)
