"""The book's own reconstructions of the control flow of the paper's NumPy listings (§3.1
convolution, §3.2 max pooling, §3.3 their backward passes): not the listings, which the book cites
and does not copy.

Each reconstruction is a few lines of our own code that keep exactly the features the ledger's
claims check (cnnmath.claims.convolution and cnnmath.claims.conv_backprop): a line wrapped where
Python cannot continue it, the outer loop's two increments printed at the inner loop's depth, the
output sizes, the per-filter bias entry. Keyword flags undo one feature at a time, so a claim
can compile the structure as printed, with the wrap joined, and with the increments one level out
as well.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# Paper §3.1, listing lines 1-29 (convolution): a stride-s loop over filters, rows and columns
# (lines 17-27) adding the filter's bias entry to each window's sum (lines 22-23). Two printed
# features are kept: the assertion message of lines 10-11, a string literal broken over two lines
# (reconstructed here with a message of our own), and the outer loop's increments at lines
# 26-27, printed at the depth of the inner loop's (quoted: "curr_y += s").
_CONVOLUTION = """\
def convolution(image, filt, bias, s=1):
    n_f, f, n = filt.shape[0], filt.shape[2], image.shape[1]
    assert image.shape[0] == filt.shape[1], {message}
    out = np.zeros((n_f, (n - f) // s + 1, (n - f) // s + 1))
    for k in range(n_f):
        top = row = 0
        while top + f <= n:
            left = col = 0
            while left + f <= n:
                window = image[:, top : top + f, left : left + f]
                out[k, row, col] = np.sum(filt[k] * window) + bias[k]
                left += s
                col += 1
{outer}top += s
{outer}row += 1
    return out
"""

# Paper §3.2 (printed under §3.3 by the extraction), listing lines 1-24 (maxpool): the same loops
# (lines 11-23) taking each window's maximum. Kept: a comment wrapped onto the next line without
# its '#' (lines 12-13; our own comment here), and the outer increments at lines 22-23, at the
# inner loop's depth as in convolution().
_MAXPOOL = """\
def maxpool(image, f=2, s=2):
    n_c, h, w = image.shape
    out = np.zeros((n_c, (h - f) // s + 1, (w - f) // s + 1))
    for c in range(n_c):
        # each window's maximum goes to{comment_end}
        top = row = 0
        while top + f <= h:
            left = col = 0
            while left + f <= w:
                out[c, row, col] = np.max(image[c, top : top + f, left : left + f])
                left += s
                col += 1
{outer}top += s
{outer}row += 1
    return out
"""

_INNER, _OUTER = " " * 16, " " * 12  # the inner loop's body, the outer loop's body


def convolution(*, wrapped: bool = True, inner_increments: bool = True) -> str:
    """Source of the reconstructed convolution(image, filt, bias, s); by default as printed.

    ``wrapped=False`` joins the broken string literal; ``inner_increments=False`` moves the outer
    loop's two increments one level out, as in the repository the paper cites.
    """
    message = '"channel counts\n    differ"' if wrapped else '"channel counts differ"'
    outer = _INNER if inner_increments else _OUTER
    return _CONVOLUTION.format(message=message, outer=outer)


def maxpool(*, wrapped: bool = True, inner_increments: bool = True) -> str:
    """Source of the reconstructed maxpool(image, f, s); by default as printed.

    ``wrapped=False`` joins the wrapped comment; ``inner_increments=False`` as for
    :func:`convolution`.
    """
    comment_end = "\n        its output entry" if wrapped else " its output entry"
    outer = _INNER if inner_increments else _OUTER
    return _MAXPOOL.format(comment_end=comment_end, outer=outer)


# Paper §3.3, listing lines 26-42 and (after a page break) 18-30 (convolutionBackward): the same
# loops as convolution(), adding each window's share to the filter's and the input's gradients,
# then the bias gradient per filter. Kept: a comment wrapped onto the next line without its '#'
# (lines 20-21) and an augmented assignment broken after its '+=' (lines 22-23), both our own
# words here, and the outer increments (lines 26-27) at the inner loop's depth. The second page's
# indentation is flattened in the text; the bias line is placed at the filter loop's depth, as in
# the repository the paper cites.
_CONVOLUTION_BACKWARD = """\
def convolution_backward(dconv_prev, conv_in, filt, s):
    n_f, f, n = filt.shape[0], filt.shape[2], conv_in.shape[1]
    dout, dfilt, dbias = np.zeros(conv_in.shape), np.zeros(filt.shape), np.zeros((n_f, 1))
    for k in range(n_f):
        top = row = 0
        while top + f <= n:
            left = col = 0
            while left + f <= n:
                window = conv_in[:, top : top + f, left : left + f]
                dfilt[k] += dconv_prev[k, row, col] * window
                # what the input receives{comment_end}
                dout[:, top : top + f, left : left + f] +={wrap}dconv_prev[k, row, col] * filt[k]
                left += s
                col += 1
{outer}top += s
{outer}row += 1
        dbias[k] = np.sum(dconv_prev[k])
    return dout, dfilt, dbias
"""

# Paper §3.3, listing lines 1-22 (maxpoolBackward): the same loops, each window's gradient sent
# to the position of its maximum (lines 15-17, an assignment). Kept: the outer increments (lines
# 20-21) at the inner loop's depth. The listing calls a helper nanargmax that returns a (row,
# column) pair; np.unravel_index of np.nanargmax stands for it.
_MAXPOOL_BACKWARD = """\
def maxpool_backward(dpool, orig, f, s):
    n_c, n = orig.shape[0], orig.shape[1]
    dout = np.zeros(orig.shape)
    for c in range(n_c):
        top = row = 0
        while top + f <= n:
            left = col = 0
            while left + f <= n:
                window = orig[c, top : top + f, left : left + f]
                a, b = np.unravel_index(np.nanargmax(window), window.shape)
                dout[c, top + a, left + b] = dpool[c, row, col]
                left += s
                col += 1
{outer}top += s
{outer}row += 1
    return dout
"""


def convolution_backward(*, wrapped: bool = True, inner_increments: bool = True) -> str:
    """Source of the reconstructed convolutionBackward(dconv_prev, conv_in, filt, s); by default
    as printed.

    ``wrapped=False`` joins the wrapped comment and the broken assignment; ``inner_increments``
    as for :func:`convolution`.
    """
    comment_end = "\n                (the first layer here)" if wrapped else " (the first layer)"
    wrap = "\n                    " if wrapped else " "
    outer = _INNER if inner_increments else _OUTER
    return _CONVOLUTION_BACKWARD.format(comment_end=comment_end, wrap=wrap, outer=outer)


def maxpool_backward(*, inner_increments: bool = True) -> str:
    """Source of the reconstructed maxpoolBackward(dpool, orig, f, s); by default as printed."""
    outer = _INNER if inner_increments else _OUTER
    return _MAXPOOL_BACKWARD.format(outer=outer)


def compile_listing(source: str, name: str) -> Callable | SyntaxError:
    """Compile a reconstruction and return the function it defines (or its SyntaxError)."""
    namespace: dict = {"np": np}
    try:
        exec(compile(source, f"<reconstruction of the paper's {name}()>", "exec"), namespace)
    except SyntaxError as e:
        return e
    return namespace[name]


def syntax_message(e: SyntaxError) -> str:
    """The error's message, less its line number (a line of the reconstruction, not the paper's)."""
    return e.msg.split(" (detected at line")[0]
