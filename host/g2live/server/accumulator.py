# SPDX-License-Identifier: BSD-3-Clause
"""The running totals of one run: every ``Integration`` of the device added up."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from g2live.config import MAX_CHANNELS, Config
from g2live.device.base import LOST_CAUSES, Integration

__all__ = ["Accumulator"]


@dataclass
class Accumulator:
    """Running totals of one run (since the last reset/configure)."""

    config: Config
    histograms: np.ndarray = field(init=False)
    photon_number: np.ndarray = field(init=False)
    counts: np.ndarray = field(default_factory=lambda: np.zeros(MAX_CHANNELS, np.int64))
    dead: np.ndarray = field(default_factory=lambda: np.zeros(MAX_CHANNELS, np.int64))
    lost: dict[str, np.ndarray] = field(
        default_factory=lambda: {c: np.zeros(MAX_CHANNELS, np.int64) for c in LOST_CAUSES}
    )
    integration_s: float = 0.0
    n_integrations: int = 0
    pre_sync: int = 0
    malformed: int = 0
    n_heralded: int = 0
    t_start: float = field(default_factory=time.time)
    t_stop: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        self.histograms = np.zeros((len(self.config.pairs), self.config.n_bins), np.int64)
        self.photon_number = np.zeros(self.config.max_photons + 1, np.int64)

    def add(self, integ: Integration) -> None:
        """Add one integration; a loss cause the run has not seen yet gets its own counter."""
        self.histograms += integ.histograms
        if integ.photon_number is not None:
            self.photon_number += integ.photon_number
        self.counts += integ.counts
        self.dead += integ.dead
        for cause, v in integ.lost.items():
            self.lost.setdefault(cause, np.zeros(MAX_CHANNELS, np.int64))
            self.lost[cause] += v
        self.integration_s += integ.duration_s
        self.n_integrations += 1
        self.pre_sync += integ.pre_sync
        self.malformed += integ.malformed
        self.n_heralded += len(integ.heralded)
        self.t_stop = time.time()

    @property
    def lost_total(self) -> int:
        return int(sum(int(v.sum()) for v in self.lost.values()))

    def lost_per_channel(self) -> np.ndarray:
        return np.sum([v for v in self.lost.values()], axis=0).astype(np.int64)
