import numpy as np
import pytest

from cnnmath import data
from cnnmath.mlp import MLP
from cnnmath.optim import Optimizer
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


def test_minibatches_cover_every_index_once():
    batches = list(minibatches(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    with pytest.raises(ValueError, match="batch_size"):
        list(minibatches(10, 0, None))


def test_fit_learns_iris_and_is_repeatable(tmp_path):
    xtr, ytr, xva, yva = iris_split()
    runs = []
    for _ in range(2):
        model = MLP.create((4, 8, 6, 3), seed=0)
        hist = fit(
            model,
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
        runs.append((model, hist))
    (m1, h1), (m2, h2) = runs
    assert h1.epochs == 60 and h1.train_loss[-1] < h1.train_loss[0] / 4
    assert h1.train_acc[-1] >= 0.95 and h1.val_acc[-1] >= 0.85  # chance is 1/3
    assert h1 == h2 and all(np.array_equal(m1.params[k], m2.params[k]) for k in m1.params)
    assert evaluate(m1, xva, yva)[1] == h1.val_acc[-1]


def test_checkpoint_roundtrip_is_exact_and_resumable(tmp_path):
    xtr, ytr, *_ = iris_split()
    model = MLP.create((4, 8, 3), seed=0)
    opt = Optimizer("adam", 0.01)
    fit(model, opt, xtr, ytr, epochs=2, progress=False)
    path = save_checkpoint(
        tmp_path / "sub" / "model.npz", model.params, opt, History(train_loss=[1.0])
    )
    ck = load_checkpoint(path)
    assert all(np.array_equal(ck["params"][k], model.params[k]) for k in model.params)
    assert ck["optimizer"]["rule"] == "adam" and ck["history"].train_loss == [1.0]
    opt2 = Optimizer("adam", 0.01)
    opt2.load_state_arrays(ck["optimizer_state"])
    m2 = MLP(model.sizes, model.activation, {k: v.copy() for k, v in ck["params"].items()})
    fit(model, opt, xtr, ytr, epochs=1, progress=False, seed=5)
    fit(m2, opt2, xtr, ytr, epochs=1, progress=False, seed=5)
    assert all(np.array_equal(m2.params[k], model.params[k]) for k in model.params)
    assert [p.name for p in path.parent.iterdir()] == ["model.npz"]  # no temporary file left


def test_checkpoint_write_failure_leaves_old_file(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "m.npz", {"W1": np.ones(2)})
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, {"W1": np.zeros(2)})
    assert path.read_bytes() == before and len(list(tmp_path.iterdir())) == 1


def test_checkpoint_errors(tmp_path):
    with pytest.raises(ValueError, match=r"\.npz"):
        save_checkpoint(tmp_path / "m.pkl", {"W1": np.ones(1)})
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
    model = MLP.create((4, 3))
    with pytest.raises(ValueError, match="x_val and y_val"):
        fit(
            model,
            Optimizer("sgd", 0.1),
            np.ones((2, 4)),
            np.array([0, 1]),
            epochs=1,
            x_val=np.ones((1, 4)),
        )
    with pytest.raises(ValueError, match="one label per row of x: x has 3 rows, y has 2"):
        fit(model, Optimizer("sgd", 0.1), np.ones((3, 4)), np.array([0, 1]), epochs=1)


def test_evaluate_refuses_labels_outside_the_classes():
    model = MLP.create((4, 3))
    x = np.ones((3, 4))
    with pytest.raises(ValueError, match=r"y must hold class labels >= 0; got -1"):
        evaluate(model, x, np.array([0, -1, 2]))  # -1 used to index the last class
    with pytest.raises(ValueError, match=r"y must lie in 0\.\.2; got values from 0 to 3"):
        evaluate(model, x, np.array([0, 3, 2]))
    with pytest.raises(ValueError, match="x does not fit the model"):
        evaluate(model, np.ones((3, 5)), np.array([0, 1, 2]))


def test_fit_checks_everything_before_the_first_step(tmp_path):
    model = MLP.create((4, 3))
    before = {k: v.copy() for k, v in model.params.items()}
    x, y = np.ones((3, 4)), np.array([0, 1, 2])
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
        (dict(x=np.ones((3, 5))), ValueError, r"x \(the training inputs\) does not fit the model"),
        (dict(checkpoint=tmp_path / "m.pkl"), ValueError, r"checkpoint must be a \.npz file"),
        (dict(seed=-1), ValueError, "seed must be >= 0"),
        (dict(progress="loud"), ValueError, "progress must be True, False or one of"),
    ]
    for over, exc, pattern in bad:
        kw = dict(x=x, y=y, epochs=2, progress=False) | over
        with pytest.raises(exc, match=pattern):
            fit(model, Optimizer("sgd", 0.1), **kw)
    assert all(np.array_equal(model.params[k], before[k]) for k in before)  # nothing was trained


def test_fit_stops_when_the_loss_diverges():
    model = MLP.create((4, 16, 3), seed=0)
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
        fit(model, Optimizer("sgd", 1e6), x, y, epochs=20, batch_size=8, progress=False)


def test_progress_modes(capsys, monkeypatch):
    xtr, ytr, xva, yva = iris_split()

    def run(progress, epochs=12):
        fit(
            MLP.create((4, 8, 3), seed=0),
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
    with pytest.raises(TypeError, match=r"params\['W'\] must be a numeric array"):
        save_checkpoint(tmp_path / "m.npz", {"W": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(TypeError, match="history must be a cnnmath.train.History"):
        save_checkpoint(tmp_path / "m.npz", {"W": np.ones(2)}, history={"train_loss": [1.0]})
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.ones(2))
    with pytest.raises(ValueError, match="not a cnnmath checkpoint: unexpected entry 'weights'"):
        load_checkpoint(foreign)
    assert not list(tmp_path.glob("*.tmp"))
