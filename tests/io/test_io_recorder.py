"""Recording while acquiring: a Photon-HDF5 recording is readable while it is written, survives
kill -9 up to its last committed chunk, and a truncated copy is refused or read as a prefix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from g2live import io
from g2live.io.photon_hdf5 import Recorder, committed_records
from g2live.photons import Meta, PhotonData

CHUNK = 5000

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
    time.sleep(0.005)
"""


def expected(n_chunks: int) -> PhotonData:
    parts = []
    for i in range(n_chunks):
        rng = np.random.default_rng(i)
        t = i * 10**9 + np.sort(rng.integers(0, 10**9, CHUNK))
        parts.append((rng.integers(0, 2, CHUNK).astype(np.uint8), t.astype(np.int64)))
    return PhotonData(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))


def test_killed_recording_reads_up_to_last_committed_chunk(tmp_path: Path) -> None:
    path = tmp_path / "rec.h5"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(CHUNK)], stdout=subprocess.PIPE, text=True
    )
    try:
        seen = []
        while len(seen) < 6:
            line = proc.stdout.readline()
            assert line, "writer exited early"
            seen.append(int(line))
        # readable while the writer is still running (SWMR)
        live = io.read(path)
        assert len(live) >= seen[-1] and len(live) % CHUNK == 0
        assert committed_records(path) >= seen[-1]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    d = io.read(path)
    n = len(d)
    assert n >= seen[-1] and n % CHUNK == 0  # only whole committed chunks
    ref = expected(n // CHUNK)
    assert np.array_equal(d.time_ps, ref.time_ps) and np.array_equal(d.channel, ref.channel)
    assert any("recording was interrupted" in note for note in d.meta.notes)
    assert d.meta.extra["settings"] == {"dead_time_ps": [22000, 22000]}
    chunks = list(io.iter_chunks(path, chunk_records=3000))
    assert np.array_equal(np.concatenate([c.time_ps for c in chunks]), ref.time_ps)


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
