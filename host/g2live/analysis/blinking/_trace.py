# SPDX-License-Identifier: BSD-3-Clause
"""Intensity trace: photons per time bin."""

from __future__ import annotations

import numpy as np

__all__ = ["intensity_trace"]


def intensity_trace(
    time_ps: np.ndarray, bin_width_ps: int, t0_ps: int | None = None, n_bins: int | None = None
) -> np.ndarray:
    """Photons per time bin, from ``g2live.core.trace`` (the same binning as the on-chip trace).

    Parameters
    ----------
    time_ps : numpy.ndarray
        Sorted photon times (ps).
    bin_width_ps : int
        Trace bin width.
    t0_ps : int, optional
        Start of bin 0 (default: the first photon).
    n_bins : int, optional
        Bins (default: up to the last photon).

    Returns
    -------
    numpy.ndarray
        int64 counts per bin.
    """
    from g2live import core

    t = np.ascontiguousarray(time_ps, dtype=np.int64)
    if t.size == 0:
        raise ValueError("intensity_trace: no photons")
    t0 = int(t[0]) if t0_ps is None else int(t0_ps)
    return np.asarray(core.trace(t, int(bin_width_ps), t0_ps=t0, n_bins=n_bins), dtype=np.int64)
