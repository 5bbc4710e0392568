# SPDX-License-Identifier: BSD-3-Clause
"""The C record decoders (cext/src/g2l_records.c) against the numpy decoders they replaced
(tests/io/_reference.py): identical PhotonData, arrays, dtypes and Meta, on every real file and on
synthetic files of every PicoQuant record type, SPC and quTAG with random records and units; on
files with records no instrument writes both refuse with the same error (file, byte offset,
message). Marker records come back apart from the photons, with their record index and time."""

from __future__ import annotations

import struct
from pathlib import Path

import _reference
import numpy as np
import pytest
from _io_expected import FILES, Expected, budget, file_id, ptu_file
from g2live import io
from g2live.io._picoquant import RECORD_TYPES
from g2live.photons import PhotonData
from hypothesis import given, settings
from hypothesis import strategies as st


def assert_identical(a: PhotonData, b: PhotonData) -> None:
    for name in ("channel", "time_ps", "sync_index", "microtime_ps"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert x.dtype == y.dtype and np.array_equal(x, y), name
    assert a.meta == b.meta


def outcome(read, path: Path, **options) -> PhotonData | str:
    try:
        return read(path, **options)
    except io.FormatError as exc:
        return f"FormatError: {exc}"


def assert_same_outcome(path: Path, **options) -> PhotonData | str:
    new, ref = outcome(io.read, path, **options), outcome(_reference.read, path, **options)
    if isinstance(ref, str) or isinstance(new, str):
        assert new == ref
    else:
        assert_identical(new, ref)
    return new


@pytest.mark.parametrize("e", FILES, ids=file_id)
def test_real_files_identical_to_the_numpy_decoder(e: Expected, realdir: Path) -> None:
    ref = _reference.read(realdir / e.rel)
    assert_identical(io.read(realdir / e.rel), ref)
    data, markers = io.read_with_markers(realdir / e.rel)
    assert_identical(data, ref)
    assert markers.dtype == io.MARKER_DTYPE and markers.size == ref.meta.extra.get("marker_records", 0)


# ---------------------------------------------------------------------------------------------
# synthetic files

GLOBAL_S = [1e-12, 4e-12, 1 / 80.02868e6, 1 / 32000664, 2.5e-8, 1 / 3e6]
BIN_S = [1e-12, 16e-12, 1.2799999949e-10, 4e-12, 3.3e-12]


def _words(rng: np.random.Generator, code: int, n: int) -> np.ndarray:
    """Mostly well-formed records of ``code`` (photons, markers, overflows, syncs) with a few
    arbitrary words: reserved codes, channels past the inputs, absurd overflow counts."""
    rt = RECORD_TYPES[code]
    kind = rng.choice(5, n, p=[0.8, 0.04, 0.1, 0.03, 0.03])
    if rt.family == "PH":
        low = rng.integers(0, 2**16 if rt.t3 else 2**28, n).astype(np.uint32)
        if rt.t3:
            low |= rng.integers(0, 4096, n).astype(np.uint32) << 16
        photon = (rng.integers(1 if rt.t3 else 0, 5, n).astype(np.uint32) << 28) | low
        marker = (np.uint32(15) << 28) | (low & ~np.uint32(0xF << (16 if rt.t3 else 0)))
        marker |= rng.integers(1, 16, n).astype(np.uint32) << (16 if rt.t3 else 0)
        ovf = (np.uint32(15) << 28) | (low & np.uint32(0xFFFF if rt.t3 else 0x0FFFFFF0))
        sync = photon
    else:
        low = rng.integers(0, 2**10 if rt.t3 else 2**25, n).astype(np.uint32)
        if rt.t3:
            low |= rng.integers(0, 2**15, n).astype(np.uint32) << 10
        photon = (rng.integers(0, 4, n).astype(np.uint32) << 25) | low
        marker = np.uint32(1 << 31) | (rng.integers(1, 16, n).astype(np.uint32) << 25) | low
        ovf = np.uint32(0xFE000000) | rng.integers(0, 3, n).astype(np.uint32)
        sync = np.uint32(1 << 31) | low
    junk = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
    return np.choose(kind, [photon, marker, ovf, sync, junk]).astype(np.uint32)


@settings(max_examples=budget(60))
@given(
    code=st.sampled_from(sorted(RECORD_TYPES)),
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 3000),
    glob_s=st.sampled_from(GLOBAL_S),
    res_s=st.sampled_from(BIN_S),
    inputs=st.sampled_from([None, 2, 4, 64]),
    stop_ms=st.sampled_from([None, 1, 1000]),
    chunk=st.integers(1, 4000),
)
def test_synthetic_ptu_identical(code: int, seed: int, n: int, glob_s: float, res_s: float,
                                 inputs: int | None, stop_ms: int | None, chunk: int,
                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    rec = _words(np.random.default_rng(seed), code, n)
    path = tmp_path_factory.mktemp("ptu") / "syn.ptu"
    path.write_bytes(ptu_file(code, rec, glob_s, res_s, inputs, stop_ms))
    new = assert_same_outcome(path)
    # chunks give read()'s events; a file whose records run backwards may be refused in chunks
    # (read() sorts it whole, iter_chunks cannot hold everything back: see iter_layout)
    if isinstance(new, PhotonData):
        try:
            parts = list(io.iter_chunks(path, chunk_records=chunk))
        except io.FormatError as exc:
            assert "run backwards" in str(exc) and any("not in time order" in x for x in new.meta.notes)
            return
        for name in ("channel", "time_ps", "sync_index", "microtime_ps"):
            if getattr(new, name) is not None:
                got = np.concatenate([getattr(p, name) for p in parts]) if parts else getattr(new, name)[:0]
                assert np.array_equal(got, getattr(new, name)), name


@settings(max_examples=budget(40))
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 3000), clock=st.sampled_from([135, 125, 1, 0xFFFFFF]),
       micro=st.sampled_from([None, 3.2958984375, 1.0, 7.7]), multi=st.integers(0, 4))
def test_synthetic_spc_identical(seed: int, n: int, clock: int, micro: float | None, multi: int,
                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    rng = np.random.default_rng(seed)
    w = rng.integers(0, 2**28, n, dtype=np.uint64).astype(np.uint32)
    flags = rng.choice(16, n, p=[0.85] + [0.01] * 15).astype(np.uint32)
    w |= flags << 28
    big = rng.random(n) < 0.002 * multi  # multiple-overflow records with absurd counts
    w[big] = np.uint32(0xC0000000) | rng.integers(2**20, 2**28, int(big.sum())).astype(np.uint32)
    path = tmp_path_factory.mktemp("spc") / "syn.spc"
    path.write_bytes(struct.pack("<I", clock) + w.astype("<u4").tobytes())
    assert_same_outcome(path, microtime_resolution_ps=micro)


@settings(max_examples=budget(40))
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 2000), bad=st.integers(0, 3))
def test_synthetic_qutag_identical(
    seed: int, n: int, bad: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    rng = np.random.default_rng(seed)
    rec = np.empty(n, dtype=[("t", "<i8"), ("c", "<u2")])
    rec["t"] = np.cumsum(rng.integers(-1000, 10**6, n)) + 10**12
    rec["c"] = rng.integers(0, 8, n)
    for _ in range(bad if n else 0):  # channels and times no quTAG writes
        k = int(rng.integers(0, n))
        if rng.random() < 0.5:
            rec["c"][k] = int(rng.integers(64, 65536))
        else:
            rec["t"][k] = int(rng.choice([-1, 2**62 + 1, -(2**63)]))
    path = tmp_path_factory.mktemp("qutag") / "syn.qutag"
    path.write_bytes(bytes.fromhex("87b391fa") + bytes(36) + rec.tobytes())
    assert_same_outcome(path)


FUZZ = [e.rel for e in FILES]


@settings(max_examples=budget(100))
@given(data=st.data())
def test_mutated_real_files_same_outcome(data: st.DataObject, realdir: Path,
                                         tmp_path_factory: pytest.TempPathFactory) -> None:
    """Mutated heads of the real files (the fuzz of test_io_bad_input.py): the C decoder and the
    numpy decoder read the same events or refuse at the same byte with the same words."""
    rel = data.draw(st.sampled_from(FUZZ))
    blob = bytearray((realdir / rel).read_bytes()[:40000])
    header = 6000 if rel.endswith((".ptu", ".timeres")) else 1000
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, min(header, len(blob) - 1)))
        blob[pos] = data.draw(st.integers(0, 255))
    path = tmp_path_factory.mktemp("fuzz") / ("m" + Path(rel).suffix)
    path.write_bytes(bytes(blob))
    assert_same_outcome(path, allow_truncated=True)


# ---------------------------------------------------------------------------------------------
# markers

def _hh(special: int, ch: int, value: int, dtime: int | None = None) -> int:
    if dtime is None:
        return (special << 31) | (ch << 25) | value
    return (special << 31) | (ch << 25) | (dtime << 10) | value


def test_markers_hh_t2_and_t3(tmp_path: Path) -> None:
    w = 2**25
    t2 = [_hh(0, 1, 5), _hh(1, 4, 11), _hh(1, 63, 2), _hh(1, 1, 40), _hh(0, 0, 7), _hh(1, 12, 9)]
    path = tmp_path / "m2.ptu"
    path.write_bytes(ptu_file(0x01010204, np.array(t2, np.uint32), 1e-12))
    data, m = io.read_with_markers(path)
    assert data.channel.tolist() == [1, 0] and data.time_ps.tolist() == [5, 2 * w + 7]
    assert m.tolist() == [(1, 11, 4), (3, 2 * w + 40, 1), (5, 2 * w + 9, 12)]
    assert data.meta.extra["marker_records"] == 3
    assert_identical(data, io.read(path))
    # T3: a marker's time is the start of its sync period (80 MHz: 12500 ps)
    t3 = [_hh(0, 0, 3, 100), _hh(1, 2, 7), _hh(1, 63, 1), _hh(1, 8, 4)]
    path = tmp_path / "m3.ptu"
    path.write_bytes(ptu_file(0x01010304, np.array(t3, np.uint32), 12.5e-9, 16e-12))
    data, m = io.read_with_markers(path)
    assert data.sync_index.tolist() == [3] and data.microtime_ps.tolist() == [1600]
    assert m.tolist() == [(1, 7 * 12500, 2), (3, (1024 + 4) * 12500, 8)]


def test_markers_picoharp_and_chunks(tmp_path: Path) -> None:
    ph2 = [(1 << 28) | 5, (15 << 28) | (100 << 4) | 3, (15 << 28), (15 << 28) | 0x20 | 8, (2 << 28) | 9]
    path = tmp_path / "m.ptu"
    path.write_bytes(ptu_file(0x00010203, np.array(ph2, np.uint32), 4e-12))
    data, m = io.read_with_markers(path)
    wrap = 210698240
    assert data.time_ps.tolist() == [20, (wrap + 9) * 4]
    assert m.tolist() == [(1, (100 * 16 + 3) * 4, 3), (3, (wrap + 0x28) * 4, 8)]
    parts = list(io.iter_chunks_with_markers(path, chunk_records=2))
    assert np.concatenate([p[1] for p in parts]).tolist() == m.tolist()
    assert np.concatenate([p[0].time_ps for p in parts]).tolist() == data.time_ps.tolist()


def test_markers_spc_and_formats_without(tmp_path: Path) -> None:
    mark = (1 << 28) | (5 << 12) | 77  # MARK, routing bits 5, macro 77
    words = [(2 << 12) | (4000 << 16) | 10, mark, (1 << 30) | 3, (3 << 12) | 20]
    path = tmp_path / "m.spc"
    path.write_bytes(struct.pack("<5I", 135, *words))
    data, m = io.read_with_markers(path)
    assert m.tolist() == [(1, 77 * 13500, 5)]
    assert data.sync_index.tolist() == [10, 4096 + 3, 4096 + 20]  # MTOV: a wrap before its record
    assert data.channel.tolist() == [2, 0, 3] and data.meta.extra["marker_records"] == 1
    npz = tmp_path / "x.npz"
    io.write(npz, data)
    d2, m2 = io.read_with_markers(npz)
    assert m2.size == 0 and m2.dtype == io.MARKER_DTYPE and np.array_equal(d2.time_ps, data.time_ps)


# ---------------------------------------------------------------------------------------------
# large files: segments decoded by several threads give the one-thread result


@settings(max_examples=budget(30))
@given(
    code=st.sampled_from(sorted(RECORD_TYPES) + ["spc"]),
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 4000),
    threads=st.integers(2, 5),
    par_min=st.integers(1, 700),
    stop_ms=st.sampled_from([None, 1]),
    table=st.booleans(),
)
def test_threads_give_the_one_thread_result(code, seed: int, n: int, threads: int, par_min: int,
                                             stop_ms: int | None, table: bool,
                                             tmp_path_factory: pytest.TempPathFactory,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Calls split among threads at any record (the C decoder's pre-scan gives each segment its
    overflow correction and output position): photons, markers, counters, order and errors
    (the same first bad record) as with one thread; and whole-ps micro-time bins looked up in a
    table (large files) as multiplied (small ones)."""
    from g2live.io import _records

    rng = np.random.default_rng(seed)
    path = tmp_path_factory.mktemp("threads") / ("t.spc" if code == "spc" else "t.ptu")
    if code == "spc":
        w = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32) & np.uint32(0x1FFFFFFF)
        w[rng.random(n) < 0.02] |= np.uint32(0xC0000000)  # overflows, a few absurd
        path.write_bytes(struct.pack("<I", 135) + w.astype("<u4").tobytes())
    else:
        res = 16e-12 if table else 3.3e-12  # a whole-ps bin (multiplied or tabulated), a fractional one
        path.write_bytes(ptu_file(code, _words(rng, code, n), 1 / 80.02868e6, res, 4, stop_ms))
    monkeypatch.setattr(_records, "THREADS", 1)
    one = outcome(io.read_with_markers, path)
    monkeypatch.setattr(_records, "THREADS", threads)
    monkeypatch.setattr(_records, "PAR_MIN", par_min)
    monkeypatch.setattr(_records, "PAR_RECORDS", 0)
    monkeypatch.setattr(_records, "TABLE_RECORDS", 0 if table else 1 << 40)
    many = outcome(io.read_with_markers, path)
    if isinstance(one, str) or isinstance(many, str):
        assert many == one
    else:
        assert_identical(many[0], one[0])
        assert many[1].tobytes() == one[1].tobytes()
