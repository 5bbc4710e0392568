# SPDX-License-Identifier: BSD-3-Clause
"""The device interface every back-end implements: ``Device``, ``Integration``, ``DeviceError``.

A ``Device`` is configured with a validated ``g2live.config.Config`` (checked against the device's
``DeviceCaps`` before anything is written to it), started, and then delivers one ``Integration``
per ``acquire()`` call: what the on-chip blocks computed over one integration time (histograms,
photon-number histogram, heralded records, counts, losses), in device time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from g2live import contract
from g2live.config import MAX_CHANNELS, Config, DeviceCaps
from g2live.core import MARKER_DTYPE as _MARKER_DTYPE

__all__ = ["Device", "DeviceError", "Integration", "LOST_CAUSES", "HERALD_COLUMNS"]

LOST_CAUSES = tuple(c.name for c in contract.LOST_CAUSES)  # by LOST word cause code (docs/tag_word.md)
# Columns of ``Integration.heralded`` (and of the ``heralded`` topic, docs/protocol.md 1.2).
HERALD_COLUMNS = ("period", "channel_first", "delay_first_ps", "channel_second", "delay_second_ps")


@dataclass
class Integration:
    """What the device computed over one integration ``[t_start_ps, t_stop_ps)`` of device time."""

    t_start_ps: int
    t_stop_ps: int
    histograms: np.ndarray  # int64[n_pairs, n_bins]
    counts: np.ndarray  # int64[64]: accepted events per channel
    photon_number: np.ndarray | None = None  # int64[max_photons + 1]
    heralded: np.ndarray = field(default_factory=lambda: np.zeros((0, 5), np.int64))  # int64[n, 5]
    lost: dict[str, np.ndarray] = field(default_factory=dict)  # cause -> int64[64]
    dead: np.ndarray = field(default_factory=lambda: np.zeros(MAX_CHANNELS, np.int64))
    trace: np.ndarray | None = None  # int64[n_trace_bins] detector photons per trace bin
    pre_sync: int = 0
    malformed: int = 0
    tag_words: np.ndarray | None = None  # uint64 raw words when raw tags are on
    n_tags: int = 0
    last_input: bool = False  # the source is exhausted (replay)
    # the integration's tags (channel, time_ps) in stream order, when the device has them in this
    # process (sim, replay): the server's live heralded analysis reads them; never published
    stream: tuple[np.ndarray, np.ndarray] | None = None
    # marker events (frame / line / power step) of the integration's time span: structured
    # (marker, time_ps) as g2live.core.MARKER_DTYPE, time ordered; on chip the marker inputs
    markers: np.ndarray = field(default_factory=lambda: np.zeros(0, _MARKER_DTYPE))

    @property
    def duration_s(self) -> float:
        return (self.t_stop_ps - self.t_start_ps) * 1e-12

    def lost_per_channel(self) -> np.ndarray:
        total = np.zeros(MAX_CHANNELS, np.int64)
        for v in self.lost.values():
            total += v
        return total


class DeviceError(RuntimeError):
    """The device failed or reported something inconsistent (named in the message)."""


class Device(ABC):
    """Common interface of every back-end."""

    name = "device"

    def __init__(self) -> None:
        self.config: Config | None = None
        self.running = False

    @property
    @abstractmethod
    def caps(self) -> DeviceCaps: ...

    def configure(self, config: Config) -> None:
        """Validate ``config`` against this device's limits, then apply it (clears data)."""
        config.check_device(self.caps)
        self._apply(config)
        self.config = config

    @abstractmethod
    def _apply(self, config: Config) -> None: ...

    def start(self) -> None:
        self.running = True

    def stop(self) -> None:
        self.running = False

    @abstractmethod
    def clear(self) -> None:
        """Drop partial data of the current integration (a new run begins)."""

    @abstractmethod
    def acquire(self) -> Integration | None:
        """The next finished integration, or None if the source has nothing more."""

    def set_source_power(self, power: float) -> bool:
        """Set the emulated excitation power; False when this device has no emulator."""
        return False

    @property
    def ready(self) -> bool:
        """False while ``acquire()`` would wait for a live source (``follow``: the writer); the
        server then keeps answering control requests instead of calling it."""
        return True

    @property
    def paced(self) -> bool:
        """True when ``acquire()`` already takes real time (hardware); else the server paces."""
        return False

    def info(self) -> dict[str, Any]:
        return {"device": self.name}

    def close(self) -> None:
        self.running = False
