"""Claims of the source documents, one module per chapter; importing this registers them all."""
from . import activations, losses, perceptron  # noqa: F401
