# SPDX-License-Identifier: BSD-3-Clause
"""One validated acquisition configuration (docs/protocol.md section 3).

``Config`` refuses impossible settings when it is built, with a ``ConfigError`` naming the field
and why; ``Config.check_device(caps)`` adds the limits of a particular device (hardware: powers
of two, register widths, instance sizes) before anything is written to it. JSON round-trips via
``to_dict`` / ``from_dict`` / ``to_json`` / ``from_json``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

MAX_CHANNELS = 64
MAX_PAIRS = 8  # PAIR register array
SYNC_MAX_HZ = 80e6  # fastest laser sync the core is specified for (docs/hardware.md "Sync prescaler")
INT32 = 2**31
UINT32 = 2**32
MAX_WINDOW_PS = 10**12  # coincidence / herald windows: up to 1 s (analyze: --coinc-window-ns <= 1e9)
MAX_SETS = 32  # coincidence channel sets
MAX_G3_BINS = 512  # per axis of the live g3 topic: 512 x 512 int64 is a 2 MiB frame

__all__ = ["MAX_CHANNELS", "MAX_PAIRS", "SYNC_MAX_HZ", "Config", "ConfigError", "DeviceCaps"]


class ConfigError(ValueError):
    """An impossible setting. ``field`` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class DeviceCaps:
    """Limits of one device instance (hardware: read from SIZES / CLK_PERIOD_PS)."""

    name: str = "sim"
    n_channels: int = MAX_CHANNELS
    n_pairs: int = MAX_PAIRS
    n_bins_log2: int = 24
    max_photons: int = 63
    clk_period_ps: int = 4000
    hardware: bool = False  # True: power-of-two bins and register widths apply
    sync_input: int | None = None  # input with the on-chip sync prescaler (SIZES.sync_input, map >= 1.3)
    # Least time (ps) an input's carry-chain TDC needs low between two pulses: its line's delay
    # plus a clock (TDC_SIZES, map >= 1.4, CARRY4 line); None: no such TDC (sim, zero-time line).
    tdc_min_low_ps: int | None = None
    n_markers: int = 0  # marker inputs (MARKER_SIZES.n_markers, map >= 1.5)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _int(name: str, v: Any, lo: int | None = None, hi: int | None = None) -> int:
    if not _is_int(v):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        else:
            raise ConfigError(name, f"must be an integer, got {v!r}")
    if lo is not None and v < lo:
        raise ConfigError(name, f"{v} is below the minimum {lo}")
    if hi is not None and v > hi:
        raise ConfigError(name, f"{v} is above the maximum {hi}")
    return v


def _channel_map(name: str, v: Any, channels: tuple[int, ...], lo: int, hi: int) -> dict[int, int]:
    if _is_int(v) or (isinstance(v, float) and v.is_integer()):
        value = _int(name, v, lo, hi)
        return {c: value for c in channels} if value else {}
    if not isinstance(v, dict):
        raise ConfigError(name, f"must be an integer or an object {{channel: value}}, got {type(v).__name__}")
    out: dict[int, int] = {}
    for k, val in v.items():
        try:
            ch = int(k)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}[{k!r}]", "key is not a channel number") from None
        if not 0 <= ch < MAX_CHANNELS:
            raise ConfigError(f"{name}[{ch}]", f"channel must be 0..{MAX_CHANNELS - 1}")
        out[ch] = _int(f"{name}[{ch}]", val, lo, hi)
    return out


def _checked_channels(ch: Any) -> tuple[int, ...]:
    if _is_int(ch) or not isinstance(ch, (list, tuple)):
        raise ConfigError("channels", f"must be a list of channel numbers, got {ch!r}")
    chans = tuple(sorted(_int(f"channels[{i}]", c, 0, MAX_CHANNELS - 1) for i, c in enumerate(ch)))
    if not chans:
        raise ConfigError("channels", "at least one channel must be enabled")
    if len(set(chans)) != len(chans):
        raise ConfigError("channels", f"duplicate channel in {list(ch)}")
    return chans


def _checked_pairs(p: Any, chans: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    if not isinstance(p, (list, tuple)) or not p:
        raise ConfigError("pairs", f"must be a non-empty list of [a, b] channel pairs, got {p!r}")
    if len(p) > MAX_PAIRS:
        raise ConfigError("pairs", f"{len(p)} pairs, at most {MAX_PAIRS}")
    pairs = []
    for i, pair in enumerate(p):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ConfigError(f"pairs[{i}]", f"must be [a, b], got {pair!r}")
        a, b = (_int(f"pairs[{i}]", c, 0, MAX_CHANNELS - 1) for c in pair)
        for c in (a, b):
            if c not in chans:
                raise ConfigError(f"pairs[{i}]", f"channel {c} is not enabled (channels = {list(chans)})")
        pairs.append((a, b))
    return tuple(pairs)


def _checked_sets(v: Any, chans: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    if not isinstance(v, (list, tuple)) or len(v) > MAX_SETS:
        raise ConfigError("coincidences", f"must be a list of at most {MAX_SETS} channel sets, got {v!r}")
    out = []
    for i, s in enumerate(v):
        if not isinstance(s, (list, tuple)):
            raise ConfigError(f"coincidences[{i}]", f"must be a list of channels, got {s!r}")
        cs = tuple(sorted({_int(f"coincidences[{i}]", c, 0, MAX_CHANNELS - 1) for c in s}))
        if len(cs) < 2:
            raise ConfigError(f"coincidences[{i}]", f"needs at least 2 distinct channels, got {list(s)}")
        for c in cs:
            if c not in chans:
                raise ConfigError(f"coincidences[{i}]",
                                  f"channel {c} is not enabled (channels = {list(chans)})")
        out.append(cs)
    return tuple(out)


def _checked_triple(name: str, v: Any, chans: tuple[int, ...]) -> tuple[int, int, int]:
    if not isinstance(v, (list, tuple)) or len(v) != 3:
        raise ConfigError(name, f"must be three channels [x, y, z] or null, got {v!r}")
    x, y, z = (_int(name, c, 0, MAX_CHANNELS - 1) for c in v)
    if len({x, y, z}) != 3:
        raise ConfigError(name, f"needs three distinct channels, got {list(v)}")
    for c in (x, y, z):
        if c not in chans:
            raise ConfigError(name, f"channel {c} is not enabled (channels = {list(chans)})")
    return x, y, z


def _checked_integration(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConfigError("integration_s", f"must be a number of seconds, got {v!r}")
    if not math.isfinite(v) or not 1e-3 <= v <= 60:
        raise ConfigError("integration_s", f"{v} s is outside 0.001 .. 60 s")
    return float(v)


@dataclass(frozen=True)
class Config:
    """One validated acquisition configuration (docs/protocol.md section 3).

    Refuses impossible settings when it is built (``ConfigError`` naming the field); the fields
    and their ranges are in docs/protocol.md. ``check_device`` adds a device's limits.
    """

    channels: tuple[int, ...] = (0, 1, 8)
    delay_ps: dict[int, int] = field(default_factory=dict)
    dead_time_ps: dict[int, int] = field(default_factory=dict)
    bin_width_ps: int = 1024
    n_bins: int = 4096
    offset_ps: int = 0
    pairs: tuple[tuple[int, int], ...] = ((0, 1),)
    sync_channel: int | None = 8
    integration_s: float = 0.1
    pulsed_window_ps: int = 0
    max_photons: int = 4
    trace_bin_ps: int = 10_000_000_000
    raw_tags: bool = False
    sync_divider: int = 1  # on-chip sync prescaler (SYNC_DIVIDER): 1, 2, 4, 8 or 16
    sync_filter: bool = False  # raw stream: a sync tag only if a detector tag follows before the next
    analysis_pair: int = 0
    analysis_k_side: int = 4
    rep_rate_hz: float | None = None
    # live taggers' measurements (docs/protocol.md section 3; the names of `g2live analyze`'s options)
    log_corr: bool = False  # log-binned G(tau), 1 ns .. 10 s, of the analysis pair: topic `logcorr`
    coincidences: tuple[tuple[int, ...], ...] = ()  # N-fold coincidence channel sets: `coincidences`
    coinc_window_ps: int = 1000
    heralded_g2: tuple[int, int, int] | None = None  # (herald, a, b): topic `heralded_g2`
    herald_window_ps: int = 1000
    herald_offset_ps: int = 0
    g3: tuple[int, int, int] | None = None  # (a, b, c): topic `g3`, a g3_n_bins x g3_n_bins histogram
    g3_bin_width_ps: int = 1024
    g3_n_bins: int = 128
    on_state: bool = False  # ON-state gated g2 of the analysis pair: topic `gated`
    on_threshold_cps: float | None = None  # None: learned from the run's first trace bins
    # marker gate (server, ``markers`` topic): (start, stop) marker numbers; None = no gate
    gate_markers: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise in place once
        chans = _checked_channels(self.channels)
        set_(self, "channels", chans)
        set_(self, "delay_ps", _channel_map("delay_ps", self.delay_ps, chans, -INT32 + 1, INT32 - 1))
        set_(self, "dead_time_ps", _channel_map("dead_time_ps", self.dead_time_ps, chans, 0, UINT32 - 1))
        _int("bin_width_ps", self.bin_width_ps, 1, UINT32 - 1)
        _int("n_bins", self.n_bins, 1, 2**24)
        _int("offset_ps", self.offset_ps, -INT32 + 1, INT32 - 1)
        pairs = _checked_pairs(self.pairs, chans)
        set_(self, "pairs", pairs)
        if self.sync_channel is not None:
            sc = _int("sync_channel", self.sync_channel, 0, MAX_CHANNELS - 1)
            if sc not in chans:
                raise ConfigError("sync_channel", f"channel {sc} is not enabled (channels = {list(chans)})")
        set_(self, "integration_s", _checked_integration(self.integration_s))
        _int("pulsed_window_ps", self.pulsed_window_ps, 0, UINT32 - 1)
        _int("max_photons", self.max_photons, 1, 63)
        _int("trace_bin_ps", self.trace_bin_ps, 1_000_000, 60 * 10**12)
        if not isinstance(self.raw_tags, bool):
            raise ConfigError("raw_tags", f"must be true or false, got {self.raw_tags!r}")
        d = _int("sync_divider", self.sync_divider, 1, 16)
        if d & (d - 1):
            raise ConfigError("sync_divider", f"{d} is not 1, 2, 4, 8 or 16 (the on-chip prescaler)")
        if d > 1 and self.sync_channel is None:
            raise ConfigError("sync_divider", "a sync prescaler needs a sync_channel")
        if not isinstance(self.sync_filter, bool):
            raise ConfigError("sync_filter", f"must be true or false, got {self.sync_filter!r}")
        if self.sync_filter and self.sync_channel is None:
            raise ConfigError("sync_filter", "the conditional filter needs a sync_channel")
        _int("analysis_pair", self.analysis_pair, 0, len(pairs) - 1)
        _int("analysis_k_side", self.analysis_k_side, 1, 64)
        set_(self, "gate_markers", _checked_gate(self.gate_markers))
        if self.rep_rate_hz is not None:
            r = self.rep_rate_hz
            if isinstance(r, bool) or not isinstance(r, (int, float)) or not math.isfinite(r) or r <= 0:
                raise ConfigError("rep_rate_hz", f"must be a positive number or null, got {r!r}")
        self._check_taggers(chans)

    def _check_taggers(self, chans: tuple[int, ...]) -> None:
        """The live coincidence, heralded-g2, g3, log-correlation and ON-state settings."""
        set_ = object.__setattr__
        for name in ("log_corr", "on_state"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(name, f"must be true or false, got {getattr(self, name)!r}")
        pair = self.pairs[self.analysis_pair]
        for name in ("log_corr", "on_state"):
            if getattr(self, name) and self.sync_channel is not None and self.sync_channel in pair:
                # 10 s (log_corr) or 2 s (learning the ON threshold) of laser syncs held in memory
                raise ConfigError(name, f"the analysis pair {list(pair)} holds the sync channel "
                                        f"{self.sync_channel}: choose a pair of detectors (analysis_pair)")
        set_(self, "coincidences", _checked_sets(self.coincidences, chans))
        _int("coinc_window_ps", self.coinc_window_ps, 0, MAX_WINDOW_PS)
        for name in ("heralded_g2", "g3"):
            if getattr(self, name) is not None:
                set_(self, name, _checked_triple(name, getattr(self, name), chans))
        _int("herald_window_ps", self.herald_window_ps, 1, MAX_WINDOW_PS)
        _int("herald_offset_ps", self.herald_offset_ps, -MAX_WINDOW_PS, MAX_WINDOW_PS)
        _int("g3_bin_width_ps", self.g3_bin_width_ps, 1, UINT32 - 1)
        _int("g3_n_bins", self.g3_n_bins, 1, MAX_G3_BINS)
        t = self.on_threshold_cps
        if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t)
                              or t <= 0):
            raise ConfigError("on_threshold_cps", f"must be a positive number or null, got {t!r}")

    # --- device limits ---------------------------------------------------------------------
    def check_device(self, caps: DeviceCaps) -> None:
        """Refuse settings this device cannot do, naming the field; call before configuring it.

        Parameters
        ----------
        caps : DeviceCaps
            The device's limits.

        Raises
        ------
        ConfigError
            Naming the first setting the device cannot do.
        """
        for c in self.channels:
            if c >= caps.n_channels:
                raise ConfigError(
                    "channels",
                    f"channel {c} does not exist on {caps.name} (it has {caps.n_channels} channels)",
                )
        if len(self.pairs) > caps.n_pairs:
            raise ConfigError("pairs", f"{len(self.pairs)} pairs, {caps.name} has {caps.n_pairs}")
        if self.max_photons > caps.max_photons:
            raise ConfigError("max_photons", f"{self.max_photons} exceeds {caps.name}'s {caps.max_photons}")
        if caps.hardware:
            self._check_registers(caps)

    def _check_registers(self, caps: DeviceCaps) -> None:
        """Limits of the hardware: power-of-two binning, register widths."""
        if self.bin_width_ps & (self.bin_width_ps - 1):
            lo = 1 << (self.bin_width_ps.bit_length() - 1)
            raise ConfigError(
                "bin_width_ps",
                f"{self.bin_width_ps} ps is not a power of two, which the on-chip "
                f"binner of {caps.name} needs (nearest: {lo} or {lo * 2})",
            )
        if self.n_bins & (self.n_bins - 1):
            raise ConfigError("n_bins", f"{self.n_bins} is not a power of two ({caps.name})")
        if self.n_bins > 1 << caps.n_bins_log2:
            raise ConfigError("n_bins", f"{self.n_bins} exceeds {caps.name}'s {1 << caps.n_bins_log2} bins")
        cycles = round(self.integration_s * 1e12 / caps.clk_period_ps)
        if cycles >= UINT32:
            raise ConfigError(
                "integration_s",
                f"{self.integration_s} s is {cycles} clock cycles; "
                f"INTEGRATION_CYCLES holds at most {UINT32 - 1}",
            )
        if self.channels and max(self.channels) >= 32:
            raise ConfigError("channels", "CHANNEL_ENABLE covers channels 0..31 only")
        self._check_sync_frontend(caps)

    def _check_sync_frontend(self, caps: DeviceCaps) -> None:
        """The sync prescaler and the conditional filter: on-chip from register map 1.3 on."""
        if self.sync_divider > 1 and self.sync_channel != caps.sync_input:
            where = "has no sync prescaler" if caps.sync_input is None else \
                f"has its sync prescaler on input {caps.sync_input}"
            raise ConfigError("sync_divider", f"{caps.name} {where}; sync_channel is {self.sync_channel}")
        if self.sync_filter and caps.hardware and caps.sync_input is None:
            raise ConfigError("sync_filter", f"{caps.name} has no conditional sync filter (map < 1.3)")
        if caps.tdc_min_low_ps is not None and self.sync_channel is not None:
            self._check_sync_low_time(caps.tdc_min_low_ps, caps.clk_period_ps)

    def _check_sync_low_time(self, min_low_ps: int, clk_ps: int) -> None:
        """The sync input's carry-chain TDC loses an edge that comes before its line has emptied:
        the prescaled sync (low for D/2 laser periods) must stay low for ``min_low_ps``. The laser
        period is ``rep_rate_hz``'s, else that of the fastest sync the core takes (SYNC_MAX_HZ)."""
        rate = self.rep_rate_hz if self.rep_rate_hz is not None else SYNC_MAX_HZ
        period = 1e12 / rate
        d = self.sync_divider
        src = f"{rate / 1e6:g} MHz" + (
            " (rep_rate_hz)" if self.rep_rate_hz is not None
            else " (the fastest sync the core takes; set rep_rate_hz for a slower laser)")
        need = f"the sync input's TDC needs {min_low_ps / 1000:.1f} ns low (its delay line plus a clock)"
        hint = self._divider_hint(period, min_low_ps)
        if d == 1:
            # the raw line: high for at least a clock, low for min_low_ps, within one period
            if self.rep_rate_hz is not None and period < min_low_ps + clk_ps:
                raise ConfigError("sync_divider", f"1 passes a {period / 1000:.1f} ns laser period at {src}; "
                                  f"{need} and high for a {clk_ps / 1000:g} ns clock: {hint}")
            return
        low = d // 2 * period
        if low < min_low_ps:
            raise ConfigError("sync_divider",
                              f"{d} keeps the sync low for {low / 1000:.1f} ns at {src}; {need}: {hint}")

    @staticmethod
    def _divider_hint(period_ps: float, min_low_ps: int) -> str:
        ok = [d for d in (2, 4, 8, 16) if d // 2 * period_ps >= min_low_ps]
        return f"use sync_divider >= {ok[0]}" if ok else "no sync_divider up to 16 is enough"

    # --- helpers -----------------------------------------------------------------------------
    @property
    def lo_ps(self) -> int:
        """Left edge of bin 0 of the correlation window (ps)."""
        return self.offset_ps - (self.n_bins // 2) * self.bin_width_ps

    @property
    def detector_channels(self) -> tuple[int, ...]:
        """Enabled channels other than the sync."""
        return tuple(c for c in self.channels if c != self.sync_channel)

    def delays_array(self) -> list[int]:
        """Delay per channel 0..63 (ps), 0 where none is set."""
        return [self.delay_ps.get(c, 0) for c in range(MAX_CHANNELS)]

    def dead_array(self) -> list[int]:
        """Dead time per channel 0..63 (ps), 0 where none is set."""
        return [self.dead_time_ps.get(c, 0) for c in range(MAX_CHANNELS)]

    def enable_mask(self) -> int:
        """Bit c set for each enabled channel c."""
        return sum(1 << c for c in self.channels)

    def updated(self, **changes: Any) -> Config:
        """A new validated Config with ``changes`` merged (unknown keys refused)."""
        names = {f.name for f in fields(self)}
        for k in changes:
            if k not in names:
                raise ConfigError(k, f"unknown setting (known: {', '.join(sorted(names))})")
        return replace(self, **{k: _from_json_value(k, v) for k, v in changes.items()})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (lists, string channel keys)."""
        # field by field, not dataclasses.asdict: every published header carries the settings, and
        # asdict's recursive deep copy was a quarter of the replay loop's time
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["channels"] = list(self.channels)
        d["pairs"] = [list(p) for p in self.pairs]
        d["coincidences"] = [list(s) for s in self.coincidences]
        for k in ("heralded_g2", "g3"):
            d[k] = None if d[k] is None else list(d[k])
        d["delay_ps"] = {str(k): v for k, v in self.delay_ps.items()}
        d["dead_time_ps"] = {str(k): v for k, v in self.dead_time_ps.items()}
        d["gate_markers"] = None if self.gate_markers is None else list(self.gate_markers)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Config:
        """A Config from ``to_dict`` output (missing keys take their defaults)."""
        if not isinstance(d, dict):
            raise ConfigError("settings", f"must be an object, got {type(d).__name__}")
        return cls().updated(**d)

    def to_json(self) -> str:
        """``to_dict`` as JSON text."""
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_json(cls, text: str) -> Config:
        """A Config from JSON text (``ConfigError`` for invalid JSON)."""
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError("settings", f"not valid JSON: {exc}") from exc
        return cls.from_dict(d)

    @classmethod
    def load(cls, path: str | Path) -> Config:
        """A Config from a JSON file; errors name the file."""
        try:
            return cls.from_json(Path(path).read_text())
        except ConfigError as exc:
            raise ConfigError(exc.field, f"{exc.message} (in {path})") from None


def _checked_gate(g: Any) -> tuple[int, int] | None:
    """``gate_markers``: None, or (start, stop) marker numbers 0..31."""
    if g is None:
        return None
    if not isinstance(g, tuple) or len(g) != 2:
        raise ConfigError("gate_markers", f"must be [start, stop] marker numbers or null, got {g!r}")
    return _int("gate_markers", g[0], 0, 31), _int("gate_markers", g[1], 0, 31)


def _from_json_value(key: str, v: Any) -> Any:
    # JSON has lists and string keys; the dataclass keeps tuples (hashable, frozen).
    if key == "channels" and isinstance(v, list):
        return tuple(v)
    if key == "gate_markers" and isinstance(v, list):
        return tuple(v)
    if key == "pairs" and isinstance(v, list):
        return tuple(tuple(p) if isinstance(p, list) else p for p in v)
    if key == "coincidences" and isinstance(v, list):
        return tuple(tuple(p) if isinstance(p, list) else p for p in v)
    if key in ("heralded_g2", "g3") and isinstance(v, list):
        return tuple(v)
    return v
