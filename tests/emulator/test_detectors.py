# SPDX-License-Identifier: BSD-3-Clause
"""Detector model: exact dead time with afterpulsing and crosstalk against a sequential reference."""

from __future__ import annotations

import heapq

import numpy as np
import pytest
from g2live.emulator.blinking import powerlaw_mean, sample_powerlaw
from g2live.emulator.detectors import jitter_ps, potential_secondaries, resolve
from g2live.emulator.emitter import bernoulli_indices


def sequential_reference(t, ch, xt, xch, xparent, dead):
    """Event-by-event simulation: pop the earliest avalanche; accept it if its detector is live; an
    accepted avalanche releases its pre-drawn secondaries into the queue."""
    n = t.size
    all_t = np.concatenate((t, xt))
    all_c = np.concatenate((ch, xch))
    children: dict[int, list[int]] = {}
    heap = [(int(t[i]), int(ch[i]), i) for i in range(n)]
    for j, p in enumerate(xparent):
        if p >= 0:
            children.setdefault(int(p), []).append(n + j)
        else:
            heap.append((int(xt[j]), int(xch[j]), n + j))
    heapq.heapify(heap)
    present = np.zeros(n + xt.size, dtype=bool)
    accepted = np.zeros(n + xt.size, dtype=bool)
    last: dict[int, int] = {}
    while heap:
        tt, c, i = heapq.heappop(heap)
        present[i] = True
        if c not in last or tt - last[c] >= dead:
            accepted[i] = True
            last[c] = tt
            for k in children.get(i, []):
                heapq.heappush(heap, (int(all_t[k]), int(all_c[k]), k))
    return accepted[:n], present[n:], accepted[n:]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("dead", [0, 50, 400])
def test_resolve_matches_sequential(seed: int, dead: int) -> None:
    rng = np.random.default_rng(seed)
    n_det = 4
    n = 3000
    t = np.sort(rng.integers(0, 200_000, n))  # mean spacing ~67 ps: many dead-time conflicts
    ch = rng.integers(0, n_det, n).astype(np.uint8)
    xt, xc, xp, _ = potential_secondaries(rng, t, ch, n_det, 0.3, 300.0, 0.2, 40.0)
    # one "last accepted avalanche of the previous chunk" per detector, just before the data
    xt = np.concatenate((xt, -rng.integers(1, 300, n_det)))
    xc = np.concatenate((xc, np.arange(n_det, dtype=np.uint8)))
    xp = np.concatenate((xp, np.full(n_det, -1)))
    assert xp.max() < n + xt.size and (xp[xp >= 0] < n + xt.size).all()
    got = resolve(t, ch, xt, xc, xp, dead)
    want = sequential_reference(t, ch, xt, xc, xp, dead)
    names = ("accepted primaries", "present extras", "accepted extras")
    for g, w, name in zip(got, want, names, strict=True):
        assert np.array_equal(g, w), f"{name} differ at {np.flatnonzero(g != w)[:10]}"
    if dead:
        assert not got[0].all()  # the test data really exercises the dead time


def test_resolve_equal_times_first_wins() -> None:
    t = np.array([100, 100, 100, 150], dtype=np.int64)
    ch = np.array([0, 0, 1, 0], dtype=np.uint8)
    e = np.empty(0, dtype=np.int64)
    acc, _, _ = resolve(t, ch, e, e.astype(np.uint8), e, 60)
    assert acc.tolist() == [True, False, True, False]


def test_secondary_forest_statistics() -> None:
    rng = np.random.default_rng(3)
    n = 200_000
    t = np.sort(rng.integers(0, 10**9, n))
    ch = np.full(n, 2, dtype=np.uint8)
    p_ap, p_xt = 0.1, 0.05
    xt, xc, xp, kind = potential_secondaries(rng, t, ch, 5, p_ap, 1000.0, p_xt, 40.0)
    # every potential event triggers on average p_ap + 2 p_xt children: total = n q / (1 - q)
    q = p_ap + 2 * p_xt
    expect = n * q / (1 - q)
    assert abs(xt.size - expect) < 5 * np.sqrt(expect / (1 - q) ** 2)
    assert np.all(xt > np.concatenate((t, xt))[xp])  # children come strictly after their parents
    ap = kind == 1
    assert np.array_equal(xc[ap], np.concatenate((ch, xc))[xp[ap]])  # afterpulses on the same detector
    xtk = ~ap
    assert np.all(np.abs(xc[xtk].astype(int) - np.concatenate((ch, xc))[xp[xtk]].astype(int)) == 1)
    d = (xt - np.concatenate((t, xt))[xp])[ap]
    assert abs(d.mean() - 1000.0) < 5 * 1000.0 / np.sqrt(d.size)


def test_bernoulli_indices_is_a_bernoulli_process() -> None:
    rng = np.random.default_rng(5)
    n, p = 5_000_000, 0.013
    idx = bernoulli_indices(rng, p, n)
    assert idx.size == np.unique(idx).size and idx.min() >= 0 and idx.max() < n
    assert abs(idx.size - n * p) < 5 * np.sqrt(n * p * (1 - p))
    # independent trials: the occupation of even and odd slots is the same, and gaps are geometric
    assert abs(np.count_nonzero(idx % 2) - idx.size / 2) < 5 * np.sqrt(idx.size / 4)
    gaps = np.diff(idx)
    p1 = np.mean(gaps == 1)
    assert abs(p1 - p) < 5 * np.sqrt(p * (1 - p) / gaps.size)
    assert bernoulli_indices(rng, 1.0, 7).tolist() == list(range(7))
    assert bernoulli_indices(rng, 0.0, 7).size == 0


def test_jitter_shape() -> None:
    rng = np.random.default_rng(9)
    n = 400_000
    sigma, frac, tail = 30.0, 0.2, 200.0
    j = jitter_ps(rng, n, sigma, frac, tail).astype(float)
    assert j.min() >= -8 * sigma
    # mean = frac * tail; variance = sigma^2 + frac * tail^2 * (2 - frac)
    var = sigma**2 + frac * tail**2 * (2 - frac)
    assert abs(j.mean() - frac * tail) < 5 * np.sqrt(var / n)
    core = j[j < 0]  # negative values come from the Gaussian core only (half of the core + ...)
    assert abs(core.size / n - 0.5 * (1 - frac) - frac * _p_neg_tail(sigma, tail)) < 5 * np.sqrt(0.25 / n)


def _p_neg_tail(sigma: float, tau: float) -> float:
    """P(sigma Z + Exp(tau) < 0)."""
    from scipy import stats

    return float(stats.exponnorm.cdf(0.0, tau / sigma, scale=sigma))


@pytest.mark.parametrize("alpha", [0.5, 1.0, 1.6, 2.0, 2.5])
def test_powerlaw_dwell_sampling(alpha: float) -> None:
    rng = np.random.default_rng(int(alpha * 10))
    t_min, t_max = 1.0, 1e4
    x = sample_powerlaw(rng, alpha, t_min, t_max, 400_000)
    assert x.min() >= t_min and x.max() <= t_max
    mean = powerlaw_mean(alpha, t_min, t_max)
    assert abs(x.mean() - mean) < 5 * x.std() / np.sqrt(x.size)
    # the log-log slope of the density is -alpha
    h, e = np.histogram(x, bins=np.geomspace(t_min, t_max, 9))
    dens = h / np.diff(e)
    slope = np.polyfit(np.log(np.sqrt(e[1:] * e[:-1])), np.log(dens), 1)[0]
    assert abs(slope + alpha) < 0.05


def test_blinking_is_continuous_across_calls() -> None:
    from dataclasses import replace

    from g2live.emulator import EmulatorConfig
    from g2live.emulator.blinking import Blinking

    cfg = replace(EmulatorConfig(), blinking="exponential", on_mean_ms=1.0, off_mean_ms=1.0)
    b = Blinking(cfg, np.random.default_rng(1))
    t = np.arange(0, 10**11, 10**6, dtype=np.int64)  # 0.1 s in 1 us steps
    whole, _ = Blinking(cfg, np.random.default_rng(1)).factor_at(t, 0, 10**11)
    parts = [b.factor_at(t[i: i + 7000], int(t[i]), int(t[min(i + 7000, t.size - 1)]) + 1)[0]
             for i in range(0, t.size, 7000)]
    assert np.array_equal(np.concatenate(parts), whole)
    switches = np.count_nonzero(np.diff(whole))
    assert abs(switches - 100) < 5 * np.sqrt(100)  # one switch per mean dwell (1 ms)
