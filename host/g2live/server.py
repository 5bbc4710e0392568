"""The acquisition loop: device -> accumulated histograms -> analysis -> publisher, with control.

One thread runs everything: it answers control requests between integrations (the control
socket is polled while waiting for the next integration to be due), so a command never races
the accumulation. A refused command changes nothing; nothing accumulated is lost by a bad
request.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import zmq

from g2live import __version__
from g2live.config import MAX_CHANNELS, Config, ConfigError
from g2live.control import CommandError, ControlServer
from g2live.device import HERALD_COLUMNS, LOST_CAUSES, Device, Integration
from g2live.power import PowerActuator
from g2live.stream import DEFAULT_CONTROL, DEFAULT_PUB, CurveKeys, CurveServer, Publisher
from g2live.sweep import SweepRunner

log = logging.getLogger("g2live.server")

ANALYSIS_COLUMNS = ("g2_0", "g2_0_err", "purity", "purity_err", "g2_0_poisson_norm", "rate_cps", "n_center")
SNAPSHOT_DEFAULT = ("g2", "pulsed", "rates", "analysis", "status")


@dataclass
class Accumulator:
    """Running totals of one run (since the last reset/configure)."""

    config: Config
    histograms: np.ndarray = field(init=False)
    photon_number: np.ndarray = field(init=False)
    counts: np.ndarray = field(default_factory=lambda: np.zeros(MAX_CHANNELS, np.int64))
    dead: np.ndarray = field(default_factory=lambda: np.zeros(MAX_CHANNELS, np.int64))
    lost: dict[str, np.ndarray] = field(
        default_factory=lambda: {c: np.zeros(MAX_CHANNELS, np.int64) for c in LOST_CAUSES}
    )
    integration_s: float = 0.0
    n_integrations: int = 0
    pre_sync: int = 0
    malformed: int = 0
    n_heralded: int = 0
    t_start: float = field(default_factory=time.time)
    t_stop: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        self.histograms = np.zeros((len(self.config.pairs), self.config.n_bins), np.int64)
        self.photon_number = np.zeros(self.config.max_photons + 1, np.int64)

    def add(self, integ: Integration) -> None:
        self.histograms += integ.histograms
        if integ.photon_number is not None:
            self.photon_number += integ.photon_number
        self.counts += integ.counts
        self.dead += integ.dead
        for cause, v in integ.lost.items():
            self.lost.setdefault(cause, np.zeros(MAX_CHANNELS, np.int64))
            self.lost[cause] += v
        self.integration_s += integ.duration_s
        self.n_integrations += 1
        self.pre_sync += integ.pre_sync
        self.malformed += integ.malformed
        self.n_heralded += len(integ.heralded)
        self.t_stop = time.time()

    @property
    def lost_total(self) -> int:
        return int(sum(int(v.sum()) for v in self.lost.values()))

    def lost_per_channel(self) -> np.ndarray:
        return np.sum([v for v in self.lost.values()], axis=0).astype(np.int64)


def live_analysis(acc: Accumulator) -> tuple[dict[str, float | None], str, str, dict[str, Any]]:
    """Running g2(0), purity and errors of the analysed pair, from ``g2live.analysis``.

    Returns (values of ANALYSIS_COLUMNS, source, status: "ok" or why no g2(0) yet, details).
    """
    cfg = acc.config
    values: dict[str, float | None] = dict.fromkeys(ANALYSIS_COLUMNS)
    if acc.integration_s > 0:
        n_det = sum(int(acc.counts[c]) for c in cfg.detector_channels)
        values["rate_cps"] = float(n_det / acc.integration_s)
    a, b = cfg.pairs[cfg.analysis_pair]
    hist = acc.histograms[cfg.analysis_pair]
    if hist.sum() == 0:
        return values, "none", "no coincidences yet", {}
    from g2live.analysis.live import live_g2

    d = live_g2(
        hist,
        bin_width_ps=cfg.bin_width_ps,
        offset_ps=cfg.offset_ps,
        n_side=cfg.analysis_k_side,
        counts_ab=(int(acc.counts[a]), int(acc.counts[b])),
        duration_s=acc.integration_s,
        rep_rate_hz=cfg.rep_rate_hz,
    )
    for k in ("g2_0", "g2_0_err", "purity", "purity_err", "g2_0_poisson_norm"):
        values[k] = d.get(k)
    values["n_center"] = d.get("center_area")
    clean = {k: (None if v is None or not math.isfinite(float(v)) else float(v)) for k, v in values.items()}
    details = {k: v for k, v in d.items() if isinstance(v, (int, float, str)) or v is None}
    return clean, "g2live.analysis.live_g2", str(d.get("status", "ok")), details


class Server:
    """Owns the device, the publisher and the control socket; ``serve()`` runs the loop."""

    def __init__(
        self,
        device: Device,
        config: Config | None = None,
        *,
        pub: str = DEFAULT_PUB,
        control: str = DEFAULT_CONTROL,
        actuator: PowerActuator | None = None,
        curve: CurveKeys | None = None,
        insecure: bool = False,
        speed: float = 1.0,
        status_interval_s: float = 1.0,
        analysis_interval_s: float = 0.2,
        sndhwm: int = 100,
        exit_at_end: bool = False,
        autostart: bool = True,
    ) -> None:
        self.ctx = zmq.Context()
        self.curve = CurveServer(self.ctx, curve) if curve is not None else None
        self.device = device
        config = config or Config()
        rep = getattr(device, "rep_rate_hz", None)
        if config.rep_rate_hz is None and rep:  # the analysis then need not guess the laser period
            config = config.updated(rep_rate_hz=float(rep))
        self.config = config
        self.device.configure(self.config)
        self.actuator = actuator
        try:
            self.publisher = Publisher(
                pub, ctx=self.ctx, sndhwm=sndhwm, curve=curve, insecure=insecure, curve_server=self.curve
            )
            try:
                self.control = ControlServer(
                    control, self, ctx=self.ctx, curve=curve, insecure=insecure, curve_server=self.curve
                )
            except BaseException:
                self.publisher.close()
                raise
        except BaseException:
            if self.curve is not None:
                self.curve.close()
            self.ctx.term()
            raise
        self.pub_endpoint = self.publisher.endpoint
        self.control_endpoint = self.control.endpoint
        self.speed = speed  # 1 = real time, 0 = as fast as possible (sim/replay)
        self.status_interval_s = status_interval_s
        self.analysis_interval_s = analysis_interval_s
        self.exit_at_end = exit_at_end
        self.run = 0
        self.acc = Accumulator(self.config)
        self.last_integ: Integration | None = None
        self.analysis: dict[str, float | None] = {k: None for k in ANALYSIS_COLUMNS}
        self.analysis_source = "none"
        self.analysis_error = ""
        self.analysis_details: dict[str, Any] = {}
        self._analysis_next = 0.0
        self.analysis_time_s = 0.0
        self._analysis_stale = True
        self.sweep: SweepRunner | None = None
        self.sweep_count = 0
        self.t0 = time.time()
        self._status_at = 0.0
        self._status_due = True
        self._next_due = time.monotonic()
        self.late_s = 0.0  # how far behind real time the sim fell (paced mode)
        self.source_done = False
        self.stop_event = threading.Event()
        self.errors = 0
        self.device_error = ""
        try:  # import the analysis (scipy, lmfit: seconds) now, not in the middle of the first integration
            import g2live.analysis.live  # noqa: F401
        except ImportError as exc:
            self.analysis_error = f"g2live.analysis unavailable: {exc}"
        if autostart:
            self.device.start()

    # --- state -------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.device.running

    def new_run(self) -> None:
        self.device.clear()
        self.run += 1
        self.acc = Accumulator(self.config)
        self.last_integ = None
        self.analysis = {k: None for k in ANALYSIS_COLUMNS}
        self._analysis_stale = True
        self._status_due = True
        self._next_due = time.monotonic()

    def apply_config(self, config: Config) -> None:
        """Validate against the device (raises ConfigError, nothing changed) and apply."""
        config.check_device(self.device.caps)
        was_running = self.running
        self.device.configure(config)
        self.config = config
        self.new_run()
        if was_running:
            self.device.start()

    def set_power(self, power: float, reset: bool = True) -> dict[str, Any]:
        if self.actuator is None:
            raise CommandError("no power actuator on this server", "power")
        self.actuator.set(power)
        if reset:
            self.new_run()
        self._status_due = True
        return {"power": self.actuator.get(), "unit": self.actuator.unit, "run": self.run}

    # --- frames ------------------------------------------------------------------------------
    def _base_header(
        self, t_start: float, t_stop: float, integration_s: float, units: str, accumulated: bool
    ) -> dict[str, Any]:
        return {
            "run": self.run,
            "t_start": t_start,
            "t_stop": t_stop,
            "integration_s": integration_s,
            "units": units,
            "accumulated": accumulated,
            "settings": self.config.to_dict(),
            "device": self.device.name,
        }

    def frame(self, topic: str, integ: Integration | None = None) -> tuple[dict[str, Any], np.ndarray]:
        """Header (without schema/seq) and payload of ``topic`` for the current state."""
        cfg, acc = self.config, self.acc
        acc_hdr = self._base_header(acc.t_start, acc.t_stop, acc.integration_s, "counts", True)
        counts_list = [int(x) for x in acc.counts]
        if topic == "g2":
            return (
                {
                    **acc_hdr,
                    "pairs": [list(p) for p in cfg.pairs],
                    "bin_width_ps": cfg.bin_width_ps,
                    "n_bins": cfg.n_bins,
                    "offset_ps": cfg.offset_ps,
                    "lo_ps": cfg.lo_ps,
                    "counts": counts_list,
                },
                acc.histograms,
            )
        if topic == "pulsed":
            return (
                {
                    **acc_hdr,
                    "sync_channel": cfg.sync_channel,
                    "max_photons": cfg.max_photons,
                    "n_periods": int(acc.photon_number.sum()),
                    "pre_sync": acc.pre_sync,
                    "pulsed_window_ps": cfg.pulsed_window_ps,
                },
                acc.photon_number,
            )
        if topic == "status":
            hdr = self._base_header(acc.t_start, acc.t_stop, acc.integration_s, "counts", True)
            return {**hdr, **self.status()}, acc.lost_per_channel()
        if topic == "analysis":
            vals = np.array(
                [np.nan if self.analysis[k] is None else self.analysis[k] for k in ANALYSIS_COLUMNS]
            )
            hdr = self._base_header(acc.t_start, acc.t_stop, acc.integration_s, "", True)
            return (
                {
                    **hdr,
                    "columns": list(ANALYSIS_COLUMNS),
                    "values": dict(self.analysis),
                    "pair": cfg.analysis_pair,
                    "source": self.analysis_source,
                    "error": self.analysis_error,
                    "details": self.analysis_details,
                },
                vals,
            )
        if integ is None and topic == "rates":
            integ = self.last_integ or Integration(0, 0, acc.histograms * 0, np.zeros(MAX_CHANNELS, np.int64))
        if integ is None:
            raise CommandError(f"topic {topic!r} has no accumulated state to snapshot", "topics")
        now = time.time()
        t0 = now - integ.duration_s
        hdr = self._base_header(t0, now, integ.duration_s, "counts", False)
        hdr["t_start_ps"], hdr["t_stop_ps"] = integ.t_start_ps, integ.t_stop_ps
        if topic == "rates":
            dt = integ.duration_s
            rate = integ.counts.astype(np.float64) / dt if dt > 0 else np.zeros(MAX_CHANNELS)
            return (
                {
                    **hdr,
                    "units": "counts/s",
                    "counts": [int(x) for x in integ.counts],
                    "interval_s": dt,
                    "lost": [int(x) for x in integ.lost_per_channel()],
                    "dead": [int(x) for x in integ.dead],
                },
                rate,
            )
        if topic == "heralded":
            return {**hdr, "columns": list(HERALD_COLUMNS)}, np.ascontiguousarray(integ.heralded, np.int64)
        if topic == "trace":
            tr = integ.trace if integ.trace is not None else np.zeros(0, np.int64)
            last = integ.t_stop_ps - integ.t_start_ps - (len(tr) - 1) * cfg.trace_bin_ps if len(tr) else 0
            return (
                {
                    **hdr,
                    "trace_bin_ps": cfg.trace_bin_ps,
                    "t0_ps": integ.t_start_ps,
                    "last_bin_ps": last,
                    "channels": list(cfg.detector_channels),
                },
                tr,
            )
        if topic == "tags":
            words = integ.tag_words if integ.tag_words is not None else np.zeros(0, np.uint64)
            return {**hdr, "units": "word", "n_tags": integ.n_tags}, words
        raise CommandError(f"unknown topic {topic!r}", "topics")

    def publish(self, topic: str, integ: Integration | None = None) -> None:
        hdr, payload = self.frame(topic, integ)
        self.publisher.publish(topic, payload, hdr)

    def status(self) -> dict[str, Any]:
        acc = self.acc
        lost = {c: [int(x) for x in v] for c, v in acc.lost.items()}
        return {
            "state": "running" if self.running else "stopped",
            "lost_total": acc.lost_total,
            "lost": lost,
            "dead": [int(x) for x in acc.dead],
            "malformed": acc.malformed,
            "publisher_dropped": dict(self.publisher.stats.dropped),
            "publisher_sent": dict(self.publisher.stats.sent),
            "integration_s": acc.integration_s,
            "n_integrations": acc.n_integrations,
            "run": self.run,
            "power": None if self.actuator is None else self.actuator.last,
            "power_unit": None if self.actuator is None else self.actuator.unit,
            "sweep": None if self.sweep is None or self.sweep.done else self.sweep.progress(),
            "uptime_s": time.time() - self.t0,
            "version": __version__,
            "device": self.device.name,
            "device_info": self.device.info(),
            "source_done": self.source_done,
            "late_s": self.late_s,
            "analysis_error": self.analysis_error,
            "device_error": self.device_error,
            "settings": self.config.to_dict(),
            "pub": self.pub_endpoint,
            "control": self.control_endpoint,
        }

    def update_analysis(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and (not self._analysis_stale or now < self._analysis_next):
            return
        self._analysis_stale = False
        try:
            self.analysis, self.analysis_source, status, self.analysis_details = live_analysis(self.acc)
            self.analysis_error = "" if status == "ok" else status
        except (ImportError, ValueError, ZeroDivisionError, FloatingPointError) as exc:
            self.analysis = dict.fromkeys(ANALYSIS_COLUMNS)
            self.analysis_error = f"{type(exc).__name__}: {exc}"
        took = time.monotonic() - now
        # At most ~1/5 of the loop goes to the analysis (its fits can take 0.1 s), so it never
        # slows acquisition down; at least every analysis_interval_s when it is cheap.
        self._analysis_next = now + max(self.analysis_interval_s, 5 * took)
        self.analysis_time_s = took
        self.publish("analysis")

    # --- the loop ----------------------------------------------------------------------------
    def step_integration(self) -> Integration | None:
        integ = self.device.acquire()
        if integ is None:
            return None
        self.acc.add(integ)
        self.last_integ = integ
        self._analysis_stale = True
        for topic in ("g2", "rates"):
            self.publish(topic, integ)
        if self.config.sync_channel is not None:
            self.publish("pulsed", integ)
            self.publish("heralded", integ)
        self.publish("trace", integ)
        if self.config.raw_tags:
            self.publish("tags", integ)
        if integ.lost and any(int(v.sum()) for v in integ.lost.values()):
            self._status_due = True  # losses are reported at once, not at the next tick
        if self.sweep is not None and not self.sweep.done:
            self.update_analysis(force=True)
            self.sweep.after_integration(self)
        else:
            self.update_analysis()
        if integ.last_input:
            self._source_finished()
        return integ

    def _source_finished(self) -> None:
        self.source_done = True
        self.device.stop()
        self.update_analysis(force=True)
        self._status_due = True
        if self.exit_at_end:
            self.stop_event.set()

    def serve(self, max_s: float | None = None) -> None:
        """Run until ``stop_event`` is set (or ``max_s`` passed)."""
        end = None if max_s is None else time.monotonic() + max_s
        try:
            while not self.stop_event.is_set() and (end is None or time.monotonic() < end):
                self.tick()
        finally:
            self.close()

    def tick(self) -> None:
        now = time.monotonic()
        if self.running and not self.device.paced and self.speed > 0:
            wait = max(0.0, self._next_due - now)
        elif self.running:
            wait = 0.0
        else:
            wait = 0.05
        wait = min(wait, max(0.0, self._status_at + self.status_interval_s - now))
        self.control.poll(wait)
        now = time.monotonic()
        if self.running and (self.device.paced or self.speed <= 0 or now >= self._next_due):
            try:
                integ = self.step_integration()
            except Exception as exc:  # a failing device must not take the server (and control) down
                log.exception("acquisition failed")
                self.device_error = f"{type(exc).__name__}: {exc}"
                self.errors += 1
                self.device.stop()
                self._status_due = True
                integ = None
                self.source_done = True  # stopped; `start` or `reset` retries
            if integ is None:
                if not self.source_done:
                    self._source_finished()
            elif not self.device.paced and self.speed > 0:
                self._next_due += integ.duration_s / self.speed
                behind = time.monotonic() - self._next_due
                if behind > 1.0:  # cannot keep up: do not try to catch up in a burst
                    self.late_s += behind
                    self._next_due = time.monotonic()
        if self._status_due or time.monotonic() - self._status_at >= self.status_interval_s:
            self._status_at = time.monotonic()
            self._status_due = False
            self.publish("status")

    def start_sweep(
        self, powers: list[float], target_rel_err: float, max_s: float, min_s: float
    ) -> dict[str, Any]:
        if self.actuator is None:
            raise CommandError("no power actuator on this server: cannot sweep", "powers")
        self.sweep_count += 1
        self.sweep = SweepRunner(self.sweep_count, powers, target_rel_err, max_s, min_s)
        self.sweep.begin(self)
        if not self.running:
            self.device.start()
        return {"sweep_id": self.sweep.sweep_id, "n_points": len(powers)}

    def close(self) -> None:
        try:
            self.control.close()
            self.publisher.close()
            if self.curve is not None:
                self.curve.close()
            self.device.close()
        finally:
            self.ctx.term()

    def start_thread(self) -> threading.Thread:
        """Run ``serve()`` in a daemon thread (tests, ``g2live run``)."""
        th = threading.Thread(target=self.serve, name="g2live-server", daemon=True)
        th.start()
        return th


__all__ = ["Server", "Accumulator", "ConfigError", "ANALYSIS_COLUMNS", "live_analysis"]
