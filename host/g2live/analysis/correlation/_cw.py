# SPDX-License-Identifier: BSD-3-Clause
"""CW g2(tau): antibunching (and optional bunching) model convolved with the detectors' timing response.

Model (three-level emitter, e.g. Kitson et al., PRA 58, 620 (1998); Michler et al., Nature 406,
968 (2000)):

    g2(tau) = 1 - a exp(-|tau - tau0| / t_ab) + b exp(-|tau - tau0| / t_b),

convolved with a Gaussian instrument response of standard deviation ``sigma`` (the combined jitter
of both detectors), times a plateau ``norm`` (coincidences per bin at long delay; for Poisson
light N_a N_b w / T). The intrinsic g2(0) = 1 - a + b; the value an observer reads off the
histogram peak, g2_0_measured, includes the IRF smearing. Poisson ML fit (``_fit.poisson_fit``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import lmfit
import numpy as np

from .._fit import Model, PoissonFit, poisson_fit
from ..lifetime import emg_periodic
from ._histogram import CorrelationHistogram

__all__ = ["CwFit", "antibunching_model", "find_dip", "fit_cw", "two_sided"]


def two_sided(t: np.ndarray, sigma: float, tau: float) -> np.ndarray:
    """exp(-|t|/tau) convolved with a unit-area Gaussian of std sigma (sigma -> 0: exp(-|t|/tau)).

    Parameters
    ----------
    t : numpy.ndarray
        Delays.
    sigma, tau : float
        Gaussian standard deviation and exponential decay time (same unit as ``t``).

    Returns
    -------
    numpy.ndarray
        The convolved two-sided exponential (1 at t = 0 when sigma = 0).
    """
    if sigma <= 0:
        return np.exp(-np.abs(t) / tau)
    return tau * (emg_periodic(t, 0.0, sigma, tau, None) + emg_periodic(-t, 0.0, sigma, tau, None))


def antibunching_model(
    t: np.ndarray,
    *,
    a: float,
    t_ab: float,
    b: float = 0.0,
    t_b: float = 1.0,
    tau0: float = 0.0,
    sigma: float = 0.0,
) -> np.ndarray:
    """Normalised CW g2(tau): 1 - a exp(-|tau - tau0| / t_ab) + b exp(-|tau - tau0| / t_b), each
    exponential convolved with a Gaussian IRF of std ``sigma``.

    Parameters
    ----------
    t : numpy.ndarray
        Delays (ps).
    a, t_ab : float
        Antibunching depth and time.
    b, t_b : float, optional
        Bunching amplitude and time.
    tau0, sigma : float, optional
        Zero delay and IRF standard deviation.

    Returns
    -------
    numpy.ndarray
        g2 at each delay.
    """
    x = t - tau0
    out = 1.0 - a * two_sided(x, sigma, t_ab)
    if b:
        out = out + b * two_sided(x, sigma, t_b)
    return out


@dataclass
class CwFit:
    """Result of ``fit_cw``."""

    g2_0: float  # intrinsic: 1 - a + b
    g2_0_err: float
    g2_0_measured: float  # model including the IRF, at tau0
    t_ab_ps: float
    t_ab_err_ps: float
    tau0_ps: float
    tau0_err_ps: float
    sigma_ps: float
    norm_per_bin: float
    bunching: float | None = None
    t_b_ps: float | None = None
    deviance: float = 0.0
    dof: int = 0
    g2_0_poisson_norm: float | None = None  # g2_0 x plateau_over_poisson: g2(0) against uncorrelated light
    norm_err_per_bin: float | None = None
    g2_0_poisson_norm_err: float | None = None
    plateau_over_poisson: float | None = None  # norm / (N_a N_b w / T): > 1 means bunching on long scales
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
        return asdict(self)


@dataclass(frozen=True)
class _Start:
    """Starting values read off the smoothed histogram."""

    tau0: float
    sel: np.ndarray  # bins to fit
    plateau: float
    depth: float
    t_ab: float


def find_dip(h: CorrelationHistogram) -> tuple[float, float, float]:
    """The antibunching dip: the window (of widths from ~200 ps to a tenth of the range) whose count
    falls furthest below the plateau, in units of its Poisson error.

    Returns
    -------
    tuple of float
        (centre ps, window width ps, significance z).
    """
    c = h.counts.astype(float)
    blocks = np.array_split(c, min(64, c.size))
    plateau = float(np.median([b.mean() for b in blocks]))
    cs = np.concatenate(([0.0], np.cumsum(c)))
    best = (float(h.centers_ps[c.size // 2]), float(h.bin_width_ps), 0.0)
    k = max(1, int(round(200 / h.bin_width_ps)))
    while k <= max(c.size // 10, 1):
        win = cs[k:] - cs[:-k]
        expect = plateau * k
        if expect > 0:
            z = (expect - win) / np.sqrt(expect)
            i = int(np.argmax(z))
            if z[i] > best[2]:
                centre = float(h.lo_ps + (i + 0.5 * k) * h.bin_width_ps)
                best = (centre, float(k * h.bin_width_ps), float(z[i]))
        k = max(k + 1, int(k * 1.5))
    return best


def _start(
    h: CorrelationHistogram, c: np.ndarray, tau0_ps: float | None, fit_range_ps: float | None
) -> _Start:
    t = h.centers_ps
    dip_ps, dip_w, _ = find_dip(h)
    if tau0_ps is None:
        tau0_ps = dip_ps
    sel = np.ones(c.size, bool) if fit_range_ps is None else np.abs(t - tau0_ps) <= fit_range_ps
    plateau = float(np.median(c[sel][np.abs(t[sel] - tau0_ps) > 0.3 * (t[-1] - t[0]) / 2]))
    plateau = plateau if plateau > 0 else float(c.mean()) or 1.0
    near = np.abs(t - tau0_ps) <= 0.25 * dip_w
    depth = 1.0 - float(c[near].mean()) / plateau if near.any() else 0.5
    return _Start(tau0_ps, sel, plateau, float(np.clip(depth, 0.05, 1.0)), max(0.5 * dip_w, h.bin_width_ps))


def _params(
    h: CorrelationHistogram, s: _Start, irf_sigma_ps: float | None, fit_sigma: bool | None, bunching: bool
) -> lmfit.Parameters:
    t = h.centers_ps
    p = lmfit.Parameters()
    p.add("norm", value=s.plateau, min=0)
    p.add("a", value=min(max(s.depth, 0.05), 1.2), min=0, max=2)
    p.add("t_ab", value=s.t_ab, min=0.1 * h.bin_width_ps, max=(t[-1] - t[0]))
    p.add("tau0", value=s.tau0, min=s.tau0 - 5 * s.t_ab, max=s.tau0 + 5 * s.t_ab)
    sig0 = irf_sigma_ps if irf_sigma_ps is not None else max(h.bin_width_ps, 0.1 * s.t_ab)
    vary_sigma = (irf_sigma_ps is None) if fit_sigma is None else fit_sigma
    p.add(
        "sigma",
        value=sig0,
        min=0 if not vary_sigma else 0.05 * h.bin_width_ps,
        max=min(0.25 * s.t_ab, 1000.0),  # detector jitter: a fraction of the dip, not the dip itself
        vary=vary_sigma,
    )
    if bunching:
        p.add("b", value=0.2, min=0, max=50)
        p.add("t_b", value=20 * s.t_ab, min=s.t_ab, max=(t[-1] - t[0]))
    return p


def _model(bunching: bool) -> Model:
    def model(pp: lmfit.Parameters, x: np.ndarray) -> np.ndarray:
        kw = dict(a=pp["a"].value, t_ab=pp["t_ab"].value, tau0=pp["tau0"].value, sigma=pp["sigma"].value)
        if bunching:
            kw.update(b=pp["b"].value, t_b=pp["t_b"].value)
        return pp["norm"].value * antibunching_model(x, **kw)

    return model


def _result(fit: PoissonFit, bunching: bool) -> CwFit:
    free, cov = fit.free, fit.covariance
    a, b = fit.value("a"), (fit.value("b") if bunching else 0.0)
    ia = free.index("a")
    var = cov[ia, ia]
    if bunching:
        ib = free.index("b")
        var += cov[ib, ib] - 2 * cov[ia, ib]
    kw = dict(a=a, t_ab=fit.value("t_ab"), tau0=fit.value("tau0"), sigma=fit.value("sigma"))
    if bunching:
        kw.update(b=b, t_b=fit.value("t_b"))
    return CwFit(
        g2_0=1.0 - a + b,
        g2_0_err=float(np.sqrt(max(var, 0.0))),
        g2_0_measured=float(antibunching_model(np.array([fit.value("tau0")]), **kw)[0]),
        t_ab_ps=fit.value("t_ab"),
        t_ab_err_ps=fit.error("t_ab"),
        tau0_ps=fit.value("tau0"),
        tau0_err_ps=fit.error("tau0"),
        sigma_ps=fit.value("sigma"),
        norm_per_bin=fit.value("norm"),
        norm_err_per_bin=fit.error("norm"),
        bunching=b if bunching else None,
        t_b_ps=fit.value("t_b") if bunching else None,
        deviance=fit.deviance,
        dof=fit.dof,
    )


def fit_cw(
    h: CorrelationHistogram,
    *,
    tau0_ps: float | None = None,
    irf_sigma_ps: float | None = None,
    fit_sigma: bool | None = None,
    bunching: bool = False,
    fit_range_ps: float | None = None,
    counts_ab: tuple[int, int] | None = None,
    duration_s: float | None = None,
) -> CwFit:
    """Fit a CW correlation histogram with ``antibunching_model`` (Poisson maximum likelihood).

    Parameters
    ----------
    h : CorrelationHistogram
        The CW correlation histogram.
    tau0_ps : float, optional
        Starting zero delay (default: the histogram's lowest smoothed point).
    irf_sigma_ps : float, optional
        Known combined jitter, fixed unless ``fit_sigma`` (None: fitted).
    fit_sigma : bool, optional
        Fit the jitter even when ``irf_sigma_ps`` is given.
    bunching : bool, optional
        Add the bunching term b exp(-|tau| / t_b).
    fit_range_ps : float, optional
        Half-width around tau0 to fit (default: the whole histogram).
    counts_ab : tuple of int, optional
        Singles N_a, N_b for the Poisson-normalised plateau (with ``duration_s``).
    duration_s : float, optional
        Acquisition time.

    Returns
    -------
    CwFit
        Intrinsic and measured g2(0), antibunching time, zero delay, jitter, plateau.
    """
    c = h.counts.astype(float)
    if c.sum() <= 0:
        raise ValueError("fit_cw: the histogram is empty")
    start = _start(h, c, tau0_ps, fit_range_ps)
    params = _params(h, start, irf_sigma_ps, fit_sigma, bunching)
    fit = poisson_fit(_model(bunching), params, h.centers_ps[start.sel], c[start.sel])
    res = _result(fit, bunching)
    if counts_ab is not None and duration_s:
        ratio = res.norm_per_bin / (counts_ab[0] * counts_ab[1] * h.bin_width_ps * 1e-12 / duration_s)
        res.plateau_over_poisson = float(ratio)
        res.g2_0_poisson_norm = float(res.g2_0 * ratio)
        # the plateau's level: the fit's error and the singles' Poisson errors, with g2(0)'s
        rel_norm = (res.norm_err_per_bin or np.nan) / res.norm_per_bin
        rel = np.sqrt(rel_norm**2 + 1 / counts_ab[0] + 1 / counts_ab[1])
        res.g2_0_poisson_norm_err = float(np.hypot(res.g2_0_err * ratio, res.g2_0_poisson_norm * rel))
    if not fit.success:
        res.notes.append("fit did not report convergence")
    res.notes.extend(_implausible(h, res))
    return res


def _implausible(h: CorrelationHistogram, r: CwFit) -> list[str]:
    """Why a converged fit still did not find an antibunching dip (its g2(0) is then not a result)."""
    why = []
    margin = 3 * r.t_ab_ps
    if not (h.lo_ps + margin < r.tau0_ps < h.hi_ps - margin):
        why.append(f"zero delay {r.tau0_ps:.0f} ps at the histogram's edge: no antibunching dip inside it")
    if not (np.isfinite(r.g2_0_err) and r.g2_0_err > 0):
        why.append("the dip's depth is not determined (no error)")
    if not np.isfinite(r.t_ab_err_ps) or r.t_ab_ps > 0.25 * (h.hi_ps - h.lo_ps):
        why.append("the antibunching time is not determined")
    return why
