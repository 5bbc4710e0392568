# SPDX-License-Identifier: BSD-3-Clause
"""The control socket: JSON commands over REP (docs/protocol.md section 2).

Every request gets exactly one reply. Anything wrong with a request (not JSON, not an object,
over ``MAX_REQUEST_BYTES`` or nested deeper than ``MAX_REQUEST_DEPTH``, unknown command, missing
or ill-typed argument, refused setting) gets ``ok: false`` with an error naming what was wrong,
and leaves the server's state untouched; nothing a client sends makes the server log a
traceback (a failure of the device does, at debug level).

Size: ZeroMQ itself drops a message over the socket's MAXMSGSIZE without delivering it, so no
reply could be sent. The socket therefore accepts up to ``HARD_LIMIT_BYTES`` and this module
refuses anything over ``MAX_REQUEST_BYTES`` with a reply; only a message over the hard limit
is dropped by ZeroMQ (which closes that connection, so the client sees it closed).

This module checks and decodes requests and encodes replies; what a command does is the
loop's business, asked for through the public methods listed in ``Controlled``.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import zmq

from g2live.config import Config, ConfigError
from g2live.curve import CurveKeys, CurveServer
from g2live.protocol import (
    LIVE_TOPICS,
    MAX_REQUEST_BYTES,
    MAX_REQUEST_DEPTH,
    SNAPSHOT_TOPICS,
    CommandError,
    json_default,
    pack_header,
)
from g2live.server.sockets import bind_socket

__all__ = ["Controlled", "ControlServer", "MAX_REQUEST_BYTES", "MAX_REQUEST_DEPTH", "HARD_LIMIT_BYTES"]

log = logging.getLogger("g2live.server.control")

HARD_LIMIT_BYTES = 64 << 20  # ZeroMQ's MAXMSGSIZE: up to this a refusal is sent back
_TOO_DEEP = f"request is nested deeper than the limit of {MAX_REQUEST_DEPTH} levels"
RCVHWM = 8  # requests queued per peer (a REQ peer sends one at a time; this bounds a DEALER's)


@runtime_checkable
class Controlled(Protocol):
    """What the control socket asks of the acquisition loop (``g2live.server.loop.Server``)."""

    @property
    def config(self) -> Config: ...

    @property
    def run(self) -> int: ...

    def status(self) -> dict[str, Any]: ...

    def apply_config(self, config: Config) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def new_run(self) -> None: ...

    def snapshot(self, names: Sequence[str]) -> list[tuple[str, dict[str, Any], np.ndarray]]: ...

    def set_power(self, power: float, reset: bool = True) -> dict[str, Any]: ...

    def start_sweep(
        self, powers: list[float], target_rel_err: float, max_s: float, min_s: float
    ) -> dict[str, Any]: ...

    def stop_sweep(self) -> bool: ...

    def lease_raw_tags(self, lease: str | None, ttl_s: float) -> dict[str, Any]: ...

    def release_raw_tags(self, lease: str) -> dict[str, Any]: ...


def _number(args: dict[str, Any], key: str, default: float | None = None, lo: float | None = None) -> float:
    if key not in args:
        if default is None:
            raise CommandError(f"missing argument {key!r}", key)
        return default
    v = args[key]
    if not _finite(v):
        raise CommandError(f"{key} must be a finite number, got {_short(v)}", key)
    if lo is not None and v < lo:
        raise CommandError(f"{key} must be >= {lo}, got {v}", key)
    return float(v)


def _finite(v: Any) -> bool:
    """A JSON number (not a bool) that is finite as a float (a 400-digit integer is not)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


def _reply(reply: dict[str, Any]) -> bytes:
    return json.dumps(reply, default=json_default).encode()


def _no_constant(name: str) -> Any:
    raise CommandError(f"request is not valid JSON: {name} is not a JSON number")


def _depth(obj: Any) -> int:
    """Nesting depth of a parsed request (iterative: the request may be deep)."""
    depth, level = 0, [obj]
    while level:
        depth += 1
        if depth > MAX_REQUEST_DEPTH:
            return depth
        nxt: list[Any] = []
        for v in level:
            if isinstance(v, dict):
                nxt.extend(v.values())
            elif isinstance(v, list):
                nxt.extend(v)
        level = nxt
    return depth - 1


def _short(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters: errors echo what was sent, not all of it."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


class ControlServer:
    """The REP socket of ``loop``: ``poll`` answers waiting requests by calling its methods."""

    def __init__(
        self,
        endpoint: str,
        loop: Controlled,
        *,
        ctx: zmq.Context,
        curve: CurveKeys | None = None,
        insecure: bool = False,
        curve_server: CurveServer | None = None,
    ) -> None:
        self.loop = loop
        self.sock, self._own_curve = bind_socket(
            ctx,
            zmq.REP,
            endpoint,
            "control",
            options={zmq.MAXMSGSIZE: HARD_LIMIT_BYTES, zmq.RCVHWM: RCVHWM},
            curve=curve,
            insecure=insecure,
            curve_server=curve_server,
        )
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
            "raw_tags_lease": self._raw_tags_lease,
            "raw_tags_release": self._raw_tags_release,
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

    def _request(self, parts: list[bytes]) -> dict[str, Any]:
        """The request object of one message (CommandError naming what is wrong with it)."""
        if len(parts) != 1:
            raise CommandError(f"a request is one frame of JSON, got {len(parts)} frames")
        size = len(parts[0])
        if size > MAX_REQUEST_BYTES:
            raise CommandError(f"request of {size} bytes exceeds the limit of {MAX_REQUEST_BYTES} bytes")
        try:
            req = json.loads(parts[0].decode("utf-8"), parse_constant=_no_constant)
        except UnicodeDecodeError as exc:
            raise CommandError(f"request is not UTF-8: {exc}") from None
        except json.JSONDecodeError as exc:
            raise CommandError(f"request is not valid JSON: {exc}") from None
        except CommandError:
            raise  # NaN / Infinity, named by _no_constant
        except ValueError:  # an integer of more digits than Python reads (its hint is for Python)
            raise CommandError(
                f"request holds a number this server cannot read: an integer of more than "
                f"{sys.get_int_max_str_digits()} digits"
            ) from None
        except RecursionError:
            raise CommandError(_TOO_DEEP) from None
        if _depth(req) > MAX_REQUEST_DEPTH:
            raise CommandError(_TOO_DEEP)
        if not isinstance(req, dict):
            raise CommandError(f"request must be a JSON object, got {type(req).__name__}")
        return req

    def handle(self, parts: list[bytes]) -> list[bytes]:
        """Reply frames for one request (never raises for a bad request)."""
        self.n_requests += 1
        cmd, req_id = None, None
        try:
            req = self._request(parts)
            req_id, cmd = req.get("id"), req.get("cmd")
            if not isinstance(cmd, str):
                cmd = None  # echoed in the reply: only a command name, never what else was sent
                raise CommandError(f"missing or non-string 'cmd' (one of {', '.join(self.commands)})", "cmd")
            fn = self.commands.get(cmd)
            if fn is None:
                cmd, known = cmd[:64], ", ".join(self.commands)
                raise CommandError(f"unknown command {_short(cmd)} (one of {known})", "cmd")
            result = fn(req)
            extra: list[bytes] = []
            if isinstance(result, tuple):  # snapshot: (result, frames)
                result, extra = result
            return [_reply({"ok": True, "cmd": cmd, "id": req_id, "result": result}), *extra]
        except (CommandError, ConfigError) as exc:
            self.n_errors += 1
            field = getattr(exc, "field", None)
            return [_reply({"ok": False, "cmd": cmd, "id": req_id, "error": str(exc), "field": field})]
        except Exception as exc:  # a device failure must not kill the server: report it
            self.n_errors += 1
            error = f"{type(exc).__name__}: {exc}"
            # One line: a request must never fill the log with tracebacks (--debug shows them).
            log.error("control command %s failed: %s", cmd, error)
            log.debug("control command %s failed", cmd, exc_info=True)
            return [_reply({"ok": False, "cmd": cmd, "id": req_id, "error": error, "field": None})]

    # --- commands ----------------------------------------------------------------------------
    def _status(self, req: dict[str, Any]) -> dict[str, Any]:
        return self.loop.status()

    def _configure(self, req: dict[str, Any]) -> dict[str, Any]:
        settings = req.get("settings")
        if not isinstance(settings, dict):
            raise CommandError("configure needs 'settings': an object of settings to change", "settings")
        new: Config = self.loop.config.updated(**settings)
        self.loop.apply_config(new)
        return {"settings": new.to_dict(), "run": self.loop.run}

    def _start(self, req: dict[str, Any]) -> dict[str, Any]:
        self.loop.start()
        return {"state": "running"}

    def _stop(self, req: dict[str, Any]) -> dict[str, Any]:
        self.loop.stop()
        return {"state": "stopped"}

    def _reset(self, req: dict[str, Any]) -> dict[str, Any]:
        self.loop.new_run()
        return {"run": self.loop.run}

    def _snapshot(self, req: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
        topics = req.get("topics", list(SNAPSHOT_TOPICS))
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            raise CommandError("topics must be a list of topic names", "topics")
        for t in topics:
            if t not in SNAPSHOT_TOPICS and t not in LIVE_TOPICS:
                raise CommandError(
                    f"topic {_short(t)} cannot be snapshot "
                    f"(only {', '.join((*SNAPSHOT_TOPICS, *LIVE_TOPICS))})",
                    "topics",
                )
        frames: list[bytes] = []
        for topic, hdr, payload in self.loop.snapshot(topics):
            h, arr = pack_header(topic, payload, {**hdr, "seq": -1})  # not part of the published sequence
            frames += [h, arr.tobytes()]
        return {"topics": topics}, frames

    def _set_power(self, req: dict[str, Any]) -> dict[str, Any]:
        power = _number(req, "power")
        reset = req.get("reset", True)
        if not isinstance(reset, bool):
            raise CommandError(f"reset must be true or false, got {_short(reset)}", "reset")
        try:
            return self.loop.set_power(power, reset)
        except ValueError as exc:
            if isinstance(exc, CommandError):
                raise
            raise CommandError(str(exc), "power") from None

    def _sweep(self, req: dict[str, Any]) -> dict[str, Any]:
        powers = req.get("powers")
        if (
            not isinstance(powers, list)
            or not powers
            or not all(_finite(p) for p in powers)
        ):
            raise CommandError("powers must be a non-empty list of numbers", "powers")
        target = _number(req, "target_rel_err", 0.05, lo=0.0)
        max_s = _number(req, "max_s", 10.0, lo=0.0)
        min_s = _number(req, "min_s", 0.0, lo=0.0)
        if max_s <= 0:
            raise CommandError("max_s must be > 0", "max_s")
        if min_s > max_s:
            raise CommandError(f"min_s ({min_s}) exceeds max_s ({max_s})", "min_s")
        return self.loop.start_sweep([float(p) for p in powers], target, max_s, min_s)

    def _sweep_stop(self, req: dict[str, Any]) -> dict[str, Any]:
        return {"stopped": self.loop.stop_sweep()}

    def _raw_tags_lease(self, req: dict[str, Any]) -> dict[str, Any]:
        lease = req.get("lease")
        if lease is not None and not isinstance(lease, str):
            raise CommandError(f"lease must be the id a grant returned (a string), got {lease!r}", "lease")
        return self.loop.lease_raw_tags(lease, _number(req, "ttl_s", 10.0))

    def _raw_tags_release(self, req: dict[str, Any]) -> dict[str, Any]:
        lease = req.get("lease")
        if not isinstance(lease, str):
            raise CommandError(f"raw_tags_release needs 'lease' (a grant's id), got {lease!r}", "lease")
        return self.loop.release_raw_tags(lease)

    def close(self) -> None:
        self.sock.close(linger=0)
        if self._own_curve is not None:
            self._own_curve.close()
