"""Photon time-tag files in and out: every reader returns ``g2live.photons.PhotonData``.

``read(path)`` picks the reader from the file's magic bytes (extension only where a format has
no magic: .spc), ``iter_chunks`` replays a file in pieces (same events, same order as ``read``),
``read_with_markers`` / ``iter_chunks_with_markers`` also return the marker records (PicoQuant
special records 1..15, SPC MARK) apart from the photons, as ``MARKER_DTYPE`` arrays,
``write`` produces Photon-HDF5, g2live .npz or PTU (Generic T2), ``info`` summarises a file.
Bad input raises ``FormatError`` (a ``ValueError``) that names the file and the byte offset.
Records are decoded by the C core (cext/src/g2l_records.c). Channel numbering, time conversion
and markers are documented in docs/formats.md.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from g2live.io._common import SYNC_CHANNEL, FormatError, channel_counts
from g2live.io._records import MARKER_DTYPE, no_markers
from g2live.photons import PhotonData

__all__ = [
    "FORMATS",
    "MARKER_DTYPE",
    "SYNC_CHANNEL",
    "FormatError",
    "detect_format",
    "info",
    "iter_chunks",
    "iter_chunks_with_markers",
    "read",
    "read_with_markers",
    "write",
]

# name -> (module, what it reads, writable)
FORMATS: dict[str, tuple[str, str, bool]] = {
    "ptu": ("ptu", "PicoQuant PTU T2/T3 (PicoHarp, HydraHarp, TimeHarp 260, MultiHarp, PicoHarp 330)", True),
    "legacy": ("legacy", "PicoQuant legacy .ht3/.ht2/.pt3/.pt2", False),
    "qutag": ("qutag", "qutools quTAG binary", False),
    "spc": ("spc", "Becker&Hickl SPC-130/132/134/150/830 .spc", False),
    "photon-hdf5": ("photon_hdf5", "Photon-HDF5 0.5", True),
    "npz": ("npz", "g2live .npz", True),
}
_WRITE_EXT = {
    ".h5": "photon-hdf5",
    ".hdf5": "photon-hdf5",
    ".hdf": "photon-hdf5",
    ".npz": "npz",
    ".ptu": "ptu",
}


def _module(fmt: str) -> Any:
    import importlib

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    return importlib.import_module(f"g2live.io.{FORMATS[fmt][0]}")


def detect_format(path: str | os.PathLike[str]) -> str:
    """Format name from the file's first bytes (the .spc extension for headerless BH files)."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(b"PQTTTR"):
        return "ptu"
    if head.startswith((b"PQHISTO", b"PQRES", b"PQDAT")):
        raise FormatError(
            path, 0, f"PicoQuant {head[:8].rstrip(bytes(1)).decode()} file holds histograms, not photons"
        )
    if head.startswith((b"HydraHarp", b"PicoHarp 300")):
        return "legacy"
    if head.startswith(bytes.fromhex("87b391fa")):
        return "qutag"
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "photon-hdf5"
    if head.startswith(b"PK\x03\x04"):
        return "npz"
    if path.suffix.lower() == ".spc":
        return "spc"
    raise FormatError(
        path, 0, f"unknown file format (first bytes {head[:8].hex()}, extension {path.suffix!r})"
    )


def read(path: str | os.PathLike[str], format: str | None = None, **options: Any) -> PhotonData:
    """Read a whole file. ``options`` go to the format's reader (e.g. ``allow_truncated=True``)."""
    fmt = format or detect_format(path)
    reader = _module(fmt).read
    _check_options(reader, fmt, options)
    return reader(path, **options)


def read_with_markers(
    path: str | os.PathLike[str], format: str | None = None, **options: Any
) -> tuple[PhotonData, np.ndarray]:
    """``read`` plus the file's marker records, one decode pass: a ``MARKER_DTYPE`` array of
    (record index in the file, time_ps, marker bits), in file order. Formats without markers
    (quTAG, Photon-HDF5, npz) give an empty array."""
    fmt = format or detect_format(path)
    module = _module(fmt)
    if not hasattr(module, "read_with_markers"):
        return read(path, format=fmt, **options), no_markers()
    _check_options(module.read_with_markers, fmt, options)
    return module.read_with_markers(path, **options)


@functools.lru_cache(maxsize=64)
def _parameters(func: Any) -> frozenset[str]:
    import inspect

    return frozenset(inspect.signature(func).parameters) - {"path"}


def _check_options(func: Any, fmt: str, options: dict[str, Any]) -> None:
    known = _parameters(func)
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(
            f"option(s) {', '.join(unknown)} do not apply to {fmt} files (known: {sorted(known)})"
        )


def iter_chunks(
    path: str | os.PathLike[str], chunk_records: int = 1 << 20, format: str | None = None, **options: Any
) -> Iterator[PhotonData]:
    """Replay a file in chunks of about ``chunk_records`` records; concatenated they equal ``read``."""
    fmt = format or detect_format(path)
    func = _module(fmt).iter_chunks
    _check_options(func, fmt, options)
    yield from func(path, chunk_records=chunk_records, **options)


def iter_chunks_with_markers(
    path: str | os.PathLike[str], chunk_records: int = 1 << 20, format: str | None = None, **options: Any
) -> Iterator[tuple[PhotonData, np.ndarray]]:
    """``iter_chunks`` with the markers of each chunk's records (empty for formats without)."""
    fmt = format or detect_format(path)
    module = _module(fmt)
    if not hasattr(module, "iter_chunks_with_markers"):
        for data in iter_chunks(path, chunk_records, format=fmt, **options):
            yield data, no_markers()
        return
    _check_options(module.iter_chunks_with_markers, fmt, options)
    yield from module.iter_chunks_with_markers(path, chunk_records=chunk_records, **options)


def write(path: str | os.PathLike[str], data: PhotonData, format: str | None = None, **options: Any) -> None:
    fmt = format or _WRITE_EXT.get(Path(path).suffix.lower())
    if fmt is None:
        raise ValueError(
            f"cannot tell the output format from {str(path)!r}; use .h5, .npz or .ptu or pass format="
        )
    if not FORMATS.get(fmt, ("", "", False))[2]:
        raise ValueError(
            f"writing {fmt!r} is not supported; writable: " + ", ".join(k for k, v in FORMATS.items() if v[2])
        )
    _module(fmt).write(path, data, **options)


def info(path: str | os.PathLike[str], format: str | None = None, **options: Any) -> dict[str, Any]:
    """Summary of a file (keys documented in docs/formats.md)."""
    path = Path(path)
    fmt = format or detect_format(path)
    data = read(path, format=fmt, **options)
    meta = data.meta
    span = float(data.time_ps[-1] - data.time_ps[0]) * 1e-12 if len(data) > 1 else 0.0
    return {
        "file": str(path),
        "size_bytes": path.stat().st_size,
        "format": fmt,
        "format_detail": meta.format,
        "instrument": meta.source,
        "mode": "T3" if data.sync_index is not None else "T2",
        "record_type": meta.extra.get("record_type"),
        "records": int(meta.extra.get("records", len(data))),
        "photons": len(data),
        "photons_per_channel": {str(c): n for c, n in channel_counts(data.channel).items()},
        "channel_roles": {str(c): r for c, r in meta.channel_roles.items()},
        "duration_s": span,
        "acquisition_s": meta.acquisition_s,
        "resolution_ps": meta.resolution_ps,
        "sync_rate_hz": meta.sync_rate_hz,
        "sync_channel": meta.sync_channel,
        "overflow_records": meta.extra.get("overflow_records"),
        "marker_records": meta.extra.get("marker_records"),
        "invalid_records": meta.extra.get("invalid_records"),
        "notes": list(meta.notes),
    }
