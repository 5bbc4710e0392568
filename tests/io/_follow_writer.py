# SPDX-License-Identifier: BSD-3-Clause
"""A writer process for the follow tests: copies a real file into a growing one, in pieces.

Flat formats (PTU, quTAG) are appended byte by byte-range in random-sized pieces that cut records
(and the header), flushed one at a time with a short pause. A PTU file gets its header first with
``TTResult_NumberOfRecords`` = 0, as PicoQuant software writes it, and the true count patched in
at the end. Photon-HDF5 is written the way a recording is: ``g2live.io.open_writer`` appending
chunks of random sizes (SWMR, committed after each). Usage:
``python _follow_writer.py SRC DST [--seed N] [--pieces N] [--pause-s S]``.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import time
from pathlib import Path

import numpy as np


def _count_field(head: bytes) -> int | None:
    """Byte offset of TTResult_NumberOfRecords' value in a PTU header."""
    name = b"TTResult_NumberOfRecords".ljust(32, b"\x00")
    k = head.find(name)
    return None if k < 0 else k + 40


def _cuts(size: int, pieces: int, rng: np.random.Generator) -> list[int]:
    cuts = np.unique(rng.integers(1, size, pieces - 1)) if size > 1 and pieces > 1 else []
    return [0, *map(int, cuts), size]


def write_flat(src: Path, dst: Path, pieces: int, pause_s: float, rng: np.random.Generator) -> None:
    raw = src.read_bytes()
    at = _count_field(raw[:1 << 16]) if raw.startswith(b"PQTTTR") else None
    first = bytearray(raw)
    if at is not None:
        first[at:at + 8] = struct.pack("<q", 0)  # recording: the count is patched at the end
    cuts = _cuts(len(raw), pieces, rng)
    with open(dst, "wb", buffering=0) as fh:
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            fh.write(bytes(first[a:b]))
            time.sleep(pause_s)
        if at is not None:
            os.pwrite(fh.fileno(), raw[at:at + 8], at)


def write_hdf5(src: Path, dst: Path, pieces: int, pause_s: float, rng: np.random.Generator) -> None:
    from g2live import io

    data = io.read(src)
    writer = io.open_writer(dst, data.meta, t3=data.is_t3)
    cuts = _cuts(len(data), pieces, rng)
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        writer.append(data.slice(a, b))
        time.sleep(pause_s)
    writer.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("src", type=Path)
    p.add_argument("dst", type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--pieces", type=int, default=40)
    p.add_argument("--pause-s", type=float, default=0.005)
    a = p.parse_args(argv)
    rng = np.random.default_rng(a.seed)
    if a.src.read_bytes()[:8] == b"\x89HDF\r\n\x1a\n":
        write_hdf5(a.src, a.dst, a.pieces, a.pause_s, rng)
    else:
        write_flat(a.src, a.dst, a.pieces, a.pause_s, rng)
    return 0


if __name__ == "__main__":
    sys.exit(main())
