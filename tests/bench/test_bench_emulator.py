# SPDX-License-Identifier: BSD-3-Clause
"""Generation speed of the photon-physics emulator, against the floor cost of its random numbers.

The emulator: a bright pulsed HBT measurement (10 MHz, <N> = 1, 30 % collection, ~0.8 Mcps
detected), with the default detectors (jitter with tail, 22 ns dead time, afterpulsing, dark counts,
background, blinking). The baseline, in the same run on the same number of detected photons:
plain ``numpy.random`` drawing one Poisson photon number and one exponential delay per photon,
i.e. the cheapest possible generator of such a stream without any of the physics. The two take
turns (best of 5 each), so a busy shared machine slows both alike.

Run with ``make bench``. The absolute rates (M detected photons/s, wall clock and CPU time of the
process) and the speed ratio emulator / baseline are printed; the ratio is asserted as a
regression guard (> 0.45 without sync, > 0.25 with it; 0.70-0.80 and 0.50-0.56 measured on the
shared 2-core machine with the C kernels, against 0.44-0.59 and 0.2-0.31 before). Issue 4 asks
for >= 20 M detected photons/s on one core (docs/emulator.md, "Speed").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest
from g2live.emulator import Emulator, EmulatorConfig

pytestmark = pytest.mark.bench

BRIGHT = EmulatorConfig(power=1.0, collection_efficiency=0.3)
EMULATED_S = 3.0  # ~2.5 M detected photons
REPEATS = 5


def best_interleaved(
    fns: list[Callable[[], int]], repeats: int = REPEATS
) -> tuple[list[float], list[float]]:
    """Best wall-clock and best CPU time of each function, the functions taking turns (a shared,
    noisy machine slows both alike within a round)."""
    best = [float("inf")] * len(fns)
    best_cpu = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
            best_cpu[i] = min(best_cpu[i], time.process_time() - c0)
    return best, best_cpu


def emulate(cfg: EmulatorConfig) -> Callable[[], int]:
    def run() -> int:
        em = Emulator(cfg, seed=1)
        for _ in em.chunks(EMULATED_S, chunk_s=0.1):
            pass
        return int(em.stats["tags"])

    return run


def baseline(n: int) -> Callable[[], int]:
    def run() -> int:
        rng = np.random.default_rng(2)
        k = rng.poisson(1.0, n)
        d = rng.exponential(8000.0, n)
        return int(k.size + 0 * d.size)

    return run


@pytest.mark.parametrize("sync", [False, True], ids=["no-sync", "sync-10MHz"])
def test_emulator_generation_rate(sync: bool) -> None:
    cfg = replace(BRIGHT, sync=sync)
    n = emulate(cfg)()  # warm-up (imports, page faults) and the photon count
    (t_emu, t_base), (c_emu, c_base) = best_interleaved([emulate(cfg), baseline(n)])
    ratio = t_base / t_emu
    print(f"\nemulator ({'with' if sync else 'without'} 10 MHz sync channel): {n} detected photons in "
          f"{t_emu:.3f} s = {n / t_emu / 1e6:.1f} M/s (CPU time {n / c_emu / 1e6:.1f} M/s); "
          f"numpy Poisson+exponential baseline {n / t_base / 1e6:.1f} M/s (CPU {n / c_base / 1e6:.1f} M/s); "
          f"emulator/baseline speed ratio {ratio:.2f} (CPU {c_base / c_emu:.2f})")
    if not sync:
        assert ratio > 0.45, f"emulator only {ratio:.2f} x the baseline speed"
    else:  # the sync channel adds 10 M tags per emulated second (12 per detected photon here)
        assert ratio > 0.25, f"emulator with sync only {ratio:.2f} x the baseline speed"
