"""g2l_sync_edge: one registered pulse per rising edge, STAGES + 1 clocks later, reset clears history.

Both the cocotb module and the pytest entry point. The line and the reset are driven after the
falling edge, so rising edge ``e`` samples the values of cycle ``e``. Stated behaviour checked: a
rising edge first sampled at edge ``e`` gives ``rise`` for exactly one cycle, visible in cycle
``e + STAGES + 1``, unless reset is asserted at one of the edges ``e .. e + STAGES``; a line
held high gives no further pulse; a reset clears the history, so a line that is high when reset
releases counts as a new rising edge.
"""

from __future__ import annotations

import random
from itertools import pairwise

import cocotb
import pytest
from common import param, rtl, run_rtl

PARAMS = {"STAGES": 2}


@pytest.mark.rtl
def test_g2l_sync_edge(sim: str) -> None:
    run_rtl(sim, "g2l_sync_edge", "test_g2l_sync_edge", rtl("g2l_sync_edge"), PARAMS)


def expected_pulses(level: list[int], rst: list[int], latency: int) -> dict[int, int]:
    """Cycle of each pulse from the stated behaviour (module docstring); reset edges sample low."""
    out: dict[int, int] = {}
    prev = 0
    for e, (lv, r) in enumerate(zip(level, rst, strict=True)):
        s = lv and not r
        if s and not prev and not any(rst[e:e + latency]):
            out[e + latency] = 1
        prev = s
    return out


async def run_levels(dut, level: list[int], rst: list[int]) -> dict[int, int]:
    """Drive line and reset per cycle; return {cycle: 1} for every cycle with ``rise`` high."""
    from cocotb.triggers import FallingEdge, RisingEdge

    latency = param(dut, "STAGES") + 1
    seen: dict[int, int] = {}
    for cyc, (lv, r) in enumerate(zip(level, rst, strict=True)):
        await FallingEdge(dut.clk)
        dut.in_async.value = lv
        dut.rst.value = r
        await RisingEdge(dut.clk)
        # values before this edge: the output of cycle `cyc`
        if int(dut.rise.value):
            seen[cyc] = 1
    await FallingEdge(dut.clk)
    dut.in_async.value = 0
    for k in range(latency + 2):
        await RisingEdge(dut.clk)
        if int(dut.rise.value):
            seen[len(level) + k] = 1
    return seen

async def start(dut) -> None:
    from common import reset, start_clock

    start_clock(dut)
    dut.in_async.value = 0
    await reset(dut)

@cocotb.test()
async def edges_and_latency(dut) -> None:
    await start(dut)
    latency = param(dut, "STAGES") + 1
    rng = random.Random(7)
    # random runs of low and high; run length 1 on both sides is the fastest legal toggling
    level: list[int] = []
    while len(level) < 8000:
        level += [0] * rng.choice([1, 1, 2, 5, 30]) + [1] * rng.choice([1, 1, 2, 3, 40, 200])
    level += [0] * 4 + [1, 0] * 50  # a clean run at the fastest legal rate: one pulse every 2 cycles
    rst = [0] * len(level)
    expected = expected_pulses(level, rst, latency)
    seen = await run_levels(dut, level, rst)
    assert len(expected) > 200, "the stimulus must have many edges"
    assert seen == expected, "one pulse per rising edge, STAGES + 1 clocks later, none for held levels"
    tail = sorted(seen)[-50:]
    assert all(b - a == 2 for a, b in pairwise(tail)), "toggling every cycle gives a pulse every 2"

@cocotb.test()
async def reset_clears(dut) -> None:
    await start(dut)
    latency = param(dut, "STAGES") + 1
    rng = random.Random(11)
    level: list[int] = []
    rst: list[int] = []
    for _ in range(150):
        # an edge, then a reset that starts 0 .. latency + 2 cycles later and lasts 1 .. 4 cycles,
        # with the line either held high through the release or dropped
        gap = rng.randrange(latency + 3)
        hold = rng.randrange(1, 5)
        high = rng.random() < 0.5
        level += [0, 0] + [1] * (gap + 1) + [int(high)] * (hold + 3) + [0] * (latency + 2)
        rst += [0, 0] + [0] * (gap + 1) + [1] * hold + [0] * 3 + [0] * (latency + 2)
    expected = expected_pulses(level, rst, latency)
    seen = await run_levels(dut, level, rst)
    assert seen == expected, "reset drops pulses in flight and restarts the edge history"
    # both cases must actually occur: pulses lost to reset, and a held-high line re-detected
    edges = sum(1 for e in range(1, len(level)) if level[e] and not level[e - 1])
    assert len(expected) != edges, "some edges must be lost to a reset in flight"
