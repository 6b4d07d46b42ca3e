"""The results cache: a hit only when code, data, settings and arguments are all the same."""

import json

import pytest

from cnnmath import results_cache as rc


@pytest.fixture
def where(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNMATH_RESULTS", str(tmp_path))
    return tmp_path


def _counted():
    calls = []

    @rc.cached(data=("fashion-mnist",))
    def train(epochs: int, lr: float = 0.1):
        calls.append((epochs, lr))
        return {"loss": (1.0 / epochs, lr), "epochs": epochs}

    return train, calls


def test_a_second_call_reads_the_result_and_both_see_the_json_form(where):
    train, calls = _counted()
    first = train(3)
    again = train(epochs=3, lr=0.1)  # the same call, spelled differently
    assert calls == [(3, 0.1)]
    assert first == again == {"loss": [1 / 3, 0.1], "epochs": 3}
    assert [p.suffix for p in where.iterdir()] == [".json"]  # one result, no temporary file
    train(4)
    assert calls == [(3, 0.1), (4, 0.1)]


def test_every_ingredient_of_the_key_changes_it():
    base = dict(code="c" * 64, settings={"pins": {"OMP_NUM_THREADS": "1"}, "numpy": "2.4.6"})
    k = rc.key("m.f", {"x": 1}, data=("fashion-mnist",), **base)
    assert k == rc.key("m.f", {"x": 1}, data=("fashion-mnist",), **base)
    changed = [
        rc.key("m.f", {"x": 1}, data=("fashion-mnist",), code="d" * 64, settings=base["settings"]),
        rc.key("m.f", {"x": 1}, data=("mnist",), **base),
        rc.key("m.f", {"x": 1}, data=(), **base),
        rc.key(
            "m.f",
            {"x": 1},
            data=("fashion-mnist",),
            code=base["code"],
            settings={"pins": {"OMP_NUM_THREADS": "2"}, "numpy": "2.4.6"},
        ),
        rc.key("m.g", {"x": 1}, data=("fashion-mnist",), **base),
        rc.key("m.f", {"x": 2}, data=("fashion-mnist",), **base),
    ]
    assert len({k, *changed}) == 1 + len(changed)


def test_a_change_to_the_package_source_misses(where, monkeypatch, tmp_path_factory):
    train, calls = _counted()
    train(2)
    # the code digest covers every .py file of the package: an edited copy digests differently
    pkg = tmp_path_factory.mktemp("pkg")
    (pkg / "a.py").write_text("x = 1\n")
    before = rc.source_digest.__wrapped__(str(pkg))
    (pkg / "a.py").write_text("x = 2\n")
    assert rc.source_digest.__wrapped__(str(pkg)) != before
    monkeypatch.setattr(rc, "source_digest", lambda root=None: "edited")
    train(2)
    assert calls == [(2, 0.1), (2, 0.1)]


def test_a_change_to_the_settings_misses(where, monkeypatch):
    train, calls = _counted()
    train(2)
    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    train(2)
    assert len(calls) == 2


def test_damaged_or_foreign_files_are_recomputed_and_off_means_off(where, monkeypatch):
    train, calls = _counted()
    train(5)
    (path,) = where.glob("*.json")
    path.write_text("{not json")
    assert train(5)["epochs"] == 5 and len(calls) == 2
    path.write_text(json.dumps({"key": "another", "result": {"epochs": 99}}))
    assert train(5)["epochs"] == 5 and len(calls) == 3
    monkeypatch.setenv("CNNMATH_RESULTS", "off")
    train(5)
    train(5)
    assert len(calls) == 5


def test_bad_uses_are_refused():
    with pytest.raises(ValueError, match="unknown dataset"):
        rc.cached(data=("imagenet",))
    with pytest.raises(TypeError, match="JSON"):
        rc.key("m.f", {"x": object()}, code="c", settings={})
    with pytest.raises(TypeError, match="function"):
        rc.key("", {}, code="c", settings={})
