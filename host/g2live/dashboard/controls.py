# SPDX-License-Identifier: BSD-3-Clause
"""The controls column: Start/Stop/Reset, the acquisition settings, the power set-point.

Every command goes to the control socket through the shared ``Commander``; the server's reply
(or its refusal, naming the field) is shown under the controls. The inputs show the device's
settings as the newest ``status`` reports them, so after any change (from this page, another
page or the command line) they are the truth; an input the user edits is only sent on Apply.
"""

from __future__ import annotations

import html
from typing import Any

from bokeh.document import Document
from bokeh.layouts import column
from bokeh.models import Button, Div, NumericInput, TextInput

from . import model
from .commander import Commander, Reply
from .markup import short
from .snapshot import Snapshot
from .widgets import PageKit

__all__ = ["WIDTH", "Controls"]

WIDTH = 200  # px of the column's widgets


class Controls:
    """The controls of one page and what they send.

    Parameters
    ----------
    kit : PageKit
        The page's Div factory.
    doc : bokeh.document.Document
        The page (replies arrive on the control thread and are shown on its event loop).
    commander : Commander
        The control socket shared by all pages.
    """

    def __init__(self, kit: PageKit, doc: Document, commander: Commander) -> None:
        self.doc, self.commander = doc, commander
        view_only = commander.view_only
        self.settings: dict[str, Any] = {}  # the device's, from the newest status
        self.status: dict[str, Any] = {}
        w = WIDTH
        self.start_btn = self._button("Start", "success", "start_button", lambda: self.send("start"))
        self.stop_btn = self._button("Stop", "warning", "stop_button", lambda: self.send("stop"))
        self.reset_btn = self._button("Reset", "danger", "reset_button", lambda: self.send("reset"))
        self.in_integration = NumericInput(title="integration (s)", mode="float", value=None, width=w,
                                           name="integration_input")
        self.in_bin = NumericInput(title="bin width (ps)", mode="int", value=None, width=w, name="bin_input")
        self.in_nbins = NumericInput(title="number of bins", mode="int", value=None, width=w,
                                     name="nbins_input")
        self.in_offset = NumericInput(title="window offset (ps)", mode="int", value=None, width=w,
                                      name="offset_input")
        self.in_pairs = TextInput(title="pairs (a-b, ...)", value="", width=w, name="pairs_input")
        self.window_text = kit.div("window_text", "", width=w)
        self.apply_btn = self._button("Apply settings", "primary", "apply_button", self.apply_settings)
        self.in_power = NumericInput(title="power set-point", mode="float", value=None, width=w,
                                     name="power_input")
        self.power_btn = self._button("Set power", None, "power_button", self.set_power)
        hint = ('<span class="small">view-only: the controls are off</span>' if view_only
                else '<span class="small">replies of the server appear here</span>')
        self.reply = kit.div("control_reply", hint, width=w)
        if view_only:  # shown as off; the Commander refuses whatever arrives anyway
            for widget in (self.start_btn, self.stop_btn, self.reset_btn, self.in_integration, self.in_bin,
                           self.in_nbins, self.in_offset, self.in_pairs, self.apply_btn, self.in_power,
                           self.power_btn):
                widget.disabled = True
        self.layout = column(Div(text="<b>acquisition</b>"), self.start_btn, self.stop_btn, self.reset_btn,
                             Div(text="<b>settings</b>"), self.in_integration, self.in_bin, self.in_nbins,
                             self.in_offset, self.window_text, self.in_pairs, self.apply_btn,
                             Div(text="<b>power</b>"), self.in_power, self.power_btn, self.reply,
                             width=w + 20)

    @property
    def _numeric(self) -> tuple[tuple[str, NumericInput], ...]:
        """The numeric settings and their inputs."""
        return (("integration_s", self.in_integration), ("bin_width_ps", self.in_bin),
                ("n_bins", self.in_nbins), ("offset_ps", self.in_offset))

    @staticmethod
    def _button(label: str, kind: str | None, name: str, action: Any) -> Button:
        extra = {"button_type": kind} if kind else {}
        button = Button(label=label, width=WIDTH, name=name, **extra)
        button.on_click(action)
        return button

    def update(self, snap: Snapshot) -> None:
        """Show the device's settings from a new ``status`` frame."""
        frame = snap.frames.get("status")
        if frame is None:
            return
        self.status = frame.header
        settings = frame.header.get("settings") or {}
        if settings != self.settings:
            self._settings_changed(settings)

    def _settings_changed(self, settings: dict[str, Any]) -> None:
        """Show the device's settings in the inputs (they are the truth; the inputs are edits)."""
        self.settings = settings
        for key, widget in self._numeric:
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

    def send(self, cmd: str, args: dict[str, Any] | None = None) -> None:
        """Send ``cmd`` to the server; its reply is shown when it arrives."""
        self.reply.text = f'<span class="small">{html.escape(cmd)}: sent…</span>'
        # The reply arrives on the control thread; Bokeh documents are changed on their own loop only.
        self.commander.submit(cmd, args,
                              done=lambda rep: self.doc.add_next_tick_callback(lambda: self.show_reply(rep)))

    def show_reply(self, rep: Reply) -> None:
        """Show a reply: ok (green) or refused with the server's error and the field it names (red)."""
        cmd = html.escape(str(rep.get("cmd")))
        if rep["ok"]:
            res = html.escape(short(rep.get("result", {})))
            self.reply.text = f'<div class="ok">{cmd}: ok {res}</div>'
        else:
            fld = f" (field: {html.escape(str(rep['field']))})" if rep.get("field") else ""
            self.reply.text = f'<div class="err">{cmd} refused: {html.escape(str(rep["error"]))}{fld}</div>'

    def apply_settings(self) -> None:
        """Send the fields that differ from the device's current settings as one ``configure``."""
        wanted: dict[str, Any] = {}
        for key, widget in self._numeric:
            if widget.value is not None and widget.value != self.settings.get(key):
                wanted[key] = widget.value
        if self.in_pairs.value.strip():
            try:
                pairs = model.parse_pairs(self.in_pairs.value)
            except ValueError as exc:
                self.show_reply({"ok": False, "cmd": "configure", "error": str(exc), "field": "pairs"})
                return
            if pairs != self.settings.get("pairs"):
                wanted["pairs"] = pairs
        if not wanted:
            self.reply.text = '<span class="small">nothing changed</span>'
            return
        self.send("configure", {"settings": wanted})

    def set_power(self) -> None:
        """Send the power set-point (``set_power``)."""
        if self.in_power.value is None:
            self.show_reply({"ok": False, "cmd": "set_power", "error": "enter a power first",
                             "field": "power"})
            return
        self.send("set_power", {"power": float(self.in_power.value)})
