# SPDX-License-Identifier: BSD-3-Clause
"""The ``pynq`` driver's DMA path through the real ``pynq`` package on the stand-in board.

``g2live.device.pynq_standin``: pynq's ``DMA``/S2MM channel, ``allocate`` buffers and interrupt
code over a PG021 register model of the AXI DMA, memory with a non-coherent cache, and the
Verilator model of the core (raw tags on, so every word is checked). Tests:
- back-to-back packets: raw tags bit for bit equal to the ``sim`` back-end's, many packets per
  integration, none lost; every packet's bytes invalidated exactly once, and the ring's buffers
  poisoned beforehand, so reading a stale or unwritten word would show;
- a host that pauses: what the core could not deliver is counted exactly (tags + LOST = counts,
  counts + binning/merge losses = the ``sim`` counts, LOST_COUNT = the LOST words);
- DMA error bits (DMASlvErr, DMADecErr injected; DMAIntErr from a packet longer than the buffer)
  raise a DeviceError at once, and configure() recovers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from g2live import contract as C
from g2live import core
from g2live.config import Config
from g2live.device import DeviceError, Integration
from g2live.device.pynq import PynqDevice
from g2live.device.sim import SimDevice
from g2live.device.sources import ArraySource
from g2live.photons import PhotonData
from host_helpers import pulsed_hbt

pytestmark = pytest.mark.rtl

CFG = Config(integration_s=0.001, n_bins=256, bin_width_ps=256, pairs=((0, 1),), raw_tags=True,
             dead_time_ps={0: 20_000, 1: 20_000})
T_INTEG = 250_000  # clocks of 4 ns
BUFFER_WORDS = 8192  # 4096-word packets with the 4096-bin core
POISON = (C.KIND_TAG << 60) | C.TAG_CHANNEL.put(63) | 0x123  # a decodable tag no input makes


@pytest.fixture(scope="module")
def standin() -> Any:
    try:
        from g2live.device import pynq_standin
        from g2live.rtl_model import verilator_root

        verilator_root()
    except (ImportError, OSError, RuntimeError) as exc:
        pytest.skip(f"no pynq or no Verilator model: {exc}")
    return pynq_standin


@pytest.fixture(scope="module")
def stream() -> PhotonData:
    return pulsed_hbt(7e-3, seed=4, rate_per_pulse=0.2)  # ~14 events/us: 0.056 tags per clock


def make(standin: Any, stream: PhotonData, **kw: Any) -> tuple[Any, PynqDevice]:
    from g2live.rtl_model import RtlModel

    irq = kw.pop("interrupts", False)
    board = standin.StandInBoard(ArraySource(stream), model=RtlModel(), interrupts=irq)
    dev = PynqDevice(overlay=board.overlay, pynq_module=standin.pynq, buffer_words=BUFFER_WORDS,
                     latency_s=kw.pop("latency_s", 1e-4), timeout_s=kw.pop("timeout_s", 60), **kw)
    return board, dev


def tags_of(integs: list[Integration]) -> tuple[np.ndarray, np.ndarray]:
    ch, t = [], []
    for i in integs:
        c, tt, st = core.decode(i.tag_words)
        assert st.malformed == 0
        ch.append(np.asarray(c, np.int64))
        t.append(np.asarray(tt, np.int64))
    return np.concatenate(ch), np.concatenate(t)


def sim_run(board: Any, stream: PhotonData, n: int) -> list[Integration]:
    """The C twins on the same stream, the RTL's TDC (zero-time line) as a twin too."""
    tdc = board.model.ideal_tdc(board.t0 % board.clk)
    sim = SimDevice(ArraySource(stream, t0_ps=-board.lead_in_ps), tdc=tdc)
    sim.configure(CFG)
    out = [sim.acquire() for _ in range(n)]
    assert all(i is not None for i in out)
    return out  # type: ignore[return-value]


def test_back_to_back_packets_bit_exact(standin: Any, stream: PhotonData) -> None:
    board, dev = make(standin, stream, n_buffers=3)
    for b in dev.ring.buffers:  # stale contents everywhere: CPU lines and DDR
        b[:] = POISON
        b.flush()
    dev.configure(CFG)
    dev.start()
    k = 4
    hw = [dev.acquire() for _ in range(k)]
    assert board.edges_late == 0
    sim = sim_run(board, stream, k)
    # raw tags over the first k - 1 integrations (the last may still have tags in flight)
    hc, ht = tags_of(hw)  # type: ignore[arg-type]
    sc, st = tags_of(sim)
    # the sim back-end reports source time: the RTL's is that + run_ps + lead_in_ps
    ht = ht - board.run_ps - board.lead_in_ps
    t_end = (k - 1) * T_INTEG * 4000 - board.lead_in_ps
    keep_h, keep_s = ht < t_end, st < t_end
    assert not np.any(hc == 63), "a poisoned (stale) word was read"
    np.testing.assert_array_equal(hc[keep_h], sc[keep_s], "tag channels")
    np.testing.assert_array_equal(ht[keep_h], st[keep_s], "tag times")
    assert keep_s.sum() > 20_000
    for h, s in zip(hw, sim, strict=True):
        assert h.stream is not None  # the decoded tags, for the server's live counters
        np.testing.assert_array_equal(h.stream[1], core.decode(h.tag_words)[1])
        np.testing.assert_array_equal(h.counts, s.counts)
        np.testing.assert_array_equal(h.histograms, s.histograms)
        assert not any(v.sum() for v in h.lost.values())
    st_ = dev.ring.stats
    assert st_.packets >= 4 * k and st_.longest <= BUFFER_WORDS and st_.full == 0
    # every packet's bytes invalidated once, after the DMA wrote them, nothing else
    assert board.memory.invalidated == board.dma.completed
    dev.close()


def test_paused_host_loses_exactly_what_is_counted(standin: Any, stream: PhotonData) -> None:
    board, dev = make(standin, stream)
    dev.configure(CFG)
    dev.start()
    hw = [dev.acquire()]
    board.advance(200_000)  # the host does something else for 0.8 ms: one buffer fills, then LOST
    hw += [dev.acquire() for _ in range(4)]
    k = 4  # integrations compared; the 5th delivers the first k's late tags and LOST words
    n = dev.caps.n_channels
    lost = {c: sum(int(i.lost[c][:n].sum()) for i in hw) for c in ("fifo", "binning", "merge")}
    lost_ch = {c: sum(i.lost[c][:n] for i in hw) for c in ("fifo", "binning", "merge")}
    assert lost["fifo"] > 1000, f"the pause must overflow the raw FIFO: {lost}"
    counts = sum(i.counts[:n] for i in hw[:k])
    hc, ht = tags_of(hw)  # type: ignore[arg-type]
    ht = ht - board.run_ps
    delivered = np.bincount(hc[ht < k * T_INTEG * 4000], minlength=n)[:n]
    np.testing.assert_array_equal(delivered + lost_ch["fifo"], counts, "tags + LOST(fifo) = RATES counts")
    sim = sim_run(board, stream, k)
    np.testing.assert_array_equal(counts + lost_ch["binning"] + lost_ch["merge"],
                                  sum(s.counts[:n] for s in sim), "counts + binning/merge LOST = events")
    regs = [dev.core.read(C.REGISTERS["LOST_COUNT"].addr(c)) for c in range(n)]
    np.testing.assert_array_equal(regs, sum(lost_ch.values()), "LOST_COUNT registers = LOST words")
    assert C.REGISTERS["STATUS"].fields["lost"].get(dev.core.read(C.REG_STATUS)) == 1
    dev.close()


@pytest.mark.parametrize("bit, name", [("DMA_SLV_ERR", "DMASlvErr"), ("DMA_DEC_ERR", "DMADecErr")])
def test_dma_error_bits_raise(standin: Any, stream: PhotonData, bit: str, name: str) -> None:
    from g2live.device.axi_dma_model import DMASR

    board, dev = make(standin, stream, timeout_s=30)
    dev.configure(CFG)
    dev.start()
    assert dev.acquire() is not None
    board.inject_dma_error(getattr(DMASR, bit))
    with pytest.raises(DeviceError, match=rf"^pynq: AXI DMA S2MM error, S2MM_DMASR .*{name}"):
        dev.acquire()
    assert board.dma.halted
    dev.configure(CFG)  # resets the DMA: acquisition goes on
    assert dev.acquire() is not None
    dev.close()


def test_packet_longer_than_the_buffer_is_dmainterr(standin: Any, stream: PhotonData) -> None:
    board, dev = make(standin, stream, timeout_s=30)
    dev.configure(CFG)
    dev.start()
    # a core whose packets outgrow the host's buffers (say, programmed by another driver)
    dev.core.write(C.REG_PACKET_WORDS, 1 << 20)
    dev.core.write(C.REG_PACKET_TIMEOUT_CYCLES, 1 << 30)
    with pytest.raises(DeviceError, match=r"^pynq: AXI DMA S2MM error, .*DMAIntErr"):
        for _ in range(8):
            dev.acquire()
    dev.close()
