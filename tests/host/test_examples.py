# SPDX-License-Identifier: BSD-3-Clause
"""The example clients in examples/ (written from docs/protocol.md alone) work against a server."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from g2live.client import ControlClient
from g2live.server import Server

ROOT = Path(__file__).resolve().parents[2]


def _start(server: Server) -> None:
    time.sleep(0.3)
    ControlClient(server.control_endpoint).start()


def test_python_example(array_server: Server) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "subscriber.py"), array_server.pub_endpoint, "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _start(array_server)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    lines = [ln for ln in out.splitlines() if "g2(0) =" in ln]
    assert len(lines) == 3, out
    for ln in lines:
        g2, e = map(float, re.findall(r"g2\(0\) = ([\d.]+) \+- ([\d.]+)", ln)[0])
        assert 0 <= g2 < 1 and e > 0


def test_c_example(array_server: Server, tmp_path: Path) -> None:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or not Path("/usr/include/zmq.h").exists():
        pytest.skip("needs a C compiler and libzmq headers (apt-get install libzmq3-dev)")
    exe = tmp_path / "g2live_sub"
    subprocess.run(
        [
            cc,
            "-O2",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-o",
            str(exe),
            str(ROOT / "examples" / "subscriber.c"),
            "-lzmq",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    proc = subprocess.Popen(
        [str(exe), array_server.pub_endpoint, "4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _start(array_server)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    sums = [int(m) for m in re.findall(r"pair0=(\d+)", out)]
    assert len(sums) == 4 and sums == sorted(sums) and sums[-1] > 0, out  # accumulated: never decreases
    assert "frames lost" not in out
