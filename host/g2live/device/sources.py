# SPDX-License-Identifier: BSD-3-Clause
"""Photon sources that feed the emulated devices: the emulator, a file, or arrays in memory.

Every source hands out consecutive, time-ordered slices ``read_until(t_ps)`` (all photons with
``time_ps < t_ps`` not handed out yet), whatever chunking the producer uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from g2live.photons import Meta, PhotonData

__all__ = ["PhotonSource", "ArraySource", "EmulatorSource", "FileSource"]


class PhotonSource:
    """Slices an iterator of time-ordered ``PhotonData`` chunks at arbitrary times."""

    def __init__(
        self, chunks: Iterable[PhotonData], meta: Meta | None = None, t0_ps: int | None = None
    ) -> None:
        self._it: Iterator[PhotonData] = iter(chunks)
        self._ch: list[np.ndarray] = []
        self._t: list[np.ndarray] = []
        self._buffered_until = -(2**63)  # every photon before this has been pulled from the iterator
        self.exhausted = False
        self.meta = meta or Meta()
        self.last_time_ps = -(2**63)
        self.n_read = 0
        self._t0 = t0_ps

    @property
    def t0_ps(self) -> int:
        """Device-time origin: the given one, else the first photon's time (0 if there is none)."""
        if self._t0 is None:
            self._pull()
            self._t0 = int(self._t[0][0]) if self._t and len(self._t[0]) else 0
        return self._t0

    def _pull(self) -> bool:
        for chunk in self._it:
            if len(chunk) == 0:
                continue
            if self.meta.source == "" and chunk.meta.source:
                self.meta = chunk.meta
            t = chunk.time_ps
            if t[0] < self.last_time_ps:
                raise ValueError(
                    f"source: chunk starts at {int(t[0])} ps, before the previous chunk's end "
                    f"{self.last_time_ps} ps (photons must be time ordered)"
                )
            self.last_time_ps = int(t[-1])
            self._ch.append(chunk.channel)
            self._t.append(t)
            return True
        self.exhausted = True
        return False

    def read_until(self, t_ps: int) -> PhotonData:
        """Photons with ``time_ps < t_ps`` that were not returned before."""
        while not self.exhausted and (not self._t or self._t[-1][-1] < t_ps):
            if not self._pull():
                break
        out_c, out_t = [], []
        while self._t:
            t = self._t[0]
            k = int(np.searchsorted(t, t_ps, side="left"))
            if k == len(t):
                out_c.append(self._ch.pop(0))
                out_t.append(self._t.pop(0))
                continue
            out_c.append(self._ch[0][:k])
            out_t.append(t[:k])
            self._ch[0] = self._ch[0][k:]
            self._t[0] = t[k:]
            break
        ch = np.concatenate(out_c) if out_c else np.zeros(0, np.uint8)
        tt = np.concatenate(out_t) if out_t else np.zeros(0, np.int64)
        self.n_read += len(tt)
        return PhotonData(ch, tt, self.meta)

    @property
    def drained(self) -> bool:
        """Nothing left at all."""
        return self.exhausted and not any(len(t) for t in self._t)

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
    """``g2live.emulator.Emulator`` as an endless source; ``set_power`` acts between chunks."""

    def __init__(
        self, emulator_config: Any = None, seed: int = 0, chunk_s: float = 0.02, **overrides: Any
    ) -> None:
        from g2live import emulator as emu

        if emulator_config is None:
            emulator_config = emu.EmulatorConfig(**overrides)
        elif overrides:
            raise ValueError("source: give either an EmulatorConfig or keyword overrides, not both")
        self.emulator = emu.Emulator(emulator_config, seed=seed)
        self.emulator_config = emulator_config
        super().__init__(self.emulator.chunks(duration_s=None, chunk_s=chunk_s), t0_ps=0)

    def set_power(self, power: float) -> bool:
        self.emulator.set_power(power)
        return True


class FileSource(PhotonSource):
    """A recording read chunk by chunk with ``g2live.io.iter_chunks``."""

    def __init__(self, path: str | Path, chunk_records: int = 1 << 20) -> None:
        from g2live import io

        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"replay: {self.path} does not exist")
        super().__init__(io.iter_chunks(self.path, chunk_records=chunk_records))
