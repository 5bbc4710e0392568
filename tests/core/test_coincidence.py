"""Coincidences, heralded g2 and g3 (g2live.coincidence) against plain references written from
their definitions, on random and adversarial streams (ties, window edges, chunk boundaries)."""

from __future__ import annotations

import numpy as np
import pytest
from g2live import coincidence as co
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

I64_MIN, I64_MAX = -(2**63), 2**63 - 1


def ref_coincidences(ch, t, sets, w) -> list[int]:
    out = [0] * len(sets)
    for j in range(len(t)):
        for s, chans in enumerate(sets):
            if ch[j] not in chans:
                continue
            others = set(chans) - {ch[j]}
            if all(any(ch[i] == c and 0 <= int(t[j]) - int(t[i]) <= w for i in range(j)) for c in others):
                out[s] += 1
    return out


def ref_heralded(ch, t, h, a, b, w, off) -> tuple[int, int, int, int]:
    n = na = nb = nab = 0
    ta = [int(x) for c, x in zip(ch, t, strict=True) if c == a]
    tb = [int(x) for c, x in zip(ch, t, strict=True) if c == b]
    for c, x in zip(ch, t, strict=True):
        if c != h:
            continue
        lo, hi = int(x) + off, int(x) + off + w
        ha, hb = any(lo <= y < hi for y in ta), any(lo <= y < hi for y in tb)
        n, na, nb, nab = n + 1, na + ha, nb + hb, nab + (ha and hb)
    return n, na, nb, nab


def ref_g3(ch, t, a, b, c, bw, nbins, off) -> np.ndarray:
    lo = off - (nbins // 2) * bw
    hist = np.zeros((nbins, nbins), np.int64)
    tb = [int(x) for k, x in zip(ch, t, strict=True) if k == b]
    tc = [int(x) for k, x in zip(ch, t, strict=True) if k == c]
    for k, x in zip(ch, t, strict=True):
        if k != a:
            continue
        for y in tb:
            i = (y - int(x) - lo) // bw
            if 0 <= i < nbins:
                for z in tc:
                    j = (z - int(x) - lo) // bw
                    if 0 <= j < nbins:
                        hist[i, j] += 1
    return hist


@st.composite
def streams(draw, max_size: int = 30):
    """Clustered times (ties and exact window edges), spread times, and times at the int64 limits."""
    lo, hi = draw(st.sampled_from([(0, 30), (0, 400), (I64_MAX - 60, I64_MAX), (I64_MIN, I64_MIN + 60)]))
    n = draw(st.integers(0, max_size))
    t = sorted(draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n)))
    ch = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=5)))
    return np.array(ch, np.uint8), np.array(t, np.int64), cuts


def feed(obj, ch, t, cuts) -> None:
    bounds = [0, *cuts, len(t)]
    for k in range(len(bounds) - 1):
        obj.update(ch[bounds[k]:bounds[k + 1]], t[bounds[k]:bounds[k + 1]])


SETS = [(0, 1), (1, 2, 3), (0, 1, 2, 3), (2, 0)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams(), st.integers(0, 25))
def test_coincidences_match_reference(stream, w):
    ch, t, cuts = stream
    c = co.Coincidences(SETS, w)
    feed(c, ch, t, cuts)
    assert c.counts().tolist() == ref_coincidences(ch.tolist(), t, SETS, w)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams(), st.integers(1, 30), st.integers(-30, 30), st.permutations([0, 1, 2, 3]))
def test_heralded_matches_reference(stream, w, off, roles):
    ch, t, cuts = stream
    h, a, b = roles[:3]
    g = co.HeraldedG2(h, a, b, w, off)
    feed(g, ch, t, cuts)
    g.flush()
    r = g.result()
    assert (r.n_herald, r.n_a, r.n_b, r.n_ab) == ref_heralded(ch.tolist(), t, h, a, b, w, off)
    assert g.pending == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams(), st.integers(1, 12), st.integers(1, 7), st.integers(-20, 20), st.permutations([0, 1, 2, 3]))
def test_g3_matches_reference(stream, bw, nbins, off, roles):
    ch, t, cuts = stream
    a, b, c = roles[:3]
    g = co.G3(a, b, c, bw, nbins, off)
    feed(g, ch, t, cuts)
    g.flush()
    np.testing.assert_array_equal(g.histogram(), ref_g3(ch.tolist(), t, a, b, c, bw, nbins, off))


def test_windows_close_only_when_the_stream_has_passed_them():
    g = co.HeraldedG2(0, 1, 2, 100, 0)
    g.update([0, 1], [0, 50])
    assert g.pending == 1 and g.result().n_herald == 0
    g.update([2], [99])  # still inside [0, 100)
    assert g.pending == 1
    g.update([1], [100])  # at the end: outside, and closes the window
    assert g.pending == 0 and g.result() == co.HeraldedResult(1, 1, 1, 1)


def test_heralded_source_g2_on_a_long_stream():
    """A heralded single-photon source (one photon per herald, split 50/50) plus accidental
    background: heralded g2 well below 1; with two photons per herald it is ~1 or above."""
    rng = np.random.default_rng(4)
    n = 200_000
    th = np.cumsum(rng.exponential(1e6, n)).astype(np.int64)  # 1 MHz heralds
    det = np.where(rng.random(n) < 0.5, 1, 2).astype(np.uint8)
    keep = rng.random(n) < 0.3
    tp = th[keep] + 5_000
    noise_t = np.sort(rng.integers(0, int(th[-1]), 20_000))
    noise_c = rng.integers(1, 3, noise_t.size).astype(np.uint8)
    t = np.concatenate([th, tp, noise_t])
    ch = np.concatenate([np.zeros(n, np.uint8), det[keep], noise_c])
    order = np.lexsort((ch, t))
    g = co.HeraldedG2(0, 1, 2, 2_000, 4_000)
    for part in np.array_split(order, 9):
        g.update(ch[part], t[part])
    g.flush()
    r = g.result()
    assert r.n_herald == n and r.n_a > 20_000 and r.n_b > 20_000
    assert r.g2 < 0.05 and r.g2_error < 0.05


def test_errors():
    with pytest.raises(ValueError, match="at least 2 distinct"):
        co.Coincidences([(1, 1)], 10)
    with pytest.raises(ValueError, match="window_ps must be >= 0"):
        co.Coincidences([(0, 1)], -1)
    with pytest.raises(ValueError, match="three distinct"):
        co.HeraldedG2(0, 0, 1, 10)
    with pytest.raises(ValueError, match="three distinct"):
        co.G3(0, 1, 1, 10, 4)
    c = co.Coincidences([(0, 1)], 10)
    c.update([0], [5])
    with pytest.raises(ValueError, match="stream order"):
        c.update([1, 1], [6, 4])
    assert c.counts().tolist() == [0]
    c.update([1], [6])
    assert c.counts().tolist() == [1]
