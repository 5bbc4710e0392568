"""Detectors: jitter, dark counts, and the exact resolution of dead time, afterpulsing and crosstalk.

Dead time is non-paralysable and per detector: an avalanche at t is accepted iff
t - t_last_accepted >= dead_time. Every *accepted* avalanche may trigger secondary avalanches:
an afterpulse on the same detector (probability p_ap, delay ~ Exp(tau_ap)) and, in a SPAD array,
crosstalk on each neighbour (probability p_xt, delay ~ Exp(mean)). Secondaries are avalanches like
any other (dead time applies to them, they may trigger their own secondaries).

Exactness without a sequential loop: the secondaries every event *would* trigger are drawn up
front (a forest of potential events, each with its parent). The true outcome is the unique fixed
point of "present = primaries + children of accepted events; accepted = dead-time(present)",
because every influence points forward in time. It is found by iterating; dead-time chains are
only worked out inside clusters (runs of same-detector events closer than the dead time), which
are rare at realistic rates, so each pass is cheap.
"""

from __future__ import annotations

import numpy as np

from .config import JITTER_CLIP_SIGMA

MAX_FIXED_POINT_PASSES = 10_000


def jitter_ps(
    rng: np.random.Generator, n: int, sigma_ps: float, tail_fraction: float, tail_ps: float
) -> np.ndarray:
    """Timing jitter: Gaussian core clipped at +-8 sigma plus, for a fraction, an exponential tail."""
    from .emitter import bernoulli_indices

    if sigma_ps > 0.0:
        j = rng.standard_normal(n, dtype=np.float32)
        np.clip(j, -JITTER_CLIP_SIGMA, JITTER_CLIP_SIGMA, out=j)
        j *= np.float32(sigma_ps)
    else:
        j = np.zeros(n, dtype=np.float32)
    if tail_fraction > 0.0 and tail_ps > 0.0:
        tail = bernoulli_indices(rng, tail_fraction, n)
        j[tail] += rng.standard_exponential(tail.size, dtype=np.float32) * np.float32(tail_ps)
    return j


def uniform_events(
    rng: np.random.Generator, rates_cps: np.ndarray, t0_ps: int, t1_ps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events (dark counts, background) with per-channel rates on [t0, t1), unsorted."""
    span = t1_ps - t0_ps
    counts = rng.poisson(np.asarray(rates_cps, dtype=float) * span * 1e-12)
    total = int(counts.sum())
    t = t0_ps + rng.integers(0, max(span, 1), total, dtype=np.int64)
    ch = np.repeat(np.arange(counts.size, dtype=np.uint8), counts)
    return t, ch


def potential_secondaries(
    rng: np.random.Generator,
    t: np.ndarray,
    ch: np.ndarray,
    n_detectors: int,
    p_ap: float,
    tau_ap_ps: float,
    p_xt: float,
    xt_delay_ps: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The forest of secondaries that events (t, ch) would trigger if accepted.

    Returns (time, channel, parent, kind) of the potential secondaries; parent indexes the
    concatenation [events, secondaries]; kind 1 = afterpulse, 2 = crosstalk.
    """
    from .emitter import bernoulli_indices

    ts: list[np.ndarray] = []
    cs: list[np.ndarray] = []
    ps: list[np.ndarray] = []
    ks: list[np.ndarray] = []
    gen_t, gen_c = t, ch
    gen_offset = 0  # index of gen_t[0] in the concatenation
    total = t.size
    while gen_t.size:
        nt: list[np.ndarray] = []
        nc: list[np.ndarray] = []
        npar: list[np.ndarray] = []
        nk: list[np.ndarray] = []
        if p_ap > 0.0:
            i = bernoulli_indices(rng, p_ap, gen_t.size)
            d = np.maximum(np.rint(rng.standard_exponential(i.size) * tau_ap_ps), 1).astype(np.int64)
            nt.append(gen_t[i] + d)
            nc.append(gen_c[i])
            npar.append(gen_offset + i)
            nk.append(np.full(i.size, 1, np.uint8))
        if p_xt > 0.0 and n_detectors > 1:
            for step in (-1, 1):
                i = bernoulli_indices(rng, p_xt, gen_t.size)
                target = gen_c[i].astype(np.int64) + step
                ok = (target >= 0) & (target < n_detectors)
                i, target = i[ok], target[ok]
                d = np.maximum(np.rint(rng.standard_exponential(i.size) * xt_delay_ps), 1).astype(np.int64)
                nt.append(gen_t[i] + d)
                nc.append(target.astype(np.uint8))
                npar.append(gen_offset + i)
                nk.append(np.full(i.size, 2, np.uint8))
        if not nt:
            break
        gen_t = np.concatenate(nt)
        gen_c = np.concatenate(nc)
        ts.append(gen_t)
        cs.append(gen_c)
        ps.append(np.concatenate(npar))
        ks.append(np.concatenate(nk))
        gen_offset = total
        total += gen_t.size
    if not ts:
        e = np.empty(0, dtype=np.int64)
        return e, np.empty(0, dtype=np.uint8), e.copy(), np.empty(0, dtype=np.uint8)
    return np.concatenate(ts), np.concatenate(cs), np.concatenate(ps), np.concatenate(ks)


def resolve(
    t: np.ndarray, ch: np.ndarray, xt: np.ndarray, xch: np.ndarray, xparent: np.ndarray, dead_time_ps: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact non-paralysable dead time with secondaries.

    t, ch: the primary avalanches (photons, dark counts, ...), sorted by time; they exist regardless.
    xt, xch, xparent: extra potential events (any order): parent -1 = exists regardless (e.g. the
    previous chunk's last accepted avalanche), else the index into [primaries, extras] of the
    event whose acceptance creates it, with t[parent] < t.
    Returns (accepted primaries, present extras, accepted extras).

    Only events in clusters (any two consecutive events, over all detectors, closer than the dead
    time) can be rejected, so the per-detector chains are worked out on that subset only.
    """
    n = t.size
    m = xt.size
    acc_p = np.ones(n, dtype=bool)
    x_root = xparent < 0
    if dead_time_ps <= 0:  # nothing is ever rejected: a secondary exists iff its ancestors do
        present_x = _propagate(x_root, xparent, n)
        return acc_p, present_x, present_x.copy()
    # primaries that are in a cluster or within one dead time of an extra event
    near = np.zeros(n, dtype=bool)
    if n > 1:
        close = np.flatnonzero(t[1:] - t[:-1] < dead_time_ps)
        near[close] = True
        near[close + 1] = True
    if m:
        lo = np.searchsorted(t, xt - dead_time_ps, side="left")
        width = np.searchsorted(t, xt + dead_time_ps, side="right") - lo
        total = int(width.sum())
        if total:
            start = np.cumsum(width) - width
            near[np.repeat(lo - start, width) + np.arange(total)] = True
    e_p = np.flatnonzero(near)  # primaries that need the exact treatment
    if not e_p.size and not m:
        return acc_p, np.empty(0, bool), np.empty(0, bool)
    # the subset E = those primaries + all extras, indexed 0..k-1 (primaries first)
    k_p = e_p.size
    et = np.concatenate((t[e_p], xt))
    ec = np.concatenate((ch[e_p], xch))
    # map parents (indices into [primaries, extras]) to E indices; a parent outside E is an isolated
    # primary, always accepted: mark it -2
    to_e = np.full(n, -2, dtype=np.int64)
    to_e[e_p] = np.arange(k_p)
    ep = np.where(xparent < 0, -1, np.where(xparent < n, to_e[np.minimum(xparent, n - 1)], xparent - n + k_p))
    order = np.lexsort((et, ec))  # detector-major, time order inside
    tc = et[order]
    cc = ec[order]
    linked = np.zeros(et.size, dtype=bool)
    linked[1:] = (tc[1:] - tc[:-1] < dead_time_ps) & (cc[1:] == cc[:-1])
    cid = np.cumsum(~linked)
    key = cc.astype(np.int64) << np.int64(50)
    key += tc - tc.min()
    x_sec = np.flatnonzero(ep != -1)  # extras that depend on a parent
    x_par = ep[x_sec]
    present = np.ones(et.size, dtype=bool)
    present[k_p + x_sec] = x_par == -2  # first guess: children of isolated primaries only
    accepted = present
    for _ in range(MAX_FIXED_POINT_PASSES):
        pres_sorted = present[order]
        q = np.flatnonzero(pres_sorted)
        q_key, q_cid = key[q], cid[q]
        acc_sorted = np.zeros(et.size, dtype=bool)
        first = np.ones(q.size, dtype=bool)
        first[1:] = q_cid[1:] != q_cid[:-1]
        anchors = np.flatnonzero(first)
        acc_sorted[q[anchors]] = True
        while anchors.size:
            nxt = np.searchsorted(q_key, q_key[anchors] + dead_time_ps, side="left")
            ok = nxt < q.size
            nxt, anchors = nxt[ok], anchors[ok]
            anchors = nxt[q_cid[nxt] == q_cid[anchors]]
            acc_sorted[q[anchors]] = True
        accepted = np.empty(et.size, dtype=bool)
        accepted[order] = acc_sorted
        if not x_sec.size:
            break
        new = np.where(x_par == -2, True, accepted[np.maximum(x_par, 0)])
        if np.array_equal(new, present[k_p + x_sec]):
            break
        present[k_p + x_sec] = new
    else:  # pragma: no cover - the fixed point is unique and reached in a handful of passes
        raise RuntimeError("dead-time/afterpulse resolution did not converge")
    acc_p[e_p] = accepted[:k_p]
    return acc_p, present[k_p:], accepted[k_p:]


def _propagate(root: np.ndarray, parent: np.ndarray, n_prim: int) -> np.ndarray:
    """Presence of extras when nothing is rejected: an extra exists iff its parent does."""
    present = root.copy()
    sec = np.flatnonzero(~root)
    par = parent[sec]
    while True:
        new = np.where(par < n_prim, True, present[np.maximum(par - n_prim, 0)])
        if np.array_equal(new, present[sec]):
            return present
        present[sec] = new
