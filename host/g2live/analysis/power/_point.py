# SPDX-License-Identifier: BSD-3-Clause
"""Sweep points from recordings' reports: the rate, its error, and the g2(0) the fit uses.

A point's rate scatters far beyond Poisson when the emitter blinks: the recording's ON fraction f
differs from the long-run one by sigma_f (``on_fraction_err``), which moves the rate by
(R_ON - R_OFF) sigma_f. R_ON and R_OFF are the levels of the pure change-point segments
(``on_level_cps``, ``off_level_cps``): the mixture's trace-bin rates (``on_rate_cps``,
``off_rate_cps``) are pulled together by the bins that straddle a switch and made this term 35 %
too small on the validation's sweeps, the cause of their chi2/dof of 2 (docs/validation.md).

One recording's sigma_f rests on its own ~20 ON/OFF cycles, and the sample variance of ~10
exponential dwells scatters by ~90 %: on the validation's 0.5 s points sigma_f came out 0.02-0.09
for a true 0.05, and the fit followed the points that drew a small one (P_sat pull spread 1.52 on
24 sweeps). The points of a sweep are one emitter, so ``sweep_points`` pools their dwell
statistics: T sigma_f^2 (for a renewal process a constant of the blinking, whatever the length T)
is averaged over the points, weighted by their dwells, and each point's sigma_f is
sqrt(<T sigma_f^2> / T). This assumes the blinking statistics do not change with power.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

__all__ = ["SweepPoint", "sweep_point", "sweep_point_rate", "sweep_points"]


def _swing_cps(report: Mapping[str, Any]) -> float:
    """(R_ON - R_OFF) sigma_f: the rate's scatter from the recording's share of ON time."""
    sigma_f = report.get("on_fraction_err")
    return _contrast_cps(report) * float(sigma_f) if sigma_f else 0.0


def _contrast_cps(report: Mapping[str, Any]) -> float:
    """R_ON - R_OFF (0 without both levels)."""
    bl = report.get("blinking") or {}
    on, off = bl.get("on_level_cps"), bl.get("off_level_cps")
    if on is None or off is None:  # a report without the segment levels (older or unseparated)
        on, off = bl.get("on_rate_cps"), bl.get("off_rate_cps")
    if on is None or off is None:
        return 0.0
    return max(float(on) - float(off), 0.0)


def sweep_point_rate(report: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """Detector rate of a recording (dead-time losses undone) and its error: Poisson and blinking.

    Parameters
    ----------
    report : Mapping
        ``analyze_photons`` / ``analyze_file`` output with the blinking step.

    Returns
    -------
    tuple
        (rate_cps, rate_err): sqrt(R / T + ((R_ON - R_OFF) sigma_f)^2) with this recording's own
        sigma_f; None where the recording has no duration or no photons. A sweep's points pool
        sigma_f instead (``sweep_points``).
    """
    rate = report.get("detector_rate_corrected_cps") or report.get("detector_rate_cps")
    dur = report.get("duration_s") or 0.0
    if not rate or dur <= 0:
        return (float(rate) if rate else None), None
    return float(rate), math.sqrt(rate / dur + _swing_cps(report) ** 2)


@dataclass(frozen=True)
class SweepPoint:
    """One recording as a point of a power sweep (``sweep_point``)."""

    rate_cps: float | None  # dead-time corrected; the signal's alone when ``signal_fraction`` is known
    rate_err: float | None  # Poisson and blinking (this recording's sigma_f until ``sweep_points`` pools it)
    duration_s: float
    contrast_cps: float  # R_ON - R_OFF of the recording, scaled like the rate
    sigma_f: float | None  # the recording's own ON-fraction error
    n_dwells: int  # ON and OFF dwells sigma_f rests on
    signal_fraction: float | None  # S / (S + B) of the detected photons (the decays' rho), None unknown
    g2_0: float | None  # background-corrected when rho is known; unconstrained (may be < 0)
    g2_0_err: float | None
    g2_0_background_corrected: bool


def _signal_fraction(report: Mapping[str, Any]) -> float | None:
    """The signal share of the detected photons: the channels' rho weighted by their rates."""
    rho, rates = report.get("rho"), report.get("rates_cps") or {}
    chans = report.get("channels") or []
    if not rho or len(rho) != len(chans) or any(str(c) not in rates for c in chans):
        return None
    r = [float(rates[str(c)]) for c in chans]
    if sum(r) <= 0 or not all(0 < float(x) <= 1 for x in rho):
        return None
    return sum(x * y for x, y in zip(rho, r, strict=True)) / sum(r)


def _g2_for_fit(report: Mapping[str, Any]) -> tuple[float | None, float | None, bool]:
    """The g2(0) a sweep fit takes: background-corrected when the decays gave rho, from the
    estimator's unconstrained value. A report withholds a g2(0) below 0 as a result (it is then
    consistent with 0), but as a measurement it is an unbiased draw: dropping it drops the
    low draws at low power (3 of 124 sweeps of the validation), and clipping would bias."""
    from ..correlation import background_correct

    g = report.get("g2") or {}
    raw, err = g.get("g2_0_unconstrained", g.get("g2_0")), g.get("g2_0_err")
    if raw is None or not err or g.get("zero_method") == "expected":  # zero delay not identified
        return None, None, False
    rho, sop = report.get("rho"), report.get("side_over_poisson")
    if not rho or len(rho) != 2:
        return float(raw), float(err), False
    try:
        c, ce = background_correct(float(raw), float(err), *map(float, rho), side_over_poisson=sop)
    except ValueError:
        return None, None, False
    return c, ce, True


def sweep_point(report: Mapping[str, Any]) -> SweepPoint:
    """A recording's report as a sweep point: rate (the signal's, when the decays give rho), its
    own blinking error, and the g2(0) for the fit.

    Parameters
    ----------
    report : Mapping
        ``analyze_photons`` / ``analyze_file`` output with the g2, lifetime and blinking steps.

    Returns
    -------
    SweepPoint
        With rho known the rate is S = rho R: the dark counts, stray light and the flat part of
        the afterpulses measured in this recording's decays are not in it, so the sweep needs no
        fitted offset (a fitted one sat at its bound 0 in half the validation's sweeps, where the
        fit then gave P_sat too small an error).
    """
    rate, err = sweep_point_rate(report)
    rho = _signal_fraction(report)
    scale = rho if rho is not None else 1.0
    bl = report.get("blinking") or {}
    sf = report.get("on_fraction_err")
    g, ge, corrected = _g2_for_fit(report)
    return SweepPoint(
        rate_cps=None if rate is None else rate * scale,
        rate_err=None if err is None else err * scale,
        duration_s=float(report.get("duration_s") or 0.0),
        contrast_cps=_contrast_cps(report) * scale,
        sigma_f=float(sf) if sf else None,
        n_dwells=int(bl.get("n_dwells") or 0),
        signal_fraction=rho,
        g2_0=g,
        g2_0_err=ge,
        g2_0_background_corrected=corrected,
    )


def pooled_blinking(points: Sequence[SweepPoint]) -> float | None:
    """<T sigma_f^2> over the points with a sigma_f, weighted by their dwells (None without any)."""
    use = [p for p in points if p.sigma_f is not None and p.duration_s > 0 and p.n_dwells > 0]
    if not use:
        return None
    return sum(p.n_dwells * p.duration_s * p.sigma_f**2 for p in use) / sum(p.n_dwells for p in use)


def sweep_points(reports: Sequence[Mapping[str, Any]], pool: bool = True) -> list[SweepPoint]:
    """The points of one emitter's power sweep, with the blinking term of the rate errors pooled.

    Parameters
    ----------
    reports : sequence of Mapping
        One report per power (``analyze_photons`` / ``analyze_file`` output with the g2, lifetime
        and blinking steps).
    pool : bool, optional
        Pool the blinking statistics over the points (default): each point's sigma_f becomes
        sqrt(<T sigma_f^2> / T). False keeps each recording's own (blinking that changes with
        power).

    Returns
    -------
    list of SweepPoint
        In the order of ``reports``; ``rate_err`` = sqrt(R / T + ((R_ON - R_OFF) sigma_f)^2).
    """
    pts = [sweep_point(r) for r in reports]
    d = pooled_blinking(pts) if pool else None
    if d is None:
        return pts
    out = []
    for p in pts:
        if p.rate_cps is None or p.duration_s <= 0:
            out.append(p)
            continue
        scale = p.signal_fraction if p.signal_fraction is not None else 1.0
        poisson = p.rate_cps * scale / p.duration_s  # rho^2 R / T: rate_cps holds rho R
        out.append(replace(p, rate_err=math.sqrt(poisson + (p.contrast_cps**2) * d / p.duration_s)))
    return out
