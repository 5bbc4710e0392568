# SPDX-License-Identifier: BSD-3-Clause
"""The report's coincidence and heralded-g2 step (``conditioned=Conditioned(...)``): N-fold
coincidence counters over channel sets and two detectors conditioned on a herald channel,
streamed in C (``g2live.coincidence``) in the main pass; any chunking gives the same counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from g2live.coincidence import Coincidences, HeraldedG2
from g2live.photons import PhotonData

from ._section import Section

__all__ = ["Conditioned", "ConditionedAccumulator", "conditioned_section"]


@dataclass(frozen=True)
class Conditioned:
    """What to count: coincidence ``sets`` within ``window_ps``, and/or the heralded g2 of
    ``herald = (h, a, b)`` in ``[t_h + herald_offset_ps, t_h + herald_offset_ps + herald_window_ps)``."""

    sets: tuple[tuple[int, ...], ...] = ()
    window_ps: int = 1000
    herald: tuple[int, int, int] | None = None
    herald_window_ps: int = 1000
    herald_offset_ps: int = 0


class ConditionedAccumulator:
    """Feeds every chunk to the coincidence counters and the heralded g2."""

    def __init__(self, c: Conditioned) -> None:
        self.settings = c
        self.coinc = Coincidences(c.sets, c.window_ps) if c.sets else None
        self.herald = HeraldedG2(*c.herald, c.herald_window_ps, c.herald_offset_ps) if c.herald else None

    def add(self, chunk: PhotonData) -> None:
        for x in (self.coinc, self.herald):
            if x is not None:
                x.update(chunk.channel, chunk.time_ps)

    def finish(self) -> None:
        if self.herald is not None:
            self.herald.flush()  # the end of the record closes the last windows

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {"coincidences": None, "heralded_g2": None}
        c = self.settings
        if self.coinc is not None:
            out["coincidences"] = {"window_ps": c.window_ps, "sets": [list(s) for s in c.sets],
                                   "counts": self.coinc.counts().tolist()}
        if self.herald is not None:
            r = self.herald.result()
            out["heralded_g2"] = {"channels": list(c.herald), "window_ps": c.herald_window_ps,
                                  "offset_ps": c.herald_offset_ps, "n_herald": r.n_herald, "n_a": r.n_a,
                                  "n_b": r.n_b, "n_ab": r.n_ab, "g2": r.g2, "g2_err": r.g2_error}
        return out


def conditioned_section(acc: ConditionedAccumulator | None) -> Section:
    """``coincidences`` and ``heralded_g2`` (None when not asked for)."""
    if acc is None:
        return Section({"coincidences": None, "heralded_g2": None})
    return Section(acc.values())
