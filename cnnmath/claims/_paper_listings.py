"""The book's own reconstructions of the control flow of the paper's NumPy listings (§3.1
convolution, §3.2 max pooling): not the listings, which the book cites and does not copy.

Each reconstruction is a few lines of our own code that keep exactly the features the ledger's
claims check (cnnmath.claims.convolution): a line wrapped where Python cannot continue it, the
outer loop's two increments printed at the inner loop's depth, the output sizes, the per-filter
bias entry. Keyword flags undo one feature at a time, so a claim can compile the structure as
printed, with the wrap joined, and with the increments one level out as well.
"""

from __future__ import annotations

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
