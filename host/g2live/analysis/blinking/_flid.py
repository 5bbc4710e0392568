# SPDX-License-Identifier: BSD-3-Clause
"""FLID (e.g. Galland et al., Nature 479, 203 (2011)): 2-D histogram of intensity per time bin vs
mean sync -> photon delay in that bin."""

from __future__ import annotations

import numpy as np

__all__ = ["flid"]


def flid(
    time_ps: np.ndarray,
    delay_ps: np.ndarray,
    bin_width_ps: int,
    intensity_bins: int = 50,
    delay_bins: int = 50,
    delay_range_ps: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fluorescence lifetime-intensity distribution.

    Counts of time bins by (photons in the bin, mean sync -> photon delay of its photons). The mean
    delay minus the IRF position is the bin's lifetime for a mono-exponential decay.

    Parameters
    ----------
    time_ps, delay_ps : numpy.ndarray
        Photon times and their delays after the sync (equal 1-D arrays).
    bin_width_ps : int
        Time bin width.
    intensity_bins, delay_bins : int, optional
        Bins of the two axes.
    delay_range_ps : tuple of float, optional
        Delay axis range (default: 0.5 to 99.5 percentile).

    Returns
    -------
    hist : numpy.ndarray
        int64 counts [intensity, delay].
    intensity_edges, delay_edges : numpy.ndarray
        The bin edges.
    """
    t = np.asarray(time_ps, dtype=np.int64)
    d = np.asarray(delay_ps, dtype=np.float64)
    if t.shape != d.shape or t.size == 0:
        raise ValueError("flid: time_ps and delay_ps must be equal, non-empty 1-D arrays")
    k = (t - t.min()) // bin_width_ps
    n_tb = int(k.max()) + 1
    counts = np.bincount(k, minlength=n_tb)
    sums = np.bincount(k, weights=d, minlength=n_tb)
    occupied = counts > 0
    mean_delay = sums[occupied] / counts[occupied]
    rng = delay_range_ps or (float(np.percentile(d, 0.5)), float(np.percentile(d, 99.5)))
    i_edges = np.linspace(0, counts.max() + 1, intensity_bins + 1)
    d_edges = np.linspace(rng[0], rng[1], delay_bins + 1)
    hist, _, _ = np.histogram2d(counts[occupied], mean_delay, bins=(i_edges, d_edges))
    return hist.astype(np.int64), i_edges, d_edges
