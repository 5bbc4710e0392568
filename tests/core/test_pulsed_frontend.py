"""Pulsed mode, channel front-end, rates and trace against the plain references
(docs/semantics.md "Pulsed mode against the sync", "Channel front-end", "Rates and trace")."""

from __future__ import annotations

import numpy as np
import pytest
from core_reference import frontend as ref_frontend
from core_reference import pulsed as ref_pulsed
from g2live import core
from hypothesis import given, settings
from hypothesis import strategies as st

SYNC = 2


@st.composite
def pulsed_streams(draw, max_size: int = 40):
    n = draw(st.integers(0, max_size))
    t = sorted(draw(st.lists(st.integers(0, draw(st.sampled_from([10, 60, 1000]))), min_size=n, max_size=n)))
    ch = draw(st.lists(st.sampled_from([0, 1, SYNC, 3]), min_size=n, max_size=n))
    # stream order: equal times by ascending channel
    order = sorted(range(n), key=lambda i: (t[i], ch[i]))
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=4)))
    return np.array([ch[i] for i in order], np.uint8), np.array([t[i] for i in order], np.int64), cuts


def as_tuples(rec: np.ndarray) -> list[tuple]:
    return [tuple(int(v) for v in r) for r in rec.tolist()]


def check(res: core.PulsedResult, ref: dict) -> None:
    np.testing.assert_array_equal(res.period_counts, ref["period_counts"])
    assert res.period_counts.dtype == np.uint16
    np.testing.assert_array_equal(res.photon_number, ref["photon_number"])
    assert as_tuples(res.heralded) == ref["heralded"]
    assert res.pre_sync == ref["pre_sync"] and res.out_of_window == ref["out_of_window"]


@settings(max_examples=300, deadline=None)
@given(pulsed_streams(), st.integers(1, 4), st.sampled_from([0, 1, 5, 30]))
def test_pulsed_matches_reference_and_chunks(stream, max_photons, window):
    ch, t, cuts = stream
    ref = ref_pulsed(ch, t, SYNC, max_photons, window)
    check(core.pulsed(ch, t, SYNC, max_photons, window), ref)
    pc = core.PulsedCounter(SYNC, max_photons, window)
    bounds = [0, *cuts, len(t)]
    parts = [pc.update(ch[lo:hi], t[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    parts.append(pc.flush())
    check(core.PulsedResult.combine(parts), ref)
    assert core.PulsedResult.combine(parts) == core.pulsed(ch, t, SYNC, max_photons, window)
    np.testing.assert_array_equal(pc.photon_number, ref["photon_number"])


@st.composite
def periodic_streams(draw, max_size: int = 40):
    """Photons (no sync channel) and a periodic sync s0 + k q, cut into calls at times."""
    q = draw(st.integers(1, 40))
    s0 = draw(st.integers(0, 30))
    n = draw(st.integers(0, max_size))
    span = draw(st.sampled_from([20, 200, 2000]))
    t = sorted(draw(st.lists(st.integers(0, span), min_size=n, max_size=n)))
    ch = draw(st.lists(st.sampled_from([0, 1, 3]), min_size=n, max_size=n))
    order = sorted(range(n), key=lambda i: (t[i], ch[i]))
    cuts = sorted(draw(st.lists(st.integers(0, span + 2 * q), max_size=4)))
    return (np.array([ch[i] for i in order], np.uint8), np.array([t[i] for i in order], np.int64),
            s0, q, [*cuts, span + 2 * q + 1])


@settings(max_examples=300, deadline=None)
@given(periodic_streams(), st.integers(1, 4), st.sampled_from([0, 1, 5, 30]))
def test_pulsed_periodic_equals_the_merged_stream(stream, max_photons, window):
    """update_periodic (photons only, syncs s0 + k q implied: the T3 entry point) gives exactly
    what update gives on the stream with the sync events merged in, for any split into calls."""
    ch, t, s0, q, ends = stream
    a = core.PulsedCounter(SYNC, max_photons, window)
    b = core.PulsedCounter(SYNC, max_photons, window)
    ra, rb, i0, k0 = [], [], 0, 0
    for end in ends:
        i1 = int(np.searchsorted(t, end, "left"))
        k1 = max(k0, -(-(end - s0) // q))  # syncs before `end` belong to this call
        sync_t = s0 + q * np.arange(k0, k1, dtype=np.int64)
        mt = np.concatenate((t[i0:i1], sync_t))
        mc = np.concatenate((ch[i0:i1], np.full(sync_t.size, SYNC, np.uint8)))
        o = np.lexsort((mc, mt))
        ra.append(a.update(mc[o], mt[o]))
        rb.append(b.update_periodic(ch[i0:i1], t[i0:i1], s0 + k0 * q, q, k1 - k0))
        i0, k0 = i1, k1
    ra.append(a.flush())
    rb.append(b.flush())
    assert core.PulsedResult.combine(ra) == core.PulsedResult.combine(rb)
    assert a.n_syncs == b.n_syncs
    np.testing.assert_array_equal(a.photon_number, b.photon_number)


def test_pulsed_periodic_errors():
    pc = core.PulsedCounter(SYNC, 3)
    with pytest.raises(ValueError, match="sync channel"):
        pc.update_periodic([SYNC], [5], 0, 10, 1)
    pc.update_periodic([0], [15], 0, 10, 2)
    with pytest.raises(ValueError, match="first sync"):
        pc.update_periodic([], [], 10, 10, 1)
    with pytest.raises(ValueError, match="period_ps"):
        pc.update_periodic([], [], 20, 0, 1)
    # 10**6 syncs, nearly all closing empty periods in bulk: every count is there (the first
    # closes the period holding the photon at 15, another the one holding the photon at 10**7)
    r = pc.update_periodic([1], [10**7], 20, 10, 10**6)
    assert r.period_counts.size == 10**6 and r.photon_number.tolist() == [10**6 - 2, 2, 0, 0]


@settings(max_examples=400, deadline=None)
@given(pulsed_streams(60), st.integers(1, 4), st.sampled_from([0, 3, 30]), st.sampled_from([1, 2, 4, 8]),
       st.integers(0, 3))
def test_pulsed_sync_divider_matches_reference_and_chunks(stream, max_photons, window, divider, avg_log2):
    """Every laser period between divided syncs reconstructed, numbered and counted."""
    ch, t, cuts = stream
    dl = divider.bit_length() - 1
    ref = ref_pulsed(ch, t, SYNC, max_photons, window, dl, avg_log2)
    check(core.pulsed(ch, t, SYNC, max_photons, window, divider, avg_log2), ref)
    pc = core.PulsedCounter(SYNC, max_photons, window, divider, avg_log2)
    bounds = [0, *cuts, len(t)]
    parts = [pc.update(ch[lo:hi], t[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    parts.append(pc.flush())
    check(core.PulsedResult.combine(parts), ref)


def test_pulsed_sync_divider_periods_of_a_steady_laser():
    """80 MHz laser (12 500 ps) recorded every 4th pulse: photons land in their own laser period."""
    period, D = 12_500, 4
    syncs = np.arange(0, 400 * period, D * period)
    rng = np.random.default_rng(3)
    k = np.sort(rng.choice(np.arange(D, 400 - D), 60, replace=False))  # laser pulse of each photon
    delay = rng.integers(100, period - 100, k.size)
    ch = np.r_[np.full(syncs.size, SYNC), np.zeros(k.size)].astype(np.uint8)
    t = np.r_[syncs, k * period + delay]
    o = np.lexsort((ch, t))
    pc = core.PulsedCounter(SYNC, 3, 0, sync_divider=D, period_avg_log2=2)
    r = core.PulsedResult.combine([pc.update(ch[o], t[o]), pc.flush()])
    assert pc.period_ps == period and pc.period_q8 == period * 256
    # period numbering starts at the second recorded sync (pulse D); every pulse up to the last
    # recorded sync's is counted once (flush closes the one that sync opened)
    assert r.photon_number.sum() == r.period_counts.size == syncs[-1] // period - D + 1
    got = np.flatnonzero(r.period_counts) + D
    np.testing.assert_array_equal(got, np.unique(k))
    with pytest.raises(ValueError, match="sync_divider"):
        core.PulsedCounter(SYNC, 3, sync_divider=3)


def test_sync_filter_keeps_syncs_before_photons():
    s = SYNC
    ch = np.array([s, s, 0, s, 1, 1, s, s, s, 0, s], np.uint8)
    t = np.arange(ch.size, dtype=np.int64) * 10
    kch, kt, dropped = core.sync_filter(ch, t, s)
    assert kch.tolist() == [s, 0, s, 1, 1, s, 0]
    assert kt.tolist() == [10, 20, 30, 40, 50, 80, 90]
    assert dropped == 4  # t = 0, 60, 70 and the trailing one at 100
    f = core.SyncFilter(s)
    parts = [f.update(ch[a:b], t[a:b]) for a, b in ((0, 2), (2, 3), (3, 8), (8, 11))]
    assert np.concatenate([p[0] for p in parts]).tolist() == kch.tolist()
    assert f.filtered == 3 and f.held
    f.set_enable(False)
    och, ot = f.update(np.array([0], np.uint8), np.array([200], np.int64))
    assert och.tolist() == [s, 0] and ot.tolist() == [100, 200]


def test_pulsed_photon_at_sync_time_any_channel_order():
    # photon on channel 0 (before the sync in stream order) and on 3 (after): both in period 1
    ch = np.array([SYNC, 0, SYNC, 3, 1], np.uint8)
    t = np.array([0, 100, 100, 100, 150], np.int64)
    r = core.pulsed(ch, t, SYNC, 4)
    assert r.period_counts.tolist() == [0, 3]
    assert as_tuples(r.heralded) == [(1, 0, 0, 3, 0)]
    # two syncs at one time: the first period is empty, the photon belongs to the second
    r = core.pulsed(np.array([0, SYNC, SYNC], np.uint8), np.array([5, 5, 5], np.int64), SYNC, 2)
    assert r.period_counts.tolist() == [0, 1] and r.pre_sync == 0


def test_pulsed_errors_and_saturation():
    with pytest.raises(ValueError, match="sync_channel"):
        core.PulsedCounter(64, 3)
    with pytest.raises(ValueError, match="max_photons"):
        core.PulsedCounter(0, 0)
    pc = core.PulsedCounter(SYNC, 3)
    pc.update([SYNC, 0], [10, 20])
    with pytest.raises(ValueError, match=r"time_ps\[0\] = 5"):
        pc.update([0], [5])
    with pytest.raises(ValueError, match=r"time_ps\[2\] = 21"):
        pc.update([SYNC, 0, 0], [30, 31, 21])  # nothing taken: the sync at 30 closes no period
    assert pc.n_syncs == 1 and pc.flush().period_counts.tolist() == [1]
    # 70000 photons in one period: the count saturates, the histogram's last bin takes it
    n = 70000
    r = core.pulsed(np.r_[SYNC, np.zeros(n, np.uint8)], np.arange(n + 1), SYNC, 3)
    assert r.period_counts.tolist() == [65535] and r.photon_number.tolist() == [0, 0, 0, 1]


@st.composite
def raw_streams(draw, max_size: int = 40):
    n = draw(st.integers(0, max_size))
    t = sorted(draw(st.lists(st.integers(-(2**40), 2**40) if draw(st.booleans()) else st.integers(0, 80),
                             min_size=n, max_size=n)))
    ch = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    dead = draw(st.lists(st.integers(0, 30), min_size=5, max_size=5))
    delay = draw(st.lists(st.integers(-50, 50), min_size=5, max_size=5))
    mask = draw(st.integers(0, 2**64 - 1))
    return np.array(ch, np.uint8), np.array(t, np.int64), dead, delay, mask


@settings(max_examples=300, deadline=None)
@given(raw_streams())
def test_frontend_matches_reference(stream):
    ch, t, dead, delay, mask = stream
    oc, ot, dc = core.frontend(ch, t, dead, delay, mask)
    rc, rt, rd = ref_frontend(ch, t, dead + [0] * 59, delay + [0] * 59, mask)
    assert oc.tolist() == rc and ot.tolist() == rt and dc.tolist() == rd
    assert oc.dtype == np.uint8 and ot.dtype == np.int64


@settings(max_examples=200, deadline=None)
@given(raw_streams(), st.lists(st.integers(0, 40), max_size=4))
def test_frontend_streaming_any_split(stream, cuts):
    ch, t, dead, delay, mask = stream
    whole = core.frontend(ch, t, dead, delay, mask)
    fe = core.Frontend(dead, delay, mask)
    bounds = [0, *sorted(min(c, len(t)) for c in cuts), len(t)]
    parts = [fe.process(ch[lo:hi], t[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    oc = np.concatenate([p[0] for p in parts])
    ot = np.concatenate([p[1] for p in parts])
    order = np.lexsort((oc, ot))  # the caller merges the calls' outputs
    np.testing.assert_array_equal(oc[order], whole[0])
    np.testing.assert_array_equal(ot[order], whole[1])
    np.testing.assert_array_equal(fe.dead_count, whole[2])


def test_frontend_error_leaves_state():
    fe = core.Frontend(dead_time_ps=10)
    fe.process([0], [100])
    with pytest.raises(ValueError, match=r"raw times of channel 0 decrease at time_ps\[1\] = 99"):
        fe.process([0, 0], [120, 99])
    assert fe.process([0], [105])[1].tolist() == []  # 120 was not taken: 105 is still dead
    assert fe.dead_count[0] == 1


def test_frontend_cases():
    # dead time counts from the last *accepted* edge: 0 kept, 3 and 6 dead, 10 kept (10 - 0 >= 10)
    oc, ot, dc = core.frontend([1] * 4, [0, 3, 6, 10], dead_time_ps={1: 10})
    assert ot.tolist() == [0, 10] and dc[1] == 2
    # exactly dead_time_ps apart is accepted; dead_time_ps = 0 keeps equal times
    assert core.frontend([0, 0], [0, 5], 5)[1].tolist() == [0, 5]
    assert core.frontend([0, 0], [7, 7], 0)[1].tolist() == [7, 7]
    # disabled channel dropped and not counted; delay reorders the merged stream by (time, channel)
    oc, ot, dc = core.frontend([0, 1, 2], [0, 1, 2], 0, {0: 5, 1: 4}, enable_mask=0b011)
    assert list(zip(oc.tolist(), ot.tolist(), strict=True)) == [(0, 5), (1, 5)] and dc.sum() == 0
    with pytest.raises(ValueError, match=r"raw times of channel 1 decrease at time_ps\[2\]"):
        core.frontend([1, 0, 1], [5, 6, 4])
    with pytest.raises(ValueError, match="overflows int64"):
        core.frontend([0], [2**63 - 10], 0, 11)
    with pytest.raises(ValueError, match="negative"):
        core.frontend([0], [0], -1)


def test_rates_and_trace():
    assert core.rates([0, 3, 3, 1], 4).tolist() == [1, 1, 0, 2]
    assert core.rates([], 2).tolist() == [0, 0]
    with pytest.raises(ValueError, match=r"channel\[1\] = 4 is not a channel 0..3"):
        core.rates([0, 4], 4)
    t = np.array([-5, 0, 9, 10, 35, 2**62], np.int64)
    assert core.trace(t, 10, 0, 4).tolist() == [2, 1, 0, 1]
    assert core.trace(t, 10, -10, 2).tolist() == [1, 2]
    full = core.trace(t[:-1], 10)  # n_bins=None: every event at or after t0
    assert full.tolist() == [2, 1, 0, 1]
    assert core.trace([], 10).tolist() == []
    rng = np.random.default_rng(0)
    x = rng.integers(-(10**6), 10**6, 5000)
    np.testing.assert_array_equal(core.trace(x, 997, -(10**6), 2007),
                                  np.bincount((x + 10**6) // 997, minlength=2007)[:2007])
