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
  network is a description, a list of layers with their shapes, names and loss; its numbers are a
  separate ``State`` made by ``init``), :mod:`~cnnmath.zoo` (the book's named networks, each
  described once: the MLP, the LeNet-5 variants, the thesis's CNN, AlexNet, the autoencoder);
- models: :mod:`~cnnmath.perceptron`, :mod:`~cnnmath.chain_rule` (the MLP and LeNet-5 written out
  by hand, layer by layer, for reading), :mod:`~cnnmath.torch_twin` (PyTorch copies of a
  description, with a state's numbers, for cross-checks), :mod:`~cnnmath.devices` (where torch
  computes);
- training: :mod:`~cnnmath.init`, :mod:`~cnnmath.optim`, :mod:`~cnnmath.landscapes`,
  :mod:`~cnnmath.train`, :mod:`~cnnmath.metrics`, :mod:`~cnnmath.data`,
  :mod:`~cnnmath.distributed` (data-parallel training over processes);
- checking and showing: :mod:`~cnnmath.gradcheck`, :mod:`~cnnmath.oracles` (an implementation
  against its oracles, one table), :mod:`~cnnmath.arguments`,
  :mod:`~cnnmath.rounding` (how far two correct float computations may differ),
  :mod:`~cnnmath.lockstep` (NumPy against PyTorch, step for step), :mod:`~cnnmath.twin_training`,
  :mod:`~cnnmath.crosscheck` (the command that runs them and its record), :mod:`~cnnmath.arch`,
  :mod:`~cnnmath.receptive` (receptive fields), :mod:`~cnnmath.plots`, :mod:`~cnnmath.listing`,
  :mod:`~cnnmath.timing` (speed measurements);
- reproducing: :mod:`~cnnmath.determinism` (the same float arithmetic on every machine),
  :mod:`~cnnmath.results_cache` (a result computed once per code, data and settings);
- teaching: :mod:`~cnnmath.quiz` (a package: seeded quiz questions, banks for Moodle and Canvas,
  grading, the student edition), :mod:`~cnnmath.exercises` ("implement it yourself" checkers),
  :mod:`~cnnmath.assign` (Otter-Grader assignments);
- the book's editions: :mod:`~cnnmath.reader` (the HTML's extras for readers),
  :mod:`~cnnmath.printable` (every display printable), :mod:`~cnnmath.print_edition` (the PDF),
  :mod:`~cnnmath.tex` (the one TeX setup);
- files and the process: :mod:`~cnnmath.files` (the one atomic writer), :mod:`~cnnmath.allocator`
  (keeps freed memory for reuse inside a ``with`` block: training and the benchmarks use it).

Importing the package runs nothing but definitions: no setting of the process changes.
"""

__version__ = "0.1.0"
