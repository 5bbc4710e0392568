# SPDX-License-Identifier: BSD-3-Clause
"""A PYNQ-Z2 running the g2live overlay, without the board: pynq's own classes over simulated parts.

What is real: the ``pynq`` package (4.0; ``pynq_env``) with its ``DefaultIP``, ``pynq.lib.dma.DMA``
and its S2MM channel, ``MMIO``, ``allocate``/``PynqBuffer``, ``Interrupt`` and the AXI interrupt
controller driver; and the core, which is the Verilated RTL (``g2live.rtl_model.RtlModel``) with
photons from a ``PhotonSource`` on its input lines. What stands in for silicon, behind pynq's
``Device`` interface (the layer pynq itself swaps between Zynq, PCIe and remote boards):

- MMIO: register reads and writes are routed by address to the core (AXI4-Lite of the RTL), to
  ``AxiDmaS2mm`` (PG021 register model) and to ``AxiIntc`` (PG099);
- physical memory: every ``allocate`` gets DDR that the DMA writes and a separate CPU-side copy
  that only ``invalidate()`` refreshes (a non-coherent cache in its worst case: every line cached),
  so a driver that reads without invalidating reads stale data; the buffers are pynq's
  ``PynqBuffer`` (``StandInBuffer`` only makes ``device`` writable again under numpy 2);
- the PS interrupt: a UIO stand-in handed to pynq's interrupt controller code in place of
  ``/dev/uioN`` (pynq caches UIO devices per IRQ number in ``_InterruptController._uio_devices``).

Time: the board clock runs while the CPU works, ``cycles_per_access`` clocks per register access
(a Python MMIO access on the Zynq's Cortex-A9 costs 1-3 us), ``cycles_per_wakeup`` clocks per
look while a coroutine waits for the interrupt, and ``advance(cycles)`` for a host that does
something else. The stream has no tready while no transfer is armed, so a host that falls behind
makes the core count LOST events exactly as on the board.

The photon time line is anchored like the ``verilator`` back-end's: the first photon reaches the
inputs a little after the cycle CONTROL.run takes effect (``lead_in_ps`` after it), and a
COMMAND.clear restarts it at the next run.
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from g2live import contract as C
from g2live.device.axi_dma_model import AxiDmaS2mm, AxiIntc, ModelError
from g2live.device.pynq_env import import_pynq
from g2live.device.sources import EmulatorSource, PhotonSource

pynq = import_pynq()

__all__ = ["PhysicalMemory", "StandInBoard", "StandInBuffer", "StandInDevice", "StandInOverlay"]

CORE_BASE = 0x43C0_0000  # addresses as Vivado assigns them on GP0
DMA_BASE = 0x4040_0000
INTC_BASE = 0x4180_0000
RAW_IRQ = 61  # IRQ_F2P[0] on the Zynq-7000 GIC
_RUN = C.REGISTERS["CONTROL"].fields["run"]
_CLEAR = C.REGISTERS["COMMAND"].fields["clear"]
DMA_PARAMETERS = {  # as hw/boards/pynq-z2/g2live_bd.tcl configures axi_dma_0 (what the .hwh would say)
    "c_include_sg": "0", "c_include_mm2s": "0", "c_include_s2mm": "1", "c_include_s2mm_dre": "0",
    "c_sg_length_width": "26", "c_m_axi_s2mm_data_width": "64", "c_s_axis_s2mm_tdata_width": "64",
    "c_s2mm_burst_size": "64", "c_micro_dma": "0",
}


class StandInBuffer(pynq.buffer.PynqBuffer):
    """pynq's ``PynqBuffer`` with the one change numpy 2 needs: a writable ``device`` attribute.

    numpy 2 gave ``ndarray`` a read-only ``device`` (array API); pynq 4.0 assigns its own there (it
    pins numpy<2). Everything else, ``invalidate``, ``flush``, addresses and slicing, is pynq's.
    """

    @property
    def device(self) -> Any:  # type: ignore[override]
        return self.__dict__.get("_pynq_device")

    @device.setter
    def device(self, value: Any) -> None:
        self.__dict__["_pynq_device"] = value


@dataclass
class _Region:
    phys: int
    ddr: np.ndarray  # what the DMA writes (uint8)
    cpu: np.ndarray  # what the CPU's caches show (uint8), the PynqBuffer's memory


class PhysicalMemory:
    """DDR for ``allocate``d buffers, each with a CPU view refreshed only by ``invalidate``."""

    def __init__(self, base: int = 0x1600_0000, align: int = 4096) -> None:
        self.next = base
        self.align = align
        self.regions: dict[int, _Region] = {}
        self.invalidated: list[tuple[int, int]] = []  # (physical address, bytes) per invalidate()
        self.flushed: list[tuple[int, int]] = []

    def allocate(self, shape: Any, dtype: Any, device: Any) -> Any:
        dt = np.dtype(dtype)
        nbytes = int(np.prod(shape)) * dt.itemsize
        phys = self.next
        self.next += -(-max(nbytes, 1) // self.align) * self.align
        bo = len(self.regions) + 1
        region = _Region(phys, np.zeros(nbytes, np.uint8), np.zeros(nbytes, np.uint8))
        self.regions[bo] = region
        return StandInBuffer(shape, dt, buffer=region.cpu, device=device, device_address=phys,
                                      bo=bo, coherent=False)

    def dma_write(self, addr: int, data: bytes) -> bool:
        """A write from the DMA's memory port; False if it decodes to no allocated buffer."""
        for r in self.regions.values():
            if r.phys <= addr and addr + len(data) <= r.phys + r.ddr.size:
                r.ddr[addr - r.phys: addr - r.phys + len(data)] = np.frombuffer(data, np.uint8)
                return True
        return False

    def invalidate(self, bo: int, offset: int, nbytes: int) -> None:
        r = self.regions[bo]
        r.cpu[offset: offset + nbytes] = r.ddr[offset: offset + nbytes]
        self.invalidated.append((r.phys + offset, nbytes))

    def flush(self, bo: int, offset: int, nbytes: int) -> None:
        r = self.regions[bo]
        r.ddr[offset: offset + nbytes] = r.cpu[offset: offset + nbytes]
        self.flushed.append((r.phys + offset, nbytes))


class StandInDevice(pynq.Device):
    """pynq's ``Device`` for the stand-in board: register access and memory, nothing else.

    It defines no ``_probe_``, so pynq never lists it among the system's devices; the board makes it
    the active device (what pynq does for the board's own device at start).
    """

    def __init__(self, board: StandInBoard) -> None:
        super().__init__("g2live-standin")
        self.board = board
        self.capabilities = {"REGISTER_RW": True}
        self.timestamp = f"standin-{id(board)}"
        self.bitfile_name = None

    def read_registers(self, address: int, length: int) -> bytes:
        if length != 4:
            raise ModelError(f"stand-in MMIO: {length}-byte read at {address:#x} (32-bit AXI4-Lite)")
        return struct.pack("<I", self.board.mmio_read(address) & 0xFFFF_FFFF)

    def write_registers(self, address: int, data: bytes) -> None:
        if len(data) % 4:
            raise ModelError(f"stand-in MMIO: {len(data)}-byte write at {address:#x}")
        for k, (v,) in enumerate(struct.iter_unpack("<I", data)):
            self.board.mmio_write(address + 4 * k, v)

    def allocate(self, shape: Any, dtype: Any, **kwargs: Any) -> Any:
        return self.board.memory.allocate(shape, dtype, self)

    def invalidate(self, bo: int, offset: int, ptr: int, size: int) -> None:
        self.board.memory.invalidate(bo, offset, size)

    def flush(self, bo: int, offset: int, ptr: int, size: int) -> None:
        self.board.memory.flush(bo, offset, size)


class _UioStandIn:
    """The PS interrupt line as pynq's UIO controller shows it: ``add_event`` arms, the line fires.

    While armed it lets the board run ``cycles_per_wakeup`` clocks per turn of the event loop and
    sets the waiting events once the interrupt controller's output is high.
    """

    def __init__(self, board: StandInBoard) -> None:
        self.board = board
        self.waiting: list[Any] = []

    def add_event(self, event: Any, number: int) -> None:
        self.waiting.append(event)
        if len(self.waiting) == 1:
            asyncio.get_running_loop().call_soon(self._tick)

    def _tick(self) -> None:
        if not self.waiting:
            return
        if self.board.intc.irq:
            events, self.waiting = self.waiting, []
            for e in events:
                e.set()
            return
        self.board.advance(self.board.cycles_per_wakeup)
        asyncio.get_running_loop().call_soon(self._tick)


class StandInOverlay:
    """What ``pynq.Overlay("g2live.bit")`` gives on the board: the IPs by cell name, ``ip_dict``."""

    def __init__(self, board: StandInBoard, ips: dict[str, Any], ip_dict: dict[str, dict]) -> None:
        self.board = board
        self.ip_dict = ip_dict
        self.device = board.device
        self.bitfile_name = "g2live.bit (stand-in)"
        for name, ip in ips.items():
            setattr(self, name, ip)
        self.core = ips["g2l_top_0"]
        self.dma = ips["axi_dma_0"]

    def is_loaded(self) -> bool:
        return True

    def set_source_power(self, power: float) -> bool:
        """The emulated source's excitation power (the stand-in's laser)."""
        return self.board.set_source_power(power)


class StandInBoard:
    """The board: RTL core + photon source + DMA + interrupt controller behind a pynq ``Device``."""

    def __init__(self, source: PhotonSource | None = None, *, model: Any = None,
                 parameters: dict[str, int] | None = None, interrupts: bool = True,
                 cycles_per_access: int = 256, cycles_per_wakeup: int = 2048, seed: int = 0,
                 **emulator_overrides: Any) -> None:
        if model is None:
            from g2live.rtl_model import RtlModel

            model = RtlModel(parameters)
        self.model = model
        self.clk = int(model.clk_period_ps)
        self.source = source if source is not None else EmulatorSource(seed=seed, **emulator_overrides)
        self.cycles_per_access = cycles_per_access
        self.cycles_per_wakeup = cycles_per_wakeup
        self.memory = PhysicalMemory()
        self.dma = AxiDmaS2mm(model, self.memory)
        self.intc = AxiIntc(lambda: int(self.dma.irq))
        self.register_writes: list[tuple[int, int]] = []  # core registers, in order
        self.accesses = 0
        self.board_seconds = 0.0  # host time spent simulating the board (advance): not the driver's
        self.lookahead_ps = 64 * self.clk
        self._anchored = False
        self._src_pos = self.source.t0_ps
        self._pushed_until = 0
        self.t0 = 0  # source time = DUT time + t0 (set when a run starts)
        self.run_ps: int | None = None
        self.lead_in_ps: int | None = None
        self._ips: dict[int, tuple[int, Callable[[int], int], Callable[[int, int], None]]] = {
            CORE_BASE: (0x1000, self._core_read, self._core_write),
            DMA_BASE: (0x1_0000, self.dma.read, self.dma.write),
            INTC_BASE: (0x1_0000, self.intc.read, self.intc.write),
        }
        self.device = StandInDevice(self)
        self.overlay = self._load(interrupts)

    # ---- what pynq.Overlay would do with the .hwh ------------------------------------------------
    def _load(self, interrupts: bool) -> StandInOverlay:
        dev = self.device
        pin = "axi_dma_0/s2mm_introut"
        base = {"device": dev, "gpio": {}, "state": None}
        ip_dict = {
            "g2l_top_0": {**base, "phys_addr": CORE_BASE, "addr_range": 0x1000, "fullpath": "g2l_top_0",
                          "type": "user.org:user:g2l_pynq_top:1.0", "parameters": {}, "interrupts": {}},
            "axi_dma_0": {**base, "phys_addr": DMA_BASE, "addr_range": 0x1_0000, "fullpath": "axi_dma_0",
                          "type": "xilinx.com:ip:axi_dma:7.1", "parameters": dict(DMA_PARAMETERS),
                          "interrupts": {"s2mm_introut": {"controller": "axi_intc_0", "index": 0,
                                                          "fullpath": pin}} if interrupts else {}},
            "axi_intc_0": {**base, "phys_addr": INTC_BASE, "addr_range": 0x1_0000, "fullpath": "axi_intc_0",
                           "type": "xilinx.com:ip:axi_intc:4.1", "parameters": {}, "interrupts": {}},
        }
        dev.ip_dict = ip_dict
        dev.gpio_dict = {}
        dev.interrupt_pins = {}
        if interrupts:
            dev.interrupt_pins[pin] = {"controller": "axi_intc_0", "index": 0, "fullpath": pin}
        dev.interrupt_controllers = {"axi_intc_0": {"parent": "", "index": 0, "raw_irq": RAW_IRQ}}
        dev.hierarchy_dict = {}
        dev.mem_dict = {}
        pynq.Device.active_device = dev
        if interrupts:
            pynq.interrupt._InterruptController._uio_devices[RAW_IRQ] = _UioStandIn(self)
        ips = {
            "g2l_top_0": pynq.DefaultIP(ip_dict["g2l_top_0"]),
            "axi_dma_0": pynq.lib.dma.DMA(ip_dict["axi_dma_0"]),
        }
        return StandInOverlay(self, ips, ip_dict)

    # ---- MMIO ---------------------------------------------------------------------------------
    def _ip(self, address: int) -> tuple[int, Callable[[int], int], Callable[[int, int], None]]:
        for base, (size, rd, wr) in self._ips.items():
            if base <= address < base + size:
                return address - base, rd, wr
        raise ModelError(f"stand-in MMIO: nothing at {address:#010x} (a bus error on the board)")

    def mmio_read(self, address: int) -> int:
        off, rd, _ = self._ip(address)
        self.accesses += 1
        self.advance(self.cycles_per_access)
        return rd(off)

    def mmio_write(self, address: int, value: int) -> None:
        off, _, wr = self._ip(address)
        self.accesses += 1
        self.advance(self.cycles_per_access)
        wr(off, value)

    def _core_read(self, offset: int) -> int:
        return self.model.read_reg(offset)

    def _core_write(self, offset: int, value: int) -> None:
        self.register_writes.append((offset, value))
        m = self.model
        before = m.time_ps
        m.write_reg(offset, value)
        if offset == C.REG_COMMAND and _CLEAR.get(value):
            m.drop_events()  # the time base restarted: the old time line's edges must not fire
            self._anchored = False
            self.run_ps = None
        elif offset == C.REG_CONTROL and _RUN.get(value) and not self._anchored:
            self._anchor(before + self.clk)  # the write lands on the first clock edge

    def _anchor(self, run_ps: int) -> None:
        m, clk = self.model, self.clk
        self.run_ps = run_ps
        first = -(-(m.time_ps + self.lookahead_ps) // clk) * clk
        self.lead_in_ps = first - run_ps
        self.t0 = self._src_pos - first
        self._pushed_until = m.time_ps
        self._anchored = True

    # ---- the board's clock ----------------------------------------------------------------------
    def advance(self, cycles: int) -> None:
        """Let the board run ``cycles`` clocks: photons in, stream words into the armed buffer."""
        t = time.perf_counter()
        m = self.model
        if self._anchored:
            self._push_until(m.time_ps + cycles * self.clk + self.lookahead_ps)
        m.run(cycles)
        self.sync()
        self.board_seconds += time.perf_counter() - t

    def sync(self) -> None:
        """Hand the words the DMA's sink took to the DMA model (it writes them to memory)."""
        st = self.model.stats()
        if st["words_buffered"]:
            words, lasts = self.model.drain(with_last=True)
        else:
            words, lasts = np.zeros(0, np.uint64), np.zeros(0, bool)
        if words.size or st["sink_overrun"]:
            self.dma.receive(words, lasts, st["sink_overrun"])

    def _push_until(self, t_ps: int) -> None:
        if t_ps <= self._pushed_until:
            return
        src_t = t_ps + self.t0
        if src_t > self._src_pos:
            raw = self.source.read_until(src_t)
            if len(raw):
                self.model.push_events(raw.channel, raw.time_ps - self.t0)
            self._src_pos = src_t
        self._pushed_until = t_ps

    @property
    def edges_late(self) -> int:
        """Input edges that reached the RTL after their cycle (0 unless the feeding is broken)."""
        return int(self.model.stats().get("edges_late", 0))

    def set_source_power(self, power: float) -> bool:
        return self.source.set_power(power)

    def inject_dma_error(self, bit: int) -> None:
        """Make the DMA's next data beat fail with DMASR ``bit`` (DMA_SLV_ERR, DMA_DEC_ERR, DMA_INT_ERR)."""
        self.dma.inject = bit

    def close(self) -> None:
        close = getattr(self.model, "close", None)
        if close is not None:
            close()
