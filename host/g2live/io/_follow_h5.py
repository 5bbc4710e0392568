# SPDX-License-Identifier: BSD-3-Clause
"""Following a Photon-HDF5 file that is being written: re-opened at every poll.

An HDF5 file cannot be appended to like a flat file: its writer updates the B-tree and the dataset
extent in place. g2live's ``Recorder`` writes in SWMR mode and commits a row count after each
append (``committed_records``), so a reader that opens the file afresh and reads only committed
rows never sees a half-written chunk. A file from another program is read up to its dataset
extent; that is only safe when its writer uses SWMR (else the open may fail, or see a state the
writer had not finished: failed opens are counted and retried, never skipped silently).

Markers (``/user/g2live/markers``) come with the rows: the recorder writes a chunk's markers before
it commits the chunk's rows, so once rows up to time T are read every marker up to T is there; a
poll hands out the markers up to its last row's time (``PhotonData.markers``), ``finish`` the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from g2live.io._common import FormatError
from g2live.io._records import no_markers
from g2live.io.photon_hdf5 import read_committed, read_markers
from g2live.markers import marker_numbers
from g2live.photons import PhotonData

__all__ = ["Hdf5Follower"]


class Hdf5Follower:
    """Reads the committed rows of a growing Photon-HDF5 file, poll by poll."""

    def __init__(self, path: Path, stats: Any, chunk_records: int) -> None:
        self.path, self.stats, self.chunk_records = path, stats, chunk_records
        self.done = 0
        self.before: int | None = None
        self.origin: int | None = None
        self.saw_complete = False  # the end mark was set: one more read takes the last rows
        self.ended = False
        self.grew = False
        self.error: FormatError | None = None
        self.n_markers = 0  # marker rows handed out

    def _read(self, start: int) -> tuple[PhotonData, int, bool] | None:
        try:
            out = read_committed(self.path, start, start + self.chunk_records, self.before, self.origin)
        except FormatError as exc:  # the writer is mid-flush (or the file is bad: kept to report)
            self.stats.open_retries += 1
            self.error = exc
            return None
        self.error = None
        return out

    def poll(self) -> list[PhotonData]:
        """The next committed rows (at most ``chunk_records``)."""
        complete_before = self.saw_complete
        self.grew = False
        got = self._read(self.done)
        if got is None:
            return []
        data, n, complete = got
        self.saw_complete = self.saw_complete or complete
        self.done += len(data)
        self.stats.records += len(data)
        self.grew = len(data) > 0
        # the end mark is read after the row count: it counts once a later read found no more rows
        self.ended = complete_before and self.done >= n and not self.grew
        if not len(data):
            return []
        marks = self._markers(int(data.time_ps[-1]))
        if len(marks):
            data.markers = marker_numbers(marks, "photon-hdf5")
        self.before = int(data.time_ps[-1])
        self.origin = int(data.time_ps[0]) if self.origin is None else self.origin
        return [data]

    def _markers(self, last_ps: int | None) -> np.ndarray:
        """Marker rows not handed out yet, up to ``last_ps`` (None: all of them)."""
        try:
            marks = read_markers(self.path, self.n_markers)
        except FormatError as exc:  # mid-flush: a later poll (or the end) takes them
            self.stats.open_retries += 1
            self.error = exc
            return no_markers()
        if last_ps is not None:
            marks = marks[: int(np.searchsorted(marks["time_ps"], last_ps, side="right"))]
        self.n_markers += len(marks)
        return marks

    def finish(self) -> list[PhotonData]:
        """The markers after the last row (an empty chunk that holds them), whatever ended the file."""
        if self.error is not None:
            if not self.done:
                raise self.error
            self.stats.notes.append(f"{self.path}: last open failed: {self.error}")
        marks = self._markers(None) if self.done else no_markers()
        if not len(marks):
            return []
        data, _n, _complete = read_committed(self.path, self.done, self.done, self.before, self.origin)
        data.markers = marker_numbers(marks, "photon-hdf5")
        return [data]
