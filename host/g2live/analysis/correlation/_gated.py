# SPDX-License-Identifier: BSD-3-Clause
"""Gated correlation: pairs only inside time windows, from markers or from the blinking state.

A gate is a set of disjoint windows ``[start, stop)``; gating keeps the tags inside a window, so a
gated histogram counts the pairs whose two tags both lie inside gates. The ON-state gate comes
from the blinking analysis (change-point segments above the ON/OFF threshold): g2(0) inside it
separates multi-photon emission from the background that dominates the OFF periods.
"""

from __future__ import annotations

import numpy as np

from g2live.analysis.blinking import BlinkingResult

from ._histogram import CorrelationHistogram, correlation_histogram

__all__ = ["gate_mask", "gated_histogram", "marker_windows", "on_windows"]


def _check(starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s, e = np.asarray(starts, dtype=np.int64), np.asarray(stops, dtype=np.int64)
    if s.shape != e.shape or s.ndim != 1:
        raise ValueError(f"gate starts {s.shape} and stops {e.shape} must be equal 1-D arrays")
    if np.any(e < s):
        raise ValueError("every gate window needs stop >= start")
    if s.size > 1 and np.any(s[1:] < e[:-1]):
        raise ValueError("gate windows must be sorted and must not overlap")
    return s, e


def gate_mask(time_ps: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """True for the tags inside a window ``[start, stop)``."""
    s, e = _check(starts, stops)
    t = np.asarray(time_ps, dtype=np.int64)
    k = np.searchsorted(s, t, side="right") - 1
    return (k >= 0) & (t < e[np.maximum(k, 0)]) if s.size else np.zeros(t.size, bool)


def marker_windows(markers: np.ndarray, start_marker: int, stop_marker: int) -> tuple[np.ndarray, np.ndarray]:
    """Gate windows from markers (``MARKER_DTYPE``: marker, time_ps): each ``start_marker``
    opens a window that the next ``stop_marker`` closes; a repeated start while open is ignored,
    a window still open at the end is dropped (its end is unknown)."""
    m = np.asarray(markers)
    m = m[np.argsort(m["time_ps"], kind="stable")]
    starts, stops, open_at = [], [], None
    for kind, t in zip(m["marker"].tolist(), m["time_ps"].tolist(), strict=True):
        if kind == start_marker and open_at is None:
            open_at = t
        elif kind == stop_marker and open_at is not None:
            starts.append(open_at)
            stops.append(t)
            open_at = None
    return np.array(starts, dtype=np.int64), np.array(stops, dtype=np.int64)


def on_windows(blinking: BlinkingResult) -> tuple[np.ndarray, np.ndarray]:
    """The ON segments of a blinking analysis (rate above its threshold) as gate windows (ps);
    adjacent ON segments are merged."""
    on = [(s, e) for s, e, r in blinking.segments if r > blinking.threshold_cps]
    if not on:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    s = np.rint(np.array([x[0] for x in on]) * 1e12).astype(np.int64)
    e = np.rint(np.array([x[1] for x in on]) * 1e12).astype(np.int64)
    join = np.flatnonzero(s[1:] <= e[:-1])
    keep = np.ones(s.size, bool)
    keep[join + 1] = False
    e_merged = e.copy()
    for j in join[::-1]:
        e_merged[j] = max(e_merged[j], e_merged[j + 1])
    return s[keep], e_merged[keep]


def gated_histogram(a_ps: np.ndarray, b_ps: np.ndarray, starts: np.ndarray, stops: np.ndarray,
                    bin_width_ps: int, n_bins: int, offset_ps: int = 0) -> CorrelationHistogram:
    """``correlation_histogram`` of the tags inside the gate windows only."""
    a = np.asarray(a_ps, dtype=np.int64)
    b = np.asarray(b_ps, dtype=np.int64)
    return correlation_histogram(a[gate_mask(a, starts, stops)], b[gate_mask(b, starts, stops)],
                                 bin_width_ps, n_bins, offset_ps)
