# SPDX-License-Identifier: BSD-3-Clause
"""Blocks of 32-bit records from a file into PhotonData arrays, decoded by the C core.

The C decoder (``g2live._core.RecordDecoder``, cext/src/g2l_records.c) writes each block's photons
straight into the output arrays with their times in ps, keeps the overflow state across blocks
and calls (so a file read in any split, or followed while it grows, decodes like one call),
collects marker records apart from the photons and stops at the first record the instrument
cannot produce. This module reads the file through one small reused buffer and turns the C
status codes into the readers' errors; the formats' headers stay in Python.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from g2live import _core
from g2live.io._common import FormatError, RecordError

__all__ = ["BLOCK", "MARKER_DTYPE", "Decoder", "decode_records", "no_markers", "read_exact", "unit_parts"]

# Marker records (PicoQuant special records 1..15, SPC MARK): their index in the file, their time
# in ps (T3: the start of their sync period; SPC: the macro time) and the marker bits.
MARKER_DTYPE: np.dtype = _core.REC_MARKER_DTYPE
# Records per read: the 256 KiB buffer and the 256 KiB micro-time table stay in the L2 cache.
BLOCK = 1 << 16
# Large files are read in blocks this large, which the C decoder splits among threads (segments of
# at least PAR_MIN records; the result is the same as with one thread).
BIG_BLOCK = 1 << 23
PAR_RECORDS = 1 << 22  # files from this size on use threads
PAR_MIN: int | None = None  # records per thread at least; None: the C default (2**20)
TABLE_RECORDS = 1 << 20
# G2LIVE_IO_THREADS fixes the number of threads; unset (0), a read uses the cores that are idle
# (one more than the free capacity the load average leaves, at most 4): on a busy machine the
# extra threads would only wait for a core.
THREADS = int(os.environ.get("G2LIVE_IO_THREADS", 0))


def threads_now() -> int:
    if THREADS:
        return max(1, THREADS)
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # no load average on this platform
        load = 0.0
    return max(1, min(4, cores, int(max(0.0, cores - load)) + 1))

LAYOUTS = {"PH_T2": _core.REC_PH_T2, "PH_T3": _core.REC_PH_T3, "HH_T2": _core.REC_HH_T2,
           "HH_T3": _core.REC_HH_T3, "SPC": _core.REC_SPC}


def unit_parts(unit_ps: float | int) -> tuple[int, float]:
    """(whole ps, fraction) exactly as ``_common.ticks_to_ps`` splits a unit."""
    if isinstance(unit_ps, int):
        return unit_ps, 0.0
    whole = math.floor(unit_ps)
    return int(whole), unit_ps - whole


def no_markers() -> np.ndarray:
    return np.empty(0, dtype=MARKER_DTYPE)


class Decoder:
    """A C record decoder plus the messages of its errors.

    ``message(status, value)`` words an error (status ``_core.ERR_CHANNEL``, ``ERR_TIME`` or
    ``ERR_OVERFLOW``; value the channel, the ticks or the overflow sum)."""

    def __init__(self, layout: str, version: int, n_channels: int, max_ticks: int, unit_ps: float | int,
                 micro_ps: float | int, message: Callable[[int, int], str], records: int = 0) -> None:
        uw, uf = unit_parts(unit_ps)
        mw, mf = unit_parts(micro_ps)
        table = records >= TABLE_RECORDS  # a micro-time table pays for itself on large files
        self.c = _core.RecordDecoder(
            LAYOUTS[layout], version, n_channels, max(0, max_ticks), uw, uf, mw, mf, table
        )
        if self.c.status:
            raise ValueError(f"record decoder: unusable units ({unit_ps!r} ps, {micro_ps!r} ps)")
        if PAR_MIN:
            self.c.par_min = PAR_MIN
        self.t3 = bool(self.c.t3)
        self.message = message

    def outputs(self, n: int) -> list[np.ndarray]:
        """Arrays for up to n photons: channel, time_ps (T3 also sync_index, microtime_ps).

        They are views of one allocation: numpy asks the kernel for huge pages from 4 MiB on, and
        one fault per 2 MiB instead of one per 4 KiB halves the cost of a few-MB file."""
        n_long = 3 if self.t3 else 1
        base = np.empty(n * (8 * n_long + 1), dtype=np.uint8)
        longs = [base[8 * n * j : 8 * n * (j + 1)].view(np.int64) for j in range(n_long)]
        channel = base[8 * n * n_long :]
        return [channel, *longs] if not self.t3 else [channel, longs[0], longs[1], longs[2]]

    def into(self, rec: np.ndarray, outs: list[np.ndarray], start: int) -> int:
        """Decode ``rec`` into ``outs`` from ``start``; the number of photons, or ``RecordError``."""
        sync, micro = (outs[2], outs[3]) if self.t3 else (None, None)
        k, index, value = self.c.decode(rec, outs[0], outs[1], sync, micro, start)
        if k < 0:
            if k == _core.ERR_NOMEM:
                raise MemoryError("record decoder: out of memory for markers")
            raise RecordError(index, self.message(k, value))
        return k

    def counters(self, keys: tuple[str, ...]) -> dict[str, int]:
        c = self.c.counters()
        return {k: c[k] for k in keys}

    def present(self) -> list[int]:
        """Photon channels decoded so far, ascending (T2 syncs are not among them)."""
        mask = self.c.present
        return [c for c in range(64) if mask >> c & 1]


def read_exact(fh: BinaryIO, view: np.ndarray, path: Path, offset: int) -> None:
    """Fill ``view`` from the file's current position (``offset``, for the error)."""
    mv = memoryview(view).cast("B")
    got = 0
    while got < len(mv):
        r = fh.readinto(mv[got:])
        if not r:
            raise FormatError(path, offset + got - got % 4, "file shrank while reading")
        got += r


def decode_records(fh: BinaryIO, path: Path, offset: int, n: int, dec: Decoder,
                   markers: list[np.ndarray] | None = None,
                   prefix: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """Decode the n records at byte ``offset`` (the file position) through a reused buffer into
    arrays sized for n photons; returns them cut to the photons found. Markers are appended to
    ``markers`` when given; ``prefix`` (events held back from the chunk before) is placed in front
    of the new photons, which saves copying the chunk to join them."""
    start = 0 if prefix is None else prefix[0].size
    outs = dec.outputs(start + n)
    if start:
        for out, arr in zip(outs, prefix, strict=True):
            out[:start] = arr
    if n >= PAR_RECORDS:
        dec.c.threads = threads_now()
    block = BIG_BLOCK if dec.c.threads > 1 else BLOCK
    buf = np.empty(min(n, block), dtype="<u4")
    filled = start
    for i in range(0, n, block):
        view = buf[: min(block, n - i)]
        read_exact(fh, view, path, offset + 4 * i)
        try:
            filled += dec.into(view, outs, filled)
        except RecordError as exc:
            raise FormatError(path, offset + 4 * (i + exc.index), str(exc)) from None
        if markers is not None:
            m = dec.c.markers()
            if m.size:
                markers.append(m)
    return [o[:filled] for o in outs]


def open_at(path: Path, offset: int) -> Any:
    fh = open(path, "rb", buffering=0)  # noqa: SIM115 (closed by the caller's with)
    fh.seek(offset, os.SEEK_SET)
    return fh
