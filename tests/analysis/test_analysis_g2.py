"""Pulsed g2(0): comb and zero-delay detection, exact intervals, coverage over many realisations."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_helpers import pulsed_comb
from g2live.analysis import Comb, CorrelationHistogram, background_correct, find_comb, peak_areas, pulsed_g2
from g2live.analysis._stats import ONE_SIGMA, garwood, poisson_ratio_interval
from scipy import stats


def coverage_bounds(n: int, p: float, n_sigma: float = 4.0) -> tuple[float, float]:
    """Binomial tolerance on an observed coverage fraction over n independent realisations."""
    sd = np.sqrt(p * (1 - p) / n)
    return p - n_sigma * sd, p + n_sigma * sd


def true_ratio(
    mu: np.ndarray, h: CorrelationHistogram, period: float, zero: float, window: float, n_side: int
) -> float:
    """g2(0) defined on the expected counts, with the estimator's own windows."""
    hm = CorrelationHistogram(mu, h.bin_width_ps, h.offset_ps)
    pa = peak_areas(hm, Comb(period, zero % period, 0.0, "given"), window)
    j = int(np.argmin(np.abs(pa.centers_ps - zero)))
    side = np.concatenate((pa.areas[j - n_side : j], pa.areas[j + 1 : j + 1 + n_side]))
    return float(pa.areas[j] / side.mean())


@pytest.mark.parametrize(
    "period,zero,g2",
    [
        (12_500.0, 23_900.0, 0.0),
        (3_125.0, 23_000.0, 0.02),
        (12_500.0, -1_200.0, 0.3),
        (100_000.0, 41_000.0, 0.1),
    ],
)
def test_finds_period_and_zero_delay(period: float, zero: float, g2: float) -> None:
    rng = np.random.default_rng(7)
    bw = 16 if period < 50_000 else 256
    h, _ = pulsed_comb(
        rng,
        g2_0=g2,
        side_area=300,
        period_ps=period,
        zero_ps=zero,
        bin_width_ps=bw,
        n_bins=2**15 if period < 50_000 else 2**13,
        tau_ps=min(period / 20, 5000),
        envelope=(2.0, 2e5),
    )
    comb = find_comb(h)
    n_periods = h.n_bins * bw / period
    # the comb phase is measured over ~n_periods peaks: the period to a small fraction of a bin
    assert abs(comb.period_ps - period) < bw / n_periods
    r = pulsed_g2(h)
    assert r.zero_method == "dip"
    assert abs(r.delay_offset_ps - zero) < 2 * bw


def test_zero_by_symmetry_without_antibunching() -> None:
    """g2(0) = 1 with a blinking envelope: no dip, so the symmetric centre of the envelope is zero."""
    rng = np.random.default_rng(3)
    h, _ = pulsed_comb(rng, g2_0=1.0, side_area=2000, zero_ps=23_900.0, envelope=(3.0, 30_000.0))
    r = pulsed_g2(h, period_ps=12_500.0, n_side=3)
    assert r.zero_method in ("symmetry", "peak")
    assert abs(r.delay_offset_ps - 23_900.0) < 50


def test_flat_comb_falls_back_to_expected() -> None:
    rng = np.random.default_rng(4)
    h, _ = pulsed_comb(rng, g2_0=1.0, side_area=2000, zero_ps=25_000.0)
    r = pulsed_g2(h, period_ps=12_500.0, expected_zero_ps=0.0)
    assert r.zero_method == "expected"
    assert abs(r.delay_offset_ps) < 12_500 / 2


@pytest.mark.parametrize("g2,side_area,n_side", [(0.1, 400.0, 4), (0.05, 30.0, 2), (0.5, 8.0, 4)])
def test_coverage_side_peak_estimator(g2: float, side_area: float, n_side: int) -> None:
    """The stated 68.27 % interval holds the truth in ~68 % of 400 realisations (exact intervals are
    conservative at low counts: never below nominal beyond the binomial tolerance)."""
    rng = np.random.default_rng(11)
    n, hits, hits95, pulls = 400, 0, 0, []
    for _ in range(n):
        h, mu = pulsed_comb(rng, g2_0=g2, side_area=side_area, n_bins=4096, bin_width_ps=64)
        r = pulsed_g2(h, period_ps=12_500.0, n_side=n_side, zero_ps=23_900.0)
        truth = true_ratio(mu, h, 12_500.0, 23_900.0, r.window_ps, n_side)
        hits += r.g2_0_ci[0] <= truth <= r.g2_0_ci[1]
        lo, hi = poisson_ratio_interval(r.center_area, sum(r.side_areas), 2 * n_side, 0.95)
        hits95 += lo <= truth <= hi
        pulls.append((r.g2_0 - truth) / r.g2_0_err)
    lo68, hi68 = coverage_bounds(n, ONE_SIGMA)
    lo95, _ = coverage_bounds(n, 0.95)
    assert hits / n >= lo68, f"68% interval coverage {hits / n:.3f}"
    assert hits95 / n >= lo95, f"95% interval coverage {hits95 / n:.3f}"
    if side_area * g2 >= 20:  # large counts: the exact interval is no longer conservative
        assert hits / n <= hi68, f"68% interval over-covers: {hits / n:.3f}"
        assert abs(np.mean(pulls)) < 4 / np.sqrt(n) + 0.05  # unbiased to well within its error


def test_coverage_poisson_normalisation_and_bunching() -> None:
    """With blinking the side peaks rise above the Poisson level; the Poisson-normalised estimator
    recovers the true centre area over N_a N_b / (f T) and side_over_poisson the bunching."""
    rng = np.random.default_rng(12)
    f, t_s = 80e6, 5.0
    na, nb = 160_000, 236_000
    poisson_area = na * nb / (f * t_s)
    n, hits = 300, 0
    for _ in range(n):
        h, mu = pulsed_comb(
            rng, g2_0=0.2, side_area=poisson_area, n_bins=4096, bin_width_ps=64, envelope=(3.0, 1e9)
        )
        r = pulsed_g2(h, period_ps=1e12 / f, zero_ps=23_900.0, counts_ab=(na, nb), duration_s=t_s)
        # expected zero-peak area over the Poisson level: g2 (0.2) times the blinking bunching (4)
        truth_p = true_ratio(mu, h, 1e12 / f, 23_900.0, r.window_ps, 4) * 4.0
        hits += r.g2_0_poisson_norm_ci[0] <= truth_p <= r.g2_0_poisson_norm_ci[1]
    lo68, hi68 = coverage_bounds(n, ONE_SIGMA)
    assert lo68 <= hits / n <= hi68 + 0.05
    assert r.side_over_poisson == pytest.approx(4.0, rel=5 / np.sqrt(poisson_area * 4 * 8))


def test_flat_baseline_subtraction_coverage() -> None:
    rng = np.random.default_rng(13)
    n, hits = 300, 0
    for _ in range(n):
        h, mu = pulsed_comb(
            rng, g2_0=0.1, side_area=400, n_bins=4096, bin_width_ps=64, tau_ps=200, floor_per_bin=0.5
        )
        r = pulsed_g2(h, period_ps=12_500.0, zero_ps=23_900.0, window_ps=3000, baseline="flat")
        # truth: peak areas without the floor
        clean = mu - 0.5
        hits += r.g2_0_ci[0] <= true_ratio(clean, h, 12_500.0, 23_900.0, r.window_ps, 4) <= r.g2_0_ci[1]
    lo68, hi68 = coverage_bounds(n, ONE_SIGMA)
    assert lo68 <= hits / n <= hi68


def test_exact_intervals_match_textbook_values() -> None:
    # Garwood 68.27 % interval for n = 0 is [0, 1.841] (Gehrels 1986, Table 1)
    assert garwood(0)[1] == pytest.approx(1.841, abs=1e-3)
    lo, hi = garwood(10)
    assert (lo, hi) == (pytest.approx(6.891, abs=2e-3), pytest.approx(14.267, abs=2e-3))
    # ratio interval: the binomial conditional reproduces Garwood as the reference count grows
    lo_r, hi_r = poisson_ratio_interval(10, 10**9, 10**9)
    assert (lo_r, hi_r) == (pytest.approx(lo, rel=1e-3), pytest.approx(hi, rel=1e-3))


def test_background_correction_inverts_mixing() -> None:
    """Mixing a source with g2_s and uncorrelated background at S/(S+B) = rho gives
    g2 = rho^2 g2_s + 1 - rho^2; the correction recovers g2_s."""
    for rho, g2s in ((0.9, 0.05), (0.6, 0.2)):
        g2 = rho**2 * g2s + 1 - rho**2
        assert background_correct(g2, 0.01, rho)[0] == pytest.approx(g2s)
    with pytest.raises(ValueError, match="rho_a"):
        background_correct(0.5, 0.1, 1.5)


def test_errors_name_the_problem() -> None:
    h = CorrelationHistogram(np.zeros(100, dtype=np.int64), 16)
    with pytest.raises(ValueError, match="empty"):
        pulsed_g2(h)
    rng = np.random.default_rng(1)
    h, _ = pulsed_comb(rng, g2_0=0.1, side_area=100, n_bins=4096, bin_width_ps=64)
    with pytest.raises(ValueError, match="n_side"):
        pulsed_g2(h, period_ps=12_500.0, n_side=20)
    with pytest.raises(ValueError, match="window_ps"):
        pulsed_g2(h, period_ps=12_500.0, window_ps=20_000)


def test_interval_at_zero_counts_is_one_sided_exact() -> None:
    """An empty zero peak with S side counts: upper limit from the conditional binomial,
    p_hi = 1 - a^(1/S)."""
    alpha = 1 - ONE_SIGMA
    s, k = 400, 8
    p_hi = stats.beta.ppf(1 - alpha / 2, 1, s)
    lo, hi = poisson_ratio_interval(0, s, k)
    assert lo == 0.0 and hi == pytest.approx(k * p_hi / (1 - p_hi))


def test_overlapping_peaks_are_corrected() -> None:
    """Exciton lifetime 1/6 of the period: ~4 % of each side peak leaks into the zero window. The
    correction restores the true area ratio (coverage over 100 realisations) and reports the decay."""
    rng = np.random.default_rng(14)
    period, tau, n, hits = 50_000.0, 8_000.0, 100, 0
    for _ in range(n):
        h, mu = pulsed_comb(
            rng,
            g2_0=0.12,
            side_area=3000,
            period_ps=period,
            zero_ps=1_000.0,
            tau_ps=tau,
            bin_width_ps=256,
            n_bins=4096,
        )
        r = pulsed_g2(h, period_ps=period, zero_ps=1_000.0)
        hits += r.g2_0_ci[0] <= 0.12 <= r.g2_0_ci[1]
    assert r.overlap is not None and r.overlap["peak_decay_ps"] == pytest.approx(tau, rel=0.1)
    assert r.overlap["g2_0_raw"] > 0.14  # uncorrected, the leak adds ~0.04
    lo68, hi68 = coverage_bounds(n, ONE_SIGMA)
    assert lo68 <= hits / n <= hi68, f"coverage {hits / n:.3f}"


def test_delay_offset_error_coverage() -> None:
    """Broad peaks (tau = 1 ns): the zero delay is known only to ~tau / sqrt(N); its stated error covers."""
    rng = np.random.default_rng(15)
    n, hits = 150, 0
    for _ in range(n):
        h, _ = pulsed_comb(rng, g2_0=0.1, side_area=150, tau_ps=1_000.0, n_bins=4096, bin_width_ps=64)
        r = pulsed_g2(h, period_ps=12_500.0)
        hits += abs(r.delay_offset_ps - 23_900.0) <= r.delay_offset_err_ps
    lo68, hi68 = coverage_bounds(n, ONE_SIGMA)
    assert lo68 <= hits / n <= hi68, f"coverage {hits / n:.3f}"
