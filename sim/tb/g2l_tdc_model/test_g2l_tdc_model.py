# SPDX-License-Identifier: BSD-3-Clause
"""g2l_tdc_model + g2l_sync_edge: one hit per rising edge, fixed latency, fine time aligned.

Both the cocotb module and the pytest entry point. Random pulse trains (including lines held
high for many cycles and pulses on consecutive rising edges) are driven at the falling edge; a
hit must appear exactly LATENCY clocks after the cycle of each rising edge (STAGES + 1, and three
more for a deeper TDC pipeline), carrying that edge's fine time, and never otherwise.
"""

from __future__ import annotations

import random

import cocotb
import pytest
from common import param, rtl, run_rtl

PARAMS = {"CLK_PERIOD_PS": 4000, "STAGES": 2}


@pytest.mark.rtl
@pytest.mark.parametrize("latency", [3, 6])
def test_g2l_tdc_model(sim: str, latency: int) -> None:
    run_rtl(sim, "g2l_tdc_model", "test_g2l_tdc_model", rtl("g2l_sync_edge", "g2l_tdc_model"),
            {**PARAMS, "LATENCY": latency})


@cocotb.test()
async def edges_and_latency(dut) -> None:
    from cocotb.triggers import FallingEdge, RisingEdge
    from common import reset, start_clock

    start_clock(dut)
    dut.in_pulse.value = 0
    dut.sim_fine_ps.value = 0
    await reset(dut)
    latency = param(dut, "LATENCY")
    assert latency >= param(dut, "STAGES") + 1
    period = param(dut, "CLK_PERIOD_PS")
    rng = random.Random(4)
    # line level per cycle: random runs of low and high (run length 1 = fastest legal toggling)
    level: list[int] = []
    while len(level) < 3000:
        level += [0] * rng.choice([1, 1, 2, 5, 30]) + [1] * rng.choice([1, 1, 3, 40])
    expected: dict[int, int] = {}  # cycle of the hit -> fine time
    hits: dict[int, int] = {}
    prev = 0
    for cyc, lv in enumerate(level):
        await FallingEdge(dut.clk)
        fine = rng.randrange(period)
        dut.in_pulse.value = lv
        dut.sim_fine_ps.value = fine
        if lv and not prev:
            expected[cyc + latency] = fine
        prev = lv
        await RisingEdge(dut.clk)
        # values before this edge: the hit output of cycle `cyc`
        if int(dut.hit.value):
            hits[cyc] = int(dut.fine_ps.value)
    for _ in range(latency + 2):
        cyc += 1
        await RisingEdge(dut.clk)
        if int(dut.hit.value):
            hits[cyc] = int(dut.fine_ps.value)
    assert len(expected) > 100, "the stimulus must have many edges"
    assert hits == expected, "one hit per rising edge, LATENCY clocks later, with its fine time"
