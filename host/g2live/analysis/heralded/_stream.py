# SPDX-License-Identifier: BSD-3-Clause
"""Heralded analysis in passes over chunks: what ``heralded_from_photons`` and the report's
heralded step accumulate, in bounded memory, for T2 streams (sync events) and T3 photons.

Pass 1 (``QuietAccumulator``) histograms every photon's delay after its sync to find the quiet
point of the period. Pass 2 (``HeraldedAccumulator``) moves each photon later by the distance to
that point (the same as moving each sync earlier: periods then start where no photon is) and
collects what ``analyze_heralded`` needs, binned as it comes (``PairBins``: fixed memory for any
length): the pair records of the pulsed block (``core.PulsedCounter``; for T3 photons its
periodic entry point, so the syncs are never built), the adjacent-period pairs, the closed
periods and the singles' decay histogram.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from g2live.photons import PhotonData

from ..lifetime import decay_histogram, quiet_bin
from ._binned import PairBins
from ._pairs import PairRecords, records_from_core

__all__ = ["AdjacentPairs", "HeraldedAccumulator", "QuietAccumulator", "SyncModel"]


@dataclass(frozen=True)
class SyncModel:
    """Where a recording's syncs are: events on ``channel`` (T2), or, for T3 photons, every
    ``t3_period_ps`` from time 0 before ``end_ps`` (``channel`` then names them for the pulsed
    block: any channel no photon uses)."""

    channel: int
    t3_period_ps: int | None = None
    end_ps: int = 0

    @property
    def t3(self) -> bool:
        return self.t3_period_ps is not None


def _t2_delays(
    ch: np.ndarray, t: np.ndarray, sync: int, last_sync: int | None, n_before: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int | None, int]:
    """Photons of a stream-ordered T2 piece after the first sync: their global period index,
    delay after its sync and index in the piece; then the last sync and the syncs seen so far."""
    is_sync = ch == sync
    st = t[is_sync]
    seen = np.cumsum(is_sync)  # syncs up to and including each event
    idx = np.flatnonzero(~is_sync)
    per = n_before + seen[idx] - 1
    ok = per >= 0
    idx, per = idx[ok], per[ok]
    local = seen[idx] - 1  # index into st of the photon's sync; -1: the one before this piece
    start = np.empty(idx.size, np.int64)
    here = local >= 0
    start[here] = st[local[here]]
    start[~here] = last_sync if last_sync is not None else 0  # per >= 0: there was one
    last = int(st[-1]) if st.size else last_sync
    return per, t[idx] - start, idx, last, n_before + int(st.size)


class QuietAccumulator:
    """Histogram of every photon's delay after its sync, modulo the period, in ``bin_ps`` bins."""

    def __init__(self, sync: SyncModel, period_ps: float, bin_ps: int) -> None:
        self.sync, self.period_ps, self.bin_ps = sync, float(period_ps), int(bin_ps)
        self.hist = np.zeros(int(np.ceil(self.period_ps / self.bin_ps)), np.int64)
        self._last: int | None = None
        self._n = 0

    def add(self, chunk: PhotonData) -> None:
        if self.sync.t3:
            q = np.int64(self.sync.t3_period_ps)
            delays = chunk.time_ps - chunk.time_ps // q * q
        else:
            _, delays, _, self._last, self._n = _t2_delays(
                chunk.channel, chunk.time_ps, self.sync.channel, self._last, self._n
            )
        self.hist += decay_histogram(np.mod(delays, self.period_ps), self.bin_ps, self.period_ps)

    def finish(self) -> None:
        pass

    def shift_ps(self) -> int:
        """How far (ps, <= 0) to move every sync so that periods start at the quietest point."""
        q = quiet_bin(self.hist) * self.bin_ps
        return int(round(q - self.period_ps)) if q > 0 else 0


@dataclass
class AdjacentPairs:
    """``adjacent_period_pairs`` over a stream, binned as they come (``PairBins``): the first
    photon of period i with the first of period i + 1, ordered by delay. The pair that reaches
    into the latest period is held back until a later period shows it was not the last (the last
    period is still open at the end and its pair is dropped)."""

    bins: PairBins
    carry: tuple[int, int, int] | None = None  # (period, channel, delay) of the latest first photon
    held: tuple[PairRecords, int] | None = None  # the pair into the latest period, and that period

    def add(self, per: np.ndarray, ch: np.ndarray, delay: np.ndarray) -> None:
        if not per.size:
            return
        first = np.flatnonzero(np.diff(per, prepend=np.int64(-(2**62))) != 0)
        p, c, d = per[first], ch[first].astype(np.int64), delay[first]
        if self.carry is not None:
            if p[0] == self.carry[0]:  # the period continues: its first photon came before
                p, c, d = p[1:], c[1:], d[1:]
            p = np.concatenate(([self.carry[0]], p))
            c = np.concatenate(([self.carry[1]], c))
            d = np.concatenate(([self.carry[2]], d))
        self.carry = (int(p[-1]), int(c[-1]), int(d[-1]))
        if p.size > 1 and self.held is not None:  # a later period came: the held pair was closed
            self.bins.add(self.held[0])
            self.held = None
        nxt = np.flatnonzero(np.diff(p) == 1)
        i, j = nxt, nxt + 1
        swap = d[j] < d[i]
        a, b = np.where(swap, j, i), np.where(swap, i, j)
        pairs = PairRecords(c[a], d[a], c[b], d[b])
        latest = p[j] == p[-1]
        if latest.any():
            self.held = (pairs.select(latest), int(p[-1]))
            pairs = pairs.select(~latest)
        self.bins.add(pairs)

    def finish(self, n_syncs: int) -> None:
        """The last of ``n_syncs`` periods is open: a held pair into it is dropped."""
        if self.held is not None and self.held[1] < n_syncs - 1:
            self.bins.add(self.held[0])
        self.held = None


class HeraldedAccumulator:
    """Pass 2: pair records, adjacent-period pairs, closed periods and the singles' decay, with
    every photon moved ``-shift_ps`` later (module docstring)."""

    def __init__(
        self, sync: SyncModel, shift_ps: int, period_ps: float, bin_ps: int, window_ps: int = 200
    ) -> None:
        from g2live import core
        from g2live.io._common import Reorderer

        self.sync, self.delta = sync, -int(shift_ps)
        self.period_ps, self.bin_ps = float(period_ps), int(bin_ps)
        self._pulsed = core.PulsedCounter(sync.channel, 4, 0, keep_period_counts=False)
        self.pair_bins = PairBins.empty(window_ps, bin_ps, self.period_ps)
        self.adjacent = AdjacentPairs(PairBins.empty(window_ps, bin_ps, self.period_ps))
        self.singles = np.zeros(int(np.ceil(self.period_ps / self.bin_ps)), np.int64)
        self._order = Reorderer()
        self._last: int | None = None
        self._n = 0  # syncs so far
        self.n_syncs = 0

    def add(self, chunk: PhotonData) -> None:
        if not len(chunk):
            return
        if self.sync.t3:
            self._t3(chunk.channel, chunk.time_ps + self.delta, final=False)
            return
        ch, t = chunk.channel, chunk.time_ps.copy()
        t[ch != self.sync.channel] += self.delta
        # syncs stay, photons move later: hold back what a later chunk's syncs may still precede
        ch, t = self._order.push([ch, t], int(chunk.time_ps[-1]))
        self._t2(ch, t)

    def _t2(self, ch: np.ndarray, t: np.ndarray) -> None:
        if not t.size:
            return
        self.pair_bins.add(records_from_core(self._pulsed.update(ch, t).heralded))
        per, delay, idx, self._last, self._n = _t2_delays(ch, t, self.sync.channel, self._last, self._n)
        self.adjacent.add(per, ch[idx], delay)
        self.singles += decay_histogram(delay, self.bin_ps, self.period_ps)

    def _t3(self, ch: np.ndarray, t: np.ndarray, final: bool) -> None:
        q = int(self.sync.t3_period_ps or 0)
        # syncs stay where they are (k q, before end_ps); only the photons moved
        k_end = -(-self.sync.end_ps // q) if final else int(t[-1]) // q + 1
        k_end = max(k_end, self._n)
        res = self._pulsed.update_periodic(ch, t, self._n * q, q, k_end - self._n)
        self.pair_bins.add(records_from_core(res.heralded))
        self._n = k_end
        per = t // q
        delay = t - per * q
        self.adjacent.add(per, ch, delay)
        self.singles += decay_histogram(delay, self.bin_ps, self.period_ps)

    def finish(self) -> None:
        if self.sync.t3:
            e = np.zeros(0, np.int64)
            self._t3(e.astype(np.uint8), e, final=True)
        else:
            ch, t = self._order.push([np.zeros(0, np.uint8), np.zeros(0, np.int64)], None)
            self._t2(ch, t)
        self.pair_bins.add(records_from_core(self._pulsed.flush().heralded))
        self.n_syncs = self._n
        self.adjacent.finish(self.n_syncs)

    @property
    def independent_bins(self) -> PairBins:
        """The adjacent-period pairs of closed periods, binned."""
        return self.adjacent.bins

    @property
    def n_periods(self) -> int:
        """Closed periods."""
        return max(self.n_syncs - 1, 0)
