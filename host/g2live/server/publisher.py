# SPDX-License-Identifier: BSD-3-Clause
"""The data publisher: multipart ``[topic, JSON header, raw payload]`` messages (docs/protocol.md).

The publisher never blocks acquisition: sends are non-blocking with a bounded send queue
(SNDHWM); a message that cannot be queued is dropped and counted per topic, and the counts are
reported on the ``status`` topic.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import zmq

from g2live.curve import CurveKeys, CurveServer
from g2live.protocol import DEFAULT_PUB, pack_header
from g2live.server.sockets import bind_socket

__all__ = ["Publisher", "PublisherStats"]


@dataclass
class PublisherStats:
    """Messages sent and dropped (some subscriber's queue was full), per topic."""

    sent: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    dropped: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Publisher:
    """XPUB socket that publishes messages with per-topic ``seq`` and never blocks.

    ``sndhwm`` bounds each subscriber's queue (messages). A message is first offered with
    XPUB_NODROP, which makes ZeroMQ report (EAGAIN) that some subscriber's queue is full; we then
    count the drop and re-send it in lossy mode, so the subscribers that keep up still get it and
    only the slow one misses it (and sees a ``seq`` gap). Nothing here ever waits.
    """

    def __init__(
        self,
        endpoint: str = DEFAULT_PUB,
        *,
        ctx: zmq.Context | None = None,
        sndhwm: int = 100,
        curve: CurveKeys | None = None,
        insecure: bool = False,
        curve_server: CurveServer | None = None,
    ) -> None:
        self.ctx = ctx or zmq.Context.instance()
        # NODROP makes a full queue return EAGAIN on a non-blocking send, so drops are counted.
        options = {zmq.SNDHWM: sndhwm, zmq.XPUB_NODROP: 1, zmq.SNDTIMEO: 0}
        self.sock, self._own_curve = bind_socket(
            self.ctx,
            zmq.XPUB,
            endpoint,
            "publisher",
            options=options,
            curve=curve,
            insecure=insecure,
            curve_server=curve_server,
        )
        self.endpoint = self.sock.getsockopt_string(zmq.LAST_ENDPOINT)
        self.seq: dict[str, int] = defaultdict(int)
        self.stats = PublisherStats()
        self.subscriptions = 0

    def _drain_subscriptions(self) -> None:
        # XPUB delivers (un)subscribe messages; read them so they do not pile up.
        while True:
            try:
                msg = self.sock.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            if msg[:1] == b"\x01":
                self.subscriptions += 1
            elif msg[:1] == b"\x00":
                self.subscriptions -= 1

    def publish(self, topic: str, payload: np.ndarray, header: dict[str, Any]) -> bool:
        """Send one message; returns False (and counts a drop) if it could not be queued.

        ``seq`` advances for every message offered, sent or dropped, so receivers see our drops
        as gaps too.
        """
        self._drain_subscriptions()
        seq = self.seq[topic]
        self.seq[topic] = seq + 1
        hdr, arr = pack_header(topic, payload, {**header, "seq": seq})
        parts = [topic.encode(), hdr, arr]
        try:
            # copy=False: zero-copy for big payloads; ZeroMQ keeps a reference until sent.
            self.sock.send_multipart(parts, flags=zmq.NOBLOCK, copy=False)
        except zmq.Again:
            # Some subscriber is full: count it, then deliver to the others (lossy for that one).
            self.stats.dropped[topic] += 1
            self.sock.setsockopt(zmq.XPUB_NODROP, 0)
            try:
                self.sock.send_multipart(parts, flags=zmq.NOBLOCK, copy=False)
            except zmq.Again:
                pass
            finally:
                self.sock.setsockopt(zmq.XPUB_NODROP, 1)
            return False
        self.stats.sent[topic] += 1
        return True

    def close(self) -> None:
        self.sock.close(linger=0)
        if self._own_curve is not None:
            self._own_curve.close()

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
