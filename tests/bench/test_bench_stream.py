"""Streaming benchmarks over loopback, each next to a bare-pyzmq baseline measured in the same run.

- 4096-bin histograms of 4 pairs (128 KiB frames): frames per second received, and
  publish-to-receive latency at 1 kHz (the goal: 1 kHz at < 5 ms), g2live ``Publisher`` +
  ``Subscriber`` against a bare ``send_multipart``/``recv_multipart`` of the same bytes.
- raw ``tags`` frames (1 Mi words each): Mtags/s through the same two paths.

The receiver runs in its own process. Ratios are printed; nothing asserts a wall-clock figure.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import struct
import time

import numpy as np
import pytest
import zmq

pytestmark = pytest.mark.bench

HIST_SHAPE = (4, 4096)
TAG_WORDS = 1 << 20


def _receiver(endpoint: str, mode: str, n: int, q: mp.Queue) -> None:
    from g2live.client import Subscriber

    lat: list[float] = []
    got = 0
    items = 0
    if mode == "g2live":
        sub = Subscriber(endpoint, ["g2", "tags"], rcvhwm=0)
        q.put("ready")
        t0 = None
        while got < n:
            f = sub.recv(timeout_s=10)
            if f is None:
                break
            now = time.time_ns()
            t0 = t0 or time.perf_counter()
            lat.append((now - f.header["t_send_ns"]) * 1e-6)
            items += int(f.data.size)
            got += 1
        gaps = sum(sub.gaps.values())
    else:
        ctx = zmq.Context()
        s = ctx.socket(zmq.SUB)
        s.setsockopt(zmq.RCVHWM, 0)
        s.connect(endpoint)
        s.setsockopt(zmq.SUBSCRIBE, b"")
        q.put("ready")
        t0 = None
        while got < n:
            if not s.poll(10_000):
                break
            parts = s.recv_multipart(copy=False)
            now = time.time_ns()
            t0 = t0 or time.perf_counter()
            (sent,) = struct.unpack("<q", parts[1].bytes[:8])
            lat.append((now - sent) * 1e-6)
            items += len(parts[2].buffer) // 8
            got += 1
        gaps = 0
    elapsed = time.perf_counter() - (t0 or time.perf_counter())
    q.put({"frames": got, "items": items, "elapsed": elapsed, "lat": lat, "gaps": gaps})


def _run(mode: str, payload: np.ndarray, n: int, rate_hz: float | None) -> dict:
    from g2live.server import Publisher

    ctx = zmq.Context()
    if mode == "g2live":
        pub = Publisher("tcp://127.0.0.1:0", ctx=ctx, sndhwm=0)
        sock, endpoint = None, pub.endpoint
    else:
        pub = None
        sock = ctx.socket(zmq.PUB)
        sock.setsockopt(zmq.SNDHWM, 0)
        sock.bind("tcp://127.0.0.1:0")
        endpoint = sock.getsockopt_string(zmq.LAST_ENDPOINT)
    q: mp.Queue = mp.get_context("spawn").Queue()
    proc = mp.get_context("spawn").Process(target=_receiver, args=(endpoint, mode, n, q))
    proc.start()
    assert q.get(timeout=60) == "ready"
    time.sleep(0.5)  # subscription propagates
    topic = "tags" if payload.dtype == np.uint64 else "g2"
    header = {
        "run": 0,
        "t_start": 0.0,
        "t_stop": 0.0,
        "integration_s": 0.001,
        "units": "counts",
        "accumulated": True,
        "settings": {"bin_width_ps": 1024, "n_bins": 4096},
        "device": "bench",
    }
    t_next = time.perf_counter()
    for _ in range(n):
        if rate_hz:  # sleep, not spin: on 2 cores a spinning sender starves the receiver
            wait = t_next - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            t_next += 1.0 / rate_hz
        if pub is not None:
            pub.publish(topic, payload, {**header, "t_send_ns": time.time_ns()})
        else:
            hdr = struct.pack("<q", time.time_ns()) + json.dumps(header).encode()
            sock.send_multipart([topic.encode(), hdr, payload], copy=False)
    res = q.get(timeout=120)
    proc.join(30)
    dropped = 0 if pub is None else sum(pub.stats.dropped.values())
    (pub.close() if pub is not None else sock.close(linger=0))
    ctx.term()
    res["dropped"] = dropped
    return res


def _summary(res: dict) -> dict:
    lat = np.array(res["lat"][len(res["lat"]) // 10 :])  # skip the warm-up tenth
    return {
        "fps": res["frames"] / res["elapsed"] if res["elapsed"] > 0 else float("nan"),
        "items_per_s": res["items"] / res["elapsed"] if res["elapsed"] > 0 else float("nan"),
        "lat_median_ms": float(np.median(lat)),
        "lat_p99_ms": float(np.percentile(lat, 99)),
    }


def test_bench_histogram_frames() -> None:
    payload = np.random.default_rng(0).integers(0, 1000, HIST_SHAPE, dtype=np.int64)
    rows = {}
    for mode in ("bare", "g2live"):
        blast = _run(mode, payload, 3000, None)
        paced = _run(mode, payload, 2000, 1000.0)
        assert blast["frames"] == 3000 and paced["frames"] == 2000  # nothing lost with unbounded queues
        assert blast.get("gaps", 0) == 0 and blast["dropped"] == 0
        rows[mode] = (_summary(blast), _summary(paced))
    b, g = rows["bare"], rows["g2live"]
    print(
        f"\n4x4096-bin int64 histogram frames ({payload.nbytes // 1024} KiB), loopback, "
        "receiver in its own process"
    )
    print(f"{'path':28s} {'max frames/s':>13s} {'1 kHz: median ms':>17s} {'p99 ms':>8s}")
    for name, (blast, paced) in (("bare pyzmq send/recv", b), ("g2live Publisher/Subscriber", g)):
        print(f"{name:28s} {blast['fps']:13.0f} {paced['lat_median_ms']:17.3f} {paced['lat_p99_ms']:8.3f}")
    print(
        f"ratio g2live / bare: frames/s {g[0]['fps'] / b[0]['fps']:.2f}, "
        f"median latency at 1 kHz {g[1]['lat_median_ms'] / b[1]['lat_median_ms']:.2f}"
    )


def test_bench_raw_tags() -> None:
    payload = np.arange(TAG_WORDS, dtype=np.uint64) | np.uint64(1 << 60)
    rows = {}
    for mode in ("bare", "g2live"):
        res = _run(mode, payload, 200, None)
        assert res["frames"] == 200 and res["items"] == 200 * TAG_WORDS
        rows[mode] = _summary(res)
    b, g = rows["bare"], rows["g2live"]
    print(f"\nraw tag frames of {TAG_WORDS} words (8 MiB), loopback")
    print(
        f"bare pyzmq: {b['items_per_s'] / 1e6:8.1f} Mtags/s   "
        f"g2live: {g['items_per_s'] / 1e6:8.1f} Mtags/s   "
        f"ratio {g['items_per_s'] / b['items_per_s']:.2f}"
    )
