# SPDX-License-Identifier: BSD-3-Clause
"""The acquisition loop: device -> accumulated histograms -> analysis -> publisher, with control.

One thread runs everything: it answers control requests between integrations (the control
socket is polled while waiting for the next integration to be due), so a command never races
the accumulation. A refused command changes nothing; nothing accumulated is lost by a bad
request.

``Server`` owns the state (device, ``Accumulator``, ``LiveAnalysis``, sweep) and the sockets;
what each topic's message holds is in ``g2live.server.topics``, request decoding in
``g2live.server.control`` (which calls only the public methods below), the sweep bookkeeping in
``g2live.server.sweep``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import zmq

from g2live import __version__, core
from g2live.config import Config
from g2live.curve import CurveKeys, CurveServer
from g2live.device.base import Device, Integration
from g2live.device.power import PowerActuator
from g2live.protocol import DEFAULT_CONTROL, DEFAULT_PUB, LIVE_TOPICS, CommandError
from g2live.server import topics
from g2live.server.accumulator import Accumulator
from g2live.server.control import ControlServer
from g2live.server.correlations import LiveCorrelations
from g2live.server.estimates import LiveAnalysis, LiveHeralded
from g2live.server.lease import MAX_TTL_S, RawTagLeases
from g2live.server.markers import MarkerState
from g2live.server.publisher import Publisher
from g2live.server.sweep import SweepRunner

__all__ = ["Server"]

log = logging.getLogger("g2live.server")

# The live taggers' measurements: accumulated, built from the run's LiveCorrelations.
_LIVE = {
    "logcorr": topics.logcorr,
    "coincidences": topics.coincidences,
    "heralded_g2": topics.heralded_g2,
    "g3": topics.g3,
}

# Per-integration topics: their message is built from one Integration.
_PER_INTEGRATION = {
    "rates": topics.rates,
    "heralded": topics.heralded,
    "trace": topics.trace,
    "tags": topics.tags,
    "markers": topics.markers,
}


def _tags_of(integ: Integration) -> tuple[np.ndarray, np.ndarray] | None:
    """The integration's tags in stream order: in this process (sim, replay), or decoded from its
    raw words (hardware with raw_tags); None when the device kept them."""
    if integ.stream is not None:
        return integ.stream
    if integ.tag_words is not None:
        ch, t, _st = core.decode(integ.tag_words)
        return np.asarray(ch, np.uint8), np.asarray(t, np.int64)
    return None


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
        self.device = device
        config = config or Config()
        rep = getattr(device, "rep_rate_hz", None)
        if config.rep_rate_hz is None and rep:  # the analysis then need not guess the laser period
            config = config.updated(rep_rate_hz=float(rep))
        self.config = config
        self.device.configure(self.config)
        self.actuator = actuator
        self._open_sockets(pub, control, curve, insecure, sndhwm)
        self.speed = speed  # 1 = real time, 0 = as fast as possible (sim/replay)
        self.status_interval_s = status_interval_s
        self.exit_at_end = exit_at_end
        self.run = 0
        self.acc = Accumulator(self.config)
        self.last_integ: Integration | None = None
        self.estimates = LiveAnalysis(analysis_interval_s)
        self.heralded_live = LiveHeralded()
        self.heralded_live.configure(self.config, self._pixel_energy_ev())
        self.live = LiveCorrelations(self.config)
        self.markers = MarkerState(self.config)
        self.sweep: SweepRunner | None = None
        self.sweep_count = 0
        self.leases = RawTagLeases()
        self.t0 = time.time()
        self._status_at = 0.0
        self._status_due = True
        self._next_due = time.monotonic()
        self.late_s = 0.0  # how far behind real time the sim fell (paced mode)
        self.source_done = False
        self.stop_event = threading.Event()
        self.errors = 0
        self.device_error = ""
        if autostart:
            self.device.start()

    def _open_sockets(
        self, pub: str, control: str, curve: CurveKeys | None, insecure: bool, sndhwm: int
    ) -> None:
        """Publisher and control socket on one context; on failure nothing stays open."""
        self.ctx = zmq.Context()
        self.curve = CurveServer(self.ctx, curve) if curve is not None else None
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

    # --- state (what control commands call) ---------------------------------------------------
    @property
    def running(self) -> bool:
        return self.device.running

    def request_status(self) -> None:
        """Publish ``status`` at the end of this tick instead of at the next interval."""
        self._status_due = True

    def new_run(self) -> None:
        """Clear everything accumulated; the run number goes up."""
        self.device.clear()
        self.run += 1
        self.acc = Accumulator(self.config)
        self.last_integ = None
        self.estimates.new_run()
        self.heralded_live.configure(self.config, self._pixel_energy_ev())
        self.live = LiveCorrelations(self.config)
        self.markers = MarkerState(self.config)
        self._status_due = True
        self._next_due = time.monotonic()

    def _pixel_energy_ev(self) -> list[float] | None:
        """Energies of the array's pixels when the source is a spectro recording or emulator."""
        src = getattr(self.device, "source", None)
        cfg = getattr(src, "emulator_config", None)
        if cfg is not None and getattr(cfg, "mode", "") == "spectro":
            return [float(e) for e in cfg.pixel_energy_ev()]
        extra = getattr(getattr(src, "meta", None), "extra", None) or {}
        e = extra.get("pixel_energy_ev") if isinstance(extra, dict) else None
        return [float(x) for x in e] if e is not None else None

    def apply_config(self, config: Config) -> None:
        """Validate against the device (raises ConfigError, nothing changed) and apply."""
        config.check_device(self.device.caps)
        if config.raw_tags != self.config.raw_tags:
            self.leases.overridden()  # set explicitly: the leases' end leaves it as it is
        self._configure(config)

    def _configure(self, config: Config) -> None:
        was_running = self.running
        self.device.configure(config)
        self.config = config
        self.new_run()
        if was_running:
            self.device.start()

    def start(self) -> None:
        """Start acquiring (a no-op while running); clears a previous device error."""
        if not self.running:
            self.device_error = ""
            self.source_done = False
            self.device.start()
            self._next_due = time.monotonic()
        self._status_due = True

    def stop(self) -> None:
        """Stop acquiring; everything accumulated is kept and its analysis published."""
        self.device.stop()
        self._status_due = True
        if self.estimates.stale:
            self.update_analysis(force=True)
        self.publish_live(force=True)

    def set_power(self, power: float, reset: bool = True) -> dict[str, Any]:
        if self.actuator is None:
            raise CommandError("no power actuator on this server", "power")
        self.actuator.set(power)
        if reset:
            self.new_run()
        self._status_due = True
        return {"power": self.actuator.get(), "unit": self.actuator.unit, "run": self.run}

    def start_sweep(
        self, powers: list[float], target_rel_err: float, max_s: float, min_s: float
    ) -> dict[str, Any]:
        """Begin a power sweep (refused, changing nothing, when a power is out of range)."""
        if self.actuator is None:
            raise CommandError("no power actuator on this server: cannot sweep", "powers")
        for i, p in enumerate(powers):
            try:
                self.actuator.check(float(p))
            except ValueError as exc:
                raise CommandError(f"powers[{i}]: {exc}", "powers") from None
        self.sweep_count += 1
        self.sweep = SweepRunner(self.sweep_count, powers, target_rel_err, max_s, min_s)
        self._go_to_power(self.sweep.power)
        if not self.running:
            self.device.start()
        return {"sweep_id": self.sweep.sweep_id, "n_points": len(powers)}

    def lease_raw_tags(self, lease: str | None, ttl_s: float) -> dict[str, Any]:
        """Grant (``lease`` None) or renew a lease on ``raw_tags`` (docs/protocol.md section 2.1).

        The first lease switches raw tags on (a new run) when they were off; the setting found
        is restored when the last lease is released or expires.
        """
        if not 0 < ttl_s <= MAX_TTL_S:
            raise CommandError(f"ttl_s must be in (0, {MAX_TTL_S:g}] s, got {ttl_s}", "ttl_s")
        now = time.monotonic()
        if lease is None:
            lease = self.leases.grant(ttl_s, now, self.config.raw_tags)
            if not self.config.raw_tags:
                self._configure(self.config.updated(raw_tags=True))
        elif not self.leases.renew(lease, ttl_s, now):
            raise CommandError(f"no raw-tag lease {lease!r}: it expired or was released", "lease")
        return {"lease": lease, "ttl_s": ttl_s, "run": self.run, "raw_tags": self.config.raw_tags}

    def release_raw_tags(self, lease: str) -> dict[str, Any]:
        """End a lease; after the last one the ``raw_tags`` setting found by the first is restored."""
        released = self.leases.release(lease)
        self._restore_raw_tags()
        return {"released": released, "raw_tags": self.config.raw_tags, "run": self.run}

    def _restore_raw_tags(self) -> None:
        restore = self.leases.take_restore()
        if restore is not None and restore != self.config.raw_tags:
            self._configure(self.config.updated(raw_tags=restore))

    def _expire_leases(self) -> None:
        """Leases whose client stopped renewing them end; the last one restores ``raw_tags``."""
        gone = self.leases.expire(time.monotonic())
        if gone:
            log.warning("raw-tag lease(s) %s expired: their client stopped renewing them", ", ".join(gone))
            self._restore_raw_tags()
            self._status_due = True

    def stop_sweep(self) -> bool:
        """Abort a running sweep; False when none was running."""
        if self.sweep is None or self.sweep.done:
            return False
        self.sweep.abort()
        self._status_due = True
        return True

    def snapshot(self, names: Sequence[str]) -> list[tuple[str, dict[str, Any], np.ndarray]]:
        """``(topic, header, payload)`` of the current accumulated state of each topic in ``names``."""
        if "analysis" in names:
            self.update_analysis(force=True)
        return [(t, *self.message(t)) for t in names]

    def status(self) -> dict[str, Any]:
        """The status object (docs/protocol.md section 1.3)."""
        acc, act = self.acc, self.actuator
        return {
            "state": "running" if self.running else "stopped",
            "lost_total": acc.lost_total,
            "lost": {c: [int(x) for x in v] for c, v in acc.lost.items()},
            "dead": [int(x) for x in acc.dead],
            "malformed": acc.malformed,
            "publisher_dropped": dict(self.publisher.stats.dropped),
            "publisher_sent": dict(self.publisher.stats.sent),
            "integration_s": acc.integration_s,
            "n_integrations": acc.n_integrations,
            "run": self.run,
            "power": None if act is None else act.last,
            "power_unit": None if act is None else act.unit,
            "sweep": None if self.sweep is None or self.sweep.done else self.sweep.progress(),
            "uptime_s": time.time() - self.t0,
            "status_interval_s": self.status_interval_s,
            "version": __version__,
            "device": self.device.name,
            "device_info": self.device.info(),
            "source_done": self.source_done,
            "late_s": self.late_s,
            "analysis_error": self.estimates.error,
            # the running estimate as the analysis topic carries it, with what is withheld and why
            "analysis": {
                "values": dict(self.estimates.values),
                "withheld": dict(self.estimates.details.get("withheld") or {}),
            },
            "device_error": self.device_error,
            "settings": self.config.to_dict(),
            "raw_tags_leases": self.leases.to_dict(time.monotonic()),
            "pub": self.pub_endpoint,
            "control": self.control_endpoint,
        }

    # --- messages ------------------------------------------------------------------------------
    def message(self, topic: str, integ: Integration | None = None) -> topics.TopicMessage:
        """Header (without schema/seq) and payload of ``topic`` for the current state.

        Per-integration topics describe ``integ``; without it only ``rates`` has an answer
        (the last integration's, or zeros before the first).
        """
        info = topics.RunInfo(self.run, self.config, self.device.name)
        acc = self.acc
        if topic == "g2":
            return topics.g2(info, acc)
        if topic == "pulsed":
            return topics.pulsed(info, acc)
        if topic == "status":
            return topics.status(info, acc, self.status())
        if topic == "analysis":
            return topics.analysis(info, acc, self.estimates)
        if topic in LIVE_TOPICS:
            return self._live_message(topic, info)
        if topic not in _PER_INTEGRATION:
            raise CommandError(f"unknown topic {topic!r}", "topics")
        if integ is None and topic == "rates":
            integ = self.last_integ or topics.empty_integration(acc)
        if integ is None:
            raise CommandError(f"topic {topic!r} has no accumulated state to snapshot", "topics")
        return self._integration_message(topic, info, integ)

    def _integration_message(self, topic: str, info: topics.RunInfo,
                             integ: Integration) -> topics.TopicMessage:
        """A per-integration topic's message; ``heralded`` and ``markers`` add the run's state."""
        now = time.time()
        if topic == "heralded":
            return topics.heralded(info, integ, now, self.heralded_live.header())
        if topic == "markers":
            return topics.markers(info, integ, now, self.markers)
        return _PER_INTEGRATION[topic](info, integ, now)

    def _live_message(self, topic: str, info: topics.RunInfo) -> topics.TopicMessage:
        if topic not in self.live.topics:
            setting = {"logcorr": "log_corr", "gated": "on_state"}.get(topic, topic)
            raise CommandError(f"topic {topic!r} is off: configure {setting} to switch it on", "topics")
        if topic == "gated":
            self.live.refresh_gated()
            return topics.gated(info, self.acc, self.live, self.estimates)
        return _LIVE[topic](info, self.acc, self.live)

    def publish_live(self, force: bool = False) -> None:
        """Publish the live taggers' measurements that are on, at the display rate (or now: ``force``)."""
        if self.live.due(force):
            for topic in self.live.topics:
                self.publish(topic)

    def publish(self, topic: str, integ: Integration | None = None) -> None:
        hdr, payload = self.message(topic, integ)
        self.publisher.publish(topic, payload, hdr)

    def update_analysis(self, force: bool = False) -> None:
        """Recompute and publish the running estimate when due (or ``force``)."""
        if self.estimates.refresh(self.acc, force):
            self.publish("analysis")

    # --- the loop ------------------------------------------------------------------------------
    def step_integration(self) -> Integration | None:
        """Acquire one integration, add it up and publish it; None when the source has ended."""
        integ = self.device.acquire()
        if integ is None:
            return None
        self.acc.add(integ)
        self.live.add(integ)
        self.heralded_live.add(integ.stream)
        self.heralded_live.refresh()
        self.markers.add(integ.markers, _tags_of(integ), integ.t_stop_ps)
        self.last_integ = integ
        self.estimates.mark_stale()
        self._publish_integration(integ)
        if integ.lost and any(int(v.sum()) for v in integ.lost.values()):
            self._status_due = True  # losses are reported at once, not at the next tick
        if self.sweep is not None and not self.sweep.done:
            self.update_analysis(force=True)
            self._advance_sweep()
        else:
            self.update_analysis()
        if integ.last_input:
            self._source_finished()
        return integ

    def _publish_integration(self, integ: Integration) -> None:
        for topic in ("g2", "rates"):
            self.publish(topic, integ)
        if self.config.sync_channel is not None:
            self.publish("pulsed", integ)
            self.publish("heralded", integ)
        self.publish("trace", integ)
        self.publish("markers", integ)
        if self.config.raw_tags:
            self.publish("tags", integ)
        self.publish_live()

    def _go_to_power(self, power: float) -> None:
        assert self.actuator is not None
        self.actuator.set(power)
        self.new_run()

    def _advance_sweep(self) -> None:
        """Publish the sweep point this integration finished, then go to the next power."""
        assert self.sweep is not None
        point = self.sweep.after_integration(self.acc.integration_s, dict(self.estimates.values))
        if point is None:
            return
        info = topics.RunInfo(self.run, self.config, self.device.name)
        unit = self.actuator.unit if self.actuator else None
        withheld = self.estimates.details.get("withheld") or {}
        hdr, payload = topics.sweep(info, self.acc, point, unit, self.estimates.error, withheld)
        self.publisher.publish("sweep", payload, hdr)
        if self.sweep.done:
            self._status_due = True
        else:
            self._go_to_power(self.sweep.power)

    def _source_finished(self) -> None:
        self.source_done = True
        self.device.stop()
        self.update_analysis(force=True)
        self.live.flush()  # the end of the record closes the open herald and g3 windows
        self.publish_live(force=True)
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
        """Answer control requests until the next integration is due, then acquire it."""
        self.control.poll(self._wait_s(time.monotonic()))
        self._expire_leases()
        now = time.monotonic()
        due = self.device.paced or self.speed <= 0 or now >= self._next_due
        if self.running and due and self.device.ready:  # ready: a live source (follow) has the data
            integ = self._acquire()
            if integ is None:
                if not self.source_done:
                    self._source_finished()
            elif not self.device.paced and self.speed > 0:
                self._pace(integ)
        if self._status_due or time.monotonic() - self._status_at >= self.status_interval_s:
            self._status_at = time.monotonic()
            self._status_due = False
            self.publish("status")

    def _wait_s(self, now: float) -> float:
        """How long the control socket may be polled before the loop has work to do."""
        if self.running and not self.device.paced and self.speed > 0:
            wait = max(0.0, self._next_due - now)
        elif self.running:
            wait = 0.0
        else:
            wait = 0.05
        return min(wait, max(0.0, self._status_at + self.status_interval_s - now))

    def _acquire(self) -> Integration | None:
        """``step_integration``; a failing device stops acquisition but not the server."""
        try:
            return self.step_integration()
        except Exception as exc:  # a failing device must not take the server (and control) down
            log.exception("acquisition failed")
            self.device_error = f"{type(exc).__name__}: {exc}"
            self.errors += 1
            self.device.stop()
            self._status_due = True
            self.source_done = True  # stopped; `start` or `reset` retries
            return None

    def _pace(self, integ: Integration) -> None:
        """Schedule the next integration ``speed`` times faster than real time."""
        self._next_due += integ.duration_s / self.speed
        behind = time.monotonic() - self._next_due
        if behind > 1.0:  # cannot keep up: do not try to catch up in a burst
            self.late_s += behind
            self._next_due = time.monotonic()

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
