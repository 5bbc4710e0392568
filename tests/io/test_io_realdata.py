"""Every real file loads with the counts, durations and rates its SOURCE.md states, and agrees
event by event with an independent reader (ptufile for PTU, tttrlib for HT3 and SPC)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _io_expected import FILES, Expected, file_id
from g2live import io
from g2live.io import SYNC_CHANNEL
from g2live.io._common import ticks_to_ps


@pytest.fixture(scope="module")
def loaded(realdir: Path) -> dict[str, io.PhotonData]:
    return {e.rel: io.read(realdir / e.rel) for e in FILES}


@pytest.mark.parametrize("e", FILES, ids=file_id)
def test_counts_duration_rates(e: Expected, realdir: Path, loaded: dict) -> None:
    path = realdir / e.rel
    assert io.detect_format(path) == e.format
    d = loaded[e.rel]
    assert d.counts() == e.counts
    assert abs(d.duration_s() - e.duration_s) <= e.duration_tol_s
    if e.sync_rate_hz is None:
        assert d.meta.sync_rate_hz is None
    else:
        assert d.meta.sync_rate_hz == pytest.approx(e.sync_rate_hz, rel=1e-9)
    assert d.meta.resolution_ps == pytest.approx(e.resolution_ps, rel=1e-12)
    if e.records is not None:
        assert d.meta.extra["records"] == e.records
    assert (d.sync_index is not None) == e.t3
    # stream order: non-decreasing time, ascending channel on ties
    dt = np.diff(d.time_ps)
    assert (dt >= 0).all()
    assert (np.diff(d.channel.astype(int))[dt == 0] >= 0).all()
    if e.t3:
        assert (d.microtime_ps >= 0).all()


@pytest.mark.parametrize("e", [e for e in FILES if e.format == "ptu"], ids=file_id)
def test_ptu_matches_ptufile(e: Expected, realdir: Path, loaded: dict) -> None:
    ptufile = pytest.importorskip("ptufile")
    with ptufile.PtuFile(realdir / e.rel) as p:
        r = p.decode_records()
    ph = r[r["channel"] >= 0]
    d = loaded[e.rel]
    tick = d.meta.extra["tick_ps"]
    if e.t3:
        micro = ticks_to_ps(ph["dtime"].astype(np.int64), d.meta.extra["dtime_ps"])
        t = ticks_to_ps(ph["time"].astype(np.int64), tick) + micro
        order = np.lexsort((ph["channel"], t))
        assert np.array_equal(d.sync_index, ph["time"].astype(np.int64)[order])
        assert np.array_equal(d.microtime_ps, micro[order])
    else:
        t = ph["time"].astype(np.int64) * tick
        order = np.arange(t.size)
    assert np.array_equal(d.time_ps, t[order])
    assert np.array_equal(d.channel, ph["channel"].astype(np.uint8)[order])


@pytest.mark.parametrize(
    "rel,kind", [("tttrlib_hhu/Split_rh110_sm-000000.ht3", "HT3"), ("tttrlib_hhu/BH_SPC132.spc", "SPC-130")]
)
def test_matches_tttrlib(rel: str, kind: str, realdir: Path, loaded: dict) -> None:
    tttrlib = pytest.importorskip("tttrlib")
    t = tttrlib.TTTR(str(realdir / rel), kind)
    d = loaded[rel]
    macro = np.asarray(t.macro_times, dtype=np.int64)
    micro = np.asarray(t.micro_times, dtype=np.int64)
    chan = np.asarray(t.routing_channels, dtype=np.uint8)
    unit = d.meta.extra["dtime_ps"] if kind == "HT3" else d.meta.extra["microtime_resolution_ps"]
    micro_ps = ticks_to_ps(micro, unit)
    # same events; g2live puts them in stream order, tttrlib keeps file order
    ours = np.lexsort((d.microtime_ps, d.channel, d.sync_index))
    theirs = np.lexsort((micro_ps, chan, macro))
    assert np.array_equal(d.sync_index[ours], macro[theirs])
    assert np.array_equal(d.channel[ours], chan[theirs])
    assert np.array_equal(d.microtime_ps[ours], micro_ps[theirs])


def test_qutag_unsorted_file_is_sorted_with_note(realdir: Path, loaded: dict) -> None:
    d = loaded["eta_kth/19_qutag_80MHz_HBT_sync_filtered.qutag"]
    assert any("not in time order" in n for n in d.meta.notes)
    raw = np.fromfile(
        realdir / "eta_kth/19_qutag_80MHz_HBT_sync_filtered.qutag",
        dtype=[("t", "<i8"), ("c", "<u2")],
        offset=40,
    )
    assert (np.diff(raw["t"]) < 0).any()  # the file really is out of order
    order = np.lexsort((raw["c"], raw["t"]))
    assert np.array_equal(d.time_ps, raw["t"][order])
    d2 = loaded["eta_kth/200204_qutag_320MHz_HBT_sync_filtered.qutag"]
    assert not d2.meta.notes


@pytest.mark.parametrize("e", FILES, ids=file_id)
@pytest.mark.parametrize("chunk", [997, 65536])
def test_iter_chunks_equals_read(e: Expected, chunk: int, realdir: Path, loaded: dict) -> None:
    d = loaded[e.rel]
    parts = list(io.iter_chunks(realdir / e.rel, chunk_records=chunk))
    assert len(parts) > 1
    for name in ("channel", "time_ps", "sync_index", "microtime_ps"):
        whole = getattr(d, name)
        if whole is None:
            assert all(getattr(p, name) is None for p in parts)
            continue
        assert np.array_equal(np.concatenate([getattr(p, name) for p in parts]), whole), name


@pytest.mark.parametrize("e", FILES, ids=file_id)
def test_cli_info_json(e: Expected, realdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from g2live.cli import main

    assert main(["info", str(realdir / e.rel), "--json"]) == 0
    out = capsys.readouterr().out
    s = json.loads(out)
    keys = {
        "file",
        "size_bytes",
        "format",
        "format_detail",
        "instrument",
        "mode",
        "record_type",
        "records",
        "photons",
        "photons_per_channel",
        "channel_roles",
        "duration_s",
        "acquisition_s",
        "resolution_ps",
        "sync_rate_hz",
        "sync_channel",
        "overflow_records",
        "marker_records",
        "invalid_records",
        "notes",
    }
    assert set(s) == keys
    assert s["format"] == e.format
    assert s["photons_per_channel"] == {str(c): n for c, n in e.counts.items()}
    assert s["photons"] == sum(e.counts.values())
    assert s["mode"] == ("T3" if e.t3 else "T2")


def test_cli_info_text_and_error(realdir: Path, tmp_path: Path) -> None:
    cmd = [sys.executable, "-c", "import sys; from g2live.cli import main; sys.exit(main())", "info"]
    r = subprocess.run(cmd + [str(realdir / FILES[0].rel)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "photons_per_channel" in r.stdout and "ch0: 160953" in r.stdout
    bad = tmp_path / "junk.bin"
    bad.write_bytes(b"not a photon file at all")
    r = subprocess.run(cmd + [str(bad)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "junk.bin: byte 0: unknown file format" in r.stderr


def test_sync_channel_constant() -> None:
    assert SYNC_CHANNEL == 64  # documented in docs/formats.md; T2 sync events land here


@pytest.mark.parametrize("e", [e for e in FILES if e.format in ("ptu", "legacy")], ids=file_id)
def test_matches_phconvert(e: Expected, realdir: Path, loaded: dict) -> None:
    """phconvert's numpy readers (pqreader) give the same events: a third, independent decoder."""
    import warnings

    pq = pytest.importorskip("phconvert.pqreader")
    path = realdir / e.rel
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its remarks on header tags
        ts, det, nano = (pq.load_ht3 if e.format == "legacy" else pq.load_ptu)(str(path))[:3]
    photon = det != 127  # load_ht3 keeps overflow records as detector 127
    ts, det = ts[photon].astype(np.int64), det[photon].astype(np.uint8)
    d = loaded[e.rel]
    if e.t3:
        micro = ticks_to_ps(nano[photon].astype(np.int64), d.meta.extra["dtime_ps"])
        ours = np.lexsort((d.microtime_ps, d.channel, d.sync_index))
        theirs = np.lexsort((micro, det, ts))
        assert np.array_equal(d.sync_index[ours], ts[theirs])
        assert np.array_equal(d.microtime_ps[ours], micro[theirs])
        assert np.array_equal(d.channel[ours], det[theirs])
    else:
        assert np.array_equal(d.time_ps, ts * d.meta.extra["tick_ps"]) and np.array_equal(d.channel, det)
