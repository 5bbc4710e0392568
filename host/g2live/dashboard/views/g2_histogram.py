# SPDX-License-Identifier: BSD-3-Clause
"""The g2(τ) histogram of the Live g2 tab: the chosen pair, linear or log, with the peak windows.

The zero-delay window (red) and the 2K side-peak windows (green) are the ones g2(0) is computed
from (``DerivedWorker`` runs the same ``pulsed_g2`` as the server). The histogram follows every
update; while the bins stay the same only the counts travel (a column patch of ``y``).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import numpy as np
from bokeh.layouts import row
from bokeh.models import ColumnDataSource, CustomJS, DataRange1d, RadioButtonGroup, Select
from bokeh.plotting import figure

from .. import model
from ..assets import static_text
from ..header import Header
from ..snapshot import Derived
from ..widgets import TOOLS, PageKit
from ..wire import Message

__all__ = ["WINDOW_COLORS", "G2Histogram", "window_columns"]

WINDOW_COLORS = ("#d62728", "#2ca02c")  # zero-delay window, side-peak windows
WINDOW_KEYS = ("period_ps", "zero_ps", "window_ps", "n_side", "lo_ps", "hi_ps")


class G2Histogram:
    """Histogram figures (one per y scale), scale and pair selectors, the peak-window note.

    Parameters
    ----------
    kit : PageKit
        The page's Div factory.
    header : Header
        Gets the note on the histogram shown (pair, run, integration, coincidences).
    redraw : callable
        Asks the session to send the newest histogram and windows again (after a pair change).
    """

    def __init__(self, kit: PageKit, header: Header, redraw: Callable[[], None]) -> None:
        self._header, self._redraw = header, redraw
        self.pair_index = 0
        # One source per scale and only the visible figure's is fed: a hidden figure that still
        # repaints makes BokehJS lay out the whole page on every update.
        self.g2_source = ColumnDataSource({"x": [], "y": []}, name="g2_source")
        self.g2_log_source = ColumnDataSource({"x": [], "y": []}, name="g2_log_source")
        self.win_sources = [ColumnDataSource({"left": [], "right": [], "color": []}, name=f"windows_{s}")
                            for s in ("lin", "log")]
        self.g2_cols: dict[str, Any] = {"x": [], "y": [], "y_log": []}
        self.win_cols: dict[str, list[Any]] = {"left": [], "right": [], "color": []}
        self.windows_shown: tuple[Any, ...] | None = None
        # A browser-side counter of histogram updates: what the page really received and drew.
        count = CustomJS(code=static_text("count_updates.js"))
        self.g2_source.js_on_change("data", count)
        self.g2_log_source.js_on_change("data", count)
        self.g2_lin, self.g2_log = self._figures()
        self.scale = RadioButtonGroup(labels=["linear", "log"], active=0, name="g2_scale")
        self.scale.on_change("active", lambda _a, _o, new: self._set_scale(new))
        self.pair_select = Select(title="pair shown", options=["0"], value="0", width=160, name="pair_select")
        self.pair_select.on_change("value", lambda _a, _o, new: self._set_pair(new))
        self.window_note = kit.live("window_note", '<span class="small">zero-delay window (red) and '
                                    'side-peak windows (green) appear once the comb is found</span>')
        self.selectors = row(self.scale, self.pair_select, self.window_note.div)
        self.figures = [self.g2_lin, self.g2_log]

    def _figures(self) -> tuple[figure, figure]:
        kw = {"height": 300, "sizing_mode": "stretch_width", "tools": TOOLS,
              "x_axis_label": "delay t_b − t_a (ns)", "y_axis_label": "coincidences per bin"}
        lin = figure(title="g2(τ) histogram", name="g2_lin", **kw)
        log = figure(title="g2(τ) histogram (log)", y_axis_type="log", name="g2_log", visible=False, **kw)
        # Peak windows are data (full-height strips), not annotations: changing an annotation's
        # geometry makes Bokeh re-walk the whole document graph, a source update is just numbers.
        for fig, src, win in ((lin, self.g2_source, self.win_sources[0]),
                              (log, self.g2_log_source, self.win_sources[1])):
            fig.vstrip(x0="left", x1="right", source=win, fill_color="color", fill_alpha=0.12,
                       line_color="color", line_alpha=0.5)
            line = fig.step("x", "y", source=src, mode="after", color="#1f3b73", line_width=1.2)
            fig.y_range = DataRange1d(renderers=[line])  # the window bands must not stretch the axis
        return lin, log

    def update(self, frame: Message | None, fits: Derived | None) -> None:
        """Draw a new histogram frame and, when the fits changed, the peak windows."""
        if frame is not None:
            self._render_g2(frame)
        if fits is not None:
            self._render_windows(fits)

    def on_show(self) -> None:
        """Forget the windows drawn: they are sent again with the next fits."""
        self.windows_shown = None

    def _set_scale(self, active: int) -> None:
        self.g2_lin.visible = active == 0
        self.g2_log.visible = active == 1
        self._push_g2(windows=True)

    def _set_pair(self, value: str) -> None:
        self.pair_index = int(value)
        self._redraw()

    def _push_g2(self, windows: bool = False) -> None:
        """Histogram (and windows) into the visible figure only."""
        log = self.scale.active == 1
        cols = self.g2_cols
        src = self.g2_log_source if log else self.g2_source
        y = cols["y_log" if log else "y"]
        x_shown = src.data["x"]
        if len(x_shown) == len(cols["x"]) and np.array_equal(x_shown, cols["x"]):
            src.data.update(y=y)  # same bins: only the counts travel (half the bytes, no x decode)
        else:
            src.data = {"x": cols["x"], "y": y}
        if windows:
            self.win_sources[int(log)].data = self.win_cols

    def _render_g2(self, frame: Message) -> None:
        h = frame.header
        pairs = h.get("pairs") or [[0, 1]]
        options = [(str(i), f"{a}–{b}") for i, (a, b) in enumerate(pairs)]
        if self.pair_select.options != options:
            self.pair_select.options = options
            if self.pair_index >= len(pairs):
                self.pair_index = 0
            self.pair_select.value = str(self.pair_index)
        self.g2_cols = model.g2_columns(h, frame.data, self.pair_index)
        self._push_g2()
        a, b = pairs[self.pair_index]
        total = int(frame.data[self.pair_index].sum())
        self._header.note("g2_info", f"histogram pair {a}–{b} · run {h.get('run')} · "
                                     f"{float(h.get('integration_s', 0)):.1f} s · {total} coincidences")

    def _render_windows(self, fits: Derived) -> None:
        w = fits.windows.get(self.pair_index)
        key = None if w is None else tuple(round(w[k]) for k in WINDOW_KEYS)
        if key != self.windows_shown:
            self.windows_shown = key
            self.win_cols = window_columns(w)
            self.win_sources[self.scale.active].data = self.win_cols
        if w is not None:
            self.window_note.text = (f'<span class="small">zero delay at {w["zero_ps"] * 1e-3:.2f} ns '
                                     f'({html.escape(w["method"])}), period {w["period_ps"] * 1e-3:.2f} ns, '
                                     f'window {w["window_ps"] * 1e-3:.2f} ns, K = {w["n_side"]} side peaks '
                                     f'each side</span>')
        else:
            why = fits.windows_error.get(self.pair_index, "no histogram yet")
            self.window_note.text = f'<span class="small">peak windows: {html.escape(why)}</span>'


def window_columns(w: dict[str, Any] | None) -> dict[str, list[Any]]:
    """Strips of the zero-delay and side-peak windows (ns) of one pair's ``pulsed_g2`` summary."""
    cols: dict[str, list[Any]] = {"left": [], "right": [], "color": []}
    if w is not None:
        (c_lo, c_hi), side = model.peak_windows(*(w[k] for k in WINDOW_KEYS))
        zero, side_color = WINDOW_COLORS
        for (lo, hi), color in [((c_lo, c_hi), zero)] + [(s, side_color) for s in side]:
            cols["left"].append(lo)
            cols["right"].append(hi)
            cols["color"].append(color)
    return cols
