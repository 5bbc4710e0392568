# SPDX-License-Identifier: BSD-3-Clause
"""Log-binned correlation over arbitrary lag edges, one-shot and streaming (``g2live.logcorr``).

Pair counting is exact (Laurence et al., Opt. Lett. 31, 829 (2006)) and done in C
(cext/src/g2l_edges.c): bin k counts pairs with ``edges[k] <= t_b - t_a < edges[k + 1]``, so
1 ns to 10 s in log bins is one pass, not the coarsened time of a multi-tau correlator.

The normalisation is pycorrelate's ``pcorrelate(t, u, bins, normalize=True)`` (its
``pnormalize``), applied to times measured from ``origin_ps``::

    G[k] = counts[k] / w_k * (T - tau_k) / (n_a(t_a - origin >= tau_k) * n_b(t_b <= max(t_b) - tau_k))

with ``tau_k = edges[k + 1]`` (the right edge), ``w_k`` the bin width and ``T`` the span from the
first to the last tag of both channels. pycorrelate compares absolute times with tau, so it is
meant for times that start at 0; ``origin_ps=0`` reproduces it bit for bit and the streaming
correlator uses the first tag of the pair (the record start). An uncorrelated stream gives
G = 1. tttrlib's ``laurence`` method divides the same counts by ``N_a N_b / (T / w_k - 1)``
instead (no (T - tau) correction, no edge counts); ``tttrlib_normalize`` gives that form.

log_edges        integer lag edges, log-spaced (ps)
correlate_edges  pair counts over edges, one shot
log_correlation  normalised G over edges, one shot
pcorrelate_normalize, tttrlib_normalize   the two normalisations
EdgeCorrelator   the streaming version: any chunk split gives the one-shot counts
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from g2live import _core
from g2live.core import _channels, _require_sorted, _times

__all__ = [
    "EdgeCorrelator",
    "correlate_edges",
    "log_correlation",
    "log_edges",
    "pcorrelate_normalize",
    "tttrlib_normalize",
]


def log_edges(start_ps: int, stop_ps: int, per_decade: int = 10) -> np.ndarray:
    """Log-spaced integer lag edges from ``start_ps`` to ``stop_ps`` (both > 0), duplicates from
    rounding removed (so the first bins are 1 ps wide where the log step is below 1 ps).

    Returns
    -------
    numpy.ndarray
        Strictly increasing int64 edges, the first ``start_ps`` and the last ``stop_ps``.
    """
    if not (0 < start_ps < stop_ps):
        raise ValueError(f"need 0 < start_ps < stop_ps, got {start_ps}, {stop_ps}")
    if per_decade < 1:
        raise ValueError(f"per_decade must be >= 1, got {per_decade}")
    n = int(np.ceil(np.log10(stop_ps / start_ps) * per_decade)) + 1
    e = np.rint(np.logspace(np.log10(start_ps), np.log10(stop_ps), n)).astype(np.int64)
    e[0], e[-1] = start_ps, stop_ps
    return np.unique(e)


def _edges(edges_ps: Any) -> np.ndarray:
    e = _times(edges_ps, "edges_ps")
    if e.size < 2:
        raise ValueError(f"edges_ps needs at least 2 edges, got {e.size}")
    bad = np.flatnonzero(e[1:] <= e[:-1])  # compare, never subtract: the edges may span int64
    if bad.size:
        k = int(bad[0]) + 1
        raise ValueError(f"edges_ps must increase strictly: edges_ps[{k}] = {int(e[k])} <= {int(e[k - 1])}")
    return e


def correlate_edges(a_ps: Any, b_ps: Any, edges_ps: Any) -> np.ndarray:
    """Pair counts ``edges[k] <= b - a < edges[k + 1]`` (int64[len(edges) - 1]).

    Passing the same array twice is an auto-correlation: a tag is never paired with itself.
    """
    e = _edges(edges_ps)
    a, b = _times(a_ps, "a_ps"), _times(b_ps, "b_ps")
    _require_sorted(a, "a_ps")
    _require_sorted(b, "b_ps")
    status, hist = _core.correlate_edges(a, b, e)
    if status == _core.ERR_NOMEM:
        raise MemoryError(f"correlate_edges: no memory for {e.size} edge pointers")
    if status < 0:
        raise ValueError(f"correlate_edges: invalid edges (status {status})")
    if a.size and a.size == b.size and a.ctypes.data == b.ctypes.data and e[0] <= 0 < e[-1]:
        hist[int(np.searchsorted(e, 0, side="right")) - 1] -= a.size  # the self-pairs at d = 0
    return hist


def pcorrelate_normalize(counts: np.ndarray, edges_ps: np.ndarray, duration_ps: int, n_a_from: np.ndarray,
                         n_b_until: np.ndarray) -> np.ndarray:
    """pycorrelate's ``pnormalize`` from its ingredients (same float operations, same result).

    ``n_a_from[k]`` counts a tags with ``t - origin >= edges[k + 1]``, ``n_b_until[k]`` b tags with
    ``t <= max(b) - edges[k + 1]``. A bin with no such tags (tau beyond the record) is NaN.
    """
    e = np.asarray(edges_ps, dtype=np.int64)
    g = np.asarray(counts) / np.diff(e)
    den = n_a_from.astype(np.float64) * n_b_until.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, g * ((int(duration_ps) - e[1:]) / den), np.nan)


def tttrlib_normalize(counts: np.ndarray, edges_ps: np.ndarray, duration_ps: int, n_a: int,
                      n_b: int) -> np.ndarray:
    """tttrlib's ``laurence`` normalisation: ``counts * (T / w - 1) / (N_a N_b)``."""
    w = np.diff(np.asarray(edges_ps, dtype=np.int64)).astype(np.float64)
    return np.asarray(counts) * (float(duration_ps) / w - 1.0) / (float(n_a) * float(n_b))


def log_correlation(a_ps: Any, b_ps: Any, edges_ps: Any, origin_ps: int = 0) -> np.ndarray:
    """pycorrelate-normalised G over ``edges_ps`` of two sorted arrays (see the module text);
    ``origin_ps=0`` is ``pycorrelate.pcorrelate(a, b, edges, normalize=True)``."""
    e = _edges(edges_ps)
    a, b = _times(a_ps, "a_ps"), _times(b_ps, "b_ps")
    if a.size == 0 or b.size == 0:
        raise ValueError("log_correlation: a channel has no tags")
    counts = correlate_edges(a, b, e)
    tau = e[1:]
    duration = int(max(a[-1], b[-1])) - int(min(a[0], b[0]))
    n_a_from = a.size - np.searchsorted(a, int(origin_ps) + tau, side="left")
    n_b_until = np.searchsorted(b, int(b[-1]) - tau, side="right")
    return pcorrelate_normalize(counts, e, duration, n_a_from, n_b_until)


class EdgeCorrelator:
    """Streaming log-binned correlation of one merged, time-ordered stream into several pairs.

    Each pair is counted when its later tag arrives, so any chunk split gives ``correlate_edges``
    of the whole record. The correlator keeps, per used channel, the tags within the largest lag
    of the newest tag (pairing), of its own last tag and of its first tag (normalisation): memory
    follows the rate times the largest lag, e.g. 1e6 tags for 100 kcps and 10 s.
    """

    def __init__(self, pairs: Sequence[tuple[int, int]], edges_ps: Any) -> None:
        self.edges_ps = _edges(edges_ps)
        p = np.asarray(pairs)
        if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] == 0:
            raise ValueError(f"pairs must be a non-empty sequence of (a, b) channel pairs, got {pairs!r}")
        pa, pb = _channels(p[:, 0], "pairs[:, 0] (a)"), _channels(p[:, 1], "pairs[:, 1] (b)")
        self.pairs: list[tuple[int, int]] = [(int(x), int(y)) for x, y in zip(pa, pb, strict=True)]
        self._c = _core.EdgeCorrelator(pa, pb, self.edges_ps)
        if self._c.status == _core.ERR_NOMEM:
            raise MemoryError(f"g2live EdgeCorrelator: no memory for {len(self.pairs)} pairs "
                              f"x {self.edges_ps.size} edges")
        if self._c.status < 0:
            raise ValueError(f"cannot build the edge correlator (status {self._c.status})")

    def update(self, channel: Any, time_ps: Any) -> None:
        """Add tags in stream order (also across calls). On an error nothing of this call is added."""
        t = _times(time_ps, "time_ps")
        ch = _channels(channel, "channel", t.size)
        last = self._c.last_time
        status, err = self._c.update(ch, t)
        if status == _core.ERR_UNSORTED:
            prev = int(t[err - 1]) if err > 0 else int(last)
            raise ValueError(f"time_ps is not in stream order: time_ps[{err}] = {int(t[err])} < {prev} "
                             "(nothing of this update was added)")
        if status == _core.ERR_NOMEM:
            raise MemoryError("g2live EdgeCorrelator: out of memory")
        if status < 0:
            raise RuntimeError(f"g2live EdgeCorrelator: status {status} at index {err}")

    def histograms(self) -> np.ndarray:
        """Pair counts ``int64[n_pairs, len(edges) - 1]`` since creation or ``clear()``."""
        return self._c.histograms()

    def normalized(self, pair: int = 0) -> np.ndarray:
        """pycorrelate-normalised G(tau) of one pair, times measured from the pair's first tag
        (NaN where nothing is known yet)."""
        a, b = self.pairs[pair]
        na, fa, la, head_a, _ = self._c.channel_state(a)
        nb, fb, lb, _, tail_b = self._c.channel_state(b)
        nbins = self.edges_ps.size - 1
        if na == 0 or nb == 0:
            return np.full(nbins, np.nan)
        tau = self.edges_ps[1:]
        origin = min(fa, fb)
        # head_a holds every a tag < first_a + max(edge) >= origin + tau,
        # tail_b every b tag > last_b - max(edge)
        n_a_from = na - np.searchsorted(head_a, origin + np.maximum(tau, 0), side="left")
        n_a_from = np.where(tau > 0, n_a_from, na)
        n_b_until = nb - (tail_b.size - np.searchsorted(tail_b, lb - np.maximum(tau, 0), side="right"))
        n_b_until = np.where(tau > 0, n_b_until, nb)
        duration = max(la, lb) - origin
        return pcorrelate_normalize(self.histograms()[pair], self.edges_ps, duration, n_a_from, n_b_until)

    def clear(self) -> None:
        """Full reset: counts, histories and the normalisation state."""
        self._c.clear()

    @property
    def n_tags(self) -> int:
        return int(self._c.n_tags)
