"""Time ``python -m cnnmath.quiz exam`` for a 200-student roster (issue 21: at most 2 minutes).

Writes a synthetic roster to a temporary directory, runs the exam command end to end (every
student's PDF through LaTeX, and the key) and prints the wall time, the time per student, the
CPU time LaTeX took and the load average (on a shared machine the wall time follows the load).
``--json FILE`` also stores the result with the machine it ran on. Needs Debian's TeX packages
(scripts/get-tex.sh).

    OPENBLAS_CORETYPE=Haswell .venv/bin/python benchmarks/exam_roster.py --students 200 \
        --json benchmarks/results/exam_roster.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
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
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self0 = resource.getrusage(resource.RUSAGE_SELF)
        rc = main(
            ["exam", "--roster", str(roster), "--topics", topics, "--secret", "benchmark secret"]
            + ["-o", str(out)]
        )
        seconds = time.perf_counter() - start
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self1 = resource.getrusage(resource.RUSAGE_SELF)
        py_cpu = (self1.ru_utime + self1.ru_stime) - (self0.ru_utime + self0.ru_stime)
        tex_cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
        if rc != 0:
            raise SystemExit(rc)
        pdfs = len(list(out.glob("*.pdf")))
    return {
        "students": students,
        "pdfs": pdfs,
        "topics": topics,
        "seconds": round(seconds, 1),
        "seconds_per_student": round(seconds / students, 3),
        "tex_cpu_seconds": round(tex_cpu, 1),
        "python_cpu_seconds": round(py_cpu, 1),
        "load_average_1min": round(os.getloadavg()[0], 1),
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
