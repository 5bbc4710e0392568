# SPDX-License-Identifier: BSD-3-Clause
"""PYNQ overlay for g2live on PYNQ-Z2: ``g2live.bit`` + ``g2live.hwh``, the core checked, the driver bound.

On the board, with g2live installed in PYNQ's Python and this file next to the bitstream:

    from g2live_overlay import G2liveOverlay
    ol = G2liveOverlay()          # loads g2live.bit; refuses a core that is not g2live of this major
    ol.caps                       # what the core was built with (SIZES, CLK_PERIOD_PS registers)
    dev = ol.device()             # g2live.device.pynq.PynqDevice driving this overlay

The overlay stays thin: the ID/VERSION check and the sizes are the driver's own
(``g2live.device.hw.check_identity`` / ``read_caps``), which read every address, value and field
from ``g2live.contract``, generated from hw/spec/regmap.toml; nothing is copied here. The module
imports without PYNQ (on a PC, for documentation and tests); constructing the overlay then raises
an ImportError that names the missing ``pynq`` package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from g2live.config import DeviceCaps
from g2live.device.hw import check_identity, read_caps

try:
    import pynq
    from pynq import Overlay
except ImportError:  # not a PYNQ image: the class below still imports, loading refuses
    pynq = Overlay = None

__all__ = ["CORE_CELL", "DEFAULT_BITFILE", "DMA_CELL", "G2liveOverlay"]

CORE_CELL = "g2l_top_0"  # cell names of g2live_bd.tcl: the driver's contract with the block design
DMA_CELL = "axi_dma_0"
DEFAULT_BITFILE = Path(__file__).with_name("g2live.bit")


class _NoPynq:
    """Base class when ``pynq`` is missing: constructing an overlay says what to install."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ImportError("G2liveOverlay needs the pynq package: run it in the Python of a PYNQ board image")


class G2liveOverlay(Overlay or _NoPynq):  # type: ignore[misc]
    """``g2live.bit`` with its core (``core``, cell g2l_top_0) and receive DMA (``dma``, axi_dma_0).

    Loading checks the core's ID and VERSION.major before anything else uses it, so a stale or
    foreign bitstream is refused with a message instead of returning nonsense.
    """

    def __init__(self, bitfile: str | Path = DEFAULT_BITFILE, **kwargs: Any) -> None:
        super().__init__(str(bitfile), **kwargs)
        self.core = getattr(self, CORE_CELL)
        self.dma = getattr(self, DMA_CELL)
        where = f"{bitfile}: {CORE_CELL}"
        self.version_minor = check_identity(self.core.read, where)
        self.caps: DeviceCaps = read_caps(self.core.read, "pynq")

    def device(self, **kwargs: Any) -> Any:
        """The g2live driver on this overlay: ``PynqDevice(overlay=self, **kwargs)``."""
        from g2live.device.pynq import PynqDevice

        kwargs.setdefault("pynq_module", pynq)  # the pynq this overlay was loaded with
        return PynqDevice(overlay=self, core_name=CORE_CELL, dma_name=DMA_CELL, **kwargs)
