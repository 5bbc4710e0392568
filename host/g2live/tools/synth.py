# SPDX-License-Identifier: BSD-3-Clause
"""``make synth``: synthesise g2l_top for a Xilinx 7-series part with Yosys and count resources.

Runs ``synth_xilinx -family xc7 -flatten`` on the sources of ``hw/rtl/g2l_top.f`` (in the hardware
tree ``g2live.tools.rtl`` finds: ``--hw-dir``, ``$G2LIVE_HW_DIR``, the installed copy or the
checkout) and reports LUTs, flip-flops, block RAMs (in RAMB36 equivalents), DSPs, LUT RAM and carry
chains. Counts are printed and written as JSON (default ``build/synth/g2l_top.json``), so a design
that lost logic to a parse problem shows up as a drop in resources (tests/hw/test_synth.py checks
floors).

Yosys comes from the ``pyosys`` wheel when installed (a recent Yosys with the Xilinx cell
libraries), else from a ``yosys`` binary on PATH. Yosys does not accept every SystemVerilog
construct Verilator and Icarus take; see docs/hardware.md "Coding rules".
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from g2live.tools import rtl

# Xilinx 7-series primitive -> resource class
_LUT = re.compile(r"^LUT[1-6]$")
_FF = {"FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE"}
_BRAM36 = {"RAMB36E1"}
_BRAM18 = {"RAMB18E1"}
_DSP = {"DSP48E1"}
_LUTRAM = re.compile(r"^(RAM(16|32|64|128|256)X1[SD]|RAM32M|RAM64M|RAM32M16|RAM64M8|SRL16E|SRLC32E)$")
_CARRY = {"CARRY4"}
_MUXF = {"MUXF7", "MUXF8"}
# LUT sites a LUT-RAM primitive takes (a SLICEM holds 4)
_LUTRAM_SITES = {"RAM16X1S": 1, "RAM32X1S": 1, "RAM64X1S": 1, "RAM16X1D": 2, "RAM32X1D": 2,
                 "RAM64X1D": 2, "RAM128X1S": 2, "RAM128X1D": 4, "RAM256X1S": 4, "RAM32M": 4,
                 "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8, "SRL16E": 1, "SRLC32E": 1}

# hw/boards/pynq-z2 (g2l_pynq_top.v): the parameters the board builds g2l_top with.
BOARD = {"N_CHANNELS": 9, "N_PAIRS": 4, "N_BINS_LOG2": 12, "MAX_PHOTONS": 15, "CLK_PERIOD_PS": 8000}
# The PYNQ-Z2's part (xc7z020clg400-1): what its programmable logic holds.
XC7Z020 = {"slices": 13300, "lut": 53200, "ff": 106400, "bram36_equiv": 140, "dsp": 220, "carry4": 13300}


class SynthError(RuntimeError):
    """Yosys failed; the message carries the first error line (file:line) of its log."""


def sources(tree: rtl.HwTree | None = None, filelist: str = "g2l_top.f") -> list[Path]:
    """The sources of ``filelist`` in the hardware tree (default: found by ``g2live.tools.rtl``)."""
    return (tree or _tree()).filelist(filelist)


def _tree(hw_dir: str | Path | None = None) -> rtl.HwTree:
    try:
        return rtl.hw_tree(hw_dir)
    except rtl.RtlToolsError as exc:
        raise SynthError(str(exc)) from None


def _script(srcs: Sequence[Path], top: str, parameters: Mapping[str, int], stat_json: Path,
            include_dir: Path, map_luts: bool = True) -> str:
    lines = [f"read_verilog -sv -I{include_dir} " + " ".join(str(s) for s in srcs)]
    if parameters:
        lines.append("chparam" + "".join(f" -set {k} {int(v)}" for k, v in parameters.items()) + f" {top}")
    lines += [
        # synth_xilinx reads the Xilinx cell library (CARRY4, FDRE of the TDC line) and then checks
        # the hierarchy itself: a `hierarchy -check` before it would not know those cells.
        f"synth_xilinx -family xc7 -flatten -top {top}" + ("" if map_luts else " -run begin:map_luts"),
        f"tee -q -o {stat_json} stat -json -top {top}",
    ]
    return "\n".join(lines) + "\n"


# Yosys 0.23 (Debian) rejects constructs the RTL uses (multi-dimensional packed arrays); 0.70 (the
# pyosys wheel) is the version verified here.
MIN_YOSYS = (0, 70)


def yosys_command(script: Path) -> list[str]:
    """How to run a Yosys script here: the pyosys wheel, else a recent enough ``yosys`` binary."""
    if importlib.util.find_spec("pyosys") is not None:
        # In a child process: libyosys keeps global state, and a crash must not take the caller.
        return [sys.executable, "-c",
                f"from pyosys import libyosys as ys; ys.run_pass('script {script}', ys.Design())"]
    exe = shutil.which("yosys")
    if exe is None:
        raise SynthError("no Yosys: `pip install pyosys` (a recent Yosys with the Xilinx cells)")
    out = subprocess.run([exe, "-V"], capture_output=True, text=True).stdout
    m = re.search(r"Yosys (\d+)\.(\d+)", out)
    if not m or (int(m.group(1)), int(m.group(2))) < MIN_YOSYS:
        raise SynthError(f"{exe} is {out.strip() or 'of unknown version'}; this RTL needs Yosys >= "
                         f"{MIN_YOSYS[0]}.{MIN_YOSYS[1]}: `pip install pyosys`")
    return [exe, "-q", "-s", str(script)]


def _run_yosys(script: Path, log: Path) -> None:
    cmd = yosys_command(script)
    with log.open("w") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        text = log.read_text(errors="replace")
        err = next((ln for ln in text.splitlines() if "ERROR" in ln), text[-2000:])
        raise SynthError(f"yosys failed (log {log}): {err.strip()}")


def count(cells: Mapping[str, int]) -> dict[str, Any]:
    """Resource classes from a {cell type: number} map of a synth_xilinx netlist."""
    c: Counter[str] = Counter()
    for typ, n in cells.items():
        t = typ.lstrip("\\$")
        if _LUT.match(t):
            c["lut"] += n
        elif t in _FF:
            c["ff"] += n
        elif t in _BRAM36:
            c["bram36"] += n
        elif t in _BRAM18:
            c["bram18"] += n
        elif t in _DSP:
            c["dsp"] += n
        elif _LUTRAM.match(t):
            c["lutram"] += n
        elif t in _CARRY:
            c["carry4"] += n
        elif t in _MUXF:
            c["muxf"] += n
    keys = ("lut", "ff", "bram36", "bram18", "dsp", "lutram", "carry4", "muxf")
    out: dict[str, Any] = {k: int(c[k]) for k in keys}
    out["bram36_equiv"] = out["bram36"] + out["bram18"] / 2
    out["lutram_sites"] = sum(n * _LUTRAM_SITES.get(t.lstrip("\\$"), 1)
                              for t, n in cells.items() if _LUTRAM.match(t.lstrip("\\$")))
    return out


def slices(resources: Mapping[str, Any], line_carry4: int) -> int:
    """Slices the design needs, counted conservatively: every LUT and LUT-RAM site in its own
    quarter slice (no pairing of small LUTs as LUT6_2) and every delay-line CARRY4 a slice of its
    own (its sampling flip-flops fill it; placement keeps other logic out)."""
    sites = int(resources["lut"]) + int(resources.get("lutram_sites", 0))
    return -(-sites // 4) + int(line_carry4)


def fit(resources: Mapping[str, Any], line_carry4: int,
        part: Mapping[str, float] = XC7Z020) -> list[tuple[str, float, float]]:
    """``(resource, used, available)`` per resource of ``part``, slices first."""
    used = {"slices": slices(resources, line_carry4), **resources}
    return [(k, float(used[k]), float(v)) for k, v in part.items()]


def _with_submodules(cells: Mapping[str, int], modules: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Cell counts with every kept submodule instance (the TDC lines) replaced by its own cells:
    Yosys' stat counts an instance as one cell of the submodule's type, not what it holds."""
    out: Counter[str] = Counter()
    for typ, n in cells.items():
        sub = modules.get(typ.lstrip("\\"))
        if sub is None:
            out[typ] += n
        else:
            for t, m in _with_submodules(sub, modules).items():
                out[t] += n * m
    return dict(out)


def synth(parameters: Mapping[str, int] | None = None, top: str = "g2l_top",
          srcs: Sequence[Path] | None = None, workdir: Path | None = None,
          map_luts: bool = True, hw_dir: str | Path | None = None) -> dict[str, Any]:
    """Synthesise and return ``{"top", "parameters", "resources", "cells", "seconds"}``.

    ``map_luts=False`` stops before LUT mapping (ABC), the slowest step: block RAMs, DSPs,
    flip-flops and carry chains are final by then, LUT counts are not (reported as 0).
    Sources: ``srcs``, else ``g2l_top.f`` of ``hw_dir`` (else ``$G2LIVE_HW_DIR``, the installed
    copy or the checkout; see ``g2live.tools.rtl``).
    """
    params = dict(parameters or {})
    tree = _tree(hw_dir)
    try:
        srcs = list(srcs) if srcs is not None else sources(tree)
    except rtl.RtlToolsError as exc:
        raise SynthError(str(exc)) from None
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="g2l_synth_"))
    work.mkdir(parents=True, exist_ok=True)
    stat_json = work / "stat.json"
    script = work / "synth.ys"
    script.write_text(_script(srcs, top, params, stat_json, tree.rtl_dir, map_luts))
    t0 = time.monotonic()
    _run_yosys(script, work / "yosys.log")
    data = json.loads(stat_json.read_text())
    mods = data.get("modules", {})
    # Totals over the hierarchy: the TDC's delay line keeps its own module (keep_hierarchy). The
    # top module's own cells with each kept instance expanded, never the "design" section: after
    # LUT mapping Yosys sums the hierarchy there already, and expanding it again counted every
    # line twice.
    top_stat = mods.get(f"\\{top}") or mods.get(top) or data.get("design") or (
        next(iter(mods.values())) if mods else {})
    modules = {str(name).lstrip("\\"): {str(k): int(v) for k, v in m.get("num_cells_by_type", {}).items()}
               for name, m in mods.items()}
    cells = _with_submodules({str(k): int(v) for k, v in top_stat.get("num_cells_by_type", {}).items()},
                             modules)
    if not cells:
        raise SynthError(f"yosys reported no cells for {top} (stat {stat_json})")
    own = {str(k).lstrip("\\"): int(v) for k, v in top_stat.get("num_cells_by_type", {}).items()}
    line_carry4 = sum(n * _with_submodules(modules[t], modules).get("CARRY4", 0)
                      for t, n in own.items() if t in modules and "tdc_line" in t)
    return {"top": top, "parameters": params, "resources": count(cells), "cells": cells,
            "modules": modules, "line_carry4": line_carry4, "seconds": round(time.monotonic() - t0, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m g2live.tools.synth", description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--out", type=Path, default=None,
                    help="JSON output (default: <checkout>/build/synth/g2l_top.json)")
    ap.add_argument("--hw-dir", type=Path, default=None,
                    help=f"g2live source checkout holding hw/rtl (default: ${rtl.HW_DIR_ENV}, else this one)")
    ap.add_argument("-P", "--param", action="append", default=[], metavar="NAME=VALUE",
                    help="override a parameter of the top, e.g. -P N_CHANNELS=5")
    ap.add_argument("--top", default="g2l_top",
                    help="top module, e.g. g2l_pynq_top with --source hw/boards/pynq-z2/g2l_pynq_top.v")
    ap.add_argument("--source", action="append", type=Path, default=[], metavar="FILE",
                    help="an extra source after those of g2l_top.f (a board top)")
    ap.add_argument("--board", action="store_true",
                    help="the PYNQ-Z2's parameters (before any -P) and a check that the result fits "
                         "its xc7z020 (exit status 1 if not)")
    ap.add_argument("--no-lut-mapping", action="store_true",
                    help="stop before LUT mapping (ABC): block RAMs, DSPs, flip-flops and CARRY4 are "
                         "final, LUTs read 0; minutes instead of hours at board size")
    args = ap.parse_args(argv)
    params = dict(BOARD) if args.board else {}
    for p in args.param:
        name, _, value = p.partition("=")
        if not name or not value.lstrip("-").isdigit():
            ap.error(f"--param {p!r}: expected NAME=INTEGER")
        params[name] = int(value)
    try:
        tree = _tree(args.hw_dir)
        out = args.out or tree.build_dir / "synth" / f"{args.top}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        srcs = sources(tree) + [p.resolve() for p in args.source] if args.source else None
        res = synth(params, top=args.top, srcs=srcs, workdir=out.parent / f"work_{args.top}",
                    map_luts=not args.no_lut_mapping, hw_dir=args.hw_dir)
    except SynthError as exc:
        print(f"synth: error: {exc}", file=sys.stderr)
        return 1
    out.write_text(json.dumps(res, indent=1, sort_keys=True))
    r = res["resources"]
    print(f"{args.top} {params or '(default parameters)'} on xc7 ({res['seconds']} s"
          f"{', stopped before LUT mapping' if args.no_lut_mapping else ''}):")
    print(f"  LUT {r['lut']}  FF {r['ff']}  BRAM {r['bram36_equiv']:g} (RAMB36 {r['bram36']}, "
          f"RAMB18 {r['bram18']})  DSP {r['dsp']}  LUTRAM {r['lutram']}  CARRY4 {r['carry4']}")
    lines = {m: c.get("CARRY4", 0) for m, c in res.get("modules", {}).items() if "tdc_line" in m}
    if lines:
        print(f"  TDC delay lines: {sum(lines.values())} CARRY4 in {len(lines)} module(s) {lines}")
    print(f"  written to {out}")
    if args.board and not args.no_lut_mapping:
        return _print_fit(res)
    return 0


def _print_fit(res: Mapping[str, Any]) -> int:
    rows = fit(res["resources"], res["line_carry4"])
    shares = ", ".join(f"{k} {u:g} of {a:g} ({100 * u / a:.0f} %)" for k, u, a in rows)
    print(f"  xc7z020 (PYNQ-Z2): {shares}")
    over = [k for k, u, a in rows if u > a]
    print(f"  fits: {'NO, over in ' + ', '.join(over) if over else 'yes'} (slices: LUT and LUT-RAM sites / 4 "
          f"+ {res['line_carry4']} delay-line CARRY4; Yosys' count, not a placed design)")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
