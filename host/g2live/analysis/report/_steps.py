# SPDX-License-Identifier: BSD-3-Clause
"""The report's blinking, heralded and truth steps."""

from __future__ import annotations

import numpy as np

from ..blinking import analyze_blinking_trace, fine_factor
from ..blinking._summary import FINE_BINS_MAX
from ..heralded import HeraldedAccumulator, QuietAccumulator, SyncModel, heralded_result
from ._accumulate import TraceAccumulator
from ._recording import Recording
from ._section import Section
from ._source import run_pass

__all__ = [
    "TRUTH_KEYS", "blinking_section", "heralded_section", "quiet_accumulator", "trace_accumulator",
    "truth_section",
]

TRUTH_KEYS = (
    "g2_0_emitter", "g2_0_hbt", "tau_x_ns", "tau_bx_ns", "on_fraction", "power", "qy_ratio",
    "binding_centroid_mev",
)
HERALD_BIN_PS = 16  # the bin the heralded models were validated with (docs/validation.md)


def trace_accumulator(rec: Recording, steps: tuple[str, ...], trace_bin_s: float) -> TraceAccumulator | str:
    """The fine trace of all detector photons the blinking step needs (``fine_factor`` fine bins
    per trace bin, whole trace bins from the first photon), or why there is none."""
    if "blinking" not in steps:
        return ""
    bw = int(trace_bin_s * 1e12)
    n = sum(rec.counts[c] for c in rec.detectors)
    if n < 100 or rec.detector_span_ps is None:
        return f"blinking: analyze_blinking: need at least 100 photons, got {n}"
    t0, t1 = rec.detector_span_ps
    n_bins = (t1 - t0) // bw
    if n_bins < 10:
        return (f"blinking: analyze_blinking: {(t1 - t0) * 1e-12:.3g} s holds fewer than 10 trace bins of"
                f" {bw * 1e-12:.3g} s")
    if n_bins > FINE_BINS_MAX:  # days of data: wider trace bins keep the trace in bounded memory
        bw *= -(-n_bins // FINE_BINS_MAX)
        n_bins = (t1 - t0) // bw
    m = fine_factor(bw, n_bins)
    return TraceAccumulator(rec.detectors, t0, bw // m, n_bins * m, factor=m)


def blinking_section(rec: Recording, steps: tuple[str, ...], acc: TraceAccumulator | str) -> Section:
    """``on_fraction`` and the blinking summary (without its segments) of all detector photons,
    from the fine trace accumulated in the report's main pass."""
    defaults = {"on_fraction": None, "on_fraction_err": None}
    if isinstance(acc, str):
        return Section.skipped(defaults, acc or None)
    try:
        bl = analyze_blinking_trace(acc.counts, acc.bin_width_ps, acc.factor, acc.t0_ps)
    except ValueError as exc:
        return Section.skipped(defaults, f"blinking: {exc}")
    summary = bl.to_dict()
    summary.pop("segments", None)
    values = {"on_fraction": bl.on_fraction, "on_fraction_err": bl.on_fraction_err, "blinking": summary}
    return Section(values)


def _sync_model(rec: Recording) -> SyncModel | None:
    """The syncs of a spectro recording: its sync channel (T2), or the T3 period with a free
    channel number for the pulsed block; None when there are none (or a T3 period in fractions
    of a ps, which would need every sync built)."""
    if not rec.t3:
        return None if rec.sync is None else SyncModel(rec.sync)
    period = rec.meta.sync_period_ps
    if not period or not float(period).is_integer() or max(rec.detectors) >= 63:
        return None
    return SyncModel(max(rec.detectors) + 1, int(period), rec.end_ps)


def quiet_accumulator(
    rec: Recording, steps: tuple[str, ...], period: float | None
) -> QuietAccumulator | None:
    """Pass 1 of the heralded step (the quiet point of the period), when it will run."""
    sync = _sync_model(rec)
    if not rec.spectro or "heralded" not in steps or sync is None or not period:
        return None
    return QuietAccumulator(sync, period, HERALD_BIN_PS)


def heralded_section(
    rec: Recording, steps: tuple[str, ...], period: float | None, quiet: QuietAccumulator | None = None
) -> Section:
    """Binding energy, tau_BX and tau_X of a spectro recording (``heralded``): the quiet point
    (from ``quiet`` when the main pass filled it with this period), then a pass of its own."""
    if not rec.spectro or "heralded" not in steps:
        return Section()
    sync = _sync_model(rec)
    if sync is None:
        why = "a spectro recording without a sync channel" if not rec.t3 else "T3 sync period not in whole ps"
        return Section.skipped({}, f"heralded: {why}")
    if period is None and rec.sync_sample is not None and rec.sync_sample.size >= 3:
        period = float(np.median(np.diff(rec.sync_sample)))
    if period is None:
        return Section.skipped({}, "heralded: laser period unknown")
    if quiet is None or quiet.period_ps != float(period):
        quiet = QuietAccumulator(sync, period, HERALD_BIN_PS)
        run_pass(rec.source, "heralded (quiet point)", [quiet])
    shift = quiet.shift_ps()
    pixel_e = np.asarray(rec.pixel_energy_ev, dtype=float)
    acc = HeraldedAccumulator(sync, shift, period, np.arange(len(pixel_e)), HERALD_BIN_PS)
    run_pass(rec.source, "heralded", [acc])
    try:
        hr = heralded_result(acc, pixel_e)
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
