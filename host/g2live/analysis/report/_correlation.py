# SPDX-License-Identifier: BSD-3-Clause
"""The report's g2 step: correlate two detectors, decide pulsed or CW, estimate g2(0)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..correlation import (
    CorrelationHistogram,
    background_correct,
    comb_contrast,
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


def _histogram(rec: Recording, acc: PairAccumulator, s: G2Settings) -> tuple[CorrelationHistogram, bool]:
    """The correlation histogram, and whether it is a pulsed comb. A long period found in it
    widens the histogram (a pass of its own) to hold K side peaks around any cable delay."""
    period = rec.period_ps
    h = acc.histogram
    assert h is not None, "the pair histogram is filled by a pass before the g2 step"
    comb = find_comb(h, period)
    is_comb = period is not None or comb_contrast(h, comb) > 3.0
    half = _half_range(s, period)
    if period is None and is_comb and (s.n_side + 1.5) * comb.period_ps + 60_000 > half:
        half = (s.n_side + 1.5) * comb.period_ps + 60_000.0
        bw = s.bin_width_ps or max(int(math.ceil(2 * half / MAX_BINS)), 16)
        wide = PairAccumulator(acc.a, acc.b, bw, int(2 * half // bw))
        run_pass(rec.source, "g2 (wider)", [wide])
        assert wide.histogram is not None
        h = wide.histogram
    return h, is_comb


def _pulsed(h: CorrelationHistogram, counts_ab: tuple[int, int], rec: Recording, s: G2Settings) -> Section:
    try:
        r = pulsed_g2(
            h,
            period_ps=rec.period_ps,
            window_ps=s.window_ps,
            n_side=s.n_side,
            counts_ab=counts_ab,
            duration_s=rec.duration_s,
            rho=s.rho,
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
        "delay_offset_ps": c.tau0_ps,
        "delay_offset_err_ps": c.tau0_err_ps,
    }
    return Section(values)


def correlation_section(rec: Recording, s: G2Settings, acc: PairAccumulator) -> Section:
    """Channels, excitation, g2(0) (pulsed: both estimators; CW: the antibunching fit), purity,
    delay offset, period; with given ``rho`` the background-corrected g2(0). ``acc`` holds the
    pair histogram (``pair_accumulator``) after the report's main pass."""
    a_ch, b_ch = acc.a, acc.b
    na, nb = rec.counts.get(a_ch, 0), rec.counts.get(b_ch, 0)
    if na == 0 or nb == 0:
        raise ValueError(f"{rec.name}: channel {a_ch if na == 0 else b_ch} has no events")
    h, pulsed = _histogram(rec, acc, s)
    values: dict[str, Any] = {"channels": [a_ch, b_ch], "excitation": "pulsed" if pulsed else "cw"}
    values.update(dict.fromkeys(G2_KEYS))
    est = _pulsed(h, (na, nb), rec, s) if pulsed else _cw(h, (na, nb), rec)
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
