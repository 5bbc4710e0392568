# SPDX-License-Identifier: BSD-3-Clause
"""Analysis of photon-correlation data (formulas and references: docs/analysis.md).

Every name below is importable from ``g2live.analysis`` directly; each section is a subpackage
that loads on first use (scipy and lmfit take seconds to import).

Correlation and g2 (``g2live.analysis.correlation``)
    CorrelationHistogram, correlation_histogram   pair counts by delay, from the C core
    pulsed_g2, PulsedG2          pulsed g2(0): side-peak and Poisson normalised, exact intervals
    find_comb, Comb, comb_contrast, comb_evidence, CombEvidence, peak_areas, PeakAreas,
    find_zero_delay, ZeroDelay,
    peak_decay_ps, overlap_mapping, DETECT_SIGMA   the steps of pulsed_g2
    background_correct, rho_from_rates   g2(0) without uncorrelated background
    fit_cw, CwFit, antibunching_model, two_sided   CW g2(tau) antibunching fit
    purity, g2_from_photon_number, g2_from_heralded   g2(0) from photon counting
    fcs_correlation, read_picoquant_cor   FCS G(tau)
    gate_mask, gated_histogram, marker_windows, on_windows   gated correlation (markers, ON state)
    live_g2, LiveAnalyzer, LIVE_KEYS   running g2(0) for the streaming host
Lifetime (``g2live.analysis.lifetime``)
    fit_tail, fit_reconvolution, fit_decay_model, afterpulse_density, LifetimeFit, emg_periodic,
    decay_histogram, periodic_decay, quiet_bin
    channel_decay, ChannelDecay, decay_result, fit_joint_decay, JointDecayFit   one channel's
        decay model, and the channels' joint fit with one lifetime (profile-likelihood errors)
    fit_gap_afterpulses, GapAfterpulses   afterpulse delay from a detector's own event gaps
Blinking (``g2live.analysis.blinking``)
    analyze_blinking, analyze_blinking_trace, BlinkingResult, fit_poisson_mixture, PoissonMixture,
    change_points, change_points_binned, fine_factor, intensity_trace, flid
Heralded spectroscopy and emission lines (``g2live.analysis.heralded``)
    analyze_heralded, heralded_from_photons, heralded_from_t3, HeraldedResult, HeraldedData,
    heralded_data, heralded_data_from_tags, HeraldedStream, fit_crosstalk, Crosstalk,
    accidentals, Accidentals, QuietAccumulator, HeraldedAccumulator, SyncModel, heralded_result,
    PairRecords, records_from_core, adjacent_period_pairs, quasi_independent_spectra,
    centroid_shift, fit_line, LineFit, fit_urbach_tail, UrbachFit, line_cdf
Power dependence (``g2live.analysis.power``)
    fit_power_sweep, PowerFit, rate_model, g2_model, read_sweep_table, SWEEP_COLUMNS,
    sweep_point_rate, sweep_point, sweep_points, SweepPoint
Report (``g2live.analysis.report``)
    analyze_photons, analyze_file, detect_sync, recording_power, json_safe, check_heralded, SCHEMA
    STEPS, ALL_STEPS, Conditioned   the default and optional steps, coincidences / heralded g2
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> section; the test tests/analysis/test_analysis_api.py keeps it equal to the sections' __all__
_SECTIONS: dict[str, tuple[str, ...]] = {
    "correlation": (
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
        "marker_windows",
        "on_windows",
        "find_comb",
        "find_zero_delay",
        "fit_cw",
        "g2_from_heralded",
        "g2_from_photon_number",
        "live_g2",
        "overlap_mapping",
        "peak_areas",
        "peak_decay_ps",
        "pulsed_g2",
        "purity",
        "read_picoquant_cor",
        "rho_from_rates",
        "two_sided",
    ),
    "lifetime": (
        "ChannelDecay",
        "GapAfterpulses",
        "JointDecayFit",
        "LifetimeFit",
        "afterpulse_density",
        "channel_decay",
        "decay_result",
        "fit_decay_model",
        "fit_gap_afterpulses",
        "fit_joint_decay",
        "decay_histogram",
        "emg_periodic",
        "fit_reconvolution",
        "fit_tail",
        "periodic_decay",
        "quiet_bin",
    ),
    "blinking": (
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
    ),
    "heralded": (
        "Accidentals",
        "Crosstalk",
        "HeraldedAccumulator",
        "HeraldedData",
        "HeraldedResult",
        "HeraldedStream",
        "LineFit",
        "PairRecords",
        "QuietAccumulator",
        "SyncModel",
        "UrbachFit",
        "accidentals",
        "adjacent_period_pairs",
        "analyze_heralded",
        "centroid_shift",
        "fit_crosstalk",
        "fit_line",
        "fit_urbach_tail",
        "heralded_data",
        "heralded_data_from_tags",
        "heralded_from_photons",
        "heralded_from_t3",
        "heralded_result",
        "line_cdf",
        "quasi_independent_spectra",
        "records_from_core",
    ),
    "power": ("SWEEP_COLUMNS", "PowerFit", "SweepPoint", "fit_power_sweep", "g2_model", "rate_model",
              "read_sweep_table", "sweep_point", "sweep_point_rate", "sweep_points"),
    "report": ("ALL_STEPS", "SCHEMA", "STEPS", "Conditioned", "analyze_file", "analyze_photons",
               "check_heralded", "detect_sync", "json_safe", "recording_power"),
}
_WHERE = {name: section for section, names in _SECTIONS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    """Load a section on first use of one of its names (or of the section itself)."""
    if name in _SECTIONS:
        return importlib.import_module(f"{__name__}.{name}")
    section = _WHERE.get(name)
    if section is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{section}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
