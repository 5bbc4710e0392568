# SPDX-License-Identifier: BSD-3-Clause
"""Decay histograms of sync -> photon delays, and where a period is quietest."""

from __future__ import annotations

import numpy as np

__all__ = ["decay_histogram", "periodic_decay", "quiet_bin"]


def decay_histogram(delay_ps: np.ndarray, bin_width_ps: float, span_ps: float) -> np.ndarray:
    """Histogram of sync -> photon delays in [0, span_ps).

    Parameters
    ----------
    delay_ps : numpy.ndarray
        Delays after the sync (ps).
    bin_width_ps, span_ps : float
        Bin width and span; delays outside [0, span) are left out.

    Returns
    -------
    numpy.ndarray
        int64 counts, ``ceil(span / bin_width)`` bins.
    """
    n = int(np.ceil(span_ps / bin_width_ps))
    k = np.floor(np.asarray(delay_ps, dtype=float) / bin_width_ps).astype(np.int64)
    k = k[(k >= 0) & (k < n)]
    return np.bincount(k, minlength=n).astype(np.int64)


def quiet_bin(hist: np.ndarray) -> int:
    """Bin of a periodic decay histogram with the fewest photons (smoothed over 1/64 of the period).

    Period boundaries placed there keep every pulse's photons together: detector jitter and cable
    delays can time-stamp prompt photons just *before* their own sync.

    Parameters
    ----------
    hist : numpy.ndarray
        Decay histogram over exactly one period.

    Returns
    -------
    int
        The bin index.
    """
    c = np.asarray(hist, dtype=float)
    k = max(1, c.size // 64)
    padded = np.concatenate((c[-k:], c, c[:k]))  # periodic smoothing
    sm = np.convolve(padded, np.ones(2 * k + 1) / (2 * k + 1), mode="same")[k:-k]
    return int(np.argmin(sm))


def periodic_decay(delay_ps: np.ndarray, bin_width_ps: float, period_ps: float) -> tuple[np.ndarray, float]:
    """Decay histogram over one period, rotated to start at its quiet bin.

    Parameters
    ----------
    delay_ps : numpy.ndarray
        Delays after the sync (ps); taken modulo the period.
    bin_width_ps, period_ps : float
        Bin width and laser period.

    Returns
    -------
    hist : numpy.ndarray
        The rotated histogram.
    start_ps : float
        Delay of its first bin's left edge, in [0, period).
    """
    h = decay_histogram(np.mod(delay_ps, period_ps), bin_width_ps, period_ps)
    q = quiet_bin(h)
    return np.roll(h, -q), q * bin_width_ps
