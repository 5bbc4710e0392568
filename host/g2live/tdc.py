# SPDX-License-Identifier: BSD-3-Clause
"""The carry-chain TDC: its C twin and a delay-line model that is not kind to it.

The on-chip TDC (``hw/rtl/g2l_tdc*.sv``, docs/hardware.md "TDC") samples a tapped delay line of
CARRY4 cells at every clock edge, counts the taps that are set (the code) and turns the code into
a fine time through a table built online by code-density calibration. This module gives

- the bit-exact C twins of its encoder (:func:`encode`), its table builder (:func:`cal_table`),
  its calibration engine clock for clock (:class:`CalibrationTwin`), its nominal table
  (:func:`nominal_fine`) and its zero-time line (:func:`ideal_code`, :class:`IdealTdc`, what the
  cycle-based RTL simulation and the ``sim`` back-end use to quantise times alike);
- :class:`DelayLine`, a model of a real line with the effects that break naive TDCs: CARRY4
  taps that switch out of order (prjxray's Artix-7 CI->CO0..3 delays 271/157/228/114 ps), spread
  of every delay, an ultra-wide bin where the chain crosses a clock region, chain offsets, clock
  skew of every flip-flop, metastable samples and injected bubbles, and a delay scale for drift.
  The RTL testbenches feed its tap delays to the behavioural line and score the TDC against the
  model's known truth with :func:`score`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from g2live import _core
from g2live import contract as C

__all__ = [
    "CARRY4_CI_CO_PS",
    "CARRY4_CYINIT_CO_PS",
    "CalibrationTwin",
    "DelayLine",
    "DelayLineConfig",
    "IdealTdc",
    "TDC_SINCE_MINOR",
    "TdcGeometry",
    "cal_table",
    "configure_calibration",
    "encode",
    "ideal_code",
    "nominal_fine",
    "read_status",
    "read_table",
    "require_tdc_registers",
    "score",
]

# prjxray-db Artix-7 CLBLL_L.sdf (Vivado's slow-corner model): CARRY4 CI -> CO[0..3] and
# CYINIT -> CO[0..3], ps. CO3 is the fastest output: the taps of one CARRY4 switch out of order.
CARRY4_CI_CO_PS = (271.0, 157.0, 228.0, 114.0)
CARRY4_CYINIT_CO_PS = (536.0, 494.0, 592.0, 580.0)

# Per-snapshot flags of the encoder (cext/src/g2l_tdc.h).
HIT, OVERLAP, SHORT, OVERRANGE = 1, 2, 4, 8
BUILD_TAIL = 9  # g2l_tdc.svh G2L_TDC_BUILD_TAIL
CALIB_LATENCY = 2  # g2l_tdc.svh G2L_TDC_CALIB_LATENCY
ADDS_PER_STAGE = 2  # g2l_tdc.svh G2L_TDC_ADDS_PER_STAGE


def _clog2(x: int) -> int:
    return max(0, (int(x) - 1).bit_length())


@dataclass(frozen=True)
class TdcGeometry:
    """Parameters of one RTL TDC channel (g2l_tdc), with the RTL's derived defaults."""

    clk_period_ps: int = 4000
    n_chains: int = 2
    carry4_min_ps: int = 70
    n_carry4: int | None = None  # None: reach 1.25 periods at carry4_min_ps, as the RTL
    carry4_nom_ps: int = 114
    nom_bin_ps: int | None = None  # None: carry4_nom_ps / (4 n_chains), rounded

    def __post_init__(self) -> None:
        if self.n_carry4 is None:
            object.__setattr__(self, "n_carry4", (self.clk_period_ps * 5 + 4 * self.carry4_min_ps - 1)
                               // (4 * self.carry4_min_ps))
        if self.nom_bin_ps is None:
            nom = (self.carry4_nom_ps + 2 * self.n_chains) // (4 * self.n_chains)
            object.__setattr__(self, "nom_bin_ps", nom)

    @property
    def taps_per_chain(self) -> int:
        return 4 * int(self.n_carry4)  # type: ignore[arg-type]

    @property
    def n_taps(self) -> int:
        return self.n_chains * self.taps_per_chain

    @property
    def code_w(self) -> int:
        return _clog2(self.n_taps + 1)

    @property
    def pop_stages(self) -> int:
        return _clog2((self.n_taps + 5) // 6) // ADDS_PER_STAGE + 1

    @property
    def latency(self) -> int:
        """Clocks from an edge's cycle to its hit (g2l_tdc_latency)."""
        return 2 + self.pop_stages + 1 + CALIB_LATENCY

    def rtl_parameters(self) -> dict[str, int]:
        return {"CLK_PERIOD_PS": self.clk_period_ps, "N_CHAINS": self.n_chains,
                "N_CARRY4": int(self.n_carry4), "NOM_BIN_PS": int(self.nom_bin_ps)}  # type: ignore[arg-type]


# ---- C twins -----------------------------------------------------------------------------------


def encode(sample: np.ndarray, n_chains: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes (ones counts) and flags (HIT, OVERLAP, SHORT, OVERRANGE) of consecutive snapshots.

    ``sample``: 2-D array, one row per clock, the taps chain-major (0/1), starting from reset.
    """
    s = np.ascontiguousarray(sample, dtype=np.uint8)
    if s.ndim != 2:
        raise ValueError(f"encode: sample must be 2-D (clocks x taps), got shape {s.shape}")
    return _core.tdc_encode(s, int(n_chains))


def cal_table(hist: np.ndarray, log2_hits: int, clk_period_ps: int) -> np.ndarray:
    """The table g2l_tdc_calib builds from a histogram of exactly 2**log2_hits hits."""
    h = np.ascontiguousarray(hist, dtype=np.uint32)
    if int(h.sum()) != 1 << log2_hits:
        raise ValueError(f"cal_table: the histogram holds {int(h.sum())} hits, not 2**{log2_hits}")
    return _core.tdc_cal_table(h, int(log2_hits), int(clk_period_ps))


def nominal_fine(code: np.ndarray, clk_period_ps: int, nom_bin_ps: int) -> np.ndarray:
    """Fine times of codes before calibration (nominal bin width)."""
    return _core.tdc_nominal(np.ascontiguousarray(code, dtype=np.int32), int(clk_period_ps), int(nom_bin_ps))


def ideal_code(fine_ps: np.ndarray, clk_period_ps: int, nom_bin_ps: int) -> np.ndarray:
    """Code of the zero-time line (g2l_tdc_line_ideal) for edges fine_ps into their cycle."""
    f = np.ascontiguousarray(fine_ps, dtype=np.int32)
    if f.size and (f.min() < 0 or f.max() >= clk_period_ps):
        raise ValueError(f"ideal_code: fine times must be 0 .. {clk_period_ps - 1}")
    return _core.tdc_ideal_code(f, int(clk_period_ps), int(nom_bin_ps))


@dataclass(frozen=True)
class IdealTdc:
    """What the cycle-based RTL (zero-time line, nominal table: calibration off) makes of edge
    times: each time moves to the centre of its nominal bin, inside its own clock cycle.

    ``phase_ps``: where the clock edges are on the caller's time line (edges at phase + k P).
    """

    clk_period_ps: int
    nom_bin_ps: int
    phase_ps: int = 0

    def quantize(self, time_ps: np.ndarray) -> np.ndarray:
        t = np.ascontiguousarray(time_ps, dtype=np.int64)
        return _core.tdc_quantize(t, int(self.clk_period_ps), int(self.nom_bin_ps), int(self.phase_ps))


class CalibrationTwin:
    """g2l_tdc_calib clock for clock: hits (cycle, code) at its input -> fine times.

    ``collect_from``: the cycle in which collection starts (reset release + 2**code_w clocks of
    histogram clearing). log2_hits is clamped to 8 .. 20 as in the RTL.
    """

    def __init__(self, geometry: TdcGeometry, log2_hits: int, enable: bool = True, use_nominal: bool = False,
                 collect_from: int = 0) -> None:
        self.geometry = geometry
        self._c = _core.TdcCal(geometry.clk_period_ps, geometry.code_w, int(geometry.nom_bin_ps),  # type: ignore[arg-type]
                               int(log2_hits), bool(enable), bool(use_nominal), int(collect_from))

    def run(self, cycle: np.ndarray, code: np.ndarray) -> np.ndarray:
        cyc = np.ascontiguousarray(cycle, dtype=np.int64)
        cod = np.ascontiguousarray(code, dtype=np.uint16)
        if cyc.shape != cod.shape:
            raise ValueError("CalibrationTwin.run: cycle and code differ in shape")
        fine, st, err = self._c.run(cyc, cod)
        if st:
            raise ValueError(f"CalibrationTwin.run: hit {err}: cycles must rise by >= 2 and codes fit "
                             f"{self.geometry.code_w} bits")
        return fine

    def advance(self, cycle: int) -> None:
        """Apply a table swap due at or before ``cycle``."""
        self._c.advance(int(cycle))

    def set_inputs(self, enable: bool, use_nominal: bool) -> None:
        """cal_enable and use_nominal as they are from the next hit on."""
        self._c.set_inputs(bool(enable), bool(use_nominal))

    def restart(self, cycle: int) -> None:
        """cal_restart pulsed in ``cycle`` (the histogram and a table being built are dropped)."""
        self._c.restart(int(cycle))

    def table(self) -> np.ndarray:
        return self._c.table()

    @property
    def state(self) -> dict[str, int]:
        return self._c.state


# ---- the TDC registers of a core (map 1.4): any read_reg / write_reg pair ------------------------

# The TDC_* registers exist from register map 1.4 on (1.3 is the sync prescaler and filter).
TDC_SINCE_MINOR = 4


def require_tdc_registers(read_reg: Callable[[int], int]) -> None:
    """Refuse a core whose register map predates the TDC registers (an older minor answers SLVERR
    at 0x800 and up) or is of another major version."""
    v = read_reg(C.REG_VERSION)
    f = C.REGISTERS["VERSION"].fields
    major, minor = f["major"].get(v), f["minor"].get(v)
    if major != C.REG_VERSION_MAJOR or minor < TDC_SINCE_MINOR:
        raise ValueError(f"register map {major}.{minor} has no TDC registers "
                         f"(they exist from {C.REG_VERSION_MAJOR}.{TDC_SINCE_MINOR} on)")


def configure_calibration(write_reg: Callable[[int, int], None], channels: Iterable[int], log2_hits: int = 16,
                          use_nominal: bool = False, restart: bool = True) -> None:
    """Build the listed channels' tables online from their own hits (2**log2_hits per table).

    Leave out a channel whose edges are locked to the FPGA clock (a sync generated from the same
    crystal): code density needs edges spread uniformly over the clock period.
    """
    if not 8 <= log2_hits <= 20:
        raise ValueError(f"log2_hits must be 8..20 (the RTL's range), got {log2_hits}")
    mask = 0
    for c in channels:
        if not 0 <= c < 32:
            raise ValueError(f"channel {c}: TDC_CAL_ENABLE covers channels 0..31")
        mask |= 1 << c
    f = C.REGISTERS["TDC_CONTROL"].fields
    write_reg(C.REG_TDC_CONTROL, f["cal_log2_hits"].put(log2_hits) | f["use_nominal"].put(int(use_nominal)))
    write_reg(C.REG_TDC_CAL_ENABLE, mask)
    if restart:  # collections restart with the new size
        write_reg(C.REG_TDC_COMMAND, C.REGISTERS["TDC_COMMAND"].fields["cal_restart"].put(1))


def read_status(read_reg: Callable[[int], int], write_reg: Callable[[int, int], None], channel: int) -> dict:
    """TDC_STATUS of one channel as a dict (table_valid, bank, collecting, building, short_seen,
    overrange_seen, cal_count) plus its overlap count."""
    require_tdc_registers(read_reg)
    write_reg(C.REG_TDC_SELECT, C.REGISTERS["TDC_SELECT"].fields["channel"].put(channel))
    v = read_reg(C.REG_TDC_STATUS)
    out = {name: f.get(v) for name, f in C.REGISTERS["TDC_STATUS"].fields.items()}
    out["overlap_count"] = read_reg(C.REGISTERS["TDC_OVERLAP_COUNT"].addr(channel))
    return out


def read_table(read_reg: Callable[[int], int], write_reg: Callable[[int, int], None], channel: int,
               n_codes: int) -> np.ndarray:
    """Fine times (ps) of codes 0 .. n_codes-1 in the channel's table in use."""
    require_tdc_registers(read_reg)
    sel = C.REGISTERS["TDC_SELECT"].fields
    out = np.empty(n_codes, np.int64)
    for k in range(n_codes):
        write_reg(C.REG_TDC_SELECT, sel["channel"].put(channel) | sel["code"].put(k))
        # TDC_TABLE follows TDC_SELECT a few clocks later: one read round trip in between covers
        # them whatever the interconnect's latency
        read_reg(C.REG_TDC_SELECT)
        out[k] = C.REGISTERS["TDC_TABLE"].fields["fine_ps"].get(read_reg(C.REG_TDC_TABLE))
    return out


# ---- delay-line model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DelayLineConfig:
    """An unkind carry-chain line (defaults: Artix-7 / Zynq-7000 figures)."""

    n_chains: int = 2
    n_carry4: int = 72
    ci_co_ps: tuple[float, float, float, float] = CARRY4_CI_CO_PS
    cyinit_co_ps: tuple[float, float, float, float] = CARRY4_CYINIT_CO_PS
    spread: float = 0.10            # relative sigma of every CARRY4 and tap delay
    chain_offset_ps: float = 60.0   # chains start uniformly within this (input routing)
    start_row: int = 30             # CLB row of the first CARRY4
    region_rows: int = 50           # CLB rows per clock region
    region_extra_ps: float = 250.0  # extra carry delay where the chain crosses a region
    skew_ps: float = 4.0            # sigma of each flip-flop's clock arrival
    region_skew_ps: float = 25.0    # clock arrives this much later in the next region
    meta_ps: int = 3                # metastable window (half width) around the clock edge
    bubble_ps: int = 25             # window (half width) for injected bubbles
    bubble_ppm: int = 20000         # probability per tap in it
    seed: int = 1


@dataclass
class DelayLine:
    """Tap delays (ps from the line input, chain-major) of one drawn line."""

    config: DelayLineConfig = field(default_factory=DelayLineConfig)
    delays_ps: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        cfg = self.config
        rng = np.random.default_rng(cfg.seed)
        out = []
        for _c in range(cfg.n_chains):
            a = rng.uniform(0.0, cfg.chain_offset_ps)  # arrival at this chain's CYINIT
            taps = np.empty(4 * cfg.n_carry4)
            for k in range(cfg.n_carry4):
                row = cfg.start_row + k
                if k and row % cfg.region_rows == 0:
                    a += cfg.region_extra_ps  # the cascade leaves the clock region
                base = cfg.cyinit_co_ps if k == 0 else cfg.ci_co_ps
                d = np.array(base) * (1.0 + cfg.spread * rng.standard_normal(4))
                taps[4 * k:4 * k + 4] = a + d
                a = taps[4 * k + 3]  # CO3 is the next CARRY4's CI
            rows = cfg.start_row + np.arange(4 * cfg.n_carry4) // 4
            skew = (cfg.skew_ps * rng.standard_normal(taps.size)
                    + cfg.region_skew_ps * (rows // cfg.region_rows))
            out.append(taps - skew)  # a flop clocked later sees the tap as earlier
        self.delays_ps = np.maximum(1, np.rint(np.concatenate(out))).astype(np.int64)

    def scaled(self, scale: float = 1.0) -> np.ndarray:
        """Delays at a delay scale, rounded to ps as the behavioural line does (ppm arithmetic)."""
        ppm = int(round(scale * 1e6))
        return (self.delays_ps * ppm + 500_000) // 1_000_000

    def offset_ps(self, scale: float = 1.0) -> int:
        """Delay of the first tap to switch: the TDC measures an edge this much late."""
        return int(self.scaled(scale).min())

    def reach_ps(self, scale: float = 1.0) -> int:
        """Time the edge takes from the first to the last tap."""
        d = self.scaled(scale)
        return int(d.max() - d.min())

    def bins_ps(self, clk_period_ps: int, scale: float = 1.0) -> np.ndarray:
        """True widths of the codes 1, 2, ... within one period (code k: k taps set)."""
        d = np.sort(self.scaled(scale))
        rel = d - d[0]
        inside = rel[rel < clk_period_ps]
        edges = np.append(inside, clk_period_ps)
        return np.diff(edges)

    def centres_ps(self, clk_period_ps: int, scale: float = 1.0) -> np.ndarray:
        """True elapsed time (since the first tap switched) at the centre of codes 1, 2, ..."""
        d = np.sort(self.scaled(scale))
        rel = d - d[0]
        inside = rel[rel < clk_period_ps]
        edges = np.append(inside, clk_period_ps)
        return (edges[:-1] + edges[1:]) / 2.0

    def write_taps(self, path: Path | str, n_taps: int | None = None) -> Path:
        """The tap file the behavioural line reads (+G2L_TDC_TAPS): one hex delay per line."""
        if n_taps is not None and n_taps != self.delays_ps.size:
            raise ValueError(f"write_taps: the RTL has {n_taps} taps, the model {self.delays_ps.size}")
        p = Path(path)
        p.write_text("".join(f"{int(v):x}\n" for v in self.delays_ps))
        return p

    def plusargs(self, taps_file: Path | str, seed: int | None = None) -> list[str]:
        cfg = self.config
        return [f"+G2L_TDC_TAPS={taps_file}", f"+G2L_TDC_META_PS={cfg.meta_ps}",
                f"+G2L_TDC_BUBBLE_PS={cfg.bubble_ps}", f"+G2L_TDC_BUBBLE_PPM={cfg.bubble_ppm}",
                f"+G2L_TDC_SEED={cfg.seed if seed is None else seed}"]


def score(measured_ps: np.ndarray, true_ps: np.ndarray, offset_ps: float,
          clk_period_ps: int) -> dict[str, float]:
    """Single-shot errors of measured edge times against the truth (+ the line's offset).

    A coarse-cycle error is an error of more than half a clock period; they are counted and left
    out of the mean and RMS (which they would swamp).
    """
    m = np.asarray(measured_ps, np.int64)
    t = np.asarray(true_ps, np.int64)
    if m.shape != t.shape:
        raise ValueError("score: measured and true times differ in shape")
    err = (m - t - offset_ps).astype(float)
    coarse = np.abs(err) > clk_period_ps / 2
    good = err[~coarse]
    return {
        "n": int(err.size),
        "coarse_errors": int(coarse.sum()),
        "mean_ps": float(good.mean()) if good.size else float("nan"),
        "rms_ps": float(np.sqrt(np.mean(good ** 2))) if good.size else float("nan"),
        "std_ps": float(good.std()) if good.size else float("nan"),
        "max_abs_ps": float(np.abs(good).max()) if good.size else float("nan"),
    }
