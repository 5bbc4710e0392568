# SPDX-License-Identifier: BSD-3-Clause
"""``analyze_photons``: every step of the report in order, merged into one JSON-ready dict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from g2live.photons import PhotonData

from .._json import json_safe
from ._correlation import G2Settings, background_section, correlation_section
from ._lifetime import lifetime_section
from ._recording import Recording
from ._section import Section
from ._steps import blinking_section, heralded_section, truth_section
from ._verdict import interpret_g2, withhold

__all__ = ["SCHEMA", "STEPS", "analyze_file", "analyze_photons"]

SCHEMA = 1
STEPS = ("g2", "lifetime", "blinking", "heralded")


def _dead_time_corrected(rec: Recording) -> tuple[dict[str, float | None], float | None]:
    """Each detector's dead time (its shortest interval) and the detector rate with the dead-time
    losses undone (non-paralysable: R = R_meas / (1 - R_meas d), per detector)."""
    from ._lifetime import dead_time_ps

    dur = rec.duration_s
    dead = {c: dead_time_ps(rec.data.channel_times(c)) for c in rec.detectors}
    if dur <= 0:
        return {str(c): None for c in dead}, None
    total = 0.0
    for c, d in dead.items():
        r = rec.counts[c] / dur
        total += r / (1 - r * d * 1e-12) if d and r * d * 1e-12 < 0.5 else r
    return {str(c): (d / 1e3 if d else None) for c, d in dead.items()}, total


def _header(rec: Recording, source: str) -> dict[str, Any]:
    data, counts, dur = rec.data, rec.counts, rec.duration_s
    dead, corrected = _dead_time_corrected(rec)
    return {
        "schema": SCHEMA,
        "file": source,
        "source": data.meta.source,
        "format": data.meta.format,
        "notes": [],
        "duration_s": dur,
        "sync_channel": rec.sync,
        "rates_cps": {str(c): counts[c] / dur if dur > 0 else None for c in sorted(counts)},
        "detector_rate_cps": sum(counts[c] for c in rec.detectors) / dur if dur > 0 else None,
        "dead_time_ns": dead,  # per detector: its shortest interval between two events
        "detector_rate_corrected_cps": corrected,  # dead-time losses undone
        "mode": "spectro" if rec.spectro else "hbt",
    }


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
    zero_ps: float | None = None,
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
        Which of lifetime, blinking, heralded run (rates and g2 always do).
    zero_ps : float, optional
        Known zero delay of the pair (b - a, ps); default: found from the data.

    Returns
    -------
    dict
        The report, JSON-safe (NaN as None).
    """
    if len(data) == 0:
        raise ValueError(f"{source or 'data'}: no events")
    rec = Recording.of(data, source, sync_channel, rep_rate_hz)
    out = _header(rec, source)
    settings = G2Settings(channels, n_side, window_ps, bin_width_ps, half_range_ps, rho, zero_ps)
    g2 = correlation_section(rec, settings)
    period = g2.period_ps if g2.period_ps is not None else rec.period_ps
    life = lifetime_section(rec, steps, period)
    period = life.period_ps if life.period_ps is not None else period
    sections: tuple[Section, ...] = (
        g2,
        life,
        background_section(g2.values, life.values, rho),
        blinking_section(rec, steps, trace_bin_s),
        heralded_section(rec, steps, period),
        truth_section(rec),
    )
    for s in sections:
        out.update(s.values)
        out["notes"].extend(s.notes)
    out = json_safe(out)
    withhold(out)
    out["interpretation"] = interpret_g2(out)
    return out


def analyze_file(path: str | Path, **kwargs: Any) -> dict[str, Any]:
    """``analyze_photons`` of a file in any format ``g2live.io`` reads.

    Parameters
    ----------
    path : str or pathlib.Path
        The recording.
    **kwargs
        Passed to ``analyze_photons``.

    Returns
    -------
    dict
        The report.
    """
    from g2live import io

    data = io.read(path)
    return analyze_photons(data, source=str(path), **kwargs)
