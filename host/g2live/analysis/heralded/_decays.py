# SPDX-License-Identifier: BSD-3-Clause
"""The heralded lifetimes: tau_BX from the first photon's delay, tau_X from the photons' separation.

tau_BX. The first photon of a genuine pair is the biexciton photon: its delay after the pulse is
Exp(tau_BX) seen through the detectors' timing response (``Jitter``). The response is not
assumed: it is fitted jointly from the singles (every photon's delay), whose rising edge is the
response integrated over the slow exciton decay and whose fast part is the biexciton, and the
first photons of the pairs, which share tau_BX and the response:

    singles(t) = alpha B(t; tau_s) + beta B(t; tau_BX) + bg       (beta may be < 0: the cascade's X)
    first(t)   = N B(t; tau_BX) + accidentals(t)                 (accidentals: fixed, from the singles)

with B(t; tau) the bin probability of Exp(tau) convolved with the response (``binned_decay``), all
by Poisson maximum likelihood. The exact two-exponential form of the singles holds for the
cascade: X after BX is Exp(tau_BX) * Exp(tau_X), a combination of the two exponentials.

tau_X. Beyond the window w (where the crosstalk has ended and the difference of two jitters is
negligible) the separation of a genuine pair is exactly exponential with tau_X whatever the timing
response (the convolution of an exponential with a response that ends before w is, past w, the
same exponential), so

    separation(t) = N exp(-t / tau_X) / Z + accidentals(t),   t in [w, t_max)

with Z the normalisation over the fitted range (the truncation by the end of the period is part
of it) and the accidentals fixed from the singles.
"""

from __future__ import annotations

from dataclasses import dataclass

import lmfit
import numpy as np

from .._fit import PoissonFit, poisson_fit
from ..lifetime._jitter import Jitter, binned_decay

__all__ = ["DecayFit", "fit_first_photon", "fit_separation", "singles_edge"]


@dataclass(frozen=True)
class DecayFit:
    """One heralded lifetime with its error, the genuine pairs behind it and the fit quality."""

    tau_ps: float
    tau_err_ps: float
    n_genuine: float  # genuine pairs in the fitted range
    n_genuine_err: float
    deviance: float
    dof: int
    jitter: Jitter | None = None
    fit_range_ps: tuple[float, float] = (0.0, 0.0)


def _rebin(x: np.ndarray, k: int) -> np.ndarray:
    n = x.size // k * k
    return x[:n].reshape(-1, k).sum(axis=1)


def fit_separation(
    dt_ps: np.ndarray, accidental: np.ndarray, bin_ps: int, window_ps: float, t_max_ps: float, tau0_ps: float
) -> DecayFit:
    """tau_X from the separations ``dt_ps`` of pairs at least ``window_ps`` apart.

    Parameters
    ----------
    dt_ps : numpy.ndarray
        Separations (ps) of the pairs used, all >= ``window_ps``.
    accidental : numpy.ndarray
        Expected accidental pairs per separation bin of ``bin_ps`` (bin j: [j bin, (j+1) bin)).
    bin_ps : int
        Bin of ``accidental``.
    window_ps, t_max_ps : float
        The fitted range.
    tau0_ps : float
        Starting value.

    Returns
    -------
    DecayFit
        tau_X and the genuine pairs in the range.
    """
    k = max(1, int(round(64 / bin_ps)))
    w_bin = int(round(window_ps / bin_ps))
    hi_bin = int(t_max_ps // bin_ps)
    acc = _rebin(np.asarray(accidental, dtype=float)[w_bin:hi_bin], k)
    edges = window_ps + np.arange(acc.size + 1) * k * bin_ps
    y = np.histogram(dt_ps, edges)[0].astype(float)
    if y.sum() < 10:
        raise ValueError(f"only {int(y.sum())} pairs beyond {window_ps:.0f} ps")
    rel = edges - edges[0]
    span = rel[-1]
    p = lmfit.Parameters()
    p.add("n", value=max(y.sum() - acc.sum(), 1.0), min=0)
    p.add("tau", value=float(np.clip(tau0_ps, 2 * bin_ps, 10 * span)), min=bin_ps / 4, max=50 * span)

    def model(pp: lmfit.Parameters, _x: np.ndarray) -> np.ndarray:
        tau = pp["tau"].value
        cdf = -np.expm1(-rel / tau)
        return pp["n"].value * np.diff(cdf) / cdf[-1] + acc

    fit = poisson_fit(model, p, np.arange(y.size), y)
    return DecayFit(
        fit.value("tau"),
        fit.error("tau"),
        fit.value("n"),
        fit.error("n"),
        fit.deviance,
        fit.dof,
        None,
        (float(edges[0]), float(edges[-1])),
    )


def singles_edge(singles: np.ndarray, bin_ps: int) -> tuple[int, float]:
    """Bin of the singles' rising edge (steepest rise, smoothed) and a first guess of the
    response's width (10-90 % rise / 2.56)."""
    s = np.asarray(singles, dtype=float)
    sm = np.convolve(s, np.ones(3) / 3, mode="same")
    peak = int(np.argmax(sm))
    lo = max(peak - int(5000 / bin_ps), 0)
    base = float(np.median(s[: max(lo, 1)])) if lo > 0 else float(s.min())
    rise = sm[lo : peak + 1] - base
    top = max(rise[-1], 1.0)
    i10 = int(np.argmax(rise >= 0.1 * top))
    i90 = int(np.argmax(rise >= 0.9 * top))
    edge = lo + int(np.argmax(np.diff(sm[lo : peak + 1]))) if peak > lo else peak
    width = max((i90 - i10) * bin_ps / 2.56, 0.5 * bin_ps)
    return edge, float(width)


@dataclass(frozen=True)
class _Windows:
    edges_s: np.ndarray  # singles bin edges (ps)
    sel_s: slice
    edges_f: np.ndarray
    sel_f: slice


def _windows(n_bins: int, bin_ps: int, edge: int, width: float, tau_bx0: float, t_end_ps: float) -> _Windows:
    before = int(np.ceil(max(10 * width, 600.0) / bin_ps))
    s_lo, s_hi = max(edge - before, 0), min(edge + int(6000 / bin_ps), n_bins)
    f_hi = min(edge + int(np.ceil(max(30 * tau_bx0, 3000.0) / bin_ps)), int(t_end_ps // bin_ps), n_bins)
    all_edges = np.arange(n_bins + 1) * float(bin_ps)
    return _Windows(
        all_edges[s_lo : s_hi + 1], slice(s_lo, s_hi), all_edges[s_lo : f_hi + 1], slice(s_lo, f_hi)
    )


def _params(
    edge_ps: float, width: float, singles: np.ndarray, n_first: float, tau_bx0: float
) -> lmfit.Parameters:
    p = lmfit.Parameters()
    p.add("t0", value=edge_ps, min=edge_ps - 20 * width - 500, max=edge_ps + 20 * width + 500)
    p.add("sigma", value=width, min=0.5, max=50 * width + 1000)
    p.add("f", value=0.05, min=0.0, max=0.6)
    p.add("tt", value=max(2 * width, 50.0), min=2.0, max=5000.0)
    p.add("tau_bx", value=tau_bx0, min=5.0, max=50_000.0)
    p.add("tau_s", value=max(10 * tau_bx0, 3000.0), min=20.0, max=1e6)
    p.add("alpha", value=float(singles.sum()), min=0)
    p.add("beta", value=0.05 * float(singles.sum()))
    p.add("bg", value=max(float(np.percentile(singles, 5)), 1e-3), min=0)
    p.add("n", value=max(n_first, 1.0), min=0)
    return p


def fit_first_photon(
    singles: np.ndarray,
    first_delay_ps: np.ndarray,
    accidental: np.ndarray,
    bin_ps: int,
    period_ps: float,
    t_end_ps: float,
    jitter: Jitter | None = None,
    tilt_tau_ps: float = 0.0,
    start: DecayFit | None = None,
) -> DecayFit:
    """tau_BX and the timing response from the singles and the pairs' first photons (joint ML).

    Parameters
    ----------
    singles : numpy.ndarray
        All photons' delays over one period, summed over pixels, in ``bin_ps`` bins.
    first_delay_ps : numpy.ndarray
        First-photon delays of the pairs used.
    accidental : numpy.ndarray
        Expected accidental first photons per singles bin.
    bin_ps : int
        Bin of ``singles`` and ``accidental``.
    period_ps : float
        Laser period (tails of earlier pulses in the singles).
    t_end_ps : float
        First photons are fitted up to here at most.
    jitter : Jitter, optional
        A known timing response (e.g. a measured IRF's parameters): its shape is fixed, its
        offset fitted. None: fitted from the data.
    tilt_tau_ps : float, optional
        The pairs used have their partner at least w later, which favours first photons with a
        small jitter by exp(-j / tau_X): the first photons see ``Jitter.tilted(tau_X)``.
    start : DecayFit, optional
        An earlier fit (its tau_BX and response) to start from as well: a response tail and the
        singles' fast component are nearly interchangeable, so the likelihood has more than one
        minimum; the fit with the lower deviance is kept.

    Returns
    -------
    DecayFit
        tau_BX, the genuine pairs in the range and the response.
    """
    s = np.asarray(singles, dtype=float)
    edge, width = singles_edge(s, bin_ps)
    if jitter is not None:
        width = max(jitter.sigma_ps, 0.5 * bin_ps)
    f_rel = np.asarray(first_delay_ps, dtype=float) - edge * bin_ps
    near = f_rel[(f_rel > 0) & (f_rel < 5000)]
    tau_bx0 = float(np.clip(np.mean(near) if near.size else 500.0, 20.0, 5000.0))
    w = _windows(s.size, bin_ps, edge, width, tau_bx0, t_end_ps)
    ys, yf = s[w.sel_s], np.histogram(first_delay_ps, w.edges_f)[0].astype(float)
    acc = np.asarray(accidental, dtype=float)[w.sel_f]
    if yf.sum() < 10:
        raise ValueError(f"only {int(yf.sum())} first photons to fit")
    p = _params(edge * bin_ps, width, ys, yf.sum() - acc.sum(), tau_bx0)
    if jitter is not None:
        p["sigma"].set(value=jitter.sigma_ps, vary=False)
        p["f"].set(value=jitter.tail_fraction, vary=False)
        p["tt"].set(value=max(jitter.tail_ps, 2.0), vary=False)

    def model(pp: lmfit.Parameters, _x: np.ndarray) -> np.ndarray:
        j = Jitter(pp["sigma"].value, pp["f"].value, pp["tt"].value, pp["t0"].value)
        b_slow = binned_decay(w.edges_s, pp["tau_s"].value, j, period_ps)
        b_fast_s = binned_decay(w.edges_s, pp["tau_bx"].value, j, period_ps)
        m_s = pp["alpha"].value * b_slow + pp["beta"].value * b_fast_s + pp["bg"].value
        m_f = pp["n"].value * binned_decay(w.edges_f, pp["tau_bx"].value, j.tilted(tilt_tau_ps)) + acc
        return np.concatenate((np.maximum(m_s, 1e-9), np.maximum(m_f, 1e-9)))

    y = np.concatenate((ys, yf))
    fit = _without_empty_tail(poisson_fit(model, p, np.arange(y.size), y), model, y)
    if jitter is None and start is not None and start.jitter is not None:
        q = _started(p, start.tau_ps, start.jitter)
        alt = _without_empty_tail(poisson_fit(model, q, np.arange(y.size), y), model, y)
        fit = alt if alt.deviance < fit.deviance else fit
    j = Jitter(fit.value("sigma"), fit.value("f"), fit.value("tt"), fit.value("t0"))
    return DecayFit(
        fit.value("tau_bx"),
        fit.error("tau_bx"),
        fit.value("n"),
        fit.error("n"),
        fit.deviance,
        fit.dof,
        j,
        (float(w.edges_f[0]), float(w.edges_f[-1])),
    )


def _started(p: lmfit.Parameters, tau_bx_ps: float, j: Jitter) -> lmfit.Parameters:
    """``p`` started at an earlier fit's tau_BX and response (each clipped into its bounds)."""
    q = p.copy()
    vals = {"tau_bx": tau_bx_ps, "sigma": j.sigma_ps, "f": j.tail_fraction, "tt": j.tail_ps, "t0": j.t0_ps}
    for k, v in vals.items():
        if np.isfinite(v):
            q[k].set(value=float(np.clip(v, q[k].min, q[k].max)))
    return q


def _without_empty_tail(fit: PoissonFit, model: object, y: np.ndarray) -> PoissonFit:
    """When the response has no measurable tail (f ~ 0) its time constant is undefined and
    makes the covariance singular: refit with the tail fixed at 0."""
    if fit.params["f"].vary and fit.value("f") < 1e-3:
        p = fit.params.copy()
        p["f"].set(value=0.0, vary=False)
        p["tt"].set(vary=False)
        return poisson_fit(model, p, np.arange(y.size), y)  # type: ignore[arg-type]
    return fit
