# SPDX-License-Identifier: BSD-3-Clause
"""g2l_tdc_calib clock for clock against its C twin (``g2live.tdc.CalibrationTwin``).

Both the cocotb module and the pytest entry point. Hits with random codes (a skewed, uneven code
density as a real line gives) and random spacing (two clocks and up) go in; every fine time out
must equal the twin's: the nominal table before the first build, each new table from exactly the
cycle the twin says, hits during a build measured with the old table and not counted. Also:
collection paused (cal_enable low) and resumed, a cal_restart in the middle of a collection and
one in the middle of a build, use_nominal, and the active table read through host_addr/host_data
against the twin's. Small geometry (6-bit codes, 2**8 hits per table) so that many tables are built.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from common import param, rtl, run_rtl

PARAMS = {"CLK_PERIOD_PS": 4000, "CODE_W": 6, "NOM_BIN_PS": 14}


@pytest.mark.rtl
def test_g2l_tdc_calib(sim: str) -> None:
    run_rtl(sim, "g2l_tdc_calib", "test_g2l_tdc_calib", rtl("g2l_bram_sdp", "g2l_tdc_calib"), PARAMS)


try:
    import cocotb
except ImportError:  # collected by pytest outside the simulator
    cocotb = None

if cocotb is not None:

    @cocotb.test()
    async def bit_exact(dut) -> None:
        from cocotb.triggers import FallingEdge, ReadOnly
        from common import reset, start_clock
        from g2live import tdc

        period, code_w = param(dut, "CLK_PERIOD_PS"), param(dut, "CODE_W")
        geo = tdc.TdcGeometry(period, n_chains=1, n_carry4=((1 << code_w) - 1) // 4,
                              nom_bin_ps=param(dut, "NOM_BIN_PS"))
        assert geo.code_w == code_w
        log2_hits = 8
        rng = random.Random(3)
        # an uneven code density: codes 1 .. 40, wide and narrow bins
        weights = np.array([0] + [rng.choice([0.2, 1, 1, 3]) for _ in range(40)] + [0] * ((1 << code_w) - 41))
        weights /= weights.sum()
        start_clock(dut)
        for name, v in (("in_hit", 0), ("in_code", 0), ("cal_enable", 1), ("cal_log2_hits", log2_hits),
                        ("cal_restart", 0), ("use_nominal", 0), ("host_addr", 0)):
            getattr(dut, name).value = v
        await reset(dut)
        cycle = 0  # cycles counted from the first one after reset
        twin = tdc.CalibrationTwin(geo, log2_hits, collect_from=1 << code_w)
        sent: list[tuple[int, int]] = []  # (cycle, code) of every hit
        got: list[int] = []
        pending: list[int] = []  # cycles at which a hit's fine time comes out
        plan = []  # (cycle, action)
        c = 10
        for _ in range(6000):
            c += rng.choice([2, 2, 3, 5, 9, 30])
            plan.append((c, "hit"))
        end = c + 200
        # control events: pause, resume, restarts (one lands in a build: checked below)
        controls = {1500: ("cal_enable", 0), 2500: ("cal_enable", 1), 7000: ("cal_restart", 1),
                    30000: ("use_nominal", 1), 31000: ("use_nominal", 0)}
        hits = dict(plan)
        restart_cycles = []
        swaps: list[int] = []  # cycles in which the bank in use changed (a new table went live)
        bank = 0
        while cycle < end + 10:
            await FallingEdge(dut.clk)
            dut.in_hit.value = 0
            dut.cal_restart.value = 0
            if cycle in controls:
                name, v = controls[cycle]
                getattr(dut, name).value = v
                if name == "cal_restart":
                    restart_cycles.append(cycle)
            if int(dut.building.value) and not restart_cycles[1:] and cycle > 12000:
                dut.cal_restart.value = 1  # a restart in the middle of a build
                restart_cycles.append(cycle)
            if hits.get(cycle) == "hit":
                code = int(rng.choices(range(1 << code_w), weights)[0])
                dut.in_hit.value = 1
                dut.in_code.value = code
                sent.append((cycle, code))
                pending.append(cycle + 2)
            await ReadOnly()
            if int(dut.bank.value) != bank:
                bank ^= 1
                swaps.append(cycle)
            if pending and pending[0] == cycle:
                assert int(dut.out_hit.value) == 1, f"no out_hit in cycle {cycle}"
                got.append(int(dut.out_fine.value))
                pending.pop(0)
            cycle += 1
        # the twin, with the same controls
        events = sorted([(cy, 1, code) for cy, code in sent] + [(cy, 0, 0) for cy in restart_cycles])
        want: list[int] = []
        inputs = {"cal_enable": 1, "use_nominal": 0}
        ctl = sorted((cy, nv) for cy, nv in controls.items() if nv[0] != "cal_restart")
        for cy, is_hit, code in events:
            while ctl and ctl[0][0] <= cy:
                name, v = ctl.pop(0)[1]
                inputs[name] = v
                twin.set_inputs(bool(inputs["cal_enable"]), bool(inputs["use_nominal"]))
            if is_hit:
                want.extend(int(x) for x in twin.run(np.array([cy]), np.array([code])))
            else:
                twin.restart(cy)
        assert len(got) == len(want) == len(sent)
        bad = [i for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w]
        assert not bad, (f"hit {bad[0]} (cycle, code {sent[bad[0]]}): RTL {got[bad[0]]}, "
                         f"twin {want[bad[0]]}")
        assert len(restart_cycles) == 2, restart_cycles
        assert int(dut.cal_count.value) == twin.state["n_tables"] >= 8, (int(dut.cal_count.value), twin.state)
        assert int(dut.bank.value) == twin.state["bank"]
        # glitch-free swaps: hits right at a swap are bit-exact above like every other hit
        sent_cycles = np.array([cy for cy, _ in sent])
        at_swap = sum(int(np.count_nonzero(np.abs(sent_cycles - sw) <= 2)) for sw in swaps)
        dut._log.info("%d table swaps; %d of %d hits within 2 clocks of a swap, all equal to the twin",
                      len(swaps), at_swap, len(sent))
        assert len(swaps) == twin.state["n_tables"] and at_swap >= len(swaps) // 2, (swaps, at_swap)
        # the active table through the host port
        twin.advance(cycle)
        table = twin.table()
        for k in range(0, 1 << code_w, 3):
            await FallingEdge(dut.clk)
            dut.host_addr.value = k
            await FallingEdge(dut.clk)
            await FallingEdge(dut.clk)
            assert int(dut.host_data.value) == int(table[k]), f"table[{k}]"
