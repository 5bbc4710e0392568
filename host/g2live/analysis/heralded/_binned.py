# SPDX-License-Identifier: BSD-3-Clause
"""Two-photon records binned: everything ``analyze_heralded`` reads of a set of pairs, as integer
sums that a pass over a recording of any length accumulates in fixed memory."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..lifetime import decay_histogram
from ._pairs import PairRecords

__all__ = ["ADJACENT", "FAR_PIXELS", "N_PIXELS", "PairBins"]

N_PIXELS = 64  # channel numbers of the pair records (6-bit channel field)


@dataclass
class PairBins:
    """A set of pairs (same-period, or adjacent-period) binned.

    ``near`` / ``far``: pairs by (pixel of the first photon, pixel of the second), with the second
    less than ``window_ps`` after the first, or not (adjacent pixels that close are crosstalk
    candidates). ``first_delay`` / ``separation``: for the pairs kept by the crosstalk cut on
    different pixels, the first photon's delay after the sync and the delay between the two
    photons, in ``bin_ps`` bins over ``[0, span_ps)`` (``lifetime.decay_histogram``).
    """

    window_ps: int
    bin_ps: int
    span_ps: float
    near: np.ndarray
    far: np.ndarray
    first_delay: np.ndarray
    separation: np.ndarray

    @classmethod
    def empty(cls, window_ps: int, bin_ps: int, span_ps: float) -> PairBins:
        n = int(np.ceil(span_ps / bin_ps))
        square = np.zeros((N_PIXELS, N_PIXELS), np.int64)
        return cls(int(window_ps), int(bin_ps), float(span_ps), square, square.copy(),
                   np.zeros(n, np.int64), np.zeros(n, np.int64))

    @classmethod
    def of(cls, records: PairRecords, window_ps: int, bin_ps: int, span_ps: float) -> PairBins:
        bins = cls.empty(window_ps, bin_ps, span_ps)
        bins.add(records)
        return bins

    def add(self, r: PairRecords) -> None:
        """Bin more pairs."""
        if not len(r):
            return
        pf, ps = np.asarray(r.pixel_first, np.int64), np.asarray(r.pixel_second, np.int64)
        sep = np.asarray(r.delay_second_ps, np.int64) - np.asarray(r.delay_first_ps, np.int64)
        near = sep < self.window_ps
        cell = pf * N_PIXELS + ps
        size = N_PIXELS * N_PIXELS
        self.near += np.bincount(cell[near], minlength=size).reshape(N_PIXELS, N_PIXELS)
        self.far += np.bincount(cell[~near], minlength=size).reshape(N_PIXELS, N_PIXELS)
        crosstalk = (np.abs(ps - pf) == 1) & near
        kept = ~crosstalk & (pf != ps)  # a pixel's dead time and afterpulses distort same-pixel pairs
        self.first_delay += decay_histogram(r.delay_first_ps[kept], self.bin_ps, self.span_ps)
        self.separation += decay_histogram(sep[kept], self.bin_ps, self.span_ps)

    def __iadd__(self, other: PairBins) -> PairBins:
        for name in ("near", "far", "first_delay", "separation"):
            getattr(self, name).__iadd__(getattr(other, name))
        return self

    @property
    def total(self) -> int:
        return int(self.near.sum() + self.far.sum())

    @property
    def kept(self) -> np.ndarray:
        """Pairs by pixels after the crosstalk cut (adjacent pixels within the window removed)."""
        out = self.near + self.far
        out[ADJACENT] -= self.near[ADJACENT]
        return out

    @property
    def crosstalk_removed(self) -> int:
        return int(self.near[ADJACENT].sum())


_i, _j = np.indices((N_PIXELS, N_PIXELS))
ADJACENT = np.abs(_i - _j) == 1  # cells of adjacent pixels (crosstalk candidates)
FAR_PIXELS = np.abs(_i - _j) >= 2
