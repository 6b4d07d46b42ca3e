import numpy as np
import pytest
import torch

from cnnmath.optim import RULES, Optimizer, adam_update, sgd_update

CASES = [
    ("sgd", dict(lr=1e-3), torch.optim.SGD, dict(lr=1e-3)),
    ("sgd", dict(lr=1e-4, momentum=0.9), torch.optim.SGD, dict(lr=1e-4, momentum=0.9)),
    (
        "sgd",
        dict(lr=1e-4, momentum=0.9, nesterov=True, weight_decay=0.01),
        torch.optim.SGD,
        dict(lr=1e-4, momentum=0.9, nesterov=True, weight_decay=0.01),
    ),
    ("adagrad", dict(lr=0.1), torch.optim.Adagrad, dict(lr=0.1)),
    ("rmsprop", dict(lr=0.01, alpha=0.9), torch.optim.RMSprop, dict(lr=0.01, alpha=0.9)),
    ("adam", dict(lr=0.01), torch.optim.Adam, dict(lr=0.01)),
    (
        "adam",
        dict(lr=0.01, beta1=0.8, beta2=0.95, weight_decay=0.1),
        torch.optim.Adam,
        dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.1),
    ),
    (
        "adam",
        dict(lr=0.01, weight_decay=0.1, decoupled=True),
        torch.optim.AdamW,
        dict(lr=0.01, weight_decay=0.1),
    ),
]


def rosenbrock_grad(p: np.ndarray) -> np.ndarray:
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


STEP_RTOL = 8 * np.finfo(np.float64).eps  # a few ulps: torch's kernels may fuse a multiply-add


def _pair(rule, ours, topt, theirs, start):
    hyper = dict(ours)
    lr = hyper.pop("lr")
    t = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    return Optimizer(rule, lr, **hyper), {"w": np.array(start, dtype=float)}, t, topt([t], **theirs)


@pytest.mark.parametrize(
    "rule, ours, topt, theirs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_every_update_equals_torch_step_for_step_on_rosenbrock(rule, ours, topt, theirs):
    """200 steps; before each one both optimizers hold the same parameters and state."""
    opt, p, t, tor = _pair(rule, ours, topt, theirs, [-1.2, 1.0])
    for step in range(200):
        g = rosenbrock_grad(p["w"])
        opt.step(p, {"w": g})
        t.grad = torch.tensor(g)
        tor.step()
        np.testing.assert_allclose(
            p["w"], t.detach().numpy(), rtol=STEP_RTOL, atol=0, err_msg=f"step {step + 1}"
        )
        p["w"][:] = t.detach().numpy()  # re-synchronize, so that each step is compared on its own
        for key, value in tor.state[t].items():
            if torch.is_tensor(value) and value.numel() > 1:
                opt.state["w"][key][:] = value.numpy()
    assert np.all(np.isfinite(p["w"])) and not np.allclose(
        p["w"], [-1.2, 1.0]
    )  # it moved, and did not diverge


@pytest.mark.parametrize(
    "rule, ours, topt, theirs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_trajectories_equal_torch_for_200_steps_on_a_quadratic(rule, ours, topt, theirs):
    """Run freely: on a convex quadratic rounding differences cannot grow, so the paths agree to
    1e-12."""
    A = np.array([[3.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 0.5]])
    opt, p, t, tor = _pair(rule, ours, topt, theirs, [1.0, -2.0, 0.5])
    for step in range(200):
        opt.step(p, {"w": A @ p["w"]})
        t.grad = torch.tensor(A) @ t.detach()
        tor.step()
    np.testing.assert_allclose(p["w"], t.detach().numpy(), rtol=1e-12, atol=1e-15)


def test_bias_correction_matters_at_the_start():
    a, b = Optimizer("adam", 0.1), Optimizer("adam", 0.1, bias_correction=False)
    pa, pb = {"w": np.array([1.0])}, {"w": np.array([1.0])}
    a.step(pa, {"w": np.array([1.0])})
    b.step(pb, {"w": np.array([1.0])})
    assert np.isclose(1.0 - pa["w"][0], 0.1, rtol=1e-6)  # first corrected step has size lr
    assert np.isclose(1.0 - pb["w"][0], 0.1 * 0.1 / np.sqrt(0.001), rtol=1e-6)


def test_state_roundtrip_and_errors():
    opt = Optimizer("adam", 0.1)
    p = {"w": np.ones(3)}
    opt.step(p, {"w": np.ones(3)})
    arrays = opt.state_arrays()
    other = Optimizer("adam", 0.1)
    other.load_state_arrays(arrays)
    assert other.state["w"]["step"] == 1 and np.array_equal(
        other.state["w"]["exp_avg"], opt.state["w"]["exp_avg"]
    )
    with pytest.raises(ValueError, match="unknown optimizer"):
        Optimizer("lion", 0.1)
    with pytest.raises(TypeError):
        Optimizer("sgd", 0.1, betas=(0.9, 0.99))
    with pytest.raises(ValueError, match="lr"):
        Optimizer("sgd", -1.0)
    with pytest.raises(ValueError, match="same keys"):
        opt.step(p, {"v": np.ones(3)})
    with pytest.raises(ValueError, match=r"gradient of w has shape \(2,\)"):
        opt.step(p, {"w": np.ones(2)})


@pytest.mark.parametrize(
    "rule, hyper, pattern",
    [
        ("sgd", dict(momentum=1.0), r"momentum must lie in \[0, 1\)"),
        ("sgd", dict(momentum=-0.1), r"momentum must lie in \[0, 1\)"),
        ("sgd", dict(nesterov=True), "nesterov=True needs a momentum > 0"),
        ("sgd", dict(weight_decay=-1e-4), "weight_decay must be a finite number >= 0"),
        ("rmsprop", dict(alpha=1.5), r"alpha must lie in \[0, 1\]"),
        ("adam", dict(beta1=1.0), r"beta1 must lie in \[0, 1\)"),
        ("adam", dict(beta2=np.nan), "beta2 must be a finite real number"),
        ("adam", dict(eps=-1e-8), "eps must be a finite number >= 0"),
        ("adam", dict(decoupled="yes"), "decoupled must be True or False"),
        ("adam", dict(betas=(0.9, 0.99)), r"adam has no hyperparameter\(s\) \['betas'\]"),
    ],
)
def test_hyperparameters_outside_torchs_ranges_are_refused(rule, hyper, pattern):
    exc = TypeError if "decoupled" in hyper or "betas" in hyper else ValueError
    with pytest.raises(exc, match=pattern):
        Optimizer(rule, 0.1, **hyper)
    if "betas" not in hyper:  # the pure update rule checks the same
        with pytest.raises(exc, match=pattern):
            RULES[rule](np.ones(2), np.ones(2), {}, 0.1, **hyper)


def test_update_arguments_are_checked():
    with pytest.raises(
        TypeError, match=r"w \(the parameter\) must be a float ndarray, updated in place"
    ):
        sgd_update(np.ones(2, dtype=int), np.ones(2), {}, 0.1)
    with pytest.raises(
        ValueError, match=r"g \(the gradient\) must have the parameter's shape \(2,\)"
    ):
        sgd_update(np.ones(2), np.ones(3), {}, 0.1)
    with pytest.raises(TypeError, match="state must be a dict"):
        adam_update(np.ones(2), np.ones(2), None, 0.1)
    with pytest.raises(TypeError, match=r"grads\['w'\] must hold real numbers"):
        Optimizer("sgd", 0.1).step({"w": np.ones(2)}, {"w": np.array(["a", "b"])})


def test_a_diverging_rule_is_not_stopped():
    # non-finite gradients are the honest trajectory of a too-large learning rate (the optimizers
    # chapter shows such runs); fit is what stops on a non-finite loss
    p = {"w": np.array([1.0])}
    with np.errstate(all="ignore"):
        Optimizer("sgd", 0.1).step(p, {"w": np.array([np.inf])})
    assert p["w"][0] == -np.inf


def test_cosine_lr_equals_torch_cosine_annealing_per_epoch():
    from cnnmath.optim import cosine_lr

    for lr, lr_min, epochs in ((1e-3, 0.0, 16), (0.1, 1e-3, 7)):
        w = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([w], lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs, eta_min=lr_min)
        for e in range(epochs):
            assert cosine_lr(lr, e, epochs, lr_min) == pytest.approx(
                opt.param_groups[0]["lr"], rel=1e-12, abs=1e-15
            )
            opt.step()
            sched.step()
    # the shape: eta at the start, the mean of the two ends half way, decreasing throughout
    rates = [cosine_lr(2.0, e, 8, 1.0) for e in range(8)]
    assert rates[0] == 2.0 and rates[4] == pytest.approx(1.5)
    assert all(a > b for a, b in zip(rates, rates[1:]))


@pytest.mark.parametrize(
    "args, message",
    [
        ((0.0, 0, 10), "lr"),
        ((1e-3, 10, 10), "epoch must lie in 0..9"),
        ((1e-3, -1, 10), "epoch"),
        ((1e-3, 0, 0), "epochs"),
        ((1e-3, 0, 10, 2e-3), "lr_min"),
    ],
)
def test_cosine_lr_bad_arguments(args, message):
    from cnnmath.optim import cosine_lr

    with pytest.raises((ValueError, TypeError), match=message):
        cosine_lr(*args)


def test_the_learning_rate_and_hyperparameters_cannot_be_set_to_bad_values_later():
    # issue 18: opt.lr = -0.1 after construction was accepted, and training went uphill
    opt = Optimizer("sgd", 0.1, momentum=0.9)
    opt.lr = 0.05  # a schedule may change it
    assert opt.lr == 0.05
    for bad in (-0.1, 0.0, float("nan"), "0.1", None, True):
        with pytest.raises((ValueError, TypeError), match=r"lr \(the learning rate\)"):
            opt.lr = bad
    assert opt.lr == 0.05
    with pytest.raises(TypeError):
        opt.hyper["momentum"] = -1.0
    with pytest.raises(AttributeError):
        opt.rule = "adam"
    assert opt.hyper == {"momentum": 0.9} and opt.rule == "sgd"


@pytest.mark.parametrize("rule, hyper", [("sgd", dict(momentum=0.9)), ("adam", {})])
def test_a_nested_state_steps_as_its_flat_view(rule, hyper):
    from cnnmath import zoo

    net = zoo.mlp((3, 4, 2))
    x, y = np.random.default_rng(0).normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    nested, flat = net.init(seed=0), net.init(seed=0)
    a, b = Optimizer(rule, 0.1, **hyper), Optimizer(rule, 0.1, **hyper)
    for _ in range(3):
        grads = net.loss_and_grads(nested, x, y)[1]
        assert set(grads) == {"dense1", "dense2"} and set(grads["dense1"]) == {"weight", "bias"}
        a.step(nested.params, grads)  # {layer: {name: array}}
        flat_grads = {f"{n}.{k}": g for n, gs in grads.items() for k, g in gs.items()}
        b.step(flat.flat("params"), flat_grads)  # {"layer.name": array}, the same arrays
    assert all(np.array_equal(v, flat.flat()[k]) for k, v in nested.flat().items())
    assert not np.array_equal(
        nested.params["dense1"]["weight"], net.init(0).params["dense1"]["weight"]
    )
    assert (
        set(a.state)
        == set(b.state)
        == {"dense1.weight", "dense1.bias", "dense2.weight", "dense2.bias"}
    )
    assert all(np.array_equal(a.state[p][k], b.state[p][k]) for p in a.state for k in a.state[p])


def test_a_nested_step_checks_both_levels():
    opt = Optimizer("sgd", 0.1)
    params = {"fc": {"weight": np.ones((2, 2)), "bias": np.zeros(2)}}
    with pytest.raises(TypeError, match=r"params\['fc'\] and grads\['fc'\] must both be arrays"):
        opt.step(params, {"fc": np.ones((2, 2))})
    with pytest.raises(
        ValueError, match=r"params\['fc'\] and grads\['fc'\] must have the same keys; .*\['bias'\]"
    ):
        opt.step(params, {"fc": {"weight": np.ones((2, 2))}})
    with pytest.raises(
        ValueError, match=r"grads\['fc.bias'\]: the gradient of fc.bias has shape \(3,\)"
    ):
        opt.step(params, {"fc": {"weight": np.ones((2, 2)), "bias": np.ones(3)}})
    with pytest.raises(TypeError, match="params must be a dict of arrays keyed by parameter name"):
        opt.step([np.ones(2)], {"fc": {}})
    assert np.array_equal(params["fc"]["weight"], np.ones((2, 2))) and opt.state == {}
