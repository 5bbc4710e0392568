# SPDX-License-Identifier: BSD-3-Clause
"""g2l_marker: synchronised rising edges of the marker lines, time-stamped at the coarse clock.

Both the cocotb module and the pytest entry point. Inputs are driven after the falling edge, so
rising edge ``e`` samples the values of cycle ``e``; ``time_ps`` is driven by the testbench (its
own time line, with jumps where it pulses ``clear`` as the top's time base does). Stated
behaviour checked (module header): a line first sampled high at edge ``e`` (low at ``e - 1``)
gives ``tag_valid[m]`` for one cycle in cycle ``e + 3`` with ``tag_time[m]`` = the ``time_ps`` of
cycle ``e``, if the input is enabled and ``run`` is high in cycle ``e + 2`` and neither reset nor
clear is sampled at edges ``e .. e + 2``; nothing else produces a pulse (a line held high across
a clear gives none).
"""

from __future__ import annotations

import random

import cocotb
import pytest
from common import param, rtl, run_rtl

PARAMS = {"N_MARKERS": 3}
LATENCY = 3  # MARKER_SIZES.latency


@pytest.mark.rtl
def test_g2l_marker(sim: str) -> None:
    run_rtl(sim, "g2l_marker", "test_g2l_marker", rtl("g2l_marker"), PARAMS)


def expected(level: list[list[int]], en: list[int], run: list[int], clr: list[int],
             tps: list[int]) -> dict[tuple[int, int], int]:
    """{(cycle, marker): time_ps} of every pulse the stated behaviour gives."""
    out = {}
    n = len(level[0])
    for e in range(1, len(level) - LATENCY):
        for m in range(n):
            if not (level[e][m] and not level[e - 1][m]):
                continue
            if any(clr[e:e + LATENCY]) or not (en[e + 2] >> m) & 1 or not run[e + 2]:
                continue
            out[(e + LATENCY, m)] = tps[e]
    return out


def stimulus(rng: random.Random, n_markers: int, n: int):
    level, en, run, clr, tps = [], [], [], [], []
    lines = [0] * n_markers
    t, e_now, r_now = 5_000_000, (1 << n_markers) - 1, 1
    for cyc in range(n):
        lines = [x ^ (rng.random() < 0.3) for x in lines]  # toggles as fast as every cycle
        if rng.random() < 0.01:
            e_now = rng.randrange(1 << n_markers)
        if rng.random() < 0.01:
            r_now ^= 1
        c = int(cyc > 10 and rng.random() < 0.01)
        t = rng.randrange(1000, 10**9) * 4000 if c else t + 4000  # clear restarts the time line
        level.append(list(lines))
        en.append(e_now)
        run.append(r_now)
        clr.append(c)
        tps.append(t)
    return level, en, run, clr, tps


@cocotb.test()
async def edges_times_and_clear(dut) -> None:
    from cocotb.triggers import FallingEdge, RisingEdge
    from common import reset, start_clock

    n_markers = param(dut, "N_MARKERS")
    start_clock(dut)
    dut.in_marker.value = 0
    dut.cfg_enable.value = 0
    dut.run.value = 0
    dut.clear.value = 0
    dut.time_ps.value = 0
    await reset(dut)
    level, en, run, clr, tps = stimulus(random.Random(5), n_markers, 6000)
    want = expected(level, en, run, clr, tps)
    seen = {}
    for cyc in range(len(level)):
        await FallingEdge(dut.clk)
        dut.in_marker.value = sum(b << m for m, b in enumerate(level[cyc]))
        dut.cfg_enable.value = en[cyc]
        dut.run.value = run[cyc]
        dut.clear.value = clr[cyc]
        dut.time_ps.value = tps[cyc]
        await RisingEdge(dut.clk)
        valid = int(dut.tag_valid.value)  # the output of cycle `cyc`
        times = int(dut.tag_time.value)
        for m in range(n_markers):
            if (valid >> m) & 1:
                seen[(cyc, m)] = (times >> (64 * m)) & ((1 << 64) - 1)
    seen = {k: v for k, v in seen.items() if k[0] < len(level) - 1}
    assert len(want) > 500, "the stimulus must have many edges"
    assert sum(clr) > 20 and any(clr[e] and level[e - 1] == level[e] for e in range(1, len(clr)))
    assert seen == want, "one pulse per enabled rising edge, 3 clocks later, stamped with its cycle's time"
