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
from scipy import optimize

from ._stats import ONE_SIGMA, garwood, half_width, poisson_ratio_interval
from .histogram import CorrelationHistogram

DETECT_SIGMA = 5.0  # significance needed to trust a comb, a dip or an envelope


@dataclass(frozen=True)
class Comb:
    period_ps: float
    phase_ps: float  # a peak centre modulo the period, in [0, period)
    snr: float  # |F(f0)|^2 / (expected |F|^2 of Poisson noise): >~25 means a real comb
    method: str  # "given" or "fft"
    phase_err_ps: float = float("nan")  # Poisson error of the phase: (P / 2 pi) sqrt(N / 2) / |F(f0)|


def _fourier(counts: np.ndarray, t: np.ndarray, period: float, harmonics: int = 1) -> float:
    p = 0.0
    for h in range(1, harmonics + 1):
        p += abs(np.sum(counts * np.exp(-2j * np.pi * h * t / period))) ** 2
    return float(p)


def find_comb(h: CorrelationHistogram, period_ps: float | None = None, min_cycles: int = 4) -> Comb:
    """Laser period and peak phase of a pulsed correlation histogram.

    Without ``period_ps`` the fundamental is the strongest Fourier component with at least
    ``min_cycles`` cycles in the window, moved down to a sub-harmonic when that one is also strong
    (narrow peaks put similar power in every harmonic), then refined by maximising the comb's
    Fourier power (fundamental + 2 harmonics) continuously in the period.
    """
    c = h.counts.astype(float)
    t = h.centers_ps
    total = float(c.sum())
    if total <= 0:
        raise ValueError("find_comb: the histogram is empty")
    method = "given"
    if period_ps is None:
        method = "fft"
        n = c.size
        spec = np.abs(np.fft.rfft(c - c.mean())) ** 2
        freqs = np.fft.rfftfreq(n, d=h.bin_width_ps)
        valid = np.arange(spec.size) >= min_cycles
        valid[0] = False
        if not valid.any():
            raise ValueError("find_comb: histogram too short to hold a comb")
        idx = int(np.argmax(np.where(valid, spec, -1)))
        noise = max(np.median(spec[valid]), total)
        for m in (6, 5, 4, 3, 2):
            j = int(round(idx / m))
            if j >= min_cycles and spec[j] > max(0.25 * spec[idx], DETECT_SIGMA**2 * noise):
                idx = j
                break
        f0 = freqs[idx]
        df = freqs[1] - freqs[0]
        grid = np.linspace(max(f0 - 1.5 * df, df), f0 + 1.5 * df, 61)
        power = [_fourier(c, t, 1.0 / f, 3) for f in grid]
        k = int(np.argmax(power))
        lo_f, hi_f = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
        res = optimize.minimize_scalar(
            lambda f: -_fourier(c, t, 1.0 / f, 3),
            bounds=(lo_f, hi_f),
            method="bounded",
            options={"xatol": 1e-9 * f0},
        )
        period_ps = 1.0 / float(res.x)
    if not period_ps > 0:
        raise ValueError(f"find_comb: period_ps must be positive, got {period_ps}")
    z = np.sum(c * np.exp(-2j * np.pi * t / period_ps))
    phase = float((-np.angle(z) * period_ps / (2 * np.pi)) % period_ps)
    snr = float(abs(z) ** 2 / total)
    phase_err = float(period_ps / (2 * np.pi) * np.sqrt(total / 2) / abs(z)) if abs(z) > 0 else float("inf")
    return Comb(float(period_ps), phase, snr, method, phase_err)


def comb_contrast(h: CorrelationHistogram, comb: Comb) -> float:
    """Median significance of peak over trough: half-period windows centred on each peak against
    the windows between peaks. A pulsed comb gives >> 3 at every peak; a CW histogram (flat far from
    its antibunching dip, whatever "period" was found) gives ~0."""
    half = Comb(comb.period_ps, comb.phase_ps, comb.snr, comb.method)
    trough = Comb(
        comb.period_ps, (comb.phase_ps + 0.5 * comb.period_ps) % comb.period_ps, comb.snr, comb.method
    )
    pk, tr = peak_areas(h, half, 0.5 * comb.period_ps), peak_areas(h, trough, 0.5 * comb.period_ps)
    n = min(pk.areas.size, tr.areas.size)
    if n < 4:
        return 0.0
    a, b = pk.areas[:n].astype(float), tr.areas[:n].astype(float)
    return float(np.median((a - b) / np.sqrt(np.maximum(a + b, 1.0))))


@dataclass(frozen=True)
class PeakAreas:
    centers_ps: np.ndarray  # nominal peak centres inside the histogram
    areas: np.ndarray  # int64 counts in n_window bins around each centre
    n_window: int  # bins per window (identical for every peak, so areas compare exactly)


def peak_areas(h: CorrelationHistogram, comb: Comb, window_ps: float) -> PeakAreas:
    n_w = max(1, int(round(window_ps / h.bin_width_ps)))
    k_min = int(np.ceil((h.lo_ps - comb.phase_ps) / comb.period_ps))
    k_max = int(np.floor((h.hi_ps - comb.phase_ps) / comb.period_ps))
    centres = comb.phase_ps + np.arange(k_min, k_max + 1) * comb.period_ps
    start = np.rint((centres - 0.5 * n_w * h.bin_width_ps - h.lo_ps) / h.bin_width_ps).astype(np.int64)
    keep = (start >= 0) & (start + n_w <= h.n_bins)
    centres, start = centres[keep], start[keep]
    cs = np.concatenate(([0], np.cumsum(h.counts)))
    areas = cs[start + n_w] - cs[start]
    return PeakAreas(centres, areas, n_w)


@dataclass(frozen=True)
class ZeroDelay:
    zero_ps: float
    index: int  # index into PeakAreas
    method: str  # "dip", "peak", "symmetry", "expected" or "given"
    significance: float  # dip/peak z score, or envelope chi2 z score


def find_zero_delay(
    pa: PeakAreas, n_side: int, expected_ps: float = 0.0, search_ps: float | None = None
) -> ZeroDelay:
    """Which comb peak is zero delay.

    1. "dip": the peak most significantly below both neighbours (antibunching; works when the zero
       peak is empty). 2. "peak": the peak most significantly above both neighbours (bunching). 3. "symmetry":
       with neither, the centre about which the side-peak envelope (blinking bunching) is most
       symmetric. 4. "expected": flat comb (e.g. a laser): the peak nearest ``expected_ps``.
    """
    a = pa.areas.astype(float)
    n = a.size
    idx = np.arange(n_side, n - n_side)
    if search_ps is not None:
        idx = idx[np.abs(pa.centers_ps[idx] - expected_ps) <= search_ps + 1e-9]
    if idx.size == 0:
        raise ValueError(
            f"find_zero_delay: no peak with {n_side} side peaks on each side inside the histogram"
            f" (near {expected_ps:.0f} ps); widen the histogram or reduce n_side"
        )
    # Compare with the nearer neighbours rather than the side mean: a convex blinking envelope
    # puts every off-centre peak below its side mean, but never below both neighbours.
    lower = np.minimum(a[idx - 1], a[idx + 1])
    upper = np.maximum(a[idx - 1], a[idx + 1])
    z_dip = (lower - a[idx]) / np.sqrt(np.maximum(a[idx] + lower, 1.0))
    z_peak = (a[idx] - upper) / np.sqrt(np.maximum(a[idx] + upper, 1.0))
    if z_dip.max() >= DETECT_SIGMA:
        j = int(np.argmax(z_dip))
        return ZeroDelay(float(pa.centers_ps[idx[j]]), int(idx[j]), "dip", float(z_dip[j]))
    if z_peak.max() >= DETECT_SIGMA:
        j = int(np.argmax(z_peak))
        return ZeroDelay(float(pa.centers_ps[idx[j]]), int(idx[j]), "peak", float(z_peak[j]))
    off = np.arange(1, n_side + 1)
    # Envelope: chi2 of all peaks against their mean; symmetric centre = lowest mirror chi2.
    dof = max(n - 1, 1)
    chi2_flat = float(np.sum((a - a.mean()) ** 2) / max(a.mean(), 1.0))
    env_z = (chi2_flat - dof) / np.sqrt(2 * dof)
    if env_z >= DETECT_SIGMA:
        pos, neg = a[idx[:, None] + off[None, :]], a[idx[:, None] - off[None, :]]
        s = np.sum((pos - neg) ** 2 / np.maximum(pos + neg, 1.0), axis=1)
        j = int(np.argmin(s))
        return ZeroDelay(float(pa.centers_ps[idx[j]]), int(idx[j]), "symmetry", float(env_z))
    j = int(np.argmin(np.abs(pa.centers_ps[idx] - expected_ps)))
    return ZeroDelay(float(pa.centers_ps[idx[j]]), int(idx[j]), "expected", float(env_z))


@dataclass
class PulsedG2:
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
        return _jsonable(asdict(self))


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return [_jsonable(v) for v in x.tolist()]
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


def background_correct(
    g2: float,
    g2_err: float,
    rho_a: float,
    rho_b: float | None = None,
    side_over_poisson: float | None = None,
) -> tuple[float, float]:
    """Remove uncorrelated background: g2_corr = (g2 - (1 - rho_a rho_b)) / (rho_a rho_b).

    rho = S / (S + B) is each detector's signal fraction. With rho_a = rho_b = rho this is the
    familiar (g2 - (1 - rho^2)) / rho^2 (Brouri et al., Opt. Lett. 25, 1294 (2000)).

    With blinking the signal-signal coincidences of the side peaks are bunched (side_over_poisson
    s > 1) but the background ones are not. In units of the Poisson level the zero peak is
    r g_s beta + (1 - r) and a side peak r beta + (1 - r) = s (r = rho_a rho_b), so
    g_s = (g2 s - (1 - r)) / (s - (1 - r)), which is Brouri's formula at s = 1. The rho are taken
    as exact; their uncertainty is not propagated.
    """
    rho_b = rho_a if rho_b is None else rho_b
    for name, r in (("rho_a", rho_a), ("rho_b", rho_b)):
        if not 0 < r <= 1:
            raise ValueError(f"background_correct: {name} = S/(S+B) must be in (0, 1], got {r}")
    r2 = rho_a * rho_b
    s = 1.0 if side_over_poisson is None else float(side_over_poisson)
    if s - (1.0 - r2) <= 0:
        raise ValueError(f"background_correct: side peaks ({s:.3g} x Poisson) are below the background level")
    return (g2 * s - (1.0 - r2)) / (s - (1.0 - r2)), g2_err * s / (s - (1.0 - r2))


def rho_from_rates(total_cps: float, background_cps: float) -> float:
    """S/(S+B) from a detector's total rate and its background (dark + stray light) rate."""
    if not 0 <= background_cps < total_cps:
        raise ValueError(f"rho_from_rates: need 0 <= background ({background_cps}) < total ({total_cps})")
    return (total_cps - background_cps) / total_cps


def peak_decay_ps(h: CorrelationHistogram, comb: Comb, zero_ps: float) -> float | None:
    """Decay time of the comb's peak tails, from the side peaks folded onto one period.

    A two-sided exponential exp(-|x|/tau) repeated every period P folds to cosh((P/2 - |x|)/tau); the
    fit skips the cusp (|x| < P/16, shaped by the detectors' jitter) and allows a flat floor."""
    P = comb.period_ps
    t = h.centers_ps
    keep = np.abs(t - zero_ps) > 0.5 * P
    x = ((t[keep] - comb.phase_ps + 0.5 * P) % P) - 0.5 * P
    nb = 64
    k = np.clip(((x + 0.5 * P) / P * nb).astype(int), 0, nb - 1)
    sums = np.bincount(k, weights=h.counts[keep].astype(float), minlength=nb)
    nbin = np.bincount(k, minlength=nb)
    ok = nbin > 0
    xc = (np.arange(nb) + 0.5) / nb * P - 0.5 * P
    prof = np.where(ok, sums / np.maximum(nbin, 1), 0.0)
    var = np.where(ok, np.maximum(sums, 1.0) / np.maximum(nbin, 1) ** 2, np.inf)
    sel = ok & (np.abs(xc) >= P / 16)
    if sel.sum() < 8 or prof[sel].max() <= 0:
        return None
    lo_v, hi_v = float(prof[sel][np.argmax(np.abs(xc[sel]))]), float(prof[sel][np.argmin(np.abs(xc[sel]))])
    ratio = hi_v / lo_v if lo_v > 0 else 1e6
    tau0 = P / (2 * np.arccosh(max(ratio, 1.0001))) if ratio < 1e6 else P / 100
    xs, ys, sd = np.abs(xc[sel]), prof[sel], np.sqrt(var[sel])

    def resid(v: np.ndarray) -> np.ndarray:  # v = (a, tau, c); scipy directly: this runs on every live tick
        return (ys - (v[0] * np.cosh((0.5 * P - xs) / v[1]) + v[2])) / sd

    x0 = np.array([max(lo_v, 1e-3), min(tau0, P), 0.0])
    try:
        out = optimize.least_squares(
            resid,
            x0,
            bounds=([0.0, P / 1000, 0.0], [np.inf, 2 * P, np.inf]),
            x_scale=np.array([max(lo_v, 1e-3), 0.1 * P, max(lo_v, 1e-3)]),
        )
    except (ValueError, np.linalg.LinAlgError):
        return None  # no usable peak shape: leave the ratio uncorrected
    tau = float(out.x[1])
    # at the bound the peaks are not resolved as a comb of exponentials: no correction
    return tau if out.success and tau < 1.9 * P else None


def _trough_level(h: CorrelationHistogram, comb: Comb, zero_ps: float) -> float:
    """Mean counts per bin midway between peaks (1/16 of a period wide): ~0 for well separated peaks."""
    P = comb.period_ps
    t = h.centers_ps
    x = ((t - comb.phase_ps + 0.5 * P) % P) - 0.5 * P
    sel = (np.abs(x) > 0.5 * P - P / 32) & (np.abs(t - zero_ps) > 0.5 * P)
    return float(h.counts[sel].mean()) if sel.any() else 0.0


def _window_fractions(tau: float, period: float, window: float, m_max: int) -> np.ndarray:
    """F[m]: fraction of a unit two-sided exponential peak (decay tau) inside the window of the peak
    m periods away, m = 0..m_max."""

    def cdf(x: np.ndarray) -> np.ndarray:
        return np.where(
            x < 0, 0.5 * np.exp(np.minimum(x, 0) / tau), 1 - 0.5 * np.exp(-np.maximum(x, 0) / tau)
        )

    m = np.arange(m_max + 1) * period
    return cdf(m + 0.5 * window) - cdf(m - 0.5 * window)


def overlap_mapping(tau: float, period: float, window: float, n_side: int):
    """Raw window ratio r -> true area ratio g (peaks' tails leaking into neighbouring windows),
    with every side peak of equal area and the zero peak g times that. Returns (r_to_g, leak)."""
    from scipy import optimize as opt

    m_max = int(np.ceil(20 * tau / period)) + 1
    f = _window_fractions(tau, period, window, m_max)
    js = np.arange(-n_side - m_max, n_side + m_max + 1)

    ks = np.array([k for k in range(-n_side, n_side + 1) if k != 0])
    dist = np.abs(js[None, :] - ks[:, None])
    side_w = np.where(dist <= m_max, f[np.minimum(dist, m_max)], 0.0)  # side windows x peaks
    d0 = np.abs(js)
    zero_w = np.where(d0 <= m_max, f[np.minimum(d0, m_max)], 0.0)
    is0 = js == 0

    def ratio(g: float) -> float:
        a = np.where(is0, g, 1.0)
        return float(np.dot(zero_w, a) / np.mean(side_w @ a))

    r_min, r_max = ratio(0.0), ratio(50.0)

    def r_to_g(r: float) -> float:
        if r <= r_min:
            # below the pure-leak level: extend linearly (noise can put the raw ratio there)
            return (r - r_min) / (ratio(1.0) - r_min)
        if r >= r_max:
            return 50.0
        return float(opt.brentq(lambda g: ratio(g) - r, 0.0, 50.0, xtol=1e-10))

    return r_to_g, float(2 * f[1:].sum() / f[0])


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
    """g2(0) of a pulsed HBT histogram ``h`` (b - a delays).

    period_ps: laser period (None: found from the comb). window_ps: integration window per peak
    (default one period: every coincidence counted). n_side: side peaks used on *each* side (2K in
    total). zero_ps: zero-delay position (None: found, see ``find_zero_delay``, within ``search_ps``
    of ``expected_zero_ps``). baseline: "none" or "flat" (per-bin floor from the bins between the
    windows, needs window_ps < period). counts_ab, duration_s: singles N_a, N_b and the acquisition
    time for the Poisson-normalised estimator (rep_rate_hz defaults to 1/period). rho: (S/(S+B))
    per detector for the background correction.
    """
    if n_side < 1:
        raise ValueError(f"pulsed_g2: n_side must be >= 1, got {n_side}")
    comb = find_comb(h, period_ps)
    period = comb.period_ps
    window = period if window_ps is None else float(window_ps)
    if not 0 < window <= period * (1 + 1e-9):
        raise ValueError(f"pulsed_g2: window_ps ({window}) must be in (0, period = {period:.1f} ps]")
    notes: list[str] = []
    if comb.snr < DETECT_SIGMA**2:
        notes.append(f"weak comb (Fourier SNR {comb.snr:.1f}): is this pulsed data?")
    pa = peak_areas(h, comb, window)
    if zero_ps is None:
        zd = find_zero_delay(pa, n_side, expected_zero_ps, search_ps)
    else:
        k = int(np.argmin(np.abs(pa.centers_ps - zero_ps)))
        if abs(pa.centers_ps[k] - zero_ps) > 0.5 * period:
            raise ValueError(f"pulsed_g2: zero_ps = {zero_ps} is outside the histogram")
        zd = ZeroDelay(float(pa.centers_ps[k]), k, "given", float("nan"))
    j = zd.index
    if j - n_side < 0 or j + n_side >= pa.areas.size:
        raise ValueError(
            f"pulsed_g2: zero delay at {zd.zero_ps:.0f} ps leaves fewer than n_side = {n_side}"
            f" side peaks on one side inside the histogram [{h.lo_ps}, {h.hi_ps}) ps"
        )
    off = np.concatenate((np.arange(-n_side, 0), np.arange(1, n_side + 1)))
    a0 = int(pa.areas[j])
    side = pa.areas[j + off].astype(np.int64)
    s_tot = int(side.sum())
    n_peaks = 2 * n_side

    base = 0.0
    overlap_info: dict[str, float] | None = None
    if baseline == "flat":
        if window >= period:
            raise ValueError("pulsed_g2: baseline='flat' needs window_ps < period (no bins between windows)")
        dist = np.abs(((h.centers_ps - comb.phase_ps + 0.5 * period) % period) - 0.5 * period)
        between = dist >= 0.5 * window + h.bin_width_ps
        if between.sum() < 1:
            raise ValueError("pulsed_g2: no bins between the peak windows for the baseline")
        base = float(h.counts[between].mean())
        var_base = base / between.sum()
        bw = base * pa.n_window
        num, den = a0 - bw, s_tot / n_peaks - bw
        if den <= 0:
            raise ValueError("pulsed_g2: side peaks do not rise above the baseline")
        g2 = num / den
        # delta method, including the common baseline term
        d_num = np.sqrt(a0 + pa.n_window**2 * var_base)
        d_den = np.sqrt(s_tot / n_peaks**2 + pa.n_window**2 * var_base)
        cov = pa.n_window**2 * var_base
        var = (d_num / den) ** 2 + (num * d_den / den**2) ** 2 - 2 * num / den**3 * cov
        err = float(np.sqrt(max(var, 0.0)))
        ci = (g2 - err, g2 + err)
        method = "delta"
    elif baseline == "none":
        if s_tot == 0:
            raise ValueError("pulsed_g2: the side peaks are empty; no normalisation possible")
        g2 = a0 / (s_tot / n_peaks)
        ci = poisson_ratio_interval(a0, s_tot, n_peaks, cl)
        method = "exact"
        if overlap and _trough_level(h, comb, zd.zero_ps) * pa.n_window > 1e-3 * max(s_tot / n_peaks, 1.0):
            # peaks as long as ~1/10 of the period leak into their neighbours' windows: undo it
            tau_c = peak_decay_ps(h, comb, zd.zero_ps)
            if tau_c is not None:
                r_to_g, leak = overlap_mapping(tau_c, period, pa.n_window * h.bin_width_ps, n_side)
                if leak > 1e-3:
                    g2_raw = g2
                    # g2 >= 0: the interval stops at 0 (the estimate itself is left unclipped, unbiased)
                    g2, ci = r_to_g(g2), (max(r_to_g(ci[0]), 0.0), r_to_g(ci[1]))
                    method = "exact, overlap-corrected"
                    overlap_info = {"peak_decay_ps": tau_c, "leak_fraction": leak, "g2_0_raw": g2_raw}
        err = half_width(*ci)
    else:
        raise ValueError(f"pulsed_g2: baseline must be 'none' or 'flat', got {baseline!r}")

    g2p = g2p_err = None
    g2p_ci = None
    side_over_poisson = None
    if counts_ab is not None and duration_s:
        f = rep_rate_hz if rep_rate_hz else 1e12 / period
        # fraction of a full-period peak inside the window, measured on the side peaks
        full = (
            peak_areas(h, Comb(period, comb.phase_ps, comb.snr, comb.method), period)
            if window < period
            else pa
        )
        kf = int(np.argmin(np.abs(full.centers_ps - pa.centers_ps[j])))
        ok = (kf - n_side >= 0) and (kf + n_side < full.areas.size)
        s_full = int(full.areas[kf + off].sum()) if ok else 0
        frac = s_tot / s_full if s_full > 0 else 1.0
        expect = counts_ab[0] * counts_ab[1] / (f * duration_s) * frac
        if expect > 0:
            lo, hi = garwood(a0 - base * pa.n_window if base else a0, cl)
            g2p = (a0 - base * pa.n_window) / expect
            g2p_ci = (lo / expect, hi / expect)
            side_over_poisson = (s_tot / n_peaks - base * pa.n_window) / expect
            if overlap_info is not None and g2_raw > 0:
                # same correction as the side-normalised ratio: both share the centre window
                k = g2 / g2_raw
                g2p, g2p_ci = g2p * k, (g2p_ci[0] * k, g2p_ci[1] * k)
            elif overlap_info is not None:
                g2p = g2 * side_over_poisson
            g2p_err = half_width(*g2p_ci)

    res = PulsedG2(
        g2_0=float(g2),
        g2_0_err=float(err),
        g2_0_ci=(float(ci[0]), float(ci[1])),
        g2_0_poisson_norm=g2p,
        g2_0_poisson_norm_err=g2p_err,
        g2_0_poisson_norm_ci=g2p_ci,
        center_area=a0,
        side_areas=[int(x) for x in side],
        side_mean=s_tot / n_peaks,
        side_over_poisson=side_over_poisson,
        period_ps=period,
        delay_offset_ps=zd.zero_ps,
        delay_offset_err_ps=comb.phase_err_ps if zd.method != "given" else 0.0,
        zero_method=zd.method,
        zero_significance=zd.significance,
        window_ps=pa.n_window * h.bin_width_ps,
        n_side=n_side,
        baseline_per_bin=base,
        interval_method=method,
        overlap=overlap_info,
        notes=notes,
    )
    if rho is not None:
        res.g2_0_corrected, res.g2_0_corrected_err = background_correct(
            res.g2_0, res.g2_0_err, *rho, side_over_poisson=res.side_over_poisson
        )
    return res
