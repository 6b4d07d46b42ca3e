"""The named networks are descriptions: no arrays, a table that allocates nothing, and states whose
initial draws follow the layers' rules from one generator. LeNet-5's and the thesis CNN's counts and
twins. (The hand-unrolled LeNet-5 and MLP are tested equal to these in ``test_chain_rule.py``.)"""

import inspect
import math
import tracemalloc

import numpy as np
import pytest
import torch

from cnnmath import layers as L
from cnnmath import zoo
from cnnmath.network import Sequential
from cnnmath.torch_twin import twin

from .twin_check import check_twin

#: Every network of the zoo, described with its defaults (the MLP needs its sizes).
NETWORKS = {
    "mlp": lambda: zoo.mlp((784, 128, 64, 10)),
    "lenet5": zoo.lenet5,
    "thesis_cnn": zoo.thesis_cnn,
    "alexnet": zoo.alexnet,
    "alexnet_one_tower": zoo.alexnet_one_tower,
    "alexnet_fashion": zoo.alexnet_fashion,
    "autoencoder": zoo.autoencoder,
    "lenet5_thesis": zoo.lenet5_thesis,
    "lenet5_keras": zoo.lenet5_keras,
    "lenet5_slides": zoo.lenet5_slides,
    "lenet5_1998": zoo.lenet5_1998,
}
#: Small enough to draw, run and train in a test.
SMALL = sorted(set(NETWORKS) - {"alexnet", "alexnet_one_tower"})


def test_every_zoo_network_is_listed():
    described = {
        name
        for name, f in vars(zoo).items()
        if inspect.isfunction(f)
        and f.__module__ == zoo.__name__
        and not name.startswith("_")
        and inspect.signature(f).return_annotation in (Sequential, "Sequential")
    }
    assert described == set(NETWORKS)


def _arrays_in(obj: object, path: str, seen: set) -> list[tuple[str, np.dtype]]:
    """The arrays (and tensors) reachable from ``obj`` through its attributes and containers."""
    if id(obj) in seen or isinstance(obj, (str, bytes, int, float, type)):
        return []
    seen.add(id(obj))
    if isinstance(obj, (np.ndarray, torch.Tensor)):
        return [(path, obj.dtype)]
    if isinstance(obj, dict):
        items = [(f"{path}[{k!r}]", v) for k, v in obj.items()]
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(obj)]
    elif hasattr(obj, "__dict__"):
        items = [(f"{path}.{k}", v) for k, v in vars(obj).items()]
    else:  # the layers' weak references to their network, numbers, None
        return []
    return [found for p, v in items for found in _arrays_in(v, p, seen)]


def _numbers_in(net: Sequential, name: str) -> list[tuple[str, np.dtype]]:
    """The arrays of numbers in a description. A partially connected layer keeps its connection
    table, a boolean array: which maps are connected is the description itself, not a number that
    is drawn or trained."""
    return [(p, dt) for p, dt in _arrays_in(net, name, set()) if dt != np.bool_]


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_a_zoo_network_holds_no_numbers(name):
    net = NETWORKS[name]()
    assert _numbers_in(net, name) == []
    assert not hasattr(net, "params") and not hasattr(net, "buffers")
    if name in SMALL:  # drawing a state, running and tabulating it leave nothing in the description
        state = net.init(seed=0)
        x = np.random.default_rng(0).random((2, *net.input_shape))
        y = x if net.loss == "mse" else np.array([0, 1])
        net.loss_and_grads(state, x, y)
        net.summary()
        assert _numbers_in(net, name) == []
        assert _arrays_in(state, "state", set()) != []  # the probe finds arrays where they are


def test_the_probe_finds_a_hidden_array():
    net = zoo.lenet5()
    net.layers[3].extra = {"cache": [np.zeros(3)]}
    assert _numbers_in(net, "lenet5") == [("lenet5.layers[3].extra['cache'][0]", np.float64)]


def test_alexnet_table_allocates_no_parameter_array():
    zoo.lenet5().summary()  # the table's module imported before measuring
    smallest_weights = 96 * 3 * 11 * 11 * 4  # conv1's float32 weights, AlexNet's smallest
    tracemalloc.start()
    try:
        net = zoo.alexnet()
        table = net.summary()
        text = str(table)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert table.total == net.n_params == 60_965_224 and "fc6" in text
    # describing the network and rendering its table: less than its smallest weight array
    assert peak < smallest_weights, f"{peak:,} bytes at peak"


# -- init: one generator, the layers in order, each layer's rule -----------------------------
def _he_normal(rng: np.random.Generator, shape: tuple, fan_in: int) -> np.ndarray:
    """He's rule: N(0, 2/fan_in), drawn as a (fan_out, fan_in) matrix and reshaped."""
    fan_out = shape[0]
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), (fan_out, fan_in)).reshape(shape)


def expected_state(net: Sequential, seed: int) -> tuple[dict, dict]:
    """The initial parameters and buffers, in float64, that ``net.init(seed)`` must draw:
    convolutions and dense layers He-normal with fan-in C/groups k^2 (or the inputs), biases 0,
    batch norm's scale 1 and shift 0 with running mean 0 and variance 1; all from one generator
    ``default_rng(seed)``, in layer order."""
    rng = np.random.default_rng(seed)
    params, buffers = {}, {}
    for layer in net.layers:
        if isinstance(layer, L.Conv2d):
            F, Cg, KH, KW = layer.param_shapes()["weight"]
            w = _he_normal(rng, (F, Cg, KH, KW), Cg * KH * KW)
            params[layer.name] = {"weight": w, "bias": np.zeros(F)}
        elif isinstance(layer, L.Dense):
            units, n_in = layer.param_shapes()["weight"]
            w = _he_normal(rng, (units, n_in), n_in)
            params[layer.name] = {"weight": w, "bias": np.zeros(units)}
        elif isinstance(layer, L.BatchNorm):
            C = layer.in_shape[0]
            params[layer.name] = {"weight": np.ones(C), "bias": np.zeros(C)}
            buffers[layer.name] = {"running_mean": np.zeros(C), "running_var": np.ones(C)}
        else:
            assert not layer.param_shapes() and not layer.buffer_shapes(), layer.name
    return params, buffers


@pytest.mark.parametrize("name", ["mlp", "lenet5", "thesis_cnn", "alexnet_fashion"])
@pytest.mark.parametrize("seed, dtype", [(0, np.float32), (7, np.float64)])
def test_init_draws_each_layer_from_one_generator_in_order(name, seed, dtype):
    net = NETWORKS[name]()
    state = net.init(seed=seed, dtype=dtype)
    params, buffers = expected_state(net, seed)
    assert state.seed == seed and state.dtype == dtype
    for got, want in ((state.params, params), (state.buffers, buffers)):
        assert list(got) == list(want)
        for layer, arrays in want.items():
            assert list(got[layer]) == list(arrays)
            for k, v in arrays.items():  # drawn in float64, then rounded: equal to the last bit
                assert got[layer][k].dtype == dtype
                np.testing.assert_array_equal(
                    got[layer][k], v.astype(dtype), err_msg=f"{layer}.{k}"
                )
    # dropout's masks come from their own generator, default_rng([seed, 1])
    np.testing.assert_array_equal(state.rng.random(5), np.random.default_rng([seed, 1]).random(5))


@pytest.mark.parametrize("name", SMALL)
def test_init_is_repeatable_and_seeds_differ(name):
    net = NETWORKS[name]()
    a, b, c = net.init(seed=3), net.init(seed=3), net.init(seed=4)
    assert a.n_params == net.n_params and a.dtype == net.dtype
    for k, v in a.flat().items():
        np.testing.assert_array_equal(v, b.flat()[k])
    drawn = [k for k, v in a.flat("params").items() if v.std() > 0]  # weights, not 0/1 constants
    assert drawn and all(not np.array_equal(a.flat()[k], c.flat()[k]) for k in drawn)


# -- LeNet-5 and the thesis CNN ---------------------------------------------------------------
def test_lenet5_counts_and_twin(rng):
    net = zoo.lenet5()
    table = net.summary()
    assert table.total == net.n_params == 61_706
    assert table.rows[0].macs == 6 * 28 * 28 * 25 and table.rows[3].macs == 16 * 10 * 10 * 6 * 25
    x, y = rng.normal(size=(3, 1, 28, 28)), rng.integers(0, 10, 3)
    check_twin(net, net.init(seed=0, dtype=np.float64), x, y)


def test_thesis_cnn_counts_equal_its_twin():
    net = zoo.thesis_cnn()
    table = net.summary()
    module = twin(net, net.init(seed=0), "cpu")
    assert table.trainable == net.n_params == sum(p.numel() for p in module.parameters())
    # the thesis's own count of the non-trainable numbers: 2 * (32 * 2) + 2 * (64 * 2)
    assert table.non_trainable == net.n_buffers == 2 * (32 * 2) + 2 * (64 * 2)
    h = torch.zeros((1, 1, 28, 28))
    for layer, mod in zip(net.layers, module.eval()):
        h = mod(h)
        assert tuple(h.shape[1:]) == layer.out_shape, layer.name
