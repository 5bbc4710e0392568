# SPDX-License-Identifier: BSD-3-Clause
"""Timing of the RTL blocks at the board's parameters (``make timing``) must not regress.

Each block is synthesised for xc7 and timed by Yosys ``sta`` with the cells' specify delays
(g2live.tools.timing): its worst cell-only register-to-register path must fit half the 8 ns
PYNQ-Z2 clock (routing takes the other half). The CI run times the blocks that carry the wide
arithmetic (merge tree, channel, correlation pair, pulsed pipeline, the TDC's calibration; about
four minutes); ``make bench`` times every block and ``g2l_top`` as a whole (about 15 minutes), the
figures in docs/hardware.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from g2live.tools import synth, timing


def _no_yosys() -> str:
    try:
        synth.yosys_command(Path("check.ys"))
    except synth.SynthError as exc:
        return str(exc)
    return ""


pytestmark = pytest.mark.skipif(bool(_no_yosys()), reason=f"synthesis unavailable: {_no_yosys()}")

CLK = timing.BOARD["CLK_PERIOD_PS"]
# + the TDC calibration (its nominal fine time once was a combinational DSP, ~20 s)
CI_BLOCKS = ("g2l_channel", "g2l_merge", "g2l_coinc_pair", "g2l_pulsed", "g2l_tdc_calib")


def _block(name: str) -> timing.Block:
    return next(b for b in [*timing.board_blocks(), timing.top_block()] if b.top == name)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", CI_BLOCKS)
def test_block_fits_half_the_clock(name: str, tmp_path: Path) -> None:
    r = timing.time_block(_block(name), tmp_path)
    assert r.worst_ps > 300, f"{name}: {r.worst_ps} ps is no path at all (timing arcs lost?)"
    assert r.start.endswith("->Q)") or "CLK" in r.start or r.start.startswith("input"), r.start
    assert r.fits(CLK), f"{name}: worst path {r.worst_ps} ps > {CLK // 2} ps: {r.start} -> {r.end}"


def test_sta_sees_flip_flops(tmp_path: Path) -> None:
    """The measurement itself: a register-to-register adder path is found and timed (Yosys drops
    the flip-flop arcs unless the netlist is timed against a fresh specify library)."""
    src = tmp_path / "t.sv"
    src.write_text("module t(input logic clk, input logic [31:0] a, b, output logic [31:0] q);\n"
                   "  logic [31:0] ra, rb;\n"
                   "  always_ff @(posedge clk) begin ra <= a; rb <= b; q <= ra + rb; end\n"
                   "endmodule\n")
    r = timing.time_block(timing.Block("t", (), {}), tmp_path, sources=[src])
    assert r.start.endswith("(FDRE.C->Q)") and "FDRE.D" in r.end, (r.start, r.end)
    assert 1000 < r.worst_ps < 3000, r.worst_ps
    assert any("CARRY4" in s for s in r.path)


@pytest.mark.bench
@pytest.mark.timeout(3600)
def test_board_timing(tmp_path: Path) -> None:
    """Every block and g2l_top at board parameters (the `make timing` table)."""
    results = timing.run([*timing.board_blocks(), timing.top_block()], tmp_path)
    print("\n" + timing.table(results, CLK))
    bad = [(r.top, r.worst_ps) for r in results if not r.fits(CLK)]
    assert not bad, bad
