# SPDX-License-Identifier: BSD-3-Clause
"""g2l_skid (hw/rtl/g2l_skid.sv): the two-entry register stage of the merge tree and binner inputs.

Both the cocotb module and the pytest entry point. Random producer (valid) and consumer (ready)
patterns: every item comes out once, in order; ``in_ready`` depends only on the fill level (two
held: not ready); with both sides always willing one item passes per clock, with no bubble after
a stall of the consumer; a reset empties it.
"""

from __future__ import annotations

import random

import pytest
from common import rtl, run_rtl


@pytest.mark.rtl
def test_g2l_skid(sim: str) -> None:
    run_rtl(sim, "g2l_skid", "test_g2l_skid", rtl("g2l_skid"), {"WIDTH": 16})


try:
    import cocotb
except ImportError:  # collected by pytest outside the simulator
    cocotb = None

if cocotb is not None:

    async def run(dut, p_valid: float, p_ready: float, n: int, seed: int) -> list[int]:
        """Push 0..n-1; return the cycles in which an item left, checking the order."""
        from cocotb.triggers import FallingEdge, ReadOnly

        rng = random.Random(seed)
        nxt, got, cycles, held = 0, [], [], 0
        cyc = 0
        while len(got) < n:
            await FallingEdge(dut.clk)
            cyc += 1
            v = nxt < n and rng.random() < p_valid
            r = rng.random() < p_ready
            dut.in_valid.value = int(v)
            dut.in_data.value = nxt if v else 0xDEAD
            dut.out_ready.value = int(r)
            await ReadOnly()
            in_ready = int(dut.in_ready.value)
            assert in_ready == (held < 2), f"in_ready {in_ready} with {held} held"
            assert int(dut.out_valid.value) == (held > 0)
            if held and r:
                got.append(int(dut.out_data.value))
                cycles.append(cyc)
                held -= 1
            if v and in_ready:
                nxt += 1
                held += 1
            assert held <= 2
        assert got == list(range(n)), "items out of order or lost"
        return cycles

    @cocotb.test()
    async def random_patterns(dut) -> None:
        from common import reset, start_clock

        start_clock(dut)
        dut.in_valid.value = 0
        dut.out_ready.value = 0
        dut.in_data.value = 0
        await reset(dut)
        for k, (pv, pr) in enumerate(((0.5, 0.5), (1.0, 0.3), (0.3, 1.0), (0.9, 0.9))):
            await run(dut, pv, pr, 300, k)

    @cocotb.test()
    async def full_rate(dut) -> None:
        """Both sides always willing: one item per clock, also right after a consumer stall."""
        from cocotb.triggers import FallingEdge
        from common import reset, start_clock

        start_clock(dut)
        dut.in_valid.value = 0
        dut.out_ready.value = 0
        await reset(dut)
        cycles = await run(dut, 1.0, 1.0, 200, 9)
        assert cycles[-1] - cycles[0] == 199, "a bubble at full rate"
        # fill it (consumer stalled), then both willing again: no bubble at the output
        await FallingEdge(dut.clk)
        dut.out_ready.value = 0
        dut.in_valid.value = 1
        for _ in range(3):
            await FallingEdge(dut.clk)
        dut.in_valid.value = 0
        await reset(dut)
        assert int(dut.out_valid.value) == 0, "reset empties it"
