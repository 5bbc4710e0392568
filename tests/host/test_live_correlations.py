# SPDX-License-Identifier: BSD-3-Clause
"""The live taggers' topics (logcorr, coincidences, heralded_g2, g3, gated) against the offline
computations on the same tags: a measured quTAG file replayed through the server, bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from g2live import io
from g2live.analysis import Conditioned, analyze_file, gated_histogram
from g2live.client import delay_edges, log_g2
from g2live.coincidence import G3
from g2live.config import Config
from g2live.device.replay import open_replay
from g2live.device.sim import SimDevice
from g2live.device.sources import ArraySource
from g2live.logcorr import correlate_edges, log_correlation
from g2live.protocol import LIVE_TOPICS, CommandError, pack_header
from g2live.server import Server
from g2live.server.correlations import LOG_EDGES_PS
from g2live.server.ongate import LEARN_BINS, OnGate
from host_helpers import ANY_PORT, pulsed_hbt

QUTAG = "eta_kth/19_qutag_80MHz_HBT_sync_filtered.qutag"  # ch1, ch2 detectors, ch5 the sync (80 MHz)
GATE_BIN_PS = 10_000_000_000  # 10 ms
THRESHOLD_CPS = 34_000.0  # between the file's dim and bright 10 ms bins (mean ~34 kcps on ch1 + ch2)


def _serve(path: Path, cfg: Config) -> tuple[Server, list[tuple[np.ndarray, np.ndarray]]]:
    """Replay ``path`` through a server one integration at a time; the integrations' tags."""
    srv = Server(open_replay(path), cfg, pub=ANY_PORT, control=ANY_PORT, speed=0)
    streams = []
    while not srv.source_done:
        integ = srv.step_integration()
        if integ is None:
            break
        assert integ.stream is not None
        streams.append(integ.stream)
    return srv, streams


def _on_windows(ch: np.ndarray, t: np.ndarray, detectors: list[int], decided_to: int) -> tuple:
    """The ON gate bins of the tags, as gate windows, in plain numpy."""
    det = t[np.isin(ch, detectors)]
    first = int(t[0]) // GATE_BIN_PS
    k = det // GATE_BIN_PS - first
    counts = np.bincount(k, minlength=decided_to - first)[: decided_to - first]
    on = np.flatnonzero(counts > THRESHOLD_CPS * GATE_BIN_PS * 1e-12) + first
    return on * GATE_BIN_PS, (on + 1) * GATE_BIN_PS


@pytest.fixture(scope="module")
def replayed(realdata: Path) -> tuple[Server, np.ndarray, np.ndarray, Path]:
    path = realdata / QUTAG
    cfg = Config(channels=(1, 2, 5), pairs=((1, 2),), sync_channel=5, bin_width_ps=64, n_bins=2048,
                 integration_s=0.1, log_corr=True, coincidences=((1, 2), (1, 2, 5)), coinc_window_ps=2000,
                 heralded_g2=(5, 1, 2), herald_window_ps=12_000, herald_offset_ps=-2000, g3=(5, 1, 2),
                 g3_bin_width_ps=256, g3_n_bins=128, on_state=True, on_threshold_cps=THRESHOLD_CPS)
    srv, streams = _serve(path, cfg)
    ch = np.concatenate([s[0] for s in streams])
    t = np.concatenate([s[1] for s in streams])
    yield srv, ch, t, path
    srv.close()


def test_replayed_tags_are_the_file(replayed) -> None:
    """What the live counters saw is the file, time-ordered (the device clock is the file's)."""
    srv, ch, t, path = replayed
    d = io.read(path)
    order = np.lexsort((d.channel, d.time_ps))
    assert np.array_equal(ch.astype(np.int64), d.channel[order].astype(np.int64))
    assert np.array_equal(t, d.time_ps[order])
    assert srv.live.n_tags == t.size and srv.live.no_tags == 0 and srv.live.flushed


def test_coincidences_and_heralded_g2_equal_analyze(replayed) -> None:
    srv, _, _, path = replayed
    cond = Conditioned(sets=((1, 2), (1, 2, 5)), window_ps=2000, herald=(5, 1, 2), herald_window_ps=12_000,
                       herald_offset_ps=-2000)
    off = analyze_file(path, channels=(1, 2), sync_channel=5, steps=(), conditioned=cond)
    hdr, counts = srv.message("coincidences")
    assert counts.tolist() == off["coincidences"]["counts"] and hdr["sets"] == off["coincidences"]["sets"]
    hdr, n = srv.message("heralded_g2")
    hg = off["heralded_g2"]
    assert n.tolist() == [hg["n_herald"], hg["n_a"], hg["n_b"], hg["n_ab"]]
    assert hdr["values"] == {"g2_h0": hg["g2"], "g2_h0_err": hg["g2_err"]} and hdr["pending"] == 0
    assert hdr["values"]["g2_h0"] > 0 and n[3] > 0  # the file's syncs are filtered: not a clean herald


def test_logcorr_g3_and_gate_equal_the_offline_functions(replayed) -> None:
    srv, ch, t, _ = replayed
    a, b = t[ch == 1], t[ch == 2]
    hdr, counts = srv.message("logcorr")
    assert hdr["edges_ps"] == LOG_EDGES_PS.tolist() and hdr["pair"] == [1, 2]
    assert np.array_equal(counts, correlate_edges(a, b, LOG_EDGES_PS))
    g = np.array([np.nan if x is None else x for x in hdr["g"]])
    ref_g = log_correlation(a, b, LOG_EDGES_PS, origin_ps=int(min(a[0], b[0])))
    assert np.array_equal(g, ref_g, equal_nan=True) and np.isfinite(g).sum() > 50
    edges, g_client = log_g2(hdr)  # what a client reads from the header
    assert np.array_equal(edges, LOG_EDGES_PS) and np.array_equal(g_client, ref_g, equal_nan=True)
    hdr, h3 = srv.message("g3")
    ref = G3(5, 1, 2, 256, 128)
    ref.update(ch, t)
    ref.flush()
    assert np.array_equal(h3, ref.histogram()) and hdr["n_anchors"] == ref.n_anchors and h3.sum() > 0
    assert np.array_equal(delay_edges(hdr), ref.edges_ps)
    hdr, gated = srv.message("gated")
    decided = srv.live.gate.next_bin
    starts, stops = _on_windows(ch, t, [1, 2], decided)
    assert 0 < hdr["n_on_bins"] == starts.size < hdr["n_gate_bins"]
    ref_gated = gated_histogram(a, b, starts, stops, 64, 2048)
    assert np.array_equal(gated, ref_gated.counts) and gated.sum() > 0


def test_live_frames_are_protocol_frames(replayed) -> None:
    """Every live topic packs as a frame, with no NaN and no impossible value in its header."""
    srv = replayed[0]
    for topic in LIVE_TOPICS:
        hdr, payload = srv.message(topic)
        head, _ = pack_header(topic, payload, {**hdr, "seq": 0})
        full = json.loads(head)  # strict JSON: a NaN would not parse back as a number
        assert full["topic"] == topic and full["accumulated"] is True and full["lost_total"] == 0
        for v in (full.get("values") or {}).values():
            assert v is None or v >= 0
    hdr, _ = srv.message("gated")
    assert set(hdr["values"]) == {"g2_0_on", "g2_0_on_err", "g2_0", "g2_0_err"}
    assert hdr["threshold_cps"] == THRESHOLD_CPS and hdr["on_time_s"] == hdr["n_on_bins"] * 0.01


def test_live_topics_are_off_by_default() -> None:
    srv = Server(SimDevice(ArraySource(pulsed_hbt(0.05))), Config(rep_rate_hz=1e7, integration_s=0.05),
                 pub=ANY_PORT, control=ANY_PORT, speed=0)
    try:
        srv.step_integration()
        assert srv.live.topics == () and srv.live.n_tags == 0
        with pytest.raises(CommandError, match="configure log_corr"):
            srv.message("logcorr")
        srv.apply_config(srv.config.updated(coincidences=[[0, 1]]))
        srv.step_integration()
        assert srv.live.topics == ("coincidences",) and srv.message("coincidences")[1].size == 1
    finally:
        srv.close()


def test_gate_learns_its_threshold_between_the_levels() -> None:
    """Two levels (2 and 40 photons per 1 ms bin): the learned threshold separates them, and the
    gated histogram is the offline gated histogram of the ON bins."""
    rng = np.random.default_rng(3)
    bin_ps, n = 1_000_000_000, 3 * LEARN_BINS
    bright = rng.random(n) < 0.4
    per_bin = rng.poisson(np.where(bright, 40, 2))
    t = np.sort(np.concatenate([k * bin_ps + rng.integers(0, bin_ps, m) for k, m in enumerate(per_bin)]))
    ch = rng.integers(0, 2, t.size).astype(np.uint8)
    gate = OnGate(0, 1, (0, 1), bin_ps, 1000, 200, 0, None)
    for lo in range(0, n, 50):  # integrations of 50 bins
        sel = (t >= lo * bin_ps) & (t < (lo + 50) * bin_ps)
        gate.add(ch[sel], t[sel], (lo + 50) * bin_ps)
    thr = gate.threshold_cps * bin_ps * 1e-12
    assert 2 < thr < 40 and gate.error == "" and gate.n_gate_bins == n
    on = np.flatnonzero(np.bincount(t // bin_ps, minlength=n) > thr)
    assert np.array_equal(on, np.flatnonzero(bright)) and gate.n_on_bins == on.size
    ref = gated_histogram(t[ch == 0], t[ch == 1], on * bin_ps, (on + 1) * bin_ps, 1000, 200)
    assert np.array_equal(gate.histogram, ref.counts)


def test_counters_refuse_tags_out_of_order_and_say_so() -> None:
    from g2live.device.base import Integration
    from g2live.server.correlations import LiveCorrelations

    live = LiveCorrelations(Config(log_corr=True, coincidences=((0, 1),)))
    counts = np.zeros(64, np.int64)
    counts[[0, 1]] = 2
    bad = Integration(0, 10_000, np.zeros((1, 4096), np.int64), counts,
                      stream=(np.array([0, 1, 0, 1], np.uint8), np.array([10, 5, 20, 30], np.int64)))
    live.add(bad)
    assert live.n_tags == 0 and live.unordered == 1 and "out of time order" in live.error
    good = Integration(0, 10_000, np.zeros((1, 4096), np.int64), counts,
                       stream=(np.array([0, 1, 0, 1], np.uint8), np.array([5, 10, 20, 30], np.int64)))
    live.add(good)
    live.add(good)  # the same tags again: before the last one fed
    assert live.n_tags == 4 and live.unordered == 2
    no_tags = Integration(10_000, 20_000, np.zeros((1, 4096), np.int64), counts)
    live.add(no_tags)
    assert live.no_tags == 1 and "raw_tags" in live.common()["error"]


def test_settings_are_checked_with_the_field_named() -> None:
    from g2live.config import ConfigError

    bad = [({"coincidences": [[0]]}, "coincidences[0]"), ({"g3": [0, 0, 1]}, "g3"),
           ({"heralded_g2": [8, 0, 5]}, "heralded_g2"), ({"g3_n_bins": 1024}, "g3_n_bins"),
           ({"log_corr": True, "pairs": [[0, 8]]}, "log_corr"),
           ({"on_threshold_cps": -1}, "on_threshold_cps")]
    for change, name in bad:
        with pytest.raises(ConfigError) as err:
            Config().updated(**change)
        assert err.value.field == name, (change, err.value)
    cfg = Config().updated(coincidences=[[1, 0], [0, 1, 8]], heralded_g2=[8, 0, 1], log_corr=True)
    assert cfg.coincidences == ((0, 1), (0, 1, 8)) and Config.from_json(cfg.to_json()) == cfg


def test_live_on_state_g2_equals_the_emulators_on_state_truth() -> None:
    """The `gated` topic on an emulated blinking dot (ON 10 % of the time over strong background,
    the dot of tests/analysis/test_analysis_gated.py): the ON-state g2(0) is the emulator's ON-state
    truth, the ungated one its all-states truth, and the two differ."""
    from g2live.device.sources import EmulatorSource
    from g2live.emulator import EmulatorConfig

    dot = EmulatorConfig(collection_efficiency=0.2, background_cps=20000, sync=False, off_qy_factor=0.02,
                         on_mean_ms=10, off_mean_ms=90)
    src = EmulatorSource(dot, seed=8)
    cfg = Config(channels=(0, 1), sync_channel=None, rep_rate_hz=dot.rep_rate_hz, trace_bin_ps=1_000_000_000,
                 on_state=True, n_bins=1024, bin_width_ps=1024)  # learned threshold, 1 ms gate bins
    srv = Server(SimDevice(src), cfg, pub=ANY_PORT, control=ANY_PORT, speed=0)
    try:
        while srv.acc.integration_s < 30:
            srv.step_integration()
        srv.update_analysis(force=True)
        hdr, _ = srv.message("gated")
    finally:
        srv.close()
    truth, v = src.emulator.truth(), hdr["values"]
    assert hdr["threshold_learned"] and hdr["gate_error"] == ""
    assert 0.07 < hdr["n_on_bins"] / hdr["n_gate_bins"] < 0.13  # the dot is ON 10 % of the time
    assert abs(v["g2_0_on"] - truth["g2_0_hbt_on"]) < 3 * v["g2_0_on_err"]
    assert abs(v["g2_0"] - truth["g2_0_hbt"]) < 3 * v["g2_0_err"]
    assert v["g2_0"] - v["g2_0_on"] > 2 * np.hypot(v["g2_0_err"], v["g2_0_on_err"])  # gating changes it


def test_live_topics_over_the_sockets(array_server: Server) -> None:
    """Switched on by `configure`, published as frames a Subscriber reads, snapshot by name;
    a snapshot of a topic that is off is refused naming its setting."""
    from g2live.client import ControlClient, ControlError, Subscriber

    with ControlClient(array_server.control_endpoint) as ctl, \
            Subscriber(array_server.pub_endpoint, ["logcorr", "coincidences"]) as sub:
        run = ctl.configure(log_corr=True, coincidences=[[0, 1]], coinc_window_ps=5000)["run"]
        ctl.start()
        frame = sub.wait_for("coincidences", 20, lambda f: f.run == run and f.data.sum() > 0)
        assert frame.header["sets"] == [[0, 1]] and frame.header["window_ps"] == 5000
        edges, _ = log_g2(sub.wait_for("logcorr", 20, lambda f: f.run == run).header)
        assert np.array_equal(edges, LOG_EDGES_PS)
        ctl.stop()
        snap = ctl.snapshot(["coincidences", "logcorr"])
        assert snap["coincidences"][1].sum() >= frame.data.sum() and snap["logcorr"][1].size == edges.size - 1
        with pytest.raises(ControlError, match="configure g3"):
            ctl.snapshot(["g3"])


def test_gate_learning_is_bounded() -> None:
    """Long gate bins learn from at most 10 s; past MAX_HELD tags the gate learns from the bins so
    far, or, with fewer than 10, stays shut and says which setting to give."""
    from g2live.server import ongate

    assert OnGate(0, 1, (0, 1), 60 * 10**12, 1000, 10, 0, None).learn_bins == ongate.MIN_LEARN_BINS
    assert OnGate(0, 1, (0, 1), 10**10, 1000, 10, 0, None).learn_bins == LEARN_BINS
    gate = OnGate(0, 1, (0, 1), 10**12, 1000, 10, 0, None)  # 1 s bins
    rng = np.random.default_rng(1)
    t = np.sort(rng.integers(0, 3 * 10**12, 600))
    ch = rng.integers(0, 2, t.size).astype(np.uint8)
    old, ongate.MAX_HELD = ongate.MAX_HELD, 500
    try:
        gate.add(ch, t, 3 * 10**12)  # 600 tags > 500 held, in 3 bins
    finally:
        ongate.MAX_HELD = old
    assert gate.summary()["threshold_cps"] is None and "set on_threshold_cps" in gate.error
    assert gate.n_gate_bins == 3 and gate.n_on_bins == 0 and gate.histogram.sum() == 0


def test_watch_shows_the_live_taggers_values(replayed) -> None:
    """`g2live watch` prints the gated, heralded and coincidence topics' values as the server sent them."""
    from g2live.cli.watch import WATCH_TOPICS, render
    from g2live.client import Message
    from rich.console import Console

    srv = replayed[0]
    latest = {t: Message(t, *srv.message(t)) for t in ("gated", "heralded_g2", "coincidences")}
    assert set(latest) <= set(WATCH_TOPICS)
    console = Console(width=200, record=True)
    console.print(render(latest, {}, "tcp://x"))
    text = console.export_text()
    hg = latest["heralded_g2"]
    assert f"heralded g2_h(0) {hg.header['values']['g2_h0']:.4f}" in text
    assert f"both: {int(hg.data[3]):,}" in text
    v = latest["gated"].header["values"]
    assert f"g2(0) ON state {v['g2_0_on']:.4f}" in text
    co = latest["coincidences"]
    assert f"1,2,5: {int(co.data[1]):,}" in text and "within 2000 ps" in text
