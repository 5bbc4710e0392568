"""Legacy PicoQuant headers built field by field from the documented layout: g2live and
phconvert's independent PT3/HT3 header parsers must agree on the records and rates."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from g2live import io
from g2live.io import SYNC_CHANNEL


def _text(ident: str, version: str) -> bytes:
    return struct.pack(
        "<16s6s18s12s18s2s256s",
        ident.encode(),
        version.encode(),
        b"test",
        b"1.0",
        b"26/11/26 10:00:00",
        b"\r\n",
        b"synthetic legacy file",
    )


def picoharp_file(
    mode: int,
    records: np.ndarray,
    cnt_rate0: int = 40_000_000,
    res_ns: float = 0.004,
    stop_after_ms: int = 1000,
) -> bytes:
    main = struct.pack("<18i", 0, 32, 4, 1, 0, mode, 0, 0, 0, stop_after_ms, 0, 0, 0, 0, 0, 0, 0, 0)
    main += (
        struct.pack("<16i", *([0] * 16)) + struct.pack("<9f", *([0.0] * 9)) + struct.pack("<4i", 0, 0, 0, 0)
    )
    main += struct.pack("<20s", b"")
    board = struct.pack(
        "<16s8s6if2i24i", b"PicoHarp 300", b"2.0", 1234, 1, 10, 100, 10, 100, res_ns, 0, 0, *([0] * 24)
    )
    tttr = struct.pack("<9i", 0, 0, 0, cnt_rate0, 5000, stop_after_ms, 0, records.size, 0)
    return _text("PicoHarp 300", "2.0") + main + board + tttr + records.astype("<u4").tobytes()


def hydraharp_file(
    mode: int,
    version: str,
    records: np.ndarray,
    sync_rate: int = 20_000_000,
    res_ps: float = 8.0,
    inputs: int = 2,
    img_words: int = 3,
) -> bytes:
    main = struct.pack("<6id10i", 0, 32, 0, mode, 0, 0, res_ps, 0, 1000, 0, 0, 0, 0, 0, 0, 0, 0)
    main += (
        struct.pack("<16i", *([0] * 16)) + struct.pack("<9f", *([0.0] * 9)) + struct.pack("<4i", 0, 0, 0, 0)
    )
    main += struct.pack("<20s16s8s2i", b"", b"HydraHarp 400", b"930021", 1001, 1) + struct.pack(
        "<20i", *([0] * 20)
    )
    main += struct.pack("<dq8i", 1.0, 3, inputs, 0, 0, 0, 8, 50, 10, 0)
    chans = b"".join(struct.pack("<4i", 0, 50, 10, 0) for _ in range(inputs))
    rates = struct.pack(f"<{inputs}i", *range(100, 100 + inputs))
    tail = struct.pack("<4iq", sync_rate, 1000, 0, img_words, records.size) + bytes(4 * img_words)
    return _text("HydraHarp", version) + main + chans + rates + tail + records.astype("<u4").tobytes()


def _pt3_records(n: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    photon = (rng.integers(1, 5, n).astype(np.uint32) << 28) | (
        rng.integers(0, 4096, n).astype(np.uint32) << 16
    )
    photon |= np.sort(rng.integers(0, 65536, n)).astype(np.uint32)
    rec = photon.copy()
    rec[::50] = np.uint32(15) << 28  # overflows
    return rec


def test_pt3_agrees_with_phconvert(tmp_path: Path) -> None:
    pq = pytest.importorskip("phconvert.pqreader")
    rec = _pt3_records(5000)
    path = tmp_path / "syn.pt3"
    path.write_bytes(picoharp_file(3, rec))
    d = io.read(path)
    assert io.detect_format(path) == "legacy" and d.meta.format == "PT3"
    assert d.meta.sync_rate_hz == 40_000_000 and d.meta.resolution_ps == 4.0
    assert d.meta.extra["sync_divider"] == 1 and d.meta.extra["records"] == 5000
    ts, det, nano, meta = pq.load_pt3(str(path))[:4]
    photon = det < 15  # phconvert keeps overflow records (detector 15)
    ours = np.lexsort((d.microtime_ps, d.channel, d.sync_index))
    theirs = np.lexsort((nano[photon], det[photon], ts[photon]))
    assert np.array_equal(d.sync_index[ours], ts[photon][theirs].astype(np.int64))
    assert np.array_equal(d.channel[ours] + 1, det[photon][theirs])  # phconvert keeps routing 1..4
    assert np.array_equal(d.microtime_ps[ours], nano[photon][theirs].astype(np.int64) * 4)
    assert meta["timestamps_unit"] == pytest.approx(1 / 40_000_000)


def test_pt2_ticks_are_4ps(tmp_path: Path) -> None:
    t = np.array([5, 9, 2**28 - 1], dtype=np.uint32)
    rec = np.array([(1 << 28) | t[0], (0 << 28) | t[1], (15 << 28), (2 << 28) | t[2]], dtype=np.uint32)
    path = tmp_path / "syn.pt2"
    path.write_bytes(picoharp_file(2, rec))
    d = io.read(path)
    assert d.meta.format == "PT2" and d.meta.sync_rate_hz is None
    assert d.channel.tolist() == [1, 0, 2]
    assert d.time_ps.tolist() == [20, 36, (210698240 + 2**28 - 1) * 4]


@pytest.mark.parametrize("version,wrap", [("1.0", 33552000), ("2.0", 2 * 2**25)])
def test_ht2_sync_and_overflow(version: str, wrap: int, tmp_path: Path) -> None:
    rec = np.array([(0 << 25) | 10, (1 << 31) | 20, 0xFE000002, (1 << 25) | 30], dtype=np.uint32)
    path = tmp_path / "syn.ht2"
    path.write_bytes(hydraharp_file(2, version, rec))
    d = io.read(path)
    assert d.meta.format == "HT2" and d.meta.resolution_ps == 1.0
    assert d.channel.tolist() == [0, SYNC_CHANNEL, 1]
    assert d.time_ps.tolist() == [10, 20, wrap + 30]
    assert d.meta.sync_channel == SYNC_CHANNEL and d.meta.sync_rate_hz == 20_000_000


def test_ht3_v2_layout_with_image_header(tmp_path: Path) -> None:
    rec = np.array([(1 << 25) | (7 << 10) | 3, 0xFE000005, (0 << 25) | (9 << 10) | 4], dtype=np.uint32)
    path = tmp_path / "syn.ht3"
    path.write_bytes(hydraharp_file(3, "2.0", rec, sync_rate=20_000_000, res_ps=8.0, inputs=4, img_words=5))
    d = io.read(path)
    assert d.sync_index.tolist() == [3, 5 * 1024 + 4]
    assert d.microtime_ps.tolist() == [56, 72]
    assert d.time_ps.tolist() == [3 * 50000 + 56, (5 * 1024 + 4) * 50000 + 72]
    assert d.meta.extra["input_channels"] == 4 and d.meta.extra["input_rates"] == [100, 101, 102, 103]


def test_legacy_header_errors(tmp_path: Path) -> None:
    rec = _pt3_records(100)
    good = picoharp_file(3, rec)
    cases = {
        "short.pt3": (good[:300], "file identification block"),
        "mode.pt3": (good[:348] + struct.pack("<i", 1) + good[352:], "MeasurementMode is 1"),
        "more.pt3": (good[:-8], "header claims 100 records, file holds 98"),
        "ident.pt3": (b"TimeHarp 200\x00\x00\x00\x00" + good[16:], "not a PicoQuant legacy TTTR file"),
    }
    for name, (blob, msg) in cases.items():
        p = tmp_path / name
        p.write_bytes(blob)
        with pytest.raises(io.FormatError, match=msg) as exc:
            io.read(p, format="legacy")
        assert name in str(exc.value) and "byte" in str(exc.value)
    d = io.read(tmp_path / "more.pt3", allow_truncated=True)
    assert any("truncated file" in n for n in d.meta.notes)


@pytest.mark.parametrize("mode,channel,limit", [(3, 6, "0..3"), (2, 9, "0..4")])
def test_picoharp_channel_beyond_the_router(mode: int, channel: int, limit: str, tmp_path: Path) -> None:
    """PicoHarp 300 records carry routing channels 1..4 (T3; 0..3 here) or inputs 0..4 (T2): a
    record with another number cannot come from the instrument."""
    rec = _pt3_records(100) if mode == 3 else np.arange(100, dtype=np.uint32) << 8
    rec[37] = (np.uint32(channel) << 28) | (rec[37] & np.uint32(0x0FFFFFFF))
    blob = picoharp_file(mode, rec)
    path = tmp_path / f"chan.pt{mode}"
    path.write_bytes(blob)
    offset = len(blob) - 4 * (100 - 37)
    msg = rf"byte {offset}: channel {channel - (mode == 3)} does not exist on a PicoHarp 300 T{mode} "
    with pytest.raises(io.FormatError, match=msg + rf"\(channels {limit};"):
        io.read(path)


def test_ht3_channel_beyond_the_declared_inputs(tmp_path: Path) -> None:
    rec = np.array([(1 << 25) | (7 << 10) | 3, (4 << 25) | (9 << 10) | 4], dtype=np.uint32)
    path = tmp_path / "chan.ht3"
    path.write_bytes(hydraharp_file(3, "2.0", rec, inputs=5))
    assert len(io.read(path)) == 2
    path.write_bytes(hydraharp_file(3, "2.0", rec, inputs=4))
    with pytest.raises(io.FormatError, match=r"channel 4 does not exist on a HydraHarp 400 T3 \(v2 records\) "
                       r"\(channels 0..3;"):
        io.read(path)
