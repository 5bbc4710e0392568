# SPDX-License-Identifier: BSD-3-Clause
"""The sub-commands: --help, clear errors on bad input, and a real `g2live serve` process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from g2live.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
G2LIVE = [sys.executable, "-c", "import sys; from g2live.cli import main; sys.exit(main())"]
COMMANDS = ["serve", "watch", "record", "sweep", "status", "run"]


def g2live(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*G2LIVE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help(cmd: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([cmd, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: g2live {cmd}" in out and "--pub" in out or "--control" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--set", "bin_width_ps=0", "--duration", "1"], "bin_width_ps: 0 is below the minimum 1"),
        (["serve", "--set", "nonsense"], "--set: expected KEY=VALUE"),
        (["serve", "--set", "pairs=[[0,5]]"], "pairs[0]: channel 5 is not enabled"),
        (["serve", "--emulator", "qy_ratio=7"], "qy_ratio"),
        (["serve", "--device", "replay"], "--device replay needs --file"),
        (["serve", "--device", "replay", "--file", "/nonexistent.h5"], "does not exist"),
        (["serve", "--pub", "tcp://0.0.0.0:5999"], "not a loopback address"),
        (["serve", "--speed", "-1"], "argument --speed: must be >= 0"),
        (["status", "--control", "tcp://127.0.0.1:9", "--timeout", "0.3"], "is `g2live serve` running?"),
        (["sweep"], "give --powers"),
        (["sweep", "--powers", "1,x"], "argument --powers: expected a number, got 'x'"),
        (["record", "-o", "x.npz", "--duration", "0"], "argument --duration: must be > 0"),
        (["watch", "--once", "--pub", "tcp://127.0.0.1:9", "--timeout", "0.3"], "is `g2live serve` running?"),
    ],
)
def test_bad_input_gives_a_clear_error(args: list[str], message: str) -> None:
    res = g2live(*args)
    assert res.returncode in (1, 2), (res.stdout, res.stderr)  # 2: refused by an option's check
    assert message in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_serve_process_end_to_end(tmp_path: Path) -> None:
    pub, ctl = f"tcp://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    proc = subprocess.Popen(
        [
            *G2LIVE,
            "serve",
            "--pub",
            pub,
            "--control",
            ctl,
            "--duration",
            "120",
            "--set",
            "integration_s=0.2",
            "--emulator",
            "collection_efficiency=0.5",
            "--seed",
            "3",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            res = g2live("status", "--control", ctl, "--json", "--timeout", "1")
            if res.returncode == 0:
                break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, res.stderr
        st = json.loads(res.stdout)
        assert st["device"] == "sim" and st["settings"]["integration_s"] == 0.2 and st["lost_total"] == 0
        res = g2live("watch", "--once", "--pub", pub, "--timeout", "30")
        assert res.returncode == 0, res.stderr
        assert "count rates" in res.stdout and "g2(0)" in res.stdout
        out = tmp_path / "rec.h5"  # Photon-HDF5
        res = g2live("record", "-o", str(out), "--pub", pub, "--control", ctl, "--duration", "1.0", "--quiet")
        assert res.returncode == 0, res.stderr
        from g2live import io

        data = io.read(out)
        assert len(data) > 1000 and set(data.counts()) == {0, 1, 8}
        assert np.all(np.diff(data.time_ps) >= 0)
        assert data.meta.extra["settings"]["raw_tags"] is True
        st = json.loads(g2live("status", "--control", ctl, "--json").stdout)
        assert st["settings"]["raw_tags"] is False  # record switched it back
        res = g2live(
            "sweep",
            "--powers",
            "0.05,0.5",
            "--max-s",
            "1",
            "--target-rel-err",
            "0.3",
            "--json",
            "--quiet",
            "--pub",
            pub,
            "--control",
            ctl,
        )
        assert res.returncode == 0, res.stderr
        points = json.loads(res.stdout)
        assert [p["power"] for p in points] == [0.05, 0.5] and points[1]["rate_cps"] > points[0]["rate_cps"]
        res = g2live("status", "stop", "--control", ctl)
        assert res.returncode == 0 and "stopped" in res.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=20)
