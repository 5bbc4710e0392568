# SPDX-License-Identifier: BSD-3-Clause
"""Heralded spectroscopy with a SPAD line array behind a spectrometer, and emission-line fits.

analyze_heralded        binding energy, tau_BX, tau_X and corrected spectra from pair records
analyze_heralded_bins, PairBins   the same from binned pairs (fixed memory, what passes accumulate)
heralded_from_photons   the same from a recording's tag stream (``HeraldedResult``)
QuietAccumulator, HeraldedAccumulator, SyncModel, heralded_result
                        the same in passes over chunks (T2 sync events or T3 photons)
PairRecords             two photons of one period (``records_from_core``, ``adjacent_period_pairs``)
quasi_independent_spectra   spectra of a pair matrix without its diagonal
fit_line, LineFit       Gaussian line with an Urbach tail, integrated over each pixel
fit_urbach_tail, UrbachFit   the Urbach slope energy
line_cdf                the line's cumulative distribution
"""

from ._analysis import HeraldedResult, analyze_heralded, analyze_heralded_bins
from ._binned import PairBins
from ._lines import LineFit, UrbachFit, fit_line, fit_urbach_tail, line_cdf
from ._pairs import PairRecords, adjacent_period_pairs, records_from_core
from ._photons import heralded_from_photons, heralded_result
from ._spectra import quasi_independent_spectra
from ._stream import HeraldedAccumulator, QuietAccumulator, SyncModel

__all__ = [
    "HeraldedAccumulator",
    "HeraldedResult",
    "LineFit",
    "PairBins",
    "PairRecords",
    "QuietAccumulator",
    "SyncModel",
    "UrbachFit",
    "adjacent_period_pairs",
    "analyze_heralded",
    "analyze_heralded_bins",
    "fit_line",
    "fit_urbach_tail",
    "heralded_from_photons",
    "heralded_result",
    "line_cdf",
    "quasi_independent_spectra",
    "records_from_core",
]
