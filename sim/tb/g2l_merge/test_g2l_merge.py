"""g2l_merge (hw/rtl/g2l_merge.sv): time order, watermarks, boundaries and exact overflow counts.

Both the cocotb module and the pytest entry point. The bench plays the channels: in cycle m it
may push, per channel, one tag with raw time in [(m-1)P, mP) plus the channel's delay, and drives
the time base mP: an input latency of one clock (IN_LATENCY = 1), the contract g2l_top gives the
merge with its TDC and channel latencies. Order is checked against the C
twin ``g2live.core.frontend`` (which merges into (time, channel) order); with back-pressure the
delivered tags must be exactly the pushed ones minus the ``overflow`` pulses of their channel.
"""

from __future__ import annotations

import random

import cocotb
import numpy as np
import pytest
from common import param, pause_pattern, rtl, run_rtl

PARAMS = {"N_CHANNELS": 4, "FIFO_DEPTH_LOG2": 3, "BND_DEPTH_LOG2": 2, "CLK_PERIOD_PS": 4000,
          "IN_LATENCY": 1}
P = 4000  # ps per cycle in this bench


@pytest.mark.rtl
def test_g2l_merge(sim: str) -> None:
    run_rtl(sim, "g2l_merge", "test_g2l_merge", rtl("g2l_fifo", "g2l_skid", "g2l_merge_node", "g2l_merge"),
            PARAMS)


# ---- cocotb side -----------------------------------------------------------------------------

async def run_merge(dut, rng: random.Random, cycles: int, p_fire: float, delays: list[int],
                    ready: str, bnd_every: int = 0, ties: bool = False) -> dict:
    """Drive `cycles` cycles of input, then drain; return what went in and came out."""
    from cocotb.triggers import FallingEdge, RisingEdge
    from common import reset, start_clock

    n = param(dut, "N_CHANNELS")
    start_clock(dut)
    dut.in_valid.value = 0
    dut.in_time.value = 0
    dut.bnd_valid.value = 0
    dut.bnd_time.value = 0
    dut.out_ready.value = 1
    dut.clear.value = 0
    dut.cfg_delay_ps.value = sum((d & 0xFFFFFFFF) << (32 * c) for c, d in enumerate(delays))
    dut.time_ps.value = 0
    await reset(dut)
    pushed: list[tuple[int, int]] = []  # (channel, raw)
    bounds: list[int] = []
    out: list[tuple[int, int, int]] = []  # (boundary, channel, time)
    overflow = np.zeros(n, np.int64)
    pauses = pause_pattern(ready, rng.randrange(1 << 30))
    state = {"cycle": 0, "done": False}

    async def monitor() -> None:
        while True:
            await RisingEdge(dut.clk)
            if int(dut.out_valid.value) and int(dut.out_ready.value):
                out.append((int(dut.out_boundary.value), int(dut.out_channel.value), int(dut.out_time.value)))
            ov = int(dut.overflow.value)
            for c in range(n):
                overflow[c] += (ov >> c) & 1

    cocotb.start_soon(monitor())
    m = 10  # cycle number; times are m * P
    for _ in range(cycles + 400):
        await FallingEdge(dut.clk)
        active = state["cycle"] < cycles
        dut.out_ready.value = 1 if pauses is None or not active else int(not next(pauses))
        dut.time_ps.value = m * P
        valid, times = 0, 0
        if active:
            together = rng.random() < p_fire  # ties: all channels at once, at the cycle start
            for c in range(n):
                if (together if ties else rng.random() < p_fire):
                    raw = (m - 1) * P + (0 if ties else rng.randrange(P))
                    valid |= 1 << c
                    times |= ((raw + delays[c]) & (2**64 - 1)) << (64 * c)
                    pushed.append((c, raw))
        dut.in_valid.value = valid
        dut.in_time.value = times
        fire_bnd = active and bnd_every and state["cycle"] % bnd_every == bnd_every - 1 and not int(
            dut.bnd_full.value)
        dut.bnd_valid.value = int(bool(fire_bnd))
        dut.bnd_time.value = m * P
        if fire_bnd:
            bounds.append(m * P)
        m += 1
        state["cycle"] += 1
    return {"pushed": pushed, "bounds": bounds, "out": out, "overflow": overflow, "n": n}


def check(res: dict, delays: list[int], lossless: bool) -> None:
    from g2live import core

    n = res["n"]
    out = res["out"]
    tags = [(c, t) for b, c, t in out if not b]
    got_bounds = [t for b, _, t in out if b]
    assert got_bounds == res["bounds"], "every boundary delivered once, in order"
    # stream order: (time, boundary first, channel) non-decreasing
    keys = [(t, 0 if b else 1, c) for b, c, t in out]
    assert all(keys[i] <= keys[i + 1] for i in range(len(keys) - 1)), "output out of stream order"
    ch = np.array([c for c, _ in res["pushed"]], np.uint8)
    raw = np.array([r for _, r in res["pushed"]], np.int64)
    ech, et, _ = core.frontend(ch, raw, 0, {c: d for c, d in enumerate(delays)})
    exp = list(zip(ech.tolist(), et.tolist(), strict=True))
    pushed_per = np.bincount(ch, minlength=n)
    got_per = np.bincount(np.array([c for c, _ in tags], np.int64), minlength=n)
    np.testing.assert_array_equal(got_per + res["overflow"], pushed_per,
                                  "delivered + overflow pulses == pushed, per channel")
    if lossless:
        assert res["overflow"].sum() == 0
        assert tags == exp, "merge order differs from the twin's (time, channel) order"
    else:
        assert res["overflow"].sum() > 0, "stimulus must overflow"
        assert set(tags) <= set(exp)


@cocotb.test()
async def ordered_random(dut) -> None:
    """Random channels, signed delays, boundaries, no back-pressure: exactly the twin's order."""
    rng = random.Random(1)
    n = param(dut, "N_CHANNELS")
    delays = [rng.randrange(-3 * P, 3 * P) for _ in range(n)]
    res = await run_merge(dut, rng, 3000, 0.2, delays, "none", bnd_every=97)
    check(res, delays, lossless=True)

@cocotb.test()
async def every_channel_every_clock(dut) -> None:
    """All channels fire every clock (n tags/clock into 1/clock out): exact overflow counts."""
    rng = random.Random(2)
    n = param(dut, "N_CHANNELS")
    delays = [0, 1000, -1000, 0][:n] + [0] * max(0, n - 4)
    res = await run_merge(dut, rng, 600, 1.0, delays, "none", bnd_every=50)
    check(res, delays, lossless=False)


@cocotb.test()
async def backpressure(dut) -> None:
    """Moderate input, bursty output stalls: order kept, every drop counted."""
    rng = random.Random(3)
    n = param(dut, "N_CHANNELS")
    delays = [rng.randrange(-2 * P, 2 * P) for _ in range(n)]
    res = await run_merge(dut, rng, 3000, 0.15, delays, "bursty", bnd_every=211)
    check(res, delays, lossless=False)


@cocotb.test()
async def ties(dut) -> None:
    """Every channel at one time (equal times: ascending channel), boundaries at exactly the
    time of the next tags (boundary first): exactly the twin's order."""
    rng = random.Random(4)
    n = param(dut, "N_CHANNELS")
    res = await run_merge(dut, rng, 2000, 0.1, [0] * n, "none", bnd_every=7, ties=True)
    check(res, [0] * n, lossless=True)


@cocotb.test()
async def ties_and_spread(dut) -> None:
    """The same ties with delays that put the channels five clocks apart in both directions
    (the watermarks hold the early ones back) and a few output stalls."""
    rng = random.Random(5)
    n = param(dut, "N_CHANNELS")
    delays = [(-1) ** c * 5 * P + c for c in range(n)]  # +-5 clocks, not a multiple of P
    res = await run_merge(dut, rng, 2000, 0.05, delays, "half", bnd_every=13, ties=True)
    check(res, delays, lossless=True)
