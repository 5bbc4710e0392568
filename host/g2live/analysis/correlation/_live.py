# SPDX-License-Identifier: BSD-3-Clause
"""Running estimates for the streaming host: a pure function of an accumulated histogram.

The server calls ``live_g2`` on every analysis tick with the histogram accumulated so far. It never
raises for "not enough data yet": values that cannot be computed are None and ``status`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._physical import check
from ._histogram import CorrelationHistogram
from ._pulsed import PulsedG2, pulsed_g2

__all__ = ["LIVE_KEYS", "LiveAnalyzer", "live_g2"]

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


def _live_values(r: PulsedG2) -> dict[str, Any]:
    return dict(
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


ZERO_UNKNOWN = (
    "zero delay not identified yet: no peak differs from its neighbours by 5 sigma (no dip, no bunching)"
)


def _withhold(out: dict[str, Any], zero_known: bool) -> dict[str, str]:
    """None for every value that may not be reported (``analysis._physical.check``), with reasons;
    the intervals stay, clipped to the physical range."""
    withheld: dict[str, str] = {}
    if not zero_known:
        for k in ("g2_0", "g2_0_err", "g2_0_lo", "g2_0_hi", "purity", "purity_err", "g2_0_poisson_norm",
                  "g2_0_poisson_norm_err", "delay_offset_ps"):
            out[k] = None
        withheld.update(dict.fromkeys(("g2_0", "purity", "g2_0_poisson_norm"), ZERO_UNKNOWN))
        return withheld
    raw, err = out["g2_0"], out["g2_0_err"]
    ci = (out["g2_0_lo"], out["g2_0_hi"])
    g = check("g2_0", raw, err, ci)
    out["g2_0"], out["g2_0_err"] = g.value, g.err
    out["g2_0_lo"], out["g2_0_hi"] = g.ci if g.ci is not None else (None, None)
    p = check("purity", 1.0 - raw, err, (1.0 - ci[1], 1.0 - ci[0]))
    out["purity"], out["purity_err"] = p.value, p.err
    pn = check("g2_0_poisson_norm", out["g2_0_poisson_norm"], out["g2_0_poisson_norm_err"])
    out["g2_0_poisson_norm"], out["g2_0_poisson_norm_err"] = pn.value, pn.err
    for key, c in (("g2_0", g), ("purity", p), ("g2_0_poisson_norm", pn)):
        if c.withheld and c.reason:
            withheld[key] = c.reason
    if p.withheld and raw > 1:
        withheld["purity"] = "purity: g2(0) above 1 (bunched light): 1 - g2(0) does not apply"
    return withheld


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

    Same semantics as ``pulsed_g2``. Never raises for "not enough data yet".

    Parameters
    ----------
    hist : numpy.ndarray
        Accumulated counts on the window (``bin_width_ps``, ``offset_ps``).
    bin_width_ps, offset_ps : int
        The histogram's window.
    n_side, window_ps, zero_ps, expected_zero_ps : optional
        As in ``pulsed_g2``.
    counts_ab, duration_s : optional
        Singles and integration time for the Poisson-normalised estimator.
    rep_rate_hz : float, optional
        Laser repetition rate (None: the period is found from the comb).

    Returns
    -------
    dict
        The keys ``LIVE_KEYS`` (None when not computable or withheld), ``status`` ("ok" or the
        reason), ``zero_method``, ``withheld`` (key -> why it is None although computed: outside its
        physical range, or zero delay not identified) and ``g2_0_unconstrained`` (the estimator's
        raw value: not a result).
    """
    out: dict[str, Any] = dict.fromkeys(LIVE_KEYS)
    out["status"], out["zero_method"], out["withheld"] = "ok", None, {}
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
    out.update(_live_values(r))
    out["g2_0_unconstrained"] = r.g2_0
    out["withheld"] = _withhold(out, zero_ps is not None or r.zero_method != "expected")
    if r.notes:
        out["status"] = "; ".join(r.notes)
    return out


@dataclass(frozen=True)
class LiveAnalyzer:
    """``live_g2`` with its settings bound once; calling it is still a pure function of the
    histogram and singles."""

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
        """``live_g2`` of ``hist`` with the bound settings."""
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
