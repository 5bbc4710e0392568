# SPDX-License-Identifier: BSD-3-Clause
"""Heralded spectroscopy with a SPAD line array behind a spectrometer, and emission-line fits.

analyze_heralded        binding energy, tau_BX, tau_X and genuine spectra (``HeraldedResult``)
heralded_from_photons   the same from a recording's tags with a sync channel (T2)
heralded_from_t3        the same from T3 photons (period index + micro-time)
HeraldedData            pair records + per-pixel singles histograms; adds across chunks
heralded_data, heralded_data_from_tags   make it from periods / from a tag stream
HeraldedStream          the same chunk by chunk (live server, chunked files)
QuietAccumulator, HeraldedAccumulator, SyncModel, heralded_result
                        the same in passes over chunks (T2 sync events or T3 photons)
PairRecords             two photons of one period (``records_from_core``, ``adjacent_period_pairs``)
fit_crosstalk, Crosstalk   crosstalk pairs by pixel distance and delay
accidentals, Accidentals   accidental pairs predicted from the singles
quasi_independent_spectra, centroid_shift   spectra of a pair matrix without its diagonal; mean energies
fit_line, LineFit       Gaussian line with an Urbach tail, integrated over each pixel
fit_urbach_tail, UrbachFit   the Urbach slope energy
line_cdf                the line's cumulative distribution
"""

from ._accidentals import Accidentals, accidentals
from ._analysis import HeraldedResult, analyze_heralded
from ._crosstalk import Crosstalk, fit_crosstalk
from ._lines import LineFit, UrbachFit, fit_line, fit_urbach_tail, line_cdf
from ._pairs import PairRecords, adjacent_period_pairs, records_from_core
from ._passes import HeraldedAccumulator, QuietAccumulator, SyncModel, heralded_result
from ._photons import heralded_from_photons, heralded_from_t3
from ._records import HeraldedData, heralded_data, heralded_data_from_tags
from ._spectra import centroid_shift, quasi_independent_spectra
from ._stream import HeraldedStream

__all__ = [
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
]
