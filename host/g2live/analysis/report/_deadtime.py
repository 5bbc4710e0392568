# SPDX-License-Identifier: BSD-3-Clause
"""The detector rate with the dead-time losses undone.

A non-paralysable detector loses a photon when it arrives within the dead time d of the one
before it on the same detector. Two corrections:

- "poisson": R = R_meas / (1 - R_meas d) per detector, exact for uncorrelated (CW, Poisson)
  light. For pulsed light with d shorter than the period it is wrong: a detector loses a photon
  only to another photon of the same pulse (the biexciton's and its exciton's), far less often
  than at the Poisson rate. On the emulated sweeps it overcorrected by +0.3 % at 0.4 P_sat and
  +0.8 % at 3 P_sat, +1.2 % at 3 P_sat without blinking (docs/analysis.md, "Purity vs power").
- "coincidences" (an HBT pair): a beam splitter sends a photon pair to the same detector with
  probability w_a^2 (w_b^2) and to both with 2 w_a w_b, so the pairs one detector loses are the
  cross-detector pairs within its dead time of zero delay times w_a / (2 w_b), with
  w_a / w_b = N_a / N_b. This counts the light's own photon statistics (antibunching, the
  cascade's pairs); to first order in the losses, like any single-pass correction.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..correlation import CorrelationHistogram
from ._recording import Recording

__all__ = ["dead_time_corrected", "poisson_corrected"]


def poisson_corrected(rec: Recording) -> tuple[dict[str, float | None], float | None]:
    """Each detector's dead time (its shortest interval, from the survey's sample, ns) and the
    detector rate with the losses undone for Poisson light: R = R_meas / (1 - R_meas d)."""
    dur = rec.duration_s
    dead = {c: (rec.dead_ps or {}).get(c) for c in rec.detectors}
    if dur <= 0:
        return {str(c): None for c in dead}, None
    total = 0.0
    for c, d in dead.items():
        r = rec.counts[c] / dur
        total += r / (1 - r * d * 1e-12) if d and r * d * 1e-12 < 0.5 else r
    return {str(c): (d / 1e3 if d else None) for c, d in dead.items()}, total


def _pairs_within(h: CorrelationHistogram, zero_ps: float, dead_ps: float) -> float:
    """Cross-detector pairs with |delay - zero| < dead (bins by their centres)."""
    return float(h.counts[np.abs(h.centers_ps - zero_ps) < dead_ps].sum())


def dead_time_corrected(rec: Recording, g2: dict[str, Any], h: CorrelationHistogram | None) -> dict[str, Any]:
    """``detector_rate_corrected_cps`` from the coincidences of the HBT pair when they apply
    (pulsed, two detectors, both dead times known and shorter than half the period, the zero delay
    found, the histogram reaching the dead time), else nothing (the Poisson correction stays).

    Parameters
    ----------
    rec : Recording
        The surveyed recording.
    g2 : dict
        The g2 step's values (excitation, channels, delay offset, period).
    h : CorrelationHistogram or None
        The pair histogram of ``g2["channels"]`` (b - a delays).

    Returns
    -------
    dict
        ``detector_rate_corrected_cps`` and ``dead_time_correction`` ("coincidences"), or empty.
    """
    chans, zero, period = g2.get("channels"), g2.get("delay_offset_ps"), g2.get("period_ps")
    if (h is None or rec.spectro or g2.get("excitation") != "pulsed" or zero is None or not period
            or not chans or sorted(chans) != sorted(rec.detectors) or rec.duration_s <= 0):
        return {}
    a, b = chans
    na, nb = rec.counts.get(a, 0), rec.counts.get(b, 0)
    da, db = ((rec.dead_ps or {}).get(c) for c in (a, b))
    if not (na and nb and da and db) or max(da, db) >= period / 2:
        return {}
    if h.lo_ps > zero - max(da, db) or h.hi_ps < zero + max(da, db):
        return {}
    lost = _pairs_within(h, zero, da) * na / (2 * nb) + _pairs_within(h, zero, db) * nb / (2 * na)
    return {"detector_rate_corrected_cps": (na + nb + lost) / rec.duration_s,
            "dead_time_correction": "coincidences"}
