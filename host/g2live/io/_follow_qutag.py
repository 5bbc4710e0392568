# SPDX-License-Identifier: BSD-3-Clause
"""Following a quTAG binary file that is being written: complete 10-byte records only.

The quTAG merges per-input buffers, so a record may be earlier than one of another input written
before it. Each input's records are in order, so once every input seen so far has reached a time,
no later record can be earlier: events before that watermark are handed on, the rest wait.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from g2live.io import qutag
from g2live.io._common import FormatError, NotReady, Reorderer
from g2live.photons import Meta, PhotonData

__all__ = ["QutagFollower"]


class QutagFollower:
    """Decodes the complete records a growing quTAG file holds, poll by poll."""

    def __init__(self, path: Path, stats: Any, chunk_records: int) -> None:
        self.path, self.stats, self.chunk_records = path, stats, chunk_records
        self.fh = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by finish()
        head = os.pread(self.fh.fileno(), qutag.HEADER, 0)
        if len(head) < qutag.HEADER:
            self.fh.close()
            raise NotReady
        self.meta = Meta(source="qutools quTAG", format="quTAG", resolution_ps=1.0,
                         extra={"header_hex": head.hex()})
        self.done = 0
        self.last = np.full(64, -(2**63), np.int64)  # latest time per input
        self.seen = np.zeros(64, bool)
        self.order = Reorderer()
        self.ended = False  # the format has no end mark
        self.grew = False

    def poll(self) -> list[PhotonData]:
        size = os.fstat(self.fh.fileno()).st_size
        size_rec = qutag.RECORD.itemsize
        if size < qutag.HEADER + size_rec * self.done:
            raise FormatError(self.path, size, f"file shrank to {size} bytes while followed")
        room = size - qutag.HEADER
        if room % size_rec:
            self.stats.partial_waits += 1
        self.grew = self.done < room // size_rec
        out = [self._decode(min(self.chunk_records, room // size_rec - self.done))] if self.grew else []
        return [c for c in out if len(c)]

    def _decode(self, n: int) -> PhotonData:
        raw = np.empty(n * qutag.RECORD.itemsize, np.uint8)
        got = os.preadv(self.fh.fileno(), [raw], qutag.HEADER + qutag.RECORD.itemsize * self.done)
        if got != raw.size:
            raise FormatError(self.path, None, "file shrank while reading")
        channel, time_ps = np.empty(n, np.uint8), np.empty(n, np.int64)
        present, _ = qutag.decode(self.path, raw, channel, time_ps, self.done)
        self.done += n
        self.stats.records += n
        self.stats.bytes_read += raw.size
        np.maximum.at(self.last, channel, time_ps)
        self.seen[present] = True
        mark = int(self.last[self.seen].min())
        return self._data(self.order.push([channel, time_ps], mark))

    def _data(self, arrays: list[np.ndarray]) -> PhotonData:
        meta = Meta(**{**vars(self.meta), "extra": {**self.meta.extra, "records": self.done}, "notes": []})
        if self.order.moved:
            meta.notes.append(f"records were not in time order: {self.order.moved} events reordered so far")
        present = np.flatnonzero(self.seen)
        meta.channel_roles = {int(c): "start input" if c == 0 else f"stop input {c}" for c in present}
        return PhotonData(arrays[0], arrays[1], meta)

    def finish(self) -> list[PhotonData]:
        size = os.fstat(self.fh.fileno()).st_size
        self.fh.close()
        self.stats.trailing_bytes += (size - qutag.HEADER) % qutag.RECORD.itemsize
        held = self.order.held()
        if held is None or not held[0].size:
            return []
        return [self._data(self.order.push([a[:0] for a in held], None))]
