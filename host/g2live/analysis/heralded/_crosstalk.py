# SPDX-License-Identifier: BSD-3-Clause
"""Pixel crosstalk in a SPAD array, identified by pixel distance and delay.

An avalanche can fire a neighbouring pixel (optical or electrical crosstalk) a few tens of ps
later, which looks like a two-photon period. Such pairs sit at distance 1 (and, crosstalk of
crosstalk, 2) and at near-zero separation; genuine biexciton-exciton pairs at those distances are
spread over the exciton decay (ns), accidentals are flat. Near zero the separation histogram of
distance d is therefore

    y_d(t) = c_d exp(-t / tau_x) + N_d g(t),   g = |Exp(tau_c) * N(0, sigma_c)|  (folded: ordered pairs)

fitted by Poisson maximum likelihood with N_d, c_d, tau_c, sigma_c free. The crosstalk pairs are
not cut from the data: the fit counts them (N_d with errors), and the analysis then uses only the
pairs beyond the delay ``window_ps`` past which fewer than ``LEAK`` crosstalk pairs are expected,
restoring the genuine pairs below it from the exciton decay (their fraction is exp(-w / tau_x)).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import lmfit
import numpy as np

from .._fit import poisson_fit
from ..lifetime._jitter import exp_gauss_cdf
from ._pairs import PairRecords

__all__ = ["LEAK", "Crosstalk", "fit_crosstalk"]

LEAK = 0.1  # crosstalk pairs allowed beyond the window (expected, at the fit's upper 2-sigma count)
DISTANCES = (1, 2)


@dataclass
class Crosstalk:
    """Crosstalk pairs per pixel distance and the delay window that holds them."""

    counts: dict[int, float]  # distance -> crosstalk pairs (fitted)
    errors: dict[int, float]
    delay_ps: float  # mean delay tau_c of the crosstalk avalanche
    sigma_ps: float  # its Gaussian spread
    window_ps: float  # pairs closer than this at any distance are not used
    significance: float  # total / its error
    detected: bool
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return float(sum(self.counts.values()))

    @property
    def total_err(self) -> float:
        return float(np.sqrt(sum(e * e for e in self.errors.values())))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"total": self.total, "total_err": self.total_err}


def _folded(edges: np.ndarray, tau: float, sigma: float) -> np.ndarray:
    """P(|E + G| in each bin) for E ~ Exp(tau), G ~ N(0, sigma)."""
    f = exp_gauss_cdf(edges, tau, sigma)
    g = exp_gauss_cdf(-edges, tau, sigma)
    return np.maximum(np.diff(f) - np.diff(g), 0.0)


def _leak(t: float, tau: float, sigma: float) -> float:
    """P(|E + G| >= t)."""
    e = np.array([t])
    return float(1.0 - (exp_gauss_cdf(e, tau, sigma)[0] - exp_gauss_cdf(-e, tau, sigma)[0]))


def _window(n_hi: float, tau: float, sigma: float, lo: float, hi: float) -> float:
    """Smallest delay t in [lo, hi] with n_hi P(|E+G| >= t) <= LEAK (bisection)."""
    if n_hi * _leak(lo, tau, sigma) <= LEAK:
        return lo
    if n_hi * _leak(hi, tau, sigma) > LEAK:
        return hi
    a, b = lo, hi
    for _ in range(50):
        m = 0.5 * (a + b)
        a, b = (m, b) if n_hi * _leak(m, tau, sigma) > LEAK else (a, m)
    return b


def fit_crosstalk(
    pairs: PairRecords, tau_x_ps: float, min_window_ps: float, range_ps: float = 3000.0, bin_ps: float = 8.0
) -> Crosstalk:
    """Crosstalk pairs at pixel distances 1 and 2, and the delay window beyond which they vanish.

    Parameters
    ----------
    pairs : PairRecords
        Same-period records.
    tau_x_ps : float
        A first estimate of the exciton decay (the genuine pairs' slope near zero).
    min_window_ps : float
        The window is never shorter than this (e.g. where the detectors' jitter ends).
    range_ps, bin_ps : float, optional
        Separation range and bin of the fit.

    Returns
    -------
    Crosstalk
        Counts with errors per distance, the crosstalk delay distribution and the window.
    """
    dist = np.abs(pairs.pixel_second - pairs.pixel_first)
    dt = (pairs.delay_second_ps - pairs.delay_first_ps).astype(float)
    edges = np.arange(0.0, range_ps + bin_ps, bin_ps)
    centres = 0.5 * (edges[1:] + edges[:-1])
    ys = [np.histogram(dt[dist == d], edges)[0].astype(float) for d in DISTANCES]
    y = np.concatenate(ys)
    nb = centres.size
    slope = np.exp(-centres / max(tau_x_ps, 1.0))
    p = lmfit.Parameters()
    late = slice(nb // 2, None)
    for d, yd in zip(DISTANCES, ys, strict=True):
        c0 = max(float(np.mean(yd[late])), 1e-3)
        p.add(f"c{d}", value=c0, min=0)
        p.add(f"n{d}", value=max(float(yd[: max(nb // 6, 1)].sum() - c0 * max(nb // 6, 1)), 1.0), min=0)
    p.add("tau", value=min(50.0, range_ps / 10), min=0.5, max=range_ps / 3)
    p.add("sigma", value=max(2 * bin_ps, 20.0), min=0.1 * bin_ps, max=range_ps / 6)

    def model(pp: lmfit.Parameters, _x: np.ndarray) -> np.ndarray:
        g = _folded(edges, pp["tau"].value, pp["sigma"].value)
        return np.concatenate([pp[f"c{d}"].value * slope + pp[f"n{d}"].value * g for d in DISTANCES])

    if y.sum() == 0:
        return Crosstalk(
            {d: 0.0 for d in DISTANCES},
            {d: 0.0 for d in DISTANCES},
            0.0,
            0.0,
            float(min_window_ps),
            0.0,
            False,
            ["no pairs at pixel distances 1-2"],
        )
    fit = poisson_fit(model, p, np.arange(y.size), y)
    counts = {d: fit.value(f"n{d}") for d in DISTANCES}
    errors = {
        d: fit.error(f"n{d}") if np.isfinite(fit.error(f"n{d}")) else np.sqrt(counts[d] + 1)
        for d in DISTANCES
    }
    total = sum(counts.values())
    err = float(np.sqrt(sum(e * e for e in errors.values())))
    sig = total / err if err > 0 else 0.0
    tau, sigma = fit.value("tau"), fit.value("sigma")
    detected = sig >= 3.0
    notes = []
    window = float(min_window_ps)
    if detected:
        window = _window(total + 2 * err, tau, sigma, float(min_window_ps), range_ps)
        if window >= range_ps:
            notes.append(f"crosstalk delays reach beyond {range_ps:.0f} ps: the window is capped there")
    return Crosstalk(counts, errors, tau, sigma, window, float(sig), bool(detected), notes)
