"""g2l_fifo (hw/rtl/g2l_fifo.sv): first-word-fall-through FIFO against a deque, cycle by cycle.

Both the cocotb module and the pytest entry point. Random push/pop in phases (fill, drain,
balanced, back-pressure with pushes into a full FIFO and pops from an empty one, reset while
holding data); before every clock ``rd_data`` (when not empty), ``empty``, ``full`` and
``count`` must equal the model's, and pushes when full / pops when empty must be ignored.
"""

from __future__ import annotations

import random
from collections import deque

import cocotb
import pytest
from common import param, rtl, run_rtl

CONFIGS = [{"WIDTH": 64, "DEPTH_LOG2": 3}, {"WIDTH": 1, "DEPTH_LOG2": 1}]


@pytest.mark.rtl
@pytest.mark.parametrize("params", CONFIGS, ids=lambda p: f"w{p['WIDTH']}_d{p['DEPTH_LOG2']}")
def test_g2l_fifo(sim: str, params: dict[str, int]) -> None:
    run_rtl(sim, "g2l_fifo", "test_g2l_fifo", rtl("g2l_fifo"), params)


@cocotb.test()
async def random_push_pop(dut) -> None:
    from cocotb.triggers import FallingEdge, ReadOnly
    from common import reset, start_clock

    width, depth = param(dut, "WIDTH"), 1 << param(dut, "DEPTH_LOG2")
    start_clock(dut)
    dut.wr_en.value = 0
    dut.rd_en.value = 0
    dut.wr_data.value = 0
    await reset(dut)
    rng = random.Random(6)
    model: deque[int] = deque()
    seen = {"full": 0, "empty": 0, "push_full": 0, "pop_empty": 0, "both": 0}
    # (push probability, pop probability, clocks): fill, drain, balanced, stalls, trickle
    phases = [(0.9, 0.1, 200), (0.1, 0.9, 200), (0.5, 0.5, 600), (1.0, 0.0, 100),
              (0.0, 1.0, 100), (0.8, 0.3, 400), (0.3, 0.8, 400), (1.0, 1.0, 200), ("reset",)]
    phases = phases + phases[:-1]
    for phase in phases:
        if phase[0] == "reset":  # reset while holding data empties the FIFO
            assert model, "reset must be exercised with data inside"
            await FallingEdge(dut.clk)
            dut.wr_en.value = 0
            dut.rd_en.value = 0
            await reset(dut)
            model.clear()
            continue
        p_push, p_pop, clocks = phase
        for _ in range(clocks):
            await FallingEdge(dut.clk)
            push, pop = rng.random() < p_push, rng.random() < p_pop
            data = rng.randrange(1 << width)
            dut.wr_en.value = int(push)
            dut.wr_data.value = data
            dut.rd_en.value = int(pop)
            await ReadOnly()
            n = len(model)
            assert int(dut.count.value) == n, "count"
            assert int(dut.empty.value) == (n == 0), "empty"
            assert int(dut.full.value) == (n == depth), "full"
            if n:
                assert int(dut.rd_data.value) == model[0], "head (first word fall-through)"
            seen["full"] += n == depth
            seen["empty"] += n == 0
            seen["push_full"] += push and n == depth
            seen["pop_empty"] += pop and n == 0
            seen["both"] += push and pop and 0 < n < depth
            # the rising edge: pop the head if not empty, push if not full (sampled before it)
            if pop and n:
                model.popleft()
            if push and n < depth:
                model.append(data)
    assert all(v >= 10 for v in seen.values()), f"stimulus must reach every corner: {seen}"
