"""Generation speed of the photon-physics emulator, against the floor cost of its random numbers.

The emulator: a bright pulsed HBT measurement (10 MHz, <N> = 1, 30 % collection, ~1.2 Mcps detected),
with the default detectors (jitter with tail, 22 ns dead time, afterpulsing, dark counts,
background, blinking). The baseline, in the same run on the same number of detected photons:
plain ``numpy.random`` drawing one Poisson photon number and one exponential delay per photon,
i.e. the cheapest possible generator of such a stream without any of the physics.

Run with ``make bench``. The ratio is asserted (the emulator costs at most ~2.5 baseline draws per
photon: the 20 Mphotons/s target on an idle core, where the baseline runs at ~50 M/s); times are printed.
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
EMULATED_S = 3.0  # ~3.6 M detected photons
REPEATS = 3


def best_of(fn: Callable[[], int], repeats: int = REPEATS) -> tuple[float, int]:
    best, out = float("inf"), 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


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
    emulate(cfg)()  # warm-up (imports, page faults)
    t_emu, n = best_of(emulate(cfg))
    t_base, _ = best_of(baseline(n))
    rate = n / t_emu
    ratio = t_base / t_emu
    print(f"\nemulator ({'with' if sync else 'without'} 10 MHz sync channel): {n} detected photons in "
          f"{t_emu:.3f} s = {rate / 1e6:.1f} M/s; numpy Poisson+exponential baseline "
          f"{n / t_base / 1e6:.1f} M/s; "
          f"emulator/baseline speed ratio {ratio:.2f}")
    if not sync:
        assert ratio > 0.4, f"emulator only {ratio:.2f} x the baseline speed"
    else:  # the sync channel adds 10 M tags per emulated second (8 per detected photon here)
        assert ratio > 0.1
