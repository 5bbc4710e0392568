# SPDX-License-Identifier: BSD-3-Clause
"""Legacy import path ``g2live.analysis.spectra``: the names now live in ``g2live.analysis``
(section ``g2live.analysis.heralded``).

Kept only while the server and dashboard branches still import it; removed when they merge.
"""

import warnings

from .heralded import LineFit, UrbachFit, fit_line, fit_urbach_tail, line_cdf

__all__ = [
    "LineFit",
    "UrbachFit",
    "fit_line",
    "fit_urbach_tail",
    "line_cdf",
]

warnings.warn(
    "g2live.analysis.spectra is a legacy path: import these names from g2live.analysis",
    DeprecationWarning,
    stacklevel=2,
)
