# SPDX-License-Identifier: BSD-3-Clause
"""Photon sources that feed the emulated devices: the emulator, a file, or arrays in memory.

Every source hands out consecutive, time-ordered slices ``read_until(t_ps)`` (all photons with
``time_ps < t_ps`` not handed out yet), whatever chunking the producer uses.

T3 sources (the emulator when pulsed, T3 files) carry no sync events. ``read_until(t_ps,
sync_channel=c)`` then rebuilds the sync edges before ``t_ps`` exactly (``g2live.photons``) and
returns the T2 stream the chip would see; the ``sim`` device instead asks for the photons alone
(``read_photons_until``) and for how many syncs passed (``syncs_until``), and feeds the pulsed
block through its periodic entry point, so the syncs are never built one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from g2live.photons import Meta, PhotonData, merge_syncs, sync_count_before, sync_times_ps, whole_ps

__all__ = ["PhotonSource", "ArraySource", "EmulatorSource", "FileSource"]

_EMPTY_C = np.zeros(0, np.uint8)
_EMPTY_T = np.zeros(0, np.int64)


class PhotonSource:
    """Slices an iterator of time-ordered ``PhotonData`` chunks at arbitrary times."""

    def __init__(
        self, chunks: Iterable[PhotonData], meta: Meta | None = None, t0_ps: int | None = None
    ) -> None:
        self._it: Iterator[PhotonData] = iter(chunks)
        self._parts: list[PhotonData] = []
        self.exhausted = False
        self.meta = meta or Meta()
        self.last_time_ps = -(2**63)
        self.n_read = 0
        self.t3: bool | None = None  # decided by the first chunk
        self._next_sync = 0  # T3: index of the first sync not handed out yet
        self._t0 = t0_ps
        self.waiting = False  # a live source (follow) had nothing new at the last pull
        self._markers: list[np.ndarray] = []  # markers of the chunks pulled, not handed out yet

    @property
    def t0_ps(self) -> int:
        """Device-time origin: the given one, else the first photon's time (0 if there is none)."""
        if self._t0 is None:
            while not self._parts and self._pull() is False and self.waiting:
                pass  # a live source: its first events are on their way
            self._t0 = int(self._parts[0].time_ps[0]) if self._parts else 0
        return self._t0

    @property
    def sync_period_ps(self) -> float | None:
        """The sync period of a T3 source (None for T2)."""
        if self.t3 is None:
            self._pull()
        return self.meta.sync_period_ps if self.t3 else None

    def _pull(self) -> bool:
        """Take the next chunk; False when the source has ended, or (``waiting``) when a live
        source yielded None: nothing new yet."""
        for chunk in self._it:
            self.waiting = chunk is None
            if chunk is None:
                return False
            if self.t3 is None:
                self.t3 = chunk.is_t3
            if chunk.markers is not None and len(chunk.markers):
                self._markers.append(chunk.markers)
            if len(chunk) == 0:
                continue
            if self.meta.source == "" and chunk.meta.source:
                self.meta = chunk.meta
            if self.t3 and self.meta.sync_period_ps is None:
                self.meta.sync_period_ps = chunk.meta.sync_period_ps
            t = chunk.time_ps
            if t[0] < self.last_time_ps:
                raise ValueError(
                    f"source: chunk starts at {int(t[0])} ps, before the previous chunk's end "
                    f"{self.last_time_ps} ps (photons must be time ordered)"
                )
            self.last_time_ps = int(t[-1])
            self._parts.append(chunk)
            return True
        self.exhausted = True
        if self.t3 is None:
            self.t3 = False
        return False

    def read_photons_until(self, t_ps: int) -> PhotonData:
        """Photons (T3: no sync events) with ``time_ps < t_ps`` that were not returned before."""
        while not self.exhausted and (not self._parts or self._parts[-1].time_ps[-1] < t_ps):
            if not self._pull() and not self.waiting:
                break
        out: list[PhotonData] = []
        while self._parts:
            part = self._parts[0]
            k = int(np.searchsorted(part.time_ps, t_ps, side="left"))
            if k == len(part):
                out.append(self._parts.pop(0))
                continue
            out.append(part.slice(0, k))
            self._parts[0] = part.slice(k, len(part))
            break
        self.n_read += sum(len(p) for p in out)
        if len(out) == 1:
            return out[0]
        if not out:
            return PhotonData(_EMPTY_C, _EMPTY_T, self.meta)
        return PhotonData(
            np.concatenate([p.channel for p in out]), np.concatenate([p.time_ps for p in out]), self.meta
        )

    def read_markers_until(self, t_ps: int) -> np.ndarray:
        """Markers (``core.MARKER_DTYPE``) with ``time_ps < t_ps`` of the chunks pulled so far (read
        the photons up to ``t_ps`` first), not returned before."""
        from g2live.core import MARKER_DTYPE

        if not self._markers:
            return np.zeros(0, MARKER_DTYPE)
        m = np.concatenate(self._markers)
        k = int(np.searchsorted(m["time_ps"], t_ps, side="left"))
        self._markers = [m[k:]] if k < m.size else []
        return m[:k]

    def available_until(self, t_ps: int) -> bool:
        """Whether every photon before ``t_ps`` is here (or the source has ended), taking what a
        live source has ready without waiting for more."""
        while not self.exhausted and (not self._parts or self._parts[-1].time_ps[-1] < t_ps):
            if not self._pull():
                return self.exhausted
        return True

    @property
    def end_ps(self) -> int | None:
        """When the source has ended, the end of its time line (syncs stop there): just after the
        last photon, or the stated acquisition time when later; None while it goes on."""
        if not self.exhausted:
            return None
        acq = self.meta.acquisition_s
        return max(self.last_time_ps + 1, round(acq * 1e12) if acq else 0)

    def first_sync(self) -> int:
        """T3: index of the first sync at or after the device-time origin (none is handed out
        before it)."""
        period = self.sync_period_ps
        return 0 if period is None else sync_count_before(self.t0_ps, period)

    def skip_syncs_before(self, t_ps: int) -> None:
        """T3: hand out no sync before ``t_ps`` (a device that restarts there, or took the syncs
        up to there in its own way)."""
        period = self.sync_period_ps
        if period is not None:
            self._next_sync = max(self._next_sync, self.first_sync(), sync_count_before(t_ps, period))

    def syncs_until(self, t_ps: int) -> tuple[int, int]:
        """T3: the syncs before ``t_ps`` (and before the end) not handed out yet, as (index of the
        first, how many)."""
        period = self.sync_period_ps
        if period is None:
            return self._next_sync, 0
        if self._next_sync == 0:
            self._next_sync = self.first_sync()
        end = self.end_ps
        k0 = self._next_sync
        k1 = max(k0, sync_count_before(t_ps if end is None else min(t_ps, end), period))
        self._next_sync = k1
        return k0, k1 - k0

    def read_until(self, t_ps: int, sync_channel: int | None = None) -> PhotonData:
        """Events with ``time_ps < t_ps`` not returned before; for a T3 source with a
        ``sync_channel``, the sync edges of that span rebuilt as events on it (exact)."""
        photons = self.read_photons_until(t_ps)
        if not self.t3 or sync_channel is None:
            return PhotonData(photons.channel, photons.time_ps, self.meta)
        period = self.sync_period_ps
        assert period is not None
        k0, n = self.syncs_until(t_ps)
        if n == 0:
            return PhotonData(photons.channel, photons.time_ps, self.meta)
        q = whole_ps(period)
        if q is not None and (not len(photons) or int(photons.channel.max()) < sync_channel):
            from g2live.emulator.kernels import core

            # the compiled merge puts a sync after photons at its time: right when every photon
            # channel is below the sync channel (stream order)
            t, ch = core.emu_merge_sync(photons.time_ps, photons.channel, k0 * q, q, n, sync_channel)
        else:
            ch, t = merge_syncs(photons.channel, photons.time_ps, sync_times_ps(k0, k0 + n, period),
                                sync_channel)
        return PhotonData(ch, t, self.meta)

    @property
    def drained(self) -> bool:
        """Nothing left at all."""
        return self.exhausted and not any(len(p) for p in self._parts)

    def set_power(self, power: float) -> bool:
        return False


class ArraySource(PhotonSource):
    """Photons already in memory (tests; a recording loaded whole)."""

    def __init__(self, data: PhotonData, t0_ps: int | None = 0) -> None:
        order_ok = len(data) < 2 or bool(np.all(np.diff(data.time_ps) >= 0))
        if not order_ok:
            raise ValueError("source: photons are not time ordered")
        super().__init__([data], data.meta, t0_ps)


class EmulatorSource(PhotonSource):
    """``g2live.emulator.Emulator`` as an endless source; ``set_power`` acts between chunks.

    Chunks of 0.1 s (one default integration): the emulator's cost per chunk is mostly fixed
    Python work, so at tens of kcps of photons longer chunks are faster (0.02 s chunks made the
    sim device spend two thirds of its time there); the stream's statistics do not depend on it.
    """

    def __init__(
        self, emulator_config: Any = None, seed: int = 0, chunk_s: float = 0.1, **overrides: Any
    ) -> None:
        from g2live import emulator as emu

        if emulator_config is None:
            emulator_config = emu.EmulatorConfig(**overrides)
        elif overrides:
            raise ValueError("source: give either an EmulatorConfig or keyword overrides, not both")
        self.emulator = emu.Emulator(emulator_config, seed=seed)
        self.emulator_config = emulator_config
        chunks = self.emulator.chunks(duration_s=None, chunk_s=chunk_s)
        super().__init__(chunks, self.emulator.meta(), t0_ps=0)

    def set_power(self, power: float) -> bool:
        self.emulator.set_power(power)
        return True


def _chunks_with_markers(path: Path, chunk_records: int) -> Iterator[PhotonData]:
    """The file's chunks with their markers (``PhotonData.markers``, as marker numbers)."""
    from g2live import io
    from g2live.markers import marker_numbers

    fmt = io.detect_format(path)
    for data, marks in io.iter_chunks_with_markers(path, chunk_records=chunk_records, format=fmt):
        if len(marks):
            data.markers = marker_numbers(marks, fmt)
        yield data


class FileSource(PhotonSource):
    """A recording read chunk by chunk with ``g2live.io.iter_chunks_with_markers``: its markers
    reach the device (``marker_numbers``)."""

    def __init__(self, path: str | Path, chunk_records: int = 1 << 20) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"replay: {self.path} does not exist")
        super().__init__(_chunks_with_markers(self.path, chunk_records))
