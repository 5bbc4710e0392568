# SPDX-License-Identifier: BSD-3-Clause
"""The "Correlations" tab: the live taggers' topics of the server (docs/protocol.md 1.2).

- ``logcorr``: G(τ) from 1 ns to 10 s on a log time axis (the blinking bunching of a quantum dot
  at µs-ms is the shoulder above 1 there);
- ``gated``: the ON-state g2(0) next to the ungated one of the ``analysis`` topic, with the gate;
- ``heralded_g2``: g2_h(0) of two detectors conditioned on a herald, and its counts;
- ``coincidences``: the N-fold coincidence counters, as counts and rates;
- ``g3``: g3(τ1, τ2) as an image (linear colour scale up to the fullest bin).

Each part stays empty, saying which setting switches it on, until its topic arrives. A value
outside its physical range is never drawn as a number: the server withholds it and the line says
why (as the Live g2 header does).
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
from bokeh.layouts import column, row
from bokeh.models import ColumnDataSource, LinearColorMapper, Span
from bokeh.plotting import figure

from .. import model
from ..snapshot import Snapshot, Want
from ..widgets import TOOLS, PageKit
from ..wire import LIVE_TOPICS, Message

__all__ = ["CorrelationsTab", "coincidence_text", "gated_text", "heralded_text", "logcorr_text", "why_text"]

OFF = {"logcorr": "log_corr", "gated": "on_state", "heralded_g2": "heralded_g2",
       "coincidences": "coincidences", "g3": "g3"}  # topic -> the setting that switches it on


def _off(topic: str) -> str:
    return f"no {topic} frames: configure {OFF[topic]} to switch it on (docs/protocol.md section 3)"


def why_text(header: dict[str, Any]) -> str:
    """The reasons of the withheld values and the counters' own error, for the end of a line."""
    parts = [f"withheld: {r}" for r in dict.fromkeys((header.get("withheld") or {}).values())]
    for key in ("error", "gate_error"):  # the counters' own, the ON gate's (e.g. still learning)
        if header.get(key):
            parts.append(str(header[key]))
    if header.get("estimate_status", "ok") != "ok":
        parts.append(f"ON-state g2(0): {header['estimate_status']}")
    if header.get("lost_total"):
        parts.append(f"{header['lost_total']} events LOST by the device: the counts miss them")
    return " · ".join(parts)


def logcorr_text(header: dict[str, Any]) -> str:
    a, b = header.get("pair", ["?", "?"])
    return (f"G(τ) of channels {a} → {b}, {len(header.get('edges_ps') or []) - 1} log bins, "
            f"{header.get('integration_s', 0):.1f} s, normalised as pycorrelate")


def gated_text(header: dict[str, Any]) -> str:
    v, w = header.get("values") or {}, header.get("withheld") or {}
    on = model.shown_value(v, w, "g2_0_on", "g2_0_on_err")
    all_ = model.shown_value(v, w, "g2_0", "g2_0_err")
    thr = header.get("threshold_cps")
    gate = (f"threshold {model.fmt_rate(thr)}{' (learned)' if header.get('threshold_learned') else ''}, "
            f"ON {header.get('n_on_bins', 0)} of {header.get('n_gate_bins', 0)} bins "
            f"({header.get('on_time_s', 0.0):.2f} s)")
    return f"g2(0) ON state {on} · all {all_} · {gate}"


def heralded_text(header: dict[str, Any], counts: np.ndarray) -> str:
    v, w = header.get("values") or {}, header.get("withheld") or {}
    h, a, b = header.get("channels", ["?", "?", "?"])
    n = [int(x) for x in np.asarray(counts).ravel()[:4]] if np.asarray(counts).size >= 4 else [0, 0, 0, 0]
    return (f"g2_h(0) = {model.shown_value(v, w, 'g2_h0', 'g2_h0_err')} · herald {h}: {n[0]}, with {a}: "
            f"{n[1]}, with {b}: {n[2]}, with both: {n[3]} · {header.get('pending', 0)} heralds open")


def coincidence_text(header: dict[str, Any], counts: np.ndarray) -> str:
    t = float(header.get("integration_s") or 0.0)
    parts = []
    for s, n in zip(header.get("sets") or [], np.asarray(counts).ravel().tolist(), strict=False):
        rate = f" ({model.fmt_rate(n / t)})" if t > 0 else ""
        parts.append(f"{','.join(map(str, s))}: {n}{rate}")
    return f"within {header.get('window_ps', 0)} ps · " + " · ".join(parts)


class CorrelationsTab:
    """The correlations tab.

    Parameters
    ----------
    kit : PageKit
        The page's Div factory.
    """

    title = "Correlations"

    def __init__(self, kit: PageKit) -> None:
        self.lines = {t: kit.live(f"{t}_info", f'<span class="small">{html.escape(_off(t))}</span>')
                      for t in LIVE_TOPICS}
        self.logcorr_source = ColumnDataSource({"tau": [], "g": []}, name="logcorr_source")
        self.logcorr_fig = figure(title="G(τ), log-binned", height=320, sizing_mode="stretch_width",
                                  tools=TOOLS, x_axis_type="log", x_axis_label="τ (s)", y_axis_label="G(τ)")
        self.logcorr_fig.scatter("tau", "g", source=self.logcorr_source, size=4, color="#1f77b4")
        self.logcorr_fig.line("tau", "g", source=self.logcorr_source, color="#1f77b4")
        one = Span(location=1.0, dimension="width", line_color="#777", line_dash="dashed")  # uncorrelated
        self.logcorr_fig.add_layout(one)
        self.coinc_source = ColumnDataSource({"set": [], "counts": []}, name="coincidence_source")
        self.coinc_fig = figure(title="coincidence counters", height=260, width=360, tools=TOOLS, x_range=[],
                                y_axis_label="coincidences")
        self.coinc_fig.vbar(x="set", top="counts", width=0.8, source=self.coinc_source, color="#2ca02c")
        empty: dict[str, list[Any]] = {"image": [], "x": [], "y": [], "dw": [], "dh": []}
        self.g3_source = ColumnDataSource(empty, name="g3_source")
        self.g3_fig = figure(title="g3(τ1, τ2) counts", height=360, width=400, tools=TOOLS,
                             x_axis_label="τ1 = t_b - t_a (ns)", y_axis_label="τ2 = t_c - t_a (ns)")
        self.g3_mapper = LinearColorMapper(palette="Viridis256", low=0, high=1)
        self.g3_fig.image(image="image", x="x", y="y", dw="dw", dh="dh", source=self.g3_source,
                          color_mapper=self.g3_mapper)
        ln = self.lines
        self.layout = column(ln["logcorr"].div, self.logcorr_fig, ln["gated"].div, ln["heralded_g2"].div,
                             ln["coincidences"].div, ln["g3"].div, row(self.coinc_fig, self.g3_fig),
                             sizing_mode="stretch_width")
        self.figures = [self.logcorr_fig, self.coinc_fig, self.g3_fig]

    def want(self, slow: bool) -> Want:
        """The live taggers' topics, at the slow rate (the server sends them at most 4 times a second)."""
        return Want(frozenset(LIVE_TOPICS) if slow else frozenset())

    def update(self, snap: Snapshot) -> None:
        """Redraw every part whose topic sent a new frame."""
        f = snap.frames
        parts = (("logcorr", self._logcorr), ("gated", self._gated), ("heralded_g2", self._heralded),
                 ("coincidences", self._coincidences), ("g3", self._g3))
        for topic, draw in parts:
            if topic in f:
                draw(f[topic])

    def on_show(self) -> None:
        """Nothing to forget: the topics are accumulated, their next frames hold everything."""

    def _line(self, topic: str, text: str, header: dict[str, Any]) -> None:
        why = why_text(header)
        bad = f' · <span class="err">{html.escape(why)}</span>' if why else ""
        self.lines[topic].text = f'<span class="small">{html.escape(text)}</span>{bad}'

    def _logcorr(self, m: Message) -> None:
        self.logcorr_source.data = model.logcorr_columns(m.header)
        self._line("logcorr", logcorr_text(m.header), m.header)

    def _gated(self, m: Message) -> None:
        self._line("gated", gated_text(m.header), m.header)

    def _heralded(self, m: Message) -> None:
        self._line("heralded_g2", heralded_text(m.header, m.data), m.header)

    def _coincidences(self, m: Message) -> None:
        labels = [",".join(map(str, s)) for s in m.header.get("sets") or []]
        counts = np.asarray(m.data, dtype=np.float64).ravel()[: len(labels)]
        if list(self.coinc_fig.x_range.factors) != labels:
            self.coinc_fig.x_range.factors = labels
        self.coinc_source.data = {"set": labels, "counts": counts}
        self._line("coincidences", coincidence_text(m.header, m.data), m.header)

    def _g3(self, m: Message) -> None:
        img = model.g3_image(m.header, m.data)
        top = float(np.max(img["image"][0])) if np.size(img["image"][0]) else 0.0
        self.g3_mapper.high = max(top, 1.0)
        self.g3_source.data = img
        a, b, c = m.header.get("channels", ["a", "b", "c"])
        self._line("g3", f"g3 of channels {a} (anchor), {b}, {c}: {m.header.get('n_anchors', 0)} anchors, "
                         f"{int(np.sum(m.data))} triples", m.header)
