# SPDX-License-Identifier: BSD-3-Clause
"""``make timing``: worst cell-only register-to-register path of every RTL block, at board parameters.

Each block (and ``g2l_top`` as a whole) is synthesised for a Xilinx 7-series part with Yosys
(``synth_xilinx -family xc7 -flatten``); the mapped netlist is then timed by Yosys ``sta`` with
the delays of the cells' ``specify`` blocks (``+/xilinx/cells_sim.v``: LUT, CARRY4, MUXF7/8,
flip-flop clock-to-Q and setup, LUT RAM, block RAM clock-to-out and setup, DSP48E1 by its
pipeline parameters; the figures come from Project X-Ray's Artix-7 database). No routing delay is
included, so a path must fit in **half** the clock period: routing on a 7-series part takes about
as much again. The run fails when any block's worst path exceeds that budget.

How the timing is obtained, and why so (Yosys 0.70):

* ``sta`` only knows timing arcs of blackbox modules read with ``-specify``. ``synth_xilinx``
  leaves specify-less copies of the cell library in the design, and their (parameterised)
  derivatives hide the arcs of ``FDRE`` and friends: ``sta`` then warns "Module 'FDRE' has no
  timing arcs" and times nothing that starts at a flip-flop. So the mapped top module alone is
  written out, the design reset, the library read with ``-specify``, and the netlist read back.
* ``-noiopad -noclkbuf``: no IBUF/OBUF/BUFG cells, so the clock reaches every flip-flop at 0.
* ``sta`` starts paths at the primary inputs (arrival 0) and at clock-to-out arcs, and ends them
  at setup checks and primary outputs. For a block timed alone its ports therefore count as
  registers with no clock-to-out delay: input-to-register and register-to-output paths are
  included (a conservative reading of the block's interface); ``g2l_top`` is the real context.
* It reports the single latest arrival and its path; the table gives its start (the flip-flop,
  RAM or input it leaves) and end (the flip-flop, RAM pin or output it reaches), named after the
  RTL signals where the netlist keeps them.

Run: ``python -m g2live.tools.timing`` (all blocks and the top, board parameters),
``--modules g2l_merge,g2l_pulsed`` (a subset), ``--no-top`` (blocks only).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from g2live.tools import rtl
from g2live.tools.sta_paths import read_library, worst_path
from g2live.tools.synth import BOARD, SynthError, _run_yosys, sources


def _rtl_dir() -> Path:
    """The RTL of the hardware tree g2live.tools.rtl finds (the checkout, or the installed copy)."""
    try:
        return rtl.hw_tree().rtl_dir
    except rtl.RtlToolsError as exc:
        raise SynthError(str(exc)) from None


def default_out() -> Path:
    """``<build dir>/timing/timing.json`` of the hardware tree."""
    return rtl.hw_tree().build_dir / "timing" / "timing.json"

FAST_CLK_PS = 4000  # 250 MHz, reported for information

@dataclass(frozen=True)
class Block:
    """One timing run: a top module, the files it needs, the parameters it gets in g2l_top."""

    top: str
    files: tuple[str, ...]
    parameters: Mapping[str, int] = field(default_factory=dict)

    def paths(self) -> list[Path]:
        if self.top == "g2l_top":
            return sources()
        return [_rtl_dir() / f"{f}.sv" for f in self.files]



TDC_FILES = ("g2l_bram_sdp", "g2l_tdc_carry4_cell", "g2l_tdc_line_carry4", "g2l_tdc_line_ideal",
             "g2l_tdc_encoder", "g2l_tdc_calib", "g2l_tdc")


def board_blocks(board: Mapping[str, int] = BOARD) -> list[Block]:
    """Every block as g2l_top instantiates it with the board's parameters."""
    n, p, nb, mp, clk = (board[k] for k in ("N_CHANNELS", "N_PAIRS", "N_BINS_LOG2", "MAX_PHOTONS",
                                             "CLK_PERIOD_PS"))
    from g2live.tdc import TdcGeometry

    geo = TdcGeometry(clk_period_ps=clk)
    # g2l_top's TDC_LATENCY (the carry-chain TDC's pipeline at this clock) + the channel's 2 stages
    in_latency = geo.latency + 2
    out = [
        Block("g2l_channel", ("g2l_channel",), {}),
        Block("g2l_merge", ("g2l_fifo", "g2l_skid", "g2l_merge_node", "g2l_merge"),
              {"N_CHANNELS": n, "FIFO_DEPTH_LOG2": 5, "CLK_PERIOD_PS": clk, "IN_LATENCY": in_latency}),
        Block("g2l_fifo", ("g2l_fifo",), {"WIDTH": 70, "DEPTH_LOG2": 9}),  # the raw-tag FIFO
        Block("g2l_rate_counters", ("g2l_fifo", "g2l_rate_counters"), {"N_CHANNELS": n}),
        Block("g2l_axil_regs", ("g2l_axil_regs",),
              {"N_CHANNELS": n, "N_PAIRS": p, "N_BINS_LOG2": nb, "MAX_PHOTONS": mp, "CLK_PERIOD_PS": clk}),
        Block("g2l_stream_out", ("g2l_stream_out",), {"N_CHANNELS": n, "N_SRC": 3}),
        Block("g2l_axis_packetizer", ("g2l_axis_packetizer",), {}),
        Block("g2l_coinc_pair", ("g2l_bram_sdp", "g2l_coinc_pair"), {"N_BINS_LOG2": nb}),
        Block("g2l_pulsed", ("g2l_fifo", "g2l_pulsed"),
              {"N_CHANNELS": n, "MAX_PHOTONS": mp, "PERIOD_AVG_LOG2": 8}),
        Block("g2l_coinc_hist", ("g2l_fifo", "g2l_bram_sdp", "g2l_coinc_pair", "g2l_coinc_hist"),
              {"N_CHANNELS": n, "N_PAIRS": p, "N_BINS_LOG2": nb}),
        Block("g2l_sync_filter", ("g2l_sync_filter",), {}),
        Block("g2l_sync_div", ("g2l_sync_div",), {"MAX_LOG2": 4}),
        # the carry-chain TDC of every input (its CARRY4 line is a kept module without timing arcs:
        # the line itself is the measurement, not a register-to-register path)
        Block("g2l_tdc_encoder", ("g2l_tdc_encoder",),
              {"N_CHAINS": geo.n_chains, "TAPS_PER_CHAIN": geo.taps_per_chain, "CODE_W": geo.code_w,
               "XILINX_LUTS": 1}),
        Block("g2l_tdc_calib", ("g2l_bram_sdp", "g2l_tdc_calib"),
              {"CLK_PERIOD_PS": clk, "CODE_W": geo.code_w, "NOM_BIN_PS": int(geo.nom_bin_ps)}),  # type: ignore[arg-type]
        Block("g2l_tdc", TDC_FILES, {**geo.rtl_parameters(), "LINE": 1}),
    ]
    return out


def top_block(board: Mapping[str, int] = BOARD) -> Block:
    return Block("g2l_top", (), dict(board))


@dataclass
class Timing:
    """The worst path of one block."""

    top: str
    parameters: dict[str, int]
    worst_ps: int
    start: str
    end: str
    path: list[str]
    seconds: float
    warnings: list[str] = field(default_factory=list)
    yosys_max_ps: int = 0  # sta's own maximum over all driven bits (may end nowhere)

    def fits(self, clk_period_ps: int) -> bool:
        return self.worst_ps <= clk_period_ps // 2


def _synth_script(block: Block, work: Path, sources: Sequence[Path] | None = None) -> str:
    srcs = " ".join(str(s) for s in (sources if sources is not None else block.paths()))
    params = "".join(f" -set {k} {int(v)}" for k, v in block.parameters.items())
    lines = [
        f"read_verilog -sv -I{_rtl_dir()} {srcs}",
        *([f"chparam{params} {block.top}"] if params else []),
        # (synth_xilinx reads the Xilinx cells first and checks the hierarchy itself: a
        # `hierarchy -check` here would not know the CARRY4/FDRE/LUT6 of the TDC)
        f"synth_xilinx -family xc7 -flatten -noiopad -noclkbuf -top {block.top}",
        f"select {block.top}",
        f"write_json -selected {work / 'net.json'}",
    ]
    return "\n".join(lines) + "\n"


def _sta_script(block: Block, work: Path) -> str:
    lines = [
        "read_verilog -lib -specify +/xilinx/cells_sim.v",
        f"write_rtlil {work / 'lib.il'}",
        f"read_json {work / 'net.json'}",
        f"hierarchy -top {block.top}",
        f"tee -q -o {work / 'sta.txt'} sta",
        # the cell library as sta derived it for the instances' parameters (DSP48E1 timing
        # depends on its pipeline registers)
        "select -none",
        "select $paramod*",
        f"write_rtlil -selected {work / 'derived.il'}",
        f"select {block.top}",
        f"write_json -selected {work / 'arrival.json'}",
    ]
    return "\n".join(lines) + "\n"


_HEAD = re.compile(r"Latest arrival time in '(\S+)' is (\d+):")
_CELL = re.compile(r"^\s*(\d+)\s+(\S+)\s+\((\S+?)\.(\S+?)(?:->(\S+))?\)\s*$")
_PORT = re.compile(r"^\s*(\d+)\s+\((<primary output>|<unknown>)\)\s*$")
_INPUT = re.compile(r"^\s*(\d+)\s+(.+?)\s+\(<primary input>\)\s*$")


def parse_sta(text: str) -> tuple[int, list[tuple[str, str, str]], list[str]]:
    """(worst ps, path as (cell, type, arc) from end to start, warnings) of a ``sta`` log."""
    warnings = sorted({ln.strip() for ln in text.splitlines() if ln.startswith("Warning")
                       and "$scopeinfo" not in ln and "no (* sta_arrival *)" not in ln
                       and "does not terminate in a recognised endpoint" not in ln
                       and "g2l_tdc_line_carry4' not recognised" not in ln})  # kept line: no arcs
    m = _HEAD.search(text)
    if not m:
        raise SynthError("sta found no timing path (a design without registers?)")
    worst = int(m.group(2))
    path: list[tuple[str, str, str]] = []
    for ln in text[m.end():].splitlines():
        if not ln.strip():
            if path:
                break
            continue
        if c := _CELL.match(ln):
            arc = f"{c.group(4)}->{c.group(5)}" if c.group(5) else c.group(4)
            path.append((c.group(2), c.group(3), arc))
        elif p := _PORT.match(ln):
            path.append(("", p.group(2), ""))
        elif i := _INPUT.match(ln):
            path.append((i.group(2), "<primary input>", ""))
    return worst, path, warnings


def time_block(block: Block, workdir: Path | None = None, sources: Sequence[Path] | None = None) -> Timing:
    """Synthesise one block (from ``sources``, default its RTL files) and return its worst
    cell-only path."""
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix=f"g2l_timing_{block.top}_"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    script = work / "synth.ys"
    script.write_text(_synth_script(block, work, sources))
    _run_yosys(script, work / "yosys.log")
    script = work / "sta.ys"
    script.write_text(_sta_script(block, work))
    _run_yosys(script, work / "sta.log")
    yosys_max, _, warnings = parse_sta((work / "sta.txt").read_text())
    lib = read_library([work / "lib.il", work / "derived.il"])
    p = worst_path(work / "arrival.json", block.top, lib)
    return Timing(block.top, dict(block.parameters), p.arrival_ps, p.start, p.end, p.steps,
                  round(time.monotonic() - t0, 1), warnings, yosys_max)


def table(results: Sequence[Timing], clk_period_ps: int) -> str:
    """Markdown table: module, worst path, fits half of clk_period_ps / of 250 MHz, start, end."""
    budget, fast = clk_period_ps // 2, FAST_CLK_PS // 2
    rows = [f"| module | worst path (ns) | <= {budget / 1000:g} ns ({1e6 / clk_period_ps:g} MHz) "
            f"| <= {fast / 1000:g} ns ({1e6 / FAST_CLK_PS:g} MHz) | start | end | synth + sta (s) |",
            "|---|---|---|---|---|---|---|"]
    for r in results:
        rows.append(f"| {r.top} | {r.worst_ps / 1000:.3f} | {'yes' if r.worst_ps <= budget else 'NO'} "
                    f"| {'yes' if r.worst_ps <= fast else 'no'} | {r.start} | {r.end} | {r.seconds:g} |")
    return "\n".join(rows)


def run(blocks: Sequence[Block], workroot: Path, jobs: int = 1) -> list[Timing]:
    def one(b: Block) -> Timing:
        return time_block(b, workroot / b.top)

    if jobs <= 1:
        return [one(b) for b in blocks]
    with ThreadPoolExecutor(jobs) as ex:  # each run is its own Yosys process
        return list(ex.map(one, blocks))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m g2live.tools.timing", description=__doc__.split("\n")[0])
    ap.add_argument("--modules", default="", help="comma list of blocks (default: all)")
    ap.add_argument("--no-top", action="store_true", help="blocks only, not g2l_top as a whole")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="Yosys runs in parallel")
    ap.add_argument("-o", "--out", type=Path, default=None,
                    help="JSON output (default: <build dir>/timing/timing.json)")
    args = ap.parse_args(argv)
    args.out = args.out or default_out()
    blocks = board_blocks()
    if args.modules:
        want = [m.strip() for m in args.modules.split(",") if m.strip()]
        known = {b.top: b for b in [*blocks, top_block()]}
        unknown = [m for m in want if m not in known]
        if unknown:
            ap.error(f"unknown block(s) {unknown}; known: {sorted(known)}")
        blocks = [known[m] for m in want]
    elif not args.no_top:
        blocks.append(top_block())
    clk = BOARD["CLK_PERIOD_PS"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    try:
        results = run(blocks, args.out.parent / "work", args.jobs)
    except SynthError as exc:
        print(f"timing: error: {exc}", file=sys.stderr)
        return 2
    args.out.write_text(json.dumps([asdict(r) for r in results], indent=1))
    print(f"worst cell-only path per block, board parameters {BOARD}; budget = half the clock period "
          f"(routing takes the other half):")
    print(table(results, clk))
    for r in results:
        for w in r.warnings:
            print(f"  {r.top}: {w}")
    bad = [r.top for r in results if not r.fits(clk)]
    if bad:
        print(f"timing: FAIL: {', '.join(bad)} exceed {clk // 2 / 1000:g} ns", file=sys.stderr)
        return 1
    print(f"timing: every block fits {clk // 2 / 1000:g} ns (written to {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
