# SPDX-License-Identifier: BSD-3-Clause
"""The "Live g2" tab: the g2(τ) histogram (``g2_histogram.py``) above the 2 Hz trends (``trends.py``).

The histogram follows every update, as fast as the browser confirms them; the trends (g2(0) and
purity history, count rates, photon-number histogram) only every ``SLOW_S`` of the session.
"""

from __future__ import annotations

from collections.abc import Callable

from bokeh.layouts import column

from ..header import Header
from ..snapshot import Snapshot, Want
from ..widgets import PageKit
from .g2_histogram import G2Histogram
from .trends import Trends

__all__ = ["LiveTab"]


class LiveTab:
    """The Live g2 tab.

    Parameters
    ----------
    kit : PageKit
        The page's Div factory.
    header : Header
        Gets the note on the histogram shown.
    redraw : callable
        Asks the session to send the newest histogram and windows again.
    """

    title = "Live g2"

    def __init__(self, kit: PageKit, header: Header, redraw: Callable[[], None]) -> None:
        self.histogram = G2Histogram(kit, header, redraw)
        self.trends = Trends()
        h = self.histogram
        self.layout = column(h.selectors, h.g2_lin, h.g2_log, *self.trends.rows, sizing_mode="stretch_width")
        self.figures = [*h.figures, *self.trends.figures]

    def want(self, slow: bool) -> Want:
        """Every histogram frame; rates and the histories at the slow rate."""
        return Want(frozenset({"g2", "rates"} if slow else {"g2"}), history=slow)

    def update(self, snap: Snapshot) -> None:
        """Histogram and windows first (they are what the user watches), then the trends."""
        self.histogram.update(snap.frames.get("g2"), snap.fits)
        self.trends.update(snap)

    def on_show(self) -> None:
        """Forget the windows drawn while hidden."""
        self.histogram.on_show()
