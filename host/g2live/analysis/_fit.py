# SPDX-License-Identifier: BSD-3-Clause
"""Poisson maximum-likelihood fitting on top of lmfit.

lmfit minimises the Poisson deviance (its residual is the signed root of the per-bin deviance);
parameter errors come from the expected Fisher information sum_i (dm_i/dtheta)(dm_i/dtheta)^T / m_i
at the optimum, which is the correct asymptotic covariance for Poisson data even in sparse bins
where the Gauss-Newton matrix of the deviance residuals would not be.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import lmfit
import numpy as np

try:  # BLAS threads only slow these small fits down (badly on a busy machine)
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - optional
    threadpool_limits = None

from ._stats import deviance_residual

__all__ = ["Model", "PoissonFit", "fisher_information", "poisson_fit"]

Model = Callable[[lmfit.Parameters, np.ndarray], np.ndarray]


@dataclass
class PoissonFit:
    """A Poisson maximum-likelihood fit: best parameters with errors, covariance and deviance."""

    params: lmfit.Parameters  # best values with .stderr from the Fisher information
    covariance: np.ndarray  # over the free parameters, in params order
    free: list[str]
    deviance: float  # -2 log likelihood ratio against the saturated model
    dof: int
    success: bool
    message: str

    def value(self, name: str) -> float:
        """Best value of parameter ``name``."""
        return float(self.params[name].value)

    def error(self, name: str) -> float:
        """1-sigma error of parameter ``name`` (NaN when it is not defined)."""
        err = self.params[name].stderr
        return float("nan") if err is None else float(err)


def poisson_fit(model: Model, params: lmfit.Parameters, x: np.ndarray, y: np.ndarray) -> PoissonFit:
    """Fit expected counts ``model(params, x)`` to observed counts ``y`` by Poisson ML."""
    y = np.asarray(y, dtype=float)
    if y.size == 0:
        raise ValueError("poisson_fit: no bins to fit")
    if np.any(y < 0):
        raise ValueError("poisson_fit: counts must be non-negative")

    def resid(p: lmfit.Parameters) -> np.ndarray:
        return deviance_residual(y, model(p, x))

    if threadpool_limits is not None:
        with threadpool_limits(limits=1, user_api="blas"):
            out = lmfit.minimize(resid, params, method="least_squares", scale_covar=False)
    else:
        out = lmfit.minimize(resid, params, method="least_squares", scale_covar=False)
    best = out.params
    free = [n for n, p in best.items() if p.vary]
    cov = _fisher_covariance(model, best, free, x)
    for i, name in enumerate(free):
        best[name].stderr = float(np.sqrt(cov[i, i])) if np.isfinite(cov[i, i]) and cov[i, i] >= 0 else None
    dev = float(np.sum(resid(best) ** 2))
    return PoissonFit(best, cov, free, dev, int(y.size - len(free)), bool(out.success), str(out.message))


def _fisher_covariance(model: Model, params: lmfit.Parameters, free: list[str], x: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(fisher_information(model, params, free, x))
    except np.linalg.LinAlgError:
        return np.full((len(free), len(free)), np.nan)


def fisher_information(model: Model, params: lmfit.Parameters, free: list[str], x: np.ndarray) -> np.ndarray:
    """The expected Fisher information of Poisson counts ``model(params, x)`` in the parameters
    ``free`` (numerical derivatives kept inside the bounds), in that order."""
    m0 = np.maximum(model(params, x), 1e-300)
    grads = []
    for name in free:
        p = params[name]
        h = 1e-6 * max(abs(p.value), 1e-12) if p.value != 0 else 1e-9
        up, dn = params.copy(), params.copy()
        # keep the step inside the bounds so the derivative is of the model actually fitted
        hi_room = (p.max - p.value) if np.isfinite(p.max) else np.inf
        lo_room = (p.value - p.min) if np.isfinite(p.min) else np.inf
        h_up, h_dn = min(h, hi_room), min(h, lo_room)
        if h_up + h_dn <= 0:
            grads.append(np.zeros_like(m0))
            continue
        up[name].set(value=p.value + h_up)
        dn[name].set(value=p.value - h_dn)
        grads.append((model(up, x) - model(dn, x)) / (h_up + h_dn))
    g = np.array(grads)
    return (g / m0) @ g.T
