# SPDX-License-Identifier: BSD-3-Clause
"""The ``follow`` back-end: a file another program is writing, played as it grows.

The events of ``g2live.io.follow.follow_chunks`` (complete records only, header re-read, rotation,
end of writing by the format's mark or ``idle_s`` without growth) go through the C twins of the
on-chip blocks exactly as ``replay`` plays a finished file, so live g2, the dashboard, ``record``
and sweeps work on it unchanged. ``acquire()`` waits for the writer (the device is paced by it):
an integration is published once the file holds events past its end, or writing has ended.
Meanwhile ``ready`` is False and the server answers control requests.
What the follower counted (partial records waited for, header updates, retries, bytes left at
the end) is in ``info()["follow"]``, which the status topic carries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from g2live.device.sim import SimDevice
from g2live.device.sources import PhotonSource
from g2live.io.follow import FollowStats, follow_chunks

__all__ = ["FollowDevice", "open_follow"]


class FollowDevice(SimDevice):
    name = "follow"

    def __init__(self, path: Path, idle_s: float = 5.0, poll_s: float = 0.05, rotate: bool = False,
                 chunk_records: int = 1 << 20, wait_s: float = 60.0) -> None:
        self.path = Path(path)
        self.stats = FollowStats()
        self._closed = False
        chunks = follow_chunks(self.path, idle_s=idle_s, poll_s=poll_s, rotate=rotate, stats=self.stats,
                               stop=lambda: self._closed, chunk_records=chunk_records, wait_s=wait_s,
                               heartbeat=True)
        super().__init__(source=PhotonSource(chunks))

    @property
    def paced(self) -> bool:
        return True  # the writer sets the pace: acquire() waits for its data

    @property
    def ready(self) -> bool:
        """The file holds the events of the next integration (or writing has ended)."""
        cfg = self.config
        if cfg is None:
            return True
        t_stop = self.t_next + round(cfg.integration_s * 1e12)
        min_delay = min((cfg.delay_ps.get(c, 0) for c in cfg.channels), default=0)
        return self.source.available_until(t_stop - min_delay)  # what acquire() feeds (sim.py)

    def info(self) -> dict[str, Any]:
        return {**super().info(), "file": str(self.path), "follow": self.stats.as_dict()}

    def close(self) -> None:
        self._closed = True
        super().close()


def open_follow(path: str | Path, idle_s: float = 5.0, poll_s: float = 0.05, rotate: bool = False,
                chunk_records: int = 1 << 20, wait_s: float = 60.0) -> FollowDevice:
    """A ``FollowDevice`` on ``path``. The file may not exist yet: building the device waits up to
    ``wait_s`` for it to appear with a complete header and its first events."""
    return FollowDevice(Path(path), idle_s, poll_s, rotate, chunk_records, wait_s)
