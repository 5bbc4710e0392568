# SPDX-License-Identifier: BSD-3-Clause
"""Acquisition devices: one interface, several back-ends, and the excitation-power actuators.

A ``Device`` is configured with a validated ``g2live.config.Config`` (checked against the device's
``DeviceCaps`` before anything is written to it), started, and then delivers one ``Integration``
per ``acquire()`` call: what the on-chip blocks computed over one integration time (histograms,
photon-number histogram, heralded records, counts, losses), in device time.

Back-ends (``open_device(name, ...)``), one module each:

- ``sim`` (``g2live.device.sim``): photons (emulator or file) -> the C twins of the on-chip
  blocks (``g2live.core``);
- ``verilator`` (``g2live.device.verilator``): photons -> the real RTL in Verilator
  (``g2live.rtl_model.RtlModel``), whose AXI4-Stream words are decoded with ``g2live.core.decode``;
- ``pynq`` (``g2live.device.pynq``): the FPGA board through a PYNQ overlay (MMIO registers + AXI
  DMA);
- ``replay`` (``g2live.device.replay``): a recorded file played back at its recorded pace or as
  fast as possible;
- ``follow`` (``g2live.device.follow``): a file another program is still writing, played as it
  grows (``g2live.io.follow``).

Also here: ``g2live.device.base`` (the interface: ``Device``, ``Integration``, ``DeviceError``),
``g2live.device.sources`` (photon sources of the simulated back-ends), ``g2live.device.hw``
(register programming and stream decoding shared by the hardware back-ends) and
``g2live.device.power`` (the excitation-power actuators a power sweep drives).
"""

from __future__ import annotations

from typing import Any

from g2live.device.base import HERALD_COLUMNS, LOST_CAUSES, Device, DeviceError, Integration

__all__ = [
    "DEVICES",
    "Device",
    "DeviceError",
    "HERALD_COLUMNS",
    "Integration",
    "LOST_CAUSES",
    "open_device",
]

DEVICES = ("sim", "verilator", "pynq", "replay", "follow")


def open_device(name: str, **kwargs: Any) -> Device:
    """Build a back-end by name (``sim``, ``verilator``, ``pynq``, ``replay``, ``follow``).

    Each back-end is imported only when asked for: ``verilator`` and ``pynq`` need tools or a
    board that ``sim`` does not.
    """
    if name == "sim":
        from g2live.device.sim import SimDevice

        return SimDevice(**kwargs)
    if name == "replay":
        from g2live.device.replay import open_replay

        return open_replay(**kwargs)
    if name == "follow":
        from g2live.device.follow import open_follow

        return open_follow(**kwargs)
    if name == "verilator":
        from g2live.device.verilator import VerilatorDevice

        return VerilatorDevice(**kwargs)
    if name == "pynq":
        from g2live.device.pynq import PynqDevice

        return PynqDevice(**kwargs)
    raise ValueError(f"device: unknown back-end {name!r} ({', '.join(DEVICES)})")
