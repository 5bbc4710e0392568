# SPDX-License-Identifier: BSD-3-Clause
"""One browser tab of the dashboard: the page assembled from its parts, and its update loop.

Each browser tab gets its own ``Session`` (its own Bokeh document) but they all read the one
shared ``Feed`` (frames), ``DerivedWorker`` (fits) and ``Commander`` (control socket). An update
takes a snapshot of what changed for this page (``Feed.snapshot``), hands it to the header, the
controls and the tab shown, and ends with the flow-control marker (``flow_control.py``). Tabs
that are not shown are not fed; they catch up when opened.
"""

from __future__ import annotations

import time

from bokeh.document import Document
from bokeh.layouts import column, row
from bokeh.models import TabPanel, Tabs

from .commander import Commander
from .controls import Controls
from .derived import DerivedWorker
from .feed import Feed
from .flow_control import FlowControl
from .header import Header
from .snapshot import Cursor, Snapshot, Want
from .views import BlinkingTab, CorrelationsTab, DeviceTab, HeraldedTab, LiveTab, SweepTab, View
from .widgets import PageKit, steady_axes
from .wire import LIVE_TOPICS

__all__ = ["RENDER_MS", "SLOW_S", "Session"]

RENDER_MS = 50  # render tick; the browser's echo (flow control) decides how many ticks send anything
SLOW_S = 0.5  # period of the secondary plots (history, rates, photon number) and the page-rate text
REFRESH_ON_SHOW = ("g2", "rates", "pulsed", "status", *LIVE_TOPICS)  # topics a newly shown tab gets again


class Session:
    """The page of one browser tab.

    Parameters
    ----------
    doc : bokeh.document.Document
        The tab's document.
    feed : Feed
        The shared receiver.
    derived : DerivedWorker
        The shared fit worker.
    commander : Commander
        The shared control socket.
    """

    def __init__(self, doc: Document, feed: Feed, derived: DerivedWorker, commander: Commander) -> None:
        self.doc, self.feed, self.derived = doc, feed, derived
        self.cursor = Cursor()
        self.fits_seen = -1
        self.slow_at = 0.0
        self.active = 0
        self.kit = PageKit()
        self.flow = FlowControl(doc, self.tick)
        self.header = Header(self.kit, feed.pub, commander.endpoint)
        self.live = LiveTab(self.kit, self.header, self._redraw_g2)
        self.views: list[View] = [self.live, HeraldedTab(self.kit), SweepTab(self.kit), BlinkingTab(self.kit),
                                  CorrelationsTab(self.kit), DeviceTab(self.kit)]
        tabs = Tabs(tabs=[TabPanel(child=v.layout, title=v.title) for v in self.views],
                    sizing_mode="stretch_width", name="tabs")
        tabs.on_change("active", lambda _a, _o, new: self._on_tab(new))
        for view in self.views:
            for fig in view.figures:
                steady_axes(fig)
        self.controls = Controls(self.kit, doc, commander)
        main = column(self.header.layout, tabs, sizing_mode="stretch_width")
        # keep the non-visual models in the document: referenced from a model of the layout
        self.header.summary.div.tags = [self.kit.live_text.source, *self.flow.models]
        self.layout = row(self.controls.layout, main, sizing_mode="stretch_width")
        doc.add_root(self.layout)
        doc.title = "g2live"
        self.callback = doc.add_periodic_callback(self.tick, RENDER_MS)

    def tick(self) -> None:
        """Send one update when the browser is free: what changed for the header, controls and tab shown."""
        if self.flow.waiting():  # nothing new before the browser confirmed the previous update
            return
        t0 = time.perf_counter()
        now = time.monotonic()
        slow = now - self.slow_at >= SLOW_S  # secondary plots: 2 Hz is plenty, the browser is busy
        if slow:
            self.slow_at = now
        view = self.views[self.active]
        snap = self.feed.snapshot(self.cursor, self._want(view, slow))
        self._attach_fits(snap)
        self.header.update(snap)
        self.controls.update(snap)
        view.update(snap)
        if snap.has_data or snap.fits is not None or self.kit.live_text.dirty:
            cost_ms = (time.perf_counter() - t0) * 1e3
            rate = f"page updates {self.flow.page_rate():.1f}/s · render {cost_ms:.0f} ms" if slow else None
            self.header.finish(rate)
            self.kit.live_text.flush()
            self.flow.mark_sent()  # the last change of the update: its echo means all of it arrived

    def _want(self, view: View, slow: bool) -> Want:
        """The header's topics (the photon-number histogram at the slow rate) and the shown tab's."""
        base = {"status", "analysis", "pulsed"} if slow else {"status", "analysis"}
        return Want(frozenset(base)) | view.want(slow)

    def _attach_fits(self, snap: Snapshot) -> None:
        fits = self.derived.current()
        if fits.version != self.fits_seen:
            self.fits_seen = fits.version
            snap.fits = fits

    def _on_tab(self, active: int) -> None:
        """Hidden tabs are not fed (the browser's time is the scarce resource): catch up on showing."""
        self.active = active
        self.cursor.rewind(REFRESH_ON_SHOW)
        self.fits_seen = -1
        self.views[active].on_show()

    def _redraw_g2(self) -> None:
        """Another pair was chosen: its histogram and windows go out with the next update."""
        self.cursor.forget(("g2",))
        self.fits_seen = -1

    def close(self) -> None:
        """Stop this page's periodic update."""
        self.doc.remove_periodic_callback(self.callback)
