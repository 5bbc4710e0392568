# SPDX-License-Identifier: BSD-3-Clause
"""Optics: collection, beam splitter (HBT) or spectrometer onto a SPAD line array, background light.

HBT: a collected photon goes to detector 0 with probability split_ratio, else to detector 1.
Spectro: the spectrometer disperses linearly in energy; pixel i covers
[E_lo + i w, E_lo + (i + 1) w) with E_lo = spectro_center - n_pixels * w / 2; photons off the
array are lost (counted as `off_array`). Background light is spectrally and temporally flat:
`background_cps` reaches the detectors in total, split like the signal (HBT) or evenly over the
pixels (spectro), and is then detected with the detector efficiency. The per-photon routing is
compiled together with the detector step (`detectors.detect`).
"""

from __future__ import annotations

import numpy as np

from .config import EmulatorConfig

__all__ = ["background_cps"]


def background_cps(cfg: EmulatorConfig) -> np.ndarray:
    """Detected background + dark count rate per detector channel (1/s)."""
    if cfg.mode == "hbt":
        split = np.array([cfg.split_ratio, 1.0 - cfg.split_ratio])
    else:
        split = np.full(cfg.n_pixels, 1.0 / cfg.n_pixels)
    return cfg.background_cps * cfg.detector_efficiency * split + cfg.dark_cps
