# SPDX-License-Identifier: BSD-3-Clause
"""One emulated run of a grid point and the pulls of its estimates against the emulator's truth.

The truths (docs/validation.md says why each is the right one):
- g2(0) side-peak: ``g2_0_setup``, the full-period peak-area ratio of this setup (emitter,
  background, dark counts and afterpulses), K = 4 side peaks;
- g2(0) Poisson-normalised: ``g2_0_setup_poisson_norm``; purity: 1 - ``g2_0_setup``; both with the
  blinking moments of the recording's own pulses (``truth.g2_setup``);
- lifetime: tau_X; ON fraction: the long-run ON fraction of the blinking process;
- P_sat: 1 (powers are in units of P_sat);
- tau_BX, tau_X: the emitter's; binding energy: ``truth["binding_centroid_mev"]``, the mean X
  minus mean BX photon energy over the array's pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ._grid import Case

__all__ = ["Pull", "run_case"]

SWEEP_POWERS = (0.05, 0.15, 0.4, 1.0, 2.0, 3.0)


@dataclass(frozen=True)
class Pull:
    """One estimate against its truth."""

    estimator: str
    case: str
    seed: int
    estimate: float | None
    error: float | None
    lo: float | None  # 68 % interval
    hi: float | None
    truth: float
    withheld: str = ""  # why there is no estimate (then not a pull)
    asymmetric: bool = False  # lo..hi an asymmetric 68 % interval: the pull takes its side toward the truth

    @property
    def pull(self) -> float:
        if self.estimate is None or not self.error:
            return float("nan")
        if self.asymmetric and self.lo is not None and self.hi is not None:
            side = self.estimate - self.lo if self.estimate > self.truth else self.hi - self.estimate
            if side > 0:
                return (self.estimate - self.truth) / side
        return (self.estimate - self.truth) / self.error

    def covered(self, z: float = 1.0) -> bool:
        """Truth inside the stated interval (68 %: ``lo..hi``; else estimate +- z error)."""
        if z == 1.0 and self.lo is not None and self.hi is not None:
            return self.lo <= self.truth <= self.hi
        return abs(self.pull) <= z


def _config(case: Case) -> Any:
    from g2live.emulator import EmulatorConfig, predict

    cfg = EmulatorConfig(**case.settings)
    if case.background_fraction is not None:
        signal = float(np.sum(predict(cfg)["signal_cps"]))
        cfg = replace(cfg, background_cps=case.background_fraction * signal / cfg.detector_efficiency)
    return cfg


def _pull(
    name: str, case: Case, seed: int, v: Any, e: Any, truth: float, ci: Any = None, why: str = ""
) -> Pull:
    ok = v is not None and e is not None and np.isfinite(v) and np.isfinite(e) and e > 0
    if not ok:
        return Pull(name, case.name, seed, None, None, None, None, float(truth), why or "no estimate")
    lo, hi = (float(ci[0]), float(ci[1])) if ci is not None else (v - e, v + e)
    return Pull(name, case.name, seed, float(v), float(e), lo, hi, float(truth), "")


def _realised(cfg: Any, stats: dict[str, Any]) -> dict[str, float]:
    """``g2_setup`` with the blinking moments of the recording's own pulses: the peak areas and
    the singles of *this* recording follow those, and a Poisson-normalised g2(0) measures them."""
    from g2live.emulator.blinking import Blinking
    from g2live.emulator.truth import g2_setup

    n = np.asarray(stats.get("pulses_by_state", [0, 0, 0]), dtype=float)
    q = Blinking(cfg, np.random.default_rng(0)).qy_factor
    if n.sum() <= 0:
        return g2_setup(cfg)
    return g2_setup(cfg, mean_q=float(n @ q / n.sum()), mean_q2=float(n @ q**2 / n.sum()))


def _hbt(case: Case, seed: int) -> list[Pull]:
    from g2live.analysis import analyze_photons
    from g2live.emulator import Emulator

    cfg = _config(case)
    data = Emulator(cfg, seed=seed).run(case.duration_s)
    t = data.meta.extra["truth"] | _realised(cfg, data.meta.extra["stats"])
    r = analyze_photons(data, steps=("g2", "lifetime", "blinking"))
    g = r.get("g2") or {}
    why = "zero delay not identified" if g.get("zero_method") == "expected" else ""
    raw = None if why else g.get("g2_0_unconstrained")
    err, ci = g.get("g2_0_err"), g.get("g2_0_ci")
    pn, pn_err, pn_ci = (
        g.get("g2_0_poisson_norm"),
        g.get("g2_0_poisson_norm_err"),
        g.get("g2_0_poisson_norm_ci"),
    )
    pur_ci = (1 - ci[1], 1 - ci[0]) if ci else None
    return [
        _pull("g2(0) side-peak", case, seed, raw, err, t["g2_0_setup"], ci, why),
        _pull(
            "g2(0) Poisson", case, seed, None if why else pn, pn_err, t["g2_0_setup_poisson_norm"], pn_ci, why
        ),
        _pull("purity", case, seed, None if raw is None else 1 - raw, err, 1 - t["g2_0_setup"], pur_ci, why),
        _lifetime_pull(case, seed, r, t["tau_x_ns"]),
        _pull("ON fraction", case, seed, r.get("on_fraction"), r.get("on_fraction_err"), t["on_fraction"]),
    ]


def _lifetime_pull(case: Case, seed: int, r: dict[str, Any], truth: float) -> Pull:
    """The lifetime against tau_X with its asymmetric 68 % interval (the joint fit's profile
    likelihood: ``lifetime_err_lo_ns``, ``lifetime_err_hi_ns``)."""
    v, e = r.get("lifetime_ns"), r.get("lifetime_err_ns")
    lo, hi = r.get("lifetime_err_lo_ns"), r.get("lifetime_err_hi_ns")
    ci = (v - lo, v + hi) if v is not None and lo and hi else None
    p = _pull("lifetime", case, seed, v, e, truth, ci)
    return replace(p, asymmetric=True) if p.estimate is not None and ci is not None else p


def _sweep_report(case: Case, seed: int, power: float) -> dict[str, Any]:
    """The report of one sweep point as ``analyze --sweep`` makes it (g2, the decays' rho, blinking)."""
    from g2live.analysis import analyze_photons
    from g2live.emulator import Emulator

    data = Emulator(replace(_config(case), power=power), seed=seed).run(case.duration_s)
    return analyze_photons(data, steps=("g2", "signal_fraction", "blinking"))


def _sweep(case: Case, seed: int) -> list[Pull]:
    """P_sat of one sweep as ``g2live analyze --sweep`` fits it (``sweep_points``): signal rates
    (rho from the decays) with the blinking pooled over the points, background-corrected g2(0)."""
    from g2live.analysis import fit_power_sweep, sweep_points

    pts = sweep_points([_sweep_report(case, seed + k, p) for k, p in enumerate(SWEEP_POWERS)])
    if any(v is None for pt in pts for v in (pt.rate_cps, pt.rate_err, pt.g2_0, pt.g2_0_err)):
        return [_pull("P_sat", case, seed, None, None, 1.0, why="a point without a rate or a g2(0)")]
    keys = ("rate_cps", "rate_err", "g2_0", "g2_0_err")
    rate, rate_err, g2, g2e = (np.array([getattr(pt, k) for pt in pts], dtype=float) for k in keys)
    offset = None if all(pt.signal_fraction is not None for pt in pts) else "fit"
    try:
        f = fit_power_sweep(np.array(SWEEP_POWERS), rate, rate_err, g2, g2e, "cascade", background_cps=offset)
    except ValueError as exc:
        return [_pull("P_sat", case, seed, None, None, 1.0, why=str(exc))]
    lo, hi = f.p_sat_err_lo, f.p_sat_err_hi
    ci = (f.p_sat - lo, f.p_sat + hi) if lo and hi else None
    p = _pull("P_sat", case, seed, f.p_sat, f.p_sat_err, 1.0, ci)
    # the profile-likelihood interval, its side toward the truth (the lifetime's pull likewise)
    return [replace(p, asymmetric=True) if ci is not None else p]


def _spectro(case: Case, seed: int) -> list[Pull]:
    """The heralded step of the report (what ``g2live analyze`` prints) on the emulated recording."""
    from g2live.analysis import analyze_photons
    from g2live.emulator import Emulator

    data = Emulator(_config(case), seed=seed).run(case.duration_s)
    t = data.meta.extra["truth"]
    r = analyze_photons(data, steps=("heralded",))
    h = r.get("heralded") or {}
    why = "; ".join(r["notes"] + [f"{k}: {v}" for k, v in (r.get("withheld") or {}).items()])
    return [
        _pull("tau_BX", case, seed, h.get("tau_bx_ns"), h.get("tau_bx_err_ns"), t["tau_bx_ns"], why=why),
        _pull("tau_X", case, seed, h.get("tau_x_ns"), h.get("tau_x_err_ns"), t["tau_x_ns"], why=why),
        _pull(
            "binding energy",
            case,
            seed,
            h.get("binding_energy_mev"),
            h.get("binding_energy_err_mev"),
            t["binding_centroid_mev"],
            why=why,
        ),
    ]


def run_case(case: Case, i: int) -> list[Pull]:
    """The pulls of run ``i`` of ``case``.

    Parameters
    ----------
    case : Case
        The grid point.
    i : int
        Which of its seeds.

    Returns
    -------
    list of Pull
        One per estimate the run makes.
    """
    seed = case.seed(i)
    if case.kind == "hbt":
        return _hbt(case, seed)
    if case.kind == "spectro":
        return _spectro(case, seed)
    if case.kind == "sweep":
        return _sweep(case, seed)
    raise ValueError(f"unknown case kind {case.kind!r}")
