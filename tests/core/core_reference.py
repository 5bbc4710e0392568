"""Plain, obviously-right references for the C twins (docs/semantics.md), used by tests/core.

Everything here follows the text of docs/semantics.md literally, with Python integers (no
overflow) and no cleverness; it is slow and only meant for small inputs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def window_lo(bin_width_ps: int, n_bins: int, offset_ps: int) -> int:
    return offset_ps - (n_bins // 2) * bin_width_ps


def bin_of(d: int, bin_width_ps: int, n_bins: int, offset_ps: int) -> int | None:
    k = (d - window_lo(bin_width_ps, n_bins, offset_ps)) // bin_width_ps  # Python floor division
    return k if 0 <= k < n_bins else None


def correlate_pairs(a: Sequence[int], b: Sequence[int], bin_width_ps: int, n_bins: int, offset_ps: int = 0,
                    auto: bool = False) -> np.ndarray:
    """Brute force over all pairs; ``auto`` skips pairing a tag with itself (same index)."""
    h = np.zeros(n_bins, dtype=np.int64)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            if auto and i == j:
                continue
            k = bin_of(int(y) - int(x), bin_width_ps, n_bins, offset_ps)
            if k is not None:
                h[k] += 1
    return h


def correlate_searchsorted(a: np.ndarray, b: np.ndarray, bin_width_ps: int, n_bins: int,
                           offset_ps: int = 0) -> np.ndarray:
    """Number of pairs with d < edge, for every edge, by searchsorted; differences of counts.
    For moderate values only (a + edge must not overflow int64)."""
    edges = window_lo(bin_width_ps, n_bins, offset_ps) + bin_width_ps * np.arange(n_bins + 1, dtype=np.int64)
    below = np.array([np.searchsorted(b, a + e, side="left").sum() for e in edges], dtype=np.int64)
    return np.diff(below)


def stream_histograms(channel: Sequence[int], time_ps: Sequence[int], pairs: Sequence[tuple[int, int]],
                      bin_width_ps: int, n_bins: int, offset_ps: int, boundaries: Sequence[int] = ()) -> list:
    """Per-integration histograms of a merged stream: a pair of stream positions i < j is
    counted in the integration that contains j (``boundaries`` are the start indices of the
    integrations after the first)."""
    bounds = sorted(boundaries)
    out = [np.zeros((len(pairs), n_bins), np.int64) for _ in range(len(bounds) + 1)]
    for j in range(len(time_ps)):
        integ = sum(1 for s in bounds if j >= s)
        for i in range(j):
            for p, (a, b) in enumerate(pairs):
                ds = []
                if channel[i] == a and channel[j] == b:
                    ds.append(int(time_ps[j]) - int(time_ps[i]))
                if channel[i] == b and channel[j] == a:
                    ds.append(int(time_ps[i]) - int(time_ps[j]))
                for d in ds:
                    k = bin_of(d, bin_width_ps, n_bins, offset_ps)
                    if k is not None:
                        out[integ][p, k] += 1
    return out


def frontend(channel: Sequence[int], time_ps: Sequence[int], dead: Sequence[int], delay: Sequence[int],
             enable_mask: int) -> tuple[list[int], list[int], list[int]]:
    dead_count = [0] * 64
    last: dict[int, int] = {}
    out = []
    for idx, (c, t) in enumerate(zip(channel, time_ps, strict=True)):
        c, t = int(c), int(t)
        if not (enable_mask >> c) & 1:
            continue
        if c in last and t - last[c] < dead[c]:
            dead_count[c] += 1
            continue
        last[c] = t
        out.append((t + delay[c], c, idx))
    out.sort()
    return [c for _, c, _ in out], [t for t, _, _ in out], dead_count


def sync_offsets(sync_times: Sequence[int], divider_log2: int, avg_log2: int) -> list[list[int] | None]:
    """Per recorded sync k: the offsets off_j (j = 0..D-1) of the laser periods of the interval it
    starts, from the last measuring block that ended at or before it (None: no measurement yet).
    Blocks span 1, 2, 4, ... 2**avg_log2 intervals; a span saturates at 2**48 - 1 ps."""
    out: list[list[int] | None] = []
    est = None
    blk_start, blk_n, blk_log = 0, 0, 0
    for k, t in enumerate(sync_times):
        if k == 0:
            blk_start = t
        else:
            blk_n += 1
            if blk_n == 1 << blk_log:
                est = (min(t - blk_start, (1 << 48) - 1), blk_log)
                blk_start, blk_n = t, 0
                blk_log = min(blk_log + 1, avg_log2)
        if est is None:
            out.append(None)
        else:
            delta, lg = est
            out.append([(j * delta) >> (lg + divider_log2) for j in range(1 << divider_log2)])
    return out


def pulsed(channel: Sequence[int], time_ps: Sequence[int], sync_channel: int, max_photons: int,
           window_ps: int = 0, divider_log2: int = 0, avg_log2: int = 8) -> dict:
    """Period of a photon: the last sync with t_sync <= t (a photon at a sync time belongs to the
    period that sync starts, wherever it is in the stream). The last period is closed at the end.

    With a divider D = 2**divider_log2 > 1 the recorded syncs s_k start D laser periods each, at
    t_k + off_j (sync_offsets); a photon of interval k belongs to the last of them at or before it;
    interval 0 (no measured period) is pre-sync. Every period of a closed interval counts; of the
    last interval, the periods up to the one of its latest photon."""
    syncs = [int(t) for c, t in zip(channel, time_ps, strict=True) if c == sync_channel]
    D = 1 << divider_log2
    offs = sync_offsets(syncs, divider_log2, avg_log2) if D > 1 else [[0]] * len(syncs)
    first = 0 if D == 1 else 1  # the first interval with periods
    n_int = max(0, len(syncs) - first)
    members: list[list[list[tuple[int, int]]]] = [[[] for _ in range(D)] for _ in range(n_int)]
    last_j = 0  # latest sub-period with a photon in the last interval
    pre_sync = out_of_window = 0
    sync_arr = np.array(syncs, dtype=object)
    for c, t in zip(channel, time_ps, strict=True):
        if c == sync_channel:
            continue
        t = int(t)
        k = int(np.searchsorted(sync_arr, t, side="right")) - 1 if syncs else -1
        if k < first:
            pre_sync += 1
            continue
        d = t - syncs[k]
        off = offs[k]
        j = max(i for i in range(D) if off[i] <= d)
        delay = d - off[j]
        if k == len(syncs) - 1:
            last_j = max(last_j, j)
        if window_ps > 0 and delay >= window_ps:
            out_of_window += 1
        else:
            members[k - first][j].append((int(c), delay))  # in stream order
    periods: list[list[tuple[int, int]]] = []
    for i, sub in enumerate(members):
        periods += sub if i < n_int - 1 else sub[: last_j + 1]
    counts = np.array([min(len(m), 65535) for m in periods], dtype=np.uint16)
    pn = np.zeros(max_photons + 1, np.int64)
    heralded = []
    for i, m in enumerate(periods):
        pn[min(len(m), max_photons)] += 1
        if len(m) >= 2:
            heralded.append((i, m[0][0], m[0][1], m[1][0], m[1][1]))
    return {"period_counts": counts, "photon_number": pn, "heralded": heralded, "pre_sync": pre_sync,
            "out_of_window": out_of_window}


def correlate_edges_pairs(a: Sequence[int], b: Sequence[int], edges: Sequence[int],
                          auto: bool = False) -> np.ndarray:
    """Brute force over all pairs into arbitrary edges: bin k holds edges[k] <= b - a < edges[k+1]."""
    h = np.zeros(len(edges) - 1, dtype=np.int64)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            if auto and i == j:
                continue
            d = int(y) - int(x)
            for k in range(len(edges) - 1):
                if int(edges[k]) <= d < int(edges[k + 1]):
                    h[k] += 1
    return h


def stream_edges(channel: Sequence[int], time_ps: Sequence[int], pairs: Sequence[tuple[int, int]],
                 edges: Sequence[int]) -> np.ndarray:
    """Edge histograms of a merged stream: every ordered pair of distinct positions, by channel."""
    out = np.zeros((len(pairs), len(edges) - 1), np.int64)
    for p, (a, b) in enumerate(pairs):
        ta = [int(t) for c, t in zip(channel, time_ps, strict=True) if c == a]
        tb = [int(t) for c, t in zip(channel, time_ps, strict=True) if c == b]
        out[p] = correlate_edges_pairs(ta, tb, edges, auto=a == b)
    return out
