# SPDX-License-Identifier: BSD-3-Clause
"""The ``g2live analyze`` report: everything g2live can say about one recording.

analyze_photons     rates, g2(0), purity, lifetime, blinking, heralded results and emulator truth
analyze_file        the same for a file
detect_sync         which channel is the laser sync
recording_power     the excitation power in a recording's metadata
json_safe           results as strict-JSON values
check_heralded      withhold heralded values outside their range (the live server uses it too)

Each step of the report is a function returning a ``Section``: its keys, or a note on why it
could not be computed. Keys and their meaning: docs/analysis.md.
"""

from .._json import json_safe
from ._recording import detect_sync, recording_power
from ._report import ALL_STEPS, SCHEMA, STEPS, Conditioned, analyze_file, analyze_photons
from ._verdict import check_heralded

__all__ = [
    "ALL_STEPS",
    "SCHEMA",
    "STEPS",
    "Conditioned",
    "analyze_file",
    "analyze_photons",
    "check_heralded",
    "detect_sync",
    "json_safe",
    "recording_power",
]
