# SPDX-License-Identifier: BSD-3-Clause
"""Follow a time-tag file while another program writes it: ``follow_chunks(path)``.

What each format allows (docs/formats.md "Following a growing file"):

* PTU (T2 and T3): the tag header must be complete before anything is read; then every complete
  32-bit record is decoded by one C decoder (overflow state carried across polls, so any split
  decodes like one call). A half-written record at the end waits for its remaining bytes. The
  header is re-read at every poll: PicoQuant software (and g2live's own writer) leaves
  ``TTResult_NumberOfRecords`` at 0 while recording and patches it at the end; a non-zero count
  that the file holds is the format's own end of writing.
* quTAG binary: 40-byte header, 10-byte records; records of different inputs may come out of
  order, so events are held back until every input seen so far has passed them.
* Swabian 16-byte tag dumps: complete 16-byte records (no header, no end mark).
* Photon-HDF5 written by g2live (``Recorder``, SWMR): the file is re-opened at every poll and
  only the rows of ``committed_records`` are read; ``complete`` is the format's end. A Photon-HDF5
  file from another program carries no commit count: rows are read as the dataset extent grows,
  which is only safe when its writer uses SWMR; a failed open is counted and retried.

The end of writing is the format's own end, or no growth for ``idle_s`` seconds. With
``rotate`` the follower then moves to the next file of the same folder and extension (name sorted
after the current one), continuing the time line after the last event plus one laser period or
1 us. Every odd condition is counted in ``FollowStats`` (never silent).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from g2live.io._common import FormatError, NotReady
from g2live.photons import PhotonData, t3_time_ps

__all__ = ["FollowStats", "follow_chunks", "next_file"]


@dataclass
class FollowStats:
    """What the follower saw, for the status topic and the final report."""

    files: list[str] = field(default_factory=list)  # files followed, in order
    polls: int = 0
    growths: int = 0  # polls that found new complete records (one chunk of at most chunk_records each)
    bytes_read: int = 0
    records: int = 0  # complete records (HDF5: rows) consumed
    events: int = 0  # photon events handed on
    partial_waits: int = 0  # polls that ended inside a record: the rest was waited for
    header_rereads: int = 0
    header_changes: int = 0  # record-count updates seen in a re-read header
    open_retries: int = 0  # HDF5 opens that failed while the writer flushed (retried)
    trailing_bytes: int = 0  # bytes of an unfinished record when writing ended (not read)
    extra_bytes: int = 0  # bytes past the record count a header finally declared (not read)
    end: str = ""  # why following stopped: "format", "idle", "stopped"
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _open_follower(path: Path, stats: FollowStats, chunk_records: int) -> Any:
    """The format's follower, once the file holds enough bytes to tell the format."""
    from g2live import io

    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise NotReady from None
    if size < 16:  # enough to tell the format (and one Swabian tag)
        raise NotReady
    fmt = io.detect_format(path)
    if fmt == "ptu":
        from g2live.io._follow_ptu import PtuFollower

        return PtuFollower(path, stats, chunk_records)
    if fmt == "qutag":
        from g2live.io._follow_qutag import QutagFollower

        return QutagFollower(path, stats, chunk_records)
    if fmt == "photon-hdf5":
        from g2live.io._follow_h5 import Hdf5Follower

        return Hdf5Follower(path, stats, chunk_records)
    if fmt == "swabian":
        from g2live.io._follow_swabian import SwabianFollower

        return SwabianFollower(path, stats, chunk_records)
    raise FormatError(path, 0, f"following a growing {fmt} file is not supported "
                      "(PTU, quTAG, Photon-HDF5, Swabian .dump)")


def next_file(path: Path) -> Path | None:
    """The file a rotating writer started after ``path``: same folder and extension, the first
    name sorted after it."""
    later = sorted(p for p in path.parent.glob(f"*{path.suffix}") if p.name > path.name and p.is_file())
    return later[0] if later else None


class _Shift:
    """Moves the events of the second and later files after those of the file before."""

    def __init__(self) -> None:
        self.ps = 0
        self.periods = 0
        self.first: int | None = None
        self.last: int | None = None

    def apply(self, chunk: PhotonData) -> PhotonData:
        if len(chunk):
            self.first = int(chunk.time_ps[0]) if self.first is None else self.first
            self.last = int(chunk.time_ps[-1])
        if not (self.ps or self.periods):
            return chunk
        if chunk.is_t3:  # whole periods later: the T3 rule gives the times (exact for any period)
            assert chunk.sync_index is not None and chunk.microtime_ps is not None
            sync = chunk.sync_index + self.periods
            time_ps = t3_time_ps(sync, chunk.microtime_ps, chunk.meta.sync_period_ps)
            return PhotonData(chunk.channel, time_ps, chunk.meta, sync, chunk.microtime_ps)
        return PhotonData(chunk.channel, chunk.time_ps + self.ps, chunk.meta)

    def next_file(self, meta: Any, t3: bool) -> None:
        """The next file starts one period (T3: whole periods) or 1 us after this one's end."""
        if self.first is None or self.last is None:
            return
        gap = round(1e12 / meta.sync_rate_hz) if meta.sync_rate_hz else 1_000_000
        span = self.last - self.first + gap
        if t3:
            self.periods += math.ceil(span / meta.sync_period_ps)
        else:
            self.ps += span
        self.first = self.last = None


def _wait_next(path: Path, idle_s: float, poll_s: float, stop: Callable[[], bool]) -> Path | None:
    """The next file of a rotating writer, waited for up to ``idle_s``."""
    deadline = time.monotonic() + idle_s
    while not stop():
        nxt = next_file(path)
        if nxt is not None or time.monotonic() >= deadline:
            return nxt
        time.sleep(poll_s)
    return None


def _poll(follower: Any, path: Path, stats: FollowStats,
          chunk_records: int) -> tuple[Any, list[PhotonData] | None]:
    """(the follower, once the file is ready; the chunks of this look at the file, None when the
    file is not ready)."""
    stats.polls += 1
    try:
        follower = follower or _open_follower(path, stats, chunk_records)
        return follower, follower.poll()
    except NotReady:
        return follower, None


def _idle_end(path: Path, follower: Any, stats: FollowStats, rotate: bool, waited_s: float,
              limit_s: float) -> bool:
    """After a look that found nothing: has this file ended (a next file, or idle too long)?"""
    if rotate and follower is not None and next_file(path) is not None:
        stats.end = "rotated"
        return True
    if waited_s >= limit_s:
        stats.end = "idle"
        return True
    return False


def _follow_one(path: Path, stats: FollowStats, idle_s: float, poll_s: float, chunk_records: int,
                stop: Callable[[], bool], rotate: bool, wait_s: float,
                heartbeat: bool) -> Iterator[PhotonData | None]:
    """One file until the format's end, ``idle_s`` without growth, a next file (``rotate``) or
    ``stop()``; with ``heartbeat`` a None after every look that found nothing."""
    follower = None
    got_any = False
    last_growth = time.monotonic()
    while not stop():
        follower, chunks = _poll(follower, path, stats, chunk_records)
        grew = follower is not None and follower.grew
        got_any = got_any or grew
        if grew:
            stats.growths += 1
            last_growth = time.monotonic()
            yield from chunks or []
        if follower is not None and follower.ended:
            stats.end = "format"
            break
        # before its first records a file may wait for the recording to start
        limit = idle_s if got_any else wait_s
        if not grew:
            if _idle_end(path, follower, stats, rotate, time.monotonic() - last_growth, limit):
                break
            time.sleep(poll_s)
            if heartbeat:
                yield None
    else:
        stats.end = "stopped"
    if follower is not None:
        yield from follower.finish()
    if stats.end == "idle" and not got_any:
        what = "no readable file appeared" if follower is None else "no records were written"
        raise FormatError(path, None, f"{what} within {wait_s:g} s")


def follow_chunks(
    path: str | os.PathLike[str],
    idle_s: float = 5.0,
    poll_s: float = 0.05,
    rotate: bool = False,
    stats: FollowStats | None = None,
    stop: Callable[[], bool] | None = None,
    chunk_records: int = 1 << 20,
    wait_s: float = 60.0,
    heartbeat: bool = False,
) -> Iterator[Any]:
    """Events of a file that another program is writing, as they become complete.

    Parameters
    ----------
    path : path-like
        The file (PTU T2/T3, quTAG binary or Photon-HDF5); it may not exist yet.
    idle_s : float
        Writing has ended when the file has not grown for this long (unless the format says so
        first).
    poll_s : float
        Pause between looks at the file when it has not grown.
    rotate : bool
        After a file ends, continue with the next one (same folder and extension, next name).
    stats : FollowStats, optional
        Filled while following (counts, end reason, latency).
    stop : callable, optional
        Returns True to stop following (the events read so far are handed on).
    chunk_records : int
        Records decoded per chunk at most.
    wait_s : float
        How long to wait for the first file to appear with a complete header (a follower is
        usually started before the recording).
    heartbeat : bool
        Yield None after every look that found nothing new, so a consumer can do other work
        (``g2live.device.sources.PhotonSource`` takes None as "nothing yet").
    """
    if idle_s <= 0 or poll_s <= 0 or wait_s <= 0:
        raise ValueError(f"follow: idle_s, poll_s and wait_s must be > 0 (got {idle_s}, {poll_s}, {wait_s})")
    stats = stats if stats is not None else FollowStats()
    stop = stop or (lambda: False)
    from g2live.io import with_sync_period

    shift = _Shift()
    current: Path | None = Path(path)
    while current is not None:
        stats.files.append(str(current))
        last_meta, t3 = None, False
        for item in _follow_one(current, stats, idle_s, poll_s, chunk_records, stop, rotate,
                                wait_s if len(stats.files) == 1 else idle_s, heartbeat):
            if item is None:
                yield None
                continue
            chunk = with_sync_period(item)
            last_meta, t3 = chunk.meta, chunk.is_t3
            stats.events += len(chunk)
            yield shift.apply(chunk)
        if not rotate or stats.end == "stopped":
            break
        current = _wait_next(current, idle_s, poll_s, stop) if stats.end != "idle" else None
        if current is not None and last_meta is not None:
            shift.next_file(last_meta, t3)
