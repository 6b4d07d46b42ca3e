import numpy as np
import pytest

from cnnmath import data
from cnnmath.mlp import MLP
from cnnmath.optim import Optimizer
from cnnmath.train import History, evaluate, fit, load_checkpoint, minibatches, save_checkpoint


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
        hist = fit(model, Optimizer("adam", 0.02), xtr, ytr, epochs=60, batch_size=16, x_val=xva, y_val=yva, seed=0,
                   progress=False, checkpoint=tmp_path / "ck.npz")
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
    path = save_checkpoint(tmp_path / "sub" / "model.npz", model.params, opt, History(train_loss=[1.0]))
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
        fit(model, Optimizer("sgd", 0.1), np.ones((2, 4)), np.array([0, 1]), epochs=1, x_val=np.ones((1, 4)))
    with pytest.raises(ValueError, match="one label per row of x: x has 3 rows, y has 2"):
        fit(model, Optimizer("sgd", 0.1), np.ones((3, 4)), np.array([0, 1]), epochs=1)
