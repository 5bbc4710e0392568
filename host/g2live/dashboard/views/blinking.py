# SPDX-License-Identifier: BSD-3-Clause
"""The "Blinking" tab: the intensity trace with the ON/OFF threshold and the intensity histogram.

The trace is the feed's ring of the newest bins; the threshold and the ON fraction come from the
two-level Poisson-mixture fit (``g2live.analysis.blinking.fit_poisson_mixture``, fit worker).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from bokeh.layouts import column, row
from bokeh.models import ColumnDataSource, Span
from bokeh.plotting import figure

from .. import model
from ..snapshot import Snapshot, TraceCopy, Want
from ..widgets import TOOLS, InfoLine, PageKit

__all__ = ["BlinkingTab", "blinking_fit_text"]


class BlinkingTab:
    """The blinking tab.

    Parameters
    ----------
    kit : PageKit
        The page's Div factory.
    """

    title = "Blinking"

    def __init__(self, kit: PageKit) -> None:
        self.trace_source = ColumnDataSource({"t": [], "counts": []}, name="trace_source")
        self.trace_fig = figure(title="intensity trace", height=300, sizing_mode="stretch_width", tools=TOOLS,
                                x_axis_label="device time (s)", y_axis_label="photons per bin")
        self.trace_fig.line("t", "counts", source=self.trace_source, color="#333")
        self.threshold = Span(location=0, dimension="width", line_color="#d62728", line_dash="dashed",
                              line_width=2, visible=False)
        self.trace_fig.add_layout(self.threshold)
        self.ih_source = ColumnDataSource({"counts": [], "bins": []}, name="intensity_hist_source")
        self.ih_fig = figure(title="intensity histogram", height=300, width=300, tools=TOOLS,
                             x_axis_label="bins", y_axis_label="photons per bin",
                             y_range=self.trace_fig.y_range)
        self.ih_fig.hbar(y="counts", right="bins", height=1.0, source=self.ih_source, color="#777")
        live = kit.live("trace_info", '<span class="small">no trace frames yet</span>')
        self.info = InfoLine(live)
        self.layout = column(live.div, row(self.trace_fig, self.ih_fig, sizing_mode="stretch_width"),
                             sizing_mode="stretch_width")
        self.figures = [self.trace_fig, self.ih_fig]

    def want(self, slow: bool) -> Want:
        """The trace ring whenever it changed."""
        return Want(trace=True)

    def update(self, snap: Snapshot) -> None:
        """Show a new fit (threshold and numbers), then the new trace and its histogram."""
        if snap.fits is not None and snap.fits.blinking:
            self._render_fit(snap.fits.blinking)
        if snap.trace is not None:
            self._render(snap.trace)

    def on_show(self) -> None:
        """Nothing to forget: the feed re-sends the trace."""

    def _render(self, trace: TraceCopy) -> None:
        counts = trace.counts.astype(float)
        self.trace_source.data = {"t": trace.t_s, "counts": counts}
        if counts.size:
            top = int(counts.max())
            hist = np.bincount(trace.counts, minlength=top + 1)
            self.ih_source.data = {"counts": np.arange(top + 1, dtype=float), "bins": hist.astype(float)}
        bin_s = trace.bin_s
        self.info.show_data(f"{counts.size} bins of {bin_s * 1e3:.3g} ms ({counts.size * bin_s:.1f} s)")

    def _render_fit(self, r: dict[str, Any]) -> None:
        if "error" in r:
            self.threshold.visible = False
        else:
            self.threshold.update(location=r["threshold"], visible=True)
        self.info.show_fit(*blinking_fit_text(r))


def blinking_fit_text(r: dict[str, Any]) -> tuple[str, bool]:
    """The line of a ``blinking_fit`` result and whether it is an error."""
    if "error" in r:
        return r["error"], True
    sep = "" if r["separated"] else " (ON and OFF levels not separated: no blinking resolved)"
    return (f"ON fraction {r['on_fraction']:.3f} (mixture weight "
            f"{model.fmt_value_err(r['w_on'], r['w_on_err'])}), threshold {r['threshold']:.1f} photons/bin, "
            f"levels {r['lam_off']:.1f} / {r['lam_on']:.1f}{sep}"), False
