# SPDX-License-Identifier: BSD-3-Clause
"""The wire vocabulary of ``g2live serve`` (docs/protocol.md), shared by server and clients.

One place for what both ends of a socket must agree on:

- names: ``SCHEMA``, ``TOPICS``, ``DEFAULT_PUB`` / ``DEFAULT_CONTROL``, ``SNAPSHOT_TOPICS``, and
  the ``columns`` of the ``analysis`` and ``sweep`` topics (``ANALYSIS_COLUMNS``,
  ``SWEEP_COLUMNS``);
- the message codec: ``pack_header`` (header bytes and the payload to send),
  ``unpack_message`` (three received parts -> topic, header, array), ``unpack_payload`` and the
  dtype rule (``DTYPES``, ``dtype_str``); ``json_default`` for numpy values in JSON;
- the errors: ``ProtocolError`` (a message that breaks the protocol), ``CommandError`` (a
  request the server refuses), ``ControlError`` (a refusal as the client sees it);
- endpoint rules: ``is_loopback``, ``check_bind`` (no unencrypted bind beyond loopback unless
  asked for).

Nothing here opens a socket; this module needs only numpy, so any part of the package may
import it.
"""

from __future__ import annotations

import ipaddress
import json
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
    "DTYPES",
    "SNAPSHOT_TOPICS",
    "ANALYSIS_COLUMNS",
    "SWEEP_COLUMNS",
    "ProtocolError",
    "CommandError",
    "ControlError",
    "dtype_str",
    "pack_header",
    "unpack_message",
    "unpack_payload",
    "json_default",
    "is_loopback",
    "check_bind",
]

SCHEMA = 1
DEFAULT_PUB = "tcp://127.0.0.1:5555"
DEFAULT_CONTROL = "tcp://127.0.0.1:5556"
TOPICS = ("g2", "rates", "pulsed", "heralded", "trace", "sweep", "status", "analysis", "tags")
# Payload type strings, always with explicit byte order (section 1.1).
DTYPES = frozenset({"<i8", "<u8", "<f8", "<i4", "<u4", "|u1", "|i1", "<i2", "<u2", "<f4"})
# Topics with an accumulated state that ``snapshot`` can return; also its default (section 2).
SNAPSHOT_TOPICS = ("g2", "pulsed", "rates", "analysis", "status")
ANALYSIS_COLUMNS = ("g2_0", "g2_0_err", "purity", "purity_err", "g2_0_poisson_norm", "rate_cps", "n_center")
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
    """Refuse a non-loopback bind without CURVE keys unless ``insecure`` was asked for explicitly."""
    if not is_loopback(endpoint) and curve is None and not insecure:
        raise ValueError(
            f"{endpoint} is not a loopback address: give CURVE keys (--curve-secret) "
            "or --insecure to bind it without encryption"
        )
