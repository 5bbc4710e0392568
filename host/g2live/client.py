# SPDX-License-Identifier: BSD-3-Clause
"""Clients of a running ``g2live serve``: ``Subscriber`` (data) and ``ControlClient`` (commands).

Both follow docs/protocol.md; a received topic message is a ``Message``. Example::

    from g2live.client import Subscriber, ControlClient
    with Subscriber(topics=["g2", "status"]) as sub:
        for msg in sub.messages(timeout_s=5):
            print(msg.topic, msg.seq, msg.data.shape)
    ControlClient().configure(bin_width_ps=512)

The live taggers' topics (``LIVE_TOPICS``: ``logcorr``, ``coincidences``, ``heralded_g2``, ``g3``,
``gated``) are switched on by their settings and read like any other; ``log_g2`` and
``delay_edges`` turn their headers into axes::

    ControlClient().configure(log_corr=True)
    with Subscriber(topics=["logcorr"]) as sub:
        edges_ps, g = log_g2(sub.wait_for("logcorr", timeout_s=10).header)
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import zmq

from g2live.curve import apply_client_curve
from g2live.link import LinkMonitor
from g2live.protocol import (
    DEFAULT_CONTROL,
    DEFAULT_PUB,
    LIVE_TOPICS,
    MAX_REQUEST_BYTES,
    ControlError,
    NoReplyError,
    ProtocolError,
    unpack_message,
    unpack_payload,
)

__all__ = [
    "Message",
    "Subscriber",
    "ControlClient",
    "ControlError",
    "NoReplyError",
    "ProtocolError",
    "DEFAULT_PUB",
    "DEFAULT_CONTROL",
    "LIVE_TOPICS",
    "delay_edges",
    "log_g2",
]


@dataclass
class Message:
    """One received topic message (its three ZeroMQ frames decoded)."""

    topic: str
    header: dict[str, Any]
    data: np.ndarray  # read-only view on the received bytes
    gap: int = 0  # messages of this topic lost just before this one (from seq)
    received: float = 0.0  # time.monotonic() at receipt

    @property
    def seq(self) -> int:
        return int(self.header["seq"])

    @property
    def run(self) -> int:
        return int(self.header.get("run", 0))


class Subscriber:
    """Iterates decoded messages, reports ``seq`` gaps per topic, conflates on request.

    For consumers slower than the publisher, ``latest()`` drains everything waiting and returns
    only the newest ``{topic: Message}``. Gaps are counted per topic in ``gaps`` (messages
    skipped by conflation are not gaps: they arrived). Malformed messages are counted in
    ``malformed`` (and the last error kept), never raised. ``server_key`` (key file, Z85 str or
    bytes) and ``client_keys`` (this client's ``.key_secret`` file or a pair) as in
    ``g2live.curve.apply_client_curve``; when nothing arrives, ``problem()`` says why.
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
        try:
            apply_client_curve(self.sock, server_key, client_keys)
            self.link = LinkMonitor(self.sock, encrypted=server_key is not None)
            self.sock.connect(endpoint)
        except BaseException:
            self.sock.close(linger=0)
            raise
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

    def _decode(self, parts: list[zmq.Frame]) -> Message | None:
        try:
            topic, header, data = unpack_message(parts)
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
        return Message(topic, header, data, gap, time.monotonic())

    def recv(self, timeout_s: float | None = None) -> Message | None:
        """Next well-formed message, or None when nothing arrived within ``timeout_s``."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self.poller.poll(None if wait is None else int(wait * 1000)):
                self.link.drain()  # idle: keep the connection's events current (their queue is bounded)
                return None
            msg = self._decode(self.sock.recv_multipart(copy=False))
            if msg is not None:
                return msg
            if deadline is not None and time.monotonic() >= deadline:
                return None

    def messages(self, timeout_s: float | None = None, max_messages: int | None = None) -> Iterator[Message]:
        """Yield messages until ``timeout_s`` passes with nothing received (None: forever)."""
        n = 0
        while max_messages is None or n < max_messages:
            msg = self.recv(timeout_s)
            if msg is None:
                return
            n += 1
            yield msg

    __iter__ = messages

    def latest(self, timeout_s: float = 0.0) -> dict[str, Message]:
        """Conflate: drain all waiting messages, keep the newest per topic.

        Waits up to ``timeout_s`` for the first one.
        """
        out: dict[str, Message] = {}
        first = self.recv(timeout_s)
        if first is None:
            return out
        out[first.topic] = first
        while True:
            try:
                parts = self.sock.recv_multipart(flags=zmq.NOBLOCK, copy=False)
            except zmq.Again:
                return out
            msg = self._decode(parts)
            if msg is not None:
                if msg.topic in out:
                    msg.gap += out[msg.topic].gap
                out[msg.topic] = msg

    def wait_for(self, topic: str, timeout_s: float, predicate: Any = None) -> Message:
        """First message of ``topic`` (satisfying ``predicate(message)``) within the timeout."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            msg = self.recv(left)
            if msg is not None and msg.topic == topic and (predicate is None or predicate(msg)):
                return msg
        raise TimeoutError(f"no {topic!r} message from {self.endpoint} within {timeout_s} s")

    def problem(self, waited_s: float) -> NoReplyError:
        """Why nothing arrived in ``waited_s`` (no server, key refused, wrong key, ...)."""
        return self.link.error(self.endpoint, waited_s, "nothing received")

    def close(self) -> None:
        self.link.close()
        self.sock.close(linger=0)

    def __enter__(self) -> Subscriber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ControlClient:
    """JSON commands over REQ (docs/protocol.md section 2).

    A REQ socket cannot send again after a lost reply, so on a timeout the socket is recreated
    and a ``NoReplyError`` (a ``TimeoutError``) raised that says why, as far as the connection
    shows it: ``NoServerError``, ``KeyRejectedError``, ``ServerKeyError``,
    ``EncryptionMismatchError``, ``ConnectionClosedError``; the next call works again. Keys as
    in ``Subscriber``.
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
        try:
            apply_client_curve(self.sock, *self._curve)
            self.link = LinkMonitor(self.sock, encrypted=self._curve[0] is not None)
            self.sock.connect(self.endpoint)
        except BaseException:
            self.sock.close(linger=0)
            raise

    def _close_socket(self) -> None:
        self.link.close()
        self.sock.close(linger=0)

    def request_raw(self, parts: list[bytes], timeout_s: float | None = None) -> list[bytes]:
        """Send raw frames (for testing malformed requests) and return the reply frames."""
        wait = timeout_s or self.timeout_s
        mark = self.link.mark()
        self.sock.setsockopt(zmq.SNDTIMEO, max(1, int(1000 * wait)))  # a REQ without a peer blocks
        try:
            self.sock.send_multipart(parts)
            sent = True
        except zmq.Again:
            sent = False
        if not sent or not self.sock.poll(int(1000 * wait), zmq.POLLIN):
            error = self.link.error(self.endpoint, wait, since=mark)
            self._close_socket()
            self._open()
            raise error
        return self.sock.recv_multipart()

    def call(self, cmd: str, timeout_s: float | None = None, **args: Any) -> dict[str, Any]:
        """Send ``{"cmd": cmd, **args}``; return ``result`` or raise ControlError.

        A request over the server's ``MAX_REQUEST_BYTES`` is refused here (ValueError), unsent.
        """
        self._id += 1
        req = json.dumps({"cmd": cmd, "id": self._id, **args}).encode()
        if len(req) > MAX_REQUEST_BYTES:
            raise ValueError(f"{cmd}: request of {len(req)} bytes exceeds the {MAX_REQUEST_BYTES}-byte limit")
        reply = self.request_raw([req], timeout_s)
        try:
            rep = json.loads(reply[0])
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ProtocolError(f"{self.endpoint}: reply is not JSON: {exc}") from None
        if not isinstance(rep, dict):
            raise ProtocolError(f"{self.endpoint}: reply is not a JSON object")
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

    def lease_raw_tags(
        self, ttl_s: float, lease: str | None = None, timeout_s: float | None = None
    ) -> dict[str, Any]:
        """Grant (no ``lease``) or renew a lease on raw tags: ``{"lease", "ttl_s", "run", "raw_tags"}``."""
        args: dict[str, Any] = {"ttl_s": ttl_s}
        if lease is not None:
            args["lease"] = lease
        return self.call("raw_tags_lease", timeout_s, **args)

    def release_raw_tags(self, lease: str, timeout_s: float | None = None) -> dict[str, Any]:
        """End a raw-tag lease; the last one restores the setting: ``{"released", "raw_tags", "run"}``."""
        return self.call("raw_tags_release", timeout_s, lease=lease)

    def close(self) -> None:
        self._close_socket()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def log_g2(header: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Lag edges (ps, int64[n + 1]) and normalised G(tau) (float64[n], NaN where the frame says
    null: no tags at that lag yet) of a ``logcorr`` frame's header (docs/protocol.md 1.2)."""
    edges = np.asarray(header["edges_ps"], dtype=np.int64)
    g = np.array([np.nan if v is None else float(v) for v in header["g"]], dtype=np.float64)
    if edges.size != g.size + 1:
        raise ProtocolError(f"logcorr: {edges.size} edges for {g.size} values")
    return edges, g


def delay_edges(header: dict[str, Any]) -> np.ndarray:
    """Bin edges (ps, int64[n_bins + 1]) of a histogram frame with ``lo_ps``, ``bin_width_ps`` and
    ``n_bins`` (``g2``, ``gated``, both axes of ``g3``)."""
    lo, bw, n = (int(header[k]) for k in ("lo_ps", "bin_width_ps", "n_bins"))
    return lo + bw * np.arange(n + 1, dtype=np.int64)
