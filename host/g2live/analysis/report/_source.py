# SPDX-License-Identifier: BSD-3-Clause
"""Where the report reads a recording from: the same chunks, in the same order, on every pass.

The report never holds a recording: each of its steps accumulates what it needs (counts,
histograms, binned traces) over one pass of chunks (``run_pass``), so a file of any length is
analysed in bounded memory. Data already in memory is one chunk; a file is ``io.iter_chunks``.
Integer accumulations are exact sums, so every split of a recording gives the same report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from g2live.core import MARKER_DTYPE
from g2live.photons import PhotonData

__all__ = ["Accumulator", "ChunkSource", "Progress", "run_pass"]

Progress = Callable[[str, int], None]  # (step, events in this chunk)


class Accumulator(Protocol):
    """One step's running sums over a pass."""

    def add(self, chunk: PhotonData) -> None: ...

    def finish(self) -> None: ...


class ChunkSource:
    """A recording as a re-readable sequence of time-ordered chunks.

    Parameters
    ----------
    make : callable
        Returns a fresh iterable of the chunks, from the start, each time it is called.
    name : str
        For messages and the report (the file name, or "data").
    format : str, optional
        The io format name of a file (its reader's conventions apply to the header values).
    progress : callable, optional
        ``progress(step, n_events)`` after every chunk of every pass (``g2live analyze``'s bars).
    make_markers : callable, optional
        Returns the recording's marker events (``markers()``); None: it has none.
    """

    def __init__(
        self,
        make: Callable[[], Iterable[PhotonData]],
        name: str,
        format: str | None = None,
        progress: Progress | None = None,
        make_markers: Callable[[], np.ndarray] | None = None,
    ) -> None:
        self._make = make
        self._make_markers = make_markers
        self.file = name  # as given ("" for data without a name)
        self.name = name or "data"
        self.format = format
        self.progress = progress
        self.passes = 0

    @classmethod
    def of_data(cls, data: PhotonData, name: str = "", progress: Progress | None = None) -> ChunkSource:
        """Photons in memory: one chunk."""
        marks = data.markers if data.markers is not None else np.zeros(0, MARKER_DTYPE)
        return cls(lambda: (data,), name, progress=progress, make_markers=lambda: marks)

    @classmethod
    def of_file(
        cls, path: str | Path, chunk_records: int = 1 << 20, progress: Progress | None = None, **options: Any
    ) -> ChunkSource:
        """A file read with ``g2live.io.iter_chunks`` (``options`` go to its reader)."""
        from g2live import io

        fmt = io.detect_format(path)

        def markers() -> np.ndarray:  # one pass that keeps the markers only
            parts = [m for _d, m in io.iter_chunks_with_markers(path, chunk_records=chunk_records, format=fmt,
                                                                **options) if len(m)]
            return np.concatenate(parts) if parts else np.zeros(0, MARKER_DTYPE)

        return cls(
            lambda: io.iter_chunks(path, chunk_records=chunk_records, format=fmt, **options),
            str(path),
            fmt,
            progress,
            markers,
        )

    def markers(self) -> np.ndarray:
        """The recording's marker events (fields ``marker``, ``time_ps``; a file's as its reader gives
        them: PicoQuant marker bits, SPC MARK bits, g2live recordings the marker input)."""
        self.passes += 1
        return self._make_markers() if self._make_markers is not None else np.zeros(0, MARKER_DTYPE)

    def chunks(self, step: str) -> Iterator[PhotonData]:
        """One pass over the recording, for ``step``."""
        self.passes += 1
        for chunk in self._make():
            yield chunk
            if self.progress is not None:
                self.progress(step, len(chunk))


def run_pass(source: ChunkSource, step: str, accumulators: Sequence[Accumulator | None]) -> None:
    """Feed every chunk to every accumulator (None: skipped), then finish them."""
    accs = [a for a in accumulators if a is not None]
    if not accs:
        return
    for chunk in source.chunks(step):
        for acc in accs:
            acc.add(chunk)
    for acc in accs:
        acc.finish()
