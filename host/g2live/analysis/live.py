"""Running estimates for the streaming host: a pure function of an accumulated histogram.

The server calls ``live_g2`` on every analysis tick with the histogram accumulated so far. It never
raises for "not enough data yet": values that cannot be computed are None and ``status`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .g2 import pulsed_g2
from .histogram import CorrelationHistogram

LIVE_KEYS = (
    "g2_0",
    "g2_0_err",
    "g2_0_lo",
    "g2_0_hi",
    "purity",
    "purity_err",
    "g2_0_poisson_norm",
    "g2_0_poisson_norm_err",
    "side_over_poisson",
    "center_area",
    "side_mean",
    "delay_offset_ps",
    "period_ps",
)


def live_g2(
    hist: np.ndarray,
    *,
    bin_width_ps: int,
    offset_ps: int = 0,
    n_side: int = 4,
    counts_ab: tuple[int, int] | None = None,
    duration_s: float | None = None,
    rep_rate_hz: float | None = None,
    window_ps: float | None = None,
    zero_ps: float | None = None,
    expected_zero_ps: float = 0.0,
) -> dict[str, Any]:
    """g2(0) (both estimators), purity and errors of an accumulated pulsed correlation histogram.

    Same semantics as ``pulsed_g2``; returns a flat dict with the keys ``LIVE_KEYS`` (None when not
    computable) plus ``status`` ("ok" or the reason) and ``zero_method``.
    """
    out: dict[str, Any] = dict.fromkeys(LIVE_KEYS)
    out["status"], out["zero_method"] = "ok", None
    counts = np.asarray(hist)
    if counts.ndim != 1 or counts.size == 0 or counts.sum() == 0:
        out["status"] = "no coincidences yet"
        return out
    period = 1e12 / rep_rate_hz if rep_rate_hz else None
    try:
        r = pulsed_g2(
            CorrelationHistogram(counts, int(bin_width_ps), int(offset_ps)),
            period_ps=period,
            window_ps=window_ps,
            n_side=n_side,
            zero_ps=zero_ps,
            expected_zero_ps=expected_zero_ps,
            counts_ab=counts_ab,
            duration_s=duration_s,
            rep_rate_hz=rep_rate_hz,
        )
    except ValueError as exc:  # too few counts / side peaks so far: report, do not stop the stream
        out["status"] = str(exc)
        return out
    out.update(
        g2_0=r.g2_0,
        g2_0_err=r.g2_0_err,
        g2_0_lo=r.g2_0_ci[0],
        g2_0_hi=r.g2_0_ci[1],
        purity=1.0 - r.g2_0,
        purity_err=r.g2_0_err,
        g2_0_poisson_norm=r.g2_0_poisson_norm,
        g2_0_poisson_norm_err=r.g2_0_poisson_norm_err,
        side_over_poisson=r.side_over_poisson,
        center_area=r.center_area,
        side_mean=r.side_mean,
        delay_offset_ps=r.delay_offset_ps,
        period_ps=r.period_ps,
        zero_method=r.zero_method,
    )
    if r.notes:
        out["status"] = "; ".join(r.notes)
    return out


@dataclass(frozen=True)
class LiveAnalyzer:
    """Settings bound once; calling it is still a pure function of the histogram and singles."""

    bin_width_ps: int
    offset_ps: int = 0
    n_side: int = 4
    rep_rate_hz: float | None = None
    window_ps: float | None = None
    zero_ps: float | None = None
    expected_zero_ps: float = 0.0

    def __call__(
        self, hist: np.ndarray, counts_ab: tuple[int, int] | None = None, duration_s: float | None = None
    ) -> dict[str, Any]:
        return live_g2(
            hist,
            bin_width_ps=self.bin_width_ps,
            offset_ps=self.offset_ps,
            n_side=self.n_side,
            counts_ab=counts_ab,
            duration_s=duration_s,
            rep_rate_hz=self.rep_rate_hz,
            window_ps=self.window_ps,
            zero_ps=self.zero_ps,
            expected_zero_ps=self.expected_zero_ps,
        )
