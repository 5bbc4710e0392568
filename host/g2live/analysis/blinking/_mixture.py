# SPDX-License-Identifier: BSD-3-Clause
"""ON/OFF threshold: the binned intensity histogram fitted (maximum likelihood, scipy) by a mixture
of two Poisson components (OFF, ON); the threshold is the count where both posteriors are equal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import optimize, special, stats

__all__ = ["PoissonMixture", "fit_poisson_mixture"]


@dataclass
class PoissonMixture:
    """Result of ``fit_poisson_mixture``."""

    lam_off: float
    lam_on: float
    w_on: float
    w_on_err: float
    threshold: float  # counts per bin: ON when counts > threshold
    separated: bool  # the two components are distinguishable (means differ by > 3 combined sigmas)
    log_likelihood: float

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
        return asdict(self)


def _negative_log_likelihood(n: np.ndarray) -> Callable[[np.ndarray], float]:
    """-log L of the counts ``n`` in the parameters (log lam_off, log(lam_on - lam_off), logit w_on)."""
    values, mult = np.unique(n, return_counts=True)

    def nll(x: np.ndarray) -> float:
        lo, hi, wl = np.exp(x[0]), np.exp(x[0]) + np.exp(x[1]), special.expit(x[2])
        lp = np.logaddexp(
            np.log1p(-wl) + stats.poisson.logpmf(values, lo), np.log(wl) + stats.poisson.logpmf(values, hi)
        )
        return -float(np.sum(mult * lp))

    return nll


def _weight_error(nll: Callable[[np.ndarray], float], best: optimize.OptimizeResult, w: float) -> float:
    """Error of w_on: observed information in the logit, by a central second difference."""
    h = 1e-3
    xp, xm = best.x.copy(), best.x.copy()
    xp[2] += h
    xm[2] -= h
    d2 = (nll(xp) - 2 * best.fun + nll(xm)) / h**2
    return float(w * (1 - w) / np.sqrt(d2)) if d2 > 0 else float("nan")


def fit_poisson_mixture(counts: np.ndarray) -> PoissonMixture:
    """Two-component Poisson mixture fit (maximum likelihood, scipy) of per-bin photon counts.

    Parameters
    ----------
    counts : numpy.ndarray
        Photons per trace bin (at least 10 bins).

    Returns
    -------
    PoissonMixture
        OFF and ON means, ON weight with its error, threshold, and whether they are separated.
    """
    n = np.asarray(counts, dtype=np.int64)
    if n.size < 10:
        raise ValueError(f"fit_poisson_mixture: need at least 10 trace bins, got {n.size}")
    nll = _negative_log_likelihood(n)
    m = float(n.mean())
    q10, q90 = np.percentile(n, [10, 90])
    starts = [
        np.array([np.log(max(q10, 0.1)), np.log(max(q90 - q10, 0.1)), 0.0]),
        np.array([np.log(max(0.2 * m, 0.1)), np.log(max(m, 0.1)), 1.0]),
    ]
    best = min(
        (
            optimize.minimize(
                nll, s, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-6, "maxiter": 4000}
            )
            for s in starts
        ),
        key=lambda r: r.fun,
    )
    lo, hi, w = np.exp(best.x[0]), np.exp(best.x[0]) + np.exp(best.x[1]), float(special.expit(best.x[2]))
    w_err = _weight_error(nll, best, w)
    # equal posteriors: log w_on + n log hi - hi = log w_off + n log lo - lo
    thr = (hi - lo + np.log((1 - w) / w)) / (np.log(hi / lo)) if hi > lo > 0 else float(np.median(n))
    separated = (hi - lo) > 3 * np.sqrt(hi + lo)
    return PoissonMixture(float(lo), float(hi), w, w_err, float(thr), bool(separated), -float(best.fun))
