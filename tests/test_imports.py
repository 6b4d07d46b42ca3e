"""The package's import graph, read from the source with ``ast`` (nothing is imported): no circles,
no upward imports; and importing the package changes nothing in the process.

Every ``import`` and ``from ... import`` of a module counts, at module level or inside a function
(a lazy import is still a dependency), and so does ``importlib.import_module`` with a constant
name. ``from package import name`` is an arrow to the module ``package.name`` when there is one,
else to the package's ``__init__``; and importing a module of another package is also an arrow to
that package's ``__init__``, which Python runs first.

The package is a house of rooms, each resting on the ones below: a module may import modules of
its own room or of lower rooms, never of a higher one. :data:`ROOMS` names every module's room
(a package's submodules are in the package's room unless named themselves).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Collection
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cnnmath"

#: The rooms, from the ground up: (what lives there, the modules and packages in it). Names are
#: relative to ``cnnmath``; "" is the package's own ``__init__``.
ROOMS: list[tuple[str, tuple[str, ...]]] = [
    (
        "Tools that know nothing of neural networks: argument checks, atomic files, torch's "
        "devices, the allocator, TeX and Sphinx plumbing, printable displays and code listings, "
        "SymPy's proof helpers, the datasets, figures; and the package's own __init__, which "
        "imports nothing.",
        (
            "",
            "allocator",
            "arguments",
            "data",
            "devices",
            "files",
            "listing",
            "plots",
            "printable",
            "reader",
            "symbolic",
            "tex",
        ),
    ),
    (
        "The mathematics: forward and backward functions on arrays (activations, losses, dense, "
        "convolution, pooling, normalization, dropout, LRN, LeNet-5's 1998 layers), the "
        "initialization and update rules, gradient checks, metrics, the perceptron, the loss "
        "landscapes, and the networks written out by hand with the chain rule.",
        (
            "activations",
            "chain_rule",
            "connection_table",
            "conv",
            "conv_transpose",
            "dense",
            "dropout",
            "gradcheck",
            "init",
            "landscapes",
            "losses",
            "lrn",
            "metrics",
            "norm",
            "optim",
            "perceptron",
            "pool",
            "rbf",
            "subsampling",
        ),
    ),
    (
        "Layers: thin objects over the mathematics, each with its shapes and parameters.",
        ("layers",),
    ),
    (
        "The description of a network: a list of layers (network) and its architecture table "
        "(arch), which reads the description and allocates nothing.",
        ("arch", "network"),
    ),
    (
        "What is built on descriptions: the book's named networks, training, the torch twins, "
        "receptive fields, rounding a network's arithmetic to another precision.",
        ("receptive", "rounding", "torch_twin", "train", "zoo"),
    ),
    (
        "Experiments that run networks: NumPy against torch step for step, data-parallel "
        "training, determinism, benchmarks and cached results; and the sources' claims, each "
        "checked by running them.",
        (
            "claims",
            "crosscheck",
            "determinism",
            "distributed",
            "lockstep",
            "results_cache",
            "timing",
            "twin_training",
        ),
    ),
    (
        "Teaching and publishing: the ledger of the sources' claims, quizzes, exercises and "
        "their assignments, the oracles shown in the chapters, the print edition.",
        ("assign", "exercises", "ledger", "oracles", "print_edition", "quiz"),
    ),
]


def module_files() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = module_files()


def imports_in(
    source: str, module: str, is_package: bool, modules: Collection[str]
) -> tuple[dict[str, int], list[int]]:
    """The modules of ``modules`` that the code ``source`` of ``module`` imports, each with the
    line of its first import; and the lines of imports whose module name is computed
    (``import_module(f"...{name}")``), which no reading of the source can follow."""
    tree = ast.parse(source)
    here = module.split(".") if is_package else module.split(".")[:-1]
    top = module.split(".")[0]
    found: dict[str, int] = {}
    computed: list[int] = []

    def add(name: str, line: int) -> None:
        if name != top and not name.startswith(top + "."):
            return  # outside the package
        while name not in modules and "." in name:
            name = name.rpartition(".")[0]
        if name == module or name not in modules:
            return
        found.setdefault(name, line)
        # importing a.b.c from outside the package a.b also runs a.b's __init__ (and a's)
        parts = name.split(".")
        for i in range(2, len(parts)):
            package = ".".join(parts[:i])
            if package in modules and package != module and not module.startswith(package + "."):
                found.setdefault(package, line)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1])
                origin = f"{base}.{node.module}" if node.module else base
            else:
                origin = node.module or ""
            for alias in node.names:
                full = f"{origin}.{alias.name}"
                add(full if full in modules else origin, node.lineno)
        elif isinstance(node, ast.Call) and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__"))
        ):
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                add(arg.value, node.lineno)
            else:
                computed.append(node.lineno)
    return found, computed


def _read(module: str) -> tuple[dict[str, int], list[int]]:
    path = MODULES[module]
    return imports_in(path.read_text(encoding="utf-8"), module, path.name == "__init__.py", MODULES)


_READ = {m: _read(m) for m in MODULES}
#: Every module's arrows: ``{module: {imported module: line of the first import}}``.
GRAPH = {m: found for m, (found, _) in _READ.items()}
#: Imports whose module name is computed: invisible to the graph.
COMPUTED = [
    f"{MODULES[m].relative_to(PACKAGE.parent)}:{line}"
    for m, (_, lines) in _READ.items()
    for line in lines
]


def room_of(module: str) -> int | None:
    """The room of ``module``: that of the longest name in :data:`ROOMS` that contains it."""
    rel = module.removeprefix("cnnmath").removeprefix(".")
    best: tuple[int, int] | None = None  # (length of the name, room)
    for room, (_, names) in enumerate(ROOMS):
        for n in names:
            if n == rel or (n and rel.startswith(n + ".")):
                depth = len(n.split(".")) if n else 0
                if best is None or depth > best[0]:
                    best = (depth, room)
    return None if best is None else best[1]


def test_the_reading_finds_every_kind_of_import():
    """On a made-up package: a module-level and a lazy import, relative ones, a name imported
    from a package, import_module by name and by a computed name, an outside module."""
    modules = {"p", "p.a", "p.b", "p.sub", "p.sub.c", "p.sub.d"}
    source = """
import numpy
from . import a
from .b import something
def lazy():
    from .sub.c import f
    import importlib
    importlib.import_module("p.sub.d")
    importlib.import_module(f"p.{name}")
"""
    found, computed = imports_in(source, "p.x", False, modules)
    assert found == {"p.a": 3, "p.b": 4, "p.sub.c": 6, "p.sub": 6, "p.sub.d": 8}
    assert computed == [9]
    # inside p.sub, importing a sibling does not run p.sub's __init__ again
    found, _ = imports_in("from .c import f\nfrom .. import a", "p.sub.d", False, modules)
    assert found == {"p.sub.c": 1, "p.a": 2}
    # a package's __init__ imports relative to itself
    found, _ = imports_in("from .c import f", "p.sub", True, modules)
    assert found == {"p.sub.c": 1}


def test_the_graph_of_the_package_holds_known_arrows():
    assert "cnnmath.network" in GRAPH["cnnmath.zoo"]
    assert set(GRAPH["cnnmath.quiz.catalogue"]) >= {
        f"cnnmath.quiz.{m}" for m in ("foundations", "training", "convolutional", "networks")
    }
    assert "cnnmath.claims.lenet5" in GRAPH["cnnmath.claims"]  # inside claims.load
    assert "cnnmath.claims" in GRAPH["cnnmath.ledger"]


def test_every_import_names_its_module():
    assert not COMPUTED, (
        f"imports by a computed name, which the graph cannot follow (import by name): {COMPUTED}"
    )


def test_every_module_has_a_room_and_every_room_name_a_module():
    homeless = sorted(m for m in MODULES if room_of(m) is None)
    assert not homeless, f"modules in no room (add each to ROOMS, with its reason): {homeless}"
    named = [n for _, names in ROOMS for n in names]
    assert len(named) == len(set(named)), "a name stands in two rooms"
    stale = [n for n in named if (f"cnnmath.{n}" if n else "cnnmath") not in MODULES]
    assert not stale, f"ROOMS names modules that do not exist: {stale}"


def find_cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle (as a path that returns to its start) in each strongly connected component
    (Tarjan's algorithm), so every circle of the package is reported, not only the first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    cycles = []
    for comp in components:
        inside = set(comp)
        start = comp[0]
        # the shortest way back to start: breadth first inside the component
        prev: dict[str, str] = {}
        frontier = [start]
        while frontier and start not in prev:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v]):
                    if w in inside and w not in prev:
                        prev[w] = v
                        nxt.append(w)
            frontier = nxt
        path = [start]
        v = prev[start]
        while v != start:
            path.append(v)
            v = prev[v]
        path.append(start)
        cycles.append(path[::-1])
    return cycles


def test_cycle_finder_finds_every_circle():
    graph = {"a": {"b": 1}, "b": {"a": 1}, "c": {"d": 1}, "d": {"e": 1}, "e": {"c": 1}, "f": {}}
    cycles = find_cycles(graph)
    assert sorted(c[0] for c in cycles) == ["a", "c"]
    assert ["c", "d", "e", "c"] in cycles
    assert find_cycles({"a": {"b": 1}, "b": {}}) == []


def _arrow(a: str, b: str) -> str:
    return f"{a} -> {b} ({MODULES[a].relative_to(PACKAGE.parent)}:{GRAPH[a][b]})"


def test_no_import_circles():
    cycles = find_cycles(GRAPH)
    report = []
    for c in cycles:
        members = set(c)
        inside = sorted(m for m in GRAPH if _reaches(m, c[0]) and _reaches(c[0], m))
        report.append(
            f"  a circle through {len(inside)} modules ({', '.join(inside)}), for example:\n    "
            + "\n    ".join(_arrow(a, b) for a, b in zip(c, c[1:]))
        )
        assert members <= set(inside)
    assert not cycles, "import circles (each arrow with the line of its import):\n" + "\n".join(
        report
    )


def _reaches(a: str, b: str) -> bool:
    seen, todo = {a}, [a]
    while todo:
        for w in GRAPH[todo.pop()]:
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return b in seen


def test_no_upward_imports():
    upward = [
        f"{_arrow(a, b)}: room {room_of(a)} imports room {room_of(b)}"
        for a in sorted(GRAPH)
        for b in sorted(GRAPH[a])
        if room_of(a) is not None and room_of(b) is not None and room_of(b) > room_of(a)
    ]
    assert not upward, "upward imports (a lower room must not lean on a higher one):\n" + "\n".join(
        upward
    )


def test_rooms_room_finder():
    assert room_of("cnnmath") == 0
    assert room_of("cnnmath.arguments") == 0
    assert room_of("cnnmath.quiz.networks") == room_of("cnnmath.quiz") == len(ROOMS) - 1
    assert room_of("cnnmath.network") == 3
    assert room_of("cnnmath.no_such_module") is None


# ---------------------------------------------------------------------------------------------
# importing the package changes nothing in the process
# ---------------------------------------------------------------------------------------------

_PROBE = """
import ctypes, json, os, sys
looked_up = []
_getitem = ctypes.CDLL.__getitem__
def _spy(self, name):
    looked_up.append(name)
    return _getitem(self, name)
ctypes.CDLL.__getitem__ = _spy  # every C function found through ctypes passes here
environ = dict(os.environ)
import importlib
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
print(json.dumps({
    "environ_changed": sorted(
        k for k in set(environ) | set(os.environ) if environ.get(k) != os.environ.get(k)
    ),
    "c_functions": sorted(set(looked_up)),
}))
"""


def test_importing_the_package_changes_nothing_in_the_process():
    """Import ``cnnmath`` and every module of it (not the command-line programs) in a fresh
    interpreter: the environment is unchanged, and no C function of glibc's allocator
    (``mallopt``, ``malloc_trim``) was looked up through ctypes, so its settings are glibc's own
    (the tuning is opt-in: :func:`cnnmath.allocator.keep_freed_memory`)."""
    names = ["cnnmath"] + sorted(m for m in MODULES if not m.endswith("__main__"))
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("CNNMATH_MALLOC", None)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(names)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["environ_changed"] == [], f"importing cnnmath changed {found['environ_changed']}"
    malloc = {"mallopt", "malloc_trim"} & set(found["c_functions"])
    assert not malloc, f"importing cnnmath looked up {sorted(malloc)}: malloc tuning at import"


def test_the_probe_sees_malloc_tuning():
    """The probe above is not blind: entering the allocator's block looks up ``mallopt``."""
    probe = _PROBE.replace(
        "print(json.dumps(",
        "from cnnmath.allocator import keep_freed_memory\n"
        "with keep_freed_memory():\n    pass\nprint(json.dumps(",
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(["cnnmath"])],
        capture_output=True,
        text=True,
        env={**os.environ, "CNNMATH_MALLOC": ""},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    if "gnu_get_libc_version" not in found["c_functions"]:
        pytest.skip("the C library has no gnu_get_libc_version: not glibc, nothing to tune")
    assert "mallopt" in found["c_functions"]


@pytest.mark.parametrize("module", ["cnnmath.quiz.registry", "cnnmath.claims.record"])
def test_registers_import_nothing_of_what_registers_in_them(module):
    """A register knows nothing of its entries: the generators and the claims import the
    register; the register imports none of them (the catalogue and the ledger read it)."""
    package = module.rpartition(".")[0]
    inside = {m for m in GRAPH[module] if m.startswith(package + ".")}
    allowed = {
        "cnnmath.quiz.registry": {"cnnmath.quiz.question"},
        "cnnmath.claims.record": {"cnnmath.claims.sources"},
    }[module]
    assert inside <= allowed, f"{module} imports {sorted(inside - allowed)}"
