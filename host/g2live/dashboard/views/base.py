# SPDX-License-Identifier: BSD-3-Clause
"""What the session expects of a tab: a layout, its figures, what it wants from the feed, ``update``."""

from __future__ import annotations

from typing import Protocol

from bokeh.models import LayoutDOM
from bokeh.plotting import figure

from ..snapshot import Snapshot, Want

__all__ = ["View"]


class View(Protocol):
    """One tab of the page.

    Attributes
    ----------
    title : str
        The tab's title.
    layout : bokeh.models.LayoutDOM
        What the tab shows.
    figures : list of bokeh.plotting.figure
        Its plots (the session gives them steady axes).
    """

    title: str
    layout: LayoutDOM
    figures: list[figure]

    def want(self, slow: bool) -> Want:
        """What the tab needs from the feed in this update (``slow``: the 2 Hz plots are due)."""
        ...

    def update(self, snap: Snapshot) -> None:
        """Draw what changed (only called while the tab is shown)."""
        ...

    def on_show(self) -> None:
        """The tab was just selected: forget what was drawn (the feed re-sends its data)."""
        ...
