# SPDX-License-Identifier: BSD-3-Clause
"""Spectra of the first and second photon from a pair matrix without its diagonal.

Same-pixel pairs are lost to the pixel's dead time (and afterpulses add false ones): the diagonal
of the (first pixel, second pixel) matrix is dropped and both spectra are recovered from the
off-diagonal cells under quasi-independence (Goodman, JASA 63, 1091 (1968)), fitted by iterative
proportional fitting: N_pq = a_p b_q for p != q.
"""

from __future__ import annotations

import numpy as np

__all__ = ["quasi_independent_spectra"]


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
