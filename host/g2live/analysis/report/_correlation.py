# SPDX-License-Identifier: BSD-3-Clause
"""The report's g2 step: correlate two detectors, decide pulsed or CW, estimate g2(0)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..correlation import (
    CorrelationHistogram,
    background_correct,
    comb_evidence,
    correlation_histogram,
    find_comb,
    fit_cw,
    pulsed_g2,
)
from ._recording import Recording
from ._section import Section

__all__ = ["G2_KEYS", "G2Settings", "background_section", "correlation_section"]

MAX_BINS = 1 << 16

G2_KEYS = (
    "g2_0",
    "g2_0_err",
    "g2_0_ci",
    "g2_0_poisson_norm",
    "g2_0_poisson_norm_err",
    "side_over_poisson",
    "purity",
    "purity_err",
    "delay_offset_ps",
    "delay_offset_err_ps",
    "period_ps",
)


@dataclass(frozen=True)
class G2Settings:
    """The user's choices for the g2 step (None: chosen from the data)."""

    channels: tuple[int, int] | None = None
    n_side: int = 4
    window_ps: float | None = None
    bin_width_ps: int | None = None
    half_range_ps: float | None = None
    rho: tuple[float, float] | None = None
    zero_ps: float | None = None  # known zero delay (b - a); None: found from the data


def _pair(rec: Recording, channels: tuple[int, int] | None) -> tuple[int, int]:
    """The given pair, or the two busiest detectors (lower channel first)."""
    if channels is not None:
        return channels
    if len(rec.detectors) < 2:
        raise ValueError(
            f"{rec.name}: need two detector channels, found {rec.detectors}"
            f" (sync = {rec.sync}); pass channels explicitly"
        )
    busiest = sorted(rec.detectors, key=lambda c: -rec.counts[c])[:2]
    return min(busiest), max(busiest)


SEARCH_HALF_PS = 5_000_000.0  # the comb search histogram: +-5 us ...
SEARCH_BIN_PS = 256  # ... in 256 ps bins (periods down to ~2 ns, up to ~1 us)


def _half(h: CorrelationHistogram, right: bool) -> CorrelationHistogram:
    """The negative-delay or positive-delay half of ``h``."""
    n = h.n_bins // 2
    counts = h.counts[n:] if right else h.counts[:n]
    lo = h.lo_ps + (n * h.bin_width_ps if right else 0)
    return CorrelationHistogram(counts, h.bin_width_ps, int(lo + (counts.size // 2) * h.bin_width_ps))


def _search_comb(rec: Recording, ta: np.ndarray, tb: np.ndarray) -> tuple[float | None, str]:
    """The laser period from the photons alone: the comb of side peaks over +-5 us, or None (CW)
    when there is none; with the evidence in words.

    The comb is searched for on one half of the delays and tested on the other (and the other way
    round), so the search over thousands of candidate periods cannot make noise look like a comb.
    """
    res = max(int(rec.data.meta.resolution_ps), 1)
    bw = max(SEARCH_BIN_PS, res)
    h = correlation_histogram(ta, tb, bw, int(2 * SEARCH_HALF_PS // bw))
    if h.counts.sum() == 0:
        return None, "no pairs within +-5 us: CW assumed"
    tests = []
    for found_on, tested_on in ((False, True), (True, False)):
        try:
            comb = find_comb(_half(h, found_on))
        except ValueError as exc:
            return None, f"no comb ({exc}): CW"
        tests.append((comb, comb_evidence(_half(h, tested_on), comb)))
    weaker = min(tests, key=lambda ce: ce[1].significance)[1]
    what = (f"peak over trough {weaker.significance:.1f} sigma, {weaker.sign_z:.1f} sigma of {weaker.n_peaks}"
            " peaks above their trough, on the half of the delays the comb was not searched on")
    if all(ev.pulsed for _, ev in tests) and abs(tests[0][0].period_ps / tests[1][0].period_ps - 1) < 0.01:
        period = find_comb(h, None).period_ps
        return period, f"comb of side peaks every {period / 1e3:.4g} ns without a sync ({what})"
    return None, f"no comb of side peaks ({what}): CW"


def _histogram(
    rec: Recording, ta: np.ndarray, tb: np.ndarray, s: G2Settings
) -> tuple[CorrelationHistogram, float | None, str]:
    """The correlation histogram over +-max(200 ns, (K + 1.5) P + 60 ns), whether it is a pulsed
    comb, and why. Without a known laser period the comb is searched for over +-5 us first, so a
    pulsed recording without a sync channel is recognised from its side peaks."""
    period = rec.period_ps
    if period is not None:
        rate = f"{1e12 / period / 1e6:.4g} MHz"
        given = f"{rate} in the file or given"
        evidence = f"sync channel {rec.sync} ({rate})" if rec.sync is not None else given
    else:
        period, evidence = _search_comb(rec, ta, tb)
    half = s.half_range_ps or max(200_000.0, (s.n_side + 1.5) * (period or 0.0) + 60_000.0)
    res = int(max(rec.data.meta.resolution_ps, 1))
    bw = s.bin_width_ps or max(int(math.ceil(2 * half / MAX_BINS)), res, 16)
    h = correlation_histogram(ta, tb, bw, int(2 * half // bw))
    return h, period, evidence


def _pulsed(
    h: CorrelationHistogram, counts_ab: tuple[int, int], rec: Recording, s: G2Settings, period: float | None
) -> Section:
    try:
        r = pulsed_g2(
            h,
            period_ps=period,
            window_ps=s.window_ps,
            n_side=s.n_side,
            counts_ab=counts_ab,
            duration_s=rec.duration_s,
            rho=s.rho,
            zero_ps=s.zero_ps,
        )
    except ValueError as exc:
        return Section.skipped({}, f"g2: {exc}")
    values = {
        "g2": r.to_dict(),
        "g2_0": r.g2_0,
        "g2_0_err": r.g2_0_err,
        "g2_0_ci": list(r.g2_0_ci),
        "g2_0_poisson_norm": r.g2_0_poisson_norm,
        "g2_0_poisson_norm_err": r.g2_0_poisson_norm_err,
        "side_over_poisson": r.side_over_poisson,
        "delay_offset_ps": r.delay_offset_ps,
        "delay_offset_err_ps": r.delay_offset_err_ps,
        "period_ps": r.period_ps,
    }
    return Section(values, period_ps=r.period_ps)


def _cw(h: CorrelationHistogram, counts_ab: tuple[int, int], rec: Recording) -> Section:
    try:
        c = fit_cw(h, counts_ab=counts_ab, duration_s=rec.duration_s)
    except ValueError as exc:
        return Section.skipped({}, f"cw g2 fit: {exc}")
    values = {
        "cw": c.to_dict(),
        "g2_0": c.g2_0,
        "g2_0_err": c.g2_0_err,
        "g2_0_poisson_norm": c.g2_0_poisson_norm,
        "g2_0_poisson_norm_err": c.g2_0_poisson_norm_err,
        "side_over_poisson": c.plateau_over_poisson,
        "delay_offset_ps": c.tau0_ps,
        "delay_offset_err_ps": c.tau0_err_ps,
    }
    if c.notes:  # the fit found no dip: nothing it says is a result
        why = "CW fit: " + "; ".join(c.notes)
        values["withheld"] = {k: why for k in ("g2_0", "g2_0_poisson_norm", "delay_offset_ps")}
        for k in ("g2_0", "g2_0_err", "g2_0_poisson_norm", "g2_0_poisson_norm_err", "delay_offset_ps",
                  "delay_offset_err_ps"):
            values[k] = None
    return Section(values, [f"cw g2 fit: {n}" for n in c.notes])


def correlation_section(rec: Recording, s: G2Settings) -> Section:
    """Channels, excitation, g2(0) (pulsed: both estimators; CW: the antibunching fit), purity,
    delay offset, period; with given ``rho`` the background-corrected g2(0)."""
    a_ch, b_ch = _pair(rec, s.channels)
    ta, tb = rec.data.channel_times(a_ch), rec.data.channel_times(b_ch)
    if ta.size == 0 or tb.size == 0:
        raise ValueError(f"{rec.name}: channel {a_ch if ta.size == 0 else b_ch} has no events")
    h, period, evidence = _histogram(rec, ta, tb, s)
    pulsed = period is not None
    values: dict[str, Any] = {
        "channels": [a_ch, b_ch],
        "excitation": "pulsed" if pulsed else "cw",
        "excitation_evidence": evidence,
    }
    values.update(dict.fromkeys(G2_KEYS))
    est = _pulsed(h, (ta.size, tb.size), rec, s, period) if pulsed else _cw(h, (ta.size, tb.size), rec)
    values.update(est.values)
    if values["g2_0"] is not None:
        values["purity"], values["purity_err"] = 1.0 - values["g2_0"], values["g2_0_err"]
    if s.rho is not None and "g2" in values:
        values["g2_0_corrected"] = values["g2"]["g2_0_corrected"]
        values["g2_0_corrected_err"] = values["g2"]["g2_0_corrected_err"]
        values["rho"] = list(s.rho)
    return Section(values, est.notes, est.period_ps)


def background_section(
    g2: dict[str, Any], lifetime: dict[str, Any], rho: tuple[float, float] | None
) -> Section:
    """Background-corrected g2(0) with rho estimated from the decays of both channels (pulsed
    recordings whose lifetime step fitted both; not when ``rho`` was given)."""
    a_ch, b_ch = g2["channels"]
    life_ch = (lifetime.get("lifetime") or {}).get("channels", {})
    if rho is not None or "g2" not in g2 or str(a_ch) not in life_ch or str(b_ch) not in life_ch:
        return Section()
    rho_est = (life_ch[str(a_ch)]["signal_fraction"], life_ch[str(b_ch)]["signal_fraction"])
    try:
        corrected, err = background_correct(
            g2["g2_0"], g2["g2_0_err"], *rho_est, side_over_poisson=g2["side_over_poisson"]
        )
    except ValueError as exc:
        return Section.skipped({"rho": list(rho_est)}, f"background correction: {exc}")
    return Section({"rho": list(rho_est), "g2_0_corrected": corrected, "g2_0_corrected_err": err})
