"""g2l_bram_sdp (hw/rtl/g2l_bram_sdp.sv): one write port, registered read port, against a list.

Both the cocotb module and the pytest entry point. After every word is written once, random
reads and writes on a small address space (many reads of the address written in the same clock,
which must return the old word, and clocks with ``rd_en`` low, which must hold ``rd_data``).
``rd_data`` is compared before every clock with the model's registered read.
"""

from __future__ import annotations

import random

import cocotb
import pytest
from common import param, rtl, run_rtl

PARAMS = {"WIDTH": 32, "ADDR_W": 4}


@pytest.mark.rtl
def test_g2l_bram_sdp(sim: str) -> None:
    run_rtl(sim, "g2l_bram_sdp", "test_g2l_bram_sdp", rtl("g2l_bram_sdp"), PARAMS)


@cocotb.test()
async def read_write(dut) -> None:
    from cocotb.triggers import FallingEdge, ReadOnly
    from common import start_clock

    width, words = param(dut, "WIDTH"), 1 << param(dut, "ADDR_W")
    start_clock(dut)
    rng = random.Random(7)
    model = [rng.randrange(1 << width) for _ in range(words)]
    for addr, data in enumerate(model):  # no reset: give every word a value first
        await FallingEdge(dut.clk)
        dut.wr_en.value = 1
        dut.wr_addr.value = addr
        dut.wr_data.value = data
        dut.rd_en.value = 0
        dut.rd_addr.value = 0
    expected: int | None = None  # registered read; unknown until the first rd_en
    seen = {"same_addr": 0, "hold": 0, "reads": 0}
    for _ in range(3000):
        await FallingEdge(dut.clk)
        wr, rd = rng.random() < 0.6, rng.random() < 0.7
        wa = rng.randrange(words)
        ra = wa if rng.random() < 0.3 else rng.randrange(words)
        data = rng.randrange(1 << width)
        dut.wr_en.value = int(wr)
        dut.wr_addr.value = wa
        dut.wr_data.value = data
        dut.rd_en.value = int(rd)
        dut.rd_addr.value = ra
        await ReadOnly()
        if expected is not None:
            assert int(dut.rd_data.value) == expected, "rd_data"
            seen["hold"] += not rd
        seen["same_addr"] += wr and rd and wa == ra
        seen["reads"] += rd
        if rd:  # read-during-write of the same address returns the old word
            expected = model[ra]
        if wr:
            model[wa] = data
    assert all(v >= 100 for v in seen.values()), f"stimulus must reach every case: {seen}"
