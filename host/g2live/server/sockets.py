# SPDX-License-Identifier: BSD-3-Clause
"""The server's bound sockets: one way to open them, with the endpoint and encryption rules.

Both the publisher and the control socket bind through ``bind_socket``: it refuses an
unencrypted bind beyond loopback (``g2live.protocol.check_bind``) and warns when ``insecure``
allowed one, applies CURVE when keys are given, and turns ZeroMQ's bind error into an
``OSError`` that names the endpoint.
"""

from __future__ import annotations

import logging

import zmq

from g2live.curve import CurveKeys, CurveServer
from g2live.protocol import check_bind, is_loopback

__all__ = ["bind_socket"]

log = logging.getLogger("g2live.server")


def bind_socket(
    ctx: zmq.Context,
    kind: int,
    endpoint: str,
    what: str,
    *,
    options: dict[int, int] | None = None,
    curve: CurveKeys | None = None,
    insecure: bool = False,
    curve_server: CurveServer | None = None,
) -> tuple[zmq.Socket, CurveServer | None]:
    """A ``kind`` socket bound to ``endpoint``, and the ``CurveServer`` this call had to create.

    ``curve_server`` is reused when given (one ZAP authenticator per context); otherwise one is
    made from ``curve`` and returned so its owner can close it. ``what`` names the socket in
    errors ("publisher", "control"). ``options`` are set before the bind, where ZeroMQ needs
    them (high-water marks).
    """
    check_bind(endpoint, curve, insecure)
    if curve is None and not is_loopback(endpoint):
        log.warning(
            "%s on %s without encryption or authentication (--insecure): anyone who can reach it can %s",
            what,
            endpoint,
            "start, stop and reconfigure the instrument" if what == "control" else "read the data",
        )
    sock = ctx.socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    for option, value in (options or {}).items():
        sock.setsockopt(option, value)
    own = None
    if curve is not None:
        if curve_server is None:
            curve_server = own = CurveServer(ctx, curve)
        curve_server.apply(sock)
    try:
        sock.bind(endpoint)
    except zmq.ZMQError as exc:
        sock.close(linger=0)
        if own is not None:
            own.close()
        raise OSError(f"{what}: cannot bind {endpoint}: {exc}") from None
    return sock, own
