# SPDX-License-Identifier: BSD-3-Clause
"""The run's live taggers' measurements: log-binned G(tau), coincidences, heralded g2, g3, ON gate.

``LiveCorrelations`` holds the streaming counters the settings ask for (``log_corr``,
``coincidences``, ``heralded_g2``, ``g3``, ``on_state``: docs/protocol.md section 3), built from
``g2live.logcorr`` / ``g2live.coincidence`` (the C core that ``g2live analyze`` uses too), and
feeds them the tags of every integration (``Integration.stream``: devices that have the tags in
this process, sim and replay). Nothing is on by default, so a server that asks for none pays
nothing. ``due()`` paces their frames to the display rate; the topics' contents are built in
``g2live.server.topics``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from g2live.coincidence import G3, Coincidences, HeraldedG2
from g2live.config import Config
from g2live.device.base import Integration
from g2live.logcorr import EdgeCorrelator, log_edges
from g2live.protocol import LIVE_TOPICS
from g2live.server.ongate import OnGate

__all__ = ["LOG_EDGES_PS", "GatedEstimate", "LiveCorrelations"]

# 1 ns .. 10 s, 10 bins per decade: the edges `g2live analyze --log-corr` uses on a recording of
# 20 s or more (shorter ones stop at half their span)
LOG_EDGES_PS = log_edges(1000, 10**13, 10)


class LiveCorrelations:
    """The streaming counters of one run, as ``config`` asks for them."""

    def __init__(self, config: Config, interval_s: float = 0.25) -> None:
        self.config = config
        self.interval_s = interval_s
        c = config
        a, b = c.pairs[c.analysis_pair]
        self.pair = (a, b)
        sets, hg, g3 = c.coincidences, c.heralded_g2, c.g3
        self.logcorr = EdgeCorrelator([(a, b)], LOG_EDGES_PS) if c.log_corr else None
        self.coinc = Coincidences(sets, c.coinc_window_ps) if sets else None
        self.herald = None if hg is None else HeraldedG2(*hg, c.herald_window_ps, c.herald_offset_ps)
        self.g3 = None if g3 is None else G3(*g3, c.g3_bin_width_ps, c.g3_n_bins)
        self.gate = None
        if c.on_state:
            self.gate = OnGate(a, b, c.detector_channels, c.trace_bin_ps, c.bin_width_ps, c.n_bins,
                               c.offset_ps, c.on_threshold_cps)
        self.gated = GatedEstimate()
        # each counter with the channels it reads: it is fed only those (a 10 MHz sync that only
        # g3 needs is not walked through by the others)
        self._counters: list[tuple[Any, np.ndarray]] = []
        for x, chans in ((self.logcorr, (a, b)), (self.coinc, [c for s in sets for c in s]),
                         (self.herald, hg or ()), (self.g3, g3 or ()),
                         (self.gate, (a, b, *config.detector_channels))):
            if x is not None:
                use = np.zeros(64, bool)
                use[list(chans)] = True
                self._counters.append((x, use))
        self.n_tags = 0  # tags fed
        self.no_tags = 0  # integrations whose device had no tags in this process (not counted here)
        self.unordered = 0  # integrations whose tags were not in time order (refused, not counted)
        self.flushed = False
        self._next_at = 0.0
        self._last_t = -(2**63)  # time of the last tag fed

    @property
    def topics(self) -> tuple[str, ...]:
        """The topics of the measurements switched on."""
        on = (self.logcorr, self.coinc, self.herald, self.g3, self.gate)
        return tuple(t for t, x in zip(LIVE_TOPICS, on, strict=True) if x is not None)

    @property
    def error(self) -> str:
        """Why the counters miss data (empty when they saw every integration's tags)."""
        parts = []
        if self.no_tags:
            parts.append(f"{self.no_tags} integration(s) had no tags in this process (hardware back-ends: "
                         "turn raw_tags on); the live counters do not include them")
        if self.unordered:
            parts.append(f"{self.unordered} integration(s) had tags out of time order: refused, not counted")
        return "; ".join(parts)

    def add(self, integ: Integration) -> None:
        """Feed one integration's tags to every counter switched on."""
        if not self.topics:
            return
        if integ.stream is None:
            self.no_tags += 1
            return
        ch, t = integ.stream
        if t.size and (t[0] < self._last_t or bool(np.any(t[1:] < t[:-1]))):
            self.unordered += 1  # refused whole, before any counter sees it
            return
        if t.size:
            self._last_t = int(t[-1])
        self.n_tags += int(t.size)
        present = np.flatnonzero(integ.counts)  # channels with tags in this integration
        subsets: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
        for x, use in self._counters:
            sub = _only(ch, t, use, present, subsets)
            if isinstance(x, OnGate):
                x.add(*sub, integ.t_stop_ps)
            else:
                x.update(*sub)

    def flush(self) -> None:
        """The source ended: close the heralds' and g3's open windows (as ``analyze`` does at the end)."""
        for x in (self.herald, self.g3):
            if x is not None:
                x.flush()
        self.flushed = True

    def due(self, force: bool = False) -> bool:
        """True at most every ``interval_s`` (or when ``force``): their frames go out at the display rate."""
        now = time.monotonic()
        if not self.topics or (not force and now < self._next_at):
            return False
        self._next_at = now + self.interval_s
        return True

    def common(self) -> dict[str, Any]:
        """Header keys of every live-correlation frame: what the counters saw and missed."""
        return {"n_tags": self.n_tags, "no_tag_integrations": self.no_tags,
                "unordered_integrations": self.unordered, "error": self.error,
                "flushed": self.flushed}

    def refresh_gated(self) -> None:
        """Recompute the ON-state g2(0) when due (always once the source ended)."""
        if self.gate is not None:
            self.gated.refresh(self.gate, self.config, force=self.flushed)

    def logcorr_g(self) -> np.ndarray:
        """pycorrelate-normalised G(tau) of the pair (NaN where not known yet)."""
        assert self.logcorr is not None
        return self.logcorr.normalized(0)


class GatedEstimate:
    """g2(0) of the ON-gated histogram (``g2live.analysis.live_g2``, as the ``analysis`` topic), paced
    by its own cost as ``LiveAnalysis`` is: recomputed when the histogram grew, at most ~1/5 of the loop."""

    def __init__(self, interval_s: float = 0.5) -> None:
        self.interval_s = interval_s
        self.values: dict[str, Any] = {"g2_0_on": None, "g2_0_on_err": None}
        self.details: dict[str, Any] = {"status": "no ON-state coincidences yet", "withheld": {}}
        self._seen = -1
        self._next_at = 0.0

    def refresh(self, gate: OnGate, config: Config, force: bool = False) -> None:
        hist = gate.histogram
        total = int(hist.sum())
        now = time.monotonic()
        if total == self._seen or total == 0 or (not force and now < self._next_at):
            return
        from g2live.analysis import live_g2  # scipy: imported only when a gate is on

        d = live_g2(hist, bin_width_ps=config.bin_width_ps, offset_ps=config.offset_ps,
                    n_side=config.analysis_k_side, counts_ab=(gate.counts_ab[0], gate.counts_ab[1]),
                    duration_s=gate.on_time_s or None, rep_rate_hz=config.rep_rate_hz)
        self._seen = total
        self.values = {"g2_0_on": _finite(d.get("g2_0")), "g2_0_on_err": _finite(d.get("g2_0_err"))}
        withheld = d.get("withheld") or {}  # outside its physical range: never sent as a number
        self.details = {"status": str(d.get("status", "ok")), "zero_method": d.get("zero_method"),
                        "withheld": {"g2_0_on": str(withheld["g2_0"])} if "g2_0" in withheld else {}}
        self._next_at = now + max(self.interval_s, 5 * (time.monotonic() - now))


def _only(ch: np.ndarray, t: np.ndarray, use: np.ndarray, present: np.ndarray,
          done: dict[bytes, tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The tags of the channels ``use`` marks (the stream itself when it has no others); counters
    that read the same channels share one filtered copy through ``done``."""
    drop = present[~use[present]]
    if drop.size == 0:
        return ch, t
    key = use.tobytes()
    if key not in done:
        # a few comparisons beat a table look-up (numpy widens a uint8 index to intp)
        want = present[use[present]]
        if drop.size <= want.size:
            keep = ch != drop[0]
            for c in drop[1:]:
                keep &= ch != c
        else:
            keep = ch == want[0] if want.size else np.zeros(ch.size, bool)
            for c in want[1:]:
                keep |= ch == c
        idx = np.flatnonzero(keep)
        done[key] = (ch[idx], t[idx])
    return done[key]


def _finite(v: Any) -> float | None:
    return None if v is None or not np.isfinite(float(v)) else float(v)
