"""``python -m cnnmath.exercises``: list the exercises, print a scaffold, check a file.

Examples::

    python -m cnnmath.exercises list
    python -m cnnmath.exercises scaffold conv2d_backward > my_conv.py
    python -m cnnmath.exercises check conv2d_backward my_conv.py
    python -m cnnmath.exercises check conv2d_backward my_conv.py --function my_backward

``check`` exits with status 0 when the function is right, 1 when it is wrong (the message says
what is wrong), and 2 on bad input (an unknown exercise, a missing file, no such function).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from . import EXERCISES, check, get, names, scaffold
from .core import ExerciseError


def _load(path: str, function: str):
    file = Path(path)
    if not file.is_file():
        raise ExerciseError(f"FILE {path!r} does not exist or is not a file")
    spec = importlib.util.spec_from_file_location("student_solution", file)
    if spec is None or spec.loader is None:
        raise ExerciseError(f"FILE {path!r} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(file.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ExerciseError(
            f"running {path!r} raised {type(exc).__name__}: {exc}; fix the file first"
        ) from None
    finally:
        sys.path.pop(0)
    fn = getattr(module, function, None)
    if not callable(fn):
        found = [k for k, v in vars(module).items() if callable(v) and not k.startswith("_")]
        raise ExerciseError(
            f"{path!r} defines no function {function!r} (it defines: {', '.join(found) or 'none'}"
            f"); name it so or pass --function"
        )
    return fn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cnnmath.exercises",
        description="Implementation exercises of the cnnmath book: list, scaffold, check.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="the exercises, with their chapters")
    p_list.add_argument("--chapter", help="only this chapter's (e.g. conv_backprop)")
    p_sc = sub.add_parser("scaffold", help="print the function to write")
    p_sc.add_argument("name")
    p_ck = sub.add_parser("check", help="check the function in FILE against exercise NAME")
    p_ck.add_argument("name")
    p_ck.add_argument("file")
    p_ck.add_argument(
        "--function", help="the function's name in FILE (default: the scaffold's name)"
    )
    p_ck.add_argument("--time-limit", type=float, default=None, help="seconds per call")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            for n in names(args.chapter):
                ex = EXERCISES[n]
                print(
                    f"{n:28} {ex.chapter:18} {len(ex.cases())} configurations, "
                    f"{len(ex.bugs)} catalogued mistakes"
                )
            return 0
        if args.command == "scaffold":
            print(scaffold(args.name), end="")
            return 0
        ex = get(args.name)
        fn = _load(args.file, args.function or ex.solution_name)
        kw = {} if args.time_limit is None else {"time_limit": args.time_limit}
        report = check(args.name, fn, **kw)
        print(report.message)
        return 0 if report.passed else 1
    except ExerciseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
