# SPDX-License-Identifier: BSD-3-Clause
"""The parts of ``g2live.server`` on their own: topic messages, sweep bookkeeping, the estimate's
recompute policy, and the loop's public methods (what the control socket calls)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import numpy as np
import pytest
from g2live.config import Config
from g2live.device.sim import SimDevice
from g2live.device.sources import ArraySource
from g2live.protocol import (
    ANALYSIS_COLUMNS,
    SNAPSHOT_TOPICS,
    SWEEP_COLUMNS,
    TOPICS,
    CommandError,
    pack_header,
)
from g2live.server import Accumulator, LiveAnalysis, Server, SweepRunner, topics
from g2live.server.control import Controlled
from host_helpers import ANY_PORT, ROOT, pulsed_hbt

PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()


def documented_keys(section: str) -> set[str]:
    """Backticked names in the first column of the table under heading ``section``."""
    body = PROTOCOL.split(section, 1)[1].split("\n#", 1)[0]
    keys: set[str] = set()
    for line in body.splitlines():
        if line.startswith("| `"):
            keys |= set(re.findall(r"`(\w+)`", line.split("|")[1]))
    return keys


@pytest.fixture
def server() -> Iterator[Server]:
    """A server that is never served: its methods are called directly, one step at a time."""
    cfg = Config(integration_s=0.05, rep_rate_hz=1e7, raw_tags=True)
    srv = Server(SimDevice(ArraySource(pulsed_hbt(0.3))), cfg, pub=ANY_PORT, control=ANY_PORT, speed=0)
    yield srv
    srv.close()


def test_every_topic_message_carries_the_documented_header(server: Server) -> None:
    live = {"log_corr": True, "coincidences": [[0, 1]], "heralded_g2": [8, 0, 1], "g3": [8, 0, 1],
            "on_state": True, "on_threshold_cps": 1.0}  # the live taggers' topics too
    server.apply_config(server.config.updated(**live))
    integ = server.step_integration()
    assert integ is not None and integ.histograms.sum() > 0
    common = documented_keys("### 1.1")
    assert {"schema", "topic", "seq", "run", "settings", "device"} <= common
    for topic in sorted(set(TOPICS) - {"sweep"}):
        hdr, payload = server.message(topic, integ)
        head, arr = pack_header(topic, payload, {**hdr, "seq": 0})
        full = json.loads(head)
        assert common <= full.keys(), (topic, common - full.keys())
        assert full["run"] == server.run and full["settings"] == server.config.to_dict()
        if not full["accumulated"]:
            assert (full["t_start_ps"], full["t_stop_ps"]) == (integ.t_start_ps, integ.t_stop_ps)
        assert list(arr.shape) == full["shape"]
    g2, hist = server.message("g2")
    assert hist.shape == (len(server.config.pairs), server.config.n_bins)
    assert g2["lo_ps"] == server.config.offset_ps - (server.config.n_bins // 2) * server.config.bin_width_ps


def test_status_holds_every_documented_key(server: Server) -> None:
    st = server.status()
    assert documented_keys("### 1.3") <= st.keys()
    hdr, lost = server.message("status")
    assert hdr["lost_total"] == int(lost.sum()) == 0 and lost.shape == (64,)


def test_per_integration_topics_are_pure_functions_of_the_integration(server: Server) -> None:
    integ = server.step_integration()
    assert integ is not None
    info = topics.RunInfo(7, server.config, "sim")
    hdr, rate = topics.rates(info, integ, now=100.0)
    assert hdr["run"] == 7 and hdr["t_stop"] == 100.0 and hdr["t_start"] == pytest.approx(100 - 0.05)
    np.testing.assert_allclose(rate, integ.counts / integ.duration_s)
    assert topics.rates(info, integ, now=100.0)[0] == hdr  # same input, same message
    hdr, trace = topics.trace(info, integ, now=100.0)
    # the trace elements cover the integration exactly, the last one possibly shorter
    assert (len(trace) - 1) * hdr["trace_bin_ps"] + hdr["last_bin_ps"] == integ.t_stop_ps - integ.t_start_ps
    hdr, words = topics.tags(info, integ, now=100.0)
    assert words.dtype == np.uint64 and hdr["n_tags"] == integ.n_tags
    hdr, zero = topics.rates(info, topics.empty_integration(server.acc), now=0.0)
    assert not zero.any() and hdr["interval_s"] == 0


def test_snapshot_without_an_integration_yet(server: Server) -> None:
    snap = {t: (h, p) for t, h, p in server.snapshot(SNAPSHOT_TOPICS)}
    assert set(snap) == set(SNAPSHOT_TOPICS)
    assert not snap["rates"][1].any() and snap["g2"][1].sum() == 0
    assert snap["analysis"][0]["columns"] == list(ANALYSIS_COLUMNS)
    with pytest.raises(CommandError, match="no accumulated state"):
        server.message("trace")


def test_loop_methods_the_control_socket_uses(server: Server) -> None:
    assert isinstance(server, Controlled)
    server.stop()
    assert not server.running
    server.start()
    assert server.running and server.device_error == ""
    run = server.run
    server.step_integration()
    assert server.acc.integration_s > 0
    server.new_run()
    assert server.run == run + 1 and server.acc.integration_s == 0
    server.apply_config(server.config.updated(n_bins=1024))
    assert server.acc.histograms.shape[1] == 1024 and server.running
    with pytest.raises(CommandError, match="no power actuator") as exc:
        server.set_power(1.0)
    assert exc.value.field == "power"
    with pytest.raises(CommandError, match="cannot sweep"):
        server.start_sweep([0.1], 0.05, 1.0, 0.0)
    assert server.stop_sweep() is False and server.sweep is None


def test_sweep_runner_ends_points_on_error_or_time() -> None:
    runner = SweepRunner(3, [0.1, 0.2, 0.4], target_rel_err=0.1, max_s=1.0, min_s=0.2)
    good = {"g2_0": 0.2, "g2_0_err": 0.01, "rate_cps": 1e5}
    assert runner.power == 0.1
    assert runner.after_integration(0.1, good) is None  # reached, but not yet min_s
    point = runner.after_integration(0.3, good)
    assert point is not None and (point.sweep_id, point.index, point.n_points) == (3, 0, 3)
    assert set(point.values) == set(SWEEP_COLUMNS) and point.values["reached"] == 1.0
    assert not point.last and runner.power == 0.2 and not runner.done
    assert runner.after_integration(0.5, {"g2_0": 0.2, "g2_0_err": 0.1}) is None  # 50 %: not yet
    point = runner.after_integration(1.0, {"g2_0": None, "g2_0_err": None})  # the time limit
    assert point is not None and point.values["reached"] == 0.0 and point.values["power"] == 0.2
    # perfectly antibunched so far: the error is judged absolutely
    point = runner.after_integration(0.2, {"g2_0": 0.0, "g2_0_err": 0.05})
    assert point is not None and point.values["reached"] == 1.0 and point.last and runner.done
    assert [p["power"] for p in runner.points] == [0.1, 0.2, 0.4]
    with pytest.raises(ValueError, match="at least one power"):
        SweepRunner(1, [], 0.1, 1.0)


def test_live_analysis_recomputes_only_new_data() -> None:
    dev = SimDevice(ArraySource(pulsed_hbt(0.2)))
    cfg = Config(integration_s=0.05, rep_rate_hz=1e7)
    dev.configure(cfg)
    dev.start()
    acc = Accumulator(cfg)
    live = LiveAnalysis(interval_s=0.0)
    assert live.refresh(acc) and live.error == "no coincidences yet"  # stale from the start
    assert not live.refresh(acc)  # nothing new
    for _ in range(3):
        integ = dev.acquire()
        assert integ is not None
        acc.add(integ)
    live.mark_stale()
    assert live.stale and live.refresh(acc) and not live.stale
    assert live.values["g2_0"] is not None and 0 <= live.values["g2_0"] < 1 and live.error == ""
    assert live.values["purity"] == pytest.approx(1 - live.values["g2_0"])
    assert live.refresh(acc, force=True)
    live.new_run()
    assert live.stale and all(v is None for v in live.values.values())
