# SPDX-License-Identifier: BSD-3-Clause
"""Access to the emulator's compiled kernels in the C core (cext/src/g2l_emulate.c).

Each kernel call runs its own xoshiro256** generator, seeded with one 64-bit word drawn from the
emulator's numpy Generator (`seed_from`), so a run is reproducible from the emulator's seed while
the per-photon draws happen in C.
"""

from __future__ import annotations

import numpy as np

try:
    from .. import _core
except ImportError as exc:  # the C core is built separately
    raise ImportError(
        f"g2live.emulator needs the compiled C core g2live._core ({exc}); build it with "
        "`python setup.py build_ext --inplace` in the repository root"
    ) from exc

__all__ = ["core", "seed_from"]

core = _core


def seed_from(rng: np.random.Generator) -> int:
    """A 64-bit seed for one kernel call, drawn from the emulator's generator."""
    return int(rng.integers(0, np.iinfo(np.uint64).max, dtype=np.uint64, endpoint=True))
