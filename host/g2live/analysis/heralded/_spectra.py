# SPDX-License-Identifier: BSD-3-Clause
"""Spectra of the first and second photon from a pair matrix without its diagonal.

Same-pixel pairs are lost to the pixel's dead time (and afterpulses add false ones): the diagonal
of the (first pixel, second pixel) matrix is dropped and both spectra are recovered from the
off-diagonal cells under quasi-independence (Goodman, JASA 63, 1091 (1968)), fitted by iterative
proportional fitting: N_pq = a_p b_q for p != q.
"""

from __future__ import annotations

import numpy as np

__all__ = ["centroid_shift", "quasi_independent_spectra"]


def quasi_independent_spectra(m: np.ndarray, iterations: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Row and column spectra of a pair matrix whose diagonal is missing: a_p sum(b), b_q sum(a).

    Parameters
    ----------
    m : numpy.ndarray
        Square pair matrix (first pixel, second pixel).
    iterations : int, optional
        Most iterative-proportional-fitting steps.

    Returns
    -------
    tuple of numpy.ndarray
        Spectrum of the first and of the second photon, diagonal restored.
    """
    n = m.shape[0]
    off = ~np.eye(n, dtype=bool)
    rows, cols = (m * off).sum(axis=1), (m * off).sum(axis=0)
    a, b = rows.copy() + 1e-12, cols.copy() + 1e-12
    for _ in range(iterations):
        a_new = rows / np.maximum(b.sum() - b, 1e-300)
        b_new = cols / np.maximum(a_new.sum() - a_new, 1e-300)
        done = np.allclose(a_new, a, rtol=1e-10, atol=1e-12) and np.allclose(b_new, b, rtol=1e-10, atol=1e-12)
        a, b = a_new, b_new
        if done:
            break
    total = float((m * off).sum())
    fitted = float(np.sum(np.outer(a, b) * off))
    k = total / fitted if fitted > 0 else 0.0
    # with the diagonal restored: row p holds a_p sum(b) pairs
    return a * b.sum() * k, b * a.sum() * k


def _centroids(m: np.ndarray, energies: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    sf, ss = quasi_independent_spectra(m, iterations=60)  # no clipping: unbiased where a cell is < 0
    tf, ts = sf.sum(), ss.sum()
    if not (tf > 0 and ts > 0):
        raise ValueError("no pairs left after the accidental subtraction")
    return sf, ss, float(sf @ energies / tf), float(ss @ energies / ts)


def centroid_shift(
    m_raw: np.ndarray, m_acc: np.ndarray, energies: np.ndarray, n_boot: int = 200, seed: int = 0
) -> dict[str, object]:
    """Mean energy of the first and the second photon of genuine pairs, their difference and its
    error (Poisson bootstrap of the pair matrix).

    The genuine pair matrix is ``m_raw - m_acc`` without its diagonal; the spectra come from
    ``quasi_independent_spectra``. The mean energies need no line model: for an emitter whose
    biexciton line is its exciton line moved by the binding energy they differ by exactly that.

    Parameters
    ----------
    m_raw : numpy.ndarray
        Observed pairs by (first pixel, second pixel).
    m_acc : numpy.ndarray
        Expected accidental pairs, same shape.
    energies : numpy.ndarray
        Energy of each pixel (eV), same order.
    n_boot : int, optional
        Bootstrap resamples for the errors.
    seed : int, optional
        Seed of the resampling (the result is reproducible).

    Returns
    -------
    dict
        ``spectrum_first``, ``spectrum_second`` (genuine, diagonal restored), ``mean_first_ev``,
        ``mean_second_ev``, ``shift_ev`` (second - first) and their bootstrap errors.
    """
    e = np.asarray(energies, dtype=float)
    raw = np.asarray(m_raw, dtype=float)
    acc = np.asarray(m_acc, dtype=float)
    sf, ss, c1, c2 = _centroids(raw - acc, e)
    rng = np.random.default_rng(seed)
    boot = np.empty((n_boot, 2))
    for i in range(n_boot):
        _, _, b1, b2 = _centroids(rng.poisson(raw) - acc, e)
        boot[i] = b1, b2
    err = boot.std(axis=0, ddof=1)
    return {
        "spectrum_first": sf,
        "spectrum_second": ss,
        "mean_first_ev": c1,
        "mean_first_err_ev": float(err[0]),
        "mean_second_ev": c2,
        "mean_second_err_ev": float(err[1]),
        "shift_ev": c2 - c1,
        "shift_err_ev": float(np.std(boot[:, 1] - boot[:, 0], ddof=1)),
    }
