"""g2l_stream_out (hw/rtl/g2l_stream_out.sv): TAG/ROLLOVER/LOST words and whole frames on one stream.

Both the cocotb module and the pytest entry point. Raw tags with times crossing several epochs,
loss pulses of every cause and frames from every source go in under random output back-pressure;
the stream must carry every raw tag in order with a ROLLOVER before the first tag of each epoch
(and after reset), per-(channel, cause) LOST counts summing exactly to the pulses, and every frame
whole, in order, never interleaved with other words.
"""

from __future__ import annotations

import random
from collections import deque

import cocotb
import numpy as np
import pytest
from common import StreamSink, param, pause_pattern, reset, rtl, run_rtl, start_clock

PARAMS = {"N_CHANNELS": 3, "N_SRC": 2}
FRAME_KIND = 0xF  # top nibble of the bench's frame words: no tag-word kind uses it


@pytest.mark.rtl
def test_g2l_stream_out(sim: str) -> None:
    run_rtl(sim, "g2l_stream_out", "test_g2l_stream_out", rtl("g2l_stream_out"), PARAMS)


# ---- cocotb side -----------------------------------------------------------------------------

async def run_stream(dut, seed: int, cycles: int, p_raw: float, p_lost: float, p_frame: float,
                     ready: str) -> dict:
    from cocotb.triggers import FallingEdge, ReadOnly

    rng = random.Random(seed)
    n = param(dut, "N_CHANNELS")
    n_src = param(dut, "N_SRC")
    start_clock(dut)
    dut.clear.value = 0
    dut.raw_valid.value = 0
    dut.raw_channel.value = 0
    dut.raw_time.value = 0
    dut.raw_last.value = 0
    dut.lost_c0.value = 0
    dut.lost_c1.value = 0
    dut.lost_c2.value = 0
    dut.s_frame_tdata.value = 0
    dut.s_frame_tvalid.value = 0
    dut.s_frame_tlast.value = 0
    dut.m_axis_tready.value = 0
    await reset(dut)
    sink = StreamSink(dut, pause=pause_pattern(ready, seed)).start()
    t = (3 << 48) - 20_000  # starts just before an epoch boundary
    raw_q: deque[tuple[int, int]] = deque()
    raw_sent: list[tuple[int, int, int]] = []  # (channel, time, last)
    frames: list[deque[tuple[int, int]]] = [deque() for _ in range(n_src)]
    frames_sent: list[list[tuple[int, int]]] = [[] for _ in range(n_src)]
    n_frames = [0] * n_src
    lost = np.zeros((3, n), np.int64)  # [cause, channel]
    quiet = 0
    cyc = 0
    while True:
        await FallingEdge(dut.clk)
        active = cyc < cycles
        cyc += 1
        if not active:
            sink.pause = None  # drain at full rate
        if active and rng.random() < p_raw:
            for _ in range(rng.randrange(1, 6)):  # a burst lands in the raw FIFO
                t += rng.randrange(1, 4000) if rng.random() > 0.01 else rng.randrange(1 << 47)
                raw_q.append((rng.randrange(n), t))
        for s in range(n_src):
            if active and not frames[s] and rng.random() < p_frame:
                length = rng.randrange(1, 8)
                for w in range(length):
                    data = (FRAME_KIND << 60) | (s << 56) | (n_frames[s] << 16) | w
                    frames[s].append((data, int(w == length - 1)))
                n_frames[s] += 1
        if raw_q:
            dut.raw_valid.value = 1
            dut.raw_channel.value = raw_q[0][0]
            dut.raw_time.value = raw_q[0][1]
            dut.raw_last.value = int(len(raw_q) == 1)
        else:
            dut.raw_valid.value = 0
        fv = [int(bool(q)) for q in frames]  # AXI-Stream: valid stays up until taken
        dut.s_frame_tvalid.value = sum(v << s for s, v in enumerate(fv))
        dut.s_frame_tdata.value = sum(q[0][0] << (64 * s) for s, q in enumerate(frames) if q)
        dut.s_frame_tlast.value = sum(q[0][1] << s for s, q in enumerate(frames) if q)
        pulses = [[active and rng.random() < p_lost for _ in range(n)] for _ in range(3)]
        for cause, sig in enumerate((dut.lost_c0, dut.lost_c1, dut.lost_c2)):
            sig.value = sum(1 << c for c in range(n) if pulses[cause][c])
            lost[cause] += np.array(pulses[cause], np.int64)
        await ReadOnly()
        if raw_q and int(dut.raw_ready.value):
            c, tt = raw_q.popleft()
            raw_sent.append((c, tt, int(not raw_q)))
        fr = int(dut.s_frame_tready.value)
        for s in range(n_src):
            if fv[s] and fr >> s & 1:
                frames_sent[s].append(frames[s].popleft())
        busy = active or raw_q or any(frames) or sink.valid
        quiet = 0 if busy else quiet + 1
        if quiet > 3 * n + 10:  # pending LOST words drain one a clock
            break
    sink.stop()
    words = sink.take().pairs()
    return {"n": n, "n_src": n_src, "raw": raw_sent, "frames": frames_sent, "lost": lost, "words": words}


def check(res: dict) -> None:
    from g2live import contract as k

    n = res["n"]
    epoch = None
    tags: list[tuple[int, int, int]] = []
    lost = np.zeros((3, n), np.int64)
    per_src: list[list[tuple[int, int]]] = [[] for _ in range(res["n_src"])]
    in_frame = None
    rollovers = 0
    for w, last in res["words"]:
        kind = k.KIND.get(w)
        if in_frame is not None:
            assert kind == FRAME_KIND and (w >> 56) & 0xF == in_frame, "frame interleaved with other words"
        if kind == k.KIND_ROLLOVER:
            assert last == 0
            new = k.ROLLOVER_EPOCH.get(w)
            assert new != epoch, "ROLLOVER repeats the current epoch"
            epoch = new
            rollovers += 1
        elif kind == k.KIND_TAG:
            assert epoch is not None, "TAG before the first ROLLOVER"
            tags.append((k.TAG_CHANNEL.get(w), (epoch << k.TIME_BITS) | k.TAG_TIME_PS.get(w), last))
            assert k.TAG_FLAGS.get(w) == 0
        elif kind == k.KIND_LOST:
            assert last == 1
            cnt = k.LOST_COUNT.get(w)
            assert cnt > 0, "LOST word with a zero count"
            lost[k.LOST_CAUSE.get(w), k.LOST_CHANNEL.get(w)] += cnt
        elif kind == FRAME_KIND:
            s = (w >> 56) & 0xF
            per_src[s].append((w, last))
            in_frame = None if last else s
        else:
            raise AssertionError(f"unexpected word kind {kind} in {w:#018x}")
    assert tags == res["raw"], "raw tags: order, channel, full time, tlast"
    epochs = {tt >> k.TIME_BITS for _, tt, _ in res["raw"]}
    assert len(epochs) >= 3 and rollovers == len(epochs), "one ROLLOVER per epoch entered"
    np.testing.assert_array_equal(lost, res["lost"], "LOST counts per (cause, channel)")
    assert per_src == res["frames"], "frames whole and in order per source"
    assert all(len(f) > 10 for f in res["frames"])


@cocotb.test()
async def mixed_backpressure(dut) -> None:
    """Raw bursts, losses and frames from every source under random output stalls."""
    check(await run_stream(dut, 1, 3000, 0.15, 0.02, 0.05, "random"))

@cocotb.test()
async def overload(dut) -> None:
    """More raw input than the output carries: LOST words still get out, counts stay exact."""
    check(await run_stream(dut, 2, 2000, 0.6, 0.1, 0.1, "none"))
