"""Optics: collection, beam splitter (HBT) or spectrometer onto a SPAD line array, background light.

HBT: a collected photon goes to detector 0 with probability split_ratio, else to detector 1.
Spectro: the spectrometer disperses linearly in energy; pixel i covers
[E_lo + i w, E_lo + (i + 1) w) with E_lo = spectro_center - n_pixels * w / 2; photons off the
array are lost (counted as `off_array`). Background light is spectrally and temporally flat:
`background_cps` reaches the detectors in total, split like the signal (HBT) or evenly over the
pixels (spectro), and is then detected with the detector efficiency.
"""

from __future__ import annotations

import numpy as np

from .config import EmulatorConfig
from .spectra import sample_energy_ev


def route(
    rng: np.random.Generator, cfg: EmulatorConfig, kind: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Detector channel of each photon and the mask of photons that land on a detector."""
    n = kind.size
    if cfg.mode == "hbt":
        if cfg.split_ratio == 0.5:
            ch = (rng.integers(0, 256, n, dtype=np.uint8) >> 7).astype(np.uint8)  # one fair bit each
        else:
            ch = (rng.random(n, dtype=np.float32) >= cfg.split_ratio).view(np.uint8)
        return ch, np.ones(n, dtype=bool)
    e = sample_energy_ev(rng, cfg, kind)
    lo = cfg.pixel_edges_ev()[0]
    pix = np.floor((e - lo) / (cfg.pixel_width_mev * 1e-3))
    on = (pix >= 0) & (pix < cfg.n_pixels)
    return np.where(on, pix, 0).astype(np.uint8), on


def background_cps(cfg: EmulatorConfig) -> np.ndarray:
    """Detected background + dark count rate per detector channel (1/s)."""
    if cfg.mode == "hbt":
        split = np.array([cfg.split_ratio, 1.0 - cfg.split_ratio])
    else:
        split = np.full(cfg.n_pixels, 1.0 / cfg.n_pixels)
    return cfg.background_cps * cfg.detector_efficiency * split + cfg.dark_cps
