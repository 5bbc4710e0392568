"""Log-binned correlation (g2live.logcorr) against the brute-force reference and pycorrelate's
normalisation (docs/semantics.md "Log-binned correlation")."""

from __future__ import annotations

import numpy as np
import pytest
from core_reference import correlate_edges_pairs, stream_edges
from g2live import logcorr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
RANGES = [(0, 40), (-300, 300), (I64_MIN, I64_MIN + 200), (I64_MAX - 200, I64_MAX), (I64_MIN, I64_MAX)]


@st.composite
def sorted_times(draw, max_size: int = 20) -> np.ndarray:
    lo, hi = draw(st.sampled_from(RANGES))
    return np.array(sorted(draw(st.lists(st.integers(lo, hi), max_size=max_size))), dtype=np.int64)


@st.composite
def edge_sets(draw) -> np.ndarray:
    """Strictly increasing edges: small (ties, both signs), log-like, or at the int64 limits."""
    pool = st.one_of(st.integers(-60, 60), st.integers(I64_MIN, I64_MAX),
                     st.sampled_from([I64_MIN, I64_MAX, 0, 1, -1, 2**62, -(2**62)]))
    e = sorted(set(draw(st.lists(pool, min_size=2, max_size=9))))
    if len(e) < 2:
        e = [e[0], e[0] + 1] if e[0] < I64_MAX else [e[0] - 1, e[0]]
    return np.array(e, dtype=np.int64)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sorted_times(), sorted_times(), edge_sets())
def test_correlate_edges_matches_brute_force(a, b, e):
    np.testing.assert_array_equal(logcorr.correlate_edges(a, b, e), correlate_edges_pairs(a, b, e))
    np.testing.assert_array_equal(logcorr.correlate_edges(a, a, e), correlate_edges_pairs(a, a, e, auto=True))


@st.composite
def merged_streams(draw, max_size: int = 30):
    lo, hi = draw(st.sampled_from([(0, 50), (0, 10**6), (I64_MAX - 100, I64_MAX), (I64_MIN, I64_MIN + 100)]))
    n = draw(st.integers(0, max_size))
    t = sorted(draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n)))
    ch = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=5)))
    return np.array(ch, np.uint8), np.array(t, np.int64), cuts


PAIRS = [(0, 1), (1, 0), (2, 2), (0, 0)]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(merged_streams(), edge_sets())
def test_edge_correlator_any_chunk_split(stream, e):
    ch, t, cuts = stream
    c = logcorr.EdgeCorrelator(PAIRS, e)
    bounds = [0, *cuts, len(t)]
    for k in range(len(bounds) - 1):  # empty chunks and chunks ending on ties included
        c.update(ch[bounds[k]:bounds[k + 1]], t[bounds[k]:bounds[k + 1]])
    np.testing.assert_array_equal(c.histograms(), stream_edges(ch, t, PAIRS, e))
    assert c.n_tags == len(t)


def _pcorrelate_reference(t: np.ndarray, u: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """pycorrelate's pcorrelate(normalize=True) written out with numpy (Laurence 2006)."""
    counts = correlate_edges_pairs(t, u, bins)
    g = counts / np.diff(bins)
    duration = max(t.max(), u.max()) - min(t.min(), u.min())
    out = g.copy()
    for i, tau in enumerate(bins[1:]):
        out[i] *= (duration - tau) / (float((t >= tau).sum()) * float((u <= (u.max() - tau)).sum()))
    return out


def _bunched(seed: int, n: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = np.sort(rng.integers(0, 10**9, n))
    near = a[::2] + rng.integers(0, 50_000, a[::2].size)
    b = np.sort(np.concatenate([near, rng.integers(0, 10**9, n // 2)]))
    return a, b


def test_log_correlation_equals_the_written_out_normalisation():
    a, b = _bunched(1, 300)
    e = logcorr.log_edges(100, 10**8, 5)
    np.testing.assert_array_equal(logcorr.log_correlation(a, b, e), _pcorrelate_reference(a, b, e))


def test_streaming_normalisation_equals_one_shot_from_the_first_tag():
    a, b = _bunched(2)
    e = logcorr.log_edges(1000, 5 * 10**8, 8)
    t = np.concatenate([a, b]) + 7 * 10**12  # a record that does not start at 0
    ch = np.repeat(np.array([0, 1], np.uint8), [a.size, b.size])
    order = np.lexsort((ch, t))
    c = logcorr.EdgeCorrelator([(0, 1), (1, 0)], e)
    for part in np.array_split(order, 13):
        c.update(ch[part], t[part])
    o = 7 * 10**12 + min(a[0], b[0])
    sa, sb = a + 7 * 10**12, b + 7 * 10**12
    np.testing.assert_array_equal(c.normalized(0), logcorr.log_correlation(sa, sb, e, o))
    np.testing.assert_array_equal(c.normalized(1), logcorr.log_correlation(sb, sa, e, o))
    g = c.normalized(0)
    assert g[0] > 3 and abs(np.nanmedian(g[-5:]) - 1) < 0.1  # bunched below 50 ns, flat at long lags


def test_log_edges():
    e = logcorr.log_edges(1000, 10**13, 10)
    assert e[0] == 1000 and e[-1] == 10**13 and np.all(np.diff(e) > 0)
    assert e.size == 101  # 10 decades x 10 + 1
    assert np.all(np.diff(logcorr.log_edges(1, 100, 20)) > 0)  # rounding duplicates removed


def test_errors():
    with pytest.raises(ValueError, match="increase strictly"):
        logcorr.correlate_edges([1], [2], [0, 5, 5])
    with pytest.raises(ValueError, match="at least 2"):
        logcorr.correlate_edges([1], [2], [0])
    with pytest.raises(ValueError, match="not sorted"):
        logcorr.correlate_edges([3, 1], [2], [0, 5])
    with pytest.raises(ValueError, match="0 < start_ps < stop_ps"):
        logcorr.log_edges(0, 10)
    c = logcorr.EdgeCorrelator([(0, 1)], [1, 10, 100])
    c.update([0, 1], [5, 9])
    with pytest.raises(ValueError, match="stream order"):
        c.update([0, 1], [20, 8])
    assert c.histograms().tolist() == [[1, 0]]  # d = 4; the rejected update added nothing
    c.update([1], [50])
    assert c.histograms().tolist() == [[1, 1]]
    assert np.all(np.isnan(logcorr.EdgeCorrelator([(0, 1)], [1, 10]).normalized()))
    c.clear()
    assert c.n_tags == 0 and c.histograms().sum() == 0
