"""cnnmath.allocator: freed memory kept inside a ``with`` block only; importing changes nothing."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from cnnmath import allocator, train, zoo
from cnnmath.optim import Optimizer

MiB = 2**20
GLIBC = allocator._glibc() is not None


def run_python(code: str, **env: str) -> dict:
    """Run ``code`` in a fresh interpreter (the project's, with its startup settings); its last
    line of output, as JSON."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


class FakeC:
    """A C library that records the mallopt and malloc_trim calls made to it."""

    def __init__(self):
        self.calls = []

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append(("mallopt", param, value))
        return 1

    def malloc_trim(self, pad: int) -> int:
        self.calls.append(("malloc_trim", pad))
        return 1


@pytest.fixture
def fake_c(monkeypatch):
    libc = FakeC()
    monkeypatch.setattr(allocator, "_glibc", lambda: libc)
    monkeypatch.setattr(allocator, "_set", None)  # the process's real settings are left alone
    monkeypatch.delenv("CNNMATH_MALLOC", raising=False)
    return libc


def test_importing_the_package_leaves_malloc_and_the_process_alone():
    # Every way a module of the package could reach mallopt goes through ctypes: record any
    # lookup of mallopt or malloc_trim in any C library loaded during the imports. Then import
    # every module of the package, and compare the settings a module could change on import.
    found = run_python(
        """
        import ctypes, importlib, json, os, pkgutil, sys
        import matplotlib, numpy as np, torch
        seen = []
        real = ctypes.CDLL.__getattr__
        def spy(self, name):
            if name in ("mallopt", "malloc_trim"):
                seen.append(name)
            return real(self, name)
        ctypes.CDLL.__getattr__ = spy
        def settings():
            return {
                "env": dict(os.environ), "cwd": os.getcwd(), "numpy errors": np.geterr(),
                "numpy printing": np.get_printoptions(), "torch threads": torch.get_num_threads(),
                "torch deterministic": torch.are_deterministic_algorithms_enabled(),
                "torch dtype": str(torch.get_default_dtype()),
                "matplotlib": [matplotlib.get_backend(), repr(dict(matplotlib.rcParams))],
            }
        before = settings()
        import cnnmath
        from cnnmath import allocator
        after_package = allocator.thresholds()
        modules = [m.name for m in pkgutil.walk_packages(cnnmath.__path__, "cnnmath.")]
        for name in modules:
            if not name.endswith("__main__"):
                importlib.import_module(name)
        after = settings()
        print(json.dumps({
            "seen": seen, "package": after_package, "modules": allocator.thresholds(),
            "changed": sorted(k for k in before if before[k] != after[k]),
            "env changed": sorted(k for k in set(before["env"]) | set(after["env"])
                                  if before["env"].get(k) != after["env"].get(k)),
            "imported": len(modules),
        }))
        """
    )
    assert found["imported"] > 50  # the whole package, not a part of it
    del found["imported"]
    assert found == {"seen": [], "package": None, "modules": None, "changed": [], "env changed": []}


def test_the_block_sets_both_thresholds_and_leaves_them_where_glibc_slides_to(fake_c):
    assert allocator.thresholds() is None
    with allocator.keep_freed_memory(100 * MiB) as applied:
        assert applied is True
        assert allocator.thresholds() == (32 * MiB, 100 * MiB)  # glibc refuses more than 32 MiB
        assert fake_c.calls == [("mallopt", -3, 32 * MiB), ("mallopt", -1, 100 * MiB)]
    assert allocator.thresholds() == allocator.AFTER == (32 * MiB, 64 * MiB)
    assert fake_c.calls[2:] == [("mallopt", -3, 32 * MiB), ("mallopt", -1, 64 * MiB)] + [
        ("malloc_trim", 0)
    ]


def test_a_small_limit_is_both_thresholds(fake_c):
    with allocator.keep_freed_memory(4 * MiB):
        assert allocator.thresholds() == (4 * MiB, 4 * MiB)


def test_inner_blocks_keep_the_outer_settings_and_only_the_outermost_restores(fake_c):
    with allocator.keep_freed_memory(256 * MiB):
        with allocator.keep_freed_memory(8 * MiB) as inner:
            assert inner is True
            assert allocator.thresholds() == (32 * MiB, 256 * MiB)
        assert allocator.thresholds() == (32 * MiB, 256 * MiB)
        assert len(fake_c.calls) == 2
    assert allocator.thresholds() == allocator.AFTER
    assert fake_c.calls[-1] == ("malloc_trim", 0)


def test_an_error_in_the_block_still_ends_it(fake_c):
    with pytest.raises(ZeroDivisionError):
        with allocator.keep_freed_memory():
            1 / 0  # noqa: B018
    assert allocator.thresholds() == allocator.AFTER
    assert fake_c.calls[-1] == ("malloc_trim", 0)
    with allocator.keep_freed_memory() as applied:  # a new block starts afresh
        assert applied and allocator.thresholds() == (32 * MiB, 512 * MiB)


def test_the_environment_turns_it_off(fake_c, monkeypatch):
    monkeypatch.setenv("CNNMATH_MALLOC", "default")
    with allocator.keep_freed_memory() as applied:
        assert applied is False
    assert fake_c.calls == [] and allocator.thresholds() is None


def test_no_glibc_means_nothing_is_done(monkeypatch):
    monkeypatch.setattr(allocator, "_glibc", lambda: None)
    monkeypatch.setattr(allocator, "_set", None)
    monkeypatch.delenv("CNNMATH_MALLOC", raising=False)
    with allocator.keep_freed_memory() as applied:
        assert applied is False
    assert allocator.thresholds() is None


@pytest.mark.parametrize("limit", [0, -1, 2**31, 1.5, "512M", True, None])
def test_a_bad_limit_is_refused_naming_it(fake_c, limit):
    with pytest.raises(ValueError, match="limit must be a number of bytes"):
        with allocator.keep_freed_memory(limit):
            pass  # pragma: no cover
    assert fake_c.calls == []


def test_fit_trains_inside_the_block(fake_c):
    net = zoo.mlp([4, 3, 2])
    state = net.init(0)
    x = np.random.default_rng(0).standard_normal((8, 4))
    y = np.arange(8) % 2
    during = []

    def lr(epoch: int) -> float:  # called inside the loop, before each epoch
        during.append(allocator.thresholds())
        return 0.1

    train.fit(net, state, Optimizer("sgd", 0.1), x, y, epochs=2, lr_schedule=lr, progress=False)
    assert during == [(32 * MiB, 512 * MiB)] * 2
    assert allocator.thresholds() == allocator.AFTER


@pytest.mark.skipif(not GLIBC or sys.platform != "linux", reason="mallopt is glibc's, on Linux")
def test_the_block_spares_the_page_faults_of_freed_and_reallocated_arrays():
    # Three 12 MB arrays freed together leave 36 MB at the top of the heap: more than glibc's
    # sliding trim threshold (twice the 12 MB block), so it hands the pages back, and the next
    # round faults them in again; inside the block they are kept.
    counts = run_python(
        """
        import json, resource
        import numpy as np
        from cnnmath import allocator

        def faults_per_round(rounds=10):
            def one():
                arrays = [np.ones(12 * 2**20 // 8) for _ in range(3)]
                del arrays
            one()
            start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            for _ in range(rounds):
                one()
            return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start) / rounds

        default = faults_per_round()
        with allocator.keep_freed_memory():
            kept = faults_per_round()
        print(json.dumps({"default": default, "kept": kept}))
        """,
        CNNMATH_MALLOC="",
    )
    assert counts["default"] > 0
    assert counts["kept"] * 10 <= counts["default"], counts
