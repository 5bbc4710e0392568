# SPDX-License-Identifier: BSD-3-Clause
"""Browser flow control: no new update before the page confirmed the previous one.

Each update ends with a change of the ``tick_marker`` source; the page's callback
(``static/echo_marker.js``) echoes the marker's number into ``tick_ack`` once it has applied the
update. Until then nothing new is sent: frames keep arriving in the feed meanwhile and the next
update carries the newest state, so a slow browser sees fewer updates, never older ones, and no
queue grows anywhere (server, WebSocket or browser). The echo itself starts the next update (at
most ``1 / MIN_UPDATE_S`` per second): waiting for the next periodic tick instead left the
browser idle for a quarter of every cycle. Data sources, not Divs, carry marker and echo: a Div
change (from either side) makes BokehJS lay out the whole page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bokeh.document import Document
from bokeh.models import ColumnDataSource, CustomJS

from .assets import static_text

__all__ = ["ACK_TIMEOUT_S", "MIN_UPDATE_S", "RATE_WINDOW_S", "FlowControl"]

MIN_UPDATE_S = 0.04  # an echo starts the next update at once, but no more often than 25 per second
ACK_TIMEOUT_S = 5.0  # send anyway when the browser has not confirmed an update for this long
RATE_WINDOW_S = 5.0  # the page rate is counted over the echoes of this many seconds


class FlowControl:
    """Update numbering, the browser's echo, and the next update started by that echo.

    Parameters
    ----------
    doc : bokeh.document.Document
        The page; the next update is scheduled on its event loop.
    update : callable
        Starts an update (the session's ``tick``); called when the browser is free again.
    """

    def __init__(self, doc: Document, update: Callable[[], None]) -> None:
        self._doc = doc
        self._update = update
        self.sent = 0  # updates sent to the browser ...
        self.acked = 0  # ... and the newest one it confirmed
        self.sent_at = 0.0
        self.tick_pending = False  # an update triggered by the browser's echo is scheduled
        self._ack_times: list[float] = []
        self.marker = ColumnDataSource({"n": [0]}, name="tick_marker")
        self.ack = ColumnDataSource({"n": [0]}, name="tick_ack")
        self.marker.js_on_change("data", CustomJS(args={"marker": self.marker, "ack": self.ack},
                                                  code=static_text("echo_marker.js")))
        self.ack.on_change("data", self._on_ack)

    @property
    def models(self) -> list[ColumnDataSource]:
        """The two sources; the page must keep them in its document."""
        return [self.marker, self.ack]

    def waiting(self) -> bool:
        """True while the browser has not confirmed the last update (and has not timed out)."""
        return self.sent > self.acked and time.monotonic() - self.sent_at < ACK_TIMEOUT_S

    def mark_sent(self) -> None:
        """Number the update just built; call it after every other change of the update.

        The marker's change is the update's last, so its echo means all of it arrived.
        """
        self.sent += 1
        self.sent_at = time.monotonic()
        self.marker.data = {"n": [self.sent]}

    def page_rate(self) -> float:
        """Updates per second the browser confirmed over the last ``RATE_WINDOW_S``."""
        times = self._ack_times
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        return (len(times) - 1) / span if span > 0 else 0.0

    def _on_ack(self, _attr: str, _old: Any, new: dict[str, list[Any]]) -> None:
        try:
            self.acked = int(new["n"][0])
        except (KeyError, IndexError, TypeError, ValueError):
            return
        now = time.monotonic()
        self._ack_times.append(now)
        self._ack_times = [t for t in self._ack_times if now - t <= RATE_WINDOW_S]
        # The browser is free now: start the next update right away instead of at the next tick,
        # which would leave it idle for half a tick on average (a tenth of its time at 10 Hz).
        if self.acked >= self.sent and not self.tick_pending:
            self.tick_pending = True
            wait_s = self.sent_at + MIN_UPDATE_S - now
            if wait_s > 0:
                self._doc.add_timeout_callback(self._ack_tick, wait_s * 1e3)
            else:
                self._doc.add_next_tick_callback(self._ack_tick)

    def _ack_tick(self) -> None:
        self.tick_pending = False
        self._update()
