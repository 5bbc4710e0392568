"""Line fits (Gaussian + Urbach tail on pixels), Urbach slope, and purity estimators."""

from __future__ import annotations

import numpy as np
import pytest
from g2live.analysis import (
    fit_line,
    fit_urbach_tail,
    g2_from_heralded,
    g2_from_photon_number,
    line_cdf,
    purity,
)
from g2live.analysis._stats import ONE_SIGMA


def cover(n: int) -> tuple[float, float]:
    sd = np.sqrt(ONE_SIGMA * (1 - ONE_SIGMA) / n)
    return ONE_SIGMA - 4 * sd, ONE_SIGMA + 4 * sd


def test_line_fit_coverage_on_coarse_pixels() -> None:
    """16 pixels of 20 meV under a 70 meV line with a 15 meV Urbach tail (the emulator's defaults)."""
    rng = np.random.default_rng(61)
    edges = 2.275 + 0.02 * np.arange(17)
    mu = 3000 * np.diff(line_cdf(edges, 2.45, 0.0297, 0.015)) + 2.0
    n, hits = 150, 0
    for _ in range(n):
        r = fit_line(edges, rng.poisson(mu))
        hits += abs(r.centre_ev - 2.45) <= r.centre_err_ev
    lo, hi = cover(n)
    assert lo <= hits / n <= hi, f"coverage {hits / n:.3f}"
    assert r.fwhm_ev == pytest.approx(0.070, rel=0.15)


def test_weighted_fit_of_subtracted_spectrum() -> None:
    rng = np.random.default_rng(62)
    edges = 2.275 + 0.02 * np.arange(17)
    mu = 5000 * np.diff(line_cdf(edges, 2.42, 0.034, 0.015))
    acc = np.full(16, 30.0)
    raw = rng.poisson(mu + acc)
    est = rng.poisson(acc * 4) / 4  # accidentals measured 4x longer
    r = fit_line(edges, raw - est, variance=raw + est / 4, background=False)
    assert abs(r.centre_ev - 2.42) < 4 * r.centre_err_ev
    with pytest.raises(ValueError, match="variance"):
        fit_line(edges, raw - est - 100)


def test_urbach_tail_slope() -> None:
    rng = np.random.default_rng(63)
    e = np.linspace(2.2, 2.4, 80)
    n, hits = 100, 0
    for _ in range(n):
        y = rng.poisson(400 * np.exp((e - 2.4) / 0.025) + 3)
        r = fit_urbach_tail(e, y, 2.4)
        hits += abs(r.slope_energy_ev - 0.025) <= r.slope_energy_err_ev
    lo, hi = cover(n)
    assert lo <= hits / n <= hi


def test_photon_number_g2_coverage() -> None:
    """Per-period photon numbers of a source with P(1) = 0.1 and P(2) = 0.002: g2 = 2 P2 / <n>^2."""
    rng = np.random.default_rng(64)
    p = np.array([0.898, 0.1, 0.002])
    truth = 2 * p[2] / (p[1] + 2 * p[2]) ** 2
    n, hits = 200, 0
    for _ in range(n):
        g, e = g2_from_photon_number(rng.multinomial(200_000, p))
        hits += abs(g - truth) <= e
    lo, hi = cover(n)
    assert lo <= hits / n <= hi
    # an HBT with a 50:50 splitter counts half the pairs: p_same = 1/2 doubles the estimate
    assert g2_from_photon_number(np.array([900, 100, 1]), p_same=0.5)[0] == pytest.approx(
        2 * g2_from_photon_number(np.array([900, 100, 1]))[0]
    )
    assert purity(0.1, 0.02) == (0.9, 0.02)


def test_hbt_g2_from_heralded_records() -> None:
    """Emulated HBT: same-period coincidences over singles agree with the side-peak estimator."""
    from g2live import core
    from g2live.analysis import correlation_histogram, pulsed_g2
    from g2live.emulator import Emulator, EmulatorConfig

    cfg = EmulatorConfig(
        power=0.5,
        collection_efficiency=0.3,
        blinking="none",
        background_cps=0,
        dark_cps=0,
        afterpulse_probability=0.0,
    )
    d = Emulator(cfg, seed=12).run(0.3)
    # T3 photons: the pulsed block counts them per period with the syncs implied (k x period)
    q = d.meta.sync_period_ps
    pc = core.PulsedCounter(8, 4)
    parts = [pc.update_periodic(d.channel, d.time_ps, 0, q, int(0.3e12) // q), pc.flush()]
    pr = core.PulsedResult.combine(parts)
    n_periods = int(pr.photon_number.sum())
    c = d.counts()
    g, e = g2_from_heralded(
        pr.heralded["channel_first"], pr.heralded["channel_second"], n_periods, c[0], c[1], 0, 1
    )
    h = correlation_histogram(d.channel_times(0), d.channel_times(1), 256, 8192)
    r = pulsed_g2(h, period_ps=cfg.period_ps)
    assert abs(g - r.g2_0) < 4 * np.hypot(e, r.g2_0_err)
    assert abs(g - d.meta.extra["truth"]["g2_0_emitter"]) < 4 * e
