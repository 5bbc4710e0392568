# SPDX-License-Identifier: BSD-3-Clause
"""The grid of emulated measurements the analysis is validated on.

One factor at a time around a base point (the emulator's defaults, brighter collection so a run
of one or two seconds holds enough pairs), over the ranges of issue 13: tau_BX 0.2-2 ns,
qy_ratio 0.02-0.5, power 0.05-3 P_sat (spectro from 0.3: below it a run holds too few
biexciton-exciton pairs), crosstalk 0-1 %, background 0-5 % of the signal, jitter 30-300 ps FWHM;
HBT and spectro; and a power sweep for P_sat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["GRID", "QUICK", "Case"]


@dataclass(frozen=True)
class Case:
    """One grid point: a kind of run, its emulator settings, the length and the seeds."""

    name: str
    kind: str  # "hbt", "spectro" or "sweep"
    settings: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 2.0
    seeds: int = 24
    background_fraction: float | None = None  # background light as a fraction of the signal

    def seed(self, i: int) -> int:
        """A fixed seed per (case, index)."""
        return (sum(ord(c) * 131**k for k, c in enumerate(self.name)) + 7919 * i) % (2**31)


HBT_BASE = {"power": 0.3, "qy_ratio": 0.1, "collection_efficiency": 0.3}
SPECTRO_BASE = {
    "mode": "spectro",
    "power": 1.0,
    "qy_ratio": 0.1,
    "tau_bx_ns": 0.8,
    "collection_efficiency": 0.15,
}


def _hbt(name: str, seeds: int = 24, bg: float | None = None, **kw: Any) -> Case:
    return Case(f"hbt {name}", "hbt", HBT_BASE | kw, 2.0, seeds, bg)


def _spectro(name: str, seeds: int = 24, bg: float | None = None, duration: float = 1.5, **kw: Any) -> Case:
    return Case(f"spectro {name}", "spectro", SPECTRO_BASE | kw, duration, seeds, bg)


GRID: tuple[Case, ...] = (
    _hbt("base"),
    _hbt("qy 0.02", qy_ratio=0.02),
    _hbt("qy 0.5", qy_ratio=0.5),
    _hbt("power 0.05", power=0.05, collection_efficiency=0.6),
    _hbt("power 3", power=3.0),
    _hbt("background 0", bg=0.0, dark_cps=0.0),
    _hbt("background 5%", bg=0.05),
    _hbt("jitter 30 ps", jitter_fwhm_ps=30.0),
    _hbt("jitter 300 ps", jitter_fwhm_ps=300.0),
    _spectro("base"),
    _spectro("tau_bx 0.2", tau_bx_ns=0.2),
    _spectro("tau_bx 0.4", tau_bx_ns=0.4),
    _spectro("tau_bx 2", tau_bx_ns=2.0),
    _spectro("qy 0.5", qy_ratio=0.5),
    _spectro("qy 0.02", qy_ratio=0.02, duration=6.0),
    _spectro("power 0.3", power=0.3, duration=4.0),
    _spectro("power 3", power=3.0),
    _spectro("crosstalk 0", crosstalk_probability=0.0),
    _spectro("crosstalk 1%", crosstalk_probability=0.01),
    _spectro("background 5%", bg=0.05),
    _spectro("jitter 30 ps", jitter_fwhm_ps=30.0),
    _spectro("jitter 300 ps", jitter_fwhm_ps=300.0),
    # 200 sweeps (one P_sat each, from 6 runs): with 24 the 95 % coverage moved by 4 points per
    # sweep, and a few sweeps that drew unlucky blinking set the row (docs/validation.md). A sweep's
    # 6 points are analysed as `analyze --sweep` does (steps g2, signal_fraction, blinking): 2.3
    # CPU-s per sweep on a loaded machine, a quarter of the 8.9 s the lifetime step's fits took.
    Case("sweep base", "sweep", HBT_BASE, 0.5, 200),
)

# The HBT and spectro base points with 100 seeds each: the CI bound of 0.3 on a mean pull is then 3
# standard errors (with 32 an unbiased estimator failed it 9 % of the time: +0.46 +- 0.18 on those
# seeds, +0.09 +- 0.03 over 1024; with 20 spectro seeds the binding energy's -0.39 +- 0.25 was
# +0.02 +- 0.11 on 80 others; docs/validation.md). An HBT run takes ~0.4 s, a spectro run ~1.2 s.
# The sweep likewise has 100 (6 runs of 0.5 s each): with 10 the standard error of the
# mean pull (0.34) exceeded the bound, and blocks of 10 sweeps ranged from -0.52 to +0.33 around
# -0.11 +- 0.10 over 117.
QUICK: tuple[Case, ...] = (
    _hbt("base", seeds=100),
    _spectro("base", seeds=100),
    Case("sweep base", "sweep", HBT_BASE, 0.5, 100),
)
