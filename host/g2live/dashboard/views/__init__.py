# SPDX-License-Identifier: BSD-3-Clause
"""The page's tabs, one module each; every tab builds its figures and has ``update(snapshot)``.

========================  ==========================  ==========================================
tab                       module                      shows
========================  ==========================  ==========================================
Live g2                   ``live.py``                 ``g2_histogram.py`` above ``trends.py``
Heralded spectroscopy     ``heralded.py``             spectra, heralded decays, lifetimes
Power sweep               ``sweep.py``                purity and rate vs power, saturation fit
Blinking                  ``blinking.py``             intensity trace, threshold, histogram
Correlations              ``correlations.py``         log-binned G(τ), ON-state g2(0), heralded
                                                      g2, coincidence counters, g3 image
Device                    ``device.py``               settings, lost events, stream health
========================  ==========================  ==========================================

``base.View`` is what the session expects of a tab.
"""

from __future__ import annotations

from .base import View
from .blinking import BlinkingTab
from .correlations import CorrelationsTab
from .device import DeviceTab
from .heralded import HeraldedTab
from .live import LiveTab
from .sweep import SweepTab

__all__ = ["BlinkingTab", "CorrelationsTab", "DeviceTab", "HeraldedTab", "LiveTab", "SweepTab", "View"]
