# SPDX-License-Identifier: BSD-3-Clause
"""Heralded analysis straight from a spectro recording's tag stream (pixels + sync)."""

from __future__ import annotations

import numpy as np

from g2live.photons import PhotonData

from ._analysis import HeraldedResult, analyze_heralded_bins
from ._stream import HeraldedAccumulator, QuietAccumulator, SyncModel

__all__ = ["heralded_from_photons", "heralded_result"]


def heralded_from_photons(
    channel: np.ndarray,
    time_ps: np.ndarray,
    sync_channel: int,
    pixel_energy_ev: np.ndarray,
    pixels: np.ndarray | None = None,
    period_ps: float | None = None,
    rho: float | None = None,
    delay_bin_ps: int = 32,
    crosstalk_window_ps: int = 200,
) -> HeraldedResult:
    """Heralded analysis of a spectro recording (pixels + sync on ``sync_channel``).

    The sync is moved to the quietest point of the period (``quiet_bin``) before periods are
    formed, so prompt photons time-stamped just before their own sync stay in their period; the
    pairs come from ``g2live.core.pulsed``.

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
    rho, delay_bin_ps, crosstalk_window_ps : optional
        As in ``analyze_heralded``.

    Returns
    -------
    HeraldedResult
        As ``analyze_heralded``, with ``sync_shift_ps``.
    """
    ch = np.asarray(channel, dtype=np.uint8)
    t = np.asarray(time_ps, dtype=np.int64)
    sync_t = t[ch == sync_channel]
    if sync_t.size < 3:
        raise ValueError(f"heralded: fewer than 3 syncs on channel {sync_channel}")
    if period_ps is None:
        period_ps = float(np.median(np.diff(sync_t)))
    data = PhotonData(ch, t)
    sync = SyncModel(sync_channel)
    quiet = QuietAccumulator(sync, period_ps, delay_bin_ps)
    quiet.add(data)
    shift = quiet.shift_ps()
    acc = HeraldedAccumulator(sync, shift, period_ps, delay_bin_ps, crosstalk_window_ps)
    acc.add(data)
    acc.finish()
    return heralded_result(acc, shift, pixel_energy_ev, pixels, rho, period_ps)


def heralded_result(acc: HeraldedAccumulator, shift_ps: int, pixel_energy_ev: np.ndarray,
                    pixels: np.ndarray | None, rho: float | None, period_ps: float) -> HeraldedResult:
    """``analyze_heralded`` of what a pass of ``HeraldedAccumulator`` collected."""
    res = analyze_heralded_bins(
        acc.pair_bins,
        acc.independent_bins,
        acc.n_periods,
        pixel_energy_ev,
        pixels=pixels,
        rho=rho,
        period_ps=period_ps,
        singles_hist=acc.singles,
    )
    res.sync_shift_ps = float(shift_ps)
    return res
