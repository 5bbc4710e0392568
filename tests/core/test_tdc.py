# SPDX-License-Identifier: BSD-3-Clause
"""``g2live.tdc``: the TDC twin's Python layer and the delay-line model (no simulator needed).

The twin's bit-exactness against the RTL is checked by the cocotb benches (sim/tb/g2l_tdc_*); here:
argument checking, the model's unkind features, the quantiser's promises, and the register helpers.
"""

from __future__ import annotations

import numpy as np
import pytest
from g2live import contract as C
from g2live import tdc


def test_geometry_matches_the_rtl_defaults() -> None:
    g = tdc.TdcGeometry(4000)
    assert (g.n_carry4, g.n_taps, g.code_w, g.nom_bin_ps, g.latency) == (72, 576, 10, 14, 9)
    g8 = tdc.TdcGeometry(8000)
    assert (g8.n_carry4, g8.n_taps, g8.code_w, g8.latency) == (143, 1144, 11, 10)
    assert g8.rtl_parameters() == {"CLK_PERIOD_PS": 8000, "N_CHAINS": 2, "N_CARRY4": 143, "NOM_BIN_PS": 14}


def test_delay_line_is_unkind() -> None:
    cfg = tdc.DelayLineConfig(n_chains=2, n_carry4=72, seed=3)
    line = tdc.DelayLine(cfg)
    d = line.delays_ps.reshape(2, 72, 4)
    # inside a CARRY4 (after the first) CO3 is on average the first tap to switch, CO0 the last
    order = np.argsort(d[:, 1:, :], axis=2)
    assert np.mean(order[:, :, 0] == 3) > 0.5 and np.mean(order[:, :, -1] == 0) > 0.5
    # where the chain (from row 30) crosses a clock region (rows 50, 100) its step is much wider
    steps = np.diff(d[0, :, 3])
    wide = sorted(np.argsort(steps)[-2:].tolist())
    assert wide == [50 - cfg.start_row - 1, 100 - cfg.start_row - 1]
    assert steps[wide].min() > 2 * np.median(steps)
    # the whole line reaches more than two 4 ns periods; a code is ~15 ps wide; one bin is ultra-wide
    bins = line.bins_ps(4000)
    assert line.reach_ps() > 8000 and 12 < 4000 / bins.size < 20 and bins.max() > 5 * 4000 / bins.size
    # +5 % drift scales every delay
    assert line.offset_ps(1.05) == pytest.approx(1.05 * line.offset_ps(), abs=1)
    assert line.bins_ps(4000, 1.05).size < bins.size
    assert np.allclose(line.centres_ps(4000).size, bins.size)


def test_tap_file_and_plusargs(tmp_path) -> None:
    line = tdc.DelayLine(tdc.DelayLineConfig(n_carry4=8))
    p = line.write_taps(tmp_path / "taps.hex", 64)
    assert [int(x, 16) for x in p.read_text().split()] == line.delays_ps.tolist()
    with pytest.raises(ValueError, match="the RTL has 60 taps"):
        line.write_taps(tmp_path / "x.hex", 60)
    assert f"+G2L_TDC_TAPS={p}" in line.plusargs(p)


def test_ideal_quantiser_keeps_cycles_and_bins() -> None:
    q = tdc.IdealTdc(4000, 14, phase_ps=1234)
    t = np.arange(-20_000, 20_000, 7, dtype=np.int64)
    out = q.quantize(t)
    cyc_in = (t - 1234) // 4000
    assert np.array_equal((out - 1234) // 4000, cyc_in)  # never out of its clock cycle
    assert np.abs(out - t).max() <= 7  # within half a 14 ps bin (+1)
    assert np.all(np.diff(out) >= 0)  # monotonic: stream order survives
    assert np.array_equal(q.quantize(out), out)  # bin centres are fixed points
    f = (t - 1234) % 4000
    k = tdc.ideal_code(f, 4000, 14)
    assert np.array_equal(out - (t - f), tdc.nominal_fine(k, 4000, 14))
    with pytest.raises(ValueError, match="fine times"):
        tdc.ideal_code(np.array([4000]), 4000, 14)


def test_cal_table_and_twin() -> None:
    hist = np.zeros(64, np.uint32)
    hist[1:9] = 32
    table = tdc.cal_table(hist, 8, 4000)
    assert table[1] == 3750 and table[8] == 250
    with pytest.raises(ValueError, match="not 2\\*\\*9"):
        tdc.cal_table(hist, 9, 4000)
    g = tdc.TdcGeometry(4000, n_chains=1, n_carry4=15)  # 60 taps: 6-bit codes
    twin = tdc.CalibrationTwin(g, 8, collect_from=64)
    cyc = 100 + 3 * np.arange(300)
    fine = twin.run(cyc, np.tile(np.arange(1, 9), 38)[:300])
    assert twin.state["n_tables"] == 1 and fine[0] == tdc.nominal_fine(np.array([1]), 4000, g.nom_bin_ps)[0]
    assert np.array_equal(twin.table()[1:9], 4000 - (2 * np.arange(1, 9) - 1) * 250)
    with pytest.raises(ValueError, match="hit 1"):
        twin.run(np.array([5000, 5001]), np.array([1, 1]))


def test_encode_checks_its_input() -> None:
    with pytest.raises(ValueError, match="2-D"):
        tdc.encode(np.zeros(10), 1)
    codes, flags = tdc.encode(np.array([[0] * 24, [1] * 5 + [0] * 19], np.uint8), 2)
    assert codes.tolist() == [0, 5] and flags.tolist() == [0, tdc.HIT]


def test_register_helpers_speak_the_map() -> None:
    regs: dict[int, int] = {}

    def write(addr: int, value: int) -> None:
        regs[addr] = value

    tdc.configure_calibration(write, [0, 3], log2_hits=16)
    assert regs[C.REG_TDC_CAL_ENABLE] == 0b1001
    assert C.REGISTERS["TDC_CONTROL"].fields["cal_log2_hits"].get(regs[C.REG_TDC_CONTROL]) == 16
    assert regs[C.REG_TDC_COMMAND] == 1
    with pytest.raises(ValueError, match="8..20"):
        tdc.configure_calibration(write, [0], log2_hits=4)
    with pytest.raises(ValueError, match="0..31"):
        tdc.configure_calibration(write, [40])
    status = (C.REGISTERS["TDC_STATUS"].fields["cal_count"].put(7)
              | C.REGISTERS["TDC_STATUS"].fields["table_valid"].put(1))
    version = C.REGISTERS["VERSION"].reset  # this map's version: 1.4, the first with the TDC
    regs_ro = {C.REG_TDC_STATUS: status, C.REG_VERSION: version}
    st = tdc.read_status(lambda a: regs_ro.get(a, 5), write, 2)
    assert st["cal_count"] == 7 and st["table_valid"] == 1 and st["overlap_count"] == 5
    # a 1.3 core (sync prescaler, no TDC registers) and another major are refused before any access
    for older in (0x00010003, 0x00020004):
        with pytest.raises(ValueError, match="no TDC registers"):
            tdc.read_status(lambda a, v=older: v if a == C.REG_VERSION else 0, write, 2)
        with pytest.raises(ValueError, match="no TDC registers"):
            tdc.read_table(lambda a, v=older: v if a == C.REG_VERSION else 0, write, 2, 4)


def test_score_counts_coarse_errors_apart() -> None:
    true = np.arange(0, 100_000, 1000, dtype=np.int64)
    meas = true + 50 + (np.arange(true.size) % 3 - 1) * 10
    meas[7] += 4000  # one coarse-cycle error
    s = tdc.score(meas, true, 50, 4000)
    assert s["coarse_errors"] == 1 and s["n"] == true.size
    assert abs(s["mean_ps"]) < 1 and 8 < s["std_ps"] < 9
