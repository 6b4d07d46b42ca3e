"""Files written whole or not at all: the package's one atomic writer.

:func:`write_atomically` writes to a temporary file in the target's directory, flushes it to disk,
then renames it over the target (``os.replace``, atomic on POSIX and Windows), so a crash or an
error leaves the old file or the new one, never half of either. Checkpoints, the results cache,
exported quizzes and every other file the package writes go through it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

__all__ = ["write_atomically"]


def write_atomically(
    path: str | Path, write: Callable[[IO[bytes]], object] | bytes | str, *, mode: int | None = None
) -> Path:
    """Write ``path`` atomically and return it.

    ``write`` is the content (``bytes``, or a ``str`` written as UTF-8) or a function that writes
    it to the binary file object it is given. The directory is created if needed. ``mode`` sets
    the file's permission bits (by default those of a new file under the process's umask).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a pathlib.Path; got {type(path).__name__}")
    if not (isinstance(write, (bytes, str)) or callable(write)):
        raise TypeError(
            f"write must be bytes, a str or a function of a file object; got {type(write).__name__}"
        )
    if mode is not None and (isinstance(mode, bool) or not isinstance(mode, int) or mode >> 12):
        raise ValueError(f"mode must be permission bits such as 0o644, or None; got {mode!r}")
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"path must be a file's path; {path} is a directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(write, str):
                f.write(write.encode("utf-8"))
            elif isinstance(write, bytes):
                f.write(write)
            else:
                write(f)
            f.flush()
            os.fsync(f.fileno())
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
