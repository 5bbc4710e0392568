# SPDX-License-Identifier: BSD-3-Clause
"""g2l_coinc_pair: one correlation pair, driven as g2l_coinc_hist drives it, vs ``g2live.core.Correlator``.

Both the cocotb module and the pytest entry point. The testbench plays the parent: it zeroes
both banks with a sweep, derives the window (lo, out mask, keeps) exactly as g2l_coinc_hist does, offers
one tag at a time in the scan stage (``s_first`` on its first cycle, a few idle clocks between
tags in some runs, so the ghost comparator's rotation meets every tag in every phase) and
retires it with ``s_advance`` once ``s_done``; then it swaps banks, reads and clears every bin
of the filled bank.

A history keeps HIST_DEPTH tags per channel, so a partner can have left it (overwritten) before
a later tag in its window arrives: that pair is not binned but reported in ``missed`` of that
tag (a ghost). :func:`expected` splits the C twin's pairs into those two kinds, tag by tag, from
the stream alone (which partners are still among the last HIST_DEPTH tags of their channel), and
checks that the split adds up to the twin's histogram; the RTL must give the binned part bit for
bit and ``missed`` exactly per tag (the runs keep the ghost FIFOs from overflowing; one run
overflows them on purpose and checks that ``inexact`` says so). Streams: random ones with delays
exactly on both window edges, bursts that overwrite entries whose partners sit exactly on, just
inside and just outside the window edges (both signs of the delay, three window positions), and
all of them again near the ends of the 64-bit time (crossing -1 -> 0, i.e. 2**64 - 1 -> 0 as the
RTL's unsigned bits, up to 2**63 - 1 and from -2**63).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import cocotb
import numpy as np
import pytest
from common import param, rtl, run_rtl

# A short history (8 tags per channel) so bursts overwrite entries; 16 ghosts as on the board.
PARAMS = {"N_BINS_LOG2": 4, "HIST_DEPTH": 8, "COUNT_W": 16, "GHOST_DEPTH": 16}
BIN_WIDTH_PS = 8
N_BINS = 16
M64 = (1 << 64) - 1
I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1


@pytest.mark.rtl
def test_g2l_coinc_pair(sim: str) -> None:
    run_rtl(sim, "g2l_coinc_pair", "test_g2l_coinc_pair", rtl("g2l_bram_sdp", "g2l_coinc_pair"), PARAMS)


@dataclass(frozen=True)
class Window:
    """The window as g2l_coinc_hist derives it from offset_ps (bin width and n_bins fixed here)."""

    offset_ps: int

    @property
    def lo(self) -> int:
        return self.offset_ps - (N_BINS // 2) * BIN_WIDTH_PS

    @property
    def hi(self) -> int:
        return self.lo + N_BINS * BIN_WIDTH_PS

    def keeps(self) -> tuple[int, int, int]:
        """keep_a = hi - 1, keep_b = -lo, keep_auto = their maximum (g2l_coinc_hist's c4/c stages)."""
        ka, kb = self.hi - 1, -self.lo
        return ka, kb, max(ka, kb)


@dataclass
class Expected:
    binned: np.ndarray      # the histogram the pair's bank must hold
    missed: list[int]       # per tag: pairs with a partner that had left the history
    lost_d: set[int]        # delays of those pairs
    ghost_d: set[int]       # delays of every (overwritten partner, later tag) pair, in the window or not


def expected(ch: np.ndarray, tm: np.ndarray, a: int, b: int, depth: int, w: Window) -> Expected:
    """Split the pairs of (a, b) by whether the older tag is still in its history (see the file
    comment), and check the split against the C twin."""
    from g2live.core import Correlator

    past: dict[int, list[int]] = {a: [], b: []}   # a == b: one list
    binned = np.zeros(N_BINS, np.int64)
    lost = np.zeros(N_BINS, np.int64)
    out = Expected(binned, [], set(), set())
    for c, t in zip(ch.tolist(), tm.tolist(), strict=True):
        terms: list[tuple[int, int, int]] = []   # (d, partner channel, partner index)
        if c == b:   # d = t_b - t_a with every earlier a
            terms += [(t - g, a, i) for i, g in enumerate(past[a]) if t - g < 4 * (w.hi - w.lo) + 400]
        if c == a:   # d = t_b - t_a with every earlier b
            terms += [(g - t, b, i) for i, g in enumerate(past[b]) if t - g < 4 * (w.hi - w.lo) + 400]
        n = 0
        for d, pc, i in terms:
            gone = i < len(past[pc]) - depth
            if gone:
                out.ghost_d.add(d)
            if not w.lo <= d < w.hi:
                continue
            k = (d - w.lo) // BIN_WIDTH_PS
            if gone:
                lost[k] += 1
                out.lost_d.add(d)
                n += 1
            else:
                binned[k] += 1
        out.missed.append(n)
        if c in (a, b):
            past[c].append(t)
    corr = Correlator([(a, b)], BIN_WIDTH_PS, N_BINS, w.offset_ps)
    corr.update(ch, tm)
    twin = corr.histograms(clear=True)[0]
    assert np.array_equal(binned + lost, twin), "the split must add up to the C twin's histogram"
    return out


def random_stream(seed: int, w: Window, n: int = 300, t0: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Random two-channel stream: steps of 0 (equal times) up to beyond the window."""
    rng = random.Random(seed)
    steps = [0, 0, 1, 3, BIN_WIDTH_PS, -w.lo, w.hi - 1, w.hi, 40, 90, 300]
    t = t0
    ch, tm = [], []
    for _ in range(n):
        t += rng.choice([s for s in steps if s >= 0]) if rng.random() < 0.5 else rng.randrange(0, 60)
        ch.append(rng.randrange(2))
        tm.append(t)
    return np.array(ch, dtype=np.uint8), np.array(tm, dtype=np.int64)


def burst_stream(seed: int, a: int, b: int, w: Window, depth: int, rounds: int = 24,
                 t0: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Rounds of a burst of one channel (more tags than the history holds, 0..2 ps apart), then
    partner tags at delays exactly on, just inside and just outside both window edges (and 0, 1)
    from the tags the burst overwrote, then a gap that retires every ghost."""
    rng = random.Random(seed)
    edges = [w.lo - 1, w.lo, w.lo + 1, w.hi - 2, w.hi - 1, w.hi, 0, 1, -1]
    t = t0
    ch: list[int] = []
    tm: list[int] = []
    for _ in range(rounds):
        x = rng.choice([a, b])
        y = b if x == a else a
        burst = []
        for _ in range(depth + rng.randrange(1, 7)):
            t += rng.choice([0, 0, 1, 2])
            burst.append(t)
        ch += [x] * len(burst)
        tm += burst
        gone = burst[: len(burst) - depth]
        # the partner's time for delay e: d = t_b - t_a, so g + e after an a burst, g - e after a
        # b burst; an auto pair counts both signs, so g + |e|
        def later(g: int, e: int, x: int = x) -> int:
            return g + abs(e) if a == b else g + e if x == a else g - e

        # few enough partners that they overwrite at most a few entries themselves (the ghost
        # FIFOs must not overflow)
        partners = {later(gone[0], e) for e in rng.sample(edges, 4)}
        partners |= {later(g, rng.choice(edges)) for g in gone[1:]}
        partners = sorted(p for p in partners if p >= t)
        ch += [y] * len(partners)
        tm += partners
        t = max(t, partners[-1] if partners else t) + abs(w.lo) + abs(w.hi) + rng.randrange(0, 50)
    return np.array(ch, dtype=np.uint8), np.array(tm, dtype=np.int64)


def at(ch: np.ndarray, tm: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
    """The same stream moved to begin at ``start`` (int64)."""
    return ch, (tm - tm[0] + np.int64(start)).astype(np.int64)


async def setup(dut, a: int, b: int, w: Window) -> None:
    """Configuration, reset and the sweep of both banks (their power-up contents are undefined)."""
    from cocotb.triggers import FallingEdge
    from common import reset

    for name in ("s_tag", "s_first", "s_channel", "s_time", "s_advance", "flush", "bank",
                 "dump_rd", "dump_addr", "sweep", "sweep_both", "sweep_addr"):
        getattr(dut, name).value = 0
    ka, kb, kauto = w.keeps()
    dut.cfg_en.value = 1
    dut.cfg_a.value = a
    dut.cfg_b.value = b
    dut.cfg_lo.value = w.lo & M64
    dut.cfg_out_mask.value = ~(N_BINS * BIN_WIDTH_PS - 1) & M64
    dut.cfg_shift.value = BIN_WIDTH_PS.bit_length() - 1
    dut.cfg_keep_a.value = ka & M64
    dut.cfg_keep_b.value = kb & M64
    dut.cfg_keep_auto.value = kauto & M64
    await reset(dut)
    for k in range(N_BINS):
        await FallingEdge(dut.clk)
        dut.sweep.value = 1
        dut.sweep_both.value = 1
        dut.sweep_addr.value = k
    await FallingEdge(dut.clk)
    dut.sweep.value = 0
    dut.sweep_both.value = 0


async def feed(dut, ch: np.ndarray, tm: np.ndarray, idle_seed: int | None) -> tuple[list[int], bool]:
    """Offer the tags one by one (0..5 idle clocks before each with ``idle_seed``); ``missed``
    per tag, and whether ``inexact`` ever pulsed."""
    from cocotb.triggers import FallingEdge, ReadOnly

    rng = random.Random(idle_seed)
    missed: list[int] = []
    inexact = False
    for c, t in zip(ch.tolist(), tm.tolist(), strict=True):
        for _ in range(rng.randrange(6) if idle_seed is not None else 0):
            await FallingEdge(dut.clk)
            dut.s_tag.value = 0
            dut.s_first.value = 0
            dut.s_advance.value = 0
            await ReadOnly()
            inexact |= bool(int(dut.inexact.value))
        first = True
        while True:
            await FallingEdge(dut.clk)
            dut.s_tag.value = 1
            dut.s_first.value = int(first)
            dut.s_channel.value = c
            dut.s_time.value = t & M64
            dut.s_advance.value = 0
            first = False
            await ReadOnly()
            inexact |= bool(int(dut.inexact.value))
            if int(dut.s_done.value):
                break
        # retire in the next cycle (the tag stays in the scan stage, its pair stays done)
        await FallingEdge(dut.clk)
        dut.s_first.value = 0
        dut.s_advance.value = 1
        await ReadOnly()
        assert int(dut.s_done.value), "s_done must hold until the tag is retired"
        missed.append(int(dut.missed.value))
        assert not int(dut.saturate.value)
    await FallingEdge(dut.clk)
    dut.s_tag.value = 0
    dut.s_advance.value = 0
    for _ in range(8):   # a ghost dropped at the last tag's insertion pulses `inexact` after it
        await FallingEdge(dut.clk)
        await ReadOnly()
        inexact |= bool(int(dut.inexact.value))
    return missed, inexact


async def dump(dut) -> list[int]:
    """Swap banks, read and clear the filled one."""
    from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

    while True:
        await RisingEdge(dut.clk)
        await ReadOnly()
        if not int(dut.busy.value):
            break
    await FallingEdge(dut.clk)
    dut.bank.value = 1
    got = []
    for k in range(N_BINS + 1):
        await FallingEdge(dut.clk)
        if k:
            got.append(int(dut.dump_data.value))
        dut.dump_rd.value = int(k < N_BINS)
        dut.dump_addr.value = k % N_BINS
    dut.dump_rd.value = 0
    return got


async def run_pair(dut, a: int, b: int, ch: np.ndarray, tm: np.ndarray, w: Window,
                   idle_seed: int | None = None, ghosts_fit: bool = True) -> Expected:
    """One stream through a fresh pair; bank and per-tag ``missed`` against :func:`expected`."""
    assert param(dut, "N_BINS_LOG2") == N_BINS.bit_length() - 1
    want = expected(ch, tm, a, b, param(dut, "HIST_DEPTH"), w)
    await setup(dut, a, b, w)
    missed, inexact = await feed(dut, ch, tm, idle_seed)
    got = await dump(dut)
    assert got == want.binned.tolist(), f"bank contents differ: {got} != {want.binned.tolist()}"
    if ghosts_fit:
        assert not inexact, "the ghost FIFOs should not overflow on this stream"
        bad = [(i, m, e) for i, (m, e) in enumerate(zip(missed, want.missed, strict=True)) if m != e]
        assert not bad, f"missed differs at (tag, got, want): {bad[:8]}"
    else:
        assert inexact, "the ghost FIFOs overflow on this stream: inexact must say so"
        assert all(m <= e for m, e in zip(missed, want.missed, strict=True))
        assert sum(missed) < sum(want.missed)
    return want


async def random_run(dut, a: int, b: int, seed: int, start: int | None = 1000) -> None:
    """A random stream from ``start`` (None: ending at 2**63 - 1)."""
    w = Window(12)
    ch, tm = random_stream(seed, w)
    ch, tm = at(ch, tm, I64_MAX - int(tm[-1] - tm[0]) if start is None else start)
    want = await run_pair(dut, a, b, ch, tm, w)
    d = {int(y) - int(x) for i, x in enumerate(tm) for j, y in enumerate(tm)
         if i != j and ch[i] == a and ch[j] == b and abs(int(y) - int(x)) < 400}
    for edge in (w.lo, w.hi - 1, w.hi, 0):
        assert edge in d, f"the stream must contain delay {edge} ps (window edge / equal times)"
    assert want.binned.sum() > 50, "the stream must fill the histogram"


async def burst_run(dut, a: int, b: int, seed: int, start: int = 1000) -> None:
    """Bursts at three window positions (around 0, wholly positive, wholly negative)."""
    for k, w in enumerate((Window(12), Window(100), Window(-100))):
        ch, tm = at(*burst_stream(seed + k, a, b, w, param(dut, "HIST_DEPTH")), start)
        want = await run_pair(dut, a, b, ch, tm, w, idle_seed=seed + k)
        assert {w.lo, w.hi - 1} <= want.lost_d, f"{w}: ghosts must hit both window edges"
        assert {w.lo - 1, w.hi} <= want.ghost_d, f"{w}: ghosts must fall just outside both edges"


@cocotb.test()
async def cross_pair(dut) -> None:
    from common import start_clock

    start_clock(dut)
    await random_run(dut, 0, 1, seed=3)


@cocotb.test()
async def auto_pair(dut) -> None:
    from common import start_clock

    start_clock(dut)
    await random_run(dut, 1, 1, seed=5)


@cocotb.test()
async def ghost_edges(dut) -> None:
    """Overwritten entries whose partners lie exactly on the window edges, cross and auto."""
    from common import start_clock

    start_clock(dut)
    await burst_run(dut, 0, 1, seed=11)
    await burst_run(dut, 1, 0, seed=21)
    await burst_run(dut, 2, 2, seed=31)


@cocotb.test()
async def time_ends(dut) -> None:
    """The same kinds of streams where the 64-bit time ends: across -1 -> 0 (2**64 - 1 -> 0 in
    the RTL's bits), up to 2**63 - 1 and up from -2**63."""
    from common import start_clock

    start_clock(dut)
    w = Window(12)
    for k, (a, b) in enumerate(((0, 1), (3, 3))):
        ch, tm = burst_stream(40 + k, a, b, w, param(dut, "HIST_DEPTH"))
        span = int(tm[-1] - tm[0])
        for start in (-span // 2, I64_MAX - span, I64_MIN):
            await run_pair(dut, a, b, *at(ch, tm, start), w, idle_seed=k)
    await random_run(dut, 0, 1, seed=7, start=-1500)
    await random_run(dut, 1, 1, seed=8, start=None)


@cocotb.test()
async def ghost_overflow(dut) -> None:
    """More overwritten entries in the window than the ghost FIFO holds: ``inexact`` pulses and
    ``missed`` is a lower bound, tag by tag."""
    from common import start_clock

    start_clock(dut)
    depth, ghosts = param(dut, "HIST_DEPTH"), param(dut, "GHOST_DEPTH")
    w = Window(12)
    n = depth + ghosts + 6
    ch = np.array([0] * n + [1, 1], dtype=np.uint8)
    tm = np.array([1000 + k // 4 for k in range(n)] + [1000 + n // 4 + 3, 1000 + n // 4 + 9], dtype=np.int64)
    await run_pair(dut, 0, 1, ch, tm, w, ghosts_fit=False)
