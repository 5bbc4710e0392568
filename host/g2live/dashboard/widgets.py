# SPDX-License-Identifier: BSD-3-Clause
"""Building blocks shared by the views: the page's Div factory, steady axes, the info line of a tab."""

from __future__ import annotations

import html
from typing import Any

from bokeh.models import CustomJSTickFormatter, DatetimeTickFormatter, Div, InlineStyleSheet
from bokeh.plotting import figure

from .assets import static_text
from .live_text import LiveDiv, LiveText

__all__ = ["TOOLS", "InfoLine", "PageKit", "steady_axes"]

TOOLS = "pan,wheel_zoom,box_zoom,reset,save"


class PageKit:
    """Per-page (per-document) factory of Divs styled by ``static/dashboard.css``.

    A Bokeh model belongs to one document, so every browser session gets its own stylesheet
    and its own ``LiveText`` source.
    """

    def __init__(self) -> None:
        self.css = InlineStyleSheet(css=static_text("dashboard.css"))
        self.live_text = LiveText()

    def div(self, name: str, text: str = "", width: int | None = None, **kw: Any) -> Div:
        """A styled Div; its text changes make the page lay out again (fine for rare changes)."""
        extra = {"width": width} if width else {}
        return Div(name=name, text=text, stylesheets=[self.css], **extra, **kw)

    def live(self, name: str, text: str = "", width: int | None = None, **kw: Any) -> LiveDiv:
        """A styled Div for text that changes with the data (sent without a layout pass)."""
        return LiveDiv(self.div(name, text, width, **kw), self.live_text)


def steady_axes(fig: figure) -> None:
    """Tick labels of constant width (padded, monospace) and one-line time labels.

    When a label's width changes, BokehJS lays out the whole page again, which at 10 Hz cost
    more than drawing the plots.
    """
    for ax in fig.yaxis:
        ax.formatter = CustomJSTickFormatter(code=static_text("y_ticks.js"))
        ax.major_label_text_font = "monospace"
    for ax in fig.xaxis:
        if isinstance(ax.formatter, DatetimeTickFormatter):  # one line, no date context below
            ax.formatter = DatetimeTickFormatter(seconds="%H:%M:%S", minsec="%H:%M:%S", minutes="%H:%M",
                                                 hourmin="%H:%M", hours="%H:%M", days="%b %d", context=None)


class InfoLine:
    """The line above a tab's plots: what the data are, then what the fit says (fit errors in red).

    Parameters
    ----------
    live : LiveDiv
        Where the line is shown.
    """

    def __init__(self, live: LiveDiv) -> None:
        self.live = live
        self.data = ""
        self.fit = ""
        self.fit_failed = False

    def show_data(self, text: str) -> None:
        """Set the data summary and show the line."""
        self.data = text
        self._show()

    def show_fit(self, text: str, failed: bool = False) -> None:
        """Set the fit result (``failed``: the fit's error message) and show the line."""
        self.fit, self.fit_failed = text, failed
        self._show()

    def _show(self) -> None:
        klass = "err" if self.fit_failed else "fit"
        fit_html = f'<span class="{klass}">{html.escape(self.fit)}</span>' if self.fit else ""
        self.live.text = f'<span class="small">{html.escape(self.data)}</span> · {fit_html}'
