"""PicoQuant legacy TTTR files: HydraHarp .ht3/.ht2 (format 1.0 and 2.0), PicoHarp .pt3/.pt2 (2.0).

Fixed binary headers (little-endian, packed) followed by the same 32-bit records as PTU, decoded
by ``_picoquant``. Layouts (PicoQuant file format documentation, v1.0/2.0):

* common text block, 328 bytes: Ident[16] FormatVersion[6] CreatorName[18] CreatorVersion[12]
  FileTime[18] CRLF[2] Comment[256]
* HydraHarp: NumberOfCurves BitsPerRecord ActiveCurve MeasurementMode SubMode Binning (int32),
  Resolution (float64, ps), 10 display int32, 8x2 curve int32, 3x3 float32 params, 4 repeat
  int32, ScriptName[20], HardwareIdent[16] HardwarePartNo[8] HardwareSerial NumberOfModules,
  10x2 module int32, BaseResolution (float64, ps), InputsEnabled (int64), InputChanCount
  RefClockSource ExtDevices MarkerSettings SyncDivider SyncCFDLevel SyncCFDZeroCross SyncOffset,
  InputChanCount x 4 int32 (module, CFD level, CFD zero cross, offset), InputChanCount x
  InputRate, SyncRate StopAfter StopReason ImgHdrSize (int32), NumRecords (int64), ImgHdr.
* PicoHarp: Curves BitsPerRecord RoutingChannels NumberOfBoards ActiveCurve MeasurementMode
  SubMode RangeNo Offset AcquisitionTime StopAt StopOnOvfl Restart + 5 display int32, 8x2 curve
  int32, 3x3 float32, 4 repeat int32, ScriptName[20]; per board: HardwareIdent[16]
  HardwareVersion[8] HardwareSerial SyncDivider CFDZeroCross0 CFDLevel0 CFDZeroCross1 CFDLevel1
  Resolution (float32, ns) RouterModelCode RouterEnabled + 4 router channels x 6 int32; then
  ExtDevices Reserved1 Reserved2 CntRate0 CntRate1 StopAfter StopReason Records ImgHdrSize,
  ImgHdr.

Sync period: HT3 uses 1e12 / SyncRate ps (SyncRate is an integer in Hz, as the vendor's demo code
does); PT3 has no SyncRate and uses the measured count rate of the sync input, CntRate0 (also
what the vendor code does; it is only as exact as that rate meter).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path

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
from g2live.io._records import no_markers
from g2live.photons import Meta, PhotonData

TEXT = struct.Struct("<16s6s18s12s18s2s256s")  # 328 bytes
HH_MAIN = struct.Struct("<6id10i16i9f4i20s16s8s2i20idq8i")  # up to and including SyncOffset
PH_MAIN = struct.Struct("<18i16i9f4i20s")
PH_BOARD = struct.Struct("<16s8s6if2i24i")
PH_TTTR = struct.Struct("<9i")
HH_TAIL = struct.Struct("<4iq")


def _text(b: bytes) -> str:
    return b.split(b"\x00", 1)[0].decode("latin-1").strip()


def _unpack(path: Path, st: struct.Struct, data: bytes, offset: int, what: str) -> tuple:
    if offset + st.size > len(data):
        raise FormatError(path, len(data), f"file ends inside the {what} ({offset + st.size} bytes needed)")
    return st.unpack_from(data, offset)


def _hydraharp(path: Path, data: bytes, text: tuple, size: int, allow_truncated: bool) -> PqLayout:
    version = _text(text[1])
    v = _unpack(path, HH_MAIN, data, TEXT.size, "HydraHarp header")
    bits, mode, resolution_ps = v[1], v[3], v[6]
    n_inputs = v[-8]
    base_res_ps = v[-10]
    sync_divider = v[-4]
    if bits != 32:
        raise FormatError(path, TEXT.size + 4, f"BitsPerRecord is {bits}, expected 32")
    if mode not in (2, 3):
        raise FormatError(
            path, TEXT.size + 12, f"MeasurementMode is {mode}; only T2 (2) and T3 (3) hold records"
        )
    if not 0 < n_inputs <= 64:
        raise FormatError(
            path, TEXT.size + HH_MAIN.size - 32, f"InputChanCount is {n_inputs}, expected 1..64"
        )
    pos = TEXT.size + HH_MAIN.size + 16 * n_inputs
    rates_pos = pos
    input_rates = (
        [struct.unpack_from("<i", data, rates_pos + 4 * i)[0] for i in range(n_inputs)]
        if (rates_pos + 4 * n_inputs <= len(data))
        else []
    )
    pos += 4 * n_inputs
    sync_rate, stop_after, stop_reason, img_size, n_records = _unpack(path, HH_TAIL, data, pos, "TTTR header")
    if img_size < 0 or n_records < 0:
        raise FormatError(
            path, pos + 12, f"corrupted TTTR header: ImgHdrSize {img_size}, NumRecords {n_records}"
        )
    data_offset = pos + HH_TAIL.size + 4 * img_size
    if version not in ("1.0", "2.0"):
        raise FormatError(path, 16, f"HydraHarp format version {version!r}; 1.0 and 2.0 are known")
    code = {("1.0", 2): 0x00010204, ("1.0", 3): 0x00010304, ("2.0", 2): 0x01010204, ("2.0", 3): 0x01010304}
    rtype = RECORD_TYPES[code[version, mode]]
    meta = Meta(source=f"PicoQuant HydraHarp 400 T{mode}", format=f"HT{mode}")
    meta.acquisition_s = (stop_after or v[8]) * 1e-3
    if mode == 3:
        if sync_rate <= 0:
            raise FormatError(path, pos, f"SyncRate is {sync_rate}; a T3 file needs the sync rate")
        unit_ps: float | int = snap_unit_ps(1e12 / sync_rate)
        dtime_ps: float | int | None = snap_unit_ps(resolution_ps)
        meta.resolution_ps = float(dtime_ps)
        meta.sync_rate_hz = float(sync_rate)
    else:
        unit_ps = snap_unit_ps(base_res_ps)
        dtime_ps = None
        meta.resolution_ps = float(unit_ps)
    meta.extra = {
        **layout_extra(rtype, unit_ps, dtime_ps, data_offset),
        "format_version": version,
        "header_sync_rate_hz": sync_rate,
        "creator": f"{_text(text[2])} {_text(text[3])}",
        "file_time": _text(text[4]),
        "comment": _text(text[6]),
        "hardware": _text(v[47]),
        "sync_divider": sync_divider,
        "input_channels": n_inputs,
        "input_rates": input_rates,
        "stop_reason": stop_reason,
    }
    lay = PqLayout(
        path, rtype, data_offset, n_records, unit_ps, dtime_ps, meta, channel_count(rtype, n_inputs)
    )
    return check_records(lay, size, allow_truncated)


def _picoharp(path: Path, data: bytes, text: tuple, size: int, allow_truncated: bool) -> PqLayout:
    version = _text(text[1])
    v = _unpack(path, PH_MAIN, data, TEXT.size, "PicoHarp header")
    bits, boards, mode, acq_ms = v[1], v[3], v[5], v[9]
    if bits != 32:
        raise FormatError(path, TEXT.size + 4, f"BitsPerRecord is {bits}, expected 32")
    if mode not in (2, 3):
        raise FormatError(
            path, TEXT.size + 20, f"MeasurementMode is {mode}; only T2 (2) and T3 (3) hold records"
        )
    if not 1 <= boards <= 4:
        raise FormatError(path, TEXT.size + 12, f"NumberOfBoards is {boards}, expected 1..4")
    pos = TEXT.size + PH_MAIN.size
    board = _unpack(path, PH_BOARD, data, pos, "board header")
    resolution_ns = board[8]
    pos += PH_BOARD.size * boards
    t = _unpack(path, PH_TTTR, data, pos, "TTTR header")
    cnt_rate0, stop_after, stop_reason, n_records, img_size = t[3], t[5], t[6], t[7], t[8]
    if img_size < 0 or n_records < 0:
        raise FormatError(
            path, pos + 28, f"corrupted TTTR header: Records {n_records}, ImgHdrSize {img_size}"
        )
    data_offset = pos + PH_TTTR.size + 4 * img_size
    rtype = RECORD_TYPES[0x00010303 if mode == 3 else 0x00010203]
    meta = Meta(source=f"PicoQuant PicoHarp 300 T{mode}", format=f"PT{mode}")
    meta.acquisition_s = (stop_after or acq_ms) * 1e-3
    if mode == 3:
        if cnt_rate0 <= 0:
            raise FormatError(path, pos + 12, f"CntRate0 (sync rate) is {cnt_rate0}; a T3 file needs it")
        unit_ps: float | int = snap_unit_ps(1e12 / cnt_rate0)
        if not resolution_ns > 0:
            raise FormatError(path, TEXT.size + PH_MAIN.size + 48, f"Resolution is {resolution_ns!r} ns")
        dtime_ps: float | int | None = snap_unit_ps(float(resolution_ns) * 1e3)
        meta.resolution_ps = float(dtime_ps)
        meta.sync_rate_hz = float(cnt_rate0)
        meta.notes.append("PT3 sync period taken from the measured sync count rate CntRate0")
    else:
        unit_ps = 4  # PicoHarp 300 T2 time tags are 4 ps units
        dtime_ps = None
        meta.resolution_ps = 4.0
    meta.extra = {
        **layout_extra(rtype, unit_ps, dtime_ps, data_offset),
        "format_version": version,
        "creator": f"{_text(text[2])} {_text(text[3])}",
        "file_time": _text(text[4]),
        "comment": _text(text[6]),
        "hardware": _text(board[0]),
        "sync_divider": board[3],
        "count_rates": [t[3], t[4]],
        "stop_reason": stop_reason,
    }
    lay = PqLayout(
        path, rtype, data_offset, n_records, unit_ps, dtime_ps, meta, channel_count(rtype, None)
    )
    return check_records(lay, size, allow_truncated)


def layout(path: str | os.PathLike[str], allow_truncated: bool = False) -> PqLayout:
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        data = fh.read(min(size, 1 << 16))  # the fixed headers end well before 64 KiB
    text = _unpack(path, TEXT, data, 0, "file identification block")
    ident = _text(text[0])
    builders = {"HydraHarp": _hydraharp, "PicoHarp 300": _picoharp}
    if ident not in builders:
        raise FormatError(path, 0, f"not a PicoQuant legacy TTTR file: identifier {text[0][:16]!r}")
    try:
        lay = builders[ident](path, data, text, size, allow_truncated)
    except FormatError:
        raise
    except ValueError as exc:  # e.g. a resolution of 0 or NaN
        raise FormatError(path, None, f"{ident} header values are not usable: {exc}") from None
    return lay


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
