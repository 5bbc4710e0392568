"""Acquisition devices: one interface, several back-ends.

A ``Device`` is configured with a validated ``g2live.config.Config`` (checked against the device's
``DeviceCaps`` before anything is written to it), started, and then delivers one ``Integration``
per ``acquire()`` call: what the on-chip blocks computed over one integration time (histograms,
photon-number histogram, heralded records, counts, losses), in device time.

Back-ends (``open_device(name, ...)``):

- ``sim``: photons (emulator or file) -> the C twins of the on-chip blocks (``g2live.core``);
- ``verilator``: photons -> the real RTL in Verilator (``g2live.rtl_model.RtlModel``), whose
  AXI4-Stream words are decoded with ``g2live.core.decode``;
- ``pynq``: the FPGA board through a PYNQ overlay (MMIO registers + AXI DMA);
- ``replay``: a recorded file played back at its recorded pace or as fast as possible.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from g2live import contract
from g2live.config import MAX_CHANNELS, Config, DeviceCaps

LOST_CAUSES = tuple(c.name for c in contract.LOST_CAUSES)  # names of LOST.cause 0, 1, 2, ...
HERALD_COLUMNS = ("period", "channel_first", "delay_first_ps", "channel_second", "delay_second_ps")


@dataclass
class Integration:
    """What the device computed over one integration ``[t_start_ps, t_stop_ps)`` of device time."""

    t_start_ps: int
    t_stop_ps: int
    histograms: np.ndarray  # int64[n_pairs, n_bins]
    counts: np.ndarray  # int64[64]: accepted events per channel
    photon_number: np.ndarray | None = None  # int64[max_photons + 1]
    heralded: np.ndarray = field(default_factory=lambda: np.zeros((0, 5), np.int64))  # int64[n, 5]
    lost: dict[str, np.ndarray] = field(default_factory=dict)  # cause -> int64[64]
    dead: np.ndarray = field(default_factory=lambda: np.zeros(MAX_CHANNELS, np.int64))
    trace: np.ndarray | None = None  # int64[n_trace_bins] detector photons per trace bin
    pre_sync: int = 0
    malformed: int = 0
    tag_words: np.ndarray | None = None  # uint64 raw words when raw tags are on
    n_tags: int = 0
    last_input: bool = False  # the source is exhausted (replay)

    @property
    def duration_s(self) -> float:
        return (self.t_stop_ps - self.t_start_ps) * 1e-12

    def lost_per_channel(self) -> np.ndarray:
        total = np.zeros(MAX_CHANNELS, np.int64)
        for v in self.lost.values():
            total += v
        return total


class DeviceError(RuntimeError):
    """The device failed or reported something inconsistent (named in the message)."""


class Device(ABC):
    """Common interface of every back-end."""

    name = "device"

    def __init__(self) -> None:
        self.config: Config | None = None
        self.running = False

    @property
    @abstractmethod
    def caps(self) -> DeviceCaps: ...

    def configure(self, config: Config) -> None:
        """Validate ``config`` against this device's limits, then apply it (clears data)."""
        config.check_device(self.caps)
        self._apply(config)
        self.config = config

    @abstractmethod
    def _apply(self, config: Config) -> None: ...

    def start(self) -> None:
        self.running = True

    def stop(self) -> None:
        self.running = False

    @abstractmethod
    def clear(self) -> None:
        """Drop partial data of the current integration (a new run begins)."""

    @abstractmethod
    def acquire(self) -> Integration | None:
        """The next finished integration, or None if the source has nothing more."""

    def set_source_power(self, power: float) -> bool:
        """Set the emulated excitation power; False when this device has no emulator."""
        return False

    @property
    def paced(self) -> bool:
        """True when ``acquire()`` already takes real time (hardware); else the server paces."""
        return False

    def info(self) -> dict[str, Any]:
        return {"device": self.name}

    def close(self) -> None:
        self.running = False


def open_device(name: str, **kwargs: Any) -> Device:
    """Build a back-end by name (``sim``, ``verilator``, ``pynq``, ``replay``)."""
    if name == "sim":
        from g2live.device.sim import SimDevice

        return SimDevice(**kwargs)
    if name == "replay":
        from g2live.device.replay import open_replay

        return open_replay(**kwargs)
    if name == "verilator":
        from g2live.device.verilator import VerilatorDevice

        return VerilatorDevice(**kwargs)
    if name == "pynq":
        from g2live.device.pynq import PynqDevice

        return PynqDevice(**kwargs)
    raise ValueError(f"device: unknown back-end {name!r} (sim, verilator, pynq, replay)")


DEVICES = ("sim", "verilator", "pynq", "replay")
