# SPDX-License-Identifier: BSD-3-Clause
"""Following a Swabian 16-byte tag dump that is being written: complete records only.

The dump has no header and no end mark (writing ends by ``idle_s``). The Time Tagger writes its
inputs merged in time order; a tag earlier than the last one of a previous poll is held back by
the same watermark rule as ``g2live.io.swabian.iter_chunks``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from g2live.io import swabian
from g2live.io._common import FormatError, Reorderer
from g2live.photons import PhotonData

__all__ = ["SwabianFollower"]

_SIZE = swabian.RECORD.itemsize


class SwabianFollower:
    """Decodes the complete 16-byte tags a growing dump holds, poll by poll."""

    def __init__(self, path: Path, stats: Any, chunk_records: int) -> None:
        self.path, self.stats, self.chunk_records = path, stats, chunk_records
        self.fh = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by finish()
        self.done = 0
        self.counters = swabian.counters()
        self.present: set[int] = set()
        self.order = Reorderer()
        self.ended = False  # the format has no end mark
        self.grew = False

    def poll(self) -> list[PhotonData]:
        size = os.fstat(self.fh.fileno()).st_size
        if size < _SIZE * self.done:
            raise FormatError(self.path, size, f"file shrank to {size} bytes while followed")
        if size % _SIZE:
            self.stats.partial_waits += 1
        avail = size // _SIZE
        self.grew = self.done < avail
        if not self.grew:
            return []
        data = self._decode(min(self.chunk_records, avail - self.done))
        return [data] if len(data) else []

    def _decode(self, n: int) -> PhotonData:
        rec = np.empty(n, dtype=swabian.RECORD)
        if os.preadv(self.fh.fileno(), [rec], _SIZE * self.done) != rec.nbytes:
            raise FormatError(self.path, None, "file shrank while reading")
        channel, time_ps = swabian.decode(self.path, rec, self.done, self.counters, self.present)
        self.done += n
        self.stats.records += n
        self.stats.bytes_read += rec.nbytes
        mark = int(time_ps.max()) if time_ps.size else -(2**63)
        return self._data(self.order.push([channel, time_ps], mark))

    def _data(self, arrays: list[np.ndarray]) -> PhotonData:
        meta = swabian.meta_of(self.counters, self.present)
        if self.order.moved:
            meta.notes.append(f"tags were not in time order: {self.order.moved} events reordered so far")
        return PhotonData(arrays[0], arrays[1], meta)

    def finish(self) -> list[PhotonData]:
        size = os.fstat(self.fh.fileno()).st_size
        self.fh.close()
        self.stats.trailing_bytes += size % _SIZE
        held = self.order.held()
        if held is None or not held[0].size:
            return []
        return [self._data(self.order.push([a[:0] for a in held], None))]
