# SPDX-License-Identifier: BSD-3-Clause
"""The sim back-end gives, integration by integration, exactly what the C twins give in one call."""

from __future__ import annotations

import numpy as np
import pytest
from g2live import core
from g2live.config import Config
from g2live.device import open_device
from g2live.device.sim import SimDevice, heralded_rows
from g2live.device.sources import ArraySource, PhotonSource
from g2live.photons import PhotonData


def dense_stream(seed: int, duration_ps: int = 20_000_000_000) -> PhotonData:
    """Poisson edges on detectors 0..2 (tens of MHz: many inside the dead time) and a 10 MHz sync."""
    rng = np.random.default_rng(seed)
    chans, times = [], []
    for c, rate in ((0, 3e7), (1, 2e7), (2, 1e7)):
        n = rng.poisson(rate * duration_ps * 1e-12)
        times.append(np.sort(rng.integers(0, duration_ps, n)))
        chans.append(np.full(n, c, np.uint8))
    sync = np.arange(0, duration_ps, 100_000, dtype=np.int64)
    times.append(sync)
    chans.append(np.full(sync.size, 8, np.uint8))
    ch, t = np.concatenate(chans), np.concatenate(times)
    order = np.lexsort((ch, t))
    return PhotonData(ch[order], t[order])


def split(data: PhotonData, rng: np.random.Generator, n_parts: int) -> list[PhotonData]:
    cuts = np.sort(rng.integers(0, len(data), n_parts))
    return [
        PhotonData(c, t)
        for c, t in zip(np.split(data.channel, cuts), np.split(data.time_ps, cuts), strict=True)
    ]


@pytest.mark.parametrize("seed", [1, 2])
def test_integrations_sum_to_one_call(seed: int) -> None:
    data = dense_stream(seed)
    cfg = Config(
        channels=(0, 1, 2, 8),
        pairs=((0, 1), (1, 2), (0, 0)),
        dead_time_ps={0: 30_000, 1: 45_000, 2: 0},
        delay_ps={0: -7_000, 1: 12_345, 2: 0, 8: -50},
        bin_width_ps=250,
        n_bins=512,
        offset_ps=333,
        integration_s=0.001,
        sync_channel=8,
        max_photons=5,
    )
    rng = np.random.default_rng(seed)
    dev = SimDevice(PhotonSource(split(data, rng, 37), t0_ps=0))
    dev.configure(cfg)
    dev.start()
    integs = []
    while (i := dev.acquire()) is not None:
        integs.append(i)
    assert integs[-1].last_input
    for a, b in zip(integs[:-1], integs[1:], strict=True):
        assert a.t_stop_ps == b.t_start_ps  # contiguous integrations
    fc, ft, fdead = core.frontend(
        data.channel, data.time_ps, cfg.dead_array(), cfg.delays_array(), cfg.enable_mask()
    )
    assert fdead[0] > 1000 and fdead[1] > 1000  # the dead time really acted, across chunk boundaries too
    ref = core.Correlator(list(cfg.pairs), cfg.bin_width_ps, cfg.n_bins, cfg.offset_ps)
    ref.update(fc, ft)
    np.testing.assert_array_equal(sum(i.histograms for i in integs), ref.histograms())
    np.testing.assert_array_equal(sum(i.counts for i in integs), core.rates(fc, 64))
    np.testing.assert_array_equal(sum(i.dead for i in integs), fdead)
    pc = core.PulsedCounter(8, cfg.max_photons)
    pr = pc.update(fc, ft)
    np.testing.assert_array_equal(sum(i.photon_number for i in integs), pr.photon_number)
    np.testing.assert_array_equal(np.concatenate([i.heralded for i in integs]), heralded_rows(pr.heralded))
    # each integration holds exactly the tags of its time range
    for i in integs[1:6]:  # (the first one also holds the tags delayed to before t0)
        m = (ft >= i.t_start_ps) & (ft < i.t_stop_ps)
        np.testing.assert_array_equal(i.counts, core.rates(fc[m], 64))


def test_trace_and_raw_tags(hbt_data: PhotonData) -> None:
    cfg = Config(integration_s=0.1, trace_bin_ps=30_000_000_000, raw_tags=True)  # 30 ms: last bin partial
    dev = open_device("sim", source=ArraySource(hbt_data))
    dev.configure(cfg)
    i = dev.acquire()
    assert i is not None and i.trace is not None and i.tag_words is not None
    assert i.trace.size == 4  # 30 + 30 + 30 + 10 ms
    det = (hbt_data.channel != 8) & (hbt_data.time_ps < i.t_stop_ps)
    assert i.trace.sum() == det.sum()
    ch, t, stats = core.decode(i.tag_words)
    m = hbt_data.time_ps < i.t_stop_ps
    np.testing.assert_array_equal(ch, hbt_data.channel[m])
    np.testing.assert_array_equal(t, hbt_data.time_ps[m])
    assert stats.malformed == 0


def test_clear_starts_a_new_run(hbt_data: PhotonData) -> None:
    dev = open_device("sim", source=ArraySource(hbt_data))
    dev.configure(Config(integration_s=0.1))
    first = dev.acquire()
    dev.clear()
    second = dev.acquire()
    assert first is not None and second is not None
    assert second.t_start_ps >= first.t_stop_ps  # time goes on; nothing is counted twice


def test_unknown_device() -> None:
    with pytest.raises(ValueError, match="unknown back-end 'fpga'"):
        open_device("fpga")


def test_tdc_twin_quantises_like_the_chip(hbt_data: PhotonData) -> None:
    """With the chip's TDC as a twin, raw tags are the quantised times, split over the integrations
    exactly where the un-quantised times would put them (a TDC never moves an edge out of its
    clock cycle and the integrations are whole cycles)."""
    from g2live.tdc import IdealTdc

    q = IdealTdc(4000, 14, phase_ps=0)
    cfg = Config(integration_s=0.02, raw_tags=True)
    dev = SimDevice(ArraySource(hbt_data), tdc=q)
    ref = SimDevice(ArraySource(hbt_data))
    dev.configure(cfg)
    ref.configure(cfg)
    got, want = [], []
    for _ in range(3):
        a, b = dev.acquire(), ref.acquire()
        assert a is not None and b is not None
        np.testing.assert_array_equal(a.counts, b.counts)
        got.append(core.decode(a.tag_words)[1])
        want.append(q.quantize(core.decode(b.tag_words)[1]))
    g, w = np.concatenate(got), np.concatenate(want)
    np.testing.assert_array_equal(g, w)
    assert g.size > 1000 and np.any(g != hbt_data.time_ps[: g.size]), "the twin must move times"
