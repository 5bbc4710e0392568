"""g2l_channel (hw/rtl/g2l_channel.sv): enable, dead time on raw times and signed delay, bit-exact.

Both the cocotb module and the pytest entry point. The bench drives raw edge times directly
(``edge_base_ps`` + ``in_fine_ps``, at most one edge per clock, arbitrary jumps between edges) in
segments, each started with ``clear`` and run under one configuration. Every edge must give, two
clocks later (LATENCY), either one ``tag_valid`` or one ``dead_drop`` (or nothing when disabled), and the
accepted tag times and the dead count must equal the C twin ``g2live.core.Frontend``'s exactly.
"""

from __future__ import annotations

import random

import cocotb
import numpy as np
import pytest
from common import param, rtl, run_rtl

PARAMS = {"FINE_W": 16}
LATENCY = 2  # g2l_channel: hit to tag_valid
P = 4000  # ps per clock in this bench (fine times stay below it)
M64 = (1 << 64) - 1


@pytest.mark.rtl
def test_g2l_channel(sim: str) -> None:
    run_rtl(sim, "g2l_channel", "test_g2l_channel", rtl("g2l_channel"), PARAMS)


# ---- cocotb side -----------------------------------------------------------------------------

def raw_edges(rng: random.Random, n: int, dead: int, start: int) -> list[int]:
    """Non-decreasing raw times: gaps around the dead time (D-1, D, D+1), tiny, equal and huge."""
    out = [start]
    for _ in range(n - 1):
        kind = rng.random()
        if kind < 0.4:
            gap = dead + rng.choice((-1, 0, 1))
        elif kind < 0.6:
            gap = rng.choice((0, 1, 2))
        elif kind < 0.95:
            gap = rng.randrange(0, 2 * dead + 3 * P)
        else:
            gap = rng.randrange(1 << 33)  # beyond any 32-bit dead time
        out.append(out[-1] + max(gap, 0))
    return out


async def run_segment(dut, rng: random.Random, enable: int, dead: int, delay: int, raws: list[int],
                      p_idle: float) -> None:
    """Clear, configure, feed `raws` (one per clock at most, random idle clocks), check vs twin."""
    from cocotb.triggers import FallingEdge
    from g2live import core

    await FallingEdge(dut.clk)
    dut.in_hit.value = 0
    dut.clear.value = 1
    dut.cfg_enable.value = enable
    dut.cfg_dead_time_ps.value = dead
    dut.cfg_delay_ps.value = delay & 0xFFFFFFFF
    await FallingEdge(dut.clk)
    dut.clear.value = 0
    assert int(dut.dead_count.value) == 0, "clear zeroes dead_count"
    outcome: list[tuple[str, int]] = []  # per edge: ("tag", time) / ("drop", 0) / ("none", 0)
    driven = [False] * LATENCY  # an edge was driven 1..LATENCY clocks ago (oldest first)
    drops = 0
    queue = list(raws)
    while queue or any(driven):
        await FallingEdge(dut.clk)
        # outputs now belong to the inputs of LATENCY clocks ago
        valid, dropped = int(dut.tag_valid.value), int(dut.dead_drop.value)
        assert not (valid and dropped), "tag_valid and dead_drop together"
        if driven.pop(0):
            outcome.append(("tag", int(dut.tag_time.value)) if valid else ("drop", 0) if dropped
                           else ("none", 0))
        else:
            assert not valid and not dropped, "output without an edge"
        drops += dropped
        assert int(dut.dead_count.value) == drops, "dead_count counts the dead_drop pulses"
        pending = bool(queue) and rng.random() >= p_idle
        driven.append(pending)
        if pending:
            raw = queue.pop(0)
            fine = rng.randrange(min(P, raw + 1))
            dut.in_hit.value = 1
            dut.in_fine_ps.value = fine
            dut.edge_base_ps.value = raw - fine
        else:  # inputs other than in_hit are don't-care: drive garbage
            dut.in_hit.value = 0
            dut.in_fine_ps.value = rng.randrange(1 << 16)
            dut.edge_base_ps.value = rng.randrange(1 << 64)
    assert len(outcome) == len(raws)
    fe = core.Frontend(dead_time_ps=dead, delay_ps=delay, enable_mask=enable)
    _, t, dead_count = fe.process(np.zeros(len(raws), np.uint8), np.array(raws, np.int64))
    got = [v for k, v in outcome if k == "tag"]
    assert got == [int(x) & M64 for x in t], "accepted tag times differ from the twin's"
    assert drops == int(dead_count[0]), "dead-time drops differ from the twin's dead_count"
    if not enable:
        assert all(k == "none" for k, _ in outcome), "a disabled channel gives nothing"
    else:
        assert all(k != "none" for k, _ in outcome), "an enabled edge is either accepted or dropped"


@cocotb.test()
async def random_and_adversarial(dut) -> None:
    """Segments: random dead times and signed delays, dead time 0 and 2**32-1, exact
    dead-time boundaries, equal raw times, negative results, disabled channel, back-to-back."""
    from common import reset, start_clock

    assert param(dut, "FINE_W") == 16
    start_clock(dut)
    dut.clear.value = 0
    dut.in_hit.value = 0
    dut.in_fine_ps.value = 0
    dut.edge_base_ps.value = 0
    dut.cfg_enable.value = 1
    dut.cfg_dead_time_ps.value = 0
    dut.cfg_delay_ps.value = 0
    await reset(dut)
    rng = random.Random(5)
    configs = [  # (enable, dead_time_ps, delay_ps, raw start, idle probability)
        (1, 0, 0, 0, 0.0),                      # dead time 0: everything passes, equal times too
        (1, 6000, -3000, 0, 0.0),               # negative delay: early tags wrap below 0
        (1, 6000, 12345, 1 << 40, 0.5),
        (1, 1, -(1 << 31), 1 << 50, 0.3),       # most negative delay, 1 ps dead time
        (1, (1 << 32) - 1, (1 << 31) - 1, 5, 0.2),  # largest dead time and delay
        (0, 6000, 777, 1000, 0.2),              # disabled: every edge dropped, not counted
    ]
    for _ in range(4):
        configs.append((1, rng.randrange(1, 40000), rng.randrange(-(1 << 31), 1 << 31),
                        rng.randrange(1 << 60), rng.choice((0.0, 0.5))))
    total = 0
    for enable, dead, delay, start, idle in configs:
        raws = raw_edges(rng, 300, max(dead, 1) if dead < (1 << 31) else 20000, start)
        await run_segment(dut, rng, enable, dead, delay, raws, idle)
        total += len(raws)
    assert total >= 3000
