# SPDX-License-Identifier: BSD-3-Clause
"""Register-level models of the two AXI IPs the PYNQ-Z2 overlay puts around the core.

``AxiDmaS2mm``: the AXI DMA (PG021, v7.1) in direct register mode with only the S2MM (stream to
memory) channel, as the overlay builds it (``hw/boards/pynq-z2/g2live_bd.tcl``): S2MM_DMACR,
S2MM_DMASR, S2MM_DA/_MSB, S2MM_LENGTH at their PG021 offsets, run/stop, soft reset, the Halted,
Idle and IOC/Err interrupt bits, and the error bits DMAIntErr (a packet longer than LENGTH or a
zero LENGTH), DMASlvErr and DMADecErr (a destination outside memory, or injected), each halting
the channel as PG021 describes. Its stream side is a sink with credit: a transfer takes at most
LENGTH bytes and stops after the word with tlast; while no transfer is armed tready is low, so the
core's back-pressure (and its LOST counting) is what a real board would see.

``AxiIntc``: the AXI interrupt controller (PG099) registers pynq's interrupt code uses: ISR, IPR,
IER, IAR, SIE, CIE, MER, with level-sensitive inputs.

Neither knows about pynq; ``g2live.device.pynq_standin`` puts them behind pynq's MMIO.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

__all__ = ["AxiDmaS2mm", "AxiIntc", "DMACR", "DMASR", "ModelError", "S2MM"]


class ModelError(RuntimeError):
    """The driver did something PG021 leaves undefined (the test that triggers it has a bug)."""


class S2MM:
    """S2MM register offsets (PG021 table "Direct Register Mode Register Address Map")."""

    DMACR = 0x30
    DMASR = 0x34
    DA = 0x48
    DA_MSB = 0x4C
    LENGTH = 0x58


class DMACR:
    RS = 1 << 0
    RESET = 1 << 2
    IOC_IRQ_EN = 1 << 12
    DLY_IRQ_EN = 1 << 13
    ERR_IRQ_EN = 1 << 14
    RESET_VALUE = 0x0001_0000  # IRQThreshold = 1


class DMASR:
    HALTED = 1 << 0
    IDLE = 1 << 1
    DMA_INT_ERR = 1 << 4
    DMA_SLV_ERR = 1 << 5
    DMA_DEC_ERR = 1 << 6
    IOC_IRQ = 1 << 12
    DLY_IRQ = 1 << 13
    ERR_IRQ = 1 << 14
    ERRORS = DMA_INT_ERR | DMA_SLV_ERR | DMA_DEC_ERR
    IRQS = IOC_IRQ | DLY_IRQ | ERR_IRQ  # write 1 to clear
    RESET_VALUE = HALTED


class Sink(Protocol):
    def set_sink(self, credit: int = -1, stop_at_last: bool = False) -> None: ...


class Memory(Protocol):
    def dma_write(self, addr: int, data: bytes) -> bool: ...


LENGTH_BITS = 26  # c_sg_length_width of the overlay


class AxiDmaS2mm:
    """The S2MM channel of an AXI DMA in direct register mode (see the module docstring)."""

    def __init__(self, sink: Sink, memory: Memory, word_bytes: int = 8,
                 length_bits: int = LENGTH_BITS) -> None:
        self.sink = sink
        self.memory = memory
        self.word_bytes = word_bytes
        self.length_mask = (1 << length_bits) - 1
        self.transfers = 0  # completed transfers
        self.completed: list[tuple[int, int]] = []  # (address, bytes) of each completed transfer
        self.inject: int = 0  # DMASR error bit to raise on the next data beat (tests)
        self.on_irq: Callable[[bool], None] | None = None
        self._reset()

    # ---- state ------------------------------------------------------------------------------
    def _reset(self) -> None:
        self.dmacr = DMACR.RESET_VALUE
        self.dmasr = DMASR.RESET_VALUE
        self.da = 0
        self.length = 0
        self._busy = False
        self._done = 0  # bytes written in the running transfer
        self._close_sink()

    def _close_sink(self) -> None:
        self.sink.set_sink(0, True)  # tready low until a transfer is armed

    @property
    def halted(self) -> bool:
        return bool(self.dmasr & DMASR.HALTED)

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def irq(self) -> bool:
        """The s2mm_introut line."""
        en = self.dmacr
        sr = self.dmasr
        return bool((sr & DMASR.IOC_IRQ and en & DMACR.IOC_IRQ_EN)
                    or (sr & DMASR.ERR_IRQ and en & DMACR.ERR_IRQ_EN)
                    or (sr & DMASR.DLY_IRQ and en & DMACR.DLY_IRQ_EN))

    def _halt_on_error(self, bit: int) -> None:
        """PG021: an error halts the channel gracefully, DMACR.RS := 0, then DMASR.Halted = 1."""
        self.dmasr = (self.dmasr | bit | DMASR.ERR_IRQ | DMASR.HALTED) & ~DMASR.IDLE
        self.dmacr &= ~DMACR.RS
        self._busy = False
        self._close_sink()

    # ---- register access ------------------------------------------------------------------------
    def read(self, offset: int) -> int:
        if offset == S2MM.DMACR:
            return self.dmacr
        if offset == S2MM.DMASR:
            return self.dmasr
        if offset == S2MM.DA:
            return self.da & 0xFFFF_FFFF
        if offset == S2MM.DA_MSB:
            return self.da >> 32
        if offset == S2MM.LENGTH:
            return self.length
        return 0  # MM2S is not included: its registers read 0

    def write(self, offset: int, value: int) -> None:
        value &= 0xFFFF_FFFF
        if offset == S2MM.DMACR:
            self._write_dmacr(value)
        elif offset == S2MM.DMASR:
            self.dmasr &= ~(value & DMASR.IRQS)
        elif offset == S2MM.DA:
            self.da = (self.da & ~0xFFFF_FFFF) | value
        elif offset == S2MM.DA_MSB:
            self.da = (self.da & 0xFFFF_FFFF) | value << 32
        elif offset == S2MM.LENGTH:
            self._write_length(value & self.length_mask)
        elif offset == 0x00 and value & DMACR.RESET:
            self._reset()  # MM2S_DMACR.Reset resets the whole engine too

    def _write_dmacr(self, value: int) -> None:
        if value & DMACR.RESET:
            self._reset()
            return
        was_running = self.dmacr & DMACR.RS
        self.dmacr = value
        if value & DMACR.RS and not was_running:
            if self.dmasr & DMASR.ERRORS:
                self.dmacr &= ~DMACR.RS  # an errored channel restarts only after a reset
                return
            self.dmasr &= ~(DMASR.HALTED | DMASR.IDLE)  # Idle reads 0 before the first transfer
        elif not value & DMACR.RS and was_running:
            self.dmasr = (self.dmasr | DMASR.HALTED) & ~DMASR.IDLE
            self._busy = False
            self._close_sink()

    def _write_length(self, nbytes: int) -> None:
        if self.halted:
            return  # PG021: writing LENGTH while halted has no effect
        if self._busy:
            raise ModelError("S2MM_LENGTH written while a transfer is running (PG021: undefined)")
        if nbytes == 0:
            self._halt_on_error(DMASR.DMA_INT_ERR)
            return
        if nbytes % self.word_bytes or self.da % self.word_bytes:
            raise ModelError(f"S2MM transfer of {nbytes} bytes to {self.da:#x}: not aligned to the "
                             f"{self.word_bytes}-byte stream (no data realignment engine)")
        self.length = nbytes
        self._busy = True
        self._done = 0
        self.dmasr &= ~DMASR.IDLE
        self.sink.set_sink(nbytes // self.word_bytes, True)

    # ---- stream side ------------------------------------------------------------------------------
    def receive(self, words: np.ndarray, lasts: np.ndarray, overrun: int) -> None:
        """Words the sink took since the last call (a tlast only ends them), and whether the core
        offered more of the same packet after the credit ran out."""
        if words.size:
            if not self._busy:
                raise ModelError(f"{words.size} stream words arrived with no transfer armed")
            if self.inject:
                bit, self.inject = self.inject, 0
                self._halt_on_error(bit)
                return
            addr = self.da + self._done
            if not self.memory.dma_write(addr, np.ascontiguousarray(words, "<u8").tobytes()):
                self._halt_on_error(DMASR.DMA_DEC_ERR)
                return
            self._done += words.size * self.word_bytes
            if lasts[-1]:
                self.length = self._done
                self._busy = False
                self.transfers += 1
                self.completed.append((self.da, self._done))
                self.dmasr |= DMASR.IDLE | DMASR.IOC_IRQ
                self._close_sink()
                return
        if overrun and self._busy:
            # PG021 (S2MM_DMASR.DMAIntErr, direct register mode): "the incoming packet is bigger
            # than what is specified in the DMA length register".
            self._halt_on_error(DMASR.DMA_INT_ERR)


class AxiIntc:
    """AXI INTC (PG099) registers with level-sensitive inputs and the irq output."""

    ISR, IPR, IER, IAR, SIE, CIE, IVR, MER = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C

    def __init__(self, inputs: Callable[[], int]) -> None:
        self.inputs = inputs  # current levels of the interrupt inputs, bit i = input i
        self.isr = 0
        self.ier = 0
        self.mer = 0

    def _sample(self) -> None:
        self.isr |= self.inputs()

    @property
    def irq(self) -> bool:
        self._sample()
        return bool(self.mer & 1 and self.mer & 2 and self.isr & self.ier)

    def read(self, offset: int) -> int:
        self._sample()
        if offset == self.ISR:
            return self.isr
        if offset == self.IPR:
            return self.isr & self.ier
        if offset == self.IER:
            return self.ier
        if offset == self.MER:
            return self.mer
        if offset == self.IVR:
            pending = self.isr & self.ier
            return (pending & -pending).bit_length() - 1 if pending else 0xFFFF_FFFF
        return 0

    def write(self, offset: int, value: int) -> None:
        if offset == self.IAR:
            self.isr &= ~value
            self._sample()  # a level still high sets its bit again
        elif offset == self.IER:
            self.ier = value
        elif offset == self.SIE:
            self.ier |= value
        elif offset == self.CIE:
            self.ier &= ~value
        elif offset == self.MER:
            self.mer = value & 3
        elif offset == self.ISR and not self.mer & 2:
            self.isr |= value  # software interrupts only before HIE is set
