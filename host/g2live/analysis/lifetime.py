"""Fluorescence lifetimes from decay histograms (sync -> photon delay), by Poisson maximum likelihood.

Two kinds of fit (e.g. Lakowicz, "Principles of Fluorescence Spectroscopy", ch. 4; Maus et al.,
Anal. Chem. 73, 2078 (2001) on why Poisson ML rather than least squares at low counts):
- tail fit: ``A1 exp(-t/tau1) [+ A2 exp(-t/tau2)] + bg`` on the bins after the peak, where the
  instrument response (IRF) no longer matters;
- reconvolution: the same decay, made periodic with the laser period (tails of earlier pulses),
  convolved with the IRF: a Gaussian (analytic: exponentially modified Gaussian) or a measured IRF
  histogram (numeric, with a fitted shift), plus a flat background.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import lmfit
import numpy as np
from scipy import special

from ._fit import poisson_fit


@dataclass
class LifetimeFit:
    tau_ps: list[float]  # one or two lifetimes, longest last
    tau_err_ps: list[float]
    amplitude_fraction: list[float]  # fraction of decay photons in each component
    background_per_bin: float
    method: str  # "tail" or "reconvolution"
    fit_range_ps: tuple[float, float]
    deviance: float
    dof: int
    irf_sigma_ps: float | None = None
    irf_shift_ps: float | None = None
    n_photons: int = 0
    template_scale: float | None = None  # fitted scale of an additive template (accidentals)
    template_scale_err: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def tau_ns(self) -> float:
        return self.tau_ps[0] / 1000.0 if len(self.tau_ps) == 1 else self.mean_tau_ps / 1000.0

    @property
    def mean_tau_ps(self) -> float:
        """Amplitude-weighted (photon-fraction-weighted) mean lifetime."""
        return float(np.dot(self.amplitude_fraction, self.tau_ps))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tau_ns"] = self.tau_ns
        return d


def _check(counts: np.ndarray, bin_width_ps: float) -> np.ndarray:
    c = np.asarray(counts, dtype=float)
    if c.ndim != 1 or c.size < 4:
        raise ValueError(f"decay histogram must be 1-D with at least 4 bins, got shape {c.shape}")
    if bin_width_ps <= 0:
        raise ValueError(f"bin_width_ps must be positive, got {bin_width_ps}")
    if c.sum() <= 0:
        raise ValueError("decay histogram is empty")
    return c


def _decay_params(
    n_exp: int, tau_guess: float, amp_guess: float, bg_guess: float, t_span: float
) -> lmfit.Parameters:
    p = lmfit.Parameters()
    p.add("bg", value=max(bg_guess, 1e-3), min=0)
    if n_exp == 1:
        p.add("a1", value=amp_guess, min=0)
        p.add("tau1", value=tau_guess, min=1e-3, max=100 * t_span)
    elif n_exp == 2:
        p.add("a1", value=0.5 * amp_guess, min=0)
        p.add("tau1", value=0.3 * tau_guess, min=1e-3, max=100 * t_span)
        p.add("a2", value=0.5 * amp_guess, min=0)
        p.add("tau2", value=2.0 * tau_guess, min=1e-3, max=100 * t_span)
    else:
        raise ValueError(f"n_exp must be 1 or 2, got {n_exp}")
    return p


def _finish(
    fit,
    n_exp: int,
    method: str,
    rng: tuple[float, float],
    bin_width_ps: float,
    period_ps: float | None,
    n_photons: int,
    notes: list[str],
) -> LifetimeFit:
    taus = [fit.value(f"tau{i}") for i in range(1, n_exp + 1)]
    errs = [fit.error(f"tau{i}") for i in range(1, n_exp + 1)]
    amps = [fit.value(f"a{i}") for i in range(1, n_exp + 1)]
    # a_i is the peak height per bin; photons in component i ~ a_i * tau_i
    w = np.array([a * t for a, t in zip(amps, taus, strict=True)])
    frac = (w / w.sum()).tolist() if w.sum() > 0 else [1.0 / n_exp] * n_exp
    order = np.argsort(taus)
    res = LifetimeFit(
        [taus[i] for i in order],
        [errs[i] for i in order],
        [frac[i] for i in order],
        fit.value("bg"),
        method,
        rng,
        fit.deviance,
        fit.dof,
        n_photons=n_photons,
        notes=notes,
    )
    if "sigma" in fit.params:
        res.irf_sigma_ps = fit.value("sigma")
    if "shift" in fit.params:
        res.irf_shift_ps = fit.value("shift")
    if not fit.success:
        res.notes.append("fit did not report convergence")
    return res


def fit_tail(
    counts: np.ndarray,
    bin_width_ps: float,
    *,
    t0_ps: float = 0.0,
    start_ps: float | None = None,
    stop_ps: float | None = None,
    n_exp: int = 1,
    start_after_peak_ps: float | None = None,
    template: np.ndarray | None = None,
    template_scale: float | None = None,
) -> LifetimeFit:
    """Tail fit from ``start_ps`` (default: the peak + ``start_after_peak_ps``, which defaults to
    2 bins) to ``stop_ps`` (default: end). Bin i covers [t0 + i w, t0 + (i+1) w).

    ``template``: a known additive component on the same bins (e.g. accidental pairs measured on
    independent periods), times ``template_scale`` (None: the scale is fitted, >= 0)."""
    c = _check(counts, bin_width_ps)
    tmpl_all = None
    if template is not None:
        tmpl_all = np.asarray(template, dtype=float)
        if tmpl_all.shape != c.shape:
            raise ValueError(f"template has shape {tmpl_all.shape}, expected the decay's {c.shape}")
    t = t0_ps + (np.arange(c.size) + 0.5) * bin_width_ps
    peak = t[int(np.argmax(_smooth(c)))]
    if start_ps is None:
        start_ps = peak + (2 * bin_width_ps if start_after_peak_ps is None else start_after_peak_ps)
    stop_ps = t[-1] + bin_width_ps if stop_ps is None else stop_ps
    sel = (t >= start_ps) & (t < stop_ps)
    if sel.sum() < 2 * n_exp + 2:
        raise ValueError(
            f"fit_tail: only {int(sel.sum())} bins in the tail [{start_ps:.0f}, {stop_ps:.0f}) ps"
        )
    x, y = t[sel] - start_ps, c[sel]
    tail_len = x[-1] + bin_width_ps
    bg0 = float(np.mean(y[-max(3, y.size // 10) :]))
    tau0 = _tau_guess(x, y - min(bg0, y.min()), tail_len)
    params = _decay_params(n_exp, tau0, max(y[0] - bg0, 1.0), bg0, tail_len)
    tmpl = None if tmpl_all is None else tmpl_all[sel]
    if tmpl is not None:
        params.add(
            "k", value=1.0 if template_scale is None else template_scale, min=0, vary=template_scale is None
        )

    def model(p: lmfit.Parameters, xx: np.ndarray) -> np.ndarray:
        m = np.full_like(xx, p["bg"].value)
        for i in range(1, n_exp + 1):
            m += p[f"a{i}"].value * np.exp(-xx / p[f"tau{i}"].value)
        if tmpl is not None:
            m = m + p["k"].value * tmpl
        return m

    fit = poisson_fit(model, params, x, y)
    res = _finish(fit, n_exp, "tail", (float(start_ps), float(stop_ps)), bin_width_ps, None, int(c.sum()), [])
    if tmpl is not None:
        res.template_scale = fit.value("k")
        res.template_scale_err = fit.error("k") if template_scale is None else 0.0
    return res


def _smooth(c: np.ndarray) -> np.ndarray:
    k = np.ones(3) / 3
    return np.convolve(c, k, mode="same")


def _tau_guess(x: np.ndarray, y: np.ndarray, span: float) -> float:
    """Log-linear slope on the first 1/e of the tail: a starting point only."""
    y = np.maximum(y, 0)
    if y[0] <= 0:
        return span / 3
    stop = np.nonzero(y < y[0] / np.e)[0]
    n = int(stop[0]) if stop.size else x.size
    n = max(n, 3)
    ok = y[:n] > 0
    if ok.sum() < 2:
        return max(x[min(n, x.size - 1)], span / 10)
    slope = np.polyfit(x[:n][ok], np.log(y[:n][ok]), 1)[0]
    return float(-1 / slope) if slope < 0 else span / 3


def emg_periodic(t: np.ndarray, mu: float, sigma: float, tau: float, period: float | None) -> np.ndarray:
    """Unit-area exponential decay starting at ``mu``, convolved with a Gaussian (sigma), summed over
    earlier pulses every ``period`` (None: a single pulse). The exponentially modified Gaussian."""
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
    """Reconvolution fit. ``irf``: a measured IRF histogram on the same bins (its shift is fitted);
    otherwise a Gaussian IRF whose centre and sigma are fitted (start: ``irf_sigma_ps`` or 2 bins).
    ``period_ps``: laser period, so the tails of earlier pulses are part of the model."""
    c = _check(counts, bin_width_ps)
    t = t0_ps + (np.arange(c.size) + 0.5) * bin_width_ps
    lo, hi = fit_range_ps if fit_range_ps is not None else (t[0] - bin_width_ps, t[-1] + bin_width_ps)
    sel = (t >= lo) & (t < hi)
    if sel.sum() < 3 * n_exp + 4:
        raise ValueError(f"fit_reconvolution: only {int(sel.sum())} bins in [{lo:.0f}, {hi:.0f}) ps")
    peak_i = int(np.argmax(_smooth(c)))
    bg0 = float(np.percentile(c, 10))
    after = c[peak_i:] - bg0
    tau0 = _tau_guess(t[peak_i:] - t[peak_i], after, t[-1] - t[peak_i])
    total = float(c.sum() - bg0 * c.size)
    params = _decay_params(n_exp, tau0, max(total, 1.0), bg0, t[-1] - t[0])
    # a_i are photon numbers here: convert the per-bin peak guess into an area
    notes: list[str] = []
    if irf is None:
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
    else:
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
            conv = np.fft.irfft(
                np.fft.rfft(dec) * irf_f * np.exp(-2j * np.pi * freqs * p["shift"].value), n_fft
            )
            full = np.maximum(conv[:n], 0.0) + p["bg"].value
            return full[sel]

        fit = poisson_fit(model, params, t[sel], c[sel])
        return _finish(
            fit, n_exp, "reconvolution", (float(lo), float(hi)), bin_width_ps, period_ps, int(c.sum()), notes
        )
    fit = poisson_fit(model, params, t[sel], c[sel])
    return _finish(
        fit, n_exp, "reconvolution", (float(lo), float(hi)), bin_width_ps, period_ps, int(c.sum()), notes
    )


def decay_histogram(delay_ps: np.ndarray, bin_width_ps: float, span_ps: float) -> np.ndarray:
    """Histogram of sync -> photon delays in [0, span_ps)."""
    n = int(np.ceil(span_ps / bin_width_ps))
    k = np.floor(np.asarray(delay_ps, dtype=float) / bin_width_ps).astype(np.int64)
    k = k[(k >= 0) & (k < n)]
    return np.bincount(k, minlength=n).astype(np.int64)


def quiet_bin(hist: np.ndarray) -> int:
    """Bin of a periodic decay histogram with the fewest photons (smoothed over 1/64 of the period).

    Period boundaries placed there keep every pulse's photons together: detector jitter and cable
    delays can time-stamp prompt photons just *before* their own sync."""
    c = np.asarray(hist, dtype=float)
    k = max(1, c.size // 64)
    padded = np.concatenate((c[-k:], c, c[:k]))  # periodic smoothing
    sm = np.convolve(padded, np.ones(2 * k + 1) / (2 * k + 1), mode="same")[k:-k]
    return int(np.argmin(sm))


def periodic_decay(delay_ps: np.ndarray, bin_width_ps: float, period_ps: float) -> tuple[np.ndarray, float]:
    """Decay histogram over one period, rotated to start at its quiet bin. Returns the histogram
    and the delay (ps) of its first bin's left edge, in [0, period)."""
    h = decay_histogram(np.mod(delay_ps, period_ps), bin_width_ps, period_ps)
    q = quiet_bin(h)
    return np.roll(h, -q), q * bin_width_ps
