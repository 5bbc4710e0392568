# SPDX-License-Identifier: BSD-3-Clause
"""The running g2(0) estimate the ``analysis`` topic publishes, and how often it is recomputed.

``live_analysis`` is the pure part: g2(0), purity and their errors of the analysed pair of an
``Accumulator``, from ``g2live.analysis.live_g2``. ``LiveAnalysis`` keeps the latest result and
decides when to recompute it: only when new data arrived, and never so often that the fits
slow acquisition down.
"""

from __future__ import annotations

import math
import time
from typing import Any

from g2live.protocol import ANALYSIS_COLUMNS
from g2live.server.accumulator import Accumulator

__all__ = ["LiveAnalysis", "live_analysis"]

SOURCE = "g2live.analysis.live_g2"


def live_analysis(acc: Accumulator) -> tuple[dict[str, float | None], str, str, dict[str, Any]]:
    """Running g2(0), purity and errors of the analysed pair, from ``g2live.analysis``.

    Returns (values of ANALYSIS_COLUMNS, source, status: "ok" or why no g2(0) yet, details).
    """
    cfg = acc.config
    values: dict[str, float | None] = dict.fromkeys(ANALYSIS_COLUMNS)
    if acc.integration_s > 0:
        n_det = sum(int(acc.counts[c]) for c in cfg.detector_channels)
        values["rate_cps"] = float(n_det / acc.integration_s)
    a, b = cfg.pairs[cfg.analysis_pair]
    hist = acc.histograms[cfg.analysis_pair]
    if hist.sum() == 0:
        return values, "none", "no coincidences yet", {}
    # Imported here: scipy and lmfit take seconds, and a server without them still streams data.
    from g2live.analysis import live_g2

    d = live_g2(
        hist,
        bin_width_ps=cfg.bin_width_ps,
        offset_ps=cfg.offset_ps,
        n_side=cfg.analysis_k_side,
        counts_ab=(int(acc.counts[a]), int(acc.counts[b])),
        duration_s=acc.integration_s,
        rep_rate_hz=cfg.rep_rate_hz,
    )
    for k in ("g2_0", "g2_0_err", "purity", "purity_err", "g2_0_poisson_norm"):
        values[k] = d.get(k)
    values["n_center"] = d.get("center_area")
    clean = {k: (None if v is None or not math.isfinite(float(v)) else float(v)) for k, v in values.items()}
    details = {k: v for k, v in d.items() if isinstance(v, (int, float, str)) or v is None}
    return clean, SOURCE, str(d.get("status", "ok")), details


class LiveAnalysis:
    """The latest ``live_analysis`` result and the policy of when to recompute it.

    ``values`` (None where not computable), ``source``, ``error`` (empty, or why there is no
    g2(0) yet), ``details`` and ``time_s`` (how long the last computation took) are what the
    ``analysis`` topic and ``status`` report.
    """

    def __init__(self, interval_s: float = 0.2) -> None:
        self.interval_s = interval_s
        self.values: dict[str, float | None] = dict.fromkeys(ANALYSIS_COLUMNS)
        self.source = "none"
        self.error = ""
        self.details: dict[str, Any] = {}
        self.time_s = 0.0
        self._stale = True
        self._next_at = 0.0
        try:  # import the analysis (scipy, lmfit: seconds) now, not in the middle of the first integration
            import g2live.analysis.correlation  # noqa: F401
        except ImportError as exc:
            self.error = f"g2live.analysis unavailable: {exc}"

    @property
    def stale(self) -> bool:
        """New data arrived since the last computation."""
        return self._stale

    def mark_stale(self) -> None:
        self._stale = True

    def new_run(self) -> None:
        """A new run begins: nothing is known yet."""
        self.values = dict.fromkeys(ANALYSIS_COLUMNS)
        self._stale = True

    def refresh(self, acc: Accumulator, force: bool = False) -> bool:
        """Recompute from ``acc`` when due (or ``force``); True when it did (publish it then)."""
        now = time.monotonic()
        if not force and (not self._stale or now < self._next_at):
            return False
        self._stale = False
        try:
            self.values, self.source, status, self.details = live_analysis(acc)
            self.error = "" if status == "ok" else status
        except (ImportError, ValueError, ZeroDivisionError, FloatingPointError) as exc:
            self.values = dict.fromkeys(ANALYSIS_COLUMNS)
            self.error = f"{type(exc).__name__}: {exc}"
        took = time.monotonic() - now
        # At most ~1/5 of the loop goes to the analysis (its fits can take 0.1 s), so it never
        # slows acquisition down; at least every interval_s when it is cheap.
        self._next_at = now + max(self.interval_s, 5 * took)
        self.time_s = took
        return True
