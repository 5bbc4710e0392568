# SPDX-License-Identifier: BSD-3-Clause
"""FCS-type cross-correlation G(tau) from photon times, normalised like the vendors' correlators.

    G(tau) = n_pairs(tau, w) / (N_A N_B w (T - tau) / T^2) - 1

n_pairs counts pairs with t_B - t_A in [tau, tau + w) (``g2live.core.correlate``), N_A, N_B the
photons in [0, T). The (T - tau) / T factor is the finite-duration correction: only T - tau of
the acquisition can hold a pair at lag tau (e.g. Schätzel, Quantum Opt. 2, 287 (1990)). The
amplitude G(0) ~ 1/N_molecules (Magde, Elson & Webb, PRL 29, 705 (1972)).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from g2live import core

__all__ = ["fcs_correlation", "read_picoquant_cor"]


def fcs_correlation(
    a_ps: np.ndarray,
    b_ps: np.ndarray,
    lag_ps: np.ndarray,
    width_ps: np.ndarray,
    duration_ps: int,
    t0_ps: int = 0,
    finite_duration: bool = True,
) -> np.ndarray:
    """G(A,B) at each lag window [lag, lag + width), normalised like the vendors' correlators.

    Parameters
    ----------
    a_ps, b_ps : numpy.ndarray
        Sorted photon times (ps) of channels A and B.
    lag_ps, width_ps : numpy.ndarray
        Start and width (ps) of each lag window.
    duration_ps : int
        Acquisition span T; photons outside [t0, t0 + T) are dropped.
    t0_ps : int, optional
        Start of the span.
    finite_duration : bool, optional
        Apply the (T - tau) / T correction.

    Returns
    -------
    numpy.ndarray
        G(tau) per window.
    """
    lag = np.asarray(lag_ps, dtype=np.int64)
    w = np.asarray(width_ps, dtype=np.int64)
    if lag.shape != w.shape or lag.ndim != 1:
        raise ValueError(f"lag_ps {lag.shape} and width_ps {w.shape} must be equal 1-D arrays")
    if np.any(w <= 0):
        raise ValueError("fcs_correlation: every width_ps must be > 0")
    t_end = t0_ps + int(duration_ps)
    a = np.asarray(a_ps, dtype=np.int64)
    b = np.asarray(b_ps, dtype=np.int64)
    a = a[(a >= t0_ps) & (a < t_end)]
    b = b[(b >= t0_ps) & (b < t_end)]
    if a.size == 0 or b.size == 0:
        raise ValueError("fcs_correlation: a channel has no photons in the time span")
    pairs = np.empty(lag.size, dtype=float)
    i = 0
    while i < lag.size:  # one core call per run of contiguous equal-width windows (a multi-tau level)
        j = i + 1
        while j < lag.size and w[j] == w[i] and lag[j] == lag[j - 1] + w[i]:
            j += 1
        m = j - i
        # bin m // 2 starts at offset_ps, so bin 0 starts at lag[i]
        pairs[i:j] = core.correlate(a, b, int(w[i]), m, offset_ps=int(lag[i] + (m // 2) * w[i]))
        i = j
    t = float(duration_ps)
    eff = (t - np.maximum(lag, 0)) / t if finite_duration else np.ones(lag.size)
    # float products: N_A N_B w overflows int64 for long lags
    return pairs / (float(a.size) * float(b.size) * w.astype(float) * eff / t) - 1.0


def _cor_table(path: Path, lines: list[str]) -> tuple[dict[str, str], list[str], list[list[float]]]:
    """Header fields, column names and rows of the lines after the first."""
    header: dict[str, str] = {}
    rows: list[list[float]] = []
    cols: list[str] = []
    for i, line in enumerate(lines[1:], start=2):
        s = line.strip()
        if not s:
            continue
        if s.startswith("taustep"):
            cols = s.split()
        elif cols:
            rows.append(_cor_row(path, i, s, len(cols)))
        elif ":" in s:
            k, v = s.split(":", 1)
            header[k.strip()] = v.strip()
    return header, cols, rows


def _cor_row(path: Path, i: int, s: str, n_cols: int) -> list[float]:
    try:
        row = [float(x) for x in s.split()]
    except ValueError:
        raise ValueError(f"{path}:{i}: expected {n_cols} numbers, got {s!r}") from None
    if len(row) != n_cols:
        raise ValueError(f"{path}:{i}: expected {n_cols} columns, got {len(row)}")
    return row


def read_picoquant_cor(path: Path) -> dict[str, Any]:
    """Parse a PicoHarp/SymPhoTime "TTTR Correlator Export" (.cor) text file.

    Parameters
    ----------
    path : pathlib.Path
        The .cor file.

    Returns
    -------
    dict
        ``header`` (field: text), ``columns`` (names) and one array per column.
    """
    path = Path(path)
    lines = path.read_text(errors="replace").splitlines()
    if not lines or not lines[0].startswith("TTTR Correlator Export"):
        raise ValueError(f"{path}: not a 'TTTR Correlator Export' file (line 1 is {lines[:1]!r})")
    header, cols, rows = _cor_table(path, lines)
    if not rows:
        raise ValueError(f"{path}: no correlation table found")
    data = np.array(rows)
    out: dict[str, Any] = {"header": header, "columns": cols}
    for j, c in enumerate(cols):
        out[c] = data[:, j]
    return out
