"""The ``sim`` back-end: photons -> the C twins of the on-chip blocks (``g2live.core``).

The chain is the chip's: channel front-end (enable, dead time on raw times, signed delay, merge
into stream order) -> correlator, pulsed counter, rate counters -> one ``Integration`` per
integration time. Integration k covers front-end output times ``[t0 + k T, t0 + (k + 1) T)``
(the on-chip boundary sits on the merged tag bus), and a correlation pair belongs to the
integration of its later tag (docs/semantics.md "Integrations").

The front-end twin is a function of one array; ``StreamingFrontend`` makes it exact across
chunks: it carries each channel's last accepted raw edge into the next call (so the dead time
spans chunk boundaries) and holds back delayed tags that a later chunk could still precede.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from g2live import core
from g2live.config import MAX_CHANNELS, Config, DeviceCaps
from g2live.device import Device, DeviceError, Integration
from g2live.device.sources import EmulatorSource, PhotonSource

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

    def push(self, channel: np.ndarray, time_ps: np.ndarray, raw_end_ps: int) -> None:
        """Raw edges (time ordered), with every raw edge before ``raw_end_ps`` now delivered."""
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
        return int(self._t.size)


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
            core.PulsedCounter(config.sync_channel, config.max_photons, config.pulsed_window_ps)
            if config.sync_channel is not None
            else None
        )
        self._cfg = config
        self._raw_end = self.t_next  # raw edges before this were pushed into the front-end
        self._dead_reported = np.zeros(MAX_CHANNELS, np.int64)
        self._finished = False

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

    def acquire(self) -> Integration | None:
        if self.config is None or self._fe is None:
            raise DeviceError("sim: acquire() before configure()")
        cfg, fe = self._cfg, self._fe
        t_start = self.t_next
        t_stop = t_start + round(cfg.integration_s * 1e12)
        # Raw edges up to here can land before t_stop after the most negative delay.
        need_raw = t_stop - fe.min_delay
        if self.tdc is not None:  # a TDC keeps times in their clock cycle: read to its end
            need_raw += self.tdc.clk_period_ps
        if need_raw > self._raw_end:
            raw = self.source.read_until(need_raw)
            times = raw.time_ps if self.tdc is None else self.tdc.quantize(raw.time_ps)
            fe.push(raw.channel, times, need_raw)
            self._raw_end = need_raw
        last = self.source.drained
        if self._finished or (last and fe.pending == 0 and self.source.n_read == 0):
            return None
        if last:
            remaining_after = fe._t[fe._t >= t_stop].size if fe.pending else 0
            if remaining_after:
                last = False
            elif fe.pending:
                t_stop = max(t_start + 1, min(t_stop, int(fe._t[-1]) + 1))
        ch, tt = fe.take_until(t_stop)
        self._corr.update(ch, tt)
        hist = np.asarray(self._corr.histograms(clear=True), np.int64)
        counts = np.zeros(MAX_CHANNELS, np.int64)
        c = np.asarray(core.rates(ch, MAX_CHANNELS), np.int64)
        counts[: c.size] = c
        integ = Integration(t_start, t_stop, hist, counts, n_tags=int(tt.size))
        if self._pulsed is not None:
            res = self._pulsed.update(ch, tt)
            integ.photon_number = np.asarray(result_get(res, "photon_number"), np.int64)
            integ.heralded = heralded_rows(result_get(res, "heralded"))
            integ.pre_sync = int(result_get(res, "pre_sync", 0))
        det_mask = np.isin(ch, np.array(cfg.detector_channels, np.uint8))
        n_trace = -(-(t_stop - t_start) // cfg.trace_bin_ps)
        integ.trace = np.asarray(core.trace(tt[det_mask], cfg.trace_bin_ps, t_start, n_trace), np.int64)
        integ.dead = (
            fe.dead_count - self._dead_reported
        )  # edges removed while this integration's raw data came in
        self._dead_reported = fe.dead_count.copy()
        if cfg.raw_tags:
            integ.tag_words = (
                np.asarray(core.Encoder().encode(ch, tt), np.uint64) if tt.size else np.zeros(0, np.uint64)
            )
        integ.last_input = last
        self._finished = last
        self.t_next = t_stop
        return integ
