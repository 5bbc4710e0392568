"""Control socket: JSON commands over REP (docs/protocol.md section 2).

Every request gets exactly one reply. Anything wrong with a request (not JSON, not an object,
unknown command, missing or ill-typed argument, refused setting) gets ``ok: false`` with an
error naming what was wrong, and leaves the server's state untouched.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import zmq

from g2live.config import Config, ConfigError
from g2live.stream import CurveKeys, CurveServer, bind, check_bind, json_default, pack_header

if TYPE_CHECKING:
    from g2live.server import Server

log = logging.getLogger("g2live.control")

MAX_REQUEST_BYTES = 1 << 20


class CommandError(ValueError):
    """A request the server refuses; ``field`` names the offending argument."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _number(args: dict[str, Any], key: str, default: float | None = None, lo: float | None = None) -> float:
    if key not in args:
        if default is None:
            raise CommandError(f"missing argument {key!r}", key)
        return default
    v = args[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise CommandError(f"{key} must be a finite number, got {v!r}", key)
    if lo is not None and v < lo:
        raise CommandError(f"{key} must be >= {lo}, got {v}", key)
    return float(v)


class ControlServer:
    def __init__(
        self,
        endpoint: str,
        server: Server,
        *,
        ctx: zmq.Context,
        curve: CurveKeys | None = None,
        insecure: bool = False,
        curve_server: CurveServer | None = None,
    ) -> None:
        check_bind(endpoint, curve, insecure)
        self.server = server
        self.sock = ctx.socket(zmq.REP)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.MAXMSGSIZE, MAX_REQUEST_BYTES)
        if curve is not None:
            (curve_server or CurveServer(ctx, curve)).apply(self.sock)
        bind(self.sock, endpoint, "control")
        self.endpoint = self.sock.getsockopt_string(zmq.LAST_ENDPOINT)
        self.poller = zmq.Poller()
        self.poller.register(self.sock, zmq.POLLIN)
        self.n_requests = 0
        self.n_errors = 0
        self.commands: dict[str, Callable[[dict[str, Any]], Any]] = {
            "status": self._status,
            "configure": self._configure,
            "start": self._start,
            "stop": self._stop,
            "reset": self._reset,
            "snapshot": self._snapshot,
            "set_power": self._set_power,
            "sweep": self._sweep,
            "sweep_stop": self._sweep_stop,
        }

    def poll(self, timeout_s: float) -> int:
        """Answer every waiting request; wait up to ``timeout_s`` for the first one."""
        n = 0
        timeout_ms = max(0, int(timeout_s * 1000))
        while self.poller.poll(timeout_ms):
            parts = self.sock.recv_multipart()
            self.sock.send_multipart(self.handle(parts))
            n += 1
            timeout_ms = 0
        return n

    def handle(self, parts: list[bytes]) -> list[bytes]:
        """Reply frames for one request (never raises for a bad request)."""
        self.n_requests += 1
        cmd, req_id = None, None
        try:
            if len(parts) != 1:
                raise CommandError(f"a request is one frame of JSON, got {len(parts)} frames")
            try:
                req = json.loads(parts[0].decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise CommandError(f"request is not UTF-8: {exc}") from None
            except json.JSONDecodeError as exc:
                raise CommandError(f"request is not valid JSON: {exc}") from None
            if not isinstance(req, dict):
                raise CommandError(f"request must be a JSON object, got {type(req).__name__}")
            req_id = req.get("id")
            cmd = req.get("cmd")
            if not isinstance(cmd, str):
                raise CommandError(f"missing or non-string 'cmd' (one of {', '.join(self.commands)})", "cmd")
            fn = self.commands.get(cmd)
            if fn is None:
                raise CommandError(f"unknown command {cmd!r} (one of {', '.join(self.commands)})", "cmd")
            result = fn(req)
            extra: list[bytes] = []
            if isinstance(result, tuple):  # snapshot: (result, frames)
                result, extra = result
            reply = {"ok": True, "cmd": cmd, "id": req_id, "result": result}
            return [json.dumps(reply, default=json_default).encode(), *extra]
        except (CommandError, ConfigError) as exc:
            self.n_errors += 1
            field = getattr(exc, "field", None)
            return [
                json.dumps(
                    {"ok": False, "cmd": cmd, "id": req_id, "error": str(exc), "field": field},
                    default=json_default,
                ).encode()
            ]
        except Exception as exc:  # a device failure must not kill the server: report it
            self.n_errors += 1
            log.exception("control command %s failed", cmd)
            return [
                json.dumps(
                    {
                        "ok": False,
                        "cmd": cmd,
                        "id": req_id,
                        "error": f"{type(exc).__name__}: {exc}",
                        "field": None,
                    },
                    default=json_default,
                ).encode()
            ]

    # --- commands ----------------------------------------------------------------------------
    def _status(self, req: dict[str, Any]) -> dict[str, Any]:
        return self.server.status()

    def _configure(self, req: dict[str, Any]) -> dict[str, Any]:
        settings = req.get("settings")
        if not isinstance(settings, dict):
            raise CommandError("configure needs 'settings': an object of settings to change", "settings")
        new: Config = self.server.config.updated(**settings)
        self.server.apply_config(new)
        return {"settings": new.to_dict(), "run": self.server.run}

    def _start(self, req: dict[str, Any]) -> dict[str, Any]:
        if not self.server.running:
            self.server.device_error = ""
            self.server.source_done = False
            self.server.device.start()
            self.server._next_due = time.monotonic()
        self.server._status_due = True
        return {"state": "running"}

    def _stop(self, req: dict[str, Any]) -> dict[str, Any]:
        self.server.device.stop()
        self.server._status_due = True
        if self.server._analysis_stale:  # publish the analysis of everything acquired
            self.server.update_analysis(force=True)
        return {"state": "stopped"}

    def _reset(self, req: dict[str, Any]) -> dict[str, Any]:
        self.server.new_run()
        return {"run": self.server.run}

    def _snapshot(self, req: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
        from g2live.server import SNAPSHOT_DEFAULT

        topics = req.get("topics", list(SNAPSHOT_DEFAULT))
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            raise CommandError("topics must be a list of topic names", "topics")
        allowed = set(SNAPSHOT_DEFAULT)
        for t in topics:
            if t not in allowed:
                raise CommandError(
                    f"topic {t!r} cannot be snapshot (only {', '.join(SNAPSHOT_DEFAULT)})", "topics"
                )
        if "analysis" in topics:
            self.server.update_analysis(force=True)
        frames: list[bytes] = []
        for t in topics:
            hdr, payload = self.server.frame(t)
            h, arr = pack_header(t, payload, {**hdr, "seq": -1})
            frames += [h, arr.tobytes()]
        return {"topics": topics}, frames

    def _set_power(self, req: dict[str, Any]) -> dict[str, Any]:
        power = _number(req, "power")
        reset = req.get("reset", True)
        if not isinstance(reset, bool):
            raise CommandError(f"reset must be true or false, got {reset!r}", "reset")
        try:
            return self.server.set_power(power, reset)
        except ValueError as exc:
            if isinstance(exc, CommandError):
                raise
            raise CommandError(str(exc), "power") from None

    def _sweep(self, req: dict[str, Any]) -> dict[str, Any]:
        powers = req.get("powers")
        if (
            not isinstance(powers, list)
            or not powers
            or not all(
                isinstance(p, (int, float)) and not isinstance(p, bool) and math.isfinite(p) for p in powers
            )
        ):
            raise CommandError("powers must be a non-empty list of numbers", "powers")
        target = _number(req, "target_rel_err", 0.05, lo=0.0)
        max_s = _number(req, "max_s", 10.0, lo=0.0)
        min_s = _number(req, "min_s", 0.0, lo=0.0)
        if max_s <= 0:
            raise CommandError("max_s must be > 0", "max_s")
        if min_s > max_s:
            raise CommandError(f"min_s ({min_s}) exceeds max_s ({max_s})", "min_s")
        if self.server.actuator is not None:
            for i, p in enumerate(powers):
                try:
                    self.server.actuator.check(float(p))
                except ValueError as exc:
                    raise CommandError(f"powers[{i}]: {exc}", "powers") from None
        return self.server.start_sweep([float(p) for p in powers], target, max_s, min_s)

    def _sweep_stop(self, req: dict[str, Any]) -> dict[str, Any]:
        sw = self.server.sweep
        stopped = sw is not None and not sw.done
        if stopped:
            sw.abort(self.server)
        return {"stopped": stopped}

    def close(self) -> None:
        self.sock.close(linger=0)
