"""Gated correlation: marker windows, ON-state gate from the blinking analysis, and ON-state
g2(0) of an emulated blinking dot against the emulator's ON-state truth."""

from __future__ import annotations

import numpy as np
import pytest
from g2live.analysis.blinking import analyze_blinking
from g2live.analysis.correlation import (
    correlation_histogram,
    gate_mask,
    gated_histogram,
    marker_windows,
    on_windows,
    pulsed_g2,
)
from g2live.core import MARKER_DTYPE, correlate
from g2live.emulator import Emulator, EmulatorConfig

# A dot that is ON 10 % of the time (10 ms ON, 90 ms OFF) over strong background: the OFF periods
# hold mostly background, so g2(0) over all states is well above the ON-state g2(0).
DOT = EmulatorConfig(collection_efficiency=0.2, background_cps=20000, sync=False, off_qy_factor=0.02,
                     on_mean_ms=10, off_mean_ms=90)


def test_gate_mask_edges_and_marker_windows():
    t = np.array([0, 9, 10, 15, 19, 20, 30, 40])
    assert gate_mask(t, [10, 30], [20, 31]).tolist() == [False, False, True, True, True, False, True, False]
    m = np.zeros(6, MARKER_DTYPE)
    m["marker"] = [1, 1, 2, 2, 1, 1]  # start, repeated start, stop, stray stop, start, start left open
    m["time_ps"] = [10, 12, 20, 25, 30, 35]
    s, e = marker_windows(m, 1, 2)
    assert s.tolist() == [10] and e.tolist() == [20]
    with pytest.raises(ValueError, match="overlap"):
        gate_mask(t, [0, 5], [10, 20])


def test_gated_histogram_counts_pairs_with_both_tags_inside():
    rng = np.random.default_rng(3)
    a, b = np.sort(rng.integers(0, 10**7, 4000)), np.sort(rng.integers(0, 10**7, 4000))
    s = np.arange(0, 10**7, 10**6)
    e = s + 400_000
    h = gated_histogram(a, b, s, e, 1000, 101, 0)
    # plain reference: every pair (i, j) with both tags in some window
    ina, inb = gate_mask(a, s, e), gate_mask(b, s, e)
    np.testing.assert_array_equal(h.counts, correlate(a[ina], b[inb], 1000, 101, 0))
    d = b[inb][None, :] - a[ina][:, None]
    lo = -50 * 1000
    ref = np.bincount(((d[(d >= lo) & (d < lo + 101_000)] - lo) // 1000), minlength=101)
    np.testing.assert_array_equal(h.counts, ref)


def on_state_g2(duration_s: float, seed: int) -> dict[str, float]:
    emu = Emulator(DOT, seed=seed)
    d = emu.run(duration_s)
    truth = emu.truth()
    det = d.channel < 2
    blinking = analyze_blinking(d.time_ps[det], 1_000_000_000)  # 1 ms trace bins
    a, b = d.time_ps[d.channel == 0], d.time_ps[d.channel == 1]
    period = DOT.period_ps
    n_bins = 2 * 5 * period // 1000 + 1
    all_states = pulsed_g2(correlation_histogram(a, b, 1000, n_bins, 0), period_ps=period, zero_ps=0.0)
    s, e = on_windows(blinking)
    on = pulsed_g2(gated_histogram(a, b, s, e, 1000, n_bins, 0), period_ps=period, zero_ps=0.0)
    return {"truth_on": truth["g2_0_hbt_on"], "truth_all": truth["g2_0_hbt"], "on": on.g2_0,
            "on_err": on.g2_0_err, "all": all_states.g2_0, "all_err": all_states.g2_0_err,
            "on_fraction": blinking.on_fraction}


def test_on_state_g2_equals_the_emulators_on_state_truth():
    r = on_state_g2(30.0, 7)
    assert r["truth_all"] - r["truth_on"] > 0.08  # the two truths are far apart on this dot
    assert abs(r["on"] - r["truth_on"]) < 3 * r["on_err"]
    assert abs(r["all"] - r["truth_all"]) < 3 * r["all_err"]
    assert r["all"] - r["on"] > 2 * np.hypot(r["on_err"], r["all_err"])  # gating changes the answer
    assert 0.07 < r["on_fraction"] < 0.13


def test_analyze_on_state_step():
    """``analyze --on-state``: the report's g2_0_on from the ON segments equals the ON-state truth."""
    from g2live.analysis import analyze_photons
    from g2live.analysis.report import STEPS

    emu = Emulator(DOT, seed=8)
    d = emu.run(30.0)
    r = analyze_photons(d, steps=(*STEPS, "g2_on"), rep_rate_hz=DOT.rep_rate_hz, trace_bin_s=1e-3)
    truth = emu.truth()
    assert r["excitation"] == "pulsed" and r["on_gate"]["n_windows"] > 100
    assert abs(r["g2_0_on"] - truth["g2_0_hbt_on"]) < 3 * r["g2_0_on_err"]
    assert abs(r["g2_0"] - truth["g2_0_hbt"]) < 3 * r["g2_0_err"]
    assert analyze_photons(d, rep_rate_hz=DOT.rep_rate_hz)["g2_0_on"] is None  # only when asked for


@pytest.mark.bench
def test_bench_on_state_g2_long_run():
    r = on_state_g2(80.0, 7)
    print(f"\nON-state g2(0) {r['on']:.4f} +- {r['on_err']:.4f} (truth {r['truth_on']:.4f}); "
          f"all states {r['all']:.4f} +- {r['all_err']:.4f} (truth {r['truth_all']:.4f}); "
          f"ON fraction {r['on_fraction']:.3f}")
    assert abs(r["on"] - r["truth_on"]) < 3 * r["on_err"]
