# SPDX-License-Identifier: BSD-3-Clause
"""Which comb peak is zero delay: cable delays of tens of ns put it anywhere in the histogram."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._comb import DETECT_SIGMA, PeakAreas

__all__ = ["ZeroDelay", "find_zero_delay"]


@dataclass(frozen=True)
class ZeroDelay:
    """The zero-delay peak and how it was found (``find_zero_delay``)."""

    zero_ps: float
    index: int  # index into PeakAreas
    method: str  # "dip", "peak", "symmetry", "expected" or "given"
    significance: float  # dip/peak z score, or envelope chi2 z score


def _candidates(pa: PeakAreas, n_side: int, expected_ps: float, search_ps: float | None) -> np.ndarray:
    """Peaks with ``n_side`` neighbours on each side (within ``search_ps`` of ``expected_ps``)."""
    idx = np.arange(n_side, pa.areas.size - n_side)
    if search_ps is not None:
        idx = idx[np.abs(pa.centers_ps[idx] - expected_ps) <= search_ps + 1e-9]
    if idx.size == 0:
        raise ValueError(
            f"find_zero_delay: no peak with {n_side} side peaks on each side inside the histogram"
            f" (near {expected_ps:.0f} ps); widen the histogram or reduce n_side"
        )
    return idx


def _by_envelope(pa: PeakAreas, a: np.ndarray, idx: np.ndarray, n_side: int, expected_ps: float) -> ZeroDelay:
    """The centre of the most symmetric side-peak envelope, or with a flat comb the expected peak."""
    n = a.size
    off = np.arange(1, n_side + 1)
    # Envelope: chi2 of all peaks against their mean; symmetric centre = lowest mirror chi2.
    dof = max(n - 1, 1)
    chi2_flat = float(np.sum((a - a.mean()) ** 2) / max(a.mean(), 1.0))
    env_z = (chi2_flat - dof) / np.sqrt(2 * dof)
    if env_z >= DETECT_SIGMA:
        pos, neg = a[idx[:, None] + off[None, :]], a[idx[:, None] - off[None, :]]
        s = np.sum((pos - neg) ** 2 / np.maximum(pos + neg, 1.0), axis=1)
        j = int(np.argmin(s))
        return ZeroDelay(float(pa.centers_ps[idx[j]]), int(idx[j]), "symmetry", float(env_z))
    j = int(np.argmin(np.abs(pa.centers_ps[idx] - expected_ps)))
    return ZeroDelay(float(pa.centers_ps[idx[j]]), int(idx[j]), "expected", float(env_z))


def find_zero_delay(
    pa: PeakAreas, n_side: int, expected_ps: float = 0.0, search_ps: float | None = None
) -> ZeroDelay:
    """Which comb peak is zero delay.

    1. "dip": the peak most significantly below both neighbours (antibunching; works when the zero
    peak is empty). 2. "peak": the peak most significantly above both neighbours (bunching).
    3. "symmetry": with neither, the centre about which the side-peak envelope (blinking bunching)
    is most symmetric. 4. "expected": flat comb (e.g. a laser): the peak nearest ``expected_ps``.

    Parameters
    ----------
    pa : PeakAreas
        Areas of the comb peaks.
    n_side : int
        Side peaks the zero peak needs on each side.
    expected_ps : float, optional
        Where zero delay is expected (used for a flat comb and for ``search_ps``).
    search_ps : float, optional
        Only consider peaks within this distance of ``expected_ps``.

    Returns
    -------
    ZeroDelay
        The peak, its index in ``pa`` and the method that found it.
    """
    a = pa.areas.astype(float)
    idx = _candidates(pa, n_side, expected_ps, search_ps)
    # Compare with the nearer neighbours rather than the side mean: a convex blinking envelope
    # puts every off-centre peak below its side mean, but never below both neighbours.
    lower = np.minimum(a[idx - 1], a[idx + 1])
    upper = np.maximum(a[idx - 1], a[idx + 1])
    z_dip = (lower - a[idx]) / np.sqrt(np.maximum(a[idx] + lower, 1.0))
    z_peak = (a[idx] - upper) / np.sqrt(np.maximum(a[idx] + upper, 1.0))
    if z_dip.max() >= DETECT_SIGMA:
        j = int(np.argmax(z_dip))
        return ZeroDelay(float(pa.centers_ps[idx[j]]), int(idx[j]), "dip", float(z_dip[j]))
    if z_peak.max() >= DETECT_SIGMA:
        j = int(np.argmax(z_peak))
        return ZeroDelay(float(pa.centers_ps[idx[j]]), int(idx[j]), "peak", float(z_peak[j]))
    return _by_envelope(pa, a, idx, n_side, expected_ps)
