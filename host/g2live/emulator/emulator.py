# SPDX-License-Identifier: BSD-3-Clause
"""The top-level emulator: excitation -> emitter -> optics -> detectors -> time-ordered tags.

Time is int64 picoseconds. The first laser pulse is at `guard_ps` (so that jitter and negative
cable delays never produce negative times); pulse k is at guard_ps + k * period_ps. The laser sync
k (every `sync_divider`-th pulse) is at k * sync_period_ps, `guard_ps` before its pulse: prompt
photons stamped early by jitter still fall after their own sync, and no event precedes sync 0.

Records: pulsed with a sync gives T3 chunks by default (`records="t3"`): each photon carries its
sync period `sync_index` and its delay `microtime_ps` after that sync, and no sync events exist
(`g2live.photons` has the rule that ties them to `time_ps`). `records="t2"` inserts a sync event
per recorded pulse instead, on `sync_ch`; the two are the same stream (`PhotonData.with_syncs`).

Chunking: chunk i covers the laser pulses (pulsed) or emission cycles (CW) in
[T_i, T_i+1). Its detections may land a little before T_i+1 (jitter) or long after it (decay,
afterpulses). Everything before B_i = T_i+1 - guard_ps is final, because no later pulse can put a
tag there; later events are carried into the next chunk, together with each detector's last
accepted time (dead time) and the blinking state, so the chunked stream is the same process as
one long run.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np

from ..markers import marker_array
from ..photons import Meta, PhotonData
from .blinking import Blinking
from .config import EmulatorConfig
from .detectors import detect, detector_params, potential_secondaries, resolve, uniform_events
from .emitter import CwEmitter, cascade_params, pulsed_detections
from .excitation import cw_excitation_rate_hz, pulse_range
from .kernels import core as kernel
from .optics import background_cps
from .truth import predict

__all__ = ["Emulator", "EmulatorConfig"]

NEVER = np.int64(-(2**62))
KIND_PRIMARY, KIND_AFTERPULSE, KIND_CROSSTALK, KIND_VIRTUAL = 0, 1, 2, 3


class Emulator:
    """Photon-physics emulator. `chunks()` streams, `run()` returns one recording.

    Parameters
    ----------
    config : EmulatorConfig, optional
        The parameters (default: ``EmulatorConfig()``); validated here.
    seed : int, optional
        Seed of the random generator: a run is reproducible from it.
    **overrides
        Parameters replacing those of ``config``.

    Examples
    --------
    >>> em = Emulator(EmulatorConfig(power=0.2), seed=1)
    >>> data = em.run(0.01)
    """

    def __init__(
        self, config: EmulatorConfig | None = None, seed: int | None = None, **overrides: Any
    ) -> None:
        cfg = replace(config or EmulatorConfig(), **overrides) if overrides else (config or EmulatorConfig())
        self.config = cfg.validate()
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.blinking = Blinking(cfg, self.rng)
        self._cw = CwEmitter()
        self.power = float(cfg.power)
        self._t = 0  # start of the next chunk
        self._carry_t = np.empty(0, dtype=np.int64)
        self._carry_c = np.empty(0, dtype=np.uint8)
        self._t_last = np.full(cfg.n_detectors, NEVER, dtype=np.int64)  # last accepted avalanche
        self._next_sync = 0  # index of the next sync not yet emitted (T2) or counted (T3)
        self._noise_cps = background_cps(cfg)
        self._det: tuple[tuple, np.ndarray] | None = None  # detector parameters of the kernels
        self._truth_cache: dict[float, dict[str, Any]] = {}
        self._marker_from = 0  # markers before this time went out with an earlier chunk
        self._power_steps: list[int] = []  # times of power steps not yet handed out as markers
        self._t_next = 0  # start of the chunk after the last one made: where a power step acts
        n = cfg.n_detectors
        # every loss or extra event is counted, never silent
        self.stats: dict[str, Any] = {
            "signal_detections": 0,  # photons of the emitter that hit a detector (before dead time)
            "noise_events": 0,  # dark counts and background
            "off_array": 0,  # spectro: collected photons that miss the SPAD array
            "secondaries_created": 0,  # afterpulse + crosstalk avalanches (before dead time)
            "afterpulses": 0,  # afterpulse avalanches (before dead time)
            "crosstalk": 0,  # crosstalk avalanches (before dead time)
            "dead_time_lost": [0] * n,  # avalanches lost in the dead time, per detector
            "after_end": 0,  # detections later than the end of a finite run (not recorded)
            "sync_events": 0,
            "tags": 0,  # detector tags emitted (sync excluded)
            "emulated_s": 0.0,
            "pulses_by_state": [0, 0, 0],  # pulsed: laser pulses in the ON, OFF and grey state
        }

    # ------------------------------------------------------------------ public interface
    def set_power(self, power: float) -> None:
        """Change P/P_sat for the pulses (or CW cycles) of the following chunks.

        Parameters
        ----------
        power : float
            P / P_sat (pulsed: mean excitons per pulse), finite and >= 0.
        """
        if not (math.isfinite(power) and power >= 0):
            raise ValueError(f"emulator parameter power={power!r}: must be a finite number >= 0")
        if self.config.power_marker and float(power) != self.power:
            self._power_steps.append(self._t_next)  # the next chunk starts with the new power
        self.power = float(power)

    def truth(self) -> dict[str, Any]:
        """Predicted values for the current settings (see `g2live.emulator.truth`)."""
        if self.power not in self._truth_cache:
            self._truth_cache[self.power] = predict(self.config, self.power)
        return self._truth_cache[self.power]

    def chunks(self, duration_s: float | None = None, chunk_s: float = 0.05) -> Iterator[PhotonData]:
        """Time-ordered chunks from the current emulated time.

        Parameters
        ----------
        duration_s : float, optional
            Emulated time to cover (None: forever).
        chunk_s : float, optional
            Length of each chunk.

        Yields
        ------
        PhotonData
            One chunk; ``meta.extra`` holds ``chunk_end_ps``, ``power``, ``truth`` and ``stats``.
        """
        chunk_ps = int(round(chunk_s * 1e12))
        cfg = self.config
        min_chunk = 2 * cfg.guard_ps + int(cfg.dead_time_ns * 1e3)
        min_chunk += cfg.period_ps if cfg.excitation == "pulsed" else 0
        if not chunk_ps > min_chunk:
            raise ValueError(f"chunk_s={chunk_s!r} must exceed {min_chunk * 1e-12:g} s")
        if duration_s is not None and not (math.isfinite(duration_s) and duration_s > 0):
            raise ValueError(f"duration_s={duration_s!r} must be a finite number > 0")
        end = None if duration_s is None else self._t + int(round(duration_s * 1e12))
        while end is None or self._t < end:
            t1 = self._t + chunk_ps if end is None else min(self._t + chunk_ps, end)
            yield self._chunk(self._t, t1, final=(end is not None and t1 >= end))
            self._t = t1

    def run(self, duration_s: float, chunk_s: float = 0.05, progress: bool = False) -> PhotonData:
        """One recording.

        Parameters
        ----------
        duration_s : float
            Emulated time.
        chunk_s : float, optional
            Emulation chunk length.
        progress : bool, optional
            Show a progress bar.

        Returns
        -------
        PhotonData
            The tags, with ``meta.extra["truth"]`` (predictions) and ``["stats"]`` (losses, extras).
        """
        parts: list[PhotonData] = []
        start = self._t
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=duration_s, unit="s", desc="emulating",
                       bar_format="{l_bar}{bar}| {n:.3g}/{total:.3g} s")
        for part in self.chunks(duration_s, chunk_s):
            parts.append(part)
            if bar is not None:
                bar.update((part.meta.extra["chunk_end_ps"] - start) * 1e-12 - bar.n)
        if bar is not None:
            bar.close()

        def cat(name: str, dtype: type) -> np.ndarray:
            arrays = [getattr(p, name) for p in parts]
            return np.concatenate(arrays) if arrays else np.empty(0, dtype)

        t3 = self.config.t3
        marks = [p.markers for p in parts if p.markers is not None]
        return PhotonData(cat("channel", np.uint8), cat("time_ps", np.int64), self._meta(duration_s),
                          cat("sync_index", np.int64) if t3 else None,
                          cat("microtime_ps", np.int64) if t3 else None,
                          np.concatenate(marks) if marks else None)

    def _markers(self, t0: int, t1: int) -> np.ndarray | None:
        """Markers in [t0, t1): frame markers 0 and 1 (``marker_period_s``, ``marker_duty``) and
        power-step markers 2; None when the configuration asks for none."""
        cfg = self.config
        if cfg.marker_period_s == 0 and not cfg.power_marker:
            return None
        ms, ts = [], []
        if cfg.marker_period_s > 0:
            p = int(round(cfg.marker_period_s * 1e12))
            for m, d in ((0, 0), (1, int(round(cfg.marker_duty * p)))):
                k = np.arange(-(-(t0 - d) // p), -(-(t1 - d) // p), dtype=np.int64)
                ts.append(k * p + d)
                ms.append(np.full(k.size, m, np.int64))
        steps = [t for t in self._power_steps if t0 <= t < t1]
        self._power_steps = [t for t in self._power_steps if t >= t1]
        ts.append(np.array(steps, np.int64))
        ms.append(np.full(len(steps), 2, np.int64))
        return marker_array(np.concatenate(ms), np.concatenate(ts))

    def words(self, duration_s: float | None = None, chunk_s: float = 0.05) -> Iterator[np.ndarray]:
        """Tag words in the hardware format (via `g2live.core.Encoder`).

        Parameters
        ----------
        duration_s : float, optional
            Emulated time to cover (None: forever).
        chunk_s : float, optional
            Length of each chunk.

        Yields
        ------
        numpy.ndarray
            uint64 words of one chunk.
        """
        try:
            from .. import core
        except ImportError as exc:  # the C core is built separately (setup.py build_ext --inplace)
            raise RuntimeError(f"words mode needs the C core g2live.core: {exc}") from exc
        encoder = core.Encoder()
        final = 0  # syncs before this were encoded
        for part in self.chunks(duration_s, chunk_s):
            if part.is_t3:  # the hardware sees sync edges: rebuild them (exact)
                end = part.meta.extra["final_ps"]
                part = part.with_syncs(self.config.sync_ch, final, end)  # type: ignore[arg-type]
                final = end
            yield encoder.encode(part.channel, part.time_ps)

    def meta(self, duration_s: float | None = None) -> Meta:
        """The recording's metadata now: roles, sync, ``truth`` and the ``stats`` so far.

        Parameters
        ----------
        duration_s : float, optional
            Acquisition time to state (``meta.acquisition_s``).
        """
        return self._meta(duration_s)

    # ------------------------------------------------------------------ internals
    def _meta(self, duration_s: float | None) -> Meta:
        cfg = self.config
        roles = {c: (f"detector {c}" if cfg.mode == "hbt" else f"pixel {c}") for c in range(cfg.n_detectors)}
        sc = cfg.sync_ch
        if sc is not None and not cfg.t3:
            roles[sc] = "sync"
        extra: dict[str, Any] = {"truth": self.truth(), "stats": _plain(self.stats), "seed": self.seed}
        if cfg.mode == "spectro":
            extra["pixel_energy_ev"] = cfg.pixel_energy_ev()
        return Meta(
            source="g2live.emulator",
            format="g2live emulator",
            resolution_ps=1.0,
            sync_rate_hz=1e12 / cfg.sync_period_ps if sc is not None else None,
            sync_channel=None if cfg.t3 else sc,
            channel_roles=roles,
            acquisition_s=duration_s,
            extra=extra,
            sync_period_ps=cfg.sync_period_ps if cfg.t3 else None,
        )

    def _emissions(self, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
        """Tags of detected emitter photons: (time in ps, channel), unsorted."""
        cfg = self.config
        rng = self.rng
        eta = cfg.collection_efficiency * cfg.detector_efficiency
        a = cfg.qy_x * eta
        b = cfg.qy_ratio * cfg.qy_x * eta
        if cfg.excitation == "pulsed":
            t, ch, off_array = self._pulsed(t0, t1, a, b)
        else:
            g = cw_excitation_rate_hz(self.power, cfg.tau_x_ns)
            rel, kind = self._cw.emissions(rng, g, cfg.tau_x_ns * 1e3, cfg.tau_bx_ns * 1e3, a, b, t0, t1)
            fl = np.floor(rel)
            base = t0 + fl.astype(np.int64)
            delay = rel - fl
            if self.blinking.enabled and base.size:  # thin each photon with its state's QY factor
                _, q = self.blinking.factor_at(base, t0, max(t1, int(base.max()) + 1))
                dim = np.flatnonzero(q < 1.0)
                if dim.size:
                    keep = np.ones(base.size, dtype=bool)
                    keep[dim] = rng.random(dim.size) < q[dim]
                    base, delay, kind = base[keep], delay[keep], kind[keep]
            t, ch = detect(rng, cfg, base, delay, kind)
            off_array = base.size - t.size
        self.stats["off_array"] += int(off_array)
        self.stats["signal_detections"] += int(t.size)
        return t, ch

    def _pulsed(self, t0: int, t1: int, a: float, b: float) -> tuple[np.ndarray, np.ndarray, int]:
        """Tags of the detected photons of the pulses in [t0, t1) and the photons off the array.

        Blinking is constant over each pulse, so each blinking segment's pulses are drawn with that
        state's detection probabilities (a q, b q), the segments in time order in one kernel call.
        """
        cfg = self.config
        period = cfg.period_ps
        k0, k1 = pulse_range(t0, t1, cfg.guard_ps, period)
        tau_x, tau_bx = cfg.tau_x_ns * 1e3, cfg.tau_bx_ns * 1e3
        if self._det is None:
            self._det = detector_params(cfg)
        if not self.blinking.enabled:
            self.stats["pulses_by_state"][0] += int(k1 - k0)
            cascade = np.array([cascade_params(self.power, a, b, tau_x, tau_bx)])
            return pulsed_detections(self.rng, cascade, *self._det, np.array([k0]), np.array([k1 - k0]),
                                     np.zeros(1, np.uint8), cfg.guard_ps, period)
        starts, states = self.blinking.segments(t0, t1)
        # pulse-index edges of the segments inside [k0, k1): pulse k belongs to the segment holding its time
        inner = -((cfg.guard_ps - np.ceil(starts[1:]).astype(np.int64)) // period)
        edges = np.concatenate(([k0], np.clip(inner, k0, k1), [k1]))
        lens = np.diff(edges)
        m = lens > 0
        qs = self.blinking.qy_factor
        for st, n in zip(states[m], lens[m], strict=True):
            self.stats["pulses_by_state"][int(st)] += int(n)
        cascade = np.array([cascade_params(self.power, a * q, b * q, tau_x, tau_bx) for q in qs])
        return pulsed_detections(self.rng, cascade, *self._det, edges[:-1][m], lens[m], states[m],
                                 cfg.guard_ps, period)

    def _primaries(self, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
        """Carried-over avalanches, emitter photons, dark counts and background, in stream order."""
        t_ph, c_ph = self._emissions(t0, t1)
        t_n, c_n = uniform_events(self.rng, self._noise_cps, t0, t1)
        self.stats["noise_events"] += int(t_n.size)
        return _merge_tags(t_ph, c_ph, *_sort_tags((self._carry_t, t_n), (self._carry_c, c_n)))

    def _extras(self, t: np.ndarray, ch: np.ndarray, boundary: int, dead: int) -> _Extras:
        """The secondaries every primary would trigger, and the previous chunk's last avalanches
        (virtual events that only hold their detectors' dead time)."""
        cfg = self.config
        p_xt = cfg.crosstalk_probability if cfg.mode == "spectro" else 0.0
        if cfg.afterpulse_probability > 0 or p_xt > 0:
            x = _Extras(*potential_secondaries(
                self.rng, t, ch, cfg.n_detectors, cfg.afterpulse_probability, cfg.afterpulse_tau_ns * 1e3,
                p_xt, cfg.crosstalk_delay_ps,
            ))
        else:
            x = _Extras(_EMPTY_I8, _EMPTY_U1, _EMPTY_I8, _EMPTY_U1)
        t_min = int(t[0]) if t.size else boundary
        vch = np.flatnonzero(self._t_last > t_min - dead).astype(np.uint8) if dead > 0 else _EMPTY_U1
        if not vch.size:
            return x
        return _Extras(
            np.concatenate((x.t, self._t_last[vch])), np.concatenate((x.ch, vch)),
            np.concatenate((x.parent, np.full(vch.size, -1, np.int64))),
            np.concatenate((x.kind, np.full(vch.size, KIND_VIRTUAL, np.uint8))),
        )

    def _count(self, ch: np.ndarray, x: _Extras, r: _Resolved) -> None:
        """Secondaries created (certain once their parent is final) and dead-time losses."""
        st = self.stats
        if r.born_x.any():
            k = x.kind[r.born_x]
            st["secondaries_created"] += int(k.size)
            st["afterpulses"] += int(np.count_nonzero(k == KIND_AFTERPULSE))
            st["crosstalk"] += int(np.count_nonzero(k == KIND_CROSSTALK))
        lost_x = r.pres_x & ~r.acc_x & r.real_x & r.before_x
        if r.lost_p.size or lost_x.any():
            counts = np.bincount(ch[r.lost_p], minlength=self.config.n_detectors)
            counts += np.bincount(x.ch[lost_x], minlength=self.config.n_detectors)
            for c in np.flatnonzero(counts):
                st["dead_time_lost"][c] += int(counts[c])

    def _carry(self, t: np.ndarray, ch: np.ndarray, x: _Extras, r: _Resolved, final: bool) -> None:
        """Keep what lies beyond the boundary for the next chunk (at the end of a run: count it)."""
        later_x = r.born_x & ~r.before_x
        if final:
            self.stats["after_end"] += int(t.size - r.ib) + int(np.count_nonzero(later_x))
            self._carry_t, self._carry_c = _EMPTY_I8, _EMPTY_U1
        else:
            self._carry_t = np.concatenate((t[r.ib:], x.t[later_x]))
            self._carry_c = np.concatenate((ch[r.ib:], x.ch[later_x]))

    def _final_tags(
        self, t: np.ndarray, ch: np.ndarray, x: _Extras, r: _Resolved, boundary: int, dead: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The accepted avalanches before the boundary, and the dead-time state they leave: the last
        accepted avalanche per detector, if within one dead time of the boundary."""
        if r.lost_p.size:
            keep = r.acc_p[:r.ib]
            out_t, out_c = t[:r.ib][keep], ch[:r.ib][keep]
        else:
            out_t, out_c = t[:r.ib], ch[:r.ib]
        fin_x = r.acc_x & r.real_x & r.before_x
        if fin_x.any():
            out_t, out_c = kernel.emu_merge(out_t, out_c, *_sort_tags((x.t[fin_x],), (x.ch[fin_x],)))
        if dead > 0 and out_t.size:
            j = int(np.searchsorted(out_t, boundary - dead, side="left"))
            if j < out_t.size:
                np.maximum.at(self._t_last, out_c[j:].astype(np.intp), out_t[j:])
        return out_t, out_c

    def _chunk(self, t0: int, t1: int, final: bool) -> PhotonData:
        cfg = self.config
        boundary = t1 if final else t1 - cfg.guard_ps  # events before it are final
        dead = int(round(cfg.dead_time_ns * 1e3))
        t, ch = self._primaries(t0, t1)
        x = self._extras(t, ch, boundary, dead)
        r = _Resolved.of(t, ch, x, boundary, dead)
        self._count(ch, x, r)
        self._carry(t, ch, x, r, final)
        out_t, out_c = self._final_tags(t, ch, x, r, boundary, dead)
        self.stats["tags"] += int(out_t.size)
        self.stats["emulated_s"] = t1 * 1e-12
        meta = self._meta(None)
        meta.extra["chunk_end_ps"] = t1
        meta.extra["final_ps"] = boundary  # every event (and sync) before it is in this or an earlier chunk
        meta.extra["power"] = self.power
        markers = self._markers(self._marker_from, boundary)
        self._marker_from = boundary
        self._t_next = t1
        if self.config.t3:
            self._count_syncs(boundary)
            q = np.int64(self.config.sync_period_ps)
            index = out_t // q  # times are >= 0: sync 0 is at time 0
            return PhotonData(out_c, out_t, meta, index, out_t - index * q, markers)
        out_t, out_c = self._merge_sync(out_t, out_c, boundary)
        return PhotonData(out_c, out_t, meta, markers=markers)

    def _count_syncs(self, boundary: int) -> tuple[int, int]:
        """Syncs ``k0 .. k0 + n - 1`` that lie before ``boundary`` and after the previous chunk's."""
        q = self.config.sync_period_ps
        k0 = self._next_sync
        n = max(0, -(-boundary // q) - k0)  # sync k is at k * q
        self._next_sync = k0 + n
        self.stats["sync_events"] += n
        return k0, n

    def _merge_sync(self, t: np.ndarray, ch: np.ndarray, boundary: int) -> tuple[np.ndarray, np.ndarray]:
        """Insert the sync tags before `boundary` in (time, channel) order."""
        sc = self.config.sync_ch
        if sc is None:
            return t, ch
        k0, n_sync = self._count_syncs(boundary)
        if n_sync == 0:
            return t, ch
        q = self.config.sync_period_ps
        # syncs strictly earlier than each tag go first; at equal times the detector tag goes first
        # because validate() puts the sync channel above all detector channels (compiled merge)
        return kernel.emu_merge_sync(t, ch, k0 * q, q, n_sync, sc)


_EMPTY_I8 = np.empty(0, dtype=np.int64)
_EMPTY_U1 = np.empty(0, dtype=np.uint8)


class _Extras(NamedTuple):
    """Potential secondary (and virtual) avalanches of a chunk."""

    t: np.ndarray
    ch: np.ndarray
    parent: np.ndarray  # index into [primaries, extras]; -1: exists regardless
    kind: np.ndarray  # KIND_AFTERPULSE, KIND_CROSSTALK or KIND_VIRTUAL


@dataclass(frozen=True)
class _Resolved:
    """Dead time resolved over a chunk's primaries and extras (``detectors.resolve``)."""

    acc_p: np.ndarray  # accepted primaries
    pres_x: np.ndarray  # extras that exist (their parent was accepted)
    acc_x: np.ndarray  # accepted extras
    ib: int  # primaries before the boundary
    real_x: np.ndarray  # extras that are not virtual
    before_x: np.ndarray  # extras before the boundary
    born_x: np.ndarray  # real extras that exist for certain
    lost_p: np.ndarray  # indices of primaries before the boundary lost to dead time

    @classmethod
    def of(cls, t: np.ndarray, ch: np.ndarray, x: _Extras, boundary: int, dead: int) -> _Resolved:
        acc_p, pres_x, acc_x = resolve(t, ch, x.t, x.ch, x.parent, dead)
        n = t.size
        ib = int(np.searchsorted(t, boundary, side="left"))
        real_x = x.kind != KIND_VIRTUAL
        before_x = x.t < boundary
        # secondaries become certain once their parent is final (earlier than the boundary)
        xp = x.parent
        par_t = np.where(xp < n, t[np.clip(xp, 0, max(n - 1, 0))] if n else 0, x.t[np.clip(xp - n, 0, None)])
        par_ok = (xp < 0) | (par_t < boundary)
        born_x = pres_x & real_x & (before_x | par_ok)
        return cls(acc_p, pres_x, acc_x, ib, real_x, before_x, born_x, np.flatnonzero(~acc_p[:ib]))


def _sort_tags(
    ts: tuple[np.ndarray, ...], cs: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate and sort by (time, channel): one stable sort of a packed key `(t - t_min) << 6 | ch`
    (cheap on nearly sorted runs), built in place without intermediate copies."""
    sizes = [x.size for x in ts]
    n = sum(sizes)
    if n == 0:
        return _EMPTY_I8, _EMPTY_U1
    t_min = min(int(x.min()) for x in ts if x.size)
    key = np.empty(n, dtype=np.int64)
    pos = 0
    for t, c in zip(ts, cs, strict=True):
        part = key[pos: pos + t.size]
        np.subtract(t, t_min, out=part)
        part <<= np.int64(6)
        part |= c
        pos += t.size
    key.sort(kind="stable")
    out_c = (key & np.int64(63)).astype(np.uint8)
    key >>= np.int64(6)
    key += t_min
    return key, out_c


def _merge_tags(
    t: np.ndarray, c: np.ndarray, ts: np.ndarray, cs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sort the emitter's tags (nearly sorted: pulse order; sorted in place) and merge the sorted
    (ts, cs) into them, in (time, channel) order. A near-sort in C; a full sort when the input is
    far from sorted (CW batches)."""
    if kernel.emu_sort_nearly(t, c, 16 * t.size + 1024) < 0:
        t, c = _sort_tags((t,), (c,))
    return kernel.emu_merge(t, c, ts, cs)


def _plain(x: Any) -> Any:
    """A JSON-able deep copy (lists instead of arrays)."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x

