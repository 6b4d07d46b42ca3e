"""``python -m cnnmath.ledger``: verify the sources' claims and print them as JSON, or a summary.

Every claim is verified before it is printed; a claim whose check contradicts its verdict stops the
command with exit status 1 and the reason. Examples::

    python -m cnnmath.ledger                                  # the whole ledger, as JSON
    python -m cnnmath.ledger --document paper --verdict wrong # a filtered part of it
    python -m cnnmath.ledger --summary                        # counts and coverage per source
"""

from __future__ import annotations

import argparse
import json
import sys

from . import OUTLINES, SOURCES, VERDICTS, LedgerError, records


def summary(recs: list[dict[str, object]]) -> str:
    """Counts by verdict and the share of each source's outline that has a claim, as text."""
    lines = [f"{len(recs)} claims verified"]
    for doc in SOURCES:
        mine = [r for r in recs if r["document"] == doc]
        counts = ", ".join(f"{sum(r['verdict'] == v for r in mine)} {v}" for v in VERDICTS)
        covered = len({s for r in mine for s in r["sections"]})
        lines.append(
            f"{doc:7s} {len(mine):4d} claims ({counts}); {covered}/{len(OUTLINES[doc])} "
            f"sections have a claim"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cnnmath.ledger",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--chapter", help="only the claims shown in this chapter (e.g. convolution)"
    )
    parser.add_argument(
        "--document", choices=sorted(SOURCES), help="only the claims of this source"
    )
    parser.add_argument("--verdict", choices=VERDICTS, help="only the claims with this verdict")
    parser.add_argument(
        "--summary", action="store_true", help="counts and coverage instead of JSON"
    )
    args = parser.parse_args(argv)
    try:
        recs = records(args.chapter, args.document, args.verdict)
    except LedgerError as e:
        print(f"ledger: {e}", file=sys.stderr)
        return 1
    print(summary(recs) if args.summary else json.dumps(recs, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
