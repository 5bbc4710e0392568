# SPDX-License-Identifier: BSD-3-Clause
"""Afterpulsing of the array's pixels, measured on the same-pixel pairs, and the afterpulses it
puts into every period.

An avalanche on a pixel is followed, with probability p_ap, by an afterpulse on the same pixel
after an exponential trap-release delay (mean tau_ap); afterpulses inside the dead time d are
swallowed (e.g. Ziarkash et al., Sci. Rep. 8, 5076 (2018)). The same-pixel pairs, which the
spectra cannot use, measure it: beyond the dead time their separation is

    n(dt) = p_ap / tau_ap exp(-dt / tau_ap) F(P - dt) + c (P - dt) + b exp(-dt / tau_x)

with F(P - dt) the photons early enough in their period for dt to fit, the second term the
accidental same-pixel pairs and the third the cascades that land on one pixel after its dead time.
From p_ap and tau_ap and each pixel's singles follow the afterpulses of earlier periods in the
present one (independent of this pulse: part of the accidental partners, not flat) and those of
the present period (caused by this pulse's photons).
"""

from __future__ import annotations

from dataclasses import dataclass

import lmfit
import numpy as np

from .._fit import poisson_fit

__all__ = ["Afterpulsing", "afterpulse_shapes", "fit_afterpulsing"]


@dataclass(frozen=True)
class Afterpulsing:
    """Afterpulse probability per avalanche (all delays), its delay and the pixels' dead time."""

    probability: float
    probability_err: float
    tau_ps: float
    tau_err_ps: float
    dead_time_ps: float
    n_pairs: int  # same-pixel pairs the fit used

    @classmethod
    def none(cls, dead_time_ps: float = 0.0) -> Afterpulsing:
        return cls(0.0, 0.0, 1.0, 0.0, dead_time_ps, 0)


def _accidental_same_pixel(
    singles: np.ndarray, edges: np.ndarray, period_ps: float, bin_ps: int, n_periods: int
) -> np.ndarray:
    """Same-pixel pairs of any photon and a later independent event, per separation bin: the
    independent level of each pixel is its singles' mean over the last fifth of the period (the
    mean, not the median: a long run's per-bin counts are small integers)."""
    s = np.asarray(singles, dtype=float)
    if s.ndim == 1:
        s = s[None, :]
    n_late = s[:, int(0.8 * s.shape[1]) :]
    level = n_late.mean(axis=1) if n_late.shape[1] else np.zeros(s.shape[0])  # per bin, per pixel, run
    cum = np.concatenate((np.zeros((s.shape[0], 1)), np.cumsum(s, axis=1)), axis=1)
    mid = 0.5 * (edges[1:] + edges[:-1])
    early = cum[:, np.clip(((period_ps - mid) // bin_ps).astype(int), 0, s.shape[1])]  # [p, bins]
    # the run's count of (photon at t1 < P - dt, independent event at t1 + dt): each of the F_p
    # photons meets its pixel's independent events of one period, n_p / n_periods per bin
    return (level[:, None] * early).sum(axis=0) * np.diff(edges) / bin_ps / max(n_periods, 1)


def fit_afterpulsing(
    same_dt_ps: np.ndarray,
    first_delay_ps: np.ndarray,
    singles: np.ndarray,
    bin_ps: int,
    period_ps: float,
    tau_x_ps: float,
    *,
    n_periods: int,
) -> Afterpulsing:
    """p_ap, tau_ap and the dead time from the same-pixel pairs.

    Parameters
    ----------
    same_dt_ps : numpy.ndarray
        Separations of the same-pixel pairs.
    first_delay_ps : numpy.ndarray
        Their first photons' delays (unused beyond the dead time estimate; kept for checks).
    singles : numpy.ndarray
        All photons' delays per pixel ([pixels, bins] over one period; or summed): F(P - dt), and
        the accidental same-pixel pairs.
    bin_ps : int
        Bin of ``singles``.
    period_ps : float
        Laser period.
    tau_x_ps : float
        The exciton decay (same-pixel cascades after the dead time).
    n_periods : int
        Periods of the run (``singles`` is the whole run's: the accidental same-pixel pairs
        are its photons times one period's independent events).

    Returns
    -------
    Afterpulsing
        The afterpulsing, or none when there are too few same-pixel pairs to see it.
    """
    dt = np.asarray(same_dt_ps, dtype=float)
    _ = first_delay_ps
    if dt.size < 20:
        return Afterpulsing.none(float(dt.min()) if dt.size else 0.0)
    dead = float(np.min(dt))
    step = 1000.0
    lo = dead + 2 * step
    edges = np.arange(lo, period_ps + step, step)
    if edges.size < 8:
        return Afterpulsing.none(dead)
    y = np.histogram(dt, edges)[0].astype(float)
    acc_same = _accidental_same_pixel(singles, edges, period_ps, bin_ps, n_periods)
    c = np.asarray(singles, dtype=float)
    c = c.sum(axis=0) if c.ndim == 2 else c
    cum = np.concatenate(([0.0], np.cumsum(c)))
    mid = 0.5 * (edges[1:] + edges[:-1])
    f_early = cum[np.clip(((period_ps - mid) // bin_ps).astype(int), 0, c.size)]  # photons with t1 < P - dt
    p = lmfit.Parameters()
    p.add("p_ap", value=max(y.sum() / max(f_early[0], 1.0), 1e-6), min=0, max=1)
    p.add("tau", value=min(50_000.0, period_ps / 3), min=step / 2, max=5 * period_ps)
    # cascades whose X lands on the BX's pixel after the dead time decay with tau_x; the
    # accidental same-pixel pairs are fixed from the singles
    p.add("casc", value=max(y[0] * 0.1, 0.0), min=0)

    def model(pp: lmfit.Parameters, _x: np.ndarray) -> np.ndarray:
        tau = pp["tau"].value
        ap = pp["p_ap"].value * (np.exp(-edges[:-1] / tau) - np.exp(-edges[1:] / tau))
        return ap * f_early + acc_same + pp["casc"].value * np.exp(-(mid - lo) / max(tau_x_ps, 1.0))

    fit = poisson_fit(model, p, np.arange(y.size), y)
    return Afterpulsing(
        fit.value("p_ap"), fit.error("p_ap"), fit.value("tau"), fit.error("tau"), dead, int(y.sum())
    )


def afterpulse_shapes(
    singles: np.ndarray, ap: Afterpulsing, bin_ps: int, period_ps: float, n_periods: int
) -> tuple[np.ndarray, np.ndarray]:
    """Afterpulses per bin of each pixel over the run: from earlier periods, and from earlier
    avalanches of the same period.

    Parameters
    ----------
    singles : numpy.ndarray
        [pixels, bins] histograms over one period.
    ap : Afterpulsing
        The afterpulsing.
    bin_ps : int
        Bin width.
    period_ps : float
        Laser period.
    n_periods : int
        Periods of the run (the earlier-period afterpulses assume the same rate throughout).

    Returns
    -------
    tuple of numpy.ndarray
        (earlier periods, same period), each [pixels, bins].
    """
    s = np.asarray(singles, dtype=float)
    k = s.shape[1]
    if ap.probability <= 0:
        z = np.zeros_like(s)
        return z, z.copy()
    x = (np.arange(2 * k) + 0.5) * bin_ps
    tau = ap.tau_ps
    # avalanche -> afterpulse density per bin at delay x (after the dead time)
    kern = np.where(
        x >= ap.dead_time_ps,
        ap.probability * (np.exp(-(x - 0.5 * bin_ps) / tau) - np.exp(-(x + 0.5 * bin_ps) / tau)),
        0.0,
    )
    fs = np.fft.rfft(s, 2 * k, axis=1)
    same = np.fft.irfft(fs * np.fft.rfft(kern), 2 * k, axis=1)[:, :k]
    # earlier periods: a source at t' one period back is P - t' + t before t (>= the dead time
    # except for sources in the quiet end of the period); geometric sum over earlier periods
    xp = (np.arange(k) + 0.5) * bin_ps
    geo = 1.0 / (1.0 - np.exp(-period_ps / tau))
    weight = s @ np.exp(-(period_ps - xp) / tau)  # [pixels]
    earlier = ap.probability * (bin_ps / tau) * geo * np.outer(weight, np.exp(-xp / tau))
    _ = n_periods
    return np.maximum(earlier, 0.0), np.maximum(same, 0.0)
