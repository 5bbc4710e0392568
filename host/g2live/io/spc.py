"""Becker & Hickl SPC-130/132/134/150/830 FIFO files (.spc), the "SPC-130" 32-bit record format.

No magic number: the first 32-bit word holds the macro-time clock period in units of 0.1 ns in
bits 0-23 (bits 24-31 are flags, kept in ``meta.extra``). Every further word is one record:
macro time bits 0-11, routing channel bits 12-15, ADC bits 16-27, then flags MARK (28), GAP
(29), MTOV (30, macro-time overflow) and INVALID (31). INVALID+MTOV without MARK is a multiple
overflow record whose bits 0-27 count the 4096-tick wraps; INVALID alone is an event without a
valid time (counted); MTOV on a photon adds one wrap before it; GAP says the FIFO overflowed
before this record (data were lost: counted and noted); MARK records are markers (counted and
returned apart from the photons by ``read_with_markers``).

Times: the macro clock is the laser sync in T3-type setups, so ``sync_index`` = macro time and
``time_ps = sync_index * macro_period_ps + microtime_ps``. The ADC counts time backwards
(reversed start-stop), so the micro time is ``(4095 - ADC) * microtime_resolution_ps``. The .spc
file does not store the TAC range; the default resolution is macro period / 4096 (the ADC spans
one period), which the caller should replace with the value from the .set file when known.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from g2live.io._common import (
    MAX_TIME_PS,
    FormatError,
    Reorderer,
    chunk_ranges,
    finish,
    jsonable,
)
from g2live.io._records import Decoder, decode_records, no_markers, open_at
from g2live.photons import Meta, PhotonData

WRAP = 4096
ADC_MAX = 4095


COUNTERS = ("records", "overflow_records", "invalid_records", "gap_records", "marker_records")


def _message(status: int, value: int) -> str:
    return f"macro-time overflow records push the time past {MAX_TIME_PS} ps (corrupted file?)"


def _decoder(period: int, micro: float, records: int) -> Decoder:
    """The C decoder (cext/src/g2l_records.c) of one file: macro times may reach 2**62 ps."""
    return Decoder("SPC", 0, 16, MAX_TIME_PS // period, period, micro, _message, records)


def _open(
    path: Path, microtime_resolution_ps: float | None, allow_truncated: bool
) -> tuple[Meta, int, float, int]:
    size = path.stat().st_size
    if size < 4:
        raise FormatError(path, size, "file ends inside the 4-byte SPC header word")
    partial = size % 4
    if partial and not allow_truncated:
        raise FormatError(
            path,
            size - partial,
            f"file size {size} is not a multiple of 4-byte records (allow_truncated=True)",
        )
    with open(path, "rb") as fh:
        first = int(np.frombuffer(fh.read(4), "<u4")[0])
    clock = first & 0xFFFFFF
    if clock == 0:
        raise FormatError(path, 0, "macro-time clock period is 0 (not a BH SPC-130 FIFO file?)")
    period_ps = clock * 100
    micro_ps = float(microtime_resolution_ps) if microtime_resolution_ps else period_ps / (ADC_MAX + 1)
    if not 0 < micro_ps <= 1e9:
        raise ValueError(f"microtime_resolution_ps must be in (0, 1e9] ps, got {micro_ps!r}")
    meta = Meta(source="Becker&Hickl SPC-130/132/134/150/830", format="SPC", resolution_ps=micro_ps)
    meta.sync_rate_hz = 1e12 / period_ps
    meta.extra = {
        "macro_period_ps": period_ps,
        "header_flags": first >> 24,
        "microtime_resolution_ps": micro_ps,
    }
    if not microtime_resolution_ps:
        meta.notes.append(
            f"micro-time resolution assumed {micro_ps:g} ps (macro period / 4096): the .spc file does "
            "not store the TAC range"
        )
    if partial:
        meta.notes.append(f"truncated file: the last {partial} bytes (an incomplete record) ignored")
    return meta, (size - 4) // 4, micro_ps, period_ps


def read(
    path: str | os.PathLike[str], microtime_resolution_ps: float | None = None, allow_truncated: bool = False
) -> PhotonData:
    return read_with_markers(path, microtime_resolution_ps, allow_truncated)[0]


def read_with_markers(
    path: str | os.PathLike[str], microtime_resolution_ps: float | None = None, allow_truncated: bool = False
) -> tuple[PhotonData, np.ndarray]:
    """The photons and the MARK records (``_records.MARKER_DTYPE``: the marker bits are the routing
    bits of the record, the time its macro time)."""
    path = Path(path)
    meta, n, micro, period = _open(path, microtime_resolution_ps, allow_truncated)
    dec = _decoder(period, micro, n)
    marks: list[np.ndarray] = []
    with open_at(path, 4) as fh:
        arrays = decode_records(fh, path, 4, n, dec, marks)
    meta.extra.update(dec.counters(COUNTERS))
    _notes(meta, meta.extra)
    data = finish(arrays[0], arrays[1], meta, arrays[2], arrays[3], ordered=dec.c.in_order, in_place=True)
    data.meta.channel_roles = {c: f"routing channel {c}" for c in dec.present()}
    return data, (np.concatenate(marks) if marks else no_markers())


def _notes(meta: Meta, counters: dict) -> None:
    if counters["gap_records"]:
        meta.notes.append(f"{counters['gap_records']} FIFO overflows (GAP flags): photons were lost there")


def iter_chunks(
    path: str | os.PathLike[str],
    chunk_records: int = 1 << 20,
    microtime_resolution_ps: float | None = None,
    allow_truncated: bool = False,
) -> Iterator[PhotonData]:
    for data, _ in iter_chunks_with_markers(path, chunk_records, microtime_resolution_ps, allow_truncated):
        yield data


def iter_chunks_with_markers(
    path: str | os.PathLike[str],
    chunk_records: int = 1 << 20,
    microtime_resolution_ps: float | None = None,
    allow_truncated: bool = False,
) -> Iterator[tuple[PhotonData, np.ndarray]]:
    path = Path(path)
    meta, n, micro, period = _open(path, microtime_resolution_ps, allow_truncated)
    dec = _decoder(period, micro, n)
    order = Reorderer()
    ranges = list(chunk_ranges(n, chunk_records))
    with open_at(path, 4) as fh:
        for i, (start, stop) in enumerate(ranges):
            marks: list[np.ndarray] = []
            held = order.held()
            arrays = decode_records(fh, path, 4 + 4 * start, stop - start, dec, marks, held)
            final = i == len(ranges) - 1
            fresh = arrays[2].size - (0 if held is None else held[0].size)
            mark = None if final else (int(arrays[2][-1]) * period if fresh else -(2**63))
            arrays = order.push(arrays, mark, ordered=dec.c.in_order or None, with_held=True)
            if arrays[0].size == 0 and not marks:
                continue
            m = Meta(**{**vars(meta), "notes": list(meta.notes), "extra": dict(meta.extra)})
            m.extra.update(dec.counters(COUNTERS))
            _notes(m, m.extra)
            m.extra = jsonable(m.extra)
            yield PhotonData(arrays[0], arrays[1], m, arrays[2], arrays[3]), (
                np.concatenate(marks) if marks else no_markers()
            )
