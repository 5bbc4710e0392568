"""Clients of a running ``g2live serve``: ``Subscriber`` (data) and ``ControlClient`` (commands).

Both follow docs/protocol.md. Example::

    from g2live.client import Subscriber, ControlClient
    with Subscriber(topics=["g2", "status"]) as sub:
        for frame in sub.frames(timeout_s=5):
            print(frame.topic, frame.seq, frame.data.shape)
    ControlClient().configure(bin_width_ps=512)
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import zmq

from g2live.stream import DEFAULT_CONTROL, DEFAULT_PUB, ProtocolError, unpack_frame, unpack_payload

__all__ = [
    "Frame",
    "Subscriber",
    "ControlClient",
    "ControlError",
    "ProtocolError",
    "DEFAULT_PUB",
    "DEFAULT_CONTROL",
]


@dataclass
class Frame:
    """One decoded data frame."""

    topic: str
    header: dict[str, Any]
    data: np.ndarray  # read-only view on the received bytes
    gap: int = 0  # frames of this topic lost just before this one (from seq)
    received: float = 0.0  # time.monotonic() at receipt

    @property
    def seq(self) -> int:
        return int(self.header["seq"])

    @property
    def run(self) -> int:
        return int(self.header.get("run", 0))


def _client_curve(sock: zmq.Socket, server_key: bytes | str | None, client_keys: Any) -> None:
    if server_key is None:
        return
    if isinstance(server_key, str) and Path(server_key).exists():
        import zmq.auth

        server_key, _ = zmq.auth.load_certificate(server_key)
    if isinstance(client_keys, (str, Path)):
        import zmq.auth

        pub, sec = zmq.auth.load_certificate(str(client_keys))
    elif client_keys is not None:
        pub, sec = client_keys
    else:
        pub, sec = zmq.curve_keypair()  # ephemeral: encryption without client authentication
    sock.curve_serverkey = server_key.encode() if isinstance(server_key, str) else server_key
    sock.curve_publickey = pub
    sock.curve_secretkey = sec


class Subscriber:
    """Iterates decoded frames, reports ``seq`` gaps per topic, optionally conflates.

    ``conflate=True`` keeps only the newest frame per topic for consumers slower than the
    publisher: ``latest()`` drains everything waiting and returns ``{topic: Frame}``. Gaps are
    counted per topic in ``gaps`` (frames skipped by conflation are not gaps: they arrived).
    Malformed messages are counted in ``malformed`` (and the last error kept), never raised.
    """

    def __init__(
        self,
        endpoint: str = DEFAULT_PUB,
        topics: Iterable[str] | None = None,
        *,
        ctx: zmq.Context | None = None,
        rcvhwm: int = 1000,
        server_key: bytes | str | None = None,
        client_keys: Any = None,
    ) -> None:
        self.ctx = ctx or zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.RCVHWM, rcvhwm)
        self.sock.setsockopt(zmq.LINGER, 0)
        _client_curve(self.sock, server_key, client_keys)
        self.sock.connect(endpoint)
        self.endpoint = endpoint
        for t in topics if topics is not None else [""]:
            self.sock.setsockopt(zmq.SUBSCRIBE, t.encode())
        self.last_seq: dict[str, int] = {}
        self.gaps: dict[str, int] = {}
        self.received: dict[str, int] = {}
        self.malformed = 0
        self.last_error = ""
        self.poller = zmq.Poller()
        self.poller.register(self.sock, zmq.POLLIN)

    def _decode(self, parts: list[zmq.Frame]) -> Frame | None:
        try:
            topic, header, data = unpack_frame(parts)
            seq = header["seq"]
            if not isinstance(seq, int):
                raise ProtocolError(f"{topic}: seq {seq!r} is not an int")
        except (ProtocolError, KeyError) as exc:
            self.malformed += 1
            self.last_error = str(exc)
            return None
        prev = self.last_seq.get(topic)
        gap = 0
        if prev is not None:
            if seq > prev + 1:
                gap = seq - prev - 1
            elif seq <= prev:
                gap = 0  # the server restarted: numbering begins again
        self.last_seq[topic] = seq
        self.gaps[topic] = self.gaps.get(topic, 0) + gap
        self.received[topic] = self.received.get(topic, 0) + 1
        return Frame(topic, header, data, gap, time.monotonic())

    def recv(self, timeout_s: float | None = None) -> Frame | None:
        """Next well-formed frame, or None when nothing arrived within ``timeout_s``."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self.poller.poll(None if wait is None else int(wait * 1000)):
                return None
            frame = self._decode(self.sock.recv_multipart(copy=False))
            if frame is not None:
                return frame
            if deadline is not None and time.monotonic() >= deadline:
                return None

    def frames(self, timeout_s: float | None = None, max_frames: int | None = None) -> Iterator[Frame]:
        """Yield frames until ``timeout_s`` passes with nothing received (None: forever)."""
        n = 0
        while max_frames is None or n < max_frames:
            frame = self.recv(timeout_s)
            if frame is None:
                return
            n += 1
            yield frame

    __iter__ = frames

    def latest(self, timeout_s: float = 0.0) -> dict[str, Frame]:
        """Conflate: drain all waiting frames, keep the newest per topic.

        Waits up to ``timeout_s`` for the first one.
        """
        out: dict[str, Frame] = {}
        first = self.recv(timeout_s)
        if first is None:
            return out
        out[first.topic] = first
        while True:
            try:
                parts = self.sock.recv_multipart(flags=zmq.NOBLOCK, copy=False)
            except zmq.Again:
                return out
            frame = self._decode(parts)
            if frame is not None:
                if frame.topic in out:
                    frame.gap += out[frame.topic].gap
                out[frame.topic] = frame

    def wait_for(self, topic: str, timeout_s: float, predicate: Any = None) -> Frame:
        """First frame of ``topic`` (satisfying ``predicate(frame)``) within the timeout."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            frame = self.recv(left)
            if frame is not None and frame.topic == topic and (predicate is None or predicate(frame)):
                return frame
        raise TimeoutError(f"no {topic!r} frame from {self.endpoint} within {timeout_s} s")

    def close(self) -> None:
        self.sock.close(linger=0)

    def __enter__(self) -> Subscriber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ControlError(RuntimeError):
    """The server refused a command; ``field`` names the offending setting when known."""

    def __init__(self, message: str, field: str | None = None, reply: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.reply = reply or {}


class ControlClient:
    """JSON commands over REQ (docs/protocol.md section 2).

    A REQ socket cannot send again after a lost reply, so on a timeout the socket is recreated
    and ``TimeoutError`` raised; the next call works again.
    """

    def __init__(
        self,
        endpoint: str = DEFAULT_CONTROL,
        *,
        timeout_s: float = 5.0,
        ctx: zmq.Context | None = None,
        server_key: bytes | str | None = None,
        client_keys: Any = None,
    ) -> None:
        self.endpoint = endpoint
        self.timeout_s = timeout_s
        self.ctx = ctx or zmq.Context.instance()
        self._curve = (server_key, client_keys)
        self._id = 0
        self._open()

    def _open(self) -> None:
        self.sock = self.ctx.socket(zmq.REQ)
        self.sock.setsockopt(zmq.LINGER, 0)
        _client_curve(self.sock, *self._curve)
        self.sock.connect(self.endpoint)

    def request_raw(self, parts: list[bytes], timeout_s: float | None = None) -> list[bytes]:
        """Send raw frames (for testing malformed requests) and return the reply frames."""
        self.sock.send_multipart(parts)
        if not self.sock.poll(int(1000 * (timeout_s or self.timeout_s)), zmq.POLLIN):
            self.sock.close(linger=0)
            self._open()
            raise TimeoutError(f"no reply from {self.endpoint} within {timeout_s or self.timeout_s} s")
        return self.sock.recv_multipart()

    def call(self, cmd: str, timeout_s: float | None = None, **args: Any) -> dict[str, Any]:
        """Send ``{"cmd": cmd, **args}``; return ``result`` or raise ControlError."""
        self._id += 1
        req = {"cmd": cmd, "id": self._id, **args}
        reply = self.request_raw([json.dumps(req).encode()], timeout_s)
        rep = json.loads(reply[0])
        if not rep.get("ok"):
            raise ControlError(f"{cmd}: {rep.get('error')}", rep.get("field"), rep)
        result = rep.get("result", {})
        if len(reply) > 1:
            frames = {}
            for h, p in zip(reply[1::2], reply[2::2], strict=True):
                header = json.loads(h)
                frames[header["topic"]] = (header, unpack_payload(header, p, header.get("topic", "?")))
            result["frames"] = frames
        return result

    def status(self) -> dict[str, Any]:
        return self.call("status")

    def configure(self, **settings: Any) -> dict[str, Any]:
        return self.call("configure", settings=settings)

    def start(self) -> dict[str, Any]:
        return self.call("start")

    def stop(self) -> dict[str, Any]:
        return self.call("stop")

    def reset(self) -> dict[str, Any]:
        return self.call("reset")

    def snapshot(self, topics: list[str] | None = None) -> dict[str, tuple[dict[str, Any], np.ndarray]]:
        """``{topic: (header, array)}`` of the current accumulated state."""
        args = {} if topics is None else {"topics": topics}
        return self.call("snapshot", **args).get("frames", {})

    def set_power(self, power: float, reset: bool = True) -> dict[str, Any]:
        return self.call("set_power", power=power, reset=reset)

    def sweep(
        self, powers: list[float], target_rel_err: float = 0.05, max_s: float = 10.0, min_s: float = 0.0
    ) -> dict[str, Any]:
        return self.call(
            "sweep", powers=list(powers), target_rel_err=target_rel_err, max_s=max_s, min_s=min_s
        )

    def sweep_stop(self) -> dict[str, Any]:
        return self.call("sweep_stop")

    def close(self) -> None:
        self.sock.close(linger=0)

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
