# SPDX-License-Identifier: BSD-3-Clause
"""``analyze`` streams: a file analysed in passes of small chunks gives exactly the report of the
whole recording in memory (the integer histograms, traces and counts are exact sums), for T3 and
T2, emulated and measured; nothing reads a file whole."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from g2live import io
from g2live.analysis import analyze_file, analyze_photons
from g2live.analysis.report._accumulate import PairAccumulator
from g2live.analysis.report._source import ChunkSource, run_pass
from g2live.emulator import Emulator, EmulatorConfig


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("stream")
    cfg = EmulatorConfig(collection_efficiency=0.3, power=0.3, on_mean_ms=5.0, off_mean_ms=2.0)
    out = {}
    for rec, ext in (("t3", ".h5"), ("t2", ".npz")):
        out[rec] = d / f"{rec}{ext}"
        io.write(out[rec], Emulator(cfg, seed=11, records=rec).run(0.4, chunk_s=0.05))
    spec = EmulatorConfig(mode="spectro", power=1.0, collection_efficiency=0.3, blinking="none")
    out["spectro"] = d / "spectro.h5"
    io.write(out["spectro"], Emulator(spec, seed=12).run(0.15, chunk_s=0.05))
    return out


def _same(path: Path, chunk_records: int) -> dict:
    """The streamed report, checked equal to the in-memory one (every key, every value)."""
    whole = analyze_photons(io.read(path), source=str(path))
    streamed = analyze_file(path, chunk_records=chunk_records)
    assert streamed == whole
    return streamed


@pytest.mark.parametrize("rec", ["t3", "t2"])
def test_streamed_report_equals_in_memory(recordings: dict[str, Path], rec: str) -> None:
    r = _same(recordings[rec], 5_003)  # chunks cut pairs, sync periods and trace bins anywhere
    assert r["records"] == rec.upper() and r["g2_0"] is not None and r["lifetime_ns"] is not None
    assert r["on_fraction"] is not None and not r["notes"]


def test_streamed_spectro_report_equals_in_memory(recordings: dict[str, Path]) -> None:
    r = _same(recordings["spectro"], 7_001)
    assert r["heralded"]["n_pairs"] > 300


@pytest.mark.parametrize(
    "rel", ["eta_kth/200213_HH400_T3_80MHz_HBT.timeres", "eta_kth/19_qutag_80MHz_HBT_sync_filtered.qutag"]
)
def test_streamed_report_of_measured_files(realdata: Path, rel: str) -> None:
    """A HydraHarp T3 file (non-integer period) and a quTAG T2 file with a filtered sync."""
    r = _same(realdata / rel, 65_537)
    assert r["g2_0"] is not None and r["lifetime_ns"] is not None


def test_pair_histogram_is_exact_across_chunks(recordings: dict[str, Path]) -> None:
    """The correlator's carried history makes any chunking give core.correlate's histogram."""
    from g2live import core

    d = io.read(recordings["t3"])
    acc = PairAccumulator(0, 1, 256, 4096)
    run_pass(ChunkSource.of_file(recordings["t3"], chunk_records=997), "g2", [acc])
    want = core.correlate(d.channel_times(0), d.channel_times(1), 256, 4096)
    assert acc.histogram is not None and np.array_equal(acc.histogram.counts, want)


def test_analyze_never_reads_a_file_whole(
    recordings: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bounded memory by construction: the report only ever sees chunks (io.read is not called)."""
    want = analyze_file(recordings["t3"], chunk_records=50_000)

    def refuse(*a: object, **k: object) -> None:
        raise AssertionError("analyze_file read the whole file")

    monkeypatch.setattr(io, "read", refuse)
    passes = []
    got = analyze_file(recordings["t3"], chunk_records=50_000, progress=lambda step, n: passes.append(step))
    assert got == want
    # a survey, then one main pass (g2, lifetime and blinking together): nothing read twice more
    assert list(dict.fromkeys(passes)) == ["survey", "g2, lifetime, blinking"]


def test_log_correlation_step_streams_exactly(recordings: dict[str, Path]) -> None:
    """The logcorr step (streamed, chunks cutting anywhere) equals the one-shot log correlation
    from the pair's first photon; it only runs when asked for."""
    from g2live import logcorr
    from g2live.analysis.report import ALL_STEPS

    path = recordings["t2"]
    r = analyze_file(path, chunk_records=4_999, steps=ALL_STEPS)
    assert analyze_file(path, chunk_records=4_999)["log_correlation"] is None
    lc = r["log_correlation"]
    d = io.read(path)
    a, b = d.channel_times(lc["channels"][0]), d.channel_times(lc["channels"][1])
    edges = np.array(lc["edges_ps"])
    assert edges[0] == 1000 and lc["counts"] == logcorr.correlate_edges(a, b, edges).tolist()
    want = logcorr.log_correlation(a, b, edges, origin_ps=min(int(a[0]), int(b[0])))
    got = np.array([np.nan if x is None else x for x in lc["g"]])
    np.testing.assert_array_equal(got, want)


def test_coincidence_and_heralded_g2_options_stream_exactly(recordings: dict[str, Path]) -> None:
    """analyze's coincidences / heralded_g2 (streamed in chunks) equal one call on the whole data."""
    from g2live.analysis.report import Conditioned
    from g2live.coincidence import Coincidences, HeraldedG2

    path = recordings["t2"]
    d = io.read(path)
    sync = int(np.bincount(d.channel).argmax())  # the T2 sync is the busiest channel
    cond = Conditioned(((0, 1), (0, 1, sync)), 20_000, (sync, 0, 1), 60_000, 0)
    r = analyze_file(path, chunk_records=3_001, conditioned=cond)
    c = Coincidences(cond.sets, cond.window_ps)
    c.update(d.channel, d.time_ps)
    h = HeraldedG2(sync, 0, 1, 60_000)
    h.update(d.channel, d.time_ps)
    h.flush()
    assert r["coincidences"]["counts"] == c.counts().tolist() and c.counts()[0] > 0
    hg, want = r["heralded_g2"], h.result()
    got = (hg["n_herald"], hg["n_a"], hg["n_b"], hg["n_ab"])
    assert got == (want.n_herald, want.n_a, want.n_b, want.n_ab)
    assert want.n_a > 100 and hg["g2"] == want.g2
    assert analyze_file(path)["coincidences"] is None


def test_g3_option_streams_exactly(recordings: dict[str, Path]) -> None:
    """analyze's g3 (streamed in chunks) equals one G3 over the whole data (G3 itself: exact
    against its reference in tests/core/test_coincidence.py); `--g3` on the command line too."""
    from g2live.analysis.report import Conditioned
    from g2live.coincidence import G3

    path = recordings["t2"]
    d = io.read(path)
    sync = int(np.bincount(d.channel).argmax())
    cond = Conditioned(g3=(sync, 0, 1), g3_bin_width_ps=2048, g3_n_bins=64)
    r = analyze_file(path, chunk_records=2_999, conditioned=cond)
    g = G3(sync, 0, 1, 2048, 64)
    g.update(d.channel, d.time_ps)
    g.flush()
    want = g.histogram()
    assert want.sum() > 0 and r["g3"]["counts"] == want.tolist()
    assert (r["g3"]["n_anchors"], r["g3"]["n_triples"]) == (g.n_anchors, int(want.sum()))
    assert r["g3"]["lo_ps"] == int(g.edges_ps[0]) and analyze_file(path)["g3"] is None

    out = subprocess.run([sys.executable, "-m", "g2live", "analyze", str(path), "--json", "--g3",
                          f"{sync},0,1", "--g3-bin-width-ps", "2048", "--g3-n-bins", "64"],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out)["g3"]["counts"] == want.tolist()
    bad = subprocess.run([sys.executable, "-m", "g2live", "analyze", str(path), "--g3", "0,0,1"],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "differ" in bad.stderr
