"""The checker: a student's function against the package's oracles, and a diagnosis of its mistake.

An :class:`Exercise` names the package function a student re-implements (its signature and
docstring are the scaffold), a list of seeded :class:`Config` s (small, and chosen so that every
catalogued mistake shows), the *oracles* that give the right outputs (the package's reference,
central finite differences, SymPy on small exact inputs, torch where it is installed) and a
catalogue of :class:`Bug` s: real wrong implementations, each the mistake a student makes.

:func:`check` runs the student's function on every configuration under a time limit and compares
each output with every oracle. A wrong function gets a :class:`Report` that says which
configuration fails, which output, by how much and according to which oracle, and which
catalogued mistake computes exactly what the student's function computed on *every*
configuration. A crash names the exception and the line of the student's code that raised it; a
function that runs past the time limit is stopped (``signal.setitimer`` in the main thread).
"""

from __future__ import annotations

import copy
import inspect
import signal
import sys
import textwrap
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..quiz.mistakes import Mistake

#: Seconds one call of a student's function may take before it is stopped.
TIME_LIMIT: float = 10.0
#: The relative error accepted between a float64 output and an oracle (and for a mistake's match).
TOLERANCE: float = 1e-6

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


class ExerciseError(ValueError):
    """Bad input to the checker: an unknown exercise, a function that is not callable, ..."""


class StudentTimeout(Exception):
    """Raised inside a student's function when it runs past the time limit."""


@dataclass(frozen=True)
class Config:
    """One seeded configuration: the arguments of a call and what the oracles need to know.

    ``args`` and ``kwargs`` are copied before every call, so a function that changes its inputs in
    place cannot change what the next function sees. ``data`` holds the inputs the oracles start
    from (for a backward pass: the forward pass's inputs).
    """

    label: str
    args: tuple = ()
    kwargs: Mapping[str, object] = field(default_factory=dict)
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Bug:
    """A catalogued mistake and a real implementation that makes it."""

    mistake: Mistake
    fn: Callable

    @property
    def key(self) -> str:
        return self.mistake.key


@dataclass
class Exercise:
    """An implementation exercise: what to write, how to call it, what is right, what goes wrong.

    - ``target``: the package function; its signature and docstring are the scaffold, and it is
      the reference oracle.
    - ``call(fn, config)``: calls ``fn`` on the configuration and returns its outputs by name
      (raises :class:`ShapeError` with a message if ``fn`` returned something of the wrong form).
    - ``oracles``: more oracles, each ``config -> {output: value}`` (may cover only some outputs,
      and may return ``None`` where it does not apply, e.g. torch when it is not installed).
    - ``compare(got, expected, output)``: ``None`` when they agree, else a sentence on how they
      differ (default: :func:`compare_arrays`).
    """

    name: str
    target: Callable
    chapter: str
    task: str
    outputs: tuple[str, ...]
    configs: Callable[[], list[Config]]
    call: Callable[[Callable, Config], dict[str, object]]
    bugs: tuple[Bug, ...]
    oracles: Mapping[str, Callable[[Config], dict[str, object] | None]] = field(
        default_factory=dict
    )
    compare: Callable[[object, object, str], str | None] | None = None
    solution_name: str = ""

    def __post_init__(self) -> None:
        if not self.solution_name:
            self.solution_name = self.target.__name__
        keys = [b.key for b in self.bugs]
        if len(set(keys)) != len(keys):
            raise ValueError(f"exercise {self.name!r} lists a mistake twice: {keys}")

    # -- scaffold ----------------------------------------------------------------------------
    def scaffold(self) -> str:
        """The function to write: the package function's signature and docstring, no body."""
        sig = inspect.signature(self.target)
        doc = inspect.getdoc(self.target) or ""
        task = textwrap.fill(self.task, 84)
        doc = doc + "\n\n" + task if doc else task
        quote = 'r"""' if "\\" in doc else '"""'
        body = textwrap.indent(quote + doc.replace('"""', "'''") + '\n"""', "    ")
        signature = _plain_signature(sig)
        head = "import numpy as np\n\n\n" if "np." in signature else ""
        return (
            f"{head}def {self.solution_name}{signature}:\n{body}\n"
            f"    raise NotImplementedError  # your code here\n"
        )

    # -- configurations, cached ----------------------------------------------------------------
    def cases(self) -> list[Config]:
        if not hasattr(self, "_cases"):
            self._cases = self.configs()
        return self._cases

    def expected(self, i: int) -> dict[str, dict[str, object]]:
        """``{oracle name: {output: value}}`` for configuration ``i`` (computed once)."""
        cache = self.__dict__.setdefault("_expected", {})
        if i not in cache:
            cfg = self.cases()[i]
            found = {"the package's reference": self.call(self.target, cfg)}
            for oname, oracle in self.oracles.items():
                got = oracle(cfg)
                if got is not None:
                    found[oname] = got
            cache[i] = found
        return cache[i]

    def bug_outputs(self, bug: Bug, i: int) -> dict[str, object] | None:
        """What ``bug`` computes on configuration ``i`` (None if it raises there)."""
        cache = self.__dict__.setdefault("_bug_outputs", {})
        key = (bug.key, i)
        if key not in cache:
            try:
                with np.errstate(all="ignore"):
                    cache[key] = self.call(bug.fn, self.cases()[i])
            except Exception:
                cache[key] = None
        return cache[key]

    def differ(self, got: object, expected: object, output: str) -> str | None:
        if self.compare is None:
            return compare_arrays(got, expected)
        return self.compare(got, expected, output)


class ShapeError(Exception):
    """A student's function returned something of the wrong form (not the outputs' shapes)."""


def _default_text(value: object) -> str:
    """A default value as source code (``np.float64`` rather than ``<class 'numpy.float64'>``)."""
    if isinstance(value, type):
        module = value.__module__
        prefix = "np." if module.startswith("numpy") else f"{module}."
        return value.__name__ if module == "builtins" else prefix + value.__name__
    return repr(value)


def catalogue(make: Callable[[str], Callable], keys: Sequence[str]) -> tuple[Bug, ...]:
    """The bugs ``make(key)`` for the mistakes ``keys`` (of :mod:`~cnnmath.exercises.mistakes`)."""
    from .mistakes import find

    return tuple(Bug(find(key), make(key)) for key in keys)


def as_outputs(result: object, names: Sequence[str]) -> dict[str, object]:
    """A returned tuple as ``{name: value}``; :class:`ShapeError` if it is not such a tuple."""
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        raise ShapeError(f"returned {type(result).__name__}; expected a tuple ({', '.join(names)})")
    return dict(zip(names, result))


def torch_module():
    """torch, imported when an oracle first needs it."""
    import importlib

    return importlib.import_module("torch")


def _plain_signature(sig: inspect.Signature) -> str:
    """The parameters as source code, without annotations (the docstring says the types)."""
    parts, star = [], False
    for p in sig.parameters.values():
        if p.kind is p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        text = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "") + p.name
        if p.kind is p.VAR_POSITIONAL:
            star = True
        if p.default is not p.empty:
            text += "=" + _default_text(p.default)
        parts.append(text)
    return "(" + ", ".join(parts) + ")"


# --------------------------------------------------------------------------------------------
# Comparing outputs
# --------------------------------------------------------------------------------------------


def _describe(x: object) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    if x is None:
        return "None"
    return f"{type(x).__name__} {x!r}"[:80]


def compare_arrays(got: object, expected: object, tol: float = TOLERANCE) -> str | None:
    """``None`` if ``got`` equals ``expected`` to a relative error below ``tol``; else how not.

    The error is relative to the larger of the two arrays' largest entries (as
    :func:`cnnmath.gradcheck.relative_error`), so a zero or sign-flipped output never passes for
    being small. Where ``expected`` itself is not finite (what a mistake computes may overflow),
    ``got`` must be non-finite at the same places and agree elsewhere.
    """
    if expected is None:
        return None if got is None else f"expected None, got {_describe(got)}"
    if got is None:
        return f"expected {_describe(np.asarray(expected))}, got None"
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return f"expected numbers, got {_describe(got)}"
    e = np.asarray(expected, dtype=np.float64)
    if g.shape != e.shape:
        return f"has shape {g.shape}; expected shape {e.shape}"
    if g.size == 0:
        return None
    if not np.all(np.isfinite(e)):
        if not np.array_equal(np.isfinite(g), np.isfinite(e)):
            return "is not finite where it should be"
        ok = np.isfinite(e)
        g, e = np.where(ok, g, 0.0), np.where(ok, e, 0.0)
    if not np.all(np.isfinite(g)):
        bad = np.argwhere(~np.isfinite(g))[0]
        where = tuple(int(v) for v in bad) if g.ndim else ()
        return f"holds a non-finite value (nan or inf) at index {where}, {g[tuple(bad)]}"
    scale = max(float(np.max(np.abs(g))), float(np.max(np.abs(e))), 1e-300)
    diff = np.abs(g - e)
    err = float(np.max(diff)) / scale
    if err < tol:
        return None
    idx = np.unravel_index(int(np.argmax(diff)), e.shape) if e.ndim else ()
    at = f" at index {tuple(int(v) for v in idx)}" if e.ndim else ""
    return (
        f"differs by a relative error of {err:.2g}{at}: expected {float(e[idx]) + 0.0:.6g}, "
        f"got {float(g[idx]) + 0.0:.6g}"
    )


def compare_exact(got: object, expected: object) -> str | None:
    """For integers and other exact answers."""
    if got is None or isinstance(got, bool) or not isinstance(got, (int, np.integer)):
        return f"expected the integer {expected!r}, got {_describe(got)}"
    return None if int(got) == int(expected) else f"expected {expected}, got {got}"


# --------------------------------------------------------------------------------------------
# Running a student's function: time limit, exceptions
# --------------------------------------------------------------------------------------------


def _alarm(signum, frame):  # noqa: ARG001 - signal handler signature
    raise StudentTimeout


def run_limited(fn: Callable[[], object], limit: float) -> object:
    """``fn()`` stopped after ``limit`` seconds (raises :class:`StudentTimeout`).

    In the main thread a real-time timer interrupts the function between two Python bytecodes
    (a loop is stopped at once). Elsewhere the function runs in a daemon thread that is abandoned
    after the limit.
    """
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            return fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(limit)
    if t.is_alive():
        raise StudentTimeout
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("value")


def where_raised(exc: BaseException, fn: Callable | None = None) -> str:
    """The deepest line of the student's file in the traceback (of ``fn``'s file when given),
    else the deepest outside the libraries and the checker itself."""
    frames = traceback.extract_tb(exc.__traceback__)
    here = str(Path(__file__).resolve().parent)
    home = getattr(getattr(fn, "__code__", None), "co_filename", None)
    own = [f for f in frames if home is not None and f.filename == home]
    own = own or [
        f
        for f in frames
        if not f.filename.startswith(here)
        and "site-packages" not in f.filename
        and not f.filename.startswith(sys.prefix + "/lib")
    ]
    if not own:
        return ""
    f = own[-1]
    line = f" `{f.line.strip()}`" if f.line else ""
    return f"line {f.lineno} of {f.name} ({Path(f.filename).name}):{line}"


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


@dataclass
class Report:
    """The verdict of :func:`check`: ``passed``, and a message in the student's terms."""

    exercise: str
    passed: bool
    message: str
    mistake: Mistake | None = None
    config: str | None = None
    output: str | None = None
    kind: str = "ok"  # ok | wrong | exception | timeout | form
    seconds: float = 0.0

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message

    def _repr_markdown_(self) -> str:
        mark = "✅" if self.passed else "❌"
        return f"{mark} {self.message}".replace("\n", "  \n")

    def __bool__(self) -> bool:
        return self.passed

    def assert_passed(self) -> None:
        """Raise ``AssertionError`` with the message unless the check passed (for autograders)."""
        if not self.passed:
            raise AssertionError(self.message)


def check_function(
    ex: Exercise,
    fn: Callable,
    *,
    time_limit: float = TIME_LIMIT,
    diagnose: bool = True,
    configurations: int | None = None,
) -> Report:
    """Run ``fn`` on every configuration of ``ex``; see :func:`cnnmath.exercises.check`."""
    if not callable(fn):
        raise ExerciseError(
            f"fn must be the function you wrote (a callable); got {type(fn).__name__}"
        )
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or time_limit <= 0:
        raise ExerciseError(f"time_limit must be a number of seconds > 0; got {time_limit!r}")
    name = getattr(fn, "__name__", "your function")
    start = time.perf_counter()
    got_all: list[dict[str, object]] = []
    failure: tuple[int, str, str, list[str]] | None = None
    cases = ex.cases()
    total = len(cases)
    if configurations is not None:
        if (
            isinstance(configurations, bool)
            or not isinstance(configurations, int)
            or not 1 <= configurations <= len(cases)
        ):
            raise ExerciseError(
                f"configurations must be an integer from 1 to {len(cases)} (the first ones are "
                f"run); got {configurations!r}"
            )
        cases = cases[:configurations]
        diagnose = diagnose and configurations == len(ex.cases())  # a diagnosis needs them all
    for i, cfg in enumerate(cases):
        where = f"configuration {i + 1} of {total} ({cfg.label})"
        try:
            with np.errstate(all="ignore"):
                got = run_limited(lambda cfg=cfg: ex.call(fn, _fresh(cfg)), time_limit)
        except StudentTimeout:
            return Report(
                ex.name,
                False,
                f"{ex.name}: {name} was stopped after the time limit of {time_limit:g} s on "
                f"{where}. Look for a loop that never ends, or loops over far more entries "
                f"than the arrays hold.",
                config=cfg.label,
                kind="timeout",
                seconds=time.perf_counter() - start,
            )
        except ShapeError as exc:
            return Report(
                ex.name,
                False,
                f"{ex.name}: on {where}, {name} {exc}",
                config=cfg.label,
                kind="form",
                seconds=time.perf_counter() - start,
            )
        except NotImplementedError:  # the scaffold as given: nothing to diagnose yet
            return Report(
                ex.name,
                False,
                f"{ex.name}: {name} is not written yet (it raises NotImplementedError). Write "
                "its body, then run the check again.",
                config=cfg.label,
                kind="exception",
                seconds=time.perf_counter() - start,
            )
        except Exception as exc:
            loc = where_raised(exc, fn)
            return Report(
                ex.name,
                False,
                f"{ex.name}: {name} raised {type(exc).__name__}: {exc} on {where}"
                + (f", at {loc}" if loc else "")
                + ".",
                config=cfg.label,
                kind="exception",
                seconds=time.perf_counter() - start,
            )
        got_all.append(got)
        if failure is None:
            wrong = []
            for out in ex.outputs:
                for oname, exp in ex.expected(i).items():
                    if out not in exp:
                        continue
                    why = ex.differ(got.get(out), exp[out], out)
                    if why is not None:
                        wrong.append((out, oname, why))
            if wrong:
                out = wrong[0][0]
                why = wrong[0][2]
                oracles = sorted({o for w, o, _ in wrong if w == out})
                outs = list(dict.fromkeys(w for w, _, _ in wrong))
                failure = (i, out, why, oracles, outs)  # type: ignore[assignment]
    seconds = time.perf_counter() - start
    if failure is None:
        oracles = sorted({o for i in range(len(cases)) for o in ex.expected(i)})
        return Report(
            ex.name,
            True,
            f"{ex.name}: correct on {_how_many(len(cases), total)}, checked against "
            f"{', '.join(oracles)}.",
            seconds=seconds,
        )
    i, out, why, oracles, outs = failure  # type: ignore[misc]
    cfg = cases[i]
    msg = (
        f"{ex.name}: wrong on configuration {i + 1} of {total} ({cfg.label}). "
        f"{_output_phrase(outs)}; {out} {why} (according to {', '.join(oracles)})."
    )
    mistake = diagnose_mistake(ex, got_all) if diagnose else None
    if mistake is not None:
        msg += f"\nThis is a known mistake: {mistake.feedback()}"
    elif diagnose:
        msg += "\nIt matches none of the known mistakes of this exercise; compare your code with "
        msg += "the equation line by line."

    return Report(ex.name, False, msg, mistake, cfg.label, out, "wrong", seconds)


def _how_many(run: int, total: int) -> str:
    if run == total:
        return f"all {total} configurations"
    return f"the first {run} of {total} configurations (check them all for the grade)"


def _output_phrase(outs: Sequence[str]) -> str:
    if len(outs) == 1:
        return f"The output {outs[0]} is wrong"
    return f"The outputs {', '.join(outs[:-1])} and {outs[-1]} are wrong"


def _fresh(cfg: Config) -> Config:
    return Config(cfg.label, copy.deepcopy(cfg.args), copy.deepcopy(dict(cfg.kwargs)), cfg.data)


def diagnose_mistake(ex: Exercise, got_all: list[dict[str, object]]) -> Mistake | None:
    """The catalogued mistake whose implementation computes what the student's did everywhere."""
    for bug in ex.bugs:
        ok = True
        for i, got in enumerate(got_all):
            theirs = ex.bug_outputs(bug, i)
            if theirs is None or any(
                ex.differ(got.get(out), theirs.get(out), out) is not None for out in ex.outputs
            ):
                ok = False
                break
        if ok:
            return bug.mistake
    return None
