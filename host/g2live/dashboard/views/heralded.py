# SPDX-License-Identifier: BSD-3-Clause
"""The "Heralded spectroscopy" tab: spectra and delay histograms of the first and second photon.

Fed from every ``heralded`` record (accumulated per run by the feed). The numbers are the server's
own analysis of the run (``g2live.analysis.analyze_heralded``, the function ``g2live analyze``
uses: crosstalk, accidentals, afterpulses and the timing response handled), carried in the
``heralded`` messages; a server that cannot analyse (no tags in process, no pixel energies) leaves
the fit worker's uncorrected tail fits, which the page labels as such.
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

__all__ = ["HeraldedTab", "corrected_text", "heralded_fit_text"]

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
        her = snap.heralded
        if her is not None and (her.corrected or her.corrected_error.startswith("collecting")):
            text, failed = corrected_text(her.corrected, her.corrected_error)
            self.info.show_fit(text, failed)
        elif snap.fits is not None and snap.fits.heralded:
            text, failed = heralded_fit_text(snap.fits.heralded)
            self.info.show_fit(text, failed)
        if her is not None:
            self._render(her)

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


def corrected_text(v: dict[str, Any], error: str) -> tuple[str, bool]:
    """The line of the server's corrected heralded values (the same as ``g2live analyze``)."""
    if not v:
        return error or "no heralded analysis yet", False
    withheld = v.get("withheld") or {}
    parts = []
    for key, unit, label in (("tau_bx_ns", "ns", "τ_BX"), ("tau_x_ns", "ns", "τ_X"),
                             ("binding_energy_mev", "meV", "binding energy")):
        err_key = key.replace("_ns", "_err_ns").replace("_mev", "_err_mev")
        if v.get(key) is not None:
            parts.append(f"{label} = {model.fmt_value_err(v[key], v.get(err_key))} {unit}")
        else:
            parts.append(f"{label}: withheld ({withheld.get(key, 'not determined')})")
    acc = v.get("accidental_fraction")
    parts.append(f"{v.get('n_pairs', 0)} pairs used, accidentals {acc:.1%}" if acc is not None else "")
    if v.get("crosstalk_excess") is not None:
        window = v.get("crosstalk_window_ps") or 0.0
        parts.append(f"crosstalk {v['crosstalk_excess']:.0f} pairs within {window:.0f} ps")
    parts.append("corrected for crosstalk, accidentals and timing response (as g2live analyze)")
    return " · ".join(p for p in parts if p), False


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
