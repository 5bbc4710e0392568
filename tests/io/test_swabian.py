# SPDX-License-Identifier: BSD-3-Clause
"""Swabian Time Tagger 16-byte tag dumps (``g2live.io.swabian``) and ``.ttbin`` (``g2live.io.ttbin``).

ETA's reader (``etabackend``, FORMAT_SI_16bytes) is the peer; it pins an old numpy, so it lives in
its own venv and is compared by tests/io/eta_swabian_check.py (docs/formats.md has the figures).
Here: the layout facts, the overflow and missed-event records, chunking, and the errors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from g2live import io
from g2live.io import swabian
from g2live.io._common import FormatError
from g2live.photons import PhotonData


def _records(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rec = np.zeros(n, dtype=swabian.RECORD)
    rec["time"] = np.sort(rng.integers(0, 10**12, n))
    rec["channel"] = rng.choice([1, 2, -3, 18], n)
    return rec


def test_layout_is_swabians_tag_struct(tmp_path: Path) -> None:
    # type u8, reserved u8, missed u16, channel i32, time i64: 16 bytes, little-endian
    raw = bytes([0, 0, 0, 0]) + (-2).to_bytes(4, "little", signed=True) + (123456789).to_bytes(8, "little")
    raw += bytes([0, 0, 0, 0]) + (5).to_bytes(4, "little") + (123456790).to_bytes(8, "little")
    path = tmp_path / "two.dump"
    path.write_bytes(raw)
    assert swabian.RECORD.itemsize == 16 and io.detect_format(path) == "swabian"
    data = io.read(path)
    assert data.channel.tolist() == [34, 5] and data.time_ps.tolist() == [123456789, 123456790]
    assert data.meta.channel_roles == {5: "input 5 rising edge", 34: "input 2 falling edge"}


def test_overflow_and_missed_events_are_counted_not_events(tmp_path: Path) -> None:
    rec = _records(1000)
    t = int(rec["time"][500])
    special = np.zeros(4, dtype=swabian.RECORD)
    special[:] = [(2, 0, 0, 0, t), (4, 0, 17, 1, t), (4, 0, 5, 2, t), (3, 0, 0, 0, t)]
    path = tmp_path / "ovf.dump"
    np.concatenate([rec[:501], special, rec[501:], np.array([(1, 0, 0, 0, t)], swabian.RECORD)]).tofile(path)
    data = io.read(path)
    assert len(data) == 1000
    np.testing.assert_array_equal(data.time_ps, rec["time"])
    extra = data.meta.extra
    assert (extra["overflow_records"], extra["missed_events"], extra["missed_event_records"],
            extra["error_records"], extra["overflow_open"], extra["records"]) == (1, 22, 2, 1, 0, 1005)
    assert any("missed events" in n for n in data.meta.notes)


def test_chunks_equal_read_and_roundtrip(tmp_path: Path) -> None:
    rec = _records(20000, seed=2)
    path = tmp_path / "r.dump"
    rec.tofile(path)
    whole = io.read(path)
    parts = list(io.iter_chunks(path, chunk_records=1234))
    np.testing.assert_array_equal(np.concatenate([p.time_ps for p in parts]), whole.time_ps)
    np.testing.assert_array_equal(np.concatenate([p.channel for p in parts]), whole.channel)
    np.testing.assert_array_equal(whole.channel, swabian.to_g2live_channel(rec["channel"]))
    again = tmp_path / "again.dump"
    swabian.write(again, whole)
    assert again.read_bytes() == path.read_bytes()


@pytest.mark.parametrize(("field", "value", "what"), [("type", 9, "type"), ("channel", 0, "channel"),
                                                      ("channel", 40, "channel"), ("time", -5, "time")])
def test_impossible_records_are_refused_with_offset(tmp_path: Path, field: str, value: int,
                                                    what: str) -> None:
    rec = _records(100)
    rec[field][37] = value
    path = tmp_path / "bad.dump"
    rec.tofile(path)
    with pytest.raises(FormatError, match=rf"byte {16 * 37}: Swabian tag {what}"):
        io.read(path)


def test_truncated_tag(tmp_path: Path) -> None:
    path = tmp_path / "t.dump"
    path.write_bytes(_records(10).tobytes() + b"\0" * 7)
    with pytest.raises(FormatError, match="7 bytes of an incomplete 16-byte tag"):
        io.read(path)
    assert len(io.read(path, allow_truncated=True)) == 10


def test_ttbin_without_swabians_library_names_the_package(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    try:
        import TimeTagger  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        path = tmp_path / "run.ttbin"
        path.write_bytes(b"\0" * 64)
        with pytest.raises(FormatError, match="swabian-timetagger"):
            io.read(path)
    else:
        pytest.skip("Swabian's TimeTagger library is installed: the error path does not apply")


def test_writer_refuses_channels_swabian_has_not(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="inputs 1..31"):
        swabian.write(tmp_path / "x.dump", PhotonData(np.array([0], np.uint8), np.array([1], np.int64)))


def _eta_python() -> str | None:
    """ETA's interpreter: ``G2LIVE_ETA_PYTHON``, else ``.venv-eta`` or ``.venv-bench`` of this
    checkout (ETA pins numpy < 2, so it never shares the suite's venv)."""
    import os

    env = os.environ.get("G2LIVE_ETA_PYTHON")
    root = Path(__file__).resolve().parents[2]
    for name in (".venv-eta", ".venv-bench"):
        if (root / name / "bin" / "python").is_file() and env is None:
            env = str(root / name / "bin" / "python")
    return env


def test_eta_reads_the_same_counts_and_timestamps(tmp_path: Path) -> None:
    """ETA (FORMAT_SI_16bytes) and g2live on the same file: identical per-channel timestamps; with
    overflow and missed-event records, ETA takes each of them as one more event on its channel
    (it reads the type bytes as an ignored int), g2live counts them apart."""
    import subprocess

    python = _eta_python()
    if python is None:
        pytest.skip("no ETA interpreter (python3 -m venv .venv-eta; .venv-eta/bin/pip install etabackend)")
    rec = _records(60000, seed=4)
    rec["channel"] = np.random.default_rng(5).choice([1, 2, 4], rec.size)
    t = int(rec["time"][30000]) + 1  # the special records' time: no tag has it
    assert t < int(rec["time"][30001])
    special = np.array([(2, 0, 0, 1, t), (4, 0, 9, 2, t), (3, 0, 0, 1, t)], dtype=swabian.RECORD)
    path, out = tmp_path / "eta.dump", tmp_path / "eta.npz"
    np.concatenate([rec[:30001], special, rec[30001:]]).tofile(path)
    peer = Path(__file__).with_name("eta_swabian_peer.py")
    subprocess.run([python, str(peer), str(path), "1,2,4", str(out)], check=True, timeout=600,
                   capture_output=True)
    eta, ours = np.load(out), io.read(path)
    assert len(ours) == rec.size and ours.meta.extra["missed_events"] == 9
    extra_events = {1: 2, 2: 1, 4: 0}  # ETA: overflow begin + end on channel 1, missed events on 2
    for c in (1, 2, 4):
        theirs = eta[f"t{c}"]
        assert int(np.count_nonzero(theirs == t)) == extra_events[c]
        np.testing.assert_array_equal(theirs[theirs != t], ours.time_ps[ours.channel == c])
