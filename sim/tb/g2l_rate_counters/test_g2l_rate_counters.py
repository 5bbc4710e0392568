"""g2l_rate_counters (hw/rtl/g2l_rate_counters.sv): per-channel counts and losses per integration.

Both the cocotb module and the pytest entry point. Random tag streams cut by boundary beats (held
while ``bnd_ready`` is low, as the merge does); each boundary must emit a RATES frame whose counts
equal ``g2live.core.rates`` of the tags of that integration and whose length is the next queued
timer length (0 when the timer queued none), then a LOSSES frame with the losses of that
integration (those of the boundary cycle belong to the next one). ``count`` holds the last
integration's counts, ``lost_total`` every loss since the last clear.
"""

from __future__ import annotations

import random
from collections import deque

import cocotb
import numpy as np
import pytest
from common import StreamSink, param, pause_pattern, reset, rtl, run_rtl, start_clock

PARAMS = {"N_CHANNELS": 5}


@pytest.mark.rtl
def test_g2l_rate_counters(sim: str) -> None:
    run_rtl(sim, "g2l_rate_counters", "test_g2l_rate_counters", rtl("g2l_fifo", "g2l_rate_counters"), PARAMS)


# ---- cocotb side -----------------------------------------------------------------------------

async def run_counters(dut, seed: int, n_integrations: int, p_tag: float, p_lost: float, ready: str,
                       start: bool = True) -> dict:
    """Drive ``n_integrations`` integrations, drain the frames; return stimulus and output."""
    from cocotb.triggers import FallingEdge, ReadOnly

    rng = random.Random(seed)
    n = param(dut, "N_CHANNELS")
    if start:
        start_clock(dut)
    dut.clear.value = 0
    dut.t_fire.value = 0
    dut.t_channel.value = 0
    dut.t_boundary.value = 0
    dut.len_valid.value = 0
    dut.len_cycles.value = 0
    dut.lost_a.value = 0
    dut.lost_b.value = 0
    dut.m_axis_tready.value = 0
    if start:
        await reset(dut)
    sink = StreamSink(dut, pause=pause_pattern(ready, seed)).start()
    integ_ch: list[list[int]] = [[]]  # tag channels of each integration
    integ_lost: list[np.ndarray] = [np.zeros(n, np.int64)]
    lens: deque[int] = deque()  # lengths queued in the timer FIFO (model)
    exp_len: list[int] = []
    lost_total = np.zeros(n, np.int64)
    target = rng.randrange(1, 120)
    since = 0
    quiet = 0
    held = 0  # cycles a due boundary waited for bnd_ready
    while True:
        await FallingEdge(dut.clk)
        done = len(exp_len) >= n_integrations
        if done:
            sink.pause = None  # drain at full rate
        dut.t_fire.value = 0
        dut.t_boundary.value = 0
        dut.len_valid.value = 0
        bnd = False
        if not done:
            since += 1
            due = since >= target
            if due and int(dut.bnd_ready.value):
                bnd = True
                dut.t_fire.value = 1
                dut.t_boundary.value = 1
                dut.t_channel.value = rng.randrange(64)  # ignored on a boundary beat
                exp_len.append(lens.popleft() if lens else 0)
            else:
                held += due
                if rng.random() < p_tag:
                    c = rng.randrange(n)
                    dut.t_fire.value = 1
                    dut.t_channel.value = c
                    integ_ch[-1].append(c)
            # timer lengths: at most 3 queued, never on a boundary cycle (FIFO has no bypass)
            if not bnd and len(lens) < 3 and rng.random() < 0.02:
                v = rng.getrandbits(32)
                dut.len_valid.value = 1
                dut.len_cycles.value = v
                lens.append(v)
            la = [rng.random() < p_lost for _ in range(n)]
            lb = [rng.random() < p_lost for _ in range(n)]
            dut.lost_a.value = sum(1 << c for c in range(n) if la[c])
            dut.lost_b.value = sum(1 << c for c in range(n) if lb[c])
            inc = np.array(la, np.int64) + np.array(lb, np.int64)
            lost_total += inc
            if bnd:
                integ_ch.append([])
                integ_lost.append(inc.copy())  # the boundary cycle's losses go to the next one
                target = rng.randrange(1, 120)
                since = 0
            else:
                integ_lost[-1] += inc
        else:
            dut.lost_a.value = 0
            dut.lost_b.value = 0
        await ReadOnly()
        busy = not done or sink.valid
        quiet = 0 if busy else quiet + 1
        if quiet > 5:
            break
    sink.stop()
    words = sink.take().pairs()
    return {"n": n, "ch": integ_ch[:n_integrations], "lost": integ_lost[:n_integrations], "len": exp_len,
            "lost_total": lost_total, "words": words, "held": held,
            "count": int(dut.count.value), "lost_total_dut": int(dut.lost_total.value)}


def check(res: dict, seq0: int = 0) -> None:
    from g2live import contract as k
    from g2live import core

    n = res["n"]
    words = res["words"]
    per = 2 * n + 3
    assert len(words) == per * len(res["len"]), "one RATES + LOSSES frame pair per boundary"
    counts = np.zeros(n, np.int64)
    for i, (chs, lost, length) in enumerate(zip(res["ch"], res["lost"], res["len"], strict=True)):
        fr = words[i * per:(i + 1) * per]
        hdr, _ = fr[0]
        assert k.KIND.get(hdr) == k.KIND_FRAME
        assert k.FRAME_FRAME_KIND.get(hdr) == k.FRAME_RATES
        assert k.FRAME_INDEX.get(hdr) == seq0 + i, f"integration {i}: frame index"
        assert k.FRAME_LENGTH.get(hdr) == n + 1
        counts = core.rates(np.array(chs, np.uint8), n)
        got = np.array([w for w, _ in fr[1:n + 1]], np.int64)
        np.testing.assert_array_equal(got, counts, f"integration {i}: counts vs core.rates")
        assert fr[n + 1] == (length, 1), f"integration {i}: length word + tlast"
        assert [t for _, t in fr[:n + 1]] == [0] * (n + 1)
        hdr, last = fr[n + 2]
        assert (k.KIND.get(hdr), k.FRAME_FRAME_KIND.get(hdr)) == (k.KIND_FRAME, k.FRAME_LOSSES)
        assert k.FRAME_INDEX.get(hdr) == seq0 + i and k.FRAME_LENGTH.get(hdr) == n and last == 0
        got = np.array([w for w, _ in fr[n + 3:]], np.int64)
        np.testing.assert_array_equal(got, lost, f"integration {i}: losses")
        assert [t for _, t in fr[n + 3:]] == [0] * (n - 1) + [1]
    dut_count = [(res["count"] >> (32 * c)) & 0xFFFFFFFF for c in range(n)]
    np.testing.assert_array_equal(dut_count, counts, "count output = last finished integration")
    dut_total = [(res["lost_total_dut"] >> (32 * c)) & 0xFFFFFFFF for c in range(n)]
    np.testing.assert_array_equal(dut_total, res["lost_total"], "lost_total since clear")


@cocotb.test()
async def random_streams(dut) -> None:
    """Dense random tags and losses, short integrations (down to 1 cycle), free-running output."""
    res = await run_counters(dut, 1, 40, 0.7, 0.05, "none")
    assert sum(len(c) for c in res["ch"]) > 1000 and res["lost_total"].sum() > 100
    check(res)

@cocotb.test()
async def backpressure_and_clear(dut) -> None:
    """Bursty tready holds boundaries (bnd_ready low); then clear restarts numbering and totals."""
    from cocotb.triggers import FallingEdge

    res = await run_counters(dut, 2, 25, 0.5, 0.03, "bursty")
    assert res["held"] > 0, "stimulus must hold a boundary while a frame pair streams"
    check(res)
    await FallingEdge(dut.clk)
    dut.clear.value = 1
    await FallingEdge(dut.clk)
    dut.clear.value = 0
    assert int(dut.count.value) == 0 and int(dut.lost_total.value) == 0
    res = await run_counters(dut, 3, 10, 0.3, 0.02, "random", start=False)
    check(res)
