# SPDX-License-Identifier: BSD-3-Clause
"""g2l_tdc_encoder bit for bit against its C twin (``g2live.tdc.encode``).

Both the cocotb module and the pytest entry point. Snapshots are driven one per clock as the
first rank of the line would give them: clean edges at every position, edges with bubbles and
out-of-order taps, pulses that end inside the line (bands), full lines, edges that enter a line
still holding the previous pulse, random noise, and a reset in the middle. Hit, code, overlap,
short and over-range must equal the twin's, cycle by cycle, after the encoder's latency
(2 + ones-counter stages). Two geometries: taps a multiple of 6, and not (padded counters); and
the first again with the counters as LUT6 primitives (their INIT tables), as synthesis builds them.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from common import param, rtl, run_rtl

GEOMETRIES = [{"N_CHAINS": 2, "TAPS_PER_CHAIN": 48, "CODE_W": 7},
              {"N_CHAINS": 3, "TAPS_PER_CHAIN": 44, "CODE_W": 8},
              {"N_CHAINS": 2, "TAPS_PER_CHAIN": 48, "CODE_W": 7, "XILINX_LUTS": 1}]
LUT6_MODEL = Path(__file__).with_name("lut6_model.v")


@pytest.mark.rtl
@pytest.mark.parametrize("params", GEOMETRIES, ids=["2x48", "3x44", "2x48-lut6"])
def test_g2l_tdc_encoder(sim: str, params: dict) -> None:
    """The last geometry builds the counters from LUT6 primitives (what synthesis gets)."""
    extra = [LUT6_MODEL] if params.get("XILINX_LUTS") else []
    run_rtl(sim, "g2l_tdc_encoder", "test_g2l_tdc_encoder", [*extra, *rtl("g2l_tdc_encoder")], params)


def snapshots(n_chains: int, taps: int, n: int, seed: int) -> np.ndarray:
    """Adversarial first-rank snapshots, one row per clock."""
    rng = random.Random(seed)
    rows: list[np.ndarray] = []
    total = n_chains * taps

    def therm(k: list[int]) -> np.ndarray:
        s = np.zeros(total, np.uint8)
        for c, kc in enumerate(k):
            s[c * taps:c * taps + kc] = 1
        return s

    while len(rows) < n:
        kind = rng.randrange(7)
        for _ in range(rng.choice([1, 1, 2, 3])):
            rows.append(np.zeros(total, np.uint8))  # empty line between events
        if kind == 0:  # clean edge, then the line fills
            k = rng.randrange(0, taps + 1)
            rows.append(therm([max(0, min(taps, k + rng.randrange(-3, 4))) for _ in range(n_chains)]))
            rows.append(therm([taps] * n_chains))
        elif kind == 1:  # edge with bubbles and early taps
            s = therm([rng.randrange(1, taps) for _ in range(n_chains)])
            for _ in range(rng.randrange(1, 6)):
                s[rng.randrange(total)] ^= 1
            rows.append(s)
        elif kind == 2:  # short pulse: a band away from the input
            s = np.zeros(total, np.uint8)
            c = rng.randrange(n_chains)
            a = rng.randrange(8, taps - 2)
            s[c * taps + a:c * taps + min(taps, a + rng.randrange(1, 10))] = 1
            rows.append(s)
        elif kind == 3:  # a new edge enters while the far end still holds the previous pulse
            s = np.zeros(total, np.uint8)
            for c in range(n_chains):
                s[c * taps + taps - rng.randrange(1, 12):c * taps + taps] = 1
            rows.append(s.copy())
            s[[c * taps for c in range(n_chains)]] = 1
            rows.append(s)
        elif kind == 4:  # the edge reached the far end (line shorter than a period)
            rows.append(therm([taps] * n_chains))
        elif kind == 5:  # noise
            rows.append(np.array([rng.random() < 0.3 for _ in range(total)], np.uint8))
        else:  # a pulse with its falling edge: full, then emptying from the input
            rows.append(therm([rng.randrange(10, taps) for _ in range(n_chains)]))
            s = therm([taps] * n_chains)
            for c in range(n_chains):
                s[c * taps:c * taps + rng.randrange(1, taps)] = 0
            rows.append(s)
    return np.array(rows[:n])


try:
    import cocotb
except ImportError:  # collected by pytest outside the simulator
    cocotb = None

if cocotb is not None:

    async def drive(dut, rows: np.ndarray, latency: int) -> list[tuple[int, int, int, int, int]]:
        """Drive one snapshot per clock; collect (hit, code, overlap, short, overrange) of the
        cycle `latency` clocks later."""
        from cocotb.triggers import FallingEdge, ReadOnly

        out = []
        total = len(rows) + latency
        for cyc in range(total):
            await FallingEdge(dut.clk)
            if cyc < len(rows):
                dut.sample.value = int("".join(map(str, rows[cyc][::-1])), 2)
            else:
                dut.sample.value = 0
            await ReadOnly()
            if cyc >= latency:
                out.append((int(dut.hit.value), int(dut.code.value), int(dut.overlap.value),
                            int(dut.short_pulse.value), int(dut.overrange.value)))
        return out

    def expected(rows: np.ndarray, n_chains: int) -> list[tuple[int, int, int, int, int]]:
        from g2live import tdc

        codes, flags = tdc.encode(rows, n_chains)
        hit = (flags & tdc.HIT) != 0
        # the code register follows every snapshot; compare it where a hit is reported
        return [(int(h), int(c) if h else -1, int((f & tdc.OVERLAP) != 0), int((f & tdc.SHORT) != 0),
                 int((f & tdc.OVERRANGE) != 0)) for h, c, f in zip(hit, codes, flags, strict=True)]

    @cocotb.test()
    async def bit_exact(dut) -> None:
        from cocotb.triggers import FallingEdge
        from common import reset, start_clock
        from g2live import tdc

        n_chains, taps = param(dut, "N_CHAINS"), param(dut, "TAPS_PER_CHAIN")
        geo_pop = tdc.TdcGeometry(n_chains=n_chains, n_carry4=taps // 4).pop_stages
        latency = 2 + geo_pop
        start_clock(dut)
        dut.sample.value = 0
        await reset(dut)
        for part, seed in enumerate((1, 2)):
            if part:  # a reset in the middle: snapshots in flight are dropped, the twin restarts
                await FallingEdge(dut.clk)
                dut.sample.value = (1 << (n_chains * taps)) - 1  # a line high across the reset
                await reset(dut)
            rows = snapshots(n_chains, taps, 1500, seed)
            got = await drive(dut, rows, latency)
            got = [(h, c if h else -1, o, s, r) for h, c, o, s, r in got]
            want = expected(rows, n_chains)
            bad = [i for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w]
            assert not bad, f"part {part}: snapshot {bad[0]}: RTL {got[bad[0]]}, twin {want[bad[0]]}"
            assert sum(w[0] for w in want) > 200 and sum(w[2] for w in want) > 10
            assert sum(w[3] for w in want) > 10 and sum(w[4] for w in want) > 10
