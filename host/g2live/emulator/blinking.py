# SPDX-License-Identifier: BSD-3-Clause
"""Blinking: an alternating renewal process ON -> dark (OFF or grey) -> ON ...

Dwell times are exponential or truncated power laws. The emitter's quantum yields (X and BX
alike) are multiplied by the state's factor; absorption and decay times do not change. The
process is continuous in time and carries its state across chunks.
"""

from __future__ import annotations

import math

import numpy as np

from .config import EmulatorConfig

__all__ = ["GREY", "OFF", "ON", "Blinking", "powerlaw_mean", "sample_powerlaw"]

ON, OFF, GREY = 0, 1, 2


def powerlaw_mean(alpha: float, t_min: float, t_max: float) -> float:
    """Mean of p(t) ~ t^-alpha on [t_min, t_max]."""

    def integral(power: float) -> float:  # int t^power dt over [t_min, t_max]
        if abs(power + 1.0) < 1e-12:
            return math.log(t_max / t_min)
        return (t_max ** (power + 1.0) - t_min ** (power + 1.0)) / (power + 1.0)

    return integral(1.0 - alpha) / integral(-alpha)


def sample_powerlaw(rng: np.random.Generator, alpha: float, t_min: float, t_max: float, n: int) -> np.ndarray:
    """Inverse-CDF samples of p(t) ~ t^-alpha truncated to [t_min, t_max]."""
    u = rng.random(n)
    if abs(alpha - 1.0) < 1e-12:
        return t_min * (t_max / t_min) ** u
    a = 1.0 - alpha
    lo, hi = t_min**a, t_max**a
    return (lo + u * (hi - lo)) ** (1.0 / a)


class Blinking:
    """State of the blinking process; `segments(t0, t1)` covers [t0, t1) with (start, state) runs."""

    def __init__(self, cfg: EmulatorConfig, rng: np.random.Generator) -> None:
        self.cfg = cfg
        self.rng = rng
        self.enabled = cfg.blinking != "none"
        self.qy_factor = np.array([1.0, cfg.off_qy_factor, cfg.grey_qy_factor])
        self._starts: list[float] = [0.0]  # ps; pending segment starts not yet consumed
        self._states: list[int] = [ON]
        self._end = 0.0  # the known segments cover [.., _end)
        self._next_state = ON
        if self.enabled:
            # Start in the stationary mixture: the first state is ON with the ON fraction's probability
            # (a renewal process started at a random time; the first dwell is then an ordinary draw).
            self._next_state = ON if rng.random() < self.fractions()[ON] else self._dark_state()
            self._states = []
            self._starts = []

    def _dark_state(self) -> int:
        return GREY if self.rng.random() < self.cfg.grey_probability else OFF

    def mean_dwell_ps(self, state: int) -> float:
        """Mean dwell time (ps) in ``state``."""
        c = self.cfg
        if c.blinking == "exponential":
            return {ON: c.on_mean_ms, OFF: c.off_mean_ms, GREY: c.grey_mean_ms}[state] * 1e9
        alpha = c.alpha_on if state == ON else c.alpha_off
        return powerlaw_mean(alpha, c.dwell_min_us * 1e6, c.dwell_max_s * 1e12)

    def fractions(self) -> np.ndarray:
        """Long-run time fraction of ON, OFF, GREY (renewal-reward)."""
        if not self.enabled:
            return np.array([1.0, 0.0, 0.0])
        pg = self.cfg.grey_probability
        w = np.array([self.mean_dwell_ps(ON), (1 - pg) * self.mean_dwell_ps(OFF),
                      pg * self.mean_dwell_ps(GREY)])
        return w / w.sum()

    def _dwells(self, state: int, n: int) -> np.ndarray:
        c = self.cfg
        if c.blinking == "exponential":
            return self.rng.standard_exponential(n) * self.mean_dwell_ps(state)
        alpha = c.alpha_on if state == ON else c.alpha_off
        return sample_powerlaw(self.rng, alpha, c.dwell_min_us * 1e6, c.dwell_max_s * 1e12, n)

    def _extend(self, t_end: float) -> None:
        while self._end < t_end:
            # one batch of ON+dark pairs; a dark period is grey with grey_probability
            n = 64
            states = np.empty(2 * n, dtype=np.int64)
            first = self._next_state
            if first == ON:
                states[0::2] = ON
                dark = np.where(self.rng.random(n) < self.cfg.grey_probability, GREY, OFF)
                states[1::2] = dark
            else:
                states[0] = first
                dark = np.where(self.rng.random(n) < self.cfg.grey_probability, GREY, OFF)
                states[1::2] = ON
                states[2::2] = dark[: n - 1]
            dw = np.empty(2 * n)
            for s in (ON, OFF, GREY):
                m = states == s
                if m.any():
                    dw[m] = self._dwells(s, int(m.sum()))
            starts = self._end + np.concatenate(([0.0], np.cumsum(dw[:-1])))
            self._starts.extend(starts.tolist())
            self._states.extend(states.tolist())
            self._end = float(starts[-1] + dw[-1])
            last = int(states[-1])
            self._next_state = ON if last != ON else self._dark_state()

    def segments(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        """Segment starts (ps, the first <= t0) and states covering [t0, t1); older segments are dropped."""
        if not self.enabled:
            return np.array([-np.inf]), np.array([ON])
        self._extend(t1)
        starts = np.asarray(self._starts)
        states = np.asarray(self._states, dtype=np.int64)
        first = max(int(np.searchsorted(starts, t0, side="right")) - 1, 0)
        last = int(np.searchsorted(starts, t1, side="left"))
        # keep the segment containing t0 for the next call; drop what is entirely before it
        self._starts = self._starts[first:]
        self._states = self._states[first:]
        return starts[first:last], states[first:last]

    def factor_at(self, t_ps: np.ndarray, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        """State and QY factor at each time in [t0, t1).

        Emission times come as a few sorted runs (pulse order), so instead of a binary search per
        photon the segment starts are located in each run and the states repeated over the runs.
        """
        starts, states = self.segments(t0, t1)
        if starts.size == 1 or t_ps.size == 0:
            st = np.full(t_ps.shape, states[0], dtype=np.int64)
            return st, self.qy_factor[st]
        cuts = np.flatnonzero(t_ps[1:] < t_ps[:-1]) + 1
        bounds = np.concatenate(([0], cuts, [t_ps.size]))
        if bounds.size > 64:  # many runs: a binary search per photon is cheaper
            st = states[np.searchsorted(starts, t_ps, side="right") - 1]
            return st, self.qy_factor[st]
        st = np.empty(t_ps.size, dtype=np.int64)
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            run = t_ps[lo:hi]
            # photons of segment j are those with starts[j] <= t < starts[j+1]; the first segment
            # holds t0 <= run[0], so everything before starts[1] belongs to it
            edges = np.searchsorted(run, starts[1:], side="left")
            counts = np.diff(np.concatenate(([0], edges, [run.size])))
            st[lo:hi] = np.repeat(states, counts)
        return st, self.qy_factor[st]
