"""Execute the book's chapters in parallel processes, each kernel on one thread.

Every kernel runs pinned to one thread (cnnmath.determinism), so the parallelism that makes the
build fast comes from executing several chapters at once; the longest chapters start first (their
duration read from the timings nbclient stored in each notebook the last time it ran).

    python scripts/execute_chapters.py --cache _build/.jupyter_cache   # for `make book`
    python scripts/execute_chapters.py --inplace [book/lenet5.ipynb ...] # store the outputs

``--cache`` executes every chapter into a fresh jupyter-cache project, which the book's build
(``execute_notebooks: cache`` in the overlay ``make book`` writes) then reads instead of executing
again: the build still executes every chapter, once, and fails on any error. ``--inplace`` writes
each executed notebook back over its source, as ``jupyter execute --inplace`` does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def chapters() -> list[Path]:
    """The notebooks of the table of contents, in its order."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def stored_seconds(path: Path) -> float:
    """How long the notebook took when its stored outputs were made (0 if it does not say)."""
    stamps = []
    for cell in json.loads(path.read_text()).get("cells", []):
        ex = cell.get("metadata", {}).get("execution", {})
        for key in ("iopub.execute_input", "shell.execute_reply"):
            if key in ex:
                stamps.append(dt.datetime.fromisoformat(ex[key].replace("Z", "+00:00")))
    return (max(stamps) - min(stamps)).total_seconds() if stamps else 0.0


def _execute_inplace(job: tuple[str, int]) -> tuple[str, float, str | None]:
    import nbformat
    from nbclient import NotebookClient

    path, timeout = Path(job[0]), job[1]
    start = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    try:
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    except Exception as e:  # the cell's error, reported with the chapter's name
        return str(path), time.perf_counter() - start, f"{type(e).__name__}: {e}"
    from cnnmath.files import write_atomically

    write_atomically(path, nbformat.writes(nb) + "\n")
    return str(path), time.perf_counter() - start, None


def _execute_cached(job: tuple[str, int, str, int]) -> tuple[str, float, str | None]:
    from jupyter_cache import get_cache
    from jupyter_cache.executors.basic import ExecutionWorkerLocalMProc, ProcessData

    uri, timeout, cache_path, pk = job
    start = time.perf_counter()
    code, _ = ExecutionWorkerLocalMProc()(
        ProcessData(pk, uri, get_cache(cache_path), timeout, False)
    )
    error = None
    if code != 0:
        record = get_cache(cache_path).get_project_record(pk)
        error = (record.traceback or "execution failed").strip().splitlines()[-1]
    return uri, time.perf_counter() - start, error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--cache", type=Path, help="a jupyter-cache folder (emptied first)")
    where.add_argument(
        "--inplace", action="store_true", help="write the outputs into the notebooks"
    )
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="default: every chapter of _toc.yml"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel kernels")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1; got {args.jobs}")
    paths = [p.resolve() for p in args.notebooks] or chapters()
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    paths.sort(key=stored_seconds, reverse=True)  # the longest first: the pool ends together
    # what the Makefile exports for every executed page: training as a per-epoch table, not a
    # progress bar (kernels inherit the environment)
    os.environ.setdefault("CNNMATH_PROGRESS", "summary")
    os.environ.setdefault("PYTHONHASHSEED", "0")

    if args.inplace:
        jobs = [(str(p), args.timeout) for p in paths]
        work = _execute_inplace
    else:
        from jupyter_cache import get_cache

        shutil.rmtree(args.cache, ignore_errors=True)
        cache = get_cache(str(args.cache))
        records = {str(p): cache.add_nb_to_project(str(p)).pk for p in paths}
        jobs = [(str(p), args.timeout, str(args.cache), records[str(p)]) for p in paths]
        work = _execute_cached

    start, failed = time.perf_counter(), []
    with mp.get_context("spawn").Pool(min(args.jobs, len(jobs))) as pool:
        for uri, seconds, error in pool.imap_unordered(work, jobs, chunksize=1):
            name = Path(uri).relative_to(ROOT)
            print(f"{seconds:7.1f} s  {name}" + (f"  FAILED: {error}" if error else ""), flush=True)
            if error:
                failed.append(str(name))
    print(f"{len(jobs)} chapters in {time.perf_counter() - start:.0f} s on {args.jobs} processes")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
