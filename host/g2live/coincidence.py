# SPDX-License-Identifier: BSD-3-Clause
"""Coincidence counters and conditioned correlations, streaming in C (``g2live.coincidence``).

Coincidences   N-fold coincidences over channel sets within a window (like Swabian's
               Coincidences or quTAG's counters): a tag closes a coincidence of a set containing
               its channel when every other channel of the set has a tag before it in stream
               order, at most ``window_ps`` earlier.
HeraldedG2     two detectors conditioned on a herald (the test of a heralded single-photon
               source): per herald the window [offset, offset + window) on both detectors;
               ``g2 = N_h N_hab / (N_ha N_hb)`` (Fasel et al., New J. Phys. 6, 163 (2004)).
G3             third order: every (b, c) tag pair around each a tag into a 2D histogram
               ``hist[i, j]`` of ``t_b - t_a`` (i) and ``t_c - t_a`` (j), the windows of
               ``g2live.core.correlate``.
All three take the merged stream in chunks; any chunk split gives the same result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from g2live import _core
from g2live.core import _channels, _int, _times, _window, bin_edges

__all__ = ["G3", "Coincidences", "HeraldedG2", "HeraldedResult"]


def _feed(c: Any, channel: Any, time_ps: Any, what: str) -> None:
    t = _times(time_ps, "time_ps")
    ch = _channels(channel, "channel", t.size)
    last = c.last_time
    status, err = c.update(ch, t)
    if status == _core.ERR_UNSORTED:
        prev = int(t[err - 1]) if err > 0 else int(last)
        raise ValueError(f"time_ps is not in stream order: time_ps[{err}] = {int(t[err])} < {prev} "
                         "(nothing of this update was added)")
    if status == _core.ERR_NOMEM:
        raise MemoryError(f"g2live {what}: out of memory at tag {err}")
    if status < 0:
        raise RuntimeError(f"g2live {what}: status {status} at index {err}")


class Coincidences:
    """N-fold coincidence counters; ``sets`` is a sequence of channel collections (>= 2 each)."""

    def __init__(self, sets: Sequence[Sequence[int]], window_ps: int) -> None:
        w = _int(window_ps, "window_ps")
        if w < 0:
            raise ValueError(f"window_ps must be >= 0, got {w}")
        masks = []
        for s in sets:
            chans = {int(c) for c in _channels(list(s), "a channel set")}
            if len(chans) < 2:
                raise ValueError(f"a coincidence set needs at least 2 distinct channels, got {list(s)!r}")
            masks.append(sum(1 << c for c in chans))
        if not masks:
            raise ValueError("sets must name at least one channel set")
        self.sets = [tuple(sorted(int(c) for c in s)) for s in sets]
        self.window_ps = w
        self._c = _core.Coincidences(np.array(masks, dtype=np.uint64), w)
        if self._c.status < 0:
            raise ValueError(f"cannot build the coincidence counters (status {self._c.status})")

    def update(self, channel: Any, time_ps: Any) -> None:
        """Add tags in stream order; on an error nothing of this call is added."""
        _feed(self._c, channel, time_ps, "Coincidences")

    def counts(self) -> np.ndarray:
        """Coincidences per set since creation or ``clear()`` (int64[n_sets])."""
        return self._c.counts()

    def clear(self) -> None:
        self._c.clear()


@dataclass(frozen=True)
class HeraldedResult:
    """Closed heralds and their coincidences; ``g2`` with its Poisson standard error."""

    n_herald: int
    n_a: int
    n_b: int
    n_ab: int

    @property
    def g2(self) -> float:
        """``N_h N_hab / (N_ha N_hb)``; NaN until both detectors have heralded counts."""
        if self.n_a == 0 or self.n_b == 0:
            return math.nan
        return self.n_herald * self.n_ab / (self.n_a * self.n_b)

    @property
    def g2_error(self) -> float:
        """Standard error from Poisson N_hab (dominant: N_hab << N_ha, N_hb); 1/N_hab-scaled when 0."""
        if self.n_a == 0 or self.n_b == 0:
            return math.nan
        return self.n_herald * math.sqrt(max(self.n_ab, 1)) / (self.n_a * self.n_b)


class HeraldedG2:
    """Heralded g2 of detectors ``a`` and ``b`` conditioned on ``herald`` (three distinct channels).

    Each herald tag opens [t + offset_ps, t + offset_ps + window_ps) on both detectors; it is
    counted once the stream has passed the window's end (``flush()`` closes the rest at the end).
    """

    def __init__(self, herald: int, a: int, b: int, window_ps: int, offset_ps: int = 0) -> None:
        h, x, y = (int(c) for c in _channels([herald, a, b], "herald, a, b"))
        if len({h, x, y}) != 3:
            raise ValueError(f"herald, a and b must be three distinct channels, got {herald}, {a}, {b}")
        w, _, off = _window(window_ps, 1, offset_ps)
        self.herald, self.a, self.b, self.window_ps, self.offset_ps = h, x, y, w, off
        self._c = _core.Anchored(False, h, x, y, w, 1, off)
        if self._c.status < 0:
            raise ValueError(f"cannot build the heralded g2 (status {self._c.status})")

    def update(self, channel: Any, time_ps: Any) -> None:
        _feed(self._c, channel, time_ps, "HeraldedG2")

    def flush(self) -> None:
        """Close every open herald window with the tags seen so far (end of the record)."""
        self._c.flush()

    def result(self) -> HeraldedResult:
        n, na, nb, nab, _ = self._c.counts()
        return HeraldedResult(int(n), int(na), int(nb), int(nab))

    @property
    def pending(self) -> int:
        """Heralds whose window has not closed yet."""
        return int(self._c.counts()[4])

    def clear(self) -> None:
        self._c.clear()


class G3:
    """Third-order correlation histogram of channels ``b`` and ``c`` around each tag of ``a``
    (three distinct channels), bins as ``g2live.core.correlate`` on both axes."""

    def __init__(self, a: int, b: int, c: int, bin_width_ps: int, n_bins: int, offset_ps: int = 0) -> None:
        x, y, z = (int(v) for v in _channels([a, b, c], "a, b, c"))
        if len({x, y, z}) != 3:
            raise ValueError(f"a, b and c must be three distinct channels, got {a}, {b}, {c}")
        bw, nb, off = _window(bin_width_ps, n_bins, offset_ps)
        if nb > 2**12:
            raise ValueError(f"n_bins = {nb} exceeds 4096 per axis (4096 x 4096 int64 cells are 128 MiB)")
        self.a, self.b, self.c = x, y, z
        self.bin_width_ps, self.n_bins, self.offset_ps = bw, nb, off
        self._c = _core.Anchored(True, x, y, z, bw, nb, off)
        if self._c.status == _core.ERR_NOMEM:
            raise MemoryError(f"g2live G3: no memory for {nb} x {nb} bins")
        if self._c.status < 0:
            raise ValueError(f"cannot build the g3 histogram (status {self._c.status})")

    def update(self, channel: Any, time_ps: Any) -> None:
        _feed(self._c, channel, time_ps, "G3")

    def flush(self) -> None:
        """Close every open window with the tags seen so far (end of the record)."""
        self._c.flush()

    def histogram(self) -> np.ndarray:
        """``int64[n_bins, n_bins]``: axis 0 ``t_b - t_a``, axis 1 ``t_c - t_a``."""
        return self._c.histogram()

    @property
    def n_anchors(self) -> int:
        """Closed ``a`` tags."""
        return int(self._c.counts()[0])

    @property
    def edges_ps(self) -> np.ndarray:
        return bin_edges(self.bin_width_ps, self.n_bins, self.offset_ps)

    def clear(self) -> None:
        self._c.clear()
