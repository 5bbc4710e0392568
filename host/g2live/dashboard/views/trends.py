# SPDX-License-Identifier: BSD-3-Clause
"""The secondary plots of the Live g2 tab, updated at 2 Hz: g2(0)/purity history, count rates, P(n).

Time series are *streamed* (only new points travel to the browser) with a rollover equal to the
feed's history length, so the browser's memory is bounded as the feed's is.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from bokeh.layouts import row
from bokeh.models import ColumnDataSource, DataRange1d, Legend, LegendItem, SingleIntervalTicker
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from .. import model
from ..accumulators import HISTORY_LEN
from ..snapshot import Snapshot
from ..widgets import TOOLS
from ..wire import Message

__all__ = ["Trends"]

HISTORY_KW = {"height": 230, "sizing_mode": "stretch_width", "tools": TOOLS, "x_axis_type": "datetime"}


class Trends:
    """History of g2(0) and purity, rate per channel over time and now, photon-number histogram."""

    def __init__(self) -> None:
        self._settings: dict[str, Any] = {}  # of the newest status: channels of frames without settings
        self.rate_channels: tuple[int, ...] = ()
        self.hist_source = ColumnDataSource({"t": [], "g2_0": [], "lo": [], "hi": [], "purity": [], "plo": [],
                                             "phi": []}, name="history_source")
        self.g2_hist = self._history_figure()
        self.rates_fig = figure(title="count rate per detector channel", y_axis_label="counts/s",
                                **HISTORY_KW)
        self.rates_source = ColumnDataSource({"t": []}, name="rates_source")
        self.rates_fig.add_layout(Legend(items=[], location="top_left"))
        self.bar_source = ColumnDataSource({"ch": [], "cps": [], "color": []}, name="bar_source")
        self.bar_fig = figure(title="rate per detector (last integration)", height=230, width=320,
                              tools=TOOLS, x_axis_label="channel", y_axis_label="counts/s")
        self.bar_fig.vbar("ch", top="cps", width=0.8, source=self.bar_source, color="color")
        self.bar_fig.xaxis.ticker = SingleIntervalTicker(interval=1)  # channel numbers only
        self.pn_source = ColumnDataSource({"n": [], "p": [], "bottom": [], "label": [], "counts": []},
                                          name="pn_source")
        self.pn_fig = figure(title="photons per laser period", height=230, width=320, y_axis_type="log",
                             tools=TOOLS, x_axis_label="detected photons n", y_axis_label="P(n)")
        self.pn_fig.vbar("n", top="p", bottom="bottom", width=0.8, source=self.pn_source, color="#9467bd")
        self.rows = [row(self.g2_hist, self.pn_fig, sizing_mode="stretch_width"),
                     row(self.rates_fig, self.bar_fig, sizing_mode="stretch_width")]
        self.figures = [self.g2_hist, self.rates_fig, self.bar_fig, self.pn_fig]

    def _history_figure(self) -> figure:
        fig = figure(title="g2(0) and purity over time", y_axis_label="g2(0) / purity", **HISTORY_KW)
        src = self.hist_source
        fig.varea("t", "lo", "hi", source=src, fill_color="#d62728", fill_alpha=0.2)
        g2_line = fig.line("t", "g2_0", source=src, color="#d62728", legend_label="g2(0)")
        fig.varea("t", "plo", "phi", source=src, fill_color="#1f77b4", fill_alpha=0.2)
        p_line = fig.line("t", "purity", source=src, color="#1f77b4", legend_label="purity")
        fig.y_range = DataRange1d(renderers=[g2_line, p_line])  # huge early error bands: not scaled
        fig.legend.location = "top_left"
        return fig

    def update(self, snap: Snapshot) -> None:
        """Stream new history rows, draw new rates and photon-number frames."""
        frames = snap.frames
        if "status" in frames:
            self._settings = frames["status"].header.get("settings") or {}
        if snap.analysis_rows:
            self._stream_history(snap.analysis_rows)
        if "rates" in frames:
            self._render_rates(frames["rates"])
        if snap.rate_rows:
            self._stream_rates(snap.rate_rows)
        if "pulsed" in frames:
            self.pn_source.data = model.photon_number_columns(frames["pulsed"].data)

    def _stream_history(self, rows: list[dict[str, float]]) -> None:
        def col(key: str) -> np.ndarray:
            return np.array([r.get(key, math.nan) for r in rows])

        g2, e = col("g2_0"), col("g2_0_err")
        p, pe = col("purity"), col("purity_err")
        self.hist_source.stream({"t": [r["t"] * 1e3 for r in rows], "g2_0": g2, "lo": g2 - e, "hi": g2 + e,
                                 "purity": p, "plo": p - pe, "phi": p + pe}, rollover=HISTORY_LEN)

    def _render_rates(self, frame: Message) -> None:
        rates, det, _sync = model.rate_channels(frame.header, frame.data, self._settings)
        colors = [Category10_10[i % 10] for i in range(len(det))]
        self.bar_source.data = {"ch": det, "cps": [float(rates[c]) for c in det], "color": colors}

    def _stream_rates(self, rows: list[dict[str, float]]) -> None:
        chans = tuple(sorted(int(k[2:]) for k in rows[-1] if k.startswith("ch")))
        if chans != self.rate_channels:
            self._rebuild_rate_lines(chans)
        rows = [r for r in rows if tuple(sorted(int(k[2:]) for k in r if k.startswith("ch"))) == chans]
        if not rows:
            return
        data = {"t": [r["t"] * 1e3 for r in rows]}
        for c in chans:
            data[f"ch{c}"] = [r[f"ch{c}"] for r in rows]
        self.rates_source.stream(data, rollover=HISTORY_LEN)

    def _rebuild_rate_lines(self, chans: tuple[int, ...]) -> None:
        """A new channel set (new run with other channels): new columns, new lines, old history dropped."""
        self.rate_channels = chans
        self.rates_source.data = {"t": [], **{f"ch{c}": [] for c in chans}}
        self.rates_fig.renderers = []
        items = []
        for i, c in enumerate(chans):
            r = self.rates_fig.line("t", f"ch{c}", source=self.rates_source, line_width=1.5,
                                    color=Category10_10[i % 10])
            items.append(LegendItem(label=f"ch {c}", renderers=[r]))
        self.rates_fig.legend[0].items = items
