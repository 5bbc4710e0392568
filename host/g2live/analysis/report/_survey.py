# SPDX-License-Identifier: BSD-3-Clause
"""The first pass of the report: what is in a recording, before any step runs."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from g2live.photons import Meta

from ._source import ChunkSource

__all__ = ["SAMPLE", "Survey", "survey"]

SAMPLE = 200_000  # first events per channel kept to recognise a laser sync (and its period)
_NONE = np.iinfo(np.int64).max


@dataclass
class Survey:
    """Counts, first and last time per channel, the first ``SAMPLE`` times per channel, and the
    metadata (the first chunk's, with the channel roles of all chunks)."""

    counts: np.ndarray = field(default_factory=lambda: np.zeros(256, np.int64))
    first_ps: np.ndarray = field(default_factory=lambda: np.full(256, _NONE, np.int64))
    last_ps: np.ndarray = field(default_factory=lambda: np.full(256, -_NONE, np.int64))
    samples: dict[int, list[np.ndarray]] = field(default_factory=dict)
    meta: Meta | None = None
    t3: bool = False

    def add(self, chunk) -> None:  # noqa: ANN001 - PhotonData
        if self.meta is None:
            self.meta = copy.deepcopy(chunk.meta)
            self.t3 = chunk.is_t3
        else:
            self.meta.channel_roles.update(chunk.meta.channel_roles)
        if not len(chunk):
            return
        ch, t = chunk.channel, chunk.time_ps
        n = np.bincount(ch, minlength=256)
        self.counts += n
        np.minimum.at(self.first_ps, ch, t)
        np.maximum.at(self.last_ps, ch, t)
        for c in np.flatnonzero(n):
            have = sum(a.size for a in self.samples.get(int(c), ()))
            if have < SAMPLE:
                self.samples.setdefault(int(c), []).append(t[ch == c][: SAMPLE - have])

    def finish(self) -> None:
        pass

    def sample(self, channel: int) -> np.ndarray:
        """The first ``SAMPLE`` times of ``channel``."""
        parts = self.samples.get(channel, [])
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def span(self, channels: list[int] | None = None) -> tuple[int, int] | None:
        """(first, last) time of any event on ``channels`` (None: all), None when there is none."""
        sel = np.arange(256) if channels is None else np.asarray(channels, np.int64)
        present = sel[self.counts[sel] > 0]
        if not present.size:
            return None
        return int(self.first_ps[present].min()), int(self.last_ps[present].max())


def survey(source: ChunkSource) -> Survey:
    """One pass over ``source``; PicoQuant header times the events do not fit are dropped, as the
    reader's ``read`` does (so a file gives the same report read whole or in chunks)."""
    s = Survey()
    for chunk in source.chunks("survey"):
        s.add(chunk)
    if s.meta is None:
        s.meta = Meta()
    span = s.span()
    if source.format in ("ptu", "legacy") and span is not None:
        from g2live.io._picoquant import check_span

        check_span(s.meta, int(span[1]) - int(span[0]))
    return s
