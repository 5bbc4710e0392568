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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from g2live.io._common import FormatError, snap_unit_ps
from g2live.io._picoquant import (
    RECORD_TYPES,
    PqLayout,
    channel_count,
    check_records,
    iter_layout,
    layout_extra,
    read_layout,
)
from g2live.io._ptu_tags import (  # noqa: F401 - the tag vocabulary, also for writers and tests
    MAGIC,
    TAG_SIZE,
    TY_ANSISTRING,
    TY_BINARYBLOB,
    TY_BITSET64,
    TY_BOOL8,
    TY_COLOR8,
    TY_EMPTY8,
    TY_FLOAT8,
    TY_FLOAT8ARRAY,
    TY_INT8,
    TY_TDATETIME,
    TY_WIDESTRING,
    _tag,
)
from g2live.io._records import no_markers
from g2live.photons import Meta, PhotonData

_EPOCH = _dt.datetime(1899, 12, 30)  # TDateTime counts days from here


class IncompleteHeader(Exception):
    """The bytes read so far end inside the tag header: read more."""


def parse_tags(path: Path, data: bytes, complete: bool = True) -> tuple[dict[str, Any], int]:
    """Parse the tag list that starts at byte 16; return (tags, offset of the first record).

    Indexed tags (index >= 0) are stored as ``name[index]``. ``complete``: ``data`` is all the
    header there is (else running out of it raises ``IncompleteHeader``).
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
                raise IncompleteHeader
            raise FormatError(
                path, pos, f"file ends (at {len(data)} bytes) inside the tag header, before Header_End"
            )
        raw_name, idx, typ, raw = struct.unpack_from("<32siI8s", data, pos)
        name = raw_name.split(b"\x00", 1)[0].decode("ascii", "replace")
        if not name or not name.isprintable():
            raise FormatError(path, pos, f"corrupted tag header: tag name {raw_name[:16]!r}")
        value_pos = pos + 40
        pos += TAG_SIZE
        if typ in _BLOB_TYPES:
            value, pos = _blob_value(path, data, pos, name, typ, raw, complete)
        else:
            value = _fixed_value(path, value_pos, name, typ, raw)
        if name == "Header_End":
            return tags, pos
        tags[name if idx < 0 else f"{name}[{idx}]"] = value


_BLOB_TYPES = (TY_FLOAT8ARRAY, TY_ANSISTRING, TY_WIDESTRING, TY_BINARYBLOB)


def _fixed_value(path: Path, value_pos: int, name: str, typ: int, raw: bytes) -> Any:
    """The value of an 8-byte tag (everything but strings, arrays and blobs)."""
    if typ == TY_EMPTY8:
        return None
    if typ == TY_BOOL8:
        return struct.unpack("<q", raw)[0] != 0
    if typ in (TY_INT8, TY_BITSET64, TY_COLOR8):
        return struct.unpack("<q", raw)[0]
    if typ == TY_FLOAT8:
        return struct.unpack("<d", raw)[0]
    if typ == TY_TDATETIME:
        days = struct.unpack("<d", raw)[0]
        try:
            return (_EPOCH + _dt.timedelta(days=days)).isoformat()
        except (OverflowError, ValueError):
            raise FormatError(path, value_pos, f"tag {name}: date {days!r} days out of range") from None
    raise FormatError(path, value_pos - 4, f"tag {name}: unknown tag type 0x{typ:08X}")


def _blob_value(
    path: Path, data: bytes, pos: int, name: str, typ: int, raw: bytes, complete: bool
) -> tuple[Any, int]:
    """The value of a tag whose bytes follow it (``pos``), and the position after them."""
    length = struct.unpack("<q", raw)[0]
    if length >= 0 and pos + length > len(data) and not complete:
        raise IncompleteHeader
    if length < 0 or pos + length > len(data):
        raise FormatError(path, pos - 8, f"tag {name}: length {length} runs past the end of the file")
    blob = data[pos : pos + length]
    if typ == TY_FLOAT8ARRAY:
        value: Any = np.frombuffer(blob[: length - length % 8], "<f8").tolist()
    elif typ == TY_ANSISTRING:
        value = blob.split(b"\x00", 1)[0].decode("latin-1")
    elif typ == TY_WIDESTRING:
        value = blob.decode("utf-16-le", "replace").split("\x00", 1)[0]
    else:
        value = f"<{length} bytes>"
    return value, pos + length


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
        except IncompleteHeader:
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
# Writing (Generic T2, HydraHarp T3 v2, chunk by chunk) lives in g2live.io._ptu_write.


def write(path: str | os.PathLike[str], data: PhotonData, tcspc_bin_ps: int | None = None) -> None:
    """Write PTU: Generic T2 records at 1 ps, or HydraHarp T3 v2 records for T3 data."""
    from g2live.io._ptu_write import write as _write

    _write(path, data, tcspc_bin_ps=tcspc_bin_ps)
