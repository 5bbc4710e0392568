# SPDX-License-Identifier: BSD-3-Clause
"""What the report needs to know about a recording before any step runs: channels, sync, period."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from g2live.photons import Meta, PhotonData

from ._source import ChunkSource
from ._survey import SAMPLE, survey

__all__ = ["Recording", "channel_counts", "dead_time_ps", "detect_sync", "recording_power"]


def channel_counts(data: PhotonData) -> dict[int, int]:
    """Events per channel that has any."""
    n = np.bincount(data.channel, minlength=1)  # uint8 channels: much faster than np.unique
    return {int(c): int(n[c]) for c in np.nonzero(n)[0]}


def _whole_multiples(d: np.ndarray, p: float) -> bool:
    """Intervals ``d`` shorter than 50 ``p`` are whole multiples of a period near ``p`` to 100 ps."""
    near = d[d < 50 * p]
    if near.size < 20:
        return False
    k = np.rint(near / p)
    p = float(np.median(near / k))  # refined period
    return bool(np.mean(np.abs(near - np.rint(near / p) * p) < 100) > 0.99)


def _is_laser_sync(times: np.ndarray) -> bool:
    d = np.diff(times).astype(np.float64)
    d = d[d > 0]
    if d.size < 50:
        return False
    d_min = float(d.min())
    if d_min <= 1000:  # photons (or a sync faster than 1 GHz): not a laser sync
        return False
    # a filtered sync's shortest interval may be several periods
    return any(_whole_multiples(d, d_min / m) for m in range(1, 9))


def detect_sync(data: PhotonData, counts: dict[int, int] | None = None) -> int | None:
    """The sync channel of a recording.

    From the metadata, a channel role naming it, or a channel whose intervals are whole multiples
    of its shortest interval (a laser sync, also when filtered) to within 100 ps.

    Parameters
    ----------
    data : PhotonData
        The recording.
    counts : dict, optional
        Events per channel, when already known.

    Returns
    -------
    int or None
        The sync channel, or None when there is none (T3 data carry no sync events).
    """
    counts = counts or channel_counts(data)
    return _detect_sync(data.meta, counts, lambda ch: data.channel_times(ch)[:SAMPLE])


def _detect_sync(meta: Meta, counts: dict[int, int], first_times: Callable[[int], np.ndarray]) -> int | None:
    """``detect_sync`` on the metadata, the counts and the first ``SAMPLE`` times of a channel."""
    if meta.sync_channel is not None:
        return int(meta.sync_channel)
    for ch, role in meta.channel_roles.items():
        if "sync" in str(role).lower():
            return int(ch)
    for ch, n in counts.items():
        if n >= 100 and _is_laser_sync(first_times(ch)):
            return int(ch)
    return None


def recording_power(data: PhotonData) -> float | None:
    """The excitation power a recording was taken at, from its metadata.

    Parameters
    ----------
    data : PhotonData
        The recording (``meta.extra["power"]``, ``["settings"]["power"]`` or ``["truth"]["power"]``).

    Returns
    -------
    float or None
        The power, or None when the metadata has none.
    """
    ex = data.meta.extra if isinstance(data.meta.extra, dict) else {}
    for src in (ex, ex.get("settings") or {}, ex.get("truth") or {}):
        if isinstance(src, dict) and src.get("power") is not None:
            return float(src["power"])
    return None


def dead_time_ps(times: np.ndarray) -> float | None:
    """A detector's dead time: its shortest interval between two recorded events (None: < 100)."""
    d = np.diff(np.asarray(times, dtype=np.int64))
    d = d[d > 0]
    return float(d.min()) if d.size >= 100 else None


@dataclass(frozen=True)
class Recording:
    """What every step of the report uses: the source to read passes from and what the survey
    found (no photons are held)."""

    source: ChunkSource
    name: str  # for messages: the file, or "data"
    meta: Meta
    counts: dict[int, int]
    sync: int | None  # sync channel of T2 data
    detectors: list[int]
    duration_s: float
    period_ps: float | None  # from the given repetition rate or the metadata
    extra: dict[str, Any]
    t3: bool  # photons carry sync_index and microtime_ps
    span_ps: tuple[int, int] | None  # first and last event
    detector_span_ps: tuple[int, int] | None  # first and last detector photon
    sync_sample: np.ndarray | None  # the first SAMPLE sync times (T2 with a sync)
    dead_ps: dict[int, float | None] | None = None  # each detector's dead time (from its sample)

    @classmethod
    def of(cls, source: ChunkSource, sync_channel: int | None, rep_rate_hz: float | None) -> Recording:
        """Survey ``source`` (one pass): counts, sync (given or detected), detector channels, period."""
        sv = survey(source)
        meta = sv.meta or Meta()
        counts = {int(c): int(sv.counts[c]) for c in np.flatnonzero(sv.counts)}
        sync = _detect_sync(meta, counts, sv.sample) if sync_channel is None else sync_channel
        rate = rep_rate_hz or meta.sync_rate_hz
        extra = meta.extra if isinstance(meta.extra, dict) else {}
        detectors = sorted(c for c in counts if c != sync)
        span = sv.span()
        if meta.acquisition_s is not None:
            duration = float(meta.acquisition_s)
        else:
            duration = (span[1] - span[0]) * 1e-12 if span is not None and sum(counts.values()) > 1 else 0.0
        return cls(
            source, source.name, meta, counts, sync, detectors, duration, 1e12 / rate if rate else None,
            extra, sv.t3, span, sv.span(detectors), sv.sample(sync) if sync is not None else None,
            {c: dead_time_ps(sv.sample(c)) for c in detectors},
        )

    @property
    def pixel_energy_ev(self) -> Any:
        """Energy per pixel of a spectro recording (None for HBT)."""
        return self.extra.get("pixel_energy_ev")

    @property
    def spectro(self) -> bool:
        """A spectrometer + pixel array recording."""
        return self.pixel_energy_ev is not None and len(self.detectors) > 2

    @property
    def end_ps(self) -> int:
        """End of the acquisition: the stated acquisition time when it covers the events (the
        recording starts at 0, where sync 0 is), else just after the last event."""
        last = self.span_ps[1] + 1 if self.span_ps is not None else 0
        acq = self.meta.acquisition_s
        return max(last, round(acq * 1e12)) if acq else last

    def detector_mask(self, channel: np.ndarray) -> np.ndarray:
        """Which events of ``channel`` are detector photons (not sync)."""
        is_det = np.zeros(256, dtype=bool)
        is_det[self.detectors] = True
        return is_det[channel]
