# SPDX-License-Identifier: BSD-3-Clause
"""A power sweep's points from the recordings' reports (``sweep_points``): pooled blinking errors,
signal rates from the decays' rho, and a g2(0) below 0 kept for the fit."""

from __future__ import annotations

import numpy as np
import pytest
from g2live.analysis import fit_power_sweep, g2_model, rate_model, sweep_point, sweep_points
from g2live.analysis.blinking._summary import dwell_error

POWERS = np.array([0.05, 0.15, 0.4, 1.0, 2.0, 3.0])
T = 0.5  # s per point, as the validation's sweeps
ON_MS, OFF_MS, OFF_Q = 20.0, 5.0, 0.05  # the emulator's default blinking


def _report(rate: float, sigma_f: float | None, n_dwells: int, on_cps: float, rho: float = 1.0,
            g2: float = 0.1, g2_err: float = 0.01) -> dict:
    return {
        "detector_rate_corrected_cps": rate,
        "duration_s": T,
        "on_fraction_err": sigma_f,
        "blinking": {"on_level_cps": on_cps, "off_level_cps": OFF_Q * on_cps, "n_dwells": n_dwells},
        "channels": [0, 1],
        "rates_cps": {"0": rate / 2, "1": rate / 2},
        "rho": [rho, rho],
        "side_over_poisson": 1.2,
        "g2": {"g2_0_unconstrained": g2, "g2_0_err": g2_err, "zero_method": "dip"},
    }


def test_blinking_pooled_over_the_points() -> None:
    """Each point's sigma_f becomes sqrt(<T sigma_f^2> / T), the mean weighted by the dwells."""
    reps = [_report(1e5, 0.02, 10, 1.2e5), _report(1e5, 0.08, 30, 1.2e5), _report(1e5, None, 0, 1.2e5)]
    pooled = (10 * 0.02**2 + 30 * 0.08**2) / 40
    pts = sweep_points(reps)
    swing2 = (0.95 * 1.2e5) ** 2 * pooled
    for p in pts:  # the third point had no sigma_f of its own and gets the sweep's
        assert p.rate_err == pytest.approx(np.sqrt(1e5 / T + swing2))
    own = sweep_points(reps, pool=False)
    assert own[0].rate_err == pytest.approx(np.hypot(np.sqrt(1e5 / T), 0.95 * 1.2e5 * 0.02))
    assert own[2].rate_err == pytest.approx(np.sqrt(1e5 / T))


def test_signal_rate_and_a_negative_g2_kept_for_the_fit() -> None:
    """With rho the rate is the signal's (rho R, error likewise), and g2(0) is background-corrected
    from the estimator's unconstrained value, also below 0 (a draw the fit must not lose)."""
    p = sweep_point(_report(1e5, 0.05, 40, 1.2e5, rho=0.99, g2=0.005, g2_err=0.03))
    assert p.signal_fraction == pytest.approx(0.99)
    assert p.rate_cps == pytest.approx(0.99e5)
    assert p.rate_err == pytest.approx(0.99 * np.hypot(np.sqrt(1e5 / T), 0.95 * 1.2e5 * 0.05))
    r2, s = 0.99**2, 1.2
    assert p.g2_0 == pytest.approx((0.005 * s - (1 - r2)) / (s - (1 - r2)))
    assert p.g2_0 < 0 and p.g2_0_background_corrected
    unknown = _report(1e5, 0.05, 40, 1.2e5) | {"g2": {"g2_0_unconstrained": 0.1, "g2_0_err": 0.01,
                                                      "zero_method": "expected"}}
    assert sweep_point(unknown).g2_0 is None  # zero delay not identified: no g2(0) at all


def _blinking_point(rng: np.random.Generator, on_cps: float) -> tuple[float, float | None, int]:
    """One 0.5 s recording of an exponential ON/OFF emitter: its rate, and sigma_f and the dwell
    count as the blinking step computes them (``dwell_error`` on its ON/OFF segments)."""
    t, on, segs = 0.0, rng.random() < ON_MS / (ON_MS + OFF_MS), []
    while t < T:
        d = min(rng.exponential((ON_MS if on else OFF_MS) * 1e-3), T - t)
        segs.append((t, t + d, on_cps if on else OFF_Q * on_cps))
        t, on = t + d, not on
    photons = rng.poisson(sum((b - a) * r for a, b, r in segs))
    sigma_f, n = dwell_error(segs, 0.5 * on_cps)
    return photons / T, sigma_f, n


def _pulls(pool: bool, n_sweeps: int = 300) -> np.ndarray:
    rng = np.random.default_rng(2026)
    g_err = np.array([0.05, 0.014, 0.007, 0.0035, 0.0027, 0.0025])  # the validation sweeps' g2 errors
    on_cps = rate_model(POWERS, 1.6e6, 1.0, 0.1)
    z = []
    for _ in range(n_sweeps):
        reps = []
        for k in range(POWERS.size):
            rate, sf, n = _blinking_point(rng, on_cps[k])
            g = rng.normal(g2_model(POWERS[k], 0.1), g_err[k])
            reps.append(_report(rate, sf, n, on_cps[k], g2=g, g2_err=g_err[k]))
        pts = sweep_points(reps, pool=pool)
        if any(p.rate_err is None for p in pts):
            continue
        f = fit_power_sweep(POWERS, np.array([p.rate_cps for p in pts]), np.array([p.rate_err for p in pts]),
                            np.array([p.g2_0 for p in pts]), g_err, interval=False)
        z.append((f.p_sat - 1.0) / f.p_sat_err)
    return np.array(z)


def test_pooled_blinking_gives_p_sat_honest_errors() -> None:
    """Sweeps of a blinking emitter (0.5 s points, ~20 ON/OFF cycles each): with each point's own
    sigma_f the fit follows the points that drew a small one and P_sat's pulls spread wider;
    pooled over the sweep they meet issue 13's specification. Measured on these 300 sweeps: own
    spread 1.18, coverage 63 % / 91 %; pooled 1.07, 66 % / 94 % (600 sweeps: 1.22, 59 % / 90 %
    and 1.09, 64 % / 94 %)."""
    own, pooled = _pulls(False), _pulls(True)
    assert own.size >= 280 and pooled.size >= 280
    assert np.std(own, ddof=1) - np.std(pooled, ddof=1) > 0.05
    assert 0.8 <= np.std(pooled, ddof=1) <= 1.2
    assert abs(np.mean(np.abs(pooled) <= 2) - 0.9545) <= 0.05
    assert abs(np.mean(np.abs(pooled) <= 1) - 0.6827) <= 0.05
    assert abs(np.mean(pooled)) <= 0.2


def test_sweep_row_never_reports_a_negative_g2() -> None:
    """`analyze --sweep` fits the unconstrained g2(0) but its point rows report it only when >= 0."""
    from g2live.cli.analyze import _folder_row

    p = sweep_point(_report(1e5, 0.05, 40, 1.2e5, rho=0.99, g2=0.005, g2_err=0.03))
    row = _folder_row("p0.h5", 0.05, p)
    assert row["g2_0"] is None and row["g2_0_err"] is None
    assert row["g2_0_unconstrained"] == pytest.approx(p.g2_0)
    assert row["signal_fraction"] == pytest.approx(0.99)


def test_signal_fraction_step_gives_the_lifetime_steps_rho() -> None:
    """A sweep's reports take the decays' rho from the signal_fraction step, without the lifetime's
    model fits: the same rho, corrected g2(0) and sweep point as with the lifetime step."""
    from g2live.analysis import analyze_photons
    from g2live.emulator import Emulator, EmulatorConfig

    data = Emulator(EmulatorConfig(power=0.3, collection_efficiency=0.3, dark_cps=2000.0), seed=5).run(0.5)
    full = analyze_photons(data, steps=("g2", "lifetime", "blinking"))
    rho = analyze_photons(data, steps=("g2", "signal_fraction", "blinking"))
    assert full["lifetime_ns"] is not None and rho["lifetime_ns"] is None  # no lifetime claimed
    assert rho["rho"] == full["rho"] and 0 < min(rho["rho"]) < 1
    assert rho["g2_0_corrected"] == full["g2_0_corrected"]
    assert sweep_point(rho) == sweep_point(full)


def test_unknown_step_is_an_error() -> None:
    from g2live.analysis import analyze_photons
    from g2live.emulator import Emulator

    data = Emulator(seed=1).run(0.05)
    with pytest.raises(ValueError, match="unknown analysis step.*'lifetimes'"):
        analyze_photons(data, steps=("g2", "lifetimes"))
