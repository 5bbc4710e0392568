"""Helpers of the analysis tests: synthetic data sampled directly from the models (known truth,
cheap: no photons simulated), and a loader for the measured files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from g2live.analysis import CorrelationHistogram
from g2live.photons import PhotonData


def pulsed_comb(
    rng: np.random.Generator,
    *,
    g2_0: float,
    side_area: float,
    period_ps: float = 12_500.0,
    zero_ps: float = 23_900.0,
    tau_ps: float = 300.0,
    bin_width_ps: int = 16,
    n_bins: int = 2**14,
    offset_ps: int = 0,
    floor_per_bin: float = 0.0,
    envelope: tuple[float, float] | None = None,
) -> tuple[CorrelationHistogram, np.ndarray]:
    """Pulsed HBT histogram: two-sided exponential peaks every period, the one at ``zero_ps``
    scaled by ``g2_0``, optional blinking envelope (amplitude, decay ps) on all peaks, flat floor.
    Returns the histogram and the expected (noise-free) counts."""
    h0 = CorrelationHistogram(np.zeros(n_bins, dtype=np.int64), bin_width_ps, offset_ps)
    edges = h0.edges_ps
    mu = np.full(n_bins, floor_per_bin, dtype=float)
    k_lo = int(np.floor((edges[0] - zero_ps) / period_ps)) - 2
    k_hi = int(np.ceil((edges[-1] - zero_ps) / period_ps)) + 2
    for k in range(k_lo, k_hi + 1):
        c = zero_ps + k * period_ps
        amp = side_area * (g2_0 if k == 0 else 1.0)
        if envelope is not None:
            amp *= 1.0 + envelope[0] * np.exp(-abs(k * period_ps) / envelope[1])
        # integral of exp(-|t - c|/tau)/(2 tau) over each bin
        x = np.clip((edges - c) / tau_ps, -700, 700)
        cdf = np.where(x < 0, 0.5 * np.exp(np.minimum(x, 0)), 1 - 0.5 * np.exp(-np.maximum(x, 0)))
        mu += amp * np.diff(cdf)
    counts = rng.poisson(mu).astype(np.int64)
    return CorrelationHistogram(counts, bin_width_ps, offset_ps), mu


def decay(
    rng: np.random.Generator,
    *,
    n_photons: float,
    tau_ps: float | list[float],
    bin_width_ps: float,
    n_bins: int,
    mu_ps: float,
    sigma_ps: float,
    period_ps: float | None,
    bg_per_bin: float = 0.0,
    fractions: list[float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Decay histogram: exponential(s) convolved with a Gaussian IRF, periodic, flat background.
    Expected counts by integrating the exact density over each bin numerically (8 sub-samples)."""
    from g2live.analysis import emg_periodic

    taus = [tau_ps] if np.isscalar(tau_ps) else list(tau_ps)
    fr = fractions or [1.0 / len(taus)] * len(taus)
    sub = 8
    t = (np.arange(n_bins * sub) + 0.5) * bin_width_ps / sub
    dens = sum(f * emg_periodic(t, mu_ps, sigma_ps, tau, period_ps) for f, tau in zip(fr, taus, strict=True))
    mu = n_photons * dens.reshape(n_bins, sub).mean(axis=1) * bin_width_ps + bg_per_bin
    return rng.poisson(mu).astype(np.int64), mu


def cw_hist(
    rng: np.random.Generator,
    *,
    norm: float,
    a: float,
    t_ab: float,
    sigma: float,
    tau0: float,
    b: float = 0.0,
    t_b: float = 1.0,
    bin_width_ps: int = 100,
    n_bins: int = 400,
    offset_ps: int = 0,
) -> tuple[CorrelationHistogram, np.ndarray]:
    """CW histogram sampled from the fit model itself (bin-centre values)."""
    from g2live.analysis import antibunching_model

    h0 = CorrelationHistogram(np.zeros(n_bins, np.int64), bin_width_ps, offset_ps)
    mu = norm * antibunching_model(h0.centers_ps, a=a, t_ab=t_ab, b=b, t_b=t_b, tau0=tau0, sigma=sigma)
    return CorrelationHistogram(rng.poisson(mu).astype(np.int64), bin_width_ps, offset_ps), mu


def load(path: Path) -> PhotonData:
    """A measured file, read by g2live.io (the project's readers; their own tests cover the formats)."""
    from g2live import io

    return io.read(path)
