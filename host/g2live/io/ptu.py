"""PicoQuant PTU (unified TTTR) files: T2 and T3 of every PicoQuant record type.

The tag header is parsed here (so every error names its byte offset); the records are decoded
in C through ``_picoquant`` (faster than ptufile's decoder on the real files, see
docs/performance.md "Reading files"). ``ptufile`` is the independent reference the tests and the
benchmark compare against; it is not the reader because (measured with ptufile 2026.2.6) it
returns T2 sync events as channel 0, indistinguishable from detector 0, multiplies the count of
a HydraHarp-v2/MultiHarp T2 overflow record by the 2**25 wrap in 32-bit arithmetic (times go
wrong after a gap of 128 or more wraps, i.e. 4.3 ms without events), and cannot carry the overflow
state across chunks.
"""

from __future__ import annotations

import datetime as _dt
import os
import struct
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from g2live.io._common import SYNC_CHANNEL, FormatError, snap_unit_ps
from g2live.io._picoquant import (
    RECORD_TYPES,
    PqLayout,
    channel_count,
    check_records,
    iter_layout,
    layout_extra,
    read_layout,
)
from g2live.io._records import no_markers
from g2live.photons import Meta, PhotonData

MAGIC = b"PQTTTR\x00\x00"
TAG_SIZE = 48

TY_EMPTY8 = 0xFFFF0008
TY_BOOL8 = 0x00000008
TY_INT8 = 0x10000008
TY_BITSET64 = 0x11000008
TY_COLOR8 = 0x12000008
TY_FLOAT8 = 0x20000008
TY_TDATETIME = 0x21000008
TY_FLOAT8ARRAY = 0x2001FFFF
TY_ANSISTRING = 0x4001FFFF
TY_WIDESTRING = 0x4002FFFF
TY_BINARYBLOB = 0xFFFFFFFF

_EPOCH = _dt.datetime(1899, 12, 30)  # TDateTime counts days from here


class _Short(Exception):
    """The bytes read so far end inside the tag header: read more."""


def parse_tags(path: Path, data: bytes, complete: bool = True) -> tuple[dict[str, Any], int]:
    """Parse the tag list that starts at byte 16; return (tags, offset of the first record).

    Indexed tags (index >= 0) are stored as ``name[index]``. ``complete``: ``data`` is all the
    header there is (else running out of it raises ``_Short``).
    """
    if len(data) < 16:
        raise FormatError(path, len(data), "file ends inside the 16-byte PTU preamble")
    if data[:8] != MAGIC:
        raise FormatError(path, 0, f"not a PTU file: magic {data[:8]!r}, expected {MAGIC!r}")
    tags: dict[str, Any] = {"_version": data[8:16].rstrip(b"\x00").decode("ascii", "replace")}
    pos = 16
    while True:
        if pos + TAG_SIZE > len(data):
            if not complete:
                raise _Short
            raise FormatError(
                path, pos, f"file ends (at {len(data)} bytes) inside the tag header, before Header_End"
            )
        raw_name, idx, typ, raw = struct.unpack_from("<32siI8s", data, pos)
        name = raw_name.split(b"\x00", 1)[0].decode("ascii", "replace")
        if not name or not name.isprintable():
            raise FormatError(path, pos, f"corrupted tag header: tag name {raw_name[:16]!r}")
        value_pos = pos + 40
        pos += TAG_SIZE
        if typ in (TY_EMPTY8,):
            value: Any = None
        elif typ == TY_BOOL8:
            value = struct.unpack("<q", raw)[0] != 0
        elif typ in (TY_INT8, TY_BITSET64, TY_COLOR8):
            value = struct.unpack("<q", raw)[0]
        elif typ == TY_FLOAT8:
            value = struct.unpack("<d", raw)[0]
        elif typ == TY_TDATETIME:
            days = struct.unpack("<d", raw)[0]
            try:
                value = (_EPOCH + _dt.timedelta(days=days)).isoformat()
            except (OverflowError, ValueError):
                raise FormatError(path, value_pos, f"tag {name}: date {days!r} days out of range") from None
        elif typ in (TY_FLOAT8ARRAY, TY_ANSISTRING, TY_WIDESTRING, TY_BINARYBLOB):
            length = struct.unpack("<q", raw)[0]
            if length >= 0 and pos + length > len(data) and not complete:
                raise _Short
            if length < 0 or pos + length > len(data):
                raise FormatError(
                    path, value_pos, f"tag {name}: length {length} runs past the end of the file"
                )
            blob = data[pos : pos + length]
            pos += length
            if typ == TY_FLOAT8ARRAY:
                value = np.frombuffer(blob[: length - length % 8], "<f8").tolist()
            elif typ == TY_ANSISTRING:
                value = blob.split(b"\x00", 1)[0].decode("latin-1")
            elif typ == TY_WIDESTRING:
                value = blob.decode("utf-16-le", "replace").split("\x00", 1)[0]
            else:
                value = f"<{length} bytes>"
        else:
            raise FormatError(path, pos - TAG_SIZE + 36, f"tag {name}: unknown tag type 0x{typ:08X}")
        if name == "Header_End":
            return tags, pos
        tags[name if idx < 0 else f"{name}[{idx}]"] = value


def _need(path: Path, tags: dict[str, Any], name: str) -> Any:
    if name not in tags:
        raise FormatError(path, None, f"PTU tag {name} is missing")
    return tags[name]


def layout(path: str | os.PathLike[str], allow_truncated: bool = False) -> PqLayout:
    try:
        return _layout(Path(path), allow_truncated)
    except FormatError:
        raise
    except ValueError as exc:  # e.g. a resolution tag of 0, inf or 1e300
        raise FormatError(path, None, f"PTU header values are not usable: {exc}") from None


def _read_tags(path: Path, size: int) -> tuple[dict[str, Any], int]:
    """The tag header and the offset of the first record."""
    limit = min(size, 16 << 20)  # no tag header is longer
    with open(path, "rb") as fh:
        head = fh.read(min(limit, 1 << 16))  # enough for almost every header: read more only if not
        try:
            return parse_tags(path, head, complete=len(head) == limit)
        except _Short:
            head += fh.read(limit - len(head))
            return parse_tags(path, head)


def _time_units(path: Path, tags: dict[str, Any], rtype: Any, glob_s: float, sync_rate: float,
                meta: Meta) -> tuple[int, float | int | None]:
    """The record time unit and (T3) the micro-time unit in ps; sets the timing fields of ``meta``."""
    unit_ps = snap_unit_ps(glob_s * 1e12)  # T3: the sync period (vendor demo code uses GlobalResolution)
    if not rtype.t3:
        meta.resolution_ps = float(unit_ps)
        # In T2 the sync input is a timed channel: its rate matters only if its events are in the
        # file (``roles`` sets it then). PicoHarp 300 T2 reports input 0's count rate here.
        meta.sync_rate_hz = None
        return unit_ps, None
    res_s = float(_need(path, tags, "MeasDesc_Resolution"))
    if not res_s > 0:
        raise FormatError(path, None, f"MeasDesc_Resolution is {res_s!r}, must be > 0")
    dtime_ps: float | int = snap_unit_ps(res_s * 1e12)
    meta.resolution_ps = float(dtime_ps)
    meta.sync_rate_hz = sync_rate if sync_rate > 0 else 1.0 / glob_s
    return unit_ps, dtime_ps


def _layout(path: Path, allow_truncated: bool) -> PqLayout:
    size = path.stat().st_size
    tags, data_offset = _read_tags(path, size)
    rectype = int(_need(path, tags, "TTResultFormat_TTTRRecType"))
    if rectype not in RECORD_TYPES:
        raise FormatError(path, None, f"unknown TTTR record type 0x{rectype:08X} (not a T2/T3 PTU file?)")
    rtype = RECORD_TYPES[rectype]
    bits = int(tags.get("TTResultFormat_BitsPerRecord", 32))
    if bits != 32:
        raise FormatError(path, None, f"TTResultFormat_BitsPerRecord is {bits}, expected 32")
    n_records = int(_need(path, tags, "TTResult_NumberOfRecords"))
    if n_records < 0:
        raise FormatError(path, None, f"TTResult_NumberOfRecords is negative ({n_records})")
    glob_s = float(_need(path, tags, "MeasDesc_GlobalResolution"))
    sync_rate = float(tags.get("TTResult_SyncRate", 0) or 0)
    if not glob_s > 0:
        raise FormatError(path, None, f"MeasDesc_GlobalResolution is {glob_s!r}, must be > 0")
    instrument = str(tags.get("HW_Type", rtype.name.split(" T")[0])).strip()
    meta = Meta(source=f"PicoQuant {instrument} {'T3' if rtype.t3 else 'T2'}", format="PTU")
    # StopAfter is the time actually measured; AcquisitionTime is the time that was set.
    acq_ms = tags.get("TTResult_StopAfter") or tags.get("MeasDesc_AcquisitionTime")
    meta.acquisition_s = float(acq_ms) * 1e-3 if acq_ms else None
    unit_ps, dtime_ps = _time_units(path, tags, rtype, glob_s, sync_rate, meta)
    meta.extra = {
        "header_sync_rate_hz": sync_rate,
        **layout_extra(rtype, unit_ps, dtime_ps, data_offset),
        "tags": tags,
    }
    meta.channel_roles = {}
    inputs = tags.get("HW_InpChannels")
    n_channels = channel_count(rtype, inputs if isinstance(inputs, int) else None)
    lay = PqLayout(path, rtype, data_offset, n_records, unit_ps, dtime_ps, meta, n_channels)
    return check_records(lay, size, allow_truncated)


def read(path: str | os.PathLike[str], allow_truncated: bool = False) -> PhotonData:
    return read_layout(layout(path, allow_truncated))


def read_with_markers(
    path: str | os.PathLike[str], allow_truncated: bool = False
) -> tuple[PhotonData, np.ndarray]:
    """The photons and the marker records (``g2live.io.MARKER_DTYPE``)."""
    marks: list[np.ndarray] = []
    data = read_layout(layout(path, allow_truncated), marks)
    return data, (np.concatenate(marks) if marks else no_markers())


def iter_chunks(
    path: str | os.PathLike[str],
    chunk_records: int = 1 << 20,
    allow_truncated: bool = False,
) -> Iterator[PhotonData]:
    yield from iter_layout(layout(path, allow_truncated), chunk_records)


def iter_chunks_with_markers(
    path: str | os.PathLike[str],
    chunk_records: int = 1 << 20,
    allow_truncated: bool = False,
) -> Iterator[tuple[PhotonData, np.ndarray]]:
    yield from iter_layout(layout(path, allow_truncated), chunk_records, with_markers=True)


# ---------------------------------------------------------------------------------------------
# Writing: Generic T2 records (MultiHarp / PicoHarp 330 layout) at 1 ps, read by PicoQuant
# software and ptufile alike.

GENERIC_T2 = 0x00010207


def _tag(name: str, typ: int, value: Any = 0, idx: int = -1) -> bytes:
    ident = name.encode("ascii")
    if len(ident) > 31:
        raise ValueError(f"PTU tag name {name!r} longer than 31 characters")
    if typ in (TY_ANSISTRING, TY_WIDESTRING):
        blob = value.encode("utf-8" if typ == TY_ANSISTRING else "utf-16-le") + b"\x00"
        blob += b"\x00" * (-len(blob) % 8)
        return struct.pack("<32siIq", ident, idx, typ, len(blob)) + blob
    if typ in (TY_FLOAT8, TY_TDATETIME):
        return struct.pack("<32siId", ident, idx, typ, float(value))
    return struct.pack("<32siIq", ident, idx, typ, int(value))


def encode_t2(channel: np.ndarray, time_ps: np.ndarray) -> np.ndarray:
    """Generic T2 records (with overflow records) for events already in stream order."""
    channel = np.asarray(channel, dtype=np.uint8)
    time_ps = np.asarray(time_ps, dtype=np.int64)
    if time_ps.size and time_ps[0] < 0:
        raise ValueError(f"PTU T2 cannot hold negative times (first event at {int(time_ps[0])} ps)")
    bad = (channel > 62) & (channel != SYNC_CHANNEL)
    if bad.any():
        raise ValueError(
            f"PTU T2 holds detector channels 0..62 and the sync ({SYNC_CHANNEL}); got {int(channel[bad][0])}"
        )
    wrap = np.int64(33554432)
    epoch = time_ps // wrap
    low = (time_ps - epoch * wrap).astype(np.uint32)
    gaps = np.diff(epoch, prepend=np.int64(0))
    if (gaps < 0).any():
        raise ValueError("events must be in time order to write PTU")
    # One overflow record per 2**25-1 wraps at most (its time field counts the wraps).
    n_ovf = np.where(gaps > 0, (gaps + 0x1FFFFFE) // 0x1FFFFFF, 0)
    total = channel.size + int(n_ovf.sum())
    out = np.empty(total, dtype="<u4")
    pos = np.arange(channel.size) + np.cumsum(n_ovf)
    is_sync = channel == SYNC_CHANNEL
    ch_field = np.where(is_sync, 0, channel).astype(np.uint32)
    out[pos] = (is_sync.astype(np.uint32) << np.uint32(31)) | (ch_field << np.uint32(25)) | low
    mask = np.ones(total, dtype=bool)
    mask[pos] = False
    g = gaps[gaps > 0]
    k = n_ovf[gaps > 0]
    full = np.int64(0x1FFFFFF)
    first = np.cumsum(k) - k  # index of each gap's first overflow record
    within = np.arange(int(k.sum())) - np.repeat(first, k)
    last_count = np.repeat(g - (k - 1) * full, k)
    counts = np.where(within < np.repeat(k - 1, k), full, last_count)
    out[mask] = np.uint32(0xFE000000) | counts.astype(np.uint32)
    return out


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("g2live")
    except Exception:  # a source checkout without an installed distribution
        return "0.1.0"


def write(path: str | os.PathLike[str], data: PhotonData) -> None:
    """Write PTU with Generic T2 records at 1 ps; T3 data is written as its absolute times."""
    import json

    from g2live.io._common import jsonable

    rec = encode_t2(data.channel, data.time_ps)
    meta = data.meta
    duration_ms = data.duration_s() * 1e3
    head = MAGIC + b"1.0.00\x00\x00"
    head += _tag("File_GUID", TY_ANSISTRING, "{" + str(uuid.uuid4()).upper() + "}")
    created = (_dt.datetime.now() - _EPOCH) / _dt.timedelta(days=1)
    head += _tag("File_CreatingTime", TY_TDATETIME, created)
    head += _tag("CreatorSW_Name", TY_ANSISTRING, "g2live")
    head += _tag("CreatorSW_Version", TY_ANSISTRING, _version())
    head += _tag("Measurement_Mode", TY_INT8, 2)
    head += _tag("Measurement_SubMode", TY_INT8, 0)
    head += _tag("HW_Type", TY_ANSISTRING, "g2live")
    head += _tag("MeasDesc_Resolution", TY_FLOAT8, 1e-12)
    head += _tag("MeasDesc_GlobalResolution", TY_FLOAT8, 1e-12)
    head += _tag("MeasDesc_AcquisitionTime", TY_INT8, round(duration_ms))
    head += _tag("TTResult_SyncRate", TY_INT8, round(meta.sync_rate_hz or 0))
    head += _tag("TTResult_NumberOfRecords", TY_INT8, rec.size)
    head += _tag("TTResultFormat_TTTRRecType", TY_INT8, GENERIC_T2)
    head += _tag("TTResultFormat_BitsPerRecord", TY_INT8, 32)
    meta_json = json.dumps(jsonable({**vars(meta), "extra": {}}), sort_keys=True)
    head += _tag("g2live_Meta", TY_ANSISTRING, meta_json)
    head += _tag("Header_End", TY_EMPTY8, 0)
    with open(path, "wb") as fh:
        fh.write(head)
        rec.tofile(fh)
