"""PYNQ overlay for g2live on PYNQ-Z2 (copy next to g2live.bit / g2live.hwh on the board).

    from g2live_overlay import G2liveOverlay
    ol = G2liveOverlay("g2live.bit")
    ol.core.read(0x000)            # ID register, 0x47324C56
    dev = PynqDevice(overlay=ol)   # g2live.device.pynq drives registers and DMA

Loading checks the core's ID and VERSION.major before anything else uses it, so a stale or
foreign bitstream is refused with a message instead of returning nonsense.
"""

from __future__ import annotations

from pathlib import Path

import pynq

ID_VALUE = 0x47324C56  # docs/register_map.md: ID
VERSION_MAJOR = 1  # drivers refuse another major
DEFAULT_BITFILE = Path(__file__).with_name("g2live.bit")


class G2liveOverlay(pynq.Overlay):
    """g2live.bit with its core (``core``, cell g2l_top_0) and receive DMA (``dma``, axi_dma_0)."""

    def __init__(self, bitfile: str | Path = DEFAULT_BITFILE, **kwargs) -> None:
        super().__init__(str(bitfile), **kwargs)
        self.core = self.g2l_top_0
        self.dma = self.axi_dma_0
        ident = self.core.read(0x000)
        if ident != ID_VALUE:
            raise RuntimeError(f"{bitfile}: g2l_top_0 ID reads {ident:#010x}, expected {ID_VALUE:#010x}")
        major = self.core.read(0x004) >> 16
        if major != VERSION_MAJOR:
            raise RuntimeError(f"{bitfile}: register map major {major}, this driver speaks {VERSION_MAJOR}")

    @property
    def sizes(self) -> dict[str, int]:
        """Build-time sizes of the core (SIZES and CLK_PERIOD_PS registers)."""
        s = self.core.read(0x008)
        return {"n_channels": s & 0x7F, "n_pairs": (s >> 8) & 0xF, "n_bins_log2": (s >> 12) & 0x1F,
                "max_photons": (s >> 20) & 0x3F, "clk_period_ps": self.core.read(0x00C)}
