"""cnnmath.exercises: every reference passes, every catalogued mistake is diagnosed as itself.

For each implementation exercise, the package's own function passes the checker (against every
oracle), and each catalogued mistake (a real wrong implementation) is rejected with its own
diagnosis, not another's. A function that hangs is stopped, one that crashes is reported with the
line that raised, and bad input to the checker gets a clear error.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from cnnmath import activations, conv
from cnnmath import exercises as ex
from cnnmath.exercises.__main__ import main
from cnnmath.exercises.core import StudentTimeout, compare_arrays, run_limited
from cnnmath.exercises.oracles import have_torch

ROOT = Path(__file__).resolve().parents[1]
NAMES = ex.names()
BUGS = [(name, bug.key) for name in NAMES for bug in ex.get(name).bugs]


def test_at_least_fifteen_exercises_each_with_five_mistakes():
    assert len(NAMES) >= 15
    for name in NAMES:
        keys = [b.key for b in ex.get(name).bugs]
        assert len(keys) >= 5, name
        assert len(set(keys)) == len(keys), name


@pytest.mark.parametrize("name", NAMES)
def test_the_reference_passes_against_every_oracle(name):
    e = ex.get(name)
    report = ex.check(name, e.target)
    assert report.passed, report.message
    assert report.mistake is None
    oracles = {o for i in range(len(e.cases())) for o in e.expected(i)}
    # the package plus at least one independent route (finite differences, SymPy, torch, a rule)
    assert len(oracles) >= 2, oracles
    if have_torch() and name not in ("init_weights", "dropout_forward"):
        assert any("torch" in o for o in oracles), oracles


@pytest.mark.parametrize(("name", "key"), BUGS)
def test_each_catalogued_mistake_is_rejected_with_its_own_diagnosis(name, key):
    e = ex.get(name)
    bug = next(b for b in e.bugs if b.key == key)
    report = ex.check(name, bug.fn)
    assert not report.passed
    assert report.kind == "wrong", report.message
    assert report.mistake is bug.mistake, report.message
    assert bug.mistake.feedback() in report.message
    # the message names the failing configuration and output
    assert report.config in report.message and report.output in report.message


@pytest.mark.parametrize("name", NAMES)
def test_the_configurations_are_seeded(name):
    first = ex.get(name).configs()
    again = ex.get(name).configs()
    assert [c.label for c in first] == [c.label for c in again]
    for a, b in zip(first, again):
        for u, v in zip(a.args, b.args):
            if isinstance(u, np.ndarray):
                np.testing.assert_array_equal(u, v)


def test_a_wrong_function_that_is_no_known_mistake_is_told_so():
    report = ex.check("relu_backward", lambda da, z: 2 * da * (z > 0))
    assert not report.passed and report.mistake is None
    assert "none of the known mistakes" in report.message
    assert "configuration 1 of 3" in report.message and "dz" in report.message


def test_a_slow_function_is_stopped_with_a_time_limit_message():
    def forever(da, cache):
        while True:
            pass

    report = ex.check("sigmoid_backward", forever, time_limit=0.5)
    assert not report.passed and report.kind == "timeout"
    assert "time limit of 0.5 s" in report.message
    assert "configuration 1 of 3" in report.message
    assert report.seconds < 5


def test_the_time_limit_also_holds_outside_the_main_thread():
    box = {}

    def slow(da, cache):
        time.sleep(2)  # ends by itself: an abandoned thread must not spin for the whole session
        return da

    def run():
        box["r"] = ex.check("tanh_backward", slow, time_limit=0.3)

    t = threading.Thread(target=run)
    t.start()
    t.join(10)
    assert not t.is_alive()
    assert box["r"].kind == "timeout"


def test_a_crash_names_the_exception_and_the_students_line():
    def crashing(dout, cache):
        x, w, has_bias, g = cache
        return x @ w, w, None  # the line that raises

    report = ex.check("conv2d_backward", crashing)
    assert not report.passed and report.kind == "exception"
    assert "raised ValueError" in report.message
    assert "crashing" in report.message and "return x @ w, w, None" in report.message
    assert "test_exercises.py" in report.message


def test_a_result_of_the_wrong_form_is_named():
    report = ex.check("affine_backward", lambda dz, cache: dz)
    assert report.kind == "form"
    assert "expected a tuple (dx, dw, db)" in report.message
    report = ex.check("mlp_backward", lambda *a: [1, 2])
    assert "expected a dict of gradients" in report.message


def test_a_missing_gradient_is_named():
    def no_first_layer(dlogits, caches, activation="relu"):
        grads = ex.get("mlp_backward").target(dlogits, caches, activation)
        del grads["W1"]
        return grads

    report = ex.check("mlp_backward", no_first_layer)
    assert not report.passed and "lacks the gradients W1" in report.message


def test_a_function_that_changes_its_inputs_does_not_change_the_next_check():
    def destructive(da, cache):
        out = activations.relu_backward(da, cache)
        da[...] = 0
        cache[...] = -1
        return out

    assert ex.check("relu_backward", destructive).passed
    assert ex.check("relu_backward", activations.relu_backward).passed


def test_scaffold_is_the_package_signature_and_docstring_and_parses():
    text = ex.scaffold("conv2d_backward")
    tree = ast.parse(text)
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef) and fn.name == "conv2d_backward_naive"
    assert [a.arg for a in fn.args.args] == ["dout", "cache"]
    assert conv.conv2d_backward_naive.__doc__.splitlines()[0].strip() in text
    assert "conv2d_forward_naive" in text and "raise NotImplementedError" in text
    for name in NAMES:
        ast.parse(ex.scaffold(name))


def test_the_scaffold_fails_with_a_clear_message():
    namespace: dict = {}
    exec(ex.scaffold("sigmoid_backward"), namespace)  # noqa: S102 - our own scaffold
    report = ex.check("sigmoid_backward", namespace["sigmoid_backward"])
    assert report.kind == "exception" and "NotImplementedError" in report.message


def test_report_helpers():
    good = ex.check("relu_backward", activations.relu_backward)
    assert bool(good) and str(good) == good.message and good._repr_markdown_().startswith("✅")
    good.assert_passed()
    bad = ex.check("relu_backward", lambda da, z: da)
    with pytest.raises(AssertionError, match="relu_backward: wrong"):
        bad.assert_passed()


def test_bad_input_to_the_checker():
    with pytest.raises(
        ex.ExerciseError, match="unknown exercise 'conv2d_backwards'.*conv2d_backward"
    ):
        ex.check("conv2d_backwards", activations.relu_backward)
    with pytest.raises(ex.ExerciseError, match="fn must be the function you wrote"):
        ex.check("relu_backward", "relu")
    with pytest.raises(ex.ExerciseError, match="time_limit must be"):
        ex.check("relu_backward", activations.relu_backward, time_limit=0)
    with pytest.raises(ex.ExerciseError, match="name must be"):
        ex.get(3)
    with pytest.raises(ex.ExerciseError, match="configurations must be an integer from 1 to 3"):
        ex.check("relu_backward", activations.relu_backward, configurations=4)
    with pytest.raises(ex.ExerciseError, match="configurations must be"):
        ex.check("relu_backward", activations.relu_backward, configurations=True)


def test_a_partial_check_says_so_and_names_no_mistake():
    good = ex.check("relu_backward", activations.relu_backward, configurations=1)
    assert good.passed and "the first 1 of 3 configurations" in good.message
    bad = ex.check("relu_backward", lambda da, z: da * (z >= 0), configurations=1)
    assert not bad.passed and bad.mistake is None and "configuration 1 of 3" in bad.message


def test_compare_arrays_is_relative_to_the_scale():
    assert compare_arrays(np.array([1e-20]), np.array([1e-20])) is None
    assert "relative error of 2" in compare_arrays(np.array([-1e-20]), np.array([1e-20]))
    assert "shape" in compare_arrays(np.zeros(3), np.zeros(4))
    assert "non-finite" in compare_arrays(np.array([np.nan]), np.array([1.0]))
    assert compare_arrays(np.array([np.inf, 1]), np.array([np.inf, 1])) is None


def _spin():
    while True:
        pass


def test_run_limited_returns_values_and_reraises():
    assert run_limited(lambda: 5, 1.0) == 5
    with pytest.raises(ZeroDivisionError):
        run_limited(lambda: 1 / 0, 1.0)
    with pytest.raises(StudentTimeout):
        run_limited(_spin, 0.2)


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------


def test_cli_list_scaffold_and_check(tmp_path, capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in NAMES)
    assert main(["list", "--chapter", "activations"]) == 0
    assert "conv2d_backward" not in capsys.readouterr().out
    assert main(["scaffold", "relu_backward"]) == 0
    scaffold = capsys.readouterr().out
    good = tmp_path / "good.py"
    good.write_text(
        scaffold.replace("raise NotImplementedError  # your code here", "return da * (cache > 0)")
    )
    assert main(["check", "relu_backward", str(good)]) == 0
    assert "correct on all" in capsys.readouterr().out
    bad = tmp_path / "bad.py"
    bad.write_text("def mine(da, cache):\n    return da * (cache >= 0)\n")
    assert main(["check", "relu_backward", str(bad), "--function", "mine"]) == 1
    assert "left derivative" in capsys.readouterr().out


def test_cli_bad_input(tmp_path, capsys):
    assert main(["list", "--chapter", "errata"]) == 2
    assert "has no implementation exercises" in capsys.readouterr().err
    assert main(["check", "nope", "x.py"]) == 2
    assert "unknown exercise" in capsys.readouterr().err
    assert main(["check", "relu_backward", str(tmp_path / "missing.py")]) == 2
    assert "does not exist" in capsys.readouterr().err
    f = tmp_path / "other.py"
    f.write_text("def helper():\n    pass\n")
    assert main(["check", "relu_backward", str(f)]) == 2
    assert "defines no function 'relu_backward'" in capsys.readouterr().err
    broken = tmp_path / "broken.py"
    broken.write_text("def relu_backward(da, cache):\n    return (\n")
    assert main(["check", "relu_backward", str(broken)]) == 2
    assert "SyntaxError" in capsys.readouterr().err


def test_cli_runs_as_a_module(tmp_path):
    f = tmp_path / "sol.py"
    f.write_text(
        "import numpy as np\n\ndef relu_backward(da, cache):\n    return da * np.maximum(cache, 0)\n"
    )
    res = subprocess.run(
        [sys.executable, "-m", "cnnmath.exercises", "check", "relu_backward", str(f)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert res.returncode == 1
    assert "this is the function's value, not its derivative" in res.stdout.lower()


# --------------------------------------------------------------------------------------------
# exercises with one answer
# --------------------------------------------------------------------------------------------


def _book_labels() -> list[str]:
    import json
    import re

    labels = []
    for nb in sorted((ROOT / "book").glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                labels += re.findall(
                    r"(?::::\{exercise\}|```\{exercise-start\}[^\n]*)\s*\n:label:\s*(\S+)",
                    "".join(cell["source"]),
                )
    return labels


def test_every_checkable_answer_is_a_book_exercise_and_its_value_passes():
    from cnnmath.exercises.answers import LABELS, answers

    book = _book_labels()
    assert set(LABELS) <= set(book), sorted(set(LABELS) - set(book))
    table = answers()
    assert set(table) == set(LABELS)
    for label, parts in table.items():
        for part, one in parts.items():
            report = ex.check_answer(label, one.answer.text(), part=part)
            assert report.passed, report.message
            for wrong, mistake in one.answer.distractors:
                r = ex.check_answer(label, one.answer.text(wrong), part=part)
                assert not r.passed and r.mistake is mistake, r.message
    # coverage, for the notes: the book's exercises with one answer that a student can check
    print(f"{len(table)} of {len(book)} book exercises have a checkable answer")
    print(f"{len(NAMES)} implementation exercises are checked by check()")
    assert len(table) >= 30


def test_answers_recomputed_by_another_route():
    from cnnmath.exercises.answers import answers

    t = answers()
    assert t["conv-groups"]["groups=32"].answer.value == 64 * (32 // 32) * 3 * 3
    assert t["alexnet-groups-4"]["parameters"].answer.value == 256 * 24 * 25 + 256
    assert t["alexnet-groups-4"]["multiply-adds"].answer.value == 27 * 27 * 256 * 24 * 25
    assert t["mlp-cifar"]["parameters"].answer.value == sum(
        a * b + b for a, b in zip((3072, 1536, 768, 384), (1536, 768, 384, 128))
    ) + (128 * 10 + 10)
    assert t["backprop-cost"]["forward"].answer.value == 784 * 128 + 128 * 64 + 64 * 10
    z = -10.0
    a = 1 / (1 + np.exp(-z))
    assert t["perceptron-mse"]["ratio"].answer.value == pytest.approx(a * (1 - a), rel=1e-12)
    assert t["optim-adamw"]["flat coordinate"].answer.value == pytest.approx(0.01 / 0.11)
    if have_torch():
        from torch.utils.data import DistributedSampler

        dealt = [len(list(DistributedSampler(range(10), 3, r, shuffle=False))) for r in range(3)]
        assert dealt == [t["dist-sampler"]["per process"].answer.value] * 3


def test_check_answer_reads_numbers_and_formulas_and_refuses_bad_input():
    assert ex.check_answer("conv-groups", "9216", part="groups=2").passed
    assert ex.check_answer("perceptron-xor", "3/4").passed
    assert ex.check_answer("init-uniform", "sqrt(6)/sqrt(n_in + n_out)", part="limit").passed
    r = ex.check_answer("init-uniform", "sqrt(6/(n_in + n_oot))", part="limit")
    assert not r.passed and r.kind == "form" and "unknown name 'n_oot'" in r.message
    r = ex.check_answer("losses-batch", "a - y")
    assert r.mistake is not None and r.mistake.key == "sum_not_mean"
    with pytest.raises(ex.ExerciseError, match="several parts"):
        ex.check_answer("conv-groups", 9216)
    with pytest.raises(ex.ExerciseError, match="no part 'groups=3'"):
        ex.check_answer("conv-groups", 9216, part="groups=3")
    with pytest.raises(ex.ExerciseError, match="no checkable answer"):
        ex.check_answer("ae-linear", "PCA")
