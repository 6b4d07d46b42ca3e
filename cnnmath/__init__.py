"""cnnmath: the mathematics of neural networks and CNNs, derived in SymPy, implemented in NumPy.

Modules, each named after the mathematics it holds:

- :mod:`cnnmath.symbolic`    derivations whose every step is proved by SymPy
- :mod:`cnnmath.ledger`      the register of the source documents' claims and their checks
- :mod:`cnnmath.activations` activation functions (SymPy definitions, NumPy forward/backward)
- :mod:`cnnmath.losses`      error functions and their gradients
- :mod:`cnnmath.perceptron`  the single-neuron classifier of the thesis §2.1.2
- :mod:`cnnmath.gradcheck`   central finite differences
- :mod:`cnnmath.plots`       the chapters' shared figures
- :mod:`cnnmath.validate`    input checks with messages for the user
"""
__version__ = "0.1.0"
