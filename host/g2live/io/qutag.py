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

from g2live.io._common import MAX_TIME_PS, FormatError, channels_present, chunk_ranges, finish
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
    with open(path, "rb") as fh:
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
        rec = np.fromfile(fh, dtype=RECORD, count=n)
    if rec.size != n:
        raise FormatError(path, HEADER + rec.size * RECORD.itemsize, "file shrank while reading")
    check_records(path, rec)
    channel = rec["channel"].astype(np.uint8)
    time_ps = np.ascontiguousarray(rec["time"])
    meta.extra = {
        "header_hex": head.hex(),
        "records": int(n),
        "first_record_time_ps": int(time_ps[0]) if n else None,
    }
    meta.sync_channel = sync_channel
    data = finish(channel, time_ps, meta)
    data.meta.channel_roles = {
        c: "sync" if c == sync_channel else ("start input" if c == 0 else f"stop input {c}")
        for c in channels_present(data.channel)
    }
    return data


def check_records(path: Path, rec: np.ndarray, first: int = 0) -> None:
    """Refuse the first record no quTAG can write (``first``: its index in the file)."""
    if not rec.size:
        return
    t, ch = rec["time"], rec["channel"]
    if int(ch.max()) > MAX_CHANNEL:
        bad = int(np.argmax(ch > MAX_CHANNEL))
        raise FormatError(
            path,
            HEADER + (first + bad) * RECORD.itemsize + 8,
            f"channel {int(ch[bad])} > {MAX_CHANNEL}: no quTAG has that input (corrupted record?)",
        )
    if int(t.min()) < 0 or int(t.max()) > MAX_TIME_PS:
        bad = int(np.argmax((t < 0) | (t > MAX_TIME_PS)))
        raise FormatError(
            path,
            HEADER + (first + bad) * RECORD.itemsize,
            f"time stamp {int(t[bad])} ps is outside 0..{MAX_TIME_PS} ps (corrupted record?)",
        )


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
