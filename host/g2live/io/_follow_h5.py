# SPDX-License-Identifier: BSD-3-Clause
"""Following a Photon-HDF5 file that is being written: re-opened at every poll.

An HDF5 file cannot be appended to like a flat file: its writer updates the B-tree and the dataset
extent in place. g2live's ``Recorder`` writes in SWMR mode and commits a row count after each
append (``committed_records``), so a reader that opens the file afresh and reads only committed
rows never sees a half-written chunk. A file from another program is read up to its dataset
extent; that is only safe when its writer uses SWMR (else the open may fail, or see a state the
writer had not finished: failed opens are counted and retried, never skipped silently).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from g2live.io._common import FormatError
from g2live.io.photon_hdf5 import read_committed
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
        self.before = int(data.time_ps[-1])
        self.origin = int(data.time_ps[0]) if self.origin is None else self.origin
        return [data]

    def finish(self) -> list[PhotonData]:
        if self.error is not None:
            if not self.done:
                raise self.error
            self.stats.notes.append(f"{self.path}: last open failed: {self.error}")
        return []
