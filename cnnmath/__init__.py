"""cnnmath: the mathematics of neural networks and CNNs, derived in SymPy, implemented in NumPy.

Modules, each named after the mathematics it holds:

- derivations and sources: :mod:`~cnnmath.symbolic` (proved derivations), :mod:`~cnnmath.ledger`
  (the source documents' claims; the claims themselves in :mod:`cnnmath.claims`);
- layers, as pure ``*_forward -> (out, cache)`` / ``*_backward(dout, cache)`` pairs:
  :mod:`~cnnmath.activations`, :mod:`~cnnmath.losses`, :mod:`~cnnmath.dense`, :mod:`~cnnmath.conv`,
  :mod:`~cnnmath.pool`, :mod:`~cnnmath.norm`, :mod:`~cnnmath.dropout`;
- models: :mod:`~cnnmath.perceptron`, :mod:`~cnnmath.mlp`, :mod:`~cnnmath.cnn` (LeNet-5),
  :mod:`~cnnmath.torch_twin` (PyTorch copies for cross-checks);
- training: :mod:`~cnnmath.init`, :mod:`~cnnmath.optim`, :mod:`~cnnmath.landscapes`,
  :mod:`~cnnmath.train`, :mod:`~cnnmath.metrics`, :mod:`~cnnmath.data`;
- checking and showing: :mod:`~cnnmath.gradcheck`, :mod:`~cnnmath.validate`, :mod:`~cnnmath.arch`,
  :mod:`~cnnmath.plots`, :mod:`~cnnmath.bench`.
"""
__version__ = "0.1.0"

from .allocator import keep_freed_memory as _keep_freed_memory

# Training steps free and re-allocate the same large arrays; keeping freed memory in the process
# spares the page faults that otherwise cost a third of a LeNet-5 step (see cnnmath.allocator).
_keep_freed_memory()
