# SPDX-License-Identifier: BSD-3-Clause
"""Marker events (frame / line / power-step signals) on the tag stream.

The chip time-stamps a marker edge at the coarse clock (``coarse_time``) and merges it into the
stream as channel ``contract.MARKER_CHANNEL + m`` (docs/hardware.md "Marker inputs");
``merge_markers`` is that merge's twin, ``core.encode(..., markers=True)`` the words it gives and
``core.decode`` returns them apart as ``core.MARKER_DTYPE`` (marker, time_ps). ``marker_array``
builds such an array; ``windows`` turns start/stop markers into gate windows for the gated
correlation (``g2live.analysis.correlation.marker_windows``).
"""

from __future__ import annotations

import numpy as np

from g2live import contract, core

__all__ = ["coarse_time", "marker_array", "marker_numbers", "merge_markers", "split_markers"]


def coarse_time(time_ps: np.ndarray, clk_period_ps: int, phase_ps: int = 0) -> np.ndarray:
    """The start of the clock cycle each edge arrives in (clock edges at ``phase_ps + k *
    clk_period_ps``): the chip's marker time stamp."""
    if clk_period_ps < 1:
        raise ValueError(f"clk_period_ps must be >= 1, got {clk_period_ps}")
    t = np.asarray(time_ps, np.int64)
    return t - (t - np.int64(phase_ps)) % np.int64(clk_period_ps)


def marker_array(marker: np.ndarray, time_ps: np.ndarray) -> np.ndarray:
    """A ``core.MARKER_DTYPE`` array (marker number, time_ps) in time order (stable)."""
    m, t = np.asarray(marker), np.asarray(time_ps, np.int64)
    if m.shape != t.shape or m.ndim != 1:
        raise ValueError(f"marker {m.shape} and time_ps {t.shape} must be equal 1-D arrays")
    if m.size and (m.min() < 0 or m.max() > contract.MARKER_MARKER.mask):
        raise ValueError(f"marker numbers must be 0..{contract.MARKER_MARKER.mask}")
    o = np.argsort(t, kind="stable")
    out = np.zeros(m.size, core.MARKER_DTYPE)
    out["marker"], out["time_ps"] = m[o], t[o]
    return out


def merge_markers(channel: np.ndarray, time_ps: np.ndarray,
                  markers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tags (stream order) and markers (``MARKER_DTYPE``) as one stream ordered by (time, channel),
    markers as channel ``MARKER_CHANNEL + marker``: the chip's merge, whose ties go to the lower
    channel and so a marker after the tags of its time."""
    mk = np.asarray(markers)
    if mk.size and int(mk["marker"].max()) >= 64 - contract.MARKER_CHANNEL:
        raise ValueError(f"marker numbers must be < {64 - contract.MARKER_CHANNEL} on the stream")
    ch = np.concatenate([np.asarray(channel, np.uint8),
                         (mk["marker"].astype(np.int64) + contract.MARKER_CHANNEL).astype(np.uint8)])
    t = np.concatenate([np.asarray(time_ps, np.int64), mk["time_ps"].astype(np.int64)])
    o = np.lexsort((ch, t))
    return ch[o], t[o]


def split_markers(channel: np.ndarray, time_ps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The inverse of ``merge_markers``: (channel, time_ps) of the tags and the markers."""
    ch, t = np.asarray(channel, np.uint8), np.asarray(time_ps, np.int64)
    is_m = ch >= contract.MARKER_CHANNEL
    return ch[~is_m], t[~is_m], marker_array(ch[is_m].astype(np.int64) - contract.MARKER_CHANNEL, t[is_m])


def marker_numbers(markers: np.ndarray, fmt: str) -> np.ndarray:
    """A file's markers (``io.MARKER_DTYPE``) as stream markers (``core.MARKER_DTYPE``): g2live
    Photon-HDF5 recordings hold marker numbers; PicoQuant and SPC files hold marker bits, and bit
    k is marker k (the PTU writer's rule), one marker per bit set."""
    m = np.asarray(markers)
    if fmt == "photon-hdf5":
        return marker_array(m["marker"].astype(np.int64), m["time_ps"])
    bits = m["marker"].astype(np.int64)
    hit = (bits[:, None] >> np.arange(8)[None, :]) & 1 == 1
    rows, cols = np.nonzero(hit)
    return marker_array(cols, m["time_ps"][rows])
