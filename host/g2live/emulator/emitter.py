"""The emitter: exciton / biexciton cascade with Auger relaxation of multiexcitons.

Pulsed: a pulse with N = 1 leaves an exciton X that emits with probability QY_X after an
exponential delay (tau_x). A pulse with N >= 2 leaves (after instantaneous Auger relaxation of
N >= 3) a biexciton BX that emits with probability QY_BX = qy_ratio * QY_X after an exponential
delay (tau_bx, radiative or not) and then the exciton cascade continues as for N = 1.

Only pulses with at least one *detected* photon are drawn: the indices of such pulses are a
Bernoulli process, drawn through its geometric gaps, so the cost follows the detected rate, not
the laser repetition rate. The detection probability `a` (X) and `b` (BX) per emitted photon
already contains QY, collection and detector efficiency, and the blinking state's QY factor (the
emulator draws the pulses of each blinking state separately; CW photons are thinned instead).
"""

from __future__ import annotations

import math

import numpy as np

from .excitation import poisson_outcome

KIND_X = 0
KIND_BX = 1


def bernoulli_indices(rng: np.random.Generator, p: float, n: int) -> np.ndarray:
    """Sorted indices in [0, n) of the successes of n Bernoulli(p) trials, via geometric gaps."""
    if n <= 0 or p <= 0.0:
        return np.empty(0, dtype=np.int64)
    if p >= 1.0:
        return np.arange(n, dtype=np.int64)
    inv_lam = -1.0 / math.log1p(-p)  # gap G = floor(E / lam) + 1 with E ~ Exp(1) is Geometric(p)
    out: list[np.ndarray] = []
    pos = -1
    while True:
        m = int((n - 1 - pos) * p + 6.0 * math.sqrt((n - pos) * p) + 16)
        x = rng.standard_exponential(m)
        x *= inv_lam
        x += 1.0
        idx = x.astype(np.int64)  # truncation of a positive number: floor
        np.cumsum(idx, out=idx)
        idx += pos
        if idx[-1] >= n:
            out.append(idx[: np.searchsorted(idx, n)])
            break
        out.append(idx)
        pos = int(idx[-1])
    return np.concatenate(out) if len(out) > 1 else out[0]


def pulsed_detections(
    rng: np.random.Generator, mean_excitons: float, a: float, b: float, n_pulses: int,
    tau_x_ps: float, tau_bx_ps: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Detected photons of n_pulses pulses: (pulse index, delay after the pulse in ps, kind).

    a, b: probability that an emitted X / BX photon is detected (ON state).
    """
    o = poisson_outcome(mean_excitons)
    # per pulse: X-only after N=1, X-only after N>=2, BX-only, both
    probs = np.array([o.p1 * a, o.p_ge2 * a * (1 - b), o.p_ge2 * b * (1 - a), o.p_ge2 * a * b])
    p_any = float(probs.sum())
    cum = np.cumsum(probs)[:-1].astype(np.float32)
    if p_any > 0.3:  # dense: one uniform per pulse decides both "anything detected" and the outcome
        u = rng.random(n_pulses, dtype=np.float32)
        pulses = np.flatnonzero(u < np.float32(p_any))
        u = u[pulses]
    else:  # sparse: geometric gaps between pulses with a detection, then the outcome
        pulses = bernoulli_indices(rng, p_any, n_pulses)
        u = rng.random(pulses.size, dtype=np.float32)
        u *= np.float32(p_any)
    n = pulses.size
    if n == 0:
        e = np.empty(0, dtype=np.int64)
        return e, np.empty(0, dtype=np.float32), np.empty(0, dtype=np.uint8)
    # exciton delay for every pulse (pulses whose only detected photon is the BX drop it below)
    d_x = rng.standard_exponential(n, dtype=np.float32)
    d_x *= np.float32(tau_x_ps)
    multi = np.flatnonzero(u >= cum[0])  # N >= 2: the biexciton decays first
    um = u[multi]
    sub = (um >= cum[1]).view(np.uint8) + (um >= cum[2]).view(np.uint8)  # 0 X only, 1 BX only, 2 both
    d_bx = rng.standard_exponential(multi.size, dtype=np.float32)
    d_bx *= np.float32(tau_bx_ps)
    d_x[multi] += d_bx  # the exciton starts when the biexciton has decayed
    bx_only = multi[sub == 1]
    if bx_only.size:
        keep = np.ones(n, dtype=bool)
        keep[bx_only] = False
        px, dx = pulses[keep], d_x[keep]
    else:
        px, dx = pulses, d_x
    has_bx = sub >= 1
    pb, db = pulses[multi[has_bx]], d_bx[has_bx]
    kind = np.zeros(px.size + pb.size, dtype=np.uint8)
    kind[px.size:] = KIND_BX
    return np.concatenate((px, pb)), np.concatenate((dx, db)), kind


class CwEmitter:
    """Continuous-wave excitation: the exact continuous-time Markov chain G -> X <-> BX -> ... -> G.

    From the ground state G the dot is excited at rate g; from X it decays (rate 1/tau_x) or is
    excited to BX (rate g); BX decays to X at rate 1/tau_bx (excitation of BX leads by Auger
    back to BX, i.e. nothing changes). Each return to G closes an i.i.d. cycle, so cycles are
    drawn in bulk: cycle = [wait in G] [X] ([BX] [X]) * L with L geometric.
    """

    def __init__(self) -> None:
        self.next_start_ps = 0.0  # when the emitter is next in the ground state (carried over chunks)

    def emissions(
        self, rng: np.random.Generator, g_hz: float, tau_x_ps: float, tau_bx_ps: float, a: float, b: float,
        t0_ps: float, t1_ps: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Detected-photon emission times (float64 ps, relative to t0_ps) and kinds of the cycles starting
        in [t0, t1); later cycles are left for the next call."""
        start = max(self.next_start_ps, t0_ps)
        if g_hz <= 0.0:
            self.next_start_ps = max(start, t1_ps)
            return np.empty(0), np.empty(0, dtype=np.uint8)
        g = g_hz * 1e-12  # per ps
        gx = 1.0 / tau_x_ps
        q = gx / (g + gx)  # from X: decay to G (vs excitation to BX)
        mean_cycle = 1.0 / g + (1.0 / (g + gx) + (1.0 - q) / q * (1.0 / (g + gx) + tau_bx_ps))
        times: list[np.ndarray] = []
        kinds: list[np.ndarray] = []
        rel = start - t0_ps
        span = t1_ps - t0_ps
        while rel < span:
            m = min(int((span - rel) / mean_cycle * 1.05) + 16, 1 << 18)  # bounded memory per batch
            loops = rng.geometric(q, m) - 1  # BX visits per cycle
            lengths = 2 + 2 * loops
            total = int(lengths.sum())
            first = np.cumsum(lengths) - lengths
            pos = np.arange(total) - np.repeat(first, lengths)
            scale = np.where(pos % 2 == 1, 1.0 / (g + gx), tau_bx_ps)
            scale[first] = 1.0 / g
            t = rel + np.cumsum(rng.standard_exponential(total) * scale)
            ends = t[first + lengths - 1]
            cycle_starts = np.concatenate(([rel], ends[:-1]))
            keep = int(np.searchsorted(cycle_starts, span, side="left"))  # cycles that start before t1
            n_pos = int(first[keep - 1] + lengths[keep - 1]) if keep else 0
            t, pos, lengths_k = t[:n_pos], pos[:n_pos], lengths[:keep]
            is_bx = (pos >= 2) & (pos % 2 == 0)
            is_x = np.zeros(n_pos, dtype=bool)
            is_x[(first[:keep] + lengths_k - 1)] = True
            bx_t = t[is_bx]
            bx_t = bx_t[rng.random(bx_t.size) < b]
            x_t = t[is_x]
            x_t = x_t[rng.random(x_t.size) < a]
            times += [x_t, bx_t]
            kinds += [np.full(x_t.size, KIND_X, np.uint8), np.full(bx_t.size, KIND_BX, np.uint8)]
            rel = float(ends[keep - 1]) if keep else rel
            if keep < m:
                break
        self.next_start_ps = t0_ps + rel
        if not times:
            return np.empty(0), np.empty(0, dtype=np.uint8)
        return np.concatenate(times), np.concatenate(kinds)
