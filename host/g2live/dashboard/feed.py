"""Background receiver: one SUB socket, every frame decoded, newest frame per topic kept.

The dashboard renders at a fixed rate (10 Hz) while the publisher may send much faster. A thread
receives everything (so ZeroMQ's queue never fills and the publisher never has to drop for us),
keeps only the newest frame of each topic for the renderer (conflation), and folds the frames
that are *not* accumulated by the server (``rates``, ``heralded``, ``trace``, ``sweep``,
``analysis`` history) into bounded accumulators, because conflating those would lose data.
Every buffer here has a fixed upper size, so memory stays flat however long it runs.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import zmq

from g2live.client import Message as Frame
from g2live.client import Subscriber

from .worker import ThreadedWorker

# Topics the dashboard shows; "tags" (raw words) is deliberately not subscribed: it can be large.
TOPICS = ("g2", "rates", "pulsed", "heralded", "trace", "sweep", "status", "analysis")
HISTORY_LEN = 3000  # points kept for time series: 5 min at 10 frames/s
TRACE_LEN = 6000  # trace bins kept: 60 s at the default 10 ms bin
DELAY_BIN_PS = 50  # bin of the heralded decay histograms
DELAY_BINS = 2000  # 100 ns: one period at 10 MHz
MAX_PIXELS = 64  # channel numbers are 0..63


@dataclass
class Heralded:
    """Heralded-pair records of one run folded into per-pixel spectra and decay histograms."""

    run: int = -1
    records: int = 0
    first: np.ndarray = field(default_factory=lambda: np.zeros(MAX_PIXELS, np.int64))
    second: np.ndarray = field(default_factory=lambda: np.zeros(MAX_PIXELS, np.int64))
    delay_first: np.ndarray = field(default_factory=lambda: np.zeros(DELAY_BINS, np.int64))
    delay_second: np.ndarray = field(default_factory=lambda: np.zeros(DELAY_BINS, np.int64))
    delay_overflow: int = 0  # delays beyond the histogram range: counted, not hidden
    version: int = 0

    def add(self, header: dict[str, Any], rec: np.ndarray) -> None:
        run = int(header.get("run", 0))
        if run != self.run:  # a new run never mixes with the old one (protocol 1.1 `run`)
            self.run, self.records, self.delay_overflow = run, 0, 0
            for hist in (self.first, self.second, self.delay_first, self.delay_second):
                hist[:] = 0
        if rec.size:
            cols = header.get("columns") or ["period", "channel_first", "delay_first_ps",
                                             "channel_second", "delay_second_ps"]
            c = {name: rec[:, i] for i, name in enumerate(cols)}
            self.first += np.bincount(c["channel_first"], minlength=MAX_PIXELS)[:MAX_PIXELS]
            self.second += np.bincount(c["channel_second"], minlength=MAX_PIXELS)[:MAX_PIXELS]
            for delays, hist in ((c["delay_first_ps"], self.delay_first),
                                 (c["delay_second_ps"], self.delay_second)):
                k = delays // DELAY_BIN_PS
                inside = (k >= 0) & (k < DELAY_BINS)
                hist += np.bincount(k[inside], minlength=DELAY_BINS)
                self.delay_overflow += int((~inside).sum())
            self.records += int(rec.shape[0])
        self.version += 1


class Trace:
    """Ring of the newest intensity-trace bins (counts per ``trace_bin_ps``)."""

    def __init__(self, length: int = TRACE_LEN) -> None:
        self.counts: deque[int] = deque(maxlen=length)
        self.t_s: deque[float] = deque(maxlen=length)  # device time of each bin's left edge
        self.bin_s = 0.0
        self.run = -1
        self.version = 0

    def add(self, header: dict[str, Any], data: np.ndarray) -> None:
        run = int(header.get("run", 0))
        bin_s = float(header.get("trace_bin_ps", 0)) * 1e-12
        if run != self.run or bin_s != self.bin_s:
            self.counts.clear()
            self.t_s.clear()
            self.run, self.bin_s = run, bin_s
        t0 = float(header.get("t0_ps", 0)) * 1e-12
        self.counts.extend(int(v) for v in data)
        self.t_s.extend(t0 + i * bin_s for i in range(data.size))
        self.version += 1


@dataclass
class SweepPoints:
    """Points of the newest power sweep (bounded by its declared ``n_points``)."""

    sweep_id: Any = None
    points: dict[int, dict[str, float]] = field(default_factory=dict)
    n_points: int = 0
    done: bool = False
    version: int = 0

    def add(self, header: dict[str, Any]) -> None:
        sid = header.get("sweep_id")
        if sid != self.sweep_id:
            self.sweep_id, self.points, self.done = sid, {}, False
        self.n_points = int(header.get("n_points", 0))
        point = int(header.get("point", len(self.points)))
        if 0 <= point < max(self.n_points, 1) + 10_000:  # never unbounded, even if n_points lies
            values = header.get("values") or {}
            self.points[point] = {k: (float("nan") if v is None else float(v)) for k, v in values.items()
                                  if isinstance(v, (int, float)) or v is None}
        self.done = bool(header.get("done", False))
        self.version += 1


class History:
    """Rows appended with a running index, so each browser session can ask for what is new."""

    def __init__(self, length: int = HISTORY_LEN) -> None:
        self.rows: deque[tuple[int, dict[str, float]]] = deque(maxlen=length)
        self.next_index = 0

    def append(self, row: dict[str, float]) -> None:
        self.rows.append((self.next_index, row))
        self.next_index += 1

    def since(self, index: int) -> tuple[list[dict[str, float]], int]:
        """Rows with index >= ``index`` (those still kept) and the index to ask for next time."""
        if not self.rows or index >= self.next_index:
            return [], self.next_index
        first = self.rows[0][0]
        start = max(index - first, 0)
        return [r for _, r in list(self.rows)[start:]], self.next_index


class Feed(ThreadedWorker):
    """Receives frames from ``pub`` in a thread; the renderer reads under ``lock``.

    Decoding, ``seq`` gap counting and malformed-message counting are the protocol client's
    (``g2live.client.Subscriber``); this class adds the conflation and accumulation policy.
    """

    thread_name = "g2live-dashboard-feed"

    def __init__(self, pub: str, *, ctx: zmq.Context | None = None, rcvhwm: int = 1000,
                 server_key: bytes | str | None = None) -> None:
        super().__init__()
        self.pub = pub
        self.lock = threading.Lock()
        self.latest: dict[str, Frame] = {}
        self.versions: dict[str, int] = {}
        self.received: dict[str, int] = {}
        self.gaps: dict[str, int] = {}
        self.malformed = 0
        self.last_error = ""
        self.last_frame: float | None = None  # time.monotonic() of the newest frame
        self.heralded = Heralded()
        self.trace = Trace()
        self.sweep = SweepPoints()
        self.analysis = History()
        self.rates = History()
        self._sub = Subscriber(pub, TOPICS, ctx=ctx, rcvhwm=rcvhwm, server_key=server_key)

    def _run(self) -> None:
        sub = self._sub
        try:
            while not self._stop.is_set():
                first = sub.recv(timeout_s=0.1)  # wake up regularly to notice stop()
                if first is None:
                    self._sync_counters()
                    continue
                # Drain what is queued, then hand it to the renderer in one locked step.
                batch = [first]
                while len(batch) < 10_000:
                    frame = sub.recv(timeout_s=0.0)
                    if frame is None:
                        break
                    batch.append(frame)
                with self.lock:
                    for frame in batch:
                        self._take(frame)
                    self._sync_counters_locked()
        finally:
            sub.close()

    def _sync_counters(self) -> None:
        with self.lock:
            self._sync_counters_locked()

    def _sync_counters_locked(self) -> None:
        sub = self._sub
        self.gaps = dict(sub.gaps)
        self.received = dict(sub.received)
        self.malformed = sub.malformed
        self.last_error = sub.last_error

    def _take(self, frame: Frame) -> None:
        """Fold one frame into the state (caller holds the lock)."""
        topic, header = frame.topic, frame.header
        self.last_frame = frame.received
        self.latest[topic] = frame
        self.versions[topic] = self.versions.get(topic, 0) + 1
        if topic == "heralded" and frame.data.ndim == 2:
            self.heralded.add(header, frame.data.astype(np.int64, copy=False))
        elif topic == "trace":
            self.trace.add(header, frame.data.ravel())
        elif topic == "sweep":
            self.sweep.add(header)
        elif topic == "analysis":
            values = header.get("values") or {}
            row = {k: (float("nan") if v is None else float(v)) for k, v in values.items()
                   if isinstance(v, (int, float)) or v is None}
            row["t"] = float(header.get("t_stop", time.time()))
            row["seq"] = float(frame.seq)
            self.analysis.append(row)
        elif topic == "rates":
            settings = header.get("settings") or {}
            channels = [c for c in settings.get("channels", range(frame.data.size))
                        if c != settings.get("sync_channel")]  # the sync rate is shown as a number
            row = {"t": float(header.get("t_stop", time.time()))}
            rates = frame.data.ravel()
            for ch in channels:
                if 0 <= int(ch) < rates.size:
                    row[f"ch{int(ch)}"] = float(rates[int(ch)])
            self.rates.append(row)
