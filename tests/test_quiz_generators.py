"""Every generator's answers, over many seeds, checked by another route: torch, brute force, SymPy.

Each oracle reads the question's inputs (``question.data``) and computes the answer without the
code that made it (torch's layers and autograd, loops, float arithmetic of another library).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch
import torch.nn.functional as F

from cnnmath import ledger
from cnnmath.claims import record
from cnnmath.layers import Activation, BatchNorm, Conv2d, Dense, Flatten, MaxPool2d
from cnnmath.network import Sequential
from cnnmath.quiz import generate, generators
from cnnmath.quiz.networks import describe
from cnnmath.quiz.training import equal_groups, groups_text

SEEDS = range(20)
META = torch.device("meta")  # shapes and counts only: no arithmetic
T = torch.float64


def t(x) -> torch.Tensor:
    return torch.tensor(x, dtype=T)


def grad_of(fn, x: torch.Tensor) -> torch.Tensor:
    x = x.clone().requires_grad_(True)
    fn(x).backward()
    return x.grad


# --------------------------------------------------------------------------------------------
# torch twins of the networks the questions describe
# --------------------------------------------------------------------------------------------


def torch_net(net: Sequential) -> tuple[torch.nn.Sequential, tuple]:
    """The network a question describes, rebuilt from torch's modules layer by layer on a dummy
    input (torch's own shape rules and counts): (modules, output shape)."""
    x = torch.zeros(1, *net.input_shape, dtype=T, device=META)
    mods = []
    for layer in net.layers:
        if isinstance(layer, Conv2d):
            m = torch.nn.Conv2d(
                x.shape[1],
                layer.filters,
                layer.kernel,
                layer.stride,
                layer.padding,
                groups=layer.groups,
                bias=layer.bias,
                dtype=T,
                device=META,
            )
        elif isinstance(layer, MaxPool2d):
            m = torch.nn.MaxPool2d(layer.kernel, layer.stride, layer.padding)
        elif isinstance(layer, BatchNorm):
            m = torch.nn.BatchNorm2d(x.shape[1], dtype=T, device=META)
        elif isinstance(layer, Flatten):
            m = torch.nn.Flatten()
        elif isinstance(layer, Dense):
            m = torch.nn.Linear(x.shape[1], layer.units, bias=layer.bias, dtype=T, device=META)
        else:
            assert isinstance(layer, Activation) and layer.function == "relu", layer
            m = torch.nn.ReLU()
        m.eval()
        x = m(x)
        mods.append(m)
    return torch.nn.Sequential(*mods), tuple(x.shape[1:])


def trainable(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def tracked(net: torch.nn.Module) -> int:
    return sum(
        b.numel()
        for name, b in net.named_buffers()
        if name.split(".")[-1] in ("running_mean", "running_var")
    )


# --------------------------------------------------------------------------------------------
# oracles, by kind: question -> expected answer
# --------------------------------------------------------------------------------------------


def perceptron_output(d):
    return torch.sigmoid(t(d["w"]) @ t(d["x"]) + d["w0"]).item()


def perceptron_update(d):
    w = t(d["w"]).requires_grad_(True)
    F.binary_cross_entropy_with_logits(w @ t(d["x"]), t(d["y"])).backward()
    return (w - d["eta"] * w.grad)[0].item()


def activation_derivative(d):
    fn = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "elu": F.elu,
        "leaky_relu": lambda z: F.leaky_relu(z, d["b"]),
    }[d["name"]]
    return grad_of(lambda z: fn(z).sum(), t([d["z"]]))[0].item()


def softmax_output(d):
    return torch.softmax(t(d["z"]), 0)[d["i"]].item()


def softmax_jacobian(d):
    return torch.autograd.functional.jacobian(lambda z: torch.softmax(z, 0), t(d["z"]))[
        d["i"], d["j"]
    ].item()


def mse_value(d):
    r, y = t(d["r"]), t(d["y"])
    return (
        0.5 * F.mse_loss(r, y, reduction="sum").item() if d["thesis"] else F.mse_loss(r, y).item()
    )


def cross_entropy_value(d):
    return F.cross_entropy(t([d["z"]]), torch.tensor([d["k"]])).item()


def bce_gradient(d):
    return grad_of(lambda r: F.binary_cross_entropy(r, t([d["y"]]), reduction="sum"), t([d["r"]]))[
        0
    ].item()


def output_delta(d):
    return grad_of(
        lambda z: F.cross_entropy(z[None], torch.tensor([d["k"]]), reduction="sum"), t(d["z"])
    )[d["j"]].item()


def dense_weight_gradient(d):
    x, dz = t(d["x"]), t(d["dz"])
    w = grad_of(lambda w: ((x @ w.T) * dz).sum(), torch.zeros(dz.shape[1], x.shape[1], dtype=T))
    return w[d["j"], d["k"]].item()


def hidden_delta(d):
    fn = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[d["name"]]
    w, delta = t(d["w"]), t(d["delta"])
    return grad_of(lambda z: ((fn(z) @ w.T) * delta).sum(), t(d["z"]))[d["i"]].item()


def _init_sample(d, uniform: bool) -> torch.Tensor:
    w = torch.empty(d["n_out"], d["n_in"], dtype=T)
    torch.manual_seed(0)
    rule = d["rule"]
    if rule.startswith("glorot"):
        (torch.nn.init.xavier_uniform_ if uniform else torch.nn.init.xavier_normal_)(w)
    else:
        gain = "linear" if rule.startswith("lecun") else "relu"
        (torch.nn.init.kaiming_uniform_ if uniform else torch.nn.init.kaiming_normal_)(
            w, nonlinearity=gain
        )
    return w


def init_variance(d):
    return ("sampled", _init_sample(d, False).var().item())


def uniform_limit(d):
    return ("max", _init_sample(d, True).abs().max().item())


def momentum_steps(d):
    return _torch_steps(torch.optim.SGD, d, momentum=d["momentum"])


def adam_steps(d):
    return _torch_steps(torch.optim.Adam, d)


def adaptive_steps(d):
    if d["rule"] == "adagrad":
        return _torch_steps(torch.optim.Adagrad, d, eps=1e-10)
    return _torch_steps(torch.optim.RMSprop, d, alpha=0.9, eps=1e-8)


def _torch_steps(opt_cls, d, **hyper):
    w = torch.nn.Parameter(t([d["w0"]]))
    opt = opt_cls([w], lr=d["lr"], **hyper)
    for g in d["g"]:
        w.grad = t([g])
        opt.step()
    return w.item()


def mlp_parameters(d):
    sizes = d["sizes"]
    return sum(trainable(torch.nn.Linear(a, b)) for a, b in zip(sizes[:-1], sizes[1:]))


def first_layer_share(d):
    sizes = d["sizes"]
    layers = [torch.nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
    return 100 * trainable(layers[0]) / sum(trainable(m) for m in layers)


def mlp_output(d):
    h = torch.relu(t(d["x"]) @ t(d["W1"]).T + t(d["b1"]))
    return (h @ t(d["W2"]).T + t(d["b2"])).item()


def conv_output_size(d):
    z = F.conv2d(
        torch.zeros(1, 1, d["n"], d["n"], device=META),
        torch.zeros(1, 1, d["k"], d["k"], device=META),
        stride=d["s"],
        padding=d["p"],
        dilation=d["d"],
    )
    return z.shape[2]


def conv_feature_map(d):
    z = F.conv2d(t(d["x"])[None, None], t(d["w"])[None, None], t([d["b"]]), stride=d["s"])
    return ("grid", z[0, 0].numpy())


def conv_parameters(d):
    return trainable(torch.nn.Conv2d(d["c"], d["f"], d["k"], groups=d["groups"]))


def same_padding(d):
    for p in range(64):
        if d["n"] + 2 * p >= d["d"] * (d["k"] - 1) + 1:
            z = F.conv2d(
                torch.zeros(1, 1, d["n"], d["n"], device=META),
                torch.zeros(1, 1, d["k"], d["k"], device=META),
                padding=p,
                dilation=d["d"],
            )
            if z.shape[2] == d["n"]:
                return p


def maxpool_routing(d):
    x = t(d["x"])[None, None]
    return (
        "grid",
        grad_of(lambda x: (F.max_pool2d(x, d["k"], d["s"]) * t(d["dout"])).sum(), x)[0, 0].numpy(),
    )


def avgpool_gradient(d):
    x = t(d["x"])[None, None]
    return (
        "grid",
        grad_of(lambda x: (F.avg_pool2d(x, d["k"], d["s"]) * t(d["dout"])).sum(), x)[0, 0].numpy(),
    )


def conv_bias_gradient(d):
    dout = d["dout"]
    return sum(
        v for example in dout for row in example[d["f"]] for v in row
    )  # loops: the sum over everything


def conv_input_gradient(d):
    w, dout = t(d["w"]), t(d["dout"])
    return (
        "grid",
        grad_of(lambda x: (F.conv2d(x, w) * dout).sum(), torch.zeros(1, 1, 3, 3, dtype=T))[
            0, 0
        ].numpy(),
    )


def batchnorm_output(d):
    x = t(d["x"])[:, None]
    y = F.batch_norm(x, None, None, t([d["gamma"]]), t([d["beta"]]), training=True, eps=d["eps"])
    return y[d["i"], 0].item()


def batchnorm_counts(d):
    layers = [torch.nn.BatchNorm2d(c) for c in d["channels"]]
    return sum((trainable if d["which"] == "trainable" else tracked)(m) for m in layers)


def dropout_survivor(d):
    torch.manual_seed(0)
    y = F.dropout(torch.full((256,), d["x"], dtype=T), d["p"], training=True)
    return y[y != 0][0].item()


def running_statistics(d):
    bn = torch.nn.BatchNorm1d(1, momentum=d["momentum"], dtype=T)
    with torch.no_grad():
        bn.running_mean.fill_(d["mean"])
        bn.running_var.fill_(d["var"])
    bn.train()
    bn(t(d["x"])[:, None])
    return (bn.running_mean if d["which"] == "mean" else bn.running_var).item()


def lenet_flatten(d):
    return torch_net(d["net"])[1][0]


def lenet_parameters(d):
    return trainable(torch_net(d["net"])[0])


def receptive_field(d):
    """The input pixels that move one output unit: autograd through ones-weighted layers."""
    n = 96
    x = torch.zeros(1, 1, n, n, dtype=T, requires_grad=True)
    h = x
    for layer in d["net"].layers:  # the ReLUs are left out: they pass no gradient at 0
        if isinstance(layer, Conv2d):
            k = torch.ones(1, 1, *layer.kernel, dtype=T)
            h = F.conv2d(h, k, stride=layer.stride, padding=layer.padding)
        elif isinstance(layer, MaxPool2d):
            h = F.avg_pool2d(h, layer.kernel, layer.stride, layer.padding)
    i = h.shape[2] // 2
    h[0, 0, i, i].backward()
    cols = torch.nonzero(x.grad[0, 0].abs().sum(0)).flatten()
    return int(cols.max() - cols.min() + 1)


def cnn_flatten(d):
    return torch_net(d["net"])[1][0]


def cnn_trainable(d):
    return trainable(torch_net(d["net"])[0])


def cnn_non_trainable(d):
    return tracked(torch_net(d["net"])[0])


def alexnet_conv1_size(d):
    x, w = torch.zeros(1, 1, d["n"], d["n"], device=META), torch.zeros(1, 1, 11, 11, device=META)
    return F.conv2d(x, w, stride=4, padding=d["p"]).shape[2]


def overlapping_pool_size(d):
    return F.max_pool2d(torch.zeros(1, 1, d["n"], d["n"], device=META), 3, 2).shape[2]


def grouped_conv_parameters(d):
    return trainable(torch.nn.Conv2d(d["c"], d["f"], d["k"], groups=d["groups"]))


def lrn_output(d):
    a = t(d["a"])[None, :, None, None]
    return F.local_response_norm(a, d["size"], d["alpha"], d["beta"], d["k"])[
        0, d["c"], 0, 0
    ].item()


def conv_transpose_size(d):
    x = torch.zeros(1, 1, d["n"], d["n"], device=META)
    return F.conv_transpose2d(
        x,
        torch.zeros(1, 1, d["k"], d["k"], device=META),
        stride=d["s"],
        padding=d["p"],
        output_padding=d["a"],
    ).shape[2]


def conv_transpose_values(d):
    return (
        "grid",
        F.conv_transpose2d(t(d["x"])[None, None], t(d["w"])[None, None], stride=d["s"])[
            0, 0
        ].numpy(),
    )


def float_spacing(d):
    x = torch.tensor(d["x"], dtype=torch.float32)
    return (torch.nextafter(x, torch.tensor(math.inf)) - x).item()


def float32_sum(d):
    return (
        torch.tensor(2.0 ** d["e"], dtype=torch.float32) + torch.tensor(d["b"], dtype=torch.float32)
    ).item()


def unit_roundoff(d):
    if "dtype" in d:
        return torch.finfo(getattr(torch, d["dtype"])).eps / 2
    return math.ldexp(1.0, -d["bits"])  # u = 2^-p, the rule the named formats check


def adam_first_step(d):
    return abs(_torch_steps(torch.optim.Adam, {"w0": 1.0, "g": [d["g"]], "lr": d["lr"]}) - 1.0)


def shard_gradients(d):
    x, y = t(d["x"]), t(d["y"])
    return grad_of(lambda w: ((w * x - y) ** 2).mean(), t(d["w"])).item()


def learning_rate_scaling(d):
    """The answer, used on the combined gradient, must give the linear scaling rule's step."""
    return ("lr", d)


def steps_per_epoch(d):
    steps, seen = 0, 0
    while seen < d["n"]:
        seen += d["workers"] * d["b"] * d["accum"]
        steps += 1
    return steps


ORACLES = {name: fn for name, fn in globals().items() if callable(fn) and not name.startswith("_")}


@pytest.mark.parametrize(
    "kind", [g.kind for g in generators() if g.answer_type in ("numeric", "grid")]
)
def test_answers_by_another_route(kind):
    oracle = ORACLES[kind]
    for seed in SEEDS:
        q = generate(kind, seed)
        got, want = q.answer.value, oracle(q.data)
        if isinstance(want, tuple) and want[0] == "grid":
            np.testing.assert_allclose(got, want[1], atol=1e-9, err_msg=q.id)
        elif isinstance(want, tuple) and want[0] == "sampled":  # a sample variance of ~10^5 draws
            assert got == pytest.approx(want[1], rel=0.05), q.id
        elif isinstance(want, tuple) and want[0] == "max":  # the largest of ~10^5 uniform draws
            assert 0.98 * got <= want[1] <= got, q.id
        elif isinstance(want, tuple) and want[0] == "lr":
            d, workers = want[1], want[1]["workers"]
            g = torch.randn(workers, dtype=T)
            combined = g.mean() if d["reduce"] == "mean" else g.sum()
            assert (got * combined).item() == pytest.approx(
                (d["lr"] * workers * g.mean()).item(), rel=1e-12
            ), q.id
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-12), q.id
        assert q.check(q.answer.key()).correct, q.id


NETWORK_KINDS = [g.kind for g in generators() if g.make.__module__ == "cnnmath.quiz.networks"]


@pytest.mark.parametrize("kind", NETWORK_KINDS)
def test_a_network_question_states_the_network_it_holds(kind):
    """The oracles read the network of ``question.data``: it must be the one the text states,
    layer for layer, and its input the images the text names."""
    questions = [generate(kind, seed) for seed in SEEDS]
    held = [q for q in questions if "net" in q.data]
    if kind in ("lenet_flatten", "lenet_parameters", "receptive_field") or kind.startswith("cnn_"):
        assert len(held) == len(questions)
    for q in held:
        net = q.data["net"]
        assert isinstance(net, Sequential), q.id
        if "n" in q.data:
            assert net.input_shape == (1, q.data["n"], q.data["n"]), q.id
            assert f"${q.data['n']}\\times{q.data['n']}$ grey images" in q.text, q.id
        layers = net.layers[:-1] if kind == "lenet_flatten" else net.layers  # the last: flatten
        if kind.startswith("cnn_"):  # the text sums the blocks up: check their counts and sizes
            convs = [layer for layer in net.layers if isinstance(layer, Conv2d)]
            blocks = len(convs) // 2
            assert f"{blocks} blocks of [conv {convs[0].kernel[0]}x{convs[0].kernel[0]}" in q.text
            assert ", ".join(str(c.filters) for c in convs[::2]) + " filters" in q.text, q.id
        else:
            assert describe(layers) in q.text, q.id


def test_the_tolerance_never_accepts_a_distractor():
    for g in generators():
        for seed in range(10):
            q = g(seed)
            for wrong, mistake in q.answer.distractors:
                response = chr(65 + wrong) if q.answer.type == "choice" else wrong
                fb = q.check(response)
                assert not fb.correct and fb.mistake is mistake, (q.id, mistake.key)


# --------------------------------------------------------------------------------------------
# symbolic and choice answers
# --------------------------------------------------------------------------------------------


def _value(expr: sp.Expr, **values: float) -> float:
    return float(
        expr.subs(
            {sp.Symbol(k, real=True): v for k, v in values.items()}
            | {sp.Symbol(k, positive=True): v for k, v in values.items()}
        )
    )


def test_perceptron_gradient_against_autograd():
    x0, y0, w, w0 = 0.7, 0.3, 0.4, -0.2
    for seed in SEEDS:
        q = generate("perceptron_gradient", seed)
        target, c = q.data["target"], q.data["c"]
        params = t([w, w0]).requires_grad_(True)
        z = params[0] * x0 + params[1]
        z.retain_grad()
        a = torch.sigmoid(c * z)
        a.retain_grad()
        if q.data["loss"] == "ce":
            (-y0 * torch.log(a) - (1 - y0) * torch.log(1 - a)).backward()
        else:
            ((a - y0) ** 2 / 2).backward()
        want = {"w": params.grad[0], "w0": params.grad[1], "z": z.grad, "a": a.grad}[target].item()
        got = _value(q.answer.value, a=a.item(), y=y0, x=x0)
        assert got == pytest.approx(want, rel=1e-9), q.id


def test_activation_formula_against_autograd():
    for seed in SEEDS:
        q = generate("activation_derivative_formula", seed)
        c, shift, name = q.data["c"], q.data["shift"], q.data["name"]
        fn = torch.sigmoid if name == "sigmoid" else torch.tanh
        for z0 in (-1.3, 0.2, 0.9):
            want = grad_of(lambda z: fn(c * z + shift).sum(), t([z0]))[0].item()
            assert _value(q.answer.value, z=z0) == pytest.approx(want, rel=1e-9), q.id


def test_adam_moment_formula_against_the_recursion_in_floats():
    for seed in SEEDS:
        q = generate("adam_moment_formula", seed)
        for beta, g in ((0.9, 1.5), (0.5, -2.0), (0.99, 0.1)):
            m, x = 0.0, g if q.data["which"] == "m" else g * g
            for _ in range(q.data["t"]):
                m = beta * m + (1 - beta) * x
            assert _value(q.answer.value, beta=beta, g=g) == pytest.approx(m, rel=1e-12), q.id


def test_symmetry_question_against_torch():
    for seed in range(8):
        q = generate("symmetry", seed)
        torch.manual_seed(seed)
        d = q.data
        net = torch.nn.Sequential(
            torch.nn.Linear(4, d["hidden"]), torch.nn.Tanh(), torch.nn.Linear(d["hidden"], 3)
        )
        with torch.no_grad():
            for m in (net[0], net[2]):
                m.weight.fill_(d["c"])
                m.bias.zero_()
            net[0].bias.copy_(t(d["biases"]))
        opt = torch.optim.SGD(net.parameters(), lr=0.5)
        x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
        for _ in range(5):
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()
        rows = net[0].weight.detach().numpy()
        same = {
            (i + 1, j + 1)
            for i in range(len(rows))
            for j in range(i + 1, len(rows))
            if np.allclose(rows[i], rows[j])
        }
        assert q.answer.options[q.answer.correct] == groups_text(equal_groups(rows), d["hidden"])
        # equal rows are exactly those of equal biases: the symmetry the question is about
        biases = d["biases"]
        assert same == {
            (i + 1, j + 1)
            for i in range(len(biases))
            for j in range(i + 1, len(biases))
            if biases[i] == biases[j]
        }, q.id


def test_adjoint_question_against_torch():
    for seed in range(8):
        q = generate("adjoint", seed)
        d = q.data
        w = torch.randn(3, 2, d["k"], d["k"], dtype=T)
        x = torch.randn(1, 2, d["n"], d["n"], dtype=T, requires_grad=True)
        z = F.conv2d(x, w, stride=d["s"], padding=d["p"])
        g = torch.randn_like(z)
        (z * g).sum().backward()
        a = d["n"] - ((z.shape[2] - 1) * d["s"] - 2 * d["p"] + d["k"])
        y = F.conv_transpose2d(g, w, stride=d["s"], padding=d["p"], output_padding=a)
        assert torch.allclose(x.grad, y)
        assert q.answer.options[q.answer.correct].startswith(
            f"A transposed convolution with the same {d['k']}x{d['k']} kernels"
        ), q.id


def test_errata_questions_agree_with_the_ledger_checks():
    checked: dict[str, record.Finding] = {}

    def finding(cid):
        if cid not in checked:
            checked[cid] = ledger.verify(cid).finding
        return checked[cid]

    for seed in range(2):
        q = generate("which_claim_is_wrong", seed)
        c = ledger.get(q.data["claim"])
        assert not finding(c.id).stated_holds and c.citation in q.answer.options[q.answer.correct]
        assert all(finding(o).stated_holds for o in q.data["others"])
        q = generate("claim_verdict", seed)
        c = ledger.get(q.data["claim"])
        assert ledger.consistent(c.verdict, finding(c.id))
        assert q.answer.options[q.answer.correct].startswith(c.verdict + ":")
        q = generate("claim_correction", seed)
        c = ledger.get(q.data["claim"])
        assert finding(c.id).correct_holds and q.answer.options[q.answer.correct] == c.correct


def test_every_generator_has_an_oracle_or_a_dedicated_test():
    dedicated = {
        "perceptron_gradient",
        "activation_derivative_formula",
        "adam_moment_formula",
        "symmetry",
        "adjoint",
        "which_claim_is_wrong",
        "claim_verdict",
        "claim_correction",
    }
    missing = [g.kind for g in generators() if g.kind not in ORACLES and g.kind not in dedicated]
    assert not missing
