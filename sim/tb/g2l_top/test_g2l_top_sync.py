# SPDX-License-Identifier: BSD-3-Clause
"""g2l_top with an 80 MHz laser sync at the PYNQ-Z2 clock (125 MHz), against the C twins.

Both the cocotb module and the pytest entry point. Two detectors at 1 Mcps each (a third of the
detections in cascade pairs within one laser period, so heralded records occur) and the sync line
toggling at every 12.5 ns laser pulse, which lands in consecutive 8 ns clock cycles: only the sync
prescaler (SYNC_DIVIDER) lets it in. The twin chain is the chip's, on the edge times as the TDC's
zero-time line and nominal table give them (``TB.push``): keep every D-th sync edge from
the clear (``g2live.device.sim.StreamingFrontend``'s prescaler), ``frontend``, then per
integration ``Correlator``, ``PulsedCounter(sync_divider=D)`` (every laser period reconstructed)
and ``rates``; the raw stream through ``SyncFilter``. Photon-number frames, heralded records,
histograms, rates, the raw TAG words, SYNC_FILTERED and SYNC_PERIOD must match bit for bit.
The raw word rate with the filter on is reported (``build/rtl_sync80_<sim>.json``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from common import REPO, param, read_filelist, run_rtl

# Board clock, 2 detectors + the sync on the prescaled input (the last one), small sizes. The TDC
# gets the zero-time line with one chain of 80 CARRY4 (320 taps of 29 ps nominal: 9.3 ns, more
# than the 8 ns period).
PARAMS = {"N_CHANNELS": 3, "N_PAIRS": 1, "N_BINS_LOG2": 6, "MAX_PHOTONS": 7, "CLK_PERIOD_PS": 8000,
          "MERGE_FIFO_LOG2": 4, "RAW_FIFO_LOG2": 6, "TDC_LINE": 0, "TDC_N_CHAINS": 1, "TDC_N_CARRY4": 80}
LASER_PS = 12_500          # 80 MHz
DETECTOR_RATE = 1e6        # per detector
FIGURES = REPO / "build" / "rtl_sync80.json"


@pytest.mark.rtl
@pytest.mark.timeout(900)
def test_g2l_top_sync(sim: str) -> None:
    run_rtl(sim, "g2l_top", "test_g2l_top_sync", read_filelist("g2l_top.f"), PARAMS,
            extra_env={"G2L_FIGURES": str(FIGURES.with_name(f"rtl_sync80_{sim}.json"))})


def laser_stream(rng: np.random.Generator, t_start: int, t_stop: int, sync: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Sync edge at every laser pulse (TDC-like +-20 ps), detections on channels 0 and 1 at
    DETECTOR_RATE each: singles and XX-X cascade pairs (one photon on each detector in one period)
    with a 2 ns offset and 0.4 / 1 ns lifetimes. Per channel at least two clocks apart (a SPAD's
    dead time is far longer); the sync has one edge per clock at most."""
    pulses = np.arange(t_start, t_stop, LASER_PS, dtype=np.int64)
    sync_t = pulses + rng.integers(-20, 21, pulses.size)
    p = DETECTOR_RATE * LASER_PS * 1e-12
    pair = rng.random(pulses.size) < p / 3
    chs, ts = [np.full(sync_t.size, sync)], [sync_t]
    for c in (0, 1):
        single = (rng.random(pulses.size) < p * 2 / 3) & ~pair
        hit = pair | single
        tau = 400 if c == 0 else 1000
        d = 2000 + rng.exponential(tau, int(hit.sum())).astype(np.int64)
        t = np.minimum(pulses[hit] + d, pulses[hit] + LASER_PS - 1)
        keep = np.concatenate([[True], np.diff(t // PARAMS["CLK_PERIOD_PS"]) >= 2])
        chs.append(np.full(int(keep.sum()), c))
        ts.append(t[keep])
    ch = np.concatenate(chs).astype(np.uint8)
    t = np.concatenate(ts)
    o = np.lexsort((ch, t))
    return ch[o], t[o]


try:
    import cocotb
except ImportError:  # collected by pytest outside the simulator
    cocotb = None

if cocotb is not None:
    from g2live import core
    from g2live.config import Config
    from g2live.device.sim import StreamingFrontend
    from test_g2l_top import CTRL_HIST, CTRL_PULSED, CTRL_RAW, CTRL_RUN, TB, words_u64

    @cocotb.test()
    async def sync_80mhz(dut) -> None:
        """80 MHz sync divided by 4 on chip, 2 detectors at 1 Mcps, conditional filter on."""
        from cocotb.triggers import ClockCycles

        tb = TB(dut)
        await tb.start()
        rng = np.random.default_rng(80)
        n = tb.n_channels
        sync = param(dut, "SYNC_INPUT")
        assert sync == n - 1 and tb.period == 8000
        C = tb.C
        assert C.REGISTERS["SIZES"].fields["sync_input"].get(await tb.read("SIZES")) == sync
        divider, L, max_p = 4, 4000, param(dut, "MAX_PHOTONS")
        bw, nb, off = 256, 1 << param(dut, "N_BINS_LOG2"), 2048
        await tb.write("CHANNEL_ENABLE", (1 << n) - 1)
        for c in range(n):
            await tb.write("DEAD_TIME_PS", 0, c)
            await tb.write("DELAY_PS", 0, c)
        await tb.write("SYNC_CHANNEL", sync)
        await tb.write("SYNC_DIVIDER", divider.bit_length() - 1)
        await tb.write("BIN_WIDTH_PS", bw)
        await tb.write("N_BINS", nb)
        await tb.write("OFFSET_PS", off)
        await tb.write("PULSED_WINDOW_PS", 0)
        await tb.write("PAIR", 0 | 1 << 8 | 1 << 31, 0)
        await tb.write("INTEGRATION_CYCLES", L)
        sync_filter = C.REGISTERS["CONTROL"].fields["sync_filter"].put(1)
        t0 = await tb.restart(CTRL_RUN | CTRL_HIST | CTRL_PULSED | CTRL_RAW | sync_filter, 0, settle=0)
        tb.min_gap[sync] = 1
        # the first edges after the bank sweep; three integrations and part of a fourth
        start = t0 + 2 * nb * tb.period + 40 * tb.period
        stop = t0 + (3 * L + L // 2) * tb.period
        ch, t = laser_stream(rng, start, stop, sync)
        t = tb.push(ch, t)  # as the TDC measures them (nominal bins); the twins take these
        await tb.wait_queue(extra=0)
        from cocotb.triggers import FallingEdge

        while True:
            await FallingEdge(dut.clk)
            if int(dut.time_ps.value) >= t0 + (4 * L + 50) * tb.period:
                break
        await tb.write("INTEGRATION_CYCLES", 0)
        await ClockCycles(dut.clk, 1500)
        assert tb.late == 0
        seen = tb.take()
        got = words_u64(seen)
        dch, dt, st = core.decode(got)
        assert st.malformed == 0 and st.lost_total.sum() == 0, f"lost {st.lost_total[:n]}"

        # the twin chain: prescaler, front-end, then per integration
        cfg = Config(channels=tuple(range(n)), pairs=((0, 1),), sync_channel=sync, sync_divider=divider,
                     sync_filter=True, raw_tags=True, max_photons=max_p)
        fe = StreamingFrontend(cfg)
        fe.push(ch, t, int(t[-1]) + 1)
        sch, st_ = fe.take_until(int(t[-1]) + 1)
        n_sync_rec = int((sch == sync).sum())
        assert n_sync_rec == -(-int((ch == sync).sum()) // divider)
        frames: dict[int, list] = {}
        for fr in st.frames:
            frames.setdefault(fr.frame_kind, []).append(fr)
        corr = core.Correlator([(0, 1)], bw, nb, off)
        pc = core.PulsedCounter(sync, max_p, 0, sync_divider=divider)
        heralds = []
        bounds = [t0 + (k + 1) * L * tb.period for k in range(4)]
        lo = 0
        for k, b in enumerate(bounds):
            hi = int(np.searchsorted(st_, b, side="left"))
            ich, it = sch[lo:hi], st_[lo:hi]
            lo = hi
            np.testing.assert_array_equal(frames[C.FRAME_RATES][k].payload[:n].astype(np.int64),
                                          core.rates(ich, n), f"RATES {k}")
            corr.update(ich, it)
            np.testing.assert_array_equal(frames[C.FRAME_HISTOGRAM][k].payload.astype(np.int64),
                                          corr.histograms(clear=True)[0], f"HISTOGRAM {k}")
            r = pc.update(ich, it)
            np.testing.assert_array_equal(frames[C.FRAME_PHOTON_NUMBER][k].payload.astype(np.int64),
                                          r.photon_number, f"PHOTON_NUMBER {k}")
            heralds.append(r.heralded)
        exp_h = np.concatenate(heralds)
        assert exp_h.size >= 10, f"only {exp_h.size} heralded records: stimulus too weak"
        got_h = st.heralded[: exp_h.size]
        for name in exp_h.dtype.names:
            np.testing.assert_array_equal(got_h[name], exp_h[name], f"HERALD {name}")
        # every laser period is counted: D per recorded interval, from the second recorded sync to
        # the last (whose interval stays open: the laser stops before the 4th boundary)
        periods = int(sum(frames[C.FRAME_PHOTON_NUMBER][k].payload.sum() for k in range(4)))
        assert periods == (n_sync_rec - 2) * divider, (periods, n_sync_rec)
        assert await tb.read("SYNC_PERIOD") == pc.period_q8 > 0
        assert abs(pc.period_ps - LASER_PS) < 1.0, pc.period_ps

        # raw stream: the conditional filter's output, bit for bit; its count register
        sf = core.SyncFilter(sync)
        fch, ft = sf.update(sch, st_)
        np.testing.assert_array_equal(dch, fch)
        np.testing.assert_array_equal(dt, ft)
        assert await tb.read("SYNC_FILTERED") == sf.filtered
        span_s = (int(t[-1]) - start) * 1e-12
        n_tags = int(dt.size)
        out = {
            "laser_hz": 1e12 / LASER_PS, "sync_divider": divider, "detector_cps": DETECTOR_RATE,
            "clk_period_ps": tb.period, "span_s": span_s,
            "sync_edges_in": int((ch == sync).sum()), "sync_tags_recorded": n_sync_rec,
            "sync_tags_raw": int((dch == sync).sum()), "sync_filtered": sf.filtered,
            "detector_tags": int((dch != sync).sum()),
            "raw_tags_per_s_filter_on": n_tags / span_s,
            "raw_tags_per_s_filter_off": int(sch.size) / span_s,
            "raw_tags_per_s_no_divider_no_filter": int(ch.size) / span_s,
            "heralded_records": int(exp_h.size), "laser_periods_counted": periods,
            "measured_period_ps": pc.period_ps,
        }
        dut._log.info("80 MHz sync figures: %s", out)
        path = os.environ.get("G2L_FIGURES")
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(json.dumps(out, indent=1))
