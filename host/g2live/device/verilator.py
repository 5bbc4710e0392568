# SPDX-License-Identifier: BSD-3-Clause
"""The ``verilator`` back-end: photons -> the real RTL (``g2live.rtl_model.RtlModel``).

The photon source's raw edges are queued into the simulated input lines ahead of the clock, the
model is clocked to each integration boundary and a little beyond (until the dump of that
integration has come out), and the AXI4-Stream words are decoded by ``FrameAssembler``. Every
number comes from the Verilated RTL. It runs much slower than real time; use short integrations.

Start-up is the board drivers' procedure: program, COMMAND.clear, wait until STATUS.clearing reads
0 (the histogram banks are swept), then CONTROL.run; the integration grid and the photon time line
are anchored on the clock cycle in which CONTROL.run takes effect, so nothing is lost at the start.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from g2live import contract as C
from g2live.config import MAX_CHANNELS, Config, DeviceCaps
from g2live.device.base import Device, DeviceError, Integration
from g2live.device.hw import FrameAssembler, check_identity, control_word, program, read_caps, wait_cleared
from g2live.device.sources import EmulatorSource, PhotonSource
from g2live.markers import merge_markers

__all__ = ["VerilatorDevice"]


class VerilatorDevice(Device):
    name = "verilator"

    def __init__(
        self,
        source: PhotonSource | None = None,
        seed: int = 0,
        emulator_config: Any = None,
        model: Any = None,
        parameters: dict[str, int] | None = None,
        **emulator_overrides: Any,
    ) -> None:
        super().__init__()
        if model is None:
            from g2live.rtl_model import RtlModel

            model = RtlModel(parameters)
        self.model = model
        check_identity(model.read_reg, "verilator model")
        self._caps = read_caps(model.read_reg, self.name)
        self.source = (
            source if source is not None else EmulatorSource(emulator_config, seed=seed, **emulator_overrides)
        )
        self._src_pos = self.source.t0_ps  # photons before this source time were handed to the model
        self.t0 = self._src_pos  # source time of DUT time 0 (set when the run starts)
        self.markers_dropped = {"no_input": 0, "before_start": 0}  # see _drivable
        self.lead_in_ps = 0  # the first photon enters this long after the first integration starts
        self._run_ps: int | None = None  # DUT time from which CONTROL.run reads 1
        self.lookahead_ps = 64 * self._caps.clk_period_ps
        self._asm: FrameAssembler | None = None

    @property
    def caps(self) -> DeviceCaps:
        return self._caps

    @property
    def rep_rate_hz(self) -> float | None:
        emu = getattr(self.source, "emulator_config", None)
        if emu is not None and getattr(emu, "excitation", "pulsed") == "pulsed":
            return float(emu.rep_rate_hz)
        return self.source.meta.sync_rate_hz

    @property
    def tdc(self) -> Any:
        """``g2live.tdc.IdealTdc`` that gives a ``sim`` back-end this device's edge times: the model's
        TDC quantises each edge to its nominal bin, with clock edges at source time t0 + k P."""
        return self.model.ideal_tdc(self.t0 % self._caps.clk_period_ps)

    def set_source_power(self, power: float) -> bool:
        return self.source.set_power(power)

    def _apply(self, config: Config) -> None:
        m = self.model
        m.reset()
        program(m.write_reg, config, self._caps)  # stopped, ends with COMMAND.clear: DUT time restarts at 0
        self._wait_cleared()
        self._cfg = config
        self._asm = FrameAssembler(config, self._caps)
        self._dead_seen = np.zeros(MAX_CHANNELS, np.int64)
        self._run_ps = None
        if self.running:
            self._begin_run()

    def _wait_cleared(self) -> None:
        """Clock the model until STATUS.clearing reads 0 (2**n_bins_log2 clocks after the clear)."""
        m, clk = self.model, self._caps.clk_period_ps
        limit = 4 * (1 << self._caps.n_bins_log2) + 1024  # clocks: the sweep plus ample slack
        t_clear = m.time_ps
        wait_cleared(m.read_reg, "verilator model", lambda: m.run(64),
                     lambda: m.time_ps - t_clear > limit * clk, f"{limit} clocks")

    def _begin_run(self) -> None:
        """Set CONTROL.run and anchor integrations and the photon time line on when it took effect."""
        m, clk = self.model, self._caps.clk_period_ps
        before = m.time_ps
        m.write_reg(C.REG_CONTROL, control_word(self._cfg, True))
        # g2l_axil_regs takes a write on the first clock edge of the AXI transfer: CONTROL.run reads
        # 1 from the next cycle on, and integration k is DUT [run + k T, run + (k + 1) T).
        self._run_ps = before + clk
        # The first photon (source time _src_pos) goes in a little after the present cycle.
        first = -(-(m.time_ps + self.lookahead_ps) // clk) * clk
        self.lead_in_ps = first - self._run_ps
        self.t0 = self._src_pos - first
        self._pushed_until = m.time_ps
        assert self._asm is not None
        self._asm.t_next_ps = self._run_ps

    def start(self) -> None:
        super().start()
        if self.config is not None:
            if self._run_ps is None:
                self._begin_run()
            else:  # resume: the integration grid and the time line go on
                self.model.write_reg(C.REG_CONTROL, control_word(self.config, True))

    def stop(self) -> None:
        super().stop()
        if self.config is not None:
            self.model.write_reg(C.REG_CONTROL, control_word(self.config, False))

    def clear(self) -> None:
        if self.config is not None:
            # The model's time base restarts at 0 after clear: the photon time line continues, so
            # re-program from scratch and keep feeding from where the source is.
            self._apply(self.config)

    def _push_until(self, t_ps: int) -> None:
        """Queue the raw edges up to DUT time ``t_ps``."""
        if t_ps <= self._pushed_until:
            return
        src_t = t_ps + self.t0
        if src_t > self._src_pos:
            raw = self.source.read_until(src_t, sync_channel=self._cfg.sync_channel)  # T3: syncs rebuilt
            marks = self._drivable(self.source.read_markers_until(src_t))
            ch, t = (raw.channel, raw.time_ps) if not len(marks) else merge_markers(raw.channel, raw.time_ps,
                                                                                      marks)
            if len(t):
                self.model.push_events(ch, t - self.t0)  # markers as channels MARKER_CHANNEL + m
            self._src_pos = src_t
        self._pushed_until = t_ps

    def _drivable(self, marks: np.ndarray) -> np.ndarray:
        """The markers the instance's marker inputs can take; the others are counted in
        ``markers_dropped`` (a number without an input; a time before the source's part already
        handed to the model, e.g. before the first photon), never dropped unsaid."""
        no_input = marks["marker"] >= self._caps.n_markers
        early = marks["time_ps"] < self._src_pos
        self.markers_dropped["no_input"] += int(no_input.sum())
        self.markers_dropped["before_start"] += int((early & ~no_input).sum())
        return marks[~no_input & ~early]

    def acquire(self) -> Integration | None:
        if self._asm is None or self.config is None:
            raise DeviceError("verilator: acquire() before configure()")
        if not self.running:
            return None
        m, asm, cfg = self.model, self._asm, self._cfg
        cycles_per = max(1, round(cfg.integration_s * 1e12 / self._caps.clk_period_ps))
        boundary = asm.t_next_ps + cycles_per * self._caps.clk_period_ps
        # A finished bank is streamed out after the boundary: n_bins words per pair plus slack.
        budget = 4 * (cfg.n_bins + 8) * (len(cfg.pairs) + 2) + 4096
        step = max(256, min(cycles_per, 1 << 14))
        spent = 0
        while not asm.ready():
            target = m.time_ps + step * self._caps.clk_period_ps
            self._push_until(target + self.lookahead_ps)
            m.run(step)
            asm.feed(m.drain())
            if m.time_ps > boundary:
                spent += step
                if spent > budget:
                    raise DeviceError(
                        f"verilator: no complete integration {budget} cycles after the boundary at "
                        f"{boundary} ps ({asm.info()}, stats {m.stats()})"
                    )
            if self.source.drained and m.time_ps > self._pushed_until and not asm.ready() and spent > budget:
                return None
        integ = asm.pop()
        integ.t_start_ps += self.t0  # report source (device) time, like the other back-ends
        integ.t_stop_ps += self.t0
        integ.markers["time_ps"] += self.t0
        dead = np.array(
            [m.read_reg(C.REGISTERS["DEAD_COUNT"].addr(c)) for c in range(self._caps.n_channels)], np.int64
        )
        integ.dead[: dead.size] = dead - self._dead_seen[: dead.size]
        self._dead_seen[: dead.size] = dead
        late = m.stats().get("edges_late", 0)
        if late:
            raise DeviceError(f"verilator: {late} input edges reached the model after their clock cycle")
        integ.last_input = self.source.drained and integ.t_stop_ps > self.source.last_time_ps
        return integ

    def info(self) -> dict[str, Any]:
        return {
            "device": self.name,
            "clk_period_ps": self._caps.clk_period_ps,
            "n_channels": self._caps.n_channels,
            "n_pairs": self._caps.n_pairs,
            "n_bins_log2": self._caps.n_bins_log2,
            "n_markers": self._caps.n_markers,
            "markers_dropped": dict(self.markers_dropped),
            **({} if self._asm is None else self._asm.info()),
        }

    def close(self) -> None:
        super().close()
        close = getattr(self.model, "close", None)
        if close is not None:
            close()
