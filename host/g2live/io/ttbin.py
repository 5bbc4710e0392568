# SPDX-License-Identifier: BSD-3-Clause
"""Swabian Time Tagger ``.ttbin`` files (``FileWriter`` output), read through Swabian's own
``TimeTagger.FileReader``: the format is not documented for other readers, so g2live does not
guess it. The library comes with Swabian's Time Tagger software (module ``TimeTagger``) or from
PyPI (``swabian-timetagger``, module ``Swabian.TimeTagger``); without it, reading raises
``FormatError`` saying so. Checked against swabian-timetagger 2.22.6 (in a separate venv): the
buffer API (``getTimestamps``, ``getChannels``, ``getEventTypes``, ``getMissedEvents``), and that
its reader only logs "Incorrect Header" for a file it cannot read, then reports no data (refused
here). No ``.ttbin`` file could be made without a Time Tagger (its virtual tagger needs one for the
licence), so reading real tags through it is not verified.

Events are the time tags (event type 0) with Swabian channel numbers mapped as for the 16-byte
dumps (``g2live.io.swabian``: n rising -> n, -n falling -> 32 + n); overflow and missed-event
records are counted in ``meta.extra`` as there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from g2live.io._common import FormatError, Reorderer, finish
from g2live.io.swabian import RECORD, counters, decode, meta_of
from g2live.photons import PhotonData

__all__ = ["read", "iter_chunks", "file_reader"]

PACKAGE_HINT = ("reading .ttbin files needs Swabian Instruments' Time Tagger library (`pip install "
                "swabian-timetagger`, or Swabian's Time Tagger software), which is not installed "
                "here; Swabian's `FileReader` is the only documented reader of this format. "
                "Alternatively export the tags with Swabian's software as a 16-byte dump (.dump), "
                "which g2live reads directly")


def _library() -> Any:
    """Swabian's module: ``Swabian.TimeTagger`` (the PyPI wheel) or ``TimeTagger`` (the installer)."""
    import importlib

    for name in ("Swabian.TimeTagger", "TimeTagger"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def file_reader(path: Path) -> Any:
    """Swabian's ``FileReader`` on ``path``, or a ``FormatError`` naming the package."""
    lib = _library()
    if lib is None:
        raise FormatError(path, None, PACKAGE_HINT)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        return lib.FileReader(str(path))
    except RuntimeError as exc:
        raise FormatError(path, None, f"Swabian's FileReader: {exc}") from None


def _records(buf: Any) -> np.ndarray:
    """One ``TimeTagStreamBuffer`` as 16-byte records (the dump layout)."""
    times = np.asarray(buf.getTimestamps(), np.int64)
    rec = np.zeros(times.size, dtype=RECORD)
    rec["time"] = times
    rec["channel"] = np.asarray(buf.getChannels(), np.int32)
    rec["type"] = np.asarray(buf.getEventTypes(), np.uint8)
    rec["missed"] = np.asarray(buf.getMissedEvents(), np.uint16)
    return rec


def iter_chunks(path: str | os.PathLike[str], chunk_records: int = 1 << 20) -> Iterator[PhotonData]:
    path = Path(path)
    reader = file_reader(path)
    counts: dict[str, int] = counters()
    present: set[int] = set()
    order = Reorderer()
    first = 0
    while reader.hasData():
        rec = _records(reader.getData(chunk_records))
        channel, time_ps = decode(path, rec, first, counts, present)
        first += rec.size
        last = not reader.hasData()
        mark = None if last else (int(time_ps.max()) if time_ps.size else -(2**63))
        arrays = order.push([channel, time_ps], mark)
        meta = meta_of(counts, present)
        meta.format = "Swabian .ttbin"
        yield PhotonData(arrays[0], arrays[1], meta)
    if first == 0:
        # Swabian 2.22's reader logs "Incorrect Header" for a file it cannot read and then just
        # reports no data: never pass that off as an empty recording
        raise FormatError(path, 0, "Swabian's FileReader read no tags (not a .ttbin file, or one it "
                          "cannot open: its log above says why)")


def read(path: str | os.PathLike[str]) -> PhotonData:
    chunks = list(iter_chunks(path))
    if not chunks:
        return finish(np.zeros(0, np.uint8), np.zeros(0, np.int64), meta_of(counters(), set()))
    meta = chunks[-1].meta
    return finish(np.concatenate([c.channel for c in chunks]), np.concatenate([c.time_ps for c in chunks]),
                  meta, what="tags", in_place=True)
