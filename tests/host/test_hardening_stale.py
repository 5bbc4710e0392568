# SPDX-License-Identifier: BSD-3-Clause
"""Issue 15: `watch` and the dashboard say when the server is gone, and `watch` prints plain lines
when stdout is not a terminal. Both failed on the code before the fix (watch kept showing
"running" and, into a pipe, printed nothing until it ended)."""

from __future__ import annotations

import threading
import time

import numpy as np
from g2live.client import Message
from g2live.server import Server
from host_helpers import run_cli


def test_watch_into_a_pipe_prints_lines_and_says_the_server_is_gone(array_server: Server) -> None:
    stop = threading.Timer(3.0, array_server.stop_event.set)  # the server dies 3 s in
    stop.start()
    try:
        res = run_cli("watch", "--pub", array_server.pub_endpoint, "--duration", "8")
    finally:
        stop.cancel()
    assert res.code == 0 and res.clean, res
    lines = res.out.splitlines()
    live = [x for x in lines if " stopped run " in x]
    assert len(live) >= 2, lines  # a line per status (one a second) while the server was there
    assert all("lost 0" in x for x in live)
    gone = [x for x in lines if "STALE: no status from" in x]
    assert len(gone) == 1 and "the server is gone" in gone[0], lines
    assert lines.index(gone[0]) > lines.index(live[-1])
    assert "\x1b[" not in res.out  # no terminal control codes in a pipe


def test_watch_ends_at_its_duration_whatever_its_fps() -> None:
    """Found by tests/fuzz: `--fps 0.001` waited 1000 s for a frame, past `--duration 1`."""
    import signal

    from host_helpers import free_port

    def expired(*_: object) -> None:
        raise TimeoutError("watch ran past its --duration")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)  # a hang bound, not a speed requirement
    try:
        res = run_cli("watch", "--pub", f"tcp://127.0.0.1:{free_port()}", "--fps", "0.001", "--duration", "1")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert res.code == 0 and res.clean, res


def _status(received: float, interval: float = 1.0, state: str = "running") -> Message:
    header = {"schema": 1, "topic": "status", "seq": 0, "run": 0, "state": state, "lost_total": 0,
              "lost": {}, "integration_s": 1.0, "device": "sim", "status_interval_s": interval}
    return Message("status", header, np.zeros(64, np.int64), 0, received)


def test_dashboard_header_marks_stale_data() -> None:
    from g2live.dashboard.header import Header
    from g2live.dashboard.snapshot import Snapshot, StreamHealth
    from g2live.dashboard.widgets import PageKit

    def snap(frames: dict[str, Message]) -> Snapshot:
        health = StreamHealth({}, {}, 0, "", time.monotonic())
        return Snapshot(frames, [], [], None, None, None, health)

    header = Header(PageKit(), "tcp://127.0.0.1:5555", "tcp://127.0.0.1:5556")
    header.update(snap({"status": _status(time.monotonic())}))
    header.finish()
    assert "no events lost" in header.banner.text and "stale" not in header.summary.text
    header.update(snap({"status": _status(time.monotonic() - 1.0)}))  # one interval late: not yet
    assert "no status" not in header.banner.text
    header.update(snap({"status": _status(time.monotonic() - 10.0, interval=1.0)}))  # 10 missed
    header.finish()
    assert "no status from the server for 10 s" in header.banner.text
    assert "cells stale" in header.summary.text and "running (stale)" in header.summary.text
    header.update(snap({"status": _status(time.monotonic() - 10.0, interval=5.0)}))  # 2 of 5 s: fine
    header.finish()
    assert "no status" not in header.banner.text and "cells stale" not in header.summary.text
    header.update(snap({}))  # nothing new, still fresh enough
    assert "no status" not in header.banner.text


def test_stale_rule() -> None:
    from g2live.protocol import STALE_INTERVALS, stale_after_s

    assert STALE_INTERVALS == 2
    assert stale_after_s({"status_interval_s": 1.0}) == 2.5
    assert stale_after_s({}) == 2.5 and stale_after_s({"status_interval_s": float("nan")}) == 2.5
    assert stale_after_s({"status_interval_s": 4}) == 10.0


def test_status_carries_its_interval(array_server: Server) -> None:
    assert array_server.status()["status_interval_s"] == array_server.status_interval_s == 1.0
