# SPDX-License-Identifier: BSD-3-Clause
"""The wire vocabulary of ``g2live serve`` (docs/protocol.md), shared by server and clients.

One place for what both ends of a socket must agree on:

- names: ``SCHEMA``, ``TOPICS`` (``LIVE_TOPICS`` among them), ``DEFAULT_PUB`` /
  ``DEFAULT_CONTROL``, ``SNAPSHOT_TOPICS``, and
  the ``columns`` of the ``analysis`` and ``sweep`` topics (``ANALYSIS_COLUMNS``,
  ``SWEEP_COLUMNS``);
- the message codec: ``pack_header`` (header bytes and the payload to send),
  ``unpack_message`` (three received parts -> topic, header, array), ``unpack_payload`` and the
  dtype rule (``DTYPES``, ``dtype_str``); ``json_default`` for numpy values in JSON;
- the errors: ``ProtocolError`` (a message that breaks the protocol), ``CommandError`` (a
  request the server refuses), ``ControlError`` (a refusal as the client sees it), and what a
  client can tell about a server that does not answer (``NoReplyError`` and its kinds
  ``NoServerError``, ``KeyRejectedError``, ``ServerKeyError``, ``EncryptionMismatchError``,
  ``ConnectionClosedError``);
- the request limits of the control socket: ``MAX_REQUEST_BYTES``, ``MAX_REQUEST_DEPTH``;
- endpoint rules: ``check_endpoint`` (the syntax: ``tcp://HOST:PORT`` or ``ipc://PATH``),
  ``is_loopback``, ``check_bind`` (no unencrypted bind beyond loopback unless asked for).

Nothing here opens a socket; this module needs only numpy, so any part of the package may
import it.
"""

from __future__ import annotations

import ipaddress
import json
import re
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from g2live.curve import CurveKeys

__all__ = [
    "SCHEMA",
    "DEFAULT_PUB",
    "DEFAULT_CONTROL",
    "TOPICS",
    "LIVE_TOPICS",
    "DTYPES",
    "SNAPSHOT_TOPICS",
    "ANALYSIS_COLUMNS",
    "SWEEP_COLUMNS",
    "ProtocolError",
    "CommandError",
    "ControlError",
    "NoReplyError",
    "NoServerError",
    "KeyRejectedError",
    "ServerKeyError",
    "EncryptionMismatchError",
    "ConnectionClosedError",
    "MAX_REQUEST_BYTES",
    "MAX_REQUEST_DEPTH",
    "dtype_str",
    "pack_header",
    "unpack_message",
    "unpack_payload",
    "json_default",
    "STALE_INTERVALS",
    "status_interval_s",
    "stale_after_s",
    "check_endpoint",
    "is_loopback",
    "check_bind",
]

SCHEMA = 1
DEFAULT_PUB = "tcp://127.0.0.1:5555"
DEFAULT_CONTROL = "tcp://127.0.0.1:5556"
# The live taggers' measurements (section 1.2): published only while their setting is on.
LIVE_TOPICS = ("logcorr", "coincidences", "heralded_g2", "g3", "gated")
TOPICS = ("g2", "rates", "pulsed", "heralded", "trace", "sweep", "status", "analysis", "tags", "markers",
          *LIVE_TOPICS)
# Payload type strings, always with explicit byte order (section 1.1).
DTYPES = frozenset({"<i8", "<u8", "<f8", "<i4", "<u4", "|u1", "|i1", "<i2", "<u2", "<f4"})
# Topics with an accumulated state that ``snapshot`` can return; also its default (section 2).
# The LIVE_TOPICS can be asked for by name too, while their setting is on.
SNAPSHOT_TOPICS = ("g2", "pulsed", "rates", "analysis", "status")
ANALYSIS_COLUMNS = ("g2_0", "g2_0_err", "purity", "purity_err", "g2_0_poisson_norm", "rate_cps", "n_center")
# A client that hears no `status` for this many of its intervals calls the server gone (1.3).
STALE_INTERVALS = 2
# Control requests (section 2): larger or deeper ones are answered ok: false naming the limit.
MAX_REQUEST_BYTES = 1 << 20
MAX_REQUEST_DEPTH = 32
SWEEP_COLUMNS = (
    "power",
    "g2_0",
    "g2_0_err",
    "purity",
    "purity_err",
    "g2_0_poisson_norm",
    "rate_cps",
    "integration_s",
    "reached",
)


class ProtocolError(ValueError):
    """A message that does not follow docs/protocol.md."""


class CommandError(ValueError):
    """A control request the server refuses; ``field`` names the offending argument."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ControlError(RuntimeError):
    """The server refused a command; ``field`` names the offending setting when known."""

    def __init__(self, message: str, field: str | None = None, reply: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.reply = reply or {}


class NoReplyError(TimeoutError):
    """A server did not answer; the subclasses say why, as far as the connection shows it."""


class NoServerError(NoReplyError):
    """Nothing accepted the connection: no server listens at the endpoint."""


class KeyRejectedError(NoReplyError):
    """The server refused our CURVE key (it restricts clients to the keys in its folder)."""


class ServerKeyError(NoReplyError):
    """The CURVE handshake failed: the server key we were given is not this server's."""


class EncryptionMismatchError(NoReplyError):
    """One side uses CURVE and the other does not."""


class ConnectionClosedError(NoReplyError):
    """The server closed the connection while we waited (it stopped, or dropped our request)."""


def status_interval_s(status: dict[str, Any]) -> float:
    """How often the server of this ``status`` publishes one (its ``status_interval_s``, else 1 s)."""
    interval = status.get("status_interval_s")
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not 0 < interval < 3600:
        return 1.0
    return float(interval)


def stale_after_s(status: dict[str, Any]) -> float:
    """Seconds without a ``status`` message after which its server is gone (or unreachable):
    ``STALE_INTERVALS`` missed intervals, plus half an interval of slack for a busy server."""
    return (STALE_INTERVALS + 0.5) * status_interval_s(status)


def dtype_str(arr: np.ndarray) -> str:
    """Type string with explicit byte order, e.g. ``<i8`` (protocol section 1.1)."""
    dt = arr.dtype.newbyteorder("<") if arr.dtype.byteorder == "=" else arr.dtype
    s = dt.str
    if s not in DTYPES:
        raise ProtocolError(f"payload dtype {arr.dtype} is not one of the protocol's {sorted(DTYPES)}")
    return s


def pack_header(topic: str, payload: np.ndarray, header: dict[str, Any]) -> tuple[bytes, np.ndarray]:
    """Header bytes and the C-contiguous little-endian payload to send."""
    arr = np.ascontiguousarray(payload)
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    full = {"schema": SCHEMA, "topic": topic, **header, "dtype": dtype_str(arr), "shape": list(arr.shape)}
    return json.dumps(full, separators=(",", ":"), default=json_default).encode(), arr


def _buffer(part: Any) -> Any:
    """The bytes of a received part: a ``zmq.Frame`` exposes them as ``.buffer``."""
    return getattr(part, "buffer", part)


def unpack_message(parts: list[Any]) -> tuple[str, dict[str, Any], np.ndarray]:
    """Decode one received message (3 parts: bytes or ``zmq.Frame``) into (topic, header, array).

    Raises ProtocolError naming what is wrong.
    """
    if len(parts) != 3:
        raise ProtocolError(f"expected 3 message parts, got {len(parts)}")
    topic_b, header_b, payload = (_buffer(p) for p in parts)
    try:
        topic = bytes(topic_b).decode("ascii")
        header = json.loads(bytes(header_b).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"header is not UTF-8 JSON: {exc}") from exc
    return topic, header, unpack_payload(header, payload, topic)


def unpack_payload(header: Any, payload: Any, what: str = "message") -> np.ndarray:
    """The read-only array ``payload`` holds, checked against ``header``'s schema, dtype and shape."""
    if not isinstance(header, dict):
        raise ProtocolError(f"{what}: header is not a JSON object")
    if header.get("schema") != SCHEMA:
        raise ProtocolError(f"{what}: schema {header.get('schema')!r}, this reader knows {SCHEMA}")
    dt, shape = header.get("dtype"), header.get("shape")
    if dt not in DTYPES:
        raise ProtocolError(f"{what}: dtype {dt!r} unknown")
    if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ProtocolError(f"{what}: shape {shape!r} is not a list of non-negative ints")
    dtype = np.dtype(dt)
    mv = memoryview(payload).cast("B")
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if mv.nbytes != n * dtype.itemsize:
        raise ProtocolError(
            f"{what}: payload has {mv.nbytes} bytes, dtype {dt} shape {shape} needs {n * dtype.itemsize}"
        )
    return np.frombuffer(mv, dtype=dtype).reshape(shape)


def json_default(obj: Any) -> Any:
    """``json.dumps`` fallback for numpy scalars and arrays (and paths) in headers and replies."""
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


_HOST = re.compile(r"\*|\[[0-9A-Fa-f:.%A-Za-z]+\]|[A-Za-z0-9]([A-Za-z0-9.\-_%]*[A-Za-z0-9])?")


def check_endpoint(endpoint: str, *, bind: bool, any_port: bool = False) -> None:
    """Refuse an endpoint ZeroMQ would misread: ``tcp://HOST:PORT`` (PORT 1..65535) or ``ipc://PATH``.

    ``bind``: the host may be ``*`` (all interfaces). ``any_port`` (the Python API, not the
    command line): a bind may ask for any free port (``0`` or ``*``), and ``inproc://NAME``
    (one process, one ZeroMQ context) is allowed. Raises ValueError saying what is wrong.
    """
    if not isinstance(endpoint, str) or not endpoint.isprintable() or any(c.isspace() for c in endpoint):
        raise ValueError(f"{endpoint!r} is not an endpoint (tcp://HOST:PORT or ipc://PATH)")
    scheme, sep, rest = endpoint.partition("://")
    if any_port and scheme == "inproc" and rest:
        return
    if not sep or scheme not in ("tcp", "ipc"):
        raise ValueError(f"{endpoint!r} is not an endpoint (tcp://HOST:PORT or ipc://PATH)")
    if scheme == "ipc":
        if not rest:
            raise ValueError(f"{endpoint!r}: ipc:// needs a path")
        return
    host, colon, port = rest.rpartition(":")
    if not colon or not host:
        raise ValueError(f"{endpoint!r}: expected tcp://HOST:PORT")
    if not _HOST.fullmatch(host) or (host == "*" and not bind):
        raise ValueError(f"{endpoint!r}: {host!r} is not a host name or address")
    if any_port and bind and port in ("0", "*"):
        return
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{endpoint!r}: port {port!r} is not in 1..65535")


def is_loopback(endpoint: str) -> bool:
    """True for tcp endpoints on 127.0.0.0/8, ::1 or localhost, and for ipc/inproc."""
    url = urllib.parse.urlsplit(endpoint)
    if url.scheme in ("ipc", "inproc"):
        return True
    host = url.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # an interface name or '*': not loopback


def check_bind(endpoint: str, curve: CurveKeys | None, insecure: bool) -> None:
    """Refuse a malformed endpoint, and a non-loopback bind without CURVE keys unless
    ``insecure`` was asked for explicitly."""
    check_endpoint(endpoint, bind=True, any_port=True)
    if not is_loopback(endpoint) and curve is None and not insecure:
        raise ValueError(
            f"{endpoint} is not a loopback address: give CURVE keys (--curve-secret) "
            "or --insecure to bind it without encryption"
        )
