# SPDX-License-Identifier: BSD-3-Clause
"""Sweep tables: the points of a power sweep from CSV or JSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["SWEEP_COLUMNS", "read_sweep_table"]

SWEEP_COLUMNS = ("power", "rate_cps", "rate_err", "g2_0", "g2_0_err", "integration_s")


def _rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix.lower() == ".json":
        doc = json.loads(path.read_text())
        rows = doc.get("points", doc) if isinstance(doc, dict) else doc
        if not isinstance(rows, list):
            raise ValueError(f"{path}: expected a list of points or an object with 'points'")
        return rows
    with path.open(newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.lstrip().startswith("#")))


def read_sweep_table(path: Path) -> dict[str, np.ndarray]:
    """Read a sweep table.

    Parameters
    ----------
    path : pathlib.Path
        CSV with a header row naming at least ``power`` and ``rate_cps`` (optional ``rate_err``,
        ``g2_0``, ``g2_0_err``, ``integration_s``; ``#`` comment lines allowed), or JSON: a list of
        objects with those keys, or an object with a ``points`` list (the ``g2live sweep`` output).

    Returns
    -------
    dict of numpy.ndarray
        One float array per column present (NaN where a row lacks the value).
    """
    path = Path(path)
    rows = _rows(path)
    if not rows:
        raise ValueError(f"{path}: no sweep points")
    out: dict[str, np.ndarray] = {}
    for col in SWEEP_COLUMNS:
        vals = [row.get(col) for row in rows]
        if all(v in (None, "") for v in vals):
            continue
        try:
            out[col] = np.array([float(v) if v not in (None, "") else np.nan for v in vals])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: column {col!r} is not numeric: {exc}") from None
    for col in ("power", "rate_cps"):
        if col not in out:
            raise ValueError(f"{path}: sweep table needs a {col!r} column (has {sorted(rows[0])})")
    return out
