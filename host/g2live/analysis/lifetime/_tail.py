# SPDX-License-Identifier: BSD-3-Clause
"""Tail fit: ``A1 exp(-t/tau1) [+ A2 exp(-t/tau2)] + bg`` on the bins after the peak, where the
instrument response no longer matters."""

from __future__ import annotations

import lmfit
import numpy as np

from .._fit import Model, poisson_fit
from ._result import LifetimeFit, checked_counts, decay_params, lifetime_result

__all__ = ["fit_tail", "smooth3", "tau_guess"]


def smooth3(c: np.ndarray) -> np.ndarray:
    """Three-bin running mean (finds the peak of a noisy decay)."""
    k = np.ones(3) / 3
    return np.convolve(c, k, mode="same")


def tau_guess(x: np.ndarray, y: np.ndarray, span: float) -> float:
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


def _template(template: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray | None:
    if template is None:
        return None
    tmpl = np.asarray(template, dtype=float)
    if tmpl.shape != shape:
        raise ValueError(f"template has shape {tmpl.shape}, expected the decay's {shape}")
    return tmpl


def _tail_model(n_exp: int, tmpl: np.ndarray | None) -> Model:
    def model(p: lmfit.Parameters, xx: np.ndarray) -> np.ndarray:
        m = np.full_like(xx, p["bg"].value)
        for i in range(1, n_exp + 1):
            m += p[f"a{i}"].value * np.exp(-xx / p[f"tau{i}"].value)
        if tmpl is not None:
            m = m + p["k"].value * tmpl
        return m

    return model


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
    """Tail fit of a decay histogram by Poisson maximum likelihood.

    Parameters
    ----------
    counts : numpy.ndarray
        Decay histogram; bin i covers [t0 + i w, t0 + (i+1) w).
    bin_width_ps : float
        Bin width w.
    t0_ps : float, optional
        Delay of bin 0's left edge.
    start_ps, stop_ps : float, optional
        Fit range (default: from the peak + ``start_after_peak_ps`` to the end).
    n_exp : {1, 2}, optional
        Exponential components.
    start_after_peak_ps : float, optional
        Distance of the default start from the peak (default 2 bins).
    template : numpy.ndarray, optional
        A known additive component on the same bins (e.g. accidental pairs measured on
        independent periods).
    template_scale : float, optional
        Its scale (None: fitted, >= 0).

    Returns
    -------
    LifetimeFit
        Lifetimes with errors, photon fractions, background, deviance.
    """
    c = checked_counts(counts, bin_width_ps)
    tmpl_all = _template(template, c.shape)
    t = t0_ps + (np.arange(c.size) + 0.5) * bin_width_ps
    peak = t[int(np.argmax(smooth3(c)))]
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
    tau0 = tau_guess(x, y - min(bg0, y.min()), tail_len)
    params = decay_params(n_exp, tau0, max(y[0] - bg0, 1.0), bg0, tail_len)
    tmpl = None if tmpl_all is None else tmpl_all[sel]
    if tmpl is not None:
        params.add(
            "k", value=1.0 if template_scale is None else template_scale, min=0, vary=template_scale is None
        )
    fit = poisson_fit(_tail_model(n_exp, tmpl), params, x, y)
    res = lifetime_result(fit, n_exp, "tail", (float(start_ps), float(stop_ps)), int(c.sum()), [])
    if tmpl is not None:
        res.template_scale = fit.value("k")
        res.template_scale_err = fit.error("k") if template_scale is None else 0.0
    return res
