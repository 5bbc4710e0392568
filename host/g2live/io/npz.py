# SPDX-License-Identifier: BSD-3-Clause
"""g2live's simple .npz: arrays ``channel`` (uint8), ``time_ps`` (int64), and for T3 data
``sync_index`` and ``microtime_ps`` (int64), ``meta`` (a 0-d unicode array holding the Meta as JSON)
and ``format``. T3 files written since the T3 layout omit ``time_ps``: it follows from the other
two and ``meta.sync_period_ps`` (``g2live.photons``); files that hold it are read as they are.

Lossless: reading a written file gives bit-identical arrays and an equal Meta. No pickles.
Writing and chunked reading stream: ``NpzWriter`` spools each array to a temporary file next to
the output and deflates it into the zip at ``close``; ``iter_chunks`` inflates the members a
chunk at a time. Memory stays bounded whatever the size.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from g2live.io._common import (
    FormatError,
    check_container,
    chunk_ranges,
    meta_from_json,
    meta_to_json,
    refuse_markers,
)
from g2live.photons import Meta, PhotonData, t3_time_ps

FORMAT_TAG = "g2live-npz-1"
_DTYPES = {"channel": np.uint8, "time_ps": np.int64, "sync_index": np.int64, "microtime_ps": np.int64}
_COPY_BYTES = 1 << 22


def _npy_header(dtype: np.dtype, n: int) -> bytes:
    """The .npy version 1.0 header of a 1-D little-endian array of ``n`` items."""
    head = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype).newbyteorder("<")),
            "fortran_order": False, "shape": (n,)}
    text = repr(head).encode("latin1")
    pad = 64 - (10 + len(text) + 1) % 64
    text += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text


class NpzWriter:
    """Write a g2live .npz chunk by chunk (``append`` in stream order, then ``close``)."""

    def __init__(
        self, path: str | os.PathLike[str], meta: Meta, t3: bool = False, compress: bool = True
    ) -> None:
        self.path = Path(path)
        self.meta = meta
        self.t3 = t3
        self.compress = compress
        self.count = 0
        self._last: tuple[int, int] | None = None
        self._names = ["channel", "sync_index", "microtime_ps"] if t3 else ["channel", "time_ps"]
        self._dir = tempfile.TemporaryDirectory(prefix=f".{self.path.name}.", dir=self.path.parent)
        self._spool: dict[str, IO[bytes]] = {
            name: open(Path(self._dir.name) / name, "wb") for name in self._names
        }

    def append(self, data: PhotonData) -> None:
        """Add one chunk (it must continue the stream order of the previous ones)."""
        if self._dir is None:
            raise ValueError(f"{self.path}: writer is closed")
        refuse_markers(data, "npz")
        if not len(data):
            return
        if self.t3 and not data.is_t3:
            raise ValueError("a T3 .npz writer needs sync_index and microtime_ps in every chunk")
        head = (int(data.time_ps[0]), int(data.channel[0]))
        if self._last is not None and head < self._last:
            raise ValueError(
                f"chunk starts at {head[0]} ps, before the last written event at {self._last[0]} ps"
            )
        for name in self._names:
            np.ascontiguousarray(getattr(data, name), _DTYPES[name]).astype(
                np.dtype(_DTYPES[name]).newbyteorder("<"), copy=False).tofile(self._spool[name])
        self._last = (int(data.time_ps[-1]), int(data.channel[-1]))
        self.count += len(data)

    def close(self, acquisition_s: float | None = None, meta: Meta | None = None) -> None:
        """Write the zip (the spooled arrays, ``meta`` or the Meta given at the start)."""
        if self._dir is None:
            return
        meta = meta or self.meta
        if acquisition_s is not None:
            meta.acquisition_s = float(acquisition_s)
        method = zipfile.ZIP_DEFLATED if self.compress else zipfile.ZIP_STORED
        try:
            for fh in self._spool.values():
                fh.close()
            with zipfile.ZipFile(self.path, "w", compression=method, allowZip64=True) as z:
                for name in self._names:
                    self._member(z, name)
                for name, value in (("meta", meta_to_json(meta)), ("format", FORMAT_TAG)):
                    with z.open(f"{name}.npy", "w", force_zip64=True) as out:
                        np.lib.format.write_array(out, np.array(value), allow_pickle=False)
        finally:
            self._dir.cleanup()
            self._dir = None

    def _member(self, z: zipfile.ZipFile, name: str) -> None:
        src = Path(self._dir.name) / name  # type: ignore[union-attr]
        dtype = np.dtype(_DTYPES[name])
        with z.open(f"{name}.npy", "w", force_zip64=True) as out, open(src, "rb") as fh:
            out.write(_npy_header(dtype, src.stat().st_size // dtype.itemsize))
            while block := fh.read(_COPY_BYTES):
                out.write(block)

    def __enter__(self) -> NpzWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_writer(
    path: str | os.PathLike[str], meta: Meta, t3: bool = False, compress: bool = True
) -> NpzWriter:
    """A .npz writer for chunks (``append``, ``close(meta=...)``)."""
    return NpzWriter(path, meta, t3=t3, compress=compress)


def write(path: str | os.PathLike[str], data: PhotonData, compress: bool = True) -> None:
    with NpzWriter(path, data.meta, t3=data.is_t3, compress=compress) as w:
        w.append(data)


class _Members:
    """The members of a g2live .npz, each readable a slice at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise FormatError(path, None, f"not a readable .npz (zip) file: {exc}") from None
        self.names = {n[:-4] for n in self.zip.namelist() if n.endswith(".npy")}
        missing = {"channel", "meta"} - self.names
        if "time_ps" not in self.names and not {"sync_index", "microtime_ps"} <= self.names:
            missing.add("time_ps")
        if missing:
            self.zip.close()
            raise FormatError(path, None, f"not a g2live .npz: missing {sorted(missing)}")
        self.meta = meta_from_json(str(self._small("meta")), path)
        self.streams: dict[str, tuple[IO[bytes], np.dtype]] = {}
        self.n = -1
        for name in _DTYPES:
            if name in self.names:
                self._open(name)

    def _small(self, name: str) -> np.ndarray:
        try:
            with self.zip.open(f"{name}.npy") as fh:
                return np.lib.format.read_array(fh, allow_pickle=False)
        except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
            raise FormatError(self.path, None, f"unreadable array {name} in .npz: {exc}") from None

    def _open(self, name: str) -> None:
        try:
            fh = self.zip.open(f"{name}.npy")
            version = np.lib.format.read_magic(fh)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0}.get(
                version, np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(fh, max_header_size=1 << 16)
        except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
            raise FormatError(self.path, None, f"unreadable array {name} in .npz: {exc}") from None
        if dtype != _DTYPES[name] or len(shape) != 1 or fortran or dtype.hasobject:
            raise FormatError(
                self.path, None, f"array {name} is {dtype}{shape}, expected 1-D {_DTYPES[name].__name__}"
            )
        if self.n >= 0 and shape[0] != self.n:
            raise FormatError(self.path, None, f"array {name} has {shape[0]} rows, the others {self.n}")
        self.n = int(shape[0])
        self.streams[name] = (fh, dtype)

    def read(self, name: str, count: int) -> np.ndarray | None:
        if name not in self.streams:
            return None
        fh, dtype = self.streams[name]
        try:
            raw = fh.read(count * dtype.itemsize)
        except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
            raise FormatError(self.path, None, f"array {name} in .npz is not readable: {exc}") from None
        if len(raw) != count * dtype.itemsize:
            raise FormatError(self.path, None, f"array {name} in .npz ends early")
        return np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="), copy=False)

    def close(self) -> None:
        for fh, _ in self.streams.values():
            fh.close()
        self.zip.close()


def _chunk(m: _Members, count: int, a: int, before: int | None, origin: int | None) -> PhotonData:
    arrays = {name: m.read(name, count) for name in _DTYPES}
    sync, micro = arrays["sync_index"], arrays["microtime_ps"]
    t = arrays["time_ps"]
    if t is None:
        if sync is None or micro is None or not m.meta.sync_period_ps:
            raise FormatError(m.path, None, "T3 .npz without time_ps needs sync_index, microtime_ps and "
                              "meta.sync_period_ps")
        t = t3_time_ps(sync, micro, m.meta.sync_period_ps)
    try:
        data = PhotonData(arrays["channel"], t, m.meta, sync, micro)
    except ValueError as exc:
        raise FormatError(m.path, None, str(exc)) from None
    check_container(m.path, data, a, m.meta.acquisition_s, before, origin)
    return data


def read(path: str | os.PathLike[str]) -> PhotonData:
    m = _Members(Path(path))
    try:
        return _chunk(m, m.n, 0, None, None)
    finally:
        m.close()


def iter_chunks(path: str | os.PathLike[str], chunk_records: int = 1 << 20) -> Iterator[PhotonData]:
    m = _Members(Path(path))
    before = origin = None
    try:
        for a, b in chunk_ranges(m.n, chunk_records):
            data = _chunk(m, b - a, a, before, origin)
            if len(data):
                before = int(data.time_ps[-1])
                origin = int(data.time_ps[0]) if origin is None else origin
            yield data
    finally:
        m.close()


def meta_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The stored Meta of a g2live .npz as plain JSON (no arrays read)."""
    m = _Members(Path(path))
    try:
        return json.loads(meta_to_json(m.meta))
    finally:
        m.close()
