# SPDX-License-Identifier: BSD-3-Clause
"""Live texts that reach the browser without a page layout pass.

BokehJS re-measures the whole page (every plot's axis labels, through getComputedStyle) when any
Div's text changes; with ten live texts at 10 Hz that was most of the browser's time. A
``LiveDiv`` therefore gets its text through one small data source shared by all live texts of a
page (``LiveText``); a browser-side callback (``static/live_text.js``) writes it into the already
laid-out element (fixed-size slots, so the layout stays valid).
"""

from __future__ import annotations

from bokeh.models import ColumnDataSource, CustomJS, Div

from .assets import static_text

__all__ = ["LiveDiv", "LiveText"]


class LiveText:
    """The one data source that carries the texts of all ``LiveDiv`` of a page."""

    def __init__(self) -> None:
        self.divs: list[LiveDiv] = []
        self.dirty = False
        self.source = ColumnDataSource({}, name="live_text")
        self._callback = CustomJS(args={"divs": [], "src": self.source}, code=static_text("live_text.js"))
        self.source.js_on_change("data", self._callback)

    def add(self, live: LiveDiv) -> None:
        """Register ``live``: its text changes travel with this source from now on."""
        self.divs.append(live)
        self._callback.args = {"divs": [d.div for d in self.divs], "src": self.source}

    def flush(self) -> bool:
        """Send the texts when one changed.

        Returns
        -------
        bool
            True if the texts were sent (something had changed).
        """
        if not self.dirty:
            return False
        self.dirty = False
        self.source.data = {d.div.name: [d.text] for d in self.divs}
        return True


class LiveDiv:
    """A Div whose ``text`` changes reach the browser through ``owner`` (no page layout pass).

    Parameters
    ----------
    div : bokeh.models.Div
        The Div shown on the page; its ``name`` is the column carrying its text.
    owner : LiveText
        The page's text source.
    """

    def __init__(self, div: Div, owner: LiveText) -> None:
        self.div = div
        self._owner = owner
        self._text = div.text
        owner.add(self)

    @property
    def text(self) -> str:
        """The text shown (HTML); setting a new one marks the page's texts for sending."""
        return self._text

    @text.setter
    def text(self, value: str) -> None:
        if value != self._text:
            self._text = value
            self._owner.dirty = True
