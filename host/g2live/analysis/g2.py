# SPDX-License-Identifier: BSD-3-Clause
"""Legacy import path ``g2live.analysis.g2``: the names now live in ``g2live.analysis``
(section ``g2live.analysis.correlation``).

Kept only while the server and dashboard branches still import it; removed when they merge.
"""

import warnings

from .correlation import (
    DETECT_SIGMA,
    Comb,
    PeakAreas,
    PulsedG2,
    ZeroDelay,
    background_correct,
    comb_contrast,
    find_comb,
    find_zero_delay,
    overlap_mapping,
    peak_areas,
    peak_decay_ps,
    pulsed_g2,
    rho_from_rates,
)

__all__ = [
    "Comb",
    "DETECT_SIGMA",
    "PeakAreas",
    "PulsedG2",
    "ZeroDelay",
    "background_correct",
    "comb_contrast",
    "find_comb",
    "find_zero_delay",
    "overlap_mapping",
    "peak_areas",
    "peak_decay_ps",
    "pulsed_g2",
    "rho_from_rates",
]

warnings.warn(
    "g2live.analysis.g2 is a legacy path: import these names from g2live.analysis",
    DeprecationWarning,
    stacklevel=2,
)
