# SPDX-License-Identifier: BSD-3-Clause
"""The server's marker state: what the ``markers`` topic publishes (docs/protocol.md).

Each integration's marker events (``Integration.markers``: the device's marker inputs, the
emulator's frame and power-step markers) are published as they are, with per-marker counts of
the run and the time of each marker number's latest event. With ``Config.gate_markers`` =
(start, stop) the server also gates live: a start marker opens a window, the next stop marker
closes it, and only the tags inside windows go into a correlator of the configured pairs (the C
core's ``Correlator``, so pairs spanning integrations count exactly). The gate is causal: tags
after a start count at once, before the stop is known; ``g2live analyze --gate-markers`` drops a
window that never closes (the only difference between the two at the end of a run).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from g2live import core
from g2live.config import Config

__all__ = ["MarkerGate", "MarkerState"]

N_MARKER_NUMBERS = 32  # counts per marker number 0..31 (the stream carries 0..31 as channels 32 + m)


class MarkerGate:
    """Live marker gate over time-ordered tags and markers, carried across integrations."""

    def __init__(self, config: Config) -> None:
        assert config.gate_markers is not None
        self.start, self.stop = config.gate_markers
        self.open_at: int | None = None  # start time of the window open now
        self.n_windows = 0  # windows closed so far
        self.gated_ps = 0  # length of the closed windows
        self.n_tags = 0  # tags of the pairs' channels that went through the gate
        self._chans = np.unique(np.asarray(config.pairs, np.uint8))  # the correlator reads only these
        self._corr = core.Correlator(list(config.pairs), config.bin_width_ps, config.n_bins, config.offset_ps)

    def _windows(self, markers: np.ndarray, t_end: int) -> tuple[np.ndarray, np.ndarray]:
        """Windows of this stretch up to ``t_end``: the carried open one first; the one still open at
        the end is clipped to it and carried on."""
        starts, stops = [], []
        for kind, t in zip(markers["marker"].tolist(), markers["time_ps"].tolist(), strict=True):
            if kind == self.start and self.open_at is None:
                self.open_at = t
            elif kind == self.stop and self.open_at is not None:
                starts.append(self.open_at)
                stops.append(t)
                self.n_windows += 1
                self.gated_ps += t - self.open_at
                self.open_at = None
        if self.open_at is not None:
            starts.append(self.open_at)
            stops.append(max(t_end, self.open_at))
        return np.array(starts, np.int64), np.array(stops, np.int64)

    def add(self, channel: np.ndarray, time_ps: np.ndarray, markers: np.ndarray, t_end: int) -> None:
        """One integration: its tags (stream order), its markers and its end time."""
        from g2live.analysis.correlation import gate_mask

        s, e = self._windows(markers, t_end)
        ch = np.asarray(channel, np.uint8)
        mine = np.isin(ch, self._chans)  # the sync at 10s of MHz need not be gated
        ch, t = ch[mine], np.asarray(time_ps, np.int64)[mine]
        keep = gate_mask(t, s, e) if s.size else np.zeros(t.size, bool)
        self.n_tags += int(keep.sum())
        self._corr.update(ch[keep], t[keep])

    def histograms(self) -> np.ndarray:
        """int64[n_pairs, n_bins]: the gated histograms of the run."""
        return np.asarray(self._corr.histograms(), np.int64)

    def header(self) -> dict[str, Any]:
        return {"gate_markers": [self.start, self.stop], "gate_open": self.open_at is not None,
                "gate_windows": self.n_windows, "gate_time_s": self.gated_ps * 1e-12,
                "gate_tags": self.n_tags}


class MarkerState:
    """Run totals of the markers and the live gate (``Config.gate_markers``), reset with the run."""

    def __init__(self, config: Config) -> None:
        self.counts = np.zeros(N_MARKER_NUMBERS, np.int64)
        self.last_ps: list[int | None] = [None] * N_MARKER_NUMBERS
        self.gate = MarkerGate(config) if config.gate_markers is not None else None
        self.gate_error = "" if self.gate is None else "no tags yet"

    def add(self, markers: np.ndarray, stream: tuple[np.ndarray, np.ndarray] | None, t_end: int) -> None:
        """One integration's markers (``core.MARKER_DTYPE``) and, for the gate, its tags."""
        m = np.asarray(markers)
        if m.size:
            num = m["marker"].astype(np.int64)
            ok = num < N_MARKER_NUMBERS
            self.counts += np.bincount(num[ok], minlength=N_MARKER_NUMBERS)
            for k, t in zip(num[ok].tolist(), m["time_ps"][ok].tolist(), strict=True):
                self.last_ps[k] = int(t)
        if self.gate is None:
            return
        if stream is None:  # hardware without raw tags: the tags are not in this process
            self.gate_error = "the live gate needs the tags: turn raw_tags on (hardware devices)"
            return
        self.gate.add(stream[0], stream[1], m, t_end)
        self.gate_error = ""

    def header(self) -> dict[str, Any]:
        """What the ``markers`` topic says about the run."""
        hdr: dict[str, Any] = {"marker_counts": [int(x) for x in self.counts], "marker_last_ps": self.last_ps}
        if self.gate is not None:
            hdr.update(self.gate.header(), gate_error=self.gate_error)
        return hdr
