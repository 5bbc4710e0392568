# SPDX-License-Identifier: BSD-3-Clause
"""Accidental pairs: two photons of one period that come from different events.

A laser pulse makes the emitter emit at most one cascade (biexciton then exciton photon); any other
two-photon period pairs an emitter photon with an event that is independent of this pulse (dark
count, background light, afterpulse of an earlier period) or two such events. Per pixel p the
singles histogram splits into the emitter's part ``own_p(t)`` and a flat independent part ``n_p``
(measured on the late part of the period, where the emitter has decayed). Per period, for t < t',

    P(accidental pair: p at t, q at t') = own_p(t) n_q + n_p own_q(t') + n_p n_q      (p != q)

which is the Brouri et al. (Opt. Lett. 25, 1294 (2000)) argument for background coincidences,
resolved in pixel and time. A record holds the first two avalanches of a period, so pixel
crosstalk (a fraction x of all avalanches, each fired by an earlier avalanche a few tens of ps
before it on a neighbour) changes the count: a crosstalk avalanche is never either photon of an
accidental pair (its parent precedes it: the pair is the parent's), and an avalanche that fires
crosstalk has that crosstalk as its partner (a crosstalk pair, cut by the window), not the
independent event. Both scale every accidental histogram by (1 - x)^3.

Blinking does not change it (the independent events do not blink,
so E[own n] = E[own] n). The products give, over the run's periods, the accidental content of
every histogram the analysis fits: the first photon's delay, the delay between the photons, and
the (first pixel, second pixel) matrix, each for the pairs at least ``w`` apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Accidentals", "accidentals", "independent_levels"]


@dataclass(frozen=True)
class Accidentals:
    """Expected accidental pairs (over the whole run) among pairs >= w bins apart, p != q."""

    first_delay: np.ndarray  # per singles bin of the first photon
    separation: np.ndarray  # per singles bin of the delay between the photons (0 below w)
    matrix: np.ndarray  # [first pixel, second pixel], diagonal 0
    levels: np.ndarray  # independent events per bin per pixel over the run (mean over the period)
    total: float


def independent_levels(singles: np.ndarray, start_bin: int, tau_bins: float) -> np.ndarray:
    """Flat level per bin of each pixel's independent events.

    Fitted on bins ``start_bin..`` of each singles histogram as ``n + a exp(-t / tau)`` (the
    emitter's decay still present late in the period), by Poisson maximum likelihood
    (iteratively reweighted least squares on 64 coarse bins).

    Parameters
    ----------
    singles : numpy.ndarray
        [pixels, bins] histograms over one period.
    start_bin : int
        First bin of the late part of the period.
    tau_bins : float
        The emitter's slow decay time in bins.

    Returns
    -------
    numpy.ndarray
        Counts per bin per pixel, >= 0.
    """
    s = np.asarray(singles, dtype=float)[:, start_bin:]
    n = s.shape[1]
    if n < 8:
        return np.zeros(s.shape[0])
    groups = np.array_split(np.arange(n), min(64, n))
    width = np.array([g.size for g in groups], dtype=float)
    centre = np.array([g.mean() for g in groups])
    y = np.stack([s[:, g].sum(axis=1) for g in groups], axis=1)
    basis = np.stack((width, width * np.exp(-centre / max(tau_bins, 1e-9))), axis=1)
    out = np.zeros(s.shape[0])
    for p in range(s.shape[0]):
        beta = np.array([max(y[p].mean() / width.mean(), 0.0), 0.0])
        for _ in range(8):
            m = np.maximum(basis @ beta, 0.5)
            sw = 1.0 / np.sqrt(m)
            beta = np.linalg.lstsq(basis * sw[:, None], y[p] * sw, rcond=None)[0]
            beta = np.maximum(beta, 0.0)
        out[p] = beta[0]
    return out


def _corr(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sum_k x(k) y(k + d) for d = 0..K-1, rows summed (x, y: [pixels, K])."""
    k = x.shape[-1]
    n = 2 * k
    fx, fy = np.fft.rfft(x, n, axis=-1), np.fft.rfft(y, n, axis=-1)
    return np.fft.irfft(np.sum(np.conj(fx) * fy, axis=0), n)[:k]


def _pairs_of_others(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sum over p != q of corr(x_p, y_q)."""
    return _corr(x.sum(axis=0, keepdims=True), y.sum(axis=0, keepdims=True)) - _corr(x, y)


def accidentals(
    singles: np.ndarray, independent: np.ndarray, n_periods: int, w_bins: int, crosstalk_fraction: float = 0.0
) -> Accidentals:
    """Accidental pairs expected among the pairs at least ``w_bins`` apart on different pixels.

    Parameters
    ----------
    singles : numpy.ndarray
        [pixels, bins] histograms of all photons over one period (whole run).
    independent : numpy.ndarray
        The part of ``singles`` independent of each period's pulse: [pixels] flat levels per bin
        (``independent_levels``) or [pixels, bins] (with afterpulses of earlier periods).
    n_periods : int
        Periods of the run.
    w_bins : int
        Least separation of the pairs, in bins.
    crosstalk_fraction : float, optional
        Crosstalk avalanches per avalanche (``Crosstalk.total`` / all detections): neither
        photon of an accidental pair may be one, nor may the first have fired one.

    Returns
    -------
    Accidentals
        The expected accidental histograms and matrix.
    """
    if n_periods < 1:
        raise ValueError("accidentals: no periods")
    if not 0.0 <= crosstalk_fraction < 1.0:
        raise ValueError(f"accidentals: crosstalk_fraction {crosstalk_fraction!r} outside [0, 1)")
    keep = (1.0 - crosstalk_fraction) ** 3  # module docstring
    s = np.asarray(singles, dtype=float)
    k_bins = s.shape[1]
    ind_all = np.asarray(independent, dtype=float)
    if ind_all.ndim == 1:
        ind_all = np.repeat(ind_all[:, None], k_bins, axis=1)
    own = (s - ind_all) / n_periods  # per period, per bin
    ind = ind_all / n_periods
    idx = np.minimum(np.arange(k_bins) + w_bins, k_bins)

    def after(x: np.ndarray) -> np.ndarray:  # sum over bins >= k + w, per pixel
        suffix = np.concatenate((np.cumsum(x[:, ::-1], axis=1)[:, ::-1], np.zeros((x.shape[0], 1))), axis=1)
        return suffix[:, idx]

    ia, oa = after(ind), after(own)
    # pair (p at k, q at m >= k + w): own_p ind_q + ind_p own_q + ind_p ind_q
    mat = keep * n_periods * (own @ ia.T + ind @ (oa + ia).T)
    np.fill_diagonal(mat, 0.0)
    first = keep * n_periods * (
        np.sum(own * (ia.sum(axis=0) - ia), axis=0)
        + np.sum(ind * ((oa + ia).sum(axis=0) - (oa + ia)), axis=0)
    )
    sep = keep * n_periods * (_pairs_of_others(s / n_periods, s / n_periods) - _pairs_of_others(own, own))
    sep[:w_bins] = 0.0
    return Accidentals(first, np.maximum(sep, 0.0), mat, ind_all.sum(axis=1) / k_bins, float(mat.sum()))
