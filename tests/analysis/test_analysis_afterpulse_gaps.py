# SPDX-License-Identifier: BSD-3-Clause
"""The afterpulse time constant from a channel's successive-event gaps, and the joint decay fit of
several channels with one lifetime."""

from __future__ import annotations

import numpy as np
import pytest
from g2live.analysis import afterpulse_density
from g2live.analysis.lifetime import (
    channel_decay,
    fit_gap_afterpulses,
    fit_joint_decay,
    quiet_bin,
)

PERIOD, W, DEAD = 100_000.0, 50.0, 22_000.0  # ps: 10 MHz laser, bins of 50 ps, dead time
N_BINS = int(PERIOD / W)


def _dead_time(t: np.ndarray, dead: float) -> np.ndarray:
    """Non-paralysable dead time: an event within ``dead`` of the last kept one is lost."""
    keep = np.zeros(t.size, bool)
    last = -np.inf
    for i, ti in enumerate(t):
        if ti - last >= dead:
            keep[i], last = True, ti
    return t[keep]


def _channel(rng: np.random.Generator, p_ap: float, tau_ap: float, n_pulses: int = 4_000_000) -> np.ndarray:
    """One SPAD's event times: a photon in 2 % of the pulses (exciton 8 ns, 10 MHz), dark counts,
    and afterpulses of each event (probability ``p_ap``, delay Exp(tau_ap)), then its dead time
    (an afterpulse inside it is lost, as on the emulator's detector)."""
    pulses = np.flatnonzero(rng.random(n_pulses) < 0.02)
    t = pulses * PERIOD + 5_000.0 + rng.exponential(8_000.0, pulses.size) + rng.normal(0, 100.0, pulses.size)
    t = np.concatenate([t, rng.uniform(0, n_pulses * PERIOD, rng.poisson(2e-4 * n_pulses))])
    ap = rng.random(t.size) < p_ap
    t = np.sort(np.concatenate([t, t[ap] + rng.exponential(tau_ap, int(ap.sum()))]))
    return _dead_time(t, DEAD)


def _gaps_and_decay(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    g = np.diff(t)
    gaps = np.bincount((g // W).astype(np.int64), minlength=6 * N_BINS)[: 6 * N_BINS]
    decay = np.bincount((np.mod(t, PERIOD) // W).astype(np.int64), minlength=N_BINS)[:N_BINS]
    return gaps, np.roll(decay, -quiet_bin(decay)), float(g.min()), float(g.size)


def test_gap_fit_recovers_tau_ap() -> None:
    rng = np.random.default_rng(3)
    pulls = []
    for _ in range(6):
        gaps, decay, dead, n_events = _gaps_and_decay(_channel(rng, 0.02, 60_000.0))
        f = fit_gap_afterpulses(gaps, decay, W, dead, n_events)
        assert f is not None
        pulls.append((f.tau_ap_ps - 60_000.0) / f.tau_ap_err_ps)
        assert 0.05 < f.tau_ap_err_ps / f.tau_ap_ps < 0.3
    assert abs(np.mean(pulls)) < 3 / np.sqrt(len(pulls)), pulls


def test_gap_fit_without_afterpulses_gives_none() -> None:
    gaps, decay, dead, n_events = _gaps_and_decay(_channel(np.random.default_rng(4), 0.0, 60_000.0))
    assert fit_gap_afterpulses(gaps, decay, W, dead, n_events) is None


def _model_decay(
    rng: np.random.Generator, scale: float, tau: float, p_ap: float, tau_ap: float
) -> np.ndarray:
    """One period drawn from the decay model: exciton ``tau``, background, afterpulses."""
    t = (np.arange(N_BINS) + 0.5) * W
    sig = np.where(t >= 5_000.0, np.exp(-np.maximum(t - 5_000.0, 0) / tau), 0.0)
    sig *= scale / sig.sum()
    ap = np.fft.irfft(np.fft.rfft(sig) * np.fft.rfft(afterpulse_density(N_BINS, W, tau_ap, DEAD)), n=N_BINS)
    return rng.poisson(sig + p_ap * ap + 0.3)


def test_joint_fit_recovers_the_lifetime_and_shares_tau_ap() -> None:
    rng = np.random.default_rng(8)
    pulls, shared = [], 0
    for _ in range(16):
        chans = [
            channel_decay(_model_decay(rng, s, 8_000.0, 0.004, 60_000.0), W, DEAD) for s in (3e5, 2.5e5)
        ]
        j = fit_joint_decay(chans, W)
        assert j is not None
        pulls.append((j.tau_ps - 8_000.0) / j.tau_err_ps)
        shared += j.shared_tau_ap
    assert abs(np.mean(pulls)) < 3 / np.sqrt(len(pulls)) + 0.1, f"mean pull {np.mean(pulls):+.2f}"
    assert 0.6 < np.std(pulls) < 1.4
    assert shared >= 13  # one tau_ap rejected at 1 %: 16 of 16 expected, a few allowed


def test_joint_fit_refuses_channels_with_different_lifetimes() -> None:
    rng = np.random.default_rng(9)
    chans = [
        channel_decay(_model_decay(rng, 3e5, tau, 0.004, 60_000.0), W, DEAD) for tau in (8_000.0, 9_000.0)
    ]
    assert fit_joint_decay(chans, W) is None


def test_joint_fit_keeps_each_detectors_tau_ap_when_they_differ() -> None:
    rng = np.random.default_rng(10)
    chans = [
        channel_decay(_model_decay(rng, 1e6, 8_000.0, 0.03, tau_ap), W, DEAD)
        for tau_ap in (15_000.0, 60_000.0)
    ]
    j = fit_joint_decay(chans, W)
    assert j is not None and not j.shared_tau_ap
    assert j.tau_ap_ps[0] < j.tau_ap_ps[1]


def test_joint_fit_needs_two_channels() -> None:
    c = channel_decay(_model_decay(np.random.default_rng(1), 3e5, 8_000.0, 0.004, 60_000.0), W, DEAD)
    with pytest.raises(ValueError, match="two channels"):
        fit_joint_decay([c], W)


def test_profile_errors_cover_the_lifetime() -> None:
    """The joint fit's profile-likelihood interval holds the true lifetime about 68 % of the time,
    and is close to the covariance's error where the decay is rich (tau_ap well determined)."""
    rng = np.random.default_rng(12)
    hits, ratios = 0, []
    for _ in range(24):
        chans = [channel_decay(_model_decay(rng, s, 8_000.0, 0.004, 60_000.0), W, DEAD) for s in (3e5, 2.5e5)]
        j = fit_joint_decay(chans, W)
        assert j is not None and j.tau_err_lo_ps is not None and j.tau_err_hi_ps is not None
        hits += j.tau_ps - j.tau_err_lo_ps <= 8_000.0 <= j.tau_ps + j.tau_err_hi_ps
        ratios += [j.tau_err_lo_ps / j.tau_err_ps, j.tau_err_hi_ps / j.tau_err_ps]
    assert 10 <= hits <= 22  # 68 % of 24 is 16.4, binomial sd 2.3
    assert 0.7 < np.median(ratios) < 1.3
