# SPDX-License-Identifier: BSD-3-Clause
"""The report's gated steps. ON state (``steps`` holding "g2_on"): the pulsed g2(0) of the HBT pair
from the photons inside the blinking analysis' ON segments only (one more pass), with the period
and zero delay the g2 step found; it separates multi-photon emission from the background that
dominates the OFF periods. Marker gate (``gate_markers`` = (start, stop)): the pair histogram of
the photons inside the windows a start marker opens and the next stop marker closes (frames,
shutter, power steps), and its pulsed g2(0) (docs/analysis.md)."""

from __future__ import annotations

from typing import Any

import numpy as np

from g2live.photons import PhotonData

from ..blinking import analyze_blinking_trace
from ..correlation import gate_mask, marker_windows, on_windows, pulsed_g2
from ._accumulate import PairAccumulator, TraceAccumulator
from ._correlation import G2Settings
from ._recording import Recording
from ._section import Section
from ._source import run_pass

__all__ = ["GatedPairAccumulator", "marker_gate_section", "on_state_section"]

DEFAULTS = {"g2_0_on": None, "g2_0_on_err": None, "on_gate": None}
MARKER_DEFAULTS = {"g2_0_gated": None, "g2_0_gated_err": None, "marker_gate": None}


class GatedPairAccumulator(PairAccumulator):
    """``PairAccumulator`` of the tags inside the gate windows ``[starts, stops)`` only."""

    def __init__(self, a: int, b: int, bin_width_ps: int, n_bins: int, starts: np.ndarray,
                 stops: np.ndarray) -> None:
        super().__init__(a, b, bin_width_ps, n_bins)
        self.starts, self.stops = starts, stops

    def add(self, chunk: PhotonData) -> None:
        ch = chunk.channel
        keep = ((ch == self.a) | (ch == self.b)) & gate_mask(chunk.time_ps, self.starts, self.stops)
        self._corr.update(ch[keep], chunk.time_ps[keep])


def on_state_section(rec: Recording, s: G2Settings, steps: tuple[str, ...], trace: TraceAccumulator | str,
                     g2: dict[str, Any], pair: PairAccumulator) -> Section:
    """``g2_0_on``, ``g2_0_on_err`` and ``on_gate`` (windows, ON time) of a pulsed recording."""
    if "g2_on" not in steps:
        return Section.skipped(DEFAULTS)
    if isinstance(trace, str) or g2.get("excitation") != "pulsed" or g2.get("g2_0") is None:
        return Section.skipped(DEFAULTS, "g2_on: needs the blinking trace and a pulsed g2(0)")
    bl = analyze_blinking_trace(trace.counts, trace.bin_width_ps, trace.factor, trace.t0_ps)
    starts, stops = on_windows(bl)
    if starts.size == 0:
        return Section.skipped(DEFAULTS, "g2_on: no ON segment above the blinking threshold")
    acc = _pulsed_window(pair, s, g2, starts, stops)
    run_pass(rec.source, "g2 (ON state)", [acc])
    try:
        r = _pulsed_g2_of(acc, s, g2)
    except ValueError as exc:
        return Section.skipped(DEFAULTS, f"g2_on: {exc}")
    gate = {"n_windows": int(starts.size), "on_time_s": float((stops - starts).sum()) * 1e-12,
            "threshold_cps": bl.threshold_cps}
    return Section({"g2_0_on": r.g2_0, "g2_0_on_err": r.g2_0_err, "on_gate": gate})


def marker_gate_section(rec: Recording, s: G2Settings, gate_markers: tuple[int, int] | None,
                        g2: dict[str, Any], pair: PairAccumulator) -> Section:
    """``marker_gate`` (the windows, the gated histogram on the pair histogram's bins) and, for a
    pulsed recording, ``g2_0_gated`` / ``g2_0_gated_err`` from the photons inside the marker
    windows."""
    if gate_markers is None:
        return Section.skipped(MARKER_DEFAULTS)
    start, stop = gate_markers
    markers = rec.source.markers()
    if len(markers) == 0:
        return Section.skipped(MARKER_DEFAULTS, f"gate_markers: {rec.source.name} holds no markers")
    starts, stops = marker_windows(markers, start, stop)
    if starts.size == 0:
        seen = sorted(set(np.asarray(markers["marker"]).tolist()))
        why = f"gate_markers: no marker {start} followed by a marker {stop} (markers present: {seen})"
        return Section.skipped(MARKER_DEFAULTS, why)
    h0 = pair.histogram
    assert h0 is not None, "the pair histogram is filled by the main pass"
    acc = GatedPairAccumulator(pair.a, pair.b, h0.bin_width_ps, h0.counts.size, starts, stops)
    pulsed = g2.get("excitation") == "pulsed" and g2.get("g2_0") is not None
    win = _pulsed_window(pair, s, g2, starts, stops) if pulsed else None
    run_pass(rec.source, "g2 (marker gate)", [acc, win])  # one pass over the file for both
    assert acc.histogram is not None
    gate = {"start_marker": start, "stop_marker": stop, "n_windows": int(starts.size),
            "gated_time_s": float((stops - starts).sum()) * 1e-12, "n_markers": int(len(markers)),
            "bin_width_ps": acc.histogram.bin_width_ps, "counts": acc.histogram.counts.tolist()}
    out = Section({**MARKER_DEFAULTS, "marker_gate": gate})
    if win is None:
        out.notes.append("gate_markers: g2_0_gated needs a pulsed g2(0) (marker_gate has the histogram)")
        return out
    try:
        r = _pulsed_g2_of(win, s, g2)
    except ValueError as exc:
        out.notes.append(f"gate_markers: {exc}")
        return out
    out.values.update(g2_0_gated=r.g2_0, g2_0_gated_err=r.g2_0_err)
    return out


def _pulsed_window(pair: PairAccumulator, s: G2Settings, g2: dict[str, Any], starts: np.ndarray,
                   stops: np.ndarray) -> GatedPairAccumulator:
    """The gated pair histogram over the pulsed g2's side peaks (on the pair histogram's bins)."""
    h0 = pair.histogram
    assert h0 is not None, "the pair histogram is filled by the main pass"
    half = (s.n_side + 1.5) * g2["period_ps"] + abs(g2["delay_offset_ps"])
    bw = h0.bin_width_ps
    return GatedPairAccumulator(pair.a, pair.b, bw, int(2 * half // bw) + 1, starts, stops)


def _pulsed_g2_of(acc: GatedPairAccumulator, s: G2Settings, g2: dict[str, Any]) -> Any:
    """Pulsed g2(0) of a gated histogram with the g2 step's period and zero delay (ValueError)."""
    assert acc.histogram is not None
    return pulsed_g2(acc.histogram, period_ps=g2["period_ps"], zero_ps=g2["delay_offset_ps"],
                     window_ps=s.window_ps, n_side=s.n_side)
