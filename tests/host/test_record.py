# SPDX-License-Identifier: BSD-3-Clause
"""``g2live record`` with real processes: the output is checked before anything starts, a killed
recorder leaves a file readable up to its last frame with its true span, a killed server leaves
a file that says so and a non-zero exit, a signal ends the recording with the file saved, and the
server's raw-tag lease restores the setting after a killed recorder."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from g2live import io
from g2live.io.photon_hdf5 import committed_records
from host_helpers import ROOT

G2LIVE = [sys.executable, "-c", "import sys; from g2live.cli import main; sys.exit(main())"]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
LEASE_S = 1.5  # short, so that an expiry is seen quickly


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def g2live(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*G2LIVE, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=ENV
    )


def status(ctl: str) -> dict:
    res = g2live("status", "--control", ctl, "--json", "--timeout", "2")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


class Serve:
    """A ``g2live serve`` process on the emulator (1 MHz laser: a light stream for CI)."""

    def __init__(self) -> None:
        self.pub, self.ctl = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
        self.proc = subprocess.Popen(
            [*G2LIVE, "serve", "--pub", self.pub, "--control", self.ctl, "--duration", "300",
             "--set", "integration_s=0.1", "--emulator", "rep_rate_hz=1e6", "--seed", "5"],
            cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        deadline = time.monotonic() + 60
        while g2live("status", "--control", self.ctl, "--timeout", "1").returncode != 0:
            assert self.proc.poll() is None, self.proc.stderr.read() if self.proc.stderr else ""
            assert time.monotonic() < deadline, "server did not come up"

    def record(self, out: Path, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [*G2LIVE, "record", "-o", str(out), "--pub", self.pub, "--control", self.ctl, "--quiet",
             "--lease-s", str(LEASE_S), *args],
            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


@pytest.fixture(scope="module")
def serve() -> Iterator[Serve]:
    srv = Serve()
    yield srv
    srv.stop()


def wait_for_records(path: Path, proc: subprocess.Popen, at_least: int = 1, timeout: float = 60) -> int:
    """Committed records of a recording in progress, once there are ``at_least``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if path.exists():
            try:
                n = committed_records(path)
            except (OSError, ValueError):
                n = 0  # created but not yet in SWMR mode
            if n >= at_least:
                return n
        time.sleep(0.1)
    raise AssertionError(f"{path}: no records within {timeout} s")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad.xyz", "record writes Photon-HDF5"),
        ("x.npz", "record writes Photon-HDF5"),
        ("missing/x.h5", "does not exist"),
        ("exists.h5", "exists: give --force"),
    ],
)
def test_output_is_checked_before_anything_starts(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "exists.h5").write_bytes(b"keep me")
    t0 = time.monotonic()
    # no server on this control port: a checked output fails before any connection is tried
    res = g2live("record", "-o", str(tmp_path / name), "--duration", "5", "--control", "tcp://127.0.0.1:9")
    assert res.returncode == 1 and message in res.stderr and len(res.stderr.splitlines()) == 1, res.stderr
    assert time.monotonic() - t0 < 30  # not the recording's 5 s plus a connection timeout
    assert (tmp_path / "exists.h5").read_bytes() == b"keep me"


def test_kill_9_keeps_what_was_recorded_and_the_lease_restores_raw_tags(serve: Serve, tmp_path: Path) -> None:
    out = tmp_path / "killed.h5"
    rec = serve.record(out, "--duration", "60")
    wait_for_records(out, rec, at_least=3)
    time.sleep(0.5)
    assert status(serve.ctl)["settings"]["raw_tags"] is True
    rec.kill()  # SIGKILL: no handler runs, nothing is released
    rec.wait(timeout=10)
    data = io.read(out)
    n = committed_records(out)
    assert len(data) == n > 0 and np.all(np.diff(data.time_ps) >= 0)
    assert any("recording was interrupted" in note for note in data.meta.notes)
    rec_meta = data.meta.extra["recording"]
    assert rec_meta["ended"] is None and rec_meta["requested_s"] == 60.0
    # the true span: no acquisition time was claimed, the duration is that of the tags read
    assert data.meta.acquisition_s is None
    assert data.duration_s() == pytest.approx((data.time_ps[-1] - data.time_ps[0]) * 1e-12)
    assert 0 < data.duration_s() < 60
    # the server ends the lease the dead recorder held and switches raw tags off again
    deadline = time.monotonic() + LEASE_S + 10
    while (st := status(serve.ctl))["settings"]["raw_tags"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert st["settings"]["raw_tags"] is False and st["raw_tags_leases"]["expired"] >= 1


def test_sigterm_ends_with_the_file_saved_and_the_lease_released(serve: Serve, tmp_path: Path) -> None:
    out = tmp_path / "term.h5"
    rec = serve.record(out, "--duration", "60")
    wait_for_records(out, rec)
    rec.send_signal(signal.SIGTERM)
    stdout, stderr = rec.communicate(timeout=30)
    assert rec.returncode == 128 + signal.SIGTERM, stderr
    assert "ended: interrupted by SIGTERM" in stdout
    data = io.read(out)
    info = data.meta.extra["recording"]
    assert info["ended"] == "interrupted by SIGTERM" and not info["complete"]
    assert data.meta.acquisition_s == pytest.approx(info["span_s"]) and 0 < info["span_s"] < 60
    assert data.time_ps[-1] - data.time_ps[0] <= info["span_s"] * 1e12
    assert not any("interrupted or is still being written" in note for note in data.meta.notes)
    assert status(serve.ctl)["settings"]["raw_tags"] is False  # released at once, no expiry needed


def test_duration_reached_stores_the_span_of_device_time(serve: Serve, tmp_path: Path) -> None:
    out = tmp_path / "ok.h5"
    rec = serve.record(out, "--duration", "1.5")
    stdout, stderr = rec.communicate(timeout=60)
    assert rec.returncode == 0, stderr
    data = io.read(out)
    info = data.meta.extra["recording"]
    assert info["ended"] == "duration reached" and info["complete"] and info["requested_s"] == 1.5
    # the device time covered by the frames received, not the requested wall time
    assert data.meta.acquisition_s == info["span_s"] == pytest.approx(info["frames"] * 0.1)
    assert set(data.counts()) == {0, 1, 8}


def test_killed_server_is_saved_and_reported(tmp_path: Path) -> None:
    srv = Serve()
    try:
        out = tmp_path / "lost.h5"
        rec = srv.record(out, "--duration", "120", "--server-timeout", "1.5")
        wait_for_records(out, rec, at_least=3)
        srv.proc.kill()
        srv.proc.wait(timeout=10)
        stdout, stderr = rec.communicate(timeout=60)
    finally:
        srv.stop()
    assert rec.returncode == 3, stderr
    assert "ended: server gone" in stdout
    data = io.read(out)
    info = data.meta.extra["recording"]
    assert info["ended"].startswith("server gone") and not info["complete"]
    assert any("ended early: server gone" in note for note in data.meta.notes)
    assert data.meta.acquisition_s == info["span_s"] < 120
    assert len(data) == committed_records(out) > 0


def test_recorder_close_writes_the_final_metadata(tmp_path: Path) -> None:
    from g2live.io.photon_hdf5 import Recorder
    from g2live.photons import Meta, PhotonData

    out = tmp_path / "final.h5"
    rec = Recorder(out, Meta(source="test", extra={"recording": {"ended": None}}))
    rec.append(PhotonData(np.array([0, 1], np.uint8), np.array([10, 20], np.int64)))
    final = Meta(source="test", acquisition_s=2.5, notes=["ended early"], extra={"recording": {"ended": "x"}})
    rec.close(2.5, meta=final)
    data = io.read(out)
    assert data.meta.acquisition_s == 2.5 and data.meta.extra["recording"]["ended"] == "x"
    assert data.meta.notes == ["ended early"] and len(data) == 2
