# SPDX-License-Identifier: BSD-3-Clause
"""``analyze_photons`` / ``analyze_file``: every step of the report in order, merged into one
JSON-ready dict. The recording is read in passes of chunks (``_source``): a survey, one main pass
that fills the pair histogram, the decay histograms and the fine trace together, and further
passes only where a step needs what an earlier one found (a wider g2 window, a period found in
the g2 step, the heralded quiet point). Memory is bounded whatever the recording's length."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from g2live.photons import PhotonData

from .._json import json_safe
from ._arguments import check_arguments
from ._conditioned import Conditioned, ConditionedAccumulator, conditioned_section
from ._correlation import (
    G2Settings,
    background_section,
    correlation_section,
    pair_accumulator,
    search_accumulator,
)
from ._deadtime import dead_time_corrected, poisson_corrected
from ._gated import marker_gate_section, on_state_section
from ._lifetime import decay_accumulator, lifetime_section
from ._logcorr import logcorr_accumulator, logcorr_section
from ._recording import Recording
from ._section import Section
from ._source import ChunkSource, Progress, run_pass
from ._steps import blinking_section, heralded_section, quiet_accumulator, trace_accumulator, truth_section
from ._verdict import interpret_g2, withhold

__all__ = ["ALL_STEPS", "SCHEMA", "STEPS", "Conditioned", "analyze_file", "analyze_photons"]

SCHEMA = 1
STEPS = ("g2", "lifetime", "blinking", "heralded")  # the default; the others asked for by name
# signal_fraction: the decays' rho alone (the background correction, a power sweep's signal
# rates) without the lifetime's model fits
ALL_STEPS = (*STEPS, "logcorr", "g2_on", "signal_fraction")


def _header(rec: Recording) -> dict[str, Any]:
    counts, dur = rec.counts, rec.duration_s
    dead, corrected = poisson_corrected(rec)
    return {
        "schema": SCHEMA,
        "file": rec.source.file,
        "source": rec.meta.source,
        "format": rec.meta.format,
        "notes": [],
        "duration_s": dur,
        "sync_channel": rec.sync,
        "rates_cps": {str(c): counts[c] / dur if dur > 0 else None for c in sorted(counts)},
        "detector_rate_cps": sum(counts[c] for c in rec.detectors) / dur if dur > 0 else None,
        "dead_time_ns": dead,  # per detector: its shortest interval between two events
        "detector_rate_corrected_cps": corrected,  # dead-time losses undone (_deadtime.py)
        "dead_time_correction": "poisson" if corrected is not None else None,
        "mode": "spectro" if rec.spectro else "hbt",
        "records": "T3" if rec.t3 else "T2",
        "sync_rate_hz": rec.meta.sync_rate_hz,
    }


def _analyze(rec: Recording, s: G2Settings, steps: tuple[str, ...], trace_bin_s: float,
             conditioned: Conditioned | None, gate_markers: tuple[int, int] | None = None) -> dict[str, Any]:
    """The steps on a surveyed recording (module docstring for the passes)."""
    out = _header(rec)
    pair = pair_accumulator(rec, s)
    search = search_accumulator(rec, s)
    decay = decay_accumulator(rec, steps, rec.period_ps)
    trace = trace_accumulator(rec, steps, trace_bin_s)
    quiet = quiet_accumulator(rec, steps, rec.period_ps)
    logc = logcorr_accumulator(rec, steps, s)
    cond = None if conditioned is None else ConditionedAccumulator(conditioned)
    accs = [pair, search, decay, quiet, cond, *(None if isinstance(x, str) else x for x in (trace, logc))]
    run_pass(rec.source, "g2, lifetime, blinking", accs)
    g2 = correlation_section(rec, s, pair, search)
    period = g2.period_ps if g2.period_ps is not None else rec.period_ps
    life = lifetime_section(rec, steps, period, decay)
    period = life.period_ps if life.period_ps is not None else period
    sections: tuple[Section, ...] = (
        g2,
        life,
        background_section(g2.values, life.values, s.rho),
        blinking_section(rec, steps, trace),
        heralded_section(rec, steps, period, quiet),
        logcorr_section(logc),
        on_state_section(rec, s, steps, trace, g2.values, pair),
        marker_gate_section(rec, s, gate_markers, g2.values, pair),
        conditioned_section(cond),
        truth_section(rec),
    )
    for sec in sections:
        out.update(sec.values)
        out["notes"].extend(sec.notes)
    out.update(dead_time_corrected(rec, g2.values, pair.histogram))
    return json_safe(out)


def analyze_photons(
    data: PhotonData,
    *,
    channels: tuple[int, int] | None = None,
    sync_channel: int | None = None,
    n_side: int = 4,
    window_ps: float | None = None,
    bin_width_ps: int | None = None,
    half_range_ps: float | None = None,
    rho: tuple[float, float] | None = None,
    trace_bin_s: float = 0.01,
    source: str = "",
    rep_rate_hz: float | None = None,
    steps: tuple[str, ...] = STEPS,
    conditioned: Conditioned | None = None,
    zero_ps: float | None = None,
    gate_markers: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """Everything g2live can say about one recording, as a JSON-ready dict (``g2live analyze``).

    Keys (stable; docs/analysis.md): rates, g2(0) (pulsed: both estimators; CW: the antibunching
    fit), purity, delay offset, lifetime, ON fraction, the heralded results of spectro recordings
    and the emulator's truth. Anything that could not be computed is None with the reason in
    ``notes``; a value outside its physical range (g2(0) < 0, purity > 1, ...) or without a usable
    error is None with the reason in ``withheld`` (its clipped interval stays in ``*_ci``).

    Parameters
    ----------
    data : PhotonData
        The recording.
    channels : tuple of int, optional
        The HBT pair (default: the two busiest detector channels).
    sync_channel : int, optional
        Sync channel (default: metadata or detected, ``detect_sync``).
    n_side, window_ps, rho : optional
        As in ``pulsed_g2``.
    bin_width_ps, half_range_ps : optional
        The correlation histogram (default: chosen from the period).
    trace_bin_s : float, optional
        Intensity-trace bin for blinking.
    source : str, optional
        File name for the report and messages.
    rep_rate_hz : float, optional
        Laser repetition rate (default: metadata, or found).
    steps : tuple of str, optional
        Which of lifetime, blinking, heralded, logcorr, g2_on, signal_fraction run (rates and g2
        always do; logcorr, the log-binned G(tau) from 1 ns, g2_on, the ON-state g2(0), and
        signal_fraction, the decays' rho without the lifetime's fits, only when named). An unknown
        name raises ValueError.
    conditioned : Conditioned, optional
        Coincidence counters and a heralded g2 to count (keys ``coincidences``, ``heralded_g2``).
    zero_ps : float, optional
        Known zero delay of the pair (b - a, ps); default: found from the data.
    gate_markers : (int, int), optional
        (start, stop) marker values: also the pair histogram (and pulsed g2(0)) of the photons
        inside the windows each start marker opens and the next stop marker closes (keys
        ``marker_gate``, ``g2_0_gated``); markers are ``data.markers`` or the file's.

    Returns
    -------
    dict
        The report, JSON-safe (NaN as None).
    """
    if len(data) == 0:
        raise ValueError(f"{source or 'data'}: no events")
    src = ChunkSource.of_data(data, source)
    return _run(src, channels, sync_channel, n_side, window_ps, bin_width_ps, half_range_ps, rho,
                trace_bin_s, rep_rate_hz, steps, conditioned, zero_ps, gate_markers)


def _run(src: ChunkSource, channels: tuple[int, int] | None, sync_channel: int | None, n_side: int,
         window_ps: float | None, bin_width_ps: int | None, half_range_ps: float | None,
         rho: tuple[float, float] | None, trace_bin_s: float, rep_rate_hz: float | None,
         steps: tuple[str, ...], conditioned: Conditioned | None,
         zero_ps: float | None = None, gate_markers: tuple[int, int] | None = None) -> dict[str, Any]:
    unknown = [x for x in steps if x not in ALL_STEPS]
    if unknown:  # a misspelt step would silently leave its section empty
        names, known = ", ".join(map(repr, unknown)), ", ".join(ALL_STEPS)
        raise ValueError(f"unknown analysis step(s) {names}; known: {known}")
    rec = Recording.of(src, sync_channel, rep_rate_hz)
    if not rec.counts:
        raise ValueError(f"{src.name}: no events")
    check_arguments(
        rec.counts, rec.sync, channels=channels, sync_channel=sync_channel, n_side=n_side,
        window_ps=window_ps, bin_width_ps=bin_width_ps, half_range_ps=half_range_ps, rho=rho,
        trace_bin_s=trace_bin_s, rep_rate_hz=rep_rate_hz,
    )
    settings = G2Settings(channels, n_side, window_ps, bin_width_ps, half_range_ps, rho, zero_ps)
    out = _analyze(rec, settings, steps, trace_bin_s, conditioned, gate_markers)
    withhold(out)
    out["interpretation"] = interpret_g2(out)
    return out


def analyze_file(
    path: str | Path, *, chunk_records: int = 1 << 20, progress: Progress | None = None,
    read_options: dict[str, Any] | None = None, **kwargs: Any
) -> dict[str, Any]:
    """``analyze_photons`` of a file in any format ``g2live.io`` reads, streamed: the file is read
    in passes of ``chunk_records`` records, never whole, so memory stays bounded whatever its
    length; the report equals ``analyze_photons(io.read(path))`` (tests/analysis).

    Parameters
    ----------
    path : str or pathlib.Path
        The recording.
    chunk_records : int, optional
        Records per chunk.
    progress : callable, optional
        ``progress(step, n_events)`` after every chunk of every pass.
    read_options : dict, optional
        Passed to the file's reader (e.g. ``{"allow_truncated": True}``).
    **kwargs
        Passed to ``analyze_photons``.

    Returns
    -------
    dict
        The report.
    """
    src = ChunkSource.of_file(path, chunk_records=chunk_records, progress=progress, **(read_options or {}))
    keys = ("channels", "sync_channel", "n_side", "window_ps", "bin_width_ps", "half_range_ps", "rho",
            "trace_bin_s", "rep_rate_hz", "steps", "conditioned", "zero_ps", "gate_markers")
    unknown = sorted(set(kwargs) - set(keys))
    if unknown:
        raise TypeError(f"analyze_file: unknown argument(s) {', '.join(unknown)}")
    opts = {**_DEFAULTS, **kwargs}
    return _run(src, *(opts[k] for k in keys))


_DEFAULTS: dict[str, Any] = {
    "channels": None, "sync_channel": None, "n_side": 4, "window_ps": None, "bin_width_ps": None,
    "half_range_ps": None, "rho": None, "trace_bin_s": 0.01, "rep_rate_hz": None, "steps": STEPS,
    "conditioned": None, "zero_ps": None, "gate_markers": None,
}
