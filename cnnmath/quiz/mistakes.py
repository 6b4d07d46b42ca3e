"""The known mistakes that wrong answers come from, each with the ledger claim that records it.

A distractor is never an arbitrary wrong number: each is what a named mistake computes, and the
feedback a student gets for it says which mistake that is. Where a source document makes the
mistake itself, the mistake cites the ledger claim (``claim=``) that checked it, so the feedback
can say "the thesis, §2.6.3 eq. 55 writes it this way" and point to the errata.

A mistake cites a claim only where the ledger's verdict says the source is at fault there
(``wrong`` or ``inconsistent``), or where the claim is a ``convention`` and the mistake's text says
it is one; a claim that ``holds`` is never cited as a source's mistake (tests/test_quiz.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    """A wrong step that students (and sometimes the sources) take, and how to put it right."""

    key: str
    what: str
    claim: str | None = None

    @property
    def citation(self) -> str:
        """Where a source makes this mistake ("" if none does), from the ledger."""
        if self.claim is None:
            return ""
        from .. import ledger

        c = ledger.get(self.claim)
        return f"{c.citation} (ledger claim {c.id}, verdict: {c.verdict})"

    def feedback(self) -> str:
        text = self.what[0].upper() + self.what[1:]
        cite = self.citation
        if not cite:
            return f"{text}."
        if cite.endswith("verdict: convention)"):
            return f"{text}. The ledger records the convention: {cite}."
        return f"{text}. The ledger records it: {cite}."


def _m(key: str, what: str, claim: str | None = None) -> Mistake:
    m = Mistake(key, what, claim)
    if key in CATALOG:
        raise ValueError(f"mistake {key!r} is defined twice")
    CATALOG[key] = m
    return m


CATALOG: dict[str, Mistake] = {}

# --- sizes ----------------------------------------------------------------------------------
CEIL = _m(
    "ceil",
    "this is the size with the ceiling instead of the floor: a window hanging over the "
    "edge is not a position",
    "slides-output-size-ceil",
)
NO_FLOOR_NO_PLUS1 = _m(
    "no_plus_one",
    "this is (n + 2p - k)/s without the floor and the +1: the first window also counts",
)
NO_PADDING = _m("no_padding", "this is the size without the padding", "blog-output-size-example")
PAD_ONCE = _m("pad_once", "the padding was added on one side only; it goes on both sides (2p)")
NO_DILATION = _m("no_dilation", "the dilation was ignored: a dilated kernel spans d(k-1)+1 pixels")
NO_STRIDE = _m("no_stride", "the stride was ignored")
CONV_FORMULA = _m(
    "conv_formula",
    "this is the output size of a convolution; a transposed convolution "
    "inverts it: (n-1)s - 2p + d(k-1) + output_padding + 1",
)
NO_OUTPUT_PADDING = _m("no_output_padding", "the output padding was left out")
TRANSPOSE_NO_2P = _m(
    "transpose_no_2p",
    "the padding was not subtracted: in a transposed convolution "
    "padding p removes p rows on each side",
)
NON_OVERLAP = _m(
    "non_overlap",
    "this is n/k, the count for windows that do not overlap; with stride s < k the windows overlap",
)
# --- convolution ----------------------------------------------------------------------------
FLIPPED = _m(
    "flipped_kernel",
    "the kernel was flipped (true convolution); a CNN layer computes the "
    "cross-correlation, with no flip, and calling it convolution is deep learning's convention",
    "thesis-eq59-cross-correlation",
)
BIAS_INSIDE = _m(
    "bias_inside_sum",
    "the bias was added inside the sum, once per kernel entry, instead of once per output",
    "paper-eq20-bias",
)
NO_BIAS = _m("no_bias", "the bias was left out")
NO_BIAS_PARAMS = _m("no_bias_params", "the biases were not counted")
NO_GROUPS = _m("no_groups", "the groups were ignored: each filter sees only C/G input channels")
BIAS_PER_CHANNEL = _m(
    "bias_per_input_channel",
    "one bias per input channel was counted; there is one per filter (output channel)",
)
VALID_NOT_SAME = _m(
    "valid_not_same",
    "this is the size with no padding ('valid'); 'same' padding keeps the size at stride 1",
)
WRONG_FLATTEN = _m("wrong_flatten", "the flattened size was taken from the wrong feature map")
TOTAL_PADDING = _m(
    "total_padding",
    "this is the total padding d(k-1) of both sides; p is the padding on each side, half of it",
)
NO_DILATION_PAD = _m("same_pad_no_dilation", "this padding ignores the dilation: p = d(k-1)/2")
# --- backward through convolution and pooling ------------------------------------------------
NO_FILTER_SUM = _m(
    "no_filter_sum",
    "only one filter's contribution was kept: every filter reads the "
    "input, so the input gradient sums over the filters",
    "thesis-eq69-sum-over-filters",
)
NO_FLIP_BACKWARD = _m(
    "backward_no_flip",
    "the kernel was not flipped: the input gradient is the full "
    "convolution of the upstream gradient with the rotated kernel",
)
BIAS_GRAD_NO_SUM = _m(
    "bias_grad_no_sum",
    "only one position's gradient was taken: the bias is shared by "
    "every position, so its gradient sums over all of them",
    "paper-eq12-bias-gradient",
)
MEAN_NOT_SUM = _m("mean_not_sum", "the gradients were averaged instead of summed")
POOL_TIES_ALL = _m(
    "pool_ties_all",
    "the gradient was sent to every input that ties for the maximum, the thesis's convention; "
    "with the convention asked for here it goes to one of them (the first), and the total is "
    "not counted twice",
    "thesis-eq75-ties",
)
POOL_OVERLAP_OVERWRITE = _m(
    "pool_overlap_overwrite",
    "where windows overlap, an input that wins several "
    "windows gets the sum of their gradients, not the last one",
)
POOL_SHARE_ALL = _m(
    "pool_share_all",
    "the gradient was shared out as in average pooling; max pooling sends it all to the maximum",
)
AVG_NO_DIVIDE = _m("avg_no_divide", "the gradient was not divided by the window's area k*k")
AVG_ROUTE_MAX = _m(
    "avg_route_max",
    "the gradient was routed to the maximum as in max pooling; average pooling shares it equally",
)
# --- activations, losses, backpropagation -----------------------------------------------------
VALUE_NOT_DERIVATIVE = _m(
    "value_not_derivative", "this is the function's value, not its derivative"
)
RELU_PRIME_ZERO_ONE = _m(
    "relu_prime_0_is_1",
    "at z = 0 this book (and torch) uses the left derivative; ReLU'(0) = 1 is another convention",
    "thesis-eq14-relu-derivative-at-0",
)
NO_NORMALIZE = _m("no_normalize", "the exponential was not divided by the sum over all classes")
LINEAR_NORMALIZE = _m("linear_normalize", "the scores were normalized without the exponential")
DIAGONAL_OFFDIAG = _m(
    "diagonal_formula_off_diagonal",
    "the diagonal formula a_i(1 - a_i) was used off the diagonal, where the entry is -a_i a_j",
)
SIGN = _m("sign", "the sign is wrong")
NO_HALF = _m(
    "no_half",
    "the factor 1/2 was left out: whether the squared error has it is a convention (the thesis's "
    "eq. 26 has it, the guide's MSE does not), and this loss has it",
    "guide-mse-vs-thesis",
)
SUM_NOT_MEAN = _m("sum_not_mean", "the terms were summed instead of averaged")
BCE_BRACKETS = _m(
    "bce_brackets",
    "the minus sign covers only the first term: the formula needs brackets around both terms",
)
LOG10 = _m("log10", "this uses the base-10 logarithm; cross-entropy uses the natural logarithm")
PROB_NOT_LOGIT = _m(
    "grad_wrt_logit",
    "this is the gradient with respect to the logit z (prediction minus "
    "label); the question asks for the one with respect to the predicted probability",
)
SINGLE_PATH = _m(
    "softmax_single_path",
    "only the path through a_j was followed; every output of a "
    "softmax depends on every score, so the gradient sums over all outputs",
    "thesis-eq40-softmax-single-path",
)
NO_BATCH_SUM = _m(
    "no_batch_sum", "only one example was used: a weight's gradient sums over the batch"
)
TRANSPOSED = _m("transposed", "rows and columns were swapped")
NO_LOCAL_DERIVATIVE = _m("no_local_derivative", "the factor f'(z) of the hidden unit was left out")
OUTPUT_ACTIVATION = _m(
    "output_activation", "an activation was applied to the output layer, which here is linear"
)
PERCEPTRON_SIGN = _m(
    "perceptron_sign",
    "the step went up the gradient: gradient descent adds -eta dE/dw",
    "thesis-eq2-eq8-sign",
)
Z_NOT_A = _m("z_not_a", "this is the weighted sum z, before the sigmoid")
MSE_LIKE = _m(
    "no_cancellation",
    "the factor a(1 - a) should cancel: (a - y) a(1 - a) is the gradient "
    "of the squared error, not of the cross-entropy",
)
CHAIN_FACTOR = _m(
    "chain_factor",
    "the factor from the chain rule (the derivative of the inner function) was left out",
)
TANH_NO_SQUARE = _m(
    "tanh_no_square", "the derivative of tanh is 1 - tanh(z)^2: the square is missing"
)
ABS_NOT_SQUARE = _m("abs_not_square", "the differences were not squared")
LOGIT_AS_LOGPROB = _m(
    "logit_as_log_probability", "the score z_k was used as if it were log a_k, without the softmax"
)
NO_HIDDEN_ACTIVATION = _m("no_hidden_activation", "the hidden layer's ReLU was left out")
DERIVATIVE_MISSING_X = _m("missing_x", "the factor x_i from dz/dw_i was left out")
# --- initialization and optimizers -----------------------------------------------------------
HE_NO_TWO = _m("he_no_two", "the factor 2 of He's rule was left out (that is LeCun's 1/n_in)")
GLOROT_NO_TWO = _m("glorot_no_two", "the factor 2 of Glorot's rule was left out")
FAN_OUT = _m("fan_out", "the fan-out was used where the rule needs the fan-in")
STD_NOT_LIMIT = _m(
    "std_not_limit",
    "this is the standard deviation; U(-a, a) has variance a^2/3, so a = sqrt(3 Var)",
)
VAR_NOT_LIMIT = _m("var_not_limit", "this is 3 Var without the square root")
ADAM_M_PREV = _m(
    "adam_m_prev",
    "the bias correction used m_(t-1) and v_(t-1) instead of m_t and v_t",
    "thesis-eq55-index",
)
ADAM_NO_CORRECTION = _m(
    "adam_no_correction", "the bias correction (division by 1 - beta^t) was left out"
)
MOMENTUM_DAMPENED = _m(
    "momentum_dampened",
    "the buffer was started at (1 - mu) g, as an exponential "
    "average; torch's momentum starts it at g and adds g each step",
)
NO_MOMENTUM = _m("no_momentum", "the momentum buffer was ignored (plain SGD)")
NO_SQRT = _m("no_sqrt", "the square root of the accumulated squares was left out")
NO_ACCUMULATE = _m(
    "no_accumulate", "only the last squared gradient was used, not the accumulated sum"
)
RMS_NO_DECAY = _m("rms_no_decay", "the squares were summed as in AdaGrad, without the decay gamma")
ADAM_GRAD_STEP = _m(
    "adam_lr_times_g",
    "this is a plain SGD step, lr * g; Adam's first step has size lr whatever the gradient's scale",
)
SUM_POWER_OFF = _m("sum_power_off_by_one", "the exponent is off by one")
# --- MLP, batch norm, dropout ----------------------------------------------------------------
INPUT_BIASES = _m("input_biases", "biases were counted for the input layer, which has none")
FIRST_SIZE = _m(
    "wrong_input_size",
    "the count started from another input size (the slides' Iris "
    "formula starts from Boston's 13 inputs)",
    "slides-iris-mlp-params",
)
UNBIASED_VAR = _m(
    "unbiased_variance",
    "the unbiased variance (divided by m - 1) was used to normalize; "
    "batch norm normalizes with the batch's variance divided by m",
)
NO_AFFINE = _m("no_affine", "gamma and beta were not applied")
RUNNING_TRAINABLE = _m(
    "running_as_trainable",
    "the running mean and variance were counted as trained "
    "(or as hyperparameters); they are tracked, not trained",
    "thesis-3.2.3-hyperparameters",
)
FOUR_PER_CHANNEL = _m(
    "four_per_channel",
    "four numbers per channel were counted as non-trainable; only "
    "the running mean and variance are",
)
MOMENTUM_SWAPPED = _m(
    "momentum_swapped",
    "the momentum weights the old running value; in torch's "
    "convention it weights the new batch statistic",
)
DROPOUT_TIMES_KEEP = _m(
    "dropout_times_keep",
    "the survivor was multiplied by the keep ratio 1 - p; inverted dropout divides by it",
)
DROPOUT_NO_SCALE = _m("dropout_no_scale", "the survivor was not rescaled")
DROPOUT_DIVIDE_P = _m(
    "dropout_divide_p",
    "the survivor was divided by p, the drop probability, instead of the keep ratio 1 - p",
)
# --- networks, floating point, scale ---------------------------------------------------------
RF_NO_JUMP = _m(
    "rf_no_jump",
    "the growth of each layer was not multiplied by the product of the strides before it",
)
RF_SUM_KERNELS = _m(
    "rf_sum_kernels",
    "the kernel sizes were added; each layer adds k - 1, scaled by the strides before it",
)
LRN_PAPER_ALPHA = _m(
    "lrn_paper_alpha",
    "alpha was not divided by the window size: torch's alpha is the paper's alpha times n",
)
EPS64 = _m("float64_eps", "this is float64's spacing; the question is about float32")
EPS_NOT_ULP = _m(
    "eps_not_ulp", "this is the machine epsilon (the spacing at 1), not the spacing at x"
)
EXACT_ARITHMETIC = _m("exact_arithmetic", "this is the exact result; in float32 the sum rounds")
EPS_NOT_UNIT_ROUNDOFF = _m(
    "eps_not_unit_roundoff",
    "this is the machine epsilon; the largest relative rounding error is half of it",
)
MEAN_OF_MEANS = _m(
    "mean_of_means",
    "the shard means were averaged with equal weights; shards of unequal "
    "size must be weighted by their sizes",
)
SUM_OF_SHARDS = _m("sum_of_shards", "the shard gradients were added without dividing by the batch")
LR_NOT_SCALED = _m("lr_not_scaled", "the learning rate was not changed with the batch")
LR_SCALED_WRONG_WAY = _m("lr_inverse", "the learning rate was scaled the wrong way")
STEPS_FLOOR = _m("steps_floor", "the last, smaller batch was dropped (floor); it is still a step")
STEPS_NO_ACCUM = _m("steps_no_accumulation", "the gradient accumulation steps were ignored")
BIASED_RUNNING_VAR = _m(
    "biased_running_variance",
    "the running variance is updated with the unbiased "
    "variance of the batch (times m/(m - 1)), as torch does",
)
CONVT_OVERWRITE = _m(
    "convt_overwrite", "where the copies of the kernel overlap, their contributions add up"
)
WRONG_VERDICT = _m("wrong_verdict", "that is not the verdict the ledger's check reached")
