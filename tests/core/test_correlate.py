"""correlate / Correlator against the brute-force reference (docs/semantics.md "Correlation
histogram", "Integrations")."""

from __future__ import annotations

import numpy as np
import pytest
from core_reference import correlate_pairs, correlate_searchsorted, stream_histograms
from g2live import core
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

I64_MIN, I64_MAX = -(2**63), 2**63 - 1

# Time ranges: clustered (many pairs and ties), moderate, and hugging the int64 limits.
RANGES = [(0, 40), (-300, 300), (I64_MIN, I64_MIN + 200), (I64_MAX - 200, I64_MAX), (I64_MIN, I64_MAX),
          (-(2**62), 2**62)]


@st.composite
def sorted_times(draw, max_size: int = 25) -> np.ndarray:
    lo, hi = draw(st.sampled_from(RANGES))
    xs = draw(st.lists(st.integers(lo, hi), max_size=max_size))
    return np.array(sorted(xs), dtype=np.int64)


@st.composite
def windows(draw) -> tuple[int, int, int]:
    bw = draw(st.one_of(st.integers(1, 60), st.sampled_from([1, 2, 4, 64, 2**40, 2**61, 3 * 2**40])))
    nb = draw(st.integers(1, 17))
    off = draw(st.one_of(st.integers(-200, 200), st.integers(I64_MIN, I64_MAX),
                         st.sampled_from([I64_MIN, I64_MAX, 0])))
    assume(bw * nb <= 2**62)
    return bw, nb, off


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sorted_times(), sorted_times(), windows())
def test_correlate_matches_brute_force(a, b, win):
    bw, nb, off = win
    np.testing.assert_array_equal(core.correlate(a, b, bw, nb, off), correlate_pairs(a, b, bw, nb, off))


@settings(max_examples=150, deadline=None)
@given(sorted_times(), windows())
def test_same_array_is_auto_correlation(a, win):
    bw, nb, off = win
    expect = correlate_pairs(a, a, bw, nb, off, auto=True)
    np.testing.assert_array_equal(core.correlate(a, a, bw, nb, off), expect)
    # a copy is a different set of tags: self-pairs are counted
    expect = correlate_pairs(a, a, bw, nb, off)
    np.testing.assert_array_equal(core.correlate(a, a.copy(), bw, nb, off), expect)


def test_empty_and_single():
    e = np.zeros(0, np.int64)
    assert core.correlate(e, e, 10, 4).tolist() == [0, 0, 0, 0]
    assert core.correlate([5], e, 10, 4).tolist() == [0, 0, 0, 0]
    assert core.correlate([5], [5], 10, 4).tolist() == [0, 0, 1, 0]  # d = 0 starts bin n_bins // 2
    assert core.correlate([5], [5], 10, 4, offset_ps=1).tolist() == [0, 1, 0, 0]


def test_identical_timestamps():
    a = np.full(7, 1000, np.int64)
    b = np.full(5, 1000, np.int64)
    h = core.correlate(a, b, 1, 3)
    assert h.tolist() == [0, 35, 0]
    assert core.correlate(a, a, 1, 3).tolist() == [0, 7 * 6, 0]  # auto: both orders, no self-pairs


def test_window_edges_exact():
    # window [lo, lo + n*w) = [-20, 20) for w=10, n=4: left-closed, right-open at every edge
    a = np.array([0], np.int64)
    cases = [(-21, None), (-20, 0), (-11, 0), (-10, 1), (-1, 1), (0, 2), (9, 2), (10, 3), (19, 3), (20, None)]
    for d, k in cases:
        h = core.correlate(a, np.array([d]), 10, 4)
        expect = [0] * 4
        if k is not None:
            expect[k] = 1
        assert h.tolist() == expect, d
    # odd n_bins: lo = offset - (n // 2) * w
    assert core.bin_edges(10, 5, -3).tolist() == [-23, -13, -3, 7, 17, 27]
    assert core.correlate([0], [-23], 10, 5, -3).tolist() == [1, 0, 0, 0, 0]
    assert core.correlate([0], [26], 10, 5, -3).tolist() == [0, 0, 0, 0, 1]
    assert core.correlate([0], [27], 10, 5, -3).tolist() == [0, 0, 0, 0, 0]


def test_bin_edges():
    assert core.bin_edges(10, 4, 3).tolist() == [-17, -7, 3, 13, 23]
    assert core.bin_edges(1, 2, 2**63 - 2).tolist() == [2**63 - 3, 2**63 - 2, 2**63 - 1]
    with pytest.raises(ValueError, match="does not fit int64"):
        core.bin_edges(1, 2, 2**63 - 1)


def test_huge_delays_do_not_wrap():
    # b - a = 2**64 - 1 - 2**63 ... : every difference here wraps to a small int64 value
    a = np.array([I64_MIN, I64_MIN + 1, -5], np.int64)
    b = np.array([-3, I64_MAX - 1, I64_MAX], np.int64)
    for bw, nb, off in [(1, 16, 0), (1, 16, -1), (1, 16, 2), (2**61, 2, 0), (1, 8, I64_MAX), (1, 8, I64_MIN)]:
        np.testing.assert_array_equal(core.correlate(a, b, bw, nb, off), correlate_pairs(a, b, bw, nb, off))
    assert core.correlate(a, b, 1, 16).tolist() == [0] * 10 + [1] + [0] * 5  # only d = -3 - (-5) = 2
    # the widest window still sees exact differences at the extremes
    # d = I64_MAX + 2**60 (beyond int64) lands in bin 3 of [I64_MAX - 2**61, I64_MAX + 2**61)
    assert core.correlate([-(2**60)], [I64_MAX], 2**60, 4, offset_ps=I64_MAX).tolist() == [0, 0, 0, 1]
    assert core.correlate([I64_MIN], [I64_MAX], 2**60, 4, offset_ps=I64_MAX).tolist() == [0, 0, 0, 0]


@pytest.mark.parametrize("bw", [1000, 1024, 7, 1])
def test_larger_random_against_searchsorted(bw):
    rng = np.random.default_rng(bw)
    a = np.sort(rng.integers(0, 10**8, 8000))
    b = np.sort(rng.integers(0, 10**8, 8000))
    for nb, off in [(1000, 0), (301, -12345), (64, 10**6)]:
        expect = correlate_searchsorted(a, b, bw, nb, off)
        np.testing.assert_array_equal(core.correlate(a, b, bw, nb, off), expect)


def test_unsorted_and_bad_arguments():
    with pytest.raises(ValueError, match=r"a_ps is not sorted: a_ps\[2\]"):
        core.correlate([1, 2, 1, 5], [1], 10, 4)
    with pytest.raises(ValueError, match=r"b_ps is not sorted: b_ps\[1\]"):
        core.correlate([1], [3, 2], 10, 4)
    with pytest.raises(ValueError, match="bin_width_ps"):
        core.correlate([1], [1], 0, 4)
    with pytest.raises(ValueError, match="n_bins"):
        core.correlate([1], [1], 10, 0)
    with pytest.raises(ValueError, match="2\\*\\*62"):
        core.correlate([1], [1], 2**40, 2**23)
    with pytest.raises(TypeError, match="integer picoseconds"):
        core.correlate([1.5], [1], 10, 4)
    with pytest.raises(ValueError, match="1-D"):
        core.correlate([[1]], [1], 10, 4)


def test_unsorted_found_in_any_block():
    # the sortedness check runs in blocks: a descent at a block boundary must be found
    for i in [1, 4095, 4096, 4097, 8191, 12000]:
        x = np.arange(13000, dtype=np.int64)
        x[i] = x[i - 1] - 1
        with pytest.raises(ValueError, match=rf"a_ps\[{i}\]"):
            core.correlate(x, [0], 1, 1)


# ---- streaming Correlator ----


@st.composite
def merged_streams(draw, max_size: int = 30, max_channel: int = 3):
    lo, hi = draw(st.sampled_from([(0, 40), (0, 400), (I64_MAX - 100, I64_MAX), (I64_MIN, I64_MAX)]))
    n = draw(st.integers(0, max_size))
    t = sorted(draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n)))
    ch = draw(st.lists(st.integers(0, max_channel), min_size=n, max_size=n))
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=4)))
    return np.array(ch, np.uint8), np.array(t, np.int64), cuts


PAIRS = [(0, 1), (1, 0), (2, 2), (0, 0), (3, 1)]
# The chunk splitter has three kernels: up to 2 channels in pairs, up to 4, more (and a channel
# in no pair, like a sync, is counted separately); each with the AVX-512 and portable variants.
PAIR_SETS = {
    "two": ([(0, 1), (1, 1)], 2),
    "four": (PAIRS, 3),
    "many": ([(0, 1), (2, 3), (4, 5), (5, 0), (3, 3)], 6),
}
KERNELS = {"avx512": 2, "avx2": 1, "portable": 0}  # a CPU without one runs the next one down


def correlator(pairs, bw: int, nb: int, off: int, kernel: str) -> core.Correlator:
    c = core.Correlator(pairs, bw, nb, off)
    c._c.simd = KERNELS[kernel]
    return c


def check_chunks_and_integrations(stream, win, pairs, kernel: str) -> None:
    ch, t, cuts = stream
    bw, nb, off = win
    expect = stream_histograms(ch, t, pairs, bw, nb, off, cuts)
    # one call == any chunk split
    one = correlator(pairs, bw, nb, off, kernel)
    one.update(ch, t)
    np.testing.assert_array_equal(one.histograms(), sum(expect))
    split = correlator(pairs, bw, nb, off, kernel)
    bounds = [0, *cuts, len(t)]
    total = np.zeros((len(pairs), nb), np.int64)
    for k in range(len(bounds) - 1):
        split.update(ch[bounds[k]:bounds[k + 1]], t[bounds[k]:bounds[k + 1]])
        h = split.histograms(clear=True)  # integration boundary at every chunk boundary
        np.testing.assert_array_equal(h, expect[k])
        total += h
    np.testing.assert_array_equal(total, one.histograms())
    assert split.n_tags == len(t)
    np.testing.assert_array_equal(one.counts[:8], np.bincount(ch, minlength=8)[:8])


@settings(max_examples=250, deadline=None)
@given(merged_streams(), windows())
def test_correlator_chunks_and_integrations(stream, win):
    check_chunks_and_integrations(stream, win, PAIRS, "avx512")


@pytest.mark.parametrize("kernel", list(KERNELS))
@pytest.mark.parametrize("pair_set", list(PAIR_SETS))
@settings(max_examples=80, deadline=None)
@given(data=st.data(), win=windows())
def test_correlator_kernels(pair_set, kernel, data, win):
    pairs, max_channel = PAIR_SETS[pair_set]
    stream = data.draw(merged_streams(max_channel=max_channel))
    check_chunks_and_integrations(stream, win, pairs, kernel)


def test_correlator_matches_correlate_on_merged_data():
    rng = np.random.default_rng(3)
    a = np.sort(rng.integers(0, 10**9, 30000))
    b = np.sort(rng.integers(0, 10**9, 30000))
    t = np.concatenate([a, b])
    ch = np.concatenate([np.zeros(a.size, np.uint8), np.ones(b.size, np.uint8)])
    order = np.lexsort((ch, t))
    c = core.Correlator([(0, 1), (1, 0), (0, 0)], 1000, 200, 5000)
    for part in np.array_split(order, 7):
        c.update(ch[part], t[part])
    h = c.histograms()
    np.testing.assert_array_equal(h[0], core.correlate(a, b, 1000, 200, 5000))
    np.testing.assert_array_equal(h[1], core.correlate(b, a, 1000, 200, 5000))
    np.testing.assert_array_equal(h[2], core.correlate(a, a, 1000, 200, 5000))
    assert c.counts[:2].tolist() == [a.size, b.size]


def test_correlator_errors_and_clear():
    c = core.Correlator([(0, 1)], 10, 4)
    c.update([0, 1], [100, 105])
    with pytest.raises(ValueError, match=r"time_ps\[0\] = 99 < the last time of the previous update = 105"):
        c.update([0], [99])
    with pytest.raises(ValueError, match=r"time_ps\[2\] = 5 < time_ps\[1\]"):
        c.update([1, 1, 1], [200, 201, 5])
    with pytest.raises(ValueError, match=r"channel\[0\] = 64"):
        c.update([64], [300])
    assert c.histograms().sum() == 1 and c.n_tags == 2  # the failed updates added nothing
    c.update([0], [196])  # so 196 pairs with nothing but 105 (out of the window)
    assert c.histograms().sum() == 1
    c.clear()  # full reset: history gone, times may restart
    c.update([1], [0])
    assert c.histograms().sum() == 0 and c.n_tags == 1
    with pytest.raises(ValueError, match="pairs"):
        core.Correlator([], 10, 4)
    with pytest.raises(ValueError, match="not a channel"):
        core.Correlator([(0, 70)], 10, 4)


@pytest.mark.parametrize("kernel", list(KERNELS))
# the undo copy is cheap / too costly (then the chunk is checked first; a window with no pairs)
@pytest.mark.parametrize(("n_bins", "offset"), [(100, 0), (10**6, 10**13)])
def test_correlator_long_update_is_all_or_nothing(kernel, n_bins, offset):
    # a chunk longer than one block is checked block by block; a bad tag in a later block undoes
    # the blocks before it, so the correlator is as if the update had never been made
    rng = np.random.default_rng(7)
    n = 300_000
    t = np.cumsum(rng.integers(0, 2000, n)).astype(np.int64)
    ch = rng.integers(0, 3, n).astype(np.uint8)  # channel 2 is in no pair
    pairs = [(0, 1), (1, 1)]
    good, bad = correlator(pairs, 10, n_bins, offset, kernel), correlator(pairs, 10, n_bins, offset, kernel)
    for c in (good, bad):
        c.update(ch[:1000], t[:1000])
    rest_t, rest_ch = t[1000:].copy(), ch[1000:].copy()
    for where, field, value in [(250_000, "time", 0), (199_999, "channel", 64), (70_000, "time", -1)]:
        tt, cc = rest_t.copy(), rest_ch.copy()
        if field == "time":
            tt[where] = tt[where - 1] - 1 if value else tt[where - 1] - 5
        else:
            cc[where] = value
        with pytest.raises(ValueError, match=rf"\[{where}\]"):
            bad.update(cc, tt)
    assert bad.n_tags == good.n_tags == 1000
    np.testing.assert_array_equal(bad.counts, good.counts)
    for c in (good, bad):
        c.update(rest_ch, rest_t)
    np.testing.assert_array_equal(bad.histograms(), good.histograms())
    expect = core.correlate(t[ch == 0], t[ch == 1], 10, n_bins, offset)
    assert expect.sum() > 0 or offset
    np.testing.assert_array_equal(good.histograms()[0], expect)
