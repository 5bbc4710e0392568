# SPDX-License-Identifier: BSD-3-Clause
"""``g2live record``: record the raw tag stream of a running server to Photon-HDF5, chunk by chunk."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from g2live.cli import _options as opt
from g2live.cli.serve import add_client_curve_args, add_endpoint_args, check_client_curve
from g2live.recording import EndReason, RecordingResult, check_output, interrupted, record

__all__ = ["register", "run"]


@contextmanager
def _stop_on_signals(stop: threading.Event, reason: list[EndReason]) -> Iterator[None]:
    """SIGINT and SIGTERM end the recording (saved, lease released) instead of killing it."""

    def handler(signum: int, _frame: object) -> None:
        reason[:] = [interrupted(signal.Signals(signum).name, signum)]
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _fmt_s(v: float | None) -> str:
    return "no" if v is None else f"{v:.4g} s of"


def _report(res: RecordingResult) -> None:
    print(
        f"wrote {res.n_tags:,} tags to {res.path}: {_fmt_s(res.span_s)} device time "
        f"(requested {res.requested_s:g} s, {res.wall_s:.3g} s wall); ended: {res.ended.text}"
    )
    for note in res.notes:
        print(f"note: {note}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Check the output, record, print what was written and why it ended; the exit code says it."""
    if args.duration <= 0:
        raise ValueError(f"--duration must be > 0, got {args.duration}")
    if args.lease_s <= 0 or args.server_timeout <= 0:
        raise ValueError("--lease-s and --server-timeout must be > 0")
    check_output(args.output, args.force)
    stop, reason = threading.Event(), []
    with _stop_on_signals(stop, reason):
        res = record(
            args.pub,
            args.control,
            args.output,
            args.duration,
            server_key=args.server_key,
            client_key=args.client_key,
            quiet=args.quiet,
            lease_s=args.lease_s,
            lost_after_s=args.server_timeout,
            compression=args.compression,
            overwrite=args.force,
            stop=stop,
            stop_reason=reason,
        )
    _report(res)
    return res.ended.exit_code


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "record",
        help="record the raw tag stream of a running server (Photon-HDF5, crash-safe per chunk)",
        description="Take a raw-tag lease on the server, append every tag frame of its run to a "
        "Photon-HDF5 file as it arrives, and store the device time covered, the requested duration "
        "and why the recording ended in the file. Exit code: 0 duration reached or source ended, 3 "
        "server gone (nothing received for --server-timeout), 4 another run began or the lease was "
        "lost, 128+N ended by signal N (SIGINT 130, SIGTERM 143); the file is saved in every case.",
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="Photon-HDF5 file to write (.h5)")
    p.add_argument("--duration", type=opt.SECONDS, default=10.0,
                   help="seconds (wall time) to record (default 10)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    add_endpoint_args(p, bind=False)
    p.add_argument(
        "--lease-s",
        type=opt.SECONDS,
        default=6.0,
        help="time to live of the raw-tag lease, renewed every third of it: a killed recorder leaves "
        "raw tags on at most this long (default 6)",
    )
    p.add_argument(
        "--server-timeout",
        type=opt.SECONDS,
        default=5.0,
        help="seconds without any frame or status after which the server counts as gone (default 5)",
    )
    p.add_argument(
        "--compression",
        type=int,
        default=1,
        choices=range(10),
        metavar="0-9",
        help="gzip level (default 1, about 5 Mtags/s on one core; 0 for faster streams)",
    )
    add_client_curve_args(p)
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=run, check=check_client_curve)
