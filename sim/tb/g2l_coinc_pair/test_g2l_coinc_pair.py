"""g2l_coinc_pair: one correlation pair, driven as g2l_coinc_hist drives it, vs ``g2live.core.Correlator``.

Both the cocotb module and the pytest entry point. The testbench plays the parent: it zeroes
both banks with a sweep, derives the window (lo, width, keeps) exactly as g2l_coinc_hist does,
offers one tag at a time in the scan stage (``s_first`` on its first cycle) and retires it with
``s_advance`` once ``s_done``; then it swaps banks, reads and clears every bin of the filled
bank and compares it bit-exactly with the C twin for the same pair on the same stream. The short
random stream has equal times and delays exactly on both window edges (asserted on the stream).
"""

from __future__ import annotations

import random

import cocotb
import numpy as np
import pytest
from common import param, rtl, run_rtl

PARAMS = {"N_BINS_LOG2": 4, "HIST_DEPTH": 32, "COUNT_W": 16, "GHOST_DEPTH": 4}
BIN_WIDTH_PS = 8
N_BINS = 16
OFFSET_PS = 12
M64 = (1 << 64) - 1


@pytest.mark.rtl
def test_g2l_coinc_pair(sim: str) -> None:
    run_rtl(sim, "g2l_coinc_pair", "test_g2l_coinc_pair", rtl("g2l_bram_sdp", "g2l_coinc_pair"), PARAMS)


def window() -> tuple[int, int, int, int, int]:
    """lo, width, keep_a, keep_b, keep_auto as g2l_coinc_hist derives them from its registers."""
    width = N_BINS * BIN_WIDTH_PS
    lo = OFFSET_PS - (N_BINS // 2) * BIN_WIDTH_PS
    keep_a = lo + width - 1
    keep_b = -lo
    return lo, width, keep_a, keep_b, max(keep_a, keep_b)


def stream(seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Random two-channel stream: steps of 0 (equal times) up to beyond the window."""
    rng = random.Random(seed)
    lo, width, _, _, _ = window()
    steps = [0, 0, 1, 3, BIN_WIDTH_PS, -lo, lo + width - 1, lo + width, 40, 90, 300]
    t = 1000
    ch, tm = [], []
    for _ in range(n):
        t += rng.choice(steps) if rng.random() < 0.5 else rng.randrange(0, 60)
        ch.append(rng.randrange(2))
        tm.append(t)
    return np.array(ch, dtype=np.uint8), np.array(tm, dtype=np.int64)


def delays(ch: np.ndarray, tm: np.ndarray, a: int, b: int) -> set[int]:
    """All t_b - t_a over ordered tag pairs (distinct tags), to check the stream covers the edges."""
    out = set()
    for i in range(len(tm)):
        for j in range(len(tm)):
            if i != j and ch[i] == a and ch[j] == b and abs(int(tm[j]) - int(tm[i])) < 400:
                out.add(int(tm[j]) - int(tm[i]))
    return out


async def run_pair(dut, a: int, b: int, seed: int) -> None:
    from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge
    from common import reset, start_clock
    from g2live.core import Correlator

    n_bins = 1 << param(dut, "N_BINS_LOG2")
    assert n_bins == N_BINS
    lo, width, keep_a, keep_b, keep_auto = window()
    start_clock(dut)
    for name in ("s_tag", "s_first", "s_channel", "s_time", "s_advance", "flush", "bank",
                 "dump_rd", "dump_addr", "sweep", "sweep_both", "sweep_addr"):
        getattr(dut, name).value = 0
    dut.cfg_en.value = 1
    dut.cfg_a.value = a
    dut.cfg_b.value = b
    dut.cfg_lo.value = lo & M64
    dut.cfg_width.value = width
    dut.cfg_shift.value = BIN_WIDTH_PS.bit_length() - 1
    dut.cfg_keep_a.value = keep_a & M64
    dut.cfg_keep_b.value = keep_b & M64
    dut.cfg_keep_auto.value = keep_auto & M64
    await reset(dut)
    # zero both banks (their power-up contents are undefined)
    for k in range(n_bins):
        await FallingEdge(dut.clk)
        dut.sweep.value = 1
        dut.sweep_both.value = 1
        dut.sweep_addr.value = k
    await FallingEdge(dut.clk)
    dut.sweep.value = 0
    dut.sweep_both.value = 0

    ch, tm = stream(seed)
    d = delays(ch, tm, a, b)
    for edge in (lo, lo + width - 1, lo + width, 0):
        assert edge in d, f"the stream must contain delay {edge} ps (window edge / equal times)"
    missed = 0
    for c, t in zip(ch, tm, strict=True):
        first = True
        while True:
            await FallingEdge(dut.clk)
            dut.s_tag.value = 1
            dut.s_first.value = int(first)
            dut.s_channel.value = int(c)
            dut.s_time.value = int(t)
            dut.s_advance.value = 0
            first = False
            await ReadOnly()
            if int(dut.s_done.value):
                break
        # retire in the next cycle (the tag stays in the scan stage, its pair stays done)
        await FallingEdge(dut.clk)
        dut.s_first.value = 0
        dut.s_advance.value = 1
        await ReadOnly()
        assert int(dut.s_done.value), "s_done must hold until the tag is retired"
        missed += int(dut.missed.value)
        assert not int(dut.saturate.value)
    await FallingEdge(dut.clk)
    dut.s_tag.value = 0
    dut.s_advance.value = 0
    while True:
        await RisingEdge(dut.clk)
        await ReadOnly()
        if not int(dut.busy.value):
            break
    assert missed == 0, "the stream is short enough that no history entry is overwritten"

    # swap banks, read and clear the filled one
    await FallingEdge(dut.clk)
    dut.bank.value = 1
    got = []
    for k in range(n_bins + 1):
        await FallingEdge(dut.clk)
        if k:
            got.append(int(dut.dump_data.value))
        dut.dump_rd.value = int(k < n_bins)
        dut.dump_addr.value = k % n_bins
    dut.dump_rd.value = 0

    corr = Correlator([(a, b)], BIN_WIDTH_PS, N_BINS, OFFSET_PS)
    corr.update(ch, tm)
    want = [int(x) for x in corr.histograms(clear=True)[0]]
    assert sum(want) > 50, "the stream must fill the histogram"
    assert got == want, f"bank contents differ from Correlator: {got} != {want}"

@cocotb.test()
async def cross_pair(dut) -> None:
    await run_pair(dut, 0, 1, seed=3)

@cocotb.test()
async def auto_pair(dut) -> None:
    await run_pair(dut, 1, 1, seed=5)
