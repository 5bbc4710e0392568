# SPDX-License-Identifier: BSD-3-Clause
"""Swabian Instruments Time Tagger raw tag dumps: 16 bytes per tag, no header (what ETA reads as
``FORMAT_SI_16bytes``; the layout of the ``Tag`` struct of Swabian's C++ API).

Each record, little-endian: byte 0 type (0 time tag, 1 error, 2 overflow begin, 3 overflow end,
4 missed events), byte 1 reserved, bytes 2-3 uint16 missed events (type 4: how many tags of this
channel the device dropped), bytes 4-7 int32 channel, bytes 8-15 int64 time in ps.

Only type-0 records are events. The others are counted in ``meta.extra`` and said in
``meta.notes`` (never silent): between an overflow begin and its end the device dropped tags
(``overflow_records``, ``overflow_open`` when the file ends inside one), type 4 carries how many
(``missed_events``), type 1 is an error the device reported (``error_records``). ETA reads the
first 4 bytes as one ignored int and takes every record as a tag; this reader takes only time
tags and tells the difference.

Channels: a rising edge on input n (1..31) keeps its number n; a falling edge (-n) becomes
32 + n (so inputs 1..31 and their falling edges fit g2live's 0..63). Anything else (virtual
channels, corrupted records) is refused with the record's byte offset. Times must not run
backwards (the device merges its inputs in time order); an out-of-order file is sorted and noted.
There is no magic number: the format is picked by the extension ``.dump`` or ``format="swabian"``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from g2live.io._common import MAX_TIME_PS, FormatError, Reorderer, chunk_ranges, finish
from g2live.photons import Meta, PhotonData

__all__ = ["RECORD", "TAG_TYPES", "counters", "decode", "iter_chunks", "meta_of", "read", "to_g2live_channel",
           "write"]

RECORD = np.dtype([("type", "u1"), ("reserved", "u1"), ("missed", "<u2"), ("channel", "<i4"),
                   ("time", "<i8")])
TAG_TYPES = {0: "time tag", 1: "error", 2: "overflow begin", 3: "overflow end", 4: "missed events"}
FALLING = 32  # g2live channel of falling edge -n is FALLING + n
MAX_INPUT = 31


def to_g2live_channel(swabian: np.ndarray) -> np.ndarray:
    """Swabian channel numbers (n rising, -n falling) as g2live channels (n, 32 + n)."""
    c = np.asarray(swabian, np.int64)
    return np.where(c < 0, FALLING - c, c)


def counters() -> dict[str, int]:
    """Fresh counters of the non-tag records (``meta.extra``)."""
    return {"records": 0, "error_records": 0, "overflow_records": 0, "missed_events": 0,
            "missed_event_records": 0, "overflow_open": 0}


def _check(path: Path, rec: np.ndarray, first: int) -> None:
    """Refuse what no Time Tagger writes, naming the byte offset."""
    bad_type = rec["type"] > 4
    tags = rec["type"] == 0
    ch = rec["channel"]
    bad_ch = tags & ((ch == 0) | (ch > MAX_INPUT) | (ch < -MAX_INPUT))
    bad_t = tags & ((rec["time"] < 0) | (rec["time"] > MAX_TIME_PS))
    for mask, what in ((bad_type, "type"), (bad_ch, "channel"), (bad_t, "time")):
        if mask.any():
            k = int(np.argmax(mask))
            value = int(rec[what][k])
            raise FormatError(path, 16 * (first + k),
                              f"Swabian tag {what} {value} is not one a Time Tagger writes (corrupted?)")


def _tally(rec: np.ndarray, counters: dict[str, int]) -> None:
    t = rec["type"]
    counters["records"] += int(rec.size)
    counters["error_records"] += int(np.count_nonzero(t == 1))
    begins, ends = int(np.count_nonzero(t == 2)), int(np.count_nonzero(t == 3))
    counters["overflow_records"] += begins
    if begins or ends:  # the last overflow record says whether one is still open
        last = t[np.flatnonzero((t == 2) | (t == 3))[-1]]
        counters["overflow_open"] = int(last == 2)
    missed = t == 4
    counters["missed_event_records"] += int(np.count_nonzero(missed))
    counters["missed_events"] += int(rec["missed"][missed].sum())


def meta_of(counters: dict[str, int], present: set[int]) -> Meta:
    """The Meta of tags read so far: counters, notes of lost tags, channel roles."""
    meta = Meta(source="Swabian Instruments Time Tagger", format="Swabian 16-byte tags", resolution_ps=1.0)
    meta.extra = dict(counters)
    if counters["overflow_records"] or counters["missed_events"]:
        meta.notes.append(
            f"the Time Tagger overflowed {counters['overflow_records']} time(s) and reported "
            f"{counters['missed_events']} missed events: tags were lost there")
    if counters["error_records"]:
        meta.notes.append(f"{counters['error_records']} error records from the device (skipped, counted)")
    meta.channel_roles = {c: f"input {c} rising edge" if c < FALLING else f"input {c - FALLING} falling edge"
                          for c in sorted(present)}
    return meta


def decode(path: Path, rec: np.ndarray, first: int, counters: dict[str, int],
           present: set[int]) -> tuple[np.ndarray, np.ndarray]:
    """Records (index ``first`` on) as (channel, time_ps) of their time tags; the others are
    counted in ``counters``; channels seen are added to ``present``."""
    _check(path, rec, first)
    _tally(rec, counters)
    tags = rec[rec["type"] == 0]
    channel = to_g2live_channel(tags["channel"]).astype(np.uint8)
    present.update(int(c) for c in np.unique(channel))
    return channel, np.ascontiguousarray(tags["time"], np.int64)


def _records(path: Path, allow_truncated: bool) -> int:
    size = path.stat().st_size
    n, rest = divmod(size, RECORD.itemsize)
    if rest and not allow_truncated:
        raise FormatError(path, n * RECORD.itemsize, f"{rest} bytes of an incomplete 16-byte tag at the end "
                          "(allow_truncated=True reads the rest)")
    return n


def read(path: str | os.PathLike[str], allow_truncated: bool = False) -> PhotonData:
    path = Path(path)
    n = _records(path, allow_truncated)
    rec = np.fromfile(path, dtype=RECORD, count=n)
    counts, present = counters(), set()
    channel, time_ps = decode(path, rec, 0, counts, present)
    meta = meta_of(counts, present)
    if n * RECORD.itemsize != path.stat().st_size:
        meta.notes.append("truncated file: an incomplete tag at the end was ignored")
    return finish(channel, time_ps, meta, what="tags", in_place=True)


def iter_chunks(path: str | os.PathLike[str], chunk_records: int = 1 << 20,
                allow_truncated: bool = False) -> Iterator[PhotonData]:
    """The tags in chunks (bounded memory); out-of-order tags are held back until later chunks
    have passed them (the watermark: the last tag time of each chunk)."""
    path = Path(path)
    n = _records(path, allow_truncated)
    counts, present = counters(), set()
    order = Reorderer()
    with open(path, "rb") as fh:
        ranges = list(chunk_ranges(n, chunk_records))
        for i, (a, b) in enumerate(ranges):
            rec = np.fromfile(fh, dtype=RECORD, count=b - a)
            channel, time_ps = decode(path, rec, a, counts, present)
            final = i == len(ranges) - 1
            mark = None if final else (int(time_ps.max()) if time_ps.size else -(2**63))
            arrays = order.push([channel, time_ps], mark)
            meta = meta_of(counts, present)
            if order.moved:
                meta.notes.append(f"tags were not in time order: {order.moved} events reordered so far")
            yield PhotonData(arrays[0], arrays[1], meta)


def write(path: str | os.PathLike[str], data: PhotonData) -> None:
    """Write time tags as Swabian 16-byte records (tests, and tools that read this format).
    g2live channels 1..31 are rising edges, 33..63 falling edges of inputs 1..31."""
    ch = data.channel.astype(np.int64)
    if ch.size and (bool(np.any((ch == 0) | (ch == FALLING))) or int(ch.max()) > FALLING + MAX_INPUT):
        raise ValueError("Swabian channels are inputs 1..31 (g2live 1..31) and their falling edges (33..63)")
    rec = np.zeros(len(data), dtype=RECORD)
    rec["channel"] = np.where(ch > FALLING, FALLING - ch, ch)
    rec["time"] = data.time_ps
    rec.tofile(path)
