# SPDX-License-Identifier: BSD-3-Clause
"""``HeraldedData`` built chunk by chunk from a tag stream (live server, chunked files).

Periods start at the quietest point of the laser period, i.e. a little *before* their sync: a
photon's period is only known once the next sync has arrived, so the photons after the last known
period start wait for the next chunk. The quiet point is taken from the first chunks (at least
``min_photons`` photons), which are held until then.
"""

from __future__ import annotations

import numpy as np

from ._pairs import PairRecords
from ._records import HeraldedData, heralded_data, quiet_shift_ps

__all__ = ["HeraldedStream"]


class HeraldedStream:
    """Accumulates pair records and singles histograms of a stream with a sync channel.

    Parameters
    ----------
    sync_channel : int
        Channel of the laser sync (every pulse recorded).
    pixels : numpy.ndarray
        The pixel channels.
    period_ps : float
        Laser period.
    bin_ps : int, optional
        Bin of the singles histograms.
    min_photons : int, optional
        Photons used to find the quiet point of the period.
    shift_ps : int, optional
        Where periods start relative to the sync (<= 0), when known; default: the quiet point.
    """

    def __init__(
        self,
        sync_channel: int,
        pixels: np.ndarray,
        period_ps: float,
        bin_ps: int = 16,
        min_photons: int = 2000,
        shift_ps: int | None = None,
    ) -> None:
        self.sync_channel = int(sync_channel)
        self.pixels = np.asarray(pixels, dtype=np.int64)
        self.period_ps = float(period_ps)
        self.bin_ps = int(bin_ps)
        self.min_photons = int(min_photons)
        self.shift_ps: int | None = None if shift_ps is None else int(shift_ps)
        self._held: list[tuple[np.ndarray, np.ndarray]] = []  # chunks before the shift is known
        self._last_start: int | None = None  # the latest known period start
        self._pend_c = np.zeros(0, np.int64)  # photons after it
        self._pend_t = np.zeros(0, np.int64)
        self._data: HeraldedData | None = None

    @property
    def data(self) -> HeraldedData | None:
        """Everything accumulated so far (None before the first closed period)."""
        return self._data

    def update(self, channel: np.ndarray, time_ps: np.ndarray) -> None:
        """Add one chunk of the stream (syncs included, time ordered, after the previous chunk)."""
        ch = np.asarray(channel, dtype=np.int64)
        t = np.asarray(time_ps, dtype=np.int64)
        if self.shift_ps is None:
            self._held.append((ch, t))
            if not self._find_shift():
                return
            held, self._held = self._held, []
            for c, tt in held:
                self._add(c, tt)
            return
        self._add(ch, t)

    def _find_shift(self) -> bool:
        ch = np.concatenate([c for c, _ in self._held])
        t = np.concatenate([tt for _, tt in self._held])
        is_sync = ch == self.sync_channel
        sync_t = t[is_sync]
        photon = ~is_sync & np.isin(ch, self.pixels)
        per = np.searchsorted(sync_t, t[photon], side="right") - 1
        ok = per >= 0
        if ok.sum() < self.min_photons:
            return False
        self.shift_ps = quiet_shift_ps(t[photon][ok] - sync_t[per[ok]], self.period_ps, self.bin_ps)
        return True

    def _add(self, ch: np.ndarray, t: np.ndarray) -> None:
        assert self.shift_ps is not None
        is_sync = ch == self.sync_channel
        starts = t[is_sync] + self.shift_ps
        if self._last_start is not None:
            starts = np.concatenate(([self._last_start], starts))
        pc = np.concatenate((self._pend_c, ch[~is_sync]))
        pt = np.concatenate((self._pend_t, t[~is_sync]))
        if starts.size == 0:
            self._pend_c, self._pend_t = pc, pt
            return
        per = np.searchsorted(starts, pt, side="right") - 1
        closed = (per >= 0) & (per < starts.size - 1)
        still_open = per == starts.size - 1
        if closed.any():
            chunk = heralded_data(
                pc[closed],
                per[closed],
                pt[closed] - starts[per[closed]],
                int(starts.size - 1),
                self.period_ps,
                self.pixels,
                self.bin_ps,
                self.shift_ps,
            )
            self._data = chunk if self._data is None else self._data + chunk
        elif starts.size > 1:
            empty = PairRecords(*(np.zeros(0, np.int64) for _ in range(4)))
            n_bins = int(np.ceil(self.period_ps / self.bin_ps))
            chunk = HeraldedData(
                empty,
                np.zeros((self.pixels.size, n_bins), np.int64),
                self.pixels,
                self.bin_ps,
                self.period_ps,
                int(starts.size - 1),
                self.shift_ps,
            )
            self._data = chunk if self._data is None else self._data + chunk
        self._last_start = int(starts[-1])
        self._pend_c, self._pend_t = pc[still_open], pt[still_open]
