# SPDX-License-Identifier: BSD-3-Clause
"""Bounded accumulators of the topics the server does *not* accumulate.

``rates``, ``heralded``, ``trace``, ``sweep`` (and the ``analysis`` history) are per-integration
frames: keeping only the newest one, as the receiver does for the accumulated topics, would lose
data. Each class here folds such frames into a buffer of fixed maximum size, and counts a
``version`` so a reader can tell whether anything changed since it last looked.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["DELAY_BINS", "DELAY_BIN_PS", "HISTORY_LEN", "MAX_PIXELS", "TRACE_LEN", "Heralded", "History",
           "SweepPoints", "Trace", "numeric_values"]

HISTORY_LEN = 3000  # points kept for time series: 5 min at 10 frames/s
TRACE_LEN = 6000  # trace bins kept: 60 s at the default 10 ms bin
DELAY_BIN_PS = 50  # bin of the heralded decay histograms
DELAY_BINS = 2000  # 100 ns: one period at 10 MHz
MAX_PIXELS = 64  # channel numbers are 0..63
HERALDED_COLUMNS = ["period", "channel_first", "delay_first_ps", "channel_second", "delay_second_ps"]


@dataclass
class Heralded:
    """Heralded-pair records of one run folded into per-pixel spectra and decay histograms."""

    run: int = -1
    records: int = 0
    first: np.ndarray = field(default_factory=lambda: np.zeros(MAX_PIXELS, np.int64))
    second: np.ndarray = field(default_factory=lambda: np.zeros(MAX_PIXELS, np.int64))
    delay_first: np.ndarray = field(default_factory=lambda: np.zeros(DELAY_BINS, np.int64))
    delay_second: np.ndarray = field(default_factory=lambda: np.zeros(DELAY_BINS, np.int64))
    delay_overflow: int = 0  # delays beyond the histogram range: counted, not hidden
    version: int = 0
    corrected: dict[str, Any] = field(default_factory=dict)  # the server's analyze_heralded values
    corrected_error: str = ""  # why there are none yet

    def add(self, header: dict[str, Any], rec: np.ndarray) -> None:
        """Fold one ``heralded`` frame (header and int64 records, one row per pair) in.

        A frame of another ``run`` than the one accumulated starts from zero: runs never mix.
        """
        run = int(header.get("run", 0))
        if run != self.run:  # a new run never mixes with the old one (protocol 1.1 `run`)
            self.run, self.records, self.delay_overflow = run, 0, 0
            self.corrected, self.corrected_error = {}, ""
            for hist in (self.first, self.second, self.delay_first, self.delay_second):
                hist[:] = 0
        if "analysis" in header:  # servers that analyse the run's pairs themselves (docs/protocol.md)
            self.corrected = dict(header.get("analysis") or {})
            self.corrected_error = str(header.get("analysis_error") or "")
        if rec.size:
            cols = header.get("columns") or HERALDED_COLUMNS
            c = {name: rec[:, i] for i, name in enumerate(cols)}
            self.first += np.bincount(c["channel_first"], minlength=MAX_PIXELS)[:MAX_PIXELS]
            self.second += np.bincount(c["channel_second"], minlength=MAX_PIXELS)[:MAX_PIXELS]
            for delays, hist in ((c["delay_first_ps"], self.delay_first),
                                 (c["delay_second_ps"], self.delay_second)):
                k = delays // DELAY_BIN_PS
                inside = (k >= 0) & (k < DELAY_BINS)
                hist += np.bincount(k[inside], minlength=DELAY_BINS)
                self.delay_overflow += int((~inside).sum())
            self.records += int(rec.shape[0])
        self.version += 1


class Trace:
    """Ring of the newest intensity-trace bins (counts per ``trace_bin_ps``).

    Parameters
    ----------
    length : int
        Bins kept; older ones roll out.
    """

    def __init__(self, length: int = TRACE_LEN) -> None:
        self.counts: deque[int] = deque(maxlen=length)
        self.t_s: deque[float] = deque(maxlen=length)  # device time of each bin's left edge
        self.bin_s = 0.0
        self.run = -1
        self.version = 0

    def add(self, header: dict[str, Any], data: np.ndarray) -> None:
        """Append the bins of one ``trace`` frame; a new run or bin width starts a new trace."""
        run = int(header.get("run", 0))
        bin_s = float(header.get("trace_bin_ps", 0)) * 1e-12
        if run != self.run or bin_s != self.bin_s:
            self.counts.clear()
            self.t_s.clear()
            self.run, self.bin_s = run, bin_s
        t0 = float(header.get("t0_ps", 0)) * 1e-12
        self.counts.extend(int(v) for v in data)
        self.t_s.extend(t0 + i * bin_s for i in range(data.size))
        self.version += 1


@dataclass
class SweepPoints:
    """Points of the newest power sweep (bounded by its declared ``n_points``)."""

    sweep_id: Any = None
    points: dict[int, dict[str, float]] = field(default_factory=dict)
    n_points: int = 0
    done: bool = False
    version: int = 0

    def add(self, header: dict[str, Any]) -> None:
        """Keep the values of one ``sweep`` frame; another ``sweep_id`` starts a new sweep."""
        sid = header.get("sweep_id")
        if sid != self.sweep_id:
            self.sweep_id, self.points, self.done = sid, {}, False
        self.n_points = int(header.get("n_points", 0))
        point = int(header.get("point", len(self.points)))
        if 0 <= point < max(self.n_points, 1) + 10_000:  # never unbounded, even if n_points lies
            self.points[point] = numeric_values(header.get("values") or {})
        self.done = bool(header.get("done", False))
        self.version += 1


class History:
    """Rows appended with a running index, so each reader can ask for what is new.

    Parameters
    ----------
    length : int
        Rows kept; older ones roll out.
    """

    def __init__(self, length: int = HISTORY_LEN) -> None:
        self.rows: deque[tuple[int, dict[str, float]]] = deque(maxlen=length)
        self.next_index = 0

    def append(self, row: dict[str, float]) -> None:
        """Add one row (it gets the next index)."""
        self.rows.append((self.next_index, row))
        self.next_index += 1

    def since(self, index: int) -> tuple[list[dict[str, float]], int]:
        """Rows with index >= ``index`` (those still kept) and the index to ask for next time."""
        if not self.rows or index >= self.next_index:
            return [], self.next_index
        first = self.rows[0][0]
        start = max(index - first, 0)
        return [r for _, r in list(self.rows)[start:]], self.next_index


def numeric_values(values: dict[str, Any]) -> dict[str, float]:
    """The numeric entries of a ``values`` object as floats, ``None`` (no estimate) as NaN."""
    return {k: (float("nan") if v is None else float(v)) for k, v in values.items()
            if isinstance(v, (int, float)) or v is None}
