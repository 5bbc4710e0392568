# SPDX-License-Identifier: BSD-3-Clause
"""The real RTL (``hw/rtl/g2l_top``) as a Python object, simulated by Verilator.

``RtlModel`` compiles the top together with the C harness in ``sim/harness/`` into a shared library
(cached under ``build/rtl_model/<hash>/`` of the checkout, or ``~/.cache/g2live/rtl_model/`` for an
installed package; the hash covers every source, the harness, the parameters and the Verilator
version) and drives it through cffi: AXI4-Lite register access,
input edges given as absolute picosecond times, clocking, and the AXI4-Stream words it emits
(decode them with ``g2live.core.decode``).

The sources are found by ``g2live.tools.rtl`` (``hw_dir=``, else ``$G2LIVE_HW_DIR``, else the copy
installed with the package or the source checkout). The host's ``verilator`` device back-end and
the RTL tests use it; nothing here models the hardware: every word comes from the Verilated RTL.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from g2live import contract as C
from g2live.tools import rtl

LIB_NAME = "libg2l_harness.so"
HARNESS_HEADER = "g2l_harness.h"
HARNESS_SOURCE = "g2l_harness.cpp"


class RtlError(RuntimeError):
    """The RTL build failed, or the simulated core answered with an error (named in the message)."""


def verilator_root() -> Path:
    """VERILATOR_ROOT (see ``g2live.tools.rtl.verilator_root``); RtlError when there is no Verilator."""
    try:
        return rtl.verilator_root()
    except rtl.RtlToolsError as exc:
        raise RtlError(str(exc)) from None


def hw_tree(hw_dir: str | Path | None = None) -> rtl.HwTree:
    """The RTL and harness sources (``hw_dir``, else ``$G2LIVE_HW_DIR``, else the installed copy or the
    checkout); RtlError naming the setting when there are none."""
    try:
        tree = rtl.hw_tree(hw_dir)
        for name in (HARNESS_HEADER, HARNESS_SOURCE):
            tree.harness(name)  # both present, or an error naming the tree
        return tree
    except rtl.RtlToolsError as exc:
        raise RtlError(str(exc)) from None


def top_sources(tree: rtl.HwTree | None = None) -> list[Path]:
    """The RTL sources of g2l_top, from the file list shared with lint, synthesis and the testbenches."""
    try:
        return (tree or hw_tree()).filelist("g2l_top.f")
    except rtl.RtlToolsError as exc:
        raise RtlError(str(exc)) from None


def _cdef(tree: rtl.HwTree) -> str:
    text = tree.harness(HARNESS_HEADER).read_text()
    return text.split("/* CFFI-BEGIN */", 1)[1].split("/* CFFI-END */", 1)[0]


def _build_hash(tree: rtl.HwTree, sources: Sequence[Path], parameters: Mapping[str, int], vroot: Path) -> str:
    h = hashlib.sha256()
    harness = sorted(tree.harness(n) for n in (HARNESS_HEADER, HARNESS_SOURCE))
    files = list(sources) + tree.headers() + harness + [tree.contract_dir / "g2l_contract.h"]
    for f in files:
        h.update(str(f.name).encode())
        h.update(f.read_bytes())
    h.update(repr(sorted(parameters.items())).encode())
    h.update((vroot / "include" / "verilated.h").read_bytes()[:4096])
    h.update(str(vroot).encode())
    return h.hexdigest()[:16]


def build_library(
    parameters: Mapping[str, int] | None = None,
    sources: Sequence[Path] | None = None,
    build_root: Path | None = None,
    jobs: int = 2,
    hw_dir: str | Path | None = None,
) -> Path:
    """Verilate g2l_top + harness into a shared library; reuse a cached build with the same hash.

    Sources come from ``hw_dir`` (see :func:`hw_tree`); the cache is ``build_root``, by default
    ``build/rtl_model`` of the checkout, or ``~/.cache/g2live/rtl_model`` for an installed package.
    The TDC gets the zero-time line (TDC_LINE = 0): edges enter with their fine time, go through the
    TDC's encoder and calibration, and come out quantised as ``g2live.tdc.IdealTdc`` predicts.
    """
    params = {"TDC_LINE": 0, **dict(parameters or {})}
    tree = hw_tree(hw_dir)
    srcs = list(sources) if sources is not None else top_sources(tree)
    build_root = Path(build_root) if build_root is not None else tree.build_dir / "rtl_model"
    vroot = verilator_root()
    key = _build_hash(tree, srcs, params, vroot)
    out_dir = build_root / key
    lib = out_dir / LIB_NAME
    if lib.is_file():
        return lib
    build_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=build_root))
    env = rtl.verilator_env()
    obj = tmp / "obj"
    vcmd = [
        "verilator", "--cc", "--build", "-j", str(jobs), "-O3", "-Wno-fatal",
        "--Mdir", str(obj), "--top-module", "g2l_top", f"-I{tree.rtl_dir}",
        "-CFLAGS", "-O2 -fPIC",
        # The wheel's verilated.mk leaves the precompiled-header include flag empty.
        "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include",
        *[f"-G{k}={int(v)}" for k, v in params.items()],
        *[str(s) for s in srcs],
    ]
    cxx = [
        os.environ.get("CXX", "g++"), "-O2", "-fPIC", "-shared", "-std=c++17",
        f"-I{obj}", f"-I{vroot / 'include'}", f"-I{vroot / 'include' / 'vltstd'}", f"-I{tree.harness_dir}",
        f"-I{tree.contract_dir}",
        str(tree.harness(HARNESS_SOURCE)), str(obj / "Vg2l_top__ALL.a"), str(obj / "libverilated.a"),
        "-pthread", "-latomic", "-o", str(tmp / LIB_NAME),
    ]
    for cmd in (vcmd, cxx):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            log = (proc.stdout + proc.stderr)[-4000:]
            shutil.rmtree(tmp, ignore_errors=True)
            raise RtlError(f"building the RTL model failed ({cmd[0]}):\n{log}")
    shutil.rmtree(obj, ignore_errors=True)  # the .so is self-contained
    try:
        tmp.rename(out_dir)  # atomic publish; a concurrent builder may have won
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    if not lib.is_file():
        raise RtlError(f"RTL model build produced no {lib}")
    return lib


class RtlModel:
    """One simulated g2l_top instance: registers, input edges, clock, output words."""

    def __init__(
        self,
        parameters: Mapping[str, int] | None = None,
        sources: Sequence[Path] | None = None,
        build_root: Path | None = None,
        hw_dir: str | Path | None = None,
    ) -> None:
        import cffi

        self.library_path = build_library(parameters, sources, build_root, hw_dir=hw_dir)
        self._ffi = cffi.FFI()
        self._ffi.cdef(_cdef(hw_tree(hw_dir)))
        self._lib = self._ffi.dlopen(str(self.library_path))
        self._h = self._lib.g2l_create()
        if self._h == self._ffi.NULL:
            raise RtlError("g2l_create failed")
        ident = self.read_reg(C.REG_ID)
        if ident != C.REG_ID_VALUE:
            raise RtlError(f"ID register reads {ident:#010x}, expected {C.REG_ID_VALUE:#010x}")
        sizes = self.read_reg(C.REG_SIZES)
        f = C.REGISTERS["SIZES"].fields
        self.n_channels = f["n_channels"].get(sizes)
        self.n_pairs = f["n_pairs"].get(sizes)
        self.n_bins_log2 = f["n_bins_log2"].get(sizes)
        self.max_photons = f["max_photons"].get(sizes)
        n_markers = C.REGISTERS["MARKER_SIZES"].fields["n_markers"]
        self.n_markers = n_markers.get(self.read_reg(C.REG_MARKER_SIZES))
        self.clk_period_ps = int(self._lib.g2l_clk_period_ps(self._h))
        tdc_sizes = self.read_reg(C.REG_TDC_SIZES)
        self.tdc_line = C.REGISTERS["TDC_SIZES"].fields["line"].get(tdc_sizes)
        self.tdc_nom_bin_ps = self.read_reg(C.REG_TDC_NOM_BIN_PS)

    def ideal_tdc(self, phase_ps: int = 0) -> Any:
        """``g2live.tdc.IdealTdc``: the times this model gives input edges (zero-time TDC line,
        calibration off; clock edges at ``phase_ps + k * CLK_PERIOD_PS`` on the caller's time line)."""
        from g2live.tdc import IdealTdc

        if self.tdc_line != 0:
            raise RtlError(f"the model's TDC has line {self.tdc_line}, not the zero-time line")
        return IdealTdc(self.clk_period_ps, self.tdc_nom_bin_ps, phase_ps)

    # ---- lifetime ------------------------------------------------------------------------
    def close(self) -> None:
        if getattr(self, "_h", None) is not None:
            self._lib.g2l_destroy(self._h)
            self._h = None

    def __enter__(self) -> RtlModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may already be gone
            pass

    def reset(self, cycles: int = 4) -> None:
        """Synchronous reset: registers to their reset values, queued edges and words dropped."""
        self._lib.g2l_reset(self._h, max(1, int(cycles)))

    # ---- registers -----------------------------------------------------------------------
    def write_reg(self, addr: int, value: int) -> None:
        resp = self._lib.g2l_axil_write(self._h, int(addr), int(value) & 0xFFFFFFFF)
        if resp != 0:
            raise RtlError(f"AXI4-Lite write {value:#x} to {addr:#05x}: {self._resp(resp)}")

    def read_reg(self, addr: int) -> int:
        out = self._ffi.new("uint32_t *")
        resp = self._lib.g2l_axil_read(self._h, int(addr), out)
        if resp != 0:
            raise RtlError(f"AXI4-Lite read of {addr:#05x}: {self._resp(resp)}")
        return int(out[0])

    def _resp(self, resp: int) -> str:
        if resp < 0:
            return self._ffi.string(self._lib.g2l_last_error(self._h)).decode()
        return {1: "EXOKAY", 2: "SLVERR", 3: "DECERR"}.get(resp, f"response {resp}")

    # ---- stimulus and clock ----------------------------------------------------------------
    @property
    def time_ps(self) -> int:
        """The DUT's time base now (start of the current clock cycle), ps."""
        return int(self._lib.g2l_time_ps(self._h))

    def push_events(self, channel: np.ndarray | Sequence[int], time_ps: np.ndarray | Sequence[int]) -> None:
        """Queue input edges at absolute times (ps, non-decreasing), applied as the clock reaches them.

        A time becomes (cycle, fine) = divmod(time_ps, CLK_PERIOD_PS); the TDC gives it back as
        ``ideal_tdc().quantize(time_ps)`` (the centre of its nominal bin). Each channel's edges must be
        two or more cycles apart (a line goes low between rising edges), the sync input's one or
        more while SYNC_DIVIDER > 1 (its prescaler counts every edge); violations raise naming
        the edge. Edges whose cycle has already passed when reached are dropped and counted in
        ``stats()['edges_late']``. Channel ``contract.MARKER_CHANNEL + m`` is marker input m (a
        one-cycle pulse on ``in_marker[m]``; the chip stamps it with the start of its cycle).
        """
        ch = np.ascontiguousarray(channel, dtype=np.uint8)
        t = np.ascontiguousarray(time_ps, dtype=np.int64)
        if ch.shape != t.shape or ch.ndim != 1:
            raise ValueError(f"channel {ch.shape} and time_ps {t.shape} must be equal 1-D arrays")
        if t.size == 0:
            return
        if t.min() < 0:
            raise ValueError(f"time_ps[{int(np.argmin(t))}] is negative")
        cycle, fine = np.divmod(t, self.clk_period_ps)
        cycle = np.ascontiguousarray(cycle, dtype=np.uint64)
        fine = np.ascontiguousarray(fine, dtype=np.uint16)
        rc = self._lib.g2l_push_edges(
            self._h,
            self._ffi.cast("uint8_t *", self._ffi.from_buffer(ch)),
            self._ffi.cast("uint64_t *", self._ffi.from_buffer(cycle)),
            self._ffi.cast("uint16_t *", self._ffi.from_buffer(fine)),
            t.size,
        )
        if rc != 0:
            raise ValueError("push_events: " + self._ffi.string(self._lib.g2l_last_error(self._h)).decode())

    def drop_events(self) -> int:
        """Forget every queued edge (COMMAND.clear restarted the time base); returns how many."""
        return int(self._lib.g2l_drop_edges(self._h))

    def run(self, cycles: int) -> None:
        """Simulate ``cycles`` clocks."""
        if cycles < 0:
            raise ValueError(f"run: cycles must be >= 0, got {cycles}")
        self._lib.g2l_step(self._h, int(cycles))

    def run_until_ps(self, time_ps: int) -> None:
        """Clock until the DUT time base reaches ``time_ps``."""
        now = self.time_ps
        if time_ps > now:
            self.run(-(-(time_ps - now) // self.clk_period_ps))

    def set_ready_pattern(self, on: int = 1, period: int = 0) -> None:
        """Back-pressure on the output: ready in cycles with ``cycle % period < on``; period 0 = always."""
        if period and not 0 <= on <= period:
            raise ValueError(f"ready pattern: need 0 <= on <= period, got on={on} period={period}")
        self._lib.g2l_set_ready_pattern(self._h, int(on), int(period))

    def set_sink(self, credit: int = -1, stop_at_last: bool = False) -> None:
        """A DMA-like sink on the output (ANDed with the ready pattern): take at most ``credit`` more
        words (-1 = no limit) and, with ``stop_at_last``, none after a tlast word until the next
        call. ``stats()`` reports ``sink_credit``, ``sink_stopped`` and ``sink_overrun`` (cycles a
        word was offered after the credit ran out inside a packet)."""
        self._lib.g2l_set_sink(self._h, int(credit), int(bool(stop_at_last)))

    # ---- output ----------------------------------------------------------------------------
    def drain(self, with_last: bool = False) -> Any:
        """All AXI4-Stream words collected so far (uint64), and their tlast flags if asked."""
        n = int(self.stats()["words_buffered"])
        words = np.empty(n, dtype=np.uint64)
        last = np.empty(n, dtype=np.uint8)
        if n:
            got = self._lib.g2l_drain(
                self._h,
                self._ffi.cast("uint64_t *", self._ffi.from_buffer(words)),
                self._ffi.cast("uint8_t *", self._ffi.from_buffer(last)),
                n,
            )
            words, last = words[:got], last[:got]
        return (words, last.astype(bool)) if with_last else words

    def stats(self) -> dict[str, int]:
        s = self._ffi.new("g2l_harness_stats *")
        self._lib.g2l_get_stats(self._h, s)
        return {
            k: int(getattr(s, k))
            for k in ("cycles", "edges_in", "edges_queued", "edges_late", "words_out", "words_buffered",
                      "stall_cycles", "sink_credit", "sink_stopped", "sink_overrun")
        }
