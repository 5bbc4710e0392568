# SPDX-License-Identifier: BSD-3-Clause
"""What the hardware back-ends (``verilator``, ``pynq``) share: programming the register map from a
``Config`` and turning the decoded AXI4-Stream back into ``Integration``s.

Register semantics: docs/register_map.md (generated from hw/spec/regmap.toml). Frames:
docs/tag_word.md. Each on-chip source (histogrammer, pulsed block, rate counters) emits its frames
in integration order, but the framer may interleave sources, so frames are queued per source and
the k-th frame of each queue belongs to integration k.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from g2live import contract as C
from g2live import core
from g2live.config import MAX_CHANNELS, Config, DeviceCaps
from g2live.device.base import LOST_CAUSES, DeviceError, Integration
from g2live.device.sim import heralded_rows
from g2live.markers import merge_markers
from g2live.tdc import CARRY4_CI_CO_PS, TDC_SINCE_MINOR

__all__ = [
    "ReadReg",
    "WriteReg",
    "CLEARING_SINCE_MINOR",
    "check_identity",
    "read_caps",
    "tdc_min_low_ps",
    "integration_cycles",
    "program",
    "wait_cleared",
    "control_word",
    "FrameAssembler",
]

ReadReg = Callable[[int], int]
WriteReg = Callable[[int, int], None]


def _u32(v: int) -> int:
    return int(v) & 0xFFFFFFFF  # signed registers: two's complement


# STATUS.clearing exists from register map 1.1 on; a 1.0 core reads the bit as 0.
CLEARING_SINCE_MINOR = 1
# The sync prescaler and filter (SYNC_DIVIDER, CONTROL.sync_filter, SIZES.sync_input) from 1.3 on.
SYNC_SINCE_MINOR = 3
MARKER_SINCE_MINOR = 5  # MARKER_ENABLE / MARKER_SIZES


def check_identity(read: ReadReg, where: str) -> int:
    """Refuse anything but a g2live core of this driver's major version; return its minor version."""
    ident = read(C.REG_ID)
    if ident != C.REG_ID_VALUE:
        raise DeviceError(
            f"{where}: ID register reads {ident:#010x}, not a g2live core ({C.REG_ID_VALUE:#010x})"
        )
    version = read(C.REG_VERSION)
    major = C.REGISTERS["VERSION"].fields["major"].get(version)
    if major != C.REG_VERSION_MAJOR:
        raise DeviceError(f"{where}: register map version {major}, this driver speaks {C.REG_VERSION_MAJOR}")
    return C.REGISTERS["VERSION"].fields["minor"].get(version)


def read_caps(read: ReadReg, name: str) -> DeviceCaps:
    f = C.REGISTERS["SIZES"].fields
    sizes = read(C.REG_SIZES)
    clk = read(C.REG_CLK_PERIOD_PS)
    if clk <= 0:
        raise DeviceError(f"{name}: CLK_PERIOD_PS reads {clk}")
    minor = C.REGISTERS["VERSION"].fields["minor"].get(read(C.REG_VERSION))
    return DeviceCaps(
        name,
        n_channels=f["n_channels"].get(sizes),
        n_pairs=f["n_pairs"].get(sizes),
        n_bins_log2=f["n_bins_log2"].get(sizes),
        max_photons=f["max_photons"].get(sizes),
        clk_period_ps=clk,
        hardware=True,
        sync_input=f["sync_input"].get(sizes) if minor >= SYNC_SINCE_MINOR else None,
        tdc_min_low_ps=tdc_min_low_ps(read, clk) if minor >= TDC_SINCE_MINOR else None,
        n_markers=(C.REGISTERS["MARKER_SIZES"].fields["n_markers"].get(read(C.REG_MARKER_SIZES))
                   if minor >= MARKER_SINCE_MINOR else 0),
    )


def tdc_min_low_ps(read: ReadReg, clk_period_ps: int) -> int | None:
    """Least low time (ps) between two pulses an input's carry-chain TDC takes without losing the
    second edge: its chain's delay (CARRY4 count x the slow-corner CI->CO3 delay) plus a clock, so
    the line is seen empty once (g2l_tdc). None for the simulation lines (TDC_SIZES.line != 1)."""
    f = C.REGISTERS["TDC_SIZES"].fields
    sizes = read(C.REG_TDC_SIZES)
    n_chains = f["n_chains"].get(sizes)
    if f["line"].get(sizes) != 1 or n_chains == 0:
        return None
    n_carry4 = f["n_taps"].get(sizes) // n_chains // 4
    return round(n_carry4 * CARRY4_CI_CO_PS[3]) + clk_period_ps


def integration_cycles(config: Config, caps: DeviceCaps) -> int:
    return max(1, round(config.integration_s * 1e12 / caps.clk_period_ps))


def program(write: WriteReg, config: Config, caps: DeviceCaps) -> None:
    """Stop, write every setting, clear. ``config.check_device(caps)`` must have passed.

    The caller then waits for the clear (``wait_cleared``) before it sets CONTROL.run.
    """
    write(C.REG_CONTROL, 0)
    write(C.REG_CHANNEL_ENABLE, config.enable_mask() & 0xFFFFFFFF)
    write(C.REG_SYNC_CHANNEL, config.sync_channel if config.sync_channel is not None else 0)
    write(C.REG_BIN_WIDTH_PS, config.bin_width_ps)
    write(C.REG_N_BINS, config.n_bins)
    write(C.REG_OFFSET_PS, _u32(config.offset_ps))
    write(C.REG_INTEGRATION_CYCLES, integration_cycles(config, caps))
    write(C.REG_PULSED_WINDOW_PS, config.pulsed_window_ps)
    if caps.sync_input is not None:  # map >= 1.3
        log2 = C.REGISTERS["SYNC_DIVIDER"].fields["log2"]
        write(C.REG_SYNC_DIVIDER, log2.put(config.sync_divider.bit_length() - 1))
    pf = C.REGISTERS["PAIR"].fields
    for k in range(min(caps.n_pairs, C.REGISTERS["PAIR"].count)):
        if k < len(config.pairs):
            a, b = config.pairs[k]
            write(C.REGISTERS["PAIR"].addr(k), pf["a"].put(a) | pf["b"].put(b) | pf["enable"].put(1))
        else:
            write(C.REGISTERS["PAIR"].addr(k), 0)
    dead, delay = config.dead_array(), config.delays_array()
    for c in range(min(caps.n_channels, MAX_CHANNELS)):
        write(C.REGISTERS["DEAD_TIME_PS"].addr(c), dead[c])
        write(C.REGISTERS["DELAY_PS"].addr(c), _u32(delay[c]))
    if caps.n_markers:  # every marker input on: an unconnected one is pulled low on the board
        write(C.REG_MARKER_ENABLE, (1 << caps.n_markers) - 1)
    write(C.REG_COMMAND, C.REGISTERS["COMMAND"].fields["clear"].put(1))


def wait_cleared(read: ReadReg, where: str, pause: Callable[[], None], expired: Callable[[], bool],
                 budget: str) -> int:
    """After COMMAND.clear: poll STATUS.clearing until 0 (the histogram banks are swept).

    Setting CONTROL.run only then means no event waits for the sweep, so none is lost at the start.
    ``pause`` is called between polls (sleep, or clock a simulated core); when ``expired()`` the
    core is declared stuck. Returns the number of polls that still read 1.
    """
    clearing = C.REGISTERS["STATUS"].fields["clearing"]
    polls = 0
    while clearing.get(read(C.REG_STATUS)):
        if expired():
            raise DeviceError(
                f"{where}: STATUS.clearing still reads 1 {budget} after COMMAND.clear "
                f"(STATUS {read(C.REG_STATUS):#x}); the core does not finish its histogram-bank sweep"
            )
        pause()
        polls += 1
    return polls


def control_word(config: Config, run: bool) -> int:
    f = C.REGISTERS["CONTROL"].fields
    return (
        f["run"].put(int(run))
        | f["hist_enable"].put(1)
        | f["raw_enable"].put(int(config.raw_tags))
        | f["pulsed_enable"].put(int(config.sync_channel is not None))
        | f["sync_filter"].put(int(config.sync_filter))
    )


class FrameAssembler:
    """Streaming decode of the word stream into one ``Integration`` per finished integration."""

    def __init__(self, config: Config, caps: DeviceCaps) -> None:
        self.config, self.caps = config, caps
        self.decoder = core.Decoder()
        self.hist: list[deque[np.ndarray]] = [deque() for _ in config.pairs]
        self.pn: deque[np.ndarray] = deque()
        self.rates: deque[np.ndarray] = deque()
        self.losses: deque[np.ndarray] = deque()
        self.heralded: list[np.ndarray] = []
        self.lost_words = np.zeros((MAX_CHANNELS, len(LOST_CAUSES)), np.int64)
        self.tags_ch: list[np.ndarray] = []
        self.tags_t: list[np.ndarray] = []
        self.words: list[np.ndarray] = []
        self.markers: list[np.ndarray] = []  # decoded, not yet given to an integration
        self.malformed = 0
        self.unexpected: list[str] = []
        self.t_next_ps = 0
        self.n_words = 0

    def feed(self, words: np.ndarray) -> None:
        words = np.ascontiguousarray(words, np.uint64)
        if words.size == 0:
            return
        self.n_words += int(words.size)
        ch, t, st = self.decoder.decode(words)
        self.malformed += int(st.malformed)
        lost = np.asarray(st.lost, np.int64)
        self.lost_words[:, : min(lost.shape[1], len(LOST_CAUSES))] += lost[:MAX_CHANNELS, : len(LOST_CAUSES)]
        if len(st.heralded):
            self.heralded.append(heralded_rows(st.heralded))
        if len(st.markers):
            self.markers.append(np.asarray(st.markers))
        if self.config.raw_tags and len(t):
            self.tags_ch.append(np.asarray(ch, np.uint8))
            self.tags_t.append(np.asarray(t, np.int64))
        for fr in st.frames:
            self._take_frame(fr.frame_kind, fr.index, np.asarray(fr.payload, np.uint64))

    def _take_frame(self, kind: int, index: int, payload: np.ndarray) -> None:
        """Queue one decoded frame's payload for the integration it belongs to."""
        if kind == C.FRAME_HISTOGRAM:
            if not 0 <= index < len(self.hist):
                self.unexpected.append(f"HISTOGRAM frame for pair {index}")
                return
            if payload.size != self.config.n_bins:
                raise DeviceError(
                    f"HISTOGRAM frame of pair {index} has {payload.size} words, "
                    f"N_BINS is {self.config.n_bins}"
                )
            self.hist[index].append(payload.astype(np.int64))
            return
        queues = {C.FRAME_PHOTON_NUMBER: self.pn, C.FRAME_RATES: self.rates, C.FRAME_LOSSES: self.losses}
        queue = queues.get(kind)
        if queue is None:
            self.unexpected.append(f"frame kind {kind}")
        else:
            queue.append(payload.astype(np.int64))

    def ready(self) -> bool:
        need = [*self.hist, self.rates]
        if self.config.sync_channel is not None:
            need.append(self.pn)
        return all(len(q) for q in need)

    def pop(self) -> Integration:
        """The oldest complete integration (call when ``ready()``)."""
        cfg = self.config
        hist = np.stack([q.popleft() for q in self.hist])
        rates = self.rates.popleft()
        n_ch = min(rates.size - 1, MAX_CHANNELS)
        counts = np.zeros(MAX_CHANNELS, np.int64)
        counts[:n_ch] = rates[:n_ch]
        cycles = int(rates[-1]) if rates.size else integration_cycles(cfg, self.caps)
        t0 = self.t_next_ps
        t1 = t0 + cycles * self.caps.clk_period_ps
        self.t_next_ps = t1
        integ = Integration(t0, t1, hist, counts, malformed=self.malformed)
        self.malformed = 0
        if cfg.sync_channel is not None and self.pn:
            pn = self.pn.popleft()
            integ.photon_number = pn[: cfg.max_photons + 1].copy()
            if pn.size > cfg.max_photons + 1:  # the instance counts further: fold into "max or more"
                integ.photon_number[-1] += pn[cfg.max_photons + 1 :].sum()
        if self.heralded:
            integ.heralded = np.concatenate(self.heralded)
            self.heralded = []
        by_cause = {c: self.lost_words[:, i].copy() for i, c in enumerate(LOST_CAUSES)}
        self.lost_words[:] = 0
        if self.losses:
            frame_total = np.zeros(MAX_CHANNELS, np.int64)
            lf = self.losses.popleft()
            frame_total[: min(lf.size, MAX_CHANNELS)] = lf[:MAX_CHANNELS]
            words_total = sum(by_cause.values())
            extra = np.maximum(frame_total - words_total, 0)  # counted on chip, no LOST word (yet)
            if extra.any():
                by_cause["unattributed"] = extra
        integ.lost = by_cause
        integ.markers = self._take_markers(t1)
        if self.tags_t:
            self._add_tags(integ)
        return integ

    def _add_tags(self, integ: Integration) -> None:
        """The raw tags of the integration: words (with its markers, in the chip's order), decoded
        stream and intensity trace."""
        cfg = self.config
        ch, t = np.concatenate(self.tags_ch), np.concatenate(self.tags_t)
        self.tags_ch, self.tags_t = [], []
        mch, mt = merge_markers(ch, t, integ.markers)
        integ.tag_words = np.asarray(core.Encoder().encode(mch, mt, markers=True), np.uint64)
        integ.stream = (ch, t)  # decoded: the live taggers' counters read them (docs/protocol.md)
        integ.n_tags = int(t.size)
        det = np.isin(ch, np.array(cfg.detector_channels, np.uint8))
        t0, t1 = integ.t_start_ps, integ.t_stop_ps
        n_trace = -(-(t1 - t0) // cfg.trace_bin_ps)
        integ.trace = np.asarray(core.trace(t[det], cfg.trace_bin_ps, t0, n_trace), np.int64)

    def _take_markers(self, t1: int) -> np.ndarray:
        """The decoded markers before ``t1`` (the integration's end: a boundary precedes every
        later tag and marker in the merge); later ones wait for the next integration."""
        if not self.markers:
            return np.zeros(0, core.MARKER_DTYPE)
        m = np.concatenate(self.markers)
        k = int(np.searchsorted(m["time_ps"], t1, side="left"))
        self.markers = [m[k:]] if k < m.size else []
        return m[:k]

    def info(self) -> dict[str, Any]:
        return {"words": self.n_words, "unexpected": self.unexpected[-5:]}
