"""The hardware back-ends give the same histograms as ``sim`` on the same photon stream.

``verilator`` drives the real RTL through ``g2live.rtl_model.RtlModel``. ``pynq`` is the board
driver itself, with a stand-in at the ``pynq`` API boundary (``Overlay`` with the core's MMIO and
an AXI DMA receive channel, ``allocate``) whose registers and DMA transfers are served by the same
Verilator model: the driver's register writes and DMA handling are what is tested. Both start the
core the same way (clear, wait for STATUS.clearing, then run), so not one event is lost, also in the
first integration.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from g2live import contract as C
from g2live.config import Config, ConfigError
from g2live.device import DeviceError, Integration
from g2live.device.hw import control_word
from g2live.device.pynq import PynqDevice
from g2live.device.sim import SimDevice
from g2live.device.sources import ArraySource
from g2live.photons import PhotonData
from host_helpers import pulsed_hbt

pytestmark = pytest.mark.rtl

# Power-of-two bins (the on-chip binner's rule); 1 ms integrations = 250k clocks at 4 ns.
CFG = Config(
    integration_s=0.001,
    n_bins=1024,
    bin_width_ps=256,
    pairs=((0, 1), (1, 0), (0, 0)),
    dead_time_ps={0: 20_000, 1: 20_000},
    delay_ps={1: -3_000},
)
N_INTEG = 4


@pytest.fixture(scope="module")
def rtl_model_cls() -> Any:
    try:
        from g2live.rtl_model import RtlModel, verilator_root

        verilator_root()
    except (ImportError, OSError, RuntimeError) as exc:
        pytest.skip(f"no Verilator model of the RTL: {exc}")
    return RtlModel


@pytest.fixture(scope="module")
def stream() -> PhotonData:
    # 0.2 photons per pulse per detector at 10 MHz: ~14 events per microsecond into the RTL.
    return pulsed_hbt(N_INTEG * 1e-3 + 1e-4, seed=2, rate_per_pulse=0.2)


def sim_integrations(data: PhotonData, lead_in_ps: int, n: int, tdc: Any) -> list[Integration]:
    """The C twins on the same stream, with integration boundaries where the RTL has them and the
    RTL's TDC (zero-time line: each edge to the centre of its nominal bin) as a twin too."""
    sim = SimDevice(ArraySource(data, t0_ps=-lead_in_ps), tdc=tdc)
    sim.configure(CFG)
    out = [sim.acquire() for _ in range(n)]
    assert all(i is not None for i in out)
    return out  # type: ignore[return-value]


def compare(hw: list[Integration], sim: list[Integration]) -> None:
    for k, (h, s) in enumerate(zip(hw, sim, strict=True)):
        # The start waited for the bank sweep: nothing lost, from the first integration on.
        lost = {cause: int(v.sum()) for cause, v in h.lost.items() if v.sum()}
        assert not lost, f"integration {k}: events lost {lost}"
        np.testing.assert_array_equal(h.counts, s.counts, err_msg=f"integration {k}")
        np.testing.assert_array_equal(h.histograms, s.histograms, err_msg=f"integration {k}")
        np.testing.assert_array_equal(h.photon_number, s.photon_number, err_msg=f"integration {k}")
        np.testing.assert_array_equal(h.dead, s.dead, err_msg=f"integration {k}")
        assert h.t_stop_ps - h.t_start_ps == s.t_stop_ps - s.t_start_ps, f"integration {k} length"
        assert h.malformed == 0
    assert hw[0].counts.sum() > 0, "the first integration must see photons"
    assert sum(int(h.histograms.sum()) for h in hw) > 1000


def test_verilator_matches_sim(rtl_model_cls: Any, stream: PhotonData) -> None:
    from g2live.device.verilator import VerilatorDevice

    dev = VerilatorDevice(ArraySource(stream), model=rtl_model_cls())
    with pytest.raises(ConfigError, match="power of two"):
        dev.configure(CFG.updated(bin_width_ps=1000))
    dev.configure(CFG)
    dev.start()
    hw = [dev.acquire() for _ in range(N_INTEG)]
    assert all(h is not None for h in hw)
    sim = sim_integrations(stream, dev.lead_in_ps, N_INTEG, dev.tdc)
    compare(hw, sim)  # type: ignore[arg-type]
    # Integrations are reported on the source's time line, exactly where the twins put them.
    assert [(h.t_start_ps, h.t_stop_ps) for h in hw] == [(s.t_start_ps, s.t_stop_ps) for s in sim]
    dev.close()


class StandInBoard:
    """What ``pynq`` shows of a board running the g2live overlay, served by the RTL model.

    Time on the "board" advances while the driver waits for the DMA: every poll of the receive
    channel clocks the model a little, the way the FPGA keeps running while the CPU polls.
    """

    def __init__(self, model: Any, data: PhotonData, cycles_per_poll: int = 8192) -> None:
        self.model = model
        self.data = data
        self.cycles_per_poll = cycles_per_poll
        self.lead_in_ps: int | None = None  # first photon after the start of the run
        self.run_ps: int | None = None  # board time from which CONTROL.run reads 1
        self.words: deque[tuple[np.ndarray, np.ndarray]] = deque()
        self.buf: np.ndarray | None = None
        self.transferred = 0
        self.register_writes: list[tuple[int, int]] = []
        board = self

        class Core:
            def read(self, offset: int) -> int:
                return model.read_reg(offset)

            def write(self, offset: int, value: int) -> None:
                board.register_writes.append((offset, value))
                before = model.time_ps
                model.write_reg(offset, value)
                if offset == C.REG_CONTROL and value & 1 and board.run_ps is None:
                    board.run_ps = before + model.clk_period_ps  # the write lands on the first edge

        class RecvChannel:
            def transfer(self, buf: np.ndarray) -> None:
                if board.buf is not None:
                    raise RuntimeError("DMA channel is busy: transfer() while a transfer is pending")
                board.buf, board.transferred = buf, 0

            @property
            def idle(self) -> bool:
                return board.poll()

            @property
            def transferred(self) -> int:
                return board.transferred * 8

        self.core = Core()
        self.dma = SimpleNamespace(recvchannel=RecvChannel())

    def poll(self) -> bool:
        """Clock the board; move words into the armed buffer up to tlast or until it is full."""
        m = self.model
        if self.lead_in_ps is None:  # first poll after the driver started: the photons arrive
            assert self.run_ps is not None, "the driver polls the DMA before it set CONTROL.run"
            clk = m.clk_period_ps
            first = -(-(m.time_ps + 64 * clk) // clk) * clk
            self.lead_in_ps = first - self.run_ps
            m.push_events(self.data.channel, self.data.time_ps + first)
        if not self.words:
            m.run(self.cycles_per_poll)
            w, last = m.drain(with_last=True)
            if w.size:
                self.words.append((w, last))
        if self.buf is None or not self.words:
            return False
        w, last = self.words.popleft()
        room = self.buf.size
        ends = np.flatnonzero(last[:room])
        n = int(ends[0]) + 1 if ends.size else min(room, w.size)
        self.buf[:n] = w[:n]
        if n < w.size:
            self.words.appendleft((w[n:], last[n:]))
        self.transferred = n
        self.buf = None
        return True


def test_pynq_driver_on_stand_in_matches_sim(rtl_model_cls: Any, stream: PhotonData, tmp_path: Path) -> None:
    board = StandInBoard(rtl_model_cls(), stream)
    bit = tmp_path / "g2live.bit"
    bit.write_bytes(b"stand-in")
    opened: list[str] = []

    def overlay(path: str) -> Any:
        opened.append(path)
        return SimpleNamespace(
            g2l_top_0=board.core, axi_dma_0=board.dma, ip_dict={"g2l_top_0": {}, "axi_dma_0": {}}
        )

    pynq = SimpleNamespace(Overlay=overlay, allocate=lambda shape, dtype: np.zeros(shape, dtype))
    dev = PynqDevice(bit, pynq_module=pynq, buffer_words=512, timeout_s=600)
    assert opened == [str(bit)]
    dev.configure(CFG)
    dev.start()
    hw = [dev.acquire() for _ in range(N_INTEG)]
    assert dev.dma_full > 0  # 1024-bin frames span two 512-word buffers: re-assembly exercised
    writes = dict(board.register_writes)
    from g2live import contract as C

    assert writes[C.REG_BIN_WIDTH_PS] == 256 and writes[C.REG_N_BINS] == 1024
    assert writes[C.REGISTERS["DELAY_PS"].addr(1)] == (-3000) & 0xFFFFFFFF
    assert writes[C.REG_INTEGRATION_CYCLES] == 250_000
    assert board.lead_in_ps is not None
    # photons enter at data time + a whole number of clocks: clock edges at data time k * P
    compare(hw, sim_integrations(stream, board.lead_in_ps, N_INTEG, board.model.ideal_tdc(0)))  # type: ignore[arg-type]
    dev.close()
    assert dict(board.register_writes)[C.REG_CONTROL] == 0  # closing stops the core


class FakeCore:
    """Register reads of a core that never finishes its clear (or of a map 1.0 core without the flag)."""

    def __init__(self, version: int, status: int) -> None:
        f = C.REGISTERS["SIZES"].fields
        sizes = (f["n_channels"].put(9) | f["n_pairs"].put(4) | f["n_bins_log2"].put(12)
                 | f["max_photons"].put(15))
        self.regs = {C.REG_ID: C.REG_ID_VALUE, C.REG_VERSION: version, C.REG_SIZES: sizes,
                     C.REG_CLK_PERIOD_PS: 8000, C.REG_STATUS: status}
        self.writes: list[tuple[int, int]] = []

    def read(self, offset: int) -> int:
        return self.regs.get(offset, 0)

    def write(self, offset: int, value: int) -> None:
        self.writes.append((offset, value))


def test_pynq_waits_for_the_clear(tmp_path: Path) -> None:
    clearing = C.REGISTERS["STATUS"].fields["clearing"].put(1)
    pynq = SimpleNamespace(allocate=lambda shape, dtype: np.zeros(shape, dtype))
    dma = SimpleNamespace(recvchannel=SimpleNamespace(transfer=lambda buf: None, idle=False))
    stuck = FakeCore(C.REG_VERSION_MAJOR << 16 | C.REG_VERSION_MINOR, clearing)
    ov = SimpleNamespace(g2l_top_0=stuck, axi_dma_0=dma)
    dev = PynqDevice(pynq_module=pynq, overlay=ov, timeout_s=0.05)
    with pytest.raises(DeviceError, match=r"STATUS.clearing still reads 1 0.05 s after COMMAND.clear"):
        dev.configure(CFG)
    # it cleared, and never set CONTROL.run
    assert (C.REG_COMMAND, 1) in stuck.writes
    assert all(v & 1 == 0 for a, v in stuck.writes if a == C.REG_CONTROL)
    # A register map 1.0 core has no STATUS.clearing (bit 4 reads 0 there, whatever it is here):
    # the driver accepts the older minor version and waits out the sweep by the clock instead.
    old = FakeCore(C.REG_VERSION_MAJOR << 16, clearing)
    dev = PynqDevice(pynq_module=pynq, overlay=SimpleNamespace(g2l_top_0=old, axi_dma_0=dma), timeout_s=0.05)
    t = time.monotonic()
    assert dev.version_minor == 0
    dev.configure(CFG)
    assert time.monotonic() - t >= 2 * 4096 * 8000e-12, "waited twice the 4096-clock sweep"
    dev.start()
    assert old.writes[-1] == (C.REG_CONTROL, control_word(CFG, True))


def test_pynq_refuses_a_wrong_core(tmp_path: Path) -> None:
    core = SimpleNamespace(read=lambda off: 0xDEADBEEF, write=lambda off, v: None)
    ov = SimpleNamespace(g2l_top_0=core, axi_dma_0=None)
    pynq = SimpleNamespace(allocate=lambda shape, dtype: np.zeros(shape, dtype))
    with pytest.raises(DeviceError, match="not a g2live core"):
        PynqDevice(pynq_module=pynq, overlay=ov)
    with pytest.raises(DeviceError, match="no 'axi_dma_0' IP"):
        PynqDevice(pynq_module=pynq, overlay=SimpleNamespace(g2l_top_0=core, ip_dict={"g2l_top_0": {}}))
    with pytest.raises(DeviceError, match="does not exist"):
        PynqDevice(tmp_path / "missing.bit", pynq_module=pynq)
