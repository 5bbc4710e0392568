# SPDX-License-Identifier: BSD-3-Clause
"""Shared pieces of the readers: the error type, tick conversion, ordering and JSON-safe metadata."""

from __future__ import annotations

import datetime as _dt
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from g2live import _core
from g2live.photons import Meta, PhotonData, ticks_to_ps  # noqa: F401 - the one tick rule, re-exported

# Host channel numbers for events that are not detector inputs (documented in docs/formats.md).
# Detector inputs keep their own 0-based numbers (0..63); the sync input of a T2 recording, when
# the instrument timestamps it as an event, becomes SYNC_CHANNEL.
SYNC_CHANNEL = 64

# A resolution this close (relative) to a whole number of ps is that number: PicoQuant stores
# e.g. 1 ps as the float32 value 9.99999996e-13 s and 128 ps as 1.2799999949e-10 s.
_SNAP_REL = 1e-6
MAX_UNIT_PS = 1e15  # 1000 s: no real tick or sync period is longer
MAX_TIME_PS = 2**62  # times beyond ~53 days mean a corrupted file (and would overflow int64 sums)
# A header that states how long the measurement ran bounds every event time: events may run past
# it by 1 % (rate-derived T3 periods, the stop latency) plus 1 s, no more.
SPAN_REL = 0.01
SPAN_SLACK_PS = 10**12


class FormatError(ValueError):
    """A file that is not what it claims to be: names the file and the byte offset."""

    def __init__(self, path: str | os.PathLike[str], offset: int | None, message: str) -> None:
        self.path = str(path)
        self.offset = offset
        where = f" byte {offset}:" if offset is not None else ""  # None: a field, not a position
        super().__init__(f"{self.path}:{where} {message}")


class NotReady(Exception):
    """A file being written is not readable yet (header incomplete, HDF5 mid-flush): look again."""


class RecordError(ValueError):
    """A record its instrument cannot produce; ``index`` counts records from the start of the
    decoded block (the reader turns it into a byte offset)."""

    def __init__(self, index: int, message: str) -> None:
        self.index = int(index)
        super().__init__(message)


def time_limit_ps(stated_s: float | None) -> int:
    """Latest event time (ps) of a recording whose header says it ran ``stated_s`` seconds;
    ``MAX_TIME_PS`` when the header does not say (None, 0 or not finite)."""
    if stated_s is None or not math.isfinite(stated_s) or stated_s <= 0:
        return MAX_TIME_PS
    return int(min(float(MAX_TIME_PS), stated_s * 1e12 * (1 + SPAN_REL) + SPAN_SLACK_PS))


def limit_text(limit_ps: int) -> str:
    """How ``limit_ps`` reads in an error message."""
    if limit_ps >= MAX_TIME_PS:
        return f"the {MAX_TIME_PS} ps (53 days) no recording reaches"
    return f"the measurement time the header states ({limit_ps * 1e-12:.6g} s with its margin)"


def check_container(path: str | os.PathLike[str], data: PhotonData, first_row: int = 0,
                    span_s: float | None = None, before: int | None = None,
                    origin: int | None = None) -> None:
    """What any g2live or Photon-HDF5 writer can produce: times within +-MAX_TIME_PS in
    non-decreasing order, T3 sync indices and micro-times >= 0, and (when the file states its
    acquisition time ``span_s``) no wider a span of events. Errors name the row. A chunk passes
    the last time of the chunk ``before`` it and the first time of the file (``origin``)."""
    t = data.time_ps
    if not t.size:
        return

    def fail(k: int, msg: str) -> None:
        raise FormatError(path, None, f"row {first_row + int(k)}: {msg} (corrupted file?)")

    lo, hi = int(t.min()), int(t.max())
    if lo < -MAX_TIME_PS or hi > MAX_TIME_PS:
        k = int(np.argmax((t < -MAX_TIME_PS) | (t > MAX_TIME_PS)))
        fail(k, f"time {int(t[k])} ps is beyond +-{MAX_TIME_PS} ps (53 days)")
    if before is not None and int(t[0]) < before:
        fail(0, f"time {int(t[0])} ps is earlier than the row before ({before} ps)")
    if t.size > 1:
        back = t[1:] < t[:-1]
        if back.any():
            k = int(np.argmax(back)) + 1
            fail(k, f"time {int(t[k])} ps is earlier than the row before ({int(t[k - 1])} ps)")
    for name in ("sync_index", "microtime_ps"):
        arr = getattr(data, name)
        if arr is not None and arr.size and int(arr.min()) < 0:
            k = int(np.argmax(arr < 0))
            fail(k, f"{name} {int(arr[k])} is negative")
    limit = time_limit_ps(span_s)
    lo = lo if origin is None else origin
    if limit < MAX_TIME_PS and hi - lo > limit:
        k = int(np.argmax(t - lo > limit))
        fail(k, f"events span more than {limit_text(limit)}")


def snap_unit_ps(unit_ps: float) -> float | int:
    """Return ``unit_ps`` as an int when it is a whole number of ps within float32 precision."""
    if not (math.isfinite(unit_ps) and 1e-3 <= unit_ps <= MAX_UNIT_PS):
        raise ValueError(f"time unit must be between 1 fs and 1000 s, got {unit_ps!r} ps")
    whole = round(unit_ps)
    if whole >= 1 and abs(unit_ps - whole) <= _SNAP_REL * unit_ps:
        return int(whole)
    return float(unit_ps)


def jsonable(value: Any) -> Any:
    """Turn header values into plain JSON types so metadata round-trips bit-identically."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value
    return str(value)


def channels_present(channel: np.ndarray) -> list[int]:
    """Channel numbers that occur, in O(n) (np.unique sorts)."""
    return [int(c) for c in np.flatnonzero(np.bincount(channel, minlength=256))]


def channel_counts(channel: np.ndarray) -> dict[int, int]:
    counts = np.bincount(channel, minlength=256)
    return {int(c): int(counts[c]) for c in np.flatnonzero(counts)}


def in_order(channel: np.ndarray, time_ps: np.ndarray) -> bool:
    """True when events are already in stream order (time, then channel for equal times)."""
    if time_ps.size < 2:
        return True
    earlier, later = time_ps[:-1], time_ps[1:]
    if (later < earlier).any():
        return False
    ties = np.flatnonzero(later == earlier)
    return not ties.size or not (channel[ties + 1] < channel[ties]).any()


def stream_order(channel: np.ndarray, time_ps: np.ndarray) -> np.ndarray:
    """Stable permutation into stream order (time_ps, then channel). Files out of order are
    nearly in order (T3 micro-times, per-input buffers): an insertion sort in C does those in
    about one pass; a real shuffle falls back to numpy's lexsort (the same stable order)."""
    t = np.ascontiguousarray(time_ps, np.int64)
    perm = _core.stream_order_nearly(t, np.ascontiguousarray(channel, np.uint8), 8 * t.size + 4096)
    return np.lexsort((channel, time_ps)) if perm is None else perm


def finish(
    channel: np.ndarray,
    time_ps: np.ndarray,
    meta: Meta,
    sync_index: np.ndarray | None = None,
    microtime_ps: np.ndarray | None = None,
    what: str = "records",
    ordered: bool | None = None,
    json_extra: bool = False,
    in_place: bool = False,
) -> PhotonData:
    """Build PhotonData in stream order; a reorder is recorded in ``meta.notes``, never silent.
    ``ordered``: whether the events are known to be in stream order already (a C decoder tracks
    it), None to check. ``json_extra``: ``meta.extra`` holds JSON types only already (a reader
    that builds it so skips the conversion, which costs more than decoding a small file).
    ``in_place``: the arrays are the caller's own, to be reordered where they are."""
    if ordered is None:
        ordered = in_order(channel, time_ps)
    if not ordered:
        order = stream_order(channel, time_ps)
        if in_place:
            moved = _core.apply_order(order, channel, time_ps, sync_index, microtime_ps)
        else:
            moved = int(np.count_nonzero(order != np.arange(order.size)))
            channel = channel[order]
            time_ps = time_ps[order]
            if sync_index is not None:
                sync_index = sync_index[order]
            if microtime_ps is not None:
                microtime_ps = microtime_ps[order]
        meta.notes.append(
            f"{what} were not in time order: sorted stably by (time_ps, channel); {moved} events moved"
        )
    if not json_extra:
        meta.extra = jsonable(meta.extra)
    return PhotonData(channel, time_ps, meta, sync_index, microtime_ps)


class Reorderer:
    """Streams chunks into stream order given a lower bound (watermark) on all later times.

    A chunk's events are merged with held-back ones; everything earlier than the watermark is
    final and emitted, the rest waits for the next chunk. ``moved`` counts events whose position
    changed, like ``finish`` does for a whole file.
    """

    def __init__(self) -> None:
        self._held: list[np.ndarray] | None = None
        self.moved = 0

    def held(self) -> list[np.ndarray] | None:
        """The events held back from the last chunk (a decoder may write the next chunk behind them)."""
        return self._held

    def push(
        self,
        arrays: list[np.ndarray],
        watermark: int | None,
        ordered: bool | None = None,
        with_held: bool = False,
    ) -> list[np.ndarray]:
        """``with_held``: ``arrays`` start with the held events already; ``ordered``: they are known
        to be in stream order (None: check)."""
        if self._held is not None and not with_held:
            arrays = [np.concatenate((h, a)) for h, a in zip(self._held, arrays, strict=True)]
        channel, time_ps = arrays[0], arrays[1]
        if not (in_order(channel, time_ps) if ordered is None else ordered):
            order = stream_order(channel, time_ps)
            self.moved += int(np.count_nonzero(order != np.arange(order.size)))
            arrays = [a[order] for a in arrays]
            time_ps = arrays[1]
        if watermark is None:
            self._held = None
            return arrays
        cut = int(np.searchsorted(time_ps, watermark, side="left"))
        self._held = [a[cut:] for a in arrays]
        return [a[:cut] for a in arrays]


def file_size(path: Path) -> int:
    return path.stat().st_size


def read_exact(fh: Any, path: Path, offset: int, size: int, what: str) -> bytes:
    fh.seek(offset)
    data = fh.read(size)
    if len(data) != size:
        raise FormatError(path, offset + len(data), f"file ends inside the {what} ({size} bytes expected)")
    return data


def chunk_ranges(n: int, chunk: int) -> Iterator[tuple[int, int]]:
    if chunk < 1:
        raise ValueError(f"chunk_records must be >= 1, got {chunk}")
    for start in range(0, n, chunk):
        yield start, min(n, start + chunk)


def meta_to_json(meta: Meta) -> str:
    """Serialise Meta exactly (floats via repr; channel_roles keys become strings)."""
    import json

    return json.dumps(jsonable(vars(meta)), sort_keys=True, allow_nan=True)


def meta_from_json(text: str, path: Path | str = "", offset: int | None = None) -> Meta:
    import json

    try:
        raw = json.loads(text)
        raw["channel_roles"] = {int(k): v for k, v in raw.get("channel_roles", {}).items()}
        return Meta(**raw)
    except (ValueError, TypeError, AttributeError) as exc:
        raise FormatError(path, offset, f"g2live metadata is not valid: {exc}") from None


def refuse_markers(data: PhotonData, fmt: str) -> None:
    """Writers without a place for markers refuse chunks that carry some, so none is dropped unsaid."""
    if data.markers is not None and len(data.markers):
        raise ValueError(f"{len(data.markers)} markers: the {fmt} writer keeps photons only; "
                         "write Photon-HDF5 (.h5) to keep the markers")
