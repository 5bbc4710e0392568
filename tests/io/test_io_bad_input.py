"""Bad input: truncated files, wrong magic, unknown record types, corrupted headers, files that
claim more records than they hold and records their instrument cannot produce (negative or absurd
times, times past the measurement time the header states, channels the device does not have)
raise FormatError naming the file and byte offset; fuzzed real files and random bytes never raise
anything else. Examples the fuzzing found are kept as fixed regression cases."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from _io_expected import FILES, budget
from g2live import io
from g2live.io._common import MAX_TIME_PS
from g2live.photons import Meta, PhotonData
from hypothesis import given, settings
from hypothesis import strategies as st

PTU = "picoquant_sample_data/hydraharp_v20_t3.ptu"
QUTAG = "eta_kth/200204_qutag_320MHz_HBT_sync_filtered.qutag"


def _tag_offset(blob: bytes, name: str) -> int:
    pos = blob.index(name.encode())
    assert pos >= 16
    return pos


def _write(tmp: Path, name: str, blob: bytes) -> Path:
    p = tmp / name
    p.write_bytes(blob)
    return p


def test_ptu_errors(realdir: Path, tmp_path: Path) -> None:
    blob = (realdir / PTU).read_bytes()
    rt = _tag_offset(blob, "TTResultFormat_TTTRRecType")
    nrec = _tag_offset(blob, "TTResult_NumberOfRecords")
    header_end = _tag_offset(blob, "Header_End") + 48
    n = struct.unpack_from("<q", blob, nrec + 40)[0]
    cases = [
        ("magic.ptu", b"PQTTTX\0\0" + blob[8:], "byte 0: not a PTU file"),
        ("trunc_header.ptu", blob[:2000], r"byte \d+: file ends \(at 2000 bytes\) inside the tag header"),
        (
            "rectype.ptu",
            blob[: rt + 40] + struct.pack("<q", 0x00FF0307) + blob[rt + 48 :],
            "unknown TTTR record type 0x00FF0307",
        ),
        (
            "claims.ptu",
            blob[: nrec + 40] + struct.pack("<q", n + 10) + blob[nrec + 48 :],
            f"byte {header_end + 4 * n}: header claims {n + 10} records, file holds {n}",
        ),
        (
            "trunc_records.ptu",
            blob[: header_end + 4 * 1000 + 2],
            f"header claims {n} records, file holds 1000",
        ),
        (
            "tagtype.ptu",
            blob[: rt + 36] + struct.pack("<I", 0x7777) + blob[rt + 40 :],
            f"byte {rt + 36}: tag TTResultFormat_TTTRRecType: unknown tag type",
        ),
        ("tagname.ptu", blob[:rt] + b"\x01\x02" + blob[rt + 2 :], f"byte {rt}: corrupted tag header"),
        (
            "resolution.ptu",
            blob.replace(struct.pack("<d", 6.399999974426862e-11), struct.pack("<d", float("inf"))),
            "header values are not usable",
        ),
    ]
    for name, data, msg in cases:
        with pytest.raises(io.FormatError, match=msg) as exc:
            io.read(_write(tmp_path, name, data), format="ptu")
        assert str(tmp_path / name) in str(exc.value)
    # explicit partial read of the truncated file, with a note
    d = io.read(tmp_path / "trunc_records.ptu", allow_truncated=True)
    assert d.meta.extra["records"] == 1000 and any("truncated file" in x for x in d.meta.notes)
    full = io.read(realdir / PTU)
    assert not full.meta.notes  # this file is in time order, so the partial read is its prefix
    k = len(d)
    assert 0 < k < len(full)
    for name in ("channel", "time_ps", "sync_index", "microtime_ps"):
        assert np.array_equal(getattr(d, name), getattr(full, name)[:k])


def test_overflow_records_that_run_past_int64_are_refused(tmp_path: Path) -> None:
    rec = np.full(300_000, 0xFFFFFFFF, dtype=np.uint32)  # special, ch 63, count 2**25-1: absurd gaps
    rec[::2] = 5  # photons
    data = PhotonData(np.zeros(1, np.uint8), np.zeros(1, np.int64))
    p = tmp_path / "base.ptu"
    io.write(p, data)
    blob = p.read_bytes()
    nrec = _tag_offset(blob, "TTResult_NumberOfRecords")
    blob = blob[: nrec + 40] + struct.pack("<q", 1 + rec.size) + blob[nrec + 48 :] + rec.tobytes()
    with pytest.raises(io.FormatError, match="corrupted records"):
        io.read(_write(tmp_path, "huge.ptu", blob))


def test_qutag_and_spc_errors(realdir: Path, tmp_path: Path) -> None:
    q = (realdir / QUTAG).read_bytes()
    with pytest.raises(io.FormatError, match="byte 0: not a quTAG binary file"):
        io.read(_write(tmp_path, "a.qutag", b"\0\0\0\0" + q[4:]), format="qutag")
    with pytest.raises(io.FormatError, match=f"byte {len(q) - 10}: 7 bytes of an incomplete record"):
        io.read(_write(tmp_path, "b.qutag", q[:-3]))
    d = io.read(tmp_path / "b.qutag", allow_truncated=True)
    assert len(d) == 211772 and any("truncated" in n for n in d.meta.notes)
    with pytest.raises(io.FormatError, match="byte 30: file ends inside the 40-byte quTAG header"):
        io.read(_write(tmp_path, "c.qutag", q[:30]))
    bad_ch = bytearray(q)
    bad_ch[40 + 8 : 40 + 10] = struct.pack("<H", 300)
    with pytest.raises(io.FormatError, match="byte 48: channel 300 > 63: no quTAG has that input"):
        io.read(_write(tmp_path, "d.qutag", bytes(bad_ch)))
    s = (realdir / "tttrlib_hhu/BH_SPC132.spc").read_bytes()
    with pytest.raises(io.FormatError, match="not a multiple of 4-byte records"):
        io.read(_write(tmp_path, "a.spc", s[:-1]))
    notes = io.read(tmp_path / "a.spc", allow_truncated=True).meta.notes
    assert any("truncated file: the last 3 bytes" in n for n in notes)
    with pytest.raises(io.FormatError, match="byte 0: macro-time clock period is 0"):
        io.read(_write(tmp_path, "b.spc", b"\0\0\0\x98" + s[4:]))


def test_detect_format_errors(tmp_path: Path) -> None:
    with pytest.raises(io.FormatError, match="holds histograms"):
        io.detect_format(_write(tmp_path, "h.phu", b"PQHISTO\0" + bytes(100)))
    with pytest.raises(io.FormatError, match=r"byte 0: unknown file format .* extension '\.dat'"):
        io.read(_write(tmp_path, "x.dat", bytes(64)))
    with pytest.raises(io.FormatError, match="not a readable HDF5 file"):
        io.read(_write(tmp_path, "x.h5", b"\x89HDF\r\n\x1a\n" + bytes(100)))
    with pytest.raises(io.FormatError, match="not a readable .npz"):
        io.read(_write(tmp_path, "x.npz", b"PK\x03\x04" + bytes(100)))
    with pytest.raises(ValueError, match="allow_truncated do not apply to npz"):
        io.read(tmp_path / "x.npz", allow_truncated=True)
    with pytest.raises(ValueError, match="unknown format"):
        io.read(tmp_path / "x.npz", format="tiff")


FUZZ = [e.rel for e in FILES if e.format in ("ptu", "legacy", "qutag", "spc")]


@pytest.fixture(scope="module")
def heads(realdir: Path) -> dict[str, bytes]:
    # header plus a few thousand records keeps each fuzz case fast
    return {rel: (realdir / rel).read_bytes()[:40000] for rel in FUZZ}


def _read_or_formaterror(path: Path, allow_truncated: bool) -> None:
    try:
        # Photon-HDF5 and npz have no allow_truncated option (asking for it is a usage error)
        opts = {"allow_truncated": True} if allow_truncated else {}
        if opts and path.read_bytes()[:4] in (b"\x89HDF", b"PK\x03\x04"):
            opts = {}
        d = io.read(path, **opts)
    except io.FormatError as exc:
        assert str(path) in str(exc)
        return
    assert isinstance(d, PhotonData)
    assert (np.diff(d.time_ps) >= 0).all()


@settings(max_examples=budget(300))
@given(data=st.data())
def test_fuzz_mutated_real_files(data: st.DataObject, heads: dict[str, bytes], tmp_path: Path) -> None:
    rel = data.draw(st.sampled_from(FUZZ))
    blob = bytearray(heads[rel])
    header = 6000 if rel.endswith((".ptu", ".timeres")) else 1000
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, min(header, len(blob) - 1)))
        blob[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(blob)))
    p = tmp_path / ("fuzz" + Path(rel).suffix)
    p.write_bytes(bytes(blob[:cut]))
    _read_or_formaterror(p, data.draw(st.booleans()))


@settings(max_examples=budget(60))
@given(
    body=st.binary(max_size=3000),
    prefix=st.sampled_from(
        [b"", b"PQTTTR\0\0", b"HydraHarp\0", b"PicoHarp 300\0", bytes.fromhex("87b391fa")]
    ),
    ext=st.sampled_from([".bin", ".spc", ".ptu"]),
)
def test_fuzz_random_bytes(body: bytes, prefix: bytes, ext: str, tmp_path: Path) -> None:
    p = tmp_path / ("random" + ext)
    p.write_bytes(prefix + body)
    _read_or_formaterror(p, allow_truncated=True)
    _read_or_formaterror(p, allow_truncated=False)


# ---------------------------------------------------------------------------------------------
# Records the instrument cannot produce (one rule per reader; offsets name the record).

QUTAG80 = "eta_kth/19_qutag_80MHz_HBT_sync_filtered.qutag"


def test_fuzz_regression_qutag_negative_time(realdir: Path, tmp_path: Path) -> None:
    """Found by test_fuzz_mutated_real_files (issue 18): byte 677 of the 80 MHz quTAG file's head
    set to 0x80 turns record 63's time stamp (0x039C5A61055C0F09 ps) into -9179362567739666679 ps.
    It used to be read, sorted to the front, and overflow np.diff of the result."""
    blob = bytearray((realdir / QUTAG80).read_bytes()[:40000])
    assert blob[677] == 0x03
    blob[677] = 0x80
    p = _write(tmp_path, "fuzz.qutag", bytes(blob[: len(blob) - len(blob) % 10]))
    with pytest.raises(io.FormatError, match="byte 670: time stamp -9179362567739666679 ps is outside"):
        io.read(p)
    _read_or_formaterror(p, allow_truncated=True)


def test_qutag_time_past_2_62_ps(realdir: Path, tmp_path: Path) -> None:
    blob = bytearray((realdir / QUTAG80).read_bytes()[:4040])
    blob[40 + 10 * 7 : 40 + 10 * 7 + 8] = struct.pack("<q", MAX_TIME_PS + 1)
    with pytest.raises(io.FormatError, match=f"byte 110: time stamp {MAX_TIME_PS + 1} ps is outside"):
        io.read(_write(tmp_path, "late.qutag", bytes(blob)))


def _ptu_records(blob: bytes) -> tuple[int, np.ndarray]:
    start = _tag_offset(blob, "Header_End") + 48
    return start, np.frombuffer(blob, "<u4", offset=start).copy()


def test_ptu_channel_the_instrument_does_not_have(realdir: Path, tmp_path: Path) -> None:
    blob = (realdir / PTU).read_bytes()  # HydraHarp v2 T3, HW_InpChannels 3: channels 0..2
    start, rec = _ptu_records(blob)
    k = int(np.flatnonzero(rec < 0x80000000)[10])  # the 11th photon record
    rec[k] = (rec[k] & ~np.uint32(0x3F << 25)) | np.uint32(7 << 25)
    p = _write(tmp_path, "chan.ptu", blob[:start] + rec.tobytes())
    msg = rf"byte {start + 4 * k}: channel 7 does not exist on a HydraHarp 400 T3 "
    msg += r"\(v2 records\) \(channels 0..2;"
    with pytest.raises(io.FormatError, match=msg):
        io.read(p)
    with pytest.raises(io.FormatError, match=msg):  # the same rule, the same offset, in chunks
        list(io.iter_chunks(p, chunk_records=1000))


def test_ptu_time_past_the_measurement_time(realdir: Path, tmp_path: Path) -> None:
    """A counted overflow record with a corrupted count (2**25 - 1 wraps of 2**25 ps = 1126 s) in a
    recording whose header says it ran 1 s: the next photon is past 1.01 s + 1 s."""
    blob = (realdir / "eta_kth/200204_HH400_T2_320MHz_HBT.timeres").read_bytes()
    start, rec = _ptu_records(blob)
    photon = rec < 0x80000000
    k = int(np.flatnonzero(photon[5000:-1] & photon[5001:])[0]) + 5000  # two photons in a row
    rec[k] = 0xFFFFFFFF  # special, channel 63 (overflow), count 2**25 - 1
    p = _write(tmp_path, "late.ptu", blob[:start] + rec.tobytes())
    msg = rf"byte {start + 4 * (k + 1)}: time \d+ ticks is past the measurement time the header states "
    msg += r"\(2.01 s"
    with pytest.raises(io.FormatError, match=msg):
        io.read(p)
    with pytest.raises(io.FormatError, match=msg):
        list(io.iter_chunks(p, chunk_records=3000))


def test_spc_overflow_past_2_62_ps(realdir: Path, tmp_path: Path) -> None:
    s = bytearray((realdir / "tttrlib_hhu/BH_SPC132.spc").read_bytes()[:40000])
    multi = struct.pack("<I", (1 << 31) | (1 << 30) | 0x0FFFFFFF)  # 2**28 - 1 wraps of 4096 ticks
    for k in range(100, 600):  # ~310 of them reach 2**62 ps at this 13.5 ns clock
        s[4 * k : 4 * k + 4] = multi
    w = np.frombuffer(bytes(s[4:400]), "<u4")  # the records before: their own wraps count too
    flags = w >> 28  # INVALID MTOV GAP MARK
    multi = (flags & 0b1101) == 0b1100
    before = 4096 * (int(np.count_nonzero((flags & 0b1100) == 0b0100)) + int((w[multi] & 0x0FFFFFFF).sum()))
    room = MAX_TIME_PS // 13500 - 2 * 4096 - before  # the reader's bound: 2**62 ps, two wraps spare
    first = 100 + room // (4096 * (2**28 - 1))  # the record that crosses it
    with pytest.raises(io.FormatError, match=f"byte {4 * first}: macro-time overflow records push the time"):
        io.read(_write(tmp_path, "ovf.spc", bytes(s)))


@pytest.mark.parametrize("ext", [".npz", ".h5"])
def test_container_rows_a_writer_cannot_produce(ext: str, tmp_path: Path) -> None:
    t = np.arange(0, 10_000_000, 1000, dtype=np.int64)
    ch = np.zeros(t.size, np.uint8)
    good = PhotonData(ch, t, Meta(acquisition_s=1e-5))
    io.write(tmp_path / f"good{ext}", good)
    assert np.array_equal(io.read(tmp_path / f"good{ext}").time_ps, t)
    cases = [
        ("back", np.where(np.arange(t.size) == 77, 5, t), "row 77: time 5 ps is earlier than the row before"),
        ("huge", np.where(np.arange(t.size) == 9999, MAX_TIME_PS + 1, t), "row 9999: time .* is beyond"),
    ]
    for name, times, msg in cases:
        # PhotonData does not check order; the writers store what they are given
        io.write(tmp_path / f"{name}{ext}", PhotonData(ch, times, Meta()))
        with pytest.raises(io.FormatError, match=msg):
            io.read(tmp_path / f"{name}{ext}")
    # a span of events 1000x the acquisition time the file states
    io.write(tmp_path / f"span{ext}", PhotonData(ch, t * 1_000_000, Meta(acquisition_s=1.0)))
    with pytest.raises(io.FormatError, match="row 2011: events span more than the measurement time"):
        io.read(tmp_path / f"span{ext}")
