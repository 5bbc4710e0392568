# SPDX-License-Identifier: BSD-3-Clause
"""Pulsed g2(0): centre-peak area over side-peak areas, and over the Poisson expectation.

A pulsed HBT correlation histogram is a comb of peaks with the laser period. The estimator
(e.g. Santori et al., Nature 419, 594 (2002); Michler et al., Science 290, 2282 (2000)) is

    g2(0) = A_0 / <A_side>,

the coincidences in a window around zero delay over the mean of the 2K nearest side peaks. A second
estimator normalises to the coincidences expected for uncorrelated (Poisson) light,
N_a N_b / (f_rep T) per peak (Becker, "Advanced TCSPC"), which differs from the first one when the
emitter blinks: blinking bunches the side peaks above the Poisson level (side_over_poisson > 1).
Zero delay is usually not at 0 (cable delays of tens of ns), so it is found from the data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .._json import plain
from .._stats import ONE_SIGMA, garwood, half_width, poisson_ratio_interval
from ._background import background_correct
from ._comb import DETECT_SIGMA, Comb, PeakAreas, find_comb, peak_areas
from ._histogram import CorrelationHistogram
from ._overlap import overlap_mapping, peak_decay_ps, trough_level
from ._zero_delay import ZeroDelay, find_zero_delay

__all__ = ["PulsedG2", "pulsed_g2"]


@dataclass
class PulsedG2:
    """Result of ``pulsed_g2``: both estimators with their intervals, and how they were made."""

    g2_0: float
    g2_0_err: float  # half width of the 68.27 % interval (exact when there is no baseline)
    g2_0_ci: tuple[float, float]
    g2_0_poisson_norm: float | None
    g2_0_poisson_norm_err: float | None
    g2_0_poisson_norm_ci: tuple[float, float] | None
    center_area: int
    side_areas: list[int]
    side_mean: float
    side_over_poisson: float | None  # > 1: bunching of the side peaks (blinking)
    period_ps: float
    delay_offset_ps: float
    delay_offset_err_ps: float
    zero_method: str
    zero_significance: float
    window_ps: float
    n_side: int
    baseline_per_bin: float
    interval_method: str  # "exact" (conditional binomial / Garwood) or "delta" (baseline subtracted)
    overlap: dict[str, float] | None = None  # peak-overlap correction applied: decay, leak, raw ratio
    g2_0_corrected: float | None = None  # background-corrected (Brouri et al. 2000)
    g2_0_corrected_err: float | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (lists for tuples and arrays)."""
        return plain(asdict(self))


@dataclass(frozen=True)
class _Peaks:
    """The zero-delay peak and its 2K side peaks."""

    areas: PeakAreas
    index: int  # of the zero-delay peak in ``areas``
    offsets: np.ndarray  # of the side peaks: -K..-1, 1..K
    center: int  # A_0
    side: np.ndarray  # int64 side areas

    @property
    def s_tot(self) -> int:
        return int(self.side.sum())

    @property
    def n_peaks(self) -> int:
        return int(self.offsets.size)


@dataclass(frozen=True)
class _Ratio:
    """g2(0) = A_0 / <A_side> with its interval."""

    g2: float
    err: float
    ci: tuple[float, float]
    method: str
    base: float = 0.0  # flat baseline per bin that was subtracted
    overlap: dict[str, float] | None = None
    g2_raw: float | None = None  # before the overlap correction


@dataclass(frozen=True)
class _PoissonNorm:
    """g2(0) against the Poisson expectation N_a N_b / (f T), and the side peaks' bunching."""

    value: float | None = None
    err: float | None = None
    ci: tuple[float, float] | None = None
    side_over_poisson: float | None = None


def _zero_delay(
    pa: PeakAreas,
    period: float,
    n_side: int,
    zero_ps: float | None,
    expected_ps: float,
    search_ps: float | None,
) -> ZeroDelay:
    if zero_ps is None:
        return find_zero_delay(pa, n_side, expected_ps, search_ps)
    k = int(np.argmin(np.abs(pa.centers_ps - zero_ps)))
    if abs(pa.centers_ps[k] - zero_ps) > 0.5 * period:
        raise ValueError(f"pulsed_g2: zero_ps = {zero_ps} is outside the histogram")
    return ZeroDelay(float(pa.centers_ps[k]), k, "given", float("nan"))


def _peaks(h: CorrelationHistogram, pa: PeakAreas, zd: ZeroDelay, n_side: int) -> _Peaks:
    j = zd.index
    if j - n_side < 0 or j + n_side >= pa.areas.size:
        raise ValueError(
            f"pulsed_g2: zero delay at {zd.zero_ps:.0f} ps leaves fewer than n_side = {n_side}"
            f" side peaks on one side inside the histogram [{h.lo_ps}, {h.hi_ps}) ps"
        )
    off = np.concatenate((np.arange(-n_side, 0), np.arange(1, n_side + 1)))
    return _Peaks(pa, j, off, int(pa.areas[j]), pa.areas[j + off].astype(np.int64))


def _flat_baseline_ratio(h: CorrelationHistogram, comb: Comb, pk: _Peaks, window: float) -> _Ratio:
    """Ratio with a flat per-bin floor (from the bins between the windows) subtracted; delta-method
    error including the common baseline term."""
    period = comb.period_ps
    if window >= period:
        raise ValueError("pulsed_g2: baseline='flat' needs window_ps < period (no bins between windows)")
    dist = np.abs(((h.centers_ps - comb.phase_ps + 0.5 * period) % period) - 0.5 * period)
    between = dist >= 0.5 * window + h.bin_width_ps
    if between.sum() < 1:
        raise ValueError("pulsed_g2: no bins between the peak windows for the baseline")
    base = float(h.counts[between].mean())
    var_base = base / between.sum()
    n_w = pk.areas.n_window
    bw = base * n_w
    num, den = pk.center - bw, pk.s_tot / pk.n_peaks - bw
    if den <= 0:
        raise ValueError("pulsed_g2: side peaks do not rise above the baseline")
    g2 = num / den
    d_num = np.sqrt(pk.center + n_w**2 * var_base)
    d_den = np.sqrt(pk.s_tot / pk.n_peaks**2 + n_w**2 * var_base)
    cov = n_w**2 * var_base
    var = (d_num / den) ** 2 + (num * d_den / den**2) ** 2 - 2 * num / den**3 * cov
    err = float(np.sqrt(max(var, 0.0)))
    return _Ratio(g2, err, (g2 - err, g2 + err), "delta", base=base)


def _overlap_corrected(
    h: CorrelationHistogram, comb: Comb, zero_ps: float, pk: _Peaks, n_side: int, g2: float, ci: tuple
) -> _Ratio | None:
    """The ratio with the peaks' leak into their neighbours' windows undone; None when the peaks
    are separated (or their shape is not a comb of exponentials)."""
    n_w = pk.areas.n_window
    if not trough_level(h, comb, zero_ps) * n_w > 1e-3 * max(pk.s_tot / pk.n_peaks, 1.0):
        return None
    tau_c = peak_decay_ps(h, comb, zero_ps)
    if tau_c is None:
        return None
    r_to_g, leak = overlap_mapping(tau_c, comb.period_ps, n_w * h.bin_width_ps, n_side)
    if not leak > 1e-3:
        return None
    # g2 >= 0: the interval stops at 0 (the estimate itself is left unclipped, unbiased)
    ci_g = (max(r_to_g(ci[0]), 0.0), r_to_g(ci[1]))
    info = {"peak_decay_ps": tau_c, "leak_fraction": leak, "g2_0_raw": g2}
    return _Ratio(r_to_g(g2), half_width(*ci_g), ci_g, "exact, overlap-corrected", overlap=info, g2_raw=g2)


def _exact_ratio(
    h: CorrelationHistogram, comb: Comb, zd: ZeroDelay, pk: _Peaks, n_side: int, cl: float, overlap: bool
) -> _Ratio:
    """Ratio with the exact conditional-binomial interval; peaks as long as ~1/10 of the period
    leak into their neighbours' windows, which ``overlap`` undoes."""
    if pk.s_tot == 0:
        raise ValueError("pulsed_g2: the side peaks are empty; no normalisation possible")
    g2 = pk.center / (pk.s_tot / pk.n_peaks)
    ci = poisson_ratio_interval(pk.center, pk.s_tot, pk.n_peaks, cl)
    corrected = _overlap_corrected(h, comb, zd.zero_ps, pk, n_side, g2, ci) if overlap else None
    return corrected if corrected is not None else _Ratio(g2, half_width(*ci), ci, "exact")


def _window_fraction(h: CorrelationHistogram, comb: Comb, pk: _Peaks, window: float, n_side: int) -> float:
    """Fraction of a full-period peak inside the window, measured on the side peaks."""
    full = peak_areas(h, comb, comb.period_ps) if window < comb.period_ps else pk.areas
    kf = int(np.argmin(np.abs(full.centers_ps - pk.areas.centers_ps[pk.index])))
    ok = (kf - n_side >= 0) and (kf + n_side < full.areas.size)
    s_full = int(full.areas[kf + pk.offsets].sum()) if ok else 0
    return pk.s_tot / s_full if s_full > 0 else 1.0


def _poisson_norm(pk: _Peaks, ratio: _Ratio, expect: float, cl: float) -> _PoissonNorm:
    """Zero peak and side peaks against ``expect`` coincidences per peak for Poisson light."""
    if not expect > 0:
        return _PoissonNorm()
    floor = ratio.base * pk.areas.n_window
    lo, hi = garwood(pk.center - floor if ratio.base else pk.center, cl)
    g2p = (pk.center - floor) / expect
    g2p_ci = (lo / expect, hi / expect)
    side_over_poisson = (pk.s_tot / pk.n_peaks - floor) / expect
    if ratio.overlap is not None and ratio.g2_raw > 0:
        # same correction as the side-normalised ratio: both share the centre window
        k = ratio.g2 / ratio.g2_raw
        g2p, g2p_ci = g2p * k, (g2p_ci[0] * k, g2p_ci[1] * k)
    elif ratio.overlap is not None:
        g2p = ratio.g2 * side_over_poisson
    return _PoissonNorm(g2p, half_width(*g2p_ci), g2p_ci, side_over_poisson)


def _result(
    h: CorrelationHistogram,
    comb: Comb,
    zd: ZeroDelay,
    pk: _Peaks,
    ratio: _Ratio,
    pn: _PoissonNorm,
    notes: list[str],
) -> PulsedG2:
    return PulsedG2(
        g2_0=float(ratio.g2),
        g2_0_err=float(ratio.err),
        g2_0_ci=(float(ratio.ci[0]), float(ratio.ci[1])),
        g2_0_poisson_norm=pn.value,
        g2_0_poisson_norm_err=pn.err,
        g2_0_poisson_norm_ci=pn.ci,
        center_area=pk.center,
        side_areas=[int(x) for x in pk.side],
        side_mean=pk.s_tot / pk.n_peaks,
        side_over_poisson=pn.side_over_poisson,
        period_ps=comb.period_ps,
        delay_offset_ps=zd.zero_ps,
        delay_offset_err_ps=comb.phase_err_ps if zd.method != "given" else 0.0,
        zero_method=zd.method,
        zero_significance=zd.significance,
        window_ps=pk.areas.n_window * h.bin_width_ps,
        n_side=pk.n_peaks // 2,
        baseline_per_bin=ratio.base,
        interval_method=ratio.method,
        overlap=ratio.overlap,
        notes=notes,
    )


def pulsed_g2(
    h: CorrelationHistogram,
    *,
    period_ps: float | None = None,
    window_ps: float | None = None,
    n_side: int = 4,
    zero_ps: float | None = None,
    expected_zero_ps: float = 0.0,
    search_ps: float | None = None,
    baseline: str = "none",
    counts_ab: tuple[int, int] | None = None,
    duration_s: float | None = None,
    rep_rate_hz: float | None = None,
    rho: tuple[float, float] | None = None,
    cl: float = ONE_SIGMA,
    overlap: bool = True,
) -> PulsedG2:
    """g2(0) of a pulsed HBT histogram ``h`` (b - a delays), side-peak and Poisson normalised.

    Parameters
    ----------
    h : CorrelationHistogram
        The pulsed correlation histogram.
    period_ps : float, optional
        Laser period (None: found from the comb, ``find_comb``).
    window_ps : float, optional
        Integration window per peak (default one period: every coincidence counted).
    n_side : int, optional
        Side peaks used on *each* side (2K in total).
    zero_ps : float, optional
        Zero-delay position (None: found, ``find_zero_delay``, within ``search_ps`` of
        ``expected_zero_ps``).
    expected_zero_ps, search_ps : float, optional
        Where to look for zero delay.
    baseline : {"none", "flat"}, optional
        "flat" subtracts a per-bin floor from the bins between the windows (needs window < period).
    counts_ab : tuple of int, optional
        Singles N_a, N_b for the Poisson-normalised estimator (with ``duration_s``).
    duration_s : float, optional
        Acquisition time of the histogram.
    rep_rate_hz : float, optional
        Laser repetition rate for the Poisson level (default 1 / period).
    rho : tuple of float, optional
        S/(S+B) per detector for the background correction (``background_correct``).
    cl : float, optional
        Coverage of the intervals (default 68.27 %).
    overlap : bool, optional
        Undo the leak of long peaks into their neighbours' windows.

    Returns
    -------
    PulsedG2
        Both estimators with intervals, the peak areas, the zero delay and the comb.
    """
    if n_side < 1:
        raise ValueError(f"pulsed_g2: n_side must be >= 1, got {n_side}")
    if baseline not in ("none", "flat"):
        raise ValueError(f"pulsed_g2: baseline must be 'none' or 'flat', got {baseline!r}")
    comb = find_comb(h, period_ps)
    period = comb.period_ps
    window = period if window_ps is None else float(window_ps)
    if not 0 < window <= period * (1 + 1e-9):
        raise ValueError(f"pulsed_g2: window_ps ({window}) must be in (0, period = {period:.1f} ps]")
    notes: list[str] = []
    if comb.snr < DETECT_SIGMA**2:
        notes.append(f"weak comb (Fourier SNR {comb.snr:.1f}): is this pulsed data?")
    pa = peak_areas(h, comb, window)
    zd = _zero_delay(pa, period, n_side, zero_ps, expected_zero_ps, search_ps)
    pk = _peaks(h, pa, zd, n_side)
    if baseline == "flat":
        ratio = _flat_baseline_ratio(h, comb, pk, window)
    else:
        ratio = _exact_ratio(h, comb, zd, pk, n_side, cl, overlap)
    pn = _PoissonNorm()
    if counts_ab is not None and duration_s:
        f = rep_rate_hz if rep_rate_hz else 1e12 / period
        expect = (
            counts_ab[0] * counts_ab[1] / (f * duration_s) * _window_fraction(h, comb, pk, window, n_side)
        )
        pn = _poisson_norm(pk, ratio, expect, cl)
    res = _result(h, comb, zd, pk, ratio, pn, notes)
    if rho is not None:
        res.g2_0_corrected, res.g2_0_corrected_err = background_correct(
            res.g2_0, res.g2_0_err, *rho, side_over_poisson=res.side_over_poisson
        )
    return res
