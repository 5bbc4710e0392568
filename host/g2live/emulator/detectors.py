# SPDX-License-Identifier: BSD-3-Clause
"""Detectors: jitter, dark counts, and the exact resolution of dead time, afterpulsing and crosstalk.

Dead time is non-paralysable and per detector: an avalanche at t is accepted iff
t - t_last_accepted >= dead_time. Every *accepted* avalanche may trigger secondary avalanches:
an afterpulse on the same detector (probability p_ap, delay ~ Exp(tau_ap)) and, in a SPAD array,
crosstalk on each neighbour (probability p_xt, delay ~ Exp(mean)). Secondaries are avalanches like
any other (dead time applies to them, they may trigger their own secondaries).

The secondaries every event *would* trigger are drawn up front (a forest of potential events,
each with its parent); `resolve` then walks all avalanches in time order, event by event, in a
compiled loop (cext/src/g2l_emulate.c): an avalanche is recorded iff its detector is live, and a
recorded avalanche releases its children. Every influence points forward in time, so this is the
exact outcome. The per-photon optics and detector steps (`detect`) are compiled too.
"""

from __future__ import annotations

import numpy as np

from .config import JITTER_CLIP_SIGMA, EmulatorConfig
from .emitter import bernoulli_indices
from .kernels import core, seed_from
from .spectra import line_params

__all__ = [
    "detect",
    "detector_params",
    "jitter_ps",
    "potential_secondaries",
    "resolve",
    "uniform_events",
]


def jitter_ps(
    rng: np.random.Generator, n: int, sigma_ps: float, tail_fraction: float, tail_ps: float
) -> np.ndarray:
    """Timing jitter: Gaussian core clipped at +-8 sigma plus, for a fraction, an exponential tail."""
    sigma = max(sigma_ps, 0.0)
    return core.emu_jitter(seed_from(rng), int(n), sigma, JITTER_CLIP_SIGMA, tail_fraction, tail_ps)


def detector_params(cfg: EmulatorConfig) -> tuple[tuple, np.ndarray]:
    """The optics + detector step of the kernels: (parameter tuple, cable delay per channel)."""
    lines = [line_params(cfg, k) for k in (0, 1)]
    spectro = cfg.mode == "spectro"
    det = (
        spectro, float(cfg.split_ratio), tuple(x[0] for x in lines), tuple(x[1] for x in lines),
        tuple(x[2] for x in lines), float(cfg.pixel_edges_ev()[0]), cfg.pixel_width_mev * 1e-3,
        int(cfg.n_pixels if spectro else 0), cfg.jitter_sigma_ps, JITTER_CLIP_SIGMA, cfg.jitter_tail_fraction,
        cfg.jitter_tail_ps,
    )
    return det, np.asarray(cfg.delays_ps, dtype=np.float64)


def detect(
    rng: np.random.Generator, cfg: EmulatorConfig, base: np.ndarray, delay: np.ndarray, kind: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Optics and detectors for each photon (pulse or cycle time `base` in ps + emission `delay`):
    channel (HBT: detector 0 with probability split_ratio; spectro: the pixel of the photon's energy,
    photons off the array are dropped), then the tag time with jitter and cable delay, rounded to the
    ps. Returns (time, channel) in input order (compiled kernel)."""
    det, delays = detector_params(cfg)
    return core.emu_detect(
        seed_from(rng), det, delays, np.ascontiguousarray(base, dtype=np.int64),
        np.ascontiguousarray(delay, dtype=np.float64), np.ascontiguousarray(kind, dtype=np.uint8),
    )


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


_Events = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # time, channel, parent, kind


def _afterpulses(
    rng: np.random.Generator, gen_t: np.ndarray, gen_c: np.ndarray, offset: int, p_ap: float, tau_ap_ps: float
) -> _Events:
    """Afterpulses (kind 1) on the same detector, delay ~ Exp(tau_ap)."""
    i = bernoulli_indices(rng, p_ap, gen_t.size)
    d = np.maximum(np.rint(rng.standard_exponential(i.size) * tau_ap_ps), 1).astype(np.int64)
    return gen_t[i] + d, gen_c[i], offset + i, np.full(i.size, 1, np.uint8)


def _crosstalk(
    rng: np.random.Generator, gen_t: np.ndarray, gen_c: np.ndarray, offset: int, p_xt: float,
    xt_delay_ps: float, n_detectors: int, step: int,
) -> _Events:
    """Crosstalk (kind 2) onto the neighbour ``step`` (-1 or +1) pixels away, delay ~ Exp(mean)."""
    i = bernoulli_indices(rng, p_xt, gen_t.size)
    target = gen_c[i].astype(np.int64) + step
    ok = (target >= 0) & (target < n_detectors)
    i, target = i[ok], target[ok]
    d = np.maximum(np.rint(rng.standard_exponential(i.size) * xt_delay_ps), 1).astype(np.int64)
    return gen_t[i] + d, target.astype(np.uint8), offset + i, np.full(i.size, 2, np.uint8)


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
    """The forest of secondaries that events (t, ch) would trigger if accepted, generation by
    generation (secondaries of secondaries too).

    Parameters
    ----------
    rng : numpy.random.Generator
        The emulator's generator.
    t, ch : numpy.ndarray
        The primary events.
    n_detectors : int
        Detectors (pixels) for crosstalk neighbours.
    p_ap, tau_ap_ps : float
        Afterpulse probability per avalanche and mean delay.
    p_xt, xt_delay_ps : float
        Crosstalk probability per avalanche and neighbour, and mean delay.

    Returns
    -------
    tuple of numpy.ndarray
        (time, channel, parent, kind) of the potential secondaries; parent indexes the
        concatenation [events, secondaries]; kind 1 = afterpulse, 2 = crosstalk.
    """
    gens: list[_Events] = []
    gen_t, gen_c = t, ch
    gen_offset = 0  # index of gen_t[0] in the concatenation
    total = t.size
    while gen_t.size:
        parts = [_afterpulses(rng, gen_t, gen_c, gen_offset, p_ap, tau_ap_ps)] if p_ap > 0.0 else []
        if p_xt > 0.0 and n_detectors > 1:
            for step in (-1, 1):
                parts.append(_crosstalk(rng, gen_t, gen_c, gen_offset, p_xt, xt_delay_ps, n_detectors, step))
        if not parts:
            break
        gen = tuple(np.concatenate(column) for column in zip(*parts, strict=True))
        gens.append(gen)
        gen_t, gen_c = gen[0], gen[1]
        gen_offset = total
        total += gen_t.size
    if not gens:
        e = np.empty(0, dtype=np.int64)
        return e, np.empty(0, dtype=np.uint8), e.copy(), np.empty(0, dtype=np.uint8)
    return tuple(np.concatenate(column) for column in zip(*gens, strict=True))


def resolve(
    t: np.ndarray, ch: np.ndarray, xt: np.ndarray, xch: np.ndarray, xparent: np.ndarray, dead_time_ps: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact non-paralysable dead time with secondaries.

    t, ch: the primary avalanches (photons, dark counts, ...), sorted by time; they exist regardless.
    xt, xch, xparent: extra potential events (any order): parent -1 = exists regardless (e.g. the
    previous chunk's last accepted avalanche), else the index into [primaries, extras] of the
    event whose acceptance creates it, with t[parent] < t.
    Returns (accepted primaries, present extras, accepted extras).

    Event by event in time order (compiled): equal times on one detector are taken in index order
    (primaries first), which is the order a time tagger would see them in.
    """
    if t.size > 1 and np.any(t[1:] < t[:-1]):
        raise ValueError("resolve: primary times t must be sorted")
    i8 = np.int64
    return core.emu_resolve(
        np.ascontiguousarray(t, dtype=i8), np.ascontiguousarray(ch, dtype=np.uint8),
        np.ascontiguousarray(xt, dtype=i8), np.ascontiguousarray(xch, dtype=np.uint8),
        np.ascontiguousarray(xparent, dtype=i8), int(dead_time_ps),
    )
