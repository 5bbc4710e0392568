# SPDX-License-Identifier: BSD-3-Clause
"""CURVE encryption of the ZeroMQ sockets (docs/protocol.md section 4), for both ends.

Server side: ``CurveKeys`` (the server's key pair and an optional folder of allowed client
keys) and ``CurveServer`` (applies them to a socket; with a clients folder, runs ZeroMQ's ZAP
authenticator). Client side: ``apply_client_curve`` sets a socket up to talk to a CURVE server.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq

__all__ = ["CurveKeys", "CurveServer", "apply_client_curve"]


@dataclass
class CurveKeys:
    """Server CURVE key pair (z85 bytes) and optional allowed client keys folder."""

    public: bytes
    secret: bytes
    clients_dir: Path | None = None

    @classmethod
    def load(cls, secret_file: str | Path, clients_dir: str | Path | None = None) -> CurveKeys:
        """Read a ``.key_secret`` file written by ``generate`` (or ``zmq.auth``)."""
        import zmq.auth

        if not zmq.has("curve"):
            raise OSError("this libzmq has no CURVE support")
        public, secret = zmq.auth.load_certificate(str(secret_file))
        if secret is None:
            raise ValueError(f"{secret_file}: holds no secret key (pass the .key_secret file)")
        return cls(public, secret, Path(clients_dir) if clients_dir else None)

    @staticmethod
    def generate(base: str | Path) -> tuple[Path, Path]:
        """Write ``base.key`` (public) and ``base.key_secret``; return their paths."""
        import zmq.auth

        base = Path(base)
        base.parent.mkdir(parents=True, exist_ok=True)
        pub, sec = zmq.auth.create_certificates(str(base.parent), base.name)
        return Path(pub), Path(sec)


class CurveServer:
    """Applies CURVE server options to sockets; with a clients folder, runs a ZAP authenticator."""

    def __init__(self, ctx: zmq.Context, keys: CurveKeys) -> None:
        self.keys = keys
        self._auth = None
        if keys.clients_dir is not None:
            from zmq.auth.thread import ThreadAuthenticator

            self._auth = ThreadAuthenticator(ctx)
            self._auth.start()
            self._auth.configure_curve(domain="*", location=str(keys.clients_dir))

    def apply(self, sock: zmq.Socket) -> None:
        sock.curve_secretkey = self.keys.secret
        sock.curve_publickey = self.keys.public
        sock.curve_server = True

    def close(self) -> None:
        if self._auth is not None:
            self._auth.stop()


def apply_client_curve(sock: zmq.Socket, server_key: bytes | str | None, client_keys: Any = None) -> None:
    """Make ``sock`` a CURVE client of the server whose public key is ``server_key``.

    ``server_key``: z85 key, or the path of the server's public key file; None leaves the socket
    unencrypted. ``client_keys``: this client's key file (needed when the server restricts
    clients), a ``(public, secret)`` pair, or None for an ephemeral pair (encryption without
    client authentication).
    """
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
        pub, sec = zmq.curve_keypair()
    sock.curve_serverkey = server_key.encode() if isinstance(server_key, str) else server_key
    sock.curve_publickey = pub
    sock.curve_secretkey = sec
