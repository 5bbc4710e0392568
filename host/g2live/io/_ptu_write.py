# SPDX-License-Identifier: BSD-3-Clause
"""PTU writing, chunk by chunk: Generic T2 records (T2 data) or HydraHarp T3 v2 records (T3 data).

* **T2**: record type 0x00010207 (MultiHarp / PicoHarp 330 layout) at 1 ps: channels 0..62 as
  photon records, ``SYNC_CHANNEL`` as the special sync record, overflow records counting up to
  2**25 - 1 wraps each; markers (``PhotonData.markers``, numbers 0..3) as special marker records
  of marker line m + 1 (bits ``1 << m``, what ``read_with_markers`` gives back), in time order
  after the photons of their picosecond. T3 chunks with markers are refused (a T3 marker has
  only its sync period's time).
* **T3**: record type 0x01010304 (HydraHarp 400 v2): nsync 10 bits | dtime 15 bits | channel 6
  bits | special 1 bit; an overflow record (special, channel 63) counts up to 1023 wraps of 1024
  syncs. ``MeasDesc_GlobalResolution`` is the sync period, ``MeasDesc_Resolution`` the dtime bin:
  the data's own resolution when it is a whole number of ps and the period fits 32768 bins (no
  loss), else the smallest power of two ps that covers the period in 32768 bins (a HydraHarp's
  binning): micro-times are then floored to that bin and a note says so.

The header is written first with placeholders for what only the end knows (record count, time,
inputs) and patched in place at ``close``; the Meta (without ``extra``) goes in the string tag
``g2live_Meta``. PicoQuant software and ptufile read the files (tests/io).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import struct
import uuid
from pathlib import Path
from typing import IO, Any

import numpy as np

from g2live.io._common import SYNC_CHANNEL, jsonable, refuse_markers
from g2live.io._ptu_tags import MAGIC, TY_ANSISTRING, TY_EMPTY8, TY_FLOAT8, TY_INT8, TY_TDATETIME, _tag
from g2live.photons import Meta, PhotonData, t3_time_ps

__all__ = ["GENERIC_T2", "HYDRAHARP_T3_V2", "PtuWriter", "encode_t2", "encode_t3", "open_writer", "write"]

GENERIC_T2 = 0x00010207
HYDRAHARP_T3_V2 = 0x01010304
T2_WRAP = 33554432
T3_WRAP = 1024
DTIME_BINS = 32768
_META_BYTES = 1 << 16  # room reserved for the g2live_Meta tag, patched at close


def _overflows(gaps: np.ndarray, per_record: int) -> tuple[np.ndarray, np.ndarray]:
    """Overflow records for wrap gaps: how many precede each event, and each record's count."""
    n_ovf = np.where(gaps > 0, (gaps + per_record - 1) // per_record, 0)
    g, k = gaps[gaps > 0], n_ovf[gaps > 0]
    first = np.cumsum(k) - k  # index of each gap's first overflow record
    within = np.arange(int(k.sum())) - np.repeat(first, k)
    last_count = np.repeat(g - (k - 1) * per_record, k)
    counts = np.where(within < np.repeat(k - 1, k), per_record, last_count)
    return n_ovf, counts.astype(np.uint32)


def _interleave(photons: np.ndarray, n_ovf: np.ndarray, ovf: np.ndarray) -> np.ndarray:
    """Photon records with each event's overflow records placed before it."""
    total = photons.size + ovf.size
    out = np.empty(total, dtype="<u4")
    pos = np.arange(photons.size) + np.cumsum(n_ovf)
    out[pos] = photons
    mask = np.ones(total, dtype=bool)
    mask[pos] = False
    out[mask] = ovf
    return out


def _with_markers(special: np.ndarray, field: np.ndarray, time_ps: np.ndarray,
                  markers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The events plus marker records (special, bits ``1 << m``), ordered by time, markers last."""
    m = np.asarray(markers["marker"], np.int64)
    if m.size and (int(m.min()) < 0 or int(m.max()) > 3):
        raise ValueError(f"PTU T2 has marker lines 1..4: marker numbers 0..3, got {int(m.max())}")
    is_marker = np.concatenate([np.zeros(time_ps.size, bool), np.ones(m.size, bool)])
    t = np.concatenate([time_ps, np.asarray(markers["time_ps"], np.int64)])
    o = np.lexsort((is_marker, t))
    return (np.concatenate([special, np.ones(m.size, bool)])[o],
            np.concatenate([field, (1 << m).astype(np.uint32)])[o], t[o])


def encode_t2(channel: np.ndarray, time_ps: np.ndarray, epoch: int = 0,
              markers: np.ndarray | None = None) -> np.ndarray:
    """Generic T2 records (with overflow records) for events in stream order, after ``epoch``
    wraps of 2**25 ps were already written (``PtuWriter`` carries it across chunks); ``markers``
    (fields ``marker`` 0..3, ``time_ps``) become marker records among them."""
    channel = np.asarray(channel, dtype=np.uint8)
    time_ps = np.asarray(time_ps, dtype=np.int64)
    if time_ps.size and time_ps[0] < 0:
        raise ValueError(f"PTU T2 cannot hold negative times (first event at {int(time_ps[0])} ps)")
    bad = (channel > 62) & (channel != SYNC_CHANNEL)
    if bad.any():
        raise ValueError(
            f"PTU T2 holds detector channels 0..62 and the sync ({SYNC_CHANNEL}); got {int(channel[bad][0])}"
        )
    is_sync = channel == SYNC_CHANNEL
    ch_field = np.where(is_sync, 0, channel).astype(np.uint32)
    if markers is not None and len(markers):
        is_sync, ch_field, time_ps = _with_markers(is_sync, ch_field, time_ps, markers)
        if time_ps[0] < 0:
            raise ValueError(f"PTU T2 cannot hold negative times (a marker at {int(time_ps[0])} ps)")
    wrap = np.int64(T2_WRAP)
    ep = time_ps // wrap
    low = (time_ps - ep * wrap).astype(np.uint32)
    gaps = np.diff(ep, prepend=np.int64(epoch))
    if (gaps < 0).any():
        raise ValueError("events must be in time order to write PTU")
    n_ovf, counts = _overflows(gaps, 0x1FFFFFF)
    photons = (is_sync.astype(np.uint32) << np.uint32(31)) | (ch_field << np.uint32(25)) | low
    return _interleave(photons, n_ovf, np.uint32(0xFE000000) | counts)


def encode_t3(channel: np.ndarray, sync_index: np.ndarray, dtime: np.ndarray, wraps: int = 0) -> np.ndarray:
    """HydraHarp T3 v2 records for photons in stream order, after ``wraps`` wraps of 1024 syncs."""
    channel = np.asarray(channel, dtype=np.uint8)
    sync_index = np.asarray(sync_index, dtype=np.int64)
    if (channel > 63).any():
        raise ValueError(f"PTU T3 holds detector channels 0..63; got {int(channel.max())}")
    if sync_index.size and int(sync_index.min()) < 0:
        raise ValueError("PTU T3 cannot hold negative sync indices")
    w = sync_index // T3_WRAP
    gaps = np.diff(w, prepend=np.int64(wraps))
    if (gaps < 0).any():
        raise ValueError("photons must be in sync order to write PTU T3")
    n_ovf, counts = _overflows(gaps, T3_WRAP - 1)
    photons = ((channel.astype(np.uint32) << np.uint32(25)) | (dtime.astype(np.uint32) << np.uint32(10))
               | (sync_index - w * T3_WRAP).astype(np.uint32))
    return _interleave(photons, n_ovf, np.uint32(0xFE000000) | counts)


_EPOCH = _dt.datetime(1899, 12, 30)  # TDateTime counts days from here


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("g2live")
    except Exception:  # a source checkout without an installed distribution
        return "0.1.0"


def _dtime_bin(meta: Meta, period_ps: float, tcspc_bin_ps: int | None) -> int:
    if tcspc_bin_ps is not None:
        if not (isinstance(tcspc_bin_ps, int) and tcspc_bin_ps >= 1):
            raise ValueError(f"tcspc_bin_ps must be a whole number of ps >= 1, got {tcspc_bin_ps!r}")
        return tcspc_bin_ps
    r = float(meta.resolution_ps or 1.0)
    need = period_ps / DTIME_BINS
    if r.is_integer() and r >= need:
        return int(r)
    return 1 << max(0, math.ceil(math.log2(max(need, r, 1.0))))


def _global_resolution(meta: Meta, period_ps: float) -> float:
    """``MeasDesc_GlobalResolution`` (s) that the reader turns back into exactly ``period_ps``."""
    from g2live.io._common import snap_unit_ps

    tags = meta.extra.get("tags") if isinstance(meta.extra, dict) else None
    candidates = [tags.get("MeasDesc_GlobalResolution")] if isinstance(tags, dict) else []
    s = period_ps * 1e-12
    candidates += [s, *(np.nextafter(s, s * (1 + d)) for d in (1, -1))]
    for c in candidates:
        if isinstance(c, float) and c > 0 and snap_unit_ps(c * 1e12) == period_ps:
            return c
    return s


class PtuWriter:
    """Write PTU chunk by chunk (``append`` in stream order, then ``close``); module docstring."""

    def __init__(self, path: str | os.PathLike[str], meta: Meta, t3: bool = False,
                 tcspc_bin_ps: int | None = None) -> None:
        self.path = Path(path)
        self.meta = meta
        self.t3 = t3
        self.count = 0
        self.records = 0
        self._carry = 0  # T2: 2**25-ps wraps written; T3: 1024-sync wraps written
        self._marks: list[np.ndarray] = []  # T2: markers not written yet
        self._last: tuple[int, int] | None = None
        self._first_ps: int | None = None
        self._max_channel = -1
        self._quantised = 0
        if t3:
            from g2live.io.photon_hdf5 import t3_period_ps

            self.period_ps = t3_period_ps(meta)
            self.bin_ps = _dtime_bin(meta, float(self.period_ps), tcspc_bin_ps)
        self._fh: IO[bytes] | None = open(self.path, "wb")
        try:
            self._fh.write(self._header(meta))
        except BaseException:
            self._fh.close()
            raise

    def _header(self, meta: Meta) -> bytes:
        """The tag header; ``self._patch`` remembers where the values known only at the end go."""
        self._patch: dict[str, int] = {}
        parts: list[bytes] = [MAGIC + b"1.0.00\x00\x00"]

        def add(name: str, typ: int, value: Any, patch: bool = False) -> None:
            if patch:
                self._patch[name] = sum(len(p) for p in parts) + 40
            parts.append(_tag(name, typ, value))

        add("File_GUID", TY_ANSISTRING, "{" + str(uuid.uuid4()).upper() + "}")
        created = (_dt.datetime.now() - _EPOCH) / _dt.timedelta(days=1)
        add("File_CreatingTime", TY_TDATETIME, created)
        add("CreatorSW_Name", TY_ANSISTRING, "g2live")
        add("CreatorSW_Version", TY_ANSISTRING, _version())
        add("Measurement_Mode", TY_INT8, 3 if self.t3 else 2)
        add("Measurement_SubMode", TY_INT8, 0)
        add("HW_Type", TY_ANSISTRING, "HydraHarp" if self.t3 else "g2live")
        add("HW_InpChannels", TY_INT8, 64, patch=True)
        res = self.bin_ps * 1e-12 if self.t3 else 1e-12
        add("MeasDesc_Resolution", TY_FLOAT8, res)
        glob = _global_resolution(meta, float(self.period_ps)) if self.t3 else 1e-12
        add("MeasDesc_GlobalResolution", TY_FLOAT8, glob)
        add("MeasDesc_AcquisitionTime", TY_INT8, 0, patch=True)
        add("TTResult_StopAfter", TY_INT8, 0, patch=True)
        rate = meta.sync_rate_hz or (1e12 / self.period_ps if self.t3 else 0)
        add("TTResult_SyncRate", TY_INT8, round(rate))
        add("TTResult_NumberOfRecords", TY_INT8, 0, patch=True)
        add("TTResultFormat_TTTRRecType", TY_INT8, HYDRAHARP_T3_V2 if self.t3 else GENERIC_T2)
        add("TTResultFormat_BitsPerRecord", TY_INT8, 32)
        self._patch["g2live_Meta"] = sum(len(p) for p in parts) + 40
        parts.append(_tag("g2live_Meta", TY_ANSISTRING, " " * (_META_BYTES - 1)))
        parts.append(_tag("Header_End", TY_EMPTY8, 0))
        return b"".join(parts)

    def append(self, data: PhotonData) -> None:
        """Encode and write one chunk (it must continue the stream order of the previous ones)."""
        if self._fh is None:
            raise ValueError(f"{self.path}: writer is closed")
        if self.t3:
            refuse_markers(data, "PTU T3")
        elif data.markers is not None and len(data.markers):
            self._marks.append(np.asarray(data.markers))  # written with the next photons (or at close)
        if not len(data):
            return
        head = (int(data.time_ps[0]), int(data.channel[0]))
        if self._last is not None and head < self._last:
            raise ValueError(
                f"chunk starts at {head[0]} ps, before the last written event at {self._last[0]} ps"
            )
        rec = self._t3_records(data) if self.t3 else self._t2_records(data.channel, data.time_ps)
        rec.tofile(self._fh)
        self.records += rec.size
        self.count += len(data)
        self._first_ps = head[0] if self._first_ps is None else self._first_ps
        self._last = (int(data.time_ps[-1]), int(data.channel[-1]))
        self._max_channel = max(self._max_channel, int(data.channel.max()))

    def _t2_records(self, channel: np.ndarray, time_ps: np.ndarray) -> np.ndarray:
        """T2 records of these events and the markers held back so far."""
        marks = np.concatenate(self._marks) if self._marks else None
        self._marks = []
        rec = encode_t2(channel, time_ps, self._carry, marks)
        last = [int(time_ps[-1])] if len(time_ps) else []
        if marks is not None:
            last.append(int(marks["time_ps"].max()))
        self._carry = max(last) // T2_WRAP
        return rec

    def _t3_records(self, data: PhotonData) -> np.ndarray:
        if not data.is_t3:
            raise ValueError("a T3 PTU writer needs sync_index and microtime_ps in every chunk")
        assert data.sync_index is not None and data.microtime_ps is not None
        if not np.array_equal(t3_time_ps(data.sync_index, data.microtime_ps, self.period_ps), data.time_ps):
            raise ValueError(f"time_ps does not follow the T3 rule with a sync period of {self.period_ps} ps")
        micro = data.microtime_ps
        dtime, rest = np.divmod(micro, np.int64(self.bin_ps))
        if micro.size and (int(micro.min()) < 0 or int(dtime.max()) >= DTIME_BINS):
            raise ValueError(
                f"micro-times must lie in 0..{DTIME_BINS * self.bin_ps} ps "
                f"({DTIME_BINS} bins of {self.bin_ps} ps)"
            )
        self._quantised += int(np.count_nonzero(rest))
        rec = encode_t3(data.channel, data.sync_index, dtime, self._carry)
        self._carry = int(data.sync_index[-1]) // T3_WRAP
        return rec

    @property
    def notes(self) -> list[str]:
        """What writing changed (micro-times floored to the dtime bin)."""
        if not self._quantised:
            return []
        return [f"{self._quantised} micro-times floored to the {self.bin_ps} ps dtime bin of PTU T3"]

    def close(self, acquisition_s: float | None = None, meta: Meta | None = None) -> None:
        """Patch the header (records, time, inputs, Meta) and close the file."""
        if self._fh is None:
            return
        if self._marks:  # markers after the last photon
            rec = self._t2_records(np.zeros(0, np.uint8), np.zeros(0, np.int64))
            rec.tofile(self._fh)
            self.records += rec.size
        meta = meta or self.meta
        span_s = 0.0
        if self._last is not None and self._first_ps is not None:
            span_s = (self._last[0] - self._first_ps) * 1e-12
        duration_ms = round(1e3 * (acquisition_s or meta.acquisition_s or span_s))
        notes = [*meta.notes, *self.notes]
        meta_json = json.dumps(jsonable({**vars(meta), "notes": notes, "extra": {}}), sort_keys=True)
        blob = meta_json.encode("utf-8")[: _META_BYTES - 1]
        values = {
            "TTResult_NumberOfRecords": struct.pack("<q", self.records),
            "MeasDesc_AcquisitionTime": struct.pack("<q", duration_ms),
            "TTResult_StopAfter": struct.pack("<q", duration_ms),
            "HW_InpChannels": struct.pack("<q", max(1, min(64, self._max_channel + 1)) if self.t3 else 64),
            "g2live_Meta": blob + b"\x00" * (_META_BYTES - len(blob)),
        }
        try:
            for name, raw in values.items():
                self._fh.seek(self._patch[name] + (8 if name == "g2live_Meta" else 0))
                self._fh.write(raw)
        finally:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> PtuWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_writer(path: str | os.PathLike[str], meta: Meta, t3: bool = False,
                tcspc_bin_ps: int | None = None) -> PtuWriter:
    """A PTU writer for chunks (``append``, ``close(meta=...)``)."""
    return PtuWriter(path, meta, t3=t3, tcspc_bin_ps=tcspc_bin_ps)


def write(path: str | os.PathLike[str], data: PhotonData, tcspc_bin_ps: int | None = None) -> None:
    """Write PTU: Generic T2 records at 1 ps, or HydraHarp T3 v2 records for T3 data."""
    with PtuWriter(path, data.meta, t3=data.is_t3, tcspc_bin_ps=tcspc_bin_ps) as w:
        w.append(data)
