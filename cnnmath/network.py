"""A network is a list of layers: one description gives training, the torch twin and the table.

``Sequential(layers, input_shape)`` runs the shape of one example through the layers when it is
built, so a bad description fails at once, naming the layer and the shapes; then it draws every
layer's parameters from one seeded generator, in layer order. Forward runs the layers in order,
keeping each layer's cache; backward runs them in reverse, so the chain rule

.. math::
    \\frac{\\partial E}{\\partial A^{(l-1)}} = \\Big(\\frac{\\partial A^{(l)}}{\\partial A^{(l-1)}}\\Big)^T
    \\frac{\\partial E}{\\partial A^{(l)}}

is one loop, each factor applied by the layer's own backward function. Layers before the first
one with parameters get no gradient at all: nobody uses it.

Everything else reads the same list: :mod:`cnnmath.arch` computes the architecture table,
:mod:`cnnmath.torch_twin` builds the ``torch.nn.Sequential`` twin with the same weights (and loads
torch weights back), and :func:`cnnmath.train.fit` trains the network through
:meth:`Sequential.loss_and_grads` and :meth:`Sequential.predict_proba`.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence

import numpy as np

from .activations import softmax
from .arguments import as_float_array, flag, positive_int
from .arguments import labels as check_labels
from .arguments import seed as validate_seed
from .layers import Layer
from .losses import (
    mse_backward,
    mse_forward,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
)

LOSSES = ("softmax_cross_entropy", "mse")


class NetworkError(ValueError):
    """The description of a network does not fit together (shapes, names, layer types)."""


class Sequential:
    """Layers applied one after the other to a batch of examples of shape ``(N, *input_shape)``.

    ``params`` holds the trained arrays and ``buffers`` the non-trained ones, keyed
    ``"<layer name>.<array name>"`` (``"conv1.weight"``, ``"bn2.running_mean"``): the keys of the
    torch twin's ``state_dict``. The loss is ``"softmax_cross_entropy"`` on the last layer's output
    (logits; a classifier) or ``"mse"`` (a regression, such as an autoencoder).
    """

    def __init__(
        self,
        layers: Iterable[Layer],
        input_shape: Sequence[int],
        *,
        seed: int = 0,
        dtype: type = np.float64,
        loss: str = "softmax_cross_entropy",
        name: str = "network",
    ):
        if isinstance(layers, (str, bytes, Layer)) or not isinstance(layers, Iterable):
            raise TypeError(
                f"layers must be a list of cnnmath.layers.Layer objects; got {layers!r}"
            )
        self.layers: list[Layer] = list(layers)
        if not self.layers:
            raise NetworkError("layers: a network needs at least one layer")
        if not isinstance(loss, str) or loss not in LOSSES:
            raise NetworkError(f"unknown loss {loss!r}; expected one of {LOSSES}")
        if not isinstance(name, str):
            raise TypeError(f"name must be a str; got {name!r}")
        seed = validate_seed(seed)
        kind = None
        if isinstance(dtype, (type, np.dtype, str)):  # not None: np.dtype(None) is float64
            try:
                kind = np.dtype(dtype).type
            except TypeError:
                kind = None
        if kind not in (np.float32, np.float64):
            raise NetworkError(f"dtype must be np.float32 or np.float64; got {dtype!r}")
        self.dtype = np.dtype(dtype)
        self.loss, self.name, self.seed = loss, name, seed
        self.input_shape = self._check_input_shape(input_shape)
        self._name_layers()
        shape = self.input_shape
        for i, layer in enumerate(self.layers):
            try:
                shape = layer.build(shape)
            except (ValueError, TypeError) as exc:
                raise NetworkError(
                    f"layer {i} ({layer.name}: {type(layer).__name__}) cannot take an input of "
                    f"shape {shape}: {exc}"
                ) from None
        self.output_shape = shape
        for layer in self.layers:  # built: from now on the layers hold this network's shapes
            layer._network = weakref.ref(self)
        rng = np.random.default_rng(seed)
        self.params: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        for layer in self.layers:
            for k, v in layer.init_params(rng, self.dtype.type).items():
                self.params[f"{layer.name}.{k}"] = v
            for k, v in layer.init_buffers(self.dtype.type).items():
                self.buffers[f"{layer.name}.{k}"] = v
        self._keys = {
            layer.name: (
                [(k, f"{layer.name}.{k}") for k in layer.param_shapes()],
                [(k, f"{layer.name}.{k}") for k in layer.buffer_shapes()],
            )
            for layer in self.layers
        }
        #: dropout masks come from here, so that a NumPy run is repeatable
        self.rng = np.random.default_rng([seed, 1])
        with_params = [i for i, layer in enumerate(self.layers) if layer.param_shapes()]
        self._first_trained = with_params[0] if with_params else len(self.layers)

    # -- description ----------------------------------------------------------------------------
    @staticmethod
    def _check_input_shape(input_shape: Sequence[int]) -> tuple[int, ...]:
        try:
            shape = tuple(int(s) for s in input_shape)
        except (TypeError, ValueError):
            raise NetworkError(
                f"input_shape must be a tuple of sizes such as (1, 28, 28); got {input_shape!r}"
            ) from None
        if not shape or min(shape) < 1 or any(s != t for s, t in zip(shape, input_shape)):
            raise NetworkError(f"input_shape must hold positive integers; got {input_shape!r}")
        return shape

    def _name_layers(self) -> None:
        counts: dict[str, int] = {}
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise NetworkError(f"layers: layer {i} is {layer!r}, not a cnnmath.layers.Layer")
            if any(layer is other for other in self.layers[:i]):
                raise NetworkError(
                    f"layer {i} ({layer!r}) appears twice in the list: make a new object for each layer"
                )
            owner = getattr(layer, "_network", lambda: None)()
            if owner is not None and any(layer is other for other in owner.layers):
                raise NetworkError(
                    f"layer {i} ({layer!r}) already belongs to the network {owner.name!r}: a layer "
                    "keeps its network's shapes, so give each network its own layer objects "
                    "(copy.deepcopy(layer) makes one)"
                )
            if layer.name is None:
                counts[layer.kind] = counts.get(layer.kind, 0) + 1
                layer.name = f"{layer.kind}{counts[layer.kind]}"
        names = [layer.name for layer in self.layers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise NetworkError(f"layer names must be unique; repeated: {dupes}")

    def layer(self, name: str) -> Layer:
        """The layer named ``name`` (a ``KeyError`` naming the layers if there is none)."""
        if not isinstance(name, str):
            raise TypeError(f"name must be a layer's name (a str); got {name!r}")
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(
            f"name: no layer named {name!r}; the layers are {[layer.name for layer in self.layers]}"
        )

    def _arrays(self, store: dict[str, np.ndarray], layer: Layer) -> dict[str, np.ndarray]:
        """The layer's arrays under their short names (``weight``), read from the network's dict."""
        keys = self._keys[layer.name][store is self.buffers]
        return {short: store[full] for short, full in keys}

    @property
    def n_params(self) -> int:
        """Trained numbers (weights and biases)."""
        return int(sum(v.size for v in self.params.values()))

    @property
    def n_buffers(self) -> int:
        """Non-trained numbers (running statistics)."""
        return int(sum(v.size for v in self.buffers.values()))

    def summary(self, title: str | None = None):
        """The architecture table (:func:`cnnmath.arch.summary`)."""
        from .arch import summary

        if title is not None and not isinstance(title, str):
            raise TypeError(f"title must be a str or None; got {title!r}")

        return summary(self, title)

    def twin(self, device=None):
        """The ``torch.nn.Sequential`` twin holding copies of the weights (:func:`cnnmath.torch_twin.twin`)."""
        from .torch_twin import twin

        return twin(self, device)

    def load_twin(self, module) -> None:
        """Copy a twin's weights and buffers into this network (:func:`cnnmath.torch_twin.load`)."""
        from .torch_twin import load

        load(self, module)

    def __repr__(self) -> str:
        body = ", ".join(f"{layer.name}: {layer.describe()}" for layer in self.layers)
        return f"Sequential({self.name!r}, input {self.input_shape}, [{body}])"

    # -- computation ----------------------------------------------------------------------------
    def _check_x(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x, "x (the network input)", finite=False)
        if x.ndim != len(self.input_shape) + 1 or x.shape[1:] != self.input_shape or not len(x):
            raise ValueError(
                f"{self.name} takes a batch of shape (N, {', '.join(map(str, self.input_shape))}) "
                f"with N >= 1; got x of shape {x.shape}"
            )
        return x.astype(self.dtype, copy=False)

    def forward(self, x: np.ndarray, *, training: bool = False) -> tuple[np.ndarray, list]:
        """The last layer's output for the batch ``x`` and the caches of every layer."""
        h = self._check_x(x)
        training = flag(training, "training")
        caches = []
        for layer in self.layers:
            h, cache = layer.forward(
                self._arrays(self.params, layer),
                h,
                training=training,
                rng=self.rng,
                buffers=self._arrays(self.buffers, layer),
            )
            caches.append(cache)
        return h, caches

    def backward(self, dout: np.ndarray, caches: list) -> dict[str, np.ndarray]:
        """The gradient of every parameter, given the gradient of the loss for the last layer's output."""
        if not isinstance(caches, list):
            raise TypeError(
                f"caches must be the list of caches returned by forward; got {type(caches).__name__}"
            )
        dout = as_float_array(dout, "dout (the gradient of the loss for the output)", finite=False)
        if dout.shape[1:] != self.output_shape:
            raise ValueError(
                f"dout must have the output's shape (N, {', '.join(map(str, self.output_shape))}); "
                f"got {dout.shape}"
            )
        if len(caches) != len(self.layers):
            raise ValueError(
                f"caches must hold one cache per layer ({len(self.layers)}); got {len(caches)}"
            )
        grads: dict[str, np.ndarray] = {}
        g = dout
        for i in range(len(self.layers) - 1, self._first_trained - 1, -1):
            layer = self.layers[i]
            g, local = layer.backward(
                self._arrays(self.params, layer), g, caches[i], need_dx=i > self._first_trained
            )
            for k, v in local.items():
                grads[f"{layer.name}.{k}"] = v
        return grads

    def loss_and_grads(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
        """Training mode: the mean loss over the batch, the gradient of every parameter, and the output."""
        out, caches = self.forward(x, training=True)
        if self.loss == "mse":
            y = as_float_array(y, "y (the targets)", finite=False)
            if y.shape != out.shape:
                raise ValueError(
                    f"y (the targets) must have the output's shape {out.shape}; got {y.shape}"
                )
            loss, lc = mse_forward(out, y)
            dout = mse_backward(1.0, lc)
        else:
            y = check_labels(y, "y (the class labels)", n=len(out), num_classes=out.shape[1])
            loss, lc = softmax_cross_entropy_forward(out, y)
            dout = softmax_cross_entropy_backward(1.0, lc)
        return float(loss), self.backward(dout, caches), out

    def predict_output(self, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Evaluation mode output (logits of a classifier, reconstructions of an autoencoder), in batches."""
        x = self._check_x(x)
        batch_size = positive_int(batch_size, "batch_size")
        return np.concatenate(
            [self.forward(x[i : i + batch_size])[0] for i in range(0, len(x), batch_size)]
        )

    def predict_proba(self, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Class probabilities (softmax of the logits) in evaluation mode."""
        if self.loss != "softmax_cross_entropy":
            raise ValueError(
                f"predict_proba needs a classifier; {self.name} is trained with loss {self.loss!r}"
            )
        return softmax(self.predict_output(x, batch_size))

    def predict(self, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        return self.predict_proba(x, batch_size).argmax(axis=1)

    def evaluate_loss(self, x: np.ndarray, y: np.ndarray, batch_size: int = 1024) -> float:
        """The mean loss in evaluation mode (used by :func:`cnnmath.train.evaluate` for regression)."""
        out = self.predict_output(x, batch_size)
        if self.loss == "mse":
            y = as_float_array(y, "y (the targets)", finite=False)
            if y.shape != out.shape:
                raise ValueError(
                    f"y (the targets) must have the output's shape {out.shape}; got {y.shape}"
                )
            return float(mse_forward(out, y)[0])
        y = check_labels(y, "y (the class labels)", n=len(out), num_classes=out.shape[1])
        return float(softmax_cross_entropy_forward(out, y)[0])
