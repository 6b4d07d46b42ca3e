"""Time ``python -m cnnmath.quiz exam`` for a 200-student roster (issue 21: at most 2 minutes).

Writes a synthetic roster to a temporary directory, runs the exam command end to end (every
student's PDF through LaTeX, and the key) and prints the wall time and the time per student.
``--json FILE`` also stores the result with the machine it ran on. Needs Debian's TeX packages
(scripts/get-tex.sh).

    OPENBLAS_CORETYPE=Haswell .venv/bin/python benchmarks/exam_roster.py --students 200
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from cnnmath.quiz.__main__ import main

TOPICS = "convolution,conv_backprop,optimizers"


def run(students: int, topics: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        roster = Path(tmp) / "roster.csv"
        rows = [f"s{i:04d},Student {i:04d}" for i in range(1, students + 1)]
        roster.write_text("id,name\n" + "\n".join(rows) + "\n", encoding="utf-8")
        out = Path(tmp) / "exams"
        start = time.perf_counter()
        rc = main(
            ["exam", "--roster", str(roster), "--topics", topics, "--secret", "benchmark secret"]
            + ["-o", str(out)]
        )
        seconds = time.perf_counter() - start
        if rc != 0:
            raise SystemExit(rc)
        pdfs = len(list(out.glob("*.pdf")))
    return {
        "students": students,
        "pdfs": pdfs,
        "topics": topics,
        "seconds": round(seconds, 1),
        "seconds_per_student": round(seconds / students, 3),
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
    }


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=200)
    p.add_argument("--topics", default=TOPICS)
    p.add_argument("--json", help="also write the result to this file")
    args = p.parse_args()
    result = run(args.students, args.topics)
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
