# SPDX-License-Identifier: BSD-3-Clause
"""Lifetime fits: coverage on synthetic decays sampled from the model, and the measured T3 files."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_helpers import decay, load
from g2live.analysis import decay_histogram, fit_reconvolution, fit_tail
from g2live.analysis._stats import ONE_SIGMA
from scipy import stats


def cover(n: int) -> tuple[float, float]:
    sd = np.sqrt(ONE_SIGMA * (1 - ONE_SIGMA) / n)
    return ONE_SIGMA - 4 * sd, ONE_SIGMA + 4 * sd


@pytest.mark.parametrize("n_photons,bg", [(5_000, 0.5), (300, 0.05)])
def test_tail_fit_coverage(n_photons: int, bg: float) -> None:
    rng = np.random.default_rng(21)
    tau, n, hits = 5_000.0, 150, 0
    for _ in range(n):
        c, _ = decay(
            rng,
            n_photons=n_photons,
            tau_ps=tau,
            bin_width_ps=200,
            n_bins=500,
            mu_ps=3_000,
            sigma_ps=300,
            period_ps=100_000,
            bg_per_bin=bg,
        )
        r = fit_tail(c, 200, start_ps=5_000)
        hits += abs(r.tau_ps[0] - tau) <= r.tau_err_ps[0]
    lo, hi = cover(n)
    assert lo <= hits / n <= hi, f"coverage {hits / n:.3f}"


def test_reconvolution_coverage_gaussian_irf_and_wraparound() -> None:
    """tau comparable to the period: the tails of earlier pulses matter and are in the model."""
    rng = np.random.default_rng(22)
    tau, n, hits, sig_hits = 40_000.0, 100, 0, 0
    for _ in range(n):
        c, _ = decay(
            rng,
            n_photons=20_000,
            tau_ps=tau,
            bin_width_ps=500,
            n_bins=400,
            mu_ps=5_000,
            sigma_ps=400,
            period_ps=200_000,
            bg_per_bin=1.0,
        )
        r = fit_reconvolution(c, 500, period_ps=200_000)
        hits += abs(r.tau_ps[0] - tau) <= r.tau_err_ps[0]
        sig_hits += abs(r.irf_sigma_ps - 400) < 200
    lo, hi = cover(n)
    assert lo <= hits / n <= hi, f"coverage {hits / n:.3f}"
    assert sig_hits / n > 0.9


def test_reconvolution_short_lifetime_under_irf() -> None:
    """tau below the IRF width: the tail fit is biased high, reconvolution is not."""
    rng = np.random.default_rng(23)
    taus = []
    for _ in range(30):
        c, _ = decay(
            rng,
            n_photons=50_000,
            tau_ps=100,
            bin_width_ps=16,
            n_bins=400,
            mu_ps=1_000,
            sigma_ps=60,
            period_ps=12_500,
            bg_per_bin=0.1,
        )
        r = fit_reconvolution(c, 16, period_ps=12_500)
        taus.append((r.tau_ps[0] - 100) / r.tau_err_ps[0])
    assert abs(np.mean(taus)) < 4 / np.sqrt(len(taus)) + 0.2
    assert 0.6 < np.std(taus) < 1.5


def test_measured_irf_reconvolution() -> None:
    rng = np.random.default_rng(24)
    _, irf = decay(
        rng, n_photons=1e5, tau_ps=30, bin_width_ps=50, n_bins=300, mu_ps=2_000, sigma_ps=150, period_ps=None
    )
    n, hits = 60, 0
    for _ in range(n):
        c, _ = decay(
            rng,
            n_photons=20_000,
            tau_ps=1_500,
            bin_width_ps=50,
            n_bins=300,
            mu_ps=2_100,
            sigma_ps=150,
            period_ps=None,
            bg_per_bin=0.5,
        )
        r = fit_reconvolution(c, 50, irf=irf)
        hits += abs(r.tau_ps[0] - 1_500) <= r.tau_err_ps[0] * 1.0
    # the IRF "measurement" has its own 30 ps decay: a tiny bias against 1500 ps, inside the tolerance
    lo, hi = cover(n)
    assert lo <= hits / n <= hi, f"coverage {hits / n:.3f}"


def test_two_exponential_tail() -> None:
    rng = np.random.default_rng(25)
    c, _ = decay(
        rng,
        n_photons=200_000,
        tau_ps=[2_000.0, 10_000.0],
        fractions=[0.5, 0.5],
        bin_width_ps=100,
        n_bins=1000,
        mu_ps=1_000,
        sigma_ps=100,
        period_ps=None,
        bg_per_bin=0.5,
    )
    one = fit_tail(c, 100, start_ps=1_500)
    two = fit_tail(c, 100, start_ps=1_500, n_exp=2)
    assert one.deviance - two.deviance > stats.chi2.isf(1e-6, 2)
    for got, err, want in zip(two.tau_ps, two.tau_err_ps, (2_000.0, 10_000.0), strict=True):
        assert abs(got - want) < 5 * err


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="empty"):
        fit_tail(np.zeros(100), 16)
    with pytest.raises(ValueError, match="n_exp"):
        fit_tail(np.arange(100)[::-1], 16, n_exp=3)
    with pytest.raises(ValueError, match="irf has shape"):
        fit_reconvolution(np.arange(100)[::-1], 16, irf=np.ones(50))


def test_hh400_t3_80mhz_lifetime(realdata) -> None:
    """SOURCE.md: single exponential, tau ~ 133 ps in both channels (tail fit)."""
    d = load(realdata / "eta_kth" / "200213_HH400_T3_80MHz_HBT.timeres")
    for ch in (0, 1):
        h = decay_histogram(d.microtime_ps[d.channel == ch], 16, 12_495)
        r = fit_tail(h, 16)
        assert abs(r.tau_ps[0] - 133.0) < max(5 * r.tau_err_ps[0], 3.0)


def test_symphotime_t3_lifetimes(realdata) -> None:
    """SOURCE.md: tail fits give ~33 ns (v10) and ~42-45 ns (v20). Both decays are multi-exponential:
    the tail lifetime grows with the fit start, and two components fit significantly better."""
    v10 = load(realdata / "picoquant_sample_data" / "hydraharp_v10_t3.ptu")
    for ch in (0, 1):
        h = decay_histogram(v10.microtime_ps[v10.channel == ch], 128, 400_000)
        r = fit_tail(h, 128, start_after_peak_ps=10_000)
        assert abs(r.tau_ps[0] - 33_000) < 2_000 + 3 * r.tau_err_ps[0]
    v20 = load(realdata / "picoquant_sample_data" / "hydraharp_v20_t3.ptu")
    h = decay_histogram(v20.microtime_ps, 64, 200_000)  # both channels together
    late = fit_tail(h, 64, start_after_peak_ps=50_000)
    assert 42_000 - 3 * late.tau_err_ps[0] < late.tau_ps[0] < 45_000 + 3 * late.tau_err_ps[0]
    one, two = fit_tail(h, 64), fit_tail(h, 64, n_exp=2)
    assert one.deviance - two.deviance > stats.chi2.isf(1e-6, 2)


def _cascade_decay(rng: np.random.Generator, p_ap: float, fast: float) -> np.ndarray:
    """One period of a QD decay on a SPAD (bins of 50 ps): exciton 8 ns, a fast cascade term of
    relative amplitude ``fast`` (0.5 ns), Gaussian jitter, flat background, and afterpulses of the
    pulse's own photons (probability ``p_ap`` beyond a 22 ns dead time, delay Exp(60 ns))."""
    from g2live.analysis import afterpulse_density

    n, w = 2000, 50.0
    t = (np.arange(n) + 0.5) * w
    x = np.maximum(t - 5_000.0, 0.0)
    sig = np.where(t >= 5_000.0, np.exp(-x / 8_000.0) + fast * np.exp(-x / 500.0), 0.0)
    sig = np.convolve(sig, stats.norm.pdf(np.arange(-8, 9), scale=1.0), mode="same")
    sig *= 400_000 / sig.sum()
    k = afterpulse_density(n, w, 60_000.0, 22_000.0)
    ap = np.fft.irfft(np.fft.rfft(sig) * np.fft.rfft(k), n=n) * p_ap
    return rng.poisson(sig + ap + 0.3)


@pytest.mark.parametrize("p_ap,fast", [(0.0, 0.0), (0.004, 0.0), (0.004, 0.6), (0.004, -0.3)])
def test_decay_model_unbiased_with_afterpulses_and_cascade(p_ap: float, fast: float) -> None:
    from g2live.analysis import fit_decay_model

    rng = np.random.default_rng(5)
    pulls, plain = [], []
    for _ in range(24):
        c = _cascade_decay(rng, p_ap, fast)
        r = fit_decay_model(c, 50.0, dead_time_ps=22_000.0)
        pulls.append((r.tau_ps[0] - 8_000.0) / r.tau_err_ps[0])
        plain.append(fit_tail(c, 50.0).tau_ps[0])
    pulls = np.array(pulls)
    assert abs(pulls.mean()) < 3 / np.sqrt(pulls.size) + 0.15, f"mean pull {pulls.mean():+.2f}"
    assert 0.6 < pulls.std() < 1.4, f"pull spread {pulls.std():.2f}"
    if p_ap and not fast:  # the plain tail fit is what the model fixes: afterpulses lengthen it
        assert np.mean(plain) > 8_000.0 + 3 * np.std(plain) / np.sqrt(len(plain))
