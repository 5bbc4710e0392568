"""The emulated photons obey the model: g2(0) vs power, saturation, lifetimes, dead time, afterpulsing,
dark counts, blinking and heralded spectra. Fixed seeds; tolerances are 5 standard errors from counts."""

from __future__ import annotations

import numpy as np
import pytest
from emulator_helpers import emulate, g2_from_peaks, peak_areas
from g2live import core
from g2live.emulator import g2_zero_pulsed
from g2live.emulator.excitation import poisson_outcome
from g2live.emulator.truth import g2_cw_curve
from scipy import stats

Z = 5.0  # tolerance in standard errors


def test_g2_zero_equals_qy_ratio_at_low_power() -> None:
    # short lifetimes allow a 40 MHz laser: many pulses, so many rare two-photon events. The decay
    # (1 ns) must stay far inside the +-12.5 ns peak windows: with 2 ns, 0.2 % of the neighbouring
    # peaks' pairs would leak into the central window (+1.2 % on g2(0) at high power)
    r = 0.1
    data, em = emulate(1.0, seed=11, power=0.05, qy_ratio=r, qy_x=1.0, collection_efficiency=1.0,
                       detector_efficiency=1.0, rep_rate_hz=40e6, tau_x_ns=1.0, tau_bx_ns=0.2)
    period = em.config.period_ps
    g, err = g2_from_peaks(peak_areas(data.channel_times(0), data.channel_times(1), period))
    expect = data.meta.extra["truth"]["g2_0_hbt"]
    assert expect == pytest.approx(g2_zero_pulsed(0.05, r))
    assert abs(g - expect) < Z * err, (g, err, expect)
    assert abs(g - r) < Z * err  # the low-power limit is the QY ratio
    assert err < 0.05 * r  # and the test resolves it to better than 5 %


@pytest.mark.parametrize("power", [0.3, 1.0, 3.0])
def test_g2_zero_rises_with_power_as_poisson_predicts(power: float) -> None:
    r = 0.1
    duration = 0.3 if power < 1 else 0.1
    data, em = emulate(duration, seed=int(power * 10), power=power, qy_ratio=r, qy_x=1.0,
                       collection_efficiency=1.0, detector_efficiency=1.0, rep_rate_hz=40e6, tau_x_ns=1.0,
                       tau_bx_ns=0.2)
    g, err = g2_from_peaks(peak_areas(data.channel_times(0), data.channel_times(1), em.config.period_ps))
    expect = g2_zero_pulsed(power, r)
    o = poisson_outcome(power)
    assert expect == pytest.approx(2 * r * o.p_ge2 / (o.p_ge1 + r * o.p_ge2) ** 2)
    assert abs(g - expect) < Z * err, (g, err, expect)
    if power >= 1.0:  # the rise above the low-power value is resolved
        assert g - r > Z * err


def test_g2_zero_with_dark_counts_background_and_blinking() -> None:
    # uncorrelated counts fill the central peak; blinking scales signal-signal and signal-noise pairs
    # differently (<q^2> vs <q>): truth["g2_0_hbt"] accounts for both
    data, em = emulate(1.0, seed=13, power=0.3, qy_ratio=0.05, qy_x=1.0, collection_efficiency=0.6,
                       detector_efficiency=1.0, rep_rate_hz=40e6, tau_x_ns=1.0, tau_bx_ns=0.2,
                       dark_cps=1e5, background_cps=2e5, blinking="exponential", on_mean_ms=1.0,
                       off_mean_ms=1.0, off_qy_factor=0.1)
    g, err = g2_from_peaks(peak_areas(data.channel_times(0), data.channel_times(1), em.config.period_ps))
    truth = data.meta.extra["truth"]
    expect = truth["g2_0_hbt"]
    assert expect > 1.5 * truth["g2_0_emitter"]  # the noise matters here
    assert abs(g - expect) < Z * err, (g, err, expect)


@pytest.mark.parametrize("qy_ratio", [0.0, 0.3])
def test_saturation_follows_poisson(qy_ratio: float) -> None:
    duration = 0.05
    for i, power in enumerate([0.1, 0.3, 1.0, 3.0, 10.0]):
        data, em = emulate(duration, seed=100 + i, power=power, qy_ratio=qy_ratio)
        n = len(data)
        o = poisson_outcome(power)
        cfg = em.config
        expect = (duration / cfg.period_ps * 1e12) * cfg.qy_x * cfg.collection_efficiency * \
            cfg.detector_efficiency * (o.p_ge1 + qy_ratio * o.p_ge2)
        assert sum(data.meta.extra["truth"]["signal_cps"]) * duration == pytest.approx(expect)
        if qy_ratio == 0.0:  # pure exciton: 1 - exp(-P / P_sat)
            assert expect == pytest.approx(expect / o.p_ge1 * (1 - np.exp(-power)))
        assert abs(n - expect) < Z * np.sqrt(expect), (power, n, expect)


def _delays_after_sync(data) -> tuple[np.ndarray, np.ndarray]:
    """Per photon: delay after its sync and the index of that sync: the T3 records themselves (the
    sync sits guard_ps before its pulse, so jitter never puts a photon before its own sync)."""
    assert data.is_t3
    return data.microtime_ps, data.sync_index


def test_exciton_lifetime_from_decay() -> None:
    tau = 8.0
    data, em = emulate(0.5, seed=21, power=0.05, tau_x_ns=tau, collection_efficiency=1.0, sync=True,
                       jitter_fwhm_ps=80.0, jitter_tail_fraction=0.1, jitter_tail_ps=150.0)
    d, _ = _delays_after_sync(data)
    t0 = 3000  # ps: far beyond the jitter and the biexciton; the tail is then exactly Exp(tau_x)
    ex = (d[d > t0] - t0) * 1e-3
    assert ex.size > 50_000
    assert abs(ex.mean() - tau) < Z * tau / np.sqrt(ex.size), ex.mean()


def test_first_photon_of_two_photon_pulses_decays_with_biexciton_lifetime() -> None:
    tau_bx, tau_x = 0.5, 8.0
    data, em = emulate(0.5, seed=22, power=0.5, qy_ratio=0.3, tau_x_ns=tau_x, tau_bx_ns=tau_bx,
                       collection_efficiency=1.0, detector_efficiency=1.0, sync=True, dead_time_ns=22.0)
    d, k = _delays_after_sync(data)
    first = np.ones(k.size, dtype=bool)
    first[1:] = k[1:] != k[:-1]
    start = np.flatnonzero(first)
    size = np.diff(np.append(start, k.size))
    d1 = d[start[size >= 2]]  # first photon of pulses with two detected photons
    t0 = 1000
    ex = (d1[d1 > t0] - t0) * 1e-3
    assert ex.size > 5_000
    assert abs(ex.mean() - tau_bx) < Z * tau_bx / np.sqrt(ex.size), ex.mean()
    # single-photon pulses are dominated by the exciton: much slower
    d_single = d[start[size == 1]]
    assert (d_single[d_single > t0] - t0).mean() * 1e-3 > 0.8 * tau_x


def test_dead_time_hole_and_afterpulse_bump() -> None:
    dead_ns, p_ap, tau_ap_ns = 22.0, 0.05, 60.0
    T = 2.0
    data, em = emulate(T, seed=31, power=0.0, background_cps=2e5, detector_efficiency=1.0,
                       dead_time_ns=dead_ns, afterpulse_probability=p_ap, afterpulse_tau_ns=tau_ap_ns,
                       jitter_fwhm_ps=0.0, jitter_tail_fraction=0.0)
    a = data.channel_times(0)
    b = data.channel_times(1)
    bw, nb = 1000, 4000  # 1 ns bins, -2 us .. 2 us
    auto = core.correlate(a, a, bw, nb)
    lags = (np.arange(nb) - nb // 2) * bw
    dead = int(dead_ns * 1e3)
    hole = (lags > -dead) & (lags + bw <= dead)
    assert auto[hole].sum() == 0  # no two tags of one detector closer than the dead time
    assert auto[(lags >= dead) & (lags < dead + 5 * bw)].min() > 0
    # the other detector is independent: no hole in the cross-correlation
    cross = core.correlate(a, b, bw, nb)
    floor_x = cross[np.abs(lags) > 1_000_000].mean()
    assert abs(cross[hole].mean() - floor_x) < Z * np.sqrt(floor_x / hole.sum())
    # afterpulses: excess over the flat floor at positive lags = n * p_ap * P(delay in window)
    floor = auto[(lags >= 1_500_000)].mean()
    win = (lags >= dead) & (lags < 600_000)
    excess = auto[win].sum() - floor * win.sum()
    expect = a.size * p_ap * (np.exp(-dead_ns / tau_ap_ns) - np.exp(-600 / tau_ap_ns))
    sigma = np.sqrt(auto[win].sum() + (win.sum() ** 2) * floor / (lags >= 1_500_000).sum())
    assert abs(excess - expect) < Z * sigma, (excess, expect, sigma)
    # and it decays with the trap time: compare the first and second 60 ns after the dead time
    w1 = (lags >= dead) & (lags < dead + 60_000)
    w2 = (lags >= dead + 60_000) & (lags < dead + 120_000)
    e1 = auto[w1].sum() - floor * w1.sum()
    e2 = auto[w2].sum() - floor * w2.sum()
    ratio = e1 / e2
    ratio_err = ratio * np.sqrt(auto[w1].sum() / e1**2 + auto[w2].sum() / e2**2)
    assert abs(ratio - np.e) < Z * ratio_err, (ratio, ratio_err)
    st = em.stats
    assert st["afterpulses"] > 0 and sum(st["dead_time_lost"]) > 0


def test_crosstalk_between_neighbouring_pixels() -> None:
    p_xt, delay_ps, T = 0.01, 40.0, 1.0
    data, em = emulate(T, seed=33, mode="spectro", n_pixels=4, power=0.0, background_cps=4e5,
                       detector_efficiency=1.0, crosstalk_probability=p_xt, crosstalk_delay_ps=delay_ps,
                       jitter_fwhm_ps=0.0, jitter_tail_fraction=0.0)
    a, b, c = (data.channel_times(i) for i in (1, 2, 3))
    bw, nb = 100, 20001  # 100 ps bins, +-1 us
    lags = (np.arange(nb) - nb // 2) * bw
    for src, dst, neighbour in ((a, b, True), (a, c, False)):
        h = core.correlate(src, dst, bw, nb)
        floor = h[np.abs(lags) > 100_000].mean()
        win = (lags >= 0) & (lags < 1000)  # crosstalk delays ~ Exp(40 ps)
        excess = h[win].sum() - floor * win.sum()
        sigma = np.sqrt(h[win].sum() + win.sum() ** 2 * floor / np.count_nonzero(np.abs(lags) > 100_000))
        # one step to the neighbour; two steps (via the pixel between) to the next-nearest pixel
        expect = src.size * p_xt if neighbour else src.size * p_xt**2
        assert abs(excess - expect) < Z * sigma, (neighbour, excess, expect, sigma)
    assert em.stats["crosstalk"] > 0


def test_dark_counts_raise_the_floor_by_the_expected_amount() -> None:
    T = 1.0
    kw = dict(power=1.0, tau_x_ns=2.0, tau_bx_ns=0.3, collection_efficiency=0.2)
    for dark in (0.0, 30_000.0):
        data, em = emulate(T, seed=41, dark_cps=dark, **kw)
        period = em.config.period_ps
        a, b = data.channel_times(0), data.channel_times(1)
        bw = 1000
        nb = 2 * period // bw
        hist = core.correlate(a, b, bw, nb)
        lags = (np.arange(nb) - nb // 2) * bw
        phase = np.mod(lags, period)
        floor_bins = (phase >= 35_000) & (phase < 65_000)  # >= 35 ns = 17 tau_x away from every peak
        counts = hist[floor_bins].sum()
        truth = data.meta.extra["truth"]
        s = np.array(truth["signal_cps"])
        d = np.array(truth["noise_cps"])
        assert d == pytest.approx([dark, dark])
        expect = T * floor_bins.sum() * bw * 1e-12 * (d[0] * (s[1] + d[1]) + s[0] * d[1])
        if dark == 0:
            assert counts == 0
        else:
            assert expect > 1000
            assert abs(counts - expect) < Z * np.sqrt(expect), (counts, expect)


@pytest.mark.parametrize("grey", [0.0, 0.5])
def test_on_fraction_of_the_trace(grey: float) -> None:
    T = 8.0
    on_ms, off_ms, grey_ms = 2.0, 1.0, 1.0
    data, em = emulate(T, seed=51, blinking="exponential", on_mean_ms=on_ms, off_mean_ms=off_ms,
                       grey_mean_ms=grey_ms, grey_probability=grey, off_qy_factor=0.05, grey_qy_factor=0.4,
                       power=1.0, collection_efficiency=0.2, detector_efficiency=1.0, qy_x=1.0)
    truth = data.meta.extra["truth"]
    bin_ps = 100_000_000  # 0.1 ms
    counts = np.bincount((data.time_ps // bin_ps).astype(np.int64), minlength=int(T * 1e12 / bin_ps))
    on_level = np.median(counts[counts > np.percentile(counts, 80) * 0.7])
    assert on_level > 60  # Poisson noise cannot blur ON, grey and OFF into each other
    levels = np.array([1.0, 0.4, 0.05]) * on_level
    # classify each bin by the nearest level (midpoints between the levels)
    state = np.where(counts > 0.5 * (levels[0] + levels[1]), 0,
                     np.where(counts > 0.5 * (levels[1] + levels[2]), 2, 1))
    frac = np.bincount(state, minlength=3) / state.size
    want = truth["state_fractions"]
    f_on = want["on"]
    # alternating renewal: var(time fraction) ~ 2 f (1 - f) tau_c / T with tau_c <= the longest mean dwell
    sigma = np.sqrt(2 * f_on * (1 - f_on) * on_ms * 1e-3 / T)
    assert abs(frac[0] - f_on) < Z * sigma, (frac, want)
    if grey:
        assert abs(frac[2] - want["grey"]) < Z * sigma
    assert f_on == pytest.approx(on_ms / (on_ms + (1 - grey) * off_ms + grey * grey_ms))


def test_heralded_spectrum_is_shifted_by_the_binding_energy() -> None:
    eb = 30.0
    data, em = emulate(0.1, seed=61, mode="spectro", n_pixels=32, pixel_width_mev=12.0,
                       spectro_center_ev=2.43,
                       power=1.0, qy_ratio=0.3, collection_efficiency=1.0, detector_efficiency=1.0,
                       binding_bx_mev=eb, jitter_fwhm_ps=0.0, jitter_tail_fraction=0.0, sync=True)
    cfg = em.config
    truth = data.meta.extra["truth"]
    energy = np.asarray(truth["pixel_energy_ev"])
    assert data.is_t3 and cfg.sync_ch == cfg.n_pixels == 32
    ch, k = data.channel, data.sync_index  # photons of one pulse share their sync period
    first = np.ones(k.size, dtype=bool)
    first[1:] = k[1:] != k[:-1]
    start = np.flatnonzero(first)
    size = np.diff(np.append(start, k.size))
    pairs = start[size == 2]
    e1, e2 = energy[ch[pairs]], energy[ch[pairs + 1]]
    diff = (e2 - e1) * 1e3
    assert diff.size > 10_000
    assert abs(diff.mean() - eb) < Z * diff.std() / np.sqrt(diff.size), diff.mean()
    # the heralded (first) photons follow the biexciton line, the second ones the exciton line
    for e_pix, w in ((ch[pairs], truth["pixel_weight_bx"]), (ch[pairs + 1], truth["pixel_weight_x"])):
        obs = np.bincount(e_pix, minlength=cfg.n_pixels)
        p = np.asarray(w) / np.sum(w)
        exp = p * obs.sum()
        use = exp > 5
        chi2 = (((obs - exp) ** 2 / exp)[use]).sum()
        assert stats.chi2.sf(chi2, use.sum() - 1) > 1e-4, chi2


def test_cw_rate_and_g2_curve() -> None:
    T = 0.1
    power, r, tau_x, tau_bx = 0.5, 0.1, 8.0, 0.5
    data, em = emulate(T, seed=71, excitation="cw", power=power, qy_ratio=r, tau_x_ns=tau_x, tau_bx_ns=tau_bx,
                       collection_efficiency=0.1, jitter_fwhm_ps=0.0, jitter_tail_fraction=0.0)
    truth = data.meta.extra["truth"]
    expect = sum(truth["signal_cps"]) * T
    assert abs(len(data) - expect) < Z * np.sqrt(expect)  # counts are sub-Poissonian: conservative
    a, b = data.channel_times(0), data.channel_times(1)
    bw, nb = 1000, 201  # 1 ns bins, +-100 ns
    hist = core.correlate(a, b, bw, nb)
    centres = (np.arange(nb) - nb // 2) * bw
    fine = centres[:, None] + (np.arange(20) + 0.5) / 20 * bw  # bin averages of the model curve
    g2 = g2_cw_curve(fine, power, tau_x, tau_bx, r).mean(axis=1)
    expect_hist = a.size * b.size / (T * 1e12) * bw * g2
    assert g2_cw_curve(np.array([0.0]), power, tau_x, tau_bx, r)[0] == pytest.approx(truth["g2_0_emitter"])
    g2_0 = r * (1 + power + power**2 * tau_bx / tau_x) / (1 + power * r) ** 2
    assert truth["g2_0_emitter"] == pytest.approx(g2_0)
    # the antibunching dip, bin by bin, and in total
    near = np.abs(centres) < 20_000
    chi2 = (((hist - expect_hist) ** 2 / expect_hist)[near]).sum()
    assert stats.chi2.sf(chi2, near.sum()) > 1e-4, chi2
    assert abs(hist[near].sum() - expect_hist[near].sum()) < Z * np.sqrt(expect_hist[near].sum())
    assert hist[nb // 2] < 0.5 * expect_hist[0]  # strongly antibunched
