# SPDX-License-Identifier: BSD-3-Clause
"""The report's coincidence, heralded-g2 and g3 step (``conditioned=Conditioned(...)``): N-fold
coincidence counters over channel sets, two detectors conditioned on a herald channel and the
third-order histogram of three channels, streamed in C (``g2live.coincidence``) in the main pass;
any chunking gives the same counts, and the live topics of the same names the same numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from g2live.coincidence import G3, Coincidences, HeraldedG2
from g2live.photons import PhotonData

from ._section import Section

__all__ = ["Conditioned", "ConditionedAccumulator", "conditioned_section"]


@dataclass(frozen=True)
class Conditioned:
    """What to count: coincidence ``sets`` within ``window_ps``, the heralded g2 of
    ``herald = (h, a, b)`` in ``[t_h + herald_offset_ps, t_h + herald_offset_ps + herald_window_ps)``,
    and the g3 histogram of ``g3 = (a, b, c)`` (``g3_n_bins`` bins of ``g3_bin_width_ps`` on both
    axes, as the live topic ``g3``)."""

    sets: tuple[tuple[int, ...], ...] = ()
    window_ps: int = 1000
    herald: tuple[int, int, int] | None = None
    herald_window_ps: int = 1000
    herald_offset_ps: int = 0
    g3: tuple[int, int, int] | None = None
    g3_bin_width_ps: int = 1024
    g3_n_bins: int = 128


class ConditionedAccumulator:
    """Feeds every chunk to the coincidence counters and the heralded g2."""

    def __init__(self, c: Conditioned) -> None:
        self.settings = c
        self.coinc = Coincidences(c.sets, c.window_ps) if c.sets else None
        self.herald = HeraldedG2(*c.herald, c.herald_window_ps, c.herald_offset_ps) if c.herald else None
        self.g3 = G3(*c.g3, c.g3_bin_width_ps, c.g3_n_bins) if c.g3 else None

    def add(self, chunk: PhotonData) -> None:
        for x in (self.coinc, self.herald, self.g3):
            if x is not None:
                x.update(chunk.channel, chunk.time_ps)

    def finish(self) -> None:
        for x in (self.herald, self.g3):
            if x is not None:
                x.flush()  # the end of the record closes the last windows

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {"coincidences": None, "heralded_g2": None, "g3": None}
        c = self.settings
        if self.coinc is not None:
            out["coincidences"] = {"window_ps": c.window_ps, "sets": [list(s) for s in c.sets],
                                   "counts": self.coinc.counts().tolist()}
        if self.herald is not None:
            r = self.herald.result()
            out["heralded_g2"] = {"channels": list(c.herald), "window_ps": c.herald_window_ps,
                                  "offset_ps": c.herald_offset_ps, "n_herald": r.n_herald, "n_a": r.n_a,
                                  "n_b": r.n_b, "n_ab": r.n_ab, "g2": r.g2, "g2_err": r.g2_error}
        if self.g3 is not None:
            g = self.g3
            hist = g.histogram()
            out["g3"] = {"channels": [g.a, g.b, g.c], "bin_width_ps": g.bin_width_ps, "n_bins": g.n_bins,
                         "offset_ps": g.offset_ps, "lo_ps": int(g.edges_ps[0]), "n_anchors": g.n_anchors,
                         "n_triples": int(hist.sum()), "counts": hist.tolist()}
        return out


def conditioned_section(acc: ConditionedAccumulator | None) -> Section:
    """``coincidences``, ``heralded_g2`` and ``g3`` (None when not asked for)."""
    if acc is None:
        return Section({"coincidences": None, "heralded_g2": None, "g3": None})
    return Section(acc.values())
