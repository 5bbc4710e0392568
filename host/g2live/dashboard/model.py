# SPDX-License-Identifier: BSD-3-Clause
"""Pure functions that turn protocol frames into the numbers and columns the page draws.

Nothing here touches Bokeh or sockets, so every conversion is tested on its own.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .wire import delay_edges, log_g2

__all__ = ["decay_columns", "detector_channels", "fmt_rate", "fmt_value_err", "format_pairs", "g2_columns",
           "g3_image", "logcorr_columns", "lost_summary", "mean_photons", "parse_pairs", "peak_windows",
           "photon_number_columns", "rate_channels", "shown_value"]


def fmt_value_err(value: float | None, err: float | None, digits: int = 2) -> str:
    """``0.123 ± 0.004``: the error to ``digits`` significant figures and the value to match.

    ``None``/NaN print as an em dash so a missing estimate never looks like a number.
    """
    if value is None or not math.isfinite(value):
        return "—"
    if err is None or not math.isfinite(err) or err <= 0:
        return f"{value:.4g}"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(err))))
    return f"{value:.{decimals}f} ± {err:.{decimals}f}"


def fmt_rate(cps: float | None) -> str:
    """A count rate with its unit (``85.6 kcps``); ``None``/NaN as an em dash."""
    if cps is None or not math.isfinite(cps):
        return "—"
    for scale, unit in ((1e6, "Mcps"), (1e3, "kcps")):
        if abs(cps) >= scale:
            return f"{cps / scale:.3g} {unit}"
    return f"{cps:.3g} cps"


def g2_columns(header: dict[str, Any], hist: np.ndarray, pair_index: int) -> dict[str, np.ndarray]:
    """Step-plot columns of one pair's histogram: left bin edge (ns) and counts.

    ``y_log`` replaces empty bins by NaN so the log-scale view shows a gap, not a line to -inf.
    The last edge is repeated so the final bin gets its full width in a step plot.
    """
    counts = np.asarray(hist[pair_index], dtype=np.float64)
    bw = float(header["bin_width_ps"])
    lo = float(header.get("lo_ps", header.get("offset_ps", 0) - (counts.size // 2) * bw))
    x = (lo + np.arange(counts.size + 1) * bw) * 1e-3
    y = np.append(counts, counts[-1] if counts.size else 0.0)
    return {"x": x, "y": y, "y_log": np.where(y > 0, y, np.nan)}


def peak_windows(period_ps: float, zero_ps: float, window_ps: float, n_side: int,
                 lo_ps: float, hi_ps: float) -> tuple[tuple[float, float], list[tuple[float, float]]]:
    """Zero-delay window and the 2K side-peak windows (ns) used for g2(0), clipped to the histogram."""
    half = 0.5 * window_ps
    centre = ((zero_ps - half) * 1e-3, (zero_ps + half) * 1e-3)
    sides = []
    for k in list(range(-n_side, 0)) + list(range(1, n_side + 1)):
        c = zero_ps + k * period_ps
        if c - half >= lo_ps and c + half <= hi_ps:
            sides.append(((c - half) * 1e-3, (c + half) * 1e-3))
    return centre, sides


def photon_number_columns(hist: np.ndarray) -> dict[str, np.ndarray]:
    """P(n) per laser period; the last bin means "max_photons or more" (protocol `pulsed`)."""
    h = np.asarray(hist, dtype=np.float64)
    total = h.sum()
    p = h / total if total > 0 else np.zeros_like(h)
    n = np.arange(h.size)
    labels = [str(k) for k in n[:-1]] + [f"≥{n[-1]}"] if h.size else []
    floor = 0.5 / total if total > 0 else 1e-9  # bottom of the log axis: half a count
    return {"n": n.astype(float), "p": np.where(p > 0, p, np.nan), "bottom": np.full(h.size, floor),
            "label": np.array(labels, dtype=object), "counts": h}


def mean_photons(hist: np.ndarray) -> float:
    """Mean detected photons per period (the top bin counted as exactly max_photons: a lower bound)."""
    h = np.asarray(hist, dtype=np.float64)
    total = h.sum()
    return float(np.dot(np.arange(h.size), h) / total) if total > 0 else float("nan")


def detector_channels(settings: dict[str, Any]) -> list[int]:
    """Enabled channels that are photon detectors (the sync is not)."""
    sync = settings.get("sync_channel")
    return [int(c) for c in settings.get("channels", []) if c != sync]


def lost_summary(status: dict[str, Any]) -> tuple[int, str]:
    """Total lost events and a per-cause, per-channel description for the banner."""
    total = int(status.get("lost_total") or 0)
    parts = []
    for cause, per_channel in (status.get("lost") or {}).items():
        if isinstance(per_channel, list):
            nz = [f"ch{c}: {n}" for c, n in enumerate(per_channel) if n]
            if nz:
                parts.append(f"{cause} ({', '.join(nz)})")
    return total, "; ".join(parts)


def parse_pairs(text: str) -> list[list[int]]:
    """``"0-1, 0-0"`` (or ``0,1; 0,0``) into ``[[0, 1], [0, 0]]``; ValueError names the bad part."""
    pairs = []
    for part in text.replace(";", " ").replace(",", "-").replace("/", "-").split():
        ends = [p for p in part.split("-") if p]
        if len(ends) != 2 or not all(e.isdigit() for e in ends):
            raise ValueError(f"pairs: {part!r} is not 'a-b' with two channel numbers")
        pairs.append([int(ends[0]), int(ends[1])])
    if not pairs:
        raise ValueError("pairs: give at least one pair, e.g. '0-1'")
    return pairs


def format_pairs(pairs: list[list[int]]) -> str:
    """``[[0, 1], [0, 0]]`` as ``"0-1, 0-0"`` (what ``parse_pairs`` reads)."""
    return ", ".join(f"{a}-{b}" for a, b in pairs)


def decay_columns(hist: np.ndarray, bin_ps: float) -> dict[str, np.ndarray]:
    """Delay histogram for a log plot: bin centres (ns) and counts with empty bins as NaN."""
    h = np.asarray(hist, dtype=np.float64)
    last = int(np.flatnonzero(h)[-1]) + 1 if h.any() else 0
    h = h[: max(last, 1)]
    return {"t": (np.arange(h.size) + 0.5) * bin_ps * 1e-3, "y": np.where(h > 0, h, np.nan)}


def rate_channels(header: dict[str, Any], data: np.ndarray,
                  fallback: dict[str, Any]) -> tuple[np.ndarray, list[int], int | None]:
    """Rates of a ``rates`` frame, its enabled detector channels and the sync channel.

    The channels come from the frame's ``settings`` (``fallback``, the newest status settings,
    for a frame without them); the sync is not a detector: at MHz it would flatten their curves.
    """
    rates = np.asarray(data, float).ravel()
    settings = header.get("settings") or fallback
    chans = [int(c) for c in settings.get("channels", range(rates.size)) if 0 <= int(c) < rates.size]
    sync = settings.get("sync_channel")
    return rates, [c for c in chans if c != sync], sync


def logcorr_columns(header: dict[str, Any]) -> dict[str, np.ndarray]:
    """G(tau) of a ``logcorr`` frame on a log time axis: geometric bin centre (s) and G, NaN where
    not known yet (a gap, not a line to zero)."""
    edges, g = log_g2(header)
    e = edges.astype(np.float64)
    return {"tau": np.sqrt(e[:-1] * e[1:]) * 1e-12, "g": g}


def g3_image(header: dict[str, Any], hist: np.ndarray) -> dict[str, Any]:
    """The ``g3`` histogram as an image: counts, and its extent (ns) on both delay axes."""
    h = np.asarray(hist, dtype=np.float64)
    e = delay_edges(header) * 1e-3
    span = float(e[-1] - e[0])
    # image rows are y: axis 0 of the payload is t_b - t_a (x), so transpose
    return {"image": [h.T], "x": [float(e[0])], "y": [float(e[0])], "dw": [span], "dh": [span]}


def shown_value(values: dict[str, Any], withheld: dict[str, Any], key: str, err_key: str) -> str:
    """``value ± err``; "withheld" (with the reason beside it elsewhere) for a value outside its
    physical range, an em dash when not known yet."""
    if values.get(key) is None and key in withheld:
        return "withheld"
    return fmt_value_err(values.get(key), values.get(err_key))
