# SPDX-License-Identifier: BSD-3-Clause
"""Background correction of g2(0): uncorrelated counts (dark counts, stray light) raise it."""

from __future__ import annotations

__all__ = ["background_correct", "rho_from_rates"]


def background_correct(
    g2: float,
    g2_err: float,
    rho_a: float,
    rho_b: float | None = None,
    side_over_poisson: float | None = None,
) -> tuple[float, float]:
    """Remove uncorrelated background: g2_corr = (g2 - (1 - rho_a rho_b)) / (rho_a rho_b).

    rho = S / (S + B) is each detector's signal fraction. With rho_a = rho_b = rho this is the
    familiar (g2 - (1 - rho^2)) / rho^2 (Brouri et al., Opt. Lett. 25, 1294 (2000)).

    With blinking the signal-signal coincidences of the side peaks are bunched (side_over_poisson
    s > 1) but the background ones are not. In units of the Poisson level the zero peak is
    r g_s beta + (1 - r) and a side peak r beta + (1 - r) = s (r = rho_a rho_b), so
    g_s = (g2 s - (1 - r)) / (s - (1 - r)), which is Brouri's formula at s = 1. The rho are taken
    as exact; their uncertainty is not propagated.

    Parameters
    ----------
    g2, g2_err : float
        Measured g2(0) and its error.
    rho_a : float
        Signal fraction of detector a, in (0, 1].
    rho_b : float, optional
        Signal fraction of detector b (default: ``rho_a``).
    side_over_poisson : float, optional
        Side-peak bunching (1 without blinking).

    Returns
    -------
    tuple of float
        The corrected g2(0) and its error.
    """
    rho_b = rho_a if rho_b is None else rho_b
    for name, r in (("rho_a", rho_a), ("rho_b", rho_b)):
        if not 0 < r <= 1:
            raise ValueError(f"background_correct: {name} = S/(S+B) must be in (0, 1], got {r}")
    r2 = rho_a * rho_b
    s = 1.0 if side_over_poisson is None else float(side_over_poisson)
    if s - (1.0 - r2) <= 0:
        raise ValueError(f"background_correct: side peaks ({s:.3g} x Poisson) are below the background level")
    return (g2 * s - (1.0 - r2)) / (s - (1.0 - r2)), g2_err * s / (s - (1.0 - r2))


def rho_from_rates(total_cps: float, background_cps: float) -> float:
    """S/(S+B) from a detector's total rate and its background (dark + stray light) rate.

    Parameters
    ----------
    total_cps, background_cps : float
        Total and background count rate of the detector.

    Returns
    -------
    float
        The signal fraction.
    """
    if not 0 <= background_cps < total_cps:
        raise ValueError(f"rho_from_rates: need 0 <= background ({background_cps}) < total ({total_cps})")
    return (total_cps - background_cps) / total_cps
