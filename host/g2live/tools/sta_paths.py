# SPDX-License-Identifier: BSD-3-Clause
"""Worst register-to-register path from Yosys ``sta`` arrival times, counted at real end points.

Yosys ``sta`` annotates every wire bit with its latest arrival (``sta_arrival``) and reports the
largest arrival at *any* driven bit, including outputs nobody reads (the unused top outputs of a
carry chain), which then pose as the critical path. Here the arrivals are taken as Yosys computed
them, but the maximum is taken over end points only: cell input pins with a setup check (``$setup``
specify rules: flip-flop D/CE/R, block-RAM and LUT-RAM write pins, DSP inputs) plus their setup
time, and the module's outputs. The path back to its start (a clock-to-out arc or a primary input)
is found by following, from the end point, the driver arc whose arrival plus delay gives the
arrival of its output, with the same ``specify`` arcs ``sta`` used (``cells_sim.v``; cells whose
timing depends on parameters, such as DSP48E1, use the largest delay of their derived variants).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

Pin = tuple[str, int]  # (port name, bit index)


@dataclass
class CellTiming:
    """Timing arcs of one cell type, in picoseconds."""

    comb: dict[tuple[Pin, Pin], int] = field(default_factory=dict)  # (in, out) -> delay
    clk2q: dict[Pin, tuple[int, Pin]] = field(default_factory=dict)  # out -> (delay, clock pin)
    setup: dict[Pin, int] = field(default_factory=dict)  # data pin -> setup time


_MODULE = re.compile(r"^module\s+(\S+)")
_WIRE = re.compile(r"^\s*wire\s+(.*?)(\S+)\s*$")
_PARAM = re.compile(r"^\s*parameter\s+(?:signed\s+)?(\S+)\s+(.+?)\s*$")
_CONNECT = re.compile(r"^\s*connect\s+(\S+)\s+(.+?)\s*$")
_CELL = re.compile(r"^\s*cell\s+(\S+)\s+(\S+)")


def _base_name(module: str) -> str:
    """``$paramod\\FDRE\\INIT=1'x`` or ``$paramod$<hash>\\DSP48E1`` -> ``FDRE`` / ``DSP48E1``."""
    name = module.lstrip("\\")
    if name.startswith("$paramod"):
        parts = name.split("\\")
        return parts[1] if len(parts) > 1 else name
    return name


def _sig_bits(spec: str, widths: dict[str, int]) -> list[Pin]:
    """Bits (LSB first) of an RTLIL signal spec: ``\\A``, ``\\A [3]``, ``\\A [3:0]``, ``{ .. }``."""
    spec = spec.strip()
    if spec.startswith("{"):
        inner = spec[1:-1].strip()
        items = re.findall(r"\\\S+(?:\s+\[\d+(?::\d+)?\])?|\d+'[01xz]+", inner)
        out: list[Pin] = []
        for item in reversed(items):  # concatenation lists the MSB part first
            out += _sig_bits(item, widths)
        return out
    m = re.match(r"\\(\S+)(?:\s+\[(\d+)(?::(\d+))?\])?$", spec)
    if not m:
        return []  # a constant
    name = m.group(1)
    if m.group(2) is None:
        return [(name, i) for i in range(widths.get(name, 1))]
    hi = int(m.group(2))
    lo = int(m.group(3)) if m.group(3) is not None else hi
    return [(name, i) for i in range(lo, hi + 1)]


def _int_param(v: str) -> int:
    v = v.strip()
    if "'" in v:
        width, bits = v.split("'", 1)
        bits = bits.lstrip("sbd")
        return int(bits, 2) if set(bits) <= {"0", "1"} else 0
    try:
        return int(v)
    except ValueError:
        return 0


def read_library(paths: Iterable[Path]) -> dict[str, CellTiming]:
    """Timing arcs per base cell type from RTLIL files of the (specify-carrying) cell library."""
    lib: dict[str, CellTiming] = defaultdict(CellTiming)
    for path in paths:
        if Path(path).is_file():
            _RtlilReader(lib).read(Path(path).read_text())
    return dict(lib)


class _RtlilReader:
    """Line by line through an RTLIL file: each module's wire widths, then its specify cells."""

    def __init__(self, lib: dict[str, CellTiming]) -> None:
        self.lib = lib
        self.module: str | None = None
        self.widths: dict[str, int] = {}
        self.cell_type: str | None = None
        self.params: dict[str, str] = {}
        self.conns: dict[str, str] = {}

    def read(self, text: str) -> None:
        for line in text.splitlines():
            if m := _MODULE.match(line):
                self.module, self.widths = _base_name(m.group(1)), {}
            elif self.module is None:
                continue
            elif self.cell_type is None:
                self._module_line(line)
            else:
                self._cell_line(line)

    def _module_line(self, line: str) -> None:
        if line.startswith("end"):
            self.module = None
        elif m := _WIRE.match(line):
            w = re.search(r"width\s+(\d+)", m.group(1))
            self.widths[m.group(2).lstrip("\\")] = int(w.group(1)) if w else 1
        elif m := _CELL.match(line):
            self.cell_type, self.params, self.conns = m.group(1), {}, {}

    def _cell_line(self, line: str) -> None:
        if m := _PARAM.match(line):
            self.params[m.group(1).lstrip("\\")] = m.group(2)
        elif m := _CONNECT.match(line):
            self.conns[m.group(1).lstrip("\\")] = m.group(2)
        elif line.strip() == "end":
            assert self.module is not None and self.cell_type is not None
            _add_cell(self.lib[self.module], self.cell_type, self.params, self.conns, self.widths)
            self.cell_type = None


def _add_cell(t: CellTiming, typ: str, params: dict[str, str], conns: dict[str, str],
              widths: dict[str, int]) -> None:
    src = _sig_bits(conns.get("SRC", ""), widths)
    dst = _sig_bits(conns.get("DST", ""), widths)
    if typ == "$specify2":
        d = max(_int_param(params.get("T_RISE_MAX", "0")), _int_param(params.get("T_FALL_MAX", "0")))
        pairs = ([(s, o) for s in src for o in dst] if _int_param(params.get("FULL", "0"))
                 else list(zip(src, dst, strict=False)))
        for key in pairs:
            t.comb[key] = max(t.comb.get(key, 0), d)
    elif typ == "$specify3":
        d = max(_int_param(params.get("T_RISE_MAX", "0")), _int_param(params.get("T_FALL_MAX", "0")))
        if d > 0 and src:
            for o in dst:
                if o not in t.clk2q or t.clk2q[o][0] < d:
                    t.clk2q[o] = (d, src[0])
    elif typ == "$specrule" and params.get("TYPE", "").strip('"') in ("$setup", "$setuphold"):
        d = max(0, _int_param(params.get("T_LIMIT_MAX", "0")))
        for s in src:
            t.setup[s] = max(t.setup.get(s, 0), d)


@dataclass
class TimedPath:
    arrival_ps: int   # arrival at the end point plus its setup time
    end: str
    start: str
    steps: list[str]  # from the end point back to the start


def _arrivals(mod: dict) -> tuple[dict[int, int], dict[int, str]]:
    arr: dict[int, int] = {}
    names: dict[int, str] = {}
    for name, net in mod["netnames"].items():
        bits = net["bits"]
        a = net.get("attributes", {}).get("sta_arrival")
        vals = [int(x) for x in str(a).split()] if a is not None else []
        for i, b in enumerate(bits):
            if not isinstance(b, int):
                continue
            if i < len(vals) and vals[i] >= 0:
                arr[b] = max(arr.get(b, -1), vals[i])
            if not net.get("hide_name") and b not in names:
                names[b] = f"{name}[{i}]" if len(bits) > 1 else name
    return arr, names


def worst_path(arrival_json: Path, top: str, lib: dict[str, CellTiming]) -> TimedPath:
    """The latest end-point arrival (plus setup) in ``top`` and the path that leads there."""
    mod = json.loads(Path(arrival_json).read_text())["modules"][top]
    arr, names = _arrivals(mod)
    cells = mod["cells"]
    inputs = {b for p in mod["ports"].values() if p["direction"] == "input" for b in p["bits"]
              if isinstance(b, int)}
    ends = [*_cell_ends(cells, lib, arr, names), *_output_ends(mod, arr)]
    if not ends:
        raise ValueError(f"{top}: no timed end point (no sta_arrival attributes?)")
    score, bit, end = max(ends, key=lambda e: e[0])  # the first of equal scores
    steps, start = _backtrack(bit, arr, _drivers(cells), cells, lib, names, inputs)
    return TimedPath(score, end, start, [end, *steps])


def _drivers(cells: dict) -> dict[int, tuple[str, Pin]]:
    """The cell output pin that drives each bit."""
    driver: dict[int, tuple[str, Pin]] = {}
    for cname, c in cells.items():
        # a kept submodule (the TDC's CARRY4 line) is a cell without port directions: what it
        # drives starts no timed path (the line is the measurement, asynchronous to the clock)
        for port, bits in c["connections"].items():
            if c.get("port_directions", {}).get(port) == "output":
                for i, b in enumerate(bits):
                    if isinstance(b, int):
                        driver[b] = (cname, (port, i))
    return driver


def _cell_ends(cells: dict, lib: dict[str, CellTiming], arr: dict[int, int],
               names: dict[int, str]) -> list[tuple[int, int, str]]:
    """(arrival + setup, bit, label) of every cell input with a setup check."""
    out: list[tuple[int, int, str]] = []
    for cname, c in cells.items():
        t = lib.get(c["type"].lstrip("\\"))
        if t is None or not t.setup:
            continue
        for port, bits in c["connections"].items():
            if c.get("port_directions", {}).get(port) != "input":
                continue
            for i, b in enumerate(bits):
                req = t.setup.get((port, i))
                if req is not None and isinstance(b, int) and b in arr:
                    out.append((arr[b] + req, b, f"{_cell_label(cname, c, names)} ({c['type']}.{port})"))
    return out


def _output_ends(mod: dict, arr: dict[int, int]) -> list[tuple[int, int, str]]:
    """(arrival, bit, label) of the module's output bits."""
    return [(arr[b], b, f"output {pname}") for pname, p in mod["ports"].items() if p["direction"] != "input"
            for b in p["bits"] if isinstance(b, int) and b in arr]


def _cell_label(cname: str, c: dict, names: dict[int, str]) -> str:
    for port in ("Q", "DOADO", "DOBDO", "O", "DOA", "DOB", "DOC", "DOD", "P"):
        for b in c["connections"].get(port, []):
            if isinstance(b, int) and b in names:
                return names[b]
    return cname


def _backtrack(bit: int, arr: dict[int, int], driver: dict[int, tuple[str, Pin]], cells: dict,
               lib: dict[str, CellTiming], names: dict[int, str], inputs: set[int]) -> tuple[list[str], str]:
    steps: list[str] = []
    seen: set[int] = set()
    while bit not in seen:
        seen.add(bit)
        if bit in inputs and bit not in driver:
            label = f"input {names.get(bit, bit)}"
            steps.append(label)
            return steps, label
        if bit not in driver:
            return steps, f"? {names.get(bit, bit)}"
        cname, out = driver[bit]
        c = cells[cname]
        t = lib.get(c["type"].lstrip("\\"), CellTiming())
        a = arr.get(bit, -1)
        if out in t.clk2q:
            d, clk = t.clk2q[out]
            cb = c["connections"].get(clk[0], [None])[clk[1]] if clk[0] in c["connections"] else None
            if isinstance(cb, int) and arr.get(cb, -1) + d == a:
                label = f"{_cell_label(cname, c, names)} ({c['type']}.{clk[0]}->{out[0]})"
                steps.append(label)
                return steps, label
        nxt = None
        for (src, dst), d in t.comb.items():
            if dst != out or src[0] not in c["connections"]:
                continue
            sb = c["connections"][src[0]][src[1]] if src[1] < len(c["connections"][src[0]]) else None
            if isinstance(sb, int) and arr.get(sb, -1) + d == a:
                nxt = (sb, src)
                break
        if nxt is None:
            return steps, f"? {c['type']} {cname}"
        steps.append(f"{c['type']}.{nxt[1][0]}->{out[0]} {names.get(bit, '')} @{a}".rstrip())
        bit = nxt[0]
    return steps, "? (loop)"
