# SPDX-License-Identifier: BSD-3-Clause
"""Writing: Photon-HDF5 and npz round trips are lossless; written Photon-HDF5 passes phconvert's
validator; written PTU reads back identically with ptufile and with g2live."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from _io_expected import FILES, Expected, file_id
from g2live import io
from g2live.io import SYNC_CHANNEL, qutag
from g2live.photons import Meta, PhotonData


def assert_same(a: PhotonData, b: PhotonData, meta: bool = True) -> None:
    for name in ("channel", "time_ps", "sync_index", "microtime_ps"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert x.dtype == y.dtype and np.array_equal(x, y), name
    if meta:
        assert a.meta == b.meta


@pytest.mark.parametrize("e", FILES, ids=file_id)
@pytest.mark.parametrize("ext", [".npz", ".h5"])
def test_lossless_round_trip(e: Expected, ext: str, realdir: Path, tmp_path: Path) -> None:
    d = io.read(realdir / e.rel)
    out = tmp_path / f"copy{ext}"
    io.write(out, d)
    back = io.read(out)
    assert_same(d, back)
    assert back.meta.extra == d.meta.extra and back.meta.channel_roles == d.meta.channel_roles
    parts = list(io.iter_chunks(out, chunk_records=50000))
    assert len(parts) == -(-len(d) // 50000)
    for name in ("channel", "time_ps", "sync_index", "microtime_ps"):
        if getattr(d, name) is not None:
            assert np.array_equal(np.concatenate([getattr(p, name) for p in parts]), getattr(d, name))


@pytest.mark.parametrize("e", [FILES[0], FILES[2], FILES[4], FILES[8]], ids=file_id)
def test_photon_hdf5_valid_for_phconvert(e: Expected, realdir: Path, tmp_path: Path) -> None:
    phc = pytest.importorskip("phconvert")
    d = io.read(realdir / e.rel)
    out = tmp_path / "valid.h5"
    io.write(out, d, source_file=Path(e.rel).name)
    tables = pytest.importorskip("tables")
    h5 = tables.open_file(str(out), "r")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # optional fields (author, wavelengths) are only warnings
            phc.hdf5.assert_valid_photon_hdf5(h5, warnings=False, strict_description=True)
        pd = h5.root.photon_data
        assert np.array_equal(pd.detectors.read(), d.channel)
        if e.t3:  # T3: timestamps count laser periods, nanotimes count TCSPC bins (the spec's T3 form)
            unit_ps = pd.timestamps_specs.timestamps_unit.read() * 1e12
            assert unit_ps == pytest.approx(d.meta.sync_period_ps, rel=1e-12)
            assert np.array_equal(pd.timestamps.read(), d.sync_index)
            bin_s = pd.nanotimes_specs.tcspc_unit.read()
            res = d.meta.resolution_ps  # a whole-ps resolution is the bin; SPC's 3.2959 ps is stored in ps
            assert bin_s * 1e12 == pytest.approx(res if float(res).is_integer() else 1.0)
            assert np.array_equal(pd.nanotimes.read() * round(bin_s * 1e12), d.microtime_ps)
            n_bins = pd.nanotimes_specs.tcspc_num_bins.read()
            assert n_bins > d.microtime_ps.max() // round(bin_s * 1e12)
            assert pd.nanotimes_specs.tcspc_range.read() == pytest.approx(n_bins * bin_s)
            assert bool(h5.root.setup.lifetime.read())
            rate = pd.measurement_specs.laser_repetition_rate.read()
            assert rate == pytest.approx(d.meta.sync_rate_hz)
        else:
            assert np.array_equal(pd.timestamps.read(), d.time_ps)
            assert pd.timestamps_specs.timestamps_unit.read() == 1e-12
    finally:
        h5.close()


def test_photon_hdf5_t3_loads_in_phconvert(tmp_path: Path) -> None:
    """An emulated T3 recording, written by ``simulate``'s writer, loads with phconvert's loader
    (which validates it) and gives the same periods, nanotimes and macrotimes."""
    phc = pytest.importorskip("phconvert")
    from g2live.emulator import Emulator, EmulatorConfig

    d = Emulator(EmulatorConfig(collection_efficiency=0.2), seed=5).run(0.02, chunk_s=0.005)
    assert d.is_t3 and d.meta.sync_period_ps == 100_000
    out = tmp_path / "t3.h5"
    io.write(out, d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h5 = phc.hdf5.load_photon_hdf5(str(out), strict_description=True)
    try:
        pd = h5.root.photon_data
        ts, nano = pd.timestamps.read(), pd.nanotimes.read()
        unit, bin_s = pd.timestamps_specs.timestamps_unit.read(), pd.nanotimes_specs.tcspc_unit.read()
        assert np.array_equal(ts, d.sync_index) and np.array_equal(nano, d.microtime_ps)
        assert unit == 1e-7 and bin_s == 1e-12
        assert pd.nanotimes_specs.tcspc_num_bins.read() == 100_000
        # the Photon-HDF5 macrotime, timestamps x unit + nanotimes x tcspc_unit, is g2live's time_ps
        assert np.array_equal(np.rint((ts * unit + nano * bin_s) * 1e12).astype(np.int64), d.time_ps)
    finally:
        h5.close()


def test_foreign_photon_hdf5_reads_units(tmp_path: Path) -> None:
    """A Photon-HDF5 file from another writer (no /user/g2live): units converted to ps."""
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "foreign.h5"
    ts = np.array([3, 5, 5, 1000], dtype=np.int64)
    with h5py.File(path, "w") as f:
        f["/photon_data/timestamps"] = ts
        f["/photon_data/detectors"] = np.array([1, 0, 1, 0], dtype=np.uint8)
        f["/photon_data/timestamps_specs/timestamps_unit"] = 12.5e-9
        f["/acquisition_duration"] = 1.0
    d = io.read(path)
    assert np.array_equal(d.time_ps, ts * 12500)
    assert d.meta.acquisition_s == 1.0 and d.meta.resolution_ps == pytest.approx(12500)
    # events 1 and 2 tie in time: stream order puts channel 0 first
    assert list(d.channel) == [1, 0, 1, 0]


def _synthetic_t2(seed: int = 7, max_gap: int = 2**36) -> PhotonData:
    rng = np.random.default_rng(seed)
    n = 20000
    # rare long gaps force overflow records counting many 2**25 ps wraps (and, beyond 2**50 ps,
    # several overflow records in a row)
    gaps = np.where(rng.random(n) < 0.01, rng.integers(0, max_gap, n), rng.integers(0, 300000, n))
    t = np.cumsum(gaps).astype(np.int64)
    ch = rng.choice(np.array([0, 1, 5, SYNC_CHANNEL], np.uint8), n)
    order = np.lexsort((ch, t))
    return PhotonData(ch[order], t[order], Meta(source="synthetic", format="test"))


@pytest.mark.parametrize("max_gap", [2**36, 2**52])
def test_ptu_write_reads_back_with_g2live(max_gap: int, tmp_path: Path) -> None:
    d = _synthetic_t2(max_gap=max_gap)
    out = tmp_path / "syn.ptu"
    io.write(out, d)
    back = io.read(out)
    assert np.array_equal(back.time_ps, d.time_ps) and np.array_equal(back.channel, d.channel)
    assert back.meta.sync_channel == SYNC_CHANNEL and back.meta.extra["sync_records"] == int(
        np.count_nonzero(d.channel == SYNC_CHANNEL)
    )
    chunks = list(io.iter_chunks(out, chunk_records=777))
    assert np.array_equal(np.concatenate([c.time_ps for c in chunks]), d.time_ps)


def test_ptu_write_reads_back_with_ptufile(tmp_path: Path) -> None:
    """ptufile as independent reader; gaps stay below 128 wraps, where its 32-bit product of the
    overflow count and the wrap is still exact (see g2live.io.ptu)."""
    ptufile = pytest.importorskip("ptufile")
    d = _synthetic_t2(max_gap=127 * 2**25)
    out = tmp_path / "syn.ptu"
    io.write(out, d)
    with ptufile.PtuFile(out) as p:
        assert p.tags["TTResultFormat_TTTRRecType"] == 0x00010207
        r = p.decode_records()
    ph = r[r["channel"] >= 0]
    assert np.array_equal(ph["time"].astype(np.int64), d.time_ps)
    # ptufile reports the sync (special channel 0) as channel 0; g2live keeps it apart
    expect = np.where(d.channel == SYNC_CHANNEL, 0, d.channel)
    assert np.array_equal(ph["channel"].astype(np.uint8), expect)


def test_ptu_t2_markers_read_back_with_g2live_and_ptufile(tmp_path: Path) -> None:
    """Markers 0..3 (``PhotonData.markers``) become PTU T2 marker records of lines 1..4: g2live's
    reader and ptufile give back their times and bits (``1 << m``), also across overflows, a
    chunk of markers alone and markers after the last photon."""
    ptufile = pytest.importorskip("ptufile")
    from g2live.markers import marker_array

    d = _synthetic_t2(max_gap=127 * 2**25)
    rng = np.random.default_rng(4)
    mt = np.sort(rng.integers(0, int(d.time_ps[-1]) + 10**9, 60))
    mk = marker_array(rng.integers(0, 4, mt.size), mt)
    out = tmp_path / "marked.ptu"
    half = int(np.searchsorted(d.time_ps, mt[30]))
    cut = int(np.searchsorted(mk["time_ps"], d.time_ps[half - 1], side="right"))
    with io.open_writer(out, d.meta) as w:
        w.append(PhotonData(d.channel[:half], d.time_ps[:half], d.meta, markers=mk[:cut]))
        w.append(PhotonData(d.channel[:0], d.time_ps[:0], d.meta, markers=mk[cut:cut + 3]))
        w.append(PhotonData(d.channel[half:], d.time_ps[half:], d.meta, markers=mk[cut + 3:]))
    back, marks = io.read_with_markers(out)
    assert np.array_equal(back.time_ps, d.time_ps) and np.array_equal(back.channel, d.channel)
    np.testing.assert_array_equal(marks["time_ps"], mk["time_ps"])
    np.testing.assert_array_equal(marks["marker"], 1 << mk["marker"].astype(np.int64))
    with ptufile.PtuFile(out) as p:
        r = p.decode_records()
    pm = r[r["marker"] > 0]
    np.testing.assert_array_equal(pm["time"].astype(np.int64), mk["time_ps"])
    np.testing.assert_array_equal(pm["marker"], 1 << mk["marker"].astype(np.int64))
    with pytest.raises(ValueError, match="marker lines 1..4"):
        bad = PhotonData(d.channel, d.time_ps, d.meta, markers=marker_array(np.array([4]), np.array([0])))
        io.write(tmp_path / "bad.ptu", bad)


def test_ptu_t3_write_reads_back_with_g2live_and_ptufile(tmp_path: Path) -> None:
    """Emulated T3 (10 MHz, 1 ps micro-times) as HydraHarp T3 v2 records: the 100 ns period needs
    4 ps dtime bins in 15 bits, so micro-times are floored to 4 ps; g2live and ptufile then read
    the same sync indices, dtimes and channels, written in chunks or at once."""
    ptufile = pytest.importorskip("ptufile")
    from g2live.emulator import Emulator, EmulatorConfig

    d = Emulator(EmulatorConfig(collection_efficiency=0.3), seed=8).run(0.3, chunk_s=0.05)
    assert d.is_t3 and d.sync_index is not None and d.microtime_ps is not None
    whole, chunked = tmp_path / "whole.ptu", tmp_path / "chunked.ptu"
    io.write(whole, d)
    w = io.open_writer(chunked, d.meta, t3=True)
    for a in range(0, len(d), 1000):
        w.append(d.slice(a, a + 1000))
    w.close()
    for path in (whole, chunked):
        back = io.read(path)
        assert back.is_t3 and back.meta.sync_period_ps == 100_000 and back.meta.resolution_ps == 4.0
        assert np.array_equal(back.sync_index, d.sync_index) and np.array_equal(back.channel, d.channel)
        assert np.array_equal(back.microtime_ps, d.microtime_ps // 4 * 4)
        with ptufile.PtuFile(path) as p:
            assert p.tags["TTResultFormat_TTTRRecType"] == 0x01010304
            r = p.decode_records()
        ph = r[r["channel"] >= 0]
        assert np.array_equal(ph["time"].astype(np.int64), back.sync_index)
        assert np.array_equal(ph["dtime"].astype(np.int64) * 4, back.microtime_ps)
        assert np.array_equal(ph["channel"].astype(np.uint8), back.channel)


def test_ptu_t3_write_real_file_exactly(realdir: Path, tmp_path: Path) -> None:
    """The 80.03 MHz HydraHarp T3 file (non-integer period, 16 ps bins) written back as T3: every
    sync index, micro-time and time equal, also read in chunks."""
    e = FILES[0]
    d = io.read(realdir / e.rel)
    out = tmp_path / "t3.ptu"
    io.write(out, d)
    back = io.read(out)
    assert_same(d, back, meta=False)
    assert back.meta.sync_period_ps == d.meta.sync_period_ps == 12495.520355952392
    chunks = list(io.iter_chunks(out, chunk_records=4096))
    assert np.array_equal(np.concatenate([c.time_ps for c in chunks]), d.time_ps)


@pytest.mark.parametrize("e", [FILES[1], FILES[4]], ids=file_id)
def test_ptu_write_real_t2(e: Expected, realdir: Path, tmp_path: Path) -> None:
    d = io.read(realdir / e.rel)
    out = tmp_path / "re.ptu"
    io.write(out, d)
    back = io.read(out)
    assert np.array_equal(back.time_ps, d.time_ps) and np.array_equal(back.channel, d.channel)
    chunks = list(io.iter_chunks(out, chunk_records=4096))
    assert np.array_equal(np.concatenate([c.time_ps for c in chunks]), d.time_ps)


def test_ptu_write_refuses_what_it_cannot_hold(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="negative"):
        io.write(tmp_path / "a.ptu", PhotonData(np.array([0], np.uint8), np.array([-1])))
    with pytest.raises(ValueError, match="channels 0..62"):
        io.write(tmp_path / "b.ptu", PhotonData(np.array([63], np.uint8), np.array([1])))
    with pytest.raises(ValueError, match="not supported"):
        io.write(tmp_path / "c.qutag", PhotonData(np.array([0], np.uint8), np.array([1])), format="qutag")


def test_npz_rejects_pickles_and_bad_arrays(tmp_path: Path) -> None:
    p = tmp_path / "bad.npz"
    np.savez(p, channel=np.zeros(2, np.int32), time_ps=np.zeros(2, np.int64), meta=np.array("{}"))
    with pytest.raises(io.FormatError, match="channel is int32"):
        io.read(p)
    p2 = tmp_path / "obj.npz"
    np.savez(
        p2, channel=np.array([object()], dtype=object), time_ps=np.zeros(1, np.int64), meta=np.array("{}")
    )
    with pytest.raises(io.FormatError):
        io.read(p2)


def test_cli_convert(realdir: Path, tmp_path: Path) -> None:
    src = realdir / FILES[7].rel
    cmd = [sys.executable, "-c", "import sys; from g2live.cli import main; sys.exit(main())", "convert"]
    for name in ("out.h5", "out.npz"):
        r = subprocess.run(
            cmd + [str(src), str(tmp_path / name)], capture_output=True, text=True, timeout=120
        )
        assert r.returncode == 0, r.stderr
        assert "181023 events" in r.stdout
        assert_same(io.read(src), io.read(tmp_path / name))
    r = subprocess.run(
        cmd + [str(src), str(tmp_path / "out.txt")], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 1 and "cannot tell the output format" in r.stderr


def test_qutag_writer_round_trip(realdir: Path, tmp_path: Path) -> None:
    src = realdir / "eta_kth/200204_qutag_320MHz_HBT_sync_filtered.qutag"
    d = io.read(src)
    out = tmp_path / "copy.qutag"
    qutag.write(out, d, header=src.read_bytes()[:40])
    assert out.read_bytes() == src.read_bytes()  # this file is in order, so the bytes are identical
    back = io.read(out, sync_channel=5)
    assert back.meta.sync_channel == 5 and back.meta.channel_roles[5] == "sync"
