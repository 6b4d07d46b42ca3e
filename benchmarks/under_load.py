"""How a chapter's execution time changes when another process keeps one core busy.

For each chapter: execute it (to a temporary copy, never over the book) on a quiet machine, then
again while a competing process spins on one core, with the book's settings (one thread,
cnnmath.determinism) and, for comparison, without them (``CNNMATH_PINS=off``: every library
uses all cores). The target (issue 22) is at most 2x the quiet time with the book's settings.

    .venv/bin/python benchmarks/under_load.py --json benchmarks/results/under_load.json mlp lenet5

Run it on an otherwise idle machine: the quiet times are the reference.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cnnmath import determinism  # noqa: E402
from cnnmath.files import write_atomically  # noqa: E402
from cnnmath.timing import machine  # noqa: E402

SPIN = "while True: pass"


def execute(chapter: str, pinned: bool) -> float:
    """Seconds to execute book/<chapter>.ipynb in a fresh kernel, into a temporary file."""
    env = dict(os.environ)
    if not pinned:
        env["CNNMATH_PINS"] = "off"
        for k in determinism.settings():
            env.pop(k, None)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
            "--ExecutePreprocessor.timeout=3600", f"book/{chapter}.ipynb",
            "--output-dir", tmp, "--output", f"{chapter}.ipynb",
        ]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
        return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="+", help="chapter names, e.g. mlp lenet5")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--no-unpinned", action="store_true", help="skip the unpinned runs")
    args = parser.parse_args(argv)
    for c in args.chapters:
        if not (ROOT / "book" / f"{c}.ipynb").is_file():
            parser.error(f"no chapter book/{c}.ipynb")
    results = []
    for chapter in args.chapters:
        for pinned in (True,) if args.no_unpinned else (True, False):
            quiet = execute(chapter, pinned)
            spinner = subprocess.Popen([sys.executable, "-c", SPIN])
            try:
                busy = execute(chapter, pinned)
            finally:
                spinner.kill()
                spinner.wait()
            row = {
                "chapter": chapter,
                "settings": "book (one thread, AVX2)" if pinned else "unpinned (all cores)",
                "quiet_s": round(quiet, 1),
                "one_core_busy_s": round(busy, 1),
                "ratio": round(busy / quiet, 2),
            }
            results.append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        record = {"machine": machine(), "cores": os.cpu_count(), "results": results}
        write_atomically(args.json, json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
