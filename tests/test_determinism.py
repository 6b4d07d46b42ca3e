"""The pinned environment: what it sets, that every process of the project starts in it, and that
the kernels it pins compute the same bits on other processors (emulated AVX2 Intel and AMD CPUs)."""

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnmath import determinism, optim, torch_twin

X86 = platform.machine() in ("x86_64", "AMD64")


def _run(args, env_extra=None, unset=(), timeout=300):
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(env_extra or {})
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout)


def test_settings_pin_one_thread_everywhere_and_avx2_kernels_on_x86():
    both = {**determinism.THREAD_PINS, **determinism.ISA_PINS}
    assert determinism.settings("x86_64", {"avx2", "fma", "sse2"}) == both
    # a CPU that cannot run AVX2 kernels keeps its own kernels, but one thread
    assert determinism.settings("x86_64", {"sse2", "avx"}) == determinism.THREAD_PINS
    assert determinism.settings("aarch64", set()) == determinism.THREAD_PINS
    assert all(v == "1" for k, v in determinism.THREAD_PINS.items() if k.endswith("_THREADS"))
    assert determinism.THREAD_PINS["OMP_WAIT_POLICY"] == "PASSIVE"
    with pytest.raises(TypeError, match="machine"):
        determinism.settings(64)
    with pytest.raises(TypeError, match="flags"):
        determinism.settings("x86_64", 3)


def test_pth_file_sets_the_pins_when_python_starts(tmp_path):
    path = determinism.install(tmp_path)
    assert path.name.endswith(".pth") and path.read_text() == determinism.pth_line()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # written whole, nothing left over
    assert determinism.install(tmp_path) == path and path.read_text() == determinism.pth_line()
    show = "import os, json; print(json.dumps({k: os.environ.get(k) for k in %r}))" % (
        sorted(determinism.settings()),
    )
    code = f"import site; site.addsitedir({str(tmp_path)!r}); {show}"
    pinned = _run([sys.executable, "-c", code], {"OMP_NUM_THREADS": "4"}, unset=["MKL_CBWR"])
    assert json.loads(pinned.stdout) == determinism.settings()  # replaced, not only defaulted
    off = _run([sys.executable, "-c", code], {"CNNMATH_PINS": "off", "OMP_NUM_THREADS": "4"})
    assert json.loads(off.stdout)["OMP_NUM_THREADS"] == "4"
    with pytest.raises(FileNotFoundError, match="site_packages"):
        determinism.install(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="site_packages"):
        determinism.install("")
    with pytest.raises(ValueError, match="pins"):
        determinism.pth_line({"A B": "1"})


def test_this_process_runs_pinned():
    """`make env` installed the .pth: the tests (and the notebooks' kernels) start pinned."""
    torch.ones(1).sum()
    pins = determinism.check(strict=True)
    found = determinism.in_force()
    assert found["environment"] == pins
    assert found["torch_threads"] == 1
    if "OPENBLAS_CORETYPE" in pins:
        assert found["openblas_coretype"] == "Haswell" and found["openblas_threads"] == 1
        assert found["numpy_avx512"] is False and found["torch_capability"] == "AVX2"


def test_an_unpinned_process_is_told_what_differs():
    out = _run(
        [sys.executable, "-m", "cnnmath.determinism", "check"],
        {"CNNMATH_PINS": "off"},
        unset=list(determinism.settings()),
    )
    assert out.returncode == 1
    assert "OMP_NUM_THREADS=None" in out.stderr and "make env" in out.stderr
    assert "Traceback" not in out.stderr
    bad = _run([sys.executable, "-m", "cnnmath.determinism", "bogus"])
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_deterministic_settings():
    before = torch.are_deterministic_algorithms_enabled()
    try:
        found = determinism.deterministic("cpu")
        assert found["deterministic_algorithms"] is True
    finally:
        torch.use_deterministic_algorithms(before)


def test_twin_adam_steps_as_the_package_adam():
    """The fused Adam of the twins (exact square roots) makes the package's Adam steps."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((5, 7))
    module = torch.nn.Linear(7, 5, bias=False, dtype=torch.float64)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(w))
    topt = torch_twin.adam(module, 1e-2)
    ours, params = optim.Optimizer("adam", 1e-2), {"w": w.copy()}
    for _ in range(5):
        g = rng.standard_normal((5, 7)) * 10.0 ** rng.integers(-6, 2)
        module.weight.grad = torch.from_numpy(g.copy())
        topt.step()
        ours.step(params, {"w": g})
    np.testing.assert_allclose(module.weight.detach().numpy(), params["w"], rtol=0, atol=1e-15)
    with pytest.raises(TypeError, match="mod must be a torch.nn.Module"):
        torch_twin.adam("net", 1e-3)


def _fingerprint(prefix: list[str], env_extra=None, unset=(), threads=1) -> dict[str, str]:
    args = [*prefix, "-m", "cnnmath.determinism", "fingerprint", "--torch-threads", str(threads)]
    out = _run(args, env_extra, unset, 600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def native_fingerprints():
    return {t: _fingerprint([sys.executable], threads=t) for t in (1, 2)}


QEMU = shutil.which("qemu-x86_64")


@pytest.mark.skipif(not X86, reason="the pins are for x86-64 processors")
@pytest.mark.skipif(QEMU is None, reason="qemu-user is not installed (make test installs it)")
@pytest.mark.parametrize(("cpu", "threads"), [("Haswell", 1), ("EPYC-Rome", 1), ("EPYC-Rome", 2)])
def test_the_pinned_kernels_compute_the_same_bits_on_other_processors(
    cpu, threads, native_fingerprints
):
    """The book's kernels under an emulated AVX2-only Intel (Haswell) and AMD (Zen 2) processor
    give the bits they give here, on one thread and on torch's two (the Training CNNs chapter's
    long run): the stored outputs repeat on those CPUs."""
    venv_python = Path(sys.executable)  # qemu runs the real binary, told it is the venv's
    emulated = _fingerprint(
        [QEMU, "-cpu", cpu, "-0", str(venv_python), str(venv_python.resolve())], threads=threads
    )
    assert emulated == native_fingerprints[threads]


@pytest.mark.skipif(not X86, reason="the pins are for x86-64 processors")
def test_the_pins_change_the_bits_where_the_cpu_has_more(native_fingerprints):
    """On a processor with AVX-512 (or more cores than one), the unpinned kernels compute other
    bits: the test above compares something that would differ without the pins."""
    flags = determinism._cpu_flags()
    if "avx512f" not in flags and (os.cpu_count() or 1) < 2:
        pytest.skip("one core and no AVX-512: here the pins select what would run anyway")
    unpinned = _fingerprint(
        [sys.executable], {"CNNMATH_PINS": "off"}, unset=list(determinism.settings())
    )
    assert unpinned != native_fingerprints[1]
    # and torch's thread count changes them: it is part of what the chapters fix
    assert native_fingerprints[2] != native_fingerprints[1]
