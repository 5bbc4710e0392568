"""g2l_coinc_hist (hw/rtl/g2l_coinc_hist.sv) against its C twin ``g2live.core.Correlator``.

This file is both the cocotb test module (run inside the simulator) and the pytest entry point.
Every output word is compared bit for bit with ``make_frame(HISTOGRAM, pair, hist)`` of the
twin's ``histograms(clear=True)`` per integration (one FRAME per enabled pair slot).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import cocotb
import numpy as np
import pytest
from common import (
    BusRun,
    Integration,
    drive_tag_bus,
    param,
    pause_pattern,
    rtl,
    run_rtl,
    run_soak,
    start_tag_bus,
    tag_beats,
)

# One build per simulator: 4 pairs, 128 bins at most, a short history (16 tags per pair and
# channel) with 32 ghosts so losses are easy to provoke and still counted exactly, and 12-bit
# bins so saturation is reachable in a short test.
PARAMS = {"N_CHANNELS": 40, "N_PAIRS": 4, "N_BINS_LOG2": 7, "HIST_DEPTH": 16, "GHOST_DEPTH": 32,
          "COUNT_W": 12}
SOURCES = rtl("g2l_fifo", "g2l_bram_sdp", "g2l_coinc_pair", "g2l_coinc_hist")


@pytest.mark.rtl
def test_g2l_coinc_hist(sim: str) -> None:
    run_rtl(sim, "g2l_coinc_hist", "test_g2l_coinc_hist", SOURCES, PARAMS)


@pytest.mark.rtl
@pytest.mark.bench
def test_g2l_coinc_hist_soak(sim: str) -> None:
    """Random configurations and streams for many integrations (``make bench``)."""
    run_soak(sim, "g2l_coinc_hist", SOURCES, PARAMS)


# ---- cocotb side ---------------------------------------------------------------------------------

Pair = tuple[int, int] | None  # None: slot disabled


@dataclass
class Config:
    pairs: Sequence[Pair]
    bin_width_ps: int
    n_bins: int
    offset_ps: int = 0


def set_config(dut, cfg: Config) -> None:
    a = b = en = 0
    for p, pr in enumerate(cfg.pairs):
        if pr is not None:
            a |= pr[0] << (6 * p)
            b |= pr[1] << (6 * p)
            en |= 1 << p
    dut.cfg_pair_a.value = a
    dut.cfg_pair_b.value = b
    dut.cfg_pair_enable.value = en
    dut.cfg_bin_width_ps.value = cfg.bin_width_ps
    dut.cfg_n_bins.value = cfg.n_bins
    dut.cfg_offset_ps.value = cfg.offset_ps & 0xFFFF_FFFF
    dut.cfg_enable.value = 1


def expected_words(integrations: Sequence[Integration]) -> tuple[list[int], list[np.ndarray]]:
    """Words the twin predicts, and its histograms per closed integration (enabled slots)."""
    from g2live import contract
    from g2live.core import Correlator, make_frame

    words: list[int] = []
    hists: list[np.ndarray] = []
    corr = None
    prev_cfg = None
    for integ in integrations:
        cfg = integ.config
        slots = [p for p, pr in enumerate(cfg.pairs) if pr is not None]
        if cfg != prev_cfg:  # the chip forgets its history when it takes a new configuration
            corr = Correlator([cfg.pairs[p] for p in slots], cfg.bin_width_ps, cfg.n_bins, cfg.offset_ps)
            prev_cfg = cfg
        corr.update(integ.channel, integ.time_ps)
        if integ.clear_after:
            corr.clear()
            continue
        if not integ.close:
            continue
        h = corr.histograms(clear=True)
        hists.append(h)
        for i, p in enumerate(slots):
            words.extend(int(w) for w in make_frame(contract.FRAME_HISTOGRAM, p, h[i]))
    return words, hists


# This block's tag bus: after a clear the bus idles two more clocks; a run ends after 40 quiet clocks.
drive = partial(drive_tag_bus, set_config=set_config, clear_hold=2, quiet_cycles=40)


async def start(dut, cfg: Config, clock: bool = True) -> None:
    """Clock (first call of a test only), reset, and the reset sweep of both banks."""
    from cocotb.triggers import ClockCycles

    await start_tag_bus(dut, cfg, set_config=set_config, clock=clock)
    await ClockCycles(dut.clk, (1 << param(dut, "N_BINS_LOG2")) + 4)


def check(run: BusRun, integrations: Sequence[Integration]) -> None:
    exp, _ = expected_words(integrations)
    got = [w for w, _ in run.words]
    # frames end with tlast on their last payload word
    lasts = [i for i, (_, last) in enumerate(run.words) if last]
    assert len(got) == len(exp), f"got {len(got)} words, twin expects {len(exp)}"
    for i, (g, e) in enumerate(zip(got, exp, strict=True)):
        assert g == e, f"word {i}: got {g:#018x}, twin {e:#018x}"
    ends, pos = [], 0
    while pos < len(exp):
        pos += 1 + (exp[pos] & 0xFFFF_FFFF)
        ends.append(pos - 1)
    assert lasts == ends, "tlast must mark exactly the last word of each frame"


# ---- stream generators ---------------------------------------------------------------------------


def random_stream(rng: np.random.Generator, n: int, channels: Sequence[int], t0: int, mean_gap_ps: int,
                  same_time: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Poisson-like tags in stream order (time, channel); a fraction repeat the previous time."""
    gaps = rng.exponential(mean_gap_ps, n).astype(np.int64)
    gaps[rng.random(n) < same_time] = 0
    t = t0 + np.cumsum(gaps)
    ch = rng.choice(np.asarray(channels, np.uint8), n)
    order = np.lexsort((ch, t))
    return ch[order], t[order]


def edge_stream(cfg: Config, t0: int, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """One start on a, stops on b at every interesting delay: bin edges, window edges +-1, zero."""
    bw, nb = cfg.bin_width_ps, cfg.n_bins
    lo = cfg.offset_ps - (nb // 2) * bw
    hi = lo + nb * bw
    ds = sorted({lo - 1, lo, lo + 1, lo + bw - 1, lo + bw, hi - bw, hi - 1, hi, 0, -1, 1,
                 cfg.offset_ps - 1, cfg.offset_ps})
    ch = [a] + [b] * len(ds)
    t = [t0] + [t0 + d for d in ds]
    order = np.lexsort((np.asarray(ch), np.asarray(t)))
    return np.asarray(ch, np.uint8)[order], np.asarray(t, np.int64)[order]


def concat(parts: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    return (np.concatenate([p[0] for p in parts]).astype(np.uint8),
            np.concatenate([p[1] for p in parts]).astype(np.int64))


T0 = (1 << 47) + 12345  # large absolute times: the differences are taken in 64 bits


# ---- cocotb tests --------------------------------------------------------------------------------


@cocotb.test()
async def random_streams(dut) -> None:
    """Random streams over several integrations, random idle cycles and random tready."""
    rng = np.random.default_rng(7)
    cfg = Config([(0, 1), (1, 0), (2, 2), (0, 3)], bin_width_ps=64, n_bins=64, offset_ps=-200)
    await start(dut, cfg)
    integs, t = [], T0
    for _ in range(4):
        ch, tt = random_stream(rng, 150, [0, 1, 2, 3, 4], t, mean_gap_ps=700)
        integs.append(Integration(ch, tt, cfg))
        t = int(tt[-1]) + int(rng.integers(0, 3000))
    run = await drive(dut, tag_beats(integs), idle=0.3, pause=pause_pattern("random", 3), seed=1)
    assert int(dut.lost_count.value) == 0, "lossless run expected: history too small for this stream"
    check(run, integs)
    assert int(dut.cfg_error.value) == 0

@cocotb.test()
async def adversarial(dut) -> None:
    """Tags every clock, equal times on different and on the same channel, delays at bin and
    window edges, negative offsets, windows wholly negative or positive, register changes
    between integrations, a clear, and boundaries that arrive while the previous dump is
    still held up by m_axis back-pressure."""
    rng = np.random.default_rng(11)
    cfgs = [
        Config([(0, 1), (1, 1), (2, 0), None], bin_width_ps=16, n_bins=32, offset_ps=-37),
        Config([None, (3, 2), (2, 3), (3, 3)], bin_width_ps=128, n_bins=128, offset_ps=5000),
        Config([(1, 0), (0, 0), (0, 1), (1, 2)], bin_width_ps=4, n_bins=16, offset_ps=-100),
        Config([(0, 1), (0, 1), (1, 1), (2, 2)], bin_width_ps=1, n_bins=2, offset_ps=0),
        Config([(0, 1), (1, 0), (0, 0), (1, 1)], bin_width_ps=256, n_bins=64, offset_ps=-40000),
    ]
    await start(dut, cfgs[0])
    integs: list[Integration] = []
    t = T0
    for k, cfg in enumerate(cfgs):
        parts = []
        for pr in cfg.pairs:
            if pr is None:
                continue
            parts.append(edge_stream(cfg, t, pr[0], pr[1]))
            t += 4 * cfg.n_bins * cfg.bin_width_ps + abs(cfg.offset_ps) + 10
        # a burst of equal times on all channels, twice on channel 0 and 1
        burst_t = t + 5
        parts.append((np.array([0, 0, 1, 1, 2, 3], np.uint8), np.full(6, burst_t, np.int64)))
        t = burst_t + 3 * cfg.n_bins * cfg.bin_width_ps + abs(cfg.offset_ps)
        ch, tt = concat(parts)
        order = np.lexsort((ch, tt))
        integs.append(Integration(ch[order], tt[order], cfg))
        # short integrations right behind: boundaries meet a dump that is still running
        for _ in range(2):
            ch2, tt2 = random_stream(rng, 12, [0, 1, 2, 3], t, mean_gap_ps=cfg.bin_width_ps * 3)
            integs.append(Integration(ch2, tt2, cfg))
            t = int(tt2[-1]) + 1
        if k == 2:  # a clear with a partial integration in flight
            ch3, tt3 = random_stream(rng, 20, [0, 1, 2, 3], t, mean_gap_ps=50)
            integs.append(Integration(ch3, tt3, cfg, clear_after=True))
            t = int(tt3[-1]) + 1
    run = await drive(dut, tag_beats(integs), idle=0.0, pause=pause_pattern("bursty", 5), seed=2)
    assert int(dut.lost_count.value) == 0
    check(run, integs)

@cocotb.test()
async def history_overflow(dut) -> None:
    """More tags inside the window than the history holds: lost_count equals exactly the pairs
    the histograms miss against the twin (summed over pairs and integrations), and the chip
    never has more in a bin than the twin."""
    depth = param(dut, "HIST_DEPTH")
    cfg = Config([(0, 1), None, None, None], bin_width_ps=32, n_bins=64, offset_ps=0)
    await start(dut, cfg)
    # 3 * depth starts on channel 0 within 100 ps, then 4 stops on channel 1 in the window
    n_a = 3 * depth
    ch = np.concatenate([np.zeros(n_a, np.uint8), np.ones(4, np.uint8)])
    t = np.concatenate([T0 + np.arange(n_a) * 2, T0 + 200 + np.arange(4) * 40]).astype(np.int64)
    integs = [Integration(ch, t, cfg)]
    run = await drive(dut, tag_beats(integs), idle=0.0, pause=None, seed=3)
    _, hists = expected_words(integs)
    got = np.array([w for w, _ in run.words][1:], dtype=np.int64)
    twin = hists[0][0]
    assert got.size == cfg.n_bins and np.all(got <= twin)
    # every overwritten start misses its pairs with the 4 stops
    assert int(dut.lost_count.value) == (n_a - depth) * 4 == int(twin.sum() - got.sum())
    assert int(dut.lost_inexact.value) == 0

    # a window wholly at positive delays; stops whose delays to overwritten starts hit the
    # window edges exactly, and a stop long after them all (the ghost counts must catch up)
    cfg = Config([(0, 1), None, None, None], bin_width_ps=32, n_bins=64, offset_ps=3000)
    lo = cfg.offset_ps - cfg.n_bins // 2 * cfg.bin_width_ps
    hi = lo + cfg.n_bins * cfg.bin_width_ps
    await start(dut, cfg, clock=False)
    starts = T0 + np.arange(n_a) * 2
    stops = np.array([T0 + lo + 10, T0 + hi - 1, T0 + hi + 2, T0 + 10 * hi])
    ch = np.concatenate([np.zeros(n_a, np.uint8), np.ones(stops.size, np.uint8)])
    integs = [Integration(ch, np.concatenate([starts, stops]).astype(np.int64), cfg)]
    run = await drive(dut, tag_beats(integs), idle=0.0, pause=None, seed=3)
    _, hists = expected_words(integs)
    got = np.array([w for w, _ in run.words][1:], dtype=np.int64)
    twin = hists[0][0]
    assert np.all(got <= twin) and twin.sum() > got.sum()
    assert int(dut.lost_count.value) == int(twin.sum() - got.sum())

    # random dense streams, both signs of the delay, auto pairs, several integrations
    rng = np.random.default_rng(17)
    cfg = Config([(0, 1), (1, 0), (2, 2), (1, 2)], bin_width_ps=16, n_bins=64, offset_ps=-150)
    await start(dut, cfg, clock=False)
    integs, t0 = [], T0
    for _ in range(3):
        ch, tt = random_stream(rng, 200, [0, 1, 2], t0, mean_gap_ps=15, same_time=0.2)
        integs.append(Integration(ch, tt, cfg))
        t0 = int(tt[-1]) + 1
    run = await drive(dut, tag_beats(integs), idle=0.1, pause=pause_pattern("random", 8), seed=4)
    _, hists = expected_words(integs)
    words = [w for w, _ in run.words]
    per = 1 + cfg.n_bins
    got = np.array([words[f * per + 1:(f + 1) * per] for f in range(len(words) // per)], np.int64)
    twin = np.concatenate(hists)
    assert got.shape == twin.shape and np.all(got <= twin)
    missed = int(twin.sum() - got.sum())
    assert missed > 100, "the stream should overflow the history"
    assert int(dut.lost_inexact.value) == 0
    assert int(dut.lost_count.value) == missed, f"lost_count {int(dut.lost_count.value)}, missed {missed}"
    dut._log.info(f"dense streams: {missed} of {int(twin.sum())} pairs missed, all counted")

    # so many overwritten tags that the ghosts overflow too: the count is flagged as a bound
    cfg = Config([(0, 1), None, None, None], bin_width_ps=64, n_bins=64, offset_ps=0)
    await start(dut, cfg, clock=False)
    n_a = depth + param(dut, "GHOST_DEPTH") + 10
    ch = np.concatenate([np.zeros(n_a, np.uint8), np.ones(1, np.uint8)])
    t = np.concatenate([T0 + np.arange(n_a), [T0 + n_a + 5]]).astype(np.int64)
    integs = [Integration(ch, t, cfg)]
    run = await drive(dut, tag_beats(integs), idle=0.0, pause=None, seed=5)
    _, hists = expected_words(integs)
    got = np.array([w for w, _ in run.words][1:], dtype=np.int64)
    assert int(dut.lost_inexact.value) == 1
    assert 0 < int(dut.lost_count.value) < int(hists[0][0].sum() - got.sum())

@cocotb.test()
async def saturation(dut) -> None:
    """Bins saturate at 2**COUNT_W - 1 instead of wrapping, and saturate_count counts exactly
    the increments that did not fit."""
    top = (1 << param(dut, "COUNT_W")) - 1
    cfg = Config([(0, 1), (1, 0), None, None], bin_width_ps=1024, n_bins=2, offset_ps=0)
    await start(dut, cfg)
    n = (top // 6) + 40   # each tag pairs with ~8 partners: bin 1 of pair 0 overflows
    ch = np.tile(np.array([0, 1], np.uint8), n)
    t = (T0 + np.repeat(np.arange(n) * 128, 2)).astype(np.int64)
    integs = [Integration(ch, t, cfg)]
    run = await drive(dut, tag_beats(integs), idle=0.0, pause=None, seed=6)
    _, hists = expected_words(integs)
    twin = hists[0]
    assert twin.max() > top, "the stream should overflow a bin"
    from g2live import contract
    from g2live.core import make_frame

    clipped = np.minimum(twin, top)
    exp = [int(w) for p in range(2) for w in make_frame(contract.FRAME_HISTOGRAM, p, clipped[p])]
    assert int(dut.lost_count.value) == 0
    assert [w for w, _ in run.words] == exp
    assert int(dut.saturate_count.value) == int(np.maximum(twin - top, 0).sum())

@cocotb.test()
async def throughput(dut) -> None:
    """Tags per clock with the bus always valid, against the pair density (partners in the
    window per tag). Logged for docs/hardware.md; a tag with no pair work takes one clock."""
    cfg = Config([(0, 1), (2, 3), (4, 4), (5, 6)], bin_width_ps=64, n_bins=128, offset_ps=0)
    await start(dut, cfg)
    rng = np.random.default_rng(5)
    window = cfg.n_bins * cfg.bin_width_ps
    results = []
    t = T0
    for label, chans, gap in [("no pair channel", [7, 8], 50), ("sparse", [0, 1, 2, 3, 7], 4000),
                              ("1 partner", [0, 1, 2, 3], window // 4),
                              ("dense", [0, 1, 2, 3, 4, 5, 6], window // 16)]:
        ch, tt = random_stream(rng, 300, chans, t, mean_gap_ps=gap, same_time=0.0)
        integ = Integration(ch, tt, cfg)
        run = await drive(dut, tag_beats([integ]), idle=0.0, pause=None, seed=4)
        check(run, [integ])
        span = run.accept_cycles[-1] - run.accept_cycles[0] + 1
        rate = len(run.accept_cycles) / span
        _, hists = expected_words([integ])
        pairs_per_tag = float(hists[0].sum()) / ch.size
        results.append((label, pairs_per_tag, rate))
        dut._log.info(f"throughput {label}: {pairs_per_tag:.2f} pairs/tag -> {rate:.3f} tags/clock")
        if label == "no pair channel":
            assert rate == 1.0, f"tags with no pair work must go at one per clock, got {rate}"
        t = int(tt[-1]) + 10 * window
    assert int(dut.lost_count.value) == 0

@cocotb.test()
async def invalid_config(dut) -> None:
    """A bin width or n_bins that is not a power of two, too many bins, or a pair on a channel
    the instance does not have: cfg_error, nothing histogrammed, tags still flow at one per
    clock; a valid configuration at the next boundary recovers."""
    nb_max = 1 << param(dut, "N_BINS_LOG2")
    n_ch = param(dut, "N_CHANNELS")
    good = Config([(0, 1), None, None, None], bin_width_ps=8, n_bins=16, offset_ps=0)
    bad = [Config([(0, 1), None, None, None], bin_width_ps=12, n_bins=16),
           Config([(0, 1), None, None, None], bin_width_ps=8, n_bins=24),
           Config([(0, 1), None, None, None], bin_width_ps=8, n_bins=2 * nb_max),
           Config([(0, n_ch), None, None, None], bin_width_ps=8, n_bins=16)]
    await start(dut, bad[0])
    t = T0
    for cfg in bad:
        ch = np.tile(np.array([0, 1], np.uint8), 20)
        tt = (t + np.arange(40) * 3).astype(np.int64)
        run = await drive(dut, tag_beats([Integration(ch, tt, cfg)]), idle=0.0, pause=None, seed=7)
        assert int(dut.cfg_error.value) == 1, f"{cfg} must be refused"
        assert run.words == [], "an invalid configuration histograms nothing"
        assert run.accept_cycles[-1] - run.accept_cycles[0] + 1 == len(run.accept_cycles)
        t = int(tt[-1]) + 1000
    ch = np.tile(np.array([0, 1], np.uint8), 20)
    tt = (t + np.arange(40) * 3).astype(np.int64)
    integ = Integration(ch, tt, good)
    run = await drive(dut, tag_beats([integ]), idle=0.0, pause=None, seed=8)
    assert int(dut.cfg_error.value) == 0
    check(run, [integ])

@cocotb.test(skip="G2L_SOAK_INTEGRATIONS" not in os.environ)
async def soak(dut) -> None:
    """Random pairs (auto, swapped, repeated), bin widths, n_bins, offsets, densities, idle and
    tready for G2L_SOAK_INTEGRATIONS integrations. Lossless integrations must match the twin
    word for word; with history overflow lost_count must equal the pairs missed."""
    n_integ = int(os.environ["G2L_SOAK_INTEGRATIONS"])
    n_pairs = param(dut, "N_PAIRS")
    nb_log2 = param(dut, "N_BINS_LOG2")
    rng = np.random.default_rng(int(os.environ.get("G2L_SOAK_SEED", "99")))
    chans = [0, 1, 2, 3, 4, 5]

    def rand_cfg() -> Config:
        pairs: list[Pair] = []
        for _ in range(n_pairs):
            pairs.append(None if rng.random() < 0.15 else
                         (int(rng.choice(chans)), int(rng.choice(chans))))
        if all(p is None for p in pairs):
            pairs[0] = (0, 1)
        bw = 1 << int(rng.integers(0, 9))
        nb = 1 << int(rng.integers(0, nb_log2 + 1))
        off = int(rng.integers(-2 * nb * bw, 2 * nb * bw + 1))
        return Config(pairs, bw, nb, off)

    cfg = rand_cfg()
    await start(dut, cfg)
    t = T0
    integs: list[Integration] = []
    for k in range(n_integ):
        if k and rng.random() < 0.3:
            cfg = rand_cfg()
        window = cfg.n_bins * cfg.bin_width_ps
        gap = max(1, int(window * rng.choice([0.02, 0.1, 0.5, 2.0]))) + 1
        ch, tt = random_stream(rng, int(rng.integers(1, 60)), chans, t, mean_gap_ps=gap,
                               same_time=float(rng.choice([0.0, 0.1, 0.4])))
        integs.append(Integration(ch, tt, cfg))
        t = int(tt[-1]) + int(rng.integers(1, 2 * window + 2))
    run = await drive(dut, tag_beats(integs), idle=float(rng.choice([0.0, 0.3])),
                      pause=pause_pattern("random", 12), seed=13)
    exp, hists = expected_words(integs)
    lost = int(dut.lost_count.value)
    dut._log.info(f"soak: {n_integ} integrations, {len(exp)} words, lost_count {lost}")
    if lost == 0:
        check(run, integs)
    else:
        got = np.array([w for w, _ in run.words], np.uint64)
        assert got.size == len(exp)
        twin_total = sum(int(h.sum()) for h in hists)
        headers = np.zeros(got.size, bool)
        pos = 0
        while pos < got.size:
            headers[pos] = True
            pos += 1 + int(got[pos] & np.uint64(0xFFFF_FFFF))
        assert np.array_equal(got[headers], np.array(exp, np.uint64)[headers])
        assert int(dut.lost_inexact.value) == 0
        assert lost == twin_total - int(got[~headers].astype(np.int64).sum())

