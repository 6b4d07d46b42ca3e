"""Claims of the source documents, one module per chapter; importing this registers them all."""
from . import activations, backprop, init, losses, mlp, optimizers, perceptron  # noqa: F401
