"""The page: layout, plots, controls and the render callback (10 Hz and more) of one browser session.

Each browser tab gets its own ``Session`` (its own Bokeh document) but they all read the one
shared ``Feed`` (frames), ``DerivedWorker`` (fits) and ``Commander`` (control socket). Render
work per tick is proportional to what changed: a topic whose frame version did not move is not
touched, time series are *streamed* (only the new points travel to the browser) with a rollover
that bounds the browser's memory as ``maxlen`` bounds ours.
"""

from __future__ import annotations

import html
import json
import math
import time
from typing import Any

import numpy as np
from bokeh.document import Document
from bokeh.layouts import column, row
from bokeh.models import (
    Button,
    ColumnDataSource,
    CustomJS,
    CustomJSTickFormatter,
    DataRange1d,
    DatetimeTickFormatter,
    Div,
    InlineStyleSheet,
    Legend,
    LegendItem,
    NumericInput,
    RadioButtonGroup,
    Select,
    SingleIntervalTicker,
    Span,
    TabPanel,
    Tabs,
    TextInput,
    Whisker,
)
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

from . import model
from .control import Commander, Reply
from .derived import DerivedWorker
from .feed import DELAY_BIN_PS, HISTORY_LEN, Feed

RENDER_MS = 50  # render tick; the browser's echo (flow control) decides how many ticks send anything
MIN_UPDATE_S = 0.04  # an echo starts the next update at once, but no more often than 25 per second
SLOW_S = 0.5  # period of the secondary plots (history, rates, photon number) and the page-rate text
ACK_TIMEOUT_S = 5.0  # resend anyway when the browser has not confirmed an update for this long
TAB_LIVE, TAB_HERALDED, TAB_SWEEP, TAB_TRACE, TAB_DEVICE = range(5)
TOOLS = "pan,wheel_zoom,box_zoom,reset,save"

CSS = """
:host { font-family: system-ui, sans-serif; }
.cells { display: flex; gap: 28px; flex-wrap: nowrap; }
.big { font-size: 26px; font-weight: 600; line-height: 1.1; }
.lbl { font-size: 12px; color: #555; text-transform: uppercase; letter-spacing: .04em; }
.small { font-size: 12px; color: #555; }
.ok { background: #e7f6ea; color: #17612a; padding: 6px 10px; border-radius: 4px; }
.bad { background: #c62828; color: #fff; padding: 8px 12px; border-radius: 4px; font-weight: 700; }
.warn { background: #fff3cd; color: #7a5b00; padding: 6px 10px; border-radius: 4px; }
.err { color: #b71c1c; font-weight: 600; }
.fit { font-size: 13px; font-weight: 600; color: #1f3b73; }
table.kv td { padding: 1px 8px 1px 0; font-size: 12px; vertical-align: top; }
"""




def _big(label: str, key: str, value: str) -> str:
    # data-key lets tests and scripts read a number without depending on the layout
    return (f'<div class="cell"><div class="lbl">{html.escape(label)}</div>'
            f'<div class="big" data-key="{key}">{html.escape(value)}</div></div>')


def _kv_table(items: dict[str, Any]) -> str:
    rows = "".join(f"<tr><td><b>{html.escape(str(k))}</b></td><td>{html.escape(_short(v))}</td></tr>"
                   for k, v in items.items())
    return f'<table class="kv">{rows}</table>'


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    s = v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
    return s if len(s) <= 120 else s[:117] + "..."


def _nonzero(per_channel: Any) -> Any:
    """A per-channel list (64 entries) as {channel: value} of the non-zero ones."""
    if not isinstance(per_channel, list):
        return per_channel
    return {c: v for c, v in enumerate(per_channel) if v} or "none"


# Tick labels of constant width (monospace, padded): when a label's width changes, BokehJS lays
# out the whole page again, which at 10 Hz cost more than drawing the plots.
Y_TICKS_JS = """
const a = Math.abs(tick);
const s = (a != 0 && (a >= 1e5 || a < 1e-2)) ? tick.toExponential(1)
                                             : String(Number(tick.toPrecision(4)));
return s.padStart(7, " ");
"""


def _steady_axes(fig: Any) -> None:
    for ax in fig.yaxis:
        ax.formatter = CustomJSTickFormatter(code=Y_TICKS_JS)
        ax.major_label_text_font = "monospace"
    for ax in fig.xaxis:
        if isinstance(ax.formatter, DatetimeTickFormatter):  # one line, no date context below
            ax.formatter = DatetimeTickFormatter(seconds="%H:%M:%S", minsec="%H:%M:%S", minutes="%H:%M",
                                                 hourmin="%H:%M", hours="%H:%M", days="%b %d", context=None)


class LiveDiv:
    """A Div whose ``text`` changes reach the browser without a page layout pass.

    BokehJS re-measures the whole page (every plot's axis labels, through getComputedStyle) when
    any Div's text changes; with ten live texts at 10 Hz that was most of the browser's time.
    These Divs get their text through one small data source instead; a browser-side callback
    writes it into the already laid-out element (fixed-size slots, so the layout stays valid).
    """

    def __init__(self, div: Div, owner: LiveText) -> None:
        self.div = div
        self._owner = owner
        self._text = div.text

    @property
    def text(self) -> str:
        return self._text

    @text.setter
    def text(self, value: str) -> None:
        if value != self._text:
            self._text = value
            self._owner.dirty = True


class LiveText:
    def __init__(self) -> None:
        self.divs: list[LiveDiv] = []
        self.dirty = False
        self.source = ColumnDataSource({}, name="live_text")
        self._callback = CustomJS(code="")
        self.source.js_on_change("data", self._callback)

    def add(self, live: LiveDiv) -> None:
        self.divs.append(live)
        names = [d.div.name for d in self.divs]
        self._callback.args = {f"d{i}": d.div for i, d in enumerate(self.divs)} | {"src": self.source}
        self._callback.code = (
            f"const divs = [{', '.join(f'd{i}' for i in range(len(names)))}];\n"
            "for (const div of divs) {\n"
            "  const text = src.data[div.name][0];\n"
            "  if (text === undefined || text === div.text) continue;\n"
            "  div.setv({text: text}, {silent: true});  // no change event: no layout pass\n"
            "  const view = Bokeh.index.find_one(div);\n"
            "  if (view != null && view.markup_el != null) view.markup_el.innerHTML = text;\n"
            "}\n"
            "window.g2live_text_updates = (window.g2live_text_updates || 0) + 1;")

    def flush(self) -> bool:
        """Send the texts when one changed; True if it did."""
        if not self.dirty:
            return False
        self.dirty = False
        self.source.data = {d.div.name: [d.text] for d in self.divs}
        return True


class Session:
    """One browser tab."""

    def __init__(self, doc: Document, feed: Feed, derived: DerivedWorker, commander: Commander) -> None:
        self.doc, self.feed, self.derived, self.commander = doc, feed, derived, commander
        self.seen: dict[str, int] = {}
        self.derived_seen = -1
        self.analysis_index = 0
        self.rates_index = 0
        self.rate_channels: tuple[int, ...] = ()
        self.heralded_seen = -1
        self.trace_seen = -1
        self.sweep_seen = -1
        self.pair_index = 0
        self.active_tab = TAB_LIVE
        self.sent = 0  # updates sent to the browser ...
        self.acked = 0  # ... and the newest one it confirmed
        self.sent_at = 0.0
        self.tick_pending = False  # an update triggered by the browser's echo is scheduled
        self.slow_at = 0.0
        self.info: dict[str, str] = {}  # per tab: what the data are ...
        self.fit_info: dict[str, tuple[str, bool]] = {}  # ... and what the fits say (text, is_error)
        self.ack_times: list[float] = []
        self.settings: dict[str, Any] = {}
        self.status: dict[str, Any] = {}
        self.css = InlineStyleSheet(css=CSS)  # a Bokeh model belongs to one document: one per session
        self.live_text = LiveText()
        self._build()
        doc.add_root(self.layout)
        doc.title = "g2live"
        self.callback = doc.add_periodic_callback(self.tick, RENDER_MS)

    # ---------------------------------------------------------------- layout
    def _summary_html(self) -> str:
        v = self.values
        cells = "".join(_big(label, key, v.get(key, "—")) for label, key in (
            ("g2(0)", "g2_0"), ("purity 1 − g2(0)", "purity"), ("detected rate", "rate"),
            ("photons / pulse", "per_pulse"), ("integration", "integration"), ("state", "state")))
        periods = f"{v['periods']} laser periods" if "periods" in v else ""
        parts = (v.get("analysis", ""), v.get("g2_info", ""), v.get("sync", ""), periods, v["page"])
        notes = " · ".join(x for x in parts if x)
        seq = v.get("analysis_seq", "")
        return (f'<div class="cells">{cells}</div><div class="small" data-key="analysis_seq" '
                f'data-seq="{seq}">{html.escape(notes)}</div>')

    def _endpoints_text(self) -> str:
        return (f'<span class="small">data {html.escape(self.feed.pub)} · control '
                f'{html.escape(self.commander.endpoint)}</span>')

    def _live(self, name: str, text: str = "", width: int | None = None, **kw: Any) -> LiveDiv:
        live = LiveDiv(self._div(name, text, width, **kw), self.live_text)
        self.live_text.add(live)
        return live

    def _div(self, name: str, text: str = "", width: int | None = None, **kw: Any) -> Div:
        extra = {"width": width} if width else {}
        return Div(name=name, text=text, stylesheets=[self.css], **extra, **kw)

    def _build(self) -> None:
        self.banner = self._live("lost_banner", '<div class="warn">waiting for the first status frame…</div>',
                                 sizing_mode="stretch_width", height=34)
        self.conn = self._live("connection", self._endpoints_text())
        # All live numbers in one Div: every Div text change makes BokehJS re-measure the page
        # layout, so one change per update instead of eight keeps the browser's work small.
        self.values: dict[str, str] = {"g2_0": "—", "purity": "—", "rate": "—", "per_pulse": "—",
                                       "integration": "—", "state": "—", "analysis": "no analysis frame yet",
                                       "g2_info": "", "page": "—"}
        self.summary = self._live("summary", self._summary_html(), sizing_mode="stretch_width", height=86)
        header = column(
            row(Div(text="<h2 style='margin:4px 0'>g2live</h2>", width=110), self.conn.div),
            self.banner.div,
            self.summary.div,
            sizing_mode="stretch_width")
        # Flow control: the browser echoes `marker` into `ack` once it has applied an update. Data
        # sources, not Divs: a Div change (from either side) makes BokehJS lay out the whole page.
        self.marker = ColumnDataSource({"n": [0]}, name="tick_marker")
        self.ack = ColumnDataSource({"n": [0]}, name="tick_ack")
        self.marker.js_on_change("data", CustomJS(args={"marker": self.marker, "ack": self.ack},
                                                  code="ack.data = {n: [marker.data.n[0]]};"))
        self.ack.on_change("data", self._on_ack)
        tabs = Tabs(tabs=[
            TabPanel(child=self._live_tab(), title="Live g2"),
            TabPanel(child=self._heralded_tab(), title="Heralded spectroscopy"),
            TabPanel(child=self._sweep_tab(), title="Power sweep"),
            TabPanel(child=self._trace_tab(), title="Blinking"),
            TabPanel(child=self._device_tab(), title="Device"),
        ], sizing_mode="stretch_width", name="tabs")
        tabs.on_change("active", lambda _a, _o, new: self._on_tab(new))
        figures = (self.g2_lin, self.g2_log, self.g2_hist, self.rates_fig, self.bar_fig, self.pn_fig,
                   self.spec_fig, self.decay_fig, self.purity_fig, self.ratep_fig, self.trace_fig,
                   self.ih_fig)
        for fig in figures:
            _steady_axes(fig)
        main = column(header, tabs, sizing_mode="stretch_width")
        # keep the non-visual models in the document: referenced from a model of the layout
        self.summary.div.tags = [self.live_text.source, self.marker, self.ack]
        self.layout = row(self._controls(), main, sizing_mode="stretch_width")

    def _live_tab(self) -> Any:
        # One source per scale and only the visible figure's is fed: a hidden figure that still
        # repaints makes BokehJS lay out the whole page on every update.
        self.g2_source = ColumnDataSource({"x": [], "y": []}, name="g2_source")
        self.g2_log_source = ColumnDataSource({"x": [], "y": []}, name="g2_log_source")
        self.win_sources = [ColumnDataSource({"left": [], "right": [], "color": []}, name=f"windows_{s}")
                            for s in ("lin", "log")]
        self.g2_cols: dict[str, Any] = {"x": [], "y": [], "y_log": []}
        self.win_cols: dict[str, list[Any]] = {"left": [], "right": [], "color": []}
        # A browser-side counter of histogram updates: what the page really received and drew.
        count = CustomJS(code="window.g2live_updates = (window.g2live_updates || 0) + 1;")
        self.g2_source.js_on_change("data", count)
        self.g2_log_source.js_on_change("data", count)
        kw = {"height": 300, "sizing_mode": "stretch_width", "tools": TOOLS,
              "x_axis_label": "delay t_b − t_a (ns)", "y_axis_label": "coincidences per bin"}
        # Peak windows are data (full-height strips), not annotations: changing an annotation's
        # geometry makes Bokeh re-walk the whole document graph, a source update is just numbers.
        self.g2_lin = figure(title="g2(τ) histogram", name="g2_lin", **kw)
        self.g2_log = figure(title="g2(τ) histogram (log)", y_axis_type="log", name="g2_log", visible=False,
                             **kw)
        for fig, src, win in ((self.g2_lin, self.g2_source, self.win_sources[0]),
                              (self.g2_log, self.g2_log_source, self.win_sources[1])):
            fig.vstrip(x0="left", x1="right", source=win, fill_color="color", fill_alpha=0.12,
                       line_color="color", line_alpha=0.5)
            line = fig.step("x", "y", source=src, mode="after", color="#1f3b73", line_width=1.2)
            fig.y_range = DataRange1d(renderers=[line])  # the window bands must not stretch the axis
        self.windows_shown: tuple[Any, ...] | None = None
        self.scale = RadioButtonGroup(labels=["linear", "log"], active=0, name="g2_scale")
        self.scale.on_change("active", lambda _a, _o, new: self._set_scale(new))
        self.pair_select = Select(title="pair shown", options=["0"], value="0", width=160, name="pair_select")
        self.pair_select.on_change("value", lambda _a, _o, new: self._set_pair(new))
        self.window_note = self._live("window_note", '<span class="small">zero-delay window (red) and '
                                     'side-peak windows (green) appear once the comb is found</span>')

        hist_kw = {"height": 230, "sizing_mode": "stretch_width", "tools": TOOLS, "x_axis_type": "datetime"}
        self.hist_source = ColumnDataSource({"t": [], "g2_0": [], "lo": [], "hi": [], "purity": [], "plo": [],
                                             "phi": []}, name="history_source")
        self.g2_hist = figure(title="g2(0) and purity over time", y_axis_label="g2(0) / purity", **hist_kw)
        self.g2_hist.varea("t", "lo", "hi", source=self.hist_source, fill_color="#d62728", fill_alpha=0.2)
        g2_line = self.g2_hist.line("t", "g2_0", source=self.hist_source, color="#d62728",
                                    legend_label="g2(0)")
        self.g2_hist.varea("t", "plo", "phi", source=self.hist_source, fill_color="#1f77b4", fill_alpha=0.2)
        p_line = self.g2_hist.line("t", "purity", source=self.hist_source, color="#1f77b4",
                                   legend_label="purity")
        self.g2_hist.y_range = DataRange1d(renderers=[g2_line, p_line])  # huge early error bands: not scaled
        self.g2_hist.legend.location = "top_left"

        self.rates_fig = figure(title="count rate per detector channel", y_axis_label="counts/s", **hist_kw)
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
        return column(row(self.scale, self.pair_select, self.window_note.div), self.g2_lin, self.g2_log,
                      row(self.g2_hist, self.pn_fig, sizing_mode="stretch_width"),
                      row(self.rates_fig, self.bar_fig, sizing_mode="stretch_width"),
                      sizing_mode="stretch_width")

    def _heralded_tab(self) -> Any:
        self.spec_source = ColumnDataSource({"pixel": [], "first": [], "second": []}, name="spectra_source")
        self.spec_fig = figure(title="heralded spectra: photons per array pixel", height=300,
                               sizing_mode="stretch_width", tools=TOOLS, x_axis_label="pixel (channel)",
                               y_axis_label="photons")
        self.spec_fig.step("pixel", "first", source=self.spec_source, mode="center", color="#d62728",
                           legend_label="first photon (biexciton)", line_width=2)
        self.spec_fig.step("pixel", "second", source=self.spec_source, mode="center", color="#1f77b4",
                           legend_label="second photon (exciton)", line_width=2)
        self.spec_fig.xaxis.ticker = SingleIntervalTicker(interval=1)
        self.decay_first = ColumnDataSource({"t": [], "y": []}, name="decay_first_source")
        self.decay_second = ColumnDataSource({"t": [], "y": []}, name="decay_second_source")
        self.decay_fig = figure(title="heralded decays (delay after the sync)", height=300,
                                sizing_mode="stretch_width", tools=TOOLS, y_axis_type="log",
                                x_axis_label="delay (ns)", y_axis_label=f"photons per {DELAY_BIN_PS} ps")
        self.decay_fig.scatter("t", "y", source=self.decay_first, color="#d62728", size=2,
                               legend_label="first photon")
        self.decay_fig.scatter("t", "y", source=self.decay_second, color="#1f77b4", size=2,
                               legend_label="second photon")
        self.heralded_info = self._live("heralded_info", '<span class="small">no heralded records yet '
                                  '(needs a sync channel and periods with two photons)</span>')
        return column(self.heralded_info.div, row(self.spec_fig, self.decay_fig, sizing_mode="stretch_width"),
                      sizing_mode="stretch_width")

    def _sweep_tab(self) -> Any:
        self.sweep_source = ColumnDataSource({"power": [], "purity": [], "plo": [], "phi": [], "rate": []},
                                             name="sweep_source")
        self.sweep_fit = ColumnDataSource({"power": [], "purity": [], "rate": []}, name="sweep_fit_source")
        kw = {"height": 320, "sizing_mode": "stretch_width", "tools": TOOLS, "x_axis_label": "power"}
        self.purity_fig = figure(title="purity vs power", y_axis_label="purity 1 − g2(0)", **kw)
        self.purity_fig.scatter("power", "purity", source=self.sweep_source, size=7, color="#1f77b4")
        self.purity_fig.add_layout(Whisker(source=self.sweep_source, base="power", upper="phi", lower="plo"))
        self.purity_fig.line("power", "purity", source=self.sweep_fit, color="#ff7f0e", legend_label="fit")
        self.ratep_fig = figure(title="detected rate vs power", y_axis_label="counts/s", **kw)
        self.ratep_fig.scatter("power", "rate", source=self.sweep_source, size=7, color="#2ca02c")
        self.ratep_fig.line("power", "rate", source=self.sweep_fit, color="#ff7f0e", legend_label="fit")
        self.sweep_info = self._live("sweep_info", '<span class="small">no sweep yet: run `g2live sweep` or '
                                    'the `sweep` control command</span>')
        return column(self.sweep_info.div, row(self.purity_fig, self.ratep_fig, sizing_mode="stretch_width"),
                      sizing_mode="stretch_width")

    def _trace_tab(self) -> Any:
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
        self.trace_info = self._live("trace_info", '<span class="small">no trace frames yet</span>')
        return column(self.trace_info.div, row(self.trace_fig, self.ih_fig, sizing_mode="stretch_width"),
                      sizing_mode="stretch_width")

    def _device_tab(self) -> Any:
        self.settings_div = self._div("settings_div", '<span class="small">no status yet</span>')
        # A plain HTML table: a Bokeh DataTable re-measures its grid on every page layout.
        self.lost_div = self._div("lost_table", '<span class="small">no status yet</span>', width=360)
        self.stream_div = self._div("stream_div", "")
        return row(column(Div(text="<b>settings</b>"), self.settings_div),
                   column(Div(text="<b>lost events (this run)</b>"), self.lost_div, self.stream_div))

    def _controls(self) -> Any:
        w = 200
        self.start_btn = Button(label="Start", button_type="success", width=w, name="start_button")
        self.stop_btn = Button(label="Stop", button_type="warning", width=w, name="stop_button")
        self.reset_btn = Button(label="Reset", button_type="danger", width=w, name="reset_button")
        self.start_btn.on_click(lambda: self.send("start"))
        self.stop_btn.on_click(lambda: self.send("stop"))
        self.reset_btn.on_click(lambda: self.send("reset"))
        self.in_integration = NumericInput(title="integration (s)", mode="float", value=None, width=w,
                                           name="integration_input")
        self.in_bin = NumericInput(title="bin width (ps)", mode="int", value=None, width=w, name="bin_input")
        self.in_nbins = NumericInput(title="number of bins", mode="int", value=None, width=w,
                                     name="nbins_input")
        self.in_offset = NumericInput(title="window offset (ps)", mode="int", value=None, width=w,
                                      name="offset_input")
        self.in_pairs = TextInput(title="pairs (a-b, ...)", value="", width=w, name="pairs_input")
        self.window_text = self._div("window_text", "", width=w)
        self.apply_btn = Button(label="Apply settings", button_type="primary", width=w, name="apply_button")
        self.apply_btn.on_click(self.apply_settings)
        self.in_power = NumericInput(title="power set-point", mode="float", value=None, width=w,
                                     name="power_input")
        self.power_btn = Button(label="Set power", width=w, name="power_button")
        self.power_btn.on_click(self.set_power)
        hint = '<span class="small">replies of the server appear here</span>'
        self.reply = self._div("control_reply", hint, width=w)
        return column(Div(text="<b>acquisition</b>"), self.start_btn, self.stop_btn, self.reset_btn,
                      Div(text="<b>settings</b>"), self.in_integration, self.in_bin, self.in_nbins,
                      self.in_offset, self.window_text, self.in_pairs, self.apply_btn,
                      Div(text="<b>power</b>"), self.in_power, self.power_btn, self.reply, width=w + 20)

    # ---------------------------------------------------------------- controls
    def send(self, cmd: str, args: dict[str, Any] | None = None) -> None:
        self.reply.text = f'<span class="small">{html.escape(cmd)}: sent…</span>'
        # The reply arrives on the control thread; Bokeh documents are changed on their own loop only.
        self.commander.submit(cmd, args,
                              done=lambda rep: self.doc.add_next_tick_callback(lambda: self._show(rep)))

    def _show(self, rep: Reply) -> None:
        cmd = html.escape(str(rep.get("cmd")))
        if rep["ok"]:
            res = html.escape(_short(rep.get("result", {})))
            self.reply.text = f'<div class="ok">{cmd}: ok {res}</div>'
        else:
            fld = f" (field: {html.escape(str(rep['field']))})" if rep.get("field") else ""
            self.reply.text = f'<div class="err">{cmd} refused: {html.escape(str(rep["error"]))}{fld}</div>'

    def apply_settings(self) -> None:
        """Send the fields that differ from the device's current settings as one ``configure``."""
        wanted: dict[str, Any] = {}
        for key, widget in (("integration_s", self.in_integration), ("bin_width_ps", self.in_bin),
                            ("n_bins", self.in_nbins), ("offset_ps", self.in_offset)):
            if widget.value is not None and widget.value != self.settings.get(key):
                wanted[key] = widget.value
        if self.in_pairs.value.strip():
            try:
                pairs = model.parse_pairs(self.in_pairs.value)
            except ValueError as exc:
                self._show({"ok": False, "cmd": "configure", "error": str(exc), "field": "pairs"})
                return
            if pairs != self.settings.get("pairs"):
                wanted["pairs"] = pairs
        if not wanted:
            self.reply.text = '<span class="small">nothing changed</span>'
            return
        self.send("configure", {"settings": wanted})

    def set_power(self) -> None:
        if self.in_power.value is None:
            self._show({"ok": False, "cmd": "set_power", "error": "enter a power first", "field": "power"})
            return
        self.send("set_power", {"power": float(self.in_power.value)})

    def _set_scale(self, active: int) -> None:
        self.g2_lin.visible = active == 0
        self.g2_log.visible = active == 1
        self._push_g2(windows=True)

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

    def _set_pair(self, value: str) -> None:
        self.pair_index = int(value)
        self.seen.pop("g2", None)  # redraw at the next tick
        self.derived_seen = -1

    # ---------------------------------------------------------------- render
    def _on_tab(self, active: int) -> None:
        """Hidden tabs are not fed (the browser's time is the scarce resource): catch up on showing."""
        self.active_tab = active
        for topic in ("g2", "rates", "pulsed", "status"):
            self.seen.pop(topic, None)
        self.derived_seen = self.heralded_seen = self.trace_seen = self.sweep_seen = -1
        self.windows_shown = None

    def _on_ack(self, _attr: str, _old: Any, new: dict[str, list[Any]]) -> None:
        try:
            self.acked = int(new["n"][0])
        except (KeyError, IndexError, TypeError, ValueError):
            return
        now = time.monotonic()
        self.ack_times.append(now)
        self.ack_times = [t for t in self.ack_times if now - t <= 5.0]
        # The browser is free now: start the next update right away instead of at the next tick,
        # which would leave it idle for half a tick on average (a tenth of its time at 10 Hz).
        if self.acked >= self.sent and not self.tick_pending:
            self.tick_pending = True
            wait_s = self.sent_at + MIN_UPDATE_S - now
            if wait_s > 0:
                self.doc.add_timeout_callback(self._ack_tick, wait_s * 1e3)
            else:
                self.doc.add_next_tick_callback(self._ack_tick)

    def _ack_tick(self) -> None:
        self.tick_pending = False
        self.tick()

    def page_rate(self) -> float:
        """Updates per second the browser confirmed over the last 5 s."""
        times = self.ack_times
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        return (len(times) - 1) / span if span > 0 else 0.0

    def tick(self) -> None:
        # Flow control: while the browser has not confirmed the previous update, send nothing new.
        # Frames keep arriving in the feed meanwhile and the next update carries the newest state,
        # so a slow browser sees fewer updates, never older ones, and no queue grows anywhere.
        if self.sent > self.acked and time.monotonic() - self.sent_at < ACK_TIMEOUT_S:
            return
        t0 = time.perf_counter()
        feed, tab = self.feed, self.active_tab
        live, her_tab, sweep_tab, trace_tab = (tab == TAB_LIVE, tab == TAB_HERALDED, tab == TAB_SWEEP,
                                               tab == TAB_TRACE)
        now = time.monotonic()
        slow = now - self.slow_at >= SLOW_S  # secondary plots: 2 Hz is plenty, the browser is busy
        if slow:
            self.slow_at = now
        wanted = {"status", "analysis", "g2"} if live else {"status", "analysis"}
        if slow:
            wanted |= {"rates", "pulsed"}
        with feed.lock:  # copy references only; all work happens after the lock is released
            fresh = {t: f for t, f in feed.latest.items()
                     if t in wanted and feed.versions.get(t) != self.seen.get(t)}
            for t in fresh:
                self.seen[t] = feed.versions[t]
            new_analysis: list[dict[str, float]] = []
            new_rates: list[dict[str, float]] = []
            if live and slow:
                new_analysis, self.analysis_index = feed.analysis.since(self.analysis_index)
                new_rates, self.rates_index = feed.rates.since(self.rates_index)
            her = feed.heralded
            heralded = None
            if her_tab and her.version != self.heralded_seen:
                self.heralded_seen = her.version
                heralded = (her.first.copy(), her.second.copy(), her.delay_first.copy(),
                            her.delay_second.copy(), her.records, her.delay_overflow, her.run)
            trace = None
            if trace_tab and feed.trace.version != self.trace_seen:
                self.trace_seen = feed.trace.version
                trace = (np.fromiter(feed.trace.t_s, float), np.fromiter(feed.trace.counts, float),
                         feed.trace.bin_s)
            sweep = None
            if sweep_tab and feed.sweep.version != self.sweep_seen:
                self.sweep_seen = feed.sweep.version
                sweep = (dict(feed.sweep.points), feed.sweep.n_points, feed.sweep.done, feed.sweep.sweep_id)
            counters = (dict(feed.gaps), dict(feed.received), feed.malformed, feed.last_error,
                        feed.last_frame)
        changed = bool(fresh or new_analysis or new_rates or heralded or trace or sweep)
        if "status" in fresh:
            self._render_status(fresh["status"])
        if "g2" in fresh:
            self._render_g2(fresh["g2"])
        derived = self.derived.snapshot()
        if derived.version != self.derived_seen:
            self.derived_seen = derived.version
            if live:
                self._render_windows(derived)
            elif her_tab:
                self._render_heralded_fit(derived.heralded)
            elif trace_tab:
                self._render_blinking_fit(derived.blinking)
            elif sweep_tab:
                self._render_sweep_fit(derived.sweep)
            changed = True
        if "analysis" in fresh:
            self._render_analysis(fresh["analysis"])
        if new_analysis:
            self._stream_history(new_analysis)
        if "rates" in fresh and live:
            self._render_rates(fresh["rates"])
        if new_rates:
            self._stream_rates(new_rates)
        if "pulsed" in fresh:
            self._render_pulsed(fresh["pulsed"], plot=live)
        if heralded is not None:
            self._render_heralded(*heralded)
        if trace is not None:
            self._render_trace(*trace)
        if sweep is not None:
            self._render_sweep(*sweep)
        self._render_stream_health(*counters)
        if changed or self.live_text.dirty:
            cost = (time.perf_counter() - t0) * 1e3
            if slow:
                self.values["page"] = f"page updates {self.page_rate():.1f}/s · render {cost:.0f} ms"
            self.summary.text = self._summary_html()
            self.live_text.flush()
            self.sent += 1
            self.sent_at = time.monotonic()
            self.marker.data = {"n": [self.sent]}  # last change of the tick: its echo means all arrived

    def _render_status(self, frame: Any) -> None:
        h = frame.header
        self.status = h
        settings = h.get("settings") or {}
        if settings != self.settings:
            self._settings_changed(settings)
        state = str(h.get("state", "?"))
        self.values["state"] = state
        self.values["integration"] = f"{float(h.get('integration_s') or 0):.1f} s"
        lost, detail = model.lost_summary(h)
        malformed = int(h.get("malformed") or 0)
        dropped = sum((h.get("publisher_dropped") or {}).values())
        # One line, always the same height: its slot in the page layout is fixed (see LiveDiv).
        if lost or malformed:
            what = [f"{lost} events LOST this run — data incomplete"] if lost else []
            if detail:
                what.append(detail)
            if malformed:
                what.append(f"{malformed} malformed words")
            klass, text = "bad", "⚠ " + " · ".join(what)
        else:
            klass = "ok"
            text = f"no events lost · run {int(h.get('run', 0))} · {state} · device {h.get('device', '?')}"
        if dropped:
            klass = "bad" if klass == "bad" else "warn"
            text += f" · publisher dropped {dropped} frames for slow subscribers"
        self.banner.text = f'<div class="{klass}">{html.escape(text)}</div>'
        if self.active_tab != TAB_DEVICE:
            return
        rows = [(ch, cause, int(n)) for cause, per_channel in (h.get("lost") or {}).items()
                for ch, n in enumerate(per_channel or []) if n]
        body = "".join(f"<tr><td>{ch}</td><td>{html.escape(str(cause))}</td><td>{n}</td></tr>"
                       for ch, cause, n in rows)
        self.lost_div.text = ('<table class="kv"><tr><td><b>channel</b></td><td><b>cause</b></td>'
                              f'<td><b>lost events</b></td></tr>{body}</table>' if rows
                              else '<span class="small">none</span>')
        power = h.get("power")
        info = {"state": state, "run": h.get("run"), "device": h.get("device"), "version": h.get("version"),
                "uptime_s": h.get("uptime_s"), "integration_s": h.get("integration_s"),
                "power": f"{power} {h.get('power_unit') or ''}" if power is not None else "no actuator",
                "sweep": h.get("sweep"), "publisher dropped": h.get("publisher_dropped"),
                "publisher sent": h.get("publisher_sent"), "dead-time removals": _nonzero(h.get("dead"))}
        self.settings_div.text = _kv_table(info) + "<br>" + _kv_table(settings)

    def _settings_changed(self, settings: dict[str, Any]) -> None:
        """Show the device's settings in the inputs (they are the truth; the inputs are edits)."""
        self.settings = settings
        for key, widget in (("integration_s", self.in_integration), ("bin_width_ps", self.in_bin),
                            ("n_bins", self.in_nbins), ("offset_ps", self.in_offset)):
            if key in settings:
                widget.value = settings[key]
        if "pairs" in settings:
            self.in_pairs.value = model.format_pairs(settings["pairs"])
        if self.in_power.value is None and self.status.get("power") is not None:
            self.in_power.value = self.status["power"]
        bw, n, off = settings.get("bin_width_ps"), settings.get("n_bins"), settings.get("offset_ps", 0)
        if bw and n:
            lo = off - (n // 2) * bw
            self.window_text.text = (f'<span class="small">window [{lo * 1e-3:.1f}, '
                                     f'{(lo + n * bw) * 1e-3:.1f}) ns</span>')

    def _render_g2(self, frame: Any) -> None:
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
        self.values["g2_info"] = (f"histogram pair {a}–{b} · run {h.get('run')} · "
                                  f"{float(h.get('integration_s', 0)):.1f} s · {total} coincidences")

    def _render_windows(self, derived: Any) -> None:
        w = derived.windows.get(self.pair_index)
        names = ("period_ps", "zero_ps", "window_ps", "n_side", "lo_ps", "hi_ps")
        key = None if w is None else tuple(round(w[k]) for k in names)
        if key != self.windows_shown:
            self.windows_shown = key
            cols: dict[str, list[Any]] = {"left": [], "right": [], "color": []}
            if w is not None:
                (c_lo, c_hi), side = model.peak_windows(*(w[k] for k in names))
                for (lo, hi), color in [((c_lo, c_hi), "#d62728")] + [(s, "#2ca02c") for s in side]:
                    cols["left"].append(lo)
                    cols["right"].append(hi)
                    cols["color"].append(color)
            self.win_cols = cols
            self.win_sources[self.scale.active].data = cols
        if w is not None:
            self.window_note.text = (f'<span class="small">zero delay at {w["zero_ps"] * 1e-3:.2f} ns '
                                     f'({html.escape(w["method"])}), period {w["period_ps"] * 1e-3:.2f} ns, '
                                     f'window {w["window_ps"] * 1e-3:.2f} ns, K = {w["n_side"]} side peaks '
                                     f'each side</span>')
        else:
            why = derived.windows_error.get(self.pair_index, "no histogram yet")
            self.window_note.text = f'<span class="small">peak windows: {html.escape(why)}</span>'

    def _render_analysis(self, frame: Any) -> None:
        v = frame.header.get("values") or {}
        g2, err = v.get("g2_0"), v.get("g2_0_err")
        self.values["g2_0"] = model.fmt_value_err(g2, err)
        purity = model.fmt_value_err(v.get("purity"), v.get("purity_err"))
        self.values["purity"] = purity
        self.values["rate"] = model.fmt_rate(v.get("rate_cps"))
        pn = v.get("g2_0_poisson_norm")
        extra = f" · Poisson-normalised g2(0) {pn:.4g}" if isinstance(pn, (int, float)) else ""
        pair = frame.header.get("pair", 0)
        self.values["analysis"] = (f"analysis #{frame.seq} · run {frame.run} · pair {pair}{extra}")
        self.values["analysis_seq"] = str(frame.seq)

    def _stream_history(self, rows: list[dict[str, float]]) -> None:
        def col(key: str) -> list[float]:
            return [r.get(key, math.nan) for r in rows]

        g2, e = np.array(col("g2_0")), np.array(col("g2_0_err"))
        p, pe = np.array(col("purity")), np.array(col("purity_err"))
        self.hist_source.stream({"t": [r["t"] * 1e3 for r in rows], "g2_0": g2, "lo": g2 - e, "hi": g2 + e,
                                 "purity": p, "plo": p - pe, "phi": p + pe}, rollover=HISTORY_LEN)

    def _render_rates(self, frame: Any) -> None:
        rates = np.asarray(frame.data, float).ravel()
        settings = frame.header.get("settings") or self.settings
        chans = [int(c) for c in settings.get("channels", range(rates.size)) if 0 <= int(c) < rates.size]
        sync = settings.get("sync_channel")
        det = [c for c in chans if c != sync]  # the sync (MHz) would flatten the detectors (kHz)
        colors = [Category10_10[i % 10] for i in range(len(det))]
        self.bar_source.data = {"ch": det, "cps": [float(rates[c]) for c in det], "color": colors}
        sync_cps = float(rates[sync]) if sync is not None and 0 <= sync < rates.size else 0.0
        sync_text = f", sync ch {sync}: {model.fmt_rate(sync_cps)}" if sync is not None else ""
        self.values["sync"] = sync_text.lstrip(", ")
        if "pulsed" not in self.seen and sync_cps > 0:  # the photon-number histogram is better when there
            per_pulse = sum(rates[c] for c in det) / sync_cps
            self.values["per_pulse"] = f"{per_pulse:.4g}"

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

    def _render_pulsed(self, frame: Any, plot: bool) -> None:
        if plot:
            self.pn_source.data = model.photon_number_columns(frame.data)
        self.values["periods"] = str(int(frame.header.get("n_periods") or frame.data.sum()))
        self.values["per_pulse"] = f"{model.mean_photons(frame.data):.4g}"

    def _render_heralded(self, first: np.ndarray, second: np.ndarray, d1: np.ndarray, d2: np.ndarray,
                         records: int, overflow: int, run: int) -> None:
        used = np.flatnonzero((first + second) > 0)
        if used.size:
            px = np.arange(used.min(), used.max() + 1)
            self.spec_source.data = {"pixel": px, "first": first[px], "second": second[px]}
        self.decay_first.data = model.decay_columns(d1, DELAY_BIN_PS)
        self.decay_second.data = model.decay_columns(d2, DELAY_BIN_PS)
        span_ns = d1.size * DELAY_BIN_PS * 1e-3
        over = f" · {overflow} delays beyond {span_ns:.0f} ns not shown" if overflow else ""
        self.info["heralded"] = f"{records} heralded pairs in run {run}{over}"
        self._show_info("heralded")

    def _render_trace(self, t: np.ndarray, counts: np.ndarray, bin_s: float) -> None:
        self.trace_source.data = {"t": t, "counts": counts}
        if counts.size:
            top = int(counts.max())
            hist = np.bincount(counts.astype(np.int64), minlength=top + 1)
            self.ih_source.data = {"counts": np.arange(top + 1, dtype=float), "bins": hist.astype(float)}
        self.info["trace"] = f"{counts.size} bins of {bin_s * 1e3:.3g} ms ({counts.size * bin_s:.1f} s)"
        self._show_info("trace")

    def _render_sweep(self, points: dict[int, dict[str, float]], n_points: int, done: bool,
                      sweep_id: Any) -> None:
        order = sorted(points)
        rows = [points[k] for k in order]

        def col(*keys: str) -> np.ndarray:
            return np.array([next((r[k] for k in keys if k in r), math.nan) for r in rows], float)

        power, pur, pe = col("power"), col("purity"), col("purity_err")
        self.sweep_source.data = {"power": power, "purity": pur, "plo": pur - pe, "phi": pur + pe,
                                  "rate": col("rate_cps", "rate")}
        state = "done" if done else "running"
        self.info["sweep"] = f"sweep {sweep_id}: {len(rows)} of {n_points} points ({state})"
        self._show_info("sweep")

    def _show_info(self, key: str) -> None:
        """Data summary and fit result of a tab on one line (fit errors in red)."""
        div = {"heralded": self.heralded_info, "trace": self.trace_info, "sweep": self.sweep_info}[key]
        fit, bad = self.fit_info.get(key, ("", False))
        fit_html = f'<span class="{"err" if bad else "fit"}">{html.escape(fit)}</span>' if fit else ""
        div.text = f'<span class="small">{html.escape(self.info.get(key, ""))}</span> · {fit_html}'

    def _render_heralded_fit(self, r: dict[str, Any]) -> None:
        if not r:
            return
        if "error" in r:
            self.fit_info["heralded"] = (r["error"], True)
        else:
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
            self.fit_info["heralded"] = (" · ".join(p for p in parts if p), False)
        self._show_info("heralded")

    def _render_blinking_fit(self, r: dict[str, Any]) -> None:
        if not r:
            return
        if "error" in r:
            self.threshold.visible = False
            self.fit_info["trace"] = (r["error"], True)
        else:
            self.threshold.update(location=r["threshold"], visible=True)
            sep = "" if r["separated"] else " (ON and OFF levels not separated: no blinking resolved)"
            self.fit_info["trace"] = (
                f"ON fraction {r['on_fraction']:.3f} (mixture weight "
                f"{model.fmt_value_err(r['w_on'], r['w_on_err'])}), threshold {r['threshold']:.1f} "
                "photons/bin, "
                f"levels {r['lam_off']:.1f} / {r['lam_on']:.1f}{sep}", False)
        self._show_info("trace")

    def _render_sweep_fit(self, r: dict[str, Any]) -> None:
        if not r:
            return
        if "error" in r:
            self.fit_info["sweep"] = (r["error"], True)
            self.sweep_fit.data = {"power": [], "purity": [], "rate": []}
        else:
            c = r["curve"]
            self.sweep_fit.data = {"power": c["power"], "purity": c["purity"], "rate": c["rate"]}
            parts = [f"P_sat = {model.fmt_value_err(r['p_sat'], r['p_sat_err'])}",
                     f"I_sat = {model.fmt_value_err(r['i_sat_cps'], r['i_sat_cps_err'])} cps"]
            if r.get("qy_ratio") is not None:
                parts.append(f"qy_ratio = {model.fmt_value_err(r['qy_ratio'], r['qy_ratio_err'])}")
            parts += list(r.get("notes") or [])
            self.fit_info["sweep"] = (" · ".join(parts), False)
        self._show_info("sweep")

    def _render_stream_health(self, gaps: dict[str, int], received: dict[str, int], malformed: int,
                              last_error: str, last_frame: float | None) -> None:
        age = time.monotonic() - last_frame if last_frame is not None else None
        lost_frames = sum(gaps.values())
        parts = [f"frames received: {sum(received.values())}", f"frames missed (seq gaps): {lost_frames}"]
        if malformed:
            parts.append(f"malformed messages: {malformed} ({last_error})")
        text = " · ".join(parts)
        klass = "warn" if lost_frames or malformed else "small"
        if self.active_tab == TAB_DEVICE:  # counters change every tick: update only when seen
            self.stream_div.text = f'<div class="{klass}">{html.escape(text)}</div>'
        if age is None or age > 3.0:
            silent = "no data yet" if age is None else f"no data for {age:.0f} s"
            self.conn.text = (f'<span class="err">{silent} from {html.escape(self.feed.pub)}</span>'
                              f'<span class="small"> · control {html.escape(self.commander.endpoint)}</span>')
        elif "err" in self.conn.text:
            self.conn.text = self._endpoints_text()

    def close(self) -> None:
        self.doc.remove_periodic_callback(self.callback)
