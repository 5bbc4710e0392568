# SPDX-License-Identifier: BSD-3-Clause
"""What the report's steps add up over a pass: pair histograms, decay histograms, fine traces.

Each is exact under any split of the recording into chunks: histograms and traces are integer
sums, and what spans a chunk boundary (the tag history of the correlator, the latest sync) is
carried into the next chunk.
"""

from __future__ import annotations

import numpy as np

from g2live.photons import PhotonData

from ..correlation import CorrelationHistogram
from ..lifetime import decay_histogram

__all__ = ["DecayAccumulator", "PairAccumulator", "TraceAccumulator", "sync_delays"]


class PairAccumulator:
    """All-pairs histogram of ``t_b - t_a`` (``core.Correlator``: equal to ``core.correlate``
    of the two channels' times, pairs spanning chunks included)."""

    def __init__(self, a: int, b: int, bin_width_ps: int, n_bins: int) -> None:
        from g2live import core

        self.a, self.b = a, b
        self.bin_width_ps, self.n_bins = int(bin_width_ps), int(n_bins)
        self._corr = core.Correlator([(a, b)], self.bin_width_ps, self.n_bins, 0)
        self.histogram: CorrelationHistogram | None = None

    def add(self, chunk: PhotonData) -> None:
        ch = chunk.channel
        keep = (ch == self.a) | (ch == self.b)
        self._corr.update(ch[keep], chunk.time_ps[keep])

    def finish(self) -> None:
        counts = np.asarray(self._corr.histograms()[0], np.int64)
        self.histogram = CorrelationHistogram(counts, self.bin_width_ps, 0)


def sync_delays(
    chunk: PhotonData, sync: int, last_sync: int | None
) -> tuple[np.ndarray, np.ndarray, int | None]:
    """Delay of each photon (non-sync event) of a T2 chunk after the latest sync, with the sync
    before the chunk carried in ``last_sync``; photons before any sync are left out. Returns
    (delays, their indices in the chunk, the last sync now)."""
    ch, t = chunk.channel, chunk.time_ps
    is_sync = ch == sync
    st = t[is_sync]
    if last_sync is not None:
        st = np.concatenate(([last_sync], st))
    idx = np.flatnonzero(~is_sync)
    per = np.searchsorted(st, t[idx], side="right") - 1
    ok = per >= 0
    return t[idx[ok]] - st[per[ok]], idx[ok], (int(st[-1]) if st.size else last_sync)


class DecayAccumulator:
    """Per detector channel, the decay histogram of photon delays after their sync, taken modulo
    the period (``lifetime.periodic_decay`` before its rotation): T3 micro-times, or delays after
    the sync events of T2 data (within 1.5 periods of a recorded sync: a filtered sync leaves
    gaps)."""

    def __init__(self, detectors: list[int], sync: int | None, period_ps: float, bin_width_ps: float) -> None:
        self.detectors = list(detectors)
        self.sync = sync
        self.period_ps, self.bin_width_ps = float(period_ps), float(bin_width_ps)
        self.n_bins = int(np.ceil(self.period_ps / self.bin_width_ps))
        self.hist = np.zeros((len(self.detectors), self.n_bins), np.int64)
        self.photons = np.zeros(len(self.detectors), np.int64)  # photons with a delay, per channel
        self._row = np.full(256, -1, np.int64)
        self._row[self.detectors] = np.arange(len(self.detectors))
        self._last_sync: int | None = None
        # shortest gap between two events of one channel: the detector's dead time
        self.min_gap_ps = np.full(len(self.detectors), np.iinfo(np.int64).max, np.int64)

    def _gaps(self, chunk: PhotonData) -> None:
        for r, c in enumerate(self.detectors):
            t = chunk.time_ps[chunk.channel == c]
            if t.size > 1:
                self.min_gap_ps[r] = min(self.min_gap_ps[r], int(np.min(np.diff(t))))

    def add(self, chunk: PhotonData) -> None:
        self._gaps(chunk)
        if chunk.microtime_ps is not None:
            row = self._row[chunk.channel]
            sel = row >= 0
            delays, rows = chunk.microtime_ps[sel], row[sel]
        elif self.sync is not None:
            d, idx, self._last_sync = sync_delays(chunk, self.sync, self._last_sync)
            row = self._row[chunk.channel[idx]]
            keep = (d < 1.5 * self.period_ps) & (row >= 0)
            delays, rows = d[keep], row[keep]
        else:
            return
        for r in np.flatnonzero(np.bincount(rows, minlength=len(self.detectors))):
            d_r = delays[rows == r]
            self.photons[r] += d_r.size
            self.hist[r] += decay_histogram(np.mod(d_r, self.period_ps), self.bin_width_ps, self.period_ps)

    def finish(self) -> None:
        pass

    def channels(self) -> dict[int, tuple[np.ndarray, int]]:
        """``{channel: (histogram, photons)}`` of the channels that have photons."""
        return {
            c: (self.hist[i], int(self.photons[i])) for i, c in enumerate(self.detectors) if self.photons[i]
        }

    def dead_times(self) -> dict[int, float]:
        """``{channel: shortest gap between two of its events (ps)}`` where one was seen."""
        big = np.iinfo(np.int64).max
        gaps = self.min_gap_ps
        return {c: float(gaps[i]) for i, c in enumerate(self.detectors) if gaps[i] < big}


class TraceAccumulator:
    """Detector photons per fine bin over ``n_bins`` bins from ``t0_ps`` (``core.trace``);
    ``factor`` fine bins make one trace bin."""

    def __init__(
        self, detectors: list[int], t0_ps: int, bin_width_ps: int, n_bins: int, factor: int = 1
    ) -> None:
        self._det = np.zeros(256, bool)
        self._det[list(detectors)] = True
        self.t0_ps, self.bin_width_ps, self.n_bins = int(t0_ps), int(bin_width_ps), int(n_bins)
        self.factor = int(factor)
        self.counts = np.zeros(self.n_bins, np.int64)

    def add(self, chunk: PhotonData) -> None:
        from g2live import core

        t = chunk.time_ps[self._det[chunk.channel]]
        if t.size:
            self.counts += np.asarray(core.trace(t, self.bin_width_ps, self.t0_ps, self.n_bins), np.int64)

    def finish(self) -> None:
        pass
