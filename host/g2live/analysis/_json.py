# SPDX-License-Identifier: BSD-3-Clause
"""Plain Python values from analysis results: for ``to_dict`` methods and the JSON report."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["json_safe", "plain"]


def plain(x: Any) -> Any:
    """Deep copy with numpy scalars and arrays as Python numbers and lists (NaN kept)."""
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return [plain(v) for v in x.tolist()]
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


def json_safe(x: Any) -> Any:
    """JSON-safe deep copy: numpy values to Python, NaN and inf to None, tuples to lists, keys to str.

    Parameters
    ----------
    x : Any
        A result: nested dicts, lists, tuples, numpy arrays and scalars.

    Returns
    -------
    Any
        The same structure that ``json.dumps`` writes as strict JSON.
    """
    if isinstance(x, dict):
        return {str(k): json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_safe(v) for v in x]
    if isinstance(x, np.ndarray):
        return json_safe(x.tolist())
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(float(x)) else None
    return x
