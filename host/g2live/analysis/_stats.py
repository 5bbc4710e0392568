# SPDX-License-Identifier: BSD-3-Clause
"""Counting statistics shared by the estimators: exact Poisson/binomial intervals and the
Poisson-deviance residual that turns lmfit's least squares into a Poisson maximum-likelihood fit."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "ONE_SIGMA",
    "clopper_pearson",
    "deviance_residual",
    "garwood",
    "half_width",
    "poisson_ratio_interval",
]

ONE_SIGMA = float(stats.norm.cdf(1.0) - stats.norm.cdf(-1.0))  # 0.6827: the "1 sigma" coverage


def garwood(n: float, cl: float = ONE_SIGMA) -> tuple[float, float]:
    """Exact (Garwood 1936) central interval for a Poisson mean after observing ``n`` counts."""
    alpha = 1.0 - cl
    lo = 0.0 if n <= 0 else float(stats.chi2.ppf(alpha / 2, 2 * n) / 2)
    hi = float(stats.chi2.ppf(1 - alpha / 2, 2 * n + 2) / 2)
    return lo, hi


def clopper_pearson(k: float, n: float, cl: float = ONE_SIGMA) -> tuple[float, float]:
    """Exact (Clopper-Pearson 1934) central interval for a binomial probability, k of n."""
    alpha = 1.0 - cl
    lo = 0.0 if k <= 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k >= n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


def poisson_ratio_interval(
    n0: float, n_ref: float, scale: float, cl: float = ONE_SIGMA
) -> tuple[float, float]:
    """Interval for ``scale * mu0 / mu_ref`` from counts n0 ~ Poisson(mu0), n_ref ~ Poisson(mu_ref).

    Conditioned on the total n0 + n_ref, n0 is binomial with p = mu0 / (mu0 + mu_ref), so an exact
    interval on p maps monotonically onto the ratio (e.g. Cox 1953; used for g2(0) by Fishman et al.).
    """
    p_lo, p_hi = clopper_pearson(n0, n0 + n_ref, cl)
    lo = scale * p_lo / (1.0 - p_lo) if p_lo < 1.0 else np.inf
    hi = scale * p_hi / (1.0 - p_hi) if p_hi < 1.0 else np.inf
    return float(lo), float(hi)


def deviance_residual(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Signed square root of the Poisson deviance per bin: the sum of squares is the Poisson
    -2 log-likelihood ratio, so least squares on these residuals is the Poisson ML fit
    (Baker & Cousins 1984)."""
    m = np.maximum(m, 1e-300)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / m), 0.0)
    dev = 2.0 * (m - y + term)
    return np.sign(y - m) * np.sqrt(np.maximum(dev, 0.0))


def half_width(lo: float, hi: float) -> float:
    """Half the width of the interval [lo, hi]: the symmetric error quoted for it."""
    return 0.5 * (hi - lo)
