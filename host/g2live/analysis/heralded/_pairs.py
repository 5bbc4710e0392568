# SPDX-License-Identifier: BSD-3-Clause
"""Two-photon records of laser periods: same-period pairs (from the pulsed counter) and the
adjacent-period pairs that measure independent (accidental) pairs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PairRecords", "adjacent_period_pairs", "crosstalk_mask", "pair_matrix", "records_from_core"]


@dataclass
class PairRecords:
    """Two photons of one period: pixel and delay after that period's sync, first in time first."""

    pixel_first: np.ndarray
    delay_first_ps: np.ndarray
    pixel_second: np.ndarray
    delay_second_ps: np.ndarray

    def __len__(self) -> int:
        return int(self.pixel_first.size)

    def select(self, m: np.ndarray) -> PairRecords:
        """The records selected by mask or index ``m``."""
        return PairRecords(
            self.pixel_first[m], self.delay_first_ps[m], self.pixel_second[m], self.delay_second_ps[m]
        )


def records_from_core(heralded: np.ndarray) -> PairRecords:
    """Pair records from ``g2live.core.pulsed(...).heralded``.

    Parameters
    ----------
    heralded : numpy.ndarray
        Structured array with fields channel_first, delay_first_ps, channel_second, delay_second_ps.

    Returns
    -------
    PairRecords
        The same records as int64 arrays.
    """
    return PairRecords(
        np.asarray(heralded["channel_first"], np.int64),
        np.asarray(heralded["delay_first_ps"], np.int64),
        np.asarray(heralded["channel_second"], np.int64),
        np.asarray(heralded["delay_second_ps"], np.int64),
    )


def adjacent_period_pairs(
    channel: np.ndarray, time_ps: np.ndarray, sync_channel: int, pulsed_window_ps: int = 0
) -> tuple[PairRecords, int]:
    """Independent-event pairs: the first photon of period i with the first photon of period i+1,
    ordered by delay.

    Parameters
    ----------
    channel, time_ps : numpy.ndarray
        The tag stream (syncs included).
    sync_channel : int
        Channel of the laser sync.
    pulsed_window_ps : int, optional
        Only photons this soon after their sync (0: the whole period).

    Returns
    -------
    pairs : PairRecords
        The adjacent-period pairs.
    n_periods : int
        Closed periods.
    """
    ch = np.asarray(channel)
    t = np.asarray(time_ps, dtype=np.int64)
    is_sync = ch == sync_channel
    sync_t = t[is_sync]
    if sync_t.size < 3:
        raise ValueError(f"adjacent_period_pairs: fewer than 3 syncs on channel {sync_channel}")
    pt, pc = t[~is_sync], ch[~is_sync].astype(np.int64)
    # a photon at exactly a sync time belongs to the period that sync starts (docs/semantics.md)
    per = np.searchsorted(sync_t, pt, side="right") - 1
    ok = (per >= 0) & (per < sync_t.size - 1)  # the last period is still open
    pt, pc, per = pt[ok], pc[ok], per[ok]
    delay = pt - sync_t[per]
    if pulsed_window_ps > 0:
        keep = delay < pulsed_window_ps
        pt, pc, per, delay = pt[keep], pc[keep], per[keep], delay[keep]
    first_per, idx = np.unique(per, return_index=True)  # first photon of each non-empty period
    nxt = np.nonzero(np.diff(first_per) == 1)[0]
    i, j = idx[nxt], idx[nxt + 1]
    swap = delay[j] < delay[i]
    a = np.where(swap, j, i)
    b = np.where(swap, i, j)
    return PairRecords(pc[a], delay[a], pc[b], delay[b]), int(sync_t.size - 1)


def crosstalk_mask(r: PairRecords, window_ps: int) -> np.ndarray:
    """Pairs on adjacent pixels closer than ``window_ps``: candidates for pixel crosstalk."""
    return (np.abs(r.pixel_second - r.pixel_first) == 1) & (
        (r.delay_second_ps - r.delay_first_ps) < window_ps
    )


def pair_matrix(r: PairRecords, pix: np.ndarray) -> np.ndarray:
    """Counts of pairs by (pixel of the first photon, pixel of the second), pixels in ``pix`` order."""
    lut = np.full(
        max(int(pix.max()), int(r.pixel_first.max(initial=0)), int(r.pixel_second.max(initial=0))) + 1,
        -1,
        dtype=np.int64,
    )
    lut[pix] = np.arange(pix.size)
    i, j = lut[r.pixel_first], lut[r.pixel_second]
    ok = (i >= 0) & (j >= 0)
    m = np.zeros((pix.size, pix.size))
    np.add.at(m, (i[ok], j[ok]), 1.0)
    return m
