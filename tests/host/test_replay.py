# SPDX-License-Identifier: BSD-3-Clause
"""Replay: a recording played through the C twins at its recorded pace or as fast as possible."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from g2live import core
from g2live.client import ControlClient, Subscriber
from g2live.config import Config
from g2live.device import open_device
from g2live.server import Server
from host_helpers import ANY_PORT, pulsed_hbt

io = pytest.importorskip("g2live.io", reason="g2live.io is not available")


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = pulsed_hbt(0.4, seed=9)
    data.time_ps += 5_000_000  # files rarely start at 0
    path = tmp_path_factory.mktemp("rec") / "hbt.npz"
    io.write(path, data)
    return path


def test_replay_as_fast_as_possible_is_exact(recording: Path) -> None:
    data = io.read(recording)
    dev = open_device("replay", path=recording, chunk_records=100_000)
    cfg = Config(integration_s=0.03)
    dev.configure(cfg)
    integs = []
    while (i := dev.acquire()) is not None:
        integs.append(i)
    assert integs[-1].last_input and integs[0].t_start_ps == data.time_ps[0]
    total = sum(i.histograms for i in integs)
    ref = core.correlate(data.channel_times(0), data.channel_times(1), cfg.bin_width_ps, cfg.n_bins)
    np.testing.assert_array_equal(total[0], ref)
    assert sum(int(i.counts.sum()) for i in integs) == len(data)
    assert dev.rep_rate_hz == pytest.approx(1e7)


def test_replay_paced_and_looped(recording: Path) -> None:
    dev = open_device("replay", path=recording, loop=True)
    srv = Server(dev, Config(integration_s=0.05), pub=ANY_PORT, control=ANY_PORT, speed=2.0, autostart=False)
    sub = Subscriber(srv.pub_endpoint, ["g2"])
    th = srv.start_thread()
    try:
        time.sleep(0.2)
        ControlClient(srv.control_endpoint).start()
        first = sub.wait_for("g2", 30)
        t0 = time.monotonic()
        # 0.6 s of device time at speed 2: at least 0.3 s of wall time; past the 0.4 s file: looped
        last = sub.wait_for(
            "g2", 60, lambda f: f.header["integration_s"] - first.header["integration_s"] >= 0.6
        )
        assert time.monotonic() - t0 >= 0.3 * 0.95
        assert last.header["integration_s"] >= 0.65 and last.header["device"] == "replay"
    finally:
        srv.stop_event.set()
        th.join(10)
        sub.close()
