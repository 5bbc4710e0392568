# SPDX-License-Identifier: BSD-3-Clause
"""``g2live.rtl_model.RtlModel``: the Verilated g2l_top behind the C harness (sim/harness/).

Uses the default-parameter build that the ``verilator`` device back-end uses too (cached under
build/rtl_model/), so it costs one Verilator build per source change for the whole suite.
"""

from __future__ import annotations

import numpy as np
import pytest
from g2live import contract as C
from g2live import core

pytestmark = pytest.mark.rtl


@pytest.fixture(scope="module")
def model():
    from g2live.rtl_model import RtlError, RtlModel, verilator_root

    try:
        verilator_root()
    except RtlError as exc:
        pytest.skip(str(exc))
    m = RtlModel()
    yield m
    m.close()


def clear_and_settle(m) -> int:
    """COMMAND.clear, then poll STATUS.clearing until the histogram-bank sweep (2**n_bins_log2
    clocks) is over, as the drivers do; returns the time of the first free cycle."""
    m.write_reg(C.REG_COMMAND, 1)
    clearing = C.REGISTERS["STATUS"].fields["clearing"]
    t_clear = m.time_ps
    assert clearing.get(m.read_reg(C.REG_STATUS)), "STATUS.clearing right after COMMAND.clear"
    while clearing.get(m.read_reg(C.REG_STATUS)):
        assert m.time_ps - t_clear < 2 * (1 << m.n_bins_log2) * m.clk_period_ps, "STATUS.clearing stuck"
        m.run(16)
    assert m.time_ps - t_clear >= (1 << m.n_bins_log2) * m.clk_period_ps, "clearing ended before the sweep"
    return m.time_ps + 10 * m.clk_period_ps


def enable_all(m) -> None:
    """CHANNEL_ENABLE resets to 0 (map 1.3): switch every input on."""
    m.write_reg(C.REG_CHANNEL_ENABLE, (1 << m.n_channels) - 1)


def start(m, control: int = 0b11) -> int:
    """Reset, enable every input, run with `control`, clear and settle."""
    m.reset()
    enable_all(m)
    m.write_reg(C.REG_CONTROL, control)
    return clear_and_settle(m)


def random_stream(rng: np.random.Generator, n_channels: int, t0: int, n: int, gap_ps: int,
                  period: int) -> tuple[np.ndarray, np.ndarray]:
    chs, ts = [], []
    for c in range(n_channels):
        t = t0 + np.cumsum(rng.integers(2 * period, gap_ps, n))
        chs.append(np.full(n, c, np.uint8))
        ts.append(t)
    ch, t = np.concatenate(chs), np.concatenate(ts)
    o = np.lexsort((ch, t))
    return ch[o], t[o]


def test_identity_and_errors(model) -> None:
    from g2live.rtl_model import RtlError

    assert model.read_reg(C.REG_ID) == C.REG_ID_VALUE
    assert model.n_channels >= 2 and model.clk_period_ps > 0
    with pytest.raises(RtlError, match="SLVERR"):
        model.write_reg(C.REG_ID, 0)
    with pytest.raises(RtlError, match="SLVERR"):
        model.read_reg(0xFFC)
    t0 = start(model)
    with pytest.raises(ValueError, match="channel 1 fires in cycle"):
        model.push_events([1, 1], [t0, t0 + model.clk_period_ps])
    with pytest.raises(ValueError, match="negative"):
        model.push_events([0], [-5])


def test_raw_words_match_the_twin(model) -> None:
    rng = np.random.default_rng(8)
    n = model.n_channels
    delay = [int(x) for x in rng.integers(-20_000, 20_000, n)]
    dead = [int(x) for x in rng.integers(0, 30_000, n)]
    model.reset()
    assert model.read_reg(C.REG_CHANNEL_ENABLE) == 0, "inputs are off after reset"
    enable_all(model)
    for c in range(n):
        model.write_reg(C.REGISTERS["DELAY_PS"].addr(c), delay[c])
        model.write_reg(C.REGISTERS["DEAD_TIME_PS"].addr(c), dead[c])
    model.write_reg(C.REG_CONTROL, 0b11)
    t0 = clear_and_settle(model)
    ch, t = random_stream(rng, n, t0, 300, 30 * model.clk_period_ps, model.clk_period_ps)
    model.push_events(ch, t)
    model.run_until_ps(int(t[-1]) + 300 * model.clk_period_ps)
    got = model.drain()
    ech, et, edead = core.frontend(ch, model.ideal_tdc().quantize(t), dead, delay)
    np.testing.assert_array_equal(got, core.encode(ech, et))
    assert model.stats()["edges_late"] == 0
    dead_regs = [model.read_reg(C.REGISTERS["DEAD_COUNT"].addr(c)) for c in range(n)]
    assert dead_regs == [int(x) for x in edead[:n]] and sum(dead_regs) > 0


def test_backpressure_losses_are_exact(model) -> None:
    rng = np.random.default_rng(9)
    n = model.n_channels
    t0 = start(model)
    model.set_ready_pattern(on=1, period=5)  # output ready one clock in five
    ch, t = random_stream(rng, n, t0, 400, 6 * model.clk_period_ps, model.clk_period_ps)
    model.push_events(ch, t)
    model.run_until_ps(int(t[-1]) + 100 * model.clk_period_ps)
    model.set_ready_pattern()
    model.run(5000)
    dch, dt, st = core.decode(model.drain())
    assert st.malformed == 0 and st.out_of_order == 0
    missing = np.bincount(ch, minlength=n) - np.bincount(dch, minlength=n)
    assert missing.sum() > 0, "the stimulus must overflow the raw FIFO"
    np.testing.assert_array_equal(st.lost_total[:n], missing)
    regs = [model.read_reg(C.REGISTERS["LOST_COUNT"].addr(c)) for c in range(n)]
    np.testing.assert_array_equal(regs, missing)
    assert model.stats()["stall_cycles"] > 0


def test_tdc_calibration_through_the_registers(model) -> None:
    """Online calibration of channel 0 via TDC_* registers: the table built from the first 2**8
    edges equals the C twin's, TDC_STATUS reports it, and later edges come out through it."""
    from g2live import tdc

    p, nom = model.clk_period_ps, model.tdc_nom_bin_ps
    sizes = model.read_reg(C.REG_TDC_SIZES)
    n_taps = C.REGISTERS["TDC_SIZES"].fields["n_taps"].get(sizes)
    n_codes = 1 << (n_taps + 1 - 1).bit_length()
    t0 = start(model)
    assert tdc.read_status(model.read_reg, model.write_reg, 0)["table_valid"] == 0
    tdc.configure_calibration(model.write_reg, [0], log2_hits=8)
    model.run(n_codes + 16)  # the histogram is cleared after the restart
    rng = np.random.default_rng(12)
    # from now on: register accesses take clocks too, and an edge in the past would be dropped
    t = max(t0 + n_codes * p, model.time_ps + 4 * p) + np.cumsum(rng.integers(3 * p, 11 * p, 256))
    model.push_events(np.zeros(t.size, np.uint8), t)
    model.run_until_ps(int(t[-1]) + (n_codes + 100) * p)
    first = core.decode(model.drain())[1]
    np.testing.assert_array_equal(first, model.ideal_tdc().quantize(t), "nominal table until the swap")
    st = tdc.read_status(model.read_reg, model.write_reg, 0)
    assert st["cal_count"] == 1 and st["table_valid"] == 1 and st["overlap_count"] == 0, st
    codes = tdc.ideal_code(t % p, p, nom)
    want = tdc.cal_table(np.bincount(codes, minlength=n_codes), 8, p)
    hi = int(codes.max()) + 2
    np.testing.assert_array_equal(tdc.read_table(model.read_reg, model.write_reg, 0, hi), want[:hi])
    # the next edges are measured with the built table
    t2 = max(int(t[-1]) + (n_codes + 200) * p, model.time_ps + 4 * p) \
        + np.cumsum(rng.integers(3 * p, 11 * p, 40))
    model.push_events(np.zeros(t2.size, np.uint8), t2)
    model.run_until_ps(int(t2[-1]) + 300 * p)
    got = core.decode(model.drain())[1]
    np.testing.assert_array_equal(got, t2 - t2 % p + want[tdc.ideal_code(t2 % p, p, nom)])
    tdc.configure_calibration(model.write_reg, [], log2_hits=16)  # back to the reset state


def test_sync_prescaler_takes_an_edge_per_clock(model) -> None:
    """An 80 MHz sync at the model's clock: with SYNC_DIVIDER the sync input takes edges in
    consecutive cycles and passes every 4th from the clear; without it they are refused."""
    rng = np.random.default_rng(10)
    sync = C.REGISTERS["SIZES"].fields["sync_input"].get(model.read_reg(C.REG_SIZES))
    p = model.clk_period_ps
    t0 = start(model)
    laser = int(p * 1.5625)  # 12.5 ns at 8 ns, 6.25 ns at 4 ns: consecutive cycles happen
    st = t0 + np.arange(400) * laser + rng.integers(0, 20, 400)
    with pytest.raises(ValueError, match="only the sync input with SYNC_DIVIDER > 1"):
        model.push_events(np.full(st.size, sync), st)
    model.reset()
    enable_all(model)
    model.write_reg(C.REG_SYNC_DIVIDER, 2)
    model.write_reg(C.REG_CONTROL, 0b11)
    t0 = clear_and_settle(model)
    st = t0 + np.arange(400) * laser + rng.integers(0, 20, 400)
    det = np.sort(rng.choice(np.arange(st[0], st[-1], 3 * p), 40, replace=False))
    ch = np.r_[np.full(st.size, sync), np.zeros(det.size)].astype(np.uint8)
    t = np.r_[st, det]
    o = np.lexsort((ch, t))
    model.push_events(ch[o], t[o])
    model.run_until_ps(int(t.max()) + 300 * p)
    dch, dt, stats = core.decode(model.drain())
    kept = model.ideal_tdc().quantize(np.r_[st[::4], det])  # the TDC's nominal bins
    kch = np.r_[np.full(st[::4].size, sync), np.zeros(det.size)].astype(np.uint8)
    ko = np.lexsort((kch, kept))
    np.testing.assert_array_equal(dch, kch[ko])
    np.testing.assert_array_equal(dt, kept[ko])
    assert model.stats()["edges_late"] == 0
    model.write_reg(C.REG_SYNC_DIVIDER, 0)


def random_markers(rng: np.random.Generator, n_markers: int, t0: int, n: int, period: int) -> np.ndarray:
    """Marker edges (channels MARKER_CHANNEL + m) at least two cycles apart per input."""
    from g2live.markers import marker_array

    ms, ts = [], []
    for m in range(n_markers):
        ms.append(np.full(n, m))
        ts.append(t0 + np.cumsum(rng.integers(2 * period, 40 * period, n)))
    return marker_array(np.concatenate(ms), np.concatenate(ts))


def test_markers_match_the_twin(model) -> None:
    """Marker edges on in_marker: MARKER words at the coarse time, merged in (time, channel) order
    with the channels' tags; a disabled input emits nothing."""
    from g2live.markers import coarse_time, marker_array, merge_markers

    rng = np.random.default_rng(11)
    assert model.n_markers >= 2
    model.reset()
    assert model.read_reg(C.REG_MARKER_ENABLE) == 0, "markers are off after reset"
    enable_all(model)
    model.write_reg(C.REG_MARKER_ENABLE, (1 << model.n_markers) - 2)  # input 0 off
    model.write_reg(C.REG_CONTROL, 0b11)
    t0 = clear_and_settle(model)
    p = model.clk_period_ps
    ch, t = random_stream(rng, model.n_channels, t0, 200, 30 * p, p)
    mk = random_markers(rng, model.n_markers, t0, 60, p)
    mk["time_ps"] += rng.integers(0, p, mk.size)  # anywhere in the cycle: stamped at its start
    pch, pt = merge_markers(ch, t, mk)
    model.push_events(pch, pt)
    model.run_until_ps(int(pt[-1]) + 300 * p)
    got = model.drain()
    on = mk[mk["marker"] != 0]
    zero = [0] * model.n_channels
    ech, et, _ = core.frontend(ch, model.ideal_tdc().quantize(t), zero, zero)
    wch, wt = merge_markers(ech, et, marker_array(on["marker"], coarse_time(on["time_ps"], p)))
    np.testing.assert_array_equal(got, core.encode(wch, wt, markers=True))
    dch, _, st = core.decode(got)
    assert st.markers.size == on.size and st.malformed == 0 and st.out_of_order == 0
    np.testing.assert_array_equal(st.markers["time_ps"], coarse_time(on["time_ps"], p))
    assert model.stats()["edges_late"] == 0


def test_marker_losses_are_counted(model) -> None:
    """Under output back-pressure lost markers come back as LOST words of channel 32 + m: every
    marker edge is either delivered or counted."""
    rng = np.random.default_rng(12)
    model.reset()
    enable_all(model)
    model.write_reg(C.REG_MARKER_ENABLE, (1 << model.n_markers) - 1)
    model.write_reg(C.REG_CONTROL, 0b11)
    t0 = clear_and_settle(model)
    p = model.clk_period_ps
    model.set_ready_pattern(on=1, period=5)
    ch, t = random_stream(rng, model.n_channels, t0, 400, 6 * p, p)
    mk = random_markers(rng, model.n_markers, t0, 150, p)
    from g2live.markers import merge_markers

    pch, pt = merge_markers(ch, t, mk)
    model.push_events(pch, pt)
    model.run_until_ps(int(pt[-1]) + 100 * p)
    model.set_ready_pattern()
    model.run(5000)
    dch, _, st = core.decode(model.drain())
    assert st.malformed == 0 and st.out_of_order == 0
    sent = np.bincount(mk["marker"], minlength=model.n_markers)
    got = np.bincount(st.markers["marker"], minlength=model.n_markers)
    lost = st.lost_total[C.MARKER_CHANNEL:C.MARKER_CHANNEL + model.n_markers]
    assert lost.sum() > 0, "the stimulus must overflow the raw FIFO"
    np.testing.assert_array_equal(got + lost, sent)
    n = model.n_channels
    missing = np.bincount(ch, minlength=n) - np.bincount(dch, minlength=n)
    np.testing.assert_array_equal(st.lost_total[:n], missing)


def test_markers_stream_without_raw_tags(model) -> None:
    """CONTROL.raw_enable = 0: no TAG words, but the marker inputs still give their MARKER words
    (the host gates with them); MARKER_SIZES says how many inputs and their latency."""
    from g2live.markers import coarse_time, merge_markers

    sizes = model.read_reg(C.REG_MARKER_SIZES)
    f = C.REGISTERS["MARKER_SIZES"].fields
    assert f["n_markers"].get(sizes) == model.n_markers and f["latency"].get(sizes) == 3
    rng = np.random.default_rng(13)
    model.reset()
    enable_all(model)
    model.write_reg(C.REG_MARKER_ENABLE, (1 << model.n_markers) - 1)
    assert model.read_reg(C.REG_MARKER_ENABLE) == (1 << model.n_markers) - 1
    model.write_reg(C.REG_CONTROL, 0b01)  # run only
    t0 = clear_and_settle(model)
    p = model.clk_period_ps
    ch, t = random_stream(rng, model.n_channels, t0, 50, 30 * p, p)
    mk = random_markers(rng, model.n_markers, t0, 20, p)
    pch, pt = merge_markers(ch, t, mk)
    model.push_events(pch, pt)
    model.run_until_ps(int(pt[-1]) + 300 * p)
    dch, _, st = core.decode(model.drain())
    assert dch.size == 0 and st.malformed == 0
    # the chip's order: coarse time, then marker input (two edges in one cycle: input 0 first)
    ct = coarse_time(mk["time_ps"], p)
    o = np.lexsort((mk["marker"], ct))
    np.testing.assert_array_equal(st.markers["time_ps"], ct[o])
    np.testing.assert_array_equal(st.markers["marker"], mk["marker"][o])
