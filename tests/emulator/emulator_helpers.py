# SPDX-License-Identifier: BSD-3-Clause
"""Shared helpers for the emulator tests (imported by name: the test folders are not packages):
a clean base configuration and correlation peak areas."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from g2live import core
from g2live.emulator import Emulator, EmulatorConfig
from g2live.photons import PhotonData

# Everything that is not under test switched off, so each test isolates one effect.
CLEAN = EmulatorConfig(
    blinking="none", background_cps=0.0, dark_cps=0.0, afterpulse_probability=0.0, crosstalk_probability=0.0,
    dead_time_ns=0.0, sync=False,
)


def emulate(duration_s: float, seed: int, **kw: Any) -> tuple[PhotonData, Emulator]:
    em = Emulator(replace(CLEAN, **kw), seed=seed)
    return em.run(duration_s, chunk_s=min(0.05, duration_s)), em


def peak_areas(a: np.ndarray, b: np.ndarray, period_ps: int, n_side: int = 10) -> np.ndarray:
    """Coincidence counts in windows of one laser period centred on delays k * period, k = -n..n."""
    return core.correlate(a, b, period_ps, 2 * n_side + 1, offset_ps=-(period_ps // 2))


def g2_from_peaks(areas: np.ndarray) -> tuple[float, float]:
    """g2(0) = centre / mean side peak, with its Poisson standard error."""
    mid = areas.size // 2
    side = np.delete(areas, mid).astype(float)
    c = float(areas[mid])
    g = c / side.mean()
    err = g * np.sqrt(1.0 / max(c, 1.0) + 1.0 / side.sum())
    return g, err
