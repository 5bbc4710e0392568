# SPDX-License-Identifier: BSD-3-Clause
"""The dashboard in a real headless Chromium against a real `g2live serve` (sim device).

Checks what a user sees: the page loads offline with a clean console, the plots move, the g2(0)
shown is the one the server published (and the one a plain subscriber recomputes from the same
histogram), and control actions round-trip through the control socket, refusals included.
"""

from __future__ import annotations

import json
import math
import re
import time
import urllib.parse
from typing import Any

import numpy as np
import pytest
import zmq
from browser_helpers import Page, Stack, wait_until

pytestmark = pytest.mark.browser

NUMBER = re.compile(r'data-key="g2_0">([-0-9.]+) ± ([0-9.]+)<')
SEQ = re.compile(r'data-key="analysis_seq" data-seq="(\d+)"')


class PlainSubscriber:
    """A subscriber written from docs/protocol.md alone (plain pyzmq + json + numpy)."""

    def __init__(self, endpoint: str, topics: list[str]) -> None:
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.SUB)
        for t in topics:
            self.sock.setsockopt(zmq.SUBSCRIBE, t.encode())
        self.sock.connect(endpoint)

    def frames(self, seconds: float) -> list[tuple[str, dict[str, Any], np.ndarray]]:
        out = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if not self.sock.poll(int(left * 1000) + 1):
                continue
            topic, header, payload = self.sock.recv_multipart()
            h = json.loads(header)
            assert h["schema"] == 1
            out.append((topic.decode(), h, np.frombuffer(payload, dtype=h["dtype"]).reshape(h["shape"])))
        return out

    def close(self) -> None:
        self.sock.close(linger=0)
        self.ctx.term()


def displayed_g2(page: Page) -> tuple[float, float, int, int]:
    """(g2(0), error, decimals shown, analysis seq) as rendered in the page's summary."""
    text = page.shown_html("summary")
    m, s = NUMBER.search(text), SEQ.search(text)
    assert m and s, f"no g2(0) on the page: {text[:300]}"
    decimals = len(m.group(1).split(".")[1]) if "." in m.group(1) else 0
    return float(m.group(1)), float(m.group(2)), decimals, int(s.group(1))


def test_page_loads_offline_without_console_errors(page: Page, stack: Stack) -> None:
    time.sleep(1.0)  # let a few updates run, so errors raised by updates are caught too
    errors = page.console_errors()
    assert not errors, f"browser console errors: {errors}"
    urls = page.requested_urls()
    network = [u for u in urls if urllib.parse.urlsplit(u).scheme in ("http", "https", "ws", "wss")]
    assert any("/static/js/bokeh" in u for u in network), f"BokehJS was not loaded from the server: {network}"
    assert any(u.startswith("ws") for u in network), f"no WebSocket recorded: {network}"
    foreign = [u for u in network if urllib.parse.urlsplit(u).hostname != "127.0.0.1"]
    assert not foreign, f"the page contacted something other than 127.0.0.1: {foreign}"
    assert "events lost" in page.shown_html("lost_banner")
    page.screenshot("loaded")


def test_plots_update(page: Page) -> None:
    def state() -> tuple[int, float, int]:
        updates = page.js("return window.g2live_updates || 0")
        total = page.js("const d = Bokeh.documents[0].get_model_by_name('g2_source').data;"
                        "let s = 0; for (let i = 0; i < d.y.length - 1; i++) s += d.y[i]; return s;")
        rows = page.js("return Bokeh.documents[0].get_model_by_name('history_source').data.t.length")
        return int(updates), float(total), int(rows)

    u0, total0, rows0 = state()
    u1, total1, rows1 = wait_until("three more histogram updates",
                                   lambda: (s := state())[0] >= u0 + 3 and s[2] > rows0 and s, 30)
    assert total1 > total0, "the accumulated histogram on the page did not grow"
    n_bins = page.js("return Bokeh.documents[0].get_model_by_name('g2_source').data.x.length")
    assert n_bins == 4096 + 1, n_bins  # default n_bins, plus the closing edge of the step plot
    page.screenshot("updating")


def test_g2_shown_equals_plain_subscriber(page: Page, stack: Stack) -> None:
    """The number on the page is the published one, and a plain subscriber recomputes it from the
    histogram with the same run and integration time."""
    from g2live.analysis import CorrelationHistogram, pulsed_g2

    sub = PlainSubscriber(stack.pub, ["analysis", "g2"])
    analysis: dict[int, dict[str, Any]] = {}
    g2: dict[tuple[int, float], tuple[dict[str, Any], np.ndarray]] = {}

    def shown_and_received() -> tuple[float, float, int, int] | None:
        for t, h, data in sub.frames(0.3):  # keep receiving while waiting for the page
            if t == "analysis":
                analysis[h["seq"]] = h
            else:
                g2[(h["run"], h["integration_s"])] = (h, data)
        shown = displayed_g2(page)
        last.append((shown[3], min(analysis, default=None), max(analysis, default=None)))
        # The subscriber may have connected between a g2 frame and its analysis frame: wait for
        # one whose histogram it also received.
        h = analysis.get(shown[3])
        return shown if h is not None and (h["run"], h["integration_s"]) in g2 else None

    last: list[tuple[Any, ...]] = []
    try:
        value, err, decimals, seq = wait_until("the page to show an analysis frame the subscriber also got",
                                               shown_and_received, 30, 0.0)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; (page seq, received min, max): {last[-5:]}") from None
    finally:
        sub.close()
    vals = analysis[seq]["values"]
    half_digit = 0.5 * 10.0**-decimals + 1e-12
    assert abs(value - vals["g2_0"]) <= half_digit, (value, vals["g2_0"])
    assert abs(err - vals["g2_0_err"]) <= half_digit, (err, vals["g2_0_err"])
    # recompute from the accumulated histogram the analysis was made of
    key = (analysis[seq]["run"], analysis[seq]["integration_s"])
    assert key in g2, f"no g2 frame with run/integration {key} among {sorted(g2)[:5]}..."
    h, data = g2[key]
    s = h["settings"]
    pair = analysis[seq]["pair"]
    a, b = h["pairs"][pair]
    counts = h["counts"]
    rep = s.get("rep_rate_hz")
    r = pulsed_g2(CorrelationHistogram(np.asarray(data[pair]), h["bin_width_ps"], h["offset_ps"]),
                  period_ps=1e12 / rep if rep else None, n_side=s["analysis_k_side"],
                  counts_ab=(counts[a], counts[b]), duration_s=h["integration_s"], rep_rate_hz=rep)
    assert abs(value - r.g2_0) <= half_digit, (value, r.g2_0)
    assert math.isclose(vals["g2_0"], r.g2_0, rel_tol=1e-12), (vals["g2_0"], r.g2_0)


def _status(stack: Stack, predicate: Any, timeout_s: float) -> dict[str, Any]:
    sub = PlainSubscriber(stack.pub, ["status"])
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for _, h, _ in sub.frames(0.5):
                if predicate(h):
                    return h
    finally:
        sub.close()
    raise AssertionError(f"no matching status frame within {timeout_s} s")


def test_control_round_trip(page: Page, stack: Stack) -> None:
    run0 = _status(stack, lambda h: True, 5)["run"]
    page.set_input("integration_input", "0.2")
    page.click("apply_button")
    wait_until("the server's reply to configure",
               lambda: "configure: ok" in page.model("control_reply", "text"), 15)
    st = _status(stack, lambda h: h["settings"]["integration_s"] == 0.2, 10)
    assert st["run"] > run0  # an accepted configure starts a new run (protocol section 2)
    # the page shows the device's settings back, from the status it received
    wait_until("the page to show integration 0.2 s",
               lambda: page.model("integration_input", "value") == 0.2, 10)
    run1 = st["run"]
    page.click("reset_button")
    wait_until("the server's reply to reset", lambda: "reset: ok" in page.model("control_reply", "text"), 15)
    _status(stack, lambda h: h["run"] > run1, 10)
    wait_until("the banner to show the new run",
               lambda: f"run {run1 + 1} " in page.shown_html("lost_banner") or f"run {run1 + 2} " in
               page.shown_html("lost_banner"), 10)
    page.screenshot("control")


def test_refused_setting_shows_error(page: Page, stack: Stack) -> None:
    before = _status(stack, lambda h: True, 5)
    page.set_input("nbins_input", "0")
    page.click("apply_button")
    text = wait_until("the refusal on the page", lambda: (t := page.model("control_reply", "text")) and
                      "refused" in t and t, 15)
    assert "n_bins" in text, f"the error does not name the field: {text}"
    shown = page.shown_html("control_reply")
    assert "refused" in shown and 'class="err"' in shown
    after = _status(stack, lambda h: True, 5)
    assert after["run"] == before["run"] and after["settings"]["n_bins"] == before["settings"]["n_bins"]
    page.screenshot("refused")
    # put the input back to the device's value so later tests start clean
    page.set_input("nbins_input", str(before["settings"]["n_bins"]))
