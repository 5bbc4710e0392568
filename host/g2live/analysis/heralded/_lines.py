# SPDX-License-Identifier: BSD-3-Clause
"""Emission lines on a pixel (energy-bin) array: Gaussian core with an exponential low-energy
Urbach tail, and the Urbach slope energy.

Line model: E = E_line + sigma Z - U Y, Z ~ N(0, 1), Y ~ Exp(1): an exponentially modified
Gaussian mirrored to low energy (the Urbach rule, I ~ exp((E - E_0) / E_U) below the line,
Urbach, Phys. Rev. 92, 1324 (1953); exponentially modified Gaussian line shapes, e.g. Grushka,
Anal. Chem. 44, 1733 (1972)). Counts per pixel are the exact integrals of this density over the
pixel's energy edges, so coarse pixels (comparable to the linewidth) are modelled without bias.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import lmfit
import numpy as np
from scipy import stats

from .._fit import Model, poisson_fit

__all__ = ["LineFit", "UrbachFit", "fit_line", "fit_urbach_tail", "line_cdf"]

_LINE_PARAMS = ("centre", "sigma", "urbach", "amp", "bg")


def line_cdf(energy: np.ndarray, centre: float, sigma: float, urbach: float) -> np.ndarray:
    """P(E <= energy) for the mirrored exponentially modified Gaussian.

    Parameters
    ----------
    energy : numpy.ndarray
        Energies (eV).
    centre, sigma, urbach : float
        Gaussian centre and standard deviation, mean of the exponential low-energy tail (eV).

    Returns
    -------
    numpy.ndarray
        The cumulative distribution at ``energy``.
    """
    x = centre - np.asarray(energy, dtype=float)
    if urbach <= 1e-9 * max(sigma, 1e-30):
        return stats.norm.sf(x, scale=sigma)
    return stats.exponnorm.sf(x, urbach / sigma, scale=sigma)


@dataclass
class LineFit:
    """Result of ``fit_line``."""

    centre_ev: float  # E_line: Gaussian centre (the mean energy is centre - urbach)
    centre_err_ev: float
    sigma_ev: float
    sigma_err_ev: float
    urbach_ev: float
    urbach_err_ev: float
    amplitude: float  # photons in the line (over all energies)
    background_per_pixel: float
    fit_statistic: float  # Poisson deviance or chi2
    dof: int
    method: str  # "poisson" or "weighted"

    @property
    def fwhm_ev(self) -> float:
        """Full width at half maximum of the Gaussian core."""
        return 2.0 * np.sqrt(2.0 * np.log(2.0)) * self.sigma_ev

    def to_dict(self) -> dict[str, Any]:
        """The fields and ``fwhm_ev`` as a dict."""
        d = asdict(self)
        d["fwhm_ev"] = self.fwhm_ev
        return d


def _checked(
    edges_ev: np.ndarray, counts: np.ndarray, urbach: bool, background: bool
) -> tuple[np.ndarray, ...]:
    e = np.asarray(edges_ev, dtype=float)
    y = np.asarray(counts, dtype=float)
    if e.ndim != 1 or e.size != y.size + 1:
        raise ValueError(f"fit_line: need pixel edges (len {y.size + 1}) for {y.size} pixels, got {e.size}")
    if np.any(np.diff(e) <= 0):
        raise ValueError("fit_line: pixel edges must increase (sort pixels by energy first)")
    n_free = 2 + int(urbach) + int(background) + 1
    if y.size < n_free + 1:
        raise ValueError(f"fit_line: {y.size} pixels are too few for {n_free} parameters")
    return e, y


def _line_params(e: np.ndarray, y: np.ndarray, urbach: bool, background: bool) -> lmfit.Parameters:
    """Starting values from the spectrum's moments."""
    total = float(np.clip(y, 0, None).sum())
    if total <= 0:
        raise ValueError("fit_line: the spectrum is empty")
    centres = 0.5 * (e[:-1] + e[1:])
    w = np.clip(y, 0, None)
    mean = float(np.sum(w * centres) / total)
    sd = float(np.sqrt(max(np.sum(w * (centres - mean) ** 2) / total, (e[1] - e[0]) ** 2 / 12)))
    p = lmfit.Parameters()
    p.add("amp", value=total, min=0)
    p.add("centre", value=mean + (0.3 * sd if urbach else 0.0), min=e[0] - 5 * sd, max=e[-1] + 5 * sd)
    p.add("sigma", value=0.8 * sd, min=1e-3 * (e[1] - e[0]), max=10 * (e[-1] - e[0]))
    p.add("urbach", value=0.3 * sd if urbach else 0.0, min=0, max=5 * (e[-1] - e[0]), vary=urbach)
    p.add("bg", value=max(float(np.min(y)), 0.0) + 1e-3 if background else 0.0, min=0, vary=background)
    return p


def _line_model(pp: lmfit.Parameters, edges: np.ndarray) -> np.ndarray:
    cdf = line_cdf(edges, pp["centre"].value, pp["sigma"].value, pp["urbach"].value)
    return pp["amp"].value * np.diff(cdf) + pp["bg"].value


def _fit_poisson(model: Model, p: lmfit.Parameters, e: np.ndarray, y: np.ndarray) -> tuple[dict, float, int]:
    if np.any(y < 0):
        raise ValueError("fit_line: negative counts need their variance (weighted fit)")
    fit = poisson_fit(model, p, e, y)
    return {n: (fit.value(n), fit.error(n)) for n in _LINE_PARAMS}, fit.deviance, fit.dof


def _fit_weighted(
    model: Model, p: lmfit.Parameters, e: np.ndarray, y: np.ndarray, variance: np.ndarray
) -> tuple[dict, float, int]:
    var = np.asarray(variance, dtype=float)
    if var.shape != y.shape or np.any(var <= 0):
        raise ValueError("fit_line: variance must be > 0, one per pixel")
    out = lmfit.minimize(
        lambda pp: (y - model(pp, e)) / np.sqrt(var), p, method="least_squares", scale_covar=False
    )
    vals = {
        n: (out.params[n].value, out.params[n].stderr if out.params[n].stderr is not None else np.nan)
        for n in _LINE_PARAMS
    }
    return vals, float(out.chisqr), int(out.nfree)


def fit_line(
    edges_ev: np.ndarray,
    counts: np.ndarray,
    variance: np.ndarray | None = None,
    urbach: bool = True,
    background: bool = True,
) -> LineFit:
    """Fit one line (``line_cdf`` integrated over each pixel) to per-pixel counts.

    Parameters
    ----------
    edges_ev : numpy.ndarray
        Pixel edges (len = pixels + 1, increasing).
    counts : numpy.ndarray
        Counts per pixel: Poisson (``variance=None``, maximum likelihood), or background-subtracted
        counts (may be negative) with their ``variance`` (weighted least squares).
    variance : numpy.ndarray, optional
        Variance per pixel.
    urbach, background : bool, optional
        Fit the Urbach tail and a flat background per pixel.

    Returns
    -------
    LineFit
        Centre, width, Urbach energy, amplitude, background with errors.
    """
    e, y = _checked(edges_ev, counts, urbach, background)
    p = _line_params(e, y, urbach, background)
    if variance is None:
        vals, stat, dof = _fit_poisson(_line_model, p, e, y)
        method = "poisson"
    else:
        vals, stat, dof = _fit_weighted(_line_model, p, e, y, variance)
        method = "weighted"
    return LineFit(
        centre_ev=vals["centre"][0],
        centre_err_ev=float(vals["centre"][1]),
        sigma_ev=vals["sigma"][0],
        sigma_err_ev=float(vals["sigma"][1]),
        urbach_ev=vals["urbach"][0],
        urbach_err_ev=float(vals["urbach"][1]),
        amplitude=vals["amp"][0],
        background_per_pixel=vals["bg"][0],
        fit_statistic=float(stat),
        dof=dof,
        method=method,
    )


@dataclass
class UrbachFit:
    """Result of ``fit_urbach_tail``."""

    slope_energy_ev: float  # E_U in I ~ exp((E - E_ref) / E_U)
    slope_energy_err_ev: float
    fit_range_ev: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
        return asdict(self)


def fit_urbach_tail(
    energy_ev: np.ndarray, counts: np.ndarray, e_max_ev: float, e_min_ev: float | None = None
) -> UrbachFit:
    """Exponential low-energy tail A exp((E - e_max) / E_U) + bg over [e_min, e_max] (Poisson ML).

    Parameters
    ----------
    energy_ev, counts : numpy.ndarray
        Spectrum: energies and counts.
    e_max_ev : float
        Upper end of the tail.
    e_min_ev : float, optional
        Lower end (default: the lowest energy).

    Returns
    -------
    UrbachFit
        The Urbach slope energy E_U with its error.
    """
    en = np.asarray(energy_ev, dtype=float)
    y = np.asarray(counts, dtype=float)
    lo = en.min() if e_min_ev is None else e_min_ev
    sel = (en >= lo) & (en <= e_max_ev)
    if sel.sum() < 4:
        raise ValueError(f"fit_urbach_tail: only {int(sel.sum())} points in [{lo:.4f}, {e_max_ev:.4f}] eV")
    x, yy = en[sel] - e_max_ev, y[sel]
    ok = yy > 0
    slope = np.polyfit(x[ok], np.log(yy[ok]), 1)[0] if ok.sum() >= 2 else 1.0 / max(np.ptp(x), 1e-3)
    p = lmfit.Parameters()
    p.add("a", value=max(float(yy.max()), 1.0), min=0)
    p.add("eu", value=float(1.0 / slope) if slope > 0 else np.ptp(x) / 3, min=1e-6, max=100 * np.ptp(x) + 1)
    p.add("bg", value=max(float(yy.min()), 1e-3), min=0)
    fit = poisson_fit(lambda pp, xx: pp["a"].value * np.exp(xx / pp["eu"].value) + pp["bg"].value, p, x, yy)
    return UrbachFit(fit.value("eu"), fit.error("eu"), (float(lo), float(e_max_ev)))
