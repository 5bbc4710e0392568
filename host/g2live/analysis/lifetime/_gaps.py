# SPDX-License-Identifier: BSD-3-Clause
"""The detector's afterpulse time constant from the gaps between its successive events.

In a channel's decay an afterpulse is one count among the whole pulse's photons, and its time
constant tau_ap is poorly determined there (docs/validation.md). Between a channel's successive
events it stands out: after an event, the next one is either a photon of a later pulse (at the
period's multiples, the decay's shape), a photon of the same pulse, or an afterpulse of the
first event, delayed by Exp(tau_ap) beyond the dead time d. Between the pulses' peaks the
afterpulses are most of the gaps. The gap density from a lag-0 event:

    f(g) = exp(-R g) [s1 sum_{j>=1} C(g - j P) + s0 C(g) + A h(g)]

- C: the decay histogram's linear autocorrelation (photons of pulses j periods apart, j >= 1;
  j = 0 the same pulse: two photons, or a photon and background, with its own scale s0);
- h: Exp(tau_ap) beyond d, per bin; A: afterpulses (recorded, per event);
- the next event is never an afterpulse of a later event (its parent would come first): C pairs
  the first event's distribution (the decay) with the decay less its afterpulses (estimated in a
  first round) and less its flat part, which gets its own level c (background and dark counts do
  not blink with the emitter, so their bunching differs). Pairing the whole decay with itself put
  too much between the peaks and made tau_ap 1 sigma short (55.5 ns for 60 over 864 emulated
  channels); one scale for the flat part too made it 2.5 sigma short at 5 % background.
- exp(...): no other event in between, from the model's own intensity summed from the dead time
  on (N events): its steps at each pulse, and the emitter's ON rate after an event, are in it.

The fit starts 10 % beyond the dead time (a real SPAD's recovery is not a sharp step).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import lmfit
import numpy as np
from scipy import signal

from .._fit import PoissonFit, poisson_fit
from ._cascade import afterpulse_density

__all__ = ["GapAfterpulses", "fit_gap_afterpulses", "pulse_pair_shapes"]

START_BEYOND_DEAD = 1.1  # the fit starts at this multiple of the dead time
COARSE_BINS = 256  # gap bins per period in the fit


@dataclass
class GapAfterpulses:
    """The afterpulses seen in a channel's successive-event gaps."""

    tau_ap_ps: float
    tau_ap_err_ps: float
    afterpulses: float  # recorded afterpulses in the gaps fitted
    afterpulses_err: float
    dead_time_ps: float
    fit_range_ps: tuple[float, float]
    deviance: float
    dof: int

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
        return asdict(self)


def pulse_pair_shapes(
    decay: np.ndarray, n_gap_bins: int, later: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of photons of pulses ``j >= 1`` periods apart and of one pulse (``j = 0``) per gap bin,
    from ``decay`` over one period rotated to its quiet bin (so each pulse's photons lie in one
    period), both scaled to peak 1. ``later``: the second event's distribution when it differs
    from the first's (the next event cannot be the afterpulse of an event after the first)."""
    h = np.asarray(decay, dtype=float)
    h2 = h if later is None else np.asarray(later, dtype=float)
    n = h.size
    full = signal.fftconvolve(h2, h[::-1])  # index lag + n - 1: sum_i h[i] h2[i + lag]
    full = np.maximum(full, 0.0)
    lag = np.arange(n_gap_bins)
    other = np.zeros(n_gap_bins)
    for j in range(1, n_gap_bins // n + 2):
        d = lag - j * n
        ok = (d > -n) & (d < n)
        other[ok] += full[d[ok] + n - 1]
    same = np.zeros(n_gap_bins)
    m = min(n, n_gap_bins)
    same[:m] = full[n - 1 : n - 1 + m]
    return other / max(other.max(), 1e-300), same / max(same.max(), 1e-300)


def _without_afterpulses(decay: np.ndarray, bin_width_ps: float, per_event: float, tau_ap: float, dead: float
                         ) -> np.ndarray:
    """The decay less its afterpulses (``per_event`` recorded per event, Exp(tau_ap) beyond the dead
    time, parents the decay itself, wrapped over the period)."""
    h = np.asarray(decay, dtype=float)
    k = afterpulse_density(h.size, bin_width_ps, tau_ap, dead)
    ap = np.fft.irfft(np.fft.rfft(h) * np.fft.rfft(k), n=h.size) * per_event / max(k.sum(), 1e-300)
    return np.maximum(h - ap, 0.0)


class _GapModel:
    """f_k = N r_k exp(-sum_{j<k} r_j - r_k / 2): r the next-event intensity per event (its
    terms over N events) from the dead time on; the fit sees the bins of ``fit``."""

    def __init__(
        self, other: np.ndarray, same: np.ndarray, lo: np.ndarray, w: float, d: float, n_events: float,
        fit: np.ndarray,
    ) -> None:
        self.other, self.same, self.lo, self.w, self.d = other, same, lo, w, d
        self.n, self.fit = n_events, fit

    def __call__(self, p: lmfit.Parameters, xx: np.ndarray) -> np.ndarray:
        tau = p["tau_ap"].value
        e0 = np.exp(-np.maximum(self.lo - self.d, 0.0) / tau)
        e1 = np.exp(-np.maximum(self.lo + self.w - self.d, 0.0) / tau)
        m = p["s1"].value * self.other + p["s0"].value * self.same + p["a"].value * (e0 - e1) + p["c"].value
        r = m / self.n
        surv = np.exp(-(np.cumsum(r) - 0.5 * r))
        return np.maximum(m * surv, 1e-12)[self.fit]


def _start(p: lmfit.Parameters, y: np.ndarray, other: np.ndarray, tau: float) -> lmfit.Parameters:
    q = p.copy()
    q["s1"].value = max(float(np.percentile(y, 99.5)), 1.0)
    q["a"].value = max(float(np.sum(y[other < 0.01 * other.max()])), 1.0)
    q["tau_ap"].value = tau
    return q


def _seen(fit: PoissonFit) -> bool:
    """Afterpulses seen: their number beyond 2 sigma, tau_ap with an error."""
    err_t, err_a = fit.error("tau_ap"), fit.error("a")
    return bool(np.isfinite(err_t) and err_t > 0 and np.isfinite(err_a) and fit.value("a") > 2 * err_a)


def fit_gap_afterpulses(
    gaps: np.ndarray, decay: np.ndarray, bin_width_ps: float, dead_time_ps: float, n_events: float
) -> GapAfterpulses | None:
    """Poisson ML fit of the successive-gap density (module docstring).

    Parameters
    ----------
    gaps : numpy.ndarray
        Histogram of the gaps between a channel's successive events, bin k = [k w, (k+1) w),
        over several laser periods.
    decay : numpy.ndarray
        The channel's decay histogram over one period in bins of the same width, rotated to its
        quiet bin.
    bin_width_ps : float
        The bin width w.
    dead_time_ps : float
        The shortest gap (the dead time).
    n_events : float
        The channel's events (its gaps, also those beyond the histogram): the survival's scale.

    Returns
    -------
    GapAfterpulses or None
        None when the gaps hold no defined afterpulse term (a detector without afterpulses,
        too few gaps).
    """
    fine = np.asarray(gaps, dtype=float)
    if fine.ndim != 1 or bin_width_ps <= 0 or dead_time_ps <= 0 or n_events <= 0:
        raise ValueError("fit_gap_afterpulses: gaps must be 1-D; bin width and dead time positive")
    # the next event is never the afterpulse of a later one: the shapes are rebuilt with the
    # second event's distribution less its afterpulses, from the first round's estimate of them
    best = _round(fine, decay, None, bin_width_ps, dead_time_ps, n_events)
    if best is None:
        return None
    fit, x, w = best
    per_event = fit.value("a") / max(float(np.sum(decay)), 1.0)
    later = _without_afterpulses(decay, bin_width_ps, per_event, fit.value("tau_ap"), dead_time_ps)
    best = _round(fine, decay, later, bin_width_ps, dead_time_ps, n_events)
    if best is None:
        return None
    fit, x, w = best
    return GapAfterpulses(
        fit.value("tau_ap"), fit.error("tau_ap"), fit.value("a"), fit.error("a"), float(dead_time_ps),
        (float(x[0]), float(x[-1] + w)), fit.deviance, fit.dof,
    )


def _floor(decay: np.ndarray) -> float:
    """The flat level of a decay rotated to its quiet bin: the median of its first 1/50."""
    return float(np.median(decay[: max(3, decay.size // 50)]))


def _round(
    fine: np.ndarray, decay: np.ndarray, later: np.ndarray | None, bin_width_ps: float, dead_time_ps: float,
    n_events: float,
) -> tuple[PoissonFit, np.ndarray, float] | None:
    """One fit of the gap model with the shapes from ``decay`` (and ``later``): (fit, its bins'
    left edges, bin width), None when no afterpulses are seen."""
    # the second event's flat part (background, dark counts: they do not blink with the emitter)
    # gets its own level c; the pulses' photons are bunched by the blinking
    later = np.asarray(decay if later is None else later, dtype=float)
    later = np.maximum(later - _floor(later), 0.0)
    other, same = pulse_pair_shapes(decay, fine.size, later)
    # fitted in bins of >= 1/256 of the period: the shapes (the decay, tau_ap) are far wider
    k = max(1, int(np.asarray(decay).size // COARSE_BINS))
    n = fine.size // k
    y_all, other, same = (v[: n * k].reshape(n, k).sum(axis=1) for v in (fine, other, same))
    w = bin_width_ps * k
    lo_all = np.arange(n) * w
    sel = lo_all >= START_BEYOND_DEAD * dead_time_ps
    if sel.sum() < 20 or y_all[sel].sum() < 100:
        return None
    live = lo_all >= dead_time_ps  # the survival counts from the dead time on
    model = _GapModel(other[live], same[live], lo_all[live], w, dead_time_ps, n_events, sel[live])
    x, y = lo_all[sel], y_all[sel]
    span = float(x[-1] - x[0])
    p = lmfit.Parameters()
    p.add("s1", value=1.0, min=0.0)
    p.add("s0", value=0.0, min=0.0)
    p.add("a", value=1.0, min=0.0)
    p.add("c", value=0.0, min=0.0)
    p.add("tau_ap", value=1.0, min=w, max=20 * span)
    period = decay.size * bin_width_ps
    best: PoissonFit | None = None
    for tau in (period, 0.2 * period, 5 * period):  # from a second start only when the first fails
        try:
            best = poisson_fit(model, _start(p, y, other[sel], tau), x, y)
            q = best.params.copy()
            at_zero = [n for n in ("s0", "c") if best.value(n) <= 1e-6 * best.value("s1")]
            for n in at_zero:  # at its bound there is no error: held at 0
                q[n].set(value=0.0, vary=False)
            if at_zero:
                best = poisson_fit(model, q, x, y)
        except (ValueError, np.linalg.LinAlgError):
            continue
        if _seen(best):
            break
    if best is None or not _seen(best):
        return None  # no afterpulses seen: tau_ap undetermined
    return best, x, w
