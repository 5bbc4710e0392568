# SPDX-License-Identifier: BSD-3-Clause
"""Legacy import path ``g2live.analysis.live``: the names now live in ``g2live.analysis``
(section ``g2live.analysis.correlation``).

Kept only while the server and dashboard branches still import it; removed when they merge.
"""

import warnings

from .correlation import LIVE_KEYS, LiveAnalyzer, live_g2

__all__ = [
    "LIVE_KEYS",
    "LiveAnalyzer",
    "live_g2",
]

warnings.warn(
    "g2live.analysis.live is a legacy path: import these names from g2live.analysis",
    DeprecationWarning,
    stacklevel=2,
)
