# SPDX-License-Identifier: BSD-3-Clause
"""One decay model fitted to several detector channels at once, the emitter's lifetime shared.

The channels of an HBT setup look at one emitter, so its lifetime (and the cascade's fast time)
is one parameter; their amplitudes, backgrounds, cable delays and afterpulse probabilities are
their own. The afterpulse time constant tau_ap is a property of each detector: two SPADs of one
model have similar but not identical ones. Fitted from one channel's decay alone it is poorly
determined (it spreads 6-170 ns around a true 60 ns in a 2 s run) and the lifetime follows it
(docs/validation.md). The tests, by the likelihood ratio against the channels' own fits:

1. one lifetime and one tau_ap against each channel's own (n + n_ap - 2 degrees of freedom):
   kept at p >= ``TAU_AP_ALPHA``, the usual case;
2. else the fit with one lifetime and a tau_ap per detector: the lifetime is shared unless the
   channels' own fits reject it at ``TAU_ALPHA`` (polarisation, two emitters: then there is no
   joint result and the caller falls back to the channels' own fits), and tau_ap is shared
   unless that fit rejects it at ``TAU_AP_ALPHA``.

The lifetime's errors below and above come from the profile likelihood (``profile_errors``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import lmfit
import numpy as np
from scipy import stats

from .._fit import PoissonFit, poisson_fit
from ._cascade import ChannelDecay, decay_result
from ._result import LifetimeFit

__all__ = ["JointDecayFit", "TAU_ALPHA", "TAU_AP_ALPHA", "fit_joint_decay"]

TAU_AP_ALPHA = 0.01  # one tau_ap per detector when the shared one is rejected at this level
TAU_ALPHA = 1e-3  # the channels disagree on the lifetime at this level (as the inverse-variance mean)

_OWN = ("bg", "a1", "b", "p_ap")  # per channel always; tau_ap per channel only when not shared


@dataclass
class JointDecayFit:
    """The joint fit: the shared lifetime, how tau_ap was treated, and each channel's view."""

    tau_ps: float
    tau_err_ps: float
    shared_tau_ap: bool
    tau_ap_ps: list[float | None]  # per channel (the shared value repeated), None without the term
    tau_ap_lr: float | None  # deviance(shared tau_ap) - deviance(one per detector); None: not needed
    tau_ap_lr_p: float | None
    tau_lr: float  # the channels' own fits' deviances below the joint one (the lifetime shared,
    # and tau_ap when the shared fit stood against them directly)
    tau_lr_p: float
    deviance: float
    dof: int
    channels: list[LifetimeFit] = field(default_factory=list)
    tau_err_lo_ps: float | None = None  # profile-likelihood errors below and above (profile_errors)
    tau_err_hi_ps: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, the channels' views as dicts."""
        d = {k: v for k, v in self.__dict__.items() if k != "channels"}
        d["tau_ns"] = self.tau_ps / 1e3
        d["tau_err_ns"] = self.tau_err_ps / 1e3
        d["tau_err_lo_ns"] = None if self.tau_err_lo_ps is None else self.tau_err_lo_ps / 1e3
        d["tau_err_hi_ns"] = None if self.tau_err_hi_ps is None else self.tau_err_hi_ps / 1e3
        d["channels"] = [c.to_dict() for c in self.channels]
        return d


class _JointModel:
    """The channels' models side by side on their concatenated fit bins."""

    def __init__(self, chans: list[ChannelDecay], shared_ap: bool) -> None:
        self.chans, self.shared_ap = chans, shared_ap

    def values(self, p: lmfit.Parameters, i: int) -> dict[str, float]:
        v = {"tau1": p["tau1"].value}
        for n in _OWN:
            if f"{n}_{i}" in p:
                v[n] = p[f"{n}_{i}"].value
        if "b" in v:
            v["tau_f"] = p["tau_f"].value
        if "p_ap" in v:
            v["tau_ap"] = p["tau_ap"].value if self.shared_ap else p[f"tau_ap_{i}"].value
        return v

    def __call__(self, p: lmfit.Parameters, xx: np.ndarray) -> np.ndarray:
        return np.concatenate([c.model.evaluate(self.values(p, i), c.x) for i, c in enumerate(self.chans)])


def _copy(dst: lmfit.Parameters, name: str, src: lmfit.Parameter) -> None:
    dst.add(name, value=src.value, min=src.min, max=src.max, vary=src.vary)


def _params(chans: list[ChannelDecay], shared_ap: bool, tau_ap0: float | None) -> lmfit.Parameters:
    """Shared tau1 (tau_f, tau_ap) started from the channels' own fits, the rest per channel."""
    p = lmfit.Parameters()
    taus = np.array([c.fit.value("tau1") for c in chans])
    errs = np.array([c.fit.error("tau1") for c in chans])
    w = np.where(np.isfinite(errs) & (errs > 0), 1.0 / np.square(np.where(errs > 0, errs, 1.0)), 0.0)
    p.add("tau1", value=float(np.sum(w * taus) / w.sum()) if w.sum() > 0 else float(taus.mean()),
          min=min(c.fit.params["tau1"].min for c in chans), max=max(c.fit.params["tau1"].max for c in chans))
    for i, c in enumerate(chans):
        for n in _OWN:
            if n in c.fit.params:
                _copy(p, f"{n}_{i}", c.fit.params[n])
        if "p_ap" in c.fit.params and not shared_ap:
            _copy(p, f"tau_ap_{i}", c.fit.params["tau_ap"])
    fast = [c for c in chans if "b" in c.fit.params]
    if fast:
        _copy(p, "tau_f", fast[0].fit.params["tau_f"])
        p["tau_f"].value = float(np.exp(np.mean([np.log(c.fit.value("tau_f")) for c in fast])))
    ap = [c for c in chans if "p_ap" in c.fit.params]
    if ap and shared_ap:
        _copy(p, "tau_ap", ap[0].fit.params["tau_ap"])
        p["tau_ap"].set(min=min(c.fit.params["tau_ap"].min for c in ap),
                        max=max(c.fit.params["tau_ap"].max for c in ap))
        p["tau_ap"].value = tau_ap0 if tau_ap0 is not None else ap[0].fit.value("tau_ap")
    return p


def _fit(chans: list[ChannelDecay], shared_ap: bool, starts: list[float | None]) -> PoissonFit:
    """The joint fit, a shared tau_ap started from each of ``starts``, the best kept."""
    x = np.concatenate([c.x for c in chans])
    y = np.concatenate([c.y for c in chans])
    model = _JointModel(chans, shared_ap)
    best: PoissonFit | None = None
    for s in starts:
        f = poisson_fit(model, _params(chans, shared_ap, s), x, y)
        if best is None or f.deviance < best.deviance:
            best = f
    assert best is not None
    return best


def profile_errors(chans: list[ChannelDecay], fit: PoissonFit, shared_ap: bool) -> tuple[float, float]:
    """The lifetime's errors below and above from the profile likelihood, one step each side: the
    deviance with tau held at tau -+ sigma (the covariance's error) and the rest refitted rises by
    D; a parabola through it gives sigma / sqrt(D) on that side. Where tau_ap is poorly known the
    likelihood is not parabolic and the covariance's error is too large near the best fit."""
    x = np.concatenate([c.x for c in chans])
    y = np.concatenate([c.y for c in chans])
    model = _JointModel(chans, shared_ap)
    tau, sig = fit.value("tau1"), fit.error("tau1")
    out = []
    for sign in (-1.0, 1.0):
        p = fit.params.copy()
        p["tau1"].set(value=tau + sign * sig, vary=False)
        try:
            d = poisson_fit(model, p, x, y).deviance - fit.deviance
        except (ValueError, np.linalg.LinAlgError):
            d = float("nan")
        out.append(sig / np.sqrt(d) if np.isfinite(d) and d > 0 else sig)
    return out[0], out[1]


def _shared(chans: list[ChannelDecay], n_ap: int, own_dev: float) -> tuple[PoissonFit, float]:
    """The fit with one tau_ap, from the channels' geometric mean; where the channels' own fits
    reject it, again from each channel's own value (the likelihood in tau_ap is not convex and
    one channel's value can be far off). Returns the fit and its p-value against the own fits."""
    taps = [c.fit.value("tau_ap") for c in chans if "p_ap" in c.fit.params]
    dof = len(chans) + n_ap - 2
    fit = _fit(chans, True, [float(np.exp(np.mean(np.log(taps))))])
    p = float(stats.chi2.sf(max(fit.deviance - own_dev, 0.0), dof))
    if p < TAU_AP_ALPHA:
        again = _fit(chans, True, list(taps))
        if again.deviance < fit.deviance:
            fit, p = again, float(stats.chi2.sf(max(again.deviance - own_dev, 0.0), dof))
    return fit, p


def fit_joint_decay(chans: list[ChannelDecay], bin_width_ps: float, t0_ps: list[float] | None = None,
                    dead_times_ps: list[float | None] | None = None) -> JointDecayFit | None:
    """Fit the channels' decay models jointly with one lifetime.

    Parameters
    ----------
    chans : list of ChannelDecay
        The channels' own fits (``channel_decay``), at least two.
    bin_width_ps : float
        Their common bin width.
    t0_ps, dead_times_ps : list, optional
        Each channel's bin-0 delay and dead time, for the per-channel views.

    Returns
    -------
    JointDecayFit or None
        None when the channels disagree on the lifetime (the shared one rejected at
        ``TAU_ALPHA``) or the joint fit has no error for it.
    """
    if len(chans) < 2:
        raise ValueError("fit_joint_decay: needs at least two channels")
    n_ap = sum("p_ap" in c.fit.params for c in chans)
    own_dev = sum(c.fit.deviance for c in chans)  # each channel its own lifetime and tau_ap
    shared, p_shared = _shared(chans, n_ap, own_dev) if n_ap >= 2 else (None, 0.0)
    fit, lr, p_lr = shared, None, None
    # one emitter, detectors alike: the shared fit against the channels' own fits (lifetime and
    # tau_ap); most runs stop here, and only a rejection asks which of the two differs
    tau_lr = max(shared.deviance - own_dev, 0.0) if shared is not None else 0.0
    tau_p = p_shared
    if shared is None or p_shared < TAU_AP_ALPHA:
        fit = own = _fit(chans, False, [None])
        tau_lr = max(own.deviance - own_dev, 0.0)
        tau_p = float(stats.chi2.sf(tau_lr, len(chans) - 1))
        if shared is not None:
            lr = max(shared.deviance - own.deviance, 0.0)
            p_lr = float(stats.chi2.sf(lr, n_ap - 1))
            if p_lr >= TAU_AP_ALPHA:
                fit = shared
    assert fit is not None
    err = fit.error("tau1")
    if tau_p < TAU_ALPHA or not (np.isfinite(err) and err > 0):
        return None
    t0 = t0_ps or [0.0] * len(chans)
    dead = dead_times_ps or [None] * len(chans)
    views = [decay_result(c, fit, f"_{i}", t0[i], bin_width_ps, dead[i]) for i, c in enumerate(chans)]
    lo, hi = profile_errors(chans, fit, fit is shared)
    return JointDecayFit(
        fit.value("tau1"), err, fit is shared, [v.afterpulse_tau_ps for v in views], lr, p_lr,
        tau_lr, tau_p, fit.deviance, fit.dof, views, lo, hi,
    )
