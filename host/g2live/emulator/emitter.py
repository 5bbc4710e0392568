# SPDX-License-Identifier: BSD-3-Clause
"""The emitter: exciton / biexciton cascade with Auger relaxation of multiexcitons.

Pulsed: a pulse with N = 1 leaves an exciton X that emits with probability QY_X after an
exponential delay (tau_x). A pulse with N >= 2 leaves (after instantaneous Auger relaxation of
N >= 3) a biexciton BX that emits with probability QY_BX = qy_ratio * QY_X after an exponential
delay (tau_bx, radiative or not) and then the exciton cascade continues as for N = 1.

Only pulses with at least one *detected* photon are drawn: the indices of such pulses are a
Bernoulli process, drawn through its geometric gaps, so the cost follows the detected rate, not
the laser repetition rate. The per-pulse loop is compiled (cext/src/g2l_emulate.c).
The detection probability `a` (X) and `b` (BX) per emitted photon already contains QY,
collection and detector efficiency, and the blinking state's QY factor (the emulator draws the
pulses of each blinking state separately; CW photons are thinned instead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import kernels
from .excitation import poisson_outcome
from .kernels import seed_from

__all__ = [
    "KIND_BX",
    "KIND_X",
    "CwEmitter",
    "bernoulli_indices",
    "cascade_params",
    "pulsed_detections",
]

KIND_X = 0
KIND_BX = 1


def bernoulli_indices(rng: np.random.Generator, p: float, n: int) -> np.ndarray:
    """Sorted indices in [0, n) of the successes of n Bernoulli(p) trials, via geometric gaps
    G = floor(E / -ln(1 - p)) + 1 with E ~ Exp(1) (compiled kernel)."""
    if n <= 0 or p <= 0.0:
        return np.empty(0, dtype=np.int64)
    if p >= 1.0:
        return np.arange(n, dtype=np.int64)
    cap = int(n * p + 6.0 * math.sqrt(n * p) + 16)
    return kernels.core.emu_bernoulli(seed_from(rng), p, n, cap)


def cascade_params(
    mean_excitons: float, a: float, b: float, tau_x_ps: float, tau_bx_ps: float
) -> list[float]:
    """Per-pulse parameters of the cascade: (p_any, c0, c1, c2, tau_x, tau_bx).

    a, b: probability that an emitted X / BX photon is detected. Outcome probabilities per pulse:
    X after N = 1, X only after N >= 2, BX only, both; p_any is their sum and c0 < c1 < c2 their
    cumulative sums, so one uniform number in [0, p_any) picks the outcome.
    """
    o = poisson_outcome(mean_excitons)
    probs = np.array([o.p1 * a, o.p_ge2 * a * (1 - b), o.p_ge2 * b * (1 - a), o.p_ge2 * a * b])
    c = np.cumsum(probs)
    return [min(float(c[-1]), 1.0), float(c[0]), float(c[1]), float(c[2]), float(tau_x_ps), float(tau_bx_ps)]


def pulsed_detections(
    rng: np.random.Generator, cascade: np.ndarray, det: tuple, channel_delay_ps: np.ndarray,
    seg_first: np.ndarray, seg_len: np.ndarray, seg_state: np.ndarray, origin_ps: int, period_ps: int,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Tags of the detected photons of the pulses seg_first[j] .. seg_first[j] + seg_len[j] (pulse k at
    origin_ps + k * period_ps), segment j drawn with the cascade parameters cascade[seg_state[j]]
    (`cascade_params`, one row per blinking state) and the detector step `det`
    (`detectors.detector_params`). Returns (time, channel) in pulse order and the number of photons
    that missed the SPAD array (compiled kernel: cext/src/g2l_emulate.c).
    """
    cascade = np.ascontiguousarray(cascade, dtype=np.float64).reshape(-1, 6)
    seg_len = np.ascontiguousarray(seg_len, dtype=np.int64)
    seg_state = np.ascontiguousarray(seg_state, dtype=np.uint8)
    # expected photons: pulses with a detection + the second photon of "both" outcomes
    per_pulse = cascade[:, 0] + cascade[:, 0] - cascade[:, 3]
    mean = float(np.dot(seg_len, per_pulse[seg_state])) if seg_len.size else 0.0
    cap = int(mean + 6.0 * math.sqrt(mean) + 64)
    return kernels.core.emu_pulsed(
        seed_from(rng), cascade, det, channel_delay_ps, np.ascontiguousarray(seg_first, dtype=np.int64),
        seg_len, seg_state, int(origin_ps), int(period_ps), cap,
    )


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
        chain = _CwChain.of(g_hz, tau_x_ps, tau_bx_ps)
        times: list[np.ndarray] = []
        kinds: list[np.ndarray] = []
        rel = start - t0_ps
        span = t1_ps - t0_ps
        while rel < span:
            x_t, bx_t, rel, complete = chain.detected(rng, rel, span, a, b)
            times += [x_t, bx_t]
            kinds += [np.full(x_t.size, KIND_X, np.uint8), np.full(bx_t.size, KIND_BX, np.uint8)]
            if complete:
                break
        self.next_start_ps = t0_ps + rel
        if not times:
            return np.empty(0), np.empty(0, dtype=np.uint8)
        return np.concatenate(times), np.concatenate(kinds)


@dataclass(frozen=True)
class _CwChain:
    """Rates of the CW chain, per ps: excitation g, exciton decay gx; q = P(X decays before it is
    excited to BX); the mean cycle length."""

    g: float
    gx: float
    q: float
    tau_bx_ps: float
    mean_cycle: float

    @classmethod
    def of(cls, g_hz: float, tau_x_ps: float, tau_bx_ps: float) -> _CwChain:
        g = g_hz * 1e-12  # per ps
        gx = 1.0 / tau_x_ps
        q = gx / (g + gx)  # from X: decay to G (vs excitation to BX)
        mean_cycle = 1.0 / g + (1.0 / (g + gx) + (1.0 - q) / q * (1.0 / (g + gx) + tau_bx_ps))
        return cls(g, gx, q, tau_bx_ps, mean_cycle)

    def cycles(
        self, rng: np.random.Generator, rel: float, span: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
        """A batch of cycles from ``rel``: state-change times, each one's position in its cycle, cycle
        starts (indices) and lengths, and the batch size m. Position 0 is the wait in G, odd positions
        X (ending in a photon for the last one), even positions >= 2 BX (ending in a BX photon)."""
        m = min(int((span - rel) / self.mean_cycle * 1.05) + 16, 1 << 18)  # bounded memory per batch
        loops = rng.geometric(self.q, m) - 1  # BX visits per cycle
        lengths = 2 + 2 * loops
        total = int(lengths.sum())
        first = np.cumsum(lengths) - lengths
        pos = np.arange(total) - np.repeat(first, lengths)
        scale = np.where(pos % 2 == 1, 1.0 / (self.g + self.gx), self.tau_bx_ps)
        scale[first] = 1.0 / self.g
        t = rel + np.cumsum(rng.standard_exponential(total) * scale)
        return t, pos, first, lengths, m

    def detected(
        self, rng: np.random.Generator, rel: float, span: float, a: float, b: float
    ) -> tuple[np.ndarray, np.ndarray, float, bool]:
        """Detected X and BX photon times of the cycles starting before ``span``, the end of the last
        one, and whether that batch reached past ``span``."""
        t, pos, first, lengths, m = self.cycles(rng, rel, span)
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
        return x_t, bx_t, (float(ends[keep - 1]) if keep else rel), keep < m
