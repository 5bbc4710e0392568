# SPDX-License-Identifier: BSD-3-Clause
"""g2l_sync_div (hw/rtl/g2l_sync_div.sv): the asynchronous sync prescaler.

Both the cocotb module and the pytest entry point. The sync line is driven with rising edges at
exact picosecond times (no clock: the counter is clocked by the line), 12.5 ns apart with jitter
and with shorter pulses; the output must rise exactly at edges 1, 1 + D, 1 + 2D, ... after the
reset (a clock-to-out later), stay high for D/2 and low for D/2 edges, and follow the line when
log2 = 0. Values above 4 act as 4. A reset in the middle restarts the count.
"""

from __future__ import annotations

import random

import pytest
from common import rtl, run_rtl


@pytest.mark.rtl
def test_g2l_sync_div(sim: str) -> None:
    run_rtl(sim, "g2l_sync_div", "test_g2l_sync_div", rtl("g2l_sync_div"), {"MAX_LOG2": 4})


try:
    import cocotb
except ImportError:  # collected by pytest outside the simulator
    cocotb = None

if cocotb is not None:

    async def edges(dut, n: int, rng: random.Random) -> list[int]:
        """n rising edges ~12.5 ns apart (pulse 2..6 ns); the output level after each edge."""
        from cocotb.triggers import Timer

        levels = []
        for _ in range(n):
            high = rng.randrange(2000, 6000)
            dut.in_async.value = 1
            await Timer(500, "ps")
            levels.append(int(dut.out_async.value))
            await Timer(high - 500, "ps")
            dut.in_async.value = 0
            await Timer(12_500 - high + rng.randrange(-30, 31), "ps")
        return levels

    async def restart(dut) -> None:
        from cocotb.triggers import Timer

        dut.arst.value = 1
        await Timer(3000, "ps")
        dut.arst.value = 0
        await Timer(3000, "ps")

    @cocotb.test()
    async def divides(dut) -> None:
        from cocotb.triggers import Timer

        rng = random.Random(1)
        dut.in_async.value = 0
        dut.arst.value = 0
        dut.cfg_log2.value = 0
        await Timer(1000, "ps")
        for lg in (1, 2, 3, 4, 7):
            d = 1 << min(lg, 4)
            dut.cfg_log2.value = lg
            await restart(dut)
            assert int(dut.out_async.value) == 0, "low after the reset"
            got = await edges(dut, 5 * d, rng)
            want = [int((k % d) < d // 2) for k in range(5 * d)]
            assert got == want, f"log2 {lg}: {got}"
            # a reset in the middle of a period restarts at edge 1
            await edges(dut, d // 2 + 1, rng)
            await restart(dut)
            got = await edges(dut, 2 * d, rng)
            assert got == want[: 2 * d], f"log2 {lg} after a reset: {got}"

    @cocotb.test()
    async def bypass(dut) -> None:
        """log2 = 0: the line itself."""
        from cocotb.triggers import Timer

        dut.cfg_log2.value = 0
        dut.arst.value = 0
        for lv in (1, 0, 1, 1, 0):
            dut.in_async.value = lv
            await Timer(1000, "ps")
            assert int(dut.out_async.value) == lv
