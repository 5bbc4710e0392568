"""``g2live record``: record the raw tag stream of a running server to a file."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from g2live.cli.serve import add_client_curve_args
from g2live.client import ControlClient, ControlError, Subscriber
from g2live.photons import Meta, PhotonData
from g2live.stream import DEFAULT_CONTROL, DEFAULT_PUB


def decode_tags(words: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """(channel, time_ps, malformed) of one ``tags`` frame (each frame decodes on its own)."""
    from g2live import core

    ch, t, stats = core.decode(np.ascontiguousarray(words, np.uint64))
    return np.asarray(ch, np.uint8), np.asarray(t, np.int64), int(stats.malformed)


def record(
    pub: str,
    control: str,
    out: Path,
    duration_s: float,
    *,
    server_key: str | None = None,
    quiet: bool = False,
) -> PhotonData:
    """Turn raw tags on, collect ``duration_s`` of wall time, restore the setting, write ``out``."""
    from g2live import io

    chans, times = [], []
    notes: list[str] = []
    malformed = 0
    with (
        ControlClient(control, server_key=server_key) as ctl,
        Subscriber(pub, ["tags", "status"], server_key=server_key) as sub,
    ):
        try:
            st = ctl.status()
        except TimeoutError as exc:
            raise OSError(f"{exc}: is `g2live serve` running?") from None
        settings = st["settings"]
        was_raw = settings["raw_tags"]
        if not was_raw:
            ctl.configure(raw_tags=True)  # a new run begins: tags and histograms stay consistent
        st = ctl.status()
        settings, run = st["settings"], st["run"]
        end = time.monotonic() + duration_s
        n = 0
        gaps = 0
        lost_total = 0
        try:
            while time.monotonic() < end:
                f = sub.recv(timeout_s=max(0.0, end - time.monotonic()))
                if f is None:
                    break
                if f.run != run:
                    continue
                if f.topic == "status":
                    lost_total = int(f.header.get("lost_total", 0))
                    continue
                gaps += f.gap
                c, t, bad = decode_tags(f.data)
                malformed += bad
                chans.append(c)
                times.append(t)
                n += len(t)
                if not quiet:
                    print(f"\r{n:,} tags", end="", file=sys.stderr)
        finally:
            if not was_raw:
                try:
                    ctl.configure(raw_tags=False)
                except (ControlError, TimeoutError) as exc:
                    print(f"warning: could not switch raw tags off again: {exc}", file=sys.stderr)
    if not quiet:
        print(file=sys.stderr)
    if gaps:
        notes.append(f"{gaps} tag frames were lost in transport (seq gaps): the recording has holes")
    if lost_total:
        notes.append(f"the device lost {lost_total} events during the recording")
    if malformed:
        notes.append(f"{malformed} malformed words in the tag stream")
    ch = np.concatenate(chans) if chans else np.zeros(0, np.uint8)
    t = np.concatenate(times) if times else np.zeros(0, np.int64)
    meta = Meta(
        source=f"g2live serve ({st['device']})",
        format="",
        resolution_ps=1.0,
        sync_channel=settings["sync_channel"],
        acquisition_s=duration_s,
        notes=notes,
        extra={"settings": settings, "seq_gaps": gaps, "lost_total": lost_total},
    )
    if settings.get("rep_rate_hz"):
        meta.sync_rate_hz = settings["rep_rate_hz"]
    data = PhotonData(ch, t, meta)
    io.write(out, data)
    return data


def run(args: argparse.Namespace) -> int:
    if args.duration <= 0:
        raise ValueError(f"--duration must be > 0, got {args.duration}")
    data = record(
        args.pub, args.control, args.output, args.duration, server_key=args.server_key, quiet=args.quiet
    )
    print(f"wrote {len(data):,} tags to {args.output}")
    for note in data.meta.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "record",
        help="record the raw tag stream of a running server",
        description="Switch the server's raw tag stream on, decode it and write the photons "
        "(format from the file name: .h5 Photon-HDF5, .npz, ...), with the settings "
        "in the metadata. Lost frames and lost events are noted in the file.",
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    p.add_argument("--duration", type=float, default=10.0, help="seconds to record (default 10)")
    p.add_argument("--pub", default=DEFAULT_PUB, help=f"publisher endpoint (default {DEFAULT_PUB})")
    p.add_argument("--control", default=DEFAULT_CONTROL, help=f"control endpoint (default {DEFAULT_CONTROL})")
    add_client_curve_args(p)
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=run)
