# SPDX-License-Identifier: BSD-3-Clause
"""Overlapping peaks: when the emitter's decay is not short against the laser period, each peak's
tails leak into its neighbours' windows. The leak is measured from the folded side-peak shape and
undone on the window ratio."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import optimize

from ._comb import Comb
from ._histogram import CorrelationHistogram

__all__ = ["overlap_mapping", "peak_decay_ps", "trough_level"]


def _folded_side_peaks(
    h: CorrelationHistogram, comb: Comb, zero_ps: float, nb: int = 64
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The side peaks folded onto one period in ``nb`` bins: (bin centres, mean counts per
    histogram bin, their variance, bins that hold data)."""
    P = comb.period_ps
    t = h.centers_ps
    keep = np.abs(t - zero_ps) > 0.5 * P
    x = ((t[keep] - comb.phase_ps + 0.5 * P) % P) - 0.5 * P
    k = np.clip(((x + 0.5 * P) / P * nb).astype(int), 0, nb - 1)
    sums = np.bincount(k, weights=h.counts[keep].astype(float), minlength=nb)
    nbin = np.bincount(k, minlength=nb)
    ok = nbin > 0
    xc = (np.arange(nb) + 0.5) / nb * P - 0.5 * P
    prof = np.where(ok, sums / np.maximum(nbin, 1), 0.0)
    var = np.where(ok, np.maximum(sums, 1.0) / np.maximum(nbin, 1) ** 2, np.inf)
    return xc, prof, var, ok


def peak_decay_ps(h: CorrelationHistogram, comb: Comb, zero_ps: float) -> float | None:
    """Decay time of the comb's peak tails, from the side peaks folded onto one period.

    A two-sided exponential exp(-|x|/tau) repeated every period P folds to cosh((P/2 - |x|)/tau);
    the fit skips the cusp (|x| < P/16, shaped by the detectors' jitter) and allows a flat floor.

    Parameters
    ----------
    h : CorrelationHistogram
        The histogram.
    comb : Comb
        Its period and phase.
    zero_ps : float
        Zero delay (that peak is left out).

    Returns
    -------
    float or None
        The decay time (ps), or None when the peaks do not look like a comb of exponentials.
    """
    P = comb.period_ps
    xc, prof, var, ok = _folded_side_peaks(h, comb, zero_ps)
    sel = ok & (np.abs(xc) >= P / 16)
    if sel.sum() < 8 or prof[sel].max() <= 0:
        return None
    lo_v, hi_v = float(prof[sel][np.argmax(np.abs(xc[sel]))]), float(prof[sel][np.argmin(np.abs(xc[sel]))])
    ratio = hi_v / lo_v if lo_v > 0 else 1e6
    tau0 = P / (2 * np.arccosh(max(ratio, 1.0001))) if ratio < 1e6 else P / 100
    xs, ys, sd = np.abs(xc[sel]), prof[sel], np.sqrt(var[sel])

    def resid(v: np.ndarray) -> np.ndarray:  # v = (a, tau, c); scipy directly: this runs on every live tick
        return (ys - (v[0] * np.cosh((0.5 * P - xs) / v[1]) + v[2])) / sd

    x0 = np.array([max(lo_v, 1e-3), min(tau0, P), 0.0])
    try:
        out = optimize.least_squares(
            resid,
            x0,
            bounds=([0.0, P / 1000, 0.0], [np.inf, 2 * P, np.inf]),
            x_scale=np.array([max(lo_v, 1e-3), 0.1 * P, max(lo_v, 1e-3)]),
        )
    except (ValueError, np.linalg.LinAlgError):
        return None  # no usable peak shape: leave the ratio uncorrected
    tau = float(out.x[1])
    # at the bound the peaks are not resolved as a comb of exponentials: no correction
    return tau if out.success and tau < 1.9 * P else None


def trough_level(h: CorrelationHistogram, comb: Comb, zero_ps: float) -> float:
    """Mean counts per bin midway between peaks (1/16 of a period wide): ~0 for well separated peaks."""
    P = comb.period_ps
    t = h.centers_ps
    x = ((t - comb.phase_ps + 0.5 * P) % P) - 0.5 * P
    sel = (np.abs(x) > 0.5 * P - P / 32) & (np.abs(t - zero_ps) > 0.5 * P)
    return float(h.counts[sel].mean()) if sel.any() else 0.0


def _window_fractions(tau: float, period: float, window: float, m_max: int) -> np.ndarray:
    """F[m]: fraction of a unit two-sided exponential peak (decay tau) inside the window of the peak
    m periods away, m = 0..m_max."""

    def cdf(x: np.ndarray) -> np.ndarray:
        return np.where(
            x < 0, 0.5 * np.exp(np.minimum(x, 0) / tau), 1 - 0.5 * np.exp(-np.maximum(x, 0) / tau)
        )

    m = np.arange(m_max + 1) * period
    return cdf(m + 0.5 * window) - cdf(m - 0.5 * window)


def overlap_mapping(
    tau: float, period: float, window: float, n_side: int
) -> tuple[Callable[[float], float], float]:
    """Raw window ratio r -> true area ratio g, for peaks whose tails leak into neighbouring windows.

    Every side peak has equal area and the zero peak g times that.

    Parameters
    ----------
    tau : float
        Decay time of the peaks (ps), from ``peak_decay_ps``.
    period : float
        Laser period (ps).
    window : float
        Integration window per peak (ps).
    n_side : int
        Side peaks per side in the ratio.

    Returns
    -------
    r_to_g : callable
        The inverse of the leak: true ratio from the raw one.
    leak : float
        Fraction of a peak's window counts that come from its two neighbours and beyond.
    """
    m_max = int(np.ceil(20 * tau / period)) + 1
    f = _window_fractions(tau, period, window, m_max)
    js = np.arange(-n_side - m_max, n_side + m_max + 1)

    ks = np.array([k for k in range(-n_side, n_side + 1) if k != 0])
    dist = np.abs(js[None, :] - ks[:, None])
    side_w = np.where(dist <= m_max, f[np.minimum(dist, m_max)], 0.0)  # side windows x peaks
    d0 = np.abs(js)
    zero_w = np.where(d0 <= m_max, f[np.minimum(d0, m_max)], 0.0)
    is0 = js == 0

    def ratio(g: float) -> float:
        a = np.where(is0, g, 1.0)
        return float(np.dot(zero_w, a) / np.mean(side_w @ a))

    r_min, r_max = ratio(0.0), ratio(50.0)

    def r_to_g(r: float) -> float:
        if r <= r_min:
            # below the pure-leak level: extend linearly (noise can put the raw ratio there)
            return (r - r_min) / (ratio(1.0) - r_min)
        if r >= r_max:
            return 50.0
        return float(optimize.brentq(lambda g: ratio(g) - r, 0.0, 50.0, xtol=1e-10))

    return r_to_g, float(2 * f[1:].sum() / f[0])
