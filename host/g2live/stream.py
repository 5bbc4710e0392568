"""Data publisher: multipart ``[topic, JSON header, raw payload]`` frames (docs/protocol.md).

The publisher never blocks acquisition: sends are non-blocking with a bounded send queue
(SNDHWM); a frame that cannot be queued is dropped and counted per topic, and the counts are
reported on the ``status`` topic.
"""

from __future__ import annotations

import ipaddress
import json
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import zmq

SCHEMA = 1
DEFAULT_PUB = "tcp://127.0.0.1:5555"
DEFAULT_CONTROL = "tcp://127.0.0.1:5556"
TOPICS = ("g2", "rates", "pulsed", "heralded", "trace", "sweep", "status", "analysis", "tags")
_DTYPES = {"<i8", "<u8", "<f8", "<i4", "<u4", "|u1", "|i1", "<i2", "<u2", "<f4"}


class ProtocolError(ValueError):
    """A message that does not follow docs/protocol.md."""


def dtype_str(arr: np.ndarray) -> str:
    """Type string with explicit byte order, e.g. ``<i8`` (protocol section 1.1)."""
    dt = arr.dtype.newbyteorder("<") if arr.dtype.byteorder == "=" else arr.dtype
    s = dt.str
    if s not in _DTYPES:
        raise ProtocolError(f"payload dtype {arr.dtype} is not one of the protocol's {sorted(_DTYPES)}")
    return s


def pack_header(topic: str, payload: np.ndarray, header: dict[str, Any]) -> tuple[bytes, np.ndarray]:
    """Header bytes and the C-contiguous little-endian payload to send."""
    arr = np.ascontiguousarray(payload)
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    full = {"schema": SCHEMA, "topic": topic, **header, "dtype": dtype_str(arr), "shape": list(arr.shape)}
    return json.dumps(full, separators=(",", ":"), default=json_default).encode(), arr


def unpack_frame(parts: list[Any]) -> tuple[str, dict[str, Any], np.ndarray]:
    """Decode one received message (list of bytes or zmq.Frame) into (topic, header, array).

    Raises ProtocolError naming what is wrong.
    """
    if len(parts) != 3:
        raise ProtocolError(f"expected 3 message parts, got {len(parts)}")
    topic_b, header_b, payload = (p.buffer if isinstance(p, zmq.Frame) else p for p in parts)
    try:
        topic = bytes(topic_b).decode("ascii")
        header = json.loads(bytes(header_b).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"header is not UTF-8 JSON: {exc}") from exc
    return topic, header, unpack_payload(header, payload, topic)


def unpack_payload(header: Any, payload: Any, what: str = "frame") -> np.ndarray:
    if not isinstance(header, dict):
        raise ProtocolError(f"{what}: header is not a JSON object")
    if header.get("schema") != SCHEMA:
        raise ProtocolError(f"{what}: schema {header.get('schema')!r}, this reader knows {SCHEMA}")
    dt, shape = header.get("dtype"), header.get("shape")
    if dt not in _DTYPES:
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


@dataclass
class CurveKeys:
    """Server CURVE key pair (z85 bytes) and optional allowed client keys folder."""

    public: bytes
    secret: bytes
    clients_dir: Path | None = None

    @classmethod
    def load(cls, secret_file: str | Path, clients_dir: str | Path | None = None) -> CurveKeys:
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


def check_bind(endpoint: str, curve: CurveKeys | None, insecure: bool) -> None:
    """Refuse a non-loopback bind without CURVE unless insecure was asked for explicitly."""
    if not is_loopback(endpoint) and curve is None and not insecure:
        raise ValueError(
            f"{endpoint} is not a loopback address: give CURVE keys (--curve-secret) "
            "or --insecure to bind it without encryption"
        )


def bind(sock: zmq.Socket, endpoint: str, what: str) -> None:
    """Bind, turning ZeroMQ's error into an OSError that names the endpoint (CLI: no traceback)."""
    try:
        sock.bind(endpoint)
    except zmq.ZMQError as exc:
        sock.close(linger=0)
        raise OSError(f"{what}: cannot bind {endpoint}: {exc}") from None


@dataclass
class PublisherStats:
    sent: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    dropped: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Publisher:
    """XPUB socket that publishes frames with per-topic ``seq`` and never blocks.

    ``sndhwm`` bounds each subscriber's queue (messages). A frame is first offered with
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
        check_bind(endpoint, curve, insecure)
        self.ctx = ctx or zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.XPUB)
        self.sock.setsockopt(zmq.SNDHWM, sndhwm)
        self.sock.setsockopt(zmq.LINGER, 0)
        # NODROP makes a full queue return EAGAIN on a non-blocking send, so drops are counted.
        self.sock.setsockopt(zmq.XPUB_NODROP, 1)
        self.sock.setsockopt(zmq.SNDTIMEO, 0)
        self._own_curve = None
        if curve is not None:
            self._own_curve = curve_server or CurveServer(self.ctx, curve)
            self._own_curve.apply(self.sock)
        bind(self.sock, endpoint, "publisher")
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
        """Send one frame; returns False (and counts a drop) if it could not be queued.

        ``seq`` advances for every frame offered, sent or dropped, so receivers see our drops as
        gaps too.
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


def wall_time() -> float:
    return time.time()
