# SPDX-License-Identifier: BSD-3-Clause
"""Heralded analysis straight from a spectro recording's tags (T2 with a sync channel, or T3)."""

from __future__ import annotations

import numpy as np

from ..lifetime._jitter import Jitter
from ._analysis import HeraldedResult, analyze_heralded
from ._records import heralded_data, heralded_data_from_tags, quiet_shift_ps

__all__ = ["heralded_from_photons", "heralded_from_t3"]


def heralded_from_photons(
    channel: np.ndarray,
    time_ps: np.ndarray,
    sync_channel: int,
    pixel_energy_ev: np.ndarray,
    pixels: np.ndarray | None = None,
    period_ps: float | None = None,
    bin_ps: int = 16,
    jitter: Jitter | None = None,
) -> HeraldedResult:
    """Heralded analysis of a spectro recording (pixels + sync on ``sync_channel``).

    Periods start at the quietest point of the laser period, so prompt photons time-stamped just
    before their own sync stay in their period (``HeraldedResult.sync_shift_ps``).

    Parameters
    ----------
    channel, time_ps : numpy.ndarray
        The tag stream.
    sync_channel : int
        Channel of the laser sync.
    pixel_energy_ev : numpy.ndarray
        Energy of each pixel.
    pixels : numpy.ndarray, optional
        Channel of each pixel (default 0..n-1).
    period_ps : float, optional
        Laser period (default: the median sync interval).
    bin_ps : int, optional
        Bin of the delay histograms.
    jitter : Jitter, optional
        A known timing response (default: fitted).

    Returns
    -------
    HeraldedResult
        As ``analyze_heralded``.
    """
    e = np.asarray(pixel_energy_ev, dtype=float)
    pix = np.arange(e.size) if pixels is None else np.asarray(pixels, dtype=np.int64)
    data = heralded_data_from_tags(channel, time_ps, sync_channel, pix, period_ps, bin_ps)
    return analyze_heralded(data, e, jitter=jitter)


def heralded_from_t3(
    channel: np.ndarray,
    sync_index: np.ndarray,
    microtime_ps: np.ndarray,
    period_ps: float,
    pixel_energy_ev: np.ndarray,
    pixels: np.ndarray | None = None,
    bin_ps: int = 16,
    jitter: Jitter | None = None,
) -> HeraldedResult:
    """Heralded analysis of a T3 spectro recording (every photon with its period and micro-time).

    Parameters
    ----------
    channel, sync_index, microtime_ps : numpy.ndarray
        Photons in stream order: pixel channel, period index, delay after that period's sync.
    period_ps : float
        Laser period.
    pixel_energy_ev, pixels, bin_ps, jitter : optional
        As in ``heralded_from_photons``.

    Returns
    -------
    HeraldedResult
        As ``analyze_heralded``.
    """
    e = np.asarray(pixel_energy_ev, dtype=float)
    pix = np.arange(e.size) if pixels is None else np.asarray(pixels, dtype=np.int64)
    d = np.asarray(microtime_ps, dtype=np.int64)
    idx = np.asarray(sync_index, dtype=np.int64)
    shift = quiet_shift_ps(d, period_ps, bin_ps)  # <= 0: periods start at sync + shift
    late = d >= period_ps + shift  # these belong to the next (moved) period
    per = idx + late
    delay = d - (period_ps + shift) * late + (-shift) * (~late)
    n_periods = int(idx.max() - idx.min()) if idx.size else 0
    data = heralded_data(
        channel, per - idx.min(), delay.astype(np.int64), n_periods, period_ps, pix, bin_ps, shift
    )
    return analyze_heralded(data, e, jitter=jitter)
