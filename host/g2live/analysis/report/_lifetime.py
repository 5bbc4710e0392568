# SPDX-License-Identifier: BSD-3-Clause
"""The report's lifetime step: tail fits per detector channel of the sync -> photon delays."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from ..lifetime import LifetimeFit, fit_tail, periodic_decay
from ._recording import Recording
from ._section import Section

__all__ = ["channel_lifetimes", "dead_time_ps", "lifetime_section"]

_DEFAULTS = {"lifetime_ns": None, "lifetime_err_ns": None}


def _sync_delays(rec: Recording, det_mask: np.ndarray, period: float) -> tuple[np.ndarray, np.ndarray]:
    """Delay of each detector photon after the latest sync; with a filtered sync only photons within
    1.5 periods of a recorded sync are kept. Returns (delays, channels)."""
    data = rec.data
    st = data.channel_times(rec.sync)
    pt, pc = data.time_ps[det_mask], data.channel[det_mask]
    per = np.searchsorted(st, pt, side="right") - 1
    ok = per >= 0
    delays = pt[ok] - st[per[ok]]
    keep = delays < 1.5 * period
    return delays[keep], pc[ok][keep]


def _two_components(
    hist: np.ndarray, lbw: float, start: float, stop: float | None, one: LifetimeFit
) -> LifetimeFit | None:
    """The two-exponential tail fit, when it is clearly better than one component."""
    try:
        two = fit_tail(hist, lbw, t0_ps=start, stop_ps=stop, n_exp=2)
    except ValueError:
        return None  # the second component is optional: no fit, no entry
    return two if one.deviance - two.deviance > stats.chi2.isf(1e-6, 2) else None


def _stop(hist: np.ndarray, lbw: float, start: float, dead_ps: float | None) -> float | None:
    """End of the lifetime fit: the detector's dead time after the peak. Later, the afterpulses of
    the pulse's own photons (which cannot come sooner) add a slow component the model lacks."""
    if not dead_ps or dead_ps >= 0.9 * hist.size * lbw:
        return None
    peak = int(np.argmax(np.convolve(hist, np.ones(3) / 3, mode="same")))
    return start + peak * lbw + dead_ps


def _channel_fit(
    delays: np.ndarray, lbw: float, period: float, dead_ps: float | None = None
) -> tuple[dict[str, Any], tuple[float, float] | None]:
    """One channel's tail fit entry, and its (tau, error) when the error is usable.

    The lifetime is fitted up to the dead time after the peak (``_stop``); with two components
    clearly better, it is the component that carries most photons (the other is listed)."""
    hist, start = periodic_decay(delays, lbw, period)
    full = fit_tail(hist, lbw, t0_ps=start)
    # flat background of the decay = photons not correlated with the laser (dark counts, stray
    # light, afterpulses): 1 - its share is the signal fraction rho = S / (S + B)
    rho_c = float(np.clip(1.0 - full.background_per_bin * hist.size / max(hist.sum(), 1), 0.0, 1.0))
    stop = _stop(hist, lbw, start, dead_ps)
    one = fit_tail(hist, lbw, t0_ps=start, stop_ps=stop) if stop is not None else full
    entry: dict[str, Any] = {"tail": one.to_dict(), "signal_fraction": rho_c, "fit_stop_ps": stop}
    two = _two_components(hist, lbw, start, stop, one)
    tau, err = one.tau_ps[0], one.tau_err_ps[0]
    if two is not None:
        entry["tail_2exp"] = two.to_dict()
        k = int(np.argmax(two.amplitude_fraction))
        tau, err = two.tau_ps[k], two.tau_err_ps[k]
    usable = np.isfinite(err) and err > 0
    return entry, ((tau, err) if usable else None)


def dead_time_ps(times: np.ndarray) -> float | None:
    """A detector's dead time: its shortest interval between two recorded events (None: < 100 events)."""
    d = np.diff(np.asarray(times, dtype=np.int64)[:2_000_000])
    d = d[d > 0]
    return float(d.min()) if d.size >= 100 else None


def _busiest(chans: np.ndarray, max_channels: int, min_photons: int) -> list[int]:
    vals, n = np.unique(chans, return_counts=True)
    busiest = [int(c) for c, k in sorted(zip(vals, n, strict=True), key=lambda x: -x[1]) if k >= min_photons]
    busiest = busiest[:max_channels]
    if not busiest:
        raise ValueError(f"no detector channel has {min_photons} photons with a delay")
    return busiest


def channel_lifetimes(
    delays: np.ndarray,
    chans: np.ndarray,
    resolution_ps: float,
    period: float,
    max_channels: int = 8,
    min_photons: int = 1000,
    dead_ps: dict[int, float | None] | None = None,
) -> dict[str, Any]:
    """Tail fit per detector channel (their cable delays differ, so decays are not summed); the
    lifetime is the inverse-variance mean over channels, or the busiest channel's when they
    disagree (polarisation, different detectors)."""
    lbw = max(resolution_ps, period / 4096.0, 1.0)
    busiest = _busiest(chans, max_channels, min_photons)
    per: dict[str, Any] = {}
    taus, errs = [], []
    for c in busiest:
        per[str(c)], usable = _channel_fit(delays[chans == c], lbw, period, (dead_ps or {}).get(c))
        if usable is not None:
            taus.append(usable[0])
            errs.append(usable[1])
    if not taus:
        raise ValueError("no lifetime fit converged with an error estimate")
    w = 1.0 / np.square(errs)
    tau = float(np.sum(w * taus) / w.sum())
    err = float(1.0 / np.sqrt(w.sum()))
    chi2 = float(np.sum(w * (np.array(taus) - tau) ** 2))
    method = "inverse-variance mean over channels"
    if len(taus) > 1 and stats.chi2.sf(chi2, len(taus) - 1) < 1e-3:
        tau, err, method = taus[0], errs[0], f"channel {busiest[0]} (channels disagree)"
    return {
        "tau_ns": tau / 1e3,
        "tau_err_ns": err / 1e3,
        "bin_width_ps": lbw,
        "method": method,
        "channels_chi2": chi2,
        "channels": per,
    }


def _delays(
    rec: Recording, period: float | None
) -> tuple[np.ndarray | None, np.ndarray | None, float | None]:
    """Detector photons' delays after their sync (T3 micro-times, or from the sync channel) with
    their channels, and the period (from the sync intervals when unknown)."""
    det_mask = rec.detector_mask()
    data = rec.data
    if data.microtime_ps is not None:
        return data.microtime_ps[det_mask], data.channel[det_mask], period
    if rec.sync is None or rec.counts.get(rec.sync, 0) <= 2:
        return None, None, period
    if period is None:
        period = float(np.percentile(np.diff(data.channel_times(rec.sync)), 0.5))
    return *_sync_delays(rec, det_mask, period), period


def lifetime_section(rec: Recording, steps: tuple[str, ...], period: float | None) -> Section:
    """``lifetime_ns`` (and the per-channel fits under ``lifetime``); the laser period taken from
    the sync intervals when it was not known before."""
    if "lifetime" not in steps:
        return Section.skipped(_DEFAULTS)
    delays, chans, found = _delays(rec, period)
    new_period = found if period is None else None
    if delays is None or not delays.size > 100 or not found:
        return Section(dict(_DEFAULTS), ["lifetime: no micro-times and no sync channel"], new_period)
    try:
        dead = {c: dead_time_ps(rec.data.channel_times(c)) for c in rec.detectors}
        res = float(rec.data.meta.resolution_ps)
        life = channel_lifetimes(delays, chans, res, float(found), dead_ps=dead)
    except ValueError as exc:
        return Section(dict(_DEFAULTS), [f"lifetime: {exc}"], new_period)
    values = {"lifetime_ns": life["tau_ns"], "lifetime_err_ns": life["tau_err_ns"], "lifetime": life}
    return Section(values, period_ps=new_period)
