# SPDX-License-Identifier: BSD-3-Clause
"""``python -m g2live.validation``: run the validation grid, print the pull table, update the doc."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import GRID, QUICK, run_grid, summarise
from ._report import pull_table, write_report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m g2live.validation", description=__doc__)
    p.add_argument("--quick", action="store_true", help="the fixed-seed subset CI runs")
    p.add_argument("--seeds", type=int, help="seeds per grid point (default: each point's own)")
    p.add_argument("--workers", type=int, help="processes (default: all cores)")
    p.add_argument("--doc", type=Path, help="write the table into this Markdown file (and plots next to it)")
    args = p.parse_args(argv)
    cases = QUICK if args.quick else GRID
    if args.seeds is not None:
        if args.seeds < 1:
            p.error("--seeds must be >= 1")
        from dataclasses import replace

        cases = tuple(replace(c, seeds=args.seeds) for c in cases)
    t0 = time.monotonic()
    pulls = run_grid(cases, args.workers, progress=sys.stderr.isatty())
    summaries = summarise(pulls)
    print(pull_table(summaries))
    print(f"{len(pulls)} estimates from {sum(c.seeds for c in cases)} runs in {time.monotonic() - t0:.0f} s")
    if args.doc:
        cmd = (
            "make validate"
            if not args.quick and args.seeds is None
            else "python -m g2live.validation " + " ".join(argv if argv is not None else sys.argv[1:])
        )
        write_report(pulls, summaries, args.doc, cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
