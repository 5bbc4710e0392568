# SPDX-License-Identifier: BSD-3-Clause
"""Photon-HDF5 (photon-hdf5.github.io, format version 0.5) reading and writing with h5py.

What g2live writes, per the spec: ``/photon_data/detectors`` (uint8 = g2live channel),
``measurement_type`` "generic", ``/setup``, ``/identity``, ``/provenance``, and under ``/user/g2live``
what the spec has no field for: the full Meta as JSON (``meta``), the recording state
(``committed_records``, ``complete``) and the marker events (``markers/marker`` uint8 and
``markers/time_ps`` int64 ps, time ordered: the device's marker inputs, read back by
``read_with_markers``). Every spec field carries its official description as the
TITLE attribute. Times:

* T2: ``/photon_data/timestamps`` int64 ``time_ps``, ``timestamps_unit`` 1e-12 s.
* T3 (what TCSPC writers do): ``timestamps`` int64 = ``sync_index`` (the laser period),
  ``timestamps_unit`` = the sync period in s; ``nanotimes`` uint32 = ``microtime_ps`` in TCSPC bins
  with ``nanotimes_specs`` (``tcspc_unit`` = the bin in s, ``tcspc_num_bins``, ``tcspc_range``).
  The bin is the data's resolution when that is a whole number of ps, else 1 ps. ``time_ps`` is
  rebuilt by the T3 rule of ``g2live.photons`` with the exact period kept in the Meta
  (``sync_period_ps``), so the round trip is bit-identical. Files of the earlier g2live layout
  (ps timestamps plus ``/user/g2live/sync_index``) are still read.

``Recorder`` writes while acquiring: chunked, gzip-compressed, appendable datasets in HDF5 SWMR
mode. After every appended chunk all rows are written and the file flushed first; only then is
``committed_records`` updated and flushed. Readers read that count first and the extents after it
(a reader that did the opposite raced a running writer), so they never trust rows the writer had not
finished. A recording whose process is killed mid-write (kill -9, crash) stays readable up to its last
committed chunk; power loss is not covered (nothing is fsync'ed). See docs/formats.md.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from g2live.io._common import (
    MAX_TIME_PS,
    FormatError,
    check_container,
    chunk_ranges,
    meta_from_json,
    meta_to_json,
)
from g2live.photons import Meta, PhotonData

FORMAT_VERSION = "0.5"
FORMAT_URL = "http://photon-hdf5.org/"

# Official field descriptions (Photon-HDF5 0.5 specification); validators compare TITLEs to them.
_TITLES = {
    "/": "A file format for photon-counting detector based single-molecule spectroscopy experiments.",
    "/acquisition_duration": "Measurement duration in seconds.",
    "/description": "A user-defined comment describing the data file.",
    "/format_name": "Name of the file format.",
    "/format_version": "Version for the Photon-HDF5 format.",
    "/photon_data": "Group containing arrays of photon-data.",
    "/photon_data/timestamps": "Array of photon timestamps. Units specified in timestamps_units "
    "(defined in timestamps_specs/).",
    "/photon_data/detectors": "Array of pixel IDs for each timestamp.",
    "/photon_data/nanotimes": "TCSPC photon arrival time (nanotimes). Units and other specifications "
    "are in nanotimes_specs group.",
    "/photon_data/timestamps_specs": "Specifications for timestamps.",
    "/photon_data/timestamps_specs/timestamps_unit": "Value of 1-unit timestamp-increment in seconds.",
    "/photon_data/nanotimes_specs": "Group for nanotime-specific data.",
    "/photon_data/nanotimes_specs/tcspc_unit": "Value of 1-unit nanotime-increment in seconds "
    "(TCSPC bin size).",
    "/photon_data/nanotimes_specs/tcspc_num_bins": "Number of TCSPC bins.",
    "/photon_data/nanotimes_specs/tcspc_range": "TCSPC full-scale range in seconds.",
    "/photon_data/measurement_specs": "Metadata necessary for interpretation of the particular type "
    "of measurement.",
    "/photon_data/measurement_specs/measurement_type": "Name of the measurement the data represents.",
    "/photon_data/measurement_specs/detectors_specs": "Mapping between the pixel IDs and the detection "
    "channels.",
    "/photon_data/measurement_specs/laser_repetition_rate": "Repetition rate of the pulsed excitation laser "
    "(in Hertz).",
    "/setup": "Information about the experimental setup.",
    "/setup/num_pixels": "Total number of detector pixels.",
    "/setup/num_spots": 'Number of excitation (or detection) "spots" in the sample.',
    "/setup/num_spectral_ch": "Number of distinct spectral bands which are acquired.",
    "/setup/num_polarization_ch": "Number of distinct polarization states which are acquired.",
    "/setup/num_split_ch": "Number of distinct detection channels detecting the same spectral band and "
    "polarization. This value is > 1 when using a non-polarizing beam splitter.",
    "/setup/modulated_excitation": "True (i.e. 1) if there is any form of excitation modulation of "
    "excitation wavelength (as in us-ALEX or PAX) or polarization. This field is also True for "
    "pulse-interleaved excitation (PIE) or ns-ALEX measurements.",
    "/setup/excitation_alternated": "New in version 0.5. Indicates whether each excitation source is "
    "alternated (True, or 1) or not alternated (False, or 0).",
    "/setup/lifetime": "True (i.e. 1) if the measurement includes a nanotimes array of photon arrival times "
    "with respect to a laser pulse (as in TCSPC measurements).",
    "/setup/excitation_cw": "For each excitation source, this field indicates whether excitation is "
    "continuous wave (CW), True (i.e. 1), or pulsed, False (i.e. 0).",
    "/setup/laser_repetition_rates": "Repetition rates in Hz for each laser. CW lasers have a value of 0.",
    "/identity": "Information about the Photon-HDF5 data file.",
    "/identity/creator": "Creator of the current Photon-HDF5 file.",
    "/identity/filename": "Original file name of the current Photon-HDF5 file (i.e. file name at "
    "creation time).",
    "/identity/creation_time": "Creation time of the current Photon-HDF5 file.",
    "/identity/software": "Name of the software used to create the current Photon-HDF5 file.",
    "/identity/software_version": "Version of the software used to create current the Photon-HDF5 file.",
    "/identity/format_name": "Name of the file format.",
    "/identity/format_version": "Version for the Photon-HDF5 format.",
    "/identity/format_url": "Official URL for the Photon-HDF5 format.",
    "/provenance": "Information about the original data file.",
    "/provenance/filename": "File name of the original data file before conversion to Photon-HDF5.",
    "/provenance/software": "Software used to save the original data file.",
}
_USER = "/user/g2live"


def _title(obj: h5py.HLObject, path: str) -> None:
    if path in _TITLES:
        obj.attrs["TITLE"] = np.bytes_(_TITLES[path])


def _put(f: h5py.File, path: str, value: Any) -> h5py.Dataset:
    is_str = isinstance(value, str)
    if is_str:
        value = np.bytes_(value.encode("utf-8"))
    ds = f.create_dataset(path, data=value)
    _title(ds, path)
    if is_str or np.ndim(value) == 0:
        # PyTables (which phconvert uses) returns Python scalars/bytes only for this flavour.
        ds.attrs["CLASS"] = np.bytes_(b"ARRAY")
        ds.attrs["FLAVOR"] = np.bytes_(b"python")
        ds.attrs["VERSION"] = np.bytes_(b"2.4")
    return ds


def _group(f: h5py.File, path: str) -> h5py.Group:
    g = f.require_group(path)
    _title(g, path)
    return g


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("g2live")
    except Exception:  # not installed as a distribution (source checkout)
        return "0.1.0"


def t3_period_ps(meta: Meta) -> float | int:
    """The exact sync period of T3 data: ``meta.sync_period_ps``, else 1e12 / ``sync_rate_hz``
    (a whole number of ps when it is one within 1e-6, as the readers do)."""
    from g2live.io._common import snap_unit_ps

    if meta.sync_period_ps:
        return snap_unit_ps(float(meta.sync_period_ps))
    if meta.sync_rate_hz:
        return snap_unit_ps(1e12 / float(meta.sync_rate_hz))
    raise ValueError("T3 data need a sync period: meta.sync_period_ps or meta.sync_rate_hz")


def tcspc_unit_ps(meta: Meta) -> int:
    """The nanotime bin g2live writes: the data's resolution when it is a whole number of ps."""
    r = float(meta.resolution_ps or 1.0)
    return int(r) if r.is_integer() and r >= 1 else 1


class Recorder:
    """Append photons to a Photon-HDF5 file while acquiring; see the module docstring.

    ``settings`` (device configuration, register values...) is stored in ``meta.extra["settings"]``
    and thus in the file before the first photon arrives. ``compression`` is the gzip level (1 by
    default: about 5 Mevents/s on one core of the reference machine; 0 = uncompressed for faster
    sources; see tests/bench/test_bench_io.py). ``t3=True`` writes the T3 layout (sync period in
    ``meta.sync_period_ps`` or ``meta.sync_rate_hz``). ``close(meta=...)`` replaces the stored
    Meta (e.g. final loss counters) and ``acquisition_duration``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        meta: Meta,
        t3: bool = False,
        chunk_records: int = 1 << 16,
        settings: dict[str, Any] | None = None,
        compression: int = 1,
        description: str = "",
        source_file: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.meta = meta
        if settings is not None:
            self.meta.extra = {**self.meta.extra, "settings": settings}
        self.t3 = t3
        self.count = 0
        self._last: tuple[int, int] | None = None
        self._first_ps: int | None = None
        if t3:
            self.period_ps = t3_period_ps(meta)
            self.meta.sync_period_ps = self.period_ps
            self.unit_ps = tcspc_unit_ps(meta)
            self._num_bins = max(1, int(np.ceil(self.period_ps / self.unit_ps)))
        f = h5py.File(self.path, "w", libver=("v110", "v110"))
        self._f = f
        try:
            self._layout(f, meta, chunk_records, compression, description, source_file)
        except BaseException:
            f.close()
            raise
        f.swmr_mode = True  # from here on readers may open the file at any time
        f.flush()

    def _layout(self, f: h5py.File, meta: Meta, chunk_records: int, compression: int,
                description: str, source_file: str | None) -> None:
        f.attrs["TITLE"] = np.bytes_(_TITLES["/"])
        f.attrs["format_name"] = np.bytes_(b"Photon-HDF5")
        f.attrs["format_version"] = np.bytes_(FORMAT_VERSION.encode())
        _put(f, "/description", description or f"g2live recording: {meta.source or 'photon data'}")
        self._duration = _put(f, "/acquisition_duration", float(meta.acquisition_s or 0.0))
        opts: dict[str, Any] = {"maxshape": (None,), "chunks": (chunk_records,)}
        if compression:  # gzip + shuffle: ~2.8 bytes/event; 0 writes raw int64 (9 bytes/event), faster
            opts.update(compression="gzip", compression_opts=compression, shuffle=True)
        self._photon_data(f, meta, opts)
        self._setup(f, meta)
        self._identity(f, meta, source_file)
        _group(f, "/user")
        g = f.create_group(_USER)
        self._meta_ds = g.create_dataset("meta", shape=(0,), dtype="u1", maxshape=(None,), chunks=(4096,))
        self._write_meta(meta)
        mk = g.create_group("markers")
        grow: dict[str, Any] = {"shape": (0,), "maxshape": (None,), "chunks": (4096,)}
        self._mk_marker = mk.create_dataset("marker", dtype="u1", **grow)
        self._mk_time = mk.create_dataset("time_ps", dtype="<i8", **grow)
        self.n_markers = 0
        self._committed = g.create_dataset("committed_records", data=np.int64(0))
        self._complete = g.create_dataset("complete", data=np.uint8(0))

    def _photon_data(self, f: h5py.File, meta: Meta, opts: dict[str, Any]) -> None:
        _group(f, "/photon_data")
        self._ts = f.create_dataset("/photon_data/timestamps", shape=(0,), dtype="<i8", **opts)
        _title(self._ts, "/photon_data/timestamps")
        self._det = f.create_dataset("/photon_data/detectors", shape=(0,), dtype="u1", **opts)
        _title(self._det, "/photon_data/detectors")
        _group(f, "/photon_data/timestamps_specs")
        unit_s = self.period_ps * 1e-12 if self.t3 else 1e-12
        _put(f, "/photon_data/timestamps_specs/timestamps_unit", unit_s)
        _group(f, "/photon_data/measurement_specs")
        _put(f, "/photon_data/measurement_specs/measurement_type", "generic")
        _group(f, "/photon_data/measurement_specs/detectors_specs")
        if meta.sync_rate_hz:
            _put(f, "/photon_data/measurement_specs/laser_repetition_rate", float(meta.sync_rate_hz))
        self._nano = None
        if self.t3:
            self._nano = f.create_dataset("/photon_data/nanotimes", shape=(0,), dtype="<u4", **opts)
            _title(self._nano, "/photon_data/nanotimes")
            _group(f, "/photon_data/nanotimes_specs")
            _put(f, "/photon_data/nanotimes_specs/tcspc_unit", self.unit_ps * 1e-12)
            self._bins_ds = _put(f, "/photon_data/nanotimes_specs/tcspc_num_bins", np.int64(self._num_bins))
            self._range_ds = _put(f, "/photon_data/nanotimes_specs/tcspc_range",
                                  self._num_bins * self.unit_ps * 1e-12)

    def _setup(self, f: h5py.File, meta: Meta) -> None:
        pulsed = bool(meta.sync_rate_hz)
        _group(f, "/setup")
        n_pixels = max(1, len(meta.channel_roles))
        for name, value in (
            ("num_pixels", n_pixels),
            ("num_spots", 1),
            ("num_spectral_ch", 1),
            ("num_polarization_ch", 1),
            ("num_split_ch", 1),
            ("modulated_excitation", False),
            ("lifetime", bool(self.t3)),
        ):
            _put(f, f"/setup/{name}", value)
        _put(f, "/setup/excitation_alternated", np.array([False]))
        _put(f, "/setup/excitation_cw", np.array([not pulsed]))
        if pulsed:
            _put(f, "/setup/laser_repetition_rates", np.array([float(meta.sync_rate_hz or 0)]))

    def _identity(self, f: h5py.File, meta: Meta, source_file: str | None) -> None:
        _group(f, "/identity")
        for name, value in (
            ("creator", "g2live"),
            ("filename", self.path.name),
            ("creation_time", _dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")),
            ("software", "g2live"),
            ("software_version", _version()),
            ("format_name", "Photon-HDF5"),
            ("format_version", FORMAT_VERSION),
            ("format_url", FORMAT_URL),
        ):
            _put(f, f"/identity/{name}", value)
        _group(f, "/provenance")
        if source_file:
            _put(f, "/provenance/filename", source_file)
        _put(f, "/provenance/software", meta.source or "g2live")

    def _write_meta(self, meta: Meta) -> None:
        blob = np.frombuffer(meta_to_json(meta).encode("utf-8"), np.uint8)
        self._meta_ds.resize((blob.size,))
        self._meta_ds[:] = blob
        self._meta_ds.flush()

    def _t3_rows(self, data: PhotonData) -> list[tuple[h5py.Dataset, np.ndarray]]:
        """Timestamps (sync index) and nanotimes (bins) of a T3 chunk, checked to give back its times."""
        from g2live.photons import t3_time_ps

        if data.sync_index is None or data.microtime_ps is None:
            raise ValueError("a T3 recorder needs sync_index and microtime_ps in every chunk")
        micro = data.microtime_ps
        if not np.array_equal(t3_time_ps(data.sync_index, micro, self.period_ps), data.time_ps):
            raise ValueError(
                f"time_ps does not follow the T3 rule with a sync period of {self.period_ps} ps "
                "(g2live.photons): it would not read back"
            )
        bins, rest = np.divmod(micro, np.int64(self.unit_ps))
        if rest.any() or (micro.size and (int(micro.min()) < 0 or int(bins.max()) >= 2**32)):
            raise ValueError(
                f"micro-times must be multiples of the {self.unit_ps} ps TCSPC bin within 0..2**32 bins"
            )
        if bins.size:
            self._num_bins = max(self._num_bins, int(bins.max()) + 1)
        assert self._nano is not None
        return [(self._ts, data.sync_index), (self._nano, bins.astype(np.uint32))]

    def _append_markers(self, markers: np.ndarray) -> None:
        """Marker events (``marker``, ``time_ps`` fields) after the ones written before."""
        a, b = self.n_markers, self.n_markers + markers.size
        for ds, arr in ((self._mk_marker, markers["marker"]), (self._mk_time, markers["time_ps"])):
            ds.resize((b,))
            ds[a:b] = arr
            ds.flush()
        self.n_markers = b

    def append(self, data: PhotonData) -> None:
        """Append one chunk (stream order must continue across chunks) and commit it; its markers
        (``data.markers``) go to ``/user/g2live/markers``."""
        if self._f is None:
            raise ValueError(f"{self.path}: recorder is closed")
        if data.markers is not None and len(data.markers):
            self._append_markers(np.asarray(data.markers))
            self._f.flush()
        n = len(data)
        if n == 0:
            return
        head = (int(data.time_ps[0]), int(data.channel[0]))
        if self._last is not None and head < self._last:
            raise ValueError(
                f"chunk starts at {head[0]} ps, before the last recorded event at {self._last[0]} ps"
            )
        rows = self._t3_rows(data) if self.t3 else [(self._ts, data.time_ps)]
        a, b = self.count, self.count + n
        for ds, arr in [*rows, (self._det, data.channel)]:
            ds.resize((b,))
            ds[a:b] = arr
            ds.flush()
        self._f.flush()
        self.count = b
        self._first_ps = head[0] if self._first_ps is None else self._first_ps
        self._last = (int(data.time_ps[-1]), int(data.channel[-1]))
        self._committed[()] = np.int64(b)  # only after the rows are on disk
        self._committed.flush()
        self._f.flush()

    def close(self, acquisition_s: float | None = None, meta: Meta | None = None) -> None:
        """Mark the recording complete; ``meta`` (optional) replaces the stored one with what is only
        known at the end (final counters, why it ended)."""
        if self._f is None:
            return
        if meta is not None:
            if self.t3:
                meta.sync_period_ps = self.period_ps
            self.meta = meta
            self._write_meta(meta)
        if acquisition_s is None and meta is not None:
            acquisition_s = meta.acquisition_s
        if acquisition_s is not None:
            self._duration[()] = float(acquisition_s)
        elif not self.meta.acquisition_s and self._last is not None and self._first_ps is not None:
            self._duration[()] = (self._last[0] - self._first_ps) * 1e-12
        self._duration.flush()
        if self.t3:
            self._bins_ds[()] = np.int64(self._num_bins)
            self._range_ds[()] = self._num_bins * self.unit_ps * 1e-12
        self._complete[()] = np.uint8(1)
        self._complete.flush()
        self._f.close()
        self._f = None

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_writer(
    path: str | os.PathLike[str], meta: Meta, t3: bool = False, chunk_records: int = 1 << 16,
    compression: int = 1, description: str = "", source_file: str | None = None,
) -> Recorder:
    """A Photon-HDF5 writer for chunks (``append``, ``close(meta=...)``): the ``Recorder``."""
    return Recorder(path, meta, t3=t3, chunk_records=chunk_records, compression=compression,
                    description=description, source_file=source_file)


def write(
    path: str | os.PathLike[str], data: PhotonData, chunk_records: int = 1 << 16, **kwargs: Any
) -> None:
    with Recorder(path, data.meta, t3=data.is_t3, chunk_records=chunk_records, **kwargs) as rec:
        rec.append(data)


_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _superblock(path: Path) -> tuple[bool, int, int]:
    """(open for SWMR writing, end of file the superblock announces, file size in bytes).

    Superblock version 3 keeps the status flags (write access bit 0, SWMR write bit 2) in byte 11
    and the end-of-file address at byte 28; the superblock sits at 0 or at a power of two >= 512."""
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        base = 0
        while base + 36 <= size:
            fh.seek(base)
            head = fh.read(36)
            if head[:8] == _SIGNATURE:
                if head[8] < 3 or head[11] & 0b101 != 0b101 or head[9] != 8:
                    return False, 0, size
                return True, base + int.from_bytes(head[28:36], "little"), size
            base = 512 if base == 0 else base * 2
    return False, 0, size


def _open(path: Path) -> tuple[h5py.File, bool]:
    """Open read-only, in SWMR mode for a file flagged as open for SWMR writing (a recording being
    written, or one whose writer was killed): HDF5 refuses a plain open of such a file.

    A SWMR reader would retry, for minutes, metadata that lies past the end of the file, so a flagged
    file shorter than its superblock says is refused, after waiting up to 1 s for a live writer to
    finish the flush it is in the middle of (a truncated copy never grows)."""
    try:
        swmr, eof, size = _superblock(path)
        for _ in range(20):
            if size >= eof:
                break
            time.sleep(0.05)
            swmr, eof, size = _superblock(path)
    except OSError as exc:
        raise FormatError(path, None, f"not a readable HDF5 file: {exc}") from None
    if swmr and size < eof:
        raise FormatError(
            path, size, f"interrupted SWMR recording is truncated: the superblock announces {eof} bytes"
        )
    try:
        return h5py.File(path, "r", swmr=swmr), swmr
    except OSError as exc:
        kind = "HDF5 file being written (or interrupted) in SWMR mode" if swmr else "HDF5 file"
        raise FormatError(path, None, f"not a readable {kind}: {exc}") from None


def _scalar(f: h5py.File, path: Path, name: str, default: Any = None) -> Any:
    if name not in f:
        if default is not None:
            return default
        raise FormatError(path, None, f"Photon-HDF5 field {name} is missing")
    v = f[name][()]
    return v.decode("utf-8") if isinstance(v, bytes) else v


def _rows(f: h5py.File, pd: str) -> list[str]:
    """The row datasets of a g2live file (every one holds at least the committed rows)."""
    rows = [f"{pd}/timestamps", f"{pd}/detectors"]
    if f"{_USER}/sync_index" in f:  # the earlier T3 layout: ps timestamps plus sync_index
        rows += [f"{_USER}/sync_index", f"{pd}/nanotimes"]
    elif f"{pd}/nanotimes" in f:
        rows.append(f"{pd}/nanotimes")
    return rows


def _committed_rows(f: h5py.File, path: Path, pd: str, swmr: bool, meta: Meta) -> int:
    """Rows of a g2live recording that the writer had completely written.

    The writer stores a chunk's rows (extent and data of every dataset, file flushed) before
    ``committed_records``, so the count is read FIRST and the extents after it: a writer that
    appends in between can only make the extents larger. In SWMR mode the dataset headers are
    re-read from disk (``refresh``) because HDF5 may have cached them when the file was opened.
    An extent below the count cannot come from an interrupted append: the file is corrupt."""
    complete = bool(f[f"{_USER}/complete"][()])
    committed = int(f[f"{_USER}/committed_records"][()])
    if committed < 0:
        raise FormatError(path, None, f"{_USER}/committed_records is negative ({committed})")
    stored = 0
    for name in _rows(f, pd):
        if name not in f:
            raise FormatError(path, None, f"Photon-HDF5 field {name} is missing")
        ds = f[name]
        if swmr:
            ds.refresh()
        if ds.ndim != 1:
            raise FormatError(path, None, f"{name} has shape {ds.shape}, expected one dimension")
        if ds.shape[0] < committed:
            raise FormatError(
                path, None, f"{name} holds {ds.shape[0]} rows, fewer than the {committed} committed records"
            )
        stored = max(stored, ds.shape[0])
    if not complete:
        meta.notes.append(
            f"recording was interrupted or is still being written: recovered the {committed} records "
            f"committed by its last complete append ({stored - committed} uncommitted rows ignored)"
        )
    return committed


def _g2live_meta(f: h5py.File, path: Path, swmr: bool) -> Meta:
    """The Meta JSON: a uint8 array (current writer, replaceable at close) or a bytes scalar."""
    ds = f[f"{_USER}/meta"]
    if swmr:
        ds.refresh()
    if ds.shape == ():
        return meta_from_json(_scalar(f, path, f"{_USER}/meta"), path)
    return meta_from_json(ds[()].tobytes().decode("utf-8"), path)


@dataclass
class _Layout:
    """How rows become photons: T2 ps timestamps, or T3 (sync index, nanotime bins) with the
    period and bin in ps; ``legacy_t3``: ps timestamps plus /user/g2live/sync_index."""

    pd: str
    foreign: bool
    t3: bool = False
    legacy_t3: bool = False
    period_ps: float | int = 0
    unit_ps: float | int = 1


def _load(path: Path) -> tuple[h5py.File, Meta, int, _Layout]:
    f, swmr = _open(path)
    try:
        pd = "/photon_data" if "/photon_data" in f else "/photon_data0" if "/photon_data0" in f else None
        if pd is None or f"{pd}/timestamps" not in f:
            raise FormatError(path, None, "no /photon_data/timestamps: not a Photon-HDF5 file")
        if f"{_USER}/meta" in f:
            meta = _g2live_meta(f, path, swmr)
            n = _committed_rows(f, path, pd, swmr, meta)
            lay = _own_layout(f, path, pd, meta)
        else:  # a Photon-HDF5 file from another program
            n = f[f"{pd}/timestamps"].shape[0]
            meta = _foreign_meta(f, path, pd)
            lay = _foreign_layout(f, path, pd, meta)
        return f, meta, n, lay
    except (OSError, KeyError, ValueError, TypeError) as exc:
        f.close()
        if isinstance(exc, FormatError):
            raise
        raise FormatError(path, None, f"Photon-HDF5 structure is not readable: {exc}") from None
    except BaseException:
        f.close()
        raise


def _own_layout(f: h5py.File, path: Path, pd: str, meta: Meta) -> _Layout:
    if f"{_USER}/sync_index" in f:
        return _Layout(pd, False, t3=True, legacy_t3=True)
    if f"{pd}/nanotimes" not in f:
        return _Layout(pd, False)
    if not meta.sync_period_ps:
        raise FormatError(path, None, "T3 recording without sync_period_ps in its g2live metadata")
    unit = _snapped(f, path, f"{pd}/nanotimes_specs/tcspc_unit")
    return _Layout(pd, False, t3=True, period_ps=meta.sync_period_ps, unit_ps=unit)


def _snapped(f: h5py.File, path: Path, name: str) -> float | int:
    from g2live.io._common import snap_unit_ps

    try:
        return snap_unit_ps(float(_scalar(f, path, name)) * 1e12)
    except ValueError as exc:
        raise FormatError(path, None, f"{name}: {exc}") from None


def _foreign_layout(f: h5py.File, path: Path, pd: str, meta: Meta) -> _Layout:
    """T3 when the file has nanotimes and its timestamps count laser periods (timestamps_unit is
    the period of laser_repetition_rate, as TCSPC converters such as phconvert write them)."""
    unit_s = meta.extra["timestamps_unit_s"]
    rate = meta.sync_rate_hz
    t3 = (f"{pd}/nanotimes" in f and f"{pd}/nanotimes_specs/tcspc_unit" in f and bool(rate)
          and abs(unit_s * float(rate or 0) - 1.0) < 1e-6)
    if not t3:
        return _Layout(pd, True)
    period = _snapped(f, path, f"{pd}/timestamps_specs/timestamps_unit")
    micro = _snapped(f, path, f"{pd}/nanotimes_specs/tcspc_unit")
    meta.sync_period_ps = period
    meta.resolution_ps = float(micro)
    return _Layout(pd, True, t3=True, period_ps=period, unit_ps=micro)


def _foreign_meta(f: h5py.File, path: Path, pd: str) -> Meta:
    unit_s = float(_scalar(f, path, f"{pd}/timestamps_specs/timestamps_unit"))
    meta = Meta(format="Photon-HDF5", source=str(_scalar(f, path, "/provenance/software", "Photon-HDF5")))
    meta.resolution_ps = unit_s * 1e12
    meta.acquisition_s = float(_scalar(f, path, "/acquisition_duration", 0.0)) or None
    rate = f.get(f"{pd}/measurement_specs/laser_repetition_rate")
    meta.sync_rate_hz = float(rate[()]) if rate is not None else None
    meta.extra = {"timestamps_unit_s": unit_s}
    if f"{pd}/nanotimes_specs/tcspc_unit" in f:
        meta.extra["tcspc_unit_s"] = float(f[f"{pd}/nanotimes_specs/tcspc_unit"][()])
    return meta


def _integers(path: Path, name: str, arr: np.ndarray, a: int) -> np.ndarray:
    if arr.dtype.kind not in "iu":
        raise FormatError(path, None, f"{name} are {arr.dtype}, not integers")
    if arr.size and arr.dtype.kind == "i" and int(arr.min()) < 0:
        k = int(np.argmax(arr < 0))
        raise FormatError(path, None, f"row {a + k}: {name} {int(arr[k])} is negative (corrupted file?)")
    return arr.astype(np.int64)


def _t3_slice(f: h5py.File, path: Path, lay: _Layout, meta: Meta, det: np.ndarray, a: int,
              b: int) -> PhotonData:
    from g2live.io._common import ticks_to_ps
    from g2live.photons import t3_time_ps

    sync = _integers(path, "timestamps", f[f"{lay.pd}/timestamps"][a:b], a)
    nano = _integers(path, "nanotimes", f[f"{lay.pd}/nanotimes"][a:b], a)
    bound = MAX_TIME_PS // max(1, int(np.ceil(lay.period_ps)) + int(np.ceil(lay.unit_ps)))
    for name, arr in (("timestamps", sync), ("nanotimes", nano)):
        if arr.size and int(arr.max()) > bound:
            k = int(np.argmax(arr > bound))
            raise FormatError(
                path, None, f"row {a + k}: {name} {int(arr[k])} puts the time past {MAX_TIME_PS} ps"
            )
    micro = ticks_to_ps(nano, lay.unit_ps)
    return PhotonData(det, t3_time_ps(sync, micro, lay.period_ps), meta, sync, micro)


def _slice(f: h5py.File, path: Path, lay: _Layout, meta: Meta, a: int, b: int) -> PhotonData:
    pd = lay.pd
    det = f[f"{pd}/detectors"][a:b] if f"{pd}/detectors" in f else np.zeros(b - a, np.uint8)
    if lay.foreign and (det.dtype.kind not in "iu" or (det.size and (det.min() < 0 or det.max() > 255))):
        raise FormatError(path, None, "detector ids do not fit g2live channels 0..255")
    det = det.astype(np.uint8)
    if lay.t3 and not lay.legacy_t3:
        return _t3_slice(f, path, lay, meta, det, a, b)
    ts = f[f"{pd}/timestamps"][a:b]
    if not lay.foreign:
        sync = f[f"{_USER}/sync_index"][a:b] if lay.legacy_t3 else None
        nano = f[f"{pd}/nanotimes"][a:b] if lay.legacy_t3 else None
        return PhotonData(det, ts, meta, sync, nano)
    # Foreign T2 file: convert units to ps (nearest integer), keep detector ids.
    from g2live.io._common import snap_unit_ps, ticks_to_ps

    try:
        unit = snap_unit_ps(meta.extra["timestamps_unit_s"] * 1e12)
    except ValueError as exc:
        raise FormatError(path, None, f"timestamps_unit: {exc}") from None
    if ts.dtype.kind not in "iu":
        raise FormatError(path, None, f"timestamps are {ts.dtype}, not integers")
    bound = MAX_TIME_PS // max(1, int(np.ceil(unit)))  # checked before the product can wrap
    if ts.size and (int(ts.max()) > bound or int(ts.min()) < -bound):
        k = int(np.argmax((ts > bound) | (ts < -bound)))
        raise FormatError(
            path, None, f"row {a + k}: timestamp {int(ts[k])} x {unit} ps is beyond +-{MAX_TIME_PS} ps"
        )
    return PhotonData(det, ticks_to_ps(ts.astype(np.int64), unit), meta)


def _checked_slice(
    f: h5py.File, path: Path, lay: _Layout, meta: Meta, a: int, b: int,
    before: int | None = None, origin: int | None = None,
) -> PhotonData:
    try:
        data = _slice(f, path, lay, meta, a, b)
    except FormatError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as exc:  # corrupted chunks, wrong shapes
        raise FormatError(path, None, f"rows {a}..{b} of {lay.pd} are not readable: {exc}") from None
    check_container(path, data, a, meta.acquisition_s, before, origin)
    return data


def read(path: str | os.PathLike[str]) -> PhotonData:
    path = Path(path)
    f, meta, n, lay = _load(path)
    with f:
        return _checked_slice(f, path, lay, meta, 0, n)


def _markers(path: Path, start: int = 0) -> np.ndarray:
    """The recording's markers from row ``start`` on (``g2live.io.MARKER_DTYPE``), empty without
    ``/user/g2live/markers``; a file being written (SWMR) gives the rows written so far."""
    from g2live.io._records import MARKER_DTYPE

    f, _swmr = _open(path)
    with f:
        g = f.get(f"{_USER}/markers")
        if g is None:
            return np.zeros(0, MARKER_DTYPE)
        t, m = g["time_ps"][start:], g["marker"][start:]
    n = min(t.size, m.size)  # a writer killed (or caught) between the two resizes: one row more in one
    out = np.zeros(n, MARKER_DTYPE)
    out["record"], out["time_ps"], out["marker"] = np.arange(start, start + n), t[:n], m[:n]
    return out


def read_markers(path: str | os.PathLike[str], start: int = 0) -> np.ndarray:
    """Marker rows ``start..`` of a g2live recording, also while it is written (``io.MARKER_DTYPE``)."""
    return _markers(Path(path), start)


def read_with_markers(path: str | os.PathLike[str]) -> tuple[PhotonData, np.ndarray]:
    """``read`` plus the recording's markers (``g2live.io.MARKER_DTYPE``: row in
    ``/user/g2live/markers``, time_ps, marker number); none for files without that group."""
    return read(path), _markers(Path(path))


def iter_chunks_with_markers(path: str | os.PathLike[str],
                             chunk_records: int = 1 << 20) -> Iterator[tuple[PhotonData, np.ndarray]]:
    """``iter_chunks`` with the markers up to each chunk's last event (the last chunk: all the rest)."""
    marks = _markers(Path(path))
    chunks = iter_chunks(path, chunk_records)
    prev = next(chunks, None)
    k = 0
    for data in chunks:
        assert prev is not None
        end = int(np.searchsorted(marks["time_ps"], prev.time_ps[-1], side="right")) if len(prev) else k
        yield prev, marks[k:end]
        k, prev = max(k, end), data
    if prev is not None:
        yield prev, marks[k:]


def iter_chunks(path: str | os.PathLike[str], chunk_records: int = 1 << 20) -> Iterator[PhotonData]:
    path = Path(path)
    f, meta, n, lay = _load(path)
    before = origin = None
    with f:
        for a, b in chunk_ranges(n, chunk_records):
            data = _checked_slice(f, path, lay, meta, a, b, before, origin)
            if len(data):
                before = int(data.time_ps[-1])
                origin = int(data.time_ps[0]) if origin is None else origin
            yield data


def committed_records(path: str | os.PathLike[str]) -> int:
    """Rows a (possibly still running) recording has committed; readable while it writes."""
    f, _meta, n, _lay = _load(Path(path))
    f.close()
    return n


def read_committed(
    path: str | os.PathLike[str], start: int, stop: int | None = None,
    before: int | None = None, origin: int | None = None,
) -> tuple[PhotonData, int, bool]:
    """Rows ``start..stop`` (at most up to the committed count) of a file that may still be
    written, opened afresh (SWMR when the writer uses it): (photons, committed rows, complete).

    ``complete`` is the writer's end mark (g2live recordings); a file from another program has
    none (False), and its row count is the dataset's extent. ``before``/``origin``: the last and the
    first time read before, for the order and span checks of ``iter_chunks``."""
    path = Path(path)
    f, meta, n, lay = _load(path)
    with f:
        complete = bool(f[f"{_USER}/complete"][()]) if f"{_USER}/complete" in f else False
        b = n if stop is None else max(start, min(n, stop))
        return _checked_slice(f, path, lay, meta, start, max(start, b), before, origin), n, complete
