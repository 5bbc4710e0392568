# SPDX-License-Identifier: BSD-3-Clause
"""Heralded analysis straight from a spectro recording's tag stream (pixels + sync)."""

from __future__ import annotations

import numpy as np

from ..lifetime import decay_histogram, quiet_bin
from ._analysis import HeraldedResult, analyze_heralded
from ._pairs import adjacent_period_pairs, records_from_core

__all__ = ["heralded_from_photons"]


def _delays_after_sync(ch: np.ndarray, t: np.ndarray, sync_channel: int) -> np.ndarray:
    """Delay of each photon after the latest sync (photons before the first sync left out)."""
    is_sync = ch == sync_channel
    sync_t = t[is_sync]
    per = np.searchsorted(sync_t, t[~is_sync], side="right") - 1
    ok = per >= 0
    return t[~is_sync][ok] - sync_t[per[ok]]


def _quiet_shift(ch: np.ndarray, t: np.ndarray, sync_channel: int, period_ps: float, bin_ps: int) -> int:
    """How far (ps, <= 0) to move every sync so that periods start at the quietest point."""
    delays = _delays_after_sync(ch, t, sync_channel)
    h = decay_histogram(np.mod(delays, period_ps), bin_ps, period_ps)
    q = quiet_bin(h) * bin_ps
    return int(round(q - period_ps)) if q > 0 else 0  # move each sync earlier by period - q


def _shift_syncs(
    ch: np.ndarray, t: np.ndarray, sync_channel: int, shift: int
) -> tuple[np.ndarray, np.ndarray]:
    """The stream with every sync moved by ``shift``, re-sorted by (time, channel)."""
    t2 = t.copy()
    t2[ch == sync_channel] += shift
    order = np.lexsort((ch, t2))
    return ch[order], t2[order]


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
    from g2live import core

    ch = np.asarray(channel, dtype=np.uint8)
    t = np.asarray(time_ps, dtype=np.int64)
    sync_t = t[ch == sync_channel]
    if sync_t.size < 3:
        raise ValueError(f"heralded: fewer than 3 syncs on channel {sync_channel}")
    if period_ps is None:
        period_ps = float(np.median(np.diff(sync_t)))
    shift = _quiet_shift(ch, t, sync_channel, period_ps, delay_bin_ps)
    if shift:
        ch, t = _shift_syncs(ch, t, sync_channel, shift)
    pairs = records_from_core(core.pulsed(ch, t, sync_channel, 4).heralded)
    ind, n_periods = adjacent_period_pairs(ch, t, sync_channel)
    res = analyze_heralded(
        pairs,
        ind,
        n_periods,
        pixel_energy_ev,
        pixels=pixels,
        rho=rho,
        delay_bin_ps=delay_bin_ps,
        period_ps=period_ps,
        crosstalk_window_ps=crosstalk_window_ps,
        singles_delay_ps=_delays_after_sync(ch, t, sync_channel),
    )
    res.sync_shift_ps = float(shift)
    return res
