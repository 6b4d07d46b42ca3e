"""Code lines per chapter, split by what they do: ``python scripts/chapter_code_lines.py [REV]``.

Counts the non-blank, non-comment lines of each notebook's code cells (the quiz cell left out), as
the working tree has them or, with a git revision, as that revision had them. Columns: ``rest``
(derivations, checks, experiments), ``listing`` (cells that show package code with
``cnnmath.listing``), ``exercise`` (the implementation exercises: scaffold, check and solution
cells), and ``asserts`` among the rest.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _notebook(name: str, rev: str | None) -> dict | None:
    if rev is None:
        return json.loads((ROOT / "book" / f"{name}.ipynb").read_text())
    shown = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:book/{name}.ipynb"],
        capture_output=True,
        text=True,
    )
    return json.loads(shown.stdout) if shown.returncode == 0 else None


def count(nb: dict) -> dict[str, int]:
    counts = {"rest": 0, "listing": 0, "exercise": 0, "asserts": 0}
    in_exercise = False
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            if "{exercise-start} Implement" in source:
                in_exercise = True
            elif in_exercise and "{solution-end}" in source:
                in_exercise = False
            continue
        if "show_quiz(" in source:
            continue
        lines = [s for s in source.splitlines() if s.strip() and not s.strip().startswith("#")]
        kind = "exercise" if in_exercise else "listing" if "listing(" in source else "rest"
        counts[kind] += len(lines)
        if kind == "rest":
            counts["asserts"] += sum(s.strip().startswith("assert") for s in lines)
    return counts


def main(argv: list[str]) -> int:
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(__doc__, file=sys.stderr)
        return 2
    rev = argv[0] if argv else None
    names = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
    total = dict.fromkeys(("rest", "listing", "exercise", "asserts"), 0)
    print(f"{'chapter':18s} {'rest':>5s} {'listing':>7s} {'exercise':>8s} {'asserts':>7s}")
    for name in names:
        nb = _notebook(name, rev)
        if nb is None:
            continue
        c = count(nb)
        for key in total:
            total[key] += c[key]
        print(f"{name:18s} {c['rest']:5d} {c['listing']:7d} {c['exercise']:8d} {c['asserts']:7d}")
    t = total
    print(f"{'total':18s} {t['rest']:5d} {t['listing']:7d} {t['exercise']:8d} {t['asserts']:7d}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
