"""The command line and its record (cnnmath.crosscheck)."""

import json

import pytest
import torch

from cnnmath import crosscheck, lockstep, rounding


def test_command_line_writes_the_record(tmp_path):
    out = tmp_path / "record.json"
    before = torch.are_deterministic_algorithms_enabled()
    try:
        rc = crosscheck.main(
            [
                "--device",
                "cpu",
                "--networks",
                "lenet5",
                "--steps",
                "2",
                "--batch-size",
                "4",
                "--epochs",
                "1",
                "--data",
                "random",
                "--timing-repeats",
                "1",
                "--json",
                str(out),
            ]
        )
    finally:
        torch.use_deterministic_algorithms(before)
    rec = json.loads(out.read_text())
    assert rc == 0
    assert rec["machine"]["device"] == "cpu" and rec["machine"]["device_name"].startswith("CPU")
    assert rec["tolerances"]["float64"] == lockstep.TOLERANCES["float64"]
    assert rec["float32_margin"] == rounding.FLOAT32_MARGIN and rec["within_tolerances"] == {
        "lenet5, free-running": True,
        "lenet5, from a common state": True,
    }
    steps = rec["lockstep"][0]["largest_difference_per_step"]["numpy-torch float64"]["params"]
    assert len(steps) == 2 and max(steps) <= 1e-8
    assert [p["dtype"] for p in rec["predictions"]] == ["float64", "float32"]
    assert rec["predictions"][0]["differences"] == 0
    assert set(rec["step_milliseconds"]["lenet5"]) == {"numpy (CPU)", "torch (CPU)"}
    assert len(rec["training"]["test_accuracy"]) == 1


def test_write_json_replaces_the_file_whole_or_not_at_all(tmp_path):
    path = tmp_path / "sub" / "record.json"
    assert crosscheck.write_json({"a": 1.5, "b": [1, 2]}, path) == path
    assert json.loads(path.read_text()) == {"a": 1.5, "b": [1, 2]}
    with pytest.raises(TypeError):  # not JSON: nothing is written, the old record stays
        crosscheck.write_json({"a": object()}, path)
    assert json.loads(path.read_text()) == {"a": 1.5, "b": [1, 2]}
    assert sorted(p.name for p in path.parent.iterdir()) == ["record.json"]
    with pytest.raises(ValueError, match="directory"):
        crosscheck.write_json({}, tmp_path)


def test_record_refuses_what_is_not_a_measurement():
    with pytest.raises(TypeError, match="traces"):
        crosscheck.record("cpu", {}, [{"loss": 0.0}])
    with pytest.raises(TypeError, match="settings"):
        crosscheck.record("cpu", None, [])
    rec = crosscheck.record("cpu", {"threads": 1}, [])
    assert rec["machine"]["device"] == "cpu" and rec["lockstep"] == []
    assert rec["within_tolerances"] == {} and "training" not in rec
