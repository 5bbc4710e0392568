# SPDX-License-Identifier: BSD-3-Clause
"""Following a PTU file (T2 or T3) that is being written: complete 32-bit records only.

One C record decoder carries the overflow state from poll to poll and one ``Reorderer`` holds
back the events a later record may still precede, exactly as ``iter_chunks`` does for a whole
file, so the events handed on equal ``read``'s whatever the pieces the writer produced.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from g2live.io import ptu
from g2live.io._common import FormatError, NotReady, Reorderer, jsonable
from g2live.io._picoquant import PqLayout, iter_watermark, meta_with_counters, roles
from g2live.io._records import decode_records
from g2live.markers import marker_numbers
from g2live.photons import PhotonData

__all__ = ["PtuFollower"]

_RECORD = 4


def _header(path: Path) -> tuple[dict[str, Any], int, bytes]:
    """(tags, offset of the first record, header bytes); waits while the header is incomplete."""
    with open(path, "rb") as fh:
        head = fh.read(16 << 20)
    try:
        tags, offset = ptu.parse_tags(path, head, complete=len(head) >= 16 << 20)
    except ptu.IncompleteHeader:
        raise NotReady from None
    return tags, offset, head[:offset]


def _declared(path: Path, tags: dict[str, Any]) -> int:
    n = int(tags.get("TTResult_NumberOfRecords", 0) or 0)
    if n < 0:
        raise FormatError(path, None, f"TTResult_NumberOfRecords is negative ({n})")
    return n


class PtuFollower:
    """Decodes the complete records a growing PTU file holds, poll by poll."""

    def __init__(self, path: Path, stats: Any, chunk_records: int) -> None:
        tags, self.offset, self.head = _header(path)
        self.path, self.stats, self.chunk_records = path, stats, chunk_records
        self.declared = _declared(path, tags)
        self.layout: PqLayout = ptu.layout(path, allow_truncated=True)
        self.layout.meta.notes = []  # the size notes of a file being written do not apply
        self.decoder = self.layout.decoder()
        self.order = Reorderer()
        self.done = 0  # records decoded
        self.ended = False
        self.grew = False
        self.fh = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by finish()
        self.fh.seek(self.offset)

    def _reread_header(self) -> None:
        """PicoQuant patches the record count (and stop time) when the measurement ends."""
        self.stats.header_rereads += 1
        head = os.pread(self.fh.fileno(), self.offset, 0)
        if head == self.head:
            return
        try:
            tags, offset = ptu.parse_tags(self.path, head)
        except FormatError:
            return  # the writer is in the middle of patching it: look again next poll
        if offset != self.offset:
            raise FormatError(self.path, 0, f"the header was rewritten with a new length ({offset} bytes, "
                              f"was {self.offset}): not the same recording")
        self.head = head
        declared = _declared(self.path, tags)
        if declared != self.declared:
            self.stats.header_changes += 1
            self.declared = declared

    def _available(self) -> int:
        """Complete records present (up to the count a patched header declares)."""
        size = os.fstat(self.fh.fileno()).st_size
        if size < self.offset + _RECORD * self.done:
            raise FormatError(self.path, size, f"file shrank to {size} bytes while followed "
                              f"({self.done} records had been read)")
        room = size - self.offset
        if room % _RECORD:
            self.stats.partial_waits += 1
        n = room // _RECORD
        if self.declared and n >= self.declared:
            self.stats.extra_bytes = room - _RECORD * self.declared
            return self.declared
        return n

    def poll(self) -> list[PhotonData]:
        """The next chunk of complete records (at most ``chunk_records``); ``grew`` says whether
        there were any (a chunk of only overflow or marker records has no events)."""
        self._reread_header()
        avail = self._available()
        self.grew = self.done < avail
        out = [self._decode(min(self.chunk_records, avail - self.done))] if self.grew else []
        if self.declared and self.done >= self.declared:
            self.ended = True
        return [c for c in out if len(c) or (c.markers is not None and len(c.markers))]

    def _decode(self, n: int) -> PhotonData:
        held = self.order.held()
        start = self.offset + _RECORD * self.done
        marks: list[np.ndarray] = []
        converted = decode_records(self.fh, self.path, start, n, self.decoder.dec, marks, held)
        self.done += n
        self.stats.records += n
        self.stats.bytes_read += _RECORD * n
        new = converted if held is None else [a[held[0].size:] for a in converted]
        mark = iter_watermark(self.layout, new)
        arrays = self.order.push(converted, -(2**63) if mark is None else mark,
                                 ordered=self.decoder.dec.c.in_order or None, with_held=True)
        data = self._data(arrays)
        if marks and sum(len(m) for m in marks):  # marker bits as marker numbers (PhotonData.markers)
            data.markers = marker_numbers(np.concatenate(marks), "ptu")
        return data

    def _data(self, arrays: list[np.ndarray]) -> PhotonData:
        meta = meta_with_counters(self.layout, self.decoder)
        if self.order.moved:
            meta.notes.append(f"records were not in time order: {self.order.moved} events reordered so far")
        meta.extra = jsonable(meta.extra)
        return roles(PhotonData(arrays[0], arrays[1], meta, *(arrays[2:] if self.layout.rtype.t3 else ())))

    def finish(self) -> list[PhotonData]:
        """The events held back, and what the end left unread (counted)."""
        size = os.fstat(self.fh.fileno()).st_size
        self.fh.close()
        if not self.ended:
            room = size - self.offset - _RECORD * self.done
            self.stats.trailing_bytes += room % _RECORD if not self.declared else max(0, room)
            if self.declared > self.done:
                self.stats.notes.append(f"{self.path}: header declares {self.declared} records, "
                                        f"{self.done} were written")
        held = self.order.held()
        if held is None or not held[0].size:
            return []
        return [self._data(self.order.push([a[:0] for a in held], None))]
