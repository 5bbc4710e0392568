# SPDX-License-Identifier: BSD-3-Clause
"""What the heralded analysis reads: pair records and per-pixel singles histograms (``HeraldedData``).

Both are small and add up across chunks of a stream: the records of every laser period with two or
more photons (its first two photons, as the on-chip pulsed block reports them), and for every pixel
the histogram of all its photons' delays after their period's start. Periods start at the quietest
point of the laser period (``quiet_shift_ps``), so that prompt photons time-stamped a little before
their own sync stay with their pulse.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..lifetime import decay_histogram, quiet_bin
from ._pairs import PairRecords

__all__ = ["HeraldedData", "heralded_data", "heralded_data_from_tags", "quiet_shift_ps"]


@dataclass
class HeraldedData:
    """Pair records and singles histograms of a spectro recording (or of a chunk of one).

    Delays are after the start of each period (the sync moved by ``shift_ps``). ``singles[k]`` is
    the histogram of pixel ``pixels[k]``'s photon delays over one period in ``bin_ps`` bins.
    """

    pairs: PairRecords
    singles: np.ndarray  # int64 [n_pixels, n_bins]
    pixels: np.ndarray  # channel of each singles row
    bin_ps: int
    period_ps: float
    n_periods: int
    shift_ps: int = 0

    def __add__(self, other: HeraldedData) -> HeraldedData:
        """Records and histograms of two chunks taken with the same settings."""
        if (self.bin_ps, self.shift_ps) != (other.bin_ps, other.shift_ps) or not np.array_equal(
            self.pixels, other.pixels
        ):
            raise ValueError("HeraldedData: chunks with different pixels, bins or period start")
        p, q = self.pairs, other.pairs
        pairs = PairRecords(
            *(np.concatenate((getattr(p, k), getattr(q, k))) for k in PairRecords.__dataclass_fields__)
        )
        return replace(
            self,
            pairs=pairs,
            singles=self.singles + other.singles,
            n_periods=self.n_periods + other.n_periods,
        )


def quiet_shift_ps(delays_ps: np.ndarray, period_ps: float, bin_ps: int) -> int:
    """How far (ps, <= 0) to move every sync so that periods start at the quietest point.

    Parameters
    ----------
    delays_ps : numpy.ndarray
        Photon delays after the latest sync.
    period_ps : float
        Laser period.
    bin_ps : int
        Histogram bin used to find the quiet point.

    Returns
    -------
    int
        The shift (0 when the quietest point is already at the sync).
    """
    h = decay_histogram(np.mod(delays_ps, period_ps), bin_ps, period_ps)
    q = quiet_bin(h) * bin_ps
    return int(round(q - period_ps)) if q > 0 else 0


def heralded_data(
    channel: np.ndarray,
    period_index: np.ndarray,
    delay_ps: np.ndarray,
    n_periods: int,
    period_ps: float,
    pixels: np.ndarray,
    bin_ps: int = 16,
    shift_ps: int = 0,
) -> HeraldedData:
    """Pair records and singles histograms from photons already assigned to periods.

    Parameters
    ----------
    channel, period_index, delay_ps : numpy.ndarray
        Photons only (no sync tags), in stream order: pixel channel, period, delay after the
        period's start (>= 0).
    n_periods : int
        Closed periods the photons come from (periods without photons included).
    period_ps : float
        Laser period.
    pixels : numpy.ndarray
        The channels that are pixels (others are ignored).
    bin_ps : int, optional
        Bin of the singles histograms.
    shift_ps : int, optional
        How the period start was moved from the sync (recorded, not applied).

    Returns
    -------
    HeraldedData
        The first two photons of every period with two or more, and the singles.
    """
    pix = np.asarray(pixels, dtype=np.int64)
    lut = np.full(256, -1, dtype=np.int64)
    lut[pix] = np.arange(pix.size)
    ch = np.asarray(channel, dtype=np.int64)
    keep = lut[ch] >= 0
    ch, per = ch[keep], np.asarray(period_index, dtype=np.int64)[keep]
    d = np.asarray(delay_ps, dtype=np.int64)[keep]
    n_bins = int(np.ceil(period_ps / bin_ps))
    k = np.clip(d // bin_ps, 0, n_bins - 1)
    singles = np.bincount(lut[ch] * n_bins + k, minlength=pix.size * n_bins).reshape(pix.size, n_bins)
    first = np.flatnonzero(np.concatenate(([True], per[1:] != per[:-1])))
    has_second = first + 1 < per.size
    has_second[has_second] = per[first[has_second] + 1] == per[first[has_second]]
    i = first[has_second]
    pairs = PairRecords(ch[i], d[i], ch[i + 1], d[i + 1])
    return HeraldedData(
        pairs, singles.astype(np.int64), pix, int(bin_ps), float(period_ps), int(n_periods), shift_ps
    )


def heralded_data_from_tags(
    channel: np.ndarray,
    time_ps: np.ndarray,
    sync_channel: int,
    pixels: np.ndarray,
    period_ps: float | None = None,
    bin_ps: int = 16,
    shift_ps: int | None = None,
) -> HeraldedData:
    """``heralded_data`` of a tag stream with a sync channel (T2): periods from the syncs, moved to
    the quietest point of the period.

    Parameters
    ----------
    channel, time_ps : numpy.ndarray
        The tag stream, syncs included, in stream order.
    sync_channel : int
        Channel of the laser sync (every pulse recorded).
    pixels : numpy.ndarray
        The pixel channels.
    period_ps : float, optional
        Laser period (default: the median sync interval).
    bin_ps : int, optional
        Bin of the singles histograms.
    shift_ps : int, optional
        Where periods start relative to the sync (<= 0; default: the quietest point).

    Returns
    -------
    HeraldedData
        Records, singles and the number of closed periods.
    """
    ch = np.asarray(channel)
    t = np.asarray(time_ps, dtype=np.int64)
    is_sync = ch == sync_channel
    sync_t = t[is_sync]
    if sync_t.size < 3:
        raise ValueError(f"heralded: fewer than 3 syncs on channel {sync_channel}")
    if period_ps is None:
        period_ps = float(np.median(np.diff(sync_t)))
    pt, pc = t[~is_sync], ch[~is_sync]
    per = np.searchsorted(sync_t, pt, side="right") - 1
    ok = per >= 0
    if shift_ps is None:
        shift_ps = quiet_shift_ps(pt[ok] - sync_t[per[ok]], period_ps, bin_ps)
    shift = int(shift_ps)
    start = sync_t + shift
    # a photon at exactly a period start belongs to that period (docs/semantics.md)
    per = np.searchsorted(start, pt, side="right") - 1
    ok = (per >= 0) & (per < start.size - 1)  # the last period is still open
    return heralded_data(
        pc[ok], per[ok], pt[ok] - start[per[ok]], int(start.size - 1), period_ps, pixels, bin_ps, shift
    )
