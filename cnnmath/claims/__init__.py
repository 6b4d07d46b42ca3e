"""Claims of the source documents, one module per chapter; importing this registers them all."""
from . import (activations, backprop, batchnorm_dropout, conv_backprop, convolution, init, losses, mlp,  # noqa: F401
               optimizers, perceptron)
