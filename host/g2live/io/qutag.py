"""qutools quTAG binary time-tag files (the "BINARY" export of the quTAG software).

Layout: a 40-byte header that starts with the 4 bytes ``87 B3 91 FA``, then 10-byte records:
int64 time stamp (ps, the quTAG's 1 ps time base) and uint16 channel, little-endian. The other
header bytes are not documented publicly; they are kept verbatim (hex) in ``meta.extra``.
quTAG channel numbers are kept as they are (0 = start input, 1.. = stop inputs); which one
carries a laser sync is not in the file (pass ``sync_channel=``).
Records are not guaranteed to be in time order (the device merges per-input buffers); the reader
sorts them stably and says so in ``meta.notes``.

What a quTAG cannot produce is refused with the record's byte offset: a negative time stamp or one
past 2**62 ps (53 days of device time), and a channel above 63 (no quTAG has that many inputs;
64 is ``SYNC_CHANNEL``). The header holds no measurement time to bound the times further.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from g2live import _core
from g2live.io._common import MAX_TIME_PS, FormatError, chunk_ranges, finish
from g2live.io._records import read_exact
from g2live.photons import Meta, PhotonData

MAGIC = bytes.fromhex("87b391fa")
HEADER = 40
RECORD = np.dtype([("time", "<i8"), ("channel", "<u2")])
MAX_CHANNEL = 63


def read(
    path: str | os.PathLike[str], allow_truncated: bool = False, sync_channel: int | None = None
) -> PhotonData:
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb", buffering=0) as fh:
        head = fh.read(HEADER)
        if len(head) < HEADER:
            raise FormatError(path, len(head), f"file ends inside the {HEADER}-byte quTAG header")
        if head[:4] != MAGIC:
            raise FormatError(
                path, 0, f"not a quTAG binary file: magic {head[:4].hex()}, expected {MAGIC.hex()}"
            )
        n, rest = divmod(size - HEADER, RECORD.itemsize)
        meta = Meta(source="qutools quTAG", format="quTAG", resolution_ps=1.0)
        if rest:
            msg = f"{rest} bytes of an incomplete record at the end"
            if not allow_truncated:
                raise FormatError(
                    path, HEADER + n * RECORD.itemsize, msg + " (allow_truncated=True reads the rest)"
                )
            meta.notes.append(f"truncated file: {msg} ignored")
        # one allocation for the times, the channels and the raw records (freed with them: 10 bytes
        # a record), so a file of a few MB takes huge pages and few page faults
        base = np.empty(n * (8 + 1 + RECORD.itemsize), dtype=np.uint8)
        time_ps, channel, raw = base[: 8 * n].view(np.int64), base[8 * n : 9 * n], base[9 * n :]
        read_exact(fh, raw, path, HEADER)
    present, first_unsorted = decode(path, raw, channel, time_ps)
    meta.extra = {
        "header_hex": head.hex(),
        "records": int(n),
        "first_record_time_ps": int(time_ps[0]) if n else None,
    }
    meta.sync_channel = sync_channel
    data = finish(channel, time_ps, meta, ordered=first_unsorted < 0, in_place=True)
    data.meta.channel_roles = {
        c: "sync" if c == sync_channel else ("start input" if c == 0 else f"stop input {c}") for c in present
    }
    return data


def decode(
    path: Path, raw: np.ndarray, channel: np.ndarray, time_ps: np.ndarray, first: int = 0
) -> tuple[list[int], int]:
    """Records (raw bytes) into channel and time_ps -> (channels present, index of the first record
    out of stream order or -1), in C (cext/src/g2l_records.c); a record no quTAG can write is
    refused with its byte offset (``first``: index of the first record in the file)."""
    st, index, value, mask, first_unsorted = _core.qutag_decode(raw, MAX_CHANNEL, channel, time_ps)
    if st == _core.ERR_CHANNEL:
        raise FormatError(
            path,
            HEADER + (first + index) * RECORD.itemsize + 8,
            f"channel {value} > {MAX_CHANNEL}: no quTAG has that input (corrupted record?)",
        )
    if st == _core.ERR_TIME:
        raise FormatError(
            path,
            HEADER + (first + index) * RECORD.itemsize,
            f"time stamp {value} ps is outside 0..{MAX_TIME_PS} ps (corrupted record?)",
        )
    return [c for c in range(64) if mask >> c & 1], first_unsorted


def iter_chunks(
    path: str | os.PathLike[str],
    chunk_records: int = 1 << 20,
    allow_truncated: bool = False,
    sync_channel: int | None = None,
) -> Iterator[PhotonData]:
    """Chunks of the sorted file (sorting needs every record, so the file is read whole first)."""
    data = read(path, allow_truncated, sync_channel)
    for start, stop in chunk_ranges(len(data), chunk_records):
        yield PhotonData(data.channel[start:stop], data.time_ps[start:stop], data.meta)


def write(path: str | os.PathLike[str], data: PhotonData, header: bytes | None = None) -> None:
    """Write quTAG binary (used by tests and converters that feed quTAG-format tools)."""
    head = header if header is not None else MAGIC + bytes(HEADER - 4)
    if len(head) != HEADER or head[:4] != MAGIC:
        raise ValueError("a quTAG header is 40 bytes starting with the magic 87 B3 91 FA")
    rec = np.empty(len(data), dtype=RECORD)
    rec["time"] = data.time_ps
    rec["channel"] = data.channel
    with open(path, "wb") as fh:
        fh.write(head)
        rec.tofile(fh)
