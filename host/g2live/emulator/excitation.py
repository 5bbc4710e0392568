# SPDX-License-Identifier: BSD-3-Clause
"""Excitation: how many excitons the laser creates.

Pulsed: the number of absorbed excitons per pulse is Poisson with mean <N> = P / P_sat, and
(after Auger relaxation of N >= 3 to the biexciton) only three outcomes matter: N = 0, N = 1,
N >= 2. CW: excitons are created at the rate g = (P / P_sat) / tau_x, i.e. at P = P_sat the
excitation rate equals the exciton decay rate.
"""

from __future__ import annotations

import math
from typing import NamedTuple

__all__ = ["PulseOutcome", "cw_excitation_rate_hz", "poisson_outcome", "pulse_range"]


class PulseOutcome(NamedTuple):
    """What one laser pulse leaves in the emitter: probabilities of N >= 1, N == 1, N >= 2."""

    p_ge1: float  # P(N >= 1)
    p1: float  # P(N == 1)
    p_ge2: float  # P(N >= 2): the biexciton is formed (Auger brings N >= 3 down to it)


def poisson_outcome(mean_excitons: float) -> PulseOutcome:
    """Outcome probabilities for Poisson excitation with mean <N> (accurate also for tiny <N>)."""
    mu = float(mean_excitons)
    p_ge1 = -math.expm1(-mu)
    p1 = mu * math.exp(-mu)
    # P(N >= 2) = 1 - e^-mu (1 + mu); the series avoids cancellation for small mu
    p_ge2 = p_ge1 - p1 if mu > 1e-3 else mu * mu / 2 * (1 - 2 * mu / 3 + mu * mu / 4)
    return PulseOutcome(p_ge1, p1, max(p_ge2, 0.0))


def cw_excitation_rate_hz(power: float, tau_x_ns: float) -> float:
    """CW exciton generation rate g (1/s) at power P/P_sat."""
    return power / (tau_x_ns * 1e-9)


def pulse_range(t0_ps: int, t1_ps: int, origin_ps: int, period_ps: int) -> tuple[int, int]:
    """Indices [k0, k1) of the pulses origin + k * period that fall in [t0, t1)."""
    k0 = max(0, -((origin_ps - t0_ps) // period_ps))  # ceil((t0 - origin) / period)
    k1 = max(0, -((origin_ps - t1_ps) // period_ps))
    return k0, k1
