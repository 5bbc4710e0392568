# SPDX-License-Identifier: BSD-3-Clause
"""Host-side throughput of the ``pynq`` driver's DMA loop against today's single-buffer loop.

Run with ``make bench``. One word stream made by the real RTL (Verilator): 9 inputs with a 10 MHz
sync and ~4 photons per laser period, raw tags on, heralded records and histograms, tiled to a
few million words. It is replayed through the stand-in board (pynq's own DMA channel, buffers and
MMIO over the PG021 register model) by an infinitely fast stream, so the host is always the
bottleneck, and each loop decodes what it receives with the same ``FrameAssembler``:

- ``ring``: ``DmaRing`` (4 x 64 Ki-word buffers, re-armed back to back, one DMASR read per poll,
  invalidation of the bytes written) on the packetiser's N-word packets (PACKET_WORDS = 61 440);
- ``ring, one packet per record``: the same loop on PACKET_TIMEOUT_CYCLES = 0 packets;
- ``single buffer``: today's loop (poll ``idle``, sleep 100 us when busy, copy, re-arm one 64 Ki-word
  buffer) with the one change the real pynq needs: ``wait()`` to get the length, which also
  invalidates the whole buffer; on one packet per record, as today's core ends a packet at every
  frame, LOST word, HERALD pair and (at these rates) nearly every raw tag.

Time spent simulating the board (the DMA model writing memory, the replay) is subtracted; what is
left is the driver: pynq's MMIO and channel code, the register model's bus, the invalidation (a
copy here, cache maintenance on the Zynq), the decode. Figures are x86 ones: the Zynq's 650 MHz
Cortex-A9 runs this Python roughly 10-20 times slower, which the ratios do not depend on.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from g2live import contract as C
from g2live.config import Config
from g2live.device import packets as P
from g2live.device.hw import FrameAssembler, control_word, program, read_caps, wait_cleared

pytestmark = pytest.mark.bench

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "build" / "bench_pynq_dma.json"
HP_PORT_WORDS_S = 150e6  # Zynq HP port, 64 bit at 150 MHz (PEERS.md)
BUFFER_WORDS = 1 << 16
CFG = Config(integration_s=0.001, n_bins=1024, bin_width_ps=256, pairs=((0, 1), (1, 0)), raw_tags=True,
             sync_channel=8)


class ReplayStream:
    """An RTL model's stream side that delivers recorded words at once, whatever the clock."""

    clk_period_ps = 4000

    def __init__(self, words: np.ndarray, lasts: np.ndarray) -> None:
        self.words, self.lasts = words, lasts
        self.ends = np.flatnonzero(lasts)
        self.pos = 0
        self.time_ps = 0
        self.credit, self.stop_at_last, self.stopped, self.overrun = -1, False, False, 0
        self.pending: list[tuple[int, int]] = []

    def set_sink(self, credit: int = -1, stop_at_last: bool = False) -> None:
        self.credit, self.stop_at_last, self.stopped, self.overrun = credit, stop_at_last, False, 0

    def run(self, cycles: int) -> None:
        self.time_ps += cycles * self.clk_period_ps
        if self.stopped or self.pos >= self.words.size:
            return
        if self.credit == 0:
            self.overrun += 1
            return
        n = self.words.size - self.pos if self.credit < 0 else min(self.credit, self.words.size - self.pos)
        if self.stop_at_last:
            k = int(np.searchsorted(self.ends, self.pos))
            if k < self.ends.size and self.ends[k] < self.pos + n:
                n = int(self.ends[k]) - self.pos + 1
                self.stopped = True
        self.pending.append((self.pos, self.pos + n))
        self.pos += n
        if self.credit > 0:
            self.credit -= n

    def drain(self, with_last: bool = False) -> Any:
        w = np.concatenate([self.words[a:b] for a, b in self.pending]) if self.pending else self.words[:0]
        last = np.concatenate([self.lasts[a:b] for a, b in self.pending]) if self.pending else self.lasts[:0]
        self.pending = []
        return (w, last) if with_last else w

    def stats(self) -> dict[str, int]:
        return {"words_buffered": sum(b - a for a, b in self.pending), "sink_overrun": self.overrun,
                "edges_late": 0}


def rtl_stream(cycles: int = 1_000_000) -> tuple[np.ndarray, Any]:
    """Words of the real RTL: 8 detectors at p = 0.5 per 10 MHz period and the sync on channel 8."""
    from g2live.rtl_model import RtlModel

    m = RtlModel()
    caps = read_caps(m.read_reg, "rtl")
    program(m.write_reg, CFG, caps)
    wait_cleared(m.read_reg, "rtl", lambda: m.run(64), lambda: False, "")
    m.write_reg(C.REG_CONTROL, control_word(CFG, True))
    rng = np.random.default_rng(7)
    period = 100_000
    n = cycles * m.clk_period_ps // period
    sync = (m.time_ps // period + 2 + np.arange(n)) * period
    ch, t = [np.full(n, 8)], [sync]
    for c in range(8):
        hit = rng.random(n) < 0.5
        ch.append(np.full(hit.sum(), c))
        t.append(sync[hit] + rng.integers(5_000, 60_000, hit.sum()))
    ch, t = np.concatenate(ch).astype(np.uint8), np.concatenate(t)
    o = np.lexsort((ch, t))
    m.push_events(ch[o], t[o])
    m.run(cycles)
    words = m.drain()
    m.close()
    ends = np.flatnonzero(P.record_ends(words))
    return words[: ends[-1] + 1], caps  # whole records only, so that the tiles join up


@pytest.fixture(scope="module")
def stream() -> tuple[np.ndarray, Any]:
    try:
        from g2live.device import pynq_standin  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"pynq is not importable: {exc}")
    return rtl_stream()


def board_with(words: np.ndarray, lasts: np.ndarray) -> tuple[Any, Any, Any]:
    from g2live.device.pynq_standin import StandInBoard, pynq
    from g2live.device.sources import ArraySource
    from g2live.photons import PhotonData

    empty = PhotonData(np.zeros(0, np.uint8), np.zeros(0, np.int64))
    board = StandInBoard(ArraySource(empty), model=ReplayStream(words, lasts), interrupts=False,
                         cycles_per_access=0)

    def allocate(shape: Any, dtype: Any) -> Any:
        return pynq.allocate(shape=shape, dtype=dtype, target=board.device)

    return board, board.overlay.axi_dma_0, allocate


def delivered(lasts: np.ndarray) -> int:
    """Words up to the last tlast: what a DMA hands over (the rest waits for its packet to end)."""
    return int(np.flatnonzero(lasts)[-1]) + 1


def ring_loop(words: np.ndarray, lasts: np.ndarray, caps: Any) -> dict[str, float]:
    from g2live.device.dma_ring import DmaRing

    board, dma, allocate = board_with(words, lasts)
    ring = DmaRing(dma, allocate, n_buffers=4, buffer_words=BUFFER_WORDS, interrupt=False)
    ring.restart()
    asm = FrameAssembler(CFG, caps)
    t0, b0, a0 = time.perf_counter(), board.board_seconds, board.accesses
    got, total = 0, delivered(lasts)
    while got < total:
        w = ring.poll()
        if w is not None:
            asm.feed(w)
            got += w.size
    host = time.perf_counter() - t0 - (board.board_seconds - b0)
    return summary(got, ring.stats.packets, host, board.accesses - a0, asm)


def single_buffer_loop(words: np.ndarray, lasts: np.ndarray, caps: Any) -> dict[str, float]:
    """Today's ``PynqDevice._collect``/``acquire`` loop, with ``wait()`` for the length."""
    board, dma, allocate = board_with(words, lasts)
    buf = allocate(shape=(BUFFER_WORDS,), dtype=np.uint64)
    ch = dma.recvchannel
    asm = FrameAssembler(CFG, caps)
    t0, b0, a0 = time.perf_counter(), board.board_seconds, board.accesses
    ch.transfer(buf)
    got = packets = 0
    total = delivered(lasts)
    while got < total:
        if not ch.idle:
            time.sleep(1e-4)
            continue
        ch.wait()
        n = ch.transferred // 8
        out = np.array(buf[:n], dtype=np.uint64)  # copy before the buffer is reused
        ch.transfer(buf)
        asm.feed(out)
        got += n
        packets += 1
    host = time.perf_counter() - t0 - (board.board_seconds - b0)
    return summary(got, packets, host, board.accesses - a0, asm)


def summary(words: int, packets: int, host_s: float, accesses: int, asm: FrameAssembler) -> dict[str, float]:
    assert asm.malformed == 0 and not asm.unexpected
    return {"words": words, "packets": packets, "host_s": host_s, "words_per_s": words / host_s,
            "us_per_packet": host_s / packets * 1e6, "words_per_packet": words / packets,
            "mmio_per_packet": accesses / packets}


def test_bench_pynq_dma_loops(stream: tuple[np.ndarray, Any]) -> None:
    words, caps = stream
    big = np.tile(words, -(-3_000_000 // words.size))  # ~3 M words
    small = big[:150_000]  # per-record packets: each costs a full loop turn
    n = P.packet_words_for(BUFFER_WORDS, P.max_record_words(caps.n_bins_log2, caps.n_channels,
                                                            caps.max_photons))
    per_record = P.packet_ends(small, 1, 0)
    today = "single buffer (today), one packet per record"
    rows = {
        "ring, PACKET_WORDS packets": ring_loop(big, P.packet_ends(big, n, 0xFFFF_FFFF), caps),
        "ring, one packet per record": ring_loop(small, per_record, caps),
        today: single_buffer_loop(small, per_record, caps),
    }
    base = rows[today]["words_per_s"]
    lines = [f"RTL stream {words.size} words ({np.mean(P.record_ends(words)):.2f} record ends per word), "
             f"PACKET_WORDS = {n}; x86, board simulation time subtracted",
             f"{'loop':46s} {'words/s':>10s} {'us/packet':>10s} {'words/packet':>13s} {'MMIO/packet':>12s} "
             f"{'x today':>8s} {'of HP port':>10s}"]
    for name, r in rows.items():
        r["ratio_to_single_buffer"] = r["words_per_s"] / base
        r["fraction_of_hp_port"] = r["words_per_s"] / HP_PORT_WORDS_S
        lines.append(f"{name:46s} {r['words_per_s']:10.3g} {r['us_per_packet']:10.1f} "
                     f"{r['words_per_packet']:13.1f} {r['mmio_per_packet']:12.1f} "
                     f"{r['ratio_to_single_buffer']:8.1f} {r['fraction_of_hp_port']:10.3f}")
    print("\n" + "\n".join(lines))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"stream_words": int(words.size), "packet_words": n, "rows": rows}, indent=1))
    assert rows["ring, PACKET_WORDS packets"]["words_per_s"] > base
