# SPDX-License-Identifier: BSD-3-Clause
"""Photon time-tag files in and out: every reader returns ``g2live.photons.PhotonData``.

``read(path)`` picks the reader from the file's magic bytes (extension only where a format has
no magic: .spc, .dump, .ttbin), ``iter_chunks`` replays a file in pieces (same events, same order
as ``read``), ``read_with_markers`` / ``iter_chunks_with_markers`` also return the marker records
(PicoQuant special records 1..15, SPC MARK) apart from the photons, as ``MARKER_DTYPE`` arrays,
``write`` produces Photon-HDF5, g2live .npz or PTU (T2, or T3 for T3 data), ``open_writer`` writes
the same formats chunk by chunk (bounded memory), ``info`` summarises a file (streaming), and
``g2live.io.follow.follow_chunks`` reads a file another program is still writing
(docs/formats.md "Following a growing file").
T3 data always come with ``meta.sync_period_ps`` (``g2live.photons`` has the rule).
Bad input raises ``FormatError`` (a ``ValueError``) that names the file and the byte offset.
Records are decoded by the C core (cext/src/g2l_records.c). Channel numbering, time conversion
and markers are documented in docs/formats.md.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from g2live.io._common import SYNC_CHANNEL, FormatError
from g2live.io._records import MARKER_DTYPE, no_markers
from g2live.photons import Meta, PhotonData

__all__ = [
    "FORMATS",
    "MARKER_DTYPE",
    "SYNC_CHANNEL",
    "BatchedWriter",
    "FormatError",
    "Writer",
    "detect_format",
    "info",
    "iter_chunks",
    "iter_chunks_with_markers",
    "open_writer",
    "output_format",
    "read",
    "read_with_markers",
    "whole_meta",
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
    "swabian": ("swabian", "Swabian Time Tagger 16-byte tag dump (.dump, as ETA reads it)", False),
    "ttbin": ("ttbin", "Swabian Time Tagger .ttbin (through Swabian's TimeTagger library)", False),
}
_WRITE_EXT = {
    ".h5": "photon-hdf5",
    ".hdf5": "photon-hdf5",
    ".hdf": "photon-hdf5",
    ".npz": "npz",
    ".ptu": "ptu",
}


# formats without magic bytes, told by their extension
_NO_MAGIC = {".dump": "swabian", ".ttbin": "ttbin"}

# writable format -> module with open_writer(path, meta, t3, **options)
_WRITERS = {"ptu": "_ptu_write", "photon-hdf5": "photon_hdf5", "npz": "npz"}


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
    if not head:
        raise FormatError(path, 0, "empty file (0 bytes)")
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
    if path.suffix.lower() in _NO_MAGIC:  # headerless or undocumented: the extension decides
        return _NO_MAGIC[path.suffix.lower()]
    raise FormatError(
        path, 0, f"unknown file format (first bytes {head[:8].hex()}, extension {path.suffix!r})"
    )


def _checked_format(path: str | os.PathLike[str], format: str | None) -> str:
    """``format``, or the detected one; a file whose first bytes say it is another format is refused."""
    if format is None:
        return detect_format(path)
    _module(format)  # a known name
    try:
        found = detect_format(path)
    except FormatError:
        return format  # no magic to contradict it (e.g. .spc): the reader decides
    if found != format:
        raise FormatError(path, 0, f"the file is {FORMATS[found][1]} ({found}), not {format}")
    return format


def read(path: str | os.PathLike[str], format: str | None = None, **options: Any) -> PhotonData:
    """Read a whole file. ``options`` go to the format's reader (e.g. ``allow_truncated=True``).

    ``format`` skips detection, but a file whose first bytes name another format is refused.
    """
    fmt = _checked_format(path, format)
    reader = _module(fmt).read
    _check_options(reader, fmt, options)
    return with_sync_period(reader(path, **options))


def with_sync_period(data: PhotonData) -> PhotonData:
    """Give T3 data the sync period their times were derived with (``meta.sync_period_ps``)."""
    meta = data.meta
    if data.is_t3 and meta.sync_period_ps is None:
        from g2live.io._common import snap_unit_ps

        period = meta.extra.get("tick_ps") or meta.extra.get("macro_period_ps")
        if period is None and meta.sync_rate_hz:
            period = snap_unit_ps(1e12 / float(meta.sync_rate_hz))
        meta.sync_period_ps = period
    return data


def read_with_markers(
    path: str | os.PathLike[str], format: str | None = None, **options: Any
) -> tuple[PhotonData, np.ndarray]:
    """``read`` plus the file's marker records, one decode pass: a ``MARKER_DTYPE`` array of
    (record index in the file, time_ps, marker bits), in file order. Formats without markers
    (quTAG, Photon-HDF5, npz) give an empty array."""
    fmt = _checked_format(path, format)
    module = _module(fmt)
    if not hasattr(module, "read_with_markers"):
        return read(path, format=fmt, **options), no_markers()
    _check_options(module.read_with_markers, fmt, options)
    data, markers = module.read_with_markers(path, **options)
    return with_sync_period(data), markers


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
    fmt = _checked_format(path, format)
    func = _module(fmt).iter_chunks
    _check_options(func, fmt, options)
    for chunk in func(path, chunk_records=chunk_records, **options):
        yield with_sync_period(chunk)


def iter_chunks_with_markers(
    path: str | os.PathLike[str], chunk_records: int = 1 << 20, format: str | None = None, **options: Any
) -> Iterator[tuple[PhotonData, np.ndarray]]:
    """``iter_chunks`` with the markers of each chunk's records (empty for formats without)."""
    fmt = _checked_format(path, format)
    module = _module(fmt)
    if not hasattr(module, "iter_chunks_with_markers"):
        for data in iter_chunks(path, chunk_records, format=fmt, **options):
            yield data, no_markers()
        return
    _check_options(module.iter_chunks_with_markers, fmt, options)
    for data, markers in module.iter_chunks_with_markers(path, chunk_records=chunk_records, **options):
        yield with_sync_period(data), markers




class Writer(Protocol):
    """What ``open_writer`` returns: ``append`` chunks in stream order, then ``close``."""

    count: int  # events written so far

    def append(self, data: PhotonData) -> None: ...

    def close(self, acquisition_s: float | None = None, meta: Meta | None = None) -> None: ...


def output_format(path: str | os.PathLike[str], format: str | None = None) -> str:
    """The writable format of ``path`` (from its extension unless ``format`` is given), checked."""
    fmt = format or _WRITE_EXT.get(Path(path).suffix.lower())
    if fmt is None:
        raise ValueError(
            f"cannot tell the output format from {str(path)!r}; use .h5, .npz or .ptu or pass format="
        )
    if not FORMATS.get(fmt, ("", "", False))[2]:
        raise ValueError(
            f"writing {fmt!r} is not supported; writable: " + ", ".join(k for k, v in FORMATS.items() if v[2])
        )
    return fmt


class BatchedWriter:
    """Collects small chunks into batches of about ``batch_events`` before handing them to
    ``writer``: one Photon-HDF5 append (resize, write, flush, commit) per batch instead of per
    chunk. Memory: one batch. For files written in one go (simulate, convert), not for crash-safe
    recording, where every chunk must be committed as it comes."""

    def __init__(self, writer: Writer, batch_events: int = 1 << 21) -> None:
        self.writer = writer
        self.batch_events = batch_events
        self._parts: list[PhotonData] = []
        self._n = 0

    @property
    def count(self) -> int:
        return self.writer.count + self._n

    @property
    def notes(self) -> list[str]:
        return list(getattr(self.writer, "notes", []))

    def append(self, data: PhotonData) -> None:
        if len(data) or (data.markers is not None and len(data.markers)):
            self._parts.append(data)
            self._n += len(data)
        if self._n >= self.batch_events:
            self.flush()

    def flush(self) -> None:
        """Hand the collected chunks to the writer as one."""
        if not self._parts:
            return
        parts, self._parts, self._n = self._parts, [], 0
        self.writer.append(parts[0] if len(parts) == 1 else _concat(parts))

    def close(self, acquisition_s: float | None = None, meta: Meta | None = None) -> None:
        try:
            self.flush()
        finally:
            self.writer.close(acquisition_s=acquisition_s, meta=meta)


def _concat(parts: list[PhotonData]) -> PhotonData:
    import numpy as np

    def cat(name: str) -> Any:
        arrays = [getattr(p, name) for p in parts]
        return None if arrays[0] is None else np.concatenate(arrays)

    marks = [p.markers for p in parts if p.markers is not None]
    return PhotonData(cat("channel"), cat("time_ps"), parts[-1].meta, cat("sync_index"), cat("microtime_ps"),
                      np.concatenate(marks) if marks else None)


def open_writer(
    path: str | os.PathLike[str], meta: Meta, t3: bool = False, format: str | None = None,
    batch_events: int = 0, **options: Any
) -> Writer:
    """A writer that takes a recording chunk by chunk in bounded memory (Photon-HDF5, npz, PTU).

    Parameters
    ----------
    path : path-like
        Output file; the format comes from its extension unless ``format`` is given.
    meta : Meta
        The recording's metadata (``close(meta=...)`` may replace it with the final one).
    t3 : bool, optional
        Chunks are T3 (``sync_index``, ``microtime_ps``, ``meta.sync_period_ps``).
    batch_events : int, optional
        Collect chunks into batches of this many events before writing (``BatchedWriter``);
        0 writes every chunk as it comes (crash-safe recording).
    **options
        Format options (Photon-HDF5: ``compression``, ``source_file``...; PTU: ``tcspc_bin_ps``).
    """
    import importlib

    fmt = output_format(path, format)
    module = importlib.import_module(f"g2live.io.{_WRITERS[fmt]}")
    _check_options(module.open_writer, fmt, options)
    writer = module.open_writer(path, meta, t3=t3, **options)
    return BatchedWriter(writer, batch_events) if batch_events > 0 else writer


def write(path: str | os.PathLike[str], data: PhotonData, format: str | None = None, **options: Any) -> None:
    """Write a whole recording (T3 data in the T3 layout of the format)."""
    writer = open_writer(path, data.meta, t3=data.is_t3, format=format, **options)
    try:
        writer.append(data)
    finally:
        writer.close()


def whole_meta(last: Meta, fmt: str, roles: dict[int, str], span: tuple[int, int] | None) -> Meta:
    """The Meta ``read`` gives, from a streamed file: the last chunk's (its counters are the
    file's), with the channel roles of all chunks and, for PicoQuant files, the header's
    acquisition time dropped when the events do not fit it (as ``read`` does)."""
    import copy

    meta = copy.deepcopy(last)
    meta.extra.pop("chunk_records", None)
    meta.channel_roles = dict(sorted(roles.items()))
    if fmt in ("ptu", "legacy") and span is not None:
        from g2live.io._picoquant import check_span

        check_span(meta, int(span[1]) - int(span[0]))
    return meta


def info(
    path: str | os.PathLike[str], format: str | None = None, progress: Any = None, **options: Any
) -> dict[str, Any]:
    """Summary of a file (keys documented in docs/formats.md), read chunk by chunk;
    ``progress(n_events)`` is called after every chunk."""
    path = Path(path)
    fmt = _checked_format(path, format)
    counts = np.zeros(256, np.int64)
    first = last = None
    t3 = False
    meta = Meta()
    roles: dict[int, str] = {}
    for chunk in iter_chunks(path, format=fmt, **options):  # bounded memory, whatever the size
        meta, t3 = chunk.meta, chunk.is_t3
        roles.update(meta.channel_roles)
        if progress is not None:
            progress(len(chunk))
        if len(chunk):
            counts += np.bincount(chunk.channel, minlength=256)
            first = int(chunk.time_ps[0]) if first is None else first
            last = int(chunk.time_ps[-1])
    n = int(counts.sum())
    span = float(last - first) * 1e-12 if n > 1 and first is not None and last is not None else 0.0
    known = n > 1 and first is not None and last is not None
    meta = whole_meta(meta, fmt, roles, (first, last) if known else None)
    return {
        "file": str(path),
        "size_bytes": path.stat().st_size,
        "format": fmt,
        "format_detail": meta.format,
        "instrument": meta.source,
        "mode": "T3" if t3 else "T2",
        "record_type": meta.extra.get("record_type"),
        "records": int(meta.extra.get("records", n)),
        "photons": n,
        "photons_per_channel": {str(c): int(counts[c]) for c in np.flatnonzero(counts)},
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
