# SPDX-License-Identifier: BSD-3-Clause
"""g2l_tdc with the behavioural delay line, scored against the delay-line model's known truth.

Both the cocotb module and the pytest entry point. The line is drawn by ``g2live.tdc.DelayLine``
(out-of-order CARRY4 taps, 10 % spread, an ultra-wide bin at a clock-region crossing, two chains
with offsets, flip-flop clock skew, metastable samples, injected bubbles) and its tap delays go
to ``g2l_tdc_line_behav``. Edges are driven at picosecond times; each measured time
``(hit cycle - LATENCY) * P + fine_ps`` is compared with the true edge time plus the line's
insertion delay. The run, all with online calibration:

1. collect until the first table is built (uniform random edges);
2. measure uniform edges (they feed the next table too) and edges within one tap of a clock
   edge (calibration paused for those, which are not uniform);
3. at the moment the second table goes live, every delay grows by 5 % (drift): measure with that
   table (now wrong), keep collecting; when the third table (built from drifted hits only) goes
   live, measure again: the RMS is back where it was.

Figures (mean bin width, DNL/INL, RMS, coarse-cycle errors, ...) go to
``build/tdc/<name>_<sim>.json``; docs/hardware.md "TDC" has the table and the commands. CI runs
``test_g2l_tdc`` (4 ns clock, 2**14 hits per table, 15 000 measured edges, ~57 000 in all);
``make tdc`` (bench) runs the board clock (8 ns) with 10**6 measured edges, 2**18 hits per table.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from common import REPO, SIM_BUILD, build_name, param, rtl, run_rtl

SOURCES = rtl("g2l_bram_sdp", "g2l_tdc_line_ideal", "g2l_tdc_line_behav", "g2l_tdc_encoder", "g2l_tdc_calib",
              "g2l_tdc")
OUT = REPO / "build" / "tdc"

# name: (clock period ps, CARRY4 per chain, log2 hits per table, measured uniform edges per phase,
#        edges near a clock edge per phase)
RUNS = {
    "ci": (4000, 72, 14, 4000, 1000),
    "board": (8000, 143, 18, 500_000, 250_000),
}


def _run(sim: str, name: str) -> dict:
    from g2live import tdc

    period, n_carry4, log2_hits, n_meas, n_near = RUNS[name]
    geo = tdc.TdcGeometry(period, n_carry4=n_carry4)
    line_cfg = tdc.DelayLineConfig(n_chains=geo.n_chains, n_carry4=n_carry4, seed=11)
    line = tdc.DelayLine(line_cfg)
    params = {**geo.rtl_parameters(), "LINE": 2}
    build_dir = SIM_BUILD / build_name(sim, "g2l_tdc", params)
    build_dir.mkdir(parents=True, exist_ok=True)
    taps = line.write_taps(build_dir / f"taps_{name}.hex", geo.n_taps)
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"{name}_{sim}.json"
    out.unlink(missing_ok=True)
    env = {
        "G2L_TDC_LINE": json.dumps(asdict(line_cfg)),
        "G2L_TDC_RUN": json.dumps({"name": name, "log2_hits": log2_hits, "n_meas": n_meas, "n_near": n_near,
                                   "out": str(out)}),
    }
    build_args = ["-Wno-WIDTH"] if sim == "verilator" else []
    run_rtl(sim, "g2l_tdc", "test_g2l_tdc", SOURCES, params, extra_env=env,
            plusargs=line.plusargs(taps), extra_build_args=build_args)
    return json.loads(out.read_text())


@pytest.mark.rtl
def test_g2l_tdc(sim: str) -> None:
    figures = _run(sim, "ci")
    assert figures["passed"], figures


@pytest.mark.bench
def test_g2l_tdc_board(sim: str) -> None:
    """The board clock (8 ns) with >= 10**6 measured edges (make tdc)."""
    figures = _run(sim, "board")
    assert figures["passed"], figures
    assert figures["measured_edges"] >= 1_000_000


try:
    import cocotb
except ImportError:  # collected by pytest outside the simulator
    cocotb = None

if cocotb is not None:
    from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer, ValueChange

    class TB:
        """Clock, edge driver at ps times, hit monitor, and the truth of every driven edge."""

        def __init__(self, dut, line) -> None:
            self.dut = dut
            self.line = line
            self.period = param(dut, "CLK_PERIOD_PS")
            self.latency = param(dut, "LATENCY")
            self.scale = 1.0
            self.rng = random.Random(5)
            self.next_rise = 0  # earliest time for the next rising edge, ps
            self.hits: list[int] = []  # measured times, in order
            self.true: list[int] = []  # true edge times (at the line input), in order

        async def start(self, log2_hits: int) -> None:
            from common import reset, start_clock

            d = self.dut
            start_clock(d, self.period / 1000)  # rising edges at k * P ps
            inputs = {"in_pulse": 0, "sim_fine_ps": 0, "clear": 0, "cal_enable": 0,
                      "cal_log2_hits": log2_hits, "cal_restart": 0, "use_nominal": 0, "host_addr": 0}
            for name, v in inputs.items():
                getattr(d, name).value = v
            await reset(d)
            self.next_rise = now_ps() + 4 * self.period
            cocotb.start_soon(self._monitor())

        async def _monitor(self) -> None:
            d, p = self.dut, self.period
            while True:
                await RisingEdge(d.hit)
                edge = now_ps()  # the clock edge that registered the hit
                self.hits.append(edge - self.latency * p + int(d.fine_ps.value))

        def set_scale(self, scale: float) -> None:
            self.scale = scale
            self.dut.g_behav.u_line.scale_ppm.value = int(round(scale * 1e6))

        async def edges(self, n: int, near: bool = False) -> tuple[int, int]:
            """Drive n edges (uniform phases, or the first tap within +-30 ps of a clock edge);
            returns the index range of their truths."""
            p = self.period
            first = len(self.true)
            for _ in range(n):
                off = self.line.offset_ps(self.scale)
                reach = self.line.reach_ps(self.scale)
                t = max(self.next_rise, now_ps() + 100) + self.rng.randrange(0, 2 * p)
                if near:  # first tap switches within one tap of the clock edge after t
                    k = -(-(t + off) // p)
                    t = k * p + self.rng.randint(-30, 30) - off
                high = p + off + 300 + self.rng.randrange(0, p)
                await Timer(t - now_ps(), unit="ps")
                self.dut.in_pulse.value = 1
                await Timer(high, unit="ps")
                self.dut.in_pulse.value = 0
                self.true.append(t)
                self.next_rise = t + high + reach + p + 300
            return first, len(self.true)

        async def settle(self) -> None:
            await Timer(max(self.next_rise - now_ps(), 0) + (self.latency + 4) * self.period, unit="ps")

        async def until_tables(self, count: int) -> None:
            while int(self.dut.cal_count.value) < count:
                await self.edges(256)

        def score(self, rng: tuple[int, int]) -> dict:
            from g2live import tdc

            a, b = rng
            assert len(self.hits) >= b, f"{b - len(self.hits)} edges gave no hit"
            return tdc.score(np.array(self.hits[a:b]), np.array(self.true[a:b]),
                             self.line.offset_ps(self.scale), self.period)

        async def read_table(self, n_codes: int) -> np.ndarray:
            d = self.dut
            out = np.zeros(n_codes, np.int64)
            for k in range(n_codes):
                await FallingEdge(d.clk)
                d.host_addr.value = k
                await ClockCycles(d.clk, 3)
                out[k] = int(d.host_data.value)
            return out

    def now_ps() -> int:
        from cocotb.utils import get_sim_time

        return int(get_sim_time("ps"))

    def line_figures(line, period: int, scale: float, table: np.ndarray) -> dict:
        """Bin widths and nonlinearity of the raw line (model truth) and of the built table."""
        w = line.bins_ps(period, scale)
        lsb = period / w.size
        dnl = w / lsb - 1.0
        inl = np.cumsum(dnl)
        centres = line.centres_ps(period, scale)
        cal = period - table[1:1 + centres.size]  # elapsed at the centre of codes 1, 2, ...
        inl_cal = (cal - centres) / lsb
        inl_cal -= inl_cal.mean()  # a constant offset is the line's insertion delay, not INL
        return {"codes_per_period": int(w.size), "mean_bin_ps": float(lsb), "widest_bin_ps": float(w.max()),
                "dnl_lsb": [float(dnl.min()), float(dnl.max())],
                "inl_lsb": [float(inl.min()), float(inl.max())],
                "inl_after_calibration_lsb": [float(inl_cal.min()), float(inl_cal.max())],
                "inl_after_calibration_rms_lsb": float(np.sqrt(np.mean(inl_cal ** 2)))}

    @cocotb.test()
    async def accuracy(dut) -> None:
        from g2live import tdc

        cfg = json.loads(os.environ["G2L_TDC_LINE"])
        line = tdc.DelayLine(tdc.DelayLineConfig(**{k: tuple(v) if isinstance(v, list) else v
                                                     for k, v in cfg.items()}))
        run = json.loads(os.environ["G2L_TDC_RUN"])
        tb = TB(dut, line)
        p = tb.period
        await tb.start(run["log2_hits"])
        dut.cal_enable.value = 1
        res: dict = {"simulator": cocotb.SIM_NAME, "clk_period_ps": p, "latency_clocks": tb.latency,
                     "taps": int(line.delays_ps.size), "log2_hits_per_table": run["log2_hits"],
                     "line_reach_ps": line.reach_ps(), "line_offset_ps": line.offset_ps()}

        async def measure(tag: str) -> None:
            uni = await tb.edges(run["n_meas"])
            dut.cal_enable.value = 0  # edges at the clock edge are not uniform: keep them out
            near = await tb.edges(run["n_near"], near=True)
            await tb.settle()
            dut.cal_enable.value = 1
            res[tag] = tb.score(uni)
            res[tag + "_near_clock_edge"] = tb.score(near)

        # 1. first table
        await tb.until_tables(1)
        res["tables_built_before_measuring"] = int(dut.cal_count.value)
        # 2. measure with it
        await measure("calibrated")
        # 3. drift: every delay +5 % from the moment the second table goes live
        async def drift() -> None:
            while int(dut.cal_count.value) < 2:
                await ValueChange(dut.cal_count)
            tb.set_scale(1.05)
        drift_task = cocotb.start_soon(drift())
        await tb.until_tables(2)
        await drift_task
        await measure("drifted_old_table")
        await tb.until_tables(3)
        await measure("drifted_recalibrated")
        await tb.settle()
        table = await tb.read_table(line.bins_ps(p, 1.05).size + 2)
        res["line_after_drift"] = line_figures(line, p, 1.05, table)
        res["line"] = {k: v for k, v in line_figures(line, p, 1.0, np.zeros(2 ** 16, np.int64)).items()
                       if not k.startswith("inl_after")}
        res["measured_edges"] = sum(res[k]["n"] for k in res if isinstance(res[k], dict) and "n" in res[k])
        res["all_edges"] = len(tb.true)
        res["all_hits"] = len(tb.hits)
        res["overlap_count"] = int(dut.overlap_count.value)
        res["short_seen"] = int(dut.short_seen.value)
        res["overrange_seen"] = int(dut.overrange_seen.value)

        ok = {
            "every edge gave one hit": len(tb.hits) == len(tb.true),
            "no coarse-cycle error": all(res[k]["coarse_errors"] == 0 for k in res
                                         if isinstance(res[k], dict) and "coarse_errors" in res[k]),
            "mean bin <= 20 ps": res["line"]["mean_bin_ps"] <= 20
            and res["line_after_drift"]["mean_bin_ps"] <= 20,
            "single-shot RMS <= 25 ps calibrated": res["calibrated"]["std_ps"] <= 25,
            "single-shot RMS <= 25 ps recalibrated after drift": res["drifted_recalibrated"]["std_ps"] <= 25,
            "offset within 25 ps of the line's insertion delay": abs(res["calibrated"]["mean_ps"]) <= 25
            and abs(res["drifted_recalibrated"]["mean_ps"]) <= 25,
            "drift is visible with the old table": res["drifted_old_table"]["rms_ps"]
            > 1.5 * res["calibrated"]["rms_ps"],
            "recalibration restores the RMS": res["drifted_recalibrated"]["std_ps"]
            <= max(1.15 * res["calibrated"]["std_ps"], res["calibrated"]["std_ps"] + 2.0),
            "no overlap, short or over-range": res["overlap_count"] == 0 and not res["short_seen"]
            and not res["overrange_seen"],
        }
        res["checks"] = ok
        res["passed"] = all(ok.values())
        Path(run["out"]).write_text(json.dumps(res, indent=1))
        assert res["passed"], {k: v for k, v in ok.items() if not v}


def table(names: tuple[str, ...] = ("ci", "board")) -> str:
    """The docs/hardware.md table from build/tdc/<name>_<sim>.json (what the runs wrote)."""
    runs = [(n, s, json.loads(p.read_text())) for n in names for s in ("verilator", "icarus")
            if (p := OUT / f"{n}_{s}.json").is_file()]
    if not runs:
        return "no build/tdc/*.json: run the tests first"

    def f(x: float, d: int = 1) -> str:
        return f"{x:.{d}f}"

    head = "| figure | " + " | ".join(f"{n} ({r['clk_period_ps'] / 1000:g} ns), {s}"
                                     for n, s, r in runs) + " |"
    rows = [head, "|---|" + "---|" * len(runs)]

    def row(label: str, fn) -> None:
        rows.append(f"| {label} | " + " | ".join(fn(r) for _, _, r in runs) + " |")

    row("taps (2 chains), latency", lambda r: f"{r['taps']}, {r['latency_clocks']} clocks")
    row("hits per table", lambda r: f"2**{r['log2_hits_per_table']}")
    row("edges driven / measured", lambda r: f"{r['all_edges']:,} / {r['measured_edges']:,}")
    row("codes per period, mean bin width", lambda r: f"{r['line']['codes_per_period']}, "
        f"{f(r['line']['mean_bin_ps'])} ps")
    row("widest bin (ultra-wide)", lambda r: f"{f(r['line']['widest_bin_ps'], 0)} ps")
    row("raw DNL min / max (LSB)", lambda r: " / ".join(f(x, 2) for x in r["line"]["dnl_lsb"]))
    row("raw INL min / max (LSB)", lambda r: " / ".join(f(x, 2) for x in r["line"]["inl_lsb"]))
    row("single-shot RMS, calibrated (max abs. error)", lambda r: f"{f(r['calibrated']['std_ps'])} ps "
        f"({f(r['calibrated']['max_abs_ps'], 0)} ps)")
    row("mean offset / RMS about truth", lambda r: f"{f(r['calibrated']['mean_ps'])} / "
        f"{f(r['calibrated']['rms_ps'])} ps")
    row("edges within 1 tap of a clock edge: mean, single-shot RMS, max abs. error",
        lambda r: f"{f(r['calibrated_near_clock_edge']['mean_ps'])}, "
        f"{f(r['calibrated_near_clock_edge']['std_ps'])}, "
        f"{f(r['calibrated_near_clock_edge']['max_abs_ps'], 0)} ps")
    row("+5 % drift, old table: RMS about truth", lambda r: f"{f(r['drifted_old_table']['rms_ps'])} ps")
    row("+5 % drift, recalibrated online: RMS", lambda r: f"{f(r['drifted_recalibrated']['std_ps'])} ps "
        f"(mean {f(r['drifted_recalibrated']['mean_ps'])})")
    row("INL after calibration (offset removed) min / max (LSB)", lambda r: " / ".join(
        f(x, 2) for x in r["line_after_drift"]["inl_after_calibration_lsb"]))
    row("coarse-cycle errors", lambda r: str(sum(v["coarse_errors"] for v in r.values()
                                                  if isinstance(v, dict) and "coarse_errors" in v)))
    row("edges without a hit, overlaps", lambda r: f"{r['all_edges'] - r['all_hits']}, {r['overlap_count']}")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
