# SPDX-License-Identifier: BSD-3-Clause
"""The "Heralded spectroscopy" tab: spectra and delay histograms of the first and second photon.

Fed from every ``heralded`` record (accumulated per run by the feed), with the heralded lifetimes
τ_BX and τ_X from tail fits and, with a pixel calibration, the binding energy (fit worker). The
live values are not corrected for accidental pairs; the page says so next to the numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from bokeh.layouts import column, row
from bokeh.models import ColumnDataSource, SingleIntervalTicker
from bokeh.plotting import figure

from .. import model
from ..accumulators import DELAY_BIN_PS
from ..snapshot import HeraldedCopy, Snapshot, Want
from ..widgets import TOOLS, InfoLine, PageKit

__all__ = ["HeraldedTab", "heralded_fit_text"]

FIRST_COLOR, SECOND_COLOR = "#d62728", "#1f77b4"


class HeraldedTab:
    """The heralded spectroscopy tab.

    Parameters
    ----------
    kit : PageKit
        The page's Div factory.
    """

    title = "Heralded spectroscopy"

    def __init__(self, kit: PageKit) -> None:
        self.spec_source = ColumnDataSource({"pixel": [], "first": [], "second": []}, name="spectra_source")
        self.spec_fig = figure(title="heralded spectra: photons per array pixel", height=300,
                               sizing_mode="stretch_width", tools=TOOLS, x_axis_label="pixel (channel)",
                               y_axis_label="photons")
        self.spec_fig.step("pixel", "first", source=self.spec_source, mode="center", color=FIRST_COLOR,
                           legend_label="first photon (biexciton)", line_width=2)
        self.spec_fig.step("pixel", "second", source=self.spec_source, mode="center", color=SECOND_COLOR,
                           legend_label="second photon (exciton)", line_width=2)
        self.spec_fig.xaxis.ticker = SingleIntervalTicker(interval=1)
        self.decay_first = ColumnDataSource({"t": [], "y": []}, name="decay_first_source")
        self.decay_second = ColumnDataSource({"t": [], "y": []}, name="decay_second_source")
        self.decay_fig = figure(title="heralded decays (delay after the sync)", height=300,
                                sizing_mode="stretch_width", tools=TOOLS, y_axis_type="log",
                                x_axis_label="delay (ns)", y_axis_label=f"photons per {DELAY_BIN_PS} ps")
        self.decay_fig.scatter("t", "y", source=self.decay_first, color=FIRST_COLOR, size=2,
                               legend_label="first photon")
        self.decay_fig.scatter("t", "y", source=self.decay_second, color=SECOND_COLOR, size=2,
                               legend_label="second photon")
        live = kit.live("heralded_info", '<span class="small">no heralded records yet '
                                         '(needs a sync channel and periods with two photons)</span>')
        self.info = InfoLine(live)
        self.layout = column(live.div, row(self.spec_fig, self.decay_fig, sizing_mode="stretch_width"),
                             sizing_mode="stretch_width")
        self.figures = [self.spec_fig, self.decay_fig]

    def want(self, slow: bool) -> Want:
        """The heralded accumulator whenever it changed."""
        return Want(heralded=True)

    def update(self, snap: Snapshot) -> None:
        """Show new fit results, then new spectra and decays."""
        if snap.fits is not None and snap.fits.heralded:
            text, failed = heralded_fit_text(snap.fits.heralded)
            self.info.show_fit(text, failed)
        if snap.heralded is not None:
            self._render(snap.heralded)

    def on_show(self) -> None:
        """Nothing to forget: the feed re-sends the accumulator."""

    def _render(self, her: HeraldedCopy) -> None:
        first, second = her.first, her.second
        used = np.flatnonzero((first + second) > 0)
        if used.size:
            px = np.arange(used.min(), used.max() + 1)
            self.spec_source.data = {"pixel": px, "first": first[px], "second": second[px]}
        self.decay_first.data = model.decay_columns(her.delay_first, DELAY_BIN_PS)
        self.decay_second.data = model.decay_columns(her.delay_second, DELAY_BIN_PS)
        span_ns = her.delay_first.size * DELAY_BIN_PS * 1e-3
        over = f" · {her.overflow} delays beyond {span_ns:.0f} ns not shown" if her.overflow else ""
        self.info.show_data(f"{her.records} heralded pairs in run {her.run}{over}")


def heralded_fit_text(r: dict[str, Any]) -> tuple[str, bool]:
    """The line of a ``heralded_fit`` result and whether it is an error."""
    if "error" in r:
        return r["error"], True
    parts = []
    for key, label in (("tau_bx", "τ_BX (first photon)"), ("tau_x", "τ_X (second photon)")):
        if f"{key}_ns" in r:
            err = r[f"{key}_err_ns"]
            note = "" if math.isfinite(err) and err > 0 else " (error not determined)"
            parts.append(f"{label} = {model.fmt_value_err(r[f'{key}_ns'], err)} ns{note}")
        else:
            parts.append(f"{label}: {r.get(f'{key}_error', 'no fit')}")
    if "binding_mev" in r:
        be = model.fmt_value_err(r["binding_mev"], r["binding_err_mev"])
        parts.append(f"binding energy = {be} meV")
    else:
        parts.append(str(r.get("binding_error", "")))
    parts.append("tail fits, accidental pairs not subtracted (g2live analyze does)")
    return " · ".join(p for p in parts if p), False
