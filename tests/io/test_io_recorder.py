# SPDX-License-Identifier: BSD-3-Clause
"""Recording while acquiring: a Photon-HDF5 recording is readable while it is written, survives
kill -9 up to its last committed chunk, and a truncated copy is refused or read as a prefix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from g2live import io
from g2live.io.photon_hdf5 import Recorder, committed_records
from g2live.photons import Meta, PhotonData

CHUNK = 5000

# Appends chunk i (seeded by i, so the test can rebuild it) every argv[3] seconds and prints the
# committed count after each append. chunk_records=1024 does not divide CHUNK: every append rewrites
# the last, partly filled compressed HDF5 chunk, the case where a torn write would corrupt old rows.
WRITER = r"""
import sys, time
import numpy as np
from g2live.io.photon_hdf5 import Recorder
from g2live.photons import Meta, PhotonData

def chunk(i, n):
    rng = np.random.default_rng(i)
    t = i * 10**9 + np.sort(rng.integers(0, 10**9, n))
    return PhotonData(rng.integers(0, 2, n).astype(np.uint8), t.astype(np.int64))

meta = Meta(source="test writer", format="Photon-HDF5", sync_rate_hz=None)
rec = Recorder(sys.argv[1], meta, chunk_records=1024, settings={"dead_time_ps": [22000, 22000]})
for i in range(10**6):
    rec.append(chunk(i, int(sys.argv[2])))
    print(rec.count, flush=True)
    time.sleep(float(sys.argv[3]))
"""


def expected(n_chunks: int) -> PhotonData:
    parts = []
    for i in range(n_chunks):
        rng = np.random.default_rng(i)
        t = i * 10**9 + np.sort(rng.integers(0, 10**9, CHUNK))
        parts.append((rng.integers(0, 2, CHUNK).astype(np.uint8), t.astype(np.int64)))
    return PhotonData(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))


def start_writer(path: Path, pause_s: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(CHUNK), str(pause_s)], stdout=subprocess.PIPE, text=True
    )


def committed_lines(proc: subprocess.Popen[str], n: int) -> list[int]:
    seen = []
    while len(seen) < n:
        line = proc.stdout.readline()
        assert line, "writer exited early"
        seen.append(int(line))
    return seen


def kill(proc: subprocess.Popen[str]) -> list[int]:
    """SIGKILL the writer; return the counts it had committed and printed but we had not read."""
    os.kill(proc.pid, signal.SIGKILL)
    rest = [int(line) for line in proc.stdout.read().split()]
    proc.wait(timeout=30)
    return rest


def assert_exact_prefix(d: PhotonData, ref: PhotonData) -> None:
    n = len(d)
    assert n % CHUNK == 0, f"{n} rows is not a whole number of appended chunks"
    assert np.array_equal(d.time_ps, ref.time_ps[:n]), "recovered timestamps differ from what was written"
    assert np.array_equal(d.channel, ref.channel[:n]), "recovered channels differ from what was written"


def assert_recovered(path: Path, printed: list[int]) -> PhotonData:
    """After a kill: exactly the last committed append is recovered, never less, never a partial one.
    The writer commits before it prints, so the file holds the last printed count or one more chunk."""
    d = io.read(path)
    n = len(d)
    assert n in (printed[-1], printed[-1] + CHUNK), f"recovered {n} rows, writer last printed {printed[-1]}"
    assert_exact_prefix(d, expected(n // CHUNK))
    assert any(f"recovered the {n} records" in note for note in d.meta.notes), d.meta.notes
    assert committed_records(path) == n
    return d


def test_killed_recording_reads_up_to_last_committed_chunk(tmp_path: Path) -> None:
    path = tmp_path / "rec.h5"
    proc = start_writer(path, 0.005)
    try:
        seen = committed_lines(proc, 6)
        # readable while the writer is still running (SWMR): a committed prefix, bit for bit
        live = io.read(path)
        assert len(live) >= seen[-1]
        assert_exact_prefix(live, expected(len(live) // CHUNK))
        assert committed_records(path) >= len(live)
    finally:
        rest = kill(proc)
    d = assert_recovered(path, seen + rest)
    assert d.meta.extra["settings"] == {"dead_time_ps": [22000, 22000]}
    chunks = list(io.iter_chunks(path, chunk_records=3000))
    assert np.array_equal(np.concatenate([c.time_ps for c in chunks]), d.time_ps)


@pytest.mark.parametrize("delay_ms", [0, 3, 11])
def test_kill_mid_append_recovers_last_committed_chunk(tmp_path: Path, delay_ms: int) -> None:
    """The writer appends back to back, so the kill lands inside resize/write/flush/commit at a
    point that varies with the delay and the machine load."""
    path = tmp_path / "rec.h5"
    proc = start_writer(path, 0.0)
    try:
        seen = committed_lines(proc, 3)
        time.sleep(delay_ms / 1000)
    finally:
        rest = kill(proc)
    assert_recovered(path, seen + rest)


def test_reads_during_appends_see_only_committed_rows(tmp_path: Path) -> None:
    """Readers racing the writer: every read is a whole committed prefix, bit for bit (a reader that
    took the extents before the count used to see a count above the extents here)."""
    path = tmp_path / "rec.h5"
    proc = start_writer(path, 0.001)
    lengths = []
    try:
        committed_lines(proc, 1)
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            d = io.read(path)
            assert_exact_prefix(d, expected(len(d) // CHUNK))
            assert committed_records(path) >= len(d)
            lengths.append(len(d))
    finally:
        kill(proc)
    assert len(lengths) >= 5 and lengths == sorted(lengths) and lengths[-1] > lengths[0]


def test_count_above_stored_rows_is_refused(tmp_path: Path) -> None:
    """A committed count no append could have produced (rows missing) is corruption, not a prefix."""
    path = tmp_path / "bad.h5"
    with Recorder(path, Meta(source="t"), chunk_records=2048) as rec:
        rec.append(expected(2))
    with h5py.File(path, "r+") as f:
        f["/user/g2live/committed_records"][()] = np.int64(3 * CHUNK)
    with pytest.raises(io.FormatError, match="timestamps holds 10000 rows, fewer than the 15000 committed"):
        io.read(path)
    with h5py.File(path, "r+") as f:
        f["/user/g2live/committed_records"][()] = np.int64(2 * CHUNK)
        f["/photon_data/detectors"].resize((CHUNK,))
    with pytest.raises(io.FormatError, match="detectors holds 5000 rows, fewer than the 10000 committed"):
        io.read(path)


def test_truncated_copy_is_refused_or_a_prefix(tmp_path: Path) -> None:
    path = tmp_path / "full.h5"
    ref = expected(8)
    with Recorder(path, Meta(source="t"), chunk_records=2048) as rec:
        for i in range(8):
            rec.append(ref.select(slice(i * CHUNK, (i + 1) * CHUNK)))
    blob = path.read_bytes()
    outcomes = set()
    for frac in (0.05, 0.3, 0.5, 0.7, 0.9, 0.99):
        cut = tmp_path / f"cut{frac}.h5"
        cut.write_bytes(blob[: int(len(blob) * frac)])
        try:
            d = io.read(cut)
        except io.FormatError as exc:
            assert str(cut) in str(exc)
            outcomes.add("refused")
            continue
        assert np.array_equal(d.time_ps, ref.time_ps[: len(d)])
        outcomes.add("prefix")
    assert outcomes  # every cut was handled one way or the other


def test_recorder_t3_and_order_checks(tmp_path: Path) -> None:
    meta = Meta(source="t3 test", sync_rate_hz=80e6, channel_roles={0: "a", 1: "b"})
    path = tmp_path / "t3.h5"
    sync = np.arange(10, dtype=np.int64)
    micro = np.full(10, 100, dtype=np.int64)
    d = PhotonData(np.zeros(10, np.uint8), sync * 12500 + micro, meta, sync, micro)
    rec = Recorder(path, meta, t3=True, chunk_records=4)
    rec.append(d.select(slice(0, 6)))
    with pytest.raises(ValueError, match="before the last recorded event"):
        rec.append(d.select(slice(0, 2)))
    with pytest.raises(ValueError, match="needs sync_index"):
        rec.append(PhotonData(np.zeros(1, np.uint8), np.array([10**9])))
    rec.append(d.select(slice(6, 10)))
    rec.close()
    with pytest.raises(ValueError, match="closed"):
        rec.append(d)
    back = io.read(path)
    assert np.array_equal(back.sync_index, sync) and np.array_equal(back.microtime_ps, micro)
    assert back.meta == meta and not back.meta.notes
