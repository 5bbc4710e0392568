# SPDX-License-Identifier: BSD-3-Clause
"""What the emulator's settings predict: rates, g2(0), lifetimes, ON fraction, spectra.

Formulas (derived in docs/emulator.md), with mu = <N> = P / P_sat, r = qy_ratio,
P1 = P(N >= 1) = 1 - e^-mu, P2 = P(N >= 2) = 1 - e^-mu (1 + mu):

    photons per pulse (ON state)   n = QY_X (P1 + r P2)
    g2(0) of the emitter (pulsed)  g2 = 2 r P2 / (P1 + r P2)^2        -> r at low power
    detected rate per channel      R_c = f_rep * <q> * eta_c * QY_X (P1 w_c^X + r P2 w_c^BX)

Blinking multiplies both QYs by the state's factor q, so g2(0) against the neighbouring peaks
does not depend on it (numerator and denominator both scale with <q^2>).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .blinking import Blinking
from .config import EmulatorConfig
from .excitation import cw_excitation_rate_hz, poisson_outcome
from .optics import background_cps
from .spectra import pixel_weights

__all__ = [
    "channel_weights",
    "g2_setup",
    "emitted_per_second_on",
    "g2_cw_curve",
    "g2_zero_cw",
    "g2_zero_pulsed",
    "predict",
    "signal_cps",
]


def g2_zero_pulsed(mean_excitons: float, qy_ratio: float) -> float:
    """g2(0) of the emitter alone under pulsed Poisson excitation (central / side peak areas).

    Parameters
    ----------
    mean_excitons : float
        <N> = P / P_sat.
    qy_ratio : float
        QY_BX / QY_X.

    Returns
    -------
    float
        2 r P2 / (P1 + r P2)^2 (-> qy_ratio at low power).
    """
    o = poisson_outcome(mean_excitons)
    if o.p_ge1 == 0.0:
        return qy_ratio
    if mean_excitons < 1e-6:  # series: 2 r P2 / (P1 + r P2)^2 = r (1 + mu (1/3 - r)) + O(mu^2)
        return qy_ratio * (1.0 + mean_excitons * (1.0 / 3.0 - qy_ratio))
    return 2.0 * qy_ratio * o.p_ge2 / (o.p_ge1 + qy_ratio * o.p_ge2) ** 2


def g2_zero_cw(power: float, tau_x_ns: float, tau_bx_ns: float, qy_ratio: float) -> float:
    """g2(0) of the emitter alone under CW excitation (ideal time resolution).

    Parameters
    ----------
    power : float
        P / P_sat = g tau_x.
    tau_x_ns, tau_bx_ns : float
        Exciton and biexciton lifetimes.
    qy_ratio : float
        QY_BX / QY_X.

    Returns
    -------
    float
        g2(0).
    """
    s = power  # g * tau_x
    return qy_ratio * (1.0 + s + s * s * tau_bx_ns / tau_x_ns) / (1.0 + s * qy_ratio) ** 2


def g2_cw_curve(
    tau_ps: np.ndarray, power: float, tau_x_ns: float, tau_bx_ns: float, qy_ratio: float
) -> np.ndarray:
    """g2(tau) of the emitter alone under CW excitation (no blinking, ideal detectors).

    The three-state chain G -> X <-> BX is solved exactly: after an X photon the dot is in G, after
    a BX photon in X; g2(tau) = sum_k r_k * (emission rate at tau after photon k) / r^2.

    Parameters
    ----------
    tau_ps : numpy.ndarray
        Delays (ps).
    power : float
        P / P_sat = g tau_x.
    tau_x_ns, tau_bx_ns : float
        Exciton and biexciton lifetimes.
    qy_ratio : float
        QY_BX / QY_X.

    Returns
    -------
    numpy.ndarray
        g2 at each delay, the shape of ``tau_ps``.
    """
    gx = 1.0 / (tau_x_ns * 1e3)
    gb = 1.0 / (tau_bx_ns * 1e3)
    g = power * gx  # per ps
    q = np.array([[-g, g, 0.0], [gx, -(gx + g), g], [0.0, gb, -gb]])
    pi = np.array([1.0, power, power * power * tau_bx_ns / tau_x_ns])
    pi /= pi.sum()
    emit = np.array([0.0, gx, gb * qy_ratio])  # photon rate in each state (QY_X factors out)
    r_x, r_bx = pi[1] * emit[1], pi[2] * emit[2]
    w, v = np.linalg.eig(q.T)  # p(tau)^T = V exp(w tau) V^-1 p0^T
    w, v = w.real, v.real
    vinv = np.linalg.inv(v)
    shape = np.shape(tau_ps)
    tau = np.abs(np.asarray(tau_ps, dtype=float)).ravel()
    decay = np.exp(np.outer(tau, w))  # [n, 3]
    out = np.zeros(tau.size)
    for rate, start in ((r_x, 0), (r_bx, 1)):
        coef = vinv[:, start]  # V^-1 e_start
        p_t = (decay * coef) @ v.T  # [n, 3] state probabilities
        out += rate * (p_t @ emit)
    return (out / (r_x + r_bx) ** 2).reshape(shape)


def channel_weights(cfg: EmulatorConfig) -> tuple[np.ndarray, np.ndarray]:
    """Fraction of emitted X and BX photons that reach each detector channel (before efficiencies)."""
    if cfg.mode == "hbt":
        w = np.array([cfg.split_ratio, 1.0 - cfg.split_ratio])
        return w, w
    return pixel_weights(cfg, 0), pixel_weights(cfg, 1)


def emitted_per_second_on(cfg: EmulatorConfig, power: float) -> tuple[float, float]:
    """Emitted X and BX photons per second in the ON state."""
    qx = cfg.qy_x
    qbx = cfg.qy_ratio * cfg.qy_x
    if cfg.excitation == "pulsed":
        o = poisson_outcome(power)
        f = 1e12 / cfg.period_ps
        return f * o.p_ge1 * qx, f * o.p_ge2 * qbx
    g = cw_excitation_rate_hz(power, cfg.tau_x_ns)
    s = power
    pi_g = 1.0 / (1.0 + s + s * s * cfg.tau_bx_ns / cfg.tau_x_ns)
    return g * pi_g * qx, g * s * pi_g * qbx


def signal_cps(cfg: EmulatorConfig, power: float | None = None) -> np.ndarray:
    """Detected signal rate per channel, averaged over blinking, before dead-time losses and afterpulses.

    Parameters
    ----------
    cfg : EmulatorConfig
        The parameters.
    power : float, optional
        P / P_sat (default ``cfg.power``).

    Returns
    -------
    numpy.ndarray
        Rate per detector channel (1/s).
    """
    power = cfg.power if power is None else power
    ex, ebx = emitted_per_second_on(cfg, power)
    wx, wbx = channel_weights(cfg)
    q = _blinking_moments(cfg)
    eta = cfg.collection_efficiency * cfg.detector_efficiency
    return q["mean_q"] * eta * (ex * wx + ebx * wbx)


def _blinking_moments(cfg: EmulatorConfig) -> dict[str, Any]:
    b = Blinking(cfg, np.random.default_rng(0))
    f = b.fractions()
    q = b.qy_factor
    return {
        "fractions": f,
        "mean_q": float(f @ q),
        "mean_q2": float(f @ q**2),
    }


def predict(cfg: EmulatorConfig, power: float | None = None) -> dict[str, Any]:
    """Everything the settings predict (formulas: docs/emulator.md).

    Parameters
    ----------
    cfg : EmulatorConfig
        The parameters.
    power : float, optional
        P / P_sat (default ``cfg.power``).

    Returns
    -------
    dict
        Plain JSON-able values: rates, g2(0), lifetimes, ON fraction, spectra, the config.
    """
    power = cfg.power if power is None else float(power)
    bm = _blinking_moments(cfg)
    sig = signal_cps(cfg, power)
    noise = background_cps(cfg)
    out: dict[str, Any] = {
        "config": cfg.to_dict(),
        "power": power,
        "excitation": cfg.excitation,
        "tau_x_ns": cfg.tau_x_ns,
        "tau_bx_ns": cfg.tau_bx_ns,
        "qy_x": cfg.qy_x,
        "qy_bx": cfg.qy_ratio * cfg.qy_x,
        "state_fractions": {"on": float(bm["fractions"][0]), "off": float(bm["fractions"][1]),
                            "grey": float(bm["fractions"][2])},
        "on_fraction": float(bm["fractions"][0]),
        "mean_qy_factor": bm["mean_q"],
        # g2 at lags between the emitter's and the blinking's time scales, relative to long lags
        "blinking_bunching": bm["mean_q2"] / bm["mean_q"] ** 2,
        "signal_cps": sig.tolist(),
        "noise_cps": noise.tolist(),  # dark counts + detected background
        "detected_cps": (sig + noise).tolist(),  # before dead time and afterpulses
        "afterpulse_factor": 1.0 / (1.0 - cfg.afterpulse_probability),  # incl. afterpulses of afterpulses
        "channels": {str(c): (f"detector {c}" if cfg.mode == "hbt" else f"pixel {c}")
                     for c in range(cfg.n_detectors)},
        "sync_channel": cfg.sync_ch,
    }
    if cfg.excitation == "pulsed":
        out |= _pulsed_truth(cfg, power, sig, noise, bm)
    else:
        out |= _cw_truth(cfg, power)
    if cfg.mode == "spectro":
        out |= _spectro_truth(cfg)
    return out


def _pulsed_truth(
    cfg: EmulatorConfig, power: float, sig: np.ndarray, noise: np.ndarray, bm: dict[str, Any]
) -> dict[str, Any]:
    o = poisson_outcome(power)
    period = cfg.period_ps
    out = {
        "period_ps": period,
        "rep_rate_hz": 1e12 / period,
        "mean_excitons": power,
        "p_excited": o.p_ge1,
        "p_biexciton": o.p_ge2,
        "photons_per_pulse_on": cfg.qy_x * (o.p_ge1 + cfg.qy_ratio * o.p_ge2),
        "g2_0_emitter": g2_zero_pulsed(power, cfg.qy_ratio),
        "g2_0_low_power_limit": cfg.qy_ratio,
        "g2_0_high_power_limit": 2 * cfg.qy_ratio / (1 + cfg.qy_ratio) ** 2,
    }
    if cfg.mode == "hbt":
        out["g2_0_hbt"] = _g2_hbt_with_noise(cfg, power, sig, noise, bm)
        out.update(_g2_setup(cfg, power, sig, noise, bm))
        # the same while the emitter is ON (q = 1): what an ON-state gate measures
        mq = bm["mean_q"]
        on = {"mean_q": 1.0, "mean_q2": 1.0}
        out["g2_0_hbt_on"] = _g2_hbt_with_noise(cfg, power, sig / mq, noise, on) if mq > 0 else float("nan")
    return out


def _cw_truth(cfg: EmulatorConfig, power: float) -> dict[str, Any]:
    return {
        "excitation_rate_hz": cw_excitation_rate_hz(power, cfg.tau_x_ns),
        "g2_0_emitter": g2_zero_cw(power, cfg.tau_x_ns, cfg.tau_bx_ns, cfg.qy_ratio),
        "g2_0_low_power_limit": cfg.qy_ratio,
    }


def _spectro_truth(cfg: EmulatorConfig) -> dict[str, Any]:
    wx, wbx = channel_weights(cfg)
    e = np.asarray(cfg.pixel_energy_ev())
    ok = wx.sum() > 0 and wbx.sum() > 0
    centroid = (e @ wx / wx.sum() - e @ wbx / wbx.sum()) * 1e3 if ok else float("nan")
    return {
        # mean X minus mean BX photon energy over the array (pixel centres): the binding energy
        # seen through the array's finite span and pixels (-> binding_bx_mev for a wide array)
        "binding_centroid_mev": float(centroid),
        "pixel_energy_ev": cfg.pixel_energy_ev(),
        "pixel_edges_ev": cfg.pixel_edges_ev(),
        "pixel_weight_x": wx.tolist(),
        "pixel_weight_bx": wbx.tolist(),
        "binding_bx_mev": cfg.binding_bx_mev,
        "mean_energy_x_ev": cfg.energy_x_ev - cfg.urbach_mev * 1e-3,
        "mean_energy_bx_ev": cfg.energy_x_ev - (cfg.binding_bx_mev + cfg.urbach_mev) * 1e-3,
    }


def _afterpulse_windows(cfg: EmulatorConfig, n_side: int) -> tuple[float, np.ndarray]:
    """Recorded afterpulses per avalanche (beyond the dead time) and the probability pi_j that one
    lands j periods after its parent's peak (windows one period wide), j = 0..n_side."""
    p_ap, tau, dead = cfg.afterpulse_probability, cfg.afterpulse_tau_ns * 1e3, cfg.dead_time_ns * 1e3
    if p_ap <= 0 or tau <= 0:
        return 0.0, np.zeros(n_side + 1)
    period = float(cfg.period_ps)

    def surv(x: float) -> float:  # P(delay > x | delay > dead)
        return math.exp(-max(x - dead, 0.0) / tau)

    pi = np.array([surv((j - 0.5) * period) - surv((j + 0.5) * period) for j in range(n_side + 1)])
    return p_ap * math.exp(-dead / tau), pi


def _dead_time_pairs(cfg: EmulatorConfig, power: float) -> np.ndarray:
    """Per pulse (ON state) and channel: the probability that the channel detects both photons of
    a biexciton cascade with the second inside the dead time, which it then does not record."""
    o = poisson_outcome(power)
    wx, wbx = channel_weights(cfg)
    eta = cfg.collection_efficiency * cfg.detector_efficiency
    both = o.p_ge2 * cfg.qy_x * cfg.qy_ratio * cfg.qy_x  # BX and then X emitted
    inside = -math.expm1(-cfg.dead_time_ns / cfg.tau_x_ns) if cfg.tau_x_ns > 0 else 1.0
    return both * eta**2 * wx * wbx * inside


def _g2_setup(cfg: EmulatorConfig, power: float, sig: np.ndarray, noise: np.ndarray, bm: dict[str, Any],
              n_side: int = 4) -> dict[str, float]:
    """Side-peak and Poisson-normalised g2(0) of this setup: emitter, background, dark counts and
    afterpulses (docs/validation.md derives it).

    An afterpulse inherits its parent's pulse: landing j periods later it pairs with the other
    detector's photons of *other* pulses like an uncorrelated count, but with those of its parent's
    pulse (j = 0 in the centre window, j = -m in side window m) only through the emitter's g2(0).
    Per period, with a = recorded afterpulses per avalanche and pi_j their window shares:
    centre = ss [g2e + sum_c a_c (pi_0 g2e + 1 - pi_0)] + mixed,
    side   = ss [1 + sum_c a_c (1 - (1 - g2e) sum_{j=1..K} pi_j / 2K)] + mixed,
    Poisson level = prod_c (s_c <q> + d_c)(1 + a_c). Dead time: a channel that gets both photons
    of a cascade (the X inside its dead time after the BX) records one, which lowers the side
    peaks and the singles but not the centre peak (0.2 % of g2(0) at 0.3 P_sat, 1.1 % at 3).
    """
    period_s = cfg.period_ps * 1e-12
    mq, mq2 = bm["mean_q"], bm["mean_q2"]
    if mq == 0 or not math.isfinite(mq):
        return {}
    g2e = g2_zero_pulsed(power, cfg.qy_ratio)
    a, pi = _afterpulse_windows(cfg, n_side)
    s_on = sig * period_s / mq
    lost = _dead_time_pairs(cfg, power)  # ON state, per pulse and channel; x <q^2> (blinking)
    d = noise * period_s * (1 + a)
    ss = s_on[0] * s_on[1] * mq2
    # a side peak pairs recorded photons of two pulses: a channel that got both of a pulse's photons
    # records one (<q^3> taken as <q^2>: q is 1 or small); the centre pairs one photon per channel
    ss_side = ss - (s_on[0] * lost[1] + lost[0] * s_on[1]) * mq2
    mixed = ((1 + a) * s_on[0] * d[1] + d[0] * (1 + a) * s_on[1]) * mq + d[0] * d[1]
    centre = ss * (g2e + 2 * a * (pi[0] * g2e + 1 - pi[0])) + mixed
    side = ss_side * (1 + 2 * a * (1 - (1 - g2e) * pi[1:].sum() / (2 * n_side))) + mixed
    poisson = float(np.prod((s_on * mq - lost * mq2 + noise * period_s) * (1 + a)))
    if side <= 0 or poisson <= 0:
        return {}
    return {"g2_0_setup": float(centre / side), "g2_0_setup_poisson_norm": float(centre / poisson)}


def g2_setup(
    cfg: EmulatorConfig, power: float | None = None, mean_q: float | None = None, mean_q2: float | None = None
) -> dict[str, float]:
    """``g2_0_setup`` and ``g2_0_setup_poisson_norm`` (HBT, pulsed), with the blinking moments of
    one recording (``stats["pulses_by_state"]``) instead of the long-run ones when given.

    Parameters
    ----------
    cfg : EmulatorConfig
        The parameters.
    power : float, optional
        P / P_sat (default ``cfg.power``).
    mean_q, mean_q2 : float, optional
        <q> and <q^2> of the QY factor over the recording's pulses.

    Returns
    -------
    dict
        The two truths (empty when undefined).
    """
    power = cfg.power if power is None else float(power)
    bm = _blinking_moments(cfg)
    sig = signal_cps(cfg, power)  # the ON-state signal per period comes out of sig / <q>
    if mean_q is not None and mean_q2 is not None:
        sig = sig / bm["mean_q"] * mean_q
        bm = {"mean_q": mean_q, "mean_q2": mean_q2}
    return _g2_setup(cfg, power, sig, background_cps(cfg), bm)


def _g2_hbt_with_noise(cfg: EmulatorConfig, power: float, sig: np.ndarray, noise: np.ndarray,
                       bm: dict[str, Any]) -> float:
    """Cross-correlation g2(0) of the two HBT detectors including dark counts and background.

    Peak areas integrated over one full laser period each; counts per period: signal s (ON state,
    scaled by q per blinking state) and noise d: centre = g2e sA sB <q^2> + (sA dB + dA sB) <q> + dA dB,
    side = sA sB <q^2> + (sA dB + dA sB) <q> + dA dB.
    """
    period_s = cfg.period_ps * 1e-12
    mq = bm["mean_q"]
    if mq == 0 or not math.isfinite(mq):
        return float("nan")
    s_on = sig * period_s / mq
    d = noise * period_s
    mixed = (s_on[0] * d[1] + d[0] * s_on[1]) * mq + d[0] * d[1]
    ss = s_on[0] * s_on[1] * bm["mean_q2"]
    side = ss + mixed
    if side == 0:
        return float("nan")
    return float((g2_zero_pulsed(power, cfg.qy_ratio) * ss + mixed) / side)
