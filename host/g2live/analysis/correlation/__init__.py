# SPDX-License-Identifier: BSD-3-Clause
"""Correlation histograms and the g2 estimators made from them (docs/analysis.md).

Histograms
    CorrelationHistogram    pair counts by delay b - a, with the window they were made on
    correlation_histogram   all-pairs histogram of two channels from the C core
Pulsed g2(0)
    pulsed_g2, PulsedG2     side-peak and Poisson-normalised g2(0) with exact intervals
    find_comb, Comb         laser period and peak phase
    comb_contrast           peak-over-trough significance: pulsed or CW?
    comb_evidence, CombEvidence   the same over all periods: pulsed light recognised without a sync
    peak_areas, PeakAreas   counts in identical windows around every peak
    find_zero_delay, ZeroDelay   which peak is zero delay
    peak_decay_ps, overlap_mapping   peaks leaking into their neighbours' windows
    background_correct, rho_from_rates   uncorrelated background removed (Brouri et al.)
CW g2(tau)
    fit_cw, CwFit           antibunching fit with the detectors' jitter
    antibunching_model, two_sided   the model
Photon counting
    purity, g2_from_photon_number, g2_from_heralded
FCS
    fcs_correlation, read_picoquant_cor
Gating
    gate_mask, gated_histogram   pairs only inside gate windows [start, stop)
    marker_windows, on_windows   windows from start/stop markers or from the blinking ON state
Live
    live_g2, LiveAnalyzer, LIVE_KEYS   running g2(0) for the streaming host
"""

from ._background import background_correct, rho_from_rates
from ._comb import (
    DETECT_SIGMA,
    Comb,
    CombEvidence,
    PeakAreas,
    comb_contrast,
    comb_evidence,
    find_comb,
    peak_areas,
)
from ._cw import CwFit, antibunching_model, fit_cw, two_sided
from ._fcs import fcs_correlation, read_picoquant_cor
from ._gated import gate_mask, gated_histogram, marker_windows, on_windows
from ._histogram import CorrelationHistogram, correlation_histogram
from ._live import LIVE_KEYS, LiveAnalyzer, live_g2
from ._overlap import overlap_mapping, peak_decay_ps
from ._pulsed import PulsedG2, pulsed_g2
from ._purity import g2_from_heralded, g2_from_photon_number, purity
from ._zero_delay import ZeroDelay, find_zero_delay

__all__ = [
    "DETECT_SIGMA",
    "LIVE_KEYS",
    "Comb",
    "CombEvidence",
    "CorrelationHistogram",
    "CwFit",
    "LiveAnalyzer",
    "PeakAreas",
    "PulsedG2",
    "ZeroDelay",
    "antibunching_model",
    "background_correct",
    "comb_contrast",
    "comb_evidence",
    "correlation_histogram",
    "fcs_correlation",
    "gate_mask",
    "gated_histogram",
    "find_comb",
    "find_zero_delay",
    "fit_cw",
    "g2_from_heralded",
    "g2_from_photon_number",
    "live_g2",
    "marker_windows",
    "on_windows",
    "overlap_mapping",
    "peak_areas",
    "peak_decay_ps",
    "pulsed_g2",
    "purity",
    "read_picoquant_cor",
    "rho_from_rates",
    "two_sided",
]
