# SPDX-License-Identifier: BSD-3-Clause
"""Heralded spectroscopy on emulated SPAD-array recordings with known binding energy and lifetimes."""

from __future__ import annotations

import numpy as np
import pytest
from g2live.analysis import PairRecords, heralded_from_photons, quasi_independent_spectra


def test_quasi_independence_recovers_spectra_without_diagonal() -> None:
    a = np.array([1.0, 4.0, 9.0, 4.0, 1.0])
    b = np.array([2.0, 6.0, 6.0, 3.0, 1.0])
    m = np.outer(a, b) * 10
    np.fill_diagonal(m, 0)  # same-pixel pairs lost to the dead time
    ra, rb = quasi_independent_spectra(m)
    np.testing.assert_allclose(ra / ra.sum(), a / a.sum(), rtol=1e-6)
    np.testing.assert_allclose(rb / rb.sum(), b / b.sum(), rtol=1e-6)


@pytest.mark.parametrize("seed,crosstalk", [(21, 0.0), (22, 0.01)])
def test_emulated_heralded_spectroscopy(seed: int, crosstalk: float) -> None:
    from g2live.emulator import Emulator, EmulatorConfig

    cfg = EmulatorConfig(
        mode="spectro", power=1.0, collection_efficiency=0.3, blinking="none",
        crosstalk_probability=crosstalk, records="t2",
    )
    d = Emulator(cfg, seed=seed).run(0.5)  # a T2 stream: the pixels and a sync event per pulse
    r = heralded_from_photons(
        d.channel, d.time_ps, d.meta.sync_channel, np.array(d.meta.extra["pixel_energy_ev"])
    )
    assert r.n_pairs > 2000
    assert abs(r.binding_energy_mev - cfg.binding_bx_mev) < 4 * r.binding_energy_err_mev
    assert abs(r.tau_bx_ns - cfg.tau_bx_ns) < 4 * r.tau_bx_err_ns
    assert abs(r.tau_x_ns - cfg.tau_x_ns) < 4 * r.tau_x_err_ns
    # crosstalk: 1 % per neighbour of ~1e6 detections/s x 0.5 s
    if crosstalk:
        assert r.crosstalk_excess > 1000
    else:
        assert abs(r.crosstalk_excess) < 5 * np.sqrt(max(r.crosstalk_removed, 1)) + 5
    # the prompt photons jittered before their own sync were kept with it
    assert r.sync_shift_ps < 0


def test_heralded_report_t3_equals_t2() -> None:
    """The report's heralded step on the T3 recording (pulsed block fed through its periodic entry
    point, no sync events built) gives exactly what it gives on the same emulation recorded T2."""
    from dataclasses import replace

    from g2live.analysis import analyze_photons
    from g2live.emulator import Emulator, EmulatorConfig

    cfg = EmulatorConfig(mode="spectro", power=1.0, collection_efficiency=0.3, blinking="none")
    t3 = analyze_photons(Emulator(cfg, seed=23).run(0.2), steps=("heralded",))["heralded"]
    t2_data = Emulator(replace(cfg, records="t2"), seed=23).run(0.2)
    t2 = analyze_photons(t2_data, steps=("heralded",))["heralded"]
    assert t3 is not None and t3["n_pairs"] > 500
    assert t3 == t2


def test_rejects_empty_records() -> None:
    from g2live.analysis import HeraldedData, analyze_heralded

    empty = PairRecords(*(np.zeros(0, np.int64) for _ in range(4)))
    data = HeraldedData(empty, np.zeros((16, 100), np.int64), np.arange(16), 16, 1600.0, 10)
    with pytest.raises(ValueError, match="no two-photon periods"):
        analyze_heralded(data, np.linspace(2.3, 2.6, 16))


def _spectro(seed: int, duration: float, **kw):
    from g2live.emulator import Emulator, EmulatorConfig

    kw.setdefault("records", "t2")  # a T2 stream: the pixels and a sync event per pulse
    cfg = EmulatorConfig(mode="spectro", power=1.0, collection_efficiency=0.15, **kw)
    return cfg, Emulator(cfg, seed=seed).run(duration)


def test_stream_builds_the_same_records_and_singles_as_one_call() -> None:
    from g2live.analysis import HeraldedStream, heralded_data_from_tags

    _, d = _spectro(5, 0.3)
    pix, sync = np.arange(16), d.meta.sync_channel
    one = heralded_data_from_tags(d.channel, d.time_ps, sync, pix, 100_000.0)
    st = HeraldedStream(sync, pix, 100_000.0, shift_ps=one.shift_ps)
    for part in np.array_split(np.arange(len(d)), 37):  # chunk edges anywhere, even inside periods
        st.update(d.channel[part], d.time_ps[part])
    got = st.data
    assert got is not None and got.n_periods == one.n_periods
    np.testing.assert_array_equal(got.singles, one.singles)
    for k in ("pixel_first", "delay_first_ps", "pixel_second", "delay_second_ps"):
        np.testing.assert_array_equal(getattr(got.pairs, k), getattr(one.pairs, k))


def test_afterpulsing_measured_on_same_pixel_pairs() -> None:
    from g2live.analysis import heralded_data_from_tags
    from g2live.analysis.heralded._afterpulses import fit_afterpulsing

    _, d = _spectro(6, 1.0, qy_ratio=0.0, crosstalk_probability=0.0, dark_cps=0.0, background_cps=0.0)
    data = heralded_data_from_tags(d.channel, d.time_ps, d.meta.sync_channel, np.arange(16), 100_000.0)
    pr = data.pairs
    same = pr.pixel_first == pr.pixel_second
    dt = pr.delay_second_ps - pr.delay_first_ps
    ap = fit_afterpulsing(
        dt[same], pr.delay_first_ps[same], data.singles, 16, 100_000.0, 8000.0, n_periods=data.n_periods
    )
    assert abs(ap.probability - 0.005) < 4 * ap.probability_err
    assert abs(ap.tau_ps - 60_000) < 4 * ap.tau_err_ps
    assert abs(ap.dead_time_ps - 22_000) < 500


def test_accidentals_predicted_from_the_singles() -> None:
    """Without biexciton emission (qy_ratio = 0) every two-photon period on two pixels is accidental:
    the prediction from the singles (dark counts, background, afterpulses of earlier periods) holds
    the observed pairs' count and first-photon delays."""
    from g2live.analysis import accidentals, heralded_data_from_tags
    from g2live.analysis.heralded._accidentals import independent_levels
    from g2live.analysis.heralded._afterpulses import afterpulse_shapes, fit_afterpulsing

    _, d = _spectro(6, 1.0, qy_ratio=0.0, crosstalk_probability=0.0, dark_cps=2000.0, blinking="none")
    data = heralded_data_from_tags(d.channel, d.time_ps, d.meta.sync_channel, np.arange(16), 100_000.0)
    pr = data.pairs
    dt = pr.delay_second_ps - pr.delay_first_ps
    same = pr.pixel_first == pr.pixel_second
    s = data.singles.sum(axis=0)
    ap = fit_afterpulsing(
        dt[same], pr.delay_first_ps[same], data.singles, 16, 100_000.0, 8000.0, n_periods=data.n_periods
    )
    earlier, same_period = afterpulse_shapes(data.singles, ap, 16, 100_000.0, data.n_periods)
    start = int(np.argmax(s)) + int(4 * 8000 / 16)
    flat = independent_levels(data.singles - earlier - same_period, start, 8000 / 16)
    w = 32  # 512 ps
    acc = accidentals(data.singles, flat[:, None] + earlier, data.n_periods, w)
    used = ~same & (dt >= w * 16)
    n = int(used.sum())
    assert n > 500
    assert abs(acc.total - n) < 4 * np.sqrt(n) + 0.02 * n
    # the first photon's delay, in 8 coarse bins: chi2 against the prediction
    obs = np.histogram(pr.delay_first_ps[used], np.linspace(0, 100_000, 11))[0]
    pred = acc.first_delay.reshape(10, -1).sum(axis=1)
    chi2 = float(np.sum((obs - pred) ** 2 / np.maximum(pred, 1)))
    assert chi2 < 30, (obs, pred.round(1))


def test_crosstalk_is_counted_and_its_window_found() -> None:
    _, d = _spectro(7, 1.0, crosstalk_probability=0.01, tau_bx_ns=0.8)
    e = np.array(d.meta.extra["pixel_energy_ev"])
    r = heralded_from_photons(d.channel, d.time_ps, d.meta.sync_channel, e)
    made = d.meta.extra["stats"]["crosstalk"]
    assert r.crosstalk["detected"]
    assert 0.8 * made < r.crosstalk_excess < 1.05 * made  # a few are lost in a dead pixel or a 3rd photon
    assert 40 <= r.crosstalk["delay_ps"] <= 40 * 1.3  # the emulator's mean crosstalk delay: 40 ps
    assert 200 <= r.crosstalk_window_ps <= 2000


def test_timing_response_cdf_matches_sampling() -> None:
    """Exp(tau) seen through a Gaussian + exponential-tail response, per bin, against 10^6 draws."""
    from g2live.analysis.lifetime._jitter import Jitter, binned_decay

    rng = np.random.default_rng(1)
    n, tau = 1_000_000, 200.0
    tail = np.where(rng.random(n) < 0.1, rng.exponential(150, n), 0)
    x = rng.exponential(tau, n) + rng.normal(0, 34, n) + tail
    edges = np.linspace(-200, 3000, 161)
    h = np.histogram(x + 100, edges)[0]
    p = binned_decay(edges, tau, Jitter(34.0, 0.1, 150.0, 100.0)) * n
    assert np.sum((h - p) ** 2 / np.maximum(p, 1)) < 160 + 5 * np.sqrt(2 * 160)


@pytest.mark.parametrize("tau_bx", [0.4, 0.8])
def test_heralded_within_three_sigma_and_ten_percent(tau_bx: float) -> None:
    """The emulator's defaults (crosstalk, dark counts, background, afterpulses, jitter tail,
    blinking) brighter and shorter than the docs' 30 s runs: tau_BX, tau_X and the binding
    energy within 3 sigma and 10 % of the truth."""
    cfg, d = _spectro(11, 3.0, tau_bx_ns=tau_bx)
    t = d.meta.extra["truth"]
    r = heralded_from_photons(d.channel, d.time_ps, d.meta.sync_channel, np.array(t["pixel_energy_ev"]))
    for v, e, truth in (
        (r.tau_bx_ns, r.tau_bx_err_ns, tau_bx),
        (r.tau_x_ns, r.tau_x_err_ns, cfg.tau_x_ns),
        (r.binding_energy_mev, r.binding_energy_err_mev, t["binding_centroid_mev"]),
    ):
        assert abs(v - truth) < 3 * e and abs(v - truth) < 0.1 * truth, (v, e, truth)
    # the afterpulsing behind the accidentals is measured per pixel on the same-pixel pairs (once
    # taken from the pixels' summed singles, which hid it and made tau_X 3 % short)
    ap = r.afterpulsing
    assert ap is not None and abs(ap["probability"] - cfg.afterpulse_probability) < 4 * ap["probability_err"]
