# SPDX-License-Identifier: BSD-3-Clause
"""The comb of a pulsed correlation histogram: laser period, peak phase and peak areas."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ._histogram import CorrelationHistogram

__all__ = [
    "DETECT_SIGMA",
    "Comb",
    "CombEvidence",
    "PeakAreas",
    "comb_contrast",
    "comb_evidence",
    "find_comb",
    "peak_areas",
]

DETECT_SIGMA = 5.0  # significance needed to trust a comb, a dip or an envelope


@dataclass(frozen=True)
class Comb:
    """Period and phase of the peaks of a pulsed histogram (``find_comb``)."""

    period_ps: float
    phase_ps: float  # a peak centre modulo the period, in [0, period)
    snr: float  # |F(f0)|^2 / (expected |F|^2 of Poisson noise): >~25 means a real comb
    method: str  # "given" or "fft"
    phase_err_ps: float = float("nan")  # Poisson error of the phase: (P / 2 pi) sqrt(N / 2) / |F(f0)|


def _fourier(counts: np.ndarray, t: np.ndarray, period: float, harmonics: int = 1) -> float:
    p = 0.0
    for h in range(1, harmonics + 1):
        p += abs(np.sum(counts * np.exp(-2j * np.pi * h * t / period))) ** 2
    return float(p)


def _strongest_frequency_bin(c: np.ndarray, total: float, min_cycles: int) -> int:
    """Index of the comb's fundamental in the rfft of ``c``: the strongest component with at least
    ``min_cycles`` cycles, moved to a sub-harmonic that is also strong."""
    spec = np.abs(np.fft.rfft(c - c.mean())) ** 2
    valid = np.arange(spec.size) >= min_cycles
    valid[0] = False
    if not valid.any():
        raise ValueError("find_comb: histogram too short to hold a comb")
    idx = int(np.argmax(np.where(valid, spec, -1)))
    noise = max(np.median(spec[valid]), total)
    for m in (6, 5, 4, 3, 2):
        j = int(round(idx / m))
        if j >= min_cycles and spec[j] > max(0.25 * spec[idx], DETECT_SIGMA**2 * noise):
            return j
    return idx


def _fft_period(h: CorrelationHistogram, c: np.ndarray, total: float, min_cycles: int) -> float:
    """Laser period (ps): the fundamental's frequency refined by maximising the comb's Fourier
    power (fundamental + 2 harmonics) continuously."""
    t = h.centers_ps
    freqs = np.fft.rfftfreq(c.size, d=h.bin_width_ps)
    f0 = freqs[_strongest_frequency_bin(c, total, min_cycles)]
    df = freqs[1] - freqs[0]
    grid = np.linspace(max(f0 - 1.5 * df, df), f0 + 1.5 * df, 61)
    power = [_fourier(c, t, 1.0 / f, 3) for f in grid]
    k = int(np.argmax(power))
    lo_f, hi_f = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
    res = optimize.minimize_scalar(
        lambda f: -_fourier(c, t, 1.0 / f, 3),
        bounds=(lo_f, hi_f),
        method="bounded",
        options={"xatol": 1e-9 * f0},
    )
    return 1.0 / float(res.x)


def find_comb(h: CorrelationHistogram, period_ps: float | None = None, min_cycles: int = 4) -> Comb:
    """Laser period and peak phase of a pulsed correlation histogram.

    Without ``period_ps`` the fundamental is the strongest Fourier component with at least
    ``min_cycles`` cycles in the window, moved down to a sub-harmonic when that one is also strong
    (narrow peaks put similar power in every harmonic), then refined by maximising the comb's
    Fourier power (fundamental + 2 harmonics) continuously in the period.

    Parameters
    ----------
    h : CorrelationHistogram
        The histogram.
    period_ps : float, optional
        Known laser period (skips the search).
    min_cycles : int, optional
        Fewest periods the window must hold for a candidate frequency.

    Returns
    -------
    Comb
        Period, phase (with its Poisson error), Fourier SNR and how the period was found.
    """
    c = h.counts.astype(float)
    total = float(c.sum())
    if total <= 0:
        raise ValueError("find_comb: the histogram is empty")
    method = "given"
    if period_ps is None:
        method = "fft"
        period_ps = _fft_period(h, c, total, min_cycles)
    if not period_ps > 0:
        raise ValueError(f"find_comb: period_ps must be positive, got {period_ps}")
    z = np.sum(c * np.exp(-2j * np.pi * h.centers_ps / period_ps))
    phase = float((-np.angle(z) * period_ps / (2 * np.pi)) % period_ps)
    snr = float(abs(z) ** 2 / total)
    phase_err = float(period_ps / (2 * np.pi) * np.sqrt(total / 2) / abs(z)) if abs(z) > 0 else float("inf")
    return Comb(float(period_ps), phase, snr, method, phase_err)


@dataclass(frozen=True)
class PeakAreas:
    """Counts in identical windows around each comb peak inside a histogram (``peak_areas``)."""

    centers_ps: np.ndarray  # nominal peak centres inside the histogram
    areas: np.ndarray  # int64 counts in n_window bins around each centre
    n_window: int  # bins per window (identical for every peak, so areas compare exactly)


def peak_areas(h: CorrelationHistogram, comb: Comb, window_ps: float) -> PeakAreas:
    """Counts in a window of ``window_ps`` (rounded to whole bins) around every comb peak.

    Parameters
    ----------
    h : CorrelationHistogram
        The histogram.
    comb : Comb
        Its period and phase.
    window_ps : float
        Window width per peak.

    Returns
    -------
    PeakAreas
        The peaks whose whole window lies inside the histogram.
    """
    n_w = max(1, int(round(window_ps / h.bin_width_ps)))
    k_min = int(np.ceil((h.lo_ps - comb.phase_ps) / comb.period_ps))
    k_max = int(np.floor((h.hi_ps - comb.phase_ps) / comb.period_ps))
    centres = comb.phase_ps + np.arange(k_min, k_max + 1) * comb.period_ps
    start = np.rint((centres - 0.5 * n_w * h.bin_width_ps - h.lo_ps) / h.bin_width_ps).astype(np.int64)
    keep = (start >= 0) & (start + n_w <= h.n_bins)
    centres, start = centres[keep], start[keep]
    cs = np.concatenate(([0], np.cumsum(h.counts)))
    areas = cs[start + n_w] - cs[start]
    return PeakAreas(centres, areas, n_w)


def comb_contrast(h: CorrelationHistogram, comb: Comb) -> float:
    """Median significance of peak over trough.

    Half-period windows centred on each peak are compared with the windows between peaks. A pulsed
    comb gives >> 3 at every peak; a CW histogram (flat far from its antibunching dip, whatever
    "period" was found) gives ~0.

    Parameters
    ----------
    h : CorrelationHistogram
        The histogram.
    comb : Comb
        The comb found in it.

    Returns
    -------
    float
        The median z score (0 when fewer than 4 peaks fit).
    """
    half = Comb(comb.period_ps, comb.phase_ps, comb.snr, comb.method)
    trough = Comb(
        comb.period_ps, (comb.phase_ps + 0.5 * comb.period_ps) % comb.period_ps, comb.snr, comb.method
    )
    pk, tr = peak_areas(h, half, 0.5 * comb.period_ps), peak_areas(h, trough, 0.5 * comb.period_ps)
    n = min(pk.areas.size, tr.areas.size)
    if n < 4:
        return 0.0
    a, b = pk.areas[:n].astype(float), tr.areas[:n].astype(float)
    return float(np.median((a - b) / np.sqrt(np.maximum(a + b, 1.0))))


@dataclass(frozen=True)
class CombEvidence:
    """How strongly a histogram is a comb of laser peaks (``comb_evidence``)."""

    significance: float  # sum over peaks of (peak - trough) / sqrt(sum of both)
    sign_z: float  # binomial z of the share of peaks above their trough (0.5 for no comb)
    n_peaks: int

    @property
    def pulsed(self) -> bool:
        """A comb: significant in total and peaks above troughs nearly everywhere (a CW
        antibunching dip or a bunching hump changes one or two windows, not the share)."""
        return self.significance >= DETECT_SIGMA and self.sign_z >= 3.0


def comb_evidence(h: CorrelationHistogram, comb: Comb) -> CombEvidence:
    """Peak-over-trough evidence for ``comb`` in ``h``, over all its periods.

    Half-period windows around each peak and around each point between peaks are compared: the
    combined significance grows with the counts, the share of peaks above their trough with the
    number of periods, so weak combs (10 pairs per peak) over many periods are recognised and a
    CW histogram is not.

    Parameters
    ----------
    h : CorrelationHistogram
        The histogram (many periods long).
    comb : Comb
        The comb found in it (``find_comb``).

    Returns
    -------
    CombEvidence
        The combined significance, the sign test and the number of periods used.
    """
    half = (comb.phase_ps + 0.5 * comb.period_ps) % comb.period_ps
    trough = Comb(comb.period_ps, half, comb.snr, comb.method)
    pk = peak_areas(h, Comb(comb.period_ps, comb.phase_ps, comb.snr, comb.method), 0.5 * comb.period_ps)
    tr = peak_areas(h, trough, 0.5 * comb.period_ps)
    n = min(pk.areas.size, tr.areas.size)
    if n < 4:
        return CombEvidence(0.0, 0.0, n)
    a, b = pk.areas[:n].astype(float), tr.areas[:n].astype(float)
    tot = a.sum() + b.sum()
    sig = float((a.sum() - b.sum()) / np.sqrt(tot)) if tot > 0 else 0.0
    above = float(np.sum(a > b) + 0.5 * np.sum(a == b))
    return CombEvidence(sig, float((above - n / 2) / np.sqrt(n / 4)), n)
