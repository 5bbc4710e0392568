# SPDX-License-Identifier: BSD-3-Clause
"""The ``replay`` back-end: a recording played through the C twins of the on-chip blocks.

The server paces it: ``speed=1`` plays it at its recorded pace, ``speed=0`` as fast as possible.
The device-time origin is the first photon of the file. ``loop=True`` starts again at the end,
continuing the time line (each pass shifted by the file's span plus one laser period or 1 us).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from g2live.device.sim import SimDevice
from g2live.device.sources import FileSource, PhotonSource
from g2live.photons import PhotonData, whole_ps

__all__ = ["ReplayDevice", "open_replay"]


def _shifted(chunk: PhotonData, shift: int, periods: int) -> PhotonData:
    """A chunk moved ``shift`` ps later; T3 chunks by whole periods (``periods`` of them)."""
    if chunk.is_t3:
        assert chunk.sync_index is not None
        return PhotonData(chunk.channel, chunk.time_ps + shift, chunk.meta, chunk.sync_index + periods,
                          chunk.microtime_ps)
    return PhotonData(chunk.channel, chunk.time_ps + shift, chunk.meta)


def _looped(path: Path, chunk_records: int) -> Iterator[PhotonData]:
    from g2live import io

    shift = periods = 0
    while True:
        first = last = None
        gap = 1_000_000
        n = 0
        q: int | None = None
        for chunk in io.iter_chunks(path, chunk_records=chunk_records):
            if len(chunk) == 0:
                continue
            n += len(chunk)
            if first is None:
                first = int(chunk.time_ps[0])
                if chunk.meta.sync_rate_hz:
                    gap = round(1e12 / chunk.meta.sync_rate_hz)
                q = whole_ps(chunk.meta.sync_period_ps) if chunk.is_t3 and chunk.meta.sync_period_ps else None
                if chunk.is_t3 and q is None:
                    raise ValueError(f"replay --loop: {path} is T3 with a sync period in fractions of a ps")
            last = int(chunk.time_ps[-1])
            yield _shifted(chunk, shift, periods)
        if n == 0 or first is None or last is None:
            return
        if q is not None:  # T3: the next pass starts whole periods later (the syncs stay on the grid)
            k = -(-(last - first + gap) // q)
            shift, periods = shift + k * q, periods + k
        else:
            shift += last - first + gap


class ReplayDevice(SimDevice):
    name = "replay"

    def info(self) -> dict[str, Any]:
        return {**super().info(), "file": str(self.path)}


def open_replay(path: str | Path, loop: bool = False, chunk_records: int = 1 << 20) -> ReplayDevice:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"replay: {path} does not exist")
    source: PhotonSource = (
        PhotonSource(_looped(path, chunk_records)) if loop else FileSource(path, chunk_records=chunk_records)
    )
    dev = ReplayDevice(source=source)
    dev.path = path
    return dev
