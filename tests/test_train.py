import numpy as np
import pytest

from cnnmath import data, zoo
from cnnmath.layers import Activation, Conv2d, Dense, Flatten
from cnnmath.network import Sequential, State
from cnnmath.optim import Optimizer, cosine_lr
from cnnmath.train import (
    History,
    evaluate,
    fit,
    load_checkpoint,
    minibatches,
    progress_mode,
    save_checkpoint,
)


def iris_split():
    ds = data.load_iris()
    tr, va = data.train_test_split(len(ds), 0.3, seed=0)
    xtr, xva = data.standardize(ds.x[tr], ds.x[va])
    return xtr, ds.y[tr], xva, ds.y[va]


def copied(state: State) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in state.flat().items()}


def same_arrays(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def arrays_reachable(obj: object, seen: set[int] | None = None) -> list[str]:
    """Every ndarray reachable from ``obj`` through attributes, lists, tuples and dicts."""
    seen = set() if seen is None else seen
    if id(obj) in seen or isinstance(obj, (str, bytes, int, float, type)) or obj is None:
        return []
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return [f"{obj.dtype}{obj.shape}"]
    if isinstance(obj, dict):
        children = list(obj.values())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        children = list(obj)
    else:
        children = list(getattr(obj, "__dict__", {}).values())
    return [a for c in children for a in arrays_reachable(c, seen)]


def manual_fit(
    net, state, opt, x, y, *, epochs, batch_size, seed, lr_schedule=None, transform=None
):
    """The loop fit is meant to run, written out: one generator for the whole run."""
    rng = np.random.default_rng(seed)
    for e in range(epochs):
        if lr_schedule is not None:
            opt.lr = lr_schedule(e)
        x_e = x if transform is None else transform(x, e)
        for idx in minibatches(len(x), batch_size, rng):
            _, grads, _ = net.loss_and_grads(state, x_e[idx], y[idx])
            opt.step(state.params, grads)


class Recorded:
    """A network (the Trainable contract) that records the batches fit trains it on."""

    def __init__(self, net):
        self.net, self.loss, self.batches = net, net.loss, []

    def init(self, seed=0, dtype=None):
        return self.net.init(seed, dtype)

    def check_state(self, state):
        return self.net.check_state(state)

    def loss_and_grads(self, state, x, y):
        self.batches.append((x.copy(), y.copy()))
        return self.net.loss_and_grads(state, x, y)

    def predict_output(self, state, x, batch_size=1024):
        return self.net.predict_output(state, x, batch_size)


class LrRecorder(Optimizer):
    """An optimizer that records the learning rate of every step."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.lrs = []

    def step(self, params, grads):
        self.lrs.append(self.lr)
        super().step(params, grads)


def test_minibatches_cover_every_index_once():
    batches = list(minibatches(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    with pytest.raises(ValueError, match="batch_size"):
        list(minibatches(10, 0, None))


def test_fit_learns_iris_and_is_repeatable(tmp_path):
    xtr, ytr, xva, yva = iris_split()
    net = zoo.mlp((4, 8, 6, 3))
    runs = []
    for _ in range(2):
        state = net.init(seed=0)
        hist = fit(
            net,
            state,
            Optimizer("adam", 0.02),
            xtr,
            ytr,
            epochs=60,
            batch_size=16,
            x_val=xva,
            y_val=yva,
            seed=0,
            progress=False,
            checkpoint=tmp_path / "ck.npz",
        )
        runs.append((state, hist))
    (s1, h1), (s2, h2) = runs
    assert h1.epochs == 60 and h1.train_loss[-1] < h1.train_loss[0] / 4
    assert h1.train_acc[-1] >= 0.95 and h1.val_acc[-1] >= 0.85  # chance is 1/3
    assert h1 == h2 and same_arrays(s1.flat(), s2.flat())
    assert evaluate(net, s1, xva, yva)[1] == h1.val_acc[-1]
    assert same_arrays(load_checkpoint(tmp_path / "ck.npz")["params"], s1.flat("params"))


def test_fit_changes_the_state_in_place_and_the_description_holds_no_arrays():
    xtr, ytr, *_ = iris_split()
    net = zoo.mlp((4, 8, 3))
    assert arrays_reachable(net) == []
    state = net.init(seed=0)
    arrays = state.flat()
    before = copied(state)
    fit(net, state, Optimizer("sgd", 0.1), xtr, ytr, epochs=2, progress=False)
    after = state.flat()
    assert all(after[k] is arrays[k] for k in arrays)  # the same arrays, updated in place
    assert all(not np.array_equal(after[k], before[k]) for k in before)  # every one trained
    assert arrays_reachable(net) == []  # training left nothing in the description
    assert same_arrays(copied(net.init(seed=0)), before)  # which still makes the same state


def test_lr_schedule_sets_the_learning_rate_of_every_epoch():
    xtr, ytr, *_ = iris_split()
    net = zoo.mlp((4, 8, 3))
    called = []

    def schedule(e):
        called.append(e)
        return cosine_lr(0.05, e, 4)

    opt = LrRecorder("sgd", 0.5)
    fit(net, net.init(0), opt, xtr, ytr, epochs=4, batch_size=40, lr_schedule=schedule,
        progress=False)  # fmt: skip
    steps = -(-len(xtr) // 40)
    assert called == [0, 1, 2, 3]
    assert opt.lrs == [cosine_lr(0.05, e, 4) for e in range(4) for _ in range(steps)]
    assert opt.lr == cosine_lr(0.05, 3, 4)  # the last epoch's rate stays set
    opt = LrRecorder("sgd", 0.5)
    fit(net, net.init(0), opt, xtr, ytr, epochs=2, batch_size=40, progress=False)
    assert opt.lrs == [0.5] * 2 * steps  # without a schedule the rate is left alone
    with pytest.raises(ValueError, match=r"lr \(the learning rate\)"):
        fit(net, net.init(0), opt, xtr, ytr, epochs=2, lr_schedule=lambda e: -1.0, progress=False)


def test_fit_with_a_schedule_is_the_loop_it_replaces():
    xtr, ytr, *_ = iris_split()
    net = zoo.mlp((4, 8, 3))

    def schedule(e):
        return cosine_lr(0.05, e, 5)

    def run(**kw):
        state, opt = net.init(seed=3), Optimizer("sgd", 1.0, momentum=0.9)
        fit(net, state, opt, xtr, ytr, seed=7, progress=False, **kw)
        return state, opt

    state, opt = run(epochs=5, batch_size=16, lr_schedule=schedule)
    ref, ref_opt = net.init(seed=3), Optimizer("sgd", 1.0, momentum=0.9)
    manual_fit(net, ref, ref_opt, xtr, ytr, epochs=5, batch_size=16, seed=7, lr_schedule=schedule)
    assert same_arrays(state.flat(), ref.flat())  # bit for bit: the same batches, the same rates
    assert not same_arrays(state.flat(), run(epochs=5, batch_size=16)[0].flat())

    # The pages' former loop: opt.lr set by hand and fit called once per epoch (each call with its
    # own shuffle). With the whole set in one batch the order cannot matter, up to rounding.
    whole, manual_opt = net.init(seed=3), Optimizer("sgd", 1.0, momentum=0.9)
    for e in range(5):
        manual_opt.lr = schedule(e)
        fit(net, whole, manual_opt, xtr, ytr, epochs=1, batch_size=len(xtr), seed=e, progress=False)
    one_call, _ = run(epochs=5, batch_size=len(xtr), lr_schedule=schedule)
    for k, v in whole.flat().items():
        np.testing.assert_allclose(one_call.flat()[k], v, rtol=1e-12, atol=1e-14)


def test_transform_gives_each_epochs_inputs():
    xtr, ytr, *_ = iris_split()
    x0, y0 = xtr.copy(), ytr.copy()
    net = Recorded(zoo.mlp((4, 8, 3)))
    calls = []

    def shift(x, e):
        calls.append(e)
        assert np.array_equal(x, x0)  # always the training inputs, not the last epoch's
        return x + 10.0 * (e + 1)

    state = net.init(seed=0)
    fit(net, state, Optimizer("sgd", 0.01), xtr, ytr, epochs=3, batch_size=32, seed=4,
        transform=shift, progress=False)  # fmt: skip
    assert calls == [0, 1, 2]
    rng = np.random.default_rng(4)
    expected = [
        (x0[idx] + 10.0 * (e + 1), y0[idx])
        for e in range(3)
        for idx in minibatches(len(x0), 32, rng)
    ]
    assert len(net.batches) == len(expected)
    for (xb, yb), (xe, ye) in zip(net.batches, expected, strict=True):
        assert np.array_equal(xb, xe) and np.array_equal(yb, ye)  # the labels are unchanged
    assert np.array_equal(xtr, x0) and np.array_equal(ytr, y0)  # the caller's data untouched

    # with the same transform, fit is the loop written out
    ref = net.init(seed=0)
    manual_fit(net.net, ref, Optimizer("sgd", 0.01), x0, y0, epochs=3, batch_size=32, seed=4,
               transform=lambda x, e: x + 10.0 * (e + 1))  # fmt: skip
    assert same_arrays(state.flat(), ref.flat())


def test_transform_images_as_the_lenet5_page_does():
    x = np.random.default_rng(0).normal(size=(6, 1, 4, 4))
    net = Recorded(_tiny_cnn())
    fit(net, net.init(0), Optimizer("sgd", 0.01), x, np.arange(6) % 2, epochs=2, batch_size=6,
        transform=lambda x, e: data.random_flip(x, seed=1000 + e), progress=False)  # fmt: skip
    assert len(net.batches) == 2  # one batch per epoch
    flipped = [data.random_flip(x, seed=1000 + e) for e in range(2)]
    assert not np.array_equal(flipped[0], flipped[1])  # each epoch its own flips
    for (xb, _), f in zip(net.batches, flipped, strict=True):
        assert sorted(map(bytes, xb)) == sorted(map(bytes, f))  # a shuffle of that epoch's images
        assert sorted(map(bytes, xb)) != sorted(map(bytes, x))  # not the unflipped images


def _tiny_cnn():
    return Sequential([Conv2d(2, 3), Activation("relu"), Flatten(), Dense(2)], (1, 4, 4))


@pytest.mark.parametrize(
    "transform, got",
    [
        (lambda x, e: x[:-1], r"got \(104, 4\)"),
        (lambda x, e: x.tolist(), "got list"),
        (lambda x, e: None, "got NoneType"),
    ],
)
def test_a_transform_of_the_wrong_shape_is_refused_before_the_epochs_first_step(transform, got):
    xtr, ytr, *_ = iris_split()
    net = zoo.mlp((4, 3))
    state = net.init(0)
    before = copied(state)
    with pytest.raises(
        ValueError, match=r"transform\(x, 0\) must return an array of x's shape \(105, 4\); " + got
    ):
        fit(net, state, Optimizer("sgd", 0.1), xtr, ytr, epochs=2, transform=transform,
            progress=False)  # fmt: skip
    assert same_arrays(state.flat(), before)


def test_checkpoint_roundtrip_is_exact_and_resumable(tmp_path):
    xtr, ytr, *_ = iris_split()
    net = zoo.mlp((4, 8, 3))
    state = net.init(seed=0)
    opt = Optimizer("adam", 0.01)
    fit(net, state, opt, xtr, ytr, epochs=2, progress=False)
    path = save_checkpoint(tmp_path / "sub" / "model.npz", state, opt, History(train_loss=[1.0]))
    ck = load_checkpoint(path)
    assert same_arrays(ck["params"], state.flat("params")) and ck["buffers"] == {}
    assert ck["optimizer"]["rule"] == "adam" and ck["history"].train_loss == [1.0]
    opt2 = Optimizer("adam", 0.01)
    opt2.load_state_arrays(ck["optimizer_state"])
    state2 = net.init(seed=1)
    assert not same_arrays(state2.flat(), state.flat())
    load_checkpoint(path, state2)  # copies the arrays into the state
    assert same_arrays(state2.flat(), state.flat())
    fit(net, state, opt, xtr, ytr, epochs=1, progress=False, seed=5)
    fit(net, state2, opt2, xtr, ytr, epochs=1, progress=False, seed=5)
    assert same_arrays(state2.flat(), state.flat())
    assert [p.name for p in path.parent.iterdir()] == ["model.npz"]  # no temporary file left


def test_checkpoint_keeps_buffers_and_refuses_another_networks_state(tmp_path):
    net = zoo.thesis_cnn()
    state = net.init(seed=0)
    assert state.buffers  # batch normalization's running statistics
    for arrays in state.buffers.values():
        for v in arrays.values():
            v += 0.5
    path = save_checkpoint(tmp_path / "cnn.npz", state)
    fresh = net.init(seed=0)
    load_checkpoint(path, fresh)
    assert same_arrays(fresh.flat(), state.flat())
    with pytest.raises(ValueError, match=r"does not hold this state: C1\.weight .* is missing"):
        load_checkpoint(path, zoo.lenet5().init(0))
    with pytest.raises(
        ValueError, match=r"dense1\.weight of shape \(3, 4\) is saved with shape \(64, 3136\)"
    ):
        load_checkpoint(path, zoo.mlp((4, 3)).init(0))
    with pytest.raises(TypeError, match="state must be a cnnmath.network.State or None"):
        load_checkpoint(path, state.flat())


def test_checkpoint_write_failure_leaves_old_file(tmp_path, monkeypatch):
    state = zoo.mlp((2, 2)).init(0)
    path = save_checkpoint(tmp_path / "m.npz", state)
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    state.params["dense1"]["weight"][...] = 0.0
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, state)
    assert path.read_bytes() == before and len(list(tmp_path.iterdir())) == 1


def test_checkpoint_errors(tmp_path):
    state = zoo.mlp((2, 2)).init(0)
    with pytest.raises(ValueError, match=r"\.npz"):
        save_checkpoint(tmp_path / "m.pkl", state)
    with pytest.raises(TypeError, match="state must be a cnnmath.network.State; got dict"):
        save_checkpoint(tmp_path / "m.npz", state.flat())
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "none.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable"):
        load_checkpoint(bad)
    obj = tmp_path / "obj.npz"
    np.savez(obj, **{"param/W1": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(ValueError, match="not a readable"):
        load_checkpoint(obj)


def test_fit_rejects_bad_input():
    net = zoo.mlp((4, 3))
    state = net.init(0)
    with pytest.raises(ValueError, match="x_val and y_val"):
        fit(
            net,
            state,
            Optimizer("sgd", 0.1),
            np.ones((2, 4)),
            np.array([0, 1]),
            epochs=1,
            x_val=np.ones((1, 4)),
        )
    with pytest.raises(ValueError, match="one label per row of x: x has 3 rows, y has 2"):
        fit(net, state, Optimizer("sgd", 0.1), np.ones((3, 4)), np.array([0, 1]), epochs=1)


def test_evaluate_refuses_labels_outside_the_classes():
    net = zoo.mlp((4, 3))
    state = net.init(0)
    x = np.ones((3, 4))
    with pytest.raises(ValueError, match=r"y must hold class labels >= 0; got -1"):
        evaluate(net, state, x, np.array([0, -1, 2]))  # -1 used to index the last class
    with pytest.raises(ValueError, match=r"y must lie in 0\.\.2; got values from 0 to 3"):
        evaluate(net, state, x, np.array([0, 3, 2]))
    with pytest.raises(ValueError, match="x does not fit the network"):
        evaluate(net, state, np.ones((3, 5)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="state was made for another network"):
        evaluate(net, zoo.mlp((4, 2)).init(0), x, np.array([0, 1, 1]))


def test_fit_checks_everything_before_the_first_step(tmp_path):
    net = zoo.mlp((4, 3))
    state = net.init(0)
    before = copied(state)
    x, y = np.ones((3, 4)), np.array([0, 1, 2])
    called = []

    def schedule(e):
        called.append(e)
        return 0.1

    bad = [
        (
            dict(x=np.array([[np.nan] * 4] * 3)),
            ValueError,
            r"x \(the training inputs\) contains 12 non-finite",
        ),
        (dict(y=np.array([0, 1, 5])), ValueError, r"y \(the training labels\) must lie in 0\.\.2"),
        (
            dict(x_val=np.ones((2, 4)), y_val=np.array([0, 7])),
            ValueError,
            r"y_val .* must lie in 0\.\.2",
        ),
        (
            dict(x_val=np.ones((2, 5)), y_val=np.array([0, 1])),
            ValueError,
            r"x_val .* shaped like x's \(4,\)",
        ),
        (
            dict(x=np.ones((3, 5))),
            ValueError,
            r"x \(the training inputs\) does not fit the network",
        ),
        (dict(checkpoint=tmp_path / "m.pkl"), ValueError, r"checkpoint must be a \.npz file"),
        (dict(seed=-1), ValueError, "seed must be >= 0"),
        (dict(progress="loud"), ValueError, "progress must be True, False or one of"),
        (dict(epochs=0), ValueError, "epochs"),
        (dict(lr_schedule=0.1), TypeError, "lr_schedule must be a function of the epoch or None"),
        (dict(transform="flip"), TypeError, "transform must be a function of the epoch or None"),
        (dict(state=zoo.mlp((4, 5, 3)).init(0)), ValueError, "state was made for another network"),
        (dict(state=state.flat()), TypeError, "state must be a cnnmath.network.State"),
        (dict(net=object()), TypeError, "net must be a network description that fit can train"),
        (dict(optimizer="adam"), TypeError, "optimizer must be a cnnmath.optim.Optimizer"),
    ]
    for over, exc, pattern in bad:
        kw = (
            dict(
                net=net,
                state=state,
                optimizer=Optimizer("sgd", 0.1),
                x=x,
                y=y,
                epochs=2,
                progress=False,
                lr_schedule=schedule,
            )
            | over
        )
        with pytest.raises(exc, match=pattern):
            fit(kw.pop("net"), kw.pop("state"), kw.pop("optimizer"), kw.pop("x"), kw.pop("y"), **kw)
    assert called == []  # not even the schedule of the first epoch was asked for
    assert same_arrays(state.flat(), before)  # nothing was trained


def test_fit_stops_when_the_loss_diverges():
    net = zoo.mlp((4, 16, 3))
    x = np.random.default_rng(0).normal(size=(64, 4)) * 100
    y = np.arange(64) % 3
    with (
        np.errstate(over="ignore"),
        pytest.raises(
            ValueError,
            match=r"training diverged at epoch \d+, batch \d+: "
            r".*smaller learning rate than lr=1000000.0",
        ),
    ):
        fit(net, net.init(0), Optimizer("sgd", 1e6), x, y, epochs=20, batch_size=8, progress=False)


def test_progress_modes(capsys, monkeypatch):
    xtr, ytr, xva, yva = iris_split()
    net = zoo.mlp((4, 8, 3))

    def run(progress, epochs=12):
        fit(
            net,
            net.init(seed=0),
            Optimizer("adam", 0.02),
            xtr,
            ytr,
            epochs=epochs,
            batch_size=16,
            x_val=xva,
            y_val=yva,
            progress=progress,
        )
        return capsys.readouterr()

    out = run("summary")
    lines = out.out.splitlines()
    assert (
        lines[0].split()[:5] == ["epoch", "train", "loss", "train", "acc"]
        and "(5 of 12 shown)" in lines[0]
    )
    assert [int(line.split()[0]) for line in lines[1:]] == [1, 4, 6, 9, 12] and out.err == ""
    assert len(run("summary", epochs=3).out.splitlines()) == 4  # every epoch when there are few
    assert run("off") == ("", "") and run(False) == ("", "")
    bar = run("bar")
    assert bar.out == "" and "batch" in bar.err  # tqdm draws on stderr
    monkeypatch.setenv("CNNMATH_PROGRESS", "summary")
    assert progress_mode(True) == "summary" and run(True).out.startswith("epoch")
    monkeypatch.setenv("CNNMATH_PROGRESS", "off")
    assert run(True) == ("", "")
    monkeypatch.delenv("CNNMATH_PROGRESS")
    assert progress_mode(True) == "bar" and progress_mode("summary") == "summary"
    monkeypatch.setenv("CNNMATH_PROGRESS", "verbose")
    with pytest.raises(ValueError, match="CNNMATH_PROGRESS must be one of"):
        progress_mode(True)


def test_checkpoints_never_pickle_and_refuse_foreign_files(tmp_path):
    state = zoo.mlp((2, 2)).init(0)
    state.params["dense1"]["weight"] = np.array([{"a": 1}], dtype=object)
    with pytest.raises(
        TypeError, match=r"state\.params\['dense1\.weight'\] must be a numeric array"
    ):
        save_checkpoint(tmp_path / "m.npz", state)
    with pytest.raises(TypeError, match="history must be a cnnmath.train.History"):
        save_checkpoint(tmp_path / "m.npz", zoo.mlp((2, 2)).init(0), history={"train_loss": [1.0]})
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.ones(2))
    with pytest.raises(ValueError, match="not a cnnmath checkpoint: unexpected entry 'weights'"):
        load_checkpoint(foreign)
    assert not list(tmp_path.glob("*.tmp"))
