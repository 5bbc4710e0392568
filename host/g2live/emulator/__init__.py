# SPDX-License-Identifier: BSD-3-Clause
"""Photon-physics emulator: a single perovskite quantum dot (or any exciton/biexciton emitter)
under pulsed or CW excitation, seen through an HBT setup or a spectrometer onto a SPAD array.

Modules, one job each: `excitation` (Poisson absorption, CW rate), `emitter` (X/BX cascade,
Auger), `blinking`, `spectra` (line shapes), `optics` (beam splitter, spectrometer, background),
`detectors` (jitter, dark counts, dead time, afterpulsing, crosstalk), `truth` (predictions),
`emulator` (the `Emulator` that strings them together and adds the laser sync).
"""

from .config import EmulatorConfig
from .emulator import Emulator
from .truth import g2_cw_curve, g2_zero_cw, g2_zero_pulsed, predict, signal_cps

__all__ = [
    "Emulator", "EmulatorConfig", "g2_cw_curve", "g2_zero_cw", "g2_zero_pulsed", "predict", "signal_cps",
]
