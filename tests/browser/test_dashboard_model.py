# SPDX-License-Identifier: BSD-3-Clause
"""The dashboard's data side without a browser: conversions, accumulators, the receiver thread
against the real publisher, fits, and one render of a page document. Quick; no Chromium."""

from __future__ import annotations

import fnmatch
import time
import tomllib
from pathlib import Path

import g2live.dashboard
import numpy as np
import pytest
from bokeh.document import Document
from browser_helpers import REPO, wait_until
from g2live.dashboard import model
from g2live.dashboard.accumulators import DELAY_BIN_PS, DELAY_BINS, Heralded, History
from g2live.dashboard.assets import static_text
from g2live.dashboard.derived import blinking_fit, peak_windows_for, sweep_fit
from g2live.dashboard.feed import TOPICS, Feed
from g2live.dashboard.snapshot import Cursor, Want
from g2live.dashboard.webserver import Dashboard
from g2live.server import Publisher


def test_fmt_value_err() -> None:
    assert model.fmt_value_err(0.12345, 0.0123) == "0.123 ± 0.012"
    assert model.fmt_value_err(12.3, 2.0) == "12.3 ± 2.0"
    assert model.fmt_value_err(None, 0.1) == "—"
    assert model.fmt_value_err(float("nan"), 0.1) == "—"
    assert model.fmt_value_err(0.5, None) == "0.5"


def test_g2_columns_edges_follow_the_protocol() -> None:
    hist = np.array([[0, 3, 5, 0]])
    cols = model.g2_columns({"bin_width_ps": 1000, "lo_ps": -2000}, hist, 0)
    np.testing.assert_allclose(cols["x"], [-2.0, -1.0, 0.0, 1.0, 2.0])  # ns, n_bins + 1 edges
    np.testing.assert_array_equal(cols["y"], [0, 3, 5, 0, 0])
    assert np.isnan(cols["y_log"][0]) and cols["y_log"][1] == 3


def test_peak_windows_are_clipped_to_the_histogram() -> None:
    centre, sides = model.peak_windows(100_000, 20_000, 50_000, 4, -250_000, 250_000)
    assert centre == (-5.0, 45.0)
    # centres at 20 + k*100 ns; only those whose whole window fits in [-250, 250) ns remain
    assert sides == [(-205.0, -155.0), (-105.0, -55.0), (95.0, 145.0), (195.0, 245.0)]


def test_photon_number_columns() -> None:
    cols = model.photon_number_columns(np.array([900, 90, 9, 1, 0]))
    assert cols["p"][:4].sum() == pytest.approx(1.0)
    assert np.isnan(cols["p"][4]) and list(cols["label"]) == ["0", "1", "2", "3", "≥4"]
    assert model.mean_photons(np.array([900, 90, 9, 1, 0])) == pytest.approx((90 + 18 + 3) / 1000)


def test_parse_pairs() -> None:
    assert model.parse_pairs("0-1, 0-0") == [[0, 1], [0, 0]]
    assert model.parse_pairs("2,3; 1,1") == [[2, 3], [1, 1]]
    with pytest.raises(ValueError, match="pairs"):
        model.parse_pairs("0-x")
    with pytest.raises(ValueError, match="pairs"):
        model.parse_pairs(" ")


def test_history_is_bounded_and_resumable() -> None:
    h = History(length=5)
    for i in range(8):
        h.append({"v": float(i)})
    rows, nxt = h.since(0)  # asked for rows that rolled out: get what is kept
    assert [r["v"] for r in rows] == [3, 4, 5, 6, 7] and nxt == 8
    rows, nxt = h.since(6)
    assert [r["v"] for r in rows] == [6, 7]
    assert h.since(8) == ([], 8)


def test_heralded_accumulates_per_run_and_counts_overflow() -> None:
    her = Heralded()
    rec = np.array([[0, 3, 100, 4, 5_000], [1, 3, 200, 5, 10 * DELAY_BINS * DELAY_BIN_PS]])
    her.add({"run": 1}, rec)
    her.add({"run": 1}, rec)
    assert her.first[3] == 4 and her.second[4] == 2 and her.second[5] == 2
    assert her.delay_overflow == 2 and her.records == 4
    her.add({"run": 2}, rec[:1])  # a new run starts from zero
    assert her.first[3] == 1 and her.records == 1 and her.delay_overflow == 0


def _comb(period_ps: int = 100_000, bw: int = 1024, n_bins: int = 4096, zero_ps: int = 23_900,
          centre_fraction: float = 0.1, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lo = -(n_bins // 2) * bw
    x = lo + (np.arange(n_bins) + 0.5) * bw
    k = np.round((x - zero_ps) / period_ps)
    lam = 20 * np.exp(-np.abs(x - zero_ps - k * period_ps) / 5_000) * np.where(k == 0, centre_fraction, 1.0)
    return rng.poisson(lam)[None, :]


def test_peak_windows_for_finds_the_shifted_zero() -> None:
    header = {"bin_width_ps": 1024, "offset_ps": 0,
              "settings": {"sync_channel": 8, "rep_rate_hz": 1e7, "analysis_k_side": 4}}
    windows, errors = peak_windows_for(header, _comb())
    assert not errors
    w = windows[0]
    assert abs(w["zero_ps"] - 23_900) < 1024 and w["method"] == "dip" and w["n_side"] == 4
    cw, why = peak_windows_for({**header, "settings": {"sync_channel": None}}, _comb())
    assert not cw and "CW" in why[0]


def test_blinking_fit_recovers_the_on_fraction() -> None:
    rng = np.random.default_rng(3)
    on = rng.random(4000) < 0.7
    counts = rng.poisson(np.where(on, 60.0, 5.0))
    r = blinking_fit(counts)
    # the two levels are 10 sigma apart: misclassified bins are negligible, the error is binomial
    sigma = np.sqrt(0.7 * 0.3 / counts.size)
    assert abs(r["on_fraction"] - on.mean()) < 5 * sigma
    assert 5 < r["threshold"] < 60 and r["separated"]


def test_sweep_fit_needs_three_points_and_recovers_p_sat() -> None:
    from g2live.analysis.power import g2_model, rate_model

    assert "error" in sweep_fit([{"power": 1.0, "rate_cps": 1e4}])
    power = np.array([0.1, 0.3, 1.0, 2.0, 4.0])
    rate = rate_model(power, 1e5, 1.0, 0.1)
    g2 = g2_model(power / 1.0, 0.1)
    points = [{"power": p, "rate_cps": r, "integration_s": 1e3, "g2_0": g, "g2_0_err": 0.01}
              for p, r, g in zip(power, rate, g2, strict=True)]
    r = sweep_fit(points)
    assert r["p_sat"] == pytest.approx(1.0, rel=1e-3) and r["qy_ratio"] == pytest.approx(0.1, abs=1e-3)
    assert r["curve"]["rate"].size == r["curve"]["power"].size


@pytest.fixture
def publisher() -> Publisher:
    pub = Publisher("tcp://127.0.0.1:*")
    yield pub
    pub.close()


def _publish_run(pub: Publisher, n: int = 3) -> np.ndarray:
    settings = {"channels": [0, 1, 8], "sync_channel": 8, "rep_rate_hz": 1e7, "analysis_k_side": 4,
                "pairs": [[0, 1]], "bin_width_ps": 1024, "n_bins": 4096, "offset_ps": 0, "integration_s": 0.1}
    base = {"run": 0, "t_start": time.time(), "t_stop": time.time(), "units": "counts", "settings": settings,
            "device": "sim"}
    hist = _comb()
    for i in range(n):
        pub.publish("g2", hist * (i + 1), {**base, "integration_s": 0.1 * (i + 1), "accumulated": True,
                                           "pairs": [[0, 1]], "bin_width_ps": 1024, "n_bins": 4096,
                                           "offset_ps": 0, "lo_ps": -2048 * 1024, "counts": [1000] * 64})
        pub.publish("heralded", np.array([[i, 3, 100, 4, 900]], np.int64), {**base, "accumulated": False})
        rates = np.zeros(64)
        rates[[0, 1, 8]] = (1e4, 2e4, 1e7)
        pub.publish("rates", rates, {**base, "accumulated": False, "units": "counts/s"})
        vals = {"g2_0": 0.1 + i, "g2_0_err": 0.01, "purity": 0.9 - i, "purity_err": 0.01, "rate_cps": 3e4}
        pub.publish("analysis", np.array(list(vals.values())), {**base, "columns": list(vals), "values": vals,
                                                                "pair": 0, "accumulated": True})
        lost = {"fifo": [0, 7] + [0] * 62}
        status = {**base, "state": "running", "lost_total": 7, "lost": lost, "accumulated": True}
        pub.publish("status", np.zeros(64, np.int64), status)
    return hist * n


def test_feed_conflates_accumulated_topics_and_keeps_every_record(publisher: Publisher) -> None:
    feed = Feed(publisher.endpoint).start()
    try:
        wait_until("the subscription to reach the publisher", lambda: publisher.publish(
            "trace", np.zeros(1, np.int64), {"run": 0, "trace_bin_ps": 10**10, "t0_ps": 0}) and
            feed.received.get("trace"), 10)
        last = _publish_run(publisher)
        publisher.seq["g2"] += 2  # two g2 frames "lost" on the way
        _publish_run(publisher, 1)
        wait_until("all frames", lambda: feed.received.get("status", 0) >= 4, 10)
        cursor = Cursor()
        everything = Want(frozenset(TOPICS), history=True, heralded=True, trace=True, sweep=True)
        snap = feed.snapshot(cursor, everything)
        assert snap.health.received["g2"] == 4 and snap.health.gaps.get("g2") == 2
        np.testing.assert_array_equal(snap.frames["g2"].data, last // 3)  # newest frame only
        assert snap.heralded.records == 4 and snap.heralded.first[3] == 4  # every record kept
        rows = snap.rate_rows
        assert len(rows) == 4 and rows[0] == {"t": rows[0]["t"], "ch0": 1e4, "ch1": 2e4}  # no sync
        assert [r["g2_0"] for r in snap.analysis_rows] == [0.1, 1.1, 2.1, 0.1]
        # The cursor moved on: nothing is handed over twice ...
        again = feed.snapshot(cursor, everything)
        assert not again.has_data and again.health.received == snap.health.received
        # ... until a reader asks again (a tab shown anew), and then only what it wants.
        cursor.rewind(["g2"])
        again = feed.snapshot(cursor, Want(frozenset({"g2", "status"}), heralded=True))
        assert set(again.frames) == {"g2"} and again.heralded is not None and again.trace is None
        assert not again.analysis_rows and not again.rate_rows
        # The copies are the reader's: the receiver folding in more frames does not change them.
        first_before = snap.heralded.first.copy()
        _publish_run(publisher, 1)
        wait_until("the next run's frames", lambda: feed.received.get("status", 0) >= 5, 10)
        np.testing.assert_array_equal(snap.heralded.first, first_before)
        newer = feed.snapshot(cursor, everything)
        assert newer.heralded.records == 5 and len(newer.rate_rows) == 1
    finally:
        feed.stop()


def test_session_renders_frames_into_the_document(publisher: Publisher) -> None:
    dash = Dashboard(publisher.endpoint, "tcp://127.0.0.1:1")  # control unused here
    try:
        doc = Document()
        dash.make_document(doc)
        session = dash.sessions[0]
        wait_until("the subscription", lambda: publisher.publish(
            "trace", np.zeros(1, np.int64), {"run": 0, "trace_bin_ps": 10**10, "t0_ps": 0}) and
            dash.feed.received.get("trace"), 10)
        _publish_run(publisher)
        wait_until("the frames", lambda: dash.feed.received.get("status", 0) >= 3, 10)
        session.slow_at = 0.0
        session.tick()
        assert len(session.live.histogram.g2_source.data["x"]) == 4097
        header, flow = session.header, session.flow
        assert 'data-key="g2_0">2.100 ± 0.010<' in header.summary.text
        assert "7 events LOST" in header.banner.text and 'class="bad"' in header.banner.text
        assert session.kit.live_text.source.data["summary"] == [header.summary.text]  # what the browser gets
        assert flow.sent == 1  # one update sent, now waiting for the browser's echo
        session.tick()
        assert flow.sent == 1  # flow control: nothing new goes out before the echo
        n_callbacks = len(doc.session_callbacks)
        flow.ack.data = {"n": [1]}  # what the page's callback does
        assert flow.acked == 1
        # The echo schedules the next update itself: no idle wait for the periodic tick.
        assert flow.tick_pending and len(doc.session_callbacks) == n_callbacks + 1
    finally:
        dash.close()


def test_static_files_are_package_data() -> None:
    """Every file of dashboard/static/ goes into a wheel (pyproject package-data) and loads as code."""
    static = Path(g2live.dashboard.__file__).parent / "static"
    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    files = sorted(p.name for p in static.iterdir())
    assert {"dashboard.css", "live_text.js", "echo_marker.js"} <= set(files)
    for name in files:
        assert any(fnmatch.fnmatch(f"static/{name}", g) for g in globs["g2live.dashboard"]), name
        code = static_text(name)
        assert code.strip() and not code.lstrip().startswith(("//", "/*")), name  # licence header dropped
