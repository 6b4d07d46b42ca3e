"""cnnmath: the mathematics of neural networks and CNNs, derived in SymPy, implemented in NumPy.

Modules, each named after the mathematics it holds:

- derivations and sources: :mod:`~cnnmath.symbolic` (proved derivations), :mod:`~cnnmath.ledger`
  (a package: the source documents' claims checked, with its command line and HTML reports; the
  claims themselves in :mod:`cnnmath.claims`);
- layers, as pure ``*_forward -> (out, cache)`` / ``*_backward(dout, cache)`` pairs:
  :mod:`~cnnmath.activations`, :mod:`~cnnmath.losses`, :mod:`~cnnmath.dense`, :mod:`~cnnmath.conv`,
  :mod:`~cnnmath.conv_transpose`, :mod:`~cnnmath.pool`, :mod:`~cnnmath.norm`,
  :mod:`~cnnmath.dropout`, :mod:`~cnnmath.lrn` (AlexNet's local response normalization), and
  LeNet-5's 1998 layers :mod:`~cnnmath.subsampling`, :mod:`~cnnmath.connection_table`,
  :mod:`~cnnmath.rbf`;
- networks: :mod:`~cnnmath.layers` (thin objects over the pairs), :mod:`~cnnmath.network` (a
  network as a list of layers), :mod:`~cnnmath.zoo` (the book's named networks, each described
  once);
- models: :mod:`~cnnmath.perceptron`, :mod:`~cnnmath.chain_rule` (the MLP and LeNet-5 written out
  by hand, layer by layer, for reading), :mod:`~cnnmath.torch_twin` (PyTorch copies for
  cross-checks);
- training: :mod:`~cnnmath.init`, :mod:`~cnnmath.optim`, :mod:`~cnnmath.landscapes`,
  :mod:`~cnnmath.train`, :mod:`~cnnmath.metrics`, :mod:`~cnnmath.data`,
  :mod:`~cnnmath.distributed` (data-parallel training over processes);
- checking and showing: :mod:`~cnnmath.gradcheck`, :mod:`~cnnmath.arguments`,
  :mod:`~cnnmath.crosscheck` (NumPy against PyTorch, step for step), :mod:`~cnnmath.arch`,
  :mod:`~cnnmath.receptive` (receptive fields), :mod:`~cnnmath.plots`, :mod:`~cnnmath.timing`;
- teaching: :mod:`~cnnmath.quiz` (a package: seeded quiz questions, banks for Moodle and Canvas,
  grading, the student edition);
- the process: :mod:`~cnnmath.allocator` (keeps freed memory for reuse inside a ``with`` block:
  training and the benchmarks use it; importing the package changes nothing).
"""

__version__ = "0.1.0"
