# SPDX-License-Identifier: BSD-3-Clause
"""Server soak: `g2live serve` for 30 minutes under a lab's load, memory and losses measured.

The load, all at once for the whole run:
- `g2live serve` (sim device: the default emulator, 10 MHz laser, paced in real time);
- 3 subscribers: `g2live watch` (a process, plain lines), and two in this process: one of every
  topic (it counts every message and `seq` gap, and follows `lost_total` of every run), one of
  `g2`, `analysis` and `status` only;
- a recorder: `g2live record` in 5-second chunks back to back (raw tags on, a file written, its
  notes read: transport gaps and device losses);
- 10 control requests per second (`status` and `snapshot` in turn).

Measured: the server's RSS (`/proc/PID/status`) sampled every 10 s, start (after a 30 s warm-up)
and end; events lost by the device (every run's `lost_total`), frames the publisher dropped,
`seq` gaps of the subscribers, the recorder's notes, control requests unanswered. Required: no
event lost, no gap, every request answered, the RSS at the end within 10 % (+ 20 MB) of the start.
``G2LIVE_SERVE_SOAK_S`` sets the length (default 1800 s); the report goes to
``artifacts/bench/soak_serve.json``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.bench
SOAK_S = float(os.environ.get("G2LIVE_SERVE_SOAK_S", "1800"))
WARMUP_S = min(30.0, SOAK_S / 10)
SAMPLE_S = 10.0
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "bench"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def _g2live(*args: str, **kw: Any) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "g2live.cli", *args], cwd=ROOT, **kw)


class Counting(threading.Thread):
    """A subscriber in a thread: messages and `seq` gaps per topic, the largest `lost_total` per run."""

    def __init__(self, pub: str, topics: list[str] | None, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.pub, self.topics, self.stop = pub, topics, stop
        self.received: dict[str, int] = {}
        self.gaps: dict[str, int] = {}
        self.lost_per_run: dict[int, int] = defaultdict(int)
        self.dropped: dict[str, int] = {}
        self.malformed = 0

    def run(self) -> None:
        from g2live.client import Subscriber

        with Subscriber(self.pub, self.topics, rcvhwm=10_000) as sub:
            while not self.stop.is_set():
                msg = sub.recv(timeout_s=0.2)
                if msg is not None and msg.topic == "status":
                    run = msg.run
                    self.lost_per_run[run] = max(self.lost_per_run[run], int(msg.header.get("lost_total", 0)))
                    self.dropped = dict(msg.header.get("publisher_dropped") or {})
            self.received, self.gaps, self.malformed = dict(sub.received), dict(sub.gaps), sub.malformed


class Requests(threading.Thread):
    """10 control requests per second; counts the answered and the failed, and the slowest."""

    def __init__(self, control: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.control, self.stop = control, stop
        self.sent = 0
        self.answered = 0
        self.failed: list[str] = []
        self.slowest_s = 0.0

    def run(self) -> None:
        from g2live.client import ControlClient

        with ControlClient(self.control, timeout_s=10) as ctl:
            next_at = time.monotonic()
            i = 0
            while not self.stop.is_set():
                t0 = time.monotonic()
                self.sent += 1
                try:
                    ctl.status() if i % 2 == 0 else ctl.snapshot(["g2", "analysis"])
                    self.answered += 1
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    self.failed.append(f"{type(exc).__name__}: {exc}")
                self.slowest_s = max(self.slowest_s, time.monotonic() - t0)
                i += 1
                next_at += 0.1
                time.sleep(max(0.0, next_at - time.monotonic()))


class Recorder(threading.Thread):
    """`g2live record` in 5 s chunks, back to back; keeps what each chunk noted."""

    def __init__(self, pub: str, control: str, folder: Path, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.pub, self.control, self.folder, self.stop = pub, control, folder, stop
        self.chunks = 0
        self.tags = 0
        self.problems: list[str] = []
        self.peak_rss_mb = 0.0

    def run(self) -> None:
        out = self.folder / "chunk.h5"
        while not self.stop.is_set():
            proc = _g2live("record", "-o", str(out), "--duration", "5", "--pub", self.pub, "--control",
                           self.control, "--quiet", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            while proc.poll() is None:
                try:
                    self.peak_rss_mb = max(self.peak_rss_mb, _rss_mb(proc.pid))
                except (OSError, AssertionError):
                    pass
                time.sleep(0.5)
            stdout, stderr = proc.communicate()
            self.chunks += 1
            if proc.returncode != 0 or stderr.strip():
                self.problems.append(f"chunk {self.chunks}: exit {proc.returncode}: {stderr.strip()[:300]}")
            else:
                self.tags += int(stdout.split()[1].replace(",", ""))
            out.unlink(missing_ok=True)


def test_serve_soak(tmp_path: Path) -> None:
    pub, control = f"tcp://127.0.0.1:{_free_port()}", f"tcp://127.0.0.1:{_free_port()}"
    serve = _g2live("serve", "--pub", pub, "--control", control, "--duration", str(SOAK_S + 120),
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stop = threading.Event()
    watch_out = tmp_path / "watch.txt"
    watch = None
    try:
        _wait_for_server(control, serve)
        with watch_out.open("w") as fh:
            watch = _g2live("watch", "--pub", pub, stdout=fh, stderr=subprocess.STDOUT)
        subs = [Counting(pub, None, stop), Counting(pub, ["g2", "analysis", "status"], stop)]
        requests = Requests(control, stop)
        recorder = Recorder(pub, control, tmp_path, stop)
        for th in (*subs, requests, recorder):
            th.start()
        t0 = time.monotonic()
        samples = _sample_rss(serve.pid, t0)
        stop.set()
        for th in (*subs, requests, recorder):
            th.join(timeout=60)
        final = _final_status(control)
    finally:
        stop.set()
        for proc in (watch, serve):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
    report = _report(samples, subs, requests, recorder, final, watch_out)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "soak_serve.json").write_text(json.dumps(report, indent=1))
    print("\nserve soak:", json.dumps({k: v for k, v in report.items() if k != "rss_samples"}, indent=1))
    print("RSS samples (s, MB):", report["rss_samples"])
    _check(report)


def _wait_for_server(control: str, serve: subprocess.Popen) -> None:
    from g2live.client import ControlClient

    deadline = time.monotonic() + 120
    with ControlClient(control, timeout_s=2) as ctl:
        while True:
            assert serve.poll() is None, serve.stderr.read() if serve.stderr else ""
            try:
                ctl.status()
                return
            except TimeoutError:
                assert time.monotonic() < deadline, "g2live serve did not answer within 120 s"


def _sample_rss(pid: int, t0: float) -> list[tuple[float, float]]:
    """(seconds since t0, RSS MB) every SAMPLE_S until SOAK_S has passed."""
    samples = []
    while (t := time.monotonic() - t0) < SOAK_S:
        samples.append((round(t, 1), round(_rss_mb(pid), 1)))
        time.sleep(min(SAMPLE_S, max(0.0, SOAK_S - t)))
    samples.append((round(time.monotonic() - t0, 1), round(_rss_mb(pid), 1)))
    return samples


def _final_status(control: str) -> dict[str, Any]:
    from g2live.client import ControlClient

    with ControlClient(control, timeout_s=10) as ctl:
        return ctl.status()


def _report(samples: list[tuple[float, float]], subs: list[Counting], requests: Requests,
            recorder: Recorder, final: dict[str, Any], watch_out: Path) -> dict[str, Any]:
    start = next(rss for t, rss in samples if t >= WARMUP_S)
    lines = watch_out.read_text().splitlines()
    return {
        "duration_s": SOAK_S,
        "rss_mb_start": start,
        "rss_mb_end": samples[-1][1],
        "rss_mb_max": max(r for _, r in samples),
        "rss_samples": samples,
        "events_lost": sum(sum(s.lost_per_run.values()) for s in subs[:1]),
        "runs": len(subs[0].lost_per_run),
        "publisher_dropped": final.get("publisher_dropped"),
        "publisher_sent": final.get("publisher_sent"),
        "late_s": final.get("late_s"),
        "subscribers": [
            {
                "topics": s.topics or "all",
                "received": sum(s.received.values()),
                "seq_gaps": sum(s.gaps.values()),
                "malformed": s.malformed,
            }
            for s in subs
        ],
        "watch_lines": len(lines),
        "watch_stale_lines": sum("STALE" in x for x in lines),
        "control_sent": requests.sent,
        "control_answered": requests.answered,
        "control_rate_hz": round(requests.sent / SOAK_S, 2),
        "control_failed": len(requests.failed),
        "control_failures": requests.failed[:5],
        "control_slowest_s": round(requests.slowest_s, 3),
        "recorder_chunks": recorder.chunks,
        "recorder_tags": recorder.tags,
        "recorder_peak_rss_mb": round(recorder.peak_rss_mb, 1),
        "recorder_problems": recorder.problems[:5],
    }


def _check(r: dict[str, Any]) -> None:
    assert r["events_lost"] == 0, r["events_lost"]
    assert not r["publisher_dropped"], r["publisher_dropped"]
    assert all(s["seq_gaps"] == 0 and s["malformed"] == 0 for s in r["subscribers"]), r["subscribers"]
    # offered at 10/s; a request waits for the integration in progress, so fewer may go out per second
    assert r["control_failed"] == 0 and r["control_answered"] == r["control_sent"], r["control_failures"]
    assert not r["recorder_problems"] and r["recorder_chunks"] >= max(1, SOAK_S / 60), r["recorder_problems"]
    assert r["watch_lines"] >= SOAK_S / 2 and r["watch_stale_lines"] == 0
    assert r["rss_mb_end"] <= 1.10 * r["rss_mb_start"] + 20, (r["rss_mb_start"], r["rss_mb_end"])
