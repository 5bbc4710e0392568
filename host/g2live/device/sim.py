# SPDX-License-Identifier: BSD-3-Clause
"""The ``sim`` back-end: photons -> the C twins of the on-chip blocks (``g2live.core``).

The chain is the chip's: channel front-end (enable, dead time on raw times, signed delay, merge
into stream order) -> correlator, pulsed counter, rate counters -> one ``Integration`` per
integration time. Integration k covers front-end output times ``[t0 + k T, t0 + (k + 1) T)``
(the on-chip boundary sits on the merged tag bus), and a correlation pair belongs to the
integration of its later tag (docs/semantics.md "Integrations").

The front-end twin is a function of one array; ``StreamingFrontend`` makes it exact across
chunks: it carries each channel's last accepted raw edge into the next call (so the dead time
spans chunk boundaries) and holds back delayed tags that a later chunk could still precede.
With ``sync_divider`` D > 1 it first keeps only every D-th raw sync edge from the start (the on-chip
prescaler in front of the sync input); the raw stream goes through the conditional sync filter
when ``sync_filter`` is set (docs/semantics.md "Sync prescaler", "Conditional filter").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from g2live import core
from g2live.config import MAX_CHANNELS, Config, DeviceCaps
from g2live.device.base import Device, DeviceError, Integration
from g2live.device.sources import EmulatorSource, PhotonSource
from g2live.markers import coarse_time, merge_markers
from g2live.photons import sync_count_before, whole_ps

__all__ = ["SimDevice", "StreamingFrontend", "heralded_rows", "result_get"]

_EMPTY_C = np.zeros(0, np.uint8)
_EMPTY_T = np.zeros(0, np.int64)


def result_get(res: Any, name: str, default: Any = None) -> Any:
    """Field of a core result whether it is an object or a dict."""
    if isinstance(res, dict):
        return res.get(name, default)
    return getattr(res, name, default)


def heralded_rows(rec: Any) -> np.ndarray:
    """Structured heralded records (core / decode) as int64 rows of HERALD_COLUMNS."""
    if rec is None or len(rec) == 0:
        return np.zeros((0, 5), np.int64)
    if isinstance(rec, np.ndarray) and rec.dtype.names:
        cols = ("period", "channel_first", "delay_first_ps", "channel_second", "delay_second_ps")
        return np.stack([rec[c].astype(np.int64) for c in cols], axis=1)
    return np.asarray(rec, np.int64).reshape(-1, 5)


def _stream_ordered(channel: np.ndarray, time_ps: np.ndarray) -> bool:
    """True when the edges are ordered by (time, channel), the merged stream order."""
    if time_ps.size < 2:
        return True
    dt = np.diff(time_ps)
    if (dt < 0).any():
        return False
    ties = dt == 0
    return not (ties.any() and (channel[1:][ties] < channel[:-1][ties]).any())


class StreamingFrontend:
    """Chunk-exact streaming wrapper of ``core.frontend``."""

    def __init__(self, config: Config) -> None:
        self.dead = np.array(config.dead_array(), np.int64)
        self.delay = np.array(config.delays_array(), np.int64)
        self.mask = config.enable_mask()
        self.min_delay = int(min(self.delay[c] for c in config.channels))
        self.identity = not self.dead.any() and not self.delay.any()
        self.dead_channels = [c for c in config.channels if self.dead[c] > 0]
        self.enabled = np.zeros(256, bool)
        self.enabled[list(config.channels)] = True
        self.last_raw: dict[int, int] = {}  # channel -> raw time of its last accepted edge
        self._ch = _EMPTY_C
        self._t = _EMPTY_T
        self.dead_count = np.zeros(MAX_CHANNELS, np.int64)
        self.sync_channel = config.sync_channel
        self.sync_divider = config.sync_divider
        self._sync_seen = 0  # raw sync edges since the start: the prescaler passes 0, D, 2D, ...

    def _prescale(self, channel: np.ndarray, time_ps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.sync_divider == 1 or self.sync_channel is None:
            return channel, time_ps
        is_sync = np.asarray(channel) == self.sync_channel
        k = self._sync_seen + np.cumsum(is_sync) - 1  # index of each sync edge
        self._sync_seen += int(is_sync.sum())
        keep = ~is_sync | (k % self.sync_divider == 0)
        return np.asarray(channel)[keep], np.asarray(time_ps)[keep]

    def push(self, channel: np.ndarray, time_ps: np.ndarray, raw_end_ps: int) -> None:
        """Raw edges (time ordered), with every raw edge before ``raw_end_ps`` now delivered."""
        channel, time_ps = self._prescale(channel, time_ps)
        carry = sorted((t, c) for c, t in self.last_raw.items())
        if carry:
            cc = np.array([c for _, c in carry], np.uint8)
            ct = np.array([t for t, _ in carry], np.int64)
            channel = np.concatenate((cc, channel))
            time_ps = np.concatenate((ct, time_ps))
        self.horizon = raw_end_ps + self.min_delay
        if len(time_ps) == 0:
            return
        if self.identity and _stream_ordered(channel, time_ps):
            # No dead time, no delays, already in (time, channel) order: the front-end only
            # applies the enable mask (docs/semantics.md), so skip its general merge.
            keep = self.enabled[channel]
            och, ot = (channel, time_ps) if keep.all() else (channel[keep], time_ps[keep])
        else:
            och, ot, dead = core.frontend(channel, time_ps, self.dead, self.delay, self.mask)
            och, ot = np.asarray(och, np.uint8), np.asarray(ot, np.int64)
            self.dead_count += np.asarray(dead, np.int64)[:MAX_CHANNELS]
        if carry:  # drop the carried edges again (they were output before)
            keep = np.ones(len(ot), bool)
            for t, c in carry:
                td = t + int(self.delay[c])
                lo, hi = np.searchsorted(ot, td, "left"), np.searchsorted(ot, td, "right")
                idx = lo + np.flatnonzero(och[lo:hi] == c)
                keep[idx[:1]] = False
            och, ot = och[keep], ot[keep]
        for c in self.dead_channels:  # remember where each dead time is still running
            idx = np.flatnonzero(och == c)
            if idx.size:
                self.last_raw[c] = int(ot[idx[-1]]) - int(self.delay[c])
        if len(self._t):
            ch = np.concatenate((self._ch, och))
            tt = np.concatenate((self._t, ot))
            order = np.lexsort((ch, tt))
            self._ch, self._t = ch[order], tt[order]
        else:
            self._ch, self._t = och, ot

    def take_until(self, t_ps: int) -> tuple[np.ndarray, np.ndarray]:
        """Merged output tags with time < ``t_ps`` (the caller made sure they are final)."""
        k = int(np.searchsorted(self._t, t_ps, "left"))
        ch, tt = self._ch[:k], self._t[:k]
        self._ch, self._t = self._ch[k:], self._t[k:]
        return ch, tt

    @property
    def pending(self) -> int:
        """Tags held back (not yet taken)."""
        return int(self._t.size)

    def pending_from(self, t_ps: int) -> int:
        """Held-back tags at or after ``t_ps``."""
        return int(np.count_nonzero(self._t >= t_ps))

    @property
    def last_pending_ps(self) -> int:
        """Time of the latest held-back tag (there must be one)."""
        return int(self._t[-1])


def _with_syncs(
    ch: np.ndarray, tt: np.ndarray, syncs: tuple[int, int, int] | None, sync_channel: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """The integration's tags with its implicit syncs (first, period, count) built in, in time
    order: what a consumer of the tag stream (the live heralded analysis) reads."""
    if syncs is None or sync_channel is None or not syncs[2]:
        return ch, tt
    first, q, n = syncs
    st = first + q * np.arange(n, dtype=np.int64)
    # merge, not sort (the syncs are a grid, the photons sorted): photon i lands after the syncs at
    # or before its time (a sync first at equal times), i.e. at index (syncs <= t_i) + i
    at = np.searchsorted(st, tt, side="right") + np.arange(tt.size)
    t_all = np.empty(n + tt.size, np.int64)
    c_all = np.full(n + tt.size, sync_channel, ch.dtype)
    is_sync = np.ones(n + tt.size, bool)
    is_sync[at] = False
    t_all[at], c_all[at] = tt, ch
    t_all[is_sync] = st
    return c_all, t_all


class SimDevice(Device):
    """C-twin back-end fed by a ``PhotonSource`` (default: the emulator)."""

    name = "sim"

    def __init__(
        self,
        source: PhotonSource | None = None,
        seed: int = 0,
        emulator_config: Any = None,
        n_channels: int = MAX_CHANNELS,
        tdc: Any = None,
        **emulator_overrides: Any,
    ) -> None:
        super().__init__()
        # The chip's TDC as a twin (g2live.tdc.IdealTdc): raw times are quantised to its bins before
        # the front-end, as the `verilator` back-end's zero-time line does. None = exact times.
        self.tdc = tdc
        self.source = (
            source if source is not None else EmulatorSource(emulator_config, seed=seed, **emulator_overrides)
        )
        self._caps = DeviceCaps(self.name, n_channels=n_channels)
        self.t_next = self.source.t0_ps
        self._fe: StreamingFrontend | None = None

    @property
    def caps(self) -> DeviceCaps:
        return self._caps

    def _apply(self, config: Config) -> None:
        self._build(config)

    def _build(self, config: Config) -> None:
        self._fe = StreamingFrontend(config)
        pairs = list(config.pairs)
        self._corr = core.Correlator(pairs, config.bin_width_ps, config.n_bins, config.offset_ps)
        self._pulsed = (
            core.PulsedCounter(config.sync_channel, config.max_photons, config.pulsed_window_ps,
                               config.sync_divider, keep_period_counts=False)
            if config.sync_channel is not None
            else None
        )
        self._filter = core.SyncFilter(config.sync_channel) if config.sync_filter else None
        self._cfg = config
        self._detector = np.zeros(256, bool)
        self._detector[list(config.detector_channels)] = True
        self._implicit: tuple[int, int] | None = None  # (sync channel, period): T3 syncs stay implicit
        self._k_next = 0  # next implicit sync: the first with a raw time at or after _raw_end
        self._decided = False  # _implicit is set at the first acquire (the source's kind is known then)
        self._raw_end = self.t_next  # raw edges before this were pushed into the front-end
        self._dead_reported = np.zeros(MAX_CHANNELS, np.int64)
        self._finished = False
        self._markers: list[np.ndarray] = []  # read from the source, not yet in an integration

    def clear(self) -> None:
        """New run: histograms, counters and the time-base state restart (COMMAND.clear)."""
        if self.config is None:
            return
        # Keep the photon time line: the next integration starts where the source is now.
        self.t_next = max(self.t_next, self._raw_end)
        self._build(self.config)

    def set_source_power(self, power: float) -> bool:
        return self.source.set_power(power)

    @property
    def rep_rate_hz(self) -> float | None:
        emu = getattr(self.source, "emulator_config", None)
        r = None
        if emu is not None and getattr(emu, "excitation", "pulsed") == "pulsed":
            r = getattr(emu, "rep_rate_hz", None)
        if r is None:
            r = self.source.meta.sync_rate_hz
        return float(r) if r else None

    def info(self) -> dict[str, Any]:
        return {
            "device": self.name,
            "source": type(self.source).__name__,
            "rep_rate_hz": self.rep_rate_hz,
            "photons_read": self.source.n_read,
        }

    def _periodic_sync(self) -> tuple[int, int] | None:
        """(sync channel, period) when the syncs of a T3 source can stay implicit: the pulsed block
        takes them through its periodic entry point and nothing else needs them as events. Not
        when raw tags are on (every event is a word), a pair uses the sync, its dead time would
        drop syncs, or the sync prescaler is on (it counts sync edges): then they are rebuilt as
        events and take the general path."""
        cfg, src = self._cfg, self.source
        period = src.sync_period_ps
        q = None if period is None else whole_ps(period)
        sc = cfg.sync_channel
        if not src.t3 or q is None or sc is None or cfg.raw_tags or cfg.sync_divider > 1:
            return None
        # The TDC twin moves an edge within its clock cycle: implicit syncs stay periodic (all moved
        # by the same amount) only when the period is a whole number of clocks.
        if self.tdc is not None and q % self.tdc.clk_period_ps:
            return None
        if any(sc in pair for pair in cfg.pairs) or cfg.dead_time_ps.get(sc, 0) >= q:
            return None
        return sc, q

    def _feed(self, need_raw: int) -> None:
        """Push the raw edges before ``need_raw`` into the front-end (T3 with implicit syncs: the
        photons alone)."""
        if need_raw <= self._raw_end:
            return
        fe = self._fe
        assert fe is not None
        if self._implicit is not None:
            raw = self.source.read_photons_until(need_raw)
            if len(raw) and bool(np.any(raw.channel == self._implicit[0])):
                raise DeviceError(
                    f"sim: the T3 source has photons on channel {self._implicit[0]}, the sync channel of "
                    "this configuration: choose another sync_channel"
                )
        else:
            raw = self.source.read_until(need_raw, sync_channel=self._cfg.sync_channel)
        times = raw.time_ps if self.tdc is None else self.tdc.quantize(raw.time_ps)
        fe.push(raw.channel, times, need_raw)
        marks = self.source.read_markers_until(need_raw)
        if len(marks):
            if self.tdc is not None:  # the chip stamps a marker with the start of its clock cycle
                marks = marks.copy()
                marks["time_ps"] = coarse_time(marks["time_ps"], self.tdc.clk_period_ps, self.tdc.phase_ps)
            self._markers.append(marks)
        self._raw_end = need_raw

    def _take_markers(self, t_stop: int) -> np.ndarray:
        """The markers before ``t_stop`` not yet given to an integration."""
        if not self._markers:
            return np.zeros(0, core.MARKER_DTYPE)
        m = np.concatenate(self._markers)
        k = int(np.searchsorted(m["time_ps"], t_stop, side="left"))
        self._markers = [m[k:]] if k < m.size else []
        return m[:k]

    def _implicit_syncs(self, t_stop: int) -> tuple[int, int, int]:
        """(first sync time after the front-end delay, period, count) of the implicit syncs this
        integration holds: output time before ``t_stop`` (and before the source's end)."""
        sc, q = self._implicit or (0, 1)
        d = int(self._fe.delay[sc]) if self._fe is not None else 0
        end = self.source.end_ps
        stop = t_stop - d if end is None else min(t_stop - d, end)
        k0 = self._k_next
        first = k0 * q
        shift = 0 if self.tdc is None else int(self.tdc.quantize(np.array([first], np.int64))[0]) - first
        if shift:  # every sync moves by it: it leaves the integration when its moved time does
            stop = t_stop - d - shift if end is None else min(t_stop - d - shift, end)
        k1 = max(k0, -(-stop // q)) if stop > 0 else k0
        self._k_next = k1
        return first + shift + d, q, k1 - k0

    def _integrate(
        self, t_start: int, t_stop: int, ch: np.ndarray, tt: np.ndarray, syncs: tuple[int, int, int] | None
    ) -> Integration:
        """What the on-chip blocks compute over ``[t_start, t_stop)`` from its tags."""
        cfg = self._cfg
        self._corr.update(ch, tt)
        hist = np.asarray(self._corr.histograms(clear=True), np.int64)
        counts = np.zeros(MAX_CHANNELS, np.int64)
        c = np.asarray(core.rates(ch, MAX_CHANNELS), np.int64)
        counts[: c.size] = c
        n_sync = 0 if syncs is None else syncs[2]
        if syncs is not None:
            counts[cfg.sync_channel] += n_sync
        integ = Integration(t_start, t_stop, hist, counts, n_tags=int(tt.size) + n_sync,
                            stream=_with_syncs(ch, tt, syncs, cfg.sync_channel),
                            markers=self._take_markers(t_stop))
        if self._pulsed is not None:
            pc = self._pulsed
            res = pc.update(ch, tt) if syncs is None else pc.update_periodic(ch, tt, *syncs)
            integ.photon_number = np.asarray(result_get(res, "photon_number"), np.int64)
            integ.heralded = heralded_rows(result_get(res, "heralded"))
            integ.pre_sync = int(result_get(res, "pre_sync", 0))
        det_mask = self._detector[ch]
        n_trace = -(-(t_stop - t_start) // cfg.trace_bin_ps)
        integ.trace = np.asarray(core.trace(tt[det_mask], cfg.trace_bin_ps, t_start, n_trace), np.int64)
        if cfg.raw_tags:  # markers travel the raw path as channels MARKER_CHANNEL + m (the chip's merge)
            mch, mt = merge_markers(ch, tt, integ.markers)
            rch, rt = self._filter.update(mch, mt) if self._filter is not None else (mch, mt)
            integ.tag_words = (
                np.asarray(core.Encoder().encode(rch, rt, markers=True), np.uint64) if rt.size
                else np.zeros(0, np.uint64)
            )
        return integ

    def acquire(self) -> Integration | None:
        if self.config is None or self._fe is None:
            raise DeviceError("sim: acquire() before configure()")
        cfg, fe = self._cfg, self._fe
        if not self._decided:
            self._implicit = self._periodic_sync()
            # either way the syncs restart with the raw edges still to come
            if self._implicit is not None:
                self._k_next = sync_count_before(self._raw_end, self._implicit[1])
            else:
                self.source.skip_syncs_before(self._raw_end)
            self._decided = True
        t_start = self.t_next
        t_stop = t_start + round(cfg.integration_s * 1e12)
        # Raw edges up to here can land before t_stop after the most negative delay.
        need_raw = t_stop - fe.min_delay
        if self.tdc is not None:  # a TDC keeps times in their clock cycle: read to its end
            need_raw += self.tdc.clk_period_ps
        self._feed(need_raw)
        last = self.source.drained
        if self._finished or (last and fe.pending == 0 and self.source.n_read == 0):
            return None
        if last:
            remaining_after = fe.pending_from(t_stop)
            if remaining_after:
                last = False
            elif fe.pending:
                t_stop = max(t_start + 1, min(t_stop, fe.last_pending_ps + 1))
        ch, tt = fe.take_until(t_stop)
        syncs = None if self._implicit is None else self._implicit_syncs(t_stop)
        integ = self._integrate(t_start, t_stop, ch, tt, syncs)
        integ.dead = fe.dead_count - self._dead_reported  # removed while this integration's raw data came in
        self._dead_reported = fe.dead_count.copy()
        integ.last_input = last
        self._finished = last
        self.t_next = t_stop
        return integ
