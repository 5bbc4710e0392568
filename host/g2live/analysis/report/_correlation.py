# SPDX-License-Identifier: BSD-3-Clause
"""The report's g2 step: correlate two detectors, decide pulsed or CW, estimate g2(0)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..correlation import (
    CorrelationHistogram,
    background_correct,
    comb_evidence,
    find_comb,
    fit_cw,
    pulsed_g2,
)
from ._accumulate import PairAccumulator
from ._recording import Recording
from ._section import Section
from ._source import run_pass

__all__ = [
    "G2_KEYS", "G2Settings", "background_section", "correlation_section", "g2_window", "pair_accumulator",
    "search_accumulator",
]

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


def _half_range(s: G2Settings, period: float | None) -> float:
    return s.half_range_ps or max(200_000.0, (s.n_side + 1.5) * (period or 0.0) + 60_000.0)


def g2_window(rec: Recording, s: G2Settings, period: float | None) -> tuple[int, int]:
    """Bin width and bins of the correlation histogram: +-max(200 ns, (K + 1.5) P + 60 ns), at
    most ``MAX_BINS`` bins, no finer than the resolution or 16 ps."""
    half = _half_range(s, period)
    res = int(max(rec.meta.resolution_ps, 1))
    bw = s.bin_width_ps or max(int(math.ceil(2 * half / MAX_BINS)), res, 16)
    return bw, int(2 * half // bw)


def pair_accumulator(rec: Recording, s: G2Settings) -> PairAccumulator:
    """The histogram the g2 step starts from (filled in the report's main pass)."""
    a, b = _pair(rec, s.channels)
    return PairAccumulator(a, b, *g2_window(rec, s, rec.period_ps))


def search_accumulator(rec: Recording, s: G2Settings) -> PairAccumulator | None:
    """Without a known laser period: the +-5 us histogram the comb is searched on (main pass)."""
    if rec.period_ps is not None:
        return None
    a, b = _pair(rec, s.channels)
    bw = max(SEARCH_BIN_PS, int(rec.meta.resolution_ps))
    return PairAccumulator(a, b, bw, int(2 * SEARCH_HALF_PS // bw))


def _half(h: CorrelationHistogram, right: bool) -> CorrelationHistogram:
    """The negative-delay or positive-delay half of ``h``."""
    n = h.n_bins // 2
    counts = h.counts[n:] if right else h.counts[:n]
    lo = h.lo_ps + (n * h.bin_width_ps if right else 0)
    return CorrelationHistogram(counts, h.bin_width_ps, int(lo + (counts.size // 2) * h.bin_width_ps))


def _search_comb(h: CorrelationHistogram) -> tuple[float | None, str]:
    """The laser period from the photons alone: the comb of side peaks over +-5 us (``h``), or
    None (CW) when there is none; with the evidence in words.

    The comb is searched for on one half of the delays and tested on the other (and the other way
    round), so the search over thousands of candidate periods cannot make noise look like a comb.
    """
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
        return period, f"comb of side peaks every {period / 1e3:.4g} ns in the photons ({what})"
    return None, f"no comb of side peaks ({what}): CW"


def _histogram(
    rec: Recording, acc: PairAccumulator, search: PairAccumulator | None, s: G2Settings
) -> tuple[CorrelationHistogram, float | None, str]:
    """The correlation histogram, the laser period (None: CW) and why. Without a known period the
    comb is searched for on the +-5 us histogram (``search``), so a pulsed recording without a
    sync channel is recognised from its side peaks; a period found there that needs a wider
    window than the main pass used gets a pass of its own."""
    period = rec.period_ps
    h = acc.histogram
    assert h is not None, "the pair histogram is filled by a pass before the g2 step"
    if period is not None:
        rate = f"{1e12 / period / 1e6:.4g} MHz"
        given = f"{rate} in the file or given"
        evidence = f"sync channel {rec.sync} ({rate})" if rec.sync is not None else given
        return h, period, evidence
    if search is None or search.histogram is None:
        return h, None, "no comb search: CW assumed"
    period, evidence = _search_comb(search.histogram)
    if rec.sync is not None:  # e.g. a filtered sync: its events do not give the laser's rate
        evidence = f"sync channel {rec.sync} without a known rate; {evidence}"
    if period is not None and g2_window(rec, s, period) != (acc.bin_width_ps, acc.n_bins):
        wide = PairAccumulator(acc.a, acc.b, *g2_window(rec, s, period))
        run_pass(rec.source, "g2 (wider)", [wide])
        assert wide.histogram is not None
        h = wide.histogram
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


def correlation_section(
    rec: Recording, s: G2Settings, acc: PairAccumulator, search: PairAccumulator | None = None
) -> Section:
    """Channels, excitation, g2(0) (pulsed: both estimators; CW: the antibunching fit), purity,
    delay offset, period; with given ``rho`` the background-corrected g2(0). ``acc`` holds the
    pair histogram (``pair_accumulator``) after the report's main pass, ``search`` the comb
    search's (``search_accumulator``) when the period was not known."""
    a_ch, b_ch = acc.a, acc.b
    na, nb = rec.counts.get(a_ch, 0), rec.counts.get(b_ch, 0)
    if na == 0 or nb == 0:
        raise ValueError(f"{rec.name}: channel {a_ch if na == 0 else b_ch} has no events")
    h, period, evidence = _histogram(rec, acc, search, s)
    pulsed = period is not None
    values: dict[str, Any] = {
        "channels": [a_ch, b_ch],
        "excitation": "pulsed" if pulsed else "cw",
        "excitation_evidence": evidence,
    }
    values.update(dict.fromkeys(G2_KEYS))
    est = _pulsed(h, (na, nb), rec, s, period) if pulsed else _cw(h, (na, nb), rec)
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
