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
        assert np.array_equal(pd.timestamps.read(), d.time_ps)
        assert np.array_equal(pd.detectors.read(), d.channel)
        assert pd.timestamps_specs.timestamps_unit.read() == 1e-12
        if e.t3:
            assert np.array_equal(pd.nanotimes.read(), d.microtime_ps)
            assert bool(h5.root.setup.lifetime.read())
            rate = pd.measurement_specs.laser_repetition_rate.read()
            assert rate == pytest.approx(d.meta.sync_rate_hz)
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
