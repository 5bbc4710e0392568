# SPDX-License-Identifier: BSD-3-Clause
"""The "Device" tab: every setting of the run, lost events per channel and cause, stream health.

Plain HTML tables (a Bokeh DataTable re-measures its grid on every page layout), updated only
while the tab is shown: their counters change with every frame.
"""

from __future__ import annotations

import html
from typing import Any

from bokeh.layouts import column, row
from bokeh.models import Div

from ..markup import kv_table, nonzero
from ..snapshot import Snapshot, StreamHealth, Want
from ..widgets import PageKit

__all__ = ["DeviceTab", "lost_table_html", "run_info", "stream_health_html"]


class DeviceTab:
    """The device tab.

    Parameters
    ----------
    kit : PageKit
        The page's Div factory.
    """

    title = "Device"

    def __init__(self, kit: PageKit) -> None:
        self.settings_div = kit.div("settings_div", '<span class="small">no status yet</span>')
        self.lost_div = kit.div("lost_table", '<span class="small">no status yet</span>', width=360)
        self.stream_div = kit.div("stream_div", "")
        self.layout = row(column(Div(text="<b>settings</b>"), self.settings_div),
                          column(Div(text="<b>lost events (this run)</b>"), self.lost_div, self.stream_div))
        self.figures: list[Any] = []

    def want(self, slow: bool) -> Want:
        """Nothing beyond the status every page takes."""
        return Want()

    def update(self, snap: Snapshot) -> None:
        """Tables from a new status, then the receiver's counters."""
        frame = snap.frames.get("status")
        if frame is not None:
            h = frame.header
            self.lost_div.text = lost_table_html(h)
            self.settings_div.text = kv_table(run_info(h)) + "<br>" + kv_table(h.get("settings") or {})
        self.stream_div.text = stream_health_html(snap.health)

    def on_show(self) -> None:
        """Nothing to forget: the feed re-sends the status."""


def lost_table_html(h: dict[str, Any]) -> str:
    """Lost events of a status header as a table (channel, cause, count), or "none"."""
    rows = [(ch, cause, int(n)) for cause, per_channel in (h.get("lost") or {}).items()
            for ch, n in enumerate(per_channel or []) if n]
    body = "".join(f"<tr><td>{ch}</td><td>{html.escape(str(cause))}</td><td>{n}</td></tr>"
                   for ch, cause, n in rows)
    return ('<table class="kv"><tr><td><b>channel</b></td><td><b>cause</b></td>'
            f'<td><b>lost events</b></td></tr>{body}</table>' if rows else '<span class="small">none</span>')


def run_info(h: dict[str, Any]) -> dict[str, Any]:
    """The run's state, device, power and publisher counters from a status header."""
    power = h.get("power")
    return {"state": str(h.get("state", "?")), "run": h.get("run"), "device": h.get("device"),
            "version": h.get("version"), "uptime_s": h.get("uptime_s"),
            "integration_s": h.get("integration_s"),
            "power": f"{power} {h.get('power_unit') or ''}" if power is not None else "no actuator",
            "sweep": h.get("sweep"), "publisher dropped": h.get("publisher_dropped"),
            "publisher sent": h.get("publisher_sent"), "dead-time removals": nonzero(h.get("dead"))}


def stream_health_html(health: StreamHealth) -> str:
    """Frames received and missed (``seq`` gaps), malformed messages; yellow when any were lost."""
    lost_frames = sum(health.gaps.values())
    parts = [f"frames received: {sum(health.received.values())}", f"frames missed (seq gaps): {lost_frames}"]
    if health.malformed:
        parts.append(f"malformed messages: {health.malformed} ({health.last_error})")
    klass = "warn" if lost_frames or health.malformed else "small"
    return f'<div class="{klass}">{html.escape(" · ".join(parts))}</div>'
