# SPDX-License-Identifier: BSD-3-Clause
"""The top of the page: endpoints and connection state, the lost-events banner, the big numbers.

When no ``status`` has arrived for ``STALE_INTERVALS`` of the server's status intervals
(``g2live.protocol.stale_after_s``), the banner says the server is gone and the numbers are
greyed out as stale, until a status arrives again.

All live numbers share one Div (``summary``): every Div text change makes BokehJS re-measure the
page layout, so one change per update instead of eight keeps the browser's work small.
"""

from __future__ import annotations

import html
import time
from typing import Any

from bokeh.layouts import column, row
from bokeh.models import Div

from . import model
from .markup import big_number
from .snapshot import Snapshot, StreamHealth
from .widgets import PageKit
from .wire import Message, stale_after_s, status_interval_s

__all__ = ["SILENT_S", "Header", "banner_html"]

SILENT_S = 3.0  # no frame for this long: the connection line turns red
BIG_NUMBERS = (("g2(0)", "g2_0"), ("purity 1 − g2(0)", "purity"), ("detected rate", "rate"),
               ("photons / pulse", "per_pulse"), ("integration", "integration"), ("state", "state"))


class Header:
    """Banner, connection line and summary numbers, fed from every snapshot whatever tab is shown.

    Parameters
    ----------
    kit : PageKit
        The page's Div factory.
    pub, control : str
        The data and control endpoints, shown in the connection line.
    """

    def __init__(self, kit: PageKit, pub: str, control: str) -> None:
        self.pub, self.control = pub, control
        self._status_at: float | None = None  # time.monotonic() the newest status arrived
        self._stale_after, self._interval = stale_after_s({}), status_interval_s({})
        self._state = "—"  # the state the newest status reported
        self.stale = False  # no status for too long: the server is gone
        self.banner = kit.live("lost_banner", '<div class="warn">waiting for the first status frame…</div>',
                               sizing_mode="stretch_width", height=34)
        self.conn = kit.live("connection", self._endpoints_text())
        self.values: dict[str, str] = {"g2_0": "—", "purity": "—", "rate": "—", "per_pulse": "—",
                                       "integration": "—", "state": "—", "analysis": "no analysis frame yet",
                                       "g2_info": "", "page": "—"}
        self.summary = kit.live("summary", self._summary_html(), sizing_mode="stretch_width", height=86)
        self.layout = column(
            row(Div(text="<h2 style='margin:4px 0'>g2live</h2>", width=110), self.conn.div),
            self.banner.div,
            self.summary.div,
            sizing_mode="stretch_width")
        self._settings: dict[str, Any] = {}  # of the newest status: channels of frames without settings
        self._pulsed_seen = False  # the photon-number histogram gives photons / pulse once it exists

    def update(self, snap: Snapshot) -> None:
        """Take the status, analysis, rates and photon-number frames and the stream counters."""
        frames = snap.frames
        if "status" in frames:
            self._status_at = frames["status"].received
            h = frames["status"].header
            self._stale_after, self._interval = stale_after_s(h), status_interval_s(h)
            self._status(frames["status"].header)
        if "analysis" in frames:
            self._analysis(frames["analysis"])
        if "rates" in frames:
            self._rates(frames["rates"], pulsed="pulsed" in frames)
        if "pulsed" in frames:
            self._pulsed(frames["pulsed"])
        self._health(snap.health)

    def note(self, key: str, text: str) -> None:
        """Set one part of the note line under the numbers (e.g. ``g2_info`` of the shown histogram)."""
        self.values[key] = text

    def finish(self, page_rate: str | None = None) -> None:
        """Compose the summary from the numbers set during this update (``page_rate``: new rate text)."""
        if page_rate is not None:
            self.values["page"] = page_rate
        self.summary.text = self._summary_html()

    def _summary_html(self) -> str:
        v = self.values
        cells = "".join(big_number(label, key, v.get(key, "—")) for label, key in BIG_NUMBERS)
        periods = f"{v['periods']} laser periods" if "periods" in v else ""
        parts = (v.get("analysis", ""), v.get("g2_info", ""), v.get("sync", ""), periods, v["page"])
        notes = " · ".join(x for x in parts if x)
        seq = v.get("analysis_seq", "")
        klass = "cells stale" if self.stale else "cells"
        return (f'<div class="{klass}">{cells}</div><div class="small" data-key="analysis_seq" '
                f'data-seq="{seq}">{html.escape(notes)}</div>')

    def _endpoints_text(self) -> str:
        return (f'<span class="small">data {html.escape(self.pub)} · control '
                f'{html.escape(self.control)}</span>')

    def _status(self, h: dict[str, Any]) -> None:
        self._settings = h.get("settings") or {}
        state = str(h.get("state", "?"))
        self.stale, self._state = False, state
        self.values["state"] = state
        self.values["integration"] = f"{float(h.get('integration_s') or 0):.1f} s"
        self.banner.text = banner_html(h, state)

    def _analysis(self, frame: Message) -> None:
        v = frame.header.get("values") or {}
        withheld = frame.header.get("withheld") or {}
        for key in ("g2_0", "purity"):
            shown = model.fmt_value_err(v.get(key), v.get(f"{key}_err"))
            self.values[key] = "withheld" if v.get(key) is None and key in withheld else shown
        self.values["rate"] = model.fmt_rate(v.get("rate_cps"))
        pn = v.get("g2_0_poisson_norm")
        extra = f" · Poisson-normalised g2(0) {pn:.4g}" if isinstance(pn, (int, float)) else ""
        why = " · ".join(f"withheld: {r}" for r in dict.fromkeys(withheld.values()))
        pair = frame.header.get("pair", 0)
        self.values["analysis"] = f"analysis #{frame.seq} · run {frame.run} · pair {pair}{extra}" + (
            f" · {why}" if why else "")
        self.values["analysis_seq"] = str(frame.seq)

    def _rates(self, frame: Message, pulsed: bool) -> None:
        rates, det, sync = model.rate_channels(frame.header, frame.data, self._settings)
        sync_cps = float(rates[sync]) if sync is not None and 0 <= sync < rates.size else 0.0
        sync_text = f", sync ch {sync}: {model.fmt_rate(sync_cps)}" if sync is not None else ""
        self.values["sync"] = sync_text.lstrip(", ")
        if not (self._pulsed_seen or pulsed) and sync_cps > 0:  # the photon-number histogram is better
            per_pulse = sum(rates[c] for c in det) / sync_cps
            self.values["per_pulse"] = f"{per_pulse:.4g}"

    def _pulsed(self, frame: Message) -> None:
        self._pulsed_seen = True
        self.values["periods"] = str(int(frame.header.get("n_periods") or frame.data.sum()))
        self.values["per_pulse"] = f"{model.mean_photons(frame.data):.4g}"

    def _health(self, health: StreamHealth) -> None:
        """Red connection line while no frame arrives (then back to the endpoints); stale banner."""
        self._check_stale()
        age = time.monotonic() - health.last_frame if health.last_frame is not None else None
        if age is None or age > SILENT_S:
            silent = "no data yet" if age is None else f"no data for {age:.0f} s"
            self.conn.text = (f'<span class="err">{silent} from {html.escape(self.pub)}</span>'
                              f'<span class="small"> · control {html.escape(self.control)}</span>')
        elif "err" in self.conn.text:
            self.conn.text = self._endpoints_text()


    def _check_stale(self) -> None:
        """No status for ``_stale_after`` s: the server is gone; say so and grey the numbers out."""
        if self._status_at is None:
            return
        age = time.monotonic() - self._status_at
        if age <= self._stale_after:
            return
        self.stale = True
        self.values["state"] = f"{self._state} (stale)"
        self.banner.text = (
            f'<div class="bad">⚠ no status from the server for {age:.0f} s (it sends one every '
            f"{self._interval:g} s): it stopped or cannot be reached; the numbers below are its last ones "
            "(stale)</div>"
        )


def banner_html(h: dict[str, Any], state: str) -> str:
    """The banner of a status header: lost events (red), publisher drops (yellow) or all well (green).

    One line, always the same height: its slot in the page layout is fixed (see live_text.py).
    """
    lost, detail = model.lost_summary(h)
    malformed = int(h.get("malformed") or 0)
    dropped = sum((h.get("publisher_dropped") or {}).values())
    if lost or malformed:
        what = [f"{lost} events LOST this run — data incomplete"] if lost else []
        if detail:
            what.append(detail)
        if malformed:
            what.append(f"{malformed} malformed words")
        klass, text = "bad", "⚠ " + " · ".join(what)
    else:
        klass = "ok"
        text = f"no events lost · run {int(h.get('run', 0))} · {state} · device {h.get('device', '?')}"
    if dropped:
        klass = "bad" if klass == "bad" else "warn"
        text += f" · publisher dropped {dropped} frames for slow subscribers"
    return f'<div class="{klass}">{html.escape(text)}</div>'
