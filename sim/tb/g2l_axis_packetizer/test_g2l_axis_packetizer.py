# SPDX-License-Identifier: BSD-3-Clause
"""g2l_axis_packetizer (hw/rtl/g2l_axis_packetizer.sv): tlast only where the host's packet rule says.

Both the cocotb module and the pytest entry point. A random record stream (TAG, ROLLOVER, LOST,
MARKER words, HERALD/HERALD_DELAYS pairs, FRAMEs of 0..60 payload words whose payload bits are
random, so payload that looks like a FRAME or HERALD header must not be parsed) goes in with random
idle gaps, some longer than the timeout, under random and bursty back-pressure. Checked per
(PACKET_WORDS, PACKET_TIMEOUT_CYCLES) setting:
- the words come out unchanged, in order, none lost or repeated;
- every tlast is where ``g2live.device.packets.packet_ends`` (the rule's Python twin) puts it,
  given the cycles the bench saw each word taken in and first offered;
- tdata/tlast hold still while tvalid waits for tready (AXI4-Stream);
- with tready always high, each word is offered exactly in the cycle the rule allows and no later
  (no word waits for a timeout that is not due, none is stuck when the input goes idle).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from common import pause_pattern, rtl, run_rtl


@pytest.mark.rtl
def test_g2l_axis_packetizer(sim: str) -> None:
    run_rtl(sim, "g2l_axis_packetizer", "test_g2l_axis_packetizer", rtl("g2l_axis_packetizer"), {})


# ---- cocotb side -----------------------------------------------------------------------------

def records(rng: random.Random, n: int, max_frame: int) -> list[list[int]]:
    """``n`` random records as lists of 64-bit words."""
    from g2live import contract as k

    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.45:
            out.append([k.TAG_CHANNEL.put(rng.randrange(64)) | (k.KIND_TAG << 60) | rng.getrandbits(48)])
        elif r < 0.55:
            kind = rng.choice([k.KIND_ROLLOVER, k.KIND_LOST, k.KIND_MARKER])
            out.append([(kind << 60) | rng.getrandbits(60)])
        elif r < 0.75:
            out.append([(k.KIND_HERALD << 60) | rng.getrandbits(60),
                        (k.KIND_HERALD_DELAYS << 60) | rng.getrandbits(60)])
        else:
            length = rng.choice([0, 1, 2, rng.randrange(max_frame + 1)])
            head = (k.KIND_FRAME << 60) | k.FRAME_FRAME_KIND.put(rng.randrange(1, 5)) | length
            out.append([head] + [rng.getrandbits(64) for _ in range(length)])
    return out


async def run_phase(dut, rng: random.Random, cyc: list[int], n_words: int, timeout: int,
                    recs: list[list[int]], p_idle: float, gap: int, ready: str | None) -> dict:
    """Drive the records, collect the output until everything is out and the output is quiet."""
    from cocotb.triggers import FallingEdge, ReadOnly

    await FallingEdge(dut.clk)  # out of the previous phase's ReadOnly
    cyc[0] += 1
    dut.cfg_packet_words.value = n_words
    dut.cfg_timeout_cycles.value = timeout
    words_in = [w for r in recs for w in r]
    pauses = pause_pattern(ready, rng.randrange(1 << 30)) if ready else None
    pos = 0
    idle_left = 0
    presented = False
    seen_valid: list[int] = []    # cycle each input word was first presented
    accepted: list[int] = []      # cycle each input word was taken in
    out: list[tuple[int, int, int]] = []  # (tdata, tlast, cycle first offered)
    offer: tuple[int, int, int] | None = None  # the word on m_axis not yet taken: (data, last, cycle)
    quiet = 0
    while True:
        await FallingEdge(dut.clk)
        cyc[0] += 1
        c = cyc[0]
        if not presented and pos < len(words_in):
            if idle_left:
                idle_left -= 1
            elif rng.random() < p_idle:
                idle_left = rng.randrange(1, gap) if rng.random() < 0.05 else 0
            else:
                presented = True
                seen_valid.append(c)
        dut.s_axis_tvalid.value = int(presented)
        dut.s_axis_tdata.value = words_in[pos] if presented else 0
        rdy = 1 if pauses is None else int(not next(pauses))
        dut.m_axis_tready.value = rdy
        await ReadOnly()
        if presented and int(dut.s_axis_tready.value):
            accepted.append(c)
            pos += 1
            presented = False
        if int(dut.m_axis_tvalid.value):
            data, last = int(dut.m_axis_tdata.value), int(dut.m_axis_tlast.value)
            if offer is None:
                offer = (data, last, c)
            else:
                assert (data, last) == offer[:2], f"cycle {c}: tdata/tlast changed while waiting for tready"
            if rdy:
                out.append(offer)
                offer = None
        else:
            assert offer is None, f"cycle {c}: tvalid dropped before the word was taken"
        quiet = 0 if (pos < len(words_in) or int(dut.m_axis_tvalid.value)) else quiet + 1
        if quiet > timeout + 4:
            break
    return {"in": words_in, "valid": seen_valid, "acc": accepted, "out": out, "ready": ready}


def check(res: dict, n_words: int, timeout: int) -> int:
    from g2live.device import packets

    words = np.array(res["in"], np.uint64)
    got = [w for w, _, _ in res["out"]]
    assert got == res["in"], "words must pass unchanged, in order, each once"
    last = np.array([lst for _, lst, _ in res["out"]], bool)
    offered = np.array([c for _, _, c in res["out"]], np.int64)
    acc = np.array(res["acc"], np.int64)
    ends = packets.record_ends(words)
    # age of each word's packet when the word was first offered, from the packets the DUT made
    starts = np.concatenate([[0], np.flatnonzero(last)[:-1] + 1]) if last.any() else np.array([0])
    first = starts[np.searchsorted(starts, np.arange(words.size), side="right") - 1]
    age = offered - acc[first]
    want = packets.packet_ends(words, n_words, timeout, age)
    bad = np.flatnonzero(want != last)
    assert bad.size == 0, (f"tlast differs from the rule at word {bad[0]} (N={n_words}, T={timeout}, "
                           f"age {age[bad[0]]}, record end {ends[bad[0]]}, DUT {last[bad[0]]})")
    assert last[-1], "the stream ends with a closed packet"
    sizes = np.diff(np.concatenate([[-1], np.flatnonzero(last)]))
    if res["ready"] is None:
        # exact timing: word k is offered as soon as the next word is there or its packet is due
        valid = np.array(res["valid"], np.int64)
        count = np.zeros(words.size, np.int64)
        for s, e in zip(starts, np.flatnonzero(last), strict=True):
            count[s:e + 1] = np.arange(1, e - s + 2)
        for k in range(words.size):
            cand = []
            if k + 1 < words.size:
                cand.append(max(acc[k] + 1, valid[k + 1]))
            if ends[k]:
                if timeout == 0 or count[k] >= n_words:
                    cand.append(acc[k] + 1)
                else:
                    cand.append(max(acc[k] + 1, acc[first[k]] + timeout))
            assert offered[k] == min(cand), f"word {k} offered in cycle {offered[k]}, the rule: {min(cand)}"
    return int(sizes.max())


try:
    import cocotb
except ImportError:  # collected by pytest outside the simulator
    cocotb = None

if cocotb is not None:

    @cocotb.test()
    async def packet_rule(dut) -> None:
        """Every tlast where the rule puts it, over settings from one packet per record to long packets."""
        from common import reset, start_clock
        from g2live.device import packets

        start_clock(dut)
        dut.clear.value = 0
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tdata.value = 0
        dut.m_axis_tready.value = 0
        dut.cfg_packet_words.value = 1
        dut.cfg_timeout_cycles.value = 0
        await reset(dut)
        rng = random.Random(12)
        cyc = [0]
        phases = [  # (N, T, records, max frame, p_idle, longest gap, ready)
            (1, 1000, 300, 12, 0.3, 30, "random"),
            (32, 0, 300, 12, 0.3, 30, "random"),
            (32, 40, 600, 12, 0.4, 120, "random"),
            (32, 40, 600, 12, 0.4, 120, None),
            (7, 25, 400, 60, 0.2, 80, "bursty"),
            (7, 25, 400, 60, 0.2, 80, None),
            (200, 300, 800, 30, 0.1, 400, "half"),
            (64, 2000, 800, 30, 0.02, 40, "half"),
            (0, 9, 200, 8, 0.5, 30, None),
        ]
        for n, t, n_rec, max_frame, p_idle, gap, ready in phases:
            recs = records(rng, n_rec, max_frame)
            res = await run_phase(dut, rng, cyc, n, t, recs, p_idle, gap, ready)
            longest = check(res, n, t)
            bound = packets.max_packet_words(n, max(len(r) for r in recs))
            assert longest <= bound, f"packet of {longest} words, the bound is {bound}"
            dut._log.info("N=%d T=%d ready=%s: %d words, %d packets, longest %d", n, t, ready,
                          len(res["in"]), sum(lst for _, lst, _ in res["out"]), longest)
