"""The emulator's stream: order, chunk continuity, sync channel, power changes, words, metadata, CLI."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import numpy as np
import pytest
from emulator_helpers import CLEAN
from g2live import core
from g2live.cli import main as cli_main
from g2live.emulator import Emulator, EmulatorConfig, predict

Z = 5.0

# A busy detector setup: every effect that carries state across chunks is switched on.
BUSY = EmulatorConfig(power=2.0, collection_efficiency=0.6, detector_efficiency=0.9, background_cps=2e5,
                      dark_cps=5e4, dead_time_ns=30.0, afterpulse_probability=0.05, afterpulse_tau_ns=40.0,
                      blinking="exponential", on_mean_ms=0.3, off_mean_ms=0.2, jitter_fwhm_ps=300.0,
                      rep_rate_hz=20e6)


def _check_stream(ch: np.ndarray, t: np.ndarray, cfg: EmulatorConfig) -> None:
    assert ch.dtype == np.uint8 and t.dtype == np.int64
    assert np.all(t[1:] >= t[:-1]), "time order"
    same = t[1:] == t[:-1]
    assert np.all(ch[1:][same] > ch[:-1][same]) or not same.any(), "(time, channel) order"
    dead = int(cfg.dead_time_ns * 1e3)
    for c in range(cfg.n_detectors):
        tc = t[ch == c]
        if tc.size > 1:
            assert np.diff(tc).min() >= dead, f"dead time violated on channel {c}"


@pytest.mark.parametrize("mode", ["hbt", "spectro"])
def test_chunks_are_one_continuous_stream(mode: str) -> None:
    cfg = replace(BUSY, mode=mode, crosstalk_probability=0.05 if mode == "spectro" else 0.0, records="t2")
    em = Emulator(cfg, seed=3)
    parts = list(em.chunks(0.02, chunk_s=0.0007))  # 0.7 ms chunks: boundaries inside bursts and blinks
    assert len(parts) == 29
    ch = np.concatenate([p.channel for p in parts])
    t = np.concatenate([p.time_ps for p in parts])
    _check_stream(ch, t, cfg)  # order and dead time hold across every chunk boundary
    # the sync channel: one tag per laser pulse, exactly on the sync grid (sync k at k * period,
    # guard_ps before its pulse)
    sync = t[ch == cfg.sync_ch]
    assert sync.size == round(0.02 * cfg.rep_rate_hz)
    assert np.all(sync == cfg.period_ps * np.arange(sync.size))
    st = em.stats
    assert st["tags"] == int(np.count_nonzero(ch != cfg.sync_ch))
    assert st["afterpulses"] > 0 and sum(st["dead_time_lost"]) > 0
    if mode == "spectro":
        assert st["crosstalk"] > 0 and st["off_array"] > 0
    # every generated avalanche is accounted for: recorded, lost in the dead time, or after the end
    generated = st["signal_detections"] + st["noise_events"] + st["secondaries_created"]
    assert generated == st["tags"] + sum(st["dead_time_lost"]) + st["after_end"]


@pytest.mark.parametrize("divider", [1, 3])
def test_t3_records_are_the_t2_stream_without_sync_events(divider: int) -> None:
    """T3 (the default) and T2 runs of one seed are one stream: the T3 photons carry sync period
    and delay by the rule of g2live.photons, and rebuilding the syncs gives the T2 tags exactly,
    chunk by chunk and for the whole run."""
    cfg = replace(BUSY, sync_divider=divider)
    t3 = list(Emulator(cfg, seed=4).chunks(0.004, chunk_s=0.0007))
    t2 = list(Emulator(replace(cfg, records="t2"), seed=4).chunks(0.004, chunk_s=0.0007))
    q = cfg.period_ps * divider
    start = 0
    for a, b in zip(t3, t2, strict=True):
        assert a.is_t3 and not b.is_t3 and a.meta.sync_period_ps == q and a.meta.sync_channel is None
        assert np.array_equal(a.time_ps, a.sync_index * q + a.microtime_ps)
        assert a.microtime_ps.min() >= 0 and a.microtime_ps.max() < q
        end = a.meta.extra["final_ps"]
        back = a.with_syncs(cfg.sync_ch, start, end)
        assert np.array_equal(back.channel, b.channel) and np.array_equal(back.time_ps, b.time_ps)
        start = end


def test_chunk_size_does_not_change_the_statistics() -> None:
    cfg = replace(BUSY, blinking="none")
    counts = []
    for chunk_s in (0.0005, 0.02):
        em = Emulator(cfg, seed=7)
        d = em.run(0.02, chunk_s=chunk_s)
        counts.append((em.stats["tags"], sum(em.stats["dead_time_lost"]), em.stats["afterpulses"]))
    for x, y in zip(*counts, strict=True):
        assert abs(x - y) < Z * np.sqrt(x + y), counts
    assert d.meta.acquisition_s == 0.02


def test_sync_divider() -> None:
    em = Emulator(replace(CLEAN, sync=True, sync_divider=4, power=0.5, records="t2"), seed=9)
    d = em.run(0.001, chunk_s=0.0003)
    s = d.channel_times(8)
    assert s.size == 10_000 // 4 and np.all(np.diff(s) == 4 * em.config.period_ps)
    assert d.meta.sync_rate_hz == pytest.approx(2.5e6)
    t3 = Emulator(replace(CLEAN, sync=True, sync_divider=4, power=0.5), seed=9).run(0.001, chunk_s=0.0003)
    assert t3.meta.sync_period_ps == 4 * em.config.period_ps and t3.meta.sync_rate_hz == pytest.approx(2.5e6)
    assert em.stats["sync_events"] == s.size


def test_set_power_between_chunks() -> None:
    cfg = replace(CLEAN, power=0.1)
    em = Emulator(cfg, seed=5)
    it = em.chunks(None, chunk_s=0.02)
    low = next(it)
    em.set_power(2.0)
    next(it)  # photons of the last low-power pulses still arrive at its start
    high = next(it)
    for part, p in ((low, 0.1), (high, 2.0)):
        expect = sum(predict(cfg, p)["signal_cps"]) * 0.02
        assert abs(len(part) - expect) < Z * np.sqrt(expect), (p, len(part), expect)
        assert part.meta.extra["power"] == p
    with pytest.raises(ValueError, match="power"):
        em.set_power(-1.0)


def test_run_metadata_and_truth() -> None:
    em = Emulator(EmulatorConfig(), seed=1)
    d = em.run(0.01)
    m = d.meta
    # T3 by default: no sync events, so no sync channel; the period states where the syncs are
    assert m.source == "g2live.emulator" and m.sync_channel is None and 8 not in m.channel_roles
    assert m.sync_rate_hz == pytest.approx(10e6) and m.sync_period_ps == 100_000 and d.is_t3
    t2 = Emulator(replace(EmulatorConfig(), records="t2"), seed=1).run(0.01).meta
    assert t2.sync_channel == 8 and t2.channel_roles[8] == "sync" and t2.sync_period_ps is None
    truth = m.extra["truth"]
    json.dumps(truth)  # plain JSON-able values
    assert truth["config"] == em.config.to_dict()
    assert EmulatorConfig.from_dict(truth["config"]) == em.config
    assert 0 < truth["g2_0_emitter"] < 1 and truth["on_fraction"] == pytest.approx(0.8)
    assert json.dumps(m.extra["stats"])


def test_words_round_trip() -> None:
    em = Emulator(replace(BUSY, blinking="none"), seed=2)
    ref = Emulator(replace(BUSY, blinking="none"), seed=2)
    words = np.concatenate(list(em.words(0.002, chunk_s=0.0005)))
    ch, t, stats = core.decode(words)
    want = ref.run(0.002, chunk_s=0.0005).with_syncs(8, 0, 2_000_000_000)  # the words carry the syncs
    assert np.array_equal(ch, want.channel) and np.array_equal(t, want.time_ps)
    assert stats.malformed == 0 and stats.out_of_order == 0 and stats.n_tags == want.time_ps.size


def test_detector_delay_moves_the_central_peak() -> None:
    delay = 23_900  # ps, like a cable-length difference
    em = Emulator(replace(CLEAN, power=1.0, collection_efficiency=0.3, tau_x_ns=1.0, tau_bx_ns=0.2,
                          detector_delay_ps=(0.0, float(delay)), sync=True), seed=8)
    d = em.run(0.05)
    assert em.config.guard_ps == int(np.ceil(8 * em.config.jitter_sigma_ps))  # positive delays need no guard
    a, b = d.channel_times(0), d.channel_times(1)
    h = core.correlate(a, b, 1000, 101)  # 1 ns bins, +-50 ns
    assert np.argmax(h) - 50 == delay // 1000
    # detector 0 starts right after its pulse, guard_ps after its sync
    micro = d.microtime_ps[d.channel == 0]
    assert abs(np.median(micro) - em.config.guard_ps - np.log(2) * 1000) < 100


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [("qy_ratio", 1.2, "qy_ratio"), ("rep_rate_hz", -1.0, "rep_rate_hz"), ("dark_cps", -5.0, "dark_cps"),
     ("mode", "foo", "mode"), ("n_pixels", 40, "n_pixels"), ("sync_channel", 1, "sync_channel"),
     ("detector_delay_ps", (1.0,), "detector_delay_ps"), ("power", float("nan"), "power"),
     ("afterpulse_probability", 1.0, "afterpulse_probability")],
)
def test_impossible_parameters_are_named(field: str, value: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Emulator(replace(EmulatorConfig(), **{field: value}))


def test_unknown_parameter_in_dict() -> None:
    with pytest.raises(ValueError, match="bogus"):
        EmulatorConfig.from_dict({"bogus": 1})


def test_cli_simulate_writes_a_recording(tmp_path, capsys) -> None:
    from g2live import io

    out = tmp_path / "rec.npz"
    rc = cli_main(["simulate", "-o", str(out), "--duration", "0.01", "--power", "0.5", "--qy-ratio", "0.2",
                   "--seed", "4", "--set", "urbach_mev=20", "--set", "sync=false", "--quiet"])
    assert rc == 0
    d = io.read(out)
    assert len(d) > 0 and set(d.counts()) <= {0, 1}
    truth = d.meta.extra["truth"]
    assert truth["config"]["qy_ratio"] == 0.2 and truth["config"]["urbach_mev"] == 20.0
    again = Emulator(EmulatorConfig.from_dict(truth["config"]), seed=4).run(0.01)
    assert np.array_equal(again.time_ps, d.time_ps)  # the file's truth reproduces it exactly
    rc = cli_main(["simulate", "-o", str(tmp_path / "bad.npz"), "--qy-ratio", "1.5"])
    assert rc == 1
    assert "qy_ratio" in capsys.readouterr().err
    rc = cli_main(["simulate", "-o", str(tmp_path / "bad.npz"), "--set", "nonsense=1"])
    assert rc == 1
    assert "nonsense" in capsys.readouterr().err
    # the output is checked (and created) before anything is emulated: a 1e6 s run fails at once
    t0 = time.perf_counter()
    rc = cli_main(["simulate", "-o", str(tmp_path / "no" / "dir.h5"), "--duration", "1e6", "--quiet"])
    assert rc == 1 and time.perf_counter() - t0 < 60 and "dir.h5" in capsys.readouterr().err
    rc = cli_main(["simulate", "-o", str(tmp_path / "x.xyz"), "--quiet"])
    assert rc == 1 and ".h5, .npz or .ptu" in capsys.readouterr().err


@pytest.mark.parametrize("ext", [".h5", ".npz", ".ptu"])
def test_cli_simulate_streams_t3_and_t2(tmp_path, ext: str) -> None:
    """simulate writes T3 by default (no sync events), T2 with --records t2, in every format; the
    streamed file equals the in-memory run of the same seed (PTU: micro-times in 4 ps bins)."""
    from g2live import io

    args = ["--duration", "0.02", "--collection", "0.3", "--seed", "6", "--chunk-s", "0.003", "--quiet"]
    assert cli_main(["simulate", "-o", str(tmp_path / f"t3{ext}"), *args]) == 0
    assert cli_main(["simulate", "-o", str(tmp_path / f"t2{ext}"), "--records", "t2", *args]) == 0
    t3, t2 = io.read(tmp_path / f"t3{ext}"), io.read(tmp_path / f"t2{ext}")
    ref = Emulator(replace(EmulatorConfig(), collection_efficiency=0.3), seed=6).run(0.02, chunk_s=0.003)
    assert t3.is_t3 and not t2.is_t3 and t3.meta.sync_period_ps == 100_000
    assert np.array_equal(t3.sync_index, ref.sync_index) and np.array_equal(t3.channel, ref.channel)
    bin_ps = 4 if ext == ".ptu" else 1
    assert np.array_equal(t3.microtime_ps, ref.microtime_ps // bin_ps * bin_ps)
    assert int(np.count_nonzero(t2.channel == 8)) == 200_000  # one sync event per pulse
    assert t3.meta.extra.get("stats", {}).get("sync_events", 200_000) == 200_000  # final stats stored


def test_docs_table_lists_every_parameter_with_its_default(repo_root) -> None:
    import re
    from dataclasses import fields

    text = (repo_root / "docs" / "emulator.md").read_text()
    text = text.split("## Parameters", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \|", text, re.M))
    cfg = EmulatorConfig()
    names = {f.name for f in fields(EmulatorConfig)} - {"extra"}
    assert set(rows) == names
    for name in names:
        d = getattr(cfg, name)
        want = f'"{d}"' if isinstance(d, str) else "()" if isinstance(d, tuple) else (
            f"{d:g}" if isinstance(d, float) else str(d))
        assert rows[name].strip() == want, name


def test_cli_simulate_never_holds_the_recording(tmp_path, monkeypatch) -> None:
    """Bounded memory by construction: simulate writes chunk by chunk (Emulator.run, which builds
    the whole recording in memory, is never called) and the file still holds every photon."""
    from g2live import io

    def refuse(*a, **k):
        raise AssertionError("simulate built the recording in memory")

    monkeypatch.setattr(Emulator, "run", refuse)
    out = tmp_path / "s.h5"
    assert cli_main(["simulate", "-o", str(out), "--duration", "0.05", "--chunk-s", "0.002", "--quiet"]) == 0
    monkeypatch.undo()
    want = Emulator(EmulatorConfig(), seed=0).run(0.05, chunk_s=0.002)
    got = io.read(out)
    assert np.array_equal(got.time_ps, want.time_ps) and np.array_equal(got.sync_index, want.sync_index)
