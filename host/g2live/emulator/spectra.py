# SPDX-License-Identifier: BSD-3-Clause
"""Emission spectra of X and BX: Gaussian core with an exponential low-energy (Urbach) tail.

E = E_line + sigma * Z - U * Y with Z ~ N(0, 1), Y ~ Exp(1): an exponentially modified Gaussian
mirrored to the low-energy side. E_X = energy_x_ev, E_BX = E_X - binding_bx; sigma = FWHM /
2.3548; U = urbach_mev. Mean energy = E_line - U, so the X-BX difference of the means is exactly
the binding energy.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from .config import EmulatorConfig

__all__ = ["FWHM_PER_SIGMA", "line_cdf", "line_params", "pixel_weights"]

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


def line_params(cfg: EmulatorConfig, kind: int) -> tuple[float, float, float]:
    """(centre eV, sigma eV, Urbach eV) of the X (kind 0) or BX (kind 1) line."""
    if kind == 0:
        return cfg.energy_x_ev, cfg.linewidth_x_mev * 1e-3 / FWHM_PER_SIGMA, cfg.urbach_mev * 1e-3
    return (cfg.energy_x_ev - cfg.binding_bx_mev * 1e-3, cfg.linewidth_bx_mev * 1e-3 / FWHM_PER_SIGMA,
            cfg.urbach_mev * 1e-3)


def line_cdf(cfg: EmulatorConfig, kind: int, energy_ev: np.ndarray) -> np.ndarray:
    """P(E <= energy) of the line."""
    c, s, u = line_params(cfg, kind)
    x = c - np.asarray(energy_ev, dtype=float)  # c - E = -sigma Z + U Y >= x  <=>  E <= energy
    if s == 0 and u == 0:
        return (x <= 0).astype(float)
    if u == 0:
        return stats.norm.sf(x, scale=s)
    if s == 0:
        return stats.expon.sf(x, scale=u)
    return stats.exponnorm.sf(x, u / s, scale=s)


def pixel_weights(cfg: EmulatorConfig, kind: int) -> np.ndarray:
    """Probability that a photon of the line lands on each pixel (sums to < 1: light off the array)."""
    edges = np.asarray(cfg.pixel_edges_ev())
    return np.diff(line_cdf(cfg, kind, edges))
