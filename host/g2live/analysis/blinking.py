"""Blinking: intensity trace, ON/OFF threshold, change points, ON fraction, FLID.

- Threshold: the binned intensity histogram is fitted (maximum likelihood, scipy) by a mixture of
  two Poisson components (OFF, ON); the threshold is the count where both posteriors are equal.
- Change points: Watkins & Yang, J. Phys. Chem. B 109, 617 (2005): for photons at times t_1..t_N
  in a segment of length T, the log likelihood ratio of one rate change after photon k is
  LLR_k = k ln(k / V_k) + (N - k) ln((N - k) / (1 - V_k)), V_k = t_k / T; the maximum over k is
  tested against the asymptotic null distribution of the maximal LLR (Csörgő & Horváth 1997,
  Thm 1.3.1: a(N) sqrt(2 max LLR) - b(N) -> Gumbel, P = exp(-2 e^-x)), and segments are split
  recursively (binary segmentation) while the change is significant at ``alpha``.
- ON fraction: time-weighted fraction of segments above the threshold (and, independently, the
  ON weight of the mixture).
- FLID (e.g. Galland et al., Nature 479, 203 (2011)): 2-D histogram of intensity per time bin vs
  mean sync -> photon delay in that bin.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, special, stats


def intensity_trace(
    time_ps: np.ndarray, bin_width_ps: int, t0_ps: int | None = None, n_bins: int | None = None
) -> np.ndarray:
    """Photons per time bin, from ``g2live.core.trace`` (the same binning as the on-chip trace)."""
    from g2live import core

    t = np.ascontiguousarray(time_ps, dtype=np.int64)
    if t.size == 0:
        raise ValueError("intensity_trace: no photons")
    t0 = int(t[0]) if t0_ps is None else int(t0_ps)
    return np.asarray(core.trace(t, int(bin_width_ps), t0_ps=t0, n_bins=n_bins), dtype=np.int64)


@dataclass
class PoissonMixture:
    lam_off: float
    lam_on: float
    w_on: float
    w_on_err: float
    threshold: float  # counts per bin: ON when counts > threshold
    separated: bool  # the two components are distinguishable (means differ by > 3 combined sigmas)
    log_likelihood: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fit_poisson_mixture(counts: np.ndarray) -> PoissonMixture:
    """Two-component Poisson mixture fit (ML, scipy) of per-bin photon counts."""
    n = np.asarray(counts, dtype=np.int64)
    if n.size < 10:
        raise ValueError(f"fit_poisson_mixture: need at least 10 trace bins, got {n.size}")
    values, mult = np.unique(n, return_counts=True)

    def nll(x: np.ndarray) -> float:
        lo, hi, wl = np.exp(x[0]), np.exp(x[0]) + np.exp(x[1]), special.expit(x[2])
        lp = np.logaddexp(
            np.log1p(-wl) + stats.poisson.logpmf(values, lo), np.log(wl) + stats.poisson.logpmf(values, hi)
        )
        return -float(np.sum(mult * lp))

    m = float(n.mean())
    q10, q90 = np.percentile(n, [10, 90])
    starts = [
        np.array([np.log(max(q10, 0.1)), np.log(max(q90 - q10, 0.1)), 0.0]),
        np.array([np.log(max(0.2 * m, 0.1)), np.log(max(m, 0.1)), 1.0]),
    ]
    best = min(
        (
            optimize.minimize(
                nll, s, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-6, "maxiter": 4000}
            )
            for s in starts
        ),
        key=lambda r: r.fun,
    )
    lo, hi, w = np.exp(best.x[0]), np.exp(best.x[0]) + np.exp(best.x[1]), float(special.expit(best.x[2]))
    # error of w_on: observed information in the logit, by a central second difference
    h = 1e-3
    x = best.x.copy()
    f0 = best.fun
    xp, xm = x.copy(), x.copy()
    xp[2] += h
    xm[2] -= h
    d2 = (nll(xp) - 2 * f0 + nll(xm)) / h**2
    w_err = float(w * (1 - w) / np.sqrt(d2)) if d2 > 0 else float("nan")
    # equal posteriors: log w_on + n log hi - hi = log w_off + n log lo - lo
    thr = (hi - lo + np.log((1 - w) / w)) / (np.log(hi / lo)) if hi > lo > 0 else float(np.median(n))
    separated = (hi - lo) > 3 * np.sqrt(hi + lo)
    return PoissonMixture(float(lo), float(hi), w, w_err, float(thr), bool(separated), -float(f0))


def _critical_llr(n: int, alpha: float) -> float:
    """Critical max-LLR for ``n`` photons at false-positive rate ``alpha`` (Csörgő-Horváth asymptotics)."""
    n = max(n, 16)
    lln = np.log(np.log(n))
    a = np.sqrt(2 * lln)
    b = 2 * lln + 0.5 * np.log(lln) - 0.5 * np.log(np.pi)
    x = -np.log(-0.5 * np.log(1 - alpha))  # P(max <= x) = exp(-2 e^-x) = 1 - alpha
    return float(((x + b) / a) ** 2 / 2)


def change_points(
    time_ps: np.ndarray, alpha: float = 0.01, min_photons: int = 20, max_depth: int = 40
) -> np.ndarray:
    """Indices of photons where the rate changes (Watkins & Yang 2005, binary segmentation)."""
    t = np.asarray(time_ps, dtype=np.float64)
    if t.size < 2 * min_photons:
        return np.zeros(0, dtype=np.int64)
    found: list[int] = []
    stack = [(0, t.size, 0)]
    while stack:
        lo, hi, depth = stack.pop()
        n = hi - lo
        if n < 2 * min_photons or depth > max_depth:
            continue
        seg = t[lo:hi]
        span = seg[-1] - seg[0]
        if span <= 0:
            continue
        k = np.arange(1, n - 1, dtype=np.float64)
        v = (seg[1:-1] - seg[0]) / span
        v = np.clip(v, 1e-15, 1 - 1e-15)
        with np.errstate(divide="ignore", invalid="ignore"):
            llr = k * np.log(k / (n - 1) / v) + (n - 1 - k) * np.log((n - 1 - k) / (n - 1) / (1 - v))
        # keep both parts long enough to be meaningful
        llr[: min_photons - 1] = -np.inf
        llr[-(min_photons - 1) :] = -np.inf
        j = int(np.argmax(llr))
        if not np.isfinite(llr[j]) or llr[j] < _critical_llr(n, alpha):
            continue
        cp = lo + j + 1
        found.append(cp)
        stack.append((lo, cp + 1, depth + 1))
        stack.append((cp, hi, depth + 1))
    return np.array(sorted(set(found)), dtype=np.int64)


@dataclass
class BlinkingResult:
    on_fraction: float  # time fraction in ON segments (change points + threshold)
    on_fraction_mixture: float  # ON weight of the intensity-histogram mixture
    on_fraction_mixture_err: float
    threshold_cps: float
    on_rate_cps: float
    off_rate_cps: float
    n_change_points: int
    trace_bin_s: float
    separated: bool
    segments: list[tuple[float, float, float]] = field(default_factory=list)  # (start_s, stop_s, rate_cps)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["segments"] = d["segments"][:1000]
        return d


def analyze_blinking(
    time_ps: np.ndarray,
    bin_width_ps: int = 10_000_000_000,
    alpha: float = 0.01,
    max_photons_cpa: int = 2_000_000,
) -> BlinkingResult:
    """Blinking summary of a photon stream (all detector channels merged, sorted times)."""
    t = np.sort(np.asarray(time_ps, dtype=np.int64))
    if t.size < 100:
        raise ValueError(f"analyze_blinking: need at least 100 photons, got {t.size}")
    dur = float(t[-1] - t[0])
    n_bins = int(dur // bin_width_ps)
    if n_bins < 10:
        raise ValueError(
            f"analyze_blinking: {dur * 1e-12:.3g} s holds fewer than 10 trace bins of"
            f" {bin_width_ps * 1e-12:.3g} s"
        )
    tr = intensity_trace(t, bin_width_ps, int(t[0]), n_bins)
    mix = fit_poisson_mixture(tr)
    bw_s = bin_width_ps * 1e-12
    thr_cps = mix.threshold / bw_s
    # change points on at most max_photons_cpa photons (evenly thinned keeps rates' ratios)
    step = max(1, t.size // max_photons_cpa)
    ts = t[::step]
    cps = change_points(ts, alpha)
    bounds = np.concatenate(([0], cps, [ts.size - 1]))
    segs = []
    on_time = 0.0
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        t0, t1 = float(ts[a]), float(ts[b])
        if t1 <= t0:
            continue
        rate = (b - a) * step / ((t1 - t0) * 1e-12)
        segs.append((t0 * 1e-12, t1 * 1e-12, rate))
        if rate > thr_cps:
            on_time += t1 - t0
    total = float(ts[-1] - ts[0])
    return BlinkingResult(
        on_fraction=on_time / total if total > 0 else float("nan"),
        on_fraction_mixture=mix.w_on,
        on_fraction_mixture_err=mix.w_on_err,
        threshold_cps=thr_cps,
        on_rate_cps=mix.lam_on / bw_s,
        off_rate_cps=mix.lam_off / bw_s,
        n_change_points=int(cps.size),
        trace_bin_s=bw_s,
        separated=mix.separated,
        segments=segs,
    )


def flid(
    time_ps: np.ndarray,
    delay_ps: np.ndarray,
    bin_width_ps: int,
    intensity_bins: int = 50,
    delay_bins: int = 50,
    delay_range_ps: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fluorescence lifetime-intensity distribution: counts of time bins by (photons in the bin,
    mean sync -> photon delay of its photons). Returns (hist[intensity, delay], intensity_edges,
    delay_edges). The mean delay minus the IRF position is the bin's lifetime for a mono-exponential."""
    t = np.asarray(time_ps, dtype=np.int64)
    d = np.asarray(delay_ps, dtype=np.float64)
    if t.shape != d.shape or t.size == 0:
        raise ValueError("flid: time_ps and delay_ps must be equal, non-empty 1-D arrays")
    k = (t - t.min()) // bin_width_ps
    n_tb = int(k.max()) + 1
    counts = np.bincount(k, minlength=n_tb)
    sums = np.bincount(k, weights=d, minlength=n_tb)
    occupied = counts > 0
    mean_delay = sums[occupied] / counts[occupied]
    rng = delay_range_ps or (float(np.percentile(d, 0.5)), float(np.percentile(d, 99.5)))
    i_edges = np.linspace(0, counts.max() + 1, intensity_bins + 1)
    d_edges = np.linspace(rng[0], rng[1], delay_bins + 1)
    hist, _, _ = np.histogram2d(counts[occupied], mean_delay, bins=(i_edges, d_edges))
    return hist.astype(np.int64), i_edges, d_edges
