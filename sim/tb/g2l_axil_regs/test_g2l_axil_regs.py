# SPDX-License-Identifier: BSD-3-Clause
"""g2l_axil_regs (hw/rtl/g2l_axil_regs.sv): the AXI4-Lite register map against g2live.contract.

Both the cocotb module and the pytest entry point. Every expected value (identity, reset values,
addresses, field positions) comes from the generated ``g2live.contract``; the bench checks reset
values, read-back of every rw register, byte strobes, COMMAND one-cycle pulses, array slots of
the instance vs. unimplemented slots (read 0, writes ignored, OKAY) and SLVERR for unmapped
addresses and writes to read-only registers.
"""

from __future__ import annotations

import random

import cocotb
import pytest
from common import param, rtl, run_rtl

PARAMS = {"N_CHANNELS": 5, "N_PAIRS": 3, "N_BINS_LOG2": 10, "MAX_PHOTONS": 7, "CLK_PERIOD_PS": 2500}
OKAY, SLVERR = 0, 2


@pytest.mark.rtl
def test_g2l_axil_regs(sim: str) -> None:
    run_rtl(sim, "g2l_axil_regs", "test_g2l_axil_regs", rtl("g2l_axil_regs"), PARAMS)


# ---- cocotb side -----------------------------------------------------------------------------

def implemented(dut, name: str) -> int:
    """Slots of array register ``name`` that this instance implements."""
    from g2live.contract import REGISTERS

    reg = REGISTERS[name]
    if reg.count == 1:
        return 1
    return param(dut, "N_PAIRS") if name == "PAIR" else param(dut, "N_CHANNELS")


async def setup(dut):
    from cocotbext.axi import AxiLiteBus, AxiLiteMaster
    from common import reset, start_clock

    start_clock(dut)
    dut.st_status.value = 0
    dut.st_count.value = 0
    dut.st_lost_count.value = 0
    dut.st_sync_filtered.value = 0
    dut.st_sync_period.value = 0
    dut.st_dead_count.value = 0
    dut.st_clock_status.value = 0
    dut.st_marker_sizes.value = 0
    for name in ("status", "table", "sizes", "nom_bin_ps", "overlap_count"):
        getattr(dut, f"st_tdc_{name}").value = 0
    master = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
    await reset(dut)
    return master


async def rd(master, addr: int) -> tuple[int, int]:
    r = await master.read(addr, 4)
    return int.from_bytes(r.data, "little"), int(r.resp)


async def wr(master, addr: int, value: int, first: int = 0, n: int = 4) -> int:
    """Write bytes ``first .. first+n-1`` of ``value``; the master strobes exactly those lanes."""
    r = await master.write(addr + first, value.to_bytes(4, "little")[first:first + n])
    return int(r.resp)


def output_of(dut, name: str, slot: int) -> int:
    """The register value as the block drives it to the core (None for registers with no port)."""
    sig = {"CONTROL": dut.reg_control, "CHANNEL_ENABLE": dut.reg_channel_enable,
           "SYNC_CHANNEL": dut.reg_sync_channel, "BIN_WIDTH_PS": dut.reg_bin_width_ps,
           "N_BINS": dut.reg_n_bins, "OFFSET_PS": dut.reg_offset_ps,
           "INTEGRATION_CYCLES": dut.reg_integration_cycles, "PULSED_WINDOW_PS": dut.reg_pulsed_window_ps,
           "SYNC_DIVIDER": dut.reg_sync_divider, "MARKER_ENABLE": dut.reg_marker_enable,
           "TIME_PRESET_LO": dut.reg_time_preset, "TIME_PRESET_HI": dut.reg_time_preset,
           "PAIR": dut.reg_pair, "DEAD_TIME_PS": dut.reg_dead_time_ps, "DELAY_PS": dut.reg_delay_ps,
           "PACKET_WORDS": dut.reg_packet_words, "PACKET_TIMEOUT_CYCLES": dut.reg_packet_timeout_cycles,
           "CLOCK_CONTROL": dut.reg_clock_control,
           "TDC_CONTROL": dut.reg_tdc_control, "TDC_CAL_ENABLE": dut.reg_tdc_cal_enable,
           "TDC_SELECT": dut.reg_tdc_select}[name]
    v = int(sig.value)
    if name == "TIME_PRESET_HI":
        slot = 1
    return (v >> (32 * slot)) & 0xFFFFFFFF


@cocotb.test()
async def identity_and_reset(dut) -> None:
    """ID, VERSION, SIZES, CLK_PERIOD_PS and the reset value of every implemented register."""
    from g2live import contract as k

    m = await setup(dut)
    assert await rd(m, k.REG_ID) == (k.REG_ID_VALUE, OKAY)
    ver = k.REGISTERS["VERSION"]
    v, resp = await rd(m, k.REG_VERSION)
    assert resp == OKAY
    assert ver.fields["major"].get(v) == k.REG_VERSION_MAJOR
    assert ver.fields["minor"].get(v) == k.REG_VERSION_MINOR
    sz = k.REGISTERS["SIZES"].fields
    want = (sz["n_channels"].put(PARAMS["N_CHANNELS"]) | sz["n_pairs"].put(PARAMS["N_PAIRS"])
            | sz["n_bins_log2"].put(PARAMS["N_BINS_LOG2"]) | sz["max_photons"].put(PARAMS["MAX_PHOTONS"])
            | sz["sync_input"].put(PARAMS["N_CHANNELS"] - 1))  # default SYNC_INPUT: the last input
    assert await rd(m, k.REG_SIZES) == (want, OKAY)
    assert await rd(m, k.REG_CLK_PERIOD_PS) == (PARAMS["CLK_PERIOD_PS"], OKAY)
    for name, reg in k.REGISTERS.items():
        if name in ("ID", "VERSION", "SIZES", "CLK_PERIOD_PS"):
            continue
        n = implemented(dut, name)
        for s in range(reg.count):
            exp = reg.reset if s < n else 0  # unimplemented slots read 0
            assert await rd(m, reg.addr(s)) == (exp, OKAY), f"{name}[{s}] reset value"
            if reg.access == "rw" and s < n:
                assert output_of(dut, name, s) == reg.reset, f"{name}[{s}] output after reset"

@cocotb.test()
async def readback_and_strobes(dut) -> None:
    """Random values into every rw slot read back and reach the outputs; byte strobes merge."""
    from g2live import contract as k

    m = await setup(dut)
    rng = random.Random(5)
    written: dict[tuple[str, int], int] = {}
    for name, reg in k.REGISTERS.items():
        if reg.access != "rw":
            continue
        for s in range(implemented(dut, name)):
            v = rng.getrandbits(32)
            assert await wr(m, reg.addr(s), v) == OKAY
            written[(name, s)] = v
    for (name, s), v in written.items():
        assert await rd(m, k.REGISTERS[name].addr(s)) == (v, OKAY), f"{name}[{s}] read-back"
        assert output_of(dut, name, s) == v, f"{name}[{s}] output"
    # strobes: only the enabled bytes change
    for first, nb in ((0, 1), (1, 2), (3, 1), (2, 2), (0, 3)):
        old = written[("OFFSET_PS", 0)]
        new = rng.getrandbits(32)
        assert await wr(m, k.REG_OFFSET_PS, new, first, nb) == OKAY
        mask = sum(0xFF << (8 * b) for b in range(first, first + nb))
        strb = ((1 << nb) - 1) << first
        exp = (old & ~mask) | (new & mask)
        assert await rd(m, k.REG_OFFSET_PS) == (exp, OKAY), f"wstrb {strb:#x}"
        written[("OFFSET_PS", 0)] = exp

@cocotb.test()
async def command_pulses(dut) -> None:
    """COMMAND is w1p: each set bit gives exactly one one-cycle pulse; COMMAND reads 0."""
    from cocotb.triggers import RisingEdge
    from g2live import contract as k

    m = await setup(dut)
    f = k.REGISTERS["COMMAND"].fields
    pulses = {"clear": 0, "swap": 0, "tdc": 0}
    width_ok = {"ok": True}
    prev = {"clear": 0, "swap": 0, "tdc": 0}

    async def watch() -> None:
        while True:
            await RisingEdge(dut.clk)
            cur = {"clear": int(dut.cmd_clear.value), "swap": int(dut.cmd_swap.value),
                   "tdc": int(dut.cmd_tdc_restart.value)}
            for key in cur:
                if cur[key] and prev[key]:
                    width_ok["ok"] = False
                pulses[key] += cur[key] and not prev[key]
            prev.update(cur)

    cocotb.start_soon(watch())
    plan = [("clear",), ("swap",), ("clear", "swap"), (), ("swap",)]
    for bits in plan:
        v = sum(f[b].put(1) for b in bits)
        assert await wr(m, k.REG_COMMAND, v) == OKAY
    restart = k.REGISTERS["TDC_COMMAND"].fields["cal_restart"].put(1)
    for _ in range(2):
        assert await wr(m, k.REG_TDC_COMMAND, restart) == OKAY
    for _ in range(5):
        await RisingEdge(dut.clk)
    assert width_ok["ok"], "a command pulse lasted more than one cycle"
    assert pulses == {"clear": sum("clear" in b for b in plan), "swap": sum("swap" in b for b in plan),
                      "tdc": 2}
    assert await rd(m, k.REG_COMMAND) == (0, OKAY)
    assert await rd(m, k.REG_TDC_COMMAND) == (0, OKAY)

@cocotb.test()
async def arrays_status_and_bad_addresses(dut) -> None:
    """Status inputs appear in STATUS/CLOCK_STATUS/COUNT/LOST_COUNT/DEAD_COUNT/TDC_*; slots beyond
    the instance read 0 and ignore writes; unmapped addresses and read-only writes answer SLVERR."""
    from g2live import contract as k

    m = await setup(dut)
    rng = random.Random(9)
    n = param(dut, "N_CHANNELS")
    st = {name: [rng.getrandbits(32) for _ in range(n)]
          for name in ("COUNT", "LOST_COUNT", "DEAD_COUNT", "TDC_OVERLAP_COUNT")}
    dut.st_count.value = sum(v << (32 * c) for c, v in enumerate(st["COUNT"]))
    dut.st_lost_count.value = sum(v << (32 * c) for c, v in enumerate(st["LOST_COUNT"]))
    dut.st_dead_count.value = sum(v << (32 * c) for c, v in enumerate(st["DEAD_COUNT"]))
    dut.st_tdc_overlap_count.value = sum(v << (32 * c) for c, v in enumerate(st["TDC_OVERLAP_COUNT"]))
    filtered, period = rng.getrandbits(32), rng.getrandbits(32)
    dut.st_sync_filtered.value = filtered
    dut.st_sync_period.value = period
    assert await rd(m, k.REG_SYNC_FILTERED) == (filtered, OKAY)
    assert await rd(m, k.REG_SYNC_PERIOD) == (period, OKAY)
    status = rng.getrandbits(32)
    dut.st_status.value = status
    assert await rd(m, k.REG_STATUS) == (status, OKAY)
    clock = rng.getrandbits(32)
    dut.st_clock_status.value = clock
    assert await rd(m, k.REG_CLOCK_STATUS) == (clock, OKAY)
    sizes = rng.getrandbits(32)
    dut.st_marker_sizes.value = sizes
    assert await rd(m, k.REGISTERS["MARKER_SIZES"].addr()) == (sizes, OKAY)
    for reg, sig in (("TDC_STATUS", "st_tdc_status"), ("TDC_TABLE", "st_tdc_table"),
                     ("TDC_SIZES", "st_tdc_sizes"), ("TDC_NOM_BIN_PS", "st_tdc_nom_bin_ps")):
        v = rng.getrandbits(32)
        getattr(dut, sig).value = v
        assert await rd(m, k.REGISTERS[reg].addr()) == (v, OKAY), reg
    for name, vals in st.items():
        reg = k.REGISTERS[name]
        for c in range(reg.count):
            exp = vals[c] if c < n else 0
            assert await rd(m, reg.addr(c)) == (exp, OKAY), f"{name}[{c}]"
    # unimplemented array slots: OKAY, ignored, read 0; implemented neighbours untouched
    for name in ("PAIR", "DEAD_TIME_PS", "DELAY_PS"):
        reg = k.REGISTERS[name]
        impl = implemented(dut, name)
        before = [await rd(m, reg.addr(s)) for s in range(impl)]
        for s in (impl, reg.count - 1):
            assert await wr(m, reg.addr(s), 0xDEADBEEF) == OKAY, f"{name}[{s}] write"
            assert await rd(m, reg.addr(s)) == (0, OKAY), f"{name}[{s}] must read 0"
        assert [await rd(m, reg.addr(s)) for s in range(impl)] == before
    # read-only registers: write answers SLVERR and changes nothing
    for name, reg in k.REGISTERS.items():
        if reg.access != "ro":
            continue
        before = await rd(m, reg.addr(0))
        assert await wr(m, reg.addr(0), 0x12345678) == SLVERR, f"write to ro {name}"
        assert await rd(m, reg.addr(0)) == before
    # unmapped: the gaps between and after the map
    mapped = {reg.addr(s) for reg in k.REGISTERS.values() for s in range(reg.count)}
    gaps = [a for a in range(0, 1 << k.REG_ADDR_BITS, 4) if a not in mapped]
    assert gaps, "the map leaves unmapped addresses"
    for a in [gaps[0], gaps[len(gaps) // 2], gaps[-1]] + rng.sample(gaps, 5):
        assert (await rd(m, a))[1] == SLVERR, f"read of unmapped {a:#x}"
        assert await wr(m, a, 0xFFFFFFFF) == SLVERR, f"write to unmapped {a:#x}"
