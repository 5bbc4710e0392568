"""Becker & Hickl SPC-130/132/134/150/830 FIFO files (.spc), the "SPC-130" 32-bit record format.

No magic number: the first 32-bit word holds the macro-time clock period in units of 0.1 ns in
bits 0-23 (bits 24-31 are flags, kept in ``meta.extra``). Every further word is one record:
macro time bits 0-11, routing channel bits 12-15, ADC bits 16-27, then flags MARK (28), GAP
(29), MTOV (30, macro-time overflow) and INVALID (31). INVALID+MTOV without MARK is a multiple
overflow record whose bits 0-27 count the 4096-tick wraps; INVALID alone is an event without a
valid time (counted); MTOV on a photon adds one wrap before it; GAP says the FIFO overflowed
before this record (data were lost: counted and noted); MARK records are markers (counted).

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
    RecordError,
    Reorderer,
    channels_present,
    chunk_ranges,
    finish,
    jsonable,
    ticks_to_ps,
)
from g2live.photons import Meta, PhotonData

WRAP = 4096
ADC_MAX = 4095


class _State:
    def __init__(self, period_ps: int) -> None:
        self.offset = 0
        # macro-time overflows may carry the clock only as far as 2**62 ps (53 days)
        self.max_offset = MAX_TIME_PS // period_ps - 2 * WRAP
        self.counters = {
            "records": 0,
            "overflow_records": 0,
            "invalid_records": 0,
            "gap_records": 0,
            "marker_records": 0,
        }

    def decode(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (channel, macro ticks, adc) of the valid photons in ``w``."""
        self.counters["records"] += w.size
        invalid = (w & np.uint32(1 << 31)) != 0
        mtov = (w & np.uint32(1 << 30)) != 0
        gap = (w & np.uint32(1 << 29)) != 0
        mark = (w & np.uint32(1 << 28)) != 0
        multi = invalid & mtov & ~mark
        inc = np.where(multi, (w & np.uint32(0x0FFFFFFF)).astype(np.int64) * WRAP, 0)
        inc += np.where(mtov & ~invalid, WRAP, 0)
        if w.size and self.offset + float(np.sum(inc, dtype=np.float64)) > self.max_offset:
            k = int(np.argmax(self.offset + np.cumsum(inc, dtype=np.float64) > self.max_offset))
            raise RecordError(
                k, f"macro-time overflow records push the time past {MAX_TIME_PS} ps (corrupted file?)"
            )
        run = np.cumsum(inc)
        macro = (w & np.uint32(0xFFF)).astype(np.int64) + run + self.offset
        if w.size:
            self.offset += int(run[-1])
        photon = ~invalid & ~mark
        self.counters["overflow_records"] += int(np.count_nonzero(multi))
        self.counters["invalid_records"] += int(np.count_nonzero(invalid & ~mtov & ~mark))
        self.counters["gap_records"] += int(np.count_nonzero(gap))
        self.counters["marker_records"] += int(np.count_nonzero(mark))
        channel = ((w >> np.uint32(12)) & np.uint32(0xF)).astype(np.uint8)[photon]
        adc = ((w >> np.uint32(16)) & np.uint32(0xFFF)).astype(np.int64)[photon]
        return channel, macro[photon], adc


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


def _arrays(channel: np.ndarray, macro: np.ndarray, adc: np.ndarray, period: int, micro: float) -> list:
    micro_ps = ticks_to_ps(ADC_MAX - adc, micro)
    return [channel, macro * np.int64(period) + micro_ps, macro, micro_ps]


def read(
    path: str | os.PathLike[str], microtime_resolution_ps: float | None = None, allow_truncated: bool = False
) -> PhotonData:
    path = Path(path)
    meta, n, micro, period = _open(path, microtime_resolution_ps, allow_truncated)
    w = np.fromfile(path, dtype="<u4", count=n, offset=4)
    state = _State(period)
    try:
        arrays = _arrays(*state.decode(w), period, micro)
    except RecordError as exc:
        raise FormatError(path, 4 + 4 * exc.index, str(exc)) from None
    meta.extra.update(state.counters)
    _notes(meta, state)
    data = finish(arrays[0], arrays[1], meta, arrays[2], arrays[3])
    data.meta.channel_roles = {c: f"routing channel {c}" for c in channels_present(data.channel)}
    return data


def _notes(meta: Meta, state: _State) -> None:
    if state.counters["gap_records"]:
        meta.notes.append(
            f"{state.counters['gap_records']} FIFO overflows (GAP flags): photons were lost there"
        )


def iter_chunks(
    path: str | os.PathLike[str],
    chunk_records: int = 1 << 20,
    microtime_resolution_ps: float | None = None,
    allow_truncated: bool = False,
) -> Iterator[PhotonData]:
    path = Path(path)
    meta, n, micro, period = _open(path, microtime_resolution_ps, allow_truncated)
    state = _State(period)
    order = Reorderer()
    ranges = list(chunk_ranges(n, chunk_records))
    with open(path, "rb") as fh:
        for i, (start, stop) in enumerate(ranges):
            fh.seek(4 + 4 * start)
            w = np.fromfile(fh, dtype="<u4", count=stop - start)
            try:
                ch, macro, adc = state.decode(w)
            except RecordError as exc:
                raise FormatError(path, 4 + 4 * (start + exc.index), str(exc)) from None
            final = i == len(ranges) - 1
            mark = None if final else (int(macro[-1]) * period if macro.size else -(2**63))
            arrays = order.push(_arrays(ch, macro, adc, period, micro), mark)
            if arrays[0].size == 0:
                continue
            m = Meta(**{**vars(meta), "notes": list(meta.notes), "extra": dict(meta.extra)})
            m.extra.update(state.counters)
            _notes(m, state)
            m.extra = jsonable(m.extra)
            yield PhotonData(arrays[0], arrays[1], m, arrays[2], arrays[3])
