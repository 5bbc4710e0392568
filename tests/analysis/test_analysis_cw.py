"""CW g2(tau) fit: coverage on histograms sampled from the model, and emulated CW data."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_helpers import cw_hist
from g2live.analysis import antibunching_model, fit_cw, two_sided
from g2live.analysis._stats import ONE_SIGMA
from scipy import integrate


def test_irf_convolution_limits() -> None:
    t = np.linspace(-5000, 5000, 101)
    np.testing.assert_allclose(two_sided(t, 1e-3, 800.0), np.exp(-np.abs(t) / 800.0), atol=1e-6)
    # area is conserved by the convolution: integral of exp(-|t|/tau) = 2 tau
    tt = np.linspace(-40_000, 40_000, 80_001)
    assert integrate.trapezoid(two_sided(tt, 300.0, 800.0), tt) == pytest.approx(1600.0, rel=1e-4)
    assert antibunching_model(np.array([0.0]), a=1.0, t_ab=1000.0)[0] == pytest.approx(0.0)


def test_coverage_g2_0_and_antibunching_time() -> None:
    rng = np.random.default_rng(31)
    n, hits_g, hits_t = 120, 0, 0
    for _ in range(n):
        h, _ = cw_hist(
            rng,
            norm=150,
            a=0.85,
            t_ab=2500,
            sigma=250,
            tau0=8000,
            bin_width_ps=100,
            n_bins=300,
            offset_ps=8000,
        )
        r = fit_cw(h, irf_sigma_ps=250)
        hits_g += abs(r.g2_0 - 0.15) <= r.g2_0_err
        hits_t += abs(r.t_ab_ps - 2500) <= r.t_ab_err_ps
    sd = np.sqrt(ONE_SIGMA * (1 - ONE_SIGMA) / n)
    for hits in (hits_g, hits_t):
        assert ONE_SIGMA - 4 * sd <= hits / n <= ONE_SIGMA + 4 * sd, f"coverage {hits / n:.3f}"


def test_bunching_shoulders_are_fitted() -> None:
    rng = np.random.default_rng(32)
    h, _ = cw_hist(
        rng, norm=500, a=1.4, b=0.5, t_ab=2000, t_b=40_000, sigma=200, tau0=0, bin_width_ps=400, n_bins=600
    )
    r = fit_cw(h, irf_sigma_ps=200, bunching=True)
    assert abs(r.g2_0 - 0.1) < 5 * r.g2_0_err
    assert r.bunching == pytest.approx(0.5, rel=0.2)
    assert r.t_b_ps == pytest.approx(40_000, rel=0.25)


def test_emulated_cw_antibunching() -> None:
    """Emulated CW quantum dot without noise: the fitted (IRF-deconvolved) g2(0) matches the model's
    g2(0) = r (1 + s + s^2 tau_bx/tau_x) / (1 + s r)^2 (docs/emulator.md) within its error."""
    from g2live.analysis import correlation_histogram
    from g2live.emulator import Emulator, EmulatorConfig

    cfg = EmulatorConfig(
        excitation="cw",
        power=0.5,
        collection_efficiency=0.3,
        blinking="none",
        background_cps=0,
        dark_cps=0,
        afterpulse_probability=0.0,
    )
    d = Emulator(cfg, seed=5).run(0.3)
    truth = d.meta.extra["truth"]
    h = correlation_histogram(d.channel_times(0), d.channel_times(1), 100, 800)
    r = fit_cw(h, irf_sigma_ps=np.sqrt(2) * cfg.jitter_sigma_ps, fit_sigma=True)
    assert abs(r.g2_0 - truth["g2_0_emitter"]) < 4 * r.g2_0_err + 0.01
    # antibunching rate 1/tau_x + g: for s = g tau_x = 0.5 the time is tau_x / 1.5
    assert r.t_ab_ps == pytest.approx(8000 / 1.5, rel=0.1)
