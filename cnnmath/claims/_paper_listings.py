"""The paper's NumPy listings (§3.1 convolution, §3.2 max pooling), exactly as the extracted text
prints them: the listing's line numbers removed, nothing else changed (indentation, the wrapped
lines). The claims run them as printed; the paper takes them from A. Escontrela's Numpy-CNN
(github.com/Alescontrela/Numpy-CNN), which it cites.
"""

#: paper §3.1, lines 1-29
CONVOLUTION = """\
def convolution(image, filt, bias, s=1):
    '''
    Convolves `filt` over `image` using stride `s`
    '''
    (n_f, n_c_f, f, _) = filt.shape # filter dimensions
    n_c, in_dim, _ = image.shape # image dimensions

    out_dim = int((in_dim - f)/s)+1 # calculate output dimensions

    assert n_c == n_c_f, "Dimensions of filter must match dimensions of input
    image"

    out = np.zeros((n_f, out_dim, out_dim))

    # convolve the filter over every part of the image, adding the bias at
    # each step.
    for curr_f in range(n_f):
        curr_y = out_y = 0
        while curr_y + f <= in_dim:
            curr_x = out_x = 0
            while curr_x + f <= in_dim:
                out[curr_f, out_y, out_x] = np.sum(filt[curr_f] *
                image[:, curr_y:curr_y+f, curr_x:curr_x+f]) + bias[curr_f]
                curr_x += s
                out_x += 1
                curr_y += s
                out_y += 1

    return out
"""

#: paper §3.2 (printed under §3.3 by the extraction), lines 1-24
MAXPOOL = """\
def maxpool(image, f=2, s=2):
    '''
    Downsample `image` using kernel size `f` and stride `s`
    '''
    n_c, h_prev, w_prev = image.shape

    h = int((h_prev - f)/s)+1
    w = int((w_prev - f)/s)+1

    downsampled = np.zeros((n_c, h, w))
    for i in range(n_c):
        # slide maxpool window over each part of the image and assign the max
        value at each step to the output
        curr_y = out_y = 0
        while curr_y + f <= h_prev:
            curr_x = out_x = 0
            while curr_x + f <= w_prev:
                downsampled[i, out_y, out_x] = np.max(image[i,
curr_y:curr_y+f, curr_x:curr_x+f])
                curr_x += s
                out_x += 1
                curr_y += s
                out_y += 1
    return downsampled
"""
