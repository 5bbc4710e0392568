# SPDX-License-Identifier: BSD-3-Clause
"""The ``pynq`` back-end: the g2live core on a Zynq board through a PYNQ overlay.

Registers through the core's MMIO (``read``/``write`` of the overlay IP); words through the AXI
DMA's S2MM channel (``pynq.lib.dma``) into a ring of ``pynq.allocate`` buffers
(``g2live.device.dma_ring.DmaRing``). ``pynq`` is the board's own; off the board
``g2live.device.pynq_env`` imports the copy ``make setup`` installs, and
``g2live.device.pynq_standin`` serves pynq's classes from the Verilator model of the RTL, which is
how the tests drive this driver.

Start-up: stop the core and the DMA, program, COMMAND.clear, poll STATUS.clearing until 0 (the
histogram-bank sweep, 33 us at 4096 bins and 125 MHz), soft-reset and start the DMA and arm the
ring, only then CONTROL.run, so no event waits for the sweep and no word from before the clear
reaches the host. A register map 1.0 core has no STATUS.clearing: the driver then waits out the
sweep by the clock.

Packets: the core's packetiser (map 1.2) ends a DMA transfer at the first record end after
PACKET_WORDS words, or after ``latency_s`` (PACKET_TIMEOUT_CYCLES); PACKET_WORDS is the largest
value whose packets always fit a buffer (``g2live.device.packets``), because the DMA in simple mode
halts with DMAIntErr on a packet longer than its buffer. A 1.0/1.1 core ends a packet at every
record: it still works, one packet per frame, LOST word or raw burst.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from g2live import contract as C
from g2live.config import MAX_CHANNELS, Config, DeviceCaps
from g2live.device import packets as P
from g2live.device.base import Device, DeviceError, Integration
from g2live.device.dma_ring import DmaRing, describe_dmasr
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

PACKETS_SINCE_MINOR = 2  # PACKET_WORDS, PACKET_TIMEOUT_CYCLES, CLOCK_CONTROL, CLOCK_STATUS
_CLOCK = C.REGISTERS["CLOCK_STATUS"].fields


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
        n_buffers: int = 4,
        latency_s: float = 0.01,
        interrupt: bool | None = None,
        timeout_s: float = 5.0,
    ) -> None:
        """``buffer_words`` 64-bit words per DMA buffer, ``n_buffers`` of them; ``latency_s``: the
        longest a word waits in the core for its packet to fill; ``interrupt``: None = use the DMA's
        interrupt when the overlay connects it, False = poll, True = require it."""
        super().__init__()
        if pynq_module is None:
            from g2live.device.pynq_env import PynqUnavailable, import_pynq

            try:
                pynq_module = import_pynq()
            except PynqUnavailable as exc:
                raise DeviceError(f"pynq: {exc}") from exc
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
        self.timeout_s = timeout_s
        self.latency_s = latency_s
        caps = self._caps
        self.max_record = P.max_record_words(caps.n_bins_log2, caps.n_channels, caps.max_photons)
        if buffer_words < self.max_record:
            raise DeviceError(
                f"pynq: buffer_words={buffer_words} cannot hold the core's longest record ({self.max_record} "
                f"words: a HISTOGRAM frame of 2**{self._caps.n_bins_log2} bins and its header)"
            )
        self.packets = self.version_minor >= PACKETS_SINCE_MINOR
        self.packet_words = P.packet_words_for(buffer_words, self.max_record) if self.packets else 1
        self.timeout_cycles = min(max(1, round(latency_s * 1e12 / self._caps.clk_period_ps)), 0xFFFF_FFFF)
        target = getattr(self.dma, "device", None)

        def allocate(shape: Any, dtype: Any) -> Any:
            if target is None:
                return pynq_module.allocate(shape=shape, dtype=dtype)
            return pynq_module.allocate(shape=shape, dtype=dtype, target=target)

        self.ring = DmaRing(self.dma, allocate, n_buffers, buffer_words, interrupt)
        self._asm: FrameAssembler | None = None
        self._dead_seen = np.zeros(MAX_CHANNELS, np.int64)

    @property
    def caps(self) -> DeviceCaps:
        return self._caps

    # ---- configuration ------------------------------------------------------------------------
    def _apply(self, config: Config) -> None:
        self.core.write(C.REG_CONTROL, 0)
        self.ring.stop()  # no transfer armed: the stream waits, nothing from before the clear arrives
        program(self.core.write, config, self._caps)
        if self.packets:
            self.core.write(C.REG_PACKET_WORDS, self.packet_words)
            self.core.write(C.REG_PACKET_TIMEOUT_CYCLES, self.timeout_cycles)
        self._wait_cleared()
        self._check_clock()
        self.ring.restart()
        self._cfg = config
        self._asm = FrameAssembler(config, self._caps)
        self._dead_seen = np.zeros(MAX_CHANNELS, np.int64)
        self.core.write(C.REG_CONTROL, control_word(config, self.running))

    def _wait_cleared(self) -> None:
        """Poll STATUS.clearing after COMMAND.clear, at most ``timeout_s``."""
        sweep_s = (1 << self._caps.n_bins_log2) * self._caps.clk_period_ps * 1e-12
        if self.version_minor < CLEARING_SINCE_MINOR:
            time.sleep(2 * sweep_s)  # no STATUS.clearing: twice the sweep by the clock
            return
        deadline = time.monotonic() + self.timeout_s
        wait_cleared(self.core.read, "pynq", lambda: time.sleep(min(sweep_s, 1e-3)),
                     lambda: time.monotonic() > deadline, f"{self.timeout_s} s")

    # ---- board clocking (map 1.2) -------------------------------------------------------------
    def clock_status(self) -> dict[str, int] | None:
        """CLOCK_STATUS decoded, or None for a core without it (map < 1.2)."""
        if not self.packets:
            return None
        v = self.core.read(C.REG_CLOCK_STATUS)
        return {name: f.get(v) for name, f in _CLOCK.items()}

    def _check_clock(self) -> None:
        st = self.clock_status()
        if st and st["present"] and not st["locked"]:
            raise DeviceError(f"pynq: the time-base MMCM is not locked (CLOCK_STATUS {st}): check the "
                              "board clock, or the 10 MHz reference if one is selected")

    def use_external_reference(self, on: bool = True, timeout_s: float = 1.0) -> dict[str, int]:
        """Run the time base from the 10 MHz reference input (or back from the board oscillator).

        The time base pauses while the MMCM relocks, so a configured device is cleared afterwards.
        """
        st = self.clock_status()
        if not st or not st["present"]:
            raise DeviceError("pynq: this overlay has no board clock module (CLOCK_STATUS.present = 0)")
        self.core.write(C.REG_CLOCK_CONTROL, C.REGISTERS["CLOCK_CONTROL"].fields["ref_select"].put(int(on)))
        deadline = time.monotonic() + timeout_s
        while True:
            st = self.clock_status()
            assert st is not None
            if st["locked"] and st["ref_selected"] == int(on):
                break
            if time.monotonic() > deadline:
                self.core.write(C.REG_CLOCK_CONTROL, 0)
                want = "the external reference (is 10 MHz on its input?)" if on else "the board oscillator"
                raise DeviceError(f"pynq: the time base did not lock to {want} within {timeout_s} s "
                                  f"(CLOCK_STATUS {st}); back on the board oscillator")
        if self.config is not None:
            self.clear()
        return st

    # ---- running ------------------------------------------------------------------------------
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

    def set_source_power(self, power: float) -> bool:
        """Only an overlay with an emulated photon source (the stand-in board) has a power to set;
        on a board the laser's power goes through a ``g2live.power`` instrument."""
        setter = getattr(self.overlay, "set_source_power", None)
        return bool(setter(power)) if setter is not None else False

    @property
    def paced(self) -> bool:
        return True  # the board runs in real time; acquire() waits for it

    def acquire(self) -> Integration | None:
        if self._asm is None or self.config is None:
            raise DeviceError("pynq: acquire() before configure()")
        if not self.running:
            return None
        deadline = time.monotonic() + self.config.integration_s + self.timeout_s
        while not self._asm.ready():
            words = self.ring.wait(deadline)
            if words is None:
                raise DeviceError(
                    f"pynq: no complete integration within {self.config.integration_s} s + "
                    f"{self.timeout_s} s ({self._asm.info()}, "
                    f"{describe_dmasr(self.ring.status())}, STATUS {self.core.read(C.REG_STATUS):#x})"
                )
            self._asm.feed(words)
        integ = self._asm.pop()
        n = self._caps.n_channels
        dead = np.array([self.core.read(C.REGISTERS["DEAD_COUNT"].addr(c)) for c in range(n)], np.int64)
        integ.dead[:n] = dead - self._dead_seen[:n]
        self._dead_seen[:n] = dead
        return integ

    def info(self) -> dict[str, Any]:
        st = self.ring.stats
        return {
            "device": self.name,
            "clk_period_ps": self._caps.clk_period_ps,
            "packet_words": self.packet_words,
            "packet_timeout_cycles": self.timeout_cycles if self.packets else 0,
            "dma_buffers": len(self.ring.buffers),
            "dma_buffer_words": self.ring.buffer_words,
            "dma_interrupt": self.ring.irq is not None,
            "dma_packets": st.packets,
            "dma_words": st.words,
            "dma_polls": st.polls,
            "dma_irq_waits": st.irq_waits,
            "dma_longest_packet": st.longest,
            "clock": self.clock_status(),
            **({} if self._asm is None else self._asm.info()),
        }

    def close(self) -> None:
        if self.config is not None:
            self.core.write(C.REG_CONTROL, 0)
        super().close()
        if self.ring.buffers:
            self.ring.stop()
            self.ring.close()


__all__ = ["PynqDevice"]
