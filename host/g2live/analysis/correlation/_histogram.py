# SPDX-License-Identifier: BSD-3-Clause
"""Correlation histograms as the analysis sees them.

A histogram is the output of ``g2live.core.correlate`` (or of the on-chip correlator): counts of
pairs with delay ``d = t_b - t_a`` in bin ``k = floor((d - lo) / bin_width_ps)`` where
``lo = offset_ps - (n_bins // 2) * bin_width_ps`` (docs/semantics.md). ``CorrelationHistogram``
keeps the counts with exactly those three numbers so the bin edges are never re-derived differently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CorrelationHistogram", "correlation_histogram"]


@dataclass(frozen=True)
class CorrelationHistogram:
    """Pair counts by delay ``b - a`` on the window of ``g2live.core.correlate``.

    Parameters
    ----------
    counts : numpy.ndarray
        Counts per bin (1-D, non-empty).
    bin_width_ps : int
        Bin width in ps (> 0).
    offset_ps : int, optional
        Delay at the start of bin ``n_bins // 2``.
    """

    counts: np.ndarray  # int64[n_bins]
    bin_width_ps: int
    offset_ps: int = 0

    def __post_init__(self) -> None:
        counts = np.asarray(self.counts)
        if counts.ndim != 1 or counts.size == 0:
            raise ValueError(f"histogram counts must be a non-empty 1-D array, got shape {counts.shape}")
        if self.bin_width_ps <= 0:
            raise ValueError(f"bin_width_ps must be positive, got {self.bin_width_ps}")
        object.__setattr__(self, "counts", counts)

    @property
    def n_bins(self) -> int:
        """Number of bins."""
        return int(self.counts.size)

    @property
    def lo_ps(self) -> int:
        """Left edge of bin 0 (ps)."""
        return int(self.offset_ps - (self.n_bins // 2) * self.bin_width_ps)

    @property
    def hi_ps(self) -> int:
        """Right edge of the last bin (ps)."""
        return self.lo_ps + self.n_bins * int(self.bin_width_ps)

    @property
    def centers_ps(self) -> np.ndarray:
        """Bin centres (ps)."""
        return self.lo_ps + (np.arange(self.n_bins) + 0.5) * self.bin_width_ps

    @property
    def edges_ps(self) -> np.ndarray:
        """The ``n_bins + 1`` bin edges (ps)."""
        return self.lo_ps + np.arange(self.n_bins + 1) * float(self.bin_width_ps)


def correlation_histogram(
    a_ps: np.ndarray, b_ps: np.ndarray, bin_width_ps: int, n_bins: int, offset_ps: int = 0
) -> CorrelationHistogram:
    """All-pairs histogram of ``b - a`` from the C core (the one correlator of the project).

    Parameters
    ----------
    a_ps, b_ps : numpy.ndarray
        Sorted photon times (int64 ps) of the two channels.
    bin_width_ps, n_bins, offset_ps : int
        The window, as in ``g2live.core.correlate``.

    Returns
    -------
    CorrelationHistogram
        The counts with the window they were made on.
    """
    from g2live import core

    counts = core.correlate(
        np.ascontiguousarray(a_ps, dtype=np.int64),
        np.ascontiguousarray(b_ps, dtype=np.int64),
        int(bin_width_ps),
        int(n_bins),
        offset_ps=int(offset_ps),
    )
    return CorrelationHistogram(np.asarray(counts, dtype=np.int64), int(bin_width_ps), int(offset_ps))
