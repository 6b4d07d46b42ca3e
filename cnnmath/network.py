"""A network is a description: a list of layers with their shapes, names and loss, and no arrays.

``Sequential(layers, input_shape)`` runs the shape of one example through the layers when it is
built, so a bad description fails at once, naming the layer and the shapes. It holds no numbers:
its state (the trained parameters, the untrained buffers such as batch norm's running statistics,
and the generator of dropout's masks) is a separate :class:`State` made by
:meth:`Sequential.init` and passed to every computation, as flax separates a module from its
variables. So the architecture table, the receptive fields and the torch twin's layers are read
from the description alone, and one description serves any number of trained states.

Forward runs the layers in order, keeping each layer's cache; backward runs them in reverse, so the
chain rule

.. math::
    \\frac{\\partial E}{\\partial A^{(l-1)}} = \\Big(\\frac{\\partial A^{(l)}}{\\partial A^{(l-1)}}\\Big)^T
    \\frac{\\partial E}{\\partial A^{(l)}}

is one loop, each factor applied by the layer's own backward function. Layers before the first
one with parameters get no gradient at all: nobody uses it.

The state's arrays are nested per layer, under torch's array names: ``state.params["C1"]["weight"]``,
``state.buffers["bn1"]["running_mean"]``; :meth:`State.flat` gives them under the keys of the
torch twin's ``state_dict`` (``"C1.weight"``). :class:`Trainable` is the written contract between
a network and :func:`cnnmath.train.fit`.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from .activations import softmax
from .arguments import as_float_array, flag, positive_int
from .arguments import labels as check_labels
from .arguments import seed as check_seed
from .layers import Layer
from .losses import (
    mse_backward,
    mse_forward,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
)

LOSSES = ("softmax_cross_entropy", "mse")

#: The arrays of a network, per layer: ``{layer name: {array name: array}}``.
Arrays = dict[str, dict[str, np.ndarray]]


class NetworkError(ValueError):
    """The description of a network does not fit together (shapes, names, layer types)."""


def _float_dtype(dtype: object, name: str = "dtype") -> np.dtype:
    kind = None
    if isinstance(dtype, (type, np.dtype, str)):  # not None: np.dtype(None) is float64
        try:
            kind = np.dtype(dtype).type
        except TypeError:
            kind = None
    if kind not in (np.float32, np.float64):
        raise NetworkError(f"{name} must be np.float32 or np.float64; got {dtype!r}")
    return np.dtype(kind)


@dataclass(eq=False)
class State:
    """The numbers of one network: made by :meth:`Sequential.init`, changed by training.

    ``params[layer][array]`` are trained (weights, biases), ``buffers[layer][array]`` are kept but
    not trained (running statistics); only layers that have such arrays appear. ``rng`` draws
    dropout's masks, so a NumPy run is repeatable. ``layout`` records the shapes of the network that
    made it, so that a state is never used with another network.
    """

    params: Arrays
    buffers: Arrays
    rng: np.random.Generator
    seed: int
    dtype: np.dtype
    layout: tuple = field(repr=False)

    @property
    def n_params(self) -> int:
        """Trained numbers (weights and biases)."""
        return int(sum(v.size for arrays in self.params.values() for v in arrays.values()))

    @property
    def n_buffers(self) -> int:
        """Non-trained numbers (running statistics)."""
        return int(sum(v.size for arrays in self.buffers.values() for v in arrays.values()))

    def flat(self, which: str = "all") -> dict[str, np.ndarray]:
        """The arrays under torch's ``state_dict`` keys, ``"<layer>.<array>"`` (the same arrays,
        not copies): ``which`` is ``"params"``, ``"buffers"`` or ``"all"``."""
        stores = {"params": (self.params,), "buffers": (self.buffers,)}
        stores["all"] = (self.params, self.buffers)
        if which not in stores:
            raise ValueError(f"which must be 'params', 'buffers' or 'all'; got {which!r}")
        return {
            f"{layer}.{k}": v
            for store in stores[which]
            for layer, arrays in store.items()
            for k, v in arrays.items()
        }

    def copy(self) -> State:
        """An independent copy (arrays copied; the dropout generator continues from the same point)."""
        import copy

        return State(
            {n: {k: v.copy() for k, v in a.items()} for n, a in self.params.items()},
            {n: {k: v.copy() for k, v in a.items()} for n, a in self.buffers.items()},
            copy.deepcopy(self.rng),
            self.seed,
            self.dtype,
            self.layout,
        )


@runtime_checkable
class Trainable(Protocol):
    """What :func:`cnnmath.train.fit` trains: a description whose loss, gradients and outputs are
    functions of a state (CS231n's contract between ``Solver`` and a model, with the state apart).

    - ``loss``: ``"softmax_cross_entropy"`` (a classifier: the output is the logits) or ``"mse"``;
    - ``loss_and_grads(state, x, y)``: in training mode, the batch's mean loss, the gradient of
      every array of ``state.params`` (nested the same way) and the output;
    - ``predict_output(state, x, batch_size)``: the output in evaluation mode.
    """

    loss: str

    def init(self, seed: int = 0, dtype: object = None) -> State: ...

    def loss_and_grads(
        self, state: State, x: np.ndarray, y: np.ndarray
    ) -> tuple[float, Arrays, np.ndarray]: ...

    def predict_output(self, state: State, x: np.ndarray, batch_size: int = 1024) -> np.ndarray: ...


class Sequential:
    """Layers applied one after the other to a batch of examples of shape ``(N, *input_shape)``.

    The loss is ``"softmax_cross_entropy"`` on the last layer's output (logits; a classifier) or
    ``"mse"`` (a regression, such as an autoencoder). ``dtype`` is the precision :meth:`init`
    uses unless told otherwise (and the one the architecture table's memory column counts).
    """

    def __init__(
        self,
        layers: Iterable[Layer],
        input_shape: Sequence[int],
        *,
        loss: str = "softmax_cross_entropy",
        name: str = "network",
        dtype: type = np.float64,
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
        self.dtype = _float_dtype(dtype)
        self.loss, self.name = loss, name
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
        self._index = {layer.name: i for i, layer in enumerate(self.layers)}
        self._layout = tuple(
            (
                layer.name,
                tuple(layer.param_shapes().items()),
                tuple(layer.buffer_shapes().items()),
            )
            for layer in self.layers
        )
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
        return self.layers[self._layer_index(name, "name")]

    def _layer_index(self, name: object, arg: str) -> int:
        if not isinstance(name, str):
            raise TypeError(f"{arg} must be a layer's name (a str); got {name!r}")
        if name not in self._index:
            raise KeyError(
                f"{arg}: no layer named {name!r}; the layers are "
                f"{[layer.name for layer in self.layers]}"
            )
        return self._index[name]

    @property
    def n_params(self) -> int:
        """Trained numbers (weights and biases), counted from the shapes."""
        return sum(int(np.prod(s)) for layer in self.layers for s in layer.param_shapes().values())

    @property
    def n_buffers(self) -> int:
        """Non-trained numbers (running statistics), counted from the shapes."""
        return sum(int(np.prod(s)) for layer in self.layers for s in layer.buffer_shapes().values())

    def summary(self, title: str | None = None):
        """The architecture table (:func:`cnnmath.arch.summary`): read from the description, it
        allocates no array."""
        from .arch import summary

        return summary(self, title)

    def __repr__(self) -> str:
        body = ", ".join(f"{layer.name}: {layer.describe()}" for layer in self.layers)
        return f"Sequential({self.name!r}, input {self.input_shape}, [{body}])"

    # -- state ----------------------------------------------------------------------------------
    def init(self, seed: int = 0, dtype: object = None) -> State:
        """A new state: every layer's parameters drawn from one generator seeded with ``seed``, in
        layer order, buffers at their initial values, in ``dtype`` (the network's by default)."""
        seed = check_seed(seed)
        dt = self.dtype if dtype is None else _float_dtype(dtype)
        rng = np.random.default_rng(seed)
        params: Arrays = {}
        buffers: Arrays = {}
        for layer in self.layers:
            p = layer.init_params(rng, dt.type)
            if p:
                params[layer.name] = p
            b = layer.init_buffers(dt.type)
            if b:
                buffers[layer.name] = b
        return State(params, buffers, np.random.default_rng([seed, 1]), seed, dt, self._layout)

    def check_state(self, state: object, name: str = "state") -> State:
        """Return ``state`` if it was made by :meth:`init` of a network of this shape, else raise."""
        _label(name)
        if not isinstance(state, State):
            raise TypeError(
                f"{name} must be a cnnmath.network.State made by {self.name}'s init(); got "
                f"{type(state).__name__}"
            )
        if state.layout != self._layout:
            raise ValueError(
                f"{name} was made for another network (its layers or shapes differ from "
                f"{self.name}'s): make it with this network's init()"
            )
        return state

    def _arrays(self, state: State, layer: Layer) -> tuple[dict, dict]:
        return state.params.get(layer.name, {}), state.buffers.get(layer.name, {})

    # -- computation ----------------------------------------------------------------------------
    def _check_x(self, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
        x = as_float_array(x, "x (the network input)", finite=False)
        if x.ndim != len(self.input_shape) + 1 or x.shape[1:] != self.input_shape or not len(x):
            raise ValueError(
                f"{self.name} takes a batch of shape (N, {', '.join(map(str, self.input_shape))}) "
                f"with N >= 1; got x of shape {x.shape}"
            )
        return x.astype(dtype, copy=False)

    def _stop(self, stop_at: str | None) -> int:
        return len(self.layers) if stop_at is None else self._layer_index(stop_at, "stop_at") + 1

    def _run(
        self, state: State, h: np.ndarray, training: bool, stop: int
    ) -> Iterator[tuple[Layer, np.ndarray, object]]:
        """The forward loop, the one place it is written: each layer's output and cache."""
        for layer in self.layers[:stop]:
            p, b = self._arrays(state, layer)
            h, cache = layer.forward(p, h, training=training, rng=state.rng, buffers=b)
            yield layer, h, cache

    def forward(
        self,
        state: State,
        x: np.ndarray,
        *,
        training: bool = False,
        stop_at: str | None = None,
    ) -> tuple[np.ndarray, list]:
        """The last layer's output for the batch ``x`` (or the output of the layer named
        ``stop_at``) and the caches of every layer run."""
        state = self.check_state(state)
        h = self._check_x(x, state.dtype)
        training = flag(training, "training")
        caches = []
        for _, h, cache in self._run(state, h, training, self._stop(stop_at)):
            caches.append(cache)
        return h, caches

    def outputs(
        self,
        state: State,
        x: np.ndarray,
        names: Iterable[str] | None = None,
        *,
        stop_at: str | None = None,
    ) -> dict[str, np.ndarray]:
        """The outputs of the named layers (all by default) for the batch ``x``, in evaluation
        mode, keyed by layer name: the feature maps a page draws."""
        state = self.check_state(state)
        stop = self._stop(stop_at)
        if names is None:
            keep = {layer.name for layer in self.layers[:stop]}
        else:
            if isinstance(names, str) or not isinstance(names, Iterable):
                raise TypeError(f"names must be a list of layer names or None; got {names!r}")
            keep = set(names)
            for n in keep:
                if self._layer_index(n, "names") >= stop:
                    raise ValueError(f"names: layer {n!r} comes after stop_at={stop_at!r}")
        h = self._check_x(x, state.dtype)
        return {
            layer.name: out
            for layer, out, _ in self._run(state, h, False, stop)
            if layer.name in keep
        }

    def backward(self, state: State, dout: np.ndarray, caches: list) -> Arrays:
        """The gradient of every parameter (nested like ``state.params``), given the gradient of the
        loss for the last layer's output and the caches of a training-mode :meth:`forward`."""
        state = self.check_state(state)
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
        grads: Arrays = {}
        g = dout
        for i in range(len(self.layers) - 1, self._first_trained - 1, -1):
            layer = self.layers[i]
            g, local = layer.backward(
                state.params.get(layer.name, {}), g, caches[i], need_dx=i > self._first_trained
            )
            if local:
                grads[layer.name] = local
        return {name: grads[name] for name in state.params}  # in layer order, like the state

    def _loss(self, out: np.ndarray, y: object) -> tuple[float, object]:
        if self.loss == "mse":
            y = as_float_array(y, "y (the targets)", finite=False)
            if y.shape != out.shape:
                raise ValueError(
                    f"y (the targets) must have the output's shape {out.shape}; got {y.shape}"
                )
            loss, cache = mse_forward(out, y)
        else:
            y = check_labels(y, "y (the class labels)", n=len(out), num_classes=out.shape[1])
            loss, cache = softmax_cross_entropy_forward(out, y)
        return float(loss), cache

    def loss_and_grads(
        self, state: State, x: np.ndarray, y: np.ndarray
    ) -> tuple[float, Arrays, np.ndarray]:
        """Training mode: the mean loss over the batch, the gradient of every parameter, and the output."""
        out, caches = self.forward(state, x, training=True)
        loss, lc = self._loss(out, y)
        if self.loss == "mse":
            dout = mse_backward(1.0, lc)
        else:
            dout = softmax_cross_entropy_backward(1.0, lc)
        return loss, self.backward(state, dout, caches), out

    def predict_output(
        self,
        state: State,
        x: np.ndarray,
        batch_size: int = 1024,
        *,
        stop_at: str | None = None,
    ) -> np.ndarray:
        """Evaluation mode output (logits of a classifier, reconstructions of an autoencoder, or the
        output of the layer ``stop_at``, such as an autoencoder's code), in batches."""
        state = self.check_state(state)
        x = self._check_x(x, state.dtype)
        batch_size = positive_int(batch_size, "batch_size")
        stop = self._stop(stop_at)
        out = []
        for i in range(0, len(x), batch_size):
            h = x[i : i + batch_size]
            for _, h, _ in self._run(state, h, False, stop):
                pass
            out.append(h)
        return np.concatenate(out)

    def predict_proba(self, state: State, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Class probabilities (softmax of the logits) in evaluation mode."""
        if self.loss != "softmax_cross_entropy":
            raise ValueError(
                f"predict_proba needs a classifier; {self.name} is trained with loss {self.loss!r}"
            )
        return softmax(self.predict_output(state, x, batch_size))

    def predict(self, state: State, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """The most probable class of each example."""
        return self.predict_proba(state, x, batch_size).argmax(axis=1)

    def evaluate_loss(
        self, state: State, x: np.ndarray, y: np.ndarray, batch_size: int = 1024
    ) -> float:
        """The mean loss in evaluation mode (used by :func:`cnnmath.train.evaluate` for regression)."""
        return self._loss(self.predict_output(state, x, batch_size), y)[0]


def _label(name: object) -> None:
    if not isinstance(name, str):
        raise TypeError(f"name must be a str (the argument's name in messages); got {name!r}")


def check_network(net: object, name: str = "net") -> Sequential:
    """Return ``net`` if it is a :class:`Sequential`, else raise naming ``name``."""
    _label(name)
    if not isinstance(net, Sequential):
        raise TypeError(
            f"{name} must be a cnnmath.network.Sequential (a description from cnnmath.zoo or "
            f"Sequential(layers, input_shape)); got {type(net).__name__}"
        )
    return net
