# SPDX-License-Identifier: BSD-3-Clause
"""One sweep point from a recording's report: its detector rate and the rate's error.

A point's rate scatters far beyond Poisson when the emitter blinks: the recording's ON fraction f
differs from the long-run one by sigma_f (``on_fraction_err``), which moves the rate by
(R_ON - R_OFF) sigma_f. R_ON and R_OFF are the levels of the pure change-point segments
(``on_level_cps``, ``off_level_cps``): the mixture's trace-bin rates (``on_rate_cps``,
``off_rate_cps``) are pulled together by the bins that straddle a switch and made this term 35 %
too small on the validation's sweeps, the cause of their chi2/dof of 2 (docs/validation.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["sweep_point_rate"]


def _swing_cps(report: Mapping[str, Any]) -> float:
    """(R_ON - R_OFF) sigma_f: the rate's scatter from the recording's share of ON time."""
    bl = report.get("blinking") or {}
    on, off = bl.get("on_level_cps"), bl.get("off_level_cps")
    if on is None or off is None:  # a report without the segment levels (older or unseparated)
        on, off = bl.get("on_rate_cps"), bl.get("off_rate_cps")
    sigma_f = report.get("on_fraction_err")
    if on is None or off is None or not sigma_f:
        return 0.0
    return max(float(on) - float(off), 0.0) * float(sigma_f)


def sweep_point_rate(report: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """Detector rate of a recording (dead-time losses undone) and its error: Poisson and blinking.

    Parameters
    ----------
    report : Mapping
        ``analyze_photons`` / ``analyze_file`` output with the blinking step.

    Returns
    -------
    tuple
        (rate_cps, rate_err): sqrt(R / T + ((R_ON - R_OFF) sigma_f)^2); None where the
        recording has no duration or no photons.
    """
    rate = report.get("detector_rate_corrected_cps") or report.get("detector_rate_cps")
    dur = report.get("duration_s") or 0.0
    if not rate or dur <= 0:
        return (float(rate) if rate else None), None
    return float(rate), math.sqrt(rate / dur + _swing_cps(report) ** 2)
