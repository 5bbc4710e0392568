# SPDX-License-Identifier: BSD-3-Clause
"""The report's blinking, heralded and truth steps."""

from __future__ import annotations

import numpy as np

from ..blinking import analyze_blinking
from ..heralded import heralded_from_photons, heralded_from_t3
from ._recording import Recording
from ._section import Section

__all__ = ["TRUTH_KEYS", "blinking_section", "heralded_section", "truth_section"]

TRUTH_KEYS = (
    "g2_0_emitter", "g2_0_hbt", "tau_x_ns", "tau_bx_ns", "on_fraction", "power", "qy_ratio",
    "binding_centroid_mev",
)


def blinking_section(rec: Recording, steps: tuple[str, ...], trace_bin_s: float) -> Section:
    """``on_fraction`` and the blinking summary (without its segments) of all detector photons."""
    defaults = {"on_fraction": None, "on_fraction_err": None}
    if "blinking" not in steps:
        return Section.skipped(defaults)
    try:
        bl = analyze_blinking(rec.data.time_ps[rec.detector_mask()], int(trace_bin_s * 1e12))
    except ValueError as exc:
        return Section.skipped(defaults, f"blinking: {exc}")
    summary = bl.to_dict()
    summary.pop("segments", None)
    values = {"on_fraction": bl.on_fraction, "on_fraction_err": bl.on_fraction_err, "blinking": summary}
    return Section(values)


def heralded_section(rec: Recording, steps: tuple[str, ...], period: float | None) -> Section:
    """Binding energy, tau_BX and tau_X of a spectro recording (``heralded``): from the sync
    channel (T2) or from the photons' period index and micro-time (T3)."""
    if not rec.spectro or "heralded" not in steps:
        return Section()
    pixel_e = np.asarray(rec.pixel_energy_ev, dtype=float)
    pixels = np.arange(len(pixel_e))
    data = rec.data
    try:
        if data.sync_index is not None and data.microtime_ps is not None and period:
            det = rec.detector_mask()
            hr = heralded_from_t3(data.channel[det], data.sync_index[det], data.microtime_ps[det], period,
                                  pixel_e, pixels=pixels)
        elif rec.sync is None:
            return Section.skipped({}, "heralded: a spectro recording without a sync channel or micro-times")
        else:
            hr = heralded_from_photons(
                data.channel, data.time_ps, rec.sync, pixel_e, pixels=pixels, period_ps=period
            )
    except ValueError as exc:
        return Section.skipped({}, f"heralded: {exc}")
    return Section({"heralded": hr.to_dict()}, [f"heralded: {n}" for n in hr.notes])


def truth_section(rec: Recording) -> Section:
    """What the emulator that wrote the recording predicted (``truth``), when it did."""
    truth = rec.extra.get("truth")
    if truth is None:
        return Section()
    values = {k: truth.get(k) for k in TRUTH_KEYS if k in truth}
    if "config" in truth:
        values["binding_bx_mev"] = truth["config"].get("binding_bx_mev")
    return Section({"truth": values})
