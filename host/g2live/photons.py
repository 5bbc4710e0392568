# SPDX-License-Identifier: BSD-3-Clause
"""The one in-memory representation of photon data that every layer exchanges.

Readers (``g2live.io``), the emulator, recordings and the analysis all speak ``PhotonData``:
per-event ``channel`` (uint8) and absolute ``time_ps`` (int64 picoseconds, non-decreasing),
plus ``Meta``.

T2 and T3
---------
**T2** data carry every event as an absolute time, the laser sync (when recorded) as events on
its own channel. **T3** data (pulsed excitation; what HydraHarp/MultiHarp T3 records and
Photon-HDF5 ``nanotimes`` hold) carry no sync events: each photon has ``sync_index`` (int64, the
laser period it fell in, counted from sync 0) and ``microtime_ps`` (int64 ps, its delay after that
period's sync: the TCSPC "nanotime" in ps). ``meta.sync_period_ps`` is the sync period and
``time_ps`` follows from the three by one rule, everywhere in g2live::

    time_ps = ticks_to_ps(sync_index, sync_period_ps) + microtime_ps

``ticks_to_ps`` (here; the readers use it too) multiplies exactly when the period is a whole number of
ps (80 MHz: 12,500 ps; the emulator always rounds its period to whole ps), and otherwise takes
the integer part exactly and rounds the fractional product half to even (76 MHz: 13,157.894...
ps, sync 3 at 39,474 ps). The sync edges themselves are ``ticks_to_ps(k, sync_period_ps)``: sync
0 at time 0. ``sync_times_ps`` and ``PhotonData.with_syncs`` rebuild them exactly, so any layer
that needs sync events (the on-chip pipeline) gets the T2 stream a sync channel would have given.
A photon at exactly a sync time belongs to the period that sync starts (docs/semantics.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Meta", "PhotonData", "merge_syncs", "sync_count_before", "sync_times_ps", "t3_time_ps", "ticks_to_ps",
]


@dataclass
class Meta:
    """What a file or source says about its photons."""

    source: str = ""  # instrument or generator, e.g. "PicoQuant HydraHarp 400 T3", "g2live.emulator"
    format: str = ""  # file format name, e.g. "PTU", "quTAG", "Photon-HDF5"
    resolution_ps: float = 1.0  # time-tag resolution (T3: the micro-time bin)
    sync_rate_hz: float | None = None  # laser repetition rate when known
    sync_channel: int | None = None  # channel that carries the sync, when it is a channel (T2)
    channel_roles: dict[int, str] = field(default_factory=dict)  # e.g. {0: "detector A", 2: "sync"}
    acquisition_s: float | None = None
    notes: list[str] = field(default_factory=list)  # e.g. "records were not time ordered: sorted"
    extra: dict[str, Any] = field(default_factory=dict)  # device settings, header tags, truth
    sync_period_ps: float | None = None  # T3: the period time_ps is derived with (int when whole ps)


def ticks_to_ps(ticks: np.ndarray, unit_ps: float | int) -> np.ndarray:
    """Convert integer ticks of ``unit_ps`` to int64 ps: the nearest integer of ``ticks * unit_ps``.

    Whole-ps units multiply exactly. Otherwise the unit is split into its integer part (exact
    int64 product) and fraction (float64 product, rounded half to even), so the result is exact
    to the rounding of the fraction term, which stays below 2**53 for any realistic tick count.
    """
    ticks = np.asarray(ticks, dtype=np.int64)
    if isinstance(unit_ps, int):
        return ticks * np.int64(unit_ps)
    whole = math.floor(unit_ps)
    frac = unit_ps - whole
    out = np.rint(ticks.astype(np.float64) * frac).astype(np.int64)
    if whole:
        out += ticks * np.int64(whole)
    return out


def whole_ps(period_ps: float) -> int | None:
    """``period_ps`` as an int when it is a whole number of ps, else None."""
    if isinstance(period_ps, int | np.integer):
        return int(period_ps)
    return int(period_ps) if float(period_ps).is_integer() else None


def t3_time_ps(sync_index: np.ndarray, microtime_ps: np.ndarray, period_ps: float) -> np.ndarray:
    """Absolute times of T3 photons: ``ticks_to_ps(sync_index, period_ps) + microtime_ps``.

    Parameters
    ----------
    sync_index, microtime_ps : numpy.ndarray
        Period index (int64, >= 0) and delay after that period's sync (int64 ps).
    period_ps : float
        The sync period (exact products when it is a whole number of ps).

    Returns
    -------
    numpy.ndarray
        int64 ps.
    """
    out = ticks_to_ps(np.asarray(sync_index, np.int64), _unit(period_ps))
    out += np.asarray(microtime_ps, np.int64)
    return out


def _unit(period_ps: float) -> float | int:
    whole = whole_ps(period_ps)
    if whole is not None:
        return whole
    if not (math.isfinite(period_ps) and period_ps >= 1):
        raise ValueError(f"sync period must be a finite number of ps >= 1, got {period_ps!r}")
    return float(period_ps)


def sync_times_ps(k0: int, k1: int, period_ps: float) -> np.ndarray:
    """Times (ps) of syncs ``k0 .. k1 - 1`` by the T3 rule (sync 0 at time 0)."""
    return ticks_to_ps(np.arange(k0, max(k0, k1), dtype=np.int64), _unit(period_ps))


def sync_count_before(t_ps: int, period_ps: float) -> int:
    """How many syncs (k >= 0) lie strictly before ``t_ps``: the index of the first at or after it."""
    if t_ps <= 0:
        return 0
    whole = whole_ps(period_ps)
    if whole is not None:
        return -(-int(t_ps) // whole)
    k = max(0, math.ceil(t_ps / period_ps) - 1)  # the float guess is off by at most one sync
    while int(sync_times_ps(k, k + 1, period_ps)[0]) < t_ps:
        k += 1
    while k > 0 and int(sync_times_ps(k - 1, k, period_ps)[0]) >= t_ps:
        k -= 1
    return k


def merge_syncs(
    channel: np.ndarray, time_ps: np.ndarray, sync_t: np.ndarray, sync_channel: int
) -> tuple[np.ndarray, np.ndarray]:
    """Insert sync events (sorted times ``sync_t`` on ``sync_channel``) into a stream-ordered
    (time, channel) list of tags, keeping stream order (equal times: lower channel first)."""
    t = np.asarray(time_ps, np.int64)
    ch = np.asarray(channel, np.uint8)
    pos = np.searchsorted(t, sync_t, side="left")
    ties = np.flatnonzero(pos < t.size)
    ties = ties[t[pos[ties]] == sync_t[ties]]
    for j in ties:  # a photon at a sync's time: channels decide (rare, so one by one)
        hi = int(np.searchsorted(t, sync_t[j], side="right"))
        pos[j] += int(np.count_nonzero(ch[pos[j]:hi] < sync_channel))
    n = t.size + sync_t.size
    at = pos + np.arange(sync_t.size)
    is_sync = np.zeros(n, bool)
    is_sync[at] = True
    out_t = np.empty(n, np.int64)
    out_c = np.empty(n, np.uint8)
    out_t[at] = sync_t
    out_c[at] = sync_channel
    out_t[~is_sync] = t
    out_c[~is_sync] = ch
    return out_c, out_t


@dataclass
class PhotonData:
    """Time-tagged events of one recording or chunk.

    Parameters
    ----------
    channel : numpy.ndarray
        uint8 channel of each event.
    time_ps : numpy.ndarray
        int64 absolute time of each event (ps, non-decreasing).
    meta : Meta, optional
        What the source says about the events.
    sync_index, microtime_ps : numpy.ndarray, optional
        T3 only: index of each event's sync period, and its delay after that sync (ps); see the
        module docstring for the rule that ties them to ``time_ps``.
    markers : numpy.ndarray, optional
        Marker events of the same stretch of time (frame / line / power-step signals), a structured
        array with ``marker`` and ``time_ps`` fields (``g2live.core.MARKER_DTYPE``), time ordered;
        None when the source has none. ``select`` and ``slice`` do not carry them.
    """

    channel: np.ndarray  # uint8[n]
    time_ps: np.ndarray  # int64[n], non-decreasing
    meta: Meta = field(default_factory=Meta)
    sync_index: np.ndarray | None = None  # int64[n], T3 only: index of the sync period
    microtime_ps: np.ndarray | None = None  # int64[n], T3 only: delay after that sync
    markers: np.ndarray | None = None  # MARKER_DTYPE[m]: marker events, time ordered

    def __post_init__(self) -> None:
        self.channel = np.ascontiguousarray(self.channel, dtype=np.uint8)
        self.time_ps = np.ascontiguousarray(self.time_ps, dtype=np.int64)
        if self.channel.shape != self.time_ps.shape or self.channel.ndim != 1:
            raise ValueError(
                f"channel {self.channel.shape} and time_ps {self.time_ps.shape} must be equal 1-D"
            )
        for name in ("sync_index", "microtime_ps"):
            arr = getattr(self, name)
            if arr is not None:
                arr = np.ascontiguousarray(arr, dtype=np.int64)
                if arr.shape != self.time_ps.shape:
                    raise ValueError(f"{name} has shape {arr.shape}, expected {self.time_ps.shape}")
                setattr(self, name, arr)

    @classmethod
    def from_t3(
        cls, channel: np.ndarray, sync_index: np.ndarray, microtime_ps: np.ndarray, meta: Meta
    ) -> PhotonData:
        """T3 photons; ``time_ps`` is derived with ``meta.sync_period_ps`` (module docstring)."""
        if meta.sync_period_ps is None:
            raise ValueError("T3 data need meta.sync_period_ps to place photons in time")
        t = t3_time_ps(sync_index, microtime_ps, meta.sync_period_ps)
        return cls(channel, t, meta, sync_index, microtime_ps)

    def __len__(self) -> int:
        return int(self.time_ps.size)

    @property
    def is_t3(self) -> bool:
        """Photons carry their sync period and micro-time (no sync events)."""
        return self.sync_index is not None and self.microtime_ps is not None

    def counts(self) -> dict[int, int]:
        """Events per channel that has any: ``{channel: count}``."""
        n = np.bincount(self.channel, minlength=1)
        return {int(c): int(n[c]) for c in np.flatnonzero(n)}

    def duration_s(self) -> float:
        """Acquisition time: ``meta.acquisition_s`` when known, else last minus first event."""
        if self.meta.acquisition_s is not None:
            return float(self.meta.acquisition_s)
        if len(self) < 2:
            return 0.0
        return float(self.time_ps[-1] - self.time_ps[0]) * 1e-12

    def select(self, mask: np.ndarray) -> PhotonData:
        """The events selected by a boolean mask or index array (same ``meta``)."""
        return PhotonData(
            self.channel[mask],
            self.time_ps[mask],
            self.meta,
            None if self.sync_index is None else self.sync_index[mask],
            None if self.microtime_ps is None else self.microtime_ps[mask],
        )

    def slice(self, a: int, b: int) -> PhotonData:
        """Events ``a:b`` as views (same ``meta``)."""
        return self.select(slice(a, b))

    def channel_times(self, channel: int) -> np.ndarray:
        """Times (ps) of the events on ``channel``."""
        return self.time_ps[self.channel == channel]

    def with_syncs(self, sync_channel: int, start_ps: int, stop_ps: int) -> PhotonData:
        """The T2 stream of these T3 photons: every sync edge in ``[start_ps, stop_ps)`` inserted
        as an event on ``sync_channel`` (exact, module docstring), no T3 arrays."""
        if not self.is_t3 or self.meta.sync_period_ps is None:
            raise ValueError("with_syncs needs T3 data with meta.sync_period_ps")
        period = self.meta.sync_period_ps
        k0, k1 = sync_count_before(start_ps, period), sync_count_before(stop_ps, period)
        ch, t = merge_syncs(self.channel, self.time_ps, sync_times_ps(k0, k1, period), sync_channel)
        return PhotonData(ch, t, self.meta)
