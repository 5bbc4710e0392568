# SPDX-License-Identifier: BSD-3-Clause
"""``g2live record``: record the raw tag stream of a running server to a file."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from g2live.cli.serve import add_client_curve_args
from g2live.client import ControlClient, ControlError, Message, Subscriber
from g2live.photons import Meta, PhotonData
from g2live.protocol import DEFAULT_CONTROL, DEFAULT_PUB

__all__ = ["decode_tags", "record", "register"]


def decode_tags(words: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """(channel, time_ps, malformed) of one ``tags`` message (each decodes on its own)."""
    from g2live import core

    ch, t, stats = core.decode(np.ascontiguousarray(words, np.uint64))
    return np.asarray(ch, np.uint8), np.asarray(t, np.int64), int(stats.malformed)


@dataclass
class _Tags:
    """What one recording collected, and what went wrong on the way."""

    channels: list[np.ndarray] = field(default_factory=list)
    times: list[np.ndarray] = field(default_factory=list)
    n: int = 0
    malformed: int = 0
    gaps: int = 0
    lost_total: int = 0

    def add(self, msg: Message) -> None:
        self.gaps += msg.gap
        c, t, bad = decode_tags(msg.data)
        self.malformed += bad
        self.channels.append(c)
        self.times.append(t)
        self.n += len(t)

    def notes(self) -> list[str]:
        notes = []
        if self.gaps:
            notes.append(f"{self.gaps} tag frames were lost in transport (seq gaps): the recording has holes")
        if self.lost_total:
            notes.append(f"the device lost {self.lost_total} events during the recording")
        if self.malformed:
            notes.append(f"{self.malformed} malformed words in the tag stream")
        return notes


def _collect(sub: Subscriber, run: int, duration_s: float, quiet: bool) -> _Tags:
    """The ``tags`` of run ``run`` for ``duration_s`` of wall time, and the device's loss count."""
    tags = _Tags()
    end = time.monotonic() + duration_s
    while time.monotonic() < end:
        msg = sub.recv(timeout_s=max(0.0, end - time.monotonic()))
        if msg is None:
            break
        if msg.run != run:
            continue
        if msg.topic == "status":
            tags.lost_total = int(msg.header.get("lost_total", 0))
            continue
        tags.add(msg)
        if not quiet:
            print(f"\r{tags.n:,} tags", end="", file=sys.stderr)
    return tags


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

    with (
        ControlClient(control, server_key=server_key) as ctl,
        Subscriber(pub, ["tags", "status"], server_key=server_key) as sub,
    ):
        try:
            st = ctl.status()
        except TimeoutError as exc:
            raise OSError(f"{exc}: is `g2live serve` running?") from None
        was_raw = st["settings"]["raw_tags"]
        if not was_raw:
            ctl.configure(raw_tags=True)  # a new run begins: tags and histograms stay consistent
        st = ctl.status()
        try:
            tags = _collect(sub, st["run"], duration_s, quiet)
        finally:
            if not was_raw:
                try:
                    ctl.configure(raw_tags=False)
                except (ControlError, TimeoutError) as exc:
                    print(f"warning: could not switch raw tags off again: {exc}", file=sys.stderr)
    if not quiet:
        print(file=sys.stderr)
    data = PhotonData(
        np.concatenate(tags.channels) if tags.channels else np.zeros(0, np.uint8),
        np.concatenate(tags.times) if tags.times else np.zeros(0, np.int64),
        _meta(st, duration_s, tags),
    )
    io.write(out, data)
    return data


def _meta(status: dict[str, Any], duration_s: float, tags: _Tags) -> Meta:
    """The file's metadata: the server's settings, and every loss the recording saw."""
    settings = status["settings"]
    meta = Meta(
        source=f"g2live serve ({status['device']})",
        format="",
        resolution_ps=1.0,
        sync_channel=settings["sync_channel"],
        acquisition_s=duration_s,
        notes=tags.notes(),
        extra={"settings": settings, "seq_gaps": tags.gaps, "lost_total": tags.lost_total},
    )
    if settings.get("rep_rate_hz"):
        meta.sync_rate_hz = settings["rep_rate_hz"]
    return meta


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
