# SPDX-License-Identifier: BSD-3-Clause
"""A ring of DMA buffers on the AXI DMA's S2MM channel, driven through ``pynq.lib.dma``.

The overlay's AXI DMA runs in direct register (simple) mode: one transfer at a time, ended by the
stream's tlast (the core's packetiser decides where, ``g2live.device.packets``) or by a full
buffer, which PG021 flags as DMAIntErr, so every buffer holds the longest packet the core can
send. ``n_buffers`` buffers from ``pynq.allocate`` are armed back to back: the moment a transfer is
seen complete the next buffer is armed (pynq's ``recvchannel.transfer``), and only then is the
finished one read, so the stream waits for the host only for that one re-arm, not for the
decoding. A finished buffer is not armed again before ``n_buffers - 1`` further packets, so the
view :meth:`DmaRing.poll` returns stays valid until then.

Per packet: one S2MM_DMASR read per poll (error bits first: DMAIntErr, DMASlvErr, DMADecErr or an
unexpected halt raise ``DeviceError`` naming them), one S2MM_LENGTH read, the cache lines of the
bytes written invalidated (``PynqBuffer.invalidate`` on exactly that slice: the buffer is not
coherent, without it the CPU reads stale lines), then the re-arm. pynq's own ``wait()`` would
invalidate the whole buffer and read DMASR three times per packet; the ring does what it does once.

Waiting: with the DMA's ``s2mm_introut`` wired to the overlay's interrupt controller, pynq's
``Interrupt.wait()`` on the event loop; otherwise (or when an event loop already runs in this
thread, as in Jupyter) by polling DMASR without sleeping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from g2live.device.axi_dma_model import DMACR, DMASR, S2MM
from g2live.device.base import DeviceError

__all__ = ["DmaRing", "RingStats", "describe_dmasr"]

WORD_BYTES = 8
_ERROR_NAMES = (
    (DMASR.DMA_INT_ERR, "DMAIntErr (internal error: a packet longer than the buffer, or LENGTH 0)"),
    (DMASR.DMA_SLV_ERR, "DMASlvErr (the memory port answered SLVERR)"),
    (DMASR.DMA_DEC_ERR, "DMADecErr (the destination address decodes to nothing)"),
)


def describe_dmasr(sr: int) -> str:
    names = [text for bit, text in _ERROR_NAMES if sr & bit]
    flag_names = ((DMASR.HALTED, "Halted"), (DMASR.IDLE, "Idle"), (DMASR.IOC_IRQ, "IOC_Irq"),
                  (DMASR.ERR_IRQ, "Err_Irq"))
    flags = [name for bit, name in flag_names if sr & bit]
    return f"S2MM_DMASR {sr:#010x} [{', '.join(names + flags) or 'running'}]"


@dataclass
class RingStats:
    packets: int = 0  # transfers taken
    words: int = 0
    polls: int = 0  # DMASR reads
    irq_waits: int = 0  # interrupt waits that returned
    full: int = 0  # packets that filled their buffer exactly
    longest: int = 0  # words of the longest packet


class DmaRing:
    """Buffers on ``dma.recvchannel`` armed back to back (see the module docstring)."""

    def __init__(self, dma: Any, allocate: Callable[..., Any], n_buffers: int = 4,
                 buffer_words: int = 1 << 16, interrupt: bool | None = None) -> None:
        if n_buffers < 2:
            raise ValueError(f"DmaRing: n_buffers must be >= 2 (one filling, one read), got {n_buffers}")
        self.dma = dma
        self.channel = dma.recvchannel
        if self.channel is None:
            raise DeviceError("pynq: the AXI DMA has no S2MM (receive) channel")
        limit = getattr(dma, "buffer_max_size", None)
        if limit is not None and buffer_words * WORD_BYTES > limit:
            raise DeviceError(f"pynq: DMA buffer of {buffer_words * WORD_BYTES} bytes exceeds the DMA's "
                              f"length register ({limit} bytes)")
        self.buffer_words = buffer_words
        self.buffers = [allocate(shape=(buffer_words,), dtype=np.uint64) for _ in range(n_buffers)]
        irq = getattr(dma, "s2mm_introut", None)
        self.irq = irq if interrupt is not False else None
        if interrupt and irq is None:
            raise DeviceError("pynq: interrupt=True, but the overlay does not connect the DMA's s2mm_introut")
        self.cur = 0  # buffer the DMA fills
        self.armed = False
        self.stats = RingStats()

    # ---- DMA control ----------------------------------------------------------------------------
    def status(self) -> int:
        self.stats.polls += 1
        return int(self.dma.mmio.read(S2MM.DMASR))

    def check(self, sr: int) -> None:
        if sr & DMASR.ERRORS:
            raise DeviceError(
                f"pynq: AXI DMA S2MM error, {describe_dmasr(sr)}: the channel halted and the core's "
                "output is back-pressured (what it cannot deliver is counted as LOST); configure() "
                "resets the DMA"
            )
        if sr & DMASR.HALTED:
            raise DeviceError(f"pynq: AXI DMA S2MM channel halted unexpectedly, {describe_dmasr(sr)}")

    def restart(self) -> None:
        """Stop the channel, soft-reset the DMA (drops a half-filled transfer), start, arm buffer 0."""
        self.channel.stop()
        self.dma.mmio.write(S2MM.DMACR, DMACR.RESET)
        deadline = time.monotonic() + 1.0
        while self.dma.mmio.read(S2MM.DMACR) & DMACR.RESET:  # PG021: reads 1 until the reset is done
            if time.monotonic() > deadline:
                raise DeviceError("pynq: AXI DMA soft reset did not finish within 1 s")
        self.channel.start()
        self.cur = 0
        self.armed = False
        self.arm()

    def arm(self) -> None:
        self.channel.transfer(self.buffers[self.cur])
        self.armed = True

    def stop(self) -> None:
        self.channel.stop()
        self.armed = False

    # ---- taking packets -----------------------------------------------------------------------------
    def poll(self) -> np.ndarray | None:
        """One DMASR read: the words of a finished packet (a view into its buffer), or None."""
        sr = self.status()
        self.check(sr)
        if not sr & DMASR.IDLE:
            return None
        return self._take()

    def _take(self) -> np.ndarray:
        nbytes = int(self.dma.mmio.read(S2MM.LENGTH))
        buf = self.buffers[self.cur]
        self.cur = (self.cur + 1) % len(self.buffers)
        if self.irq is not None:
            self.dma.mmio.write(S2MM.DMASR, DMASR.IOC_IRQ)  # acknowledge before the next can complete
        self.channel.transfer(self.buffers[self.cur])  # re-arm first: the stream waits only for this
        n = nbytes // WORD_BYTES
        view = buf[:n]
        view.invalidate()  # the CPU's cache lines over the new data
        st = self.stats
        st.packets += 1
        st.words += n
        st.full += n == self.buffer_words
        st.longest = max(st.longest, n)
        return view

    def wait(self, deadline: float) -> np.ndarray | None:
        """The next finished packet, or None at ``deadline`` (``time.monotonic()``)."""
        if self.irq is not None and not _loop_running():
            return asyncio.get_event_loop().run_until_complete(self._wait_irq(deadline))
        while True:
            words = self.poll()
            if words is not None or time.monotonic() > deadline:
                return words

    async def _wait_irq(self, deadline: float) -> np.ndarray | None:
        while True:
            words = self.poll()  # first: the transfer may be complete already
            if words is not None:
                return words
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                # A halted channel raises no IOC: wake up now and then to read its error bits.
                await asyncio.wait_for(self.irq.wait(), timeout=min(left, 0.05))
                self.stats.irq_waits += 1
            except TimeoutError:
                pass

    def close(self) -> None:
        for b in self.buffers:
            free = getattr(b, "freebuffer", None)
            if free is not None:
                free()
        self.buffers = []


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
