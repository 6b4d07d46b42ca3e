"""Claims of the source documents, one module per chapter, checked by running the package.

Each chapter's module enters its claims in the register of :mod:`cnnmath.claims.record` when it is
imported (the :func:`~cnnmath.claims.record.claim` decorator); :func:`load` imports them all, in
alphabetical order, and :mod:`cnnmath.ledger` calls it before it reads the register. Importing this
package alone imports no chapter (a chapter's checks import the networks, the training and torch).
:mod:`~cnnmath.claims.sources` holds the source documents' outlines. Modules whose name starts with
an underscore hold shared material (the book's reconstructions of the sources' listings), not
claims. A new chapter module is added to :func:`load`; tests/test_ledger.py fails until it is.
"""


def load() -> None:
    """Import every chapter's claim module, which registers its claims (once: Python imports a
    module only the first time)."""
    from . import (  # noqa: F401  (imported for the claims they register)
        activations,
        alexnet,
        autoencoder,
        backprop,
        batchnorm_dropout,
        cnn_training,
        conv_backprop,
        convolution,
        crosscheck,
        distributed,
        errata,
        init,
        lenet5,
        losses,
        mlp,
        optimizers,
        perceptron,
    )
