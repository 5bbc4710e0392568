# SPDX-License-Identifier: BSD-3-Clause
"""Background receiver: one SUB socket, every frame decoded, newest frame per topic kept.

The dashboard renders at its own pace (up to 25 updates/s) while the publisher may send much
faster. A thread receives everything (so ZeroMQ's queue never fills and the publisher never has
to drop for us), keeps only the newest frame of each topic for the renderer (conflation), and
folds the frames that are *not* accumulated by the server (``rates``, ``heralded``, ``trace``,
``sweep``, ``analysis`` history) into the bounded accumulators of ``accumulators.py``, because
conflating those would lose data. Every buffer has a fixed upper size, so memory stays flat
however long it runs. Readers take copies with ``Feed.snapshot``; nothing else touches the lock.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import zmq

from .accumulators import Heralded, History, SweepPoints, Trace, numeric_values
from .snapshot import Cursor, HeraldedCopy, Snapshot, StreamHealth, SweepCopy, TraceCopy, Want
from .wire import LIVE_TOPICS, Message, Subscriber
from .worker import ThreadedWorker

__all__ = ["TOPICS", "Feed"]

# Topics the dashboard shows; "tags" (raw words) is deliberately not subscribed: it can be large.
# The live taggers' topics are accumulated by the server: conflating them loses nothing.
TOPICS = ("g2", "rates", "pulsed", "heralded", "trace", "sweep", "status", "analysis", *LIVE_TOPICS)
MAX_BATCH = 10_000  # frames folded in per locked step, so a reader never waits long for the lock


class Feed(ThreadedWorker):
    """Receives frames from ``pub`` in a thread; readers take copies with ``snapshot``.

    Decoding, ``seq`` gap counting and malformed-message counting are the protocol client's
    (``Subscriber``); this class adds the conflation and accumulation policy.

    Parameters
    ----------
    pub : str
        The server's data endpoint (``tcp://host:port``).
    ctx : zmq.Context, optional
        ZeroMQ context of the SUB socket.
    rcvhwm : int
        Receive high-water mark (frames ZeroMQ queues before the receiver drains them).
    server_key : bytes or str, optional
        The server's CURVE public key, when it uses CURVE.
    client_key : str, optional
        This client's ``.key_secret`` file, when the server restricts clients.
    """

    thread_name = "g2live-dashboard-feed"

    def __init__(self, pub: str, *, ctx: zmq.Context | None = None, rcvhwm: int = 1000,
                 server_key: bytes | str | None = None, client_key: Any = None) -> None:
        super().__init__()
        self.pub = pub
        self._lock = threading.Lock()
        self.latest: dict[str, Message] = {}
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
        self._sub = Subscriber(pub, TOPICS, ctx=ctx, rcvhwm=rcvhwm, server_key=server_key,
                               client_keys=client_key)

    # ---------------------------------------------------------------- readers
    def snapshot(self, cursor: Cursor, want: Want) -> Snapshot:
        """Copy what ``want`` names and changed since ``cursor``; move ``cursor`` on.

        Parameters
        ----------
        cursor : Cursor
            What this reader has taken so far; updated in place.
        want : Want
            The parts to look at.

        Returns
        -------
        Snapshot
            The copies (references to frames, which are never modified) and the stream counters.
        """
        with self._lock:  # copy only; all work on the copies happens after the lock is released
            frames = {t: f for t, f in self.latest.items()
                      if t in want.topics and self.versions.get(t) != cursor.versions.get(t)}
            for t in frames:
                cursor.versions[t] = self.versions[t]
            analysis_rows: list[dict[str, float]] = []
            rate_rows: list[dict[str, float]] = []
            if want.history:
                analysis_rows, cursor.analysis_index = self.analysis.since(cursor.analysis_index)
                rate_rows, cursor.rates_index = self.rates.since(cursor.rates_index)
            health = StreamHealth(dict(self.gaps), dict(self.received), self.malformed, self.last_error,
                                  self.last_frame)
            return Snapshot(frames, analysis_rows, rate_rows, self._copy_heralded(cursor, want),
                            self._copy_trace(cursor, want), self._copy_sweep(cursor, want), health)

    def _copy_heralded(self, cursor: Cursor, want: Want) -> HeraldedCopy | None:
        h = self.heralded
        if not want.heralded or h.version == cursor.heralded:
            return None
        cursor.heralded = h.version
        return HeraldedCopy(h.first.copy(), h.second.copy(), h.delay_first.copy(), h.delay_second.copy(),
                            h.records, h.delay_overflow, h.run, dict(h.corrected), h.corrected_error)

    def _copy_trace(self, cursor: Cursor, want: Want) -> TraceCopy | None:
        tr = self.trace
        if not want.trace or tr.version == cursor.trace:
            return None
        cursor.trace = tr.version
        return TraceCopy(np.fromiter(tr.t_s, float), np.fromiter(tr.counts, np.int64), tr.bin_s)

    def _copy_sweep(self, cursor: Cursor, want: Want) -> SweepCopy | None:
        sw = self.sweep
        if not want.sweep or sw.version == cursor.sweep:
            return None
        cursor.sweep = sw.version
        return SweepCopy(dict(sw.points), sw.n_points, sw.done, sw.sweep_id)

    # ---------------------------------------------------------------- receiver thread
    def _run(self) -> None:
        sub = self._sub
        try:
            while not self._stop.is_set():
                first = sub.recv(timeout_s=0.1)  # wake up regularly to notice stop()
                if first is None:
                    with self._lock:
                        self._sync_counters()
                    continue
                # Drain what is queued, then hand it to the readers in one locked step.
                batch = [first]
                while len(batch) < MAX_BATCH:
                    frame = sub.recv(timeout_s=0.0)
                    if frame is None:
                        break
                    batch.append(frame)
                with self._lock:
                    for frame in batch:
                        self._take(frame)
                    self._sync_counters()
        finally:
            sub.close()

    def _sync_counters(self) -> None:
        """Copy the subscriber's counters (caller holds the lock)."""
        sub = self._sub
        self.gaps = dict(sub.gaps)
        self.received = dict(sub.received)
        self.malformed = sub.malformed
        self.last_error = sub.last_error

    def _take(self, frame: Message) -> None:
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
            row = numeric_values(header.get("values") or {})
            row["t"] = float(header.get("t_stop", time.time()))
            row["seq"] = float(frame.seq)
            self.analysis.append(row)
        elif topic == "rates":
            self.rates.append(_rates_row(header, frame.data.ravel()))


def _rates_row(header: dict[str, Any], rates: np.ndarray) -> dict[str, float]:
    """One row of the rates history: time and the rate of every detector channel (not the sync)."""
    settings = header.get("settings") or {}
    channels = [c for c in settings.get("channels", range(rates.size))
                if c != settings.get("sync_channel")]  # the sync rate is shown as a number
    row = {"t": float(header.get("t_stop", time.time()))}
    for ch in channels:
        if 0 <= int(ch) < rates.size:
            row[f"ch{int(ch)}"] = float(rates[int(ch)])
    return row
