# SPDX-License-Identifier: BSD-3-Clause
"""Single-photon purity, and g2(0) from per-period photon counting (pulsed mode).

purity = 1 - g2(0) (with the error of g2(0)); g2(0) itself comes from ``g2.pulsed_g2`` or from
the pulsed counter:

- photon-number histogram P(n) of clicks per laser period (``g2live.core.pulsed``): the
  factorial-moment estimator g2(0) = <n(n-1)> / <n>^2 (e.g. Loudon, "The Quantum Theory of
  Light", ch. 6), independent of detection efficiency for photon-number-resolving (multiplexed)
  detection. When two photons can fall on the same binary detector (probability ``p_same``),
  only (1 - p_same) of the pairs are counted, so <n(n-1)> is divided by (1 - p_same): an HBT with
  a 50:50 splitter has p_same = 1/2, an array with pixel weights w_k has p_same = sum w_k^2.
- heralded records of an HBT pair: g2(0) = N_AB N_periods / (N_A N_B), coincidences in the same
  period over the product of singles probabilities.
Errors by the delta method on the multinomial (photon-number) or Poisson (HBT) counts.
"""

from __future__ import annotations

import numpy as np

__all__ = ["g2_from_heralded", "g2_from_photon_number", "purity"]


def purity(g2_0: float, g2_0_err: float) -> tuple[float, float]:
    """Single-photon purity 1 - g2(0) and its error (that of g2(0)).

    Parameters
    ----------
    g2_0, g2_0_err : float
        g2(0) and its error.

    Returns
    -------
    tuple of float
        Purity and its error.
    """
    return 1.0 - g2_0, g2_0_err


def g2_from_photon_number(photon_number: np.ndarray, p_same: float = 0.0) -> tuple[float, float]:
    """g2(0) = <n(n-1)> / <n>^2 from photon-number counts, with its delta-method error.

    Parameters
    ----------
    photon_number : numpy.ndarray
        Periods with n = 0, 1, 2, ... clicks; the last bin ("n or more") is taken as exactly n.
    p_same : float, optional
        Probability that two photons fall on the same binary detector (HBT 50:50: 0.5).

    Returns
    -------
    tuple of float
        g2(0) and its error.
    """
    c = np.asarray(photon_number, dtype=float)
    if c.ndim != 1 or c.size < 3:
        raise ValueError(f"photon_number must hold counts for n = 0, 1, 2, ..., got shape {c.shape}")
    if not 0 <= p_same < 1:
        raise ValueError(f"p_same must be in [0, 1), got {p_same}")
    total = c.sum()
    if total <= 0:
        raise ValueError("photon_number histogram is empty")
    n = np.arange(c.size, dtype=float)
    p = c / total
    m1 = float(np.dot(n, p))
    m2 = float(np.dot(n * (n - 1), p)) / (1.0 - p_same)
    if m1 <= 0:
        raise ValueError("no photons in the photon-number histogram")
    g = m2 / m1**2
    # delta method: g = f(p), grad_k = [k(k-1)/(1-p_same)] / m1^2 - 2 m2 k / m1^3; multinomial covariance
    grad = n * (n - 1) / (1.0 - p_same) / m1**2 - 2.0 * m2 * n / m1**3
    var = (np.dot(grad**2, p) - np.dot(grad, p) ** 2) / total
    return g, float(np.sqrt(max(var, 0.0)))


def g2_from_heralded(
    channel_first: np.ndarray,
    channel_second: np.ndarray,
    n_periods: int,
    counts_a: int,
    counts_b: int,
    a: int,
    b: int,
) -> tuple[float, float]:
    """g2(0) of an HBT pair from same-period coincidences: N_AB N_periods / (N_A N_B).

    Parameters
    ----------
    channel_first, channel_second : numpy.ndarray
        Channels of the first and second photon of each heralded record.
    n_periods : int
        Laser periods observed.
    counts_a, counts_b : int
        Photons on channels ``a`` and ``b``.
    a, b : int
        The two channels.

    Returns
    -------
    tuple of float
        g2(0) and its error.
    """
    cf, cs = np.asarray(channel_first), np.asarray(channel_second)
    n_ab = int(np.sum(((cf == a) & (cs == b)) | ((cf == b) & (cs == a))))
    if counts_a <= 0 or counts_b <= 0 or n_periods <= 0:
        raise ValueError("g2_from_heralded: need photons on both channels and at least one period")
    g = n_ab * n_periods / (counts_a * counts_b)
    err = g * np.sqrt(1.0 / max(n_ab, 1) + 1.0 / counts_a + 1.0 / counts_b)
    return float(g), float(err)
