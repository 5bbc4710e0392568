# SPDX-License-Identifier: BSD-3-Clause
"""Legacy import path ``g2live.analysis.histogram``: the names now live in ``g2live.analysis``
(section ``g2live.analysis.correlation``).

Kept only while the server and dashboard branches still import it; removed when they merge.
"""

import warnings

from .correlation import CorrelationHistogram

__all__ = [
    "CorrelationHistogram",
]

warnings.warn(
    "g2live.analysis.histogram is a legacy path: import these names from g2live.analysis",
    DeprecationWarning,
    stacklevel=2,
)
