# SPDX-License-Identifier: BSD-3-Clause
"""The report's lifetime step: tail fits per detector channel of the sync -> photon delays."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from ..lifetime import (
    ChannelDecay,
    LifetimeFit,
    channel_decay,
    decay_result,
    fit_joint_decay,
    fit_tail,
    quiet_bin,
)
from ._accumulate import DecayAccumulator
from ._recording import Recording
from ._section import Section
from ._source import run_pass

__all__ = ["channel_lifetimes", "channel_signal_fractions", "decay_accumulator", "lifetime_section"]

_DEFAULTS = {"lifetime_ns": None, "lifetime_err_ns": None, "lifetime_err_lo_ns": None,
             "lifetime_err_hi_ns": None}


def _two_components(hist: np.ndarray, lbw: float, start: float, one: LifetimeFit) -> LifetimeFit | None:
    """The two-exponential tail fit, when it is clearly better than one component."""
    try:
        two = fit_tail(hist, lbw, t0_ps=start, n_exp=2)
    except ValueError:
        return None  # the second component is optional: no fit, no entry
    return two if one.deviance - two.deviance > stats.chi2.isf(1e-6, 2) else None


def _rotated(periodic: np.ndarray, lbw: float) -> tuple[np.ndarray, float]:
    """A decay over one period rotated to start at its quiet bin (as ``periodic_decay`` does),
    and that start in ps."""
    q = quiet_bin(periodic)
    return np.roll(periodic, -q), q * lbw


def _tail_one(hist: np.ndarray, lbw: float, start: float) -> tuple[dict[str, Any], LifetimeFit]:
    """The one-component tail fit and the signal fraction it gives, as an entry, and the fit."""
    one = fit_tail(hist, lbw, t0_ps=start)
    # flat background of the decay = photons not correlated with the laser (dark counts, stray
    # light, afterpulses): 1 - its share is the signal fraction rho = S / (S + B)
    rho_c = float(np.clip(1.0 - one.background_per_bin * hist.size / max(hist.sum(), 1), 0.0, 1.0))
    return {"tail": one.to_dict(), "signal_fraction": rho_c}, one


def _tail_fits(hist: np.ndarray, lbw: float, start: float) -> tuple[dict[str, Any], tuple[float, float]]:
    """The plain tail fits (one component, two when clearly better) and their lifetime: the
    component that carries most photons."""
    entry, one = _tail_one(hist, lbw, start)
    two = _two_components(hist, lbw, start, one)
    tau, err = one.tau_ps[0], one.tau_err_ps[0]
    if two is not None:
        entry["tail_2exp"] = two.to_dict()
        k = int(np.argmax(two.amplitude_fraction))
        if np.isfinite(two.tau_err_ps[k]) and two.tau_err_ps[k] > 0:  # else: the one-component fit
            tau, err = two.tau_ps[k], two.tau_err_ps[k]
    return entry, (tau, err)


def _channel_fit(
    periodic: np.ndarray, lbw: float, dead_ps: float | None = None
) -> tuple[dict[str, Any], tuple[float, float] | None, ChannelDecay | None]:
    """One channel's fit entry from its decay histogram over one period (rotated here to start at
    its quiet bin, as ``periodic_decay`` does), its (tau, error) when usable, and its model fit
    for the joint fit (None when it has none).

    The lifetime is that of the physical decay model (``fit_decay_model``: exciton, the
    biexciton cascade, the detector's afterpulses of the pulse's own photons after its dead time
    ``dead_ps``, background; docs/validation.md); the plain tail fits are listed beside it
    (``tail``, ``tail_2exp``) and stand in when the model fit has no error."""
    hist, start = _rotated(periodic, lbw)
    entry, (tau, err) = _tail_fits(hist, lbw, start)
    try:
        ch: ChannelDecay | None = channel_decay(hist, lbw, dead_ps)
    except ValueError:
        ch = None
    if ch is not None:
        model = decay_result(ch, ch.fit, "", start, lbw, dead_ps)
        entry["model"] = model.to_dict()
        if np.isfinite(model.tau_err_ps[0]) and model.tau_err_ps[0] > 0:
            tau, err = model.tau_ps[0], model.tau_err_ps[0]
        else:
            ch = None
    usable = np.isfinite(err) and err > 0
    return entry, ((tau, err) if usable else None), ch


def _joint(
    chans: list[tuple[int, ChannelDecay, float, float | None]], lbw: float
) -> dict[str, Any] | None:
    """The joint model fit of the channels ``(channel, its model fit, bin-0 delay, dead time)``
    with one lifetime (``fit_joint_decay``), as a dict; None with fewer than two or when the
    channels disagree on the lifetime."""
    if len(chans) < 2:
        return None
    j = fit_joint_decay([c[1] for c in chans], lbw, [c[2] for c in chans], [c[3] for c in chans])
    if j is None:
        return None
    d = j.to_dict()
    d["channel_ids"] = [c[0] for c in chans]
    return d


def _busiest(photons: dict[int, int], max_channels: int, min_photons: int) -> list[int]:
    busiest = [c for c, k in sorted(sorted(photons.items()), key=lambda x: -x[1]) if k >= min_photons]
    busiest = busiest[:max_channels]
    if not busiest:
        raise ValueError(f"no detector channel has {min_photons} photons with a delay")
    return busiest


def channel_signal_fractions(
    decays: dict[int, tuple[np.ndarray, int]], lbw: float, max_channels: int = 8, min_photons: int = 1000
) -> dict[str, Any]:
    """The signal fraction rho of the same channels ``channel_lifetimes`` fits, from the same
    one-component tail fit, without the lifetime's model and joint fits (three quarters of its
    time): what a power sweep's points need (the ``signal_fraction`` step)."""
    busiest = _busiest({c: n for c, (_, n) in decays.items()}, max_channels, min_photons)
    per: dict[str, Any] = {}
    for c in busiest:
        hist, start = _rotated(decays[c][0], lbw)
        per[str(c)], _ = _tail_one(hist, lbw, start)
    return {"bin_width_ps": lbw, "method": "tail fits for the signal fraction only (no lifetime)",
            "channels": per}


def lifetime_bin_ps(resolution_ps: float, period: float) -> float:
    """Decay-histogram bin: the resolution, at least period / 4096 and 1 ps."""
    return max(resolution_ps, period / 4096.0, 1.0)


def channel_lifetimes(
    decays: dict[int, tuple[np.ndarray, int]],
    lbw: float,
    max_channels: int = 8,
    min_photons: int = 1000,
    dead_times: dict[int, float] | None = None,
) -> dict[str, Any]:
    """Tail and model fit per detector channel (their cable delays differ, so decays are not
    summed); the lifetime is that of the joint model fit of the channels with one lifetime
    (``joint``: ``fit_joint_decay``), else the inverse-variance mean over the channels' own fits,
    or the busiest channel's when they disagree (polarisation, different detectors).
    ``decays``: ``{channel: (decay histogram over one period in bins of lbw, photons)}``
    (``DecayAccumulator.channels``); ``dead_times``: ``{channel: shortest gap between its events
    (ps)}`` (``DecayAccumulator.dead_times``)."""
    busiest = _busiest({c: n for c, (_, n) in decays.items()}, max_channels, min_photons)
    per: dict[str, Any] = {}
    taus, errs, models = [], [], []
    for c in busiest:
        dead = (dead_times or {}).get(c)
        per[str(c)], usable, ch = _channel_fit(decays[c][0], lbw, dead)
        if usable is not None:
            taus.append(usable[0])
            errs.append(usable[1])
        if ch is not None:
            models.append((c, ch, quiet_bin(decays[c][0]) * lbw, dead))
    if not taus:
        raise ValueError("no lifetime fit converged with an error estimate")
    w = 1.0 / np.square(errs)
    tau = float(np.sum(w * taus) / w.sum())
    err = float(1.0 / np.sqrt(w.sum()))
    chi2 = float(np.sum(w * (np.array(taus) - tau) ** 2))
    method = "inverse-variance mean over channels"
    joint = _joint(models, lbw)
    if joint is not None:  # one emitter: one lifetime in one fit (docs/analysis.md, Lifetimes)
        tau, err = joint["tau_ps"], joint["tau_err_ps"]
        ap = "one tau_ap" if joint["shared_tau_ap"] else "tau_ap per detector"
        if all(t is None for t in joint["tau_ap_ps"]):
            ap = "no afterpulse term"
        method = f"joint decay model over channels {joint['channel_ids']} ({ap})"
    elif len(taus) > 1 and stats.chi2.sf(chi2, len(taus) - 1) < 1e-3:
        tau, err, method = taus[0], errs[0], f"channel {busiest[0]} (channels disagree)"
    out = {
        "tau_ns": tau / 1e3,
        "tau_err_ns": err / 1e3,
        "bin_width_ps": lbw,
        "method": method,
        "channels_chi2": chi2,
        "channels": per,
    }
    if joint is not None:
        out["joint"] = joint
        out["tau_err_lo_ns"], out["tau_err_hi_ns"] = joint["tau_err_lo_ns"], joint["tau_err_hi_ns"]
    return out


def _wanted(steps: tuple[str, ...]) -> bool:
    """Whether a step needs the decays: the lifetime, or the signal fractions alone."""
    return "lifetime" in steps or "signal_fraction" in steps


def decay_accumulator(
    rec: Recording, steps: tuple[str, ...], period: float | None
) -> DecayAccumulator | None:
    """The decay histograms the lifetime step needs with ``period``, or None when it cannot run
    (not asked for, no period, no micro-times and no sync)."""
    if not _wanted(steps) or not period or not (rec.t3 or rec.sync is not None):
        return None
    lbw = lifetime_bin_ps(float(rec.meta.resolution_ps), float(period))
    return DecayAccumulator(rec.detectors, None if rec.t3 else rec.sync, float(period), lbw)


def _sample_period(rec: Recording) -> float | None:
    """The period from the first sync intervals (0.5 % quantile: a filtered sync's gaps are longer)."""
    if rec.sync_sample is None or rec.sync_sample.size <= 2:
        return None
    return float(np.percentile(np.diff(rec.sync_sample), 0.5))


def lifetime_section(
    rec: Recording, steps: tuple[str, ...], period: float | None, acc: DecayAccumulator | None = None
) -> Section:
    """``lifetime_ns`` (and the per-channel fits under ``lifetime``) from ``acc`` when it was
    accumulated with this period, else from a pass of its own; the laser period taken from the
    sync intervals when it was not known before."""
    if not _wanted(steps):
        return Section.skipped(_DEFAULTS)
    found = period
    if found is None and not rec.t3 and rec.sync is not None and rec.counts.get(rec.sync, 0) > 2:
        found = _sample_period(rec)
    new_period = found if period is None else None
    if acc is None or acc.period_ps != found:
        acc = decay_accumulator(rec, steps, found)
        run_pass(rec.source, "lifetime", [acc])
    if acc is None or not sum(n for _, n in acc.channels().values()) > 100:
        return Section(dict(_DEFAULTS), ["lifetime: no micro-times and no sync channel"], new_period)
    try:
        if "lifetime" not in steps:  # the signal_fraction step: rho for the background correction
            rho = channel_signal_fractions(acc.channels(), acc.bin_width_ps)
            return Section(_DEFAULTS | {"lifetime": rho}, period_ps=new_period)
        life = channel_lifetimes(acc.channels(), acc.bin_width_ps, dead_times=acc.dead_times())
    except ValueError as exc:
        return Section(dict(_DEFAULTS), [f"lifetime: {exc}"], new_period)
    # the 68 % interval's errors below and above: the joint fit's profile likelihood, else the
    # covariance's error both sides
    lo = life.get("tau_err_lo_ns") or life["tau_err_ns"]
    hi = life.get("tau_err_hi_ns") or life["tau_err_ns"]
    values = {"lifetime_ns": life["tau_ns"], "lifetime_err_ns": life["tau_err_ns"], "lifetime_err_lo_ns": lo,
              "lifetime_err_hi_ns": hi, "lifetime": life}
    return Section(values, period_ps=new_period)
