# SPDX-License-Identifier: BSD-3-Clause
"""The ``pynq`` back-end: the g2live core on a Zynq board through a PYNQ overlay.

Registers through the core's MMIO (``read``/``write`` of the overlay IP), words through the AXI DMA
S2MM channel into buffers from ``pynq.allocate``. ``pynq`` is imported only here, and can be
injected (``pynq_module=``): tests put a stand-in at exactly this API boundary, served by the
Verilator model of the RTL, so this driver's register writes and DMA handling are exercised
without a board.

Start-up: program, COMMAND.clear, poll STATUS.clearing until 0 (the histogram-bank sweep, 33 us at
4096 bins and 125 MHz), only then CONTROL.run, so no event waits for the sweep and none is lost. A
register map 1.0 core has no STATUS.clearing: the driver then waits out the sweep by the clock.

The DMA channel finishes a transfer at ``tlast`` (every frame ends with one) or when the buffer is
full; the driver re-arms at once, so the on-chip FIFO only has to absorb the re-arm latency.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from g2live import contract as C
from g2live.config import MAX_CHANNELS, Config, DeviceCaps
from g2live.device.base import Device, DeviceError, Integration
from g2live.device.hw import (
    CLEARING_SINCE_MINOR,
    FrameAssembler,
    check_identity,
    control_word,
    program,
    read_caps,
    wait_cleared,
)
from g2live.tools import rtl

BITSTREAM = Path("hw") / "boards" / "pynq-z2" / "g2live.bit"  # where build.sh writes it, in the hardware tree


def default_bitstream() -> Path:
    """``hw/boards/pynq-z2/g2live.bit`` of the hardware tree: ``$G2LIVE_HW_DIR``, else the checkout."""
    try:
        return rtl.hw_tree().root / BITSTREAM
    except rtl.RtlToolsError as exc:
        raise DeviceError(f"pynq: no bitstream given (bitstream=, `--bitstream`) and {exc}") from None


class PynqDevice(Device):
    name = "pynq"

    def __init__(
        self,
        bitstream: str | Path | None = None,
        *,
        pynq_module: Any = None,
        overlay: Any = None,
        core_name: str = "g2l_top_0",
        dma_name: str = "axi_dma_0",
        buffer_words: int = 1 << 16,
        timeout_s: float = 5.0,
    ) -> None:
        super().__init__()
        if pynq_module is None:
            try:
                import pynq as pynq_module  # only on the board
            except ImportError as exc:
                raise DeviceError(
                    "pynq: the pynq package is not installed (run on the PYNQ board's Python)"
                ) from exc
        self.pynq = pynq_module
        if overlay is None:
            bit = Path(bitstream) if bitstream is not None else default_bitstream()
            if not bit.exists():
                raise DeviceError(
                    f"pynq: bitstream {bit} does not exist: build it (hw/boards/pynq-z2/build.sh), then pass "
                    f"bitstream= (`--bitstream`) or set {rtl.HW_DIR_ENV} to the checkout it was built in"
                )
            overlay = pynq_module.Overlay(str(bit))
        self.overlay = overlay
        try:
            self.core = getattr(overlay, core_name)
            self.dma = getattr(overlay, dma_name)
        except AttributeError as exc:
            raise DeviceError(
                f"pynq: the overlay has no {exc.name!r} IP (its IPs: "
                f"{sorted(getattr(overlay, 'ip_dict', {}))})"
            ) from None
        self.version_minor = check_identity(self.core.read, f"pynq {core_name}")
        self._caps = read_caps(self.core.read, self.name)
        self.buffer_words = buffer_words
        self.timeout_s = timeout_s
        self.buf = pynq_module.allocate(shape=(buffer_words,), dtype=np.uint64)
        self._armed = False
        self._asm: FrameAssembler | None = None
        self.dma_transfers = 0
        self.dma_full = 0  # transfers that filled the buffer (a frame spanned two transfers)

    @property
    def caps(self) -> DeviceCaps:
        return self._caps

    def _apply(self, config: Config) -> None:
        program(self.core.write, config, self._caps)
        self._wait_cleared()
        self._cfg = config
        self._asm = FrameAssembler(config, self._caps)
        self._dead_seen = np.zeros(MAX_CHANNELS, np.int64)
        self.core.write(C.REG_CONTROL, control_word(config, self.running))
        self._arm()

    def _wait_cleared(self) -> None:
        """Poll STATUS.clearing after COMMAND.clear, at most ``timeout_s``."""
        sweep_s = (1 << self._caps.n_bins_log2) * self._caps.clk_period_ps * 1e-12
        if self.version_minor < CLEARING_SINCE_MINOR:
            time.sleep(2 * sweep_s)  # no STATUS.clearing: twice the sweep by the clock
            return
        deadline = time.monotonic() + self.timeout_s
        wait_cleared(self.core.read, "pynq", lambda: time.sleep(min(sweep_s, 1e-3)),
                     lambda: time.monotonic() > deadline, f"{self.timeout_s} s")

    def start(self) -> None:
        super().start()
        if self.config is not None:
            self.core.write(C.REG_CONTROL, control_word(self.config, True))

    def stop(self) -> None:
        super().stop()
        if self.config is not None:
            self.core.write(C.REG_CONTROL, control_word(self.config, False))

    def clear(self) -> None:
        if self.config is not None:
            self._apply(self.config)

    @property
    def paced(self) -> bool:
        return True  # the board runs in real time; acquire() waits for it

    def _arm(self) -> None:
        if not self._armed:
            self.dma.recvchannel.transfer(self.buf)
            self._armed = True

    def _collect(self) -> bool:
        """Take a finished transfer's words, if one finished; re-arm. True when words came."""
        ch = self.dma.recvchannel
        if not self._armed:
            self._arm()
            return False
        if not ch.idle:
            return False
        n_bytes = getattr(ch, "transferred", None)
        n = self.buffer_words if n_bytes is None else int(n_bytes) // 8
        words = np.array(self.buf[:n], dtype=np.uint64)  # copy before the buffer is reused
        self._armed = False
        self._arm()
        self.dma_transfers += 1
        self.dma_full += n == self.buffer_words
        assert self._asm is not None
        self._asm.feed(words)
        return n > 0

    def acquire(self) -> Integration | None:
        if self._asm is None or self.config is None:
            raise DeviceError("pynq: acquire() before configure()")
        if not self.running:
            return None
        deadline = time.monotonic() + self.config.integration_s + self.timeout_s
        while not self._asm.ready():
            if not self._collect():
                if time.monotonic() > deadline:
                    raise DeviceError(
                        f"pynq: no complete integration within {self.config.integration_s} s + "
                        f"{self.timeout_s} s ({self._asm.info()}, STATUS "
                        f"{self.core.read(C.REG_STATUS):#x})"
                    )
                time.sleep(1e-4)
        integ = self._asm.pop()
        n = self._caps.n_channels
        dead = np.array([self.core.read(C.REGISTERS["DEAD_COUNT"].addr(c)) for c in range(n)], np.int64)
        integ.dead[:n] = dead - self._dead_seen[:n]
        self._dead_seen[:n] = dead
        return integ

    def info(self) -> dict[str, Any]:
        return {
            "device": self.name,
            "clk_period_ps": self._caps.clk_period_ps,
            "dma_transfers": self.dma_transfers,
            "dma_full_buffers": self.dma_full,
            **({} if self._asm is None else self._asm.info()),
        }

    def close(self) -> None:
        if self.config is not None:
            self.core.write(C.REG_CONTROL, 0)
        super().close()
        freebuffer = getattr(self.buf, "freebuffer", None)
        if freebuffer is not None:
            freebuffer()


__all__ = ["PynqDevice"]
