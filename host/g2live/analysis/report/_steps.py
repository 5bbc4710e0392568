# SPDX-License-Identifier: BSD-3-Clause
"""The report's blinking, heralded and truth steps."""

from __future__ import annotations

import numpy as np

from ..blinking import analyze_blinking
from ..heralded import heralded_from_photons
from ._recording import Recording
from ._section import Section

__all__ = ["TRUTH_KEYS", "blinking_section", "heralded_section", "truth_section"]

TRUTH_KEYS = ("g2_0_emitter", "tau_x_ns", "tau_bx_ns", "on_fraction", "power", "qy_ratio")


def blinking_section(rec: Recording, steps: tuple[str, ...], trace_bin_s: float) -> Section:
    """``on_fraction`` and the blinking summary (without its segments) of all detector photons."""
    defaults = {"on_fraction": None}
    if "blinking" not in steps:
        return Section.skipped(defaults)
    try:
        bl = analyze_blinking(rec.data.time_ps[rec.detector_mask()], int(trace_bin_s * 1e12))
    except ValueError as exc:
        return Section.skipped(defaults, f"blinking: {exc}")
    summary = bl.to_dict()
    summary.pop("segments", None)
    return Section({"on_fraction": bl.on_fraction, "blinking": summary})


def heralded_section(rec: Recording, steps: tuple[str, ...], period: float | None) -> Section:
    """Binding energy, tau_BX and tau_X of a spectro recording (``heralded``)."""
    if not rec.spectro or "heralded" not in steps:
        return Section()
    if rec.sync is None:
        return Section.skipped({}, "heralded: a spectro recording without a sync channel")
    pixel_e = rec.pixel_energy_ev
    try:
        hr = heralded_from_photons(
            rec.data.channel,
            rec.data.time_ps,
            rec.sync,
            np.asarray(pixel_e),
            pixels=np.arange(len(pixel_e)),
            period_ps=period,
        )
    except ValueError as exc:
        return Section.skipped({}, f"heralded: {exc}")
    return Section({"heralded": hr.to_dict()})


def truth_section(rec: Recording) -> Section:
    """What the emulator that wrote the recording predicted (``truth``), when it did."""
    truth = rec.extra.get("truth")
    if truth is None:
        return Section()
    values = {k: truth.get(k) for k in TRUTH_KEYS if k in truth}
    if "config" in truth:
        values["binding_bx_mev"] = truth["config"].get("binding_bx_mev")
    return Section({"truth": values})
