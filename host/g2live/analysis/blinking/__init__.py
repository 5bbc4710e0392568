# SPDX-License-Identifier: BSD-3-Clause
"""Blinking: intensity trace, ON/OFF threshold, change points, ON fraction, FLID.

intensity_trace       photons per time bin (``g2live.core.trace``)
fit_poisson_mixture   two-level Poisson mixture of the trace: OFF and ON rates, threshold
change_points         rate changes of the photon stream (Watkins & Yang 2005)
change_points_binned  the same test at the edges of a fine trace, plus a scan for short dwells
                      (any length, bounded memory)
analyze_blinking_trace  ON fraction from a fine trace: change-point segments against the ON and OFF levels
analyze_blinking      the same from photon times (``BlinkingResult``)
fine_factor           fine bins per trace bin (what the streaming report accumulates)
flid                  fluorescence lifetime-intensity distribution
"""

from ._change_points import change_points, change_points_binned
from ._flid import flid
from ._mixture import PoissonMixture, fit_poisson_mixture
from ._summary import BlinkingResult, analyze_blinking, analyze_blinking_trace, fine_factor
from ._trace import intensity_trace

__all__ = [
    "BlinkingResult",
    "PoissonMixture",
    "analyze_blinking",
    "analyze_blinking_trace",
    "change_points",
    "change_points_binned",
    "fine_factor",
    "fit_poisson_mixture",
    "flid",
    "intensity_trace",
]
