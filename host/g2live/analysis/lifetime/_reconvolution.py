# SPDX-License-Identifier: BSD-3-Clause
"""Reconvolution fit: the decay, made periodic with the laser period (tails of earlier pulses),
convolved with the instrument response: a Gaussian (analytic: exponentially modified Gaussian) or
a measured IRF histogram (numeric, with a fitted shift), plus a flat background."""

from __future__ import annotations

import lmfit
import numpy as np
from scipy import special

from .._fit import Model, poisson_fit
from ._result import LifetimeFit, checked_counts, decay_params, lifetime_result
from ._tail import smooth3, tau_guess

__all__ = ["emg_periodic", "fit_reconvolution"]


def emg_periodic(t: np.ndarray, mu: float, sigma: float, tau: float, period: float | None) -> np.ndarray:
    """Unit-area exponential decay starting at ``mu``, convolved with a Gaussian, summed over
    earlier pulses: the exponentially modified Gaussian.

    Parameters
    ----------
    t : numpy.ndarray
        Times.
    mu, sigma, tau : float
        Start of the decay, Gaussian standard deviation, decay time.
    period : float or None
        Pulse period (None: a single pulse).

    Returns
    -------
    numpy.ndarray
        The density at ``t``.
    """
    n_prev = 0 if period is None else int(np.ceil(12 * tau / period)) + 1
    out = np.zeros_like(t, dtype=float)
    for k in range(n_prev + 1):
        x = t - (mu - k * (period or 0.0))
        z = (sigma / tau - x / sigma) / np.sqrt(2)
        # erfcx form where z > 0 (before/at the rise), plain erfc form after it: both stay finite
        zp = np.maximum(z, 0.0)
        before = np.exp(-0.5 * (x / sigma) ** 2) * special.erfcx(zp)
        after = np.exp(np.minimum(0.5 * (sigma / tau) ** 2 - x / tau, 700.0)) * special.erfc(
            np.minimum(z, 0.0)
        )
        out += 0.5 / tau * np.where(z > 0, before, after)
    return out


def _gaussian_irf_model(
    params: lmfit.Parameters,
    t: np.ndarray,
    peak_i: int,
    bin_width_ps: float,
    n_exp: int,
    period_ps: float | None,
    irf_sigma_ps: float | None,
) -> Model:
    """Adds the IRF centre ``mu`` and width ``sigma`` to ``params``; the model is analytic."""
    sig0 = irf_sigma_ps if irf_sigma_ps else 2 * bin_width_ps
    params.add("mu", value=t[peak_i] - sig0, min=t[0] - 10 * sig0, max=t[-1])
    params.add("sigma", value=sig0, min=0.2 * bin_width_ps, max=(t[-1] - t[0]) / 4)

    def model(p: lmfit.Parameters, tt: np.ndarray) -> np.ndarray:
        m = np.full_like(tt, p["bg"].value)
        for i in range(1, n_exp + 1):
            m += (
                p[f"a{i}"].value
                * bin_width_ps
                * emg_periodic(tt, p["mu"].value, p["sigma"].value, p[f"tau{i}"].value, period_ps)
            )
        return m

    return model


def _measured_irf_model(
    params: lmfit.Parameters,
    irf: np.ndarray,
    c: np.ndarray,
    sel: np.ndarray,
    bin_width_ps: float,
    n_exp: int,
    period_ps: float | None,
) -> Model:
    """Adds the IRF ``shift`` to ``params``; the model is the binned decay convolved with the
    measured IRF by FFT (circular with a period, linear without)."""
    irf_c = np.asarray(irf, dtype=float)
    if irf_c.shape != c.shape:
        raise ValueError(f"irf has shape {irf_c.shape}, expected the decay's {c.shape}")
    if irf_c.sum() <= 0:
        raise ValueError("irf histogram is empty")
    irf_n = irf_c / irf_c.sum()
    params.add("shift", value=0.0, min=-20 * bin_width_ps, max=20 * bin_width_ps)
    n = c.size
    n_fft = n if period_ps is not None else 2 * n  # circular (periodic) or linear convolution
    freqs = np.fft.rfftfreq(n_fft, d=bin_width_ps)
    irf_f = np.fft.rfft(irf_n, n_fft)
    tk = (np.arange(n_fft) + 0.5) * bin_width_ps

    def model(p: lmfit.Parameters, tt: np.ndarray) -> np.ndarray:
        dec = np.zeros(n_fft)
        for i in range(1, n_exp + 1):
            tau = p[f"tau{i}"].value
            # decay integrated over each bin, periodic sum as a geometric factor
            k = np.exp(-(tk - 0.5 * bin_width_ps) / tau) - np.exp(-(tk + 0.5 * bin_width_ps) / tau)
            if period_ps is not None:
                k = k / (1 - np.exp(-period_ps / tau))
            dec += p[f"a{i}"].value * k
        # Fourier shift: sub-bin IRF displacement
        conv = np.fft.irfft(np.fft.rfft(dec) * irf_f * np.exp(-2j * np.pi * freqs * p["shift"].value), n_fft)
        full = np.maximum(conv[:n], 0.0) + p["bg"].value
        return full[sel]

    return model


def fit_reconvolution(
    counts: np.ndarray,
    bin_width_ps: float,
    *,
    t0_ps: float = 0.0,
    n_exp: int = 1,
    period_ps: float | None = None,
    irf: np.ndarray | None = None,
    irf_sigma_ps: float | None = None,
    fit_range_ps: tuple[float, float] | None = None,
) -> LifetimeFit:
    """Reconvolution fit of a decay histogram by Poisson maximum likelihood.

    Parameters
    ----------
    counts : numpy.ndarray
        Decay histogram; bin i covers [t0 + i w, t0 + (i+1) w).
    bin_width_ps : float
        Bin width w.
    t0_ps : float, optional
        Delay of bin 0's left edge.
    n_exp : {1, 2}, optional
        Exponential components.
    period_ps : float, optional
        Laser period, so the tails of earlier pulses are part of the model.
    irf : numpy.ndarray, optional
        A measured IRF histogram on the same bins (its shift is fitted); otherwise a Gaussian IRF
        whose centre and sigma are fitted.
    irf_sigma_ps : float, optional
        Starting sigma of the Gaussian IRF (default 2 bins).
    fit_range_ps : tuple of float, optional
        Range of delays to fit (default: all bins).

    Returns
    -------
    LifetimeFit
        Lifetimes with errors, photon fractions, background, IRF sigma or shift.
    """
    c = checked_counts(counts, bin_width_ps)
    t = t0_ps + (np.arange(c.size) + 0.5) * bin_width_ps
    lo, hi = fit_range_ps if fit_range_ps is not None else (t[0] - bin_width_ps, t[-1] + bin_width_ps)
    sel = (t >= lo) & (t < hi)
    if sel.sum() < 3 * n_exp + 4:
        raise ValueError(f"fit_reconvolution: only {int(sel.sum())} bins in [{lo:.0f}, {hi:.0f}) ps")
    peak_i = int(np.argmax(smooth3(c)))
    bg0 = float(np.percentile(c, 10))
    tau0 = tau_guess(t[peak_i:] - t[peak_i], c[peak_i:] - bg0, t[-1] - t[peak_i])
    # a_i are photon numbers here: the total above the background is their starting sum
    params = decay_params(n_exp, tau0, max(float(c.sum() - bg0 * c.size), 1.0), bg0, t[-1] - t[0])
    if irf is None:
        model = _gaussian_irf_model(params, t, peak_i, bin_width_ps, n_exp, period_ps, irf_sigma_ps)
    else:
        model = _measured_irf_model(params, irf, c, sel, bin_width_ps, n_exp, period_ps)
    fit = poisson_fit(model, params, t[sel], c[sel])
    return lifetime_result(fit, n_exp, "reconvolution", (float(lo), float(hi)), int(c.sum()), [])
