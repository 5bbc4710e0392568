# SPDX-License-Identifier: BSD-3-Clause
"""Heralded analysis in passes over chunks, for T2 streams (sync events) and T3 photons.

Pass 1 (``QuietAccumulator``) histograms every photon's delay after its sync to find the quiet
point of the period. Pass 2 (``HeraldedAccumulator``) assigns every photon to the period that
starts at that point before it and collects what ``analyze_heralded`` reads (``HeraldedData``:
the first two photons of every period with two or more, and each pixel's singles histogram); a
period's photons are held until a later chunk shows the period closed. The record is small (one
record per two-photon period) and exact under any chunking: the same as the data of the whole
recording in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from g2live.photons import PhotonData

from ..lifetime import decay_histogram, quiet_bin
from ..lifetime._jitter import Jitter
from ._analysis import HeraldedResult, analyze_heralded
from ._pairs import PairRecords
from ._records import HeraldedData, heralded_data
from ._stream import HeraldedStream

__all__ = ["HeraldedAccumulator", "QuietAccumulator", "SyncModel", "heralded_result"]


@dataclass(frozen=True)
class SyncModel:
    """Where a recording's syncs are: events on ``channel`` (T2), or, for T3 photons, every
    ``t3_period_ps`` from time 0 before ``end_ps``."""

    channel: int
    t3_period_ps: int | None = None
    end_ps: int = 0

    @property
    def t3(self) -> bool:
        return self.t3_period_ps is not None


class QuietAccumulator:
    """Histogram of every photon's delay after its sync, modulo the period, in ``bin_ps`` bins."""

    def __init__(self, sync: SyncModel, period_ps: float, bin_ps: int) -> None:
        self.sync, self.period_ps, self.bin_ps = sync, float(period_ps), int(bin_ps)
        self.hist = np.zeros(int(np.ceil(self.period_ps / self.bin_ps)), np.int64)
        self._last: int | None = None

    def add(self, chunk: PhotonData) -> None:
        if self.sync.t3:
            q = np.int64(self.sync.t3_period_ps)
            delays = chunk.time_ps - chunk.time_ps // q * q
        else:
            delays = self._t2_delays(chunk.channel, chunk.time_ps)
        self.hist += decay_histogram(np.mod(delays, self.period_ps), self.bin_ps, self.period_ps)

    def _t2_delays(self, ch: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Delays after the latest sync (the one before the chunk carried)."""
        is_sync = ch == self.sync.channel
        st = t[is_sync]
        if self._last is not None:
            st = np.concatenate(([self._last], st))
        pt = t[~is_sync]
        per = np.searchsorted(st, pt, side="right") - 1
        ok = per >= 0
        if st.size:
            self._last = int(st[-1])
        return pt[ok] - st[per[ok]]

    def finish(self) -> None:
        pass

    def shift_ps(self) -> int:
        """How far (ps, <= 0) to move every sync so that periods start at the quietest point."""
        q = quiet_bin(self.hist) * self.bin_ps
        return int(round(q - self.period_ps)) if q > 0 else 0


class HeraldedAccumulator:
    """Pass 2: ``HeraldedData`` of the recording, periods starting ``shift_ps`` (<= 0) after
    their sync; the last period is open and left out (module docstring)."""

    def __init__(
        self, sync: SyncModel, shift_ps: int, period_ps: float, pixels: np.ndarray, bin_ps: int
    ) -> None:
        self.sync, self.shift_ps = sync, int(shift_ps)
        self.period_ps, self.bin_ps = float(period_ps), int(bin_ps)
        self.pixels = np.asarray(pixels, np.int64)
        self._stream = None if sync.t3 else HeraldedStream(
            sync.channel, self.pixels, period_ps, bin_ps, shift_ps=self.shift_ps
        )
        self._held = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
        self._parts: list[HeraldedData] = []
        self.data: HeraldedData | None = None

    def add(self, chunk: PhotonData) -> None:
        if not len(chunk):
            return
        if self._stream is not None:
            self._stream.update(chunk.channel, chunk.time_ps)
            return
        q = int(self.sync.t3_period_ps or 0)
        t = chunk.time_ps.astype(np.int64) - self.shift_ps  # photons later = periods earlier
        per = t // q
        ch = np.concatenate((self._held[0], chunk.channel.astype(np.int64)))
        per = np.concatenate((self._held[1], per))
        delay = np.concatenate((self._held[2], t - (t // q) * q))
        last = per == per[-1]  # the latest period may go on in the next chunk
        self._held = (ch[last], per[last], delay[last])
        self._t3(ch[~last], per[~last], delay[~last], 0)

    def _t3(self, ch: np.ndarray, per: np.ndarray, delay: np.ndarray, n_periods: int) -> None:
        self._parts.append(
            heralded_data(ch, per, delay, n_periods, self.period_ps, self.pixels, self.bin_ps, self.shift_ps)
        )

    def finish(self) -> None:
        if self._stream is not None:
            self.data = self._stream.data
            return
        q = int(self.sync.t3_period_ps or 0)
        n_syncs = max(-(-self.sync.end_ps // q), int(self._held[1][-1]) + 1 if self._held[1].size else 0)
        ch, per, delay = self._held
        closed = per < n_syncs - 1  # the last period is still open (as with T2 syncs)
        self._t3(ch[closed], per[closed], delay[closed], max(n_syncs - 1, 0))
        self.data, self._parts = _joined(self._parts), []


def _joined(parts: list[HeraldedData]) -> HeraldedData:
    """The parts of one recording as one (records in order, histograms and periods summed)."""
    pairs = PairRecords(
        *(np.concatenate([getattr(p.pairs, k) for p in parts]) for k in PairRecords.__dataclass_fields__)
    )
    singles = np.sum([p.singles for p in parts], axis=0)
    return replace(parts[0], pairs=pairs, singles=singles, n_periods=sum(p.n_periods for p in parts))


def heralded_result(
    acc: HeraldedAccumulator, pixel_energy_ev: np.ndarray, jitter: Jitter | None = None
) -> HeraldedResult:
    """``analyze_heralded`` of what a pass of ``HeraldedAccumulator`` collected."""
    if acc.data is None:
        raise ValueError("heralded: no closed laser period")
    return analyze_heralded(acc.data, np.asarray(pixel_energy_ev, float), jitter=jitter)
