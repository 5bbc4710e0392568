# SPDX-License-Identifier: BSD-3-Clause
"""The one in-memory representation of photon data that every layer exchanges.

Readers (``g2live.io``), the emulator, recordings and the analysis all speak ``PhotonData``:
per-event ``channel`` (uint8) and absolute ``time_ps`` (int64 picoseconds, non-decreasing),
optionally T3 ``sync_index`` / ``microtime_ps``, plus ``Meta``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Meta", "PhotonData"]


@dataclass
class Meta:
    """What a file or source says about its photons."""

    source: str = ""  # instrument or generator, e.g. "PicoQuant HydraHarp 400 T3", "g2live.emulator"
    format: str = ""  # file format name, e.g. "PTU", "quTAG", "Photon-HDF5"
    resolution_ps: float = 1.0  # time-tag resolution
    sync_rate_hz: float | None = None  # laser repetition rate when known
    sync_channel: int | None = None  # channel that carries the sync, when it is a channel
    channel_roles: dict[int, str] = field(default_factory=dict)  # e.g. {0: "detector A", 2: "sync"}
    acquisition_s: float | None = None
    notes: list[str] = field(default_factory=list)  # e.g. "records were not time ordered: sorted"
    extra: dict[str, Any] = field(default_factory=dict)  # device settings, header tags, truth


@dataclass
class PhotonData:
    """Time-tagged events of one recording or chunk.

    Parameters
    ----------
    channel : numpy.ndarray
        uint8 channel of each event.
    time_ps : numpy.ndarray
        int64 absolute time of each event (ps, non-decreasing).
    meta : Meta, optional
        What the source says about the events.
    sync_index, microtime_ps : numpy.ndarray, optional
        T3 only: index of each event's sync period, and its delay after that sync.
    """

    channel: np.ndarray  # uint8[n]
    time_ps: np.ndarray  # int64[n], non-decreasing
    meta: Meta = field(default_factory=Meta)
    sync_index: np.ndarray | None = None  # int64[n], T3 only: index of the sync period
    microtime_ps: np.ndarray | None = None  # int64[n], T3 only: delay after that sync

    def __post_init__(self) -> None:
        self.channel = np.ascontiguousarray(self.channel, dtype=np.uint8)
        self.time_ps = np.ascontiguousarray(self.time_ps, dtype=np.int64)
        if self.channel.shape != self.time_ps.shape or self.channel.ndim != 1:
            raise ValueError(
                f"channel {self.channel.shape} and time_ps {self.time_ps.shape} must be equal 1-D"
            )
        for name in ("sync_index", "microtime_ps"):
            arr = getattr(self, name)
            if arr is not None:
                arr = np.ascontiguousarray(arr, dtype=np.int64)
                if arr.shape != self.time_ps.shape:
                    raise ValueError(f"{name} has shape {arr.shape}, expected {self.time_ps.shape}")
                setattr(self, name, arr)

    def __len__(self) -> int:
        return int(self.time_ps.size)

    def counts(self) -> dict[int, int]:
        """Events per channel that has any: ``{channel: count}``."""
        values, n = np.unique(self.channel, return_counts=True)
        return {int(c): int(k) for c, k in zip(values, n, strict=True)}

    def duration_s(self) -> float:
        """Acquisition time: ``meta.acquisition_s`` when known, else last minus first event."""
        if self.meta.acquisition_s is not None:
            return float(self.meta.acquisition_s)
        if len(self) < 2:
            return 0.0
        return float(self.time_ps[-1] - self.time_ps[0]) * 1e-12

    def select(self, mask: np.ndarray) -> PhotonData:
        """The events selected by a boolean mask or index array (same ``meta``)."""
        return PhotonData(
            self.channel[mask],
            self.time_ps[mask],
            self.meta,
            None if self.sync_index is None else self.sync_index[mask],
            None if self.microtime_ps is None else self.microtime_ps[mask],
        )

    def channel_times(self, channel: int) -> np.ndarray:
        """Times (ps) of the events on ``channel``."""
        return self.time_ps[self.channel == channel]
