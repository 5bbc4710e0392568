# SPDX-License-Identifier: BSD-3-Clause
"""The report's log-binned correlation step (``steps`` holding "logcorr"): G(tau) of the HBT pair
from 1 ns to 10 s (or the recording's span) in 10 bins per decade, streamed with
``g2live.logcorr.EdgeCorrelator`` in the main pass, normalised as pycorrelate's pcorrelate from
the pair's first photon (docs/semantics.md "Log-binned correlation")."""

from __future__ import annotations

import numpy as np

from g2live.logcorr import EdgeCorrelator, log_edges
from g2live.photons import PhotonData

from ._correlation import G2Settings, _pair
from ._recording import Recording
from ._section import Section

__all__ = ["LogCorrAccumulator", "logcorr_accumulator", "logcorr_section"]

TAU_MIN_PS, TAU_MAX_PS, PER_DECADE = 1000, 10**13, 10


class LogCorrAccumulator:
    """Streaming log-binned correlation of channels a -> b."""

    def __init__(self, a: int, b: int, edges_ps: np.ndarray) -> None:
        self.a, self.b = a, b
        self._c = EdgeCorrelator([(a, b)], edges_ps)

    def add(self, chunk: PhotonData) -> None:
        ch = chunk.channel
        keep = (ch == self.a) | (ch == self.b)
        self._c.update(ch[keep], chunk.time_ps[keep])

    def finish(self) -> None:
        """Nothing to close: the counts are final after the last chunk."""

    def values(self) -> dict[str, list]:
        edges = self._c.edges_ps
        return {"channels": [self.a, self.b], "edges_ps": edges.tolist(),
                "counts": self._c.histograms()[0].tolist(), "g": self._c.normalized(0).tolist()}


def logcorr_accumulator(rec: Recording, steps: tuple[str, ...], s: G2Settings) -> LogCorrAccumulator | str:
    """The accumulator of the main pass, or why the step does not run."""
    if "logcorr" not in steps:
        return ""
    if rec.span_ps is None or len(rec.detectors) < 2 and s.channels is None:
        return "logcorr: need two detector channels"
    span = rec.span_ps[1] - rec.span_ps[0]
    stop = min(TAU_MAX_PS, span // 2)
    if stop <= TAU_MIN_PS * 10:
        return f"logcorr: the recording ({span * 1e-12:.3g} s) is too short for lags from 1 ns"
    a, b = _pair(rec, s.channels)
    return LogCorrAccumulator(a, b, log_edges(TAU_MIN_PS, int(stop), PER_DECADE))


def logcorr_section(acc: LogCorrAccumulator | str) -> Section:
    """``log_correlation``: edges (ps), pair counts and G per bin (None where undefined)."""
    if isinstance(acc, str):
        return Section.skipped({"log_correlation": None}, acc or None)
    return Section({"log_correlation": acc.values()})
