# SPDX-License-Identifier: BSD-3-Clause
"""The Correlations tab without a browser: a real server's live taggers' frames rendered into a
page document (log-binned G(tau), ON-state g2(0), heralded g2, coincidences, g3), and withheld
values shown as withheld. Quick; no Chromium."""

from __future__ import annotations

import numpy as np
import pytest
from bokeh.document import Document
from browser_helpers import wait_until
from g2live.config import Config
from g2live.dashboard import model
from g2live.dashboard.views import CorrelationsTab
from g2live.dashboard.views.correlations import heralded_text
from g2live.dashboard.webserver import Dashboard
from g2live.device.sim import SimDevice
from g2live.device.sources import ArraySource
from g2live.photons import Meta, PhotonData
from g2live.protocol import LIVE_TOPICS
from g2live.server import Server

PERIOD_PS = 100_000  # 10 MHz laser on channel 8


def _pulsed(seconds: float, seed: int = 5) -> PhotonData:
    """Syncs on channel 8 and one photon per pulse at most, on 0 or 1 (an ideal single emitter)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * 1e12 / PERIOD_PS)
    sync = np.arange(n, dtype=np.int64) * PERIOD_PS
    hit = rng.random(n) < 0.03
    t = sync[hit] + rng.exponential(2000, hit.sum()).astype(np.int64)
    c = rng.integers(0, 2, t.size)
    ch = np.concatenate([np.full(n, 8), c]).astype(np.uint8)
    tt = np.concatenate([sync, t])
    order = np.lexsort((ch, tt))
    meta = Meta(source="test", sync_rate_hz=1e12 / PERIOD_PS, sync_channel=8)
    return PhotonData(ch[order], tt[order], meta)


@pytest.fixture
def server() -> Server:
    cfg = Config(integration_s=0.05, rep_rate_hz=1e7, log_corr=True, coincidences=((0, 8), (1, 8)),
                 coinc_window_ps=20_000, heralded_g2=(8, 0, 1), herald_window_ps=50_000, g3=(8, 0, 1),
                 g3_bin_width_ps=1024, g3_n_bins=32, on_state=True, on_threshold_cps=1.0)
    srv = Server(SimDevice(ArraySource(_pulsed(0.5))), cfg, pub="tcp://127.0.0.1:0", control="tcp://127.0.0.1:0",
                 speed=0)
    yield srv
    srv.close()


def test_correlations_tab_draws_the_servers_frames(server: Server) -> None:
    dash = Dashboard(server.pub_endpoint, server.control_endpoint)
    try:
        doc = Document()
        dash.make_document(doc)
        session = dash.sessions[0]
        tab = next(v for v in session.views if isinstance(v, CorrelationsTab))
        session.active = session.views.index(tab)  # the tab shown: only it is fed
        feed = dash.feed
        wait_until("the subscription", lambda: (server.publish("status"), feed.received.get("status"))[1], 10)
        while not server.source_done:
            server.step_integration()
        server.publish_live(force=True)
        sent = server.publisher.stats.sent
        wait_until("every live frame", lambda: all(feed.received.get(t) == sent[t] for t in LIVE_TOPICS), 10)
        session.slow_at = 0.0
        session.tick()
        frames = {t: server.message(t) for t in LIVE_TOPICS}
        g = tab.logcorr_source.data["g"]
        ref = np.array([np.nan if v is None else v for v in frames["logcorr"][0]["g"]])
        np.testing.assert_array_equal(g, ref)
        assert np.isfinite(g).sum() > 20 and tab.logcorr_fig.x_scale.__class__.__name__ == "LogScale"
        np.testing.assert_array_equal(tab.g3_source.data["image"][0], frames["g3"][1].T)  # rows: tau2
        assert list(tab.coinc_source.data["counts"]) == frames["coincidences"][1].tolist()
        hg = frames["heralded_g2"][0]["values"]
        assert hg["g2_h0"] is not None and model.fmt_value_err(hg["g2_h0"], hg["g2_h0_err"]) in tab.lines[
            "heralded_g2"].text
        gated = tab.lines["gated"].text
        assert "g2(0) ON state" in gated and "all " in gated and "threshold 1 cps" in gated
        assert "configure" not in "".join(line.text for line in tab.lines.values())  # every part has data
    finally:
        dash.close()


def test_withheld_values_are_never_numbers() -> None:
    hdr = {"channels": [8, 0, 1], "values": {"g2_h0": None, "g2_h0_err": None},
           "withheld": {"g2_h0": "heralded_g2: not determined"}, "pending": 3}
    text = heralded_text(hdr, np.array([10, 0, 4, 0]))
    assert "g2_h(0) = withheld" in text and "3 heralds open" in text
    v = {"g2_0_on": None, "g2_0_on_err": 0.02, "g2_0": 0.1, "g2_0_err": 0.01}
    assert model.shown_value(v, {"g2_0_on": "below 0"}, "g2_0_on", "g2_0_on_err") == "withheld"
    assert model.shown_value(v, {}, "g2_0_on", "g2_0_on_err") == "—"
    cols = model.logcorr_columns({"edges_ps": [1000, 10_000, 100_000], "g": [None, 2.0]})
    np.testing.assert_allclose(cols["tau"], [np.sqrt(1e-8 * 1e-9), np.sqrt(1e-8 * 1e-7)])
    assert np.isnan(cols["g"][0]) and cols["g"][1] == 2.0


def test_the_gate_says_why_it_has_no_value_yet() -> None:
    from g2live.dashboard.views.correlations import why_text

    hdr = {"values": {"g2_0_on": None}, "withheld": {}, "gate_error": "learning the ON/OFF threshold",
           "estimate_status": "no ON-state coincidences yet", "lost_total": 5}
    why = why_text(hdr)
    assert "learning the ON/OFF threshold" in why and "no ON-state coincidences yet" in why
    assert "5 events LOST" in why
