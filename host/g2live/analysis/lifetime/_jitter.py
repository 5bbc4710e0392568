# SPDX-License-Identifier: BSD-3-Clause
"""A SPAD's timing response and exponential decays convolved with it, integrated over bins.

The response (IRF) is a Gaussian core of standard deviation ``sigma`` and, for a fraction ``f`` of
the detections, an extra exponential delay of mean ``tau_t`` (carrier diffusion in the SPAD: the
usual description of a SPAD's IRF, e.g. Becker, "The bh TCSPC Handbook", ch. on detectors;
Ghioni et al., IEEE J. Sel. Top. Quantum Electron. 13, 852 (2007)), shifted by ``t0``:

    IRF = N(t0, sigma) * [(1 - f) delta + f Exp(tau_t)]

Everything is in closed form through the cumulative distribution of an exponential decay of mean
tau convolved with N(0, sigma) (the exponentially modified Gaussian):

    F_tau(t) = Phi(t / sigma) - exp(sigma^2 / (2 tau^2) - t / tau) Phi(t / sigma - sigma / tau)

and the convolution of two exponentials, Exp(a) * Exp(b) = (a Exp(a) - b Exp(b)) / (a - b) as
distribution functions, so counts per bin are exact differences of F at the bin edges (no
sampling of a density at bin centres, which coarse bins would bias).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import special

__all__ = ["Jitter", "decay_cdf", "binned_decay", "exp_gauss_cdf"]

_EQUAL_REL = 1e-4  # two decay times closer than this are separated by this much (limit a -> b)


@dataclass(frozen=True)
class Jitter:
    """A timing response: Gaussian core, exponential diffusion tail, offset."""

    sigma_ps: float
    tail_fraction: float = 0.0
    tail_ps: float = 0.0
    t0_ps: float = 0.0

    @property
    def fwhm_ps(self) -> float:
        """FWHM of the Gaussian core."""
        return 2.0 * np.sqrt(2.0 * np.log(2.0)) * self.sigma_ps

    def width_ps(self, quantile: float = 1e-4) -> float:
        """A delay beyond which the response holds less than ``quantile`` of its photons
        (Gaussian tail and exponential tail bounded separately)."""
        z = float(special.ndtri(1.0 - quantile / 2))
        tail = (
            self.tail_ps * np.log(max(self.tail_fraction, 1e-300) / (quantile / 2))
            if self.tail_fraction > 0
            else 0.0
        )
        return float(z * self.sigma_ps + max(tail, 0.0))

    def tilted(self, tau_ps: float) -> Jitter:
        """The response reweighted by exp(-j / tau): the jitter of photons selected with
        probability exp(-j / tau) (e.g. a first photon whose partner must come >= w later,
        P = exp(-(w - j) / tau)). Gaussian: mean -sigma^2 / tau; tail: mean tau_t tau / (tau_t + tau)."""
        if not tau_ps > 0:
            return self
        t0 = self.t0_ps - self.sigma_ps**2 / tau_ps
        if self.tail_fraction <= 0 or self.tail_ps <= 0:
            return Jitter(self.sigma_ps, self.tail_fraction, self.tail_ps, t0)
        tt = self.tail_ps * tau_ps / (self.tail_ps + tau_ps)
        w_tail = self.tail_fraction * tt / self.tail_ps
        f = w_tail / (1 - self.tail_fraction + w_tail)
        return Jitter(self.sigma_ps, f, tt, t0)

    def to_dict(self) -> dict[str, Any]:
        """The fields and the FWHM as a dict."""
        return asdict(self) | {"fwhm_ps": self.fwhm_ps}


def exp_gauss_cdf(t: np.ndarray, tau: float, sigma: float) -> np.ndarray:
    """P(E + G <= t) for E ~ Exp(mean tau) (tau = 0: no decay) and G ~ N(0, sigma).

    Parameters
    ----------
    t : numpy.ndarray
        Times.
    tau, sigma : float
        Decay time and Gaussian standard deviation (same unit as ``t``); either may be 0.

    Returns
    -------
    numpy.ndarray
        The distribution function at ``t``.
    """
    t = np.asarray(t, dtype=float)
    if sigma <= 0:
        if tau <= 0:
            return (t >= 0).astype(float)
        return np.where(t > 0, -np.expm1(-np.maximum(t, 0.0) / tau), 0.0)
    z = t / sigma
    if tau <= 0:
        return special.ndtr(z)
    r = sigma / tau
    # exp(r^2/2 - t/tau) Phi(z - r) in log space: finite for any t
    log_term = 0.5 * r * r - t / tau + special.log_ndtr(z - r)
    return special.ndtr(z) - np.exp(np.minimum(log_term, 0.0))


def decay_cdf(t: np.ndarray, tau: float, jitter: Jitter) -> np.ndarray:
    """Distribution function of an exponential decay of mean ``tau`` (0: a prompt event) that
    starts at t = 0, seen through ``jitter``.

    Parameters
    ----------
    t : numpy.ndarray
        Times (ps).
    tau : float
        Decay time (ps), >= 0.
    jitter : Jitter
        The timing response.

    Returns
    -------
    numpy.ndarray
        P(detection time <= t).
    """
    x = np.asarray(t, dtype=float) - jitter.t0_ps
    s, f, tt = jitter.sigma_ps, jitter.tail_fraction, jitter.tail_ps
    core = exp_gauss_cdf(x, tau, s)
    if f <= 0 or tt <= 0:
        return core
    if tau <= 0:
        return (1 - f) * core + f * exp_gauss_cdf(x, tt, s)
    if abs(tau - tt) < _EQUAL_REL * tau:
        tt = tau * (1 - _EQUAL_REL)
    both = (tau * core - tt * exp_gauss_cdf(x, tt, s)) / (tau - tt)
    return (1 - f) * core + f * both


def binned_decay(
    edges_ps: np.ndarray, tau: float, jitter: Jitter, period_ps: float | None = None
) -> np.ndarray:
    """Probability of each bin [edges[i], edges[i+1]) for one decay seen through ``jitter``,
    with the tails of earlier pulses added when ``period_ps`` is given.

    Parameters
    ----------
    edges_ps : numpy.ndarray
        Increasing bin edges (ps).
    tau : float
        Decay time (ps).
    jitter : Jitter
        The timing response.
    period_ps : float, optional
        Laser period: pulse k before contributes its photons still arriving (geometric in tau).

    Returns
    -------
    numpy.ndarray
        One probability per bin (sums to 1 over the whole time axis for a single pulse).
    """
    e = np.asarray(edges_ps, dtype=float)
    out = np.diff(decay_cdf(e, tau, jitter))
    if period_ps and tau > 0:
        k_max = int(np.ceil(30 * tau / period_ps))
        for k in range(1, k_max + 1):
            out = out + np.diff(decay_cdf(e + k * period_ps, tau, jitter))
    return np.maximum(out, 0.0)
