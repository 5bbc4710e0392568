# SPDX-License-Identifier: BSD-3-Clause
"""CURVE encryption of the ZeroMQ sockets (docs/protocol.md section 4), for both ends.

Keys: ``public_key`` reads a public key given as a key file, a Z85 string or bytes (40 Z85
characters, or the 32 raw bytes); ``client_key_pair`` reads a client's key pair from its
``.key_secret`` file. ``CurveKeys.generate`` writes a pair (``BASE.key`` public, readable by
all; ``BASE.key_secret`` secret, mode 0600; an existing pair is kept unless ``force``).

Server side: ``CurveKeys`` (the server's key pair and an optional folder of allowed client keys)
and ``CurveServer`` (applies them to a socket; with a clients folder, runs ZeroMQ's ZAP
authenticator). Client side: ``apply_client_curve`` sets a socket up to talk to a CURVE server.
"""

from __future__ import annotations

import datetime
import logging
import os
import stat
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq
import zmq.auth
from zmq.utils import z85

__all__ = ["CurveKeys", "CurveServer", "apply_client_curve", "public_key", "client_key_pair"]

log = logging.getLogger("g2live.curve")

KEY_LEN = 32  # bytes of a Curve25519 key; 40 characters in Z85
Z85_LEN = 40


def _z85(key: Any, what: str) -> bytes:
    """``key`` as 40 Z85 bytes (from Z85 text or the 32 raw bytes); ValueError naming ``what``."""
    if isinstance(key, (bytes, bytearray, memoryview)):
        raw = bytes(key)
        if len(raw) == KEY_LEN:
            return z85.encode(raw)
    elif isinstance(key, str):
        try:
            raw = key.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError(f"{what}: not a CURVE key (characters outside the Z85 alphabet)") from None
    else:
        raise ValueError(f"{what}: expected a key file, a Z85 str or bytes, got {type(key).__name__}")
    raw = raw.strip()
    if len(raw) != Z85_LEN:
        raise ValueError(
            f"{what}: not a CURVE key (expected 40 Z85 characters or a key file, got {len(raw)} characters)"
        )
    try:
        z85.decode(raw)
    except (ValueError, KeyError, IndexError, struct.error, OverflowError):
        raise ValueError(f"{what}: not a CURVE key (characters outside the Z85 alphabet)") from None
    return raw


def _load_file(path: Path, what: str) -> tuple[bytes, bytes | None]:
    """(public, secret or None) of a ZeroMQ certificate file, both checked."""
    try:
        pub, sec = zmq.auth.load_certificate(str(path))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{what}: {path}: not a CURVE key file ({exc})") from None
    return _z85(pub, f"{what} {path}"), None if sec is None else _z85(sec, f"{what} {path}")


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # e.g. a NUL character: not a file name
        return False


def public_key(key: bytes | str | os.PathLike[str], what: str = "server key") -> bytes:
    """A CURVE public key as 40 Z85 bytes.

    Parameters
    ----------
    key : bytes, str or path
        A key file (``BASE.key`` or ``BASE.key_secret``: its public key), a Z85 string, or bytes
        (40 Z85 characters or the 32 raw bytes).
    what : str
        Names the key in errors (``--server-key``).

    Raises
    ------
    ValueError
        Neither an existing key file nor a well-formed key.
    """
    if isinstance(key, os.PathLike) or (isinstance(key, str) and _is_file(key)):
        return _load_file(Path(key), what)[0]
    if isinstance(key, str) and len(key.strip()) != Z85_LEN:
        raise ValueError(f"{what}: {key!r} is neither a key file nor a 40-character Z85 key")
    return _z85(key, what)


def client_key_pair(keys: Any, what: str = "client key") -> tuple[bytes, bytes]:
    """This client's (public, secret) pair from its ``.key_secret`` file or a ``(public, secret)`` pair."""
    if isinstance(keys, (str, os.PathLike)):
        pub, sec = _load_file(Path(keys), what)
        if sec is None:
            raise ValueError(f"{what}: {keys} holds no secret key (pass the .key_secret file)")
        return pub, sec
    try:
        pub, sec = keys
    except (TypeError, ValueError):
        raise ValueError(f"{what}: expected a .key_secret file or a (public, secret) pair") from None
    return _z85(pub, f"{what} (public)"), _z85(sec, f"{what} (secret)")


def _certificate(public: bytes, secret: bytes | None) -> str:
    """The text of a ZeroMQ (ZPL) certificate file, as ``zmq.auth.load_certificate`` reads it."""
    kind = "**Secret**" if secret else "Public"
    lines = [
        f"#   ****  Generated on {datetime.datetime.now().isoformat(timespec='seconds')} by g2live  ****",
        f"#   ZeroMQ CURVE {kind} Certificate",
        "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions." if secret
        else "#   Give this file to the clients (or to the server's --curve-clients folder).",
        "",
        "metadata",
        "curve",
        f'    public-key = "{public.decode()}"',
    ]
    if secret:
        lines.append(f'    secret-key = "{secret.decode()}"')
    return "\n".join(lines) + "\n"


def _write_new(path: Path, text: str, mode: int, force: bool) -> None:
    """Write ``path`` with ``mode`` from the first byte on; refuse to replace it unless ``force``."""
    if not force:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(path, mode)  # the umask may have taken bits away from a public file
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


@dataclass
class CurveKeys:
    """Server CURVE key pair (z85 bytes) and optional allowed client keys folder."""

    public: bytes
    secret: bytes
    clients_dir: Path | None = None

    @classmethod
    def load(cls, secret_file: str | Path, clients_dir: str | Path | None = None) -> CurveKeys:
        """Read a ``.key_secret`` file written by ``generate`` (or ``zmq.auth``)."""
        if not zmq.has("curve"):
            raise OSError("this libzmq has no CURVE support")
        path = Path(secret_file)
        public, secret = _load_file(path, "--curve-secret")
        if secret is None:
            raise ValueError(f"--curve-secret: {path} holds no secret key (pass the .key_secret file)")
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("%s can be read by other users: chmod 600 it", path)
        if clients_dir is not None and not Path(clients_dir).is_dir():
            raise ValueError(f"--curve-clients: {clients_dir} is not a folder")
        return cls(public, secret, Path(clients_dir) if clients_dir else None)

    @staticmethod
    def generate(base: str | Path, force: bool = False) -> tuple[Path, Path]:
        """Write ``base.key`` (public, mode 0644) and ``base.key_secret`` (mode 0600).

        An existing key pair is never replaced unless ``force``: FileExistsError names it.
        """
        base = Path(base)
        pub_file, sec_file = base.with_name(base.name + ".key"), base.with_name(base.name + ".key_secret")
        existing = [str(p) for p in (pub_file, sec_file) if p.exists()]
        if existing and not force:
            names = " and ".join(existing)
            raise FileExistsError(f"{names} already exist: not replaced (--force replaces the key pair)")
        base.parent.mkdir(parents=True, exist_ok=True)
        public, secret = zmq.curve_keypair()
        _write_new(sec_file, _certificate(public, secret), 0o600, force)
        _write_new(pub_file, _certificate(public, None), 0o644, force)
        return pub_file, sec_file


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


def apply_client_curve(sock: zmq.Socket, server_key: Any, client_keys: Any = None) -> None:
    """Make ``sock`` a CURVE client of the server whose public key is ``server_key``.

    ``server_key``: the server's public key as a key file, Z85 str or bytes (``public_key``);
    None leaves the socket unencrypted. ``client_keys``: this client's ``.key_secret`` file
    (needed when the server restricts clients), a ``(public, secret)`` pair, or None for an
    ephemeral pair (encryption without client authentication). Raises ValueError for a key
    that is not one.
    """
    if server_key is None:
        if client_keys is not None:
            raise ValueError("a client key needs the server's key too (--server-key)")
        return
    server = public_key(server_key)
    pub, sec = client_key_pair(client_keys) if client_keys is not None else zmq.curve_keypair()
    sock.curve_serverkey = server
    sock.curve_publickey = pub
    sock.curve_secretkey = sec
