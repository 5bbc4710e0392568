# SPDX-License-Identifier: BSD-3-Clause
"""Blinking summary: ON fraction from change-point segments against the mixture's threshold."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ._change_points import WINDOW_BINS, change_points_binned
from ._mixture import fit_poisson_mixture

__all__ = ["BlinkingResult", "analyze_blinking", "analyze_blinking_trace", "fine_factor"]


@dataclass
class BlinkingResult:
    """Result of ``analyze_blinking``."""

    on_fraction: float  # ON time fraction of the change-point segments (``on_time``)
    on_fraction_mixture: float  # ON weight of the intensity-histogram mixture
    on_fraction_mixture_err: float
    threshold_cps: float
    on_rate_cps: float
    off_rate_cps: float
    n_change_points: int
    trace_bin_s: float
    separated: bool
    segments: list[tuple[float, float, float]] = field(default_factory=list)  # (start_s, stop_s, rate_cps)
    on_fraction_err: float | None = None  # against the long-run ON fraction: finite number of dwells
    n_dwells: int = 0  # ON and OFF dwells (merged segments)
    on_level_cps: float | None = None  # ON and OFF rates of the pure segments (``segment_levels``)
    off_level_cps: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (at most 1000 segments)."""
        d = asdict(self)
        d["segments"] = d["segments"][:1000]
        return d


FINE_BINS_MAX = 1 << 22  # change points run on at most this many fine bins (32 MB of counts)
FINE_FACTORS = (100, 50, 40, 25, 20, 10, 8, 5, 4, 2, 1)


def fine_factor(bin_width_ps: int, n_bins: int, max_fine: int = FINE_BINS_MAX) -> int:
    """How many fine bins (change points) each trace bin is split into: the largest of
    ``FINE_FACTORS`` that divides ``bin_width_ps`` and keeps ``n_bins x factor <= max_fine``."""
    for m in FINE_FACTORS:
        if bin_width_ps % m == 0 and n_bins * m <= max_fine:
            return m
    return 1


def _segments(cum: np.ndarray, cps: np.ndarray, fine_ps: int, t0_ps: int) -> list[tuple[float, float, float]]:
    """(start_s, stop_s, rate_cps) between change points (bin edges); ``cum`` are the cumulative
    counts at the fine-bin edges."""
    bounds = np.concatenate(([0], cps, [cum.size - 1]))
    segs = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        t0, t1 = float(t0_ps + a * fine_ps), float(t0_ps + b * fine_ps)
        segs.append((t0 * 1e-12, t1 * 1e-12, float(cum[b] - cum[a]) / ((t1 - t0) * 1e-12)))
    return segs


def _levels(n: np.ndarray, dt: np.ndarray, on: np.ndarray, off: np.ndarray) -> tuple[float, float] | None:
    if not (on.any() and off.any()) or dt[on].sum() <= 0 or dt[off].sum() <= 0:
        return None
    return float(n[on].sum() / dt[on].sum()), float(n[off].sum() / dt[off].sum())


def segment_levels(
    segs: list[tuple[float, float, float]], thr_cps: float, z: float = 2.0
) -> tuple[tuple[float, float] | None, np.ndarray, np.ndarray]:
    """The ON and OFF count rates of the pure segments, iterated from the threshold's split: a
    segment is pure when its photons are Poisson-consistent (within ``z`` sigma) with a level.

    These are the emitter's two levels; the mixture's ``lam_on`` / ``lam_off`` are not (trace bins
    that straddle a switch pull them together: ON -8 %, OFF x6 on the emulator's dot at 0.5 s,
    docs/validation.md). Returns the levels (None without both, or when they do not separate) and
    the pure-ON and pure-OFF masks of the segments.
    """
    a = np.asarray(segs, dtype=float).reshape(-1, 3)
    dt, rate = a[:, 1] - a[:, 0], a[:, 2]
    n = rate * dt
    pure_on, pure_off = rate > thr_cps, rate <= thr_cps
    lv = _levels(n, dt, pure_on, pure_off)
    for _ in range(3):
        if lv is None or not lv[0] > lv[1]:
            return None, rate > thr_cps, rate <= thr_cps
        pure_on = np.abs(n - lv[0] * dt) <= z * np.sqrt(lv[0] * dt)
        pure_off = (np.abs(n - lv[1] * dt) <= z * np.sqrt(np.maximum(lv[1] * dt, 1e-12))) & ~pure_on
        nxt = _levels(n, dt, pure_on, pure_off)
        lv = nxt if nxt is not None else lv
    if lv is None or not lv[0] > lv[1]:
        return None, rate > thr_cps, rate <= thr_cps
    return lv, pure_on, pure_off


def on_time(segs: list[tuple[float, float, float]], thr_cps: float, z: float = 2.0) -> float:
    """ON time (s) of the segments: 1 or 0 for a segment whose photons are Poisson-consistent (within
    ``z`` sigma) with the ON or the OFF level, else the fraction its rate puts between the levels.

    A dwell too short to hold the ``min_photons`` a change point needs on each side (an OFF dwell of
    a few ms at a few kcps) is merged into its neighbour; rate > threshold then counts the whole
    mixed segment as ON, and the ON fraction comes out high (+0.007 at 0.05 P_sat in 2 s,
    docs/validation.md). The levels are the rates of the pure segments (``segment_levels``);
    without both levels the threshold decides alone.
    """
    if not segs:
        return 0.0
    a = np.asarray(segs, dtype=float)
    dt, rate = a[:, 1] - a[:, 0], a[:, 2]
    lv, pure_on, pure_off = segment_levels(segs, thr_cps, z)
    if lv is None:
        return float(dt[rate > thr_cps].sum())
    x = np.clip((rate - lv[1]) / (lv[0] - lv[1]), 0.0, 1.0)
    x = np.where(pure_on, 1.0, np.where(pure_off, 0.0, x))
    return float(np.dot(x, dt))


def dwell_error(segs: list[tuple[float, float, float]], thr_cps: float) -> tuple[float | None, int]:
    """Error of the ON time fraction of a recording as an estimate of the long-run ON fraction.

    Blinking is an alternating renewal process: the ON fraction of n cycles, f = sum T_on /
    (sum T_on + sum T_off), has by the delta method the variance
    n (f_off^2 var(T_on) + f_on^2 var(T_off)) / (sum T)^2, with the dwell moments taken from the
    observed dwells (segments on the same side of the threshold merged). None with fewer than
    two dwells of each kind.
    """
    dwells: list[list[float]] = []  # [on?, length]
    for t0, t1, rate in segs:
        on = rate > thr_cps
        if dwells and dwells[-1][0] == on:
            dwells[-1][1] += t1 - t0
        else:
            dwells.append([on, t1 - t0])
    on_d = np.array([d for o, d in dwells if o])
    off_d = np.array([d for o, d in dwells if not o])
    if on_d.size < 2 or off_d.size < 2:
        return None, len(dwells)
    total = on_d.sum() + off_d.sum()
    f_on = on_d.sum() / total
    n = 0.5 * (on_d.size + off_d.size)
    var = n * ((1 - f_on) ** 2 * on_d.var(ddof=1) + f_on**2 * off_d.var(ddof=1)) / total**2
    return float(np.sqrt(var)), len(dwells)


def analyze_blinking_trace(
    fine_counts: np.ndarray, fine_bin_ps: int, factor: int, t0_ps: int = 0, alpha: float = 0.01
) -> BlinkingResult:
    """Blinking summary of a finely binned photon stream (all detector channels merged).

    The trace bins are ``factor`` fine bins each; the ON fraction is the time fraction of the
    change-point segments (``change_points_binned`` on the fine bins) whose rate is above the
    threshold of a two-level Poisson mixture fitted to the trace. This needs only the binned
    counts, so a recording of any length is summarised in bounded memory.

    Parameters
    ----------
    fine_counts : numpy.ndarray
        Photons per fine bin; ``n_bins x factor`` bins from ``t0_ps``.
    fine_bin_ps, factor : int
        Fine bin width, and fine bins per trace bin.
    t0_ps : int, optional
        Start of the first bin (for the segments' times).
    alpha : float, optional
        False-positive rate of each change point.

    Returns
    -------
    BlinkingResult
        ON fraction (segments and mixture), threshold, ON and OFF rates, segments.
    """
    fine = np.asarray(fine_counts, dtype=np.int64)
    n_bins = fine.size // factor
    bw = fine_bin_ps * factor
    if int(fine.sum()) < 100:
        raise ValueError(f"analyze_blinking: need at least 100 photons, got {int(fine.sum())}")
    if n_bins < 10:
        raise ValueError(
            f"analyze_blinking: {fine.size * fine_bin_ps * 1e-12:.3g} s holds fewer than 10 trace bins of"
            f" {bw * 1e-12:.3g} s"
        )
    mix = fit_poisson_mixture(fine[: n_bins * factor].reshape(n_bins, factor).sum(axis=1))
    bw_s = bw * 1e-12
    thr_cps = mix.threshold / bw_s
    cps = change_points_binned(fine, alpha)
    cum = np.concatenate(([0], np.cumsum(fine)))
    edges = np.arange(WINDOW_BINS, fine.size, WINDOW_BINS)  # the segmentation windows bound segments too
    segs = _segments(cum, np.union1d(cps, edges), fine_bin_ps, t0_ps)
    total = float(fine.size * fine_bin_ps)
    err, n_dwells = dwell_error(segs, thr_cps)
    levels = segment_levels(segs, thr_cps)[0] if segs else None
    return BlinkingResult(
        on_fraction=on_time(segs, thr_cps) * 1e12 / total,
        on_fraction_mixture=mix.w_on,
        on_fraction_mixture_err=mix.w_on_err,
        threshold_cps=thr_cps,
        on_rate_cps=mix.lam_on / bw_s,
        off_rate_cps=mix.lam_off / bw_s,
        n_change_points=int(cps.size),
        trace_bin_s=bw_s,
        separated=mix.separated,
        segments=segs,
        on_fraction_err=err,
        n_dwells=n_dwells,
        on_level_cps=None if levels is None else levels[0],
        off_level_cps=None if levels is None else levels[1],
    )


def analyze_blinking(
    time_ps: np.ndarray,
    bin_width_ps: int = 10_000_000_000,
    alpha: float = 0.01,
) -> BlinkingResult:
    """Blinking summary of a photon stream (all detector channels merged): ``analyze_blinking_trace``
    of its fine trace from the first photon over whole trace bins.

    Parameters
    ----------
    time_ps : numpy.ndarray
        Photon times (sorted here).
    bin_width_ps : int, optional
        Trace bin width (default 10 ms).
    alpha : float, optional
        False-positive rate of each change point.

    Returns
    -------
    BlinkingResult
        ON fraction (segments and mixture), threshold, ON and OFF rates, segments.
    """
    from ._trace import intensity_trace

    t = np.sort(np.asarray(time_ps, dtype=np.int64))
    if t.size < 100:
        raise ValueError(f"analyze_blinking: need at least 100 photons, got {t.size}")
    n_bins = int((t[-1] - t[0]) // bin_width_ps)
    if n_bins < 10:
        raise ValueError(
            f"analyze_blinking: {(t[-1] - t[0]) * 1e-12:.3g} s holds fewer than 10 trace bins of"
            f" {bin_width_ps * 1e-12:.3g} s"
        )
    m = fine_factor(bin_width_ps, n_bins)
    fine = intensity_trace(t, bin_width_ps // m, int(t[0]), n_bins * m)
    return analyze_blinking_trace(fine, bin_width_ps // m, m, int(t[0]), alpha)
