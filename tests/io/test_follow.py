# SPDX-License-Identifier: BSD-3-Clause
"""Following a file while another process writes it (``g2live.io.follow``, device ``follow``).

The writer is a separate process (``_follow_writer.py``) that copies a real file in random-sized
pieces cutting records and the header; what the follow device publishes must equal what replay
publishes from the whole file, integration by integration.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from g2live import io
from g2live.config import Config
from g2live.device import open_device
from g2live.io._common import FormatError
from g2live.io.follow import FollowStats, follow_chunks
from g2live.photons import Meta, PhotonData, t3_time_ps

WRITER = Path(__file__).with_name("_follow_writer.py")
REAL = {
    "ptu_t2": "picoquant_sample_data/picoharp_v30_t2.ptu",
    "ptu_t3": "picoquant_sample_data/hydraharp_v20_t3.ptu",
    "qutag": "eta_kth/19_qutag_80MHz_HBT_sync_filtered.qutag",
}


@pytest.fixture(scope="module")
def simulated_h5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sim") / "sim.h5"
    subprocess.run([sys.executable, "-m", "g2live", "simulate", "-o", str(path), "--duration", "0.3",
                    "--quiet"], check=True)
    return path


def _integrations(dev: object, integration_s: float, chans: list[int]) -> list:
    cfg = Config(channels=tuple(chans[:2]), pairs=((chans[0], chans[1]),), sync_channel=None,
                 integration_s=integration_s)
    dev.configure(cfg)  # type: ignore[attr-defined]
    out = []
    while (i := dev.acquire()) is not None:  # type: ignore[attr-defined]
        out.append(i)
    return out


@pytest.fixture(scope="module")
def swabian_dump(tmp_path_factory: pytest.TempPathFactory, realdata: Path) -> Path:
    """The real PicoHarp T2 photons as a Swabian 16-byte dump (inputs 1 and 2)."""
    from g2live.io import swabian

    data = io.read(realdata / REAL["ptu_t2"])
    path = tmp_path_factory.mktemp("swabian") / "picoharp.dump"
    swabian.write(path, type(data)(data.channel + 1, data.time_ps, data.meta))
    return path


@pytest.mark.parametrize("kind", ["ptu_t2", "ptu_t3", "qutag", "photon_hdf5", "swabian"])
def test_follow_device_publishes_what_replay_of_the_whole_file_does(
    kind: str, realdata: Path, simulated_h5: Path, swabian_dump: Path, tmp_path: Path
) -> None:
    src = {"photon_hdf5": simulated_h5, "swabian": swabian_dump}.get(kind) or realdata / REAL.get(kind, "")
    dst = tmp_path / f"growing{src.suffix}"
    writer = subprocess.Popen([sys.executable, str(WRITER), str(src), str(dst), "--seed", "3",
                               "--pieces", "30", "--pause-s", "0.01"])
    chans = [int(c) for c in io.info(src)["photons_per_channel"]]
    try:
        t0 = time.monotonic()
        while not dst.exists() and time.monotonic() - t0 < 30:  # the writer process starts up
            time.sleep(0.01)
        dev = open_device("follow", path=dst, idle_s=0.5, poll_s=0.01, chunk_records=50_000)
        step = 0.05 if kind == "photon_hdf5" else 0.5
        live = _integrations(dev, step, chans)
    finally:
        writer.wait(timeout=60)
    assert writer.returncode == 0
    whole = _integrations(open_device("replay", path=src), step, chans)
    assert len(live) == len(whole) > 3
    for a, b in zip(live, whole, strict=True):
        assert (a.t_start_ps, a.t_stop_ps) == (b.t_start_ps, b.t_stop_ps)
        np.testing.assert_array_equal(a.histograms, b.histograms)
        np.testing.assert_array_equal(a.counts, b.counts)
    assert int(sum(i.histograms.sum() for i in live)) > 0
    stats = dev.info()["follow"]
    assert stats["events"] == len(io.read(src))
    assert stats["trailing_bytes"] == 0 and stats["growths"] >= 2
    # PTU: the count patched into the header at the end is the format's own end mark
    assert stats["end"] == {"qutag": "idle", "swabian": "idle"}.get(kind, "format")


def _ptu_pieces(realdata: Path) -> tuple[bytes, int, int]:
    raw = (realdata / REAL["ptu_t2"]).read_bytes()
    from g2live.io import ptu

    layout = ptu.layout(realdata / REAL["ptu_t2"])
    at = raw.find(b"TTResult_NumberOfRecords".ljust(32, b"\x00")) + 40
    return raw, layout.data_offset, at


def test_half_record_waits_and_header_count_ends(realdata: Path, tmp_path: Path) -> None:
    raw, offset, at = _ptu_pieces(realdata)
    n = 5000
    head = bytearray(raw[:offset])
    head[at:at + 8] = struct.pack("<q", 0)
    dst = tmp_path / "p.ptu"
    dst.write_bytes(bytes(head) + raw[offset:offset + 4 * n + 2])  # ends inside record n
    stats = FollowStats()
    it = follow_chunks(dst, idle_s=0.3, poll_s=0.01, stats=stats)
    got = [next(it)]
    assert stats.records == n and stats.partial_waits >= 1
    with open(dst, "r+b") as fh:  # the rest of the record, one more, then the final count
        fh.seek(0, 2)
        fh.write(raw[offset + 4 * n + 2:offset + 4 * (n + 2)])
        fh.seek(at)
        fh.write(struct.pack("<q", n + 2))
    got += list(it)
    assert stats.records == n + 2 and stats.end == "format" and stats.header_changes == 1
    ref = io.read(dst)
    np.testing.assert_array_equal(np.concatenate([c.time_ps for c in got]), ref.time_ps)


def test_idle_end_counts_the_unfinished_record(realdata: Path, tmp_path: Path) -> None:
    raw, offset, at = _ptu_pieces(realdata)
    head = bytearray(raw[:offset])
    head[at:at + 8] = struct.pack("<q", 0)
    dst = tmp_path / "p.ptu"
    dst.write_bytes(bytes(head) + raw[offset:offset + 4 * 1000 + 3])
    stats = FollowStats()
    t0 = time.monotonic()
    list(follow_chunks(dst, idle_s=0.2, poll_s=0.01, stats=stats))
    assert time.monotonic() - t0 >= 0.2
    assert (stats.end, stats.records, stats.trailing_bytes) == ("idle", 1000, 3)


def test_shrinking_file_is_an_error(realdata: Path, tmp_path: Path) -> None:
    raw, offset, _ = _ptu_pieces(realdata)
    dst = tmp_path / "p.ptu"
    dst.write_bytes(raw[: offset + 4 * 2000])
    it = follow_chunks(dst, idle_s=0.3, poll_s=0.01)
    next(it)
    with open(dst, "r+b") as fh:
        fh.truncate(offset + 4 * 10)
    with pytest.raises(FormatError, match="shrank"):
        list(it)


def test_missing_file_waits_then_fails(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no readable file appeared"):
        list(follow_chunks(tmp_path / "never.ptu", idle_s=0.1, poll_s=0.01, wait_s=0.1))


def test_rotation_continues_the_time_line(realdata: Path, tmp_path: Path) -> None:
    src = realdata / REAL["ptu_t3"]
    for name in ("run_000.ptu", "run_001.ptu"):
        (tmp_path / name).write_bytes(src.read_bytes())
    stats = FollowStats()
    chunks = list(follow_chunks(tmp_path / "run_000.ptu", idle_s=0.2, poll_s=0.01, rotate=True, stats=stats))
    t = np.concatenate([c.time_ps for c in chunks])
    sync = np.concatenate([c.sync_index for c in chunks])
    ref = io.read(src)
    assert len(t) == 2 * len(ref) and stats.files[-1].endswith("run_001.ptu")
    assert np.all(np.diff(t) >= 0) and np.all(np.diff(sync) >= 0)
    # the second file is the first shifted by whole sync periods
    shift = int(sync[len(ref)] - ref.sync_index[0])
    np.testing.assert_array_equal(sync[len(ref):] - shift, ref.sync_index)
    # times by the T3 rule from the shifted periods (this file's period is not a whole ps)
    np.testing.assert_array_equal(t[len(ref):], t3_time_ps(sync[len(ref):], ref.microtime_ps,
                                                           ref.meta.sync_period_ps))
    assert int(t[len(ref)]) > int(t[len(ref) - 1])


def test_server_answers_while_the_follow_device_waits_for_the_writer(realdata: Path, tmp_path: Path) -> None:
    """While the file has no events past the next integration, the device is not ready and the
    server keeps serving control requests; appended records are then published."""
    from g2live.client import ControlClient, Subscriber
    from g2live.server import Server

    raw, offset, at = _ptu_pieces(realdata)
    head = bytearray(raw[:offset])
    head[at:at + 8] = struct.pack("<q", 0)
    dst = tmp_path / "live.ptu"
    dst.write_bytes(bytes(head) + raw[offset:offset + 4 * 20000])
    dev = open_device("follow", path=dst, idle_s=30, poll_s=0.01)
    srv = Server(dev, Config(channels=(0, 1), pairs=((0, 1),), sync_channel=None, integration_s=0.5),
                 pub="tcp://127.0.0.1:*", control="tcp://127.0.0.1:*")
    sub = Subscriber(srv.pub_endpoint, ["g2"])
    th = srv.start_thread()
    try:
        time.sleep(0.3)
        status = ControlClient(srv.control_endpoint).status()  # answered while the device waits
        assert status["device"] == "follow" and not status["source_done"]
        assert status["device_info"]["follow"]["end"] == "" and status["n_integrations"] < 2
        with open(dst, "r+b") as fh:  # the writer goes on and finishes
            fh.seek(0, 2)
            fh.write(raw[offset + 4 * 20000:])
            fh.seek(at)
            fh.write(raw[at:at + 8])
        last = sub.wait_for("g2", 30, lambda f: f.header["integration_s"] >= 7.0)
        assert last.header["device"] == "follow"
        t0 = time.monotonic()
        while not (status := ControlClient(srv.control_endpoint).status())["source_done"]:
            assert time.monotonic() - t0 < 30
            time.sleep(0.05)
        assert status["device_info"]["follow"]["end"] == "format"  # the patched record count
        assert status["device_info"]["follow"]["events"] == len(io.read(dst))
    finally:
        srv.stop_event.set()
        th.join(10)
        sub.close()


def test_following_a_ptu_gives_its_markers(tmp_path: Path) -> None:
    """Marker records of a followed PTU come with the chunks as ``PhotonData.markers`` (bit k =
    marker k), the same as reading the whole file gives."""
    from g2live.markers import marker_array, marker_numbers

    rng = np.random.default_rng(2)
    t = np.sort(rng.integers(0, 10**10, 5000))
    ch = rng.integers(0, 2, t.size).astype(np.uint8)
    mk = marker_array(rng.integers(0, 4, 30), np.sort(rng.integers(0, 10**10, 30)))
    dst = tmp_path / "marked.ptu"
    io.write(dst, PhotonData(ch, t, Meta(source="test"), markers=mk))
    got = [c for c in follow_chunks(dst, idle_s=0.2, poll_s=0.01, chunk_records=700) if c is not None]
    marks = np.concatenate([c.markers for c in got if c.markers is not None])
    np.testing.assert_array_equal(marks["marker"], mk["marker"])
    np.testing.assert_array_equal(marks["time_ps"], mk["time_ps"])
    _data, whole = io.read_with_markers(dst)
    np.testing.assert_array_equal(marker_numbers(whole, "ptu")["time_ps"], mk["time_ps"])
    np.testing.assert_array_equal(np.concatenate([c.time_ps for c in got]), t)


def test_following_a_recording_gives_its_markers(tmp_path: Path) -> None:
    """A g2live recording followed while the recorder appends chunks with markers: every marker
    arrives once, in order, and the photons are those written (the end mark ends the follow)."""
    import threading

    from g2live.io.photon_hdf5 import Recorder
    from g2live.markers import marker_array

    rng = np.random.default_rng(3)
    t = np.sort(rng.integers(0, 10**10, 6000))
    ch = rng.integers(0, 2, t.size).astype(np.uint8)
    mk = marker_array(rng.integers(0, 4, 40), np.sort(rng.integers(0, 10**10 + 10**8, 40)))
    dst = tmp_path / "marked.h5"
    cuts = np.linspace(0, t.size, 7).astype(int)
    rec = Recorder(dst, Meta(source="test"))

    def write() -> None:
        k = 0
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            last = int(t[b - 1]) if b < t.size else 2**62  # the last chunk takes the markers after it
            end = int(np.searchsorted(mk["time_ps"], last, side="right"))
            rec.append(PhotonData(ch[a:b], t[a:b], Meta(source="test"), markers=mk[k:end]))
            k = end
            time.sleep(0.05)
        rec.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        got = [c for c in follow_chunks(dst, idle_s=5, poll_s=0.01, chunk_records=700) if c is not None]
    finally:
        writer.join(30)
    marks = np.concatenate([c.markers for c in got if c.markers is not None])
    np.testing.assert_array_equal(marks, mk)
    np.testing.assert_array_equal(np.concatenate([c.time_ps for c in got]), t)
