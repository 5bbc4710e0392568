# SPDX-License-Identifier: BSD-3-Clause
"""g2l_merge_node (hw/rtl/g2l_merge_node.sv): one node of the merge's registered comparison tree.

Both the cocotb module and the pytest entry point. Two time-ordered sides (many equal times,
times near 0, 2^62 and just under 2^64) offer their heads at random; a side without a head
offers a watermark as its key, a random lower bound of its next time that never decreases. The
consumer takes at random. Checked against the rule the tree relies on:

* every item comes out once, in the order of (time, side A before side B, position): A wins ties;
* ``out_key`` while no item is held (the node's watermark) is a lower bound of every time the
  node still delivers, and a side's key may fall back (a head's time, then a lower watermark), so
  no monotony is claimed;
* ``a_pop``/``b_pop`` only for a side with a real head, never both;
* with both sides full and the consumer always ready, one item per clock;
* a reset empties the output and brings the watermark back to 0.
"""

from __future__ import annotations

import random

import pytest
from common import rtl, run_rtl

TAG_W = 16
END = (1 << 64) - 1  # the watermark of a side that has nothing more


@pytest.mark.rtl
def test_g2l_merge_node(sim: str) -> None:
    run_rtl(sim, "g2l_merge_node", "test_g2l_merge_node", rtl("g2l_skid", "g2l_merge_node"), {"TAG_W": TAG_W})


def side_times(rng: random.Random, n: int, base: int) -> list[int]:
    t, out = base, []
    for _ in range(n):
        t += rng.choice((0, 0, 1, 2, 3, 50))
        out.append(t)
    return out


def expected_order(a: list[int], b: list[int]) -> list[tuple[int, int]]:
    """(time, tag) in merge order: by time, side A (tags 0..) before side B (tags 1<<15 ..)."""
    items = [(t, 0, i) for i, t in enumerate(a)] + [(t, 1, i) for i, t in enumerate(b)]
    return [(t, (s << 15) | i) for t, s, i in sorted(items)]


try:
    import cocotb
except ImportError:  # collected by pytest outside the simulator
    cocotb = None

if cocotb is not None:

    class Side:
        """One input side: its items, a random head availability and a monotone watermark."""

        def __init__(self, times: list[int], side: int, p_head: float, rng: random.Random) -> None:
            self.times, self.side, self.p, self.rng = times, side, p_head, rng
            self.k = 0
            self.wm = 0

        def offer(self) -> tuple[bool, int, int]:
            """(valid, key, tag) for this cycle: the head's time, else the watermark."""
            if self.k >= len(self.times):
                self.wm = END
                return False, END, 0
            nxt = self.times[self.k]
            if self.rng.random() < self.p:
                return True, nxt, (self.side << 15) | self.k
            self.wm = max(self.wm, nxt - self.rng.choice((0, 0, 1, 5, 1000)))
            return False, self.wm, 0

    async def drive(dut, a: list[int], b: list[int], pa: float, pb: float, pr: float, seed: int) -> int:
        """Run one merge of a and b to the end, checking every clock; return the clocks it took."""
        from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

        rng = random.Random(seed)
        sa, sb = Side(a, 0, pa, rng), Side(b, 1, pb, rng)
        want = expected_order(a, b)
        got: list[tuple[int, int]] = []
        cyc = 0
        await FallingEdge(dut.clk)
        while len(got) < len(want):
            cyc += 1
            assert cyc < 40 * (len(want) + 10), f"stuck after {len(got)} of {len(want)} items"
            va, ka, ga = sa.offer()
            vb, kb, gb = sb.offer()
            ready = int(rng.random() < pr)
            for name, v in (("a_valid", va), ("a_key", ka), ("a_tag", ga),
                            ("b_valid", vb), ("b_key", kb), ("b_tag", gb), ("out_pop", ready)):
                getattr(dut, name).value = v
            await ReadOnly()
            out_valid = int(dut.out_valid.value)
            key = int(dut.out_key.value)
            if not out_valid:
                rest = [t for t, _ in want[len(got):]]
                assert not rest or key <= min(rest), f"watermark {key} above a time still to come {min(rest)}"
            a_pop, b_pop = int(dut.a_pop.value), int(dut.b_pop.value)
            assert not (a_pop and b_pop), "both sides popped"
            assert not a_pop or va, "A popped without a head"
            assert not b_pop or vb, "B popped without a head"
            if out_valid and ready:
                got.append((key, int(dut.out_tag.value)))
                k = len(got) - 1
                assert got[k] == want[k], f"item {k}: {got[k]} != {want[k]}"
            sa.k += a_pop
            sb.k += b_pop
            await RisingEdge(dut.clk)
            await FallingEdge(dut.clk)
        dut.out_pop.value = 0
        return cyc

    def idle(dut) -> None:
        for name in ("a_valid", "a_key", "a_tag", "b_valid", "b_key", "b_tag", "out_pop"):
            getattr(dut, name).value = 0

    @cocotb.test()
    async def random_streams(dut) -> None:
        from common import reset, start_clock

        start_clock(dut)
        idle(dut)
        rng = random.Random(11)
        cases = ((0.5, 0.5, 0.5), (1.0, 0.2, 0.9), (0.2, 1.0, 0.9), (0.9, 0.9, 0.3), (0.7, 0.7, 1.0))
        for k, (pa, pb, pr) in enumerate(cases):
            for base in (0, (1 << 62) + 12345, END - (1 << 20)):
                idle(dut)  # (the last case left both sides at the end watermark)
                await reset(dut)
                a = side_times(rng, rng.randrange(0, 120), base)
                b = side_times(rng, rng.randrange(0, 120), base + rng.randrange(0, 40))
                await drive(dut, a, b, pa, pb, pr, 100 * k + base % 97)

    @cocotb.test()
    async def one_per_clock(dut) -> None:
        """Both sides always have a head and the consumer always takes: no bubble after the
        first item (the output stage is two entries deep)."""
        from common import reset, start_clock

        start_clock(dut)
        idle(dut)
        await reset(dut)
        rng = random.Random(5)
        a, b = side_times(rng, 200, 1000), side_times(rng, 200, 1000)
        cyc = await drive(dut, a, b, 1.0, 1.0, 1.0, 1)
        assert cyc <= len(a) + len(b) + 3, f"{len(a) + len(b)} items took {cyc} clocks"

    @cocotb.test()
    async def reset_forgets(dut) -> None:
        """A reset with items held empties the output and brings the watermark (out_key) to 0."""
        from cocotb.triggers import FallingEdge, ReadOnly
        from common import reset, start_clock

        start_clock(dut)
        idle(dut)
        await reset(dut)
        await FallingEdge(dut.clk)
        dut.a_valid.value = 1
        dut.a_key.value = 500
        dut.b_key.value = END
        for _ in range(3):
            await FallingEdge(dut.clk)
        await ReadOnly()
        assert int(dut.out_valid.value) == 1 and int(dut.out_key.value) == 500
        await FallingEdge(dut.clk)
        idle(dut)
        await reset(dut)
        await ReadOnly()
        assert int(dut.out_valid.value) == 0 and int(dut.out_key.value) == 0
