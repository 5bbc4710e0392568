# SPDX-License-Identifier: BSD-3-Clause
"""The "Power sweep" tab: purity and rate vs power with error bars and the fitted curves.

Points come from the ``sweep`` topic (the newest sweep, by point index); P_sat, I_sat and
qy_ratio from ``g2live.analysis.power.fit_power_sweep`` (fit worker).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from bokeh.layouts import column, row
from bokeh.models import ColumnDataSource, Whisker
from bokeh.plotting import figure

from .. import model
from ..snapshot import Snapshot, SweepCopy, Want
from ..widgets import TOOLS, InfoLine, PageKit

__all__ = ["SweepTab", "sweep_fit_text"]

FIT_COLOR = "#ff7f0e"


class SweepTab:
    """The power sweep tab.

    Parameters
    ----------
    kit : PageKit
        The page's Div factory.
    """

    title = "Power sweep"

    def __init__(self, kit: PageKit) -> None:
        self.sweep_source = ColumnDataSource({"power": [], "purity": [], "plo": [], "phi": [], "rate": []},
                                             name="sweep_source")
        self.sweep_fit = ColumnDataSource({"power": [], "purity": [], "rate": []}, name="sweep_fit_source")
        kw = {"height": 320, "sizing_mode": "stretch_width", "tools": TOOLS, "x_axis_label": "power"}
        self.purity_fig = figure(title="purity vs power", y_axis_label="purity 1 − g2(0)", **kw)
        self.purity_fig.scatter("power", "purity", source=self.sweep_source, size=7, color="#1f77b4")
        self.purity_fig.add_layout(Whisker(source=self.sweep_source, base="power", upper="phi", lower="plo"))
        self.purity_fig.line("power", "purity", source=self.sweep_fit, color=FIT_COLOR, legend_label="fit")
        self.ratep_fig = figure(title="detected rate vs power", y_axis_label="counts/s", **kw)
        self.ratep_fig.scatter("power", "rate", source=self.sweep_source, size=7, color="#2ca02c")
        self.ratep_fig.line("power", "rate", source=self.sweep_fit, color=FIT_COLOR, legend_label="fit")
        live = kit.live("sweep_info", '<span class="small">no sweep yet: run `g2live sweep` or '
                                      'the `sweep` control command</span>')
        self.info = InfoLine(live)
        self.layout = column(live.div, row(self.purity_fig, self.ratep_fig, sizing_mode="stretch_width"),
                             sizing_mode="stretch_width")
        self.figures = [self.purity_fig, self.ratep_fig]

    def want(self, slow: bool) -> Want:
        """The sweep points whenever they changed."""
        return Want(sweep=True)

    def update(self, snap: Snapshot) -> None:
        """Show a new fit (curves and numbers), then new points."""
        if snap.fits is not None and snap.fits.sweep:
            self._render_fit(snap.fits.sweep)
        if snap.sweep is not None:
            self._render(snap.sweep)

    def on_show(self) -> None:
        """Nothing to forget: the feed re-sends the points."""

    def _render(self, sweep: SweepCopy) -> None:
        rows = [sweep.points[k] for k in sorted(sweep.points)]

        def col(*keys: str) -> np.ndarray:
            return np.array([next((r[k] for k in keys if k in r), math.nan) for r in rows], float)

        power, pur, pe = col("power"), col("purity"), col("purity_err")
        self.sweep_source.data = {"power": power, "purity": pur, "plo": pur - pe, "phi": pur + pe,
                                  "rate": col("rate_cps", "rate")}
        state = "done" if sweep.done else "running"
        self.info.show_data(f"sweep {sweep.sweep_id}: {len(rows)} of {sweep.n_points} points ({state})")

    def _render_fit(self, r: dict[str, Any]) -> None:
        if "error" in r:
            self.sweep_fit.data = {"power": [], "purity": [], "rate": []}
        else:
            c = r["curve"]
            self.sweep_fit.data = {"power": c["power"], "purity": c["purity"], "rate": c["rate"]}
        self.info.show_fit(*sweep_fit_text(r))


def sweep_fit_text(r: dict[str, Any]) -> tuple[str, bool]:
    """The line of a ``sweep_fit`` result and whether it is an error."""
    if "error" in r:
        return r["error"], True
    parts = [f"P_sat = {model.fmt_value_err(r['p_sat'], r['p_sat_err'])}",
             f"I_sat = {model.fmt_value_err(r['i_sat_cps'], r['i_sat_cps_err'])} cps"]
    if r.get("qy_ratio") is not None:
        parts.append(f"qy_ratio = {model.fmt_value_err(r['qy_ratio'], r['qy_ratio_err'])}")
    parts += list(r.get("notes") or [])
    return " · ".join(parts), False
