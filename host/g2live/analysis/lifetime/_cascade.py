# SPDX-License-Identifier: BSD-3-Clause
"""The decay of one detector channel as the emulator (and a real quantum dot on a SPAD) makes it:
exciton decay, biexciton cascade, the detector's afterpulses of the pulse's own photons, flat
background, fitted over the whole period after the instrument response.

    m(t) = A exp(-t/tau) + B exp(-t/tau_f) + bg + p_ap [S * h](t)

- ``B exp(-t/tau_f)``: the fast cascade term. A pulse that made a biexciton gives the BX photon
  (decay tau_BX, weight r = QY_BX/QY_X) and then the X photon, whose arrival rises with tau_BX:
  B is proportional to r / tau_BX - 1 / (tau_X - tau_BX), positive at a large QY ratio, negative
  (a rise) at a small one. Left out, it pulls a one-component tail fit short or long.
- ``p_ap [S * h]``: every recorded photon is followed on its detector, with probability p_ap, by
  an afterpulse delayed by Exp(tau_ap) beyond the dead time d (the shortest same-channel gap,
  measured). S is the measured decay itself (background removed), h the delay density wrapped
  over the period. These counts start one dead time after the peak and decay with tau_ap, not
  flat: a flat background lets them lengthen the lifetime.

The afterpulse term is kept whenever its fit is defined (a detector without afterpulses leaves
tau_ap undetermined, and the plain model stands); the fast term only where the deviance drops by
more than 28, since the late start leaves little of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import lmfit
import numpy as np

from .._fit import PoissonFit, fisher_information, poisson_fit
from ._result import LifetimeFit, checked_counts, lifetime_result
from ._tail import smooth3, tau_guess

__all__ = ["ChannelDecay", "afterpulse_density", "channel_decay", "decay_result", "fit_decay_model"]

IRF_SKIP_PS = 400.0  # the fit starts this long after the peak: the jitter's tail is over by then
FAST_SKIP = 1.0 / 3.0  # ... and a third of the lifetime later, past the biexciton cascade
FAST_EXTRA = 14  # the fast term only where it is clear (deviance drop > 28): else it eats the error


def afterpulse_density(n_bins: int, bin_ps: float, tau_ap_ps: float, dead_ps: float) -> np.ndarray:
    """Probability that an afterpulse lands k bins after its parent, k = 0..n_bins-1, summed over
    periods (the period is n_bins bins): Exp(tau_ap) beyond the dead time, integrated per bin."""
    edges = np.arange(n_bins + 1) * bin_ps
    period = n_bins * bin_ps
    n_wrap = int(np.ceil(8 * tau_ap_ps / period)) + 1
    out = np.zeros(n_bins)
    for k in range(n_wrap):
        e = np.exp(-np.maximum(edges + k * period - dead_ps, 0.0) / tau_ap_ps)
        out += e[:-1] - e[1:]
    return out


def _periodic_conv(src_fft: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    return np.fft.irfft(src_fft * np.fft.rfft(kernel), n=kernel.size)


class _Model:
    """m(t) on the fit bins with the optional terms switched on or off."""

    def __init__(self, hist: np.ndarray, sel: np.ndarray, bin_ps: float, dead_ps: float | None) -> None:
        self.n, self.bin_ps, self.dead_ps, self.sel = hist.size, bin_ps, dead_ps, sel
        # the afterpulses' parents: the measured decay above the level of the quiet start
        bg0 = float(np.median(hist[: max(3, hist.size // 50)]))  # the quiet start of the period
        self.src_fft = np.fft.rfft(np.maximum(hist - bg0, 0.0))

    def __call__(self, p: lmfit.Parameters, xx: np.ndarray) -> np.ndarray:
        return self.evaluate({n: p[n].value for n in p}, xx)

    def evaluate(self, v: Mapping[str, float], xx: np.ndarray) -> np.ndarray:
        """m(t) from parameter values by name (``b``, ``tau_f``, ``p_ap``, ``tau_ap`` optional)."""
        m = v["bg"] + v["a1"] * np.exp(-xx / v["tau1"])
        if "b" in v:
            m = m + v["b"] * np.exp(-xx / v["tau_f"])
        if "p_ap" in v:
            k = afterpulse_density(self.n, self.bin_ps, v["tau_ap"], self.dead_ps or 0.0)
            m = m + v["p_ap"] * _periodic_conv(self.src_fft, k)[self.sel]
        return np.maximum(m, 1e-9)  # a negative fast term (a rise) must not make it negative


def _params(
    x: np.ndarray, y: np.ndarray, fast: bool, ap: bool, start: lmfit.Parameters | None,
    tau_ap: float | None = None,
) -> lmfit.Parameters:
    """Parameters of the model with the optional terms, started from ``start`` where they share."""
    span = x[-1] + (x[1] - x[0])
    bg0 = float(np.mean(y[-max(3, y.size // 10) :]))
    tau0 = tau_guess(x, y - min(bg0, y.min()), span)
    p = lmfit.Parameters()
    p.add("bg", value=max(bg0, 1e-3), min=0)
    p.add("a1", value=max(y[0] - bg0, 1.0), min=0)
    p.add("tau1", value=tau0, min=1e-3, max=100 * span)
    if fast:
        p.add("b", value=0.1 * max(y[0] - bg0, 1.0))  # either sign: a cascade's rise is negative
        p.add("tau_f", value=0.1 * tau0, min=1.0, max=0.5 * tau0 if tau0 > 2.0 else 1.0 + 1e-9)
    if ap:
        p.add("p_ap", value=1e-3, min=0.0, max=0.5)
        p.add("tau_ap", value=min(0.3 * span, 50e3), min=0.2 * x[1] if x.size > 1 else 1.0, max=10 * span)
    if start is not None:
        for name in start:
            if name in p:
                p[name].value = start[name].value
    if ap and tau_ap is not None:  # measured elsewhere (the gaps): held
        p["tau_ap"].set(value=tau_ap, min=-np.inf, max=np.inf, vary=False)
    return p


def _defined(fit: PoissonFit) -> bool:
    """Every parameter has an error (no degenerate direction, e.g. tau_ap without afterpulses)."""
    return all(fit.params[n].stderr is not None and fit.params[n].stderr > 0 for n in fit.free)


def _better(fit: PoissonFit, base: PoissonFit, extra: int) -> bool:
    """The extra terms are real when they lower the deviance by more than 2 per parameter
    (``extra``: half the drop asked for) and their fit is defined."""
    return _defined(fit) and base.deviance - fit.deviance > 2 * extra


def _try(
    model: _Model, x: np.ndarray, y: np.ndarray, fast: bool, ap: bool, start: lmfit.Parameters,
    tau_ap: float | None = None,
) -> PoissonFit | None:
    try:
        return poisson_fit(model, _params(x, y, fast, ap, start, tau_ap), x, y)
    except (ValueError, np.linalg.LinAlgError):
        return None


def _plain_fit(
    c: np.ndarray, t: np.ndarray, start: float, bin_ps: float, dead_ps: float | None
) -> tuple[PoissonFit, _Model, np.ndarray, np.ndarray]:
    sel = t >= start
    if sel.sum() < 12:
        raise ValueError(f"fit_decay_model: only {int(sel.sum())} bins after the peak")
    x, y = t[sel] - start, c[sel]
    model = _Model(c, sel, bin_ps, dead_ps)
    return poisson_fit(model, _params(x, y, False, False, None), x, y), model, x, y


@dataclass
class ChannelDecay:
    """One channel's decay ready for the model: the model, its fit bins (x from the fit start),
    the counts there, the fit start, the best separate fit and the optional terms it kept."""

    model: _Model
    x: np.ndarray
    y: np.ndarray
    start_ps: float
    fit: PoissonFit
    terms: list[str]
    n_bins: int
    n_photons: int
    tau_ap_err_ps: float | None = None  # tau_ap held at a value measured with this error
    tau_err_from_tau_ap_ps: float | None = None  # what that error adds to the lifetime's


def _tau_error_with_tau_ap(ch: ChannelDecay, tau_ap_err: float) -> float:
    """The lifetime's error with tau_ap known to ``tau_ap_err`` (not exactly): the inverse of the
    decay's Fisher information in all parameters, tau_ap included, plus the measurement's
    1 / err^2 on tau_ap (the error of a fit with tau_ap constrained to its measured value)."""
    p = ch.fit.params.copy()
    p["tau_ap"].set(min=0.0, max=np.inf, vary=True)
    free = [*ch.fit.free, "tau_ap"]
    info = fisher_information(ch.model, p, free, ch.x)
    info[-1, -1] += 1.0 / tau_ap_err**2
    try:
        var = float(np.linalg.inv(info)[free.index("tau1"), free.index("tau1")])
    except np.linalg.LinAlgError:
        return float("nan")
    return float(np.sqrt(var)) if np.isfinite(var) and var > 0 else float("nan")


def channel_decay(
    counts: np.ndarray, bin_width_ps: float, dead_time_ps: float | None = None,
    tau_ap_ps: float | None = None, tau_ap_err_ps: float | None = None,
) -> ChannelDecay:
    """The separate model fit of one channel's decay (``fit_decay_model``'s steps), kept with the
    pieces a joint fit of several channels needs. ``tau_ap_ps`` (with its error): the afterpulse
    time constant measured elsewhere (``fit_gap_afterpulses``), held; its error is added to the
    lifetime's in quadrature."""
    c = checked_counts(counts, bin_width_ps)
    t = (np.arange(c.size) + 0.5) * bin_width_ps
    peak = t[int(np.argmax(smooth3(c)))]
    start = peak + max(2 * bin_width_ps, IRF_SKIP_PS)
    fit, model, x, y = _plain_fit(c, t, start, bin_width_ps, dead_time_ps)
    # start a third of a lifetime later: the cascade's fast term (tau_BX << tau_X) is gone there
    # and that costs ~1/6 of the photons; it is still tried as a term where it survives
    late = start + FAST_SKIP * fit.value("tau1")
    if np.sum(t >= late) >= 12:
        start = late
        fit, model, x, y = _plain_fit(c, t, start, bin_width_ps, dead_time_ps)
    terms: list[str] = []
    cand = _try(model, x, y, True, False, fit.params)
    if cand is not None and _better(cand, fit, FAST_EXTRA):
        fit, terms = cand, ["fast"]
    if dead_time_ps is not None and dead_time_ps > 0:
        # a SPAD afterpulses: the term stays whenever its fit is defined (choosing it by the
        # likelihood run by run lets the runs without it come out long with a small error)
        cand = _try(model, x, y, bool(terms), True, fit.params, tau_ap_ps)
        if cand is not None and _defined(cand) and cand.deviance <= fit.deviance:
            fit, terms = cand, terms + ["afterpulses"]
    ch = ChannelDecay(model, x, y, float(start), fit, terms, c.size, int(c.sum()))
    if "afterpulses" in terms and tau_ap_ps is not None and tau_ap_err_ps is not None:
        ch.tau_ap_err_ps = tau_ap_err_ps
        err = _tau_error_with_tau_ap(ch, tau_ap_err_ps)
        if np.isfinite(err) and err >= fit.error("tau1"):
            ch.tau_err_from_tau_ap_ps = float(np.sqrt(err**2 - fit.error("tau1") ** 2))
            fit.params["tau1"].stderr = err
    return ch


def fit_decay_model(
    counts: np.ndarray, bin_width_ps: float, *, t0_ps: float = 0.0, dead_time_ps: float | None = None,
    tau_ap_ps: float | None = None, tau_ap_err_ps: float | None = None,
) -> LifetimeFit:
    """Poisson ML fit of the physical decay model (module docstring) to one channel's decay over
    one period (starting in its quiet part, ``periodic_decay``).

    Parameters
    ----------
    counts : numpy.ndarray
        Decay histogram over exactly one period, rotated to start at its quiet bin.
    bin_width_ps : float
        Bin width.
    t0_ps : float, optional
        Delay of bin 0's left edge.
    dead_time_ps : float, optional
        The detector's dead time (the shortest gap between two of its events); None: the
        afterpulse term is not tried.
    tau_ap_ps, tau_ap_err_ps : float, optional
        The afterpulse time constant measured elsewhere (``fit_gap_afterpulses``) and its error:
        held in the fit, its error added to the lifetime's. None: fitted from the decay.

    Returns
    -------
    LifetimeFit
        ``tau_ps`` the exciton lifetime (one entry), ``method`` "model" plus the terms kept,
        ``afterpulse`` / ``fast`` fields when those terms were kept.
    """
    ch = channel_decay(counts, bin_width_ps, dead_time_ps, tau_ap_ps, tau_ap_err_ps)
    return decay_result(ch, ch.fit, "", t0_ps, bin_width_ps, dead_time_ps)


def decay_result(
    ch: ChannelDecay, fit: PoissonFit, suffix: str, t0_ps: float, bin_width_ps: float,
    dead_time_ps: float | None,
) -> LifetimeFit:
    """The LifetimeFit of channel ``ch`` from ``fit``, whose parameters carry ``suffix`` (a joint
    fit's per-channel names) except the shared ones."""

    def name(n: str) -> str:
        return n + suffix if n + suffix in fit.params else n

    values = {n: fit.params[name(n)] for n in ("bg", "a1", "tau1", "b", "tau_f", "p_ap", "tau_ap")
              if name(n) in fit.params}
    view = PoissonFit(lmfit.Parameters(), fit.covariance, fit.free, fit.deviance, fit.dof, fit.success,
                      fit.message)
    for n, par in values.items():
        view.params.add(n, value=par.value)
        view.params[n].stderr = par.stderr
    rng = (float(t0_ps + ch.start_ps), float(t0_ps + ch.n_bins * bin_width_ps))
    res = lifetime_result(view, 1, "model" + "".join(f" + {n}" for n in ch.terms), rng, ch.n_photons, [])
    if "p_ap" in values:
        res.afterpulse_probability = view.value("p_ap")
        res.afterpulse_probability_err = view.error("p_ap")
        res.afterpulse_tau_ps = view.value("tau_ap")
        res.afterpulse_tau_err_ps = ch.tau_ap_err_ps if ch.tau_ap_err_ps is not None else view.error("tau_ap")
        res.afterpulse_tau_source = "gaps" if ch.tau_ap_err_ps is not None else "decay"
        res.tau_err_from_afterpulse_tau_ps = ch.tau_err_from_tau_ap_ps
    if "b" in values:
        res.fast_tau_ps = view.value("tau_f")
        res.fast_amplitude_ratio = view.value("b") / max(view.value("a1"), 1e-300)
    res.dead_time_ps = dead_time_ps
    return res
