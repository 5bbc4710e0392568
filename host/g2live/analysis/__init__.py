"""Analysis of photon-correlation data: g2(0), CW g2(tau), purity, lifetimes, blinking,
heralded spectroscopy, power sweeps. Formulas and references: docs/analysis.md.

Modules: ``g2`` (pulsed g2(0)), ``cw`` (CW antibunching fit), ``purity``, ``lifetime``,
``blinking``, ``spectra``, ``heralded``, ``power``, ``report`` (the ``g2live analyze`` result)
and ``live`` (running estimates for the streaming host).
"""

from .g2 import PulsedG2, background_correct, find_comb, pulsed_g2
from .histogram import CorrelationHistogram
from .live import LiveAnalyzer, live_g2
from .report import analyze_photons

__all__ = [
    "CorrelationHistogram",
    "LiveAnalyzer",
    "PulsedG2",
    "analyze_photons",
    "background_correct",
    "find_comb",
    "live_g2",
    "pulsed_g2",
]
