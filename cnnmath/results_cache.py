"""Results of long computations kept on disk, under a key made of everything that decides them.

Some results are computed in several processes of one test run: AlexNet's ReLU, tanh and dropout
trainings on Fashion-MNIST are what the AlexNet chapter shows, what the ledger's claims check in
``tests/test_ledger.py`` and what the Errata page verifies again. :func:`cached` computes such a
result once and lets the other processes read it, but only when nothing that decides it has
changed. The key (:func:`key`) is the SHA-256 of

- **the code**: every ``.py`` file of the ``cnnmath`` package, by path and content (any change to
  the package misses, even one that could not matter: a cache is never trusted to judge that);
- **the data**: the digests of the dataset files the function reads, which
  :mod:`cnnmath.data` verifies on every load (so the bytes used are the bytes named);
- **the settings**: the pins of :mod:`cnnmath.determinism` as they are in this process, the
  versions of Python, NumPy and torch, and the machine's architecture;
- **the call**: the function's module and name and its arguments.

A result is JSON (no pickle), written atomically (:func:`cnnmath.files.write_atomically`); a
file that cannot be read or does not hold the key it is filed under is recomputed. The folder is ``$CNNMATH_RESULTS`` or
``~/.cache/cnnmath/results``; ``CNNMATH_RESULTS=off`` turns the cache off.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .files import write_atomically

__all__ = ["key", "folder", "cached", "source_digest"]

_PACKAGE = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=1)
def source_digest(root: str | None = None) -> str:
    """SHA-256 of every ``.py`` file below ``root`` (the package), by relative path and content."""
    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a folder's path; got {type(root).__name__}")
    base = _PACKAGE if root is None else Path(root)
    if not base.is_dir():
        raise ValueError(f"root {str(base)!r} is not a folder")
    h = hashlib.sha256()
    for path in sorted(base.rglob("*.py")):
        h.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _data_digests(datasets: Sequence[str]) -> dict[str, list[str | None]]:
    from .data import REGISTRY

    if isinstance(datasets, str) or not isinstance(datasets, (tuple, list)):
        raise TypeError(
            f"data must be a tuple of dataset names such as ('fashion-mnist',); got {datasets!r}"
        )
    if not all(isinstance(d, str) for d in datasets):
        raise TypeError(f"data must hold dataset names (strings); got {datasets!r}")

    unknown = [d for d in datasets if d not in REGISTRY]
    if unknown:
        raise ValueError(f"data: unknown dataset(s) {unknown}; known: {sorted(REGISTRY)}")
    return {
        d: [f"{f.name}:{f.sha256}:{f.content_sha256}" for f in REGISTRY[d].files] for d in datasets
    }


def _settings() -> dict[str, Any]:
    import numpy as np

    from . import determinism

    found: dict[str, Any] = {
        "pins": {k: os.environ.get(k) for k in sorted(determinism.settings())},
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
    }
    try:  # read from the installed metadata: importing torch here would cost seconds
        found["torch"] = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        found["torch"] = None
    return found


def key(
    function: str,
    arguments: dict[str, Any],
    *,
    data: Sequence[str] = (),
    code: str | None = None,
    settings: dict[str, Any] | None = None,
) -> str:
    """The SHA-256 naming one result: code, data, settings and call (see the module's text).

    ``code`` and ``settings`` default to this package's :func:`source_digest` and this process's
    settings; they are arguments so that a test can show that changing either misses.
    """
    if not isinstance(function, str) or not function:
        raise TypeError(f"function must be the function's qualified name; got {function!r}")
    if not isinstance(arguments, dict):
        raise TypeError(f"arguments must be a dict; got {type(arguments).__name__}")
    record = {
        "code": source_digest() if code is None else code,
        "data": _data_digests(data),
        "settings": _settings() if settings is None else settings,
        "function": function,
        "arguments": arguments,
    }
    try:
        text = json.dumps(record, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError(f"arguments must be JSON values (numbers, strings, lists); {e}") from None
    return hashlib.sha256(text.encode()).hexdigest()


def folder() -> Path | None:
    """Where results are kept (None: the cache is off)."""
    where = os.environ.get("CNNMATH_RESULTS", "")
    if where == "off":
        return None
    return Path(where) if where else Path.home() / ".cache" / "cnnmath" / "results"


def _read(path: Path, name: str) -> Any:
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != name or "result" not in stored:
        return None
    return stored["result"]


def _write(path: Path, name: str, result: Any) -> None:
    write_atomically(path, json.dumps({"key": name, "result": result}, allow_nan=False))


def cached(*, data: Sequence[str] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a function of JSON arguments returning a JSON result (dicts, lists, numbers) so
    that a result computed with the same code, ``data``, settings and arguments is read back.

    Tuples come back as lists. Keyword and positional arguments are keyed by the parameter they
    bind to, defaults included, so ``f(1)`` and ``f(x=1)`` share a result.
    """
    import inspect

    _data_digests(data)  # an unknown dataset fails at decoration
    datasets = tuple(data)

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(func)
        qualified = f"{func.__module__}.{func.__qualname__}"

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            where = folder()
            if where is None:
                return func(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            name = key(qualified, dict(bound.arguments), data=datasets)
            path = where / f"{name}.json"
            result = _read(path, name)
            if result is None:
                # what every process gets is the JSON form, whether it computed or read it
                result = json.loads(json.dumps(func(*args, **kwargs), allow_nan=False))
                _write(path, name, result)
            return result

        return wrapper

    return decorate
