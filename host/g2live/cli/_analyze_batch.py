# SPDX-License-Identifier: BSD-3-Clause
"""``g2live analyze DIR|FILES... --table results.csv``: the batch options and their run
(``g2live.batch``); ``g2live.cli.analyze`` hands over when it sees several files, a folder or
``--table``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from g2live.cli import _options as opt

__all__ = ["add_batch_args", "is_batch", "run_batch"]


def add_batch_args(p: argparse.ArgumentParser) -> None:
    """The options of the many-files mode."""
    g = p.add_argument_group(
        "many recordings (several files, a folder, or --table)",
        "Every file gets the same analysis; one row per file with the --json keys flattened "
        "(docs/analysis.md). Runs on Dask: a local cluster of processes, or --scheduler.",
    )
    g.add_argument("more", nargs="*", metavar="FILE", help="more recordings or folders of recordings")
    g.add_argument("--table", type=Path, metavar="OUT", help="write the table: .csv or .parquet")
    g.add_argument(
        "--figure",
        type=Path,
        metavar="PNG",
        help="summary figure (g2(0) vs tau_BX, purity vs brightness, g2(0) histogram); "
        "default with --table: OUT's name + _summary.png",
    )
    g.add_argument(
        "--workers",
        type=opt.integer(0, 1024),
        metavar="N",
        help="processes of the local Dask cluster (default: one per CPU); 0: no Dask, one file after another",
    )
    g.add_argument("--scheduler", type=opt.dask_address, metavar="ADDRESS",
                   help="an existing Dask scheduler, e.g. tcp://host:8786")
    g.add_argument("--recursive", action="store_true", help="also the recordings in subfolders")


def is_batch(args: argparse.Namespace) -> bool:
    """Several files, a folder, or a table asked for."""
    return bool(args.more or args.table or (args.file and Path(args.file).is_dir()))


def _outputs(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """Table and figure paths, refused at once when they cannot be written."""
    from g2live.batch._table import TABLE_SUFFIXES

    table, figure = args.table, args.figure
    if table is not None and table.suffix.lower() not in TABLE_SUFFIXES:
        raise ValueError(f"--table {table}: give a .csv or .parquet file")
    if figure is None and table is not None:
        figure = table.with_name(f"{table.stem}_summary.png")
    if figure is not None and figure.suffix.lower() != ".png":
        raise ValueError(f"--figure {figure}: give a .png file")
    for out in (table, figure):
        if out is not None and not os.access(out.parent if str(out.parent) else ".", os.W_OK):
            raise ValueError(f"{out}: folder {out.parent} does not exist or is not writable")
    if args.workers is not None and args.workers < 0:
        raise ValueError(f"--workers must be >= 0, got {args.workers}")
    return table, figure


def _print_rows(rows: list[dict[str, Any]]) -> None:
    for r in rows:
        if r.get("error"):
            print(f"{r['file']}: error: {r['error']}")
            continue
        g2, err, rate = r.get("g2_0"), r.get("g2_0_err"), r.get("detector_rate_cps")
        g2s = "n/a" if g2 is None else f"{g2:.4g}" + ("" if err is None else f" ± {err:.2g}")
        rates = "n/a" if rate is None else f"{rate:.4g} cps"
        tau, tau_err = r.get("summary.tau_bx_ns"), r.get("summary.tau_bx_err_ns")
        taus = "n/a" if tau is None else f"{tau:.3g}" + ("" if tau_err is None else f" ± {tau_err:.2g}")
        taus += "" if tau is None else f" ns ({r.get('summary.tau_bx_method')})"
        print(f"{r['file']}: g2(0) {g2s}, detected {rates}, tau_BX {taus}")


def run_batch(args: argparse.Namespace, options: dict[str, Any]) -> int:
    """Analyse every file; write the table and the figure; 1 only when every file failed."""
    from g2live.batch import analyze_many, find_recordings, summary_figure, write_table

    if args.sweep:
        raise ValueError("--sweep takes no recordings besides its DIR_OR_FILE")
    table, figure = _outputs(args)
    files = find_recordings([args.file, *args.more], recursive=args.recursive)
    show = not (args.json or args.quiet)
    res = analyze_many(files, options, workers=args.workers, scheduler=args.scheduler, progress=show)
    if args.json:
        print(json.dumps(res.rows, indent=1))
    else:
        _print_rows(res.rows)
    if table is not None:
        write_table(table, res.rows)
    if figure is not None:
        summary_figure(res.rows, figure)
    written = ", ".join(f"{k} {p}" for k, p in (("table", table), ("figure", figure)) if p is not None)
    summary = f"{len(files)} files, {res.n_failed} failed; {res.where}, {res.wall_s:.1f} s"
    print(f"{summary}; wrote {written}" if written else summary, file=sys.stderr)
    return 1 if res.n_failed == len(files) else 0
