# SPDX-License-Identifier: BSD-3-Clause
"""Why a server does not answer, from what a client socket's connection went through.

ZeroMQ hides connection trouble: a client connecting to nothing, to a server that refuses its
CURVE key, or with the wrong server key all see the same silence. ``LinkMonitor`` listens to
the socket's monitor events (libzmq >= 4.3: ``HANDSHAKE_*``) and turns the latest of them into
the error that says which it was (``g2live.protocol``): ``NoServerError`` (never connected),
``KeyRejectedError`` (the server's ZAP handler refused our key), ``ServerKeyError`` (the CURVE
handshake failed: wrong server key), ``EncryptionMismatchError`` (CURVE on one side only),
``ConnectionClosedError`` (connected, then the server went away), or a plain ``NoReplyError``
(connected, but no answer in time).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import zmq
from zmq.utils.monitor import recv_monitor_message

from g2live.protocol import (
    ConnectionClosedError,
    EncryptionMismatchError,
    KeyRejectedError,
    NoReplyError,
    NoServerError,
    ServerKeyError,
)

__all__ = ["LinkMonitor", "LinkState"]

# Only the events that change the diagnosis: reconnect attempts to nothing would fill the queue.
_EVENTS = (
    zmq.EVENT_CONNECTED
    | zmq.EVENT_DISCONNECTED
    | zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)
_ids = itertools.count()


@dataclass
class LinkState:
    """What the connection went through so far (the latest event of each kind wins)."""

    connected_ever: bool = False
    connected: bool = False
    handshake_ok: bool = False
    failure: int | None = None  # the last HANDSHAKE_FAILED_* event
    failure_value: int = 0
    closed_after_handshake: bool = False
    drops: int = 0  # established connections the server closed


class LinkMonitor:
    """Monitor of one client socket; ``error()`` explains a missing reply.

    Parameters
    ----------
    sock : zmq.Socket
        The client socket, before ``connect``.
    encrypted : bool
        Whether this client uses CURVE (decides which mismatch it is).
    """

    def __init__(self, sock: zmq.Socket, encrypted: bool) -> None:
        self.encrypted = encrypted
        self.state = LinkState()
        addr = f"inproc://g2live-link-{next(_ids)}-{id(sock):x}"
        sock.monitor(addr, _EVENTS)
        self._sock = sock
        self._mon = sock.context.socket(zmq.PAIR)
        self._mon.setsockopt(zmq.LINGER, 0)
        self._mon.connect(addr)

    def drain(self) -> LinkState:
        """Read the events waiting (never blocks) into ``state``."""
        st = self.state
        while True:
            try:
                ev = recv_monitor_message(self._mon, zmq.NOBLOCK)
            except zmq.Again:
                return st
            kind = ev["event"]
            if kind == zmq.EVENT_CONNECTED:
                st.connected_ever = st.connected = True
                st.handshake_ok = False
            elif kind == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                st.handshake_ok, st.failure, st.closed_after_handshake = True, None, False
            elif kind == zmq.EVENT_DISCONNECTED:
                st.closed_after_handshake = st.handshake_ok
                st.drops += st.handshake_ok
                st.connected = st.handshake_ok = False
            else:
                st.failure, st.failure_value = kind, int(ev["value"])

    def mark(self) -> int:
        """Call before a request: ``error(since=mark)`` then knows whether the server hung up on it."""
        return self.drain().drops

    def error(
        self, endpoint: str, timeout_s: float, missing: str = "no reply", since: int | None = None
    ) -> NoReplyError:
        """The error that best explains ``missing`` (no reply, nothing received) from ``endpoint``
        within ``timeout_s``; ``since``: a ``mark()`` taken when the request was sent."""
        st = self.drain()
        where = f"{endpoint}: {missing} within {timeout_s:.3g} s"
        if st.failure == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            return KeyRejectedError(
                f"{where}: the server refused our CURVE key (ZAP status {st.failure_value}): give "
                "--client-key with a key whose public part is in the server's --curve-clients folder"
            )
        if st.failure == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL:
            if st.failure_value == zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
                hint = (
                    "the server does not use CURVE: drop --server-key"
                    if self.encrypted
                    else "the server uses CURVE: give its public key with --server-key"
                )
                return EncryptionMismatchError(f"{where}: {hint}")
            return NoReplyError(
                f"{where}: handshake failed (ZeroMQ protocol error {st.failure_value:#x}): "
                "is this a g2live server?"
            )
        if st.failure == zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            if self.encrypted:
                # A plain server may close on our CURVE greeting before its ERROR arrives (seen
                # under load), which looks like a wrong server key: a plain handshake tells them apart.
                if _plain_handshake(self._sock.context, endpoint, min(max(timeout_s, 0.5), 2.0)):
                    return EncryptionMismatchError(
                        f"{where}: the server does not use CURVE: drop --server-key"
                    )
                return ServerKeyError(
                    f"{where}: the CURVE handshake failed: --server-key is not this server's public key"
                )
            # A CURVE server closes on a plain client's greeting, often before its ERROR arrives.
            return EncryptionMismatchError(
                f"{where}: the handshake failed: the server uses CURVE (or is not a g2live server): "
                "give its public key with --server-key"
            )
        if not st.connected_ever:
            return NoServerError(f"{where}: nothing listens there: is `g2live serve` running?")
        if (st.closed_after_handshake and not st.connected) or (since is not None and st.drops > since):
            return ConnectionClosedError(
                f"{where}: the server closed the connection (it stopped, or dropped a request over its "
                "size limit)"
            )
        return NoReplyError(f"{where}: connected, but the server did not answer in time (busy?)")

    def close(self) -> None:
        """Stop monitoring (before the socket closes: the context can then terminate)."""
        try:
            self._sock.disable_monitor()
        except zmq.ZMQError:
            pass  # the socket is already closed
        self._mon.close(linger=0)


def _plain_handshake(ctx: zmq.Context, endpoint: str, wait_s: float) -> bool:
    """Whether a client without CURVE completes the ZMTP handshake with ``endpoint`` within
    ``wait_s`` (it sends nothing: the server sees a connection open and close)."""
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    addr = f"inproc://g2live-probe-{next(_ids)}"
    sock.monitor(addr, zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
                 | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_AUTH)
    mon = ctx.socket(zmq.PAIR)
    mon.setsockopt(zmq.LINGER, 0)
    try:
        mon.connect(addr)
        sock.connect(endpoint)
        if not mon.poll(int(wait_s * 1000)):
            return False
        return recv_monitor_message(mon)["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED
    finally:
        sock.disable_monitor()
        mon.close(linger=0)
        sock.close(linger=0)
