# SPDX-License-Identifier: BSD-3-Clause
"""The hardware back-ends give the same histograms as ``sim`` on the same photon stream.

``verilator`` drives the real RTL through ``g2live.rtl_model.RtlModel``. ``pynq`` is the board
driver itself, driven through the real ``pynq`` package (its ``DefaultIP``, ``pynq.lib.dma.DMA``
S2MM channel, ``allocate`` buffers and interrupt code) on ``g2live.device.pynq_standin``, which
substitutes only MMIO (register models of the AXI DMA and interrupt controller, the core's
registers from the same Verilator model), physical memory (with a non-coherent cache) and the PS
interrupt line. Both start the core the same way (clear, wait for STATUS.clearing, then run), so
not one event is lost, also in the first integration. DMA-specific behaviour: test_pynq_dma.py.
"""

from __future__ import annotations

import time
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


@pytest.fixture(scope="module")
def t3_stream() -> PhotonData:
    """The emulator's T3 records (no sync events), bright enough for a few ms of pairs."""
    from g2live.emulator import Emulator, EmulatorConfig

    cfg = EmulatorConfig(power=1.0, collection_efficiency=0.5, blinking="none", dead_time_ns=10.0)
    return Emulator(cfg, seed=4).run(N_INTEG * 1e-3 + 1e-4, chunk_s=0.001)


def sim_integrations(data: PhotonData, lead_in_ps: int, n: int, tdc: Any) -> list[Integration]:
    """The C twins on the same stream, with integration boundaries where the RTL has them and the
    RTL's TDC (zero-time line: each edge to the centre of its nominal bin) as a twin too."""
    sim = SimDevice(ArraySource(data, t0_ps=-lead_in_ps), tdc=tdc)
    sim.configure(CFG)
    out = [sim.acquire() for _ in range(n)]
    assert all(i is not None for i in out)
    # T3 data: the twins take the syncs implicitly (the pulsed block's periodic entry point)
    assert (sim._implicit is not None) == data.is_t3  # noqa: SLF001 - which path ran is the point
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


def test_verilator_matches_sim_with_sync_prescaler(rtl_model_cls: Any) -> None:
    """An 80 MHz sync divided by 4 on chip (the `sim` back-end applies the same prescaler), the
    periods in between reconstructed, the raw stream through the conditional filter: photon
    numbers, heralded records and the raw TAG words bit for bit."""
    from g2live import core
    from g2live.device.verilator import VerilatorDevice

    raw = pulsed_hbt(3e-3 + 1e-4, seed=5, rate_per_pulse=0.03, q=1.0, period_ps=12_500, tau_ps=1500.0)
    # the detectors' 22 ns dead time (a line takes one edge per two clocks); the sync edges stay
    keep = np.ones(raw.channel.size, bool)
    for c in (0, 1):
        idx = np.flatnonzero(raw.channel == c)
        last = -(10**18)
        for i in idx:
            if raw.time_ps[i] - last < 22_000:
                keep[i] = False
            else:
                last = raw.time_ps[i]
    data = PhotonData(raw.channel[keep], raw.time_ps[keep], raw.meta)
    cfg = CFG.updated(sync_divider=4, sync_filter=True, raw_tags=True, max_photons=3)
    dev = VerilatorDevice(ArraySource(data), model=rtl_model_cls())
    dev.configure(cfg)
    dev.start()
    hw = [dev.acquire() for _ in range(3)]
    # the twins with the chip's TDC (zero-time line: each edge to the centre of its nominal bin)
    sim_dev = SimDevice(ArraySource(data, t0_ps=-dev.lead_in_ps), tdc=dev.tdc)
    sim_dev.configure(cfg)
    sim = [sim_dev.acquire() for _ in range(3)]
    compare(hw, sim)  # type: ignore[arg-type]
    # heralded records stream as their periods close: the chip's may be read a little after the
    # boundary, so compare the records in order over the integrations the twins closed
    hh = np.concatenate([h.heralded for h in hw])
    sh = np.concatenate([s_.heralded for s_ in sim])
    assert sh.shape[0] > 50
    np.testing.assert_array_equal(hh[: sh.shape[0]], sh)
    # raw words: the same tags up to the start of the last integration (the chip streams its raw
    # tags as they come, the twin per integration; a held sync may cross an integration boundary)
    def tags(ints: list) -> tuple[np.ndarray, np.ndarray]:
        ch, t, st = core.decode(np.concatenate([i.tag_words for i in ints]))
        assert st.malformed == 0
        return ch, t
    hch, ht = tags(hw)
    sch, st_ = tags(sim)
    cut = sim[-1].t_start_ps  # source time; the chip's tags are on its own time line, t0 earlier
    hk, sk = ht + dev.t0 < cut, st_ < cut
    np.testing.assert_array_equal(hch[hk], sch[sk])
    np.testing.assert_array_equal(ht[hk] + dev.t0, st_[sk])
    recorded = int((sch == 8).sum())
    assert 0 < recorded < (data.channel == 8).sum() / 4, "the filter keeps a fraction of the recorded syncs"
    dev.close()


def test_verilator_matches_sim_on_t3(rtl_model_cls: Any, t3_stream: PhotonData) -> None:
    """T3 records: the RTL gets every sync edge rebuilt from the periods (as its sync input would),
    the C twins never build them; both give the same numbers bit for bit."""
    from g2live.device.verilator import VerilatorDevice

    assert t3_stream.is_t3
    dev = VerilatorDevice(ArraySource(t3_stream), model=rtl_model_cls())
    dev.configure(CFG)
    dev.start()
    hw = [dev.acquire() for _ in range(N_INTEG)]
    assert all(h is not None for h in hw)
    sim = sim_integrations(t3_stream, dev.lead_in_ps, N_INTEG, dev.tdc)
    compare(hw, sim)  # type: ignore[arg-type]
    assert all(int(h.counts[8]) == 10_000 for h in hw[1:])  # 1 ms of a 10 MHz sync, each
    assert sum(int(h.photon_number.sum()) for h in hw) > 30_000


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


@pytest.fixture
def standin() -> Any:
    """``g2live.device.pynq_standin``: pynq's own classes over the Verilator model (skip without pynq)."""
    try:
        from g2live.device import pynq_standin
    except ImportError as exc:
        pytest.skip(f"pynq is not importable: {exc}")
    return pynq_standin


@pytest.mark.parametrize("interrupts", [True, False], ids=["irq", "poll"])
def test_pynq_driver_on_stand_in_matches_sim(rtl_model_cls: Any, standin: Any, stream: PhotonData,
                                            interrupts: bool) -> None:
    board = standin.StandInBoard(ArraySource(stream), model=rtl_model_cls(), interrupts=interrupts)
    # 8192-word buffers: 4096-word packets; 1024-bin frames never straddle two transfers
    dev = PynqDevice(overlay=board.overlay, pynq_module=standin.pynq, buffer_words=8192, latency_s=2e-4,
                     timeout_s=60)
    assert dev.ring.irq is not None if interrupts else dev.ring.irq is None
    dev.configure(CFG)
    dev.start()
    hw = [dev.acquire() for _ in range(N_INTEG)]
    writes = dict(board.register_writes)
    assert writes[C.REG_BIN_WIDTH_PS] == 256 and writes[C.REG_N_BINS] == 1024
    assert writes[C.REGISTERS["DELAY_PS"].addr(1)] == (-3000) & 0xFFFFFFFF
    assert writes[C.REG_INTEGRATION_CYCLES] == 250_000
    assert writes[C.REG_PACKET_WORDS] == 8192 + 1 - (1 + 4096)  # buffer + 1 - longest record
    assert writes[C.REG_PACKET_TIMEOUT_CYCLES] == 50_000  # 0.2 ms at 4 ns
    assert board.lead_in_ps is not None and board.edges_late == 0
    # photons enter at data time + a whole number of clocks: clock edges at data time k * P
    compare(hw, sim_integrations(stream, board.lead_in_ps, N_INTEG, board.model.ideal_tdc(0)))  # type: ignore[arg-type]
    info = dev.info()
    assert info["dma_packets"] == board.dma.transfers > N_INTEG
    assert (info["dma_irq_waits"] > 0) == interrupts
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


def _fake_overlay(standin: Any, core: Any) -> Any:
    """The stand-in board's pynq DMA with ``core`` in place of the RTL's registers."""
    board = standin.StandInBoard(ArraySource(pulsed_hbt(1e-4)), model=_NoStreamModel())
    board.overlay.g2l_top_0 = core
    return board.overlay


class _NoStreamModel:
    """The RTL model's stream side, silent: for tests whose core is a ``FakeCore``."""

    clk_period_ps = 8000
    time_ps = 0

    def set_sink(self, credit: int = -1, stop_at_last: bool = False) -> None:
        pass

    def run(self, cycles: int) -> None:
        self.time_ps += cycles * self.clk_period_ps

    def stats(self) -> dict[str, int]:
        return {"words_buffered": 0, "sink_overrun": 0, "edges_late": 0}


def test_pynq_waits_for_the_clear(standin: Any) -> None:
    clearing = C.REGISTERS["STATUS"].fields["clearing"].put(1)
    stuck = FakeCore(C.REG_VERSION_MAJOR << 16 | C.REG_VERSION_MINOR, clearing)
    dev = PynqDevice(pynq_module=standin.pynq, overlay=_fake_overlay(standin, stuck), timeout_s=0.05)
    with pytest.raises(DeviceError, match=r"STATUS.clearing still reads 1 0.05 s after COMMAND.clear"):
        dev.configure(CFG)
    # it cleared, and never set CONTROL.run
    assert (C.REG_COMMAND, 1) in stuck.writes
    assert all(v & 1 == 0 for a, v in stuck.writes if a == C.REG_CONTROL)
    # A register map 1.0 core has no STATUS.clearing (bit 4 reads 0 there, whatever it is here):
    # the driver accepts the older minor version and waits out the sweep by the clock instead.
    old = FakeCore(C.REG_VERSION_MAJOR << 16, clearing)
    dev = PynqDevice(pynq_module=standin.pynq, overlay=_fake_overlay(standin, old), timeout_s=0.05)
    t = time.monotonic()
    assert dev.version_minor == 0 and dev.packet_words == 1  # no packetiser: a packet per record
    dev.configure(CFG)
    assert time.monotonic() - t >= 2 * 4096 * 8000e-12, "waited twice the 4096-clock sweep"
    assert not any(a in (C.REG_PACKET_WORDS, C.REG_CLOCK_CONTROL) for a, _ in old.writes), "no 1.2 registers"
    dev.start()
    assert old.writes[-1] == (C.REG_CONTROL, control_word(CFG, True))


def test_pynq_refuses_a_wrong_core(standin: Any, tmp_path: Path) -> None:
    core = SimpleNamespace(read=lambda off: 0xDEADBEEF, write=lambda off, v: None)
    with pytest.raises(DeviceError, match="not a g2live core"):
        PynqDevice(pynq_module=standin.pynq, overlay=_fake_overlay(standin, core))
    with pytest.raises(DeviceError, match="no 'axi_dma_0' IP"):
        PynqDevice(pynq_module=standin.pynq,
                   overlay=SimpleNamespace(g2l_top_0=core, ip_dict={"g2l_top_0": {}}))
    with pytest.raises(DeviceError, match="does not exist"):
        PynqDevice(tmp_path / "missing.bit", pynq_module=standin.pynq)
    good = FakeCore(C.REG_VERSION_MAJOR << 16 | C.REG_VERSION_MINOR, 0)
    with pytest.raises(DeviceError, match=r"cannot hold the core's longest record \(4097 words"):
        PynqDevice(pynq_module=standin.pynq, overlay=_fake_overlay(standin, good), buffer_words=4096)


class ClockCore(FakeCore):
    """A 1.2 core on a board clock module whose reference locks (or never does)."""

    def __init__(self, ref_present: bool) -> None:
        super().__init__(C.REG_VERSION_MAJOR << 16 | C.REG_VERSION_MINOR, 0)
        self.ref_present = ref_present
        self.clock(False)

    def clock(self, use_ref: bool) -> None:
        f = C.REGISTERS["CLOCK_STATUS"].fields
        self.regs[C.REG_CLOCK_STATUS] = (f["present"].put(1) | f["locked"].put(1)
                                         | f["ref_locked"].put(int(self.ref_present))
                                         | f["ref_selected"].put(int(use_ref and self.ref_present)))

    def write(self, offset: int, value: int) -> None:
        super().write(offset, value)
        if offset == C.REG_CLOCK_CONTROL:
            self.clock(bool(value & 1))


def test_pynq_clock_reference(standin: Any) -> None:
    plain = FakeCore(C.REG_VERSION_MAJOR << 16 | C.REG_VERSION_MINOR, 0)  # CLOCK_STATUS reads 0
    dev = PynqDevice(pynq_module=standin.pynq, overlay=_fake_overlay(standin, plain))
    with pytest.raises(DeviceError, match="no board clock module"):
        dev.use_external_reference()
    core = ClockCore(ref_present=True)
    dev = PynqDevice(pynq_module=standin.pynq, overlay=_fake_overlay(standin, core))
    assert dev.use_external_reference()["ref_selected"] == 1
    assert core.writes[-1] == (C.REG_CLOCK_CONTROL, 1)
    missing = ClockCore(ref_present=False)
    dev = PynqDevice(pynq_module=standin.pynq, overlay=_fake_overlay(standin, missing))
    with pytest.raises(DeviceError, match=r"did not lock to the external reference .* back on the board"):
        dev.use_external_reference(timeout_s=0.05)
    assert missing.writes[-1] == (C.REG_CLOCK_CONTROL, 0)
    # an unlocked time base: configure() refuses before the run
    f = C.REGISTERS["CLOCK_STATUS"].fields
    missing.regs[C.REG_CLOCK_STATUS] = f["present"].put(1)
    with pytest.raises(DeviceError, match="time-base MMCM is not locked"):
        dev.configure(CFG)
    assert all(v & 1 == 0 for a, v in missing.writes if a == C.REG_CONTROL)


def test_verilator_matches_sim_with_markers(rtl_model_cls: Any, stream: PhotonData) -> None:
    """Marker events on the source (frame markers, anywhere in a clock cycle) go through the marker
    inputs of the RTL and through the twins: the same markers, coarse-stamped, in the same
    integrations, and the histograms are untouched."""
    from g2live.device.verilator import VerilatorDevice
    from g2live.markers import marker_array

    rng = np.random.default_rng(3)
    t_end = int(stream.time_ps[-1])
    starts = np.arange(50_000_000, t_end, 170_000_000) + rng.integers(0, 4000, 1)
    times = np.concatenate([starts, starts + 60_000_003, starts + 60_000_003 + rng.integers(8000, 20_000)])
    kinds = np.repeat([0, 1, 3], starts.size)
    marked = PhotonData(stream.channel, stream.time_ps, stream.meta, markers=marker_array(kinds, times))
    dev = VerilatorDevice(ArraySource(marked), model=rtl_model_cls())
    dev.configure(CFG)
    dev.start()
    hw = [dev.acquire() for _ in range(N_INTEG)]
    assert all(h is not None for h in hw)
    sim_dev = SimDevice(ArraySource(marked, t0_ps=-dev.lead_in_ps), tdc=dev.tdc)
    sim_dev.configure(CFG)
    sim = [sim_dev.acquire() for _ in range(N_INTEG)]
    compare(hw, sim)  # type: ignore[arg-type]
    for k, (h, s) in enumerate(zip(hw, sim, strict=True)):
        assert h is not None and s is not None
        np.testing.assert_array_equal(h.markers, s.markers, err_msg=f"integration {k}")
        assert np.all((h.markers["time_ps"] >= h.t_start_ps) & (h.markers["time_ps"] < h.t_stop_ps))
    got = np.concatenate([h.markers for h in hw])  # type: ignore[union-attr]
    assert got.size >= 3 * 4 and set(got["marker"].tolist()) == {0, 1, 3}
    # coarse stamps: each marker at the start of the clock cycle it arrived in
    p = dev.tdc.clk_period_ps
    assert np.all((got["time_ps"] - dev.tdc.phase_ps) % p == 0)
    dev.close()
