# SPDX-License-Identifier: BSD-3-Clause
"""g2l_sync_filter (hw/rtl/g2l_sync_filter.sv) against its C twin ``g2live.core.SyncFilter``.

Both the cocotb module and the pytest entry point. Tags of a merged stream (one per clock at
most, random idle clocks) go in; the tags that leave must be exactly the twin's, in order, at
most one per clock, and ``filtered_count`` its count of dropped syncs. Adversarial streams: sync
after sync after sync, a photon after every sync, tags every clock, equal times, the filter
switched off and on with a sync held, a clear with a sync held.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from common import rtl, run_rtl

SYNC = 5


@pytest.mark.rtl
def test_g2l_sync_filter(sim: str) -> None:
    run_rtl(sim, "g2l_sync_filter", "test_g2l_sync_filter", rtl("g2l_sync_filter"), {})


def stream(rng: random.Random, n: int, p_sync: float) -> tuple[list[int], list[int]]:
    t, ch, ts = 1000, [], []
    for _ in range(n):
        t += rng.choice([0, 0, 1, 7, 12_500])
        ch.append(SYNC if rng.random() < p_sync else rng.choice([0, 1, 2, 6, 9]))
        ts.append(t)
    o = sorted(range(n), key=lambda i: (ts[i], ch[i]))
    return [ch[i] for i in o], [ts[i] for i in o]


try:
    import cocotb
except ImportError:  # collected by pytest outside the simulator
    cocotb = None

if cocotb is not None:

    async def run(dut, rng: random.Random, segments: list[tuple[bool, list[int], list[int], str]],
                  p_idle: float) -> None:
        """Each segment: (enable, channels, times, then) with then = '' | 'clear'. The output is
        checked against a SyncFilter that follows the same enables and clears."""
        import cocotb as cb
        from cocotb.triggers import FallingEdge, ReadOnly
        from common import reset, start_clock
        from g2live import core

        start_clock(dut)
        dut.in_valid.value = 0
        dut.in_channel.value = 0
        dut.in_time.value = 0
        dut.clear.value = 0
        dut.cfg_enable.value = 0
        dut.cfg_sync_channel.value = SYNC
        await reset(dut)
        out: list[tuple[int, int]] = []
        want: list[tuple[int, int]] = []
        twin = core.SyncFilter(SYNC, enable=False)
        filtered_before = 0

        async def monitor() -> None:
            while True:
                await FallingEdge(dut.clk)
                await ReadOnly()
                if int(dut.out_valid.value):
                    out.append((int(dut.out_channel.value), int(dut.out_time.value)))

        cb.start_soon(monitor())
        for enable, chs, ts, then in segments:
            await FallingEdge(dut.clk)
            dut.cfg_enable.value = int(enable)
            twin.set_enable(enable)
            k, v = twin.update(np.array(chs, np.uint8), np.array(ts, np.int64))
            want += list(zip(k.tolist(), v.tolist(), strict=True))
            for c, t in zip(chs, ts, strict=True):
                while rng.random() < p_idle:
                    dut.in_valid.value = 0
                    await FallingEdge(dut.clk)
                dut.in_valid.value = 1
                dut.in_channel.value = c
                dut.in_time.value = t
                await FallingEdge(dut.clk)
            dut.in_valid.value = 0
            for _ in range(4):
                await FallingEdge(dut.clk)
            if then == "clear":
                filtered_before += twin.filtered
                assert int(dut.filtered_count.value) == twin.filtered
                dut.clear.value = 1
                await FallingEdge(dut.clk)
                dut.clear.value = 0
                twin = core.SyncFilter(SYNC, enable=enable)  # a clear forgets a held sync
        for _ in range(4):
            await FallingEdge(dut.clk)
        bad = [i for i, (a, b) in enumerate(zip(out, want, strict=False)) if a != b]
        assert out == want, f"{len(out)} tags, twin {len(want)}; first difference at {bad[:1]}"
        assert int(dut.filtered_count.value) == twin.filtered
        dut._log.info(f"{len(want)} tags out, {filtered_before + twin.filtered} syncs filtered")

    @cocotb.test()
    async def random_streams(dut) -> None:
        rng = random.Random(3)
        segs = []
        for p_sync, enable in ((0.5, True), (0.9, True), (0.1, True), (0.5, False), (0.7, True)):
            ch, t = stream(rng, 400, p_sync)
            segs.append((enable, ch, t, ""))
        await run(dut, rng, segs, p_idle=0.3)

    @cocotb.test()
    async def adversarial(dut) -> None:
        """Every clock: runs of syncs, sync/photon alternation, a held sync across an
        enable toggle and across a clear; syncs at equal times."""
        rng = random.Random(4)
        t = 5000
        segs = []
        ch = [SYNC] * 6 + [0] + [SYNC, 1] * 20 + [SYNC, SYNC, 2, 2, 2, SYNC]
        segs.append((True, ch, [t + i for i in range(len(ch))], ""))
        t += 100
        segs.append((False, [0, SYNC, 1], [t, t + 1, t + 2], ""))   # off: held sync released first
        t += 10
        segs.append((True, [SYNC, SYNC, SYNC], [t, t, t], "clear"))  # held when cleared: gone
        t += 10
        segs.append((True, [1, SYNC, 0, SYNC], [t, t + 3, t + 3, t + 9], ""))
        await run(dut, rng, segs, p_idle=0.0)
