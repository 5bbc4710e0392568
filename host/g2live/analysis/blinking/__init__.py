# SPDX-License-Identifier: BSD-3-Clause
"""Blinking: intensity trace, ON/OFF threshold, change points, ON fraction, FLID.

intensity_trace       photons per time bin (``g2live.core.trace``)
fit_poisson_mixture   two-level Poisson mixture of the trace: OFF and ON rates, threshold
change_points         rate changes of the photon stream (Watkins & Yang 2005)
analyze_blinking      ON fraction: change-point segments above the threshold (``BlinkingResult``)
flid                  fluorescence lifetime-intensity distribution
"""

from ._change_points import change_points
from ._flid import flid
from ._mixture import PoissonMixture, fit_poisson_mixture
from ._summary import BlinkingResult, analyze_blinking
from ._trace import intensity_trace

__all__ = [
    "BlinkingResult",
    "PoissonMixture",
    "analyze_blinking",
    "change_points",
    "fit_poisson_mixture",
    "flid",
    "intensity_trace",
]
