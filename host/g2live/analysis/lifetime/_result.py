# SPDX-License-Identifier: BSD-3-Clause
"""The lifetime fit result and the pieces both fits share: input checks, decay parameters, and the
result built from a Poisson fit."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import lmfit
import numpy as np

from .._fit import PoissonFit

__all__ = ["LifetimeFit", "checked_counts", "decay_params", "lifetime_result"]


@dataclass
class LifetimeFit:
    """Result of ``fit_tail`` or ``fit_reconvolution``."""

    tau_ps: list[float]  # one or two lifetimes, longest last
    tau_err_ps: list[float]
    amplitude_fraction: list[float]  # fraction of decay photons in each component
    background_per_bin: float
    method: str  # "tail" or "reconvolution"
    fit_range_ps: tuple[float, float]
    deviance: float
    dof: int
    irf_sigma_ps: float | None = None
    irf_shift_ps: float | None = None
    n_photons: int = 0
    template_scale: float | None = None  # fitted scale of an additive template (accidentals)
    template_scale_err: float | None = None
    # fit_decay_model: the detector's afterpulses of the pulse's own photons, the cascade's fast term
    afterpulse_probability: float | None = None  # per photon, beyond the dead time
    afterpulse_probability_err: float | None = None
    afterpulse_tau_ps: float | None = None
    afterpulse_tau_err_ps: float | None = None
    afterpulse_tau_source: str | None = None  # "gaps" (successive-event gaps, held) or "decay" (fitted)
    tau_err_from_afterpulse_tau_ps: float | None = None  # the gaps' tau_ap error in the lifetime's
    dead_time_ps: float | None = None
    fast_tau_ps: float | None = None
    fast_amplitude_ratio: float | None = None  # B / A: < 0 is the exciton's rise after a biexciton
    notes: list[str] = field(default_factory=list)

    @property
    def tau_ns(self) -> float:
        """The lifetime in ns (two components: the amplitude-weighted mean)."""
        return self.tau_ps[0] / 1000.0 if len(self.tau_ps) == 1 else self.mean_tau_ps / 1000.0

    @property
    def mean_tau_ps(self) -> float:
        """Amplitude-weighted (photon-fraction-weighted) mean lifetime."""
        return float(np.dot(self.amplitude_fraction, self.tau_ps))

    def to_dict(self) -> dict[str, Any]:
        """The fields and ``tau_ns`` as a dict."""
        d = asdict(self)
        d["tau_ns"] = self.tau_ns
        return d


def checked_counts(counts: np.ndarray, bin_width_ps: float) -> np.ndarray:
    """A decay histogram as float, refused when it cannot be fitted."""
    c = np.asarray(counts, dtype=float)
    if c.ndim != 1 or c.size < 4:
        raise ValueError(f"decay histogram must be 1-D with at least 4 bins, got shape {c.shape}")
    if bin_width_ps <= 0:
        raise ValueError(f"bin_width_ps must be positive, got {bin_width_ps}")
    if c.sum() <= 0:
        raise ValueError("decay histogram is empty")
    return c


def decay_params(
    n_exp: int, tau_guess: float, amp_guess: float, bg_guess: float, t_span: float
) -> lmfit.Parameters:
    """Background ``bg`` and one or two components ``a1, tau1 [, a2, tau2]`` with their bounds."""
    p = lmfit.Parameters()
    p.add("bg", value=max(bg_guess, 1e-3), min=0)
    if n_exp == 1:
        p.add("a1", value=amp_guess, min=0)
        p.add("tau1", value=tau_guess, min=1e-3, max=100 * t_span)
    elif n_exp == 2:
        p.add("a1", value=0.5 * amp_guess, min=0)
        p.add("tau1", value=0.3 * tau_guess, min=1e-3, max=100 * t_span)
        p.add("a2", value=0.5 * amp_guess, min=0)
        p.add("tau2", value=2.0 * tau_guess, min=1e-3, max=100 * t_span)
    else:
        raise ValueError(f"n_exp must be 1 or 2, got {n_exp}")
    return p


def lifetime_result(
    fit: PoissonFit, n_exp: int, method: str, rng: tuple[float, float], n_photons: int, notes: list[str]
) -> LifetimeFit:
    """The components sorted by lifetime, with their photon fractions."""
    taus = [fit.value(f"tau{i}") for i in range(1, n_exp + 1)]
    errs = [fit.error(f"tau{i}") for i in range(1, n_exp + 1)]
    amps = [fit.value(f"a{i}") for i in range(1, n_exp + 1)]
    # a_i is the peak height per bin; photons in component i ~ a_i * tau_i
    w = np.array([a * t for a, t in zip(amps, taus, strict=True)])
    frac = (w / w.sum()).tolist() if w.sum() > 0 else [1.0 / n_exp] * n_exp
    order = np.argsort(taus)
    res = LifetimeFit(
        [taus[i] for i in order],
        [errs[i] for i in order],
        [frac[i] for i in order],
        fit.value("bg"),
        method,
        rng,
        fit.deviance,
        fit.dof,
        n_photons=n_photons,
        notes=notes,
    )
    if "sigma" in fit.params:
        res.irf_sigma_ps = fit.value("sigma")
    if "shift" in fit.params:
        res.irf_shift_ps = fit.value("shift")
    if not fit.success:
        res.notes.append("fit did not report convergence")
    return res
